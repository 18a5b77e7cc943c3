/* The reach of an IP address (proxy/addr_scope.h), by prefix tables. Pure:
 * no I/O. */
#include "proxy/addr_scope.h"

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct addr_prefix {
	uint8_t addr[16];
	unsigned len;		/* prefix length in bits */
	enum addr_scope scope;
};

static const struct addr_prefix addr_scope_v4[] = {
	{ { 0, 0, 0, 0 }, 32, ADDR_SCOPE_UNSPECIFIED },
	{ { 127 }, 8, ADDR_SCOPE_LOOPBACK },
	{ { 10 }, 8, ADDR_SCOPE_PRIVATE },
	{ { 172, 16 }, 12, ADDR_SCOPE_PRIVATE },
	{ { 192, 168 }, 16, ADDR_SCOPE_PRIVATE },
	{ { 100, 64 }, 10, ADDR_SCOPE_PRIVATE },
	{ { 169, 254 }, 16, ADDR_SCOPE_LINK },
	{ { 192, 0, 2 }, 24, ADDR_SCOPE_DOCUMENTATION },
	{ { 198, 51, 100 }, 24, ADDR_SCOPE_DOCUMENTATION },
	{ { 203, 0, 113 }, 24, ADDR_SCOPE_DOCUMENTATION },
	{ { 224 }, 4, ADDR_SCOPE_MULTICAST },
};

static const struct addr_prefix addr_scope_v6[] = {
	{ { 0 }, 128, ADDR_SCOPE_UNSPECIFIED },
	{ { [15] = 1 }, 128, ADDR_SCOPE_LOOPBACK },
	{ { 0xfc }, 7, ADDR_SCOPE_PRIVATE },
	{ { 0xfe, 0x80 }, 10, ADDR_SCOPE_LINK },
	{ { 0x20, 0x01, 0x0d, 0xb8 }, 32, ADDR_SCOPE_DOCUMENTATION },
	{ { 0xff }, 8, ADDR_SCOPE_MULTICAST },
};

/* Do the first len bits of a and p agree? */
static int
addr_prefix_match(const uint8_t *a, const struct addr_prefix *p)
{
	unsigned full = p->len / 8, rest = p->len % 8;

	if (memcmp(a, p->addr, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((a[full] ^ p->addr[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

static enum addr_scope
addr_scope_lookup(const uint8_t *a, const struct addr_prefix *tab, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (addr_prefix_match(a, &tab[i]))
			return tab[i].scope;
	return ADDR_SCOPE_GLOBAL;
}

enum addr_scope
addr_scope(const struct sockaddr *sa)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)
		    (const void *)sa;

		return addr_scope_lookup((const uint8_t *)&sin->sin_addr,
		    addr_scope_v4, sizeof(addr_scope_v4) /
		    sizeof(addr_scope_v4[0]));
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)
		    (const void *)sa;
		const uint8_t *a = sin6->sin6_addr.s6_addr;

		if (memcmp(a, mapped, sizeof(mapped)) == 0)
			return addr_scope_lookup(a + 12, addr_scope_v4,
			    sizeof(addr_scope_v4) / sizeof(addr_scope_v4[0]));
		return addr_scope_lookup(a, addr_scope_v6,
		    sizeof(addr_scope_v6) / sizeof(addr_scope_v6[0]));
	}
	return ADDR_SCOPE_GLOBAL;
}
