/* Passive port pool: random picks from passive_ports, avoiding ports in use
 * and ports just given back (see portpool.h). */
#include "proxy/portpool.h"

#include <string.h>

/*
 * Why random, and why not round robin: a round-robin cursor (even from a
 * random start) lets anyone read the next session's data port off their
 * own PASV reply, and then race the victim to it. Here every pick is an
 * independent uniform draw among the eligible ports, driven by the
 * caller's CSPRNG bits. rnd % count is used as the index: its bias is at
 * most count / 2^64 (below 2^-48), and it needs no 128-bit arithmetic,
 * which 32-bit routers lack.
 *
 * Costs: a pick scans the bitmaps (at most 1024 words for the largest
 * range, typically 16 for 1000 ports); a release is O(1), or a scan of at
 * most PORTPOOL_RECENT_MAX entries when a quiet port is picked again.
 */

static uint64_t
bit(uint32_t off)
{
	return (uint64_t)1 << (off % 64);
}

static uint32_t
nwords(const struct portpool *pp)
{
	return (pp->n + 63) / 64;
}

/* Forget the oldest quiet port (it becomes eligible again). */
static void
portpool_pop_recent(struct portpool *pp)
{
	uint32_t off = pp->recent[pp->r_head].off;

	pp->quiet[off / 64] &= ~bit(off);
	pp->n_quiet--;
	pp->r_head = (pp->r_head + 1) % PORTPOOL_RECENT_MAX;
	pp->r_len--;
}

/* Quiet ports given back PORTPOOL_QUIET_MS ago or more become eligible.
 * Written as at + QUIET <= now: callers on different threads may pass
 * times a little behind a release's, and now - at must not wrap. */
static void
portpool_expire(struct portpool *pp, uint64_t now_ms)
{
	while (pp->r_len > 0 &&
	    pp->recent[pp->r_head].at_ms + PORTPOOL_QUIET_MS <= now_ms)
		portpool_pop_recent(pp);
}

/* A quiet port is being handed out again (no other was free): it leaves
 * the ring, so that held and quiet stay disjoint. */
static void
portpool_unquiet(struct portpool *pp, uint32_t off)
{
	uint32_t i, j, n = pp->r_len;

	for (i = 0; i < n; i++)
		if (pp->recent[(pp->r_head + i) % PORTPOOL_RECENT_MAX].off ==
		    off)
			break;
	if (i == n)
		return;		/* cannot happen: quiet bits mirror the ring */
	for (j = i; j + 1 < n; j++)
		pp->recent[(pp->r_head + j) % PORTPOOL_RECENT_MAX] =
		    pp->recent[(pp->r_head + j + 1) % PORTPOOL_RECENT_MAX];
	pp->r_len--;
	pp->quiet[off / 64] &= ~bit(off);
	pp->n_quiet--;
}

/* Index of the k-th (from 0) set bit of w; w has more than k set bits. */
static uint32_t
select_bit(uint64_t w, uint32_t k)
{
	while (k-- > 0)
		w &= w - 1;	/* drop the lowest set bit */
	return (uint32_t)__builtin_ctzll(w);
}

/* Offset of the k-th port (from 0) that is free: not held, and not quiet
 * unless with_quiet. The caller counted more than k of them. */
static uint32_t
portpool_kth(const struct portpool *pp, uint32_t k, bool with_quiet)
{
	uint32_t i, nw = nwords(pp);

	for (i = 0; i < nw; i++) {
		uint64_t w = ~pp->held[i];
		uint32_t c;

		if (!with_quiet)
			w &= ~pp->quiet[i];
		if (i == nw - 1 && pp->n % 64 != 0)
			w &= bit(pp->n) - 1;	/* bits past the range */
		c = (uint32_t)__builtin_popcountll(w);
		if (k < c)
			return i * 64 + select_bit(w, k);
		k -= c;
	}
	return 0;	/* not reached: the counts say the port exists */
}

void
portpool_init(struct portpool *pp, uint16_t low, uint16_t high)
{
	if (low > high) {
		uint16_t t = low;

		low = high;
		high = t;
	}
	if (low == 0)
		low = 1;
	if (high == 0)
		high = 1;
	memset(pp, 0, sizeof(*pp));
	pp->low = low;
	pp->n = (uint32_t)high - low + 1;
}

uint16_t
portpool_next(struct portpool *pp, uint64_t now_ms, uint64_t rnd)
{
	uint32_t count, off;
	bool with_quiet = false;

	portpool_expire(pp, now_ms);
	count = pp->n - pp->n_held - pp->n_quiet;
	if (count == 0) {
		/* Only quiet ports are left: better one of them than none
		 * (the kernel still refuses it if it is really busy). */
		with_quiet = true;
		count = pp->n - pp->n_held;
		if (count == 0)
			return 0;
	}
	off = portpool_kth(pp, (uint32_t)(rnd % count), with_quiet);
	if (pp->quiet[off / 64] & bit(off))
		portpool_unquiet(pp, off);
	pp->held[off / 64] |= bit(off);
	pp->n_held++;
	return (uint16_t)(pp->low + off);
}

bool
portpool_release(struct portpool *pp, uint16_t port, uint64_t now_ms)
{
	uint32_t off;

	if (port < pp->low || (uint32_t)port - pp->low >= pp->n)
		return false;
	off = (uint32_t)port - pp->low;
	if (!(pp->held[off / 64] & bit(off)))
		return false;
	pp->held[off / 64] &= ~bit(off);
	pp->n_held--;
	portpool_expire(pp, now_ms);
	if (pp->r_len == PORTPOOL_RECENT_MAX)
		portpool_pop_recent(pp);
	pp->recent[(pp->r_head + pp->r_len) % PORTPOOL_RECENT_MAX] =
	    (struct portpool_recent){ .off = off, .at_ms = now_ms };
	pp->r_len++;
	pp->quiet[off / 64] |= bit(off);
	pp->n_quiet++;
	return true;
}

size_t
portpool_size(const struct portpool *pp)
{
	return pp->n;
}

size_t
portpool_held(const struct portpool *pp)
{
	return pp->n_held;
}
