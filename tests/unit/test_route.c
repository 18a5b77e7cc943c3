/* Unit tests: the member a pool gives a new session (route_pick), the
 * pool a USER names (route_user_target) and the user map (user_map.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "proxy/config.h"
#include "proxy/route.h"
#include "proxy/user_map.h"

#define CONF	"listen = 203.0.113.1:21\n" \
		"certificate = /etc/ftpsgw/gateway.pem\n" \
		"private_key = /etc/ftpsgw/gateway.key\n" \
		"route = user\n" \
		"[backend nas]\nbackend = 198.51.100.10\npool = files\n" \
		"[backend nas2]\nbackend = 198.51.100.11\npool = files\n" \
		"[backend portal]\nbackend = 198.51.100.12\n"

static struct config cfg;

static int
setup(void **state)
{
	char err[512];

	(void)state;
	cfg_defaults(&cfg);
	if (cfg_parse(&cfg, "gateway.conf", CONF, strlen(CONF), err,
	    sizeof(err)) != 0)
		fail_msg("%s", err);
	return 0;
}

static void
test_round_robin(void **state)
{
	struct route_member m[3] = { { true, 0 }, { true, 0 }, { true, 0 } };
	unsigned c;

	(void)state;
	for (c = 0; c < 6; c++)
		assert_int_equal(route_pick(m, 3, CFG_BALANCE_ROUND_ROBIN, 0,
		    c), (int)(c % 3));
	/* A member down is skipped; the others still alternate. */
	m[1].up = false;
	assert_int_equal(route_pick(m, 3, CFG_BALANCE_ROUND_ROBIN, 0, 0), 0);
	assert_int_equal(route_pick(m, 3, CFG_BALANCE_ROUND_ROBIN, 0, 1), 2);
	assert_int_equal(route_pick(m, 3, CFG_BALANCE_ROUND_ROBIN, 0, 2), 0);
	m[0].up = m[2].up = false;
	assert_int_equal(route_pick(m, 3, CFG_BALANCE_ROUND_ROBIN, 0, 0), -1);
	assert_int_equal(route_pick(m, 0, CFG_BALANCE_ROUND_ROBIN, 0, 0), -1);
	/* The cursor wraps without skipping. */
	m[0].up = m[1].up = m[2].up = true;
	assert_int_equal(route_pick(m, 3, CFG_BALANCE_ROUND_ROBIN, 0,
	    UINT32_MAX), (int)(UINT32_MAX % 3));
}

static void
test_least_connections(void **state)
{
	struct route_member m[3] = { { true, 4 }, { true, 1 }, { true, 2 } };

	(void)state;
	assert_int_equal(route_pick(m, 3, CFG_BALANCE_LEAST_CONN, 0, 0), 1);
	assert_int_equal(route_pick(m, 3, CFG_BALANCE_LEAST_CONN, 0, 2), 1);
	m[1].up = false;	/* the least busy is down: next least */
	assert_int_equal(route_pick(m, 3, CFG_BALANCE_LEAST_CONN, 0, 0), 2);
	/* Ties go round: the cursor picks where the scan starts. */
	m[0].sessions = m[1].sessions = m[2].sessions = 0;
	m[1].up = true;
	assert_int_equal(route_pick(m, 3, CFG_BALANCE_LEAST_CONN, 0, 0), 0);
	assert_int_equal(route_pick(m, 3, CFG_BALANCE_LEAST_CONN, 0, 1), 1);
	assert_int_equal(route_pick(m, 3, CFG_BALANCE_LEAST_CONN, 0, 2), 2);
	m[0].up = m[1].up = m[2].up = false;
	assert_int_equal(route_pick(m, 3, CFG_BALANCE_LEAST_CONN, 0, 0), -1);
}

static void
test_sticky(void **state)
{
	struct route_member m[3] = { { true, 0 }, { true, 9 }, { true, 0 } };
	const unsigned char a[4] = { 203, 0, 113, 10 };
	const unsigned char b[4] = { 203, 0, 113, 11 };
	uint32_t ha = route_addr_hash(a, 4), hb = route_addr_hash(b, 4);
	int first = route_pick(m, 3, CFG_BALANCE_STICKY, ha, 0);
	unsigned c;

	(void)state;
	assert_true(first >= 0);
	/* Whatever the cursor and the load: the same member. */
	for (c = 0; c < 10; c++) {
		m[1].sessions = c;
		assert_int_equal(route_pick(m, 3, CFG_BALANCE_STICKY, ha, c),
		    first);
	}
	assert_int_equal(route_pick(m, 3, CFG_BALANCE_STICKY, ha, 0),
	    (int)(ha % 3));
	assert_int_equal(route_pick(m, 3, CFG_BALANCE_STICKY, hb, 0),
	    (int)(hb % 3));
	assert_int_not_equal(ha, hb);
	/* FNV-1a of no bytes is its offset basis. */
	assert_int_equal(route_addr_hash(a, 0), 2166136261u);
	m[0].up = m[1].up = m[2].up = false;
	assert_int_equal(route_pick(m, 3, CFG_BALANCE_STICKY, ha, 0), -1);
}

struct target_row {
	const char *arg;
	int pool;		/* index, or -1 */
	size_t name_len;
};

static void
test_user_target(void **state)
{
	static const struct target_row rows[] = {
		{ "alice@files", 0, 5 },
		{ "alice@portal", 1, 5 },
		{ "alice@nas2", 3, 5 },
		{ "bob@example.com", -1, 15 },	/* not a pool: whole */
		{ "bob@example.com@portal", 1, 15 },	/* the LAST '@' */
		{ "bob@portal@example.com", -1, 22 },
		{ "@portal", -1, 7 },		/* no name before it */
		{ "alice@", -1, 6 },
		{ "alice@Portal", -1, 12 },	/* names are exact */
		{ "alice@portal ", -1, 13 },
		{ "alice", -1, 5 },
		{ "", -1, 0 },
	};
	char big[600];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		n = 99;
		assert_int_equal(route_user_target(&cfg, rows[i].arg,
		    strlen(rows[i].arg), &n), rows[i].pool);
		assert_int_equal(n, rows[i].name_len);
	}
	/* 500 bytes of name, then a pool. */
	memset(big, 'x', 500);
	memcpy(big + 500, "@portal", 7);
	assert_int_equal(route_user_target(&cfg, big, 507, &n), 1);
	assert_int_equal(n, 500);
}

static const char map_text[] =
    "# who goes where\n"
    "alice\tportal\n"
    "  *@example.com   files   # customers\n"
    "adm[0-9]  nas\r\n"
    "\n"
    ".hidden nas2\n"
    "*  portal\n";

static void
test_map(void **state)
{
	static struct user_map m;
	char err[256];

	(void)state;
	assert_int_equal(user_map_parse(&m, &cfg, "users.map", map_text,
	    strlen(map_text), err, sizeof(err)), 0);
	assert_int_equal(m.n, 5);
	assert_int_equal(m.rule[1].line, 3);
	assert_int_equal(user_map_lookup(&m, "alice", 5), 1);
	assert_int_equal(user_map_lookup(&m, "bob@example.com", 15), 0);
	assert_int_equal(user_map_lookup(&m, "adm7", 4), 2);
	assert_int_equal(user_map_lookup(&m, "adm77", 5), 1);	/* '*' */
	assert_int_equal(user_map_lookup(&m, ".hidden", 7), 3);
	/* No FNM_PERIOD, no FNM_PATHNAME: '*' takes '.' and '/' too. */
	assert_int_equal(user_map_lookup(&m, "x/y@example.com", 15), 0);
	assert_int_equal(user_map_lookup(&m, ".x@example.com", 14), 0);
	/* Case matters; a name with a NUL, or too long, matches nothing. */
	assert_int_equal(user_map_lookup(&m, "ALICE", 5), 1);	/* '*' */
	assert_int_equal(user_map_lookup(&m, "al\0ce", 5), -1);
	{
		static char big[USER_MAP_NAME_MAX + 1];

		memset(big, 'a', sizeof(big));
		assert_int_equal(user_map_lookup(&m, big, sizeof(big)), -1);
		assert_int_equal(user_map_lookup(&m, big, sizeof(big) - 1),
		    1);
	}
	/* The first match wins; without a catch-all nothing matches. */
	assert_int_equal(user_map_parse(&m, &cfg, "u", "a* nas\na portal\n",
	    16, err, sizeof(err)), 0);
	assert_int_equal(user_map_lookup(&m, "a", 1), 2);
	assert_int_equal(user_map_lookup(&m, "b", 1), -1);
	assert_int_equal(user_map_parse(&m, &cfg, "u", "", 0, err,
	    sizeof(err)), 0);
	assert_int_equal(m.n, 0);
	assert_int_equal(user_map_lookup(&m, "a", 1), -1);
}

struct map_reject {
	const char *text;
	size_t len;
	const char *err;
};

#define R(s, e)	{ (s), sizeof(s) - 1, (e) }

static void
test_map_reject(void **state)
{
	static const struct map_reject rows[] = {
		R("alice\n", "u.map:1: 1 field; expected USER-OR-GLOB and "
		    "POOL, e.g. \"alice  nas\" or \"*@example.com  portal\""),
		R("# x\nalice nas extra\n", "u.map:2: 3 fields or more; "
		    "expected USER-OR-GLOB and POOL, e.g. \"alice  nas\" or "
		    "\"*@example.com  portal\""),
		R("alice nowhere\n", "u.map:1: 'nowhere' is neither a pool "
		    "nor a backend of gateway.conf; expected the name of a "
		    "[backend] section or a pool = NAME"),
		R("alice\tnas\x01\n", "u.map:1: control character in line; "
		    "expected printable text"),
		R("ok nas\nal\0ice nas\n", "u.map:2: NUL byte in line; "
		    "expected a text file"),
	};
	static struct user_map m;
	static char big[4096];
	char err[256];
	size_t i, o;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		assert_int_equal(user_map_parse(&m, &cfg, "u.map",
		    rows[i].text, rows[i].len, err, sizeof(err)), -1);
		assert_string_equal(err, rows[i].err);
	}
	memset(big, 'a', 1100);
	memcpy(big + 1100, " nas\n", 5);
	assert_int_equal(user_map_parse(&m, &cfg, "u.map", big, 1105, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "u.map:1: line is 1104 bytes long; expected "
	    "at most 1024");
	memset(big, 'a', 256);
	memcpy(big + 256, " nas\n", 5);
	assert_int_equal(user_map_parse(&m, &cfg, "u.map", big, 261, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "u.map:1: pattern of 256 bytes; expected at "
	    "most 255");
	(void)o;
}

/* At most USER_MAP_MAX rules. */
static void
test_map_count(void **state)
{
	static struct user_map m;
	static char text[USER_MAP_MAX * 12 + 64];
	char err[256];
	size_t i, o = 0;

	(void)state;
	for (i = 0; i < USER_MAP_MAX; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o, "u%zu nas\n",
		    i);
	assert_int_equal(user_map_parse(&m, &cfg, "u.map", text, o, err,
	    sizeof(err)), 0);
	assert_int_equal(m.n, USER_MAP_MAX);
	assert_int_equal(user_map_lookup(&m, "u1023", 5), 2);
	o += (size_t)snprintf(text + o, sizeof(text) - o, "last nas\n");
	assert_int_equal(user_map_parse(&m, &cfg, "u.map", text, o, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "u.map:1025: more than 1024 rules; expected "
	    "at most 1024 (a glob can stand for many users)");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_robin),
		cmocka_unit_test(test_least_connections),
		cmocka_unit_test(test_sticky),
		cmocka_unit_test(test_user_target),
		cmocka_unit_test(test_map),
		cmocka_unit_test(test_map_reject),
		cmocka_unit_test(test_map_count),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
