/* libFuzzer target for the pure FTP modules: frames the input into lines,
 * feeds each line to every parser and checks invariants and round trips.
 *
 * Build and run from the repository root:
 *   mkdir -p build/fuzz
 *   clang-14 -g -O1 -fsanitize=fuzzer,address,undefined \
 *       -fno-sanitize-recover=all -I. -D_GNU_SOURCE -o build/fuzz/fuzz_ftp \
 *       tests/fuzz/fuzz_ftp.c proxy/ftp_line.c proxy/ftp_parse.c \
 *       proxy/ftp_rewrite.c
 *   build/fuzz/fuzz_ftp -max_total_time=60 -max_len=16384 \
 *       build/fuzz/corpus tests/fuzz/corpus_ftp
 * Each crash it finds becomes a row in tests/unit/test_ftp_*.c.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "proxy/ftp_line.h"
#include "proxy/ftp_parse.h"
#include "proxy/ftp_rewrite.h"
#include "proxy/limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* abort() so libFuzzer records the input; assert() may be compiled out. */
#define CHECK(c)							\
	do {								\
		if (!(c)) {						\
			fprintf(stderr, "%s:%d: CHECK failed: %s\n",	\
			    __FILE__, __LINE__, #c);			\
			abort();					\
		}							\
	} while (0)

static bool
addr_equal(const struct ftp_addr *a, const struct ftp_addr *b)
{
	return a->family == b->family && a->port == b->port &&
	    memcmp(a->addr, b->addr, sizeof(a->addr)) == 0;
}

/* Checks a writer's result and returns the length of the line without its
 * CRLF, as the framer would hand it over. */
static size_t
body(const char *buf, int n)
{
	CHECK(n >= 2);
	CHECK((size_t)n == strlen(buf));
	CHECK(buf[n - 2] == '\r' && buf[n - 1] == '\n');
	return (size_t)n - 2;
}

static void
check_addr(const struct ftp_addr *a)
{
	CHECK(a->family == AF_INET || a->family == AF_INET6);
	CHECK(a->port != 0);
	CHECK(ftp_addr_same_host(a, a));
	if (a->family == AF_INET) {
		static const uint8_t zero[12];

		CHECK(memcmp(a->addr + 4, zero, sizeof(zero)) == 0);
	}
}

static void
round_trip_v4(const struct ftp_addr *a)
{
	struct ftp_addr b;
	struct ftp_cmd cmd;
	char buf[128];
	size_t n;

	n = body(buf, ftp_fmt_227(buf, sizeof(buf), a));
	CHECK(ftp_parse_227(buf, n, &b) == FTP_ADDR_OK);
	CHECK(addr_equal(a, &b));

	n = body(buf, ftp_fmt_port(buf, sizeof(buf), a));
	CHECK(ftp_parse_command(buf, n, &cmd) == FTP_CMD_OK);
	CHECK(cmd.verb == FTP_VERB_PORT);
	CHECK(ftp_parse_port(cmd.arg, cmd.arg_len, &b) == FTP_ADDR_OK);
	CHECK(addr_equal(a, &b));
}

static void
round_trip_eprt(const struct ftp_addr *a)
{
	struct ftp_addr b;
	struct ftp_cmd cmd;
	char buf[128];
	size_t n;

	n = body(buf, ftp_fmt_eprt(buf, sizeof(buf), a));
	CHECK(ftp_parse_command(buf, n, &cmd) == FTP_CMD_OK);
	CHECK(cmd.verb == FTP_VERB_EPRT);
	CHECK(ftp_parse_eprt(cmd.arg, cmd.arg_len, &b) == FTP_ADDR_OK);
	CHECK(addr_equal(a, &b));
	if (a->family == AF_INET)
		round_trip_v4(a);
}

/* An address argument: the parsers, and what they accept must read back. */
static void
fuzz_addr_arg(const char *p, size_t len)
{
	struct ftp_addr a;
	int e;

	if (ftp_parse_port(p, len, &a) == FTP_ADDR_OK) {
		check_addr(&a);
		CHECK(a.family == AF_INET);
		round_trip_v4(&a);
	}
	if (ftp_parse_eprt(p, len, &a) == FTP_ADDR_OK) {
		check_addr(&a);
		round_trip_eprt(&a);
	}
	e = ftp_parse_epsv_arg(p, len);
	CHECK(e >= -1 && e <= 3);
}

static void
fuzz_command(const char *line, size_t len)
{
	static char arg[FTP_LINE_MAX + 1];
	static char out[FTP_LINE_MAX + 64];
	const struct ftp_verb_info *vi;
	struct ftp_cmd cmd, back;
	size_t i, n;
	int w;

	if (ftp_parse_command(line, len, &cmd) != FTP_CMD_OK)
		return;
	n = strlen(cmd.name);
	CHECK(n >= 3 && n <= FTP_VERB_MAX);
	for (i = 0; i < n; i++)
		CHECK(cmd.name[i] >= 'A' && cmd.name[i] <= 'Z');
	vi = ftp_verb_info(cmd.verb);
	CHECK(vi != NULL && vi->verb == cmd.verb);
	if (cmd.verb != FTP_VERB_UNKNOWN)
		CHECK(strcmp(vi->name, cmd.name) == 0);
	if (cmd.arg == NULL) {
		CHECK(cmd.arg_len == 0);
	} else {
		CHECK(cmd.arg_len > 0);
		CHECK(cmd.arg > line && cmd.arg + cmd.arg_len == line + len);
	}
	fuzz_addr_arg(cmd.arg, cmd.arg_len);

	/* Re-writing the command gives the same command back, unless the
	 * argument holds what a line cannot carry. */
	if (cmd.arg_len > FTP_LINE_MAX ||
	    (cmd.arg != NULL && memchr(cmd.arg, '\0', cmd.arg_len) != NULL))
		return;
	if (cmd.arg != NULL)
		memcpy(arg, cmd.arg, cmd.arg_len);
	arg[cmd.arg_len] = '\0';
	w = ftp_fmt_command(out, sizeof(out), cmd.name,
	    cmd.arg != NULL ? arg : NULL);
	if (cmd.arg != NULL && memchr(cmd.arg, '\r', cmd.arg_len) != NULL) {
		CHECK(w == -1);
		return;
	}
	n = body(out, w);
	CHECK(ftp_parse_command(out, n, &back) == FTP_CMD_OK);
	CHECK(back.verb == cmd.verb && strcmp(back.name, cmd.name) == 0);
	CHECK(back.arg_len == cmd.arg_len);
	CHECK(cmd.arg == NULL || memcmp(back.arg, cmd.arg, cmd.arg_len) == 0);
}

static void
fuzz_reply(struct ftp_reply_parser *rp, const char *line, size_t len)
{
	static char text[FTP_LINE_MAX + 1];
	static char out[FTP_LINE_MAX + 64];
	struct ftp_reply_parser fresh = { 0 };
	struct ftp_addr a;
	enum ftp_reply_line r;
	unsigned code = 0, back = 0;
	uint16_t port, port2;
	size_t n;

	r = ftp_reply_feed(rp, line, len, &code);
	if (r == FTP_REPLY_FIRST_PART || r == FTP_REPLY_LAST)
		CHECK(code >= 100 && code <= 599);
	if (r == FTP_REPLY_FIRST_PART)
		CHECK(rp->multi && rp->code == code);
	if (r == FTP_REPLY_LAST || r == FTP_REPLY_BAD)
		CHECK(!rp->multi);

	/* A single-line reply written back reads as the same code. */
	if (r == FTP_REPLY_LAST && len > 4 && len - 4 <= FTP_LINE_MAX &&
	    memchr(line + 4, '\0', len - 4) == NULL &&
	    memchr(line + 4, '\r', len - 4) == NULL) {
		memcpy(text, line + 4, len - 4);
		text[len - 4] = '\0';
		n = body(out, ftp_fmt_reply(out, sizeof(out), code, text));
		CHECK(ftp_reply_feed(&fresh, out, n, &back) == FTP_REPLY_LAST);
		CHECK(back == code);
	}

	if (ftp_parse_227(line, len, &a) == FTP_ADDR_OK) {
		check_addr(&a);
		CHECK(a.family == AF_INET);
		round_trip_v4(&a);
	}
	if (ftp_parse_229(line, len, &port) == FTP_ADDR_OK) {
		CHECK(port != 0);
		n = body(out, ftp_fmt_229(out, sizeof(out), port));
		CHECK(ftp_parse_229(out, n, &port2) == FTP_ADDR_OK);
		CHECK(port2 == port);
	}
	(void)ftp_feat_filter(line, len);
}

/* Every parser sees every line, good or NUL-holding: they take (p, len)
 * and must not care. The copy has exactly len bytes, so ASan catches a
 * read past the end. */
static void
fuzz_line(struct ftp_reply_parser *rp, const char *p, size_t len)
{
	char *line;

	line = malloc(len > 0 ? len : 1);
	CHECK(line != NULL);
	memcpy(line, p, len);
	fuzz_command(line, len);
	fuzz_reply(rp, line, len);
	fuzz_addr_arg(line, len);
	free(line);
}

/*
 * The first input byte picks the line limit (small limits reach TOO_LONG
 * often) and how the rest is cut into reads, as a socket would deliver it.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[2 * FTP_LINE_MAX + 64];
	struct ftp_reply_parser rp = { 0 };
	struct ftp_framer f = { 0 };
	size_t max, chunk, off = 0, have = 0, take, line_len, consumed;
	enum ftp_frame r;

	if (size < 1)
		return 0;
	max = (data[0] & 0x80) ? FTP_LINE_MAX : (size_t)(data[0] & 0x3f);
	chunk = (size_t)((data[0] >> 4) & 0x7) * 7 + 1;
	data++;
	size--;

	while (off < size) {
		take = size - off < chunk ? size - off : chunk;
		if (take > sizeof(buf) - have)
			take = sizeof(buf) - have;
		CHECK(take > 0);
		memcpy(buf + have, data + off, take);
		have += take;
		off += take;
		for (;;) {
			r = ftp_frame_next(&f, buf, have, max, &line_len,
			    &consumed);
			CHECK(consumed <= have);
			switch (r) {
			case FTP_FRAME_LINE:
				CHECK(line_len <= max && line_len < consumed);
				CHECK(memchr(buf, '\n', line_len) == NULL);
				CHECK(memchr(buf, '\0', line_len) == NULL);
				CHECK(buf[consumed - 1] == '\n');
				fuzz_line(&rp, buf, line_len);
				break;
			case FTP_FRAME_NUL:
				CHECK(consumed > 0);
				CHECK(buf[consumed - 1] == '\n');
				fuzz_line(&rp, buf, consumed - 1);
				break;
			case FTP_FRAME_TOO_LONG:
				CHECK(consumed > max);
				break;
			case FTP_FRAME_MORE:
				break;
			}
			memmove(buf, buf + consumed, have - consumed);
			have -= consumed;
			if (r == FTP_FRAME_MORE && consumed == 0)
				break;
		}
		/* An unfinished line never exceeds max + CR: the buffer a
		 * session keeps per direction always has room to finish it. */
		CHECK(f.discarding ? have == 0 : have <= max + 1);
	}
	return 0;
}
