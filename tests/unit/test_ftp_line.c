/* Unit tests for the control-channel framer (proxy/ftp_line.c), as tables. */
#include "proxy/ftp_line.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/limits.h"

/* A byte string that may hold NULs: the literal and its length. */
#define B(s)	{ (s), sizeof(s) - 1 }

struct bytes {
	const char *p;
	size_t len;
};

static const char *
frame_name(enum ftp_frame r)
{
	switch (r) {
	case FTP_FRAME_LINE:
		return "LINE";
	case FTP_FRAME_MORE:
		return "MORE";
	case FTP_FRAME_TOO_LONG:
		return "TOO_LONG";
	case FTP_FRAME_NUL:
		return "NUL";
	}
	return "?";
}

/* ---- one call: exact result, line length, consumed and framer state ---- */

struct step_row {
	struct bytes in;
	size_t max;
	bool discarding;	/* framer state before the call */
	enum ftp_frame want;
	size_t line_len;
	size_t consumed;
	bool discarding_after;
};

static const struct step_row step_rows[] = {
	/* good lines */
	{ B("USER bob\r\n"), 16, false, FTP_FRAME_LINE, 8, 10, false },
	{ B("USER bob\n"), 16, false, FTP_FRAME_LINE, 8, 9, false },
	{ B("\r\n"), 16, false, FTP_FRAME_LINE, 0, 2, false },
	{ B("\n"), 16, false, FTP_FRAME_LINE, 0, 1, false },
	{ B("a\r\nb\r\n"), 16, false, FTP_FRAME_LINE, 1, 3, false },
	/* only one CR is removed; the other is the peer's business */
	{ B("a\r\r\n"), 16, false, FTP_FRAME_LINE, 2, 4, false },
	/* a CR not before LF stays in the line */
	{ B("a\rb\n"), 16, false, FTP_FRAME_LINE, 3, 4, false },
	/* exactly max, with CRLF and with LF */
	{ B("12345678\r\n"), 8, false, FTP_FRAME_LINE, 8, 10, false },
	{ B("12345678\n"), 8, false, FTP_FRAME_LINE, 8, 9, false },
	{ B("\r\n"), 0, false, FTP_FRAME_LINE, 0, 2, false },

	/* partial lines: nothing consumed */
	{ B(""), 8, false, FTP_FRAME_MORE, 0, 0, false },
	{ B("USER"), 8, false, FTP_FRAME_MORE, 0, 0, false },
	{ B("12345678"), 8, false, FTP_FRAME_MORE, 0, 0, false },
	/* max bytes then CR: the LF may still come */
	{ B("12345678\r"), 8, false, FTP_FRAME_MORE, 0, 0, false },
	/* NUL in a partial line is reported only when the line is whole */
	{ B("ab\0c"), 8, false, FTP_FRAME_MORE, 0, 0, false },

	/* too long, whole line present: consumed with its LF, no discarding */
	{ B("123456789\r\n"), 8, false, FTP_FRAME_TOO_LONG, 0, 11, false },
	{ B("123456789\n"), 8, false, FTP_FRAME_TOO_LONG, 0, 10, false },
	{ B("12345678\r\r\n"), 8, false, FTP_FRAME_TOO_LONG, 0, 11, false },
	{ B("123456789\nok\n"), 8, false, FTP_FRAME_TOO_LONG, 0, 10, false },
	{ B("a\n"), 0, false, FTP_FRAME_TOO_LONG, 0, 2, false },
	/* too long, no LF yet: all consumed, rest discarded later */
	{ B("123456789"), 8, false, FTP_FRAME_TOO_LONG, 0, 9, true },
	{ B("12345678\r\r"), 8, false, FTP_FRAME_TOO_LONG, 0, 10, true },
	{ B("12345678x"), 8, false, FTP_FRAME_TOO_LONG, 0, 9, true },
	/* too long wins over NUL */
	{ B("1234\0""56789\n"), 8, false, FTP_FRAME_TOO_LONG, 0, 11, false },

	/* NUL: the whole line is consumed */
	{ B("ab\0c\r\n"), 8, false, FTP_FRAME_NUL, 0, 6, false },
	{ B("\0\n"), 8, false, FTP_FRAME_NUL, 0, 2, false },
	{ B("\0\r\nok\r\n"), 8, false, FTP_FRAME_NUL, 0, 3, false },
	{ B("USER \0\n"), 8, false, FTP_FRAME_NUL, 0, 7, false },

	/* discarding: up to and including LF, then MORE so the caller
	 * calls again with the next line at p */
	{ B("xyz"), 8, true, FTP_FRAME_MORE, 0, 3, true },
	{ B("xyz\n"), 8, true, FTP_FRAME_MORE, 0, 4, false },
	{ B("xyz\r\nNOOP\r\n"), 8, true, FTP_FRAME_MORE, 0, 5, false },
	{ B("\n"), 8, true, FTP_FRAME_MORE, 0, 1, false },
	{ B(""), 8, true, FTP_FRAME_MORE, 0, 0, true },
	{ B("\0\0\n"), 8, true, FTP_FRAME_MORE, 0, 3, false },
};

static void
test_frame_step(void **state)
{
	size_t i, line_len, consumed;
	struct ftp_framer f;
	enum ftp_frame r;

	(void)state;
	for (i = 0; i < sizeof(step_rows) / sizeof(step_rows[0]); i++) {
		const struct step_row *t = &step_rows[i];
		/* exactly len bytes on the heap: ASan sees any overread */
		char *in = malloc(t->in.len > 0 ? t->in.len : 1);

		assert_non_null(in);
		memcpy(in, t->in.p, t->in.len);
		f.discarding = t->discarding;
		line_len = 99;
		consumed = 99;
		r = ftp_frame_next(&f, in, t->in.len, t->max, &line_len,
		    &consumed);
		free(in);
		if (r != t->want || consumed != t->consumed ||
		    (r == FTP_FRAME_LINE && line_len != t->line_len) ||
		    f.discarding != t->discarding_after)
			fail_msg("step row %zu: got %s len %zu consumed %zu "
			    "discarding %d; want %s len %zu consumed %zu "
			    "discarding %d", i, frame_name(r), line_len,
			    consumed, f.discarding, frame_name(t->want),
			    t->line_len, t->consumed, t->discarding_after);
	}
}

/* ---- streams: a caller feeding chunks and collecting events ---- */

#define MAX_CHUNKS	6
#define MAX_EVENTS	10

struct event {
	enum ftp_frame kind;	/* LINE, NUL or TOO_LONG; MORE is no event */
	const char *line;	/* for LINE */
};

struct stream_row {
	const char *name;
	size_t max;
	struct bytes chunks[MAX_CHUNKS];
	struct event want[MAX_EVENTS];
	size_t nwant;
	size_t left;		/* bytes of an unfinished line left buffered */
};

#define LINE(s)		{ FTP_FRAME_LINE, (s) }
#define NUL		{ FTP_FRAME_NUL, NULL }
#define LONG		{ FTP_FRAME_TOO_LONG, NULL }

static const struct stream_row stream_rows[] = {
	{ "many lines in one buffer", 16,
	    { B("USER a\r\nPASS b\r\nSYST\nPWD\r\n\r\n") },
	    { LINE("USER a"), LINE("PASS b"), LINE("SYST"), LINE("PWD"),
	    LINE("") }, 5, 0 },
	{ "line split byte-wise over CR and LF", 16,
	    { B("NO"), B("OP"), B("\r"), B("\n"), B("QU") },
	    { LINE("NOOP") }, 1, 2 },
	{ "partial line stays buffered", 16,
	    { B("RETR fi") }, { { FTP_FRAME_MORE, NULL } }, 0, 7 },
	{ "max+1 then rest over several calls, next line whole", 8,
	    { B("123456789"), B("abcdef"), B("ghij\r"), B("\nNOOP\r\n") },
	    { LONG, LINE("NOOP") }, 2, 0 },
	{ "over-long line ending in the same chunk", 8,
	    { B("0123456789abcdef\r\nSYST\r\n") },
	    { LONG, LINE("SYST") }, 2, 0 },
	{ "over-long line, LF alone in its chunk", 8,
	    { B("0123456789"), B("\n"), B("PWD\n") },
	    { LONG, LINE("PWD") }, 2, 0 },
	{ "two over-long lines in a row", 4,
	    { B("aaaaaaa"), B("a\nbbbbbbbb"), B("b\nok\n") },
	    { LONG, LONG, LINE("ok") }, 3, 0 },
	{ "exactly max with CR arriving late", 8,
	    { B("12345678"), B("\r"), B("\n") },
	    { LINE("12345678") }, 1, 0 },
	{ "max then CR then junk is too long", 8,
	    { B("12345678\r"), B("x\nNOOP\n") },
	    { LONG, LINE("NOOP") }, 2, 0 },
	{ "NUL line between good lines", 16,
	    { B("USER a\r\nPA\0SS\r\nSYST\r\n") },
	    { LINE("USER a"), NUL, LINE("SYST") }, 3, 0 },
	{ "NUL line split across chunks", 16,
	    { B("a\0"), B("b"), B("\nc\n") },
	    { NUL, LINE("c") }, 2, 0 },
	{ "bare LF and CRLF mixed", 16,
	    { B("a\nb\r\nc\n") },
	    { LINE("a"), LINE("b"), LINE("c") }, 3, 0 },
};

static void
run_stream(size_t row, const struct stream_row *t)
{
	char buf[64];
	size_t have = 0, ne = 0, c, line_len, consumed;
	struct ftp_framer f = { 0 };
	enum ftp_frame r;

	for (c = 0; c < MAX_CHUNKS && t->chunks[c].p != NULL; c++) {
		assert_true(have + t->chunks[c].len <= sizeof(buf));
		memcpy(buf + have, t->chunks[c].p, t->chunks[c].len);
		have += t->chunks[c].len;
		for (;;) {
			r = ftp_frame_next(&f, buf, have, t->max, &line_len,
			    &consumed);
			assert_true(consumed <= have);
			if (r != FTP_FRAME_MORE) {
				if (ne >= t->nwant)
					fail_msg("stream row %zu (%s): extra "
					    "event %s", row, t->name,
					    frame_name(r));
				if (r != t->want[ne].kind)
					fail_msg("stream row %zu (%s): event "
					    "%zu is %s, want %s", row, t->name,
					    ne, frame_name(r),
					    frame_name(t->want[ne].kind));
				if (r == FTP_FRAME_LINE &&
				    (line_len != strlen(t->want[ne].line) ||
				    memcmp(buf, t->want[ne].line,
				    line_len) != 0))
					fail_msg("stream row %zu (%s): line "
					    "%zu is \"%.*s\", want \"%s\"",
					    row, t->name, ne, (int)line_len,
					    buf, t->want[ne].line);
				ne++;
			}
			memmove(buf, buf + consumed, have - consumed);
			have -= consumed;
			if (r == FTP_FRAME_MORE && consumed == 0)
				break;
		}
	}
	if (ne != t->nwant)
		fail_msg("stream row %zu (%s): %zu events, want %zu", row,
		    t->name, ne, t->nwant);
	if (have != t->left)
		fail_msg("stream row %zu (%s): %zu bytes left, want %zu", row,
		    t->name, have, t->left);
}

static void
test_frame_stream(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(stream_rows) / sizeof(stream_rows[0]); i++)
		run_stream(i, &stream_rows[i]);
}

/* ---- the real limit: FTP_LINE_MAX and FTP_LINE_MAX + 1 ---- */

static void
test_frame_real_max(void **state)
{
	static char buf[FTP_LINE_MAX + 16];
	size_t line_len, consumed;
	struct ftp_framer f = { 0 };

	(void)state;
	memset(buf, 'a', sizeof(buf));
	buf[FTP_LINE_MAX] = '\r';
	buf[FTP_LINE_MAX + 1] = '\n';
	assert_int_equal(ftp_frame_next(&f, buf, FTP_LINE_MAX + 2,
	    FTP_LINE_MAX, &line_len, &consumed), FTP_FRAME_LINE);
	assert_int_equal(line_len, FTP_LINE_MAX);
	assert_int_equal(consumed, FTP_LINE_MAX + 2);

	memset(buf, 'a', sizeof(buf));
	buf[FTP_LINE_MAX + 1] = '\r';
	buf[FTP_LINE_MAX + 2] = '\n';
	assert_int_equal(ftp_frame_next(&f, buf, FTP_LINE_MAX + 3,
	    FTP_LINE_MAX, &line_len, &consumed), FTP_FRAME_TOO_LONG);
	assert_int_equal(consumed, FTP_LINE_MAX + 3);
	assert_false(f.discarding);

	/* no LF yet: detected as soon as max + 2 bytes are in */
	memset(buf, 'a', sizeof(buf));
	assert_int_equal(ftp_frame_next(&f, buf, FTP_LINE_MAX + 1,
	    FTP_LINE_MAX, &line_len, &consumed), FTP_FRAME_TOO_LONG);
	assert_int_equal(consumed, FTP_LINE_MAX + 1);
	assert_true(f.discarding);
}

/* A huge max must not overflow the "max + 1" reasoning. */
static void
test_frame_huge_max(void **state)
{
	size_t line_len, consumed;
	struct ftp_framer f = { 0 };

	(void)state;
	assert_int_equal(ftp_frame_next(&f, "abc", 3, SIZE_MAX, &line_len,
	    &consumed), FTP_FRAME_MORE);
	assert_int_equal(consumed, 0);
	assert_int_equal(ftp_frame_next(&f, "abc\n", 4, SIZE_MAX, &line_len,
	    &consumed), FTP_FRAME_LINE);
	assert_int_equal(line_len, 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frame_step),
		cmocka_unit_test(test_frame_stream),
		cmocka_unit_test(test_frame_real_max),
		cmocka_unit_test(test_frame_huge_max),
	};

	printf("ftp_line: %zu step rows, %zu stream rows\n",
	    sizeof(step_rows) / sizeof(step_rows[0]),
	    sizeof(stream_rows) / sizeof(stream_rows[0]));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
