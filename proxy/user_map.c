/* The user map: user name or glob -> pool, first match wins. */
#include "proxy/user_map.h"

#include <fnmatch.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "proxy/limits.h"

/* Bytes of a pattern or pool quoted in a message. */
#define UMAP_QUOTE_MAX 40

struct umap_parser {
	const char *file;
	unsigned lineno;
	char *err;
	size_t errcap;
};

static void umap_error(struct umap_parser *ps, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
umap_error(struct umap_parser *ps, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (ps->err == NULL || ps->errcap == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(ps->err, ps->errcap, "%s:%u: %s", ps->file, ps->lineno, msg);
}

/* Printable ASCII of s[0..n) for a message, other bytes as '?'. */
static const char *
umap_quote(char *dst, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && i < UMAP_QUOTE_MAX; i++)
		dst[i] = s[i] > 0x20 && s[i] < 0x7f ? s[i] : '?';
	dst[i] = '\0';
	return dst;
}

static bool
umap_space(char c)
{
	return c == ' ' || c == '\t';
}

/* A byte allowed in a field: not a control character, not a space. */
static bool
umap_field_byte(char c)
{
	unsigned char u = (unsigned char)c;

	return u > 0x20 && u != 0x7f;
}

/* One line without its line end. */
static int
umap_line(struct user_map *m, const struct config *cfg,
    struct umap_parser *ps, const char *p, size_t n)
{
	char q[UMAP_QUOTE_MAX + 1];
	const char *f[3];
	size_t fl[3], nf = 0, i = 0;
	int pool;

	while (i < n) {
		size_t start;

		while (i < n && umap_space(p[i]))
			i++;
		if (i == n || p[i] == '#')
			break;
		start = i;
		while (i < n && !umap_space(p[i])) {
			if (!umap_field_byte(p[i])) {
				umap_error(ps, "control character in line; "
				    "expected printable text");
				return -1;
			}
			i++;
		}
		if (nf == 3)
			break;
		f[nf] = p + start;
		fl[nf++] = i - start;
	}
	if (nf == 0)
		return 0;
	if (nf != 2) {
		umap_error(ps, "%zu field%s; expected USER-OR-GLOB and POOL, "
		    "e.g. \"alice  nas\" or \"*@example.com  portal\"", nf,
		    nf == 1 ? "" : "s or more");
		return -1;
	}
	if (fl[0] > USER_MAP_PATTERN_MAX) {
		umap_error(ps, "pattern of %zu bytes; expected at most %d",
		    fl[0], USER_MAP_PATTERN_MAX);
		return -1;
	}
	pool = cfg_pool_find(cfg, f[1], fl[1]);
	if (pool < 0) {
		umap_error(ps, "'%s' is neither a pool nor a backend of "
		    "gateway.conf; expected the name of a [backend] section "
		    "or a pool = NAME", umap_quote(q, f[1], fl[1]));
		return -1;
	}
	if (m->n >= USER_MAP_MAX) {
		umap_error(ps, "more than %d rules; expected at most %d "
		    "(a glob can stand for many users)", USER_MAP_MAX,
		    USER_MAP_MAX);
		return -1;
	}
	memcpy(m->rule[m->n].pattern, f[0], fl[0]);
	m->rule[m->n].pattern[fl[0]] = '\0';
	m->rule[m->n].pool = (unsigned)pool;
	m->rule[m->n].line = ps->lineno;
	m->n++;
	return 0;
}

int
user_map_parse(struct user_map *m, const struct config *cfg,
    const char *file, const char *text, size_t len, char *err,
    size_t errcap)
{
	struct umap_parser ps = { file, 0, err, errcap };
	const char *p = text, *end = text + len, *lf;
	size_t n;

	m->n = 0;
	if (err != NULL && errcap > 0)
		err[0] = '\0';
	while (p < end) {
		ps.lineno++;
		lf = memchr(p, '\n', (size_t)(end - p));
		n = (size_t)((lf != NULL ? lf : end) - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n > CFG_LINE_MAX) {
			umap_error(&ps, "line is %zu bytes long; expected at "
			    "most %d", n, CFG_LINE_MAX);
			return -1;
		}
		if (memchr(p, '\0', n) != NULL) {
			umap_error(&ps, "NUL byte in line; expected a text "
			    "file");
			return -1;
		}
		if (umap_line(m, cfg, &ps, p, n) != 0)
			return -1;
		if (lf == NULL)
			break;
		p = lf + 1;
	}
	return 0;
}

int
user_map_lookup(const struct user_map *m, const char *user, size_t len)
{
	char name[USER_MAP_NAME_MAX + 1];
	size_t i;

	if (len > USER_MAP_NAME_MAX || memchr(user, '\0', len) != NULL)
		return -1;
	memcpy(name, user, len);
	name[len] = '\0';
	for (i = 0; i < m->n; i++)
		if (fnmatch(m->rule[i].pattern, name, 0) == 0)
			return (int)m->rule[i].pool;
	return -1;
}
