/* Unit tests for the passive port pool (proxy/portpool.c), as tables. */
#include "proxy/portpool.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

/* ---- first candidates: low + seed mod size, then round robin ---- */

struct seq_row {
	uint16_t low, high;
	uint32_t seed;
	size_t size;
	uint16_t want[6];	/* the first six candidates */
};

static const struct seq_row seq_rows[] = {
	{ 61000, 61999, 0, 1000,
	  { 61000, 61001, 61002, 61003, 61004, 61005 } },
	{ 61000, 61999, 999, 1000,
	  { 61999, 61000, 61001, 61002, 61003, 61004 } },
	{ 61000, 61999, 1000, 1000,
	  { 61000, 61001, 61002, 61003, 61004, 61005 } },
	{ 61000, 61999, 1234567, 1000,
	  { 61567, 61568, 61569, 61570, 61571, 61572 } },
	{ 61000, 61002, 1, 3,
	  { 61001, 61002, 61000, 61001, 61002, 61000 } },
	{ 5000, 5000, 0, 1, { 5000, 5000, 5000, 5000, 5000, 5000 } },
	{ 5000, 5000, UINT32_MAX, 1,
	  { 5000, 5000, 5000, 5000, 5000, 5000 } },
	/* the top of the port space: no wrap past 65535 to 0 */
	{ 65534, 65535, 1, 2, { 65535, 65534, 65535, 65534, 65535, 65534 } },
	{ 1024, 65535, UINT32_MAX, 64512,
	  { 1024 + 4294967295u % 64512, 1024 + 4294967295u % 64512 + 1,
	    1024 + 4294967295u % 64512 + 2, 1024 + 4294967295u % 64512 + 3,
	    1024 + 4294967295u % 64512 + 4, 1024 + 4294967295u % 64512 + 5 } },
	/* the whole 16-bit space, size 65536 */
	{ 0, 65535, 65535, 65536, { 65535, 0, 1, 2, 3, 4 } },
	/* a swapped pair stays inside the range written */
	{ 61999, 61000, 0, 1000,
	  { 61000, 61001, 61002, 61003, 61004, 61005 } },
};

static void
test_sequence(void **state)
{
	struct portpool pp;
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(seq_rows) / sizeof(seq_rows[0]); i++) {
		const struct seq_row *r = &seq_rows[i];

		portpool_init(&pp, r->low, r->high, r->seed);
		if (portpool_size(&pp) != r->size)
			print_error("row %zu: size %zu\n", i,
			    portpool_size(&pp));
		assert_int_equal(portpool_size(&pp), r->size);
		for (j = 0; j < 6; j++) {
			uint16_t p = portpool_next(&pp);

			if (p != r->want[j])
				print_error("row %zu, call %zu: %u\n", i, j,
				    (unsigned)p);
			assert_int_equal(p, r->want[j]);
		}
	}
}

/* size() calls visit every port of the range exactly once, from any seed. */
static void
test_full_cycle(void **state)
{
	static const struct { uint16_t low, high; uint32_t seed; } rows[] = {
		{ 61000, 61999, 42 },
		{ 1024, 65535, 0xdeadbeef },
		{ 65535, 65535, 7 },
		{ 0, 65535, 12345 },
	};
	static unsigned char hit[65536];
	struct portpool pp;
	size_t i, j, n;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(hit, 0, sizeof(hit));
		portpool_init(&pp, rows[i].low, rows[i].high, rows[i].seed);
		n = portpool_size(&pp);
		assert_int_equal(n, (size_t)rows[i].high - rows[i].low + 1);
		for (j = 0; j < n; j++) {
			uint16_t p = portpool_next(&pp);

			assert_in_range(p, rows[i].low, rows[i].high);
			assert_int_equal(hit[p], 0);
			hit[p] = 1;
		}
		/* and then starts the same cycle again */
		portpool_init(&pp, rows[i].low, rows[i].high, rows[i].seed);
		j = portpool_next(&pp);
		for (size_t k = 1; k < n; k++)
			(void)portpool_next(&pp);
		assert_int_equal(portpool_next(&pp), j);
	}
}

/* Different seeds start at different ports (restarts are not predictable). */
static void
test_seed(void **state)
{
	struct portpool a, b;

	(void)state;
	portpool_init(&a, 61000, 61999, 1);
	portpool_init(&b, 61000, 61999, 2);
	assert_int_not_equal(portpool_next(&a), portpool_next(&b));
	/* the struct is the whole state: a copy continues identically */
	b = a;
	assert_int_equal(portpool_next(&a), portpool_next(&b));
	/* a cursor set out of range by hand still yields a port in range */
	a.cursor = 5000;
	assert_in_range(portpool_next(&a), 61000, 61999);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sequence),
		cmocka_unit_test(test_full_cycle),
		cmocka_unit_test(test_seed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
