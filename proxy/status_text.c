/* The status snapshot as JSON and as an HTML page (proxy/status_text.h).
 * One writer for both: bytes past the room are counted, not written, and
 * every string passes through one UTF-8 walker and an escaper for its
 * place. Pure: no I/O. */
#include "proxy/status_text.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

struct st_out {
	char *buf;
	size_t cap;		/* room for text, the NUL excluded */
	size_t len;		/* the whole text's length so far */
};

static void
out_mem(struct st_out *o, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++, o->len++)
		if (o->len < o->cap)
			o->buf[o->len] = p[i];
}

static void
out_str(struct st_out *o, const char *s)
{
	out_mem(o, s, strlen(s));
}

static void out_fmt(struct st_out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Short formatted pieces only (numbers and their words): longer text
 * goes through out_str, which has no limit. */
static void
out_fmt(struct st_out *o, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		out_mem(o, tmp, (size_t)n < sizeof(tmp) ? (size_t)n :
		    sizeof(tmp) - 1);
}

static void
out_u64(struct st_out *o, uint64_t v)
{
	out_fmt(o, "%" PRIu64, v);
}

/*
 * The length of the well-formed UTF-8 sequence at p (n bytes left): 1 to 4,
 * or 0 when the bytes there are not one (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF, no cut sequence).
 */
static size_t
st_utf8(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	size_t len, i;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1fu;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0fu;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07u;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0u) != 0x80u)
			return 0;
		cp = cp << 6 | (p[i] & 0x3fu);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

/* The replacement character, for bytes that are not UTF-8. */
static const char st_fffd[] = "\xef\xbf\xbd";

/* A JSON string, quotes included: '"' and '\' escaped, every control byte,
 * DEL and '<', '>', '&' as \u00XX (so the text is safe inside HTML too),
 * bytes that are not UTF-8 as U+FFFD. */
static void
out_json_mem(struct st_out *o, const char *p, size_t n)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t i = 0, k;

	out_mem(o, "\"", 1);
	while (i < n) {
		unsigned char c = u[i];

		if (c == '"' || c == '\\') {
			out_mem(o, "\\", 1);
			out_mem(o, p + i, 1);
			i++;
		} else if (c < 0x20 || c == 0x7f || c == '<' || c == '>' ||
		    c == '&') {
			out_fmt(o, "\\u%04x", (unsigned)c);
			i++;
		} else if ((k = st_utf8(u + i, n - i)) > 0) {
			out_mem(o, p + i, k);
			i += k;
		} else {
			out_str(o, st_fffd);
			i++;
		}
	}
	out_mem(o, "\"", 1);
}

static void
out_json_str(struct st_out *o, const char *s)
{
	out_json_mem(o, s, strlen(s));
}

/* HTML text or attribute value: '&', '<', '>', '"', '\'' as character
 * references, control bytes and DEL shown as \xNN, bytes that are not
 * UTF-8 as U+FFFD. */
static void
out_html_mem(struct st_out *o, const char *p, size_t n)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t i = 0, k;

	while (i < n) {
		unsigned char c = u[i];

		switch (c) {
		case '&':
			out_str(o, "&amp;");
			break;
		case '<':
			out_str(o, "&lt;");
			break;
		case '>':
			out_str(o, "&gt;");
			break;
		case '"':
			out_str(o, "&quot;");
			break;
		case '\'':
			out_str(o, "&#39;");
			break;
		default:
			if (c < 0x20 || c == 0x7f) {
				out_fmt(o, "\\x%02x", (unsigned)c);
				break;
			}
			if ((k = st_utf8(u + i, n - i)) > 0) {
				out_mem(o, p + i, k);
				i += k;
				continue;
			}
			out_str(o, st_fffd);
			break;
		}
		i++;
	}
}

static void
out_html_str(struct st_out *o, const char *s)
{
	out_html_mem(o, s, strlen(s));
}

/* Unix time t as "2024-05-01T12:00:00Z". */
static void
out_time(struct st_out *o, uint64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char b[32];

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(b, sizeof(b), "%" PRIu64, t);
	out_str(o, b);
}

/* Bytes in binary units (status_fmt_bytes). */
static void
out_bytes(struct st_out *o, uint64_t v, const char *suffix)
{
	char b[STATUS_FMT_MAX];

	out_str(o, status_fmt_bytes(b, sizeof(b), v, suffix));
}

static void
out_duration(struct st_out *o, uint64_t ms)
{
	char b[STATUS_FMT_MAX];

	out_str(o, status_fmt_duration(b, sizeof(b), ms));
}

static bool
st_xfer(const struct status_sess *x)
{
	return x->state == STATUS_ST_DOWNLOAD || x->state == STATUS_ST_UPLOAD;
}

/* For each listed session x (worker p, index i), at most STATUS_LIST_MAX
 * in all; listed counts those before x. */
#define ST_EACH_SESSION(s, p, i, x, listed)				\
	for ((p) = 0, (listed) = 0; (p) < (s)->n_workers &&		\
	    (p) < STATUS_WORKERS_MAX; (p)++)				\
		for ((i) = 0; (i) < (s)->part[p].n &&			\
		    (listed) < STATUS_LIST_MAX &&			\
		    ((x) = &(s)->part[p].sess[i], 1); (i)++, (listed)++)

static size_t
st_open(const struct status_snap *s)
{
	size_t p, n = 0;

	for (p = 0; p < s->n_workers && p < STATUS_WORKERS_MAX; p++)
		n += s->part[p].answered ? s->part[p].open : 0;
	return n;
}

static size_t
st_listed(const struct status_snap *s)
{
	size_t p, n = 0;

	for (p = 0; p < s->n_workers && p < STATUS_WORKERS_MAX; p++)
		n += s->part[p].n;
	return n < STATUS_LIST_MAX ? n : STATUS_LIST_MAX;
}

static void
json_session(struct st_out *o, const struct status_sess *x)
{
	out_str(o, "{\"id\":");
	out_u64(o, x->id);
	out_str(o, ",\"client\":");
	out_json_str(o, x->client);
	out_str(o, ",\"user\":");
	out_json_mem(o, x->user, x->user_len);
	out_str(o, x->anonymous ? ",\"anonymous\":true" :
	    ",\"anonymous\":false");
	out_str(o, ",\"listener\":");
	out_json_str(o, x->listener);
	out_str(o, x->implicit ? ",\"kind\":\"implicit\"" :
	    ",\"kind\":\"explicit\"");
	out_str(o, ",\"worker\":");
	out_u64(o, x->worker);
	out_str(o, ",\"state\":");
	out_json_str(o, status_state_text(x->state));
	out_str(o, ",\"duration_ms\":");
	out_u64(o, x->age_ms);
	out_str(o, ",\"data_down\":");
	out_u64(o, x->data_down);
	out_str(o, ",\"data_up\":");
	out_u64(o, x->data_up);
	out_str(o, ",\"transfer\":");
	if (!st_xfer(x)) {
		out_str(o, "null}");
		return;
	}
	out_str(o, x->state == STATUS_ST_UPLOAD ?
	    "{\"direction\":\"upload\",\"file\":" :
	    "{\"direction\":\"download\",\"file\":");
	out_json_mem(o, x->file, x->file_len);
	out_str(o, ",\"bytes\":");
	out_u64(o, x->xfer_bytes);
	out_str(o, ",\"elapsed_ms\":");
	out_u64(o, x->xfer_ms);
	out_str(o, ",\"rate_bps\":");
	out_u64(o, status_rate(x->xfer_bytes, x->xfer_ms));
	out_str(o, "}}");
}

size_t
status_json(const struct status_snap *s, char *buf, size_t cap)
{
	struct st_out o = { buf, cap > 0 ? cap - 1 : 0, 0 };
	const struct status_sess *x = NULL;
	size_t p, i, listed;
	bool first;

	out_str(&o, "{\"version\":");
	out_json_str(&o, s->version != NULL ? s->version : "");
	out_str(&o, ",\"time\":\"");
	out_time(&o, s->now);
	out_str(&o, "\",\"workers\":");
	out_u64(&o, s->n_workers);
	out_str(&o, ",\"workers_silent\":[");
	for (p = 0, first = true; p < s->n_workers && p < STATUS_WORKERS_MAX;
	    p++) {
		if (s->part[p].answered)
			continue;
		out_str(&o, first ? "" : ",");
		out_u64(&o, p);
		first = false;
	}
	out_str(&o, "],\"sessions_open\":");
	out_u64(&o, st_open(s));
	out_str(&o, ",\"sessions_listed\":");
	out_u64(&o, st_listed(s));
	out_str(&o, ",\"sessions\":[");
	ST_EACH_SESSION(s, p, i, x, listed) {
		out_str(&o, listed > 0 ? "," : "");
		json_session(&o, x);
	}
	out_str(&o, "],\"backends\":[");
	for (i = 0; i < s->n_backends && i < STATUS_BACKENDS_MAX; i++) {
		const struct status_backend *b = &s->backend[i];

		out_str(&o, i > 0 ? ",{\"name\":" : "{\"name\":");
		out_json_str(&o, b->name);
		out_str(&o, ",\"address\":");
		out_json_str(&o, b->addr);
		out_str(&o, ",\"health\":");
		out_json_str(&o, status_health_text(b->health));
		out_str(&o, ",\"checked_ms_ago\":");
		if (b->health == STATUS_HEALTH_UNKNOWN)
			out_str(&o, "null");
		else
			out_u64(&o, b->checked_ms_ago);
		out_str(&o, "}");
	}
	out_str(&o, "],\"refusals_total\":");
	out_u64(&o, s->refusals_total);
	out_str(&o, ",\"refusals\":[");
	for (i = 0; i < s->n_refusals && i < STATUS_REFUSALS_MAX; i++) {
		const struct status_refusal *r = &s->refusal[i];

		out_str(&o, i > 0 ? ",{\"time\":\"" : "{\"time\":\"");
		out_time(&o, r->when);
		out_str(&o, "\",\"client\":");
		out_json_mem(&o, r->client, strnlen(r->client,
		    sizeof(r->client)));
		out_str(&o, ",\"reason\":");
		out_json_mem(&o, r->reason, strnlen(r->reason,
		    sizeof(r->reason)));
		out_str(&o, "}");
	}
	out_str(&o, "]}\n");
	if (cap > 0)
		buf[o.len < o.cap ? o.len : o.cap] = '\0';
	return o.len;
}

/* No external load of any kind: the page is its own style. */
static const char st_style[] =
    "body{font:14px/1.4 sans-serif;margin:1em 2em;color:#222}"
    "h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.5em}"
    "table{border-collapse:collapse}"
    "th,td{border:1px solid #ccc;padding:2px 8px;text-align:left;"
    "vertical-align:top}"
    "th{background:#eee}td.n{text-align:right}"
    ".up{color:#070}.down{color:#b00;font-weight:bold}.unknown{color:#777}"
    ".warn{color:#b00}";

static void
html_session(struct st_out *o, const struct status_sess *x)
{
	out_fmt(o, "<tr id=\"s%" PRIu64 "\"><td class=\"n\">%" PRIu64
	    "</td><td class=\"client\">", x->id, x->id);
	out_html_str(o, x->client);
	out_str(o, "</td><td class=\"user\">");
	out_html_mem(o, x->user, x->user_len);
	if (x->anonymous)
		out_str(o, " (anonymous)");
	out_str(o, "</td><td>");
	out_html_str(o, x->listener);
	out_str(o, x->implicit ? " implicit" : " explicit");
	out_fmt(o, "</td><td class=\"n\">%u</td><td class=\"state\">",
	    x->worker);
	out_html_str(o, status_state_text(x->state));
	out_str(o, "</td><td class=\"file\">");
	if (st_xfer(x)) {
		out_str(o, x->state == STATUS_ST_UPLOAD ? "&uarr; " :
		    "&darr; ");
		out_html_mem(o, x->file, x->file_len);
		out_str(o, "</td><td class=\"n bytes\" data-bytes=\"");
		out_u64(o, x->xfer_bytes);
		out_str(o, "\">");
		out_bytes(o, x->xfer_bytes, "");
		out_str(o, "</td><td class=\"n\">");
		out_bytes(o, status_rate(x->xfer_bytes, x->xfer_ms), "/s");
	} else {
		out_str(o, "</td><td class=\"n bytes\" data-bytes=\"0\">"
		    "</td><td class=\"n\">");
	}
	out_str(o, "</td><td class=\"n\">");
	out_duration(o, x->age_ms);
	out_str(o, "</td></tr>\n");
}

size_t
status_html(const struct status_snap *s, char *buf, size_t cap)
{
	struct st_out o = { buf, cap > 0 ? cap - 1 : 0, 0 };
	const struct status_sess *x = NULL;
	size_t p, i, listed, open;
	bool first;

	out_str(&o, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\">");
	out_fmt(&o, "<meta http-equiv=\"refresh\" content=\"%d\">",
	    STATUS_REFRESH_S);
	out_str(&o, "<title>ftpsgw status</title><style>");
	out_str(&o, st_style);
	out_str(&o, "</style></head>\n<body>\n<h1>ftpsgw status</h1>\n<p>"
	    "ftpsgw ");
	out_html_str(&o, s->version != NULL ? s->version : "");
	out_str(&o, ", ");
	out_time(&o, s->now);
	out_fmt(&o, ", %u worker%s; this page reloads every %d s "
	    "(<a href=\"/status.json\">JSON</a>, "
	    "<a href=\"/metrics\">metrics</a>)</p>\n", s->n_workers,
	    s->n_workers == 1 ? "" : "s", STATUS_REFRESH_S);
	for (p = 0, first = true; p < s->n_workers && p < STATUS_WORKERS_MAX;
	    p++) {
		if (s->part[p].answered)
			continue;
		out_str(&o, first ? "<p class=\"warn\">No answer in time from "
		    "worker" : ",");
		out_fmt(&o, " %zu", p);
		first = false;
	}
	if (!first)
		out_str(&o, ": its sessions are not listed (a busy or stuck "
		    "event loop; see the log and "
		    "ftpsgw_worker_busy_seconds_total).</p>\n");
	open = st_open(s);
	out_fmt(&o, "<h2>Sessions: %zu open</h2>\n", open);
	if (st_listed(s) < open)
		out_fmt(&o, "<p>Only the first %zu are listed.</p>\n",
		    st_listed(s));
	out_str(&o, "<table id=\"sessions\"><tr><th>#</th><th>client</th>"
	    "<th>user</th><th>listener</th><th>worker</th><th>state</th>"
	    "<th>transfer</th><th>bytes</th><th>rate</th><th>duration</th>"
	    "</tr>\n");
	ST_EACH_SESSION(s, p, i, x, listed)
		html_session(&o, x);
	out_str(&o, "</table>\n<h2>FTP servers</h2>\n<table id=\"backends\">"
	    "<tr><th>backend</th><th>address</th><th>health</th>"
	    "<th>last seen</th></tr>\n");
	for (i = 0; i < s->n_backends && i < STATUS_BACKENDS_MAX; i++) {
		const struct status_backend *b = &s->backend[i];
		const char *h = status_health_text(b->health);

		out_str(&o, "<tr><td>");
		out_html_str(&o, b->name);
		out_str(&o, "</td><td>");
		out_html_str(&o, b->addr);
		out_fmt(&o, "</td><td class=\"%s\">%s</td><td>", h, h);
		if (b->health != STATUS_HEALTH_UNKNOWN) {
			out_duration(&o, b->checked_ms_ago);
			out_str(&o, " ago");
		}
		out_str(&o, "</td></tr>\n");
	}
	out_fmt(&o, "</table>\n<h2>Recent refusals: %zu listed, %" PRIu64
	    " since start</h2>\n", s->n_refusals < STATUS_REFUSALS_MAX ?
	    s->n_refusals : STATUS_REFUSALS_MAX, s->refusals_total);
	out_str(&o, "<table id=\"refusals\"><tr><th>time (UTC)</th>"
	    "<th>client</th><th>reason</th></tr>\n");
	for (i = 0; i < s->n_refusals && i < STATUS_REFUSALS_MAX; i++) {
		const struct status_refusal *r = &s->refusal[i];

		out_str(&o, "<tr><td>");
		out_time(&o, r->when);
		out_str(&o, "</td><td>");
		out_html_mem(&o, r->client, strnlen(r->client,
		    sizeof(r->client)));
		out_str(&o, "</td><td>");
		out_html_mem(&o, r->reason, strnlen(r->reason,
		    sizeof(r->reason)));
		out_str(&o, "</td></tr>\n");
	}
	out_str(&o, "</table>\n</body></html>\n");
	if (cap > 0)
		buf[o.len < o.cap ? o.len : o.cap] = '\0';
	return o.len;
}
