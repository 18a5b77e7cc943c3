/* Unit tests for per-address session counts and per-prefix failed logins
 * and bans (proxy/hosttab.c): expiry, eviction under a flood, IPv6 /64
 * aggregation, per-user forgiveness. */
#include "proxy/hosttab.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <sys/socket.h>

#define SESS_CAP 64
#define FAIL_CAP 64
#define BAN_MS 60000u

static struct host_sess sess[SESS_CAP];
static struct host_fail fail[FAIL_CAP];

static const struct hosttab_policy default_pol = {
	.max_per_ip = 3, .max_failures = 3, .ban_ms = BAN_MS,
	.prefix4 = 32, .prefix6 = 64,
};

static void
init(struct hosttab *t, const struct hosttab_policy *pol, uint32_t seed)
{
	hosttab_init(t, sess, SESS_CAP, fail, FAIL_CAP, seed,
	    pol != NULL ? pol : &default_pol);
}

static struct net_addr
v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	struct net_addr x;

	memset(&x, 0, sizeof(x));
	x.family = AF_INET;
	x.addr[0] = a;
	x.addr[1] = b;
	x.addr[2] = c;
	x.addr[3] = d;
	return x;
}

/* 2001:db8:1:<net>::<host> */
static struct net_addr
v6(uint16_t net, uint16_t host)
{
	struct net_addr x;

	memset(&x, 0, sizeof(x));
	x.family = AF_INET6;
	x.addr[0] = 0x20;
	x.addr[1] = 0x01;
	x.addr[2] = 0x0d;
	x.addr[3] = 0xb8;
	x.addr[5] = 0x01;
	x.addr[6] = (uint8_t)(net >> 8);
	x.addr[7] = (uint8_t)net;
	x.addr[14] = (uint8_t)(host >> 8);
	x.addr[15] = (uint8_t)host;
	return x;
}

/* ::ffff:a.b.c.d */
static struct net_addr
v4mapped(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	struct net_addr x;

	memset(&x, 0, sizeof(x));
	x.family = AF_INET6;
	x.addr[10] = 0xff;
	x.addr[11] = 0xff;
	x.addr[12] = a;
	x.addr[13] = b;
	x.addr[14] = c;
	x.addr[15] = d;
	return x;
}

#define ALICE 0xa11ceu
#define BOB 0xb0bu

/* ---- sessions per address ---- */

static void
test_sessions_per_address(void **state)
{
	struct hosttab t;
	struct net_addr a = v4(203, 0, 113, 10), b = v4(203, 0, 113, 11);
	struct net_addr c = v6(1, 1), d = v6(1, 2);
	uint32_t wait = 0;
	int i;

	(void)state;
	init(&t, NULL, 7);
	for (i = 0; i < 3; i++)
		assert_int_equal(hosttab_admit(&t, &a, 0, &wait), HOST_ADMIT);
	assert_int_equal(hosttab_admit(&t, &a, 0, &wait), HOST_TOO_MANY);
	/* Another address is counted apart. */
	assert_int_equal(hosttab_admit(&t, &b, 0, &wait), HOST_ADMIT);
	a.port = 4242;		/* the port never matters */
	hosttab_session_end(&t, &a);
	assert_int_equal(hosttab_admit(&t, &a, 0, &wait), HOST_ADMIT);
	assert_int_equal(t.sess_used, 2);
	/* Sessions stay per address inside one /64 (bans do not). */
	for (i = 0; i < 3; i++)
		assert_int_equal(hosttab_admit(&t, &c, 0, &wait), HOST_ADMIT);
	assert_int_equal(hosttab_admit(&t, &c, 0, &wait), HOST_TOO_MANY);
	assert_int_equal(hosttab_admit(&t, &d, 0, &wait), HOST_ADMIT);
	for (i = 0; i < 3; i++) {
		hosttab_session_end(&t, &a);
		hosttab_session_end(&t, &c);
	}
	hosttab_session_end(&t, &b);
	hosttab_session_end(&t, &d);
	assert_int_equal(t.sess_used, 0);
	/* Ending more than began is harmless. */
	hosttab_session_end(&t, &b);
	assert_int_equal(t.sess_used, 0);
	assert_int_equal(t.fail_used, 0);
}

/* Fill the session table, delete in an order that exercises the backward
 * shift, and check every remaining address is still found. */
static void
test_session_table_deletion(void **state)
{
	struct hosttab_policy pol = default_pol;
	size_t lim = hosttab_limit(SESS_CAP);
	struct hosttab t;
	uint32_t wait = 0;
	size_t i, j;

	(void)state;
	pol.max_per_ip = 5;
	init(&t, &pol, 12345);
	for (i = 0; i < lim; i++) {
		struct net_addr a = v4(10, 0, 0, (uint8_t)i);

		assert_int_equal(hosttab_admit(&t, &a, 0, &wait), HOST_ADMIT);
	}
	{
		struct net_addr extra = v4(10, 0, 1, 1);

		/* Cannot happen in the gateway (sized for max_sessions):
		 * reported, not a crash or an endless probe. */
		assert_int_equal(hosttab_admit(&t, &extra, 0, &wait),
		    HOST_FULL);
	}
	for (i = 0; i < lim; i += 3) {
		struct net_addr a = v4(10, 0, 0, (uint8_t)i);

		hosttab_session_end(&t, &a);
		for (j = 0; j < lim; j++) {
			struct net_addr b = v4(10, 0, 0, (uint8_t)j);

			/* Present ones hold one session: removing one and
			 * adding it back finds the same entry. */
			if (j % 3 == 0 && j <= i)
				continue;
			hosttab_session_end(&t, &b);
			assert_int_equal(hosttab_admit(&t, &b, 0, &wait),
			    HOST_ADMIT);
		}
	}
	assert_int_equal(t.sess_used, lim - (lim + 2) / 3);
}

/* ---- failures, bans, expiry ---- */

static void
test_ban_after_failures(void **state)
{
	struct hosttab t;
	struct net_addr a = v4(198, 51, 100, 7);
	uint32_t wait = 0;

	(void)state;
	init(&t, NULL, 1);
	assert_int_equal(hosttab_admit(&t, &a, 1000, &wait), HOST_ADMIT);
	assert_int_equal(hosttab_login_failed(&t, &a, ALICE, 1000),
	    HOST_FAIL_COUNTED);
	assert_int_equal(hosttab_login_failed(&t, &a, ALICE, 2000),
	    HOST_FAIL_COUNTED);
	assert_int_equal(hosttab_failures(&t, &a, 2000), 2);
	assert_int_equal(hosttab_login_failed(&t, &a, ALICE, 3000),
	    HOST_FAIL_BAN);
	assert_int_equal(hosttab_admit(&t, &a, 3000, &wait), HOST_BANNED);
	assert_int_equal(wait, 60);
	/* A session opened before the ban that fails again ends too; the
	 * ban is not lengthened. */
	assert_int_equal(hosttab_login_failed(&t, &a, BOB, 4000),
	    HOST_FAIL_BANNED);
	assert_int_equal(hosttab_admit(&t, &a, 62500, &wait), HOST_BANNED);
	assert_int_equal(wait, 1);
	/* Over: admitted again, with a clean count, the record gone. */
	assert_int_equal(hosttab_admit(&t, &a, 63000, &wait), HOST_ADMIT);
	assert_int_equal(hosttab_failures(&t, &a, 63000), 0);
	assert_int_equal(t.fail_used, 0);
	hosttab_session_end(&t, &a);
	hosttab_session_end(&t, &a);
	assert_int_equal(t.sess_used, 0);
	/* max_failures 0: nothing is counted, nothing is kept. */
	{
		struct hosttab_policy pol = default_pol;

		pol.max_failures = 0;
		init(&t, &pol, 1);
		assert_int_equal(hosttab_login_failed(&t, &a, ALICE, 0),
		    HOST_FAIL_COUNTED);
		assert_int_equal(t.fail_used, 0);
	}
}

/* Failures expire ban_ms after the first one counted, on lookup. */
static void
test_failures_expire_on_lookup(void **state)
{
	struct hosttab t;
	struct net_addr a = v4(198, 51, 100, 7);
	uint32_t wait = 0;

	(void)state;
	init(&t, NULL, 99);
	assert_int_equal(hosttab_login_failed(&t, &a, ALICE, 0),
	    HOST_FAIL_COUNTED);
	assert_int_equal(hosttab_login_failed(&t, &a, ALICE, 30000),
	    HOST_FAIL_COUNTED);
	assert_int_equal(hosttab_failures(&t, &a, BAN_MS - 1), 2);
	assert_int_equal(hosttab_failures(&t, &a, BAN_MS), 0);
	/* The window is over: counting starts again from this one. */
	assert_int_equal(hosttab_login_failed(&t, &a, ALICE, BAN_MS),
	    HOST_FAIL_COUNTED);
	assert_int_equal(hosttab_failures(&t, &a, BAN_MS), 1);
	assert_int_equal(t.fail_used, 1);
	/* A connection after the window finds nothing and drops it. */
	assert_int_equal(hosttab_admit(&t, &a, 2 * BAN_MS, &wait),
	    HOST_ADMIT);
	assert_int_equal(t.fail_used, 0);
	/* A time a little behind the first failure (another worker's
	 * clock) keeps the count. */
	assert_int_equal(hosttab_login_failed(&t, &a, ALICE, 5 * BAN_MS),
	    HOST_FAIL_COUNTED);
	assert_int_equal(hosttab_failures(&t, &a, 5 * BAN_MS - 3), 1);
	assert_int_equal(hosttab_login_failed(&t, &a, ALICE,
	    5 * BAN_MS - 3), HOST_FAIL_COUNTED);
	assert_int_equal(hosttab_failures(&t, &a, 5 * BAN_MS), 2);
}

/* The sweep drops expired failures and bans of addresses never seen
 * again, a few slots at a time, and keeps live ones. */
static void
test_sweep(void **state)
{
	struct hosttab_policy pol = default_pol;
	struct hosttab t;
	uint32_t i, wait;
	size_t dropped = 0, n;

	(void)state;
	pol.max_failures = 2;
	init(&t, &pol, 5);
	for (i = 0; i < 20; i++) {		/* 20 failing once */
		struct net_addr a = v4(192, 0, 2, (uint8_t)i);

		(void)hosttab_login_failed(&t, &a, ALICE, 1000);
	}
	for (i = 0; i < 10; i++) {		/* 10 banned */
		struct net_addr a = v4(198, 51, 100, (uint8_t)i);

		(void)hosttab_login_failed(&t, &a, ALICE, 1000);
		assert_int_equal(hosttab_login_failed(&t, &a, ALICE, 2000),
		    HOST_FAIL_BAN);
	}
	assert_int_equal(t.fail_used, 30);
	/* Nothing has expired yet. */
	assert_int_equal(hosttab_sweep(&t, 2000, FAIL_CAP), 0);
	/* The failures' window ends first (first + ban_ms), then the bans
	 * (2000 + ban_ms). */
	assert_int_equal(hosttab_sweep(&t, 1000 + BAN_MS, FAIL_CAP), 20);
	assert_int_equal(t.fail_used, 10);
	{
		struct net_addr a = v4(198, 51, 100, 3);

		assert_int_equal(hosttab_admit(&t, &a, 1000 + BAN_MS, &wait),
		    HOST_BANNED);
	}
	/* A few slots per call: the table is covered in turn. */
	for (i = 0; i < 100 && t.fail_used > 0; i++) {
		n = hosttab_sweep(&t, 2000 + BAN_MS, 5);
		dropped += n;
	}
	assert_int_equal(dropped, 10);
	assert_int_equal(t.fail_used, 0);
}

/* ---- prefixes ---- */

/* Three addresses of one /64 make one ban for the whole /64; the next
 * /64 is another network. Sessions count per address all along. */
static void
test_v6_prefix(void **state)
{
	struct hosttab t;
	struct net_addr net;
	uint32_t wait = 0;

	(void)state;
	init(&t, NULL, 3);
	{
		struct net_addr a = v6(1, 1), b = v6(1, 2), c = v6(1, 0xffff);

		assert_int_equal(hosttab_login_failed(&t, &a, ALICE, 0),
		    HOST_FAIL_COUNTED);
		assert_int_equal(hosttab_login_failed(&t, &b, ALICE, 0),
		    HOST_FAIL_COUNTED);
		assert_int_equal(hosttab_failures(&t, &c, 0), 2);
		assert_int_equal(hosttab_login_failed(&t, &c, ALICE, 0),
		    HOST_FAIL_BAN);
	}
	{
		struct net_addr other = v6(1, 0x1234), next = v6(2, 1);

		assert_int_equal(hosttab_admit(&t, &other, 1, &wait),
		    HOST_BANNED);
		assert_int_equal(hosttab_admit(&t, &next, 1, &wait),
		    HOST_ADMIT);
		assert_int_equal(hosttab_prefix(&t, &other, &net), 64);
		assert_int_equal(net.family, AF_INET6);
		assert_memory_equal(net.addr, v6(1, 0).addr, 16);
	}
	/* ban_prefix6 = 128: each address alone. */
	{
		struct hosttab_policy pol = default_pol;
		struct net_addr a = v6(1, 1), b = v6(1, 2);

		pol.prefix6 = 128;
		init(&t, &pol, 3);
		(void)hosttab_login_failed(&t, &a, ALICE, 0);
		(void)hosttab_login_failed(&t, &a, ALICE, 0);
		assert_int_equal(hosttab_login_failed(&t, &b, ALICE, 0),
		    HOST_FAIL_COUNTED);
		assert_int_equal(hosttab_failures(&t, &b, 0), 1);
		assert_int_equal(hosttab_prefix(&t, &b, &net), 128);
		assert_memory_equal(net.addr, b.addr, 16);
	}
	/* ban_prefix6 = 56: 2001:db8:1:0::/64 and 2001:db8:1:ff::/64 are
	 * one network; 2001:db8:1:100:: is the next /56. */
	{
		struct hosttab_policy pol = default_pol;
		struct net_addr a = v6(0, 1), b = v6(0xff, 1), c = v6(0x100, 1);

		pol.prefix6 = 56;
		init(&t, &pol, 3);
		(void)hosttab_login_failed(&t, &a, ALICE, 0);
		(void)hosttab_login_failed(&t, &b, ALICE, 0);
		assert_int_equal(hosttab_failures(&t, &a, 0), 2);
		assert_int_equal(hosttab_failures(&t, &c, 0), 0);
	}
	/* ban_prefix4 = 24. */
	{
		struct hosttab_policy pol = default_pol;
		struct net_addr a = v4(203, 0, 113, 5);
		struct net_addr b = v4(203, 0, 113, 200);
		struct net_addr c = v4(203, 0, 114, 5);

		pol.prefix4 = 24;
		init(&t, &pol, 3);
		(void)hosttab_login_failed(&t, &a, ALICE, 0);
		(void)hosttab_login_failed(&t, &b, ALICE, 0);
		assert_int_equal(hosttab_failures(&t, &b, 0), 2);
		assert_int_equal(hosttab_failures(&t, &c, 0), 0);
		assert_int_equal(hosttab_prefix(&t, &b, &net), 24);
		assert_memory_equal(net.addr, v4(203, 0, 113, 0).addr, 4);
	}
}

/* SECURITY: IPv4-mapped addresses count as IPv4 addresses; masked as
 * IPv6 /64 they would all be one network, and one client's failures
 * would ban every IPv4 client of a dual-stack listener. */
static void
test_v4_mapped(void **state)
{
	struct hosttab t;
	struct net_addr m = v4mapped(203, 0, 113, 10);
	struct net_addr plain = v4(203, 0, 113, 10);
	struct net_addr other = v4mapped(203, 0, 113, 11);
	struct net_addr net;
	uint32_t wait = 0;
	int i;

	(void)state;
	init(&t, NULL, 11);
	for (i = 0; i < 3; i++)
		(void)hosttab_login_failed(&t, &m, ALICE, 0);
	assert_int_equal(hosttab_admit(&t, &plain, 0, &wait), HOST_BANNED);
	assert_int_equal(hosttab_admit(&t, &m, 0, &wait), HOST_BANNED);
	assert_int_equal(hosttab_admit(&t, &other, 0, &wait), HOST_ADMIT);
	assert_int_equal(hosttab_prefix(&t, &m, &net), 32);
	assert_int_equal(net.family, AF_INET);
	assert_memory_equal(net.addr, plain.addr, 4);
	/* And the session of the mapped form is the plain address's. */
	assert_int_equal(hosttab_admit(&t, &plain, BAN_MS, &wait),
	    HOST_ADMIT);
	hosttab_session_end(&t, &m);
	assert_int_equal(t.sess_used, 1);	/* other's */
}

/* An address of no known family is neither counted nor remembered. */
static void
test_unknown_family(void **state)
{
	struct hosttab t;
	struct net_addr a;
	uint32_t wait = 0;

	(void)state;
	memset(&a, 0, sizeof(a));
	init(&t, NULL, 1);
	assert_int_equal(hosttab_admit(&t, &a, 0, &wait), HOST_ADMIT);
	assert_int_equal(hosttab_login_failed(&t, &a, ALICE, 0),
	    HOST_FAIL_COUNTED);
	hosttab_session_end(&t, &a);
	assert_int_equal(t.sess_used, 0);
	assert_int_equal(t.fail_used, 0);
}

/* ---- forgiveness ---- */

/* SECURITY: a good login forgives that user name's failures only, so an
 * account holder cannot guess other accounts' passwords forever. */
static void
test_forgive_same_user_only(void **state)
{
	struct hosttab_policy pol = default_pol;
	struct hosttab t;
	struct net_addr a = v4(203, 0, 113, 10);
	uint64_t u;
	int i;

	(void)state;
	init(&t, NULL, 21);
	assert_int_equal(hosttab_login_failed(&t, &a, ALICE, 0),
	    HOST_FAIL_COUNTED);
	assert_int_equal(hosttab_login_failed(&t, &a, ALICE, 1),
	    HOST_FAIL_COUNTED);
	hosttab_login_ok(&t, &a, BOB, 2);	/* bob's own account */
	assert_int_equal(hosttab_failures(&t, &a, 2), 2);
	assert_int_equal(hosttab_login_failed(&t, &a, ALICE, 3),
	    HOST_FAIL_BAN);

	/* Alice mistyped twice, then got it right: forgiven, record gone. */
	init(&t, NULL, 21);
	(void)hosttab_login_failed(&t, &a, ALICE, 0);
	(void)hosttab_login_failed(&t, &a, ALICE, 1);
	hosttab_login_ok(&t, &a, ALICE, 2);
	assert_int_equal(hosttab_failures(&t, &a, 2), 0);
	assert_int_equal(t.fail_used, 0);

	/* Mixed: only bob's part goes. */
	init(&t, NULL, 21);
	(void)hosttab_login_failed(&t, &a, ALICE, 0);
	(void)hosttab_login_failed(&t, &a, BOB, 1);
	hosttab_login_ok(&t, &a, BOB, 2);
	assert_int_equal(hosttab_failures(&t, &a, 2), 1);
	/* Forgiving twice changes nothing more. */
	hosttab_login_ok(&t, &a, BOB, 3);
	assert_int_equal(hosttab_failures(&t, &a, 3), 1);

	/* Names beyond HOSTTAB_USERS still count, and are never forgiven. */
	pol.max_failures = 100;
	init(&t, &pol, 21);
	for (i = 0; i <= HOSTTAB_USERS; i++)
		(void)hosttab_login_failed(&t, &a, 1000u + (uint64_t)i, 0);
	assert_int_equal(hosttab_failures(&t, &a, 0), HOSTTAB_USERS + 1);
	hosttab_login_ok(&t, &a, 1000u + HOSTTAB_USERS, 1);
	assert_int_equal(hosttab_failures(&t, &a, 1), HOSTTAB_USERS + 1);
	hosttab_login_ok(&t, &a, 1000u, 1);
	assert_int_equal(hosttab_failures(&t, &a, 1), HOSTTAB_USERS);
	/* ... and the freed name slot takes the next new name. */
	(void)hosttab_login_failed(&t, &a, 77, 2);
	hosttab_login_ok(&t, &a, 77, 3);
	assert_int_equal(hosttab_failures(&t, &a, 3), HOSTTAB_USERS);

	/* A ban is not lifted by anyone's login. */
	init(&t, NULL, 21);
	for (i = 0; i < 3; i++)
		(void)hosttab_login_failed(&t, &a, ALICE, 0);
	hosttab_login_ok(&t, &a, ALICE, 1);
	{
		uint32_t wait;

		assert_int_equal(hosttab_admit(&t, &a, 1, &wait),
		    HOST_BANNED);
	}
	/* The user names the session layer passes: keyed hashes. */
	u = hosttab_user_hash(&t, "alice", 5);
	assert_true(u == hosttab_user_hash(&t, "alice", 5));
	assert_true(u != hosttab_user_hash(&t, "Alice", 5));
	assert_true(u != hosttab_user_hash(&t, "alice2", 6));
	assert_true(u != hosttab_user_hash(&t, "", 0));
	init(&t, NULL, 22);
	assert_true(u != hosttab_user_hash(&t, "alice", 5));
}

/* ---- a full failures table ---- */

/*
 * SECURITY: a flood of networks each failing once (far more than the
 * table holds) never refuses a new address, never pushes out a ban or a
 * record with more failures, and leaves the table within its bound.
 */
static void
test_flood_keeps_bans_and_serves_new(void **state)
{
	struct hosttab_policy pol = default_pol;
	size_t lim = hosttab_limit(FAIL_CAP);
	struct net_addr banned = v4(198, 51, 100, 66);
	struct net_addr close_call = v4(198, 51, 100, 67);
	struct net_addr open = v4(198, 51, 100, 68);
	struct hosttab t;
	uint32_t i, wait = 0;

	(void)state;
	pol.max_failures = 5;
	init(&t, &pol, 77);
	for (i = 0; i < 5; i++)
		(void)hosttab_login_failed(&t, &banned, ALICE, 0);
	for (i = 0; i < 4; i++)
		(void)hosttab_login_failed(&t, &close_call, ALICE, 0);
	/* An address with sessions open (per-address table, untouched). */
	for (i = 0; i < 3; i++)
		assert_int_equal(hosttab_admit(&t, &open, 0, &wait),
		    HOST_ADMIT);
	for (i = 0; i < 5000; i++) {
		struct net_addr a = v6((uint16_t)(i + 100), 1);

		assert_int_equal(hosttab_admit(&t, &a, 10 + i, &wait),
		    HOST_ADMIT);
		assert_int_equal(hosttab_login_failed(&t, &a, ALICE, 10 + i),
		    HOST_FAIL_COUNTED);
		hosttab_session_end(&t, &a);
		assert_true(t.fail_used <= lim);
	}
	/* The latest flood network is remembered, the ban and the record
	 * with 4 failures too; the oldest flood networks made room. */
	assert_int_equal(t.fail_used, lim);
	assert_int_equal(t.evicted, 5000 - (lim - 2));
	assert_int_equal(hosttab_admit(&t, &banned, 6000, &wait),
	    HOST_BANNED);
	assert_int_equal(hosttab_failures(&t, &close_call, 6000), 4);
	assert_int_equal(hosttab_login_failed(&t, &close_call, ALICE, 6000),
	    HOST_FAIL_BAN);
	{
		struct net_addr last = v6(100 + 4999, 1), first = v6(100, 1);

		assert_int_equal(hosttab_failures(&t, &last, 6000), 1);
		assert_int_equal(hosttab_failures(&t, &first, 6000), 0);
	}
	/* Sessions were never touched: open still holds its 3. */
	assert_int_equal(hosttab_admit(&t, &open, 6000, &wait),
	    HOST_TOO_MANY);
	assert_int_equal(t.sess_used, 1);
	/* And a new, well-behaved address is served. */
	{
		struct net_addr fresh = v4(203, 0, 113, 99);

		assert_int_equal(hosttab_admit(&t, &fresh, 6000, &wait),
		    HOST_ADMIT);
	}
}

/* Room is taken first from an expired record (not counted as evicted),
 * then from the fewest failures, oldest first. */
static void
test_eviction_order(void **state)
{
	struct hosttab_policy pol = default_pol;
	size_t lim = hosttab_limit(FAIL_CAP);
	struct net_addr two = v4(10, 1, 0, 0), a;
	struct hosttab t;
	uint32_t i;

	(void)state;
	pol.max_failures = 10;
	init(&t, &pol, 8);
	/* The oldest record has two failures; the others one each, at
	 * times 10, 11, ... */
	(void)hosttab_login_failed(&t, &two, ALICE, 0);
	(void)hosttab_login_failed(&t, &two, ALICE, 1);
	for (i = 0; i + 1 < lim; i++) {
		a = v4(10, 0, 0, (uint8_t)i);
		(void)hosttab_login_failed(&t, &a, ALICE, 10 + i);
	}
	assert_int_equal(t.fail_used, lim);
	a = v4(10, 2, 0, 0);
	(void)hosttab_login_failed(&t, &a, ALICE, 100);
	assert_int_equal(t.evicted, 1);
	/* 10.0.0.0 (one failure, the oldest of those) went, not "two". */
	a = v4(10, 0, 0, 0);
	assert_int_equal(hosttab_failures(&t, &a, 100), 0);
	a = v4(10, 0, 0, 1);
	assert_int_equal(hosttab_failures(&t, &a, 100), 1);
	assert_int_equal(hosttab_failures(&t, &two, 100), 2);
	/* Later, "two"'s window is over: it is the one reused, and that is
	 * expiry, not eviction. */
	a = v4(10, 3, 0, 0);
	(void)hosttab_login_failed(&t, &a, ALICE, BAN_MS);
	assert_int_equal(t.evicted, 1);
	assert_int_equal(hosttab_failures(&t, &two, BAN_MS), 0);
	assert_int_equal(t.fail_used, lim);
}

/* Every slot a ban: a new failure is not counted (and said so), a new
 * address is still served, and the bans end on time. */
static void
test_table_full_of_bans(void **state)
{
	struct hosttab_policy pol = default_pol;
	size_t lim = hosttab_limit(FAIL_CAP);
	struct hosttab t;
	struct net_addr a;
	uint32_t i, wait = 0;

	(void)state;
	pol.max_failures = 1;
	init(&t, &pol, 9);
	for (i = 0; i < lim; i++) {
		a = v4(10, 0, 0, (uint8_t)i);
		assert_int_equal(hosttab_login_failed(&t, &a, ALICE, 0),
		    HOST_FAIL_BAN);
	}
	a = v4(10, 9, 9, 9);
	assert_int_equal(hosttab_login_failed(&t, &a, ALICE, 1),
	    HOST_FAIL_COUNTED);
	assert_int_equal(t.unrecorded, 1);
	assert_int_equal(t.evicted, 0);
	assert_int_equal(hosttab_admit(&t, &a, 1, &wait), HOST_ADMIT);
	for (i = 0; i < lim; i++) {
		struct net_addr b = v4(10, 0, 0, (uint8_t)i);

		assert_int_equal(hosttab_admit(&t, &b, 1, &wait),
		    HOST_BANNED);
	}
	assert_int_equal(hosttab_sweep(&t, BAN_MS, FAIL_CAP), lim);
	assert_int_equal(t.fail_used, 0);
	assert_int_equal(hosttab_login_failed(&t, &a, ALICE, BAN_MS),
	    HOST_FAIL_BAN);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sessions_per_address),
		cmocka_unit_test(test_session_table_deletion),
		cmocka_unit_test(test_ban_after_failures),
		cmocka_unit_test(test_failures_expire_on_lookup),
		cmocka_unit_test(test_sweep),
		cmocka_unit_test(test_v6_prefix),
		cmocka_unit_test(test_v4_mapped),
		cmocka_unit_test(test_unknown_family),
		cmocka_unit_test(test_forgive_same_user_only),
		cmocka_unit_test(test_flood_keeps_bans_and_serves_new),
		cmocka_unit_test(test_eviction_order),
		cmocka_unit_test(test_table_full_of_bans),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
