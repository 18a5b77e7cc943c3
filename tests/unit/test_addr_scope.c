/* Unit tests for address scopes (proxy/addr_scope.c), as table rows: every
 * prefix at its edges, the documentation ranges the lab's LAN uses, and
 * IPv4-mapped IPv6. What metrics_listen may bind to rests on them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "proxy/addr_scope.h"

struct scope_row {
	const char *addr;
	enum addr_scope want;
};

static const struct scope_row rows[] = {
	/* every address of the host */
	{ "0.0.0.0", ADDR_SCOPE_UNSPECIFIED },
	{ "::", ADDR_SCOPE_UNSPECIFIED },
	{ "::ffff:0.0.0.0", ADDR_SCOPE_UNSPECIFIED },
	/* loopback */
	{ "127.0.0.1", ADDR_SCOPE_LOOPBACK },
	{ "127.255.255.254", ADDR_SCOPE_LOOPBACK },
	{ "::1", ADDR_SCOPE_LOOPBACK },
	{ "::ffff:127.0.0.1", ADDR_SCOPE_LOOPBACK },
	{ "::2", ADDR_SCOPE_GLOBAL },
	/* RFC 1918 and RFC 6598, at their edges */
	{ "10.0.0.0", ADDR_SCOPE_PRIVATE },
	{ "10.255.255.255", ADDR_SCOPE_PRIVATE },
	{ "11.0.0.1", ADDR_SCOPE_GLOBAL },
	{ "9.255.255.255", ADDR_SCOPE_GLOBAL },
	{ "172.16.0.1", ADDR_SCOPE_PRIVATE },
	{ "172.31.255.255", ADDR_SCOPE_PRIVATE },
	{ "172.15.255.255", ADDR_SCOPE_GLOBAL },
	{ "172.32.0.0", ADDR_SCOPE_GLOBAL },
	{ "192.168.1.1", ADDR_SCOPE_PRIVATE },
	{ "192.169.0.1", ADDR_SCOPE_GLOBAL },
	{ "100.64.0.1", ADDR_SCOPE_PRIVATE },
	{ "100.127.255.255", ADDR_SCOPE_PRIVATE },
	{ "100.128.0.0", ADDR_SCOPE_GLOBAL },
	{ "100.63.255.255", ADDR_SCOPE_GLOBAL },
	{ "::ffff:192.168.0.1", ADDR_SCOPE_PRIVATE },
	/* ULA fc00::/7 */
	{ "fc00::1", ADDR_SCOPE_PRIVATE },
	{ "fd12:3456::1", ADDR_SCOPE_PRIVATE },
	{ "fe00::1", ADDR_SCOPE_GLOBAL },
	{ "fbff::1", ADDR_SCOPE_GLOBAL },
	/* link-local */
	{ "169.254.1.1", ADDR_SCOPE_LINK },
	{ "169.255.0.1", ADDR_SCOPE_GLOBAL },
	{ "fe80::1", ADDR_SCOPE_LINK },
	{ "febf::1", ADDR_SCOPE_LINK },
	{ "fec0::1", ADDR_SCOPE_GLOBAL },
	/* documentation: RFC 5737, RFC 3849 (the lab's networks) */
	{ "192.0.2.1", ADDR_SCOPE_DOCUMENTATION },
	{ "192.0.3.1", ADDR_SCOPE_GLOBAL },
	{ "198.51.100.1", ADDR_SCOPE_DOCUMENTATION },
	{ "198.51.101.1", ADDR_SCOPE_GLOBAL },
	{ "203.0.113.1", ADDR_SCOPE_DOCUMENTATION },
	{ "203.0.114.1", ADDR_SCOPE_GLOBAL },
	{ "2001:db8::1", ADDR_SCOPE_DOCUMENTATION },
	{ "2001:db8:ffff::1", ADDR_SCOPE_DOCUMENTATION },
	{ "2001:db9::1", ADDR_SCOPE_GLOBAL },
	/* multicast */
	{ "224.0.0.1", ADDR_SCOPE_MULTICAST },
	{ "239.255.255.255", ADDR_SCOPE_MULTICAST },
	{ "240.0.0.1", ADDR_SCOPE_GLOBAL },
	{ "ff02::1", ADDR_SCOPE_MULTICAST },
	/* public */
	{ "8.8.8.8", ADDR_SCOPE_GLOBAL },
	{ "1.1.1.1", ADDR_SCOPE_GLOBAL },
	{ "2a00:1450::1", ADDR_SCOPE_GLOBAL },
	{ "::ffff:8.8.8.8", ADDR_SCOPE_GLOBAL },
	{ "255.255.255.255", ADDR_SCOPE_GLOBAL },
};

static void
test_rows(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct sockaddr_storage ss;
		enum addr_scope got;

		memset(&ss, 0, sizeof(ss));
		if (strchr(rows[i].addr, ':') != NULL) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

			s6->sin6_family = AF_INET6;
			assert_int_equal(inet_pton(AF_INET6, rows[i].addr,
			    &s6->sin6_addr), 1);
		} else {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

			s4->sin_family = AF_INET;
			assert_int_equal(inet_pton(AF_INET, rows[i].addr,
			    &s4->sin_addr), 1);
		}
		got = addr_scope((struct sockaddr *)&ss);
		if (got != rows[i].want)
			fail_msg("%s: scope %d, want %d", rows[i].addr, got,
			    rows[i].want);
	}
}

/* A family that is neither IPv4 nor IPv6 cannot be placed: public. */
static void
test_other_family(void **state)
{
	struct sockaddr_storage ss;

	(void)state;
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_UNIX;
	assert_int_equal(addr_scope((struct sockaddr *)&ss), ADDR_SCOPE_GLOBAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_other_family),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
