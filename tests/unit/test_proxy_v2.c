/* Unit tests for the PROXY protocol v2 encoder: exact bytes for IPv4 and
 * IPv6 (HAProxy's proxy-protocol.txt, 2.2), and the refusals. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "proxy/proxy_v2.h"

static struct net_addr
na(const char *host, uint16_t port)
{
	struct net_addr a;

	memset(&a, 0, sizeof(a));
	a.family = strchr(host, ':') != NULL ? AF_INET6 : AF_INET;
	assert_int_equal(inet_pton(a.family, host, a.addr), 1);
	a.port = port;
	return a;
}

#define SIG 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, \
	0x54, 0x0a

static void
test_v4(void **state)
{
	static const uint8_t want[] = {
		SIG, 0x21, 0x11, 0x00, 0x0c,
		203, 0, 113, 10,		/* source: the client */
		203, 0, 113, 1,			/* destination: our listener */
		0xc3, 0x50,			/* 50000 */
		0x00, 0x15,			/* 21 */
	};
	struct net_addr src = na("203.0.113.10", 50000);
	struct net_addr dst = na("203.0.113.1", 21);
	uint8_t out[PROXY_V2_MAX];

	(void)state;
	assert_int_equal(sizeof(want), 28);
	assert_int_equal(proxy_v2_encode(&src, &dst, out, sizeof(out)), 28);
	assert_memory_equal(out, want, sizeof(want));
	/* Exactly enough room, and one byte less. */
	assert_int_equal(proxy_v2_encode(&src, &dst, out, 28), 28);
	assert_int_equal(proxy_v2_encode(&src, &dst, out, 27), 0);
}

static void
test_v6(void **state)
{
	static const uint8_t want[] = {
		SIG, 0x21, 0x21, 0x00, 0x24,
		0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0,
		0x00, 0x10,
		0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0,
		0x00, 0x01,
		0xff, 0xff,			/* 65535 */
		0x03, 0xde,			/* 990 */
	};
	struct net_addr src = na("2001:db8:1::10", 65535);
	struct net_addr dst = na("2001:db8:1::1", 990);
	uint8_t out[PROXY_V2_MAX];

	(void)state;
	assert_int_equal(sizeof(want), 52);
	assert_int_equal(proxy_v2_encode(&src, &dst, out, sizeof(out)), 52);
	assert_memory_equal(out, want, sizeof(want));
	assert_int_equal(proxy_v2_encode(&src, &dst, out, 51), 0);
}

static void
test_refused(void **state)
{
	struct net_addr v4 = na("203.0.113.10", 1), v6 = na("2001:db8::1", 1);
	struct net_addr none;
	uint8_t out[PROXY_V2_MAX];

	(void)state;
	memset(&none, 0, sizeof(none));
	assert_int_equal(proxy_v2_encode(&v4, &v6, out, sizeof(out)), 0);
	assert_int_equal(proxy_v2_encode(&v6, &v4, out, sizeof(out)), 0);
	assert_int_equal(proxy_v2_encode(&none, &none, out, sizeof(out)), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v4),
		cmocka_unit_test(test_v6),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
