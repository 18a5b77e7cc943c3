/* Helpers shared by the FTP fuzz targets: the framing driver, which checks
 * the framer's contract on every input, and address round trips. */
#include "tests/fuzz/fuzz_ftp.h"

#include <string.h>
#include <sys/socket.h>

#include "proxy/ftp_line.h"
#include "proxy/ftp_rewrite.h"
#include "proxy/limits.h"

/* The framer's input buffer: the session keeps CTRL_BUF_SIZE per direction. */
#define FUZZ_FTP_BUF	CTRL_BUF_SIZE

static void
fuzz_ftp_line(void (*on_line)(void *, const char *, size_t), void *ctx,
    const char *p, size_t len)
{
	char *line;

	line = malloc(len > 0 ? len : 1);
	FUZZ_CHECK(line != NULL);
	memcpy(line, p, len);
	on_line(ctx, line, len);
	free(line);
}

/* One ftp_frame_next call and the checks on its result. Returns whether the
 * caller should call again on what is left. */
static bool
fuzz_ftp_frame_one(struct ftp_framer *f, char *buf, size_t *have, size_t max,
    void (*on_line)(void *, const char *, size_t), void *ctx)
{
	size_t line_len, consumed;
	enum ftp_frame r;

	r = ftp_frame_next(f, buf, *have, max, &line_len, &consumed);
	FUZZ_CHECK(consumed <= *have);
	switch (r) {
	case FTP_FRAME_LINE:
		FUZZ_CHECK(line_len <= max && line_len < consumed);
		FUZZ_CHECK(memchr(buf, '\n', line_len) == NULL);
		FUZZ_CHECK(memchr(buf, '\0', line_len) == NULL);
		FUZZ_CHECK(buf[consumed - 1] == '\n');
		/* Only the terminator is cut: LF, or CR LF. */
		FUZZ_CHECK(consumed - line_len == 1 ||
		    (consumed - line_len == 2 && buf[line_len] == '\r'));
		fuzz_ftp_line(on_line, ctx, buf, line_len);
		break;
	case FTP_FRAME_NUL:
		FUZZ_CHECK(consumed > 0 && buf[consumed - 1] == '\n');
		FUZZ_CHECK(memchr(buf, '\0', consumed) != NULL);
		fuzz_ftp_line(on_line, ctx, buf, consumed - 1);
		break;
	case FTP_FRAME_TOO_LONG:
		FUZZ_CHECK(consumed > max);
		break;
	case FTP_FRAME_MORE:
		break;
	}
	memmove(buf, buf + consumed, *have - consumed);
	*have -= consumed;
	return !(r == FTP_FRAME_MORE && consumed == 0);
}

void
fuzz_ftp_frames(const uint8_t *data, size_t size,
    void (*on_line)(void *ctx, const char *p, size_t len), void *ctx)
{
	static char buf[FUZZ_FTP_BUF];
	struct ftp_framer f = { 0 };
	size_t max, chunk, off = 0, have = 0, take;

	if (size < 1)
		return;
	max = (data[0] & 0x80) ? FTP_LINE_MAX : (size_t)(data[0] & 0x3f);
	chunk = (size_t)((data[0] >> 4) & 0x7) * 7 + 1;
	data++;
	size--;

	while (off < size) {
		take = size - off < chunk ? size - off : chunk;
		if (take > sizeof(buf) - have)
			take = sizeof(buf) - have;
		FUZZ_CHECK(take > 0);
		memcpy(buf + have, data + off, take);
		have += take;
		off += take;
		while (fuzz_ftp_frame_one(&f, buf, &have, max, on_line, ctx))
			continue;
		/* An unfinished line never exceeds max + CR: the buffer a
		 * session keeps per direction always has room to finish it. */
		FUZZ_CHECK(f.discarding ? have == 0 : have <= max + 1);
	}
}

size_t
fuzz_ftp_body(const char *buf, int n)
{
	FUZZ_CHECK(n >= 2);
	FUZZ_CHECK((size_t)n == strlen(buf));
	FUZZ_CHECK(buf[n - 2] == '\r' && buf[n - 1] == '\n');
	FUZZ_CHECK(memchr(buf, '\n', (size_t)n - 1) == NULL);
	return (size_t)n - 2;
}

bool
fuzz_ftp_addr_equal(const struct net_addr *a, const struct net_addr *b)
{
	return a->family == b->family && a->port == b->port &&
	    memcmp(a->addr, b->addr, sizeof(a->addr)) == 0;
}

void
fuzz_ftp_check_addr(const struct net_addr *a)
{
	static const uint8_t zero[12];

	FUZZ_CHECK(a->family == AF_INET || a->family == AF_INET6);
	FUZZ_CHECK(a->port != 0);
	FUZZ_CHECK(ftp_addr_same_host(a, a));
	FUZZ_CHECK(ftp_port_allowed(a->port) == (a->port >= 1024));
	/* Bytes past an IPv4 address are zero: same_host and the writers
	 * may compare or copy all 16. */
	if (a->family == AF_INET)
		FUZZ_CHECK(memcmp(a->addr + 4, zero, sizeof(zero)) == 0);
}

/* Writes a with w, which must succeed and fit; then with one byte less
 * room (the line fits, its NUL does not) it must refuse, leaving "". */
static size_t
fuzz_ftp_write(char *buf, size_t cap,
    int (*w)(char *, size_t, const struct net_addr *),
    const struct net_addr *a)
{
	char small[128];
	size_t n;

	n = fuzz_ftp_body(buf, w(buf, cap, a));
	FUZZ_CHECK(n + 2 < sizeof(small));
	memset(small, 'Z', sizeof(small));
	FUZZ_CHECK(w(small, n + 2, a) == -1 && small[0] == '\0');
	return n;
}

static void
fuzz_ftp_round_trip_v4(const struct net_addr *a)
{
	struct net_addr b;
	struct ftp_cmd cmd;
	char buf[128];
	size_t n;

	n = fuzz_ftp_write(buf, sizeof(buf), ftp_fmt_227, a);
	FUZZ_CHECK(ftp_parse_227(buf, n, &b) == FTP_ADDR_OK);
	FUZZ_CHECK(fuzz_ftp_addr_equal(a, &b));

	n = fuzz_ftp_write(buf, sizeof(buf), ftp_fmt_port, a);
	FUZZ_CHECK(ftp_parse_command(buf, n, &cmd) == FTP_CMD_OK);
	FUZZ_CHECK(cmd.verb == FTP_VERB_PORT);
	FUZZ_CHECK(ftp_parse_port(cmd.arg, cmd.arg_len, &b) == FTP_ADDR_OK);
	FUZZ_CHECK(fuzz_ftp_addr_equal(a, &b));
}

void
fuzz_ftp_round_trip(const struct net_addr *a)
{
	struct net_addr b;
	struct ftp_cmd cmd;
	char buf[128];
	size_t n;

	n = fuzz_ftp_write(buf, sizeof(buf), ftp_fmt_eprt, a);
	FUZZ_CHECK(ftp_parse_command(buf, n, &cmd) == FTP_CMD_OK);
	FUZZ_CHECK(cmd.verb == FTP_VERB_EPRT);
	FUZZ_CHECK(ftp_parse_eprt(cmd.arg, cmd.arg_len, &b) == FTP_ADDR_OK);
	FUZZ_CHECK(fuzz_ftp_addr_equal(a, &b));
	if (a->family == AF_INET)
		fuzz_ftp_round_trip_v4(a);
}
