/* Unit tests for the metrics' snapshot and renderer (proxy/metrics.c,
 * proxy/metrics_text.c): the exact text of a known snapshot (against
 * tests/unit/metrics.golden), label and help escaping, exact decimals, the
 * histogram's buckets, sums over writers, and the shape of every line
 * whatever the snapshot holds. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/metrics.h"
#include "proxy/metrics_text.h"

#define GOLDEN "tests/unit/metrics.golden"
#define TEXT_MAX (64 * 1024)

static char *
render(const struct metrics_snap *s)
{
	size_t n = metrics_text(s, NULL, 0);
	char *t = malloc(n + 1);

	assert_non_null(t);
	assert_int_equal(metrics_text(s, t, n + 1), n);
	assert_int_equal(strlen(t), n);
	return t;
}

/* The snapshot of the golden text: two workers and the main thread, each
 * with something in it. */
static void
golden_snap(struct metrics_snap *s)
{
	static struct metrics w0, w1, main_m;

	memset(&w0, 0, sizeof(w0));
	memset(&w1, 0, sizeof(w1));
	memset(&main_m, 0, sizeof(main_m));
	metrics_add(&w0, METRICS_AT1(SESSIONS, MV_LISTENER_EXPLICIT), 5);
	metrics_add(&w0, METRICS_AT1(SESSIONS_CLOSED, MV_LISTENER_EXPLICIT),
	    3);
	metrics_inc(&w1, METRICS_AT1(SESSIONS, MV_LISTENER_IMPLICIT));
	metrics_inc(&w1, METRICS_AT1(REFUSED, MV_ADMIT_BANNED));
	metrics_add(&w0, METRICS_AT1(LOGINS, MV_LOGIN_OK), 4);
	metrics_inc(&w1, METRICS_AT1(LOGINS, MV_LOGIN_FAILED));
	metrics_inc(&w1, METRICS_AT1(BANS, 0));
	/* Health checks: the main thread's. */
	metrics_add(&main_m, METRICS_AT1(HEALTH_CHECKS, MV_HEALTH_RESULT_OK),
	    2);
	metrics_inc(&main_m, METRICS_AT1(HEALTH_CHECKS,
	    MV_HEALTH_RESULT_TLS_FAILED));
	metrics_add(&w0, METRICS_AT2(TRANSFERS, MV_XFER_DIR_DOWNLOAD,
	    MV_OUTCOME_OK), 3);
	metrics_inc(&w1, METRICS_AT2(TRANSFERS, MV_XFER_DIR_UPLOAD,
	    MV_OUTCOME_NO_SESSION_REUSE));
	metrics_add(&w0, METRICS_AT2(DATA_BYTES, MV_LEG_SERVER,
	    MV_FLOW_RECEIVED), 1048576);
	metrics_add(&w0, METRICS_AT2(DATA_BYTES, MV_LEG_CLIENT, MV_FLOW_SENT),
	    1048576);
	metrics_inc(&w1, METRICS_AT1(DATA_REFUSED, MV_REFUSAL_FOREIGN_ADDRESS));
	metrics_add(&w0, METRICS_AT(HANDSHAKES, MV_TLS_SIDE_CLIENT,
	    MV_CHANNEL_DATA, MV_HS_KIND_RESUMED, MV_TLS_VERSION_TLS13), 3);
	metrics_inc(&w0, METRICS_AT2(HANDSHAKE_FAILURES, MV_TLS_SIDE_SERVER,
	    MV_CHANNEL_CONTROL));
	metrics_add(&w0, METRICS_AT1(CT_ADDED, 0), 4);
	metrics_inc(&w1, METRICS_AT1(CT_FAILED, MV_ERRNO_EOPNOTSUPP));
	metrics_inc(&w1, METRICS_AT1(CT_EXPIRED, 0));
	metrics_observe_connect(&w0, 180000);		/* 0.00025 */
	metrics_observe_connect(&w1, 1000000);	/* 0.001, a bound */
	metrics_observe_connect(&w1, 20000000000u);	/* +Inf */
	metrics_inc(&w1, METRICS_AT1(BACKEND_FAILURES, 0));
	metrics_backend(&w0, 1000, METRICS_HEALTH_DOWN);
	metrics_backend(&w1, 2000, METRICS_HEALTH_UP);
	metrics_inc(&main_m, METRICS_AT1(RELOADS, MV_RELOAD_OK));

	metrics_snap_init(s);
	metrics_snap_add(s, &w0);
	metrics_snap_add(s, &w1);
	metrics_snap_add(s, &main_m);
	s->n_workers = 2;
	s->v[METRICS_AT1(WORKER_BUSY, 0)] = 1500000000u;
	s->v[METRICS_AT1(WORKER_BUSY, 1)] = 1;
	s->v[METRICS_AT1(OPEN_FDS, 0)] = 17;
	s->v[METRICS_AT1(MAX_FDS, 0)] = 65536;
	s->v[METRICS_AT1(CPU, 0)] = 2250000;
	s->v[METRICS_AT1(START_TIME, 0)] = 1796275820;
	s->version = "0.1.0";
	s->openssl = "OpenSSL 3.0.17 1 Jul 2025";
	/* Two FTP servers, one found down by the health checks. */
	s->n_backends = 2;
	s->be[0].name = "nas";
	s->be[0].health = METRICS_HEALTH_UP;
	s->be[0].sessions = 3;
	s->be[1].name = "portal";
	s->be[1].health = METRICS_HEALTH_DOWN;
	metrics_snap_finish(s);
}

/* The whole text, byte for byte: names, help, labels, order and values
 * are what admins' dashboards and alert rules depend on. A deliberate
 * change updates the golden file in the same commit. */
static void
test_golden(void **state)
{
	static char want[TEXT_MAX];
	struct metrics_snap s;
	const char *a, *b, *la, *lb;
	unsigned line = 1;
	size_t n;
	char *got;
	FILE *f;

	(void)state;
	f = fopen(GOLDEN, "rb");
	if (f == NULL)
		fail_msg("%s: cannot open (run from the repository root)",
		    GOLDEN);
	n = fread(want, 1, sizeof(want) - 1, f);
	fclose(f);
	want[n] = '\0';
	golden_snap(&s);
	got = render(&s);
	la = a = got;
	lb = b = want;
	for (; *a != '\0' && *a == *b; a++, b++) {
		if (*a == '\n') {
			line++;
			la = a + 1;
			lb = b + 1;
		}
	}
	if (*a != '\0' || *b != '\0')
		fail_msg("%s: line %u differs:\n got: %.*s\nwant: %.*s",
		    GOLDEN, line, (int)strcspn(la, "\n"), la,
		    (int)strcspn(lb, "\n"), lb);
	free(got);
}

/* A line of the text, or NULL past the last. */
static const char *
find_line(const char *text, const char *prefix)
{
	const char *p = text;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, prefix, strlen(prefix)) == 0)
			return p;
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return NULL;
}

static void
want_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p = find_line(text, line);

	if (p == NULL || (p[n] != '\n'))
		fail_msg("no line \"%s\" in:\n%s", line, text);
}

static void
test_escaping(void **state)
{
	struct metrics_snap s;
	char *t;

	(void)state;
	metrics_snap_init(&s);
	s.version = "1.0\"beta\\2\nx";
	s.openssl = "tab\there\x01 caf\xc3\xa9";
	metrics_snap_finish(&s);
	t = render(&s);
	want_line(t, "ftpsgw_build_info{version=\"1.0\\\"beta\\\\2\\nx\","
	    "openssl=\"tab?here? caf??\"} 1");
	free(t);
	/* NULL strings render as empty labels, not as a crash. */
	metrics_snap_init(&s);
	s.version = NULL;
	s.openssl = NULL;
	t = render(&s);
	want_line(t, "ftpsgw_build_info{version=\"\",openssl=\"\"} 1");
	free(t);
}

struct scaled_row {
	uint64_t v;
	const char *want;	/* as ftpsgw_worker_busy_seconds_total */
};

static void
test_exact_decimals(void **state)
{
	static const struct scaled_row rows[] = {
		{ 0, "0" },
		{ 1, "0.000000001" },
		{ 10, "0.00000001" },
		{ 1000000000u, "1" },
		{ 1500000000u, "1.5" },
		{ 1000000001u, "1.000000001" },
		{ 123456789012u, "123.456789012" },
		{ UINT64_MAX, "18446744073.709551615" },
	};
	struct metrics_snap s;
	char line[96];
	size_t i;
	char *t;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		metrics_snap_init(&s);
		s.n_workers = 1;
		s.v[METRICS_AT1(WORKER_BUSY, 0)] = rows[i].v;
		t = render(&s);
		snprintf(line, sizeof(line), "ftpsgw_worker_busy_seconds_total"
		    "{worker=\"0\"} %s", rows[i].want);
		want_line(t, line);
		free(t);
	}
}

/* le is an upper bound included in its bucket; buckets are cumulative,
 * +Inf equals _count, _sum is exact. */
static void
test_histogram(void **state)
{
	static struct metrics m;
	struct metrics_snap s;
	char *t;

	(void)state;
	memset(&m, 0, sizeof(m));
	metrics_observe_connect(&m, 0);			/* 0.0001 */
	metrics_observe_connect(&m, 100000);	/* 0.0001, the bound */
	metrics_observe_connect(&m, 100001);		/* 0.00025 */
	metrics_observe_connect(&m, 10000000000u);	/* 10 */
	metrics_observe_connect(&m, 10000000001u);	/* +Inf */
	metrics_snap_init(&s);
	metrics_snap_add(&s, &m);
	metrics_snap_finish(&s);
	t = render(&s);
	want_line(t, "ftpsgw_backend_connect_duration_seconds_bucket"
	    "{le=\"0.0001\"} 2");
	want_line(t, "ftpsgw_backend_connect_duration_seconds_bucket"
	    "{le=\"0.00025\"} 3");
	want_line(t, "ftpsgw_backend_connect_duration_seconds_bucket"
	    "{le=\"5\"} 3");
	want_line(t, "ftpsgw_backend_connect_duration_seconds_bucket"
	    "{le=\"10\"} 4");
	want_line(t, "ftpsgw_backend_connect_duration_seconds_bucket"
	    "{le=\"+Inf\"} 5");
	want_line(t, "ftpsgw_backend_connect_duration_seconds_count 5");
	want_line(t, "ftpsgw_backend_connect_duration_seconds_sum "
	    "20.000200002");
	free(t);
}

/* Writers add up; open sessions are opened - closed, never below 0; the
 * latest finding about the FTP server wins whoever made it. */
static void
test_snapshot(void **state)
{
	static struct metrics a, b;
	struct metrics_snap s;
	char *t;

	(void)state;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	metrics_add(&a, METRICS_AT1(SESSIONS, MV_LISTENER_EXPLICIT), 7);
	metrics_add(&b, METRICS_AT1(SESSIONS, MV_LISTENER_EXPLICIT), 2);
	metrics_add(&b, METRICS_AT1(SESSIONS_CLOSED, MV_LISTENER_EXPLICIT),
	    4);
	/* Closed seen ahead of opened (a store seen out of order). */
	metrics_add(&b, METRICS_AT1(SESSIONS_CLOSED, MV_LISTENER_IMPLICIT),
	    1);
	metrics_backend(&a, 5000, METRICS_HEALTH_UP);
	metrics_backend(&b, 4000, METRICS_HEALTH_DOWN);
	metrics_snap_init(&s);
	metrics_snap_add(&s, &a);
	metrics_snap_add(&s, &b);
	metrics_snap_finish(&s);
	t = render(&s);
	want_line(t, "ftpsgw_sessions_total{listener=\"explicit\"} 9");
	want_line(t, "ftpsgw_sessions_open{listener=\"explicit\"} 5");
	want_line(t, "ftpsgw_sessions_open{listener=\"implicit\"} 0");
	want_line(t, "ftpsgw_backend_state{state=\"up\"} 1");
	want_line(t, "ftpsgw_backend_state{state=\"down\"} 0");
	want_line(t, "ftpsgw_backend_state{state=\"unknown\"} 0");
	/* The hidden count of closed sessions is never shown (a health
	 * check's result may say "closed"). */
	assert_null(strstr(t, "sessions_closed"));
	assert_null(strstr(t, "\n{"));
	free(t);

	metrics_snap_init(&s);
	metrics_snap_finish(&s);
	t = render(&s);
	want_line(t, "ftpsgw_backend_state{state=\"unknown\"} 1");
	free(t);
}

/* Only the workers that exist are shown, at most the table's 64. */
static void
test_workers(void **state)
{
	struct metrics_snap s;
	char *t;

	(void)state;
	metrics_snap_init(&s);
	t = render(&s);
	assert_null(find_line(t, "ftpsgw_worker_busy_seconds_total{"));
	free(t);
	s.n_workers = 3;
	t = render(&s);
	want_line(t, "ftpsgw_worker_busy_seconds_total{worker=\"2\"} 0");
	assert_null(find_line(t, "ftpsgw_worker_busy_seconds_total"
	    "{worker=\"3\"}"));
	free(t);
	s.n_workers = 1000;
	s.v[METRICS_AT1(WORKER_BUSY, 63)] = 2000000000u;
	t = render(&s);
	want_line(t, "ftpsgw_worker_busy_seconds_total{worker=\"63\"} 2");
	assert_null(find_line(t, "ftpsgw_worker_busy_seconds_total"
	    "{worker=\"64\"}"));
	free(t);
}

/* As snprintf: every cap gives the same length back and a NUL-terminated
 * prefix of the text; cap 0 writes nothing. */
static void
test_truncation(void **state)
{
	struct metrics_snap s;
	char *full, *buf, guard = 'x';
	size_t n, cap;

	(void)state;
	golden_snap(&s);
	full = render(&s);
	n = strlen(full);
	assert_int_equal(metrics_text(&s, &guard, 0), n);
	assert_int_equal(guard, 'x');
	buf = malloc(n + 2);
	assert_non_null(buf);
	for (cap = 1; cap <= n + 1; cap += cap < 64 ? 1 : 997) {
		memset(buf, '#', n + 2);
		assert_int_equal(metrics_text(&s, buf, cap), n);
		assert_int_equal(strlen(buf), cap - 1);
		assert_memory_equal(buf, full, cap - 1);
		assert_int_equal(buf[cap], '#');
	}
	free(buf);
	free(full);
}

static bool
name_char(char c, bool first)
{
	return (c >= 'a' && c <= 'z') || c == '_' || (!first && c >= '0' &&
	    c <= '9');
}

/*
 * The shape of every line, the exposition format's and Prometheus'
 * naming conventions (what promtool check metrics lints): HELP then TYPE
 * for each family once, names in snake case with the ftpsgw_ prefix (the
 * process_ ones are the client libraries' standard names), counters and
 * only counters ending in _total, samples of the family just typed, a
 * value after one space.
 */
static void
test_shape(void **state)
{
	struct metrics_snap s;
	char family[128] = "", type[16] = "";
	const char *p;
	unsigned families = 0;
	char *t;

	(void)state;
	golden_snap(&s);
	t = render(&s);
	for (p = t; *p != '\0';) {
		const char *end = strchr(p, '\n'), *q;
		size_t len;

		assert_non_null(end);
		len = (size_t)(end - p);
		if (strncmp(p, "# HELP ", 7) == 0) {
			q = p + 7;
			len = strcspn(q, " ");
			assert_true(len > 0 && len < sizeof(family));
			memcpy(family, q, len);
			family[len] = '\0';
			assert_true(strncmp(family, "ftpsgw_", 7) == 0 ||
			    strncmp(family, "process_", 8) == 0);
			for (q = family; *q != '\0'; q++)
				assert_true(name_char(*q, q == family));
			/* A help text, then TYPE for the same name. */
			assert_true(end - (p + 7 + len) > 10);
			p = end + 1;
			assert_true(strncmp(p, "# TYPE ", 7) == 0);
			assert_true(strncmp(p + 7, family,
			    strlen(family)) == 0);
			q = p + 7 + strlen(family);
			assert_int_equal(*q, ' ');
			len = strcspn(q + 1, "\n");
			assert_true(len < sizeof(type));
			memcpy(type, q + 1, len);
			type[len] = '\0';
			assert_true(strcmp(type, "counter") == 0 ||
			    strcmp(type, "gauge") == 0 ||
			    strcmp(type, "histogram") == 0);
			len = strlen(family);
			assert_int_equal(strcmp(type, "counter") == 0,
			    len > 6 && strcmp(family + len - 6, "_total") == 0);
			families++;
			p = strchr(p, '\n') + 1;
			continue;
		}
		/* A sample of the family just described: name, labels in
		 * braces if any, one space, a decimal value. */
		assert_true(family[0] != '\0');
		assert_true(strncmp(p, family, strlen(family)) == 0);
		q = memrchr(p, ' ', len);
		assert_non_null(q);
		assert_true(q + 1 < end);
		assert_int_equal(strspn(q + 1, "0123456789."),
		    (size_t)(end - q - 1));
		if (memchr(p, '{', len) != NULL)
			assert_int_equal(q[-1], '}');
		else
			assert_null(memchr(p, '"', len));
		p = end + 1;
	}
	/* The table's, the hidden one excepted, and the two by [backend]
	 * name. */
	assert_int_equal(families, MI__N - 1 + 2);
	free(t);
}

static void
test_errno(void **state)
{
	(void)state;
	assert_int_equal(metrics_errno(EOPNOTSUPP), MV_ERRNO_EOPNOTSUPP);
	assert_int_equal(metrics_errno(EPERM), MV_ERRNO_EPERM);
	assert_int_equal(metrics_errno(EEXIST), MV_ERRNO_EEXIST);
	assert_int_equal(metrics_errno(ETIMEDOUT), MV_ERRNO_ETIMEDOUT);
	assert_int_equal(metrics_errno(0), MV_ERRNO_OTHER);
	assert_int_equal(metrics_errno(-1), MV_ERRNO_OTHER);
	assert_int_equal(metrics_errno(EIO), MV_ERRNO_OTHER);
	assert_int_equal(metrics_errno(100000), MV_ERRNO_OTHER);
}

/* The families labelled by [backend] name: every state of each server,
 * one set to 1, and its sessions; none without backends in the snapshot. */
static void
test_backends(void **state)
{
	struct metrics_snap s;
	char *t;

	(void)state;
	metrics_snap_init(&s);
	t = render(&s);
	assert_null(strstr(t, "ftpsgw_backend_health"));
	assert_null(strstr(t, "ftpsgw_backend_sessions"));
	free(t);
	s.n_backends = 2;
	s.be[0].name = "nas";
	s.be[0].health = METRICS_HEALTH_DOWN;
	s.be[0].sessions = 0;
	s.be[1].name = "portal-1";
	s.be[1].health = METRICS_HEALTH_UP;
	s.be[1].sessions = 7;
	t = render(&s);
	assert_non_null(strstr(t, "# TYPE ftpsgw_backend_health gauge\n"
	    "ftpsgw_backend_health{backend=\"nas\",state=\"unknown\"} 0\n"
	    "ftpsgw_backend_health{backend=\"nas\",state=\"up\"} 0\n"
	    "ftpsgw_backend_health{backend=\"nas\",state=\"down\"} 1\n"
	    "ftpsgw_backend_health{backend=\"portal-1\",state=\"unknown\"} 0\n"
	    "ftpsgw_backend_health{backend=\"portal-1\",state=\"up\"} 1\n"
	    "ftpsgw_backend_health{backend=\"portal-1\",state=\"down\"} 0\n"));
	assert_non_null(strstr(t, "# TYPE ftpsgw_backend_sessions gauge\n"
	    "ftpsgw_backend_sessions{backend=\"nas\"} 0\n"
	    "ftpsgw_backend_sessions{backend=\"portal-1\"} 7\n"));
	free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_exact_decimals),
		cmocka_unit_test(test_histogram),
		cmocka_unit_test(test_snapshot),
		cmocka_unit_test(test_workers),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_shape),
		cmocka_unit_test(test_errno),
		cmocka_unit_test(test_backends),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
