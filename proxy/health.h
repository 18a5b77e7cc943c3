/* Active health checks of the FTP servers, the pure half: the verdict per
 * backend (unknown, up, down with rise/fall counts), the FTP dialogue of
 * one check as a reply checker fed the server's bytes, and the board that
 * publishes the verdicts to the workers without a lock. No I/O, no malloc:
 * proxy/health_check.c runs the connections. */
#ifndef FTPSGW_PROXY_HEALTH_H
#define FTPSGW_PROXY_HEALTH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "proxy/ftp_line.h"
#include "proxy/ftp_parse.h"

/* Backends a board has room for (the [backend NAME] sections to come). */
#define HEALTH_BACKENDS_MAX 64
/* Lines of one reply a check reads at most (a long multi-line greeting
 * is fine; an endless one is not an FTP server). */
#define HEALTH_REPLY_LINES_MAX 64
/* Bytes of the server's last line kept for the log. */
#define HEALTH_SEEN_MAX 80

/* A backend's state. Unknown (no verdict yet) counts as up. */
enum health_state { HEALTH_UNKNOWN, HEALTH_UP, HEALTH_DOWN };

/* One check's result: HEALTH_OK or why it failed. The order is the order
 * of the metric's label values (proxy/metrics.h, HEALTH_RESULT). */
enum health_result {
	HEALTH_OK,
	HEALTH_CONNECT_FAILED,	/* TCP connect refused, unreachable, ... */
	HEALTH_TIMEOUT,		/* not done within connect_timeout */
	HEALTH_CLOSED,		/* closed or reset before the dialogue ended */
	HEALTH_NOT_FTP,		/* a line that is no FTP reply, NUL, too long */
	HEALTH_GREETING_REFUSED,/* the greeting was not 220 (421 busy, ...) */
	HEALTH_NO_TLS,		/* AUTH TLS not answered with 234 */
	HEALTH_TLS_FAILED,	/* handshake failed, certificate refused */
	HEALTH_RESULT_COUNT
};

/* ---- the verdict ---- */

struct health_policy {
	unsigned rise;		/* good checks in a row that bring a down
				 * backend up (>= 1) */
	unsigned fall;		/* failed checks in a row that bring an up
				 * (or unknown) backend down (>= 1) */
};

/* One backend's verdict. A zeroed struct is unknown with no history. */
struct health_track {
	enum health_state state;
	unsigned ok_run;	/* good checks in a row (saturating) */
	unsigned fail_run;	/* failed checks in a row (saturating) */
};

enum health_change { HEALTH_SAME, HEALTH_WENT_UP, HEALTH_WENT_DOWN };

/*
 * health_track_result - count one check's result and say whether the state
 * changed. Up or unknown goes down after pol->fall failures in a row; down
 * comes up after pol->rise good checks in a row; unknown becomes up at the
 * first good check (it was already counted as up). Any other result resets
 * the opposite run, so flapping never changes the state.
 */
enum health_change health_track_result(struct health_track *t,
    const struct health_policy *pol, bool ok);

/* ---- one check's FTP dialogue ---- */

/* How the check speaks to the server: backend_tls. */
enum health_mode {
	HEALTH_MODE_EXPLICIT,	/* 220, AUTH TLS, 234, handshake, QUIT */
	HEALTH_MODE_IMPLICIT,	/* handshake, 220, QUIT */
	HEALTH_MODE_PLAIN,	/* 220, QUIT */
};

/* What the I/O side does next. */
enum health_act {
	HEALTH_ACT_READ,	/* read more bytes and feed them */
	HEALTH_ACT_SEND_AUTH,	/* send "AUTH TLS\r\n", then read */
	HEALTH_ACT_START_TLS,	/* drop every byte still unread (they came
				 * in clear), start the TLS handshake, then
				 * call health_dialog_secured */
	HEALTH_ACT_SEND_QUIT,	/* the check passed: send "QUIT\r\n" and
				 * read until the reply or the close */
	HEALTH_ACT_DONE,	/* the server answered QUIT (or closed):
				 * send close_notify and close */
	HEALTH_ACT_FAIL,	/* the check failed: *why says how */
};

enum health_phase {
	HEALTH_PH_CONNECT, HEALTH_PH_GREETING, HEALTH_PH_AUTH,
	HEALTH_PH_TLS, HEALTH_PH_QUIT, HEALTH_PH_OVER
};

/* A check's dialogue state; health_dialog_init makes it. */
struct health_dialog {
	enum health_mode mode;
	enum health_phase phase;
	struct ftp_framer fr;
	struct ftp_reply_parser rp;
	unsigned lines;			/* lines of the reply in progress */
	char seen[HEALTH_SEEN_MAX + 1];	/* the failing line, printable */
};

void health_dialog_init(struct health_dialog *d, enum health_mode mode);

/* The TCP connection is up: HEALTH_ACT_START_TLS (implicit) or READ. */
enum health_act health_dialog_connected(struct health_dialog *d);

/* The TLS handshake is done: READ (implicit: the greeting comes now) or
 * SEND_QUIT (explicit: the check passed). */
enum health_act health_dialog_secured(struct health_dialog *d);

/*
 * health_dialog_feed - feed the server's bytes p[0..len).
 * @consumed: set to the bytes used; the caller drops them and, when the
 *            answer is READ, reads more before the next call; for any
 *            other answer it acts first, then feeds the rest (START_TLS:
 *            drops the rest instead).
 * @why:      set on FAIL (and OK with SEND_QUIT and DONE).
 * A greeting may be preceded by 1xx lines and span many lines (at most
 * HEALTH_REPLY_LINES_MAX per reply); anything but 220 is GREETING_REFUSED,
 * anything but 234 to AUTH TLS is NO_TLS, a line that is no reply (or
 * holds a NUL, or is longer than FTP_LINE_MAX) is NOT_FTP. After QUIT any
 * complete reply, even a malformed one, ends the dialogue (DONE).
 */
enum health_act health_dialog_feed(struct health_dialog *d, const char *p,
    size_t len, size_t *consumed, enum health_result *why);

/* The server closed (or reset) the connection: DONE after QUIT (the
 * check passed), else FAIL with HEALTH_CLOSED. */
enum health_act health_dialog_eof(struct health_dialog *d,
    enum health_result *why);

/* What the dialogue waited for when it stopped, in words for the log
 * ("the greeting", "the reply to AUTH TLS", ...). Static string. */
const char *health_dialog_waiting(const struct health_dialog *d);

/* A result in the admin's words, e.g. "connection refused" comes from
 * errno and is not here; this gives "no FTP greeting (not an FTP
 * server?)" and the like. Static string; "" for HEALTH_OK. */
const char *health_result_words(enum health_result r);

/* ---- publishing the verdicts ---- */

/* Written by the checker's thread, read by every worker with a relaxed
 * load: one byte per backend, enum health_state. A zeroed board is all
 * unknown (up). */
struct health_board {
	_Atomic unsigned char state[HEALTH_BACKENDS_MAX];
};

static inline void
health_publish(struct health_board *b, unsigned idx, enum health_state s)
{
	if (idx < HEALTH_BACKENDS_MAX)
		atomic_store_explicit(&b->state[idx], (unsigned char)s,
		    memory_order_relaxed);
}

/* The checks' verdict on backend idx (unknown before the first, and with
 * no checks). */
static inline enum health_state
health_state_of(const struct health_board *b, unsigned idx)
{
	if (b == NULL || idx >= HEALTH_BACKENDS_MAX)
		return HEALTH_UNKNOWN;
	return (enum health_state)atomic_load_explicit(&b->state[idx],
	    memory_order_relaxed);
}

/* health_up - may backend idx get new sessions? True unless the checks
 * found it down (unknown counts as up; so does a NULL board: no checks). */
static inline bool
health_up(const struct health_board *b, unsigned idx)
{
	if (b == NULL || idx >= HEALTH_BACKENDS_MAX)
		return true;
	return atomic_load_explicit(&b->state[idx], memory_order_relaxed) !=
	    HEALTH_DOWN;
}

#endif
