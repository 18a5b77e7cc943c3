/* Unit tests for reply scrubbing (proxy/ftp_scrub.c): LAN addresses in
 * replies as real servers write them, the tokens that must stay as they
 * are, withheld passive replies, and the output limit. */
#include "proxy/ftp_scrub.h"

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

#define NROWS(a)	(sizeof(a) / sizeof((a)[0]))

/* The lab's session: the server 198.51.100.10 (and 2001:db8:2::10) seen
 * as the gateway 203.0.113.1 (2001:db8:1::1); the gateway's LAN side
 * 198.51.100.1 seen as the client 203.0.113.10. */
static void
pair(struct ftp_scrub_pair *p, const char *lan, const char *pub)
{
	memset(p, 0, sizeof(*p));
	p->lan.family = strchr(lan, ':') != NULL ? AF_INET6 : AF_INET;
	assert_int_equal(inet_pton(p->lan.family, lan, p->lan.addr), 1);
	p->pub.family = strchr(pub, ':') != NULL ? AF_INET6 : AF_INET;
	assert_int_equal(inet_pton(p->pub.family, pub, p->pub.addr), 1);
}

enum lab { V4, V6, V4_TO_V6 };

static size_t
lab_pairs(struct ftp_scrub_pair *p, enum lab which)
{
	switch (which) {
	case V6:
		pair(&p[0], "2001:db8:2::10", "2001:db8:1::1");
		pair(&p[1], "2001:db8:2::1", "2001:db8:1::10");
		break;
	case V4_TO_V6:	/* an IPv6 client in front of an IPv4 server */
		pair(&p[0], "198.51.100.10", "2001:db8:1::1");
		pair(&p[1], "198.51.100.1", "2001:db8:1::10");
		break;
	default:
		pair(&p[0], "198.51.100.10", "203.0.113.1");
		pair(&p[1], "198.51.100.1", "203.0.113.10");
		break;
	}
	return 2;
}

struct row {
	enum lab lab;
	const char *in;
	const char *want;
	unsigned did;
};

#define A	FTP_SCRUB_ADDR
#define P	FTP_SCRUB_PASSIVE
#define W	FTP_SCRUB_WITHHELD

static const struct row rows[] = {
	/* what the lab's real servers say */
	{ V4, "220 ProFTPD Server (ftpsgw test ProFTPD) [198.51.100.10]",
	  "220 ProFTPD Server (ftpsgw test ProFTPD) [203.0.113.1]", A },
	{ V4, " Connected from 198.51.100.1 (198.51.100.1)",
	  " Connected from 203.0.113.10 (203.0.113.10)", A },
	{ V4, "     Connected to 198.51.100.1",
	  "     Connected to 203.0.113.10", A },
	{ V4, "214 Direct comments to root@198.51.100.10",
	  "214 Direct comments to root@203.0.113.1", A },
	{ V4, "500 Cannot reach 198.51.100.10:21 from 198.51.100.1.",
	  "500 Cannot reach 203.0.113.1:21 from 203.0.113.10.", A },
	/* a tuple: the address and its ports (the LAN side's) */
	{ V4, " Passive (198,51,100,10,156,64) ok",
	  " Passive (203,0,113,1,0,0) ok", A },
	{ V4, "200 PORT 198,51,100,1,4,1 ok", "200 PORT 203,0,113,10,0,0 ok",
	  A },
	{ V4, "211 at 198,51,100,10 only", "211 at 203,0,113,1 only", A },
	{ V4, "211 at 198,51,100,10,7", "211 at 203,0,113,1,7", A },
	{ V4, "211 x 198,51,100,10,7,", "211 x 203,0,113,1,7,", A },
	/* IPv6 text, brackets, IPv4-mapped, ports after a colon */
	{ V6, "220 [2001:db8:2::10] ready", "220 [2001:db8:1::1] ready", A },
	{ V6, "211 from 2001:db8:2:0:0:0:0:1.", "211 from 2001:db8:1::10.", A },
	{ V6, "211 from 2001:DB8:2::1: ok", "211 from 2001:db8:1::10: ok", A },
	{ V4, "211 from ::ffff:198.51.100.1 x", "211 from 203.0.113.10 x", A },
	{ V4, "211 from ::ffff:c633:640a", "211 from 203.0.113.1", A },
	{ V4, "211 to x:198.51.100.10", "211 to x:203.0.113.1", A },
	{ V4_TO_V6, "220 [198.51.100.10]", "220 [2001:db8:1::1]", A },
	{ V4_TO_V6, "211 (198,51,100,10,1,2)", "211 (0,0,0,0,0,0)", A },
	/* leading zeros are numbers too */
	{ V4, "211 at 198.051.100.010", "211 at 203.0.113.1", A },
	/* only whole tokens: neighbours that continue a number stay */
	{ V4, "211 198.51.100.100 and 198.51.100.11 and 1198.51.100.1",
	  "211 198.51.100.100 and 198.51.100.11 and 1198.51.100.1", 0 },
	{ V4, "211 198.51.100.1.5 and 5.198.51.100.1",
	  "211 198.51.100.1.5 and 5.198.51.100.1", 0 },
	{ V4, "211 198.51.100.1000 and 198,51,100,1000 and 9,198,51,100,1",
	  "211 198.51.100.1000 and 198,51,100,1000 and 9,198,51,100,1", 0 },
	{ V6, "211 2001:db8:2::100 and 2001:db8:2::10:5",
	  "211 2001:db8:2::100 and 2001:db8:2::10:5", 0 },
	{ V4, "211 other hosts: 192.0.2.1 (192,0,2,1,4,1) 2001:db8::1",
	  "211 other hosts: 192.0.2.1 (192,0,2,1,4,1) 2001:db8::1", 0 },
	{ V4, "211 12:30:45 on 2024.01.02", "211 12:30:45 on 2024.01.02", 0 },
	{ V4, "", "", 0 },
	/* passive replies that ftpsgw did not write */
	{ V4, "227 Entering Passive Mode (198,51,100,10,156,64).",
	  "227 " W, P },
	{ V4, "229 Entering Extended Passive Mode (|||40000|)",
	  "229 " W, P },
	{ V4, "228 Entering Long Passive Mode (4,16,...)", "228 " W, P },
	{ V4, "227-multi", "227-" W, P },
	{ V4, "229", "229 " W, P },
	/* ... but only as a reply code */
	{ V4, "2270 not a code", "2270 not a code", 0 },
	{ V4, "226 Transfer complete (227 bytes)",
	  "226 Transfer complete (227 bytes)", 0 },
	{ V4, " 227 Entering Passive Mode (1,2,3,4,5,6)",
	  " 227 Entering Passive Mode (1,2,3,4,5,6)", 0 },
	/* a bare CR becomes a space */
	{ V4, "250 a\rb", "250 a b", FTP_SCRUB_CR },
	{ V4, "250 \r198.51.100.1\r", "250  203.0.113.10 ",
	  FTP_SCRUB_CR | A },
};

#undef A
#undef P
#undef W

static void
test_rows(void **state)
{
	struct ftp_scrub_pair pairs[FTP_SCRUB_PAIRS_MAX];
	char out[512];
	size_t i, n, out_len;
	unsigned did;

	(void)state;
	for (i = 0; i < NROWS(rows); i++) {
		const struct row *r = &rows[i];
		char *in = malloc(strlen(r->in) + 1);	/* exact, for ASan */

		assert_non_null(in);
		memcpy(in, r->in, strlen(r->in));
		n = lab_pairs(pairs, r->lab);
		memset(out, 0x5a, sizeof(out));
		out_len = 12345;
		did = ftp_scrub_reply(in, strlen(r->in), pairs, n, out,
		    sizeof(out), &out_len);
		if (did != r->did || out_len != strlen(r->want) ||
		    memcmp(out, r->want, out_len) != 0)
			fail_msg("row %zu \"%s\": got %#x \"%.*s\", want %#x "
			    "\"%s\"", i, r->in, did, (int)out_len, out, r->did,
			    r->want);
		assert_int_equal((unsigned char)out[out_len], 0x5a);
		free(in);
	}
}

/* No pairs (the backend's address not known yet): only the passive rule
 * and CRs apply. */
static void
test_no_pairs(void **state)
{
	static const char in[] = "211 198.51.100.10\r";
	char out[64];
	size_t n;

	(void)state;
	assert_int_equal(ftp_scrub_reply(in, sizeof(in) - 1, NULL, 0, out,
	    sizeof(out), &n), FTP_SCRUB_CR);
	assert_int_equal(n, sizeof(in) - 1);
	assert_memory_equal(out, "211 198.51.100.10 ", n);
}

struct cut_row {
	const char *in;
	size_t cap;
	const char *want;
};

/* The output limit: cut before what does not fit, never inside a
 * replacement, and never ending in a piece of a number or address. */
static const struct cut_row cut_rows[] = {
	{ "211 wxyz", 6, "211 wx" },
	{ "211 wxyz abc", 10, "211 wxyz " },
	{ "211 x 198.51.100.1 y", 12, "211 x " },
	{ "211 x 198.51.100.1 y", 18, "211 x " },
	{ "211 x 198.51.100.1 y", 18 + 1, "211 x 203.0.113.10 " },
	{ "211 x 010,0,0,100000 y", 15, "211 x " },
	{ "211 x 2001:db8:2::10", 12, "211 x " },
	{ "227 Entering Passive Mode (198,51,100,10,156,64).", 10, "" },
	{ "211 x", 0, "" },
	/* A bare 229 gets a space before the withheld text: one byte more
	 * than the code (the fuzzer found out_len = cap + 1 here). */
	{ "229", 3 + sizeof(FTP_SCRUB_WITHHELD) - 1, "" },
};

static void
test_cut(void **state)
{
	struct ftp_scrub_pair pairs[FTP_SCRUB_PAIRS_MAX];
	char out[128];
	size_t i, n;
	unsigned did;

	(void)state;
	n = lab_pairs(pairs, V4);
	for (i = 0; i < NROWS(cut_rows); i++) {
		const struct cut_row *r = &cut_rows[i];
		size_t out_len;

		memset(out, 0x5a, sizeof(out));
		did = ftp_scrub_reply(r->in, strlen(r->in), pairs, n, out,
		    r->cap, &out_len);
		if (!(did & FTP_SCRUB_CUT) || out_len != strlen(r->want) ||
		    memcmp(out, r->want, out_len) != 0)
			fail_msg("cut row %zu \"%s\" cap %zu: got %#x \"%.*s\", "
			    "want \"%s\"", i, r->in, r->cap, did, (int)out_len,
			    out, r->want);
		assert_int_equal((unsigned char)out[r->cap], 0x5a);
	}
}

/* The same bare 229 in exactly the room it needs. */
static void
test_bare_passive_fits(void **state)
{
	struct ftp_scrub_pair pairs[FTP_SCRUB_PAIRS_MAX];
	static const char want[] = "229 " FTP_SCRUB_WITHHELD;
	char out[128];
	size_t n, out_len = 0;
	unsigned did;

	(void)state;
	n = lab_pairs(pairs, V4);
	memset(out, 0x5a, sizeof(out));
	did = ftp_scrub_reply("229", 3, pairs, n, out, sizeof(want) - 1,
	    &out_len);
	assert_int_equal(did, FTP_SCRUB_PASSIVE);
	assert_int_equal(out_len, sizeof(want) - 1);
	assert_memory_equal(out, want, out_len);
	assert_int_equal((unsigned char)out[out_len], 0x5a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_bare_passive_fits),
		cmocka_unit_test(test_no_pairs),
		cmocka_unit_test(test_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
