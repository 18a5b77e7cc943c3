/* Unit tests for the line writers, the FEAT filter and the FEAT lines
 * ftpsgw adds (proxy/ftp_rewrite.c): exact output, refusals, truncation,
 * and round trips through the parser. */
#include "proxy/ftp_rewrite.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "proxy/ftp_parse.h"
#include "proxy/limits.h"

#define NROWS(a)	(sizeof(a) / sizeof((a)[0]))
#define V4	AF_INET
#define V6	AF_INET6

static struct net_addr
mkaddr(int family, const char *text, unsigned port)
{
	struct net_addr a;

	memset(&a, 0, sizeof(a));
	a.family = family;
	a.port = (uint16_t)port;
	if (text != NULL)
		assert_int_equal(inet_pton(family, text, a.addr), 1);
	return a;
}

/*
 * Checks one writer result against the expected line (NULL: refused).
 * On success the return value is the length and buf holds the line,
 * NUL-terminated; on refusal buf is an empty string.
 */
static void
check_out(const char *what, size_t row, int got, const char *buf,
    const char *want)
{
	if (want == NULL) {
		if (got != -1 || buf[0] != '\0')
			fail_msg("%s row %zu: got %d \"%s\", want -1", what,
			    row, got, buf);
		return;
	}
	if (got < 0 || (size_t)got != strlen(want) || strcmp(buf, want) != 0)
		fail_msg("%s row %zu: got %d \"%s\", want \"%s\"", what, row,
		    got, buf, want);
}

/* ---- 227 and PORT ---- */

struct v4_row {
	int family;
	const char *addr;	/* NULL: left zero */
	unsigned port;
	const char *want227;	/* NULL: refused */
	const char *wantport;
};

static const struct v4_row v4_rows[] = {
	{ V4, "198.51.100.10", 50000,
	    "227 Entering Passive Mode (198,51,100,10,195,80).\r\n",
	    "PORT 198,51,100,10,195,80\r\n" },
	{ V4, "0.0.0.0", 1, "227 Entering Passive Mode (0,0,0,0,0,1).\r\n",
	    "PORT 0,0,0,0,0,1\r\n" },
	{ V4, "255.255.255.255", 65535,
	    "227 Entering Passive Mode (255,255,255,255,255,255).\r\n",
	    "PORT 255,255,255,255,255,255\r\n" },
	{ V4, "203.0.113.10", 256,
	    "227 Entering Passive Mode (203,0,113,10,1,0).\r\n",
	    "PORT 203,0,113,10,1,0\r\n" },
	/* ; BAD */
	{ V4, "198.51.100.10", 0, NULL, NULL },
	{ V6, "2001:db8::1", 21, NULL, NULL },
	{ V6, "::ffff:198.51.100.10", 21, NULL, NULL },
	{ 0, NULL, 21, NULL, NULL },
	{ 99, NULL, 21, NULL, NULL },
};

static void
test_fmt_227_port(void **state)
{
	struct net_addr a;
	char buf[128];
	size_t i;

	(void)state;
	for (i = 0; i < NROWS(v4_rows); i++) {
		const struct v4_row *t = &v4_rows[i];

		a = mkaddr(t->family, t->addr, t->port);
		memset(buf, 'x', sizeof(buf));
		check_out("227", i, ftp_fmt_227(buf, sizeof(buf), &a), buf,
		    t->want227);
		memset(buf, 'x', sizeof(buf));
		check_out("PORT", i, ftp_fmt_port(buf, sizeof(buf), &a), buf,
		    t->wantport);
	}
	assert_int_equal(ftp_fmt_227(buf, sizeof(buf), NULL), -1);
	assert_int_equal(ftp_fmt_port(buf, sizeof(buf), NULL), -1);
	a = mkaddr(V4, "1.2.3.4", 5);
	assert_int_equal(ftp_fmt_227(NULL, 0, &a), -1);
	assert_int_equal(ftp_fmt_port(NULL, 0, &a), -1);
}

/* ---- 229 ---- */

static const struct {
	unsigned port;
	const char *want;
} epsv_rows[] = {
	{ 6446, "229 Entering Extended Passive Mode (|||6446|)\r\n" },
	{ 1, "229 Entering Extended Passive Mode (|||1|)\r\n" },
	{ 65535, "229 Entering Extended Passive Mode (|||65535|)\r\n" },
	/* ; BAD */
	{ 0, NULL },
	{ 65536, NULL },
	{ 4294967295u, NULL },
};

static void
test_fmt_229(void **state)
{
	char buf[128];
	size_t i;

	(void)state;
	for (i = 0; i < NROWS(epsv_rows); i++) {
		memset(buf, 'x', sizeof(buf));
		check_out("229", i, ftp_fmt_229(buf, sizeof(buf),
		    epsv_rows[i].port), buf, epsv_rows[i].want);
	}
}

/* ---- EPRT ---- */

static const struct {
	int family;
	const char *addr;
	unsigned port;
	const char *want;
} eprt_rows[] = {
	{ V4, "203.0.113.10", 1025, "EPRT |1|203.0.113.10|1025|\r\n" },
	{ V4, "0.0.0.0", 1, "EPRT |1|0.0.0.0|1|\r\n" },
	{ V6, "2001:db8:1::10", 65535, "EPRT |2|2001:db8:1::10|65535|\r\n" },
	{ V6, "1080::8:800:200C:417A", 5282,
	    "EPRT |2|1080::8:800:200c:417a|5282|\r\n" },
	{ V6, "::", 21, "EPRT |2|::|21|\r\n" },
	{ V6, "::ffff:203.0.113.10", 21,
	    "EPRT |2|::ffff:203.0.113.10|21|\r\n" },
	{ V6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535,
	    "EPRT |2|ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff|65535|\r\n" },
	/* ; BAD */
	{ V4, "203.0.113.10", 0, NULL },
	{ V6, "::1", 0, NULL },
	{ 0, NULL, 21, NULL },
	{ 99, NULL, 21, NULL },
};

static void
test_fmt_eprt(void **state)
{
	struct net_addr a;
	char buf[128];
	size_t i;

	(void)state;
	for (i = 0; i < NROWS(eprt_rows); i++) {
		a = mkaddr(eprt_rows[i].family, eprt_rows[i].addr,
		    eprt_rows[i].port);
		memset(buf, 'x', sizeof(buf));
		check_out("EPRT", i, ftp_fmt_eprt(buf, sizeof(buf), &a), buf,
		    eprt_rows[i].want);
	}
	assert_int_equal(ftp_fmt_eprt(buf, sizeof(buf), NULL), -1);
}

/* ---- replies and commands ---- */

/* ---- truncation: every too-small capacity fails and writes within cap ---- */

enum writer { W_227, W_229, W_PORT, W_EPRT, W_COUNT };

static int
call_writer(enum writer w, char *buf, size_t cap)
{
	struct net_addr v4 = mkaddr(V4, "198.51.100.10", 50000);
	struct net_addr v6 = mkaddr(V6,
	    "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 65535);

	switch (w) {
	case W_227:
		return ftp_fmt_227(buf, cap, &v4);
	case W_229:
		return ftp_fmt_229(buf, cap, 65535);
	case W_PORT:
		return ftp_fmt_port(buf, cap, &v4);
	case W_EPRT:
		return ftp_fmt_eprt(buf, cap, &v6);
	case W_COUNT:
		break;
	}
	return -2;
}

static void
test_fmt_truncation(void **state)
{
	char full[128], buf[128 + 16];
	size_t cap, k;
	int n, w, r;

	(void)state;
	for (w = 0; w < W_COUNT; w++) {
		n = call_writer((enum writer)w, full, sizeof(full));
		assert_true(n > 0);
		assert_int_equal((size_t)n, strlen(full));
		for (cap = 0; cap <= (size_t)n + 1; cap++) {
			memset(buf, '#', sizeof(buf));
			r = call_writer((enum writer)w, buf, cap);
			for (k = cap; k < sizeof(buf); k++)
				if (buf[k] != '#')
					fail_msg("writer %d cap %zu: wrote at "
					    "%zu", w, cap, k);
			if (cap <= (size_t)n) {
				if (r != -1 || (cap > 0 && buf[0] != '\0'))
					fail_msg("writer %d cap %zu: got %d",
					    w, cap, r);
			} else if (r != n || strcmp(buf, full) != 0) {
				fail_msg("writer %d cap %zu (exact): got %d",
				    w, cap, r);
			}
		}
	}
}

/* ---- round trips: what the writers produce, the parsers read back ---- */

/* Field by field: a struct returned by value need not carry its padding. */
static void
assert_addr_equal(const struct net_addr *a, const struct net_addr *b)
{
	assert_int_equal(a->family, b->family);
	assert_int_equal(a->port, b->port);
	assert_memory_equal(a->addr, b->addr, sizeof(a->addr));
}

/* Strips the CRLF every writer appends, as the framer would. */
static size_t
line_body(const char *buf, int n)
{
	assert_true(n >= 2);
	assert_memory_equal(buf + n - 2, "\r\n", 2);
	return (size_t)n - 2;
}

static const char *const rt_v4[] = {
	"0.0.0.0", "1.2.3.4", "10.0.0.1", "127.0.0.1", "192.168.255.254",
	"198.51.100.10", "203.0.113.10", "255.255.255.255",
};

static const char *const rt_v6[] = {
	"::", "::1", "2001:db8::1", "2001:db8:1::10", "fe80::1",
	"::ffff:203.0.113.10", "1080::8:800:200c:417a",
	"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
};

static const unsigned rt_ports[] = {
	1, 2, 20, 21, 255, 256, 257, 1023, 1024, 1025, 49152, 50000, 65534,
	65535,
};

static void
rt_227_port(const struct net_addr *a)
{
	struct net_addr b;
	struct ftp_cmd cmd;
	char buf[128];
	size_t len;
	int n;

	n = ftp_fmt_227(buf, sizeof(buf), a);
	len = line_body(buf, n);
	assert_int_equal(ftp_parse_227(buf, len, &b), FTP_ADDR_OK);
	assert_addr_equal(&b, a);

	n = ftp_fmt_port(buf, sizeof(buf), a);
	len = line_body(buf, n);
	assert_int_equal(ftp_parse_command(buf, len, &cmd), FTP_CMD_OK);
	assert_int_equal(cmd.verb, FTP_VERB_PORT);
	assert_int_equal(ftp_parse_port(cmd.arg, cmd.arg_len, &b),
	    FTP_ADDR_OK);
	assert_addr_equal(&b, a);
}

static void
rt_eprt(const struct net_addr *a)
{
	struct net_addr b;
	struct ftp_cmd cmd;
	char buf[128];
	size_t len;
	int n;

	n = ftp_fmt_eprt(buf, sizeof(buf), a);
	len = line_body(buf, n);
	assert_int_equal(ftp_parse_command(buf, len, &cmd), FTP_CMD_OK);
	assert_int_equal(cmd.verb, FTP_VERB_EPRT);
	assert_int_equal(ftp_parse_eprt(cmd.arg, cmd.arg_len, &b),
	    FTP_ADDR_OK);
	assert_addr_equal(&b, a);
}

static void
test_round_trip_addr(void **state)
{
	struct net_addr a;
	size_t i, k;

	(void)state;
	for (i = 0; i < NROWS(rt_v4); i++) {
		for (k = 0; k < NROWS(rt_ports); k++) {
			a = mkaddr(V4, rt_v4[i], rt_ports[k]);
			rt_227_port(&a);
			rt_eprt(&a);
		}
	}
	for (i = 0; i < NROWS(rt_v6); i++) {
		for (k = 0; k < NROWS(rt_ports); k++) {
			a = mkaddr(V6, rt_v6[i], rt_ports[k]);
			rt_eprt(&a);
		}
	}
}

/* Every port, both port-only and host-port forms. */
static void
test_round_trip_all_ports(void **state)
{
	struct net_addr a;
	char buf[128];
	uint16_t got;
	unsigned p;
	int n;

	(void)state;
	for (p = 1; p <= 65535; p++) {
		n = ftp_fmt_229(buf, sizeof(buf), p);
		got = 0;
		if (ftp_parse_229(buf, line_body(buf, n), &got) !=
		    FTP_ADDR_OK || got != p)
			fail_msg("229 round trip of port %u gave %u", p, got);
		a = mkaddr(V4, "203.0.113.10", p);
		rt_227_port(&a);
	}
}

/* ---- FEAT filter ---- */

static const struct {
	const char *line;
	enum ftp_feat_line want;
} feat_rows[] = {
	{ " MDTM", FTP_FEAT_KEEP },
	{ " MLST size*;modify*;type*;", FTP_FEAT_KEEP },
	{ " UTF8", FTP_FEAT_KEEP },
	{ " EPSV", FTP_FEAT_KEEP },
	{ " EPRT", FTP_FEAT_KEEP },
	{ " PASV", FTP_FEAT_KEEP },
	{ " REST STREAM", FTP_FEAT_KEEP },
	{ " SIZE", FTP_FEAT_KEEP },
	{ " TVFS", FTP_FEAT_KEEP },
	{ " LANG EN*", FTP_FEAT_KEEP },
	{ " AUTHX", FTP_FEAT_KEEP },
	{ " AUT", FTP_FEAT_KEEP },
	{ " PROTO", FTP_FEAT_KEEP },
	{ " CC", FTP_FEAT_KEEP },
	{ " MDTM AUTH", FTP_FEAT_KEEP },
	{ "", FTP_FEAT_KEEP },
	{ " ", FTP_FEAT_KEEP },
	{ " AUTH TLS", FTP_FEAT_DROP },
	{ " AUTH TLS;SSL;TLS-C;TLS-P;", FTP_FEAT_DROP },
	{ " auth tls", FTP_FEAT_DROP },
	{ " Auth", FTP_FEAT_DROP },
	{ "AUTH TLS", FTP_FEAT_DROP },
	{ "   AUTH TLS", FTP_FEAT_DROP },
	{ " \tAUTH TLS", FTP_FEAT_DROP },
	{ " AUTH\tTLS", FTP_FEAT_DROP },
	{ " PBSZ", FTP_FEAT_DROP },
	{ " pbsz", FTP_FEAT_DROP },
	{ " PROT", FTP_FEAT_DROP },
	{ " PROT C;P;", FTP_FEAT_DROP },
	{ " CCC", FTP_FEAT_DROP },
	{ " ADAT", FTP_FEAT_DROP },
	{ " LPSV", FTP_FEAT_DROP },
	{ " CPSV", FTP_FEAT_DROP },
	{ " SSCN", FTP_FEAT_DROP },
	{ " ESTA", FTP_FEAT_DROP },
	{ " ESTP", FTP_FEAT_DROP },
	{ " LPRT", FTP_FEAT_DROP },
};

static void
test_feat_filter(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NROWS(feat_rows); i++) {
		/* exactly len bytes on the heap: ASan sees any overread */
		size_t len = strlen(feat_rows[i].line);
		char *in = malloc(len > 0 ? len : 1);

		assert_non_null(in);
		memcpy(in, feat_rows[i].line, len);
		if (ftp_feat_filter(in, len) != feat_rows[i].want)
			fail_msg("FEAT row %zu \"%s\": want %s", i,
			    feat_rows[i].line, feat_rows[i].want ==
			    FTP_FEAT_KEEP ? "KEEP" : "DROP");
		free(in);
	}
	/* the length bounds the word: "AUTH" cut to "AUT" is kept */
	assert_int_equal(ftp_feat_filter(" AUTH", 4), FTP_FEAT_KEEP);
	assert_int_equal(ftp_feat_filter(" AUTHX", 5), FTP_FEAT_DROP);
}

/* ---- the feature lines ftpsgw adds ---- */

#define FEAT_MAX_LINES 8

static const struct {
	bool allow_ccc;
	bool wrap;
	const char *want[FEAT_MAX_LINES];	/* NULL-terminated */
} added_rows[] = {
	{ false, false, { " AUTH TLS", " PBSZ", " PROT", NULL } },
	{ true, false, { " AUTH TLS", " PBSZ", " PROT", " CCC", NULL } },
	{ false, true, { "211-Features:", " AUTH TLS", " PBSZ", " PROT",
	    "211 End", NULL } },
	{ true, true, { "211-Features:", " AUTH TLS", " PBSZ", " PROT",
	    " CCC", "211 End", NULL } },
};

static void
test_feat_added(void **state)
{
	struct ftp_reply_parser rp = { 0 };
	const char *got;
	unsigned code = 0;
	size_t i, k;

	(void)state;
	for (i = 0; i < NROWS(added_rows); i++) {
		for (k = 0; added_rows[i].want[k] != NULL; k++) {
			got = ftp_feat_added(k, added_rows[i].allow_ccc,
			    added_rows[i].wrap);
			if (got == NULL || strcmp(got, added_rows[i].want[k]))
				fail_msg("FEAT added row %zu line %zu: got "
				    "\"%s\", want \"%s\"", i, k,
				    got != NULL ? got : "(null)",
				    added_rows[i].want[k]);
			/* one line each: nothing to smuggle a second one */
			assert_null(strpbrk(got, "\r\n"));
		}
		assert_null(ftp_feat_added(k, added_rows[i].allow_ccc,
		    added_rows[i].wrap));
		assert_null(ftp_feat_added(k + 100, added_rows[i].allow_ccc,
		    added_rows[i].wrap));
	}
	/* Wrapped, they read as one complete multi-line 211 reply. */
	for (k = 0; (got = ftp_feat_added(k, true, true)) != NULL; k++) {
		enum ftp_reply_line r = ftp_reply_feed(&rp, got, strlen(got),
		    &code);

		if (k == 0)
			assert_int_equal(r, FTP_REPLY_FIRST_PART);
		else if (ftp_feat_added(k + 1, true, true) == NULL)
			assert_int_equal(r, FTP_REPLY_LAST);
		else
			assert_int_equal(r, FTP_REPLY_PART);
		assert_int_equal(code, 211);
	}
	/* The features ftpsgw adds are the ones it drops from the server's. */
	for (k = 0; (got = ftp_feat_added(k, true, false)) != NULL; k++)
		assert_int_equal(ftp_feat_filter(got, strlen(got)),
		    FTP_FEAT_DROP);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fmt_227_port),
		cmocka_unit_test(test_fmt_229),
		cmocka_unit_test(test_fmt_eprt),
		cmocka_unit_test(test_fmt_truncation),
		cmocka_unit_test(test_round_trip_addr),
		cmocka_unit_test(test_round_trip_all_ports),
		cmocka_unit_test(test_feat_filter),
		cmocka_unit_test(test_feat_added),
	};

	printf("ftp_rewrite: %zu 227/PORT, %zu 229, %zu EPRT, %zu FEAT, "
	    "%zu FEAT-added rows\n", NROWS(v4_rows), NROWS(epsv_rows),
	    NROWS(eprt_rows), NROWS(feat_rows), NROWS(added_rows));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
