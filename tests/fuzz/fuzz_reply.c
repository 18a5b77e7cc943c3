/*
 * libFuzzer target for what a backend sends: the framer cuts the input into
 * reply lines, ftp_reply_feed assembles multi-line replies (checked against
 * RFC 959 section 4.2 as the header states it), 227 and 229 replies are
 * parsed, and what the rewriter (proxy/ftp_rewrite.c) writes from a parsed
 * address or port must parse back to the same one: 227, 229, PORT and EPRT.
 * FEAT lines go through ftp_feat_filter. `make fuzz` builds and runs it
 * (tests/fuzz/run.sh); each crash it finds becomes a row in
 * tests/unit/test_ftp_parse.c or test_ftp_rewrite.c.
 */
#include <string.h>
#include <sys/socket.h>

#include "proxy/ftp_parse.h"
#include "proxy/ftp_rewrite.h"
#include "proxy/limits.h"
#include "tests/fuzz/fuzz_ftp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The parser under test, and what RFC 959 says its state must be. */
struct reply_ctx {
	struct ftp_reply_parser rp;
	bool multi;
	unsigned code;
};

/* "nnn" with the first digit 1..5, as a number; 0 when it is not. */
static unsigned
code_of(const char *p, size_t len)
{
	if (len < 3 || p[0] < '1' || p[0] > '5' || p[1] < '0' || p[1] > '9' ||
	    p[2] < '0' || p[2] > '9')
		return 0;
	return (unsigned)(p[0] - '0') * 100 + (unsigned)(p[1] - '0') * 10 +
	    (unsigned)(p[2] - '0');
}

/* What ftp_reply_feed must answer for this line, from the model's state;
 * the model then moves on. */
static enum ftp_reply_line
expect_feed(struct reply_ctx *c, const char *p, size_t len)
{
	unsigned code = code_of(p, len);
	char sep = len > 3 ? p[3] : ' ';

	if (c->multi) {
		if (code != c->code || sep != ' ')
			return FTP_REPLY_PART;
		c->multi = false;
		return FTP_REPLY_LAST;
	}
	if (code == 0 || (sep != ' ' && sep != '-'))
		return FTP_REPLY_BAD;
	if (sep == '-') {
		c->multi = true;
		c->code = code;
		return FTP_REPLY_FIRST_PART;
	}
	return FTP_REPLY_LAST;
}

/* 227: the backend's address reads back through every writer. */
static void
check_227(const char *line, size_t len)
{
	struct net_addr a;

	if (ftp_parse_227(line, len, &a) != FTP_ADDR_OK)
		return;
	fuzz_ftp_check_addr(&a);
	FUZZ_CHECK(a.family == AF_INET);
	fuzz_ftp_round_trip(&a);
}

/* 229: the port reads back, and a 227 or EPRT the gateway would write
 * with it for its own (public) address does too. */
static void
check_229(const char *line, size_t len)
{
	static const uint8_t pub4[4] = { 203, 0, 113, 1 };
	static const uint8_t pub6[16] = {
		0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1
	};
	struct net_addr a;
	char out[128], small[128];
	uint16_t port, back;
	size_t n;

	if (ftp_parse_229(line, len, &port) != FTP_ADDR_OK)
		return;
	FUZZ_CHECK(port != 0);
	n = fuzz_ftp_body(out, ftp_fmt_229(out, sizeof(out), port));
	FUZZ_CHECK(ftp_parse_229(out, n, &back) == FTP_ADDR_OK && back == port);
	memset(small, 'Z', sizeof(small));
	FUZZ_CHECK(ftp_fmt_229(small, n + 2, port) == -1 && small[0] == '\0');

	memset(&a, 0, sizeof(a));
	a.family = AF_INET;
	memcpy(a.addr, pub4, sizeof(pub4));
	a.port = port;
	fuzz_ftp_round_trip(&a);
	a.family = AF_INET6;
	memcpy(a.addr, pub6, sizeof(pub6));
	fuzz_ftp_round_trip(&a);
}

/* FEAT lines: the filter only drops a short word, whatever its case. */
static void
check_feat(const char *line, size_t len)
{
	static char upper[FTP_LINE_MAX];
	enum ftp_feat_line f;
	size_t i;

	f = ftp_feat_filter(line, len);
	FUZZ_CHECK(f == FTP_FEAT_KEEP || f == FTP_FEAT_DROP);
	if (len > sizeof(upper))
		return;
	for (i = 0; i < len; i++)
		upper[i] = line[i] >= 'a' && line[i] <= 'z' ?
		    (char)(line[i] - 'a' + 'A') : line[i];
	FUZZ_CHECK(ftp_feat_filter(upper, len) == f);
}

static void
fuzz_reply(void *ctx, const char *line, size_t len)
{
	struct reply_ctx *c = ctx;
	enum ftp_reply_line r, want;
	unsigned code = 0;

	want = expect_feed(c, line, len);
	r = ftp_reply_feed(&c->rp, line, len, &code);
	FUZZ_CHECK(r == want);
	FUZZ_CHECK(c->rp.multi == c->multi);
	if (r == FTP_REPLY_FIRST_PART || r == FTP_REPLY_LAST) {
		FUZZ_CHECK(code == code_of(line, len));
		FUZZ_CHECK(code >= 100 && code <= 599);
	}
	if (r == FTP_REPLY_FIRST_PART)
		FUZZ_CHECK(c->rp.code == code);
	if (r == FTP_REPLY_PART)
		check_feat(line, len);

	/* Every line, not only complete replies: the parsers take (p, len)
	 * and must refuse what is not theirs. */
	check_227(line, len);
	check_229(line, len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reply_ctx c;

	memset(&c, 0, sizeof(c));
	fuzz_ftp_frames(data, size, fuzz_reply, &c);
	return 0;
}
