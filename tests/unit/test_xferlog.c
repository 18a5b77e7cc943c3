/* Unit tests for the transfer log's line (proxy/xferlog.c): every field of
 * xferlog(5) in its place, the fields made safe from the bytes a client
 * controls (file and user names), the STOU name, and the path reopened
 * after chroot. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "proxy/xferlog.h"

/* Thursday 5 March 2026, 09:07:03 (what localtime_r gives). */
static struct xferlog_rec
rec_base(void)
{
	struct xferlog_rec r;

	memset(&r, 0, sizeof(r));
	r.when.tm_year = 2026 - 1900;
	r.when.tm_mon = 2;
	r.when.tm_mday = 5;
	r.when.tm_wday = 4;
	r.when.tm_hour = 9;
	r.when.tm_min = 7;
	r.when.tm_sec = 3;
	r.elapsed_ms = 2400;
	r.host = "203.0.113.10";
	r.host_len = strlen(r.host);
	r.bytes = 1048576;
	r.name = "f1M";
	r.name_len = 3;
	r.user = "ftpuser";
	r.user_len = 7;
	r.complete = true;
	return r;
}

static const char *
fmt(char *buf, const struct xferlog_rec *r)
{
	size_t n = xferlog_format(buf, XFERLOG_LINE_MAX, r);

	assert_int_not_equal(n, 0);
	assert_int_equal(n, strlen(buf));
	return buf;
}

/* Split a line (its '\n' checked and dropped) at runs of spaces, as awk
 * and the analysers do. Returns the number of fields (at most max). */
static size_t
split(char *line, char **f, size_t max)
{
	size_t len = strlen(line), n = 0;
	char *p, *save = NULL;

	assert_true(len > 0 && line[len - 1] == '\n');
	line[len - 1] = '\0';
	for (p = strtok_r(line, " ", &save); p != NULL && n < max;
	    p = strtok_r(NULL, " ", &save))
		f[n++] = p;
	return n;
}

static void
test_line_exact(void **state)
{
	struct xferlog_rec r = rec_base();
	char buf[XFERLOG_LINE_MAX];

	(void)state;
	/* ctime's day is padded with a space, as ProFTPD and vsftpd write. */
	assert_string_equal(fmt(buf, &r), "Thu Mar  5 09:07:03 2026 2 "
	    "203.0.113.10 1048576 f1M b _ o r ftpuser ftp 0 * c\n");
	r.when.tm_mday = 15;
	r.when.tm_wday = 0;
	r.when.tm_mon = 11;
	r.when.tm_hour = 23;
	r.ascii = true;
	r.upload = true;
	r.anonymous = true;
	r.complete = false;
	r.user = "test@example.test";
	r.user_len = strlen(r.user);
	r.host = "2001:db8:1::10";
	r.host_len = strlen(r.host);
	r.bytes = 0;
	assert_string_equal(fmt(buf, &r), "Sun Dec 15 23:07:03 2026 2 "
	    "2001:db8:1::10 0 f1M a _ i a test@example.test ftp 0 * i\n");
}

/* Field by field, by position, for each flag on its own. */
static void
test_fields(void **state)
{
	static const struct {
		bool ascii, upload, anonymous, complete;
		const char *type, *dir, *mode, *status;
	} rows[] = {
		{ false, false, false, true, "b", "o", "r", "c" },
		{ true, false, false, true, "a", "o", "r", "c" },
		{ false, true, false, true, "b", "i", "r", "c" },
		{ false, false, true, true, "b", "o", "a", "c" },
		{ false, false, false, false, "b", "o", "r", "i" },
		{ true, true, true, false, "a", "i", "a", "i" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct xferlog_rec r = rec_base();
		char buf[XFERLOG_LINE_MAX], *f[32];

		r.when.tm_mday = 21;	/* no padding: one field per word */
		r.ascii = rows[i].ascii;
		r.upload = rows[i].upload;
		r.anonymous = rows[i].anonymous;
		r.complete = rows[i].complete;
		r.bytes = 12345;
		fmt(buf, &r);
		assert_int_equal(split(buf, f, 32), 18);
		assert_string_equal(f[0], "Thu");
		assert_string_equal(f[1], "Mar");
		assert_string_equal(f[2], "21");
		assert_string_equal(f[3], "09:07:03");
		assert_string_equal(f[4], "2026");
		assert_string_equal(f[5], "2");		/* transfer-time */
		assert_string_equal(f[6], "203.0.113.10");
		assert_string_equal(f[7], "12345");	/* file-size */
		assert_string_equal(f[8], "f1M");
		assert_string_equal(f[9], rows[i].type);
		assert_string_equal(f[10], "_");	/* special-action */
		assert_string_equal(f[11], rows[i].dir);
		assert_string_equal(f[12], rows[i].mode);
		assert_string_equal(f[13], "ftpuser");
		assert_string_equal(f[14], "ftp");	/* service-name */
		assert_string_equal(f[15], "0");	/* authentication */
		assert_string_equal(f[16], "*");	/* authenticated id */
		assert_string_equal(f[17], rows[i].status);
	}
}

/* Whole seconds, rounded, never 0 (analysers divide by it). */
static void
test_transfer_time(void **state)
{
	static const struct {
		uint64_t ms;
		const char *s;
	} rows[] = {
		{ 0, "1" }, { 1, "1" }, { 499, "1" }, { 1499, "1" },
		{ 1500, "2" }, { 59999, "60" }, { 3600000, "3600" },
		{ UINT64_MAX, "18446744073709552" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct xferlog_rec r = rec_base();
		char buf[XFERLOG_LINE_MAX], *f[32];

		r.when.tm_mday = 21;
		r.elapsed_ms = rows[i].ms;
		fmt(buf, &r);
		assert_int_equal(split(buf, f, 32), 18);
		assert_string_equal(f[5], rows[i].s);
	}
}

/* The bytes a client controls, as they land in a field. */
static void
test_field_safe(void **state)
{
	static const struct {
		const char *in;
		size_t len;
		const char *out;
	} rows[] = {
#define R(in, out) { in, sizeof(in) - 1, out }
		R("report.pdf", "report.pdf"),
		R("my file.txt", "my_file.txt"),
		/* SECURITY: no new line, no forged second line. */
		R("a\r\nThu Mar  5 09:07:03 2026 1 198.51.100.1 0 x b _ o r "
		    "root ftp 0 * c", "a__Thu_Mar__5_09:07:03_2026_1_"
		    "198.51.100.1_0_x_b___o_r_root_ftp_0_*_c"),
		R("tab\there", "tab_here"),
		R("nul\0in", "nul_in"),
		R("\x01\x1b[31mred\x7f", "__[31mred_"),
		R("\x1f\x20\x7e", "__~"),
		/* UTF-8 text stays readable. */
		R("\xc3\x9cml\xc3\xa4ut", "\xc3\x9cml\xc3\xa4ut"),
		R("\xe6\x97\xa5\xe6\x9c\xac", "\xe6\x97\xa5\xe6\x9c\xac"),
		R("\xf0\x9f\x93\x84.txt", "\xf0\x9f\x93\x84.txt"),
		R("\xef\xbf\xbd", "\xef\xbf\xbd"),
		/* Unicode controls, spaces, separators, bidi: one '_' a byte. */
		R("a\xc2\x85" "b", "a__b"),		/* NEL */
		R("a\xc2\xa0" "b", "a__b"),		/* no-break space */
		R("a\xe2\x80\xa8" "b", "a___b"),	/* line separator */
		R("a\xe2\x80\xa9" "b", "a___b"),	/* paragraph sep. */
		R("a\xe3\x80\x80" "b", "a___b"),	/* ideographic space */
		R("exe.\xe2\x80\xae" "fdp", "exe.___fdp"),	/* RLO */
		R("a\xe2\x81\xa6" "b", "a___b"),	/* LRI */
		R("a\xe2\x80\x8b" "b", "a___b"),	/* zero-width space */
		R("\xef\xbb\xbf" "a", "___a"),		/* BOM */
		/* Not UTF-8: one '?' a byte. */
		R("caf\xe9", "caf?"),			/* Latin-1 */
		R("\xff\xfe", "??"),
		R("\xc0\xaf", "??"),			/* overlong '/' */
		R("\xe0\x80\xaf", "???"),		/* overlong */
		R("\xed\xa0\x80", "???"),		/* surrogate */
		R("\xf4\x90\x80\x80", "????"),		/* past U+10FFFF */
		R("\xe2\x82", "??"),			/* cut short */
		R("\xe2\x82" "a", "??a"),
		R("\x80" "a", "?a"),			/* lone continuation */
		R("", "*"),
#undef R
	};
	char out[204];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		n = xferlog_field(out, rows[i].in, rows[i].len, 200);
		if (strcmp(out, rows[i].out) != 0)
			fail_msg("row %zu: got \"%s\", expected \"%s\"", i, out,
			    rows[i].out);
		assert_int_equal(n, strlen(out));
	}
}

/* Long names end in "...", cut before a character, never inside one. */
static void
test_field_long(void **state)
{
	char in[XFERLOG_NAME_MAX + 100], out[XFERLOG_NAME_MAX + 4];
	char want[XFERLOG_NAME_MAX + 4];
	size_t n;

	(void)state;
	memset(in, 'a', sizeof(in));
	n = xferlog_field(out, in, XFERLOG_NAME_MAX, XFERLOG_NAME_MAX);
	assert_int_equal(n, XFERLOG_NAME_MAX);		/* exactly max: whole */
	n = xferlog_field(out, in, sizeof(in), XFERLOG_NAME_MAX);
	assert_int_equal(n, XFERLOG_NAME_MAX + 3);
	assert_memory_equal(out + XFERLOG_NAME_MAX, "...", 4);
	/* A two-byte character across the limit is left out whole. */
	in[XFERLOG_NAME_MAX - 1] = '\xc3';
	in[XFERLOG_NAME_MAX] = '\xa9';
	n = xferlog_field(out, in, sizeof(in), XFERLOG_NAME_MAX);
	memset(want, 'a', XFERLOG_NAME_MAX - 1);
	memcpy(want + XFERLOG_NAME_MAX - 1, "...", 4);
	assert_int_equal(n, XFERLOG_NAME_MAX + 2);
	assert_string_equal(out, want);
}

/* Whatever the peer sends (a deterministic stream of every byte but the
 * few ASCII ones we need to see), the line has 18 fields, one '\n' at its
 * end, and nothing below 0x20 or 0x7f in it. */
static void
test_any_bytes(void **state)
{
	static char name[4096], user[512];
	uint32_t x = 2463534242u;
	unsigned round;

	(void)state;
	for (round = 0; round < 200; round++) {
		struct xferlog_rec r = rec_base();
		char buf[XFERLOG_LINE_MAX], *f[32];
		size_t i, len, n;

		for (i = 0; i < sizeof(name); i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			name[i] = (char)(x >> (round % 24));
		}
		for (i = 0; i < sizeof(user); i++)
			user[i] = name[sizeof(name) - 1 - i];
		r.when.tm_mday = 21;
		r.name = name;
		r.name_len = 1 + round * 20 % sizeof(name);
		r.user = user;
		r.user_len = round % sizeof(user);
		r.bytes = UINT64_MAX;
		r.elapsed_ms = UINT64_MAX;
		n = xferlog_format(buf, sizeof(buf), &r);
		assert_int_not_equal(n, 0);
		len = strlen(buf);
		assert_int_equal(n, len);
		for (i = 0; i < len - 1; i++) {
			unsigned char c = (unsigned char)buf[i];

			if (c < 0x20 || c == 0x7f)
				fail_msg("round %u: byte 0x%02x at %zu", round,
				    c, i);
		}
		assert_int_equal(split(buf, f, 32), 18);
		assert_string_equal(f[7], "18446744073709551615");
		assert_string_equal(f[14], "ftp");
	}
}

/* Every field at its longest fits XFERLOG_LINE_MAX; one byte less of
 * room is refused, never cut (a cut line would lose its '\n'). */
static void
test_room(void **state)
{
	static char name[XFERLOG_NAME_MAX * 4], user[XFERLOG_USER_MAX * 4],
	    host[XFERLOG_HOST_MAX * 4];
	struct xferlog_rec r = rec_base();
	char buf[XFERLOG_LINE_MAX];
	size_t n;

	(void)state;
	memset(name, 'n', sizeof(name));
	memset(user, 'u', sizeof(user));
	memset(host, 'h', sizeof(host));
	r.name = name;
	r.name_len = sizeof(name);
	r.user = user;
	r.user_len = sizeof(user);
	r.host = host;
	r.host_len = sizeof(host);
	r.bytes = UINT64_MAX;
	r.elapsed_ms = UINT64_MAX;
	r.when.tm_year = 9999 - 1900;
	n = xferlog_format(buf, sizeof(buf), &r);
	assert_int_not_equal(n, 0);
	assert_true(n < sizeof(buf));
	assert_int_equal(xferlog_format(buf, n, &r), 0);
	assert_string_equal(buf, "");
	assert_int_equal(xferlog_format(buf, n + 1, &r), n);
}

static void
test_stou_name(void **state)
{
	static const struct {
		const char *line;
		const char *name;	/* NULL: none */
	} rows[] = {
		{ "150 FILE: ftp.1", "ftp.1" },
		{ "226 FILE: a b ", "a b " },
		{ "150-FILE:x", "x" },
		{ "125 file: up.txt", "up.txt" },
		{ "150 FILE: ", NULL },
		{ "150 FILE:", NULL },
		{ "150 Opening BINARY mode data connection", NULL },
		{ "150 Ok to send data.", NULL },
		{ "150", NULL },
		{ "150FILE: x", NULL },
		{ "", NULL },
	};
	size_t i, off, n;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *l = rows[i].line;
		bool got = xferlog_stou_name(l, strlen(l), &off, &n);

		if (rows[i].name == NULL) {
			if (got)
				fail_msg("row %zu: a name in \"%s\"", i, l);
			continue;
		}
		if (!got)
			fail_msg("row %zu: no name in \"%s\"", i, l);
		assert_int_equal(n, strlen(rows[i].name));
		assert_memory_equal(l + off, rows[i].name, n);
	}
}

static void
test_anonymous(void **state)
{
	(void)state;
	assert_true(xferlog_user_anonymous("anonymous", 9));
	assert_true(xferlog_user_anonymous("ANONYMOUS", 9));
	assert_true(xferlog_user_anonymous("ftp", 3));
	assert_true(xferlog_user_anonymous("Ftp", 3));
	assert_false(xferlog_user_anonymous("ftpuser", 7));
	assert_false(xferlog_user_anonymous("anonymous2", 10));
	assert_false(xferlog_user_anonymous("anon", 4));
	assert_false(xferlog_user_anonymous("ft", 2));
	assert_false(xferlog_user_anonymous("", 0));
}

static void
test_chroot_path(void **state)
{
	static const struct {
		const char *path, *root, *want;	/* want NULL: unreachable */
	} rows[] = {
		{ "/var/log/ftpsgw/xferlog", "", "/var/log/ftpsgw/xferlog" },
		{ "/var/lib/ftpsgw/log/xferlog", "/var/lib/ftpsgw",
		    "/log/xferlog" },
		{ "/var/lib/ftpsgw/log/xferlog", "/var/lib/ftpsgw/",
		    "/log/xferlog" },
		{ "/var/lib/ftpsgw/x", "/var/lib/ftpsgw//", "/x" },
		{ "/var/lib/ftpsgw2/x", "/var/lib/ftpsgw", NULL },
		{ "/var/lib/ftpsgw", "/var/lib/ftpsgw", NULL },
		{ "/var/log/xferlog", "/var/lib/ftpsgw", NULL },
		{ "/x/y", "/", "/x/y" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *got = xferlog_chroot_path(rows[i].path,
		    rows[i].root);

		if (rows[i].want == NULL) {
			if (got != NULL)
				fail_msg("row %zu: got \"%s\"", i, got);
			continue;
		}
		if (got == NULL)
			fail_msg("row %zu: NULL", i);
		assert_string_equal(got, rows[i].want);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_exact),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_transfer_time),
		cmocka_unit_test(test_field_safe),
		cmocka_unit_test(test_field_long),
		cmocka_unit_test(test_any_bytes),
		cmocka_unit_test(test_room),
		cmocka_unit_test(test_stou_name),
		cmocka_unit_test(test_anonymous),
		cmocka_unit_test(test_chroot_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
