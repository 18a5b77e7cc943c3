/* The lowest layer of the session: what goes to the client (ftpsgw's own
 * reply lines, the server's relayed ones, the reply FIFO's local replies),
 * the commands ftpsgw sends the server, the fatal ending (the last 421),
 * and letting go of the data channel. It calls no other file of the
 * session (layering: proxy/session_int.h). */
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
