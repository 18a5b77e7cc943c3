/* Unit tests for the passive port pool (proxy/portpool.c): range edges,
 * the distribution of picks (chi-square), ports in use and ports just
 * given back avoided, the whole range reachable. */
#include "proxy/portpool.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

/* The random bits: splitmix64 from a fixed seed, so a failure can be
 * replayed (the gateway uses getrandom; the pool only sees 64 bits). */
static uint64_t rng_state;

static uint64_t
rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

/* One pool is ~20 KiB: keep them off the stack. */
static struct portpool pool;

/*
 * Chi-square of observed counts against a uniform expectation. For k
 * cells (k - 1 degrees of freedom) the statistic has mean k - 1 and
 * standard deviation sqrt(2 (k - 1)); chi_limit() allows mean + 6 sd,
 * which a uniform source exceeds with probability below 1e-8 (the draws
 * here are fixed anyway), while a round robin or a skewed pick lands far
 * beyond it (see test_uniform's own check of the statistic).
 */
static double
chi_square(const uint32_t *obs, size_t k, double expected)
{
	double x = 0;
	size_t i;

	for (i = 0; i < k; i++) {
		double d = (double)obs[i] - expected;

		x += d * d / expected;
	}
	return x;
}

static double
chi_limit(size_t k)
{
	double dof = (double)(k - 1), sd = 1;

	/* sqrt without libm: a few Newton steps are plenty here */
	for (int i = 0; i < 40; i++)
		sd = 0.5 * (sd + 2 * dof / sd);
	return dof + 6 * sd;
}

/* ---- the range ---- */

static void
test_range(void **state)
{
	static const struct {
		uint16_t low, high;
		size_t size;
		uint16_t first, last;
	} rows[] = {
		{ 61000, 61999, 1000, 61000, 61999 },
		{ 5000, 5000, 1, 5000, 5000 },
		/* a swapped pair stays inside the range written */
		{ 61999, 61000, 1000, 61000, 61999 },
		/* the top of the port space: no wrap past 65535 to 0 */
		{ 65534, 65535, 2, 65534, 65535 },
		/* port 0 is never handed out: 0 means "none" */
		{ 0, 65535, 65535, 1, 65535 },
		{ 0, 0, 1, 1, 1 },
	};
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		portpool_init(&pool, rows[i].low, rows[i].high);
		assert_int_equal(portpool_size(&pool), rows[i].size);
		rng_state = i;
		for (j = 0; j < 1000; j++) {
			uint16_t p = portpool_next(&pool, j * 10000, rng());

			assert_in_range(p, rows[i].first, rows[i].last);
			assert_true(portpool_release(&pool, p, j * 10000));
		}
		assert_int_equal(portpool_held(&pool), 0);
	}
}

/* ---- the distribution ---- */

/*
 * Many picks, each given back and the clock moved past the quiet time, so
 * every port is eligible every time: the ports and the steps between
 * consecutive ports (mod the range) are both uniform. The second check is
 * what a round robin (steps all +1) or any sequence fails.
 */
static void
test_uniform(void **state)
{
	enum { N = 1000, PICKS = 200000 };
	static uint32_t count[N], step[N];
	uint32_t prev = 0, i;
	uint64_t now = 0;

	(void)state;
	memset(count, 0, sizeof(count));
	memset(step, 0, sizeof(step));
	rng_state = 42;
	portpool_init(&pool, 61000, 61000 + N - 1);
	for (i = 0; i < PICKS; i++) {
		uint16_t p = portpool_next(&pool, now, rng());
		uint32_t off = (uint32_t)(p - 61000);

		count[off]++;
		if (i > 0)
			step[(off + N - prev) % N]++;
		prev = off;
		assert_true(portpool_release(&pool, p, now));
		now += PORTPOOL_QUIET_MS;
	}
	assert_true(chi_square(count, N, (double)PICKS / N) < chi_limit(N));
	assert_true(chi_square(step, N, (double)(PICKS - 1) / N) <
	    chi_limit(N));
	/* The statistic does see a sequence: steps all +1 are far off. */
	memset(step, 0, sizeof(step));
	step[1] = PICKS - 1;
	assert_true(chi_square(step, N, (double)(PICKS - 1) / N) >
	    100 * chi_limit(N));
}

/* With half the ports held, picks are uniform over the other half and
 * never return a held one. */
static void
test_uniform_among_free(void **state)
{
	enum { N = 1000, PICKS = 100000 };
	static uint32_t count[N / 2];
	uint32_t i;
	uint64_t now = 0;
	uint16_t p;

	(void)state;
	memset(count, 0, sizeof(count));
	rng_state = 7;
	portpool_init(&pool, 40000, 40000 + N - 1);
	/* Hold every port, then give back the even ones, long ago. */
	for (i = 0; i < N; i++)
		assert_int_not_equal(portpool_next(&pool, 0, rng()), 0);
	assert_int_equal(portpool_next(&pool, 0, rng()), 0);
	for (i = 0; i < N; i += 2)
		assert_true(portpool_release(&pool, (uint16_t)(40000 + i), 0));
	now = PORTPOOL_QUIET_MS;
	for (i = 0; i < PICKS; i++) {
		p = portpool_next(&pool, now, rng());
		assert_int_equal((p - 40000) % 2, 0);
		count[(p - 40000) / 2]++;
		assert_true(portpool_release(&pool, p, now));
		now += PORTPOOL_QUIET_MS;
	}
	assert_true(chi_square(count, N / 2, (double)PICKS / (N / 2)) <
	    chi_limit(N / 2));
}

/* ---- ports just given back ---- */

/*
 * Churn: ports picked and given back every 20 ms, a few held at once. No
 * pick returns a port given back less than PORTPOOL_QUIET_MS earlier
 * (250 releases per quiet time: within PORTPOOL_RECENT_MAX).
 */
static void
test_recent_not_reused(void **state)
{
	enum { N = 1000, ROUNDS = 20000, HOLD = 8 };
	static uint64_t released_at[N];
	static bool ever[N];
	uint16_t held[HOLD] = { 0 };
	uint64_t now = 1000000;
	uint32_t i;

	(void)state;
	memset(ever, 0, sizeof(ever));
	rng_state = 99;
	portpool_init(&pool, 50000, 50000 + N - 1);
	for (i = 0; i < ROUNDS; i++, now += 20) {
		uint16_t *slot = &held[i % HOLD];
		uint16_t p;
		uint32_t off;

		if (*slot != 0) {
			off = (uint32_t)(*slot - 50000);
			assert_true(portpool_release(&pool, *slot, now));
			released_at[off] = now;
			ever[off] = true;
		}
		p = portpool_next(&pool, now, rng());
		assert_int_not_equal(p, 0);
		off = (uint32_t)(p - 50000);
		if (ever[off])
			assert_true(now - released_at[off] >=
			    PORTPOOL_QUIET_MS);
		*slot = p;
	}
	/* and all the range was used meanwhile */
	for (i = 0; i < N; i++)
		assert_true(ever[i]);
}

/* A port given back stays out until its quiet time is over, whatever the
 * random bits; the exact edge is PORTPOOL_QUIET_MS. */
static void
test_quiet_time(void **state)
{
	uint64_t bits;
	int i;

	(void)state;
	for (i = 0; i < 100; i++) {
		bits = rng();
		portpool_init(&pool, 40000, 40001);
		assert_int_equal(portpool_next(&pool, 0, 0), 40000);
		assert_true(portpool_release(&pool, 40000, 100));
		/* 40000 is quiet: the other port, whatever the bits. */
		assert_int_equal(portpool_next(&pool,
		    100 + PORTPOOL_QUIET_MS - 1, bits), 40001);
		assert_true(portpool_release(&pool, 40001,
		    100 + PORTPOOL_QUIET_MS - 1));
		/* Now 40000's quiet time is over and 40001's is not. */
		assert_int_equal(portpool_next(&pool, 100 + PORTPOOL_QUIET_MS,
		    bits), 40000);
	}
	/* Only quiet ports free: one of them rather than none. */
	portpool_init(&pool, 40000, 40001);
	assert_int_equal(portpool_next(&pool, 0, 0), 40000);
	assert_int_equal(portpool_next(&pool, 0, 0), 40001);
	assert_int_equal(portpool_next(&pool, 0, 0), 0);
	assert_true(portpool_release(&pool, 40000, 1000));
	assert_true(portpool_release(&pool, 40001, 1000));
	assert_int_equal(portpool_next(&pool, 1001, 1), 40001);
	/* Picked, 40001 left the record of quiet ports: given back again
	 * later, it is quiet from then on, and 40000's time ends first. */
	assert_true(portpool_release(&pool, 40001, 1002));
	assert_int_equal(portpool_next(&pool, 1000 + PORTPOOL_QUIET_MS, 1),
	    40000);
	assert_int_equal(portpool_next(&pool, 1000 + PORTPOOL_QUIET_MS, 0),
	    40001);
}

/* The record of given-back ports is bounded: past PORTPOOL_RECENT_MAX
 * releases within the quiet time, the oldest becomes eligible early. */
static void
test_recent_bounded(void **state)
{
	enum { N = PORTPOOL_RECENT_MAX + 1 };
	uint32_t i;

	(void)state;
	portpool_init(&pool, 30000, 30000 + N - 1);
	for (i = 0; i < N; i++)
		assert_int_not_equal(portpool_next(&pool, 0, 0), 0);
	for (i = 0; i < N; i++)
		assert_true(portpool_release(&pool, (uint16_t)(30000 + i), 1));
	/* All N were given back at once, but only the last
	 * PORTPOOL_RECENT_MAX are remembered: the first is eligible alone.
	 * Each release pushes the next oldest out in turn. */
	for (i = 0; i < 10; i++) {
		uint16_t p = portpool_next(&pool, 2, rng());

		assert_int_equal(p, 30000 + i);
		assert_true(portpool_release(&pool, p, 2));
	}
}

/* ---- ports in use, the whole range, a range of one ---- */

/* Picks without giving back hand out every port exactly once, the
 * largest range included, then report none left. */
static void
test_whole_range(void **state)
{
	static const struct { uint16_t low, high; } rows[] = {
		{ 61000, 61999 }, { 1024, 65535 }, { 1, 65535 }, { 7, 7 },
	};
	static bool hit[65536];
	size_t i, j, n;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(hit, 0, sizeof(hit));
		rng_state = 1000 + i;
		portpool_init(&pool, rows[i].low, rows[i].high);
		n = portpool_size(&pool);
		for (j = 0; j < n; j++) {
			uint16_t p = portpool_next(&pool, 0, rng());

			assert_in_range(p, rows[i].low, rows[i].high);
			assert_false(hit[p]);
			hit[p] = true;
		}
		assert_int_equal(portpool_held(&pool), n);
		assert_int_equal(portpool_next(&pool, 0, rng()), 0);
	}
	/* Every index reaches a distinct port: rnd = 0 .. n - 1 in turn on
	 * a fresh pool each time covers the range. */
	memset(hit, 0, sizeof(hit));
	for (j = 0; j < 1000; j++) {
		portpool_init(&pool, 61000, 61999);
		hit[portpool_next(&pool, 0, j)] = true;
	}
	for (j = 61000; j <= 61999; j++)
		assert_true(hit[j]);
}

static void
test_size_one(void **state)
{
	(void)state;
	portpool_init(&pool, 5000, 5000);
	assert_int_equal(portpool_size(&pool), 1);
	assert_int_equal(portpool_next(&pool, 0, rng()), 5000);
	assert_int_equal(portpool_next(&pool, 0, rng()), 0);	/* in use */
	assert_true(portpool_release(&pool, 5000, 10));
	/* Just given back, but it is the only one. */
	assert_int_equal(portpool_next(&pool, 11, rng()), 5000);
	assert_true(portpool_release(&pool, 5000, 12));
	assert_int_equal(portpool_next(&pool, 12 + PORTPOOL_QUIET_MS, rng()),
	    5000);
}

/* Giving back a port not held changes nothing: twice, out of range, 0. */
static void
test_release_checks(void **state)
{
	uint16_t p;

	(void)state;
	portpool_init(&pool, 40000, 40009);
	p = portpool_next(&pool, 0, 3);
	assert_int_equal(p, 40003);
	assert_false(portpool_release(&pool, 40004, 0));	/* not held */
	assert_false(portpool_release(&pool, 39999, 0));
	assert_false(portpool_release(&pool, 40010, 0));
	assert_false(portpool_release(&pool, 0, 0));
	assert_int_equal(portpool_held(&pool), 1);
	assert_true(portpool_release(&pool, p, 0));
	assert_false(portpool_release(&pool, p, 0));		/* twice */
	assert_int_equal(portpool_held(&pool), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_range),
		cmocka_unit_test(test_uniform),
		cmocka_unit_test(test_uniform_among_free),
		cmocka_unit_test(test_recent_not_reused),
		cmocka_unit_test(test_quiet_time),
		cmocka_unit_test(test_recent_bounded),
		cmocka_unit_test(test_whole_range),
		cmocka_unit_test(test_size_one),
		cmocka_unit_test(test_release_checks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
