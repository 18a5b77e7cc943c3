/* Unit tests for per-address session counts and bans (proxy/hosttab.c). */
#include "proxy/hosttab.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <sys/socket.h>

#define CAP 64

static struct ftp_addr
v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	struct ftp_addr x;

	memset(&x, 0, sizeof(x));
	x.family = AF_INET;
	x.addr[0] = a;
	x.addr[1] = b;
	x.addr[2] = c;
	x.addr[3] = d;
	return x;
}

static struct ftp_addr
v6(uint8_t last)
{
	struct ftp_addr x;

	memset(&x, 0, sizeof(x));
	x.family = AF_INET6;
	x.addr[0] = 0x20;
	x.addr[1] = 0x01;
	x.addr[2] = 0x0d;
	x.addr[3] = 0xb8;
	x.addr[15] = last;
	return x;
}

static void
test_sessions_per_address(void **state)
{
	struct host_entry slots[CAP];
	struct hosttab t;
	struct ftp_addr a = v4(203, 0, 113, 10), b = v4(203, 0, 113, 11);
	uint32_t wait = 0;
	int i;

	(void)state;
	hosttab_init(&t, slots, CAP, 7);
	for (i = 0; i < 3; i++)
		assert_int_equal(hosttab_admit(&t, &a, 0, 3, &wait), HOST_ADMIT);
	assert_int_equal(hosttab_admit(&t, &a, 0, 3, &wait), HOST_TOO_MANY);
	/* Another address is counted apart. */
	assert_int_equal(hosttab_admit(&t, &b, 0, 3, &wait), HOST_ADMIT);
	a.port = 4242;		/* the port never matters */
	hosttab_session_end(&t, &a, 0);
	assert_int_equal(hosttab_admit(&t, &a, 0, 3, &wait), HOST_ADMIT);
	assert_int_equal(t.used, 2);
	for (i = 0; i < 3; i++)
		hosttab_session_end(&t, &a, 0);
	hosttab_session_end(&t, &b, 0);
	assert_int_equal(t.used, 0);
	/* Ending more than began is harmless. */
	hosttab_session_end(&t, &b, 0);
	assert_int_equal(t.used, 0);
}

static void
test_ban_after_failures(void **state)
{
	struct host_entry slots[CAP];
	struct hosttab t;
	struct ftp_addr a = v6(10);
	uint32_t wait = 0;

	(void)state;
	hosttab_init(&t, slots, CAP, 1);
	assert_int_equal(hosttab_admit(&t, &a, 1000, 10, &wait), HOST_ADMIT);
	assert_false(hosttab_login_failed(&t, &a, 1000, 3, 60000));
	assert_false(hosttab_login_failed(&t, &a, 2000, 3, 60000));
	assert_int_equal(hosttab_failures(&t, &a), 2);
	assert_true(hosttab_login_failed(&t, &a, 3000, 3, 60000));
	assert_int_equal(hosttab_admit(&t, &a, 3000, 10, &wait), HOST_BANNED);
	assert_int_equal(wait, 60);
	assert_int_equal(hosttab_admit(&t, &a, 62500, 10, &wait), HOST_BANNED);
	assert_int_equal(wait, 1);
	/* Over: admitted again, with a clean count. */
	assert_int_equal(hosttab_admit(&t, &a, 63000, 10, &wait), HOST_ADMIT);
	assert_int_equal(hosttab_failures(&t, &a), 0);
	hosttab_session_end(&t, &a, 63000);
	hosttab_session_end(&t, &a, 63000);
	assert_int_equal(t.used, 0);
}

static void
test_failures_expire_and_are_forgiven(void **state)
{
	struct host_entry slots[CAP];
	struct hosttab t;
	struct ftp_addr a = v4(198, 51, 100, 7);

	(void)state;
	hosttab_init(&t, slots, CAP, 99);
	assert_false(hosttab_login_failed(&t, &a, 0, 3, 10000));
	assert_false(hosttab_login_failed(&t, &a, 5000, 3, 10000));
	/* The first failure is older than the window: counting restarts. */
	assert_false(hosttab_login_failed(&t, &a, 10000, 3, 10000));
	assert_int_equal(hosttab_failures(&t, &a), 1);
	hosttab_login_ok(&t, &a, 10001);
	assert_int_equal(hosttab_failures(&t, &a), 0);
	assert_int_equal(t.used, 0);
	/* max_failures 0: nothing is counted. */
	assert_false(hosttab_login_failed(&t, &a, 0, 0, 10000));
	assert_int_equal(t.used, 0);
}

/* Fill the table, delete in an order that exercises the backward shift,
 * and check every remaining address is still found. */
static void
test_full_table_and_deletion(void **state)
{
	struct host_entry slots[CAP];
	struct hosttab t;
	uint32_t wait = 0;
	int i, j;

	(void)state;
	hosttab_init(&t, slots, CAP, 12345);
	for (i = 0; i < CAP - 1; i++) {
		struct ftp_addr a = v4(10, 0, 0, (uint8_t)i);

		assert_int_equal(hosttab_admit(&t, &a, 0, 5, &wait), HOST_ADMIT);
	}
	{
		struct ftp_addr extra = v4(10, 0, 1, 1);
		struct ftp_addr known = v4(10, 0, 0, 5);

		assert_int_equal(hosttab_admit(&t, &extra, 0, 5, &wait),
		    HOST_FULL);
		/* A known address is still counted when the table is full. */
		assert_int_equal(hosttab_admit(&t, &known, 0, 5, &wait),
		    HOST_ADMIT);
		hosttab_session_end(&t, &known, 0);
	}
	for (i = 0; i < CAP - 1; i += 3) {
		struct ftp_addr a = v4(10, 0, 0, (uint8_t)i);

		hosttab_session_end(&t, &a, 0);
		for (j = 0; j < CAP - 1; j++) {
			struct ftp_addr b = v4(10, 0, 0, (uint8_t)j);
			bool gone = j % 3 == 0 && j <= i;

			/* Present ones hold one session: a second is refused
			 * with max 1; absent ones are admitted (and undone). */
			if (gone) {
				assert_int_equal(hosttab_admit(&t, &b, 0, 1,
				    &wait), HOST_ADMIT);
				hosttab_session_end(&t, &b, 0);
			} else {
				assert_int_equal(hosttab_admit(&t, &b, 0, 1,
				    &wait), HOST_TOO_MANY);
			}
		}
	}
	assert_int_equal(t.used, (CAP - 1) - (CAP - 1 + 2) / 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sessions_per_address),
		cmocka_unit_test(test_ban_after_failures),
		cmocka_unit_test(test_failures_expire_and_are_forgiven),
		cmocka_unit_test(test_full_table_and_deletion),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
