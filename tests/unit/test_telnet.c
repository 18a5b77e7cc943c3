/* Unit tests for the Telnet layer of the control channel (proxy/telnet.c),
 * as tables: what each side's bytes decode to, fed whole, in every split
 * and in place as the session decodes them; refusals; escaping. */
#include "proxy/telnet.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A byte string that may hold NULs: the literal and its length. */
#define B(s)	{ (s), sizeof(s) - 1 }

struct bytes {
	const char *p;
	size_t len;
};

#define MAX_OUT		128
#define MAX_NEG		8

/* What a stream decoded to: data, the negotiations seen (verb, option),
 * the refusals a caller would send, and the bytes left unconsumed. */
struct result {
	char out[MAX_OUT];
	size_t out_len;
	unsigned char neg[MAX_NEG][2];
	size_t nneg;
	char refusals[MAX_NEG * TELNET_REFUSAL_LEN];
	size_t ref_len;
	size_t left;
};

#define C	TELNET_COMMANDS
#define R	TELNET_REPLIES

struct row {
	enum telnet_side side;
	const char *name;
	struct bytes in;
	struct bytes want;
	struct bytes refusals;	/* telnet_refusal's answers, in order */
	size_t nneg;		/* negotiations reported */
	size_t left;		/* a trailing IAC left for the next read */
};

static const struct row rows[] = {
	/* ---- client side ---- */
	{ C, "plain command", B("NOOP\r\n"), B("NOOP\r\n"), B(""), 0, 0 },
	{ C, "IAC IAC is one 0xFF", B("CWD \xff\xff\xfe\r\n"),
	    B("CWD \xff\xfe\r\n"), B(""), 0, 0 },
	{ C, "non-UTF-8 bytes 0x80-0xFE are data", B("CWD \x80\xe9\xfe\r\n"),
	    B("CWD \x80\xe9\xfe\r\n"), B(""), 0, 0 },
	{ C, "UTF-8 is data", B("CWD \xc3\xa9t\xc3\xa9\r\n"),
	    B("CWD \xc3\xa9t\xc3\xa9\r\n"), B(""), 0, 0 },
	{ C, "IP and DM before ABOR", B("\xff\xf4\xff\xf2" "ABOR\r\n"),
	    B("ABOR\r\n"), B(""), 0, 0 },
	{ C, "every two-byte command", B("\xff\xf0\xff\xf1\xff\xf2\xff\xf3"
	    "\xff\xf4\xff\xf5\xff\xf6\xff\xf7\xff\xf8\xff\xf9X"), B("X"),
	    B(""), 0, 0 },
	{ C, "WILL is refused with DONT", B("\xff\xfb\x18NOOP\r\n"),
	    B("NOOP\r\n"), B("\xff\xfe\x18"), 1, 0 },
	{ C, "DO is refused with WONT", B("NO\xff\xfd\x01OP\r\n"),
	    B("NOOP\r\n"), B("\xff\xfc\x01"), 1, 0 },
	{ C, "WONT and DONT are not acknowledged",
	    B("\xff\xfc\x01\xff\xfe\x01NOOP\r\n"), B("NOOP\r\n"), B(""), 2, 0 },
	{ C, "an option is refused once", B("\xff\xfb\x18\xff\xfb\x18\xff\xfd"
	    "\x18\xff\xfb\x19"), B(""), B("\xff\xfe\x18\xff\xfc\x18\xff\xfe"
	    "\x19"), 4, 0 },
	{ C, "option 255", B("\xff\xfb\xff"), B(""), B("\xff\xfe\xff"), 1, 0 },
	{ C, "unescaped 0xFF 0xFE is DONT, as ProFTPD reads it",
	    B("CWD \xff\xfe\x80" "abc\r\n"), B("CWD abc\r\n"), B(""), 1, 0 },
	{ C, "IAC before a non-command byte: both are data",
	    B("CWD \xff" "a\xff\xe9\r\n"), B("CWD \xff" "a\xff\xe9\r\n"), B(""),
	    0, 0 },
	{ C, "IAC NUL is data (the framer refuses the NUL)", B("\xff\0\n"),
	    B("\xff\0\n"), B(""), 0, 0 },
	{ C, "subnegotiation removed, IAC IAC inside it",
	    B("\xff\xfa\x18\x01\xff\xff\xff\xf0NOOP\r\n"), B("NOOP\r\n"), B(""),
	    0, 0 },
	{ C, "IAC and another byte inside a subnegotiation",
	    B("\xff\xfa\x18\xff\x01x\xff\xf0OK\n"), B("OK\n"), B(""), 0, 0 },
	{ C, "a line feed ends a subnegotiation",
	    B("CWD \xff\xfa" "abc\r\nNOOP\r\n"), B("CWD \nNOOP\r\n"), B(""), 0,
	    0 },
	{ C, "a line feed ends IAC SB IAC", B("\xff\xfa\xff\nX"), B("\nX"),
	    B(""), 0, 0 },
	{ C, "a line feed is no option byte", B("NOOP\xff\xfb\nPWD\r\n"),
	    B("NOOP\nPWD\r\n"), B(""), 0, 0 },
	{ C, "IAC LF: both data, the line ends", B("A\xff\nB"), B("A\xff\nB"),
	    B(""), 0, 0 },
	{ C, "IAC CR LF", B("A\xff\r\n"), B("A\xff\r\n"), B(""), 0, 0 },
	{ C, "CR is an option byte like any", B("A\xff\xfb\r\n"), B("A\n"),
	    B("\xff\xfe\r"), 1, 0 },
	{ C, "trailing IAC waits for its next byte", B("NOOP\xff"), B("NOOP"),
	    B(""), 0, 1 },
	{ C, "trailing IAC IAC IAC", B("\xff\xff\xff"), B("\xff"), B(""), 0,
	    1 },
	{ C, "IAC WILL at the end waits in the state", B("X\xff\xfb"), B("X"),
	    B(""), 0, 0 },
	{ C, "empty", B(""), B(""), B(""), 0, 0 },

	/* ---- server side ---- */
	{ R, "plain reply", B("200 OK\r\n"), B("200 OK\r\n"), B(""), 0, 0 },
	{ R, "ProFTPD's refusal before the code",
	    B("\xff\xfc\x80" "550 abc: No such file or directory\r\n"),
	    B("550 abc: No such file or directory\r\n"), B(""), 1, 0 },
	{ R, "several negotiations before a greeting",
	    B("\xff\xfb\x01\xff\xfd\x03\xff\xfe\x18" "220 hi\r\n"),
	    B("220 hi\r\n"), B(""), 3, 0 },
	{ R, "unescaped path bytes in a line are kept",
	    B("257 \"/\xff\xfe\x80\" is the current directory\r\n"),
	    B("257 \"/\xff\xfe\x80\" is the current directory\r\n"), B(""), 0,
	    0 },
	{ R, "IAC IAC in a line is kept escaped", B("550 \xff\xff: no\r\n"),
	    B("550 \xff\xff: no\r\n"), B(""), 0, 0 },
	{ R, "negotiation inside a line is text",
	    B("200 a\xff\xfb\x01" "b\r\n"), B("200 a\xff\xfb\x01" "b\r\n"),
	    B(""), 0, 0 },
	{ R, "IAC IAC at a line start is data", B("\xff\xff\xfb\x01 x\r\n"),
	    B("\xff\xff\xfb\x01 x\r\n"), B(""), 0, 0 },
	{ R, "inner lines of a multi-line reply",
	    B("211-Features:\r\n\xff\xfb\x01 AUTH TLS\r\n\xff\xf1"
	    "211 End\r\n"),
	    B("211-Features:\r\n AUTH TLS\r\n211 End\r\n"), B(""), 1, 0 },
	{ R, "subnegotiation at a line start",
	    B("\xff\xfa\x18\0\xff\xff\xff\xf0" "200 ok\r\n"), B("200 ok\r\n"),
	    B(""), 0, 0 },
	{ R, "IAC before a non-command byte at a line start",
	    B("\xff" "a\r\n\xff\n200\r\n"), B("\xff" "a\r\n\xff\n200\r\n"),
	    B(""), 0, 0 },
	{ R, "a line feed is no option byte", B("\xff\xfb\n200 ok\r\n"),
	    B("\n200 ok\r\n"), B(""), 0, 0 },
	{ R, "empty line, then a refusal", B("\r\n\xff\xfc\x01" "200\r\n"),
	    B("\r\n200\r\n"), B(""), 1, 0 },
	{ R, "trailing IAC at a line start", B("200 x\r\n\xff"),
	    B("200 x\r\n"), B(""), 0, 1 },
	{ R, "trailing IAC inside a line is text", B("200 x\xff"),
	    B("200 x\xff"), B(""), 0, 0 },
};

/*
 * Decode t->in as the session does: chunks cut at the offsets in cuts[]
 * (ascending, ncuts of them) are appended to one buffer and decoded in
 * place after what was decoded before, the unconsumed IAC kept in front of
 * the next chunk; the client's negotiations get telnet_refusal. With separate,
 * each chunk instead is decoded from an exact-size heap copy into another
 * buffer, so ASan sees any read past it.
 */
static void
decode_stream(const struct row *t, const size_t *cuts, size_t ncuts,
    bool separate, struct result *res)
{
	char buf[MAX_OUT + 8];
	struct telnet_dec d;
	size_t c, from = 0, dec = 0, len = 0;

	memset(res, 0, sizeof(*res));
	telnet_init(&d, t->side);
	for (c = 0; c <= ncuts; c++) {
		size_t to = c < ncuts ? cuts[c] : t->in.len;
		size_t at, n, used = 0, produced = 0, u, p;
		char *in = NULL;
		enum telnet_result r;

		assert_true(to >= from && len + (to - from) <= sizeof(buf));
		memcpy(buf + len, t->in.p + from, to - from);
		len += to - from;
		from = to;
		at = dec;
		n = len - dec;
		if (separate) {
			in = malloc(n > 0 ? n : 1);
			assert_non_null(in);
			memcpy(in, buf + at, n);
		}
		do {
			r = telnet_decode(&d, (separate ? in : buf + at) + used,
			    n - used, buf + at + produced, &u, &p);
			assert_true(u <= n - used && p <= u);
			used += u;
			produced += p;
			if (r == TELNET_NEGOTIATION) {
				assert_true(res->nneg < MAX_NEG);
				res->neg[res->nneg][0] = d.verb;
				res->neg[res->nneg][1] = d.opt;
				res->nneg++;
				/* The session answers the client only. */
				if (t->side == TELNET_COMMANDS)
					res->ref_len += telnet_refusal(&d,
					    res->refusals + res->ref_len);
			}
		} while (r == TELNET_NEGOTIATION);
		assert_true(used == n || (used == n - 1 &&
		    (unsigned char)(separate ? in : buf + at)[used] ==
		    TELNET_IAC));
		/* The unconsumed byte moves down to just after the output. */
		memmove(buf + at + produced, (separate ? in : buf + at) + used,
		    n - used);
		free(in);
		dec = at + produced;
		len = dec + (n - used);
	}
	assert_true(dec <= MAX_OUT);
	memcpy(res->out, buf, dec);
	res->out_len = dec;
	res->left = len - dec;
}

static void
check_result(const struct row *t, const struct result *res,
    const char *how)
{
	if (res->out_len != t->want.len ||
	    memcmp(res->out, t->want.p, t->want.len) != 0)
		fail_msg("%s (%s): output differs (%zu bytes, want %zu)",
		    t->name, how, res->out_len, t->want.len);
	if (res->nneg != t->nneg)
		fail_msg("%s (%s): %zu negotiations, want %zu", t->name, how,
		    res->nneg, t->nneg);
	if (res->ref_len != t->refusals.len ||
	    memcmp(res->refusals, t->refusals.p, t->refusals.len) != 0)
		fail_msg("%s (%s): refusals differ (%zu bytes, want %zu)",
		    t->name, how, res->ref_len, t->refusals.len);
	if (res->left != t->left)
		fail_msg("%s (%s): %zu bytes left, want %zu", t->name, how,
		    res->left, t->left);
}

/* Every row, whole, cut once at every offset, cut twice at every pair,
 * and byte by byte; in place and from exact-size copies. */
static void
test_decode_rows(void **state)
{
	size_t i, a, b, k, cuts[MAX_OUT];
	struct result res;
	int sep;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *t = &rows[i];

		assert_true(t->in.len < MAX_OUT);
		for (sep = 0; sep < 2; sep++) {
			decode_stream(t, NULL, 0, sep, &res);
			check_result(t, &res, "whole");
			for (a = 0; a <= t->in.len; a++) {
				cuts[0] = a;
				decode_stream(t, cuts, 1, sep, &res);
				check_result(t, &res, "one cut");
				for (b = a; b <= t->in.len && t->in.len < 24;
				    b++) {
					cuts[1] = b;
					decode_stream(t, cuts, 2, sep, &res);
					check_result(t, &res, "two cuts");
				}
			}
			for (k = 0; k < t->in.len; k++)
				cuts[k] = k + 1;
			decode_stream(t, cuts, t->in.len, sep, &res);
			check_result(t, &res, "byte by byte");
		}
	}
}

/* ---- one call: the exact contract ---- */

struct step_row {
	enum telnet_side side;
	struct bytes in;
	enum telnet_result want;
	size_t used, produced;
	unsigned char verb, opt;	/* for TELNET_NEGOTIATION */
};

static const struct step_row step_rows[] = {
	{ C, B("NOOP\r\n"), TELNET_DONE, 6, 6, 0, 0 },
	{ C, B("NO\xff\xfb\x05OP"), TELNET_NEGOTIATION, 5, 2, TELNET_WILL, 5 },
	{ C, B("\xff\xfe\x07"), TELNET_NEGOTIATION, 3, 0, TELNET_DONT, 7 },
	{ C, B("ab\xff"), TELNET_DONE, 2, 2, 0, 0 },
	{ C, B("\xff"), TELNET_DONE, 0, 0, 0, 0 },
	{ C, B("\xff\xff"), TELNET_DONE, 2, 1, 0, 0 },
	{ C, B("\xff\xfb"), TELNET_DONE, 2, 0, 0, 0 },
	{ C, B("\xff\xfa\x01\x02"), TELNET_DONE, 4, 0, 0, 0 },
	{ R, B("\xff\xfc\x01" "200"), TELNET_NEGOTIATION, 3, 0, TELNET_WONT,
	    1 },
	{ R, B("200 \xff"), TELNET_DONE, 5, 5, 0, 0 },
	{ R, B("\xff\xff"), TELNET_DONE, 2, 2, 0, 0 },
	{ R, B("\xff"), TELNET_DONE, 0, 0, 0, 0 },
};

static void
test_decode_step(void **state)
{
	char out[64];
	struct telnet_dec d;
	size_t i, used, produced;
	enum telnet_result r;

	(void)state;
	for (i = 0; i < sizeof(step_rows) / sizeof(step_rows[0]); i++) {
		const struct step_row *t = &step_rows[i];
		char *in = malloc(t->in.len > 0 ? t->in.len : 1);

		assert_non_null(in);
		memcpy(in, t->in.p, t->in.len);
		telnet_init(&d, t->side);
		used = produced = 99;
		r = telnet_decode(&d, in, t->in.len, out, &used, &produced);
		free(in);
		if (r != t->want || used != t->used ||
		    produced != t->produced || (r == TELNET_NEGOTIATION &&
		    (d.verb != t->verb || d.opt != t->opt)))
			fail_msg("step row %zu: got %d used %zu produced %zu "
			    "verb %u opt %u", i, (int)r, used, produced, d.verb,
			    d.opt);
	}
}

/* A refusal answers only the negotiation just reported, and only once. */
static void
test_refusal(void **state)
{
	char out[TELNET_REFUSAL_LEN];
	struct telnet_dec d;
	size_t used, produced;

	(void)state;
	telnet_init(&d, TELNET_COMMANDS);
	/* Nothing reported yet: nothing to refuse. */
	assert_int_equal(telnet_refusal(&d, out), 0);
	assert_int_equal(telnet_decode(&d, "\xff\xfd\x22", 3, out, &used,
	    &produced), TELNET_NEGOTIATION);
	assert_int_equal(telnet_refusal(&d, out), TELNET_REFUSAL_LEN);
	assert_memory_equal(out, "\xff\xfc\x22", TELNET_REFUSAL_LEN);
	assert_int_equal(telnet_refusal(&d, out), 0);
	/* telnet_init forgets what was refused (a new TLS layer). */
	telnet_init(&d, TELNET_COMMANDS);
	assert_int_equal(telnet_decode(&d, "\xff\xfd\x22", 3, out, &used,
	    &produced), TELNET_NEGOTIATION);
	assert_int_equal(telnet_refusal(&d, out), TELNET_REFUSAL_LEN);
}

/* All 256 options of both requests are refused once each. */
static void
test_refusal_all_options(void **state)
{
	char in[3], out[TELNET_REFUSAL_LEN];
	struct telnet_dec d;
	size_t used, produced;
	unsigned opt, v, n = 0;

	(void)state;
	telnet_init(&d, TELNET_COMMANDS);
	for (v = 0; v < 2; v++) {
		for (opt = 0; opt < 256; opt++) {
			in[0] = (char)TELNET_IAC;
			in[1] = (char)(v == 0 ? TELNET_WILL : TELNET_DO);
			in[2] = (char)opt;
			if (opt == '\n')
				continue;
			assert_int_equal(telnet_decode(&d, in, 3, out, &used,
			    &produced), TELNET_NEGOTIATION);
			n += telnet_refusal(&d, out) / TELNET_REFUSAL_LEN;
			assert_int_equal(telnet_decode(&d, in, 3, out, &used,
			    &produced), TELNET_NEGOTIATION);
			assert_int_equal(telnet_refusal(&d, out), 0);
		}
	}
	assert_int_equal(n, 2 * 255);
}

/* ---- escaping toward the server ---- */

struct enc_row {
	struct bytes in, want;
};

static const struct enc_row enc_rows[] = {
	{ B(""), B("") },
	{ B("CWD abc"), B("CWD abc") },
	{ B("\xff"), B("\xff\xff") },
	{ B("CWD \xff\xfe\x80\xff"), B("CWD \xff\xff\xfe\x80\xff\xff") },
	{ B("\xff\xff"), B("\xff\xff\xff\xff") },
	{ B("\0\r\xfe"), B("\0\r\xfe") },
};

static void
test_encode(void **state)
{
	char out[64];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(enc_rows) / sizeof(enc_rows[0]); i++) {
		const struct enc_row *t = &enc_rows[i];

		assert_int_equal(telnet_encoded_len(t->in.p, t->in.len),
		    t->want.len);
		assert_true(telnet_encode(t->in.p, t->in.len, out, sizeof(out),
		    &n));
		assert_int_equal(n, t->want.len);
		assert_memory_equal(out, t->want.p, n);
		/* exactly enough room, and one byte short */
		assert_true(telnet_encode(t->in.p, t->in.len, out, t->want.len,
		    &n));
		if (t->want.len > 0) {
			assert_false(telnet_encode(t->in.p, t->in.len, out,
			    t->want.len - 1, &n));
			assert_int_equal(n, 0);
		}
	}
}

/* The server reads back exactly what the client meant: decoding what was
 * escaped gives the data again, for every byte value and for random
 * strings (a fixed seed: the same strings every run). */
static void
test_round_trip(void **state)
{
	char data[64], wire[128], back[128];
	struct telnet_dec d;
	size_t i, k, n, w, used, produced;
	uint32_t x = 2640;

	(void)state;
	for (i = 0; i < 256 + 2000; i++) {
		if (i < 256) {
			n = 2;
			data[0] = (char)i;
			data[1] = (char)(255 - i);
		} else {
			x = x * 1103515245u + 12345u;
			n = (x >> 16) % sizeof(data);
			for (k = 0; k < n; k++) {
				x = x * 1103515245u + 12345u;
				/* Mostly 0xFF and Telnet command bytes. */
				data[k] = (char)((x >> 16) & 1 ? 0xf0u +
				    ((x >> 20) & 0xfu) : (x >> 24) & 0xffu);
			}
		}
		assert_true(telnet_encode(data, n, wire, sizeof(wire), &w));
		telnet_init(&d, TELNET_COMMANDS);
		assert_int_equal(telnet_decode(&d, wire, w, back, &used,
		    &produced), TELNET_DONE);
		assert_int_equal(used, w);
		assert_int_equal(produced, n);
		assert_memory_equal(back, data, n);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_rows),
		cmocka_unit_test(test_decode_step),
		cmocka_unit_test(test_refusal),
		cmocka_unit_test(test_refusal_all_options),
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_round_trip),
	};

	printf("telnet: %zu stream rows, %zu step rows, %zu escaping rows\n",
	    sizeof(rows) / sizeof(rows[0]),
	    sizeof(step_rows) / sizeof(step_rows[0]),
	    sizeof(enc_rows) / sizeof(enc_rows[0]));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
