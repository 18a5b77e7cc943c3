/* The control-session state machine.
 *
 * Client side (s->cstate):
 *   CS_TLS_ACCEPT    implicit listener: TLS handshake before anything.
 *                    -> CS_SECURE
 *   CS_PLAIN         explicit listener before AUTH: commands read in clear.
 *                    -> CS_AUTH_REPLY (AUTH TLS/SSL)
 *   CS_AUTH_REPLY    "234" queued; once flushed, TLS starts.  -> CS_TLS_ACCEPT
 *   CS_SECURE        TLS up; commands processed.
 * Backend side (s->bstate), all under connect_timeout until BS_READY:
 *   BS_CONNECTING -> (implicit: BS_HANDSHAKE) -> BS_GREETING
 *   BS_GREETING   "220" relayed to the client. explicit -> BS_AUTH,
 *                 implicit -> BS_SETUP, off -> BS_READY
 *   BS_AUTH       "AUTH TLS" sent, waiting for 234 -> BS_HANDSHAKE
 *   BS_HANDSHAKE  TLS client handshake, certificate verified
 *                 -> BS_SETUP (explicit), BS_GREETING (implicit)
 *   BS_SETUP      "PBSZ 0" and "PROT P" sent, two replies awaited -> BS_READY
 *   BS_READY      client commands are forwarded; idle_timeout.
 * s->closing: a last reply is being flushed, then the session ends.
 *
 * Ordering: forwarded commands enter a FIFO that records what each reply
 * means; local replies queue behind them, so replies reach the client in
 * command order. A transfer's final reply is held while its data channel is
 * busy (the end of data must reach the client first, DESIGN.md).
 */
#include "proxy/session.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "proxy/buf.h"
#include "proxy/config.h"
#include "proxy/conn.h"
#include "proxy/data.h"
#include "proxy/ftp_codes.h"
#include "proxy/ftp_line.h"
#include "proxy/ftp_parse.h"
#include "proxy/ftp_rewrite.h"
#include "proxy/gw.h"
#include "proxy/limits.h"
#include "proxy/log.h"
#include "proxy/loop.h"
#include "proxy/netaddr.h"
#include "proxy/tls.h"

/* How long a closing session may take to flush its last reply. */
#define SESS_CLOSE_MS 3000
/* Room kept free in the client's output for one local reply. */
#define SESS_REPLY_ROOM 512

enum sess_cstate { CS_TLS_ACCEPT, CS_PLAIN, CS_AUTH_REPLY, CS_SECURE };
enum sess_bstate {
	BS_CONNECTING, BS_GREETING, BS_AUTH, BS_HANDSHAKE, BS_SETUP, BS_READY
};

enum pend_kind {
	PEND_REPLY,	/* relay the backend's reply */
	PEND_FEAT,	/* relay, filtered, with ftpsgw's features added */
	PEND_PASSIVE,	/* EPSV/PASV sent; answer with our own port */
	PEND_TRANSFER,	/* 1xx relayed; final reply ordered after the data */
	PEND_QUIT,	/* relay, then end the session */
	PEND_LOCAL,	/* no backend reply: emit 'local' when at the head */
};

struct pending {
	enum pend_kind kind;
	bool client_epsv;	/* PASSIVE: client asked EPSV (answer 229) */
	bool sent_epsv;		/* PASSIVE: we sent EPSV (PASV fallback possible) */
	bool multi;		/* FEAT: the reply is multi-line */
	const char *local;	/* LOCAL: reply line without CRLF */
};

struct session {
	struct gw *gw;
	struct session *prev, *next;
	uint64_t id;
	char tag[NETADDR_STRLEN + 24];	/* "#12 203.0.113.10" */
	bool implicit;
	struct ftp_addr client, local;	/* client control conn endpoints */

	struct conn cli, be;
	struct buf cli_in, cli_out, be_in, be_out;
	struct ftp_framer cli_fr, be_fr;
	struct ftp_reply_parser be_rp;
	enum sess_cstate cstate;
	enum sess_bstate bstate;
	unsigned setup_left;		/* BS_SETUP: replies still awaited */

	struct pending fifo[CMD_FIFO_MAX];
	unsigned fifo_head, fifo_len;
	bool replacing;			/* dropping a final reply we replace */

	bool pbsz, prot_p;
	bool be_no_epsv;		/* backend refused EPSV once */
	bool closing;
	const char *fatal_line;		/* last reply, once TLS with the client is up */
	bool dead;
	unsigned transfers;

	struct data_chan *data;
	struct tls_app tls;
	struct loop_timer timer;	/* connect, idle or closing deadline */
	struct loop_deferred kick;	/* re-run the pump */
	struct loop_deferred reap;	/* free */
};

static void sess_pump(struct session *s);

static struct loop *
s_loop(const struct session *s)
{
	return s->gw->loop;
}

/* ---- FIFO ---- */

static struct pending *
fifo_at(struct session *s, unsigned i)
{
	return &s->fifo[(s->fifo_head + i) % CMD_FIFO_MAX];
}

static struct pending *
fifo_push(struct session *s, enum pend_kind kind)
{
	struct pending *p = fifo_at(s, s->fifo_len++);

	memset(p, 0, sizeof(*p));
	p->kind = kind;
	return p;
}

static void
fifo_pop(struct session *s)
{
	s->fifo_head = (s->fifo_head + 1) % CMD_FIFO_MAX;
	s->fifo_len--;
}

/* ---- output ---- */

/* Append one reply line (CRLF added) to the client's output. The caller
 * made sure there is room (SESS_REPLY_ROOM), so failure is a broken
 * invariant only when the line is longer than that. */
static void
sess_put(struct session *s, const char *line)
{
	size_t n = strlen(line);

	if (!buf_append(&s->cli_out, line, n) ||
	    !buf_append(&s->cli_out, "\r\n", 2))
		log_msg(LOG_LVL_ERR, "%s: reply dropped: client output full",
		    s->tag);
	if (log_enabled(LOG_LVL_DEBUG)) {
		char esc[256];

		log_msg(LOG_LVL_DEBUG, "%s: C< %s", s->tag,
		    log_escape(esc, sizeof(esc), line, n));
	}
}

/* Emit queued local replies that are now at the FIFO head. */
static void
sess_drain_local(struct session *s)
{
	while (s->fifo_len > 0 && s->fifo[s->fifo_head].kind == PEND_LOCAL) {
		sess_put(s, s->fifo[s->fifo_head].local);
		fifo_pop(s);
	}
}

/* A reply of ours: now if nothing is pending, else in command order. */
static void
sess_reply(struct session *s, const char *line)
{
	if (s->fifo_len == 0)
		sess_put(s, line);
	else
		fifo_push(s, PEND_LOCAL)->local = line;
}

static void
sess_send_be(struct session *s, const char *line, size_t len)
{
	if (!buf_append(&s->be_out, line, len))
		log_msg(LOG_LVL_ERR, "%s: command dropped: server output full",
		    s->tag);
}

/* ---- lifetime ---- */

static void
sess_reap(struct loop_deferred *d)
{
	struct session *s = container_of(d, struct session, reap);

	buf_free(&s->cli_in);
	buf_free(&s->cli_out);
	buf_free(&s->be_in);
	buf_free(&s->be_out);
	tls_app_free(&s->tls);
	free(s);
}

static void
sess_close(struct session *s, const char *why)
{
	struct gw *gw = s->gw;

	if (s->dead)
		return;
	s->dead = true;
	log_msg(LOG_LVL_NOTICE, "%s: session closed (%s): %llu bytes from the "
	    "client, %llu to it on control; %u transfers", s->tag, why,
	    (unsigned long long)s->cli.bytes_in,
	    (unsigned long long)s->cli.bytes_out, s->transfers);
	data_abort(s->data);
	s->data = NULL;
	conn_close(s_loop(s), &s->cli);
	conn_close(s_loop(s), &s->be);
	loop_timer_cancel(s_loop(s), &s->timer);
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		gw->sessions = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	gw->n_sessions--;
	loop_defer(s_loop(s), &s->reap);
}

/* End the session after the client got line (a 421, usually). */
static void
sess_fatal(struct session *s, const char *line)
{
	if (s->closing || s->dead)
		return;
	s->closing = true;
	/* The last word goes out at once, before anything still queued. */
	s->fifo_len = 0;
	if (line != NULL && (s->cstate == CS_TLS_ACCEPT ||
	    s->cstate == CS_AUTH_REPLY)) {
		/* Said inside TLS once the handshake is done. */
		s->fatal_line = line;
	} else if (line != NULL) {
		if (buf_space(&s->cli_out) < strlen(line) + 2)
			buf_consume(&s->cli_out, buf_len(&s->cli_out));
		sess_put(s, line);
	}
	data_abort(s->data);
	s->data = NULL;
	loop_timer_set(s_loop(s), &s->timer, SESS_CLOSE_MS);
}

void
sess_shutdown(struct session *s, const char *reply)
{
	sess_fatal(s, reply);
	sess_pump(s);	/* one try to deliver the reply */
	sess_close(s, "gateway shutting down");
}

static void
sess_on_timer(struct loop_timer *t)
{
	struct session *s = container_of(t, struct session, timer);
	const struct config *cfg = s->gw->cfg;

	if (s->closing) {
		sess_close(s, "closing timed out");
		return;
	}
	if (s->bstate != BS_READY) {
		char host[NETADDR_STRLEN];

		log_msg(LOG_LVL_ERR, "%s: the FTP server %s did not complete the "
		    "login preamble within connect_timeout (%u s): is backend "
		    "right, and does the server answer on it?", s->tag,
		    netaddr_str_port(&s->gw->backend, host, sizeof(host)),
		    cfg->connect_timeout);
		sess_fatal(s, "421 Service not available: the FTP server behind "
		    "this gateway does not answer.");
		sess_pump(s);
		return;
	}
	if (s->data != NULL && data_connected(s->data)) {
		/* A transfer is running: the control channel is quiet by
		 * design; the data channel has its own deadline. */
		loop_timer_set(s_loop(s), &s->timer,
		    (uint64_t)cfg->idle_timeout * 1000u);
		return;
	}
	log_msg(LOG_LVL_INFO, "%s: idle for idle_timeout (%u s); closing",
	    s->tag, cfg->idle_timeout);
	sess_fatal(s, "421 Idle timeout: closing the control connection.");
	sess_pump(s);
}

static void
sess_kick(struct loop_deferred *d)
{
	struct session *s = container_of(d, struct session, kick);

	if (!s->dead)
		sess_pump(s);
}

/* The data channel delivered its end (or failed): release held replies. */
static void
sess_data_idle(void *owner)
{
	struct session *s = owner;

	if (!s->dead)
		loop_defer(s_loop(s), &s->kick);
}

/* ---- backend connection ---- */

static void
sess_be_failed(struct session *s, const char *what)
{
	char host[NETADDR_STRLEN];

	log_msg(LOG_LVL_ERR, "%s: FTP server %s: %s%s%s", s->tag,
	    netaddr_str_port(&s->gw->backend, host, sizeof(host)), what,
	    s->be.ssl_err[0] ? ": " : "", s->be.ssl_err);
	sess_fatal(s, "421 Service not available: the FTP server behind this "
	    "gateway cannot be reached.");
}

static int
sess_be_connect(struct session *s)
{
	struct sockaddr_storage ss;
	socklen_t len = netaddr_to_sockaddr(&s->gw->backend, &ss);
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	int one = 1;

	if (fd < 0)
		return -1;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	conn_set_fd(&s->be, fd, true);
	return 0;
}

static bool
sess_be_start_tls(struct session *s)
{
	SSL *ssl = tls_new_backend(&s->gw->tls, &s->tls, s->gw->cfg->backend_host,
	    NULL);

	if (ssl == NULL) {
		sess_be_failed(s, "cannot create a TLS connection");
		return false;
	}
	conn_start_tls(&s->be, ssl, false);
	s->bstate = BS_HANDSHAKE;
	return true;
}

static void
sess_be_setup(struct session *s)
{
	static const char cmds[] = "PBSZ 0\r\nPROT P\r\n";

	sess_send_be(s, cmds, sizeof(cmds) - 1);
	s->setup_left = 2;
	s->bstate = BS_SETUP;
}

static void
sess_be_ready(struct session *s)
{
	s->bstate = BS_READY;
	loop_timer_set(s_loop(s), &s->timer,
	    (uint64_t)s->gw->cfg->idle_timeout * 1000u);
	log_msg(LOG_LVL_DEBUG, "%s: FTP server session ready", s->tag);
}

/* ---- client commands ---- */

static const char *
sess_tls_required_reply(const struct session *s)
{
	(void)s;
	return "530 This gateway requires TLS: use explicit FTP over TLS "
	    "(AUTH TLS), or implicit FTPS.";
}

/* AUTH PBSZ PROT CCC ADAT MIC ENC: answered here, never forwarded. */
static bool
sess_local(struct session *s, const struct ftp_cmd *cmd)
{
	char arg[16];
	size_t n = cmd->arg_len < sizeof(arg) - 1 ? cmd->arg_len : sizeof(arg) - 1;
	size_t i;

	for (i = 0; i < n; i++)
		arg[i] = (char)(cmd->arg[i] >= 'a' && cmd->arg[i] <= 'z' ?
		    cmd->arg[i] - 32 : cmd->arg[i]);
	arg[n] = '\0';
	if (cmd->arg == NULL)
		arg[0] = '\0';

	switch (cmd->verb) {
	case FTP_VERB_AUTH:
		if (s->cstate != CS_PLAIN) {
			sess_reply(s, "503 TLS is already active.");
			return true;
		}
		if (strcmp(arg, "TLS") != 0 && strcmp(arg, "SSL") != 0 &&
		    strcmp(arg, "TLS-C") != 0 && strcmp(arg, "TLS-P") != 0) {
			sess_reply(s, "504 AUTH: only TLS (or SSL) is supported.");
			return true;
		}
		if (s->fifo_len > 0)
			return false;	/* answer once earlier replies are out */
		sess_put(s, "234 AUTH TLS successful: go ahead with the TLS "
		    "handshake.");
		s->cstate = CS_AUTH_REPLY;
		return true;
	case FTP_VERB_PBSZ:
		if (s->cstate != CS_SECURE)
			sess_reply(s, "503 PBSZ needs TLS first (AUTH TLS).");
		else if (strcmp(arg, "0") != 0)
			sess_reply(s, "200 PBSZ=0");
		else
			sess_reply(s, "200 PBSZ 0 successful.");
		s->pbsz = s->cstate == CS_SECURE;
		return true;
	case FTP_VERB_PROT:
		if (s->cstate != CS_SECURE) {
			sess_reply(s, "503 PROT needs TLS first (AUTH TLS).");
		} else if (strcmp(arg, "P") == 0) {
			s->prot_p = true;
			sess_reply(s, "200 Protection level set to Private.");
		} else if (strcmp(arg, "C") == 0) {
			if (s->gw->cfg->client_tls == CFG_CLIENT_REQUIRED) {
				sess_reply(s, "534 PROT C refused: this gateway "
				    "requires encrypted data connections.");
			} else {
				s->prot_p = false;
				sess_reply(s, "200 Protection level set to Clear.");
			}
		} else if (strcmp(arg, "S") == 0 || strcmp(arg, "E") == 0) {
			sess_reply(s, "536 Only PROT P (and C where allowed) are "
			    "supported.");
		} else {
			sess_reply(s, "504 PROT: unknown protection level.");
		}
		return true;
	case FTP_VERB_CCC:
		sess_reply(s, "533 CCC is not allowed by this gateway.");
		return true;
	default:
		sess_reply(s, "502 Security mechanism not supported.");
		return true;
	}
}

/* May the client use a data channel now? Sets *reply when not. */
static bool
sess_data_allowed(struct session *s, const char **reply)
{
	if (s->gw->cfg->client_tls == CFG_CLIENT_REQUIRED && !s->prot_p) {
		*reply = "521 Data connections must be encrypted: send PBSZ 0 "
		    "and PROT P first.";
		return false;
	}
	return true;
}

static void
sess_forward(struct session *s, const char *line, size_t len)
{
	sess_send_be(s, line, len);
	sess_send_be(s, "\r\n", 2);
}

/* PASV/EPSV: ask the backend for a passive port (EPSV first). */
static void
sess_passive(struct session *s, const struct ftp_cmd *cmd)
{
	bool epsv = cmd->verb == FTP_VERB_EPSV;
	struct pending *p;
	const char *why;

	if (epsv && cmd->arg != NULL) {
		int a = ftp_parse_epsv_arg(cmd->arg, cmd->arg_len);

		if (a == 3) {
			sess_reply(s, "200 EPSV ALL accepted.");
			return;
		}
		if (a < 0 || (a == 1 && s->client.family != AF_INET) ||
		    (a == 2 && s->client.family != AF_INET6)) {
			sess_reply(s, "522 Network protocol not supported, use (1,2)");
			return;
		}
	}
	if (!sess_data_allowed(s, &why)) {
		sess_reply(s, why);
		return;
	}
	if (!epsv && s->client.family != AF_INET) {
		sess_reply(s, "425 PASV cannot announce an IPv6 address: use EPSV.");
		return;
	}
	data_abort(s->data);	/* a new PASV replaces the previous one */
	s->data = NULL;
	p = fifo_push(s, PEND_PASSIVE);
	p->client_epsv = epsv;
	p->sent_epsv = !s->be_no_epsv || s->gw->backend.family == AF_INET6;
	if (p->sent_epsv)
		sess_send_be(s, "EPSV\r\n", 6);
	else
		sess_send_be(s, "PASV\r\n", 6);
}

/*
 * Handle one complete command line. Returns false when it cannot be handled
 * yet (it stays in the input buffer and is offered again later).
 */
static bool
sess_command(struct session *s, const char *line, size_t len)
{
	const struct config *cfg = s->gw->cfg;
	const struct ftp_verb_info *vi;
	struct ftp_cmd cmd;
	const char *why;

	switch (ftp_parse_command(line, len, &cmd)) {
	case FTP_CMD_EMPTY:
		sess_reply(s, "500 Empty command line.");
		return true;
	case FTP_CMD_BAD_VERB:
		sess_reply(s, "500 Syntax error, command unrecognized.");
		return true;
	case FTP_CMD_OK:
		break;
	}
	vi = ftp_verb_info(cmd.verb);
	/* Commands that reach the backend wait for its login preamble. */
	if (vi->action != FTP_ACT_LOCAL && vi->action != FTP_ACT_REFUSE &&
	    cmd.verb != FTP_VERB_QUIT && s->bstate != BS_READY)
		return false;
	if (log_enabled(LOG_LVL_DEBUG)) {
		char esc[256];

		log_msg(LOG_LVL_DEBUG, "%s: C> %s", s->tag, (vi->flags &
		    FTP_F_SECRET) ? cmd.name : log_escape(esc, sizeof(esc),
		    line, len));
	}
	if ((vi->flags & FTP_F_ARG) && cmd.arg == NULL) {
		sess_reply(s, "501 Syntax error: this command needs an argument.");
		return true;
	}
	/* SECURITY: with client_tls = required nothing but the pre-TLS
	 * commands is accepted, and credentials are never forwarded in
	 * clear. */
	if (cfg->client_tls == CFG_CLIENT_REQUIRED && s->cstate != CS_SECURE &&
	    !(vi->flags & FTP_F_PRETLS)) {
		if (cmd.verb == FTP_VERB_USER || cmd.verb == FTP_VERB_PASS)
			log_msg(LOG_LVL_INFO, "%s: %s before TLS refused: the "
			    "client must use explicit FTP over TLS (FileZilla: "
			    "\"Require explicit FTP over TLS\")", s->tag, cmd.name);
		sess_reply(s, sess_tls_required_reply(s));
		return true;
	}

	switch (vi->action) {
	case FTP_ACT_LOCAL:
		return sess_local(s, &cmd);
	case FTP_ACT_REFUSE:
		sess_reply(s, "502 LPRT/LPSV are not supported: use EPRT/EPSV.");
		return true;
	case FTP_ACT_ACTIVE:
		sess_reply(s, "502 Active mode (PORT/EPRT) is not supported by "
		    "this gateway yet: use passive mode.");
		return true;
	case FTP_ACT_PASSIVE:
		sess_passive(s, &cmd);
		return true;
	case FTP_ACT_TRANSFER:
		if (!sess_data_allowed(s, &why)) {
			sess_reply(s, why);
			return true;
		}
		if (s->data == NULL) {
			sess_reply(s, "425 Use PASV or EPSV first.");
			return true;
		}
		data_transfer_started(s->data);
		s->transfers++;
		fifo_push(s, PEND_TRANSFER);
		sess_forward(s, line, len);
		return true;
	case FTP_ACT_QUIT:
		if (s->bstate != BS_READY) {
			sess_fatal(s, "221 Goodbye.");
			return true;
		}
		fifo_push(s, PEND_QUIT);
		sess_forward(s, line, len);
		return true;
	case FTP_ACT_FEAT:
		fifo_push(s, PEND_FEAT);
		sess_forward(s, line, len);
		return true;
	case FTP_ACT_RELAY:
		fifo_push(s, PEND_REPLY);
		sess_forward(s, line, len);
		return true;
	}
	return true;
}

/* A passive command or a quit awaits its reply: hold later commands. */
static bool
sess_barrier(struct session *s)
{
	unsigned i;

	for (i = 0; i < s->fifo_len; i++) {
		enum pend_kind k = fifo_at(s, i)->kind;

		if (k == PEND_PASSIVE || k == PEND_QUIT)
			return true;
	}
	return false;
}

static void
sess_client_lines(struct session *s)
{
	while (!s->closing && !s->dead &&
	    (s->cstate == CS_PLAIN || s->cstate == CS_SECURE)) {
		size_t line_len = 0, used = 0;
		enum ftp_frame fr;

		if (buf_len(&s->cli_in) == 0)
			break;
		/* Room for this command's reply, and in the FIFO. */
		if (buf_space(&s->cli_out) < SESS_REPLY_ROOM ||
		    s->fifo_len >= CMD_FIFO_MAX - 1 || sess_barrier(s) ||
		    buf_space(&s->be_out) < FTP_LINE_MAX + 2)
			break;
		fr = ftp_frame_next(&s->cli_fr, buf_head(&s->cli_in),
		    buf_len(&s->cli_in), FTP_LINE_MAX, &line_len, &used);
		switch (fr) {
		case FTP_FRAME_MORE:
			buf_consume(&s->cli_in, used);
			if (used == 0)
				return;
			continue;
		case FTP_FRAME_TOO_LONG:
			buf_consume(&s->cli_in, used);
			log_msg(LOG_LVL_INFO, "%s: command line longer than %u "
			    "bytes discarded", s->tag, FTP_LINE_MAX);
			sess_reply(s, "500 Command line too long.");
			continue;
		case FTP_FRAME_NUL:
			buf_consume(&s->cli_in, used);
			sess_reply(s, "500 NUL byte in command line.");
			continue;
		case FTP_FRAME_LINE:
			break;
		}
		if (!sess_command(s, buf_head(&s->cli_in), line_len))
			break;
		buf_consume(&s->cli_in, used);
		if (s->cstate == CS_AUTH_REPLY) {
			/* SECURITY: bytes sent in clear after AUTH are not
			 * trusted as commands inside TLS (STARTTLS command
			 * injection, CVE-2011-0411 class). */
			if (buf_len(&s->cli_in) > 0)
				log_msg(LOG_LVL_INFO, "%s: %zu bytes pipelined "
				    "after AUTH discarded", s->tag,
				    buf_len(&s->cli_in));
			buf_consume(&s->cli_in, buf_len(&s->cli_in));
			break;
		}
		if (s->bstate == BS_READY)
			loop_timer_set(s_loop(s), &s->timer,
			    (uint64_t)s->gw->cfg->idle_timeout * 1000u);
	}
}

/* ---- backend replies ---- */

/* The reply code a line starts with, or 0. */
static unsigned
reply_code(const char *line, size_t len)
{
	if (len < 3 || line[0] < '1' || line[0] > '5' || line[1] < '0' ||
	    line[1] > '9' || line[2] < '0' || line[2] > '9')
		return 0;
	return (unsigned)(line[0] - '0') * 100u + (unsigned)(line[1] - '0') * 10u +
	    (unsigned)(line[2] - '0');
}

static void
sess_put_n(struct session *s, const char *line, size_t len)
{
	char tmp[FTP_LINE_MAX + 1];

	memcpy(tmp, line, len);
	tmp[len] = '\0';
	sess_put(s, tmp);
}

/* Handle the final line of a PASV/EPSV reply. */
static void
sess_passive_reply(struct session *s, struct pending *p, unsigned code,
    const char *line, size_t len)
{
	struct data_params dp;
	struct ftp_addr be = s->gw->backend;
	char out[128];
	const char *reply = NULL;
	uint16_t port = 0;
	int n;

	if (p->sent_epsv && code == FTP_EPSV_OK) {
		if (ftp_parse_229(line, len, &be.port) != FTP_ADDR_OK)
			goto bad;
	} else if (!p->sent_epsv && code == FTP_PASV_OK) {
		struct ftp_addr said;

		if (ftp_parse_227(line, len, &said) != FTP_ADDR_OK)
			goto bad;
		/* SECURITY: connect only to the backend itself, whatever
		 * address the reply names (NATed servers often name a wrong
		 * one; a hostile one could aim us elsewhere). */
		be.port = said.port;
	} else if (p->sent_epsv && code >= 500 && code <= 599 &&
	    s->gw->backend.family == AF_INET) {
		/* Not understood (500-504) or refused by policy (ProFTPD's
		 * <Limit EPSV> gives 550): PASV may still be allowed. */
		log_msg(LOG_LVL_DEBUG, "%s: FTP server refused EPSV (%u); "
		    "using PASV", s->tag, code);
		s->be_no_epsv = true;
		p->sent_epsv = false;
		sess_send_be(s, "PASV\r\n", 6);
		return;		/* the entry stays for the PASV reply */
	} else {
		sess_put_n(s, line, len);
		fifo_pop(s);
		return;
	}

	memset(&dp, 0, sizeof(dp));
	dp.gw = s->gw;
	dp.tag = s->tag;
	dp.client = s->client;
	dp.listen = s->local;
	if (s->gw->cfg->have_public_address) {
		struct ftp_addr pub;

		netaddr_from_sockaddr(&pub,
		    (const struct sockaddr *)&s->gw->cfg->public_address);
		if (pub.family == s->client.family)
			dp.listen = pub;
	}
	dp.listen.port = 0;
	dp.backend = be;
	dp.master.family = s->client.family;
	memcpy(dp.master.src, s->client.addr, 16);
	memcpy(dp.master.dst, s->local.addr, 16);
	dp.master.sport = s->client.port;
	dp.master.dport = s->local.port;
	dp.client_tls = s->prot_p;
	dp.tls_app = &s->tls;
	dp.on_idle = sess_data_idle;
	dp.owner = s;
	s->data = data_open_passive(&dp, &port, &reply);
	fifo_pop(s);
	if (s->data == NULL) {
		sess_put(s, reply);
		return;
	}
	if (p->client_epsv) {
		n = ftp_fmt_229(out, sizeof(out), port);
	} else {
		struct ftp_addr ann = dp.listen;

		ann.port = port;
		n = ftp_fmt_227(out, sizeof(out), &ann);
	}
	if (n < 2) {
		sess_put(s, "425 Cannot announce the passive port.");
		return;
	}
	out[n - 2] = '\0';	/* sess_put adds the CRLF */
	sess_put(s, out);
	return;
bad: {
		char esc[128];

		log_msg(LOG_LVL_INFO, "%s: malformed passive reply from the FTP "
		    "server: %s", s->tag, log_escape(esc, sizeof(esc), line, len));
	}
	fifo_pop(s);
	sess_put(s, "425 The FTP server sent a malformed passive reply.");
}

/* Handle one reply line while BS_READY. Returns false to hold it. */
static bool
sess_reply_line(struct session *s, const char *line, size_t len)
{
	struct pending *p = s->fifo_len > 0 ? &s->fifo[s->fifo_head] : NULL;
	enum ftp_reply_line kind;
	unsigned code = 0;

	if (p != NULL && p->kind == PEND_TRANSFER && !s->be_rp.multi) {
		unsigned c = reply_code(line, len);

		/* The transfer's final reply waits for the end of data. */
		if (c >= 200 && s->data != NULL && data_busy(s->data))
			return false;
		if (c >= 200 && s->data != NULL && data_failure(s->data))
			s->replacing = true;
	}
	kind = ftp_reply_feed(&s->be_rp, line, len, &code);
	if (kind == FTP_REPLY_BAD) {
		char esc[128];

		log_msg(LOG_LVL_INFO, "%s: FTP server sent a line that is not a "
		    "reply: %s", s->tag, log_escape(esc, sizeof(esc), line, len));
		return true;
	}
	if (p == NULL) {
		/* Unsolicited: a 421 before closing, typically. */
		sess_put_n(s, line, len);
		if (kind == FTP_REPLY_LAST && code == FTP_SERVICE_UNAVAIL) {
			s->closing = true;
			loop_timer_set(s_loop(s), &s->timer, SESS_CLOSE_MS);
		}
		return true;
	}
	switch (p->kind) {
	case PEND_PASSIVE:
		if (kind == FTP_REPLY_LAST)
			sess_passive_reply(s, p, code, line, len);
		break;
	case PEND_FEAT:
		/* RFC 2389: our security features replace the server's. */
		if (kind == FTP_REPLY_FIRST_PART) {
			p->multi = true;
		} else if (kind == FTP_REPLY_PART) {
			if (len > 0 && line[0] == ' ' &&
			    ftp_feat_filter(line, len) == FTP_FEAT_DROP)
				break;
		} else if (kind == FTP_REPLY_LAST && code == FTP_FEAT_OK) {
			if (!p->multi)
				sess_put(s, "211-Features:");
			sess_put(s, " AUTH TLS");
			sess_put(s, " PBSZ");
			sess_put(s, " PROT");
			if (!p->multi) {
				sess_put(s, "211 End");
				fifo_pop(s);
				break;
			}
		}
		sess_put_n(s, line, len);
		if (kind == FTP_REPLY_LAST)
			fifo_pop(s);
		break;
	case PEND_TRANSFER:
		if (s->replacing) {
			if (kind == FTP_REPLY_LAST) {
				sess_put(s, data_failure(s->data));
				s->replacing = false;
			}
		} else {
			sess_put_n(s, line, len);
		}
		if (kind == FTP_REPLY_LAST && code >= 200) {
			fifo_pop(s);
			data_release(s->data);
			s->data = NULL;
		}
		break;
	case PEND_QUIT:
		sess_put_n(s, line, len);
		if (kind == FTP_REPLY_LAST) {
			fifo_pop(s);
			s->closing = true;
			loop_timer_set(s_loop(s), &s->timer, SESS_CLOSE_MS);
		}
		break;
	case PEND_REPLY:
	case PEND_LOCAL:
		sess_put_n(s, line, len);
		if (kind == FTP_REPLY_LAST)
			fifo_pop(s);
		break;
	}
	sess_drain_local(s);
	return true;
}

/* Handle one line during the backend's login preamble. */
static void
sess_preamble_line(struct session *s, const char *line, size_t len)
{
	const struct config *cfg = s->gw->cfg;
	enum ftp_reply_line kind;
	unsigned code = 0;
	char esc[128];

	kind = ftp_reply_feed(&s->be_rp, line, len, &code);
	if (kind == FTP_REPLY_BAD) {
		log_msg(LOG_LVL_ERR, "%s: FTP server sent a line that is not an "
		    "FTP reply: %s (is backend an FTP server? with backend_tls "
		    "= implicit it must be an implicit FTPS port)", s->tag,
		    log_escape(esc, sizeof(esc), line, len));
		sess_fatal(s, "421 Service not available: the FTP server behind "
		    "this gateway does not speak FTP.");
		return;
	}
	switch (s->bstate) {
	case BS_GREETING:
		/* The greeting goes to the client as it comes. */
		sess_put_n(s, line, len);
		if (kind != FTP_REPLY_LAST)
			return;
		if (code != FTP_GREETING) {
			log_msg(LOG_LVL_NOTICE, "%s: FTP server refused the "
			    "session: %s", s->tag,
			    log_escape(esc, sizeof(esc), line, len));
			s->closing = true;
			loop_timer_set(s_loop(s), &s->timer, SESS_CLOSE_MS);
			return;
		}
		if (cfg->backend_tls == CFG_BACKEND_EXPLICIT) {
			sess_send_be(s, "AUTH TLS\r\n", 10);
			s->bstate = BS_AUTH;
		} else if (cfg->backend_tls == CFG_BACKEND_IMPLICIT) {
			sess_be_setup(s);
		} else {
			sess_be_ready(s);
		}
		return;
	case BS_AUTH:
		if (kind != FTP_REPLY_LAST)
			return;
		if (code != FTP_AUTH_OK) {
			log_msg(LOG_LVL_ERR, "%s: FTP server refused AUTH TLS: %s "
			    "(enable TLS on the server, or set backend_tls = off "
			    "if the LAN is trusted)", s->tag,
			    log_escape(esc, sizeof(esc), line, len));
			sess_fatal(s, "421 Service not available: the FTP server "
			    "behind this gateway refused TLS.");
			return;
		}
		/* SECURITY: nothing the server sent in clear after 234 is
		 * read as coming from inside TLS. */
		buf_consume(&s->be_in, buf_len(&s->be_in));
		sess_be_start_tls(s);
		return;
	case BS_SETUP:
		if (kind != FTP_REPLY_LAST)
			return;
		if (code < 200 || code > 299) {
			log_msg(LOG_LVL_ERR, "%s: FTP server refused PBSZ/PROT P: %s",
			    s->tag, log_escape(esc, sizeof(esc), line, len));
			sess_fatal(s, "421 Service not available: the FTP server "
			    "refused encrypted data connections.");
			return;
		}
		if (--s->setup_left == 0)
			sess_be_ready(s);
		return;
	default:
		return;
	}
}

static void
sess_backend_lines(struct session *s)
{
	while (!s->dead && buf_len(&s->be_in) > 0) {
		size_t line_len = 0, used = 0;
		enum ftp_frame fr;

		if (s->bstate == BS_CONNECTING || s->bstate == BS_HANDSHAKE)
			break;
		if (s->closing)
			break;
		/* Backpressure: the client must take our output first. */
		if (buf_space(&s->cli_out) < FTP_LINE_MAX + 3 * SESS_REPLY_ROOM)
			break;
		fr = ftp_frame_next(&s->be_fr, buf_head(&s->be_in),
		    buf_len(&s->be_in), FTP_LINE_MAX, &line_len, &used);
		if (fr == FTP_FRAME_MORE) {
			buf_consume(&s->be_in, used);
			if (used == 0)
				break;
			continue;
		}
		if (fr != FTP_FRAME_LINE) {
			buf_consume(&s->be_in, used);
			log_msg(LOG_LVL_INFO, "%s: FTP server sent an over-long "
			    "or NUL-holding line; dropped", s->tag);
			continue;
		}
		if (s->bstate == BS_READY) {
			if (!sess_reply_line(s, buf_head(&s->be_in), line_len))
				break;	/* held until the data channel is done */
		} else {
			sess_preamble_line(s, buf_head(&s->be_in), line_len);
		}
		/* The AUTH reply handler may have emptied the buffer. */
		if (buf_len(&s->be_in) >= used)
			buf_consume(&s->be_in, used);
	}
}

/* ---- I/O and the pump ---- */

static bool
sess_client_io(struct session *s)
{
	enum io_result r;

	if (!s->cli.hs_done) {
		r = conn_handshake(&s->cli);
		if (r == IO_ERR) {
			log_msg(LOG_LVL_INFO, "%s: TLS handshake with the client "
			    "failed: %s%s%s", s->tag, s->cli.err_text,
			    s->cli.ssl_err[0] ? ": " : "", s->cli.ssl_err);
			sess_close(s, "client TLS handshake failed");
			return false;
		}
		if (r == IO_AGAIN)
			return true;
		tls_mark_session(s->cli.ssl, &s->tls);
		s->cstate = CS_SECURE;
		if (s->fatal_line != NULL) {
			sess_put(s, s->fatal_line);
			s->fatal_line = NULL;
		}
		if (log_enabled(LOG_LVL_DEBUG)) {
			char d[96];

			log_msg(LOG_LVL_DEBUG, "%s: client TLS: %s", s->tag,
			    tls_describe(s->cli.ssl, d, sizeof(d)));
		}
	}
	if (buf_len(&s->cli_out) > 0) {
		r = conn_write(&s->cli, &s->cli_out);
		if (r == IO_ERR) {
			sess_close(s, "client connection lost");
			return false;
		}
	}
	if (s->cstate == CS_AUTH_REPLY && buf_len(&s->cli_out) == 0) {
		SSL *ssl = tls_new_server(&s->gw->tls, &s->tls, false);

		if (ssl == NULL) {
			sess_close(s, "cannot create TLS");
			return false;
		}
		conn_start_tls(&s->cli, ssl, true);
		s->cstate = CS_TLS_ACCEPT;
		return sess_client_io(s);
	}
	if (s->closing && buf_len(&s->cli_out) == 0) {
		(void)conn_shutdown(&s->cli);
		sess_close(s, "ended");
		return false;
	}
	if (!s->closing && (s->cstate == CS_PLAIN || s->cstate == CS_SECURE) &&
	    buf_space(&s->cli_in) > 0) {
		r = conn_read(&s->cli, &s->cli_in);
		if (r == IO_EOF || r == IO_ERR) {
			sess_close(s, r == IO_EOF ? "client closed the connection" :
			    s->cli.err_text);
			return false;
		}
	}
	return true;
}

static bool
sess_backend_io(struct session *s)
{
	enum io_result r;

	if (s->be.connecting) {
		r = conn_finish_connect(&s->be);
		if (r == IO_ERR) {
			sess_be_failed(s, s->be.err_text);
			return true;
		}
		if (r == IO_AGAIN)
			return true;
		log_msg(LOG_LVL_DEBUG, "%s: connected to the FTP server", s->tag);
		if (s->gw->cfg->backend_tls == CFG_BACKEND_IMPLICIT) {
			if (!sess_be_start_tls(s))
				return true;
		} else {
			s->bstate = BS_GREETING;
		}
	}
	if (s->bstate == BS_HANDSHAKE) {
		r = conn_handshake(&s->be);
		if (r == IO_ERR) {
			long v = SSL_get_verify_result(s->be.ssl);
			char what[512];

			if (v != X509_V_OK)
				snprintf(what, sizeof(what), "its TLS certificate "
				    "was refused: %s (set backend_ca to the CA "
				    "that signed it; backend = must be a name or "
				    "address in its subjectAltName; backend_verify "
				    "= off disables the check, insecurely)",
				    X509_verify_cert_error_string(v));
			else
				snprintf(what, sizeof(what), "TLS handshake failed: "
				    "%s", s->be.err_text);
			sess_be_failed(s, what);
			return true;
		}
		if (r == IO_AGAIN)
			return true;
		if (log_enabled(LOG_LVL_DEBUG)) {
			char d[96];

			log_msg(LOG_LVL_DEBUG, "%s: FTP server TLS: %s", s->tag,
			    tls_describe(s->be.ssl, d, sizeof(d)));
		}
		if (s->gw->cfg->backend_tls == CFG_BACKEND_IMPLICIT)
			s->bstate = BS_GREETING;
		else
			sess_be_setup(s);
	}
	if (buf_len(&s->be_out) > 0) {
		r = conn_write(&s->be, &s->be_out);
		if (r == IO_ERR) {
			sess_be_failed(s, s->be.err_text);
			return true;
		}
	}
	if (s->bstate != BS_CONNECTING && buf_space(&s->be_in) > 0) {
		r = conn_read(&s->be, &s->be_in);
		if (r == IO_EOF || r == IO_ERR) {
			if (s->bstate == BS_READY) {
				log_msg(LOG_LVL_INFO, "%s: the FTP server closed the "
				    "control connection%s%s", s->tag,
				    r == IO_ERR ? ": " : "",
				    r == IO_ERR ? s->be.err_text : "");
				sess_fatal(s, "421 Service not available: the FTP "
				    "server closed the connection.");
			} else {
				sess_be_failed(s, r == IO_EOF ? "closed the "
				    "connection during the login preamble" :
				    s->be.err_text);
			}
			conn_close(s_loop(s), &s->be);
		}
	}
	return true;
}

static void
sess_update(struct session *s)
{
	struct loop *l = s_loop(s);
	bool cli_rd = !s->closing && (s->cstate == CS_PLAIN ||
	    s->cstate == CS_SECURE) && buf_space(&s->cli_in) > 0;

	conn_arm(l, &s->cli, cli_rd, buf_len(&s->cli_out) > 0);
	conn_arm(l, &s->be, s->bstate != BS_CONNECTING && !s->closing &&
	    buf_space(&s->be_in) > 0, buf_len(&s->be_out) > 0);
	if ((s->cli.more && cli_rd) || (s->be.more && buf_space(&s->be_in) > 0))
		loop_defer(l, &s->kick);
}

static void
sess_pump(struct session *s)
{
	unsigned round;

	/* A few rounds let replies made from just-read input go out at once;
	 * whatever is left waits for epoll. */
	for (round = 0; round < 3 && !s->dead; round++) {
		uint64_t before = s->cli.bytes_in + s->cli.bytes_out +
		    s->be.bytes_in + s->be.bytes_out;
		enum sess_cstate cs = s->cstate;
		enum sess_bstate bs = s->bstate;

		if (!sess_client_io(s))
			return;
		if (s->be.ev.fd >= 0)
			sess_backend_io(s);
		sess_backend_lines(s);
		sess_client_lines(s);
		if (s->dead)
			return;
		if (before == s->cli.bytes_in + s->cli.bytes_out +
		    s->be.bytes_in + s->be.bytes_out && cs == s->cstate &&
		    bs == s->bstate && buf_len(&s->cli_out) == 0 &&
		    buf_len(&s->be_out) == 0)
			break;
	}
	if (!s->dead)
		sess_update(s);
}

static void
sess_on_cli(struct loop_ev *ev, uint32_t events)
{
	(void)events;
	sess_pump(container_of(ev, struct session, cli.ev));
}

static void
sess_on_be(struct loop_ev *ev, uint32_t events)
{
	(void)events;
	sess_pump(container_of(ev, struct session, be.ev));
}

struct session *
sess_new(struct gw *gw, int fd, bool implicit)
{
	struct sockaddr_storage peer, local;
	socklen_t plen = sizeof(peer), llen = sizeof(local);
	char host[NETADDR_STRLEN];
	struct session *s;

	s = calloc(1, sizeof(*s));
	if (s == NULL)
		goto fail_fd;
	if (getpeername(fd, (struct sockaddr *)&peer, &plen) < 0 ||
	    getsockname(fd, (struct sockaddr *)&local, &llen) < 0)
		goto fail_free;
	if (tls_app_init(&s->tls) < 0)
		goto fail_free;
	s->gw = gw;
	s->id = ++gw->next_id;
	s->implicit = implicit;
	netaddr_from_sockaddr(&s->client, (struct sockaddr *)&peer);
	netaddr_from_sockaddr(&s->local, (struct sockaddr *)&local);
	snprintf(s->tag, sizeof(s->tag), "#%llu %s", (unsigned long long)s->id,
	    netaddr_str(&s->client, host, sizeof(host)));
	conn_init(&s->cli, sess_on_cli);
	conn_init(&s->be, sess_on_be);
	buf_init(&s->cli_in, CTRL_BUF_SIZE);
	buf_init(&s->cli_out, CTRL_BUF_SIZE);
	buf_init(&s->be_in, CTRL_BUF_SIZE);
	buf_init(&s->be_out, CTRL_BUF_SIZE);
	loop_timer_init(&s->timer, sess_on_timer);
	s->kick.cb = sess_kick;
	s->reap.cb = sess_reap;
	conn_set_fd(&s->cli, fd, false);
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));

	s->next = gw->sessions;
	if (gw->sessions != NULL)
		gw->sessions->prev = s;
	gw->sessions = s;
	gw->n_sessions++;
	log_msg(LOG_LVL_NOTICE, "%s: session opened on %s (%s FTPS)", s->tag,
	    netaddr_str_port(&s->local, host, sizeof(host)),
	    implicit ? "implicit" : "explicit");

	if (implicit) {
		SSL *ssl = tls_new_server(&gw->tls, &s->tls, false);

		if (ssl == NULL) {
			sess_close(s, "cannot create TLS");
			return NULL;
		}
		conn_start_tls(&s->cli, ssl, true);
		s->cstate = CS_TLS_ACCEPT;
	} else {
		s->cstate = CS_PLAIN;
	}
	loop_timer_set(gw->loop, &s->timer,
	    (uint64_t)gw->cfg->connect_timeout * 1000u);
	s->bstate = BS_CONNECTING;
	if (sess_be_connect(s) < 0)
		sess_be_failed(s, strerror(errno));
	sess_pump(s);
	return s;

fail_free:
	free(s);
fail_fd:
	close(fd);
	return NULL;
}
