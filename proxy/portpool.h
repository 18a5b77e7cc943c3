/* Passive port pool: hands out candidate ports from passive_ports.
 * Pure. The kernel is the authority on which ports are free: the caller binds
 * the candidate and asks again on EADDRINUSE, at most portpool_size() times. */
#ifndef FTPSGW_PROXY_PORTPOOL_H
#define FTPSGW_PROXY_PORTPOOL_H

#include <stddef.h>
#include <stdint.h>

struct portpool {
	uint16_t low, high;	/* inclusive range, low <= high */
	uint32_t cursor;	/* offset of the next candidate from low */
};

/* low <= high required. seed picks the first candidate (e.g. from getrandom),
 * so that ports are not predictable across restarts. */
void portpool_init(struct portpool *pp, uint16_t low, uint16_t high,
    uint32_t seed);

/* Next candidate port, round-robin through the range. */
uint16_t portpool_next(struct portpool *pp);

/* Number of ports in the range. */
size_t portpool_size(const struct portpool *pp);

#endif
