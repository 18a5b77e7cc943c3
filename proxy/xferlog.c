/* The transfer log's line (xferlog(5)): fields made safe and put in order.
 * Pure: no I/O, no allocation, no locale. */
#include "proxy/xferlog.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* A field with no bytes: "not available", as xferlog(5) writes a missing
 * authenticated-user-id. */
#define XFERLOG_EMPTY		"*"
#define XFERLOG_CUT		"..."
/* Replacements: whitespace and controls as ProFTPD writes them; bytes
 * that are not text as vsftpd writes unprintable ones. */
#define XFERLOG_SPACE_SUB	'_'
#define XFERLOG_BYTE_SUB	'?'

/* ctime's English names, whatever the locale (analysers parse them). */
static const char xferlog_days[7][4] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat",
};
static const char xferlog_months[12][4] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
	"Nov", "Dec",
};

/*
 * Characters a reader of the line must not meet inside a field, beyond
 * ASCII: C1 controls (U+0085 is a line break to some), the Unicode spaces
 * and line and paragraph separators (a UTF-8-aware split() splits at
 * them), and the zero-width and bidirectional format characters (U+202E
 * turns the rest of the line around on screen). Sorted ranges.
 */
static const struct {
	uint32_t lo, hi;
} xferlog_unsafe[] = {
	{ 0x0080, 0x00a0 },	/* C1 controls, no-break space */
	{ 0x1680, 0x1680 },	/* ogham space mark */
	{ 0x180e, 0x180e },	/* Mongolian vowel separator */
	{ 0x2000, 0x200f },	/* spaces, zero-width, LRM, RLM */
	{ 0x2028, 0x202f },	/* line/paragraph separators, embeddings,
				 * overrides, narrow no-break space */
	{ 0x205f, 0x2064 },	/* medium space, word joiner, invisibles */
	{ 0x2066, 0x206f },	/* isolates, deprecated format characters */
	{ 0x3000, 0x3000 },	/* ideographic space */
	{ 0xfeff, 0xfeff },	/* zero-width no-break space (BOM) */
};

static bool
xferlog_cp_unsafe(uint32_t cp)
{
	size_t i;

	for (i = 0; i < sizeof(xferlog_unsafe) / sizeof(xferlog_unsafe[0]);
	    i++)
		if (cp >= xferlog_unsafe[i].lo && cp <= xferlog_unsafe[i].hi)
			return true;
	return false;
}

/*
 * The length (2..4) of the well-formed UTF-8 character at p[0..len) and
 * its code point, or 0: a lone continuation byte, a lead byte without its
 * continuations, an overlong form, a surrogate (U+D800-DFFF) or past
 * U+10FFFF (RFC 3629's table).
 */
static size_t
xferlog_utf8(const unsigned char *p, size_t len, uint32_t *cp)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	size_t n, i;
	uint32_t v;

	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		v = c & 0x1fu;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		v = c & 0x0fu;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		v = c & 0x07u;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	if (len < n || p[1] < lo || p[1] > hi)
		return 0;
	v = v << 6 | (p[1] & 0x3fu);
	for (i = 2; i < n; i++) {
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
		v = v << 6 | (p[i] & 0x3fu);
	}
	*cp = v;
	return n;
}

size_t
xferlog_field(char *dst, const char *src, size_t len, size_t max)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t i = 0, o = 0, n, k;
	uint32_t cp;

	if (len == 0) {
		memcpy(dst, XFERLOG_EMPTY, sizeof(XFERLOG_EMPTY));
		return sizeof(XFERLOG_EMPTY) - 1;
	}
	while (i < len) {
		unsigned char c = s[i];

		if (c > 0x20 && c < 0x7f) {
			n = 1;
		} else if (c < 0x80) {
			n = 1;		/* space, controls, DEL */
			c = XFERLOG_SPACE_SUB;
		} else if ((n = xferlog_utf8(s + i, len - i, &cp)) == 0) {
			n = 1;		/* not UTF-8 */
			c = XFERLOG_BYTE_SUB;
		} else if (xferlog_cp_unsafe(cp)) {
			c = XFERLOG_SPACE_SUB;
		} else {
			c = 0;		/* a character kept as it is */
		}
		if (i + n > max)
			break;
		if (c == 0) {
			memcpy(dst + o, s + i, n);
			o += n;
		} else {
			for (k = 0; k < n; k++)
				dst[o++] = (char)c;
		}
		i += n;
	}
	if (i < len) {
		memcpy(dst + o, XFERLOG_CUT, sizeof(XFERLOG_CUT) - 1);
		o += sizeof(XFERLOG_CUT) - 1;
	}
	dst[o] = '\0';
	return o;
}

bool
xferlog_user_anonymous(const char *user, size_t len)
{
	return (len == 9 && strncasecmp(user, "anonymous", 9) == 0) ||
	    (len == 3 && strncasecmp(user, "ftp", 3) == 0);
}

bool
xferlog_stou_name(const char *line, size_t len, size_t *off, size_t *n)
{
	static const char tag[] = "FILE:";
	size_t i = 4;

	/* "nnn " or "nnn-", then the text. */
	if (len < 4 || (line[3] != ' ' && line[3] != '-'))
		return false;
	if (len - i < sizeof(tag) - 1 ||
	    strncasecmp(line + i, tag, sizeof(tag) - 1) != 0)
		return false;
	i += sizeof(tag) - 1;
	while (i < len && line[i] == ' ')
		i++;
	if (i == len)
		return false;
	*off = i;
	*n = len - i;
	return true;
}

const char *
xferlog_chroot_path(const char *path, const char *root)
{
	size_t n = strlen(root);

	while (n > 0 && root[n - 1] == '/')
		n--;
	if (root[0] == '\0')
		return path;
	if (n == 0)		/* chroot = / */
		return path;
	if (strncmp(path, root, n) != 0 || path[n] != '/')
		return NULL;
	return path + n;
}

/* transfer-time: whole seconds, rounded, at least 1. */
static uint64_t
xferlog_seconds(uint64_t ms)
{
	uint64_t s = ms / 1000u + (ms % 1000u >= 500u ? 1u : 0u);

	return s == 0 ? 1 : s;
}

size_t
xferlog_format(char *buf, size_t cap, const struct xferlog_rec *r)
{
	char host[XFERLOG_HOST_MAX + 4], name[XFERLOG_NAME_MAX + 4];
	char user[XFERLOG_USER_MAX + 4];
	const struct tm *t = &r->when;
	int n;

	if (cap == 0)
		return 0;
	xferlog_field(host, r->host, r->host_len, XFERLOG_HOST_MAX);
	xferlog_field(name, r->name, r->name_len, XFERLOG_NAME_MAX);
	xferlog_field(user, r->user, r->user_len, XFERLOG_USER_MAX);
	n = snprintf(buf, cap, "%s %s %2d %02d:%02d:%02d %d %llu %s %llu %s "
	    "%c _ %c %c %s ftp 0 * %c\n",
	    t->tm_wday >= 0 && t->tm_wday < 7 ? xferlog_days[t->tm_wday] :
	    "???", t->tm_mon >= 0 && t->tm_mon < 12 ?
	    xferlog_months[t->tm_mon] : "???", t->tm_mday, t->tm_hour,
	    t->tm_min, t->tm_sec, t->tm_year + 1900,
	    (unsigned long long)xferlog_seconds(r->elapsed_ms), host,
	    (unsigned long long)r->bytes, name, r->ascii ? 'a' : 'b',
	    r->upload ? 'i' : 'o', r->anonymous ? 'a' : 'r', user,
	    r->complete ? 'c' : 'i');
	if (n < 0 || (size_t)n >= cap) {
		buf[0] = '\0';
		return 0;
	}
	return (size_t)n;
}
