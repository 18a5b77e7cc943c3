/* Unit tests for the health checks' pure half (proxy/health.c): the
 * verdict's rise/fall arithmetic, and the check dialogue fed server
 * transcripts, many of them rejections. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/health.h"
#include "proxy/limits.h"

/* ---- verdicts ---- */

/* Feed a string of results ('+' good, '-' failed) and return the states
 * after each as a string ('?' unknown, 'U' up, 'D' down), and the changes
 * ('^' up, 'v' down, '.' none). */
static void
run(const char *results, unsigned rise, unsigned fall, char *states,
    char *changes)
{
	const struct health_policy pol = { rise, fall };
	struct health_track t;
	size_t i;

	memset(&t, 0, sizeof(t));
	for (i = 0; results[i] != '\0'; i++) {
		enum health_change c = health_track_result(&t, &pol,
		    results[i] == '+');

		states[i] = t.state == HEALTH_UP ? 'U' : t.state == HEALTH_DOWN ?
		    'D' : '?';
		changes[i] = c == HEALTH_WENT_UP ? '^' : c == HEALTH_WENT_DOWN ?
		    'v' : '.';
	}
	states[i] = changes[i] = '\0';
}

struct track_row {
	const char *what, *results;
	unsigned rise, fall;
	const char *states, *changes;
};

static const struct track_row track_rows[] = {
	{ "first good check: up at once", "+", 2, 3, "U", "^" },
	{ "failures from unknown: down at exactly fall", "---", 2, 3, "??D",
	    "..v" },
	{ "fall 1: down at the first failure", "+-", 2, 1, "UD", "^v" },
	{ "up needs exactly rise good checks in a row", "---++", 2, 3,
	    "??DDU", "..v.^" },
	{ "rise 3", "---+++", 3, 3, "??DDDU", "..v..^" },
	{ "down needs exactly fall failures in a row", "+---", 2, 3, "UUUD",
	    "^..v" },
	{ "flapping while up never goes down", "+-+-+--+--+", 2, 3,
	    "UUUUUUUUUUU", "^.........." },
	{ "flapping while down never comes up", "---+-+-+-", 2, 3,
	    "??DDDDDDD", "..v......" },
	{ "a failure resets the good run", "---+-++", 2, 3, "??DDDDU",
	    "..v...^" },
	{ "a good check resets the failed run", "+--+--", 2, 3, "UUUUUU",
	    "^....." },
	{ "long down then up", "-----------++", 2, 3, "??DDDDDDDDDDU",
	    "..v.........^" },
	{ "rise 1 fall 1 follow every check", "+-+-", 1, 1, "UDUD", "^v^v" },
};

static void
test_track(void **state)
{
	char st[64], ch[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(track_rows) / sizeof(track_rows[0]); i++) {
		const struct track_row *r = &track_rows[i];

		run(r->results, r->rise, r->fall, st, ch);
		if (strcmp(st, r->states) != 0 || strcmp(ch, r->changes) != 0) {
			print_error("%s: %s gave %s %s, want %s %s\n", r->what,
			    r->results, st, ch, r->states, r->changes);
			fail();
		}
	}
}

static void
test_track_saturates(void **state)
{
	const struct health_policy pol = { 2, 3 };
	struct health_track t = { HEALTH_DOWN, 0, UINT32_MAX - 1 };

	(void)state;
	assert_int_equal(health_track_result(&t, &pol, false), HEALTH_SAME);
	assert_int_equal(health_track_result(&t, &pol, false), HEALTH_SAME);
	assert_true(t.fail_run > 3);
	assert_int_equal(t.state, HEALTH_DOWN);
}

static void
test_board(void **state)
{
	static struct health_board b;

	(void)state;
	assert_true(health_up(NULL, 0));
	assert_true(health_up(&b, 0));		/* unknown counts as up */
	health_publish(&b, 0, HEALTH_DOWN);
	assert_false(health_up(&b, 0));
	assert_true(health_up(&b, 1));
	health_publish(&b, 0, HEALTH_UP);
	assert_true(health_up(&b, 0));
	health_publish(&b, HEALTH_BACKENDS_MAX, HEALTH_DOWN);	/* ignored */
	assert_true(health_up(&b, HEALTH_BACKENDS_MAX));
}

/* ---- the dialogue ---- */

/*
 * A script: the mode and the server's bytes per step; between steps the
 * driver does what the dialogue asked (the handshake is "done" at once).
 * The result: the actions in order, one letter each (R read, A send AUTH,
 * T start TLS, Q send QUIT, D done, F fail), and the failure's result.
 */
static void
drive(enum health_mode mode, const char *const *steps, size_t n_steps,
    bool eof_at_end, char *acts, enum health_result *why)
{
	struct health_dialog d;
	enum health_act a;
	char buf[512];
	size_t k = 0, i, have = 0;

	*why = HEALTH_OK;
	health_dialog_init(&d, mode);
	a = health_dialog_connected(&d);
	for (i = 0; ; ) {
		if (a == HEALTH_ACT_START_TLS) {
			acts[k++] = 'T';
			a = health_dialog_secured(&d);
			continue;
		}
		if (a == HEALTH_ACT_SEND_AUTH)
			acts[k++] = 'A';
		else if (a == HEALTH_ACT_SEND_QUIT)
			acts[k++] = 'Q';
		else if (a == HEALTH_ACT_DONE) {
			acts[k++] = 'D';
			break;
		} else if (a == HEALTH_ACT_FAIL) {
			acts[k++] = 'F';
			break;
		}
		/* READ or after a send: the next step's bytes. */
		if (i == n_steps) {
			if (eof_at_end) {
				a = health_dialog_eof(&d, why);
				acts[k++] = a == HEALTH_ACT_DONE ? 'D' : 'F';
			}
			break;
		}
		{
			size_t add = strlen(steps[i]), c;

			/* Unconsumed bytes stay, the next ones join them. */
			memcpy(buf + have, steps[i], add);
			have += add;
			a = health_dialog_feed(&d, buf, have, &c, why);
			memmove(buf, buf + c, have - c);
			have -= c;
			/* START_TLS drops the rest (sent in clear); the
			 * scripts keep one reply per step otherwise. */
			if (a == HEALTH_ACT_START_TLS)
				have = 0;
			i++;
		}
	}
	acts[k] = '\0';
}

struct dialog_row {
	const char *what;
	enum health_mode mode;
	const char *steps[4];
	bool eof;
	const char *acts;
	enum health_result why;
};

#define EX HEALTH_MODE_EXPLICIT
#define IM HEALTH_MODE_IMPLICIT
#define PL HEALTH_MODE_PLAIN

static const struct dialog_row dialog_rows[] = {
	{ "explicit: 220, 234, handshake, QUIT, 221", EX,
	    { "220 ProFTPD Server\r\n", "234 AUTH TLS ok\r\n",
	    "221 Goodbye.\r\n" }, false, "ATQD", HEALTH_OK },
	{ "explicit: the server closes after QUIT", EX,
	    { "220 hi\r\n", "234 go\r\n" }, true, "ATQD", HEALTH_OK },
	{ "explicit: multi-line greeting with digit lines inside", EX,
	    { "220-Welcome\r\n 220 inside\r\n230 other code\r\n"
	    "220 ready\r\n", "234 go\r\n", "221 bye\r\n" }, false, "ATQD",
	    HEALTH_OK },
	{ "explicit: 120 before 220", EX, { "120 in 1 minute\r\n220 ok\r\n",
	    "234 go\r\n", "221 bye\r\n" }, false, "ATQD", HEALTH_OK },
	{ "explicit: bare LF lines", EX, { "220 ok\n", "234 go\n",
	    "221 bye\n" }, false, "ATQD", HEALTH_OK },
	{ "explicit: greeting in pieces", EX, { "22", "0 o", "k\r\n",
	    "234 go\r\n" }, true, "ATQD", HEALTH_OK },
	{ "421 greeting: refused", EX, { "421 Too many users\r\n" }, false,
	    "F", HEALTH_GREETING_REFUSED },
	{ "530 greeting: refused", PL, { "530 not for you\r\n" }, false, "F",
	    HEALTH_GREETING_REFUSED },
	{ "AUTH TLS refused", EX, { "220 ok\r\n",
	    "500 AUTH not understood\r\n" }, false, "AF", HEALTH_NO_TLS },
	{ "AUTH answered 334 (not TLS)", EX, { "220 ok\r\n", "334 ADAT\r\n" },
	    false, "AF", HEALTH_NO_TLS },
	{ "garbage instead of a greeting", EX, { "SSH-2.0-OpenSSH_9.2\r\n" },
	    false, "F", HEALTH_NOT_FTP },
	{ "HTTP server", PL, { "HTTP/1.1 400 Bad Request\r\n" }, false, "F",
	    HEALTH_NOT_FTP },
	{ "closed before the greeting", EX, { "" }, true, "F", HEALTH_CLOSED },
	{ "closed in the middle of the greeting", EX, { "220-a\r\n" }, true,
	    "F", HEALTH_CLOSED },
	{ "closed after AUTH TLS", EX, { "220 ok\r\n" }, true, "AF",
	    HEALTH_CLOSED },
	{ "implicit: handshake, 220, QUIT", IM, { "220 FTPS\r\n",
	    "221 bye\r\n" }, false, "TQD", HEALTH_OK },
	{ "implicit: 421 inside TLS", IM, { "421 busy\r\n" }, false, "TF",
	    HEALTH_GREETING_REFUSED },
	{ "plain: 220, QUIT", PL, { "220 ok\r\n", "221 bye\r\n" }, false,
	    "QD", HEALTH_OK },
	{ "plain: a bad reply to QUIT still ends it", PL, { "220 ok\r\n",
	    "garbage\r\n" }, false, "QD", HEALTH_OK },
	{ "a silent server: still reading", EX, { "" }, false, "R",
	    HEALTH_OK },
};

static void
test_dialog(void **state)
{
	char acts[32];
	enum health_result why;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(dialog_rows) / sizeof(dialog_rows[0]); i++) {
		const struct dialog_row *r = &dialog_rows[i];
		const char *want = r->acts;

		for (n = 0; n < 4 && r->steps[n] != NULL; n++)
			;
		drive(r->mode, r->steps, n, r->eof, acts, &why);
		/* "R": the dialogue is still reading, no action taken. */
		if (strcmp(want, "R") == 0)
			want = r->mode == IM ? "T" : "";
		if (strcmp(acts, want) != 0 || why != r->why) {
			print_error("%s: acts %s why %d, want %s why %d\n",
			    r->what, acts, (int)why, want, (int)r->why);
			fail();
		}
	}
}

/* Rows with bytes strlen cannot carry: NUL and over-long lines. */
static void
test_dialog_binary(void **state)
{
	struct health_dialog d;
	enum health_result why;
	size_t c, len = FTP_LINE_MAX + 10;
	char *big = malloc(len + 2);

	(void)state;
	assert_non_null(big);
	health_dialog_init(&d, EX);
	assert_int_equal(health_dialog_connected(&d), HEALTH_ACT_READ);
	assert_int_equal(health_dialog_feed(&d, "220 o\0k\r\n", 9, &c, &why),
	    HEALTH_ACT_FAIL);
	assert_int_equal(why, HEALTH_NOT_FTP);
	assert_string_equal(d.seen, "220 o?k");

	memset(big, 'x', len);
	memcpy(big, "220 ", 4);
	memcpy(big + len, "\r\n", 2);
	health_dialog_init(&d, EX);
	(void)health_dialog_connected(&d);
	assert_int_equal(health_dialog_feed(&d, big, len + 2, &c, &why),
	    HEALTH_ACT_FAIL);
	assert_int_equal(why, HEALTH_NOT_FTP);
	free(big);
}

/* A greeting of endless continuation lines is not an FTP server. */
static void
test_dialog_endless(void **state)
{
	struct health_dialog d;
	enum health_result why = HEALTH_OK;
	enum health_act a = HEALTH_ACT_READ;
	size_t c;
	unsigned i;

	(void)state;
	health_dialog_init(&d, PL);
	(void)health_dialog_connected(&d);
	assert_int_equal(health_dialog_feed(&d, "220-a\r\n", 7, &c, &why),
	    HEALTH_ACT_READ);
	for (i = 0; i < 2 * HEALTH_REPLY_LINES_MAX && a == HEALTH_ACT_READ;
	    i++)
		a = health_dialog_feed(&d, "more\r\n", 6, &c, &why);
	assert_int_equal(a, HEALTH_ACT_FAIL);
	assert_int_equal(why, HEALTH_NOT_FTP);
	assert_true(i <= HEALTH_REPLY_LINES_MAX);
}

/* Bytes after the line that asked for an action are left unconsumed. */
static void
test_dialog_consumed(void **state)
{
	struct health_dialog d;
	enum health_result why;
	const char *p = "220 ok\r\n234 early\r\n";
	size_t c;

	(void)state;
	health_dialog_init(&d, EX);
	(void)health_dialog_connected(&d);
	assert_int_equal(health_dialog_feed(&d, p, strlen(p), &c, &why),
	    HEALTH_ACT_SEND_AUTH);
	assert_int_equal(c, 8);
	assert_int_equal(health_dialog_feed(&d, p + c, strlen(p) - c, &c,
	    &why), HEALTH_ACT_START_TLS);
	assert_string_equal(health_dialog_waiting(&d), "the TLS handshake");
}

static void
test_words(void **state)
{
	int r;

	(void)state;
	assert_string_equal(health_result_words(HEALTH_OK), "");
	for (r = 1; r < HEALTH_RESULT_COUNT; r++)
		assert_true(strlen(health_result_words(
		    (enum health_result)r)) > 5);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_track),
		cmocka_unit_test(test_track_saturates),
		cmocka_unit_test(test_board),
		cmocka_unit_test(test_dialog),
		cmocka_unit_test(test_dialog_binary),
		cmocka_unit_test(test_dialog_endless),
		cmocka_unit_test(test_dialog_consumed),
		cmocka_unit_test(test_words),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
