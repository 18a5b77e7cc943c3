/* Unit tests for backend_src_choose: when a session may use the client's
 * address toward the FTP server, and every fallback with its reason. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "proxy/backend_src.h"

static struct net_addr
na(const char *host)
{
	struct net_addr a;

	memset(&a, 0, sizeof(a));
	a.family = strchr(host, ':') != NULL ? AF_INET6 : AF_INET;
	assert_int_equal(inet_pton(a.family, host, a.addr), 1);
	a.port = 40001;
	return a;
}

static const struct {
	bool want;
	const char *client, *backend;
	bool local, same_way;
	enum bsrc_choice c;
} rows[] = {
	{ false, "203.0.113.10", "198.51.100.10", false, false, BSRC_GATEWAY },
	{ true, "203.0.113.10", "198.51.100.10", false, false, BSRC_CLIENT },
	{ true, "8.8.4.4", "10.0.0.2", false, false, BSRC_CLIENT },
	{ true, "2001:db8:1::10", "2001:db8:2::10", false, false,
	  BSRC_CLIENT },
	/* An IPv6 client, an IPv4 server, and the other way round. */
	{ true, "2001:db8:1::10", "198.51.100.10", false, false,
	  BSRC_FB_FAMILY },
	{ true, "203.0.113.10", "2001:db8:2::10", false, false,
	  BSRC_FB_FAMILY },
	{ true, "127.0.0.1", "198.51.100.10", true, false, BSRC_FB_SCOPE },
	{ true, "::1", "2001:db8:2::10", true, false, BSRC_FB_SCOPE },
	{ true, "169.254.1.1", "198.51.100.10", false, false, BSRC_FB_SCOPE },
	{ true, "fe80::1", "2001:db8:2::10", false, false, BSRC_FB_SCOPE },
	{ true, "0.0.0.0", "198.51.100.10", false, false, BSRC_FB_SCOPE },
	/* The router's own address (a client on the router itself). */
	{ true, "203.0.113.1", "198.51.100.10", true, false, BSRC_FB_LOCAL },
	/* On the server's side: its own address, or a LAN neighbour. */
	{ true, "198.51.100.10", "198.51.100.10", false, false,
	  BSRC_FB_SERVER_SIDE },
	{ true, "198.51.100.20", "198.51.100.10", false, true,
	  BSRC_FB_SERVER_SIDE },
};

static void
test_rows(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct net_addr c = na(rows[i].client), b = na(rows[i].backend);
		struct bsrc_routes r = { rows[i].local, rows[i].same_way };
		enum bsrc_choice got = backend_src_choose(rows[i].want, &c, &b,
		    &r);

		print_message("  %s -> %s\n", rows[i].client, rows[i].backend);
		assert_int_equal(got, rows[i].c);
		if (got == BSRC_GATEWAY || got == BSRC_CLIENT)
			assert_string_equal(backend_src_why(got), "");
		else
			assert_true(strlen(backend_src_why(got)) > 10);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
