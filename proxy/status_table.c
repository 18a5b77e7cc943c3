/* /status.json as terminal tables (proxy/status_table.h). Each table is
 * written twice over the same rows: once to measure its columns, once to
 * print them padded. Pure: no I/O. */
#include "proxy/status_table.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "proxy/status.h"

#define TBL_COLS_MAX	10
/* A cell's bytes at most (a file name of STATUS_FILE_MAX bytes, each
 * '?' or up to 3 bytes of U+FFFD, and an arrow). */
#define TBL_CELL_MAX	(STATUS_FILE_MAX * 3 + 8)

struct tbl_out {
	char *buf;
	size_t cap;
	size_t len;
};

static void
tbl_mem(struct tbl_out *o, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++, o->len++)
		if (o->len < o->cap)
			o->buf[o->len] = p[i];
}

static void
tbl_str(struct tbl_out *o, const char *s)
{
	tbl_mem(o, s, strlen(s));
}

/* Columns on a terminal: UTF-8 continuation bytes take none. */
static size_t
tbl_width(const char *s)
{
	size_t w = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0u) != 0x80u)
			w++;
	return w;
}

struct tbl {
	struct tbl_out *o;
	bool measure;			/* first pass: widths only */
	size_t ncols;
	size_t w[TBL_COLS_MAX];
	char cell[TBL_COLS_MAX][TBL_CELL_MAX];
};

/* The row in t->cell: measured, or printed two spaces apart. */
static void
tbl_row(struct tbl *t)
{
	size_t c, w;

	for (c = 0; c < t->ncols; c++) {
		w = tbl_width(t->cell[c]);
		if (t->measure) {
			if (w > t->w[c])
				t->w[c] = w;
			continue;
		}
		tbl_str(t->o, t->cell[c]);
		if (c + 1 == t->ncols)
			break;
		for (; w < t->w[c] + 2; w++)
			tbl_mem(t->o, " ", 1);
	}
	if (!t->measure)
		tbl_mem(t->o, "\n", 1);
}

/* Decoded text made safe for a terminal: control bytes and DEL as '?';
 * the JSON reader guarantees UTF-8 only as far as its input was, so
 * bytes >= 0x80 pass (a terminal shows a bad one as a replacement). */
static void
tbl_safe(char *cell, size_t cap, const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < cap; i++)
		cell[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' :
		    s[i];
	cell[i] = '\0';
}

/* Append src to the cell dst, cut to fit. */
static void
tbl_cat(char *dst, const char *src)
{
	size_t n = strlen(dst);

	for (; *src != '\0' && n + 1 < TBL_CELL_MAX; src++)
		dst[n++] = *src;
	dst[n] = '\0';
}

/* Member key of object obj as text in cell: a string (safe), a whole
 * number, "" for null or missing, "?" for anything else. */
static void
tbl_field(const struct json_doc *d, size_t obj, const char *key, char *cell)
{
	char tmp[TBL_CELL_MAX];
	size_t v = json_get(d, obj, key);
	int64_t n;

	cell[0] = '\0';
	if (v == JSON_NONE || d->tok[v].type == JSON_NULL)
		return;
	if (json_str(d, v, tmp, sizeof(tmp)) >= 0)
		tbl_safe(cell, TBL_CELL_MAX, tmp);
	else if (json_int(d, v, &n) == 0)
		snprintf(cell, TBL_CELL_MAX, "%" PRId64, n);
	else
		snprintf(cell, TBL_CELL_MAX, "?");
}

/* A whole, non-negative number member (0 otherwise). */
static uint64_t
tbl_u64(const struct json_doc *d, size_t obj, const char *key)
{
	size_t v = json_get(d, obj, key);
	int64_t n;

	if (v == JSON_NONE || json_int(d, v, &n) < 0 || n < 0)
		return 0;
	return (uint64_t)n;
}

static void
tbl_head(struct tbl *t, const char *const *names, size_t n)
{
	size_t c;

	t->ncols = n;
	for (c = 0; c < n; c++)
		snprintf(t->cell[c], TBL_CELL_MAX, "%s", names[c]);
	tbl_row(t);
}

static const char *const tbl_sess_cols[] = { "ID", "CLIENT", "USER",
    "LISTENER", "W", "STATE", "TRANSFER", "BYTES", "RATE", "DURATION" };

static void
tbl_sessions(struct tbl *t, const struct json_doc *d, size_t arr)
{
	size_t x;

	tbl_head(t, tbl_sess_cols, sizeof(tbl_sess_cols) /
	    sizeof(tbl_sess_cols[0]));
	for (x = json_first(d, arr); x != JSON_NONE; x = json_next(d, arr, x)) {
		size_t tr = json_get(d, x, "transfer");

		if (d->tok[x].type != JSON_OBJECT)
			continue;
		tbl_field(d, x, "id", t->cell[0]);
		tbl_field(d, x, "client", t->cell[1]);
		tbl_field(d, x, "user", t->cell[2]);
		tbl_field(d, x, "listener", t->cell[3]);
		if (json_str_eq(d, json_get(d, x, "kind"), "implicit"))
			tbl_cat(t->cell[3], " implicit");
		tbl_field(d, x, "worker", t->cell[4]);
		tbl_field(d, x, "state", t->cell[5]);
		t->cell[6][0] = t->cell[7][0] = t->cell[8][0] = '\0';
		if (tr != JSON_NONE && d->tok[tr].type == JSON_OBJECT) {
			char name[TBL_CELL_MAX];

			tbl_field(d, tr, "file", name);
			strcpy(t->cell[6], json_str_eq(d, json_get(d, tr,
			    "direction"), "upload") ? "up " : "down ");
			tbl_cat(t->cell[6], name);
			status_fmt_bytes(t->cell[7], TBL_CELL_MAX,
			    tbl_u64(d, tr, "bytes"), "");
			status_fmt_bytes(t->cell[8], TBL_CELL_MAX,
			    tbl_u64(d, tr, "rate_bps"), "/s");
		}
		status_fmt_duration(t->cell[9], TBL_CELL_MAX,
		    tbl_u64(d, x, "duration_ms"));
		tbl_row(t);
	}
}

static const char *const tbl_be_cols[] = { "BACKEND", "ADDRESS", "HEALTH",
    "LAST SEEN" };

static void
tbl_backends(struct tbl *t, const struct json_doc *d, size_t arr)
{
	size_t x;

	tbl_head(t, tbl_be_cols, sizeof(tbl_be_cols) / sizeof(tbl_be_cols[0]));
	for (x = json_first(d, arr); x != JSON_NONE; x = json_next(d, arr, x)) {
		size_t ago = json_get(d, x, "checked_ms_ago");

		if (d->tok[x].type != JSON_OBJECT)
			continue;
		tbl_field(d, x, "name", t->cell[0]);
		tbl_field(d, x, "address", t->cell[1]);
		tbl_field(d, x, "health", t->cell[2]);
		t->cell[3][0] = '\0';
		if (ago != JSON_NONE && d->tok[ago].type == JSON_NUMBER) {
			status_fmt_duration(t->cell[3], TBL_CELL_MAX,
			    tbl_u64(d, x, "checked_ms_ago"));
			tbl_cat(t->cell[3], " ago");
		}
		tbl_row(t);
	}
}

static const char *const tbl_ref_cols[] = { "TIME (UTC)", "CLIENT",
    "REASON" };

static void
tbl_refusals(struct tbl *t, const struct json_doc *d, size_t arr)
{
	size_t x;

	tbl_head(t, tbl_ref_cols, sizeof(tbl_ref_cols) /
	    sizeof(tbl_ref_cols[0]));
	for (x = json_first(d, arr); x != JSON_NONE; x = json_next(d, arr, x)) {
		if (d->tok[x].type != JSON_OBJECT)
			continue;
		tbl_field(d, x, "time", t->cell[0]);
		tbl_field(d, x, "client", t->cell[1]);
		tbl_field(d, x, "reason", t->cell[2]);
		tbl_row(t);
	}
}

/* One section: its title line, then its table measured and printed. */
static void
tbl_section(struct tbl_out *o, const char *title, const struct json_doc *d,
    size_t arr, void (*fn)(struct tbl *, const struct json_doc *, size_t))
{
	struct tbl t;

	memset(&t, 0, sizeof(t));
	t.o = o;
	tbl_str(o, "\n");
	tbl_str(o, title);
	tbl_str(o, "\n");
	t.measure = true;
	fn(&t, d, arr);
	t.measure = false;
	fn(&t, d, arr);
}

enum status_table_err
status_table(const char *json, size_t len, struct json_tok *tok,
    size_t ntok, char *buf, size_t cap, size_t *out_len)
{
	struct tbl_out o = { buf, cap > 0 ? cap - 1 : 0, 0 };
	struct json_doc d;
	size_t n, sess, be, ref, silent, x;
	char line[TBL_CELL_MAX], v[TBL_CELL_MAX], when[TBL_CELL_MAX];

	*out_len = 0;
	if (json_parse(json, len, tok, ntok, &n, &d) != JSON_OK)
		return STATUS_TABLE_JSON;
	if (d.n == 0 || d.tok[0].type != JSON_OBJECT)
		return STATUS_TABLE_SHAPE;
	sess = json_get(&d, 0, "sessions");
	be = json_get(&d, 0, "backends");
	ref = json_get(&d, 0, "refusals");
	silent = json_get(&d, 0, "workers_silent");
	if (sess == JSON_NONE || d.tok[sess].type != JSON_ARRAY ||
	    be == JSON_NONE || d.tok[be].type != JSON_ARRAY ||
	    ref == JSON_NONE || d.tok[ref].type != JSON_ARRAY)
		return STATUS_TABLE_SHAPE;
	tbl_field(&d, 0, "version", v);
	tbl_field(&d, 0, "time", when);
	tbl_str(&o, "ftpsgw ");
	tbl_str(&o, v);
	tbl_str(&o, " at ");
	tbl_str(&o, when);
	snprintf(line, sizeof(line), ": %" PRIu64 " worker%s, %" PRIu64
	    " session%s open\n", tbl_u64(&d, 0, "workers"),
	    tbl_u64(&d, 0, "workers") == 1 ? "" : "s",
	    tbl_u64(&d, 0, "sessions_open"),
	    tbl_u64(&d, 0, "sessions_open") == 1 ? "" : "s");
	tbl_str(&o, line);
	if (silent != JSON_NONE && d.tok[silent].type == JSON_ARRAY)
		for (x = json_first(&d, silent); x != JSON_NONE;
		    x = json_next(&d, silent, x)) {
			int64_t w;

			if (json_int(&d, x, &w) < 0)
				continue;
			snprintf(line, sizeof(line), "worker %" PRId64 " did "
			    "not answer in time: its sessions are missing\n",
			    w);
			tbl_str(&o, line);
		}
	if (tbl_u64(&d, 0, "sessions_listed") < tbl_u64(&d, 0,
	    "sessions_open")) {
		snprintf(line, sizeof(line), "(only %" PRIu64 " listed)\n",
		    tbl_u64(&d, 0, "sessions_listed"));
		tbl_str(&o, line);
	}
	tbl_section(&o, "SESSIONS", &d, sess, tbl_sessions);
	tbl_section(&o, "FTP SERVERS", &d, be, tbl_backends);
	snprintf(line, sizeof(line), "RECENT REFUSALS (%" PRIu64 " since "
	    "start)", tbl_u64(&d, 0, "refusals_total"));
	tbl_section(&o, line, &d, ref, tbl_refusals);
	if (cap > 0)
		buf[o.len < o.cap ? o.len : o.cap] = '\0';
	*out_len = o.len;
	return STATUS_TABLE_OK;
}
