/* The lowest layer of the session: what goes to the client (ftpsgw's own
 * reply lines, the server's relayed ones, the reply FIFO's local replies),
 * the commands ftpsgw sends the server, the fatal ending (the last 421),
 * letting go of the data channel, and the session's states with the one
 * setter of each. It calls no other file of the session (layering:
 * proxy/session_int.h).
 *
 * States (set by sess_new, then only by sess_set_cstate / sess_set_bstate,
 * which refuse any transition sess_cnext[] / sess_bnext[] does not list).
 * Client side (s->cstate):
 *   CS_TLS_ACCEPT    implicit listener, or after AUTH: TLS handshake before
 *                    anything; handshake_timeout.  -> CS_SECURE
 *   CS_PLAIN         explicit listener before AUTH, or after CCC: commands
 *                    read in clear.  -> CS_AUTH_REPLY (AUTH TLS/SSL; not
 *                    after CCC)
 *   CS_AUTH_REPLY    "234" queued; once flushed, TLS starts.
 *                    -> CS_TLS_ACCEPT
 *   CS_SECURE        TLS up; commands processed.  -> CS_CCC_REPLY (CCC)
 *   CS_CCC_REPLY     "200" queued; once flushed, our close_notify goes out.
 *                    -> CS_CCC_WAIT
 *   CS_CCC_WAIT      reading up to the client's close_notify, or to clear
 *                    text that shows none is coming.  -> CS_PLAIN (s->ccc)
 * Server side (s->bstate), all under connect_timeout until BS_READY but
 * BS_ROUTE and BS_HOLD (the steps: session_preamble.c):
 *   BS_ROUTE         route = user: no server yet; the client has ftpsgw's
 *                    banner, AUTH/PBSZ/PROT/FEAT/OPTS/HOST are answered
 *                    here, anything else but USER and QUIT gets 530; the
 *                    USER picks the server (idle_timeout).  -> BS_CONNECTING
 *   BS_CONNECTING    TCP connect.  -> BS_GREETING (backend_tls = off or
 *                    explicit), BS_HANDSHAKE (implicit)
 *   BS_GREETING      on the server's "220" the client gets ftpsgw's banner
 *                    (a refusal is relayed); no client command is read
 *                    before.  -> BS_HOLD (explicit), BS_SETUP (implicit),
 *                    BS_READY (off)
 *   BS_HOLD          until the client's first command (idle_timeout): a
 *                    HOST must reach the server before AUTH (RFC 7151), so
 *                    AUTH waits for it.  -> BS_HOST (HOST), BS_AUTH
 *   BS_HOST          "HOST" sent, its reply relayed to the client.
 *                    -> BS_AUTH
 *   BS_AUTH          "AUTH TLS" sent, waiting for 234.  -> BS_HANDSHAKE
 *   BS_HANDSHAKE     TLS client handshake, certificate verified.
 *                    -> BS_SETUP (explicit), BS_GREETING (implicit)
 *   BS_SETUP         "PBSZ 0" and "PROT P" sent, two replies awaited.
 *                    -> BS_READY
 *   BS_READY         client commands are forwarded; idle_timeout.  Final.
 * s->closing (either side, any state): a last reply is being flushed, then
 * the session ends; SESS_CLOSE_MS.
 */
#include <string.h>

#include "proxy/data.h"
#include "proxy/log.h"
#include "proxy/session_int.h"
#include "proxy/voice.h"

/* ---- output ---- */

/* The client's output cannot take a line that sess_room promised room
 * for: a broken invariant. Better a 421 than a reply lost or glued to the
 * next, which would pair every later reply with the wrong command. */
static void
sess_out_full(struct session *s, size_t n)
{
	log_msg(LOG_LVL_ERR, "%s: internal error: a reply of %zu bytes does "
	    "not fit the client output (%zu bytes free); ending the session "
	    "(please report this)", s->tag, n, buf_space(&s->cli_out));
	sess_fatal(s, voice_line(V_INTERNAL_ERROR));
}

/* Append line and CRLF, both or neither. */
static bool
sess_append(struct session *s, const char *line, size_t n)
{
	if (buf_space(&s->cli_out) < n + 2)
		return false;
	if (!buf_append(&s->cli_out, line, n) ||
	    !buf_append(&s->cli_out, "\r\n", 2))
		return false;	/* out of memory for the buffer's storage */
	if (log_enabled(LOG_LVL_DEBUG)) {
		char esc[256];

		log_msg(LOG_LVL_DEBUG, "%s: C< %s", s->tag,
		    log_escape(esc, sizeof(esc), line, n));
	}
	return true;
}

void
sess_put(struct session *s, const char *line)
{
	size_t n = strlen(line);

	if (!sess_room(s, n) || !sess_append(s, line, n))
		sess_out_full(s, n);
}

void
sess_relay(struct session *s, const char *line, size_t len)
{
	char out[FTP_LINE_MAX];
	size_t n = 0;
	unsigned did;

	did = ftp_scrub_reply(line, len, s->scrub, s->n_scrub, out,
	    sizeof(out), &n);
	if ((did & FTP_SCRUB_PASSIVE) && !s->scrub_logged) {
		char esc[128];

		/* A passive reply where none was asked: the server's
		 * replies and the commands no longer pair up. */
		s->scrub_logged = true;
		log_msg(LOG_LVL_INFO, "%s: the FTP server sent a passive reply "
		    "ftpsgw did not ask for; its address and port were withheld "
		    "from the client: %s", s->tag,
		    log_escape(esc, sizeof(esc), line, len));
	}
	if (!sess_room(s, n) || !sess_append(s, out, n))
		sess_out_full(s, n);
}

void
sess_drain_local(struct session *s)
{
	while (!s->closing && s->fifo_len > 0 &&
	    s->fifo[s->fifo_head].kind == PEND_LOCAL &&
	    sess_room(s, strlen(s->fifo[s->fifo_head].local))) {
		sess_put(s, s->fifo[s->fifo_head].local);
		sess_fifo_pop(s);
	}
}

void
sess_reply(struct session *s, const char *line)
{
	if (s->fifo_len == 0 && sess_room(s, strlen(line)))
		sess_put(s, line);
	else
		sess_fifo_push(s, PEND_LOCAL)->local = line;
}

void
sess_send_be(struct session *s, const char *line, size_t len)
{
	if (buf_append(&s->be_out, line, len))
		return;
	log_msg(LOG_LVL_ERR, "%s: internal error: a command of %zu bytes does "
	    "not fit the output to the FTP server (%zu bytes free); ending "
	    "the session (please report this)", s->tag, len,
	    buf_space(&s->be_out));
	sess_fatal(s, voice_line(V_INTERNAL_ERROR));
}

void
sess_send_own(struct session *s, const char *lines, size_t len)
{
	if (log_enabled(LOG_LVL_DEBUG)) {
		char esc[256];

		log_msg(LOG_LVL_DEBUG, "%s: S> %s", s->tag, log_escape(esc,
		    sizeof(esc), lines, len >= 2 ? len - 2 : len));
	}
	sess_send_be(s, lines, len);
}

/* End the session after the client got line (a 421, usually). */
void
sess_fatal(struct session *s, const char *line)
{
	if (s->closing || s->dead)
		return;
	s->closing = true;
	/* The last word goes out after what is already in the output (never
	 * cut: a line half written would be glued to it), before anything
	 * still queued. Every other reply left SESS_FATAL_ROOM for it. */
	sess_xfer_abandon(s);
	s->fifo_len = 0;
	if (line != NULL && (s->cstate == CS_TLS_ACCEPT ||
	    s->cstate == CS_AUTH_REPLY)) {
		/* Said inside TLS once the handshake is done. */
		s->fatal_line = line;
	} else if (line != NULL && !sess_append(s, line, strlen(line))) {
		log_msg(LOG_LVL_ERR, "%s: internal error: no room for the last "
		    "reply (%s); the connection ends without it", s->tag, line);
	}
	sess_data_drop(s, true);
	loop_timer_set(sess_loop(s), &s->timer, SESS_CLOSE_MS);
}

void
sess_xfer_end(struct session *s, bool upload, const struct xfer_end *e)
{
	metrics_inc(&s->gw->metrics, METRICS_AT2(TRANSFERS, upload ?
	    MV_XFER_DIR_UPLOAD : MV_XFER_DIR_DOWNLOAD, xfer_outcome(e)));
}

void
sess_xfer_abandon(struct session *s)
{
	unsigned i;

	for (i = 0; i < s->fifo_len; i++) {
		const struct pending *p = sess_fifo_at(s, i);
		struct xfer_end e = {
			.code = 0, .started = p->started, .aborted = p->aborted,
			.failure = s->data != NULL ?
			    data_failure_reason(s->data) : V_COUNT,
		};

		if (p->kind == PEND_TRANSFER)
			sess_xfer_end(s, p->upload, &e);
	}
}

void
sess_data_drop(struct session *s, bool abort)
{
	uint64_t down, up;

	if (s->data == NULL)
		return;
	data_counts(s->data, &down, &up);
	s->data_down += down;
	s->data_up += up;
	if (abort)
		data_abort(s->data);
	else
		data_release(s->data);
	s->data = NULL;
}

/* ---- states ---- */

#define SESS_BIT(st) (1u << (st))

/* The transitions each client state allows (the diagram at the top). */
static const unsigned sess_cnext[CS_COUNT] = {
	[CS_TLS_ACCEPT] = SESS_BIT(CS_SECURE),
	[CS_PLAIN] = SESS_BIT(CS_AUTH_REPLY),
	[CS_AUTH_REPLY] = SESS_BIT(CS_TLS_ACCEPT),
	[CS_SECURE] = SESS_BIT(CS_CCC_REPLY),
	[CS_CCC_REPLY] = SESS_BIT(CS_CCC_WAIT),
	[CS_CCC_WAIT] = SESS_BIT(CS_PLAIN),
};

/* The transitions each server state allows (the diagram at the top). */
static const unsigned sess_bnext[BS_COUNT] = {
	[BS_ROUTE] = SESS_BIT(BS_CONNECTING),
	[BS_CONNECTING] = SESS_BIT(BS_GREETING) | SESS_BIT(BS_HANDSHAKE),
	[BS_GREETING] = SESS_BIT(BS_HOLD) | SESS_BIT(BS_SETUP) |
	    SESS_BIT(BS_READY),
	[BS_HOLD] = SESS_BIT(BS_HOST) | SESS_BIT(BS_AUTH),
	[BS_HOST] = SESS_BIT(BS_AUTH),
	[BS_AUTH] = SESS_BIT(BS_HANDSHAKE),
	[BS_HANDSHAKE] = SESS_BIT(BS_SETUP) | SESS_BIT(BS_GREETING),
	[BS_SETUP] = SESS_BIT(BS_READY),
	[BS_READY] = 0,
};

static const char *const sess_cstate_name[CS_COUNT] = {
	[CS_TLS_ACCEPT] = "TLS_ACCEPT", [CS_PLAIN] = "PLAIN",
	[CS_AUTH_REPLY] = "AUTH_REPLY", [CS_SECURE] = "SECURE",
	[CS_CCC_REPLY] = "CCC_REPLY", [CS_CCC_WAIT] = "CCC_WAIT",
};

static const char *const sess_bstate_name[BS_COUNT] = {
	[BS_ROUTE] = "ROUTE",
	[BS_CONNECTING] = "CONNECTING", [BS_GREETING] = "GREETING",
	[BS_HOLD] = "HOLD", [BS_HOST] = "HOST", [BS_AUTH] = "AUTH",
	[BS_HANDSHAKE] = "HANDSHAKE", [BS_SETUP] = "SETUP", [BS_READY] = "READY",
};

/*
 * May one side go from state `from` to `next` (next_of: that side's table)?
 * A transition the table does not list is a bug: logged with its context,
 * and the session ends with a 421 rather than carry on in a state nobody
 * designed. Logged once: the code of the state left may try again while
 * the session is ending (a finished handshake is seen at every pass).
 * Staying in the same state is no transition.
 */
static bool
sess_state_allowed(struct session *s, const char *side, unsigned from,
    unsigned next, const unsigned *next_of, const char *const *names)
{
	if (from == next || (next_of[from] & SESS_BIT(next)))
		return true;
	if (!s->state_bug)
		log_msg(LOG_LVL_ERR, "%s: internal error: the session's %s side "
		    "cannot go from %s to %s; ending the session (please report "
		    "this)", s->tag, side, names[from], names[next]);
	s->state_bug = true;
	sess_fatal(s, voice_line(V_INTERNAL_ERROR));
	return false;
}

bool
sess_set_cstate(struct session *s, enum sess_cstate next)
{
	if (!sess_state_allowed(s, "client", s->cstate, next, sess_cnext,
	    sess_cstate_name))
		return false;
	s->cstate = next;
	return true;
}

bool
sess_set_bstate(struct session *s, enum sess_bstate next)
{
	if (!sess_state_allowed(s, "FTP server", s->bstate, next, sess_bnext,
	    sess_bstate_name))
		return false;
	s->bstate = next;
	return true;
}
