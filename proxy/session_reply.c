/* Backend replies while the session is ready: pairing with the command
 * FIFO through the table of pending-reply kinds (sess_pend_kinds), PASV/EPSV
 * rewriting, FEAT filtering, and holding a transfer's final reply until its
 * data channel has delivered the end of data. Calls session_data.c and
 * session_out.c (layering: proxy/session_int.h). */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "proxy/config.h"
#include "proxy/data.h"
#include "proxy/ftp_codes.h"
#include "proxy/ftp_rewrite.h"
#include "proxy/log.h"
#include "proxy/session_int.h"
#include "proxy/voice.h"

/* The first reply after an ABOR came: send the NOOP that will mark the
 * end of the abort's replies. */
static void
sess_abor_sync(struct session *s)
{
	unsigned i;

	s->abor_sync = false;
	for (i = 0; i < s->fifo_len; i++) {
		struct pending *p = sess_fifo_at(s, i);

		if (p->kind == PEND_ABOR && !p->synced) {
			p->synced = true;
			SESS_SEND_LIT(s, "NOOP\r\n");
			return;
		}
	}
}

/* PEND_PASSIVE: on the final line of a PASV/EPSV reply, open the channel
 * and answer with ftpsgw's own address and port. */
static void
sess_passive_reply(struct session *s, struct pending *p,
    enum ftp_reply_line kind, unsigned code, const char *line, size_t len)
{
	struct net_addr be = *sess_be_addr(s), ann;
	char out[128];
	const char *reply = NULL;
	int n;

	if (kind != FTP_REPLY_LAST)
		return;
	if (p->sent_epsv && code == FTP_EPSV_OK) {
		if (ftp_parse_229(line, len, &be.port) != FTP_ADDR_OK)
			goto bad;
	} else if (!p->sent_epsv && code == FTP_PASV_OK) {
		struct net_addr said;

		if (ftp_parse_227(line, len, &said) != FTP_ADDR_OK)
			goto bad;
		/* SECURITY: connect only to the backend itself, whatever
		 * address the reply names (NATed servers often name a wrong
		 * one; a hostile one could aim us elsewhere). */
		be.port = said.port;
	} else if (p->sent_epsv && code >= 500 && code <= 599 &&
	    sess_be_addr(s)->family == AF_INET) {
		/* Not understood (500-504) or refused by policy (ProFTPD's
		 * <Limit EPSV> gives 550): PASV may still be allowed. */
		log_msg(LOG_LVL_DEBUG, "%s: FTP server refused EPSV (%u); "
		    "using PASV", s->tag, code);
		s->be_no_epsv = true;
		p->sent_epsv = false;
		SESS_SEND_LIT(s, "PASV\r\n");
		return;		/* the entry stays for the PASV reply */
	} else {
		sess_relay(s, line, len);
		sess_fifo_pop(s);
		return;
	}

	sess_fifo_pop(s);
	if (!sess_data_open(s, DATA_PASSIVE, be.port, NULL, &ann, &reply)) {
		sess_put(s, reply);
		return;
	}
	if (p->client_epsv)
		n = ftp_fmt_229(out, sizeof(out), ann.port);
	else
		n = ftp_fmt_227(out, sizeof(out), &ann);
	if (n < 2) {
		sess_put(s, voice_line(V_PASV_ANNOUNCE));
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
	sess_fifo_pop(s);
	sess_put(s, voice_line(V_PASV_MALFORMED));
}

/*
 * A reply while nothing is pending. A 421 (the server is closing) is the
 * client's, and the session ends after it. Anything else would be read by
 * the client as the reply to its next command, and every later reply
 * shifted by one: logged and not relayed.
 */
static void
sess_unsolicited(struct session *s, enum ftp_reply_line kind, unsigned code,
    const char *line, size_t len)
{
	unsigned c = kind == FTP_REPLY_PART ? s->be_rp.code : code;
	char esc[128];

	if (c == FTP_SERVICE_UNAVAIL) {
		sess_relay(s, line, len);
		if (kind == FTP_REPLY_LAST) {
			s->closing = true;
			loop_timer_set(sess_loop(s), &s->timer, SESS_CLOSE_MS);
		}
	} else if (kind == FTP_REPLY_LAST) {
		log_msg(LOG_LVL_INFO, "%s: the FTP server sent a reply to no "
		    "command; not relayed: %s", s->tag,
		    log_escape(esc, sizeof(esc), line, len));
	}
}

/*
 * PEND_ABOR at the FIFO head: the replies after an ABOR. The transfer it
 * ends (if any) is ahead in the FIFO and took its own final reply; the
 * ABOR gets exactly one, whatever the server sends:
 *   - the first final reply is the ABOR's, relayed, with any 1xx before it
 *     (pure-ftpd's statistics line);
 *   - our NOOP goes out after the first reply that followed the ABOR
 *     (sess_abor_sync), and its 200 ends the abort, not relayed. If the
 *     server sent nothing for the ABOR itself (one reply for the transfer
 *     and the abort), ftpsgw answers the ABOR then;
 *   - anything else is not relayed (the client would read it as the reply
 *     to its next command); once the NOOP is out, a final reply after the
 *     ABOR's is the NOOP's, whatever its code, and ends the abort too.
 * A multi-line reply is relayed or not as a whole, by its first line.
 */
static void
sess_abor_reply(struct session *s, struct pending *p,
    enum ftp_reply_line kind, unsigned code, const char *line, size_t len)
{
	char esc[128];
	bool answered;

	if (!p->multi) {
		/* The first line of a reply says what it is. */
		p->noop_reply = code >= 200 && p->synced &&
		    (code == FTP_COMMAND_OK || p->answered);
		p->swallow = p->noop_reply || p->answered;
		if (p->swallow && !p->noop_reply)
			log_msg(LOG_LVL_INFO, "%s: the FTP server sent one more "
			    "reply after ABOR; not relayed: %s", s->tag,
			    log_escape(esc, sizeof(esc), line, len));
	}
	if (kind == FTP_REPLY_FIRST_PART)
		p->multi = true;
	if (!p->swallow)
		sess_relay(s, line, len);
	if (kind != FTP_REPLY_LAST)
		return;
	p->multi = false;
	if (code >= 200 && !p->swallow)
		p->answered = true;
	if (!p->noop_reply)
		return;
	answered = p->answered;
	sess_fifo_pop(s);		/* the abort is over; p is gone */
	if (!answered)
		sess_put(s, voice_line(V_ABORT_OK));
}

/*
 * The server refused a password for user (gw_user_hash). Logged in a form
 * fail2ban can match ("login failed from ADDRESS"); true when the session
 * must end: this failure started a ban, or one was already in force.
 */
static bool
sess_login_failed(struct session *s, uint64_t user)
{
	const struct config *cfg = s->gw->cfg;
	char host[NETADDR_STRLEN], scope[GW_SCOPE_STRLEN];
	enum gw_fail v;

	netaddr_str(&s->client, host, sizeof(host));
	v = gw_login_failed(s->gw, &s->client, user);
	log_msg(LOG_LVL_NOTICE, "%s: login failed from %s", s->tag, host);
	metrics_inc(&s->gw->metrics, METRICS_AT1(LOGINS, MV_LOGIN_FAILED));
	if (v == GW_FAIL_BAN)
		metrics_inc(&s->gw->metrics, METRICS_AT1(BANS, 0));
	if (v == GW_FAIL_BAN)
		log_msg(LOG_LVL_NOTICE, "%s: %s banned for %u s after %u "
		    "failed logins (%s)", s->tag, gw_ban_scope(s->gw,
		    &s->client, scope, sizeof(scope)), cfg->ban_time,
		    cfg->max_login_failures, voice_advice(V_LOGIN_BANNED));
	else if (v == GW_FAIL_BANNED)
		log_msg(LOG_LVL_NOTICE, "%s: %s is banned for failed logins: "
		    "this session, opened before the ban, ends too", s->tag,
		    gw_ban_scope(s->gw, &s->client, scope, sizeof(scope)));
	return v != GW_FAIL_COUNTED;
}

/* PEND_FEAT: RFC 2389: our security features replace the server's. */
static void
sess_feat_reply(struct session *s, struct pending *p, enum ftp_reply_line kind,
    unsigned code, const char *line, size_t len)
{
	if (kind == FTP_REPLY_FIRST_PART) {
		p->multi = true;
	} else if (kind == FTP_REPLY_PART) {
		if (len > 0 && line[0] == ' ' &&
		    ftp_feat_filter(line, len) == FTP_FEAT_DROP)
			return;
	} else if (kind == FTP_REPLY_LAST && code == FTP_FEAT_OK) {
		const char *f;
		size_t i;

		for (i = 0; (f = ftp_feat_added(i, s->gw->cfg->allow_ccc,
		    !p->multi)) != NULL; i++)
			sess_put(s, f);
		if (!p->multi) {
			sess_fifo_pop(s);
			return;
		}
	}
	sess_relay(s, line, len);
	if (kind == FTP_REPLY_LAST)
		sess_fifo_pop(s);
}

/* PEND_TRANSFER: relayed (or replaced by why the data channel failed);
 * the final reply lets go of the data channel. sess_reply_line held it
 * until the end of data had reached the client. */
static void
sess_transfer_reply(struct session *s, struct pending *p,
    enum ftp_reply_line kind, unsigned code, const char *line, size_t len)
{
	if (kind == FTP_REPLY_LAST && code < 200)
		p->started = true;
	sess_xfer_reply(s, p, kind, code, line, len);
	if (s->replacing) {
		if (kind == FTP_REPLY_LAST) {
			sess_put(s, s->replacement);
			s->replacing = false;
		}
	} else {
		sess_relay(s, line, len);
	}
	if (kind == FTP_REPLY_LAST && code >= 200) {
		struct xfer_end e;

		sess_xfer_end_of(s, p, code, &e);
		sess_xfer_end(s, p->upload, &e);
		sess_fifo_pop(s);
		sess_data_drop(s, false);
		/* Shutting down: the client may still QUIT (or send one more
		 * command, answered with a 421); a moment later the session
		 * ends anyway. */
		if (s->gw->stopping)
			loop_timer_set(sess_loop(s), &s->timer, SESS_CLOSE_MS);
	}
}

/* PEND_QUIT: relayed, then the session ends. */
static void
sess_quit_reply(struct session *s, struct pending *p, enum ftp_reply_line kind,
    unsigned code, const char *line, size_t len)
{
	(void)p;
	(void)code;
	sess_relay(s, line, len);
	if (kind == FTP_REPLY_LAST) {
		sess_fifo_pop(s);
		s->closing = true;
		loop_timer_set(sess_loop(s), &s->timer, SESS_CLOSE_MS);
	}
}

/* PEND_ACTIVE: the server's verdict on our PORT/EPRT is the client's; a
 * refusal closes the channel opened for it. */
static void
sess_active_reply(struct session *s, struct pending *p,
    enum ftp_reply_line kind, unsigned code, const char *line, size_t len)
{
	(void)p;
	sess_relay(s, line, len);
	if (kind == FTP_REPLY_LAST) {
		sess_fifo_pop(s);
		if (code < 200 || code > 299)
			sess_data_drop(s, true);
	}
}

/* PEND_OWN: the reply to our own PROT (data_path = kernel) is logged when
 * it is a refusal, never relayed. */
static void
sess_own_reply(struct session *s, struct pending *p, enum ftp_reply_line kind,
    unsigned code, const char *line, size_t len)
{
	char esc[128];

	(void)p;
	if (kind != FTP_REPLY_LAST)
		return;
	sess_fifo_pop(s);
	if (code >= 400)
		log_msg(LOG_LVL_WARNING, "%s: the FTP server refused our PROT %s "
		    "(%s): with data_path = kernel the data connection's "
		    "protection is the client's choice end to end, and this "
		    "server does not accept it", s->tag, s->be_prot_p ? "P" : "C",
		    log_escape(esc, sizeof(esc), line, len));
}

/* PEND_REPLY: relayed; a login's 230 and a password's 530 are counted
 * (gw_login_ok, sess_login_failed), and a ban ends the session. */
static void
sess_relay_reply(struct session *s, struct pending *p,
    enum ftp_reply_line kind, unsigned code, const char *line, size_t len)
{
	sess_xfer_reply(s, p, kind, code, line, len);
	if (kind == FTP_REPLY_LAST && p->login &&
	    (code == FTP_LOGIN_OK || code == FTP_LOGIN_OK_SEC)) {
		s->logged_in = true;
		gw_login_ok(s->gw, &s->client, p->user);
		metrics_inc(&s->gw->metrics, METRICS_AT1(LOGINS, MV_LOGIN_OK));
	}
	sess_relay(s, line, len);
	if (kind != FTP_REPLY_LAST)
		return;
	if (p->pass && code == FTP_NOT_LOGGED_IN &&
	    sess_login_failed(s, p->user)) {
		sess_fifo_pop(s);
		sess_fatal(s, voice_line(V_LOGIN_BANNED));
		return;
	}
	sess_fifo_pop(s);
}

/*
 * Each kind of pending reply (enum pend_kind): its handler, which gets
 * every line of the reply (kind, code as ftp_reply_feed gives them) while
 * the entry p is at the FIFO head and pops it when the reply is complete,
 * and whether it is a barrier: the number or meaning of its replies is
 * not known in advance (PASV/EPSV may fall back to PASV, PORT/EPRT opens a
 * channel, QUIT ends the session, ABOR is paired by a NOOP), so later
 * commands wait for it (sess_pend_barrier). A new kind is one row here.
 */
static const struct sess_pend_info {
	void (*handle)(struct session *s, struct pending *p,
	    enum ftp_reply_line kind, unsigned code, const char *line,
	    size_t len);
	bool barrier;
} sess_pend_kinds[] = {
	[PEND_REPLY] = { sess_relay_reply, false },
	[PEND_FEAT] = { sess_feat_reply, false },
	[PEND_PASSIVE] = { sess_passive_reply, true },
	[PEND_ACTIVE] = { sess_active_reply, true },
	[PEND_TRANSFER] = { sess_transfer_reply, false },
	[PEND_QUIT] = { sess_quit_reply, true },
	/* Never at the head when a reply comes (sess_backend_lines waits
	 * until it is emitted); were it, the reply would be relayed. */
	[PEND_LOCAL] = { sess_relay_reply, false },
	[PEND_OWN] = { sess_own_reply, false },
	[PEND_ABOR] = { sess_abor_reply, true },
};
_Static_assert(sizeof(sess_pend_kinds) / sizeof(sess_pend_kinds[0]) ==
    PEND_COUNT, "every pending-reply kind has its row in sess_pend_kinds");

bool
sess_pend_barrier(enum pend_kind kind)
{
	return sess_pend_kinds[kind].barrier;
}

/* Handle one reply line while BS_READY. Returns false to hold it. */
bool
sess_reply_line(struct session *s, const char *line, size_t len)
{
	struct pending *p = s->fifo_len > 0 ? &s->fifo[s->fifo_head] : NULL;
	enum ftp_reply_line kind;
	unsigned code = 0;

	if (p != NULL && p->kind == PEND_TRANSFER && !s->be_rp.multi) {
		unsigned c = ftp_reply_code(line, len);
		const char *rep = NULL;

		if (c >= 200 && s->data != NULL) {
			rep = data_failure(s->data, c);
			/* For the outcome, whether or not rep replaces the
			 * server's reply; the channel may be dropped below. */
			p->fail = data_failure_reason(s->data);
		}
		/* The transfer's final reply waits for the end of data --
		 * if there is data: without a 1xx first the server refused
		 * the command and no transfer takes place (RFC 959). */
		if (c >= 200 && s->data != NULL && !p->started && rep == NULL)
			sess_data_drop(s, true);
		if (c >= 200 && s->data != NULL && data_busy(s->data))
			return false;
		if (rep != NULL) {
			s->replacing = true;
			s->replacement = rep;
		}
	}
	kind = ftp_reply_feed(&s->be_rp, line, len, &code);
	if (kind == FTP_REPLY_BAD) {
		char esc[128];

		/* Dropping it would leave the command waiting for a reply
		 * that may never come, and relaying it would hand the client
		 * something it cannot read: the client gets a 421 instead, at
		 * once, never silence. */
		log_msg(LOG_LVL_NOTICE, "%s: FTP server sent a line that is "
		    "not an FTP reply: %s; ending the session (421) since its "
		    "replies can no longer be matched to the commands; %s",
		    s->tag, log_escape(esc, sizeof(esc), line, len),
		    voice_advice(V_BACKEND_UNREADABLE));
		sess_fatal(s, voice_line(V_BACKEND_UNREADABLE));
		return true;
	}
	if (p == NULL) {
		sess_unsolicited(s, kind, code, line, len);
		return true;
	}
	sess_pend_kinds[p->kind].handle(s, p, kind, code, line, len);
	if (kind == FTP_REPLY_LAST && s->abor_sync)
		sess_abor_sync(s);
	sess_drain_local(s);
	return true;
}
