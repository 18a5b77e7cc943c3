/* Passive port pool: picks ports of passive_ports at random, and remembers
 * which ones are taken and which were given back a moment ago.
 *
 * Pure: no I/O, no clock, no random source of its own. The caller passes
 * the time (ms, monotonic) and 64 random bits from a CSPRNG for every pick
 * (admission.c takes them from getrandom(2)), and serialises calls (admission.c holds a
 * mutex: one pool serves every worker).
 *
 * The kernel stays the authority on which ports are free: the caller binds
 * (or programs its expectation on) the port it got, and on EADDRINUSE (or
 * EEXIST) gives it back and asks again, at most portpool_size() times. */
#ifndef FTPSGW_PROXY_PORTPOOL_H
#define FTPSGW_PROXY_PORTPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A port given back is not handed out again for this long while others are
 * free: its old data connection may still be closing, a late connection
 * for it may still arrive, and a stale expectation may still name it. */
#define PORTPOOL_QUIET_MS 5000
/* At most this many given-back ports are remembered as quiet; beyond, the
 * oldest is forgotten early (only a pool releasing more than 51 ports a
 * second sees that). */
#define PORTPOOL_RECENT_MAX 256
/* One bit per port of the largest range (65536 ports). */
#define PORTPOOL_WORDS (65536 / 64)

/* Everything below is private to portpool.c; the struct is in the header
 * only so that the caller can own its storage (about 20 KiB). */
struct portpool_recent {
	uint32_t off;		/* offset of the port from low */
	uint64_t at_ms;		/* when it was given back */
};

struct portpool {
	uint16_t low;		/* first port, >= 1 */
	uint32_t n;		/* ports in the range, 1..65535 */
	uint32_t n_held, n_quiet;	/* bits set in held, in quiet */
	/* Bit i stands for port low + i; bits >= n are never set. A port is
	 * never held and quiet at once. */
	uint64_t held[PORTPOOL_WORDS];	/* handed out, not given back */
	uint64_t quiet[PORTPOOL_WORDS];	/* given back < PORTPOOL_QUIET_MS ago */
	struct portpool_recent recent[PORTPOOL_RECENT_MAX];	/* the quiet
					 * ones, ring in order of release */
	uint32_t r_head, r_len;
};

/*
 * portpool_init - an empty pool for the ports low..high (inclusive).
 * A swapped pair is taken in the right order; port 0 is never handed out
 * (0 means "none" below), so a range starting at 0 starts at 1.
 */
void portpool_init(struct portpool *pp, uint16_t low, uint16_t high);

/*
 * portpool_next - pick a port and hold it until portpool_release.
 * @now_ms: the caller's monotonic clock
 * @rnd:    64 bits from a CSPRNG, fresh for each call
 * Returns a port drawn uniformly from those neither held nor given back
 * within PORTPOOL_QUIET_MS; when there are none, uniformly from those not
 * held; 0 when every port is held. Each pick depends on rnd alone, never on
 * earlier picks, so one's own ports tell nothing about anybody else's.
 */
uint16_t portpool_next(struct portpool *pp, uint64_t now_ms, uint64_t rnd);

/*
 * portpool_release - give back a port portpool_next returned: after use,
 * or when the kernel refused it. It stays quiet for PORTPOOL_QUIET_MS.
 * Returns false (and changes nothing) if port is not held: a caller bug,
 * since releasing twice could free a port someone else has just been given.
 */
bool portpool_release(struct portpool *pp, uint16_t port, uint64_t now_ms);

/* Number of ports in the range. */
size_t portpool_size(const struct portpool *pp);

/* Number of ports held now; for logs and tests. */
size_t portpool_held(const struct portpool *pp);

#endif
