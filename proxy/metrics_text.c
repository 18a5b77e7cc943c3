/* A metrics snapshot as Prometheus exposition text, driven by the table of
 * proxy/metrics.h: the renderer knows no metric by name. Pure: no I/O. */
#include "proxy/metrics_text.h"

#include <stdbool.h>
#include <string.h>

/* One label dimension: its label and its values' texts. */
struct metrics_dim_def {
	const char *label;
	const char *const *values;
	unsigned n;
};

#define METRICS_TEXT(d, name, text) text,
#define METRICS_DIM_VALUES(d, label) \
	static const char *const metrics_values_##d[] = { \
	    METRICS_VALUES_##d(METRICS_TEXT, d) };
METRICS_DIMS(METRICS_DIM_VALUES)
#undef METRICS_DIM_VALUES

static const struct metrics_dim_def metrics_dims[MD__N] = {
#define METRICS_DIM_DEF(d, label) \
	[MD_##d] = { label, metrics_values_##d, MV_##d##__N },
	METRICS_DIMS(METRICS_DIM_DEF)
#undef METRICS_DIM_DEF
};

#define METRICS_DIMS_MAX 4

struct metrics_def {
	const char *name;
	enum metrics_type type;
	uint64_t scale;
	enum metrics_dim dims[METRICS_DIMS_MAX];
	size_t slot;
	const char *help;
};

static const struct metrics_def metrics_defs[MI__N] = {
#define METRICS_DEF(id, name, t, sc, d1, d2, d3, d4, help) \
	[MI_##id] = { name, METRICS_##t, sc, \
	    { MD_##d1, MD_##d2, MD_##d3, MD_##d4 }, M_##id, help },
	METRICS_LIST(METRICS_DEF)
#undef METRICS_DEF
};

/* BUILD_INFO's labels, whose values the snapshot holds. */
static const char *const metrics_info_labels[] = { "version", "openssl" };

static const char *const metrics_type_name[] = {
	[METRICS_COUNTER] = "counter", [METRICS_GAUGE] = "gauge",
	[METRICS_HISTOGRAM] = "histogram", [METRICS_INFO] = "gauge",
	[METRICS_HIDDEN] = "",
};

/* The text being written: bytes past the room are counted, not written. */
struct metrics_out {
	char *buf;
	size_t cap;		/* room for text, the NUL excluded */
	size_t len;		/* the whole text's length so far */
};

static void
out_char(struct metrics_out *o, char c)
{
	if (o->len < o->cap)
		o->buf[o->len] = c;
	o->len++;
}

static void
out_str(struct metrics_out *o, const char *s)
{
	for (; *s != '\0'; s++)
		out_char(o, *s);
}

/* Help text (quote false) or a label value (quote true), escaped. */
static void
out_escaped(struct metrics_out *o, const char *s, bool quote)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\\') {
			out_str(o, "\\\\");
		} else if (c == '\n') {
			out_str(o, "\\n");
		} else if (c == '"' && quote) {
			out_str(o, "\\\"");
		} else if (c < 0x20 || c > 0x7e) {
			out_char(o, '?');
		} else {
			out_char(o, (char)c);
		}
	}
}

static void
out_u64(struct metrics_out *o, uint64_t v)
{
	char d[20];
	size_t n = 0;

	do {
		d[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	while (n > 0)
		out_char(o, d[--n]);
}

/* v / scale as an exact decimal, without trailing zeros. scale is 1 or a
 * power of ten. */
static void
out_scaled(struct metrics_out *o, uint64_t v, uint64_t scale)
{
	uint64_t frac, unit;

	out_u64(o, v / scale);
	frac = v % scale;
	if (frac == 0)
		return;
	out_char(o, '.');
	for (unit = scale / 10; unit > 0 && frac > 0; unit /= 10) {
		out_char(o, (char)('0' + frac / unit));
		frac %= unit;
	}
}

static void
out_label(struct metrics_out *o, bool *first, const char *label,
    const char *value)
{
	out_char(o, *first ? '{' : ',');
	*first = false;
	out_str(o, label);
	out_str(o, "=\"");
	out_escaped(o, value, true);
	out_char(o, '"');
}

/* How many values of dimension d a scrape shows. */
static unsigned
metrics_dim_shown(const struct metrics_snap *s, enum metrics_dim d)
{
	if (d == MD_WORKER)
		return s->n_workers < MV_WORKER__N ? s->n_workers :
		    MV_WORKER__N;
	return metrics_dims[d].n;
}

/* The sample lines of a counter or gauge: every combination of its labels'
 * values, the last varying fastest, as the slots are laid out. */
static void
out_samples(struct metrics_out *o, const struct metrics_snap *s,
    const struct metrics_def *m)
{
	unsigned idx[METRICS_DIMS_MAX] = { 0 }, shown[METRICS_DIMS_MAX];
	unsigned i;

	for (i = 0; i < METRICS_DIMS_MAX; i++) {
		shown[i] = metrics_dim_shown(s, m->dims[i]);
		if (shown[i] == 0)
			return;
	}
	for (;;) {
		size_t slot = 0;
		bool first = true;

		for (i = 0; i < METRICS_DIMS_MAX; i++)
			slot = slot * metrics_dims[m->dims[i]].n + idx[i];
		out_str(o, m->name);
		for (i = 0; i < METRICS_DIMS_MAX; i++)
			if (m->dims[i] != MD_NONE)
				out_label(o, &first,
				    metrics_dims[m->dims[i]].label,
				    metrics_dims[m->dims[i]].values[idx[i]]);
		if (!first)
			out_char(o, '}');
		out_char(o, ' ');
		out_scaled(o, s->v[m->slot + slot], m->scale);
		out_char(o, '\n');
		/* The next combination, like an odometer. */
		for (i = METRICS_DIMS_MAX; i-- > 0;) {
			if (++idx[i] < shown[i])
				break;
			idx[i] = 0;
		}
		if (i == (unsigned)-1)
			return;
	}
}

/* A histogram over the LE dimension: cumulative buckets, sum, count. */
static void
out_histogram(struct metrics_out *o, const struct metrics_snap *s,
    const struct metrics_def *m)
{
	uint64_t cum = 0;
	unsigned i;

	for (i = 0; i < MV_LE__N; i++) {
		bool first = true;

		cum += s->v[m->slot + i];
		out_str(o, m->name);
		out_str(o, "_bucket");
		out_label(o, &first, metrics_dims[MD_LE].label,
		    metrics_dims[MD_LE].values[i]);
		out_str(o, "} ");
		out_u64(o, cum);
		out_char(o, '\n');
	}
	out_str(o, m->name);
	out_str(o, "_sum ");
	out_scaled(o, s->v[m->slot + MV_LE__N], m->scale);
	out_char(o, '\n');
	out_str(o, m->name);
	out_str(o, "_count ");
	out_u64(o, cum);
	out_char(o, '\n');
}

static void
out_info(struct metrics_out *o, const struct metrics_snap *s,
    const struct metrics_def *m)
{
	bool first = true;

	out_str(o, m->name);
	out_label(o, &first, metrics_info_labels[0], s->version != NULL ?
	    s->version : "");
	out_label(o, &first, metrics_info_labels[1], s->openssl != NULL ?
	    s->openssl : "");
	out_str(o, "} 1\n");
}

/* The families labelled by [backend] name: not in the table, whose label
 * values are fixed words; these are the admin's section names, bounded in
 * number and charset by the configuration. */
static void
out_backends(struct metrics_out *o, const struct metrics_snap *s)
{
	size_t i;
	unsigned v;

	if (s->n_backends == 0)
		return;
	out_str(o, "# HELP ftpsgw_backend_health Each FTP server's health "
	    "by its [backend] name: the health checks' verdict (unknown "
	    "without health_check = on).\n"
	    "# TYPE ftpsgw_backend_health gauge\n");
	for (i = 0; i < s->n_backends && i < METRICS_BACKENDS_MAX; i++) {
		for (v = 0; v < MV_HEALTH__N; v++) {
			bool first = true;

			out_str(o, "ftpsgw_backend_health");
			out_label(o, &first, "backend", s->be[i].name != NULL ?
			    s->be[i].name : "");
			out_label(o, &first, metrics_dims[MD_HEALTH].label,
			    metrics_dims[MD_HEALTH].values[v]);
			out_str(o, (unsigned)s->be[i].health == v ? "} 1\n" :
			    "} 0\n");
		}
	}
	out_str(o, "# HELP ftpsgw_backend_sessions Sessions open now with "
	    "each FTP server, by its [backend] name.\n"
	    "# TYPE ftpsgw_backend_sessions gauge\n");
	for (i = 0; i < s->n_backends && i < METRICS_BACKENDS_MAX; i++) {
		bool first = true;

		out_str(o, "ftpsgw_backend_sessions");
		out_label(o, &first, "backend", s->be[i].name != NULL ?
		    s->be[i].name : "");
		out_str(o, "} ");
		out_u64(o, s->be[i].sessions);
		out_char(o, '\n');
	}
}

size_t
metrics_text(const struct metrics_snap *s, char *buf, size_t cap)
{
	struct metrics_out o = { buf, cap > 0 ? cap - 1 : 0, 0 };
	unsigned i;

	for (i = 0; i < MI__N; i++) {
		const struct metrics_def *m = &metrics_defs[i];

		if (m->type == METRICS_HIDDEN)
			continue;
		out_str(&o, "# HELP ");
		out_str(&o, m->name);
		out_char(&o, ' ');
		out_escaped(&o, m->help, false);
		out_str(&o, "\n# TYPE ");
		out_str(&o, m->name);
		out_char(&o, ' ');
		out_str(&o, metrics_type_name[m->type]);
		out_char(&o, '\n');
		if (m->type == METRICS_HISTOGRAM)
			out_histogram(&o, s, m);
		else if (m->type == METRICS_INFO)
			out_info(&o, s, m);
		else
			out_samples(&o, s, m);
	}
	out_backends(&o, s);
	if (cap > 0)
		buf[o.len < o.cap ? o.len : o.cap] = '\0';
	return o.len;
}
