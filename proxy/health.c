/* Health checks, the pure half: verdicts and the check's dialogue (see
 * health.h). */
#include "proxy/health.h"

#include <limits.h>
#include <string.h>

#include "proxy/ftp_codes.h"
#include "proxy/limits.h"

enum health_change
health_track_result(struct health_track *t, const struct health_policy *pol,
    bool ok)
{
	if (ok) {
		t->fail_run = 0;
		if (t->ok_run < UINT_MAX)
			t->ok_run++;
		if (t->state == HEALTH_UNKNOWN ||
		    (t->state == HEALTH_DOWN && t->ok_run >= pol->rise)) {
			t->state = HEALTH_UP;
			return HEALTH_WENT_UP;
		}
		return HEALTH_SAME;
	}
	t->ok_run = 0;
	if (t->fail_run < UINT_MAX)
		t->fail_run++;
	if (t->state != HEALTH_DOWN && t->fail_run >= pol->fall) {
		t->state = HEALTH_DOWN;
		return HEALTH_WENT_DOWN;
	}
	return HEALTH_SAME;
}

void
health_dialog_init(struct health_dialog *d, enum health_mode mode)
{
	memset(d, 0, sizeof(*d));
	d->mode = mode;
	d->phase = HEALTH_PH_CONNECT;
}

enum health_act
health_dialog_connected(struct health_dialog *d)
{
	if (d->mode == HEALTH_MODE_IMPLICIT) {
		d->phase = HEALTH_PH_TLS;
		return HEALTH_ACT_START_TLS;
	}
	d->phase = HEALTH_PH_GREETING;
	return HEALTH_ACT_READ;
}

enum health_act
health_dialog_secured(struct health_dialog *d)
{
	if (d->mode == HEALTH_MODE_IMPLICIT) {
		d->phase = HEALTH_PH_GREETING;
		return HEALTH_ACT_READ;
	}
	d->phase = HEALTH_PH_QUIT;
	return HEALTH_ACT_SEND_QUIT;
}

/* Keep the line for the log: printable ASCII, the rest as '?', cut. */
static void
health_keep(struct health_dialog *d, const char *line, size_t len)
{
	size_t i;

	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (len > HEALTH_SEEN_MAX)
		len = HEALTH_SEEN_MAX;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		d->seen[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	d->seen[len] = '\0';
}

static enum health_act
health_fail(struct health_dialog *d, enum health_result r,
    enum health_result *why)
{
	d->phase = HEALTH_PH_OVER;
	*why = r;
	return HEALTH_ACT_FAIL;
}

/* One whole line in the current phase. */
static enum health_act
health_line(struct health_dialog *d, const char *line, size_t len,
    enum health_result *why)
{
	enum ftp_reply_line kind;
	unsigned code = 0;

	kind = ftp_reply_feed(&d->rp, line, len, &code);
	if (d->phase == HEALTH_PH_QUIT) {
		/* The check has passed; whatever the answer, we are done. */
		if (kind != FTP_REPLY_LAST && kind != FTP_REPLY_BAD &&
		    ++d->lines < HEALTH_REPLY_LINES_MAX)
			return HEALTH_ACT_READ;
		d->phase = HEALTH_PH_OVER;
		*why = HEALTH_OK;
		return HEALTH_ACT_DONE;
	}
	if (kind == FTP_REPLY_BAD) {
		health_keep(d, line, len);
		return health_fail(d, HEALTH_NOT_FTP, why);
	}
	if (++d->lines > HEALTH_REPLY_LINES_MAX) {
		health_keep(d, line, len);
		return health_fail(d, HEALTH_NOT_FTP, why);
	}
	if (kind != FTP_REPLY_LAST)
		return HEALTH_ACT_READ;
	d->lines = 0;
	if (d->phase == HEALTH_PH_GREETING) {
		/* RFC 959: "120 Service ready in nnn minutes" precedes 220. */
		if (code >= 100 && code < 200)
			return HEALTH_ACT_READ;
		if (code != FTP_GREETING) {
			health_keep(d, line, len);
			return health_fail(d, HEALTH_GREETING_REFUSED, why);
		}
		if (d->mode == HEALTH_MODE_EXPLICIT) {
			d->phase = HEALTH_PH_AUTH;
			return HEALTH_ACT_SEND_AUTH;
		}
		d->phase = HEALTH_PH_QUIT;
		*why = HEALTH_OK;
		return HEALTH_ACT_SEND_QUIT;
	}
	if (d->phase == HEALTH_PH_AUTH) {
		if (code != FTP_AUTH_OK) {
			health_keep(d, line, len);
			return health_fail(d, HEALTH_NO_TLS, why);
		}
		d->phase = HEALTH_PH_TLS;
		return HEALTH_ACT_START_TLS;
	}
	/* Bytes in a phase that expects none (connect, TLS, over): the
	 * caller never feeds them; refuse rather than guess. */
	health_keep(d, line, len);
	return health_fail(d, HEALTH_NOT_FTP, why);
}

enum health_act
health_dialog_feed(struct health_dialog *d, const char *p, size_t len,
    size_t *consumed, enum health_result *why)
{
	size_t used = 0;

	*why = HEALTH_OK;
	while (used < len) {
		size_t line_len = 0, c = 0;
		enum ftp_frame f;
		enum health_act a;

		f = ftp_frame_next(&d->fr, p + used, len - used, FTP_LINE_MAX,
		    &line_len, &c);
		if (f == FTP_FRAME_MORE) {
			used += c;
			if (c == 0)
				break;
			continue;
		}
		if (f == FTP_FRAME_TOO_LONG || f == FTP_FRAME_NUL) {
			used += c;
			*consumed = used;
			if (d->phase == HEALTH_PH_QUIT) {
				d->phase = HEALTH_PH_OVER;
				return HEALTH_ACT_DONE;
			}
			health_keep(d, p + used - c, c < 40 ? c : 40);
			return health_fail(d, HEALTH_NOT_FTP, why);
		}
		a = health_line(d, p + used, line_len, why);
		used += c;
		if (a != HEALTH_ACT_READ) {
			*consumed = used;
			return a;
		}
	}
	*consumed = used;
	return HEALTH_ACT_READ;
}

enum health_act
health_dialog_eof(struct health_dialog *d, enum health_result *why)
{
	if (d->phase == HEALTH_PH_QUIT || d->phase == HEALTH_PH_OVER) {
		d->phase = HEALTH_PH_OVER;
		*why = HEALTH_OK;
		return HEALTH_ACT_DONE;
	}
	return health_fail(d, HEALTH_CLOSED, why);
}

const char *
health_dialog_waiting(const struct health_dialog *d)
{
	switch (d->phase) {
	case HEALTH_PH_CONNECT:
		return "the TCP connection";
	case HEALTH_PH_GREETING:
		return "the greeting (220)";
	case HEALTH_PH_AUTH:
		return "the reply to AUTH TLS";
	case HEALTH_PH_TLS:
		return "the TLS handshake";
	case HEALTH_PH_QUIT:
		return "the reply to QUIT";
	default:
		return "nothing";
	}
}

const char *
health_result_words(enum health_result r)
{
	switch (r) {
	case HEALTH_OK:
		return "";
	case HEALTH_CONNECT_FAILED:
		return "cannot connect";
	case HEALTH_TIMEOUT:
		return "no answer within connect_timeout";
	case HEALTH_CLOSED:
		return "it closed the connection";
	case HEALTH_NOT_FTP:
		return "it does not speak FTP";
	case HEALTH_GREETING_REFUSED:
		return "it refused the session";
	case HEALTH_NO_TLS:
		return "it refused AUTH TLS";
	case HEALTH_TLS_FAILED:
		return "the TLS handshake failed";
	default:
		return "unknown failure";
	}
}
