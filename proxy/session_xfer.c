/* The transfer log's record of a session: who the server logged in, the
 * TYPE it accepted, and each file transfer from its command to its end,
 * written as one xferlog(5) line (proxy/xferlog.c formats it,
 * proxy/xferlog_file.c writes it). Calls no other file of the session
 * (layering: proxy/session_int.h).
 *
 * Which transfers: RETR, STOR, APPE and STOU once forwarded to the server,
 * completed or not (vsftpd logs a refused RETR too); listings (LIST, NLST,
 * MLSD) are not file transfers in xferlog, and a transfer command ftpsgw
 * answers itself (no PASV first, PROT P missing) never reached a server.
 * The end: the final reply the client gets for it, or the session's end.
 * The record is kept with or without transfer_log (the status page shows
 * who is logged in and the file under way); only the line needs it.
 */
#include <string.h>
#include <time.h>

#include "proxy/data.h"
#include "proxy/ftp_codes.h"
#include "proxy/session_int.h"
#include "proxy/xferlog.h"
#include "proxy/xferlog_file.h"

static bool
sess_xfer_on(const struct session *s)
{
	return s->gw->shared->xferlog != NULL;
}

/* The session's data bytes so far, the live channel's included. */
static void
sess_xfer_bytes(const struct session *s, uint64_t *down, uint64_t *up)
{
	uint64_t d = 0, u = 0;

	if (s->data != NULL)
		data_counts(s->data, &d, &u);
	*down = s->data_down + d;
	*up = s->data_up + u;
}

/* Write the line of the transfer under way and forget it. */
static void
sess_xferlog_line(struct session *s, bool complete)
{
	struct sess_xfer *x = &s->xfer;
	struct xferlog_rec r;
	char host[NETADDR_STRLEN], line[XFERLOG_LINE_MAX];
	uint64_t down, up;
	time_t now = time(NULL);
	size_t n;

	x->active = false;
	if (!sess_xfer_on(s))
		return;
	memset(&r, 0, sizeof(r));
	localtime_r(&now, &r.when);
	r.elapsed_ms = loop_now(sess_loop(s)) - x->start_ms;
	netaddr_str(&s->client, host, sizeof(host));
	r.host = host;
	r.host_len = strlen(host);
	sess_xfer_bytes(s, &down, &up);
	r.bytes = x->upload ? up - x->up0 : down - x->down0;
	r.name = x->name;
	r.name_len = x->name_len;
	r.user = x->user;
	r.user_len = x->user_len;
	r.ascii = !x->binary;
	r.upload = x->upload;
	r.anonymous = x->anonymous;
	r.complete = complete;
	n = xferlog_format(line, sizeof(line), &r);
	if (n > 0)
		xferlog_file_write(s->gw->shared->xferlog, line, n);
}

/* USER: who a 230 will log in; anonymous logins are named by their
 * password, as vsftpd and ProFTPD log them (the e-mail address such users
 * are asked for). No other password is ever kept. */
static void
sess_xfer_login(struct session *s, const struct pending *p,
    const struct ftp_cmd *cmd)
{
	struct sess_xfer *x = &s->xfer;

	if (cmd->verb == FTP_VERB_USER) {
		x->next_len = sess_keep(x->next, sizeof(x->next),
		    cmd->arg, cmd->arg_len);
		x->next_anonymous = xferlog_user_anonymous(cmd->arg,
		    cmd->arg_len);
		x->next_hash = p->user;
	} else if (cmd->verb == FTP_VERB_PASS && x->next_anonymous &&
	    p->user == x->next_hash && cmd->arg_len > 0) {
		x->next_len = sess_keep(x->next, sizeof(x->next),
		    cmd->arg, cmd->arg_len);
	}
}

void
sess_xfer_command(struct session *s, struct pending *p,
    const struct ftp_cmd *cmd)
{
	struct sess_xfer *x = &s->xfer;
	uint64_t down, up;

	switch (cmd->verb) {
	case FTP_VERB_USER:
	case FTP_VERB_PASS:
		sess_xfer_login(s, p, cmd);
		return;
	case FTP_VERB_TYPE:
		if (cmd->arg_len > 0)
			p->type = cmd->arg[0] == 'A' || cmd->arg[0] == 'a' ?
			    'A' : 'I';
		return;
	case FTP_VERB_RETR:
	case FTP_VERB_STOR:
	case FTP_VERB_APPE:
	case FTP_VERB_STOU:
		break;
	default:
		return;
	}
	/* One transfer at a time is logged: a second transfer command
	 * pipelined on the same data channel fails at the server anyway. */
	if (x->active)
		return;
	p->xfer = true;
	x->active = true;
	x->upload = cmd->verb != FTP_VERB_RETR;
	x->stou = cmd->verb == FTP_VERB_STOU;
	x->start_ms = loop_now(sess_loop(s));
	sess_xfer_bytes(s, &down, &up);
	x->down0 = down;
	x->up0 = up;
	x->name_len = cmd->arg != NULL ? sess_keep(x->name,
	    sizeof(x->name), cmd->arg, cmd->arg_len) : 0;
}

void
sess_xfer_reply(struct session *s, const struct pending *p,
    enum ftp_reply_line kind, unsigned code, const char *line, size_t len)
{
	struct sess_xfer *x = &s->xfer;
	struct xfer_end e;
	size_t off, n;

	if (p->kind == PEND_REPLY) {
		if (kind != FTP_REPLY_LAST || code < 200 || code > 299)
			return;
		if (p->type != 0)
			x->binary = p->type != 'A';
		/* The 230 answers for the last USER sent; one for an
		 * earlier login, overtaken by a pipelined USER, names
		 * nobody we know. */
		if (p->login && (code == FTP_LOGIN_OK ||
		    code == FTP_LOGIN_OK_SEC)) {
			bool known = p->user == x->next_hash;

			x->user_len = known ? x->next_len : 0;
			if (known)
				memcpy(x->user, x->next, x->next_len);
			x->anonymous = known && x->next_anonymous;
		}
		return;
	}
	if (p->kind != PEND_TRANSFER || !p->xfer || !x->active)
		return;
	/* STOU: RFC 1123's "FILE: name", in a 1xx or the final reply;
	 * until then the name is the argument, if the client gave one. */
	if (x->stou && kind != FTP_REPLY_BAD &&
	    xferlog_stou_name(line, len, &off, &n)) {
		x->name_len = sess_keep(x->name, sizeof(x->name),
		    line + off, n);
		x->stou = false;
	}
	if (kind != FTP_REPLY_LAST || code < 200)
		return;
	/* Complete: what the metrics call ok (proxy/xfer.c). */
	sess_xfer_end_of(s, p, code, &e);
	sess_xferlog_line(s, xfer_complete(&e));
}

void
sess_xfer_end_of(const struct session *s, const struct pending *p,
    unsigned code, struct xfer_end *e)
{
	memset(e, 0, sizeof(*e));
	e->code = code;
	e->started = p->started;
	e->aborted = p->aborted;
	e->failure = p->fail;
	e->cut = s->data == NULL || !data_ended_cleanly(s->data);
}

void
sess_xfer_close(struct session *s)
{
	if (s->xfer.active)
		sess_xferlog_line(s, false);
}
