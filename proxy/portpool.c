/* Passive port pool: picks the next candidate port of passive_ports in turn. */
#include "proxy/portpool.h"

/*
 * Round robin from a random start: consecutive transfers get different
 * ports (a port just closed may still be in TIME_WAIT or hold a stale
 * conntrack expectation), and after a restart the sequence starts elsewhere,
 * so an outsider cannot guess the next data port from the last one.
 * Which ports are really free is the kernel's business (see the header).
 */

/* Ports in [low, high]: 1..65536, so it needs 32 bits. */
static uint32_t
portpool_count(const struct portpool *pp)
{
	return (uint32_t)pp->high - pp->low + 1;
}

void
portpool_init(struct portpool *pp, uint16_t low, uint16_t high, uint32_t seed)
{
	/* The header requires low <= high; a swapped pair still stays inside
	 * the range the administrator wrote instead of wrapping around. */
	if (low > high) {
		uint16_t t = low;

		low = high;
		high = t;
	}
	pp->low = low;
	pp->high = high;
	pp->cursor = seed % portpool_count(pp);
}

uint16_t
portpool_next(struct portpool *pp)
{
	uint32_t n = portpool_count(pp);
	uint16_t port;

	/* A caller-made struct may hold any cursor: keep the port in range. */
	if (pp->cursor >= n)
		pp->cursor %= n;
	port = (uint16_t)(pp->low + pp->cursor);
	pp->cursor = pp->cursor + 1 == n ? 0 : pp->cursor + 1;
	return port;
}

size_t
portpool_size(const struct portpool *pp)
{
	return portpool_count(pp);
}
