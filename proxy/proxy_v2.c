/* The PROXY protocol v2 header (see proxy_v2.h). */
#include "proxy/proxy_v2.h"

#include <string.h>
#include <sys/socket.h>

/* The twelve bytes every v2 header starts with. */
static const uint8_t pv2_sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};

#define PV2_VER_CMD_PROXY	0x21	/* version 2, command PROXY */
#define PV2_INET_STREAM		0x11	/* AF_INET, SOCK_STREAM */
#define PV2_INET6_STREAM	0x21	/* AF_INET6, SOCK_STREAM */
#define PV2_HDR_LEN		16

static void
pv2_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)(v & 0xff);
}

size_t
proxy_v2_encode(const struct net_addr *src, const struct net_addr *dst,
    uint8_t *out, size_t cap)
{
	size_t alen, n;
	uint8_t *p;

	if (src->family != dst->family)
		return 0;
	if (src->family == AF_INET)
		alen = 4;
	else if (src->family == AF_INET6)
		alen = 16;
	else
		return 0;
	n = PV2_HDR_LEN + 2 * alen + 4;
	if (cap < n)
		return 0;
	memcpy(out, pv2_sig, sizeof(pv2_sig));
	out[12] = PV2_VER_CMD_PROXY;
	out[13] = alen == 4 ? PV2_INET_STREAM : PV2_INET6_STREAM;
	pv2_put16(out + 14, (uint16_t)(n - PV2_HDR_LEN));
	p = out + PV2_HDR_LEN;
	memcpy(p, src->addr, alen);
	memcpy(p + alen, dst->addr, alen);
	pv2_put16(p + 2 * alen, src->port);
	pv2_put16(p + 2 * alen + 2, dst->port);
	return n;
}
