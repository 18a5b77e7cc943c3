/* Unit tests for the gateway's voice (proxy/voice.c): every reply line in
 * the table is a well-formed single FTP reply that fits the session's room,
 * the advice for the log is one line, and a few texts the integration tests
 * and admins rely on are exact. */
#include "proxy/voice.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* SESS_FATAL_ROOM (proxy/session_int.h) less CRLF: a session's last word
 * (sess_fatal: the 421s, 221) always fits the room kept for it. */
#define LAST_WORD_MAX 126

/* Texts that are not sentences: RFC 2428's words for 522, and the PBSZ
 * answer other servers give. Every other text ends with a period. */
static bool
voice_no_period(enum voice v)
{
	return v == V_NET_PROTO || v == V_PBSZ_ZERO;
}

static bool
printable(const char *p)
{
	for (; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e)
			return false;	/* CR, LF, HT, DEL, non-ASCII */
	return true;
}

static void
test_lines(void **state)
{
	unsigned v;

	(void)state;
	for (v = 0; v < V_COUNT; v++) {
		const char *line = voice_line((enum voice)v);
		unsigned code = voice_code((enum voice)v);
		size_t len;

		if (line == NULL)
			fail_msg("entry %u: no line", v);
		len = strlen(line);
		if (len < 5 || line[0] < '1' || line[0] > '5' ||
		    line[1] < '0' || line[1] > '9' || line[2] < '0' ||
		    line[2] > '9' || line[3] != ' ')
			fail_msg("entry %u \"%s\": not \"<code> <text>\"", v,
			    line);
		if (code < 100 || code > 599 || code != (unsigned)(line[0] -
		    '0') * 100 + (unsigned)(line[1] - '0') * 10 +
		    (unsigned)(line[2] - '0'))
			fail_msg("entry %u \"%s\": code %u", v, line, code);
		if (!printable(line))
			fail_msg("entry %u: a control or non-ASCII byte", v);
		if (len > VOICE_LINE_MAX)
			fail_msg("entry %u: %zu bytes, more than %d", v, len,
			    VOICE_LINE_MAX);
		if ((code == 421 || code == 221) && len > LAST_WORD_MAX)
			fail_msg("entry %u: a last word of %zu bytes", v, len);
		if (line[4] == ' ' || line[len - 1] == ' ' ||
		    strstr(line, "  ") != NULL)
			fail_msg("entry %u \"%s\": stray space", v, line);
		if ((line[len - 1] == '.') == voice_no_period((enum voice)v))
			fail_msg("entry %u \"%s\": %s", v, line,
			    voice_no_period((enum voice)v) ? "listed as no "
			    "sentence" : "no period at the end");
		/* static: the same pointer every time */
		assert_ptr_equal(voice_line((enum voice)v), line);
	}
}

/* Two entries with one text would be two names for one message. */
static void
test_unique(void **state)
{
	unsigned v, w;

	(void)state;
	for (v = 0; v < V_COUNT; v++)
		for (w = v + 1; w < V_COUNT; w++)
			if (strcmp(voice_line((enum voice)v),
			    voice_line((enum voice)w)) == 0)
				fail_msg("entries %u and %u: \"%s\" twice", v,
				    w, voice_line((enum voice)v));
}

static void
test_advice(void **state)
{
	/* the log lines that print these with "%s" */
	static const enum voice used[] = {
		V_TLS_REQUIRED, V_CCC_REFUSED, V_LOGIN_BANNED,
		V_BACKEND_SILENT, V_BACKEND_NOT_FTP, V_BACKEND_NO_TLS,
		V_BACKEND_UNREADABLE, V_DATA_TIMEOUT, V_NO_FREE_PORT,
		V_DATA_REUSE, V_ROUTE_UNKNOWN, V_ROUTE_NONE_UP, V_BACKEND_DOWN,
	};
	unsigned v, n = 0;
	size_t i;

	(void)state;
	for (v = 0; v < V_COUNT; v++) {
		const char *a = voice_advice((enum voice)v);

		if (a == NULL)
			continue;
		n++;
		if (a[0] == '\0' || !printable(a))
			fail_msg("entry %u: advice empty or not one line", v);
	}
	for (i = 0; i < sizeof(used) / sizeof(used[0]); i++)
		if (voice_advice(used[i]) == NULL)
			fail_msg("entry %u: advice missing", (unsigned)used[i]);
	assert_int_equal(n, sizeof(used) / sizeof(used[0]));
}

static void
test_out_of_range(void **state)
{
	(void)state;
	assert_null(voice_line(V_COUNT));
	assert_int_equal(voice_code(V_COUNT), 0);
	assert_null(voice_advice(V_COUNT));
	assert_null(voice_line((enum voice)-1));
}

/* Exact texts clients, tests and admins rely on. */
static void
test_exact(void **state)
{
	char buf[VOICE_LINE_MAX + 1];

	(void)state;
	assert_string_equal(voice_line(V_TLS_REQUIRED), "530 This gateway "
	    "requires TLS: use explicit FTP over TLS (AUTH TLS), or implicit "
	    "FTPS.");
	assert_string_equal(voice_line(V_DATA_REUSE), "425 Data connection "
	    "refused: it must reuse the TLS session of the control connection "
	    "(enable TLS session resumption in your FTP client).");
	assert_string_equal(voice_line(V_GOODBYE), "221 Goodbye.");
	assert_string_equal(voice_line(V_PBSZ_ZERO), "200 PBSZ=0");
	assert_string_equal(voice_advice(V_DATA_REUSE), "If this is the "
	    "client itself, enable TLS session reuse in it (curl, lftp and "
	    "FileZilla do it by default; Python's ftplib needs "
	    "session=ftp.sock.session), or set require_session_reuse = off in "
	    "gateway.conf (weaker: lets a third party on the client's path "
	    "take the data connection)");
	assert_int_equal(voice_code(V_DATA_ABORTED), 426);

	snprintf(buf, sizeof(buf), VOICE_BANNED_FMT, 1u, "");
	assert_string_equal(buf, "421 Too many failed logins from your "
	    "address; try again in 1 second.");
	snprintf(buf, sizeof(buf), VOICE_BANNED_FMT, 4294967295u, "s");
	assert_string_equal(buf, "421 Too many failed logins from your "
	    "address; try again in 4294967295 seconds.");
	assert_true(strlen(buf) <= LAST_WORD_MAX);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_unique),
		cmocka_unit_test(test_advice),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_exact),
	};

	printf("voice: %d entries\n", (int)V_COUNT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
