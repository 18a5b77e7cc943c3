/* Where a session goes: the pool a user asks for (USER name@NAME), and the
 * member of a pool that takes a new session (round-robin, least
 * connections, sticky per client address). Pure: no I/O, no globals; the
 * caller supplies the members' state (up/down from the health checks,
 * active sessions) and the round-robin cursor. */
#ifndef FTPSGW_PROXY_ROUTE_H
#define FTPSGW_PROXY_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proxy/config.h"

/* One member of a pool as the selection sees it. */
struct route_member {
	bool up;		/* may take new sessions (default: true) */
	unsigned sessions;	/* sessions it has now */
};

/*
 * route_pick - the member of a pool that takes a new session.
 * @m, @n:    the pool's members, in configuration order
 * @policy:   balance
 * @client_hash: route_addr_hash of the client's address (sticky)
 * @cursor:   a counter the caller advances once per pick (round-robin;
 *            breaks ties for least-connections)
 * Returns the index in m of the chosen member, or -1 when none is up.
 * Round-robin takes the up members in turn; least-connections the up
 * member with the fewest sessions, ties in round-robin order; sticky the
 * same member for the same address while the set of up members stays the
 * same (client_hash modulo the number of up members).
 */
int route_pick(const struct route_member *m, size_t n,
    enum cfg_balance policy, uint32_t client_hash, unsigned cursor);

/* A stable hash of an address's bytes (FNV-1a), for sticky. */
uint32_t route_addr_hash(const unsigned char *addr, size_t len);

/*
 * route_user_target - does the USER argument name a pool? "name@NAME"
 * when NAME (after the LAST '@') is a pool or backend of cfg
 * (cfg_pool_find) and name is not empty. Returns the pool's index and
 * sets *name_len to the length of name (what the server gets as USER);
 * returns -1 otherwise (*name_len = len: "bob@example.com" stays whole).
 */
int route_user_target(const struct config *cfg, const char *arg,
    size_t len, size_t *name_len);

#endif
