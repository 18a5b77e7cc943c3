/* Unit tests for the status page's renderers (proxy/status_text.c), the
 * terminal tables read back from the JSON (proxy/status_table.c) and the
 * refusals' ring (proxy/status.c): golden outputs for one snapshot, and
 * hostile names that must stay text in HTML, JSON and on a terminal. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/json.h"
#include "proxy/status.h"
#include "proxy/status_table.h"
#include "proxy/status_text.h"

/* A user name and a file name no page may take for markup or control. */
static const char evil_user[] = "a<script>\"'&\n\x1b[2J\xff";
static const char evil_file[] = "</td><img src=x onerror=alert(1)>";

static struct status_sess sess[2];

/* 2 workers, worker 1 silent; one download; one FTP server; a refusal. */
static void
snap_make(struct status_snap *s)
{
	memset(s, 0, sizeof(*s));
	memset(sess, 0, sizeof(sess));
	s->now = 1700000000;	/* 2023-11-14T22:13:20Z */
	s->version = "0.1.0";
	s->n_workers = 2;
	sess[0].id = 7;
	strcpy(sess[0].client, "203.0.113.10:40000");
	strcpy(sess[0].listener, "203.0.113.1:21");
	sess[0].worker = 0;
	sess[0].state = STATUS_ST_DOWNLOAD;
	sess[0].user_len = sizeof(evil_user) - 1;
	memcpy(sess[0].user, evil_user, sess[0].user_len);
	sess[0].age_ms = 65000;
	sess[0].file_len = sizeof(evil_file) - 1;
	memcpy(sess[0].file, evil_file, sess[0].file_len);
	sess[0].xfer_bytes = 3u << 20;
	sess[0].xfer_ms = 2000;
	sess[0].data_down = 3u << 20;
	s->part[0].answered = true;
	s->part[0].sess = sess;
	s->part[0].n = 1;
	s->part[0].open = 1;
	strcpy(s->backend[0].name, "ftp.lan:21");
	strcpy(s->backend[0].addr, "198.51.100.10:21");
	s->backend[0].health = STATUS_HEALTH_UP;
	s->backend[0].checked_ms_ago = 4000;
	s->n_backends = 1;
	s->n_refusals = 1;
	s->refusals_total = 3;
	s->refusal[0].when = 1700000000;
	strcpy(s->refusal[0].client, "192.0.2.7");
	strcpy(s->refusal[0].reason, "refused: max_sessions_per_ip (2) open "
	    "already");
}

static const char golden_json[] =
    "{\"version\":\"0.1.0\",\"time\":\"2023-11-14T22:13:20Z\",\"workers\":2,"
    "\"workers_silent\":[1],\"sessions_open\":1,\"sessions_listed\":1,"
    "\"sessions\":[{\"id\":7,\"client\":\"203.0.113.10:40000\","
    "\"user\":\"a\\u003cscript\\u003e\\\"'\\u0026\\u000a\\u001b[2J\xef\xbf\xbd\","
    "\"anonymous\":false,\"listener\":\"203.0.113.1:21\","
    "\"kind\":\"explicit\",\"worker\":0,\"state\":\"downloading\","
    "\"duration_ms\":65000,\"data_down\":3145728,\"data_up\":0,"
    "\"transfer\":{\"direction\":\"download\",\"file\":"
    "\"\\u003c/td\\u003e\\u003cimg src=x onerror=alert(1)\\u003e\","
    "\"bytes\":3145728,\"elapsed_ms\":2000,\"rate_bps\":1572864}}],"
    "\"backends\":[{\"name\":\"ftp.lan:21\",\"address\":"
    "\"198.51.100.10:21\",\"health\":\"up\",\"checked_ms_ago\":4000}],"
    "\"refusals_total\":3,\"refusals\":[{\"time\":\"2023-11-14T22:13:20Z\","
    "\"client\":\"192.0.2.7\",\"reason\":\"refused: max_sessions_per_ip "
    "(2) open already\"}]}\n";

static char *
render(size_t (*fn)(const struct status_snap *, char *, size_t),
    const struct status_snap *s)
{
	size_t n = fn(s, NULL, 0);
	char *t = malloc(n + 1);

	assert_non_null(t);
	assert_int_equal(fn(s, t, n + 1), n);
	assert_int_equal(strlen(t), n);
	return t;
}

static void
test_json_golden(void **state)
{
	struct status_snap s;
	char *t, small[40];

	(void)state;
	snap_make(&s);
	t = render(status_json, &s);
	assert_string_equal(t, golden_json);
	/* Cut short: a NUL-terminated prefix, the same length returned. */
	assert_int_equal(status_json(&s, small, sizeof(small)), strlen(t));
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_memory_equal(small, t, sizeof(small) - 1);
	free(t);
}

static void
test_html(void **state)
{
	struct status_snap s;
	char *t;

	(void)state;
	snap_make(&s);
	t = render(status_html, &s);
	/* The page's own style, refresh and tables, nothing loaded. */
	assert_non_null(strstr(t, "<meta http-equiv=\"refresh\" content=\"5\">"
	    "<title>ftpsgw status</title><style>body{"));
	assert_non_null(strstr(t, "</style></head>"));
	assert_null(strstr(t, "<link"));
	assert_null(strstr(t, "http://"));
	/* The hostile names as text. */
	assert_non_null(strstr(t, "<td class=\"user\">a&lt;script&gt;&quot;"
	    "&#39;&amp;\\x0a\\x1b[2J\xef\xbf\xbd</td>"));
	assert_non_null(strstr(t, "<td class=\"file\">&darr; &lt;/td&gt;"
	    "&lt;img src=x onerror=alert(1)&gt;</td>"));
	assert_null(strstr(t, "<script"));
	assert_null(strstr(t, "<img"));
	/* The row, its bytes, rate and duration. */
	assert_non_null(strstr(t, "<tr id=\"s7\"><td class=\"n\">7</td>"
	    "<td class=\"client\">203.0.113.10:40000</td>"));
	assert_non_null(strstr(t, "data-bytes=\"3145728\">3.0 MiB</td>"
	    "<td class=\"n\">1.5 MiB/s</td><td class=\"n\">1m05s</td></tr>"));
	assert_non_null(strstr(t, "No answer in time from worker 1:"));
	assert_non_null(strstr(t, "<td class=\"up\">up</td><td>4s ago</td>"));
	assert_non_null(strstr(t, "<th>reason</th>"));
	assert_non_null(strstr(t, "<td>2023-11-14T22:13:20Z</td><td>192.0.2.7"
	    "</td><td>refused: max_sessions_per_ip (2) open already</td>"));
	free(t);
}

static const char golden_table[] =
    "ftpsgw 0.1.0 at 2023-11-14T22:13:20Z: 2 workers, 1 session open\n"
    "worker 1 did not answer in time: its sessions are missing\n"
    "\n"
    "SESSIONS\n"
    "ID  CLIENT              USER                LISTENER        W  STATE"
    "        TRANSFER                                BYTES    RATE"
    "       DURATION\n"
    "7   203.0.113.10:40000  a<script>\"'&??[2J\xef\xbf\xbd  203.0.113.1:21"
    "  0  downloading  down </td><img src=x onerror=alert(1)>  3.0 MiB"
    "  1.5 MiB/s  1m05s\n"
    "\n"
    "FTP SERVERS\n"
    "BACKEND     ADDRESS           HEALTH  LAST SEEN\n"
    "ftp.lan:21  198.51.100.10:21  up      4s ago\n"
    "\n"
    "RECENT REFUSALS (3 since start)\n"
    "TIME (UTC)            CLIENT     REASON\n"
    "2023-11-14T22:13:20Z  192.0.2.7  refused: max_sessions_per_ip (2) "
    "open already\n";

/* The JSON read back as tables: aligned, control bytes as '?'. */
static void
test_table_round_trip(void **state)
{
	struct status_snap s;
	struct json_tok tok[200];
	char *j, out[4096];
	size_t n;

	(void)state;
	snap_make(&s);
	j = render(status_json, &s);
	assert_int_equal(status_table(j, strlen(j), tok, 200, out, sizeof(out),
	    &n), STATUS_TABLE_OK);
	assert_string_equal(out, golden_table);
	assert_int_equal(n, strlen(golden_table));
	assert_int_equal(status_table("[1]", 3, tok, 200, out, sizeof(out),
	    &n), STATUS_TABLE_SHAPE);
	assert_int_equal(status_table("{", 1, tok, 200, out, sizeof(out),
	    &n), STATUS_TABLE_JSON);
	free(j);
}

static void
test_ring(void **state)
{
	struct status_ring *r = calloc(1, sizeof(*r));
	struct status_snap *s = calloc(1, sizeof(*s));
	char reason[300];
	unsigned i;

	(void)state;
	assert_non_null(r);
	assert_non_null(s);
	for (i = 0; i < STATUS_REFUSALS_MAX + 5; i++) {
		snprintf(reason, sizeof(reason), "r%u", i);
		status_ring_push(r, i, "192.0.2.1", reason);
	}
	memset(reason, 'x', sizeof(reason) - 1);
	reason[sizeof(reason) - 1] = '\0';
	status_ring_push(r, 99, "192.0.2.1", reason);
	status_ring_copy(r, s);
	assert_int_equal(s->n_refusals, STATUS_REFUSALS_MAX);
	assert_int_equal(s->refusals_total, STATUS_REFUSALS_MAX + 6);
	/* Newest first, the long reason cut, the oldest gone. */
	assert_int_equal(strlen(s->refusal[0].reason), STATUS_REASON_MAX - 1);
	assert_string_equal(s->refusal[1].reason, "r54");
	assert_string_equal(s->refusal[STATUS_REFUSALS_MAX - 1].reason, "r6");
	free(r);
	free(s);
}

static void
test_words(void **state)
{
	char b[STATUS_FMT_MAX];

	(void)state;
	assert_string_equal(status_state_text(STATUS_ST_UPLOAD), "uploading");
	assert_string_equal(status_state_text((enum status_state)99), "?");
	assert_string_equal(status_fmt_bytes(b, sizeof(b), 1023, ""),
	    "1023 B");
	assert_string_equal(status_fmt_bytes(b, sizeof(b), 1536, "/s"),
	    "1.5 KiB/s");
	assert_string_equal(status_fmt_bytes(b, sizeof(b), UINT64_MAX, ""),
	    "15.9 EiB");
	assert_string_equal(status_fmt_duration(b, sizeof(b), 7384000),
	    "2h03m");
	assert_int_equal(status_rate(1000, 0), 0);
	assert_int_equal(status_rate(UINT64_MAX, 1000), UINT64_MAX / 1000 *
	    1000);
	assert_int_equal(status_rate(3u << 20, 2000), 1572864);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_golden),
		cmocka_unit_test(test_html),
		cmocka_unit_test(test_table_round_trip),
		cmocka_unit_test(test_ring),
		cmocka_unit_test(test_words),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
