/* Unit tests for a transfer's outcome (proxy/xfer.c): one row per way a
 * transfer ends. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>

#include "proxy/xfer.h"

struct outcome_row {
	const char *what;
	struct xfer_end e;
	enum xfer_outcome want;
};

#define NONE V_COUNT

static const struct outcome_row rows[] = {
	{ "226 after the data", { 226, true, false, NONE, false }, XFER_OK },
	{ "250 (some servers end LIST so)", { 250, true, false, NONE, false },
	    XFER_OK },
	{ "226 although the client sent ABOR late", { 226, true, true, NONE, false },
	    XFER_OK },
	/* The case the metrics and the transfer log judged apart: the
	 * server's 226, nothing failed, but the client closed the download
	 * before its end was delivered ('i' in the xferlog). */
	{ "226 but the client closed the data early",
	    { 226, true, false, NONE, true }, XFER_ABORTED },
	{ "226 but our relay lost the data connection",
	    { 226, true, false, V_DATA_ABORTED, false }, XFER_ABORTED },
	{ "no data connection resumed the session",
	    { 425, true, false, V_DATA_REUSE, false }, XFER_NO_SESSION_REUSE },
	{ "reuse refused, the server claims 226",
	    { 226, true, false, V_DATA_REUSE, false }, XFER_NO_SESSION_REUSE },
	{ "reuse refused, then the client left", { 0, true, false,
	    V_DATA_REUSE, false }, XFER_NO_SESSION_REUSE },
	{ "nobody came within data_timeout",
	    { 425, true, false, V_DATA_TIMEOUT, false }, XFER_TIMEOUT },
	{ "stalled", { 426, true, false, V_DATA_STALLED, false }, XFER_TIMEOUT },
	{ "setup too slow", { 425, true, false, V_DATA_SLOW, false }, XFER_TIMEOUT },
	{ "port expired before the command", { 0, false, false,
	    V_DATA_EXPIRED, false }, XFER_TIMEOUT },
	{ "ABOR", { 426, true, true, NONE, false }, XFER_ABORTED },
	{ "ABOR, relay saw the cut", { 426, true, true, V_DATA_ABORTED, false },
	    XFER_ABORTED },
	{ "session ended before the final reply", { 0, true, false, NONE, false },
	    XFER_ABORTED },
	{ "550 no such file", { 550, false, false, NONE, false },
	    XFER_SERVER_REFUSED },
	{ "452 disk full during the upload", { 452, true, false, NONE, false },
	    XFER_SERVER_REFUSED },
	{ "client TLS failed on the data connection",
	    { 425, true, false, V_DATA_TLS_FAILED, false }, XFER_FAILED },
	{ "server's passive port refused us",
	    { 425, true, false, V_DIAL_SERVER, false }, XFER_FAILED },
	{ "TLS with the server failed on data",
	    { 425, true, false, V_DATA_BACKEND_TLS, false }, XFER_FAILED },
	{ "internal error", { 226, true, false, V_DATA_INTERNAL, false },
	    XFER_FAILED },
};

static void
test_rows(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		enum xfer_outcome got = xfer_outcome(&rows[i].e);

		if (got != rows[i].want)
			fail_msg("%s: outcome %d, want %d", rows[i].what, got,
			    rows[i].want);
		/* The transfer log's 'c' is the same judgement. */
		if (xfer_complete(&rows[i].e) != (rows[i].want == XFER_OK))
			fail_msg("%s: complete disagrees", rows[i].what);
	}
}

static void
test_direction(void **state)
{
	(void)state;
	assert_true(xfer_is_upload(FTP_VERB_STOR));
	assert_true(xfer_is_upload(FTP_VERB_STOU));
	assert_true(xfer_is_upload(FTP_VERB_APPE));
	assert_false(xfer_is_upload(FTP_VERB_RETR));
	assert_false(xfer_is_upload(FTP_VERB_LIST));
	assert_false(xfer_is_upload(FTP_VERB_NLST));
	assert_false(xfer_is_upload(FTP_VERB_MLSD));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_direction),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
