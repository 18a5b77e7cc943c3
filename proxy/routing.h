/* Several FTP servers at run time (issue 17): their addresses resolved at
 * start, the user map loaded at start and on SIGHUP, and each session's
 * choice of server, with the counts the choice reads. The decisions
 * themselves are pure (proxy/route.c, proxy/user_map.c); this file holds
 * the state they read, shared by the workers (struct gw_shared). */
#ifndef FTPSGW_PROXY_ROUTING_H
#define FTPSGW_PROXY_ROUTING_H

#include <stdint.h>

#include <stddef.h>

#include "proxy/addr.h"
#include "proxy/config.h"

struct gw_shared;

/*
 * routing_resolve - every backend's host (getaddrinfo: at start only, never
 * in a loop) into out[i], with its port. On failure a message naming the
 * section (when the file has sections) goes to stderr and -1 is returned.
 */
int routing_resolve(const struct config *cfg, const char *conf_path,
    struct net_addr *out);

/*
 * routing_map_load - read and parse cfg->user_map into sh->map (replacing
 * the old map only when the new one is good). Returns 0 (also without a
 * user_map: nothing to do), or -1 with the reason in err.
 */
int routing_map_load(struct gw_shared *sh, const struct config *cfg,
    char *err, size_t errcap);

/* Free the map at exit (no worker runs any more). */
void routing_map_free(struct gw_shared *sh);

/*
 * routing_user_pool - the pool a USER argument goes to under route = user:
 * "name@NAME" with NAME a pool or backend (*name_len = length of name),
 * else the first user_map rule matching the whole argument, else
 * default_pool. Returns the pool's index, or -1 (no route: 530). Takes
 * sh->map's lock.
 */
int routing_user_pool(struct gw_shared *sh, const struct config *cfg,
    const char *arg, size_t len, size_t *name_len);

/*
 * routing_pick - the backend of pool that takes a new session from client
 * (balance, the health checks' verdicts, the sessions per backend), or -1
 * when no member is up. A backend whose bit (1 << index) is set in skip
 * counts as down: one this session could not reach. On success the backend's session count is raised:
 * the session gives it back with routing_release.
 */
int routing_pick(struct gw_shared *sh, const struct config *cfg, int pool,
    const struct net_addr *client, uint64_t skip);
void routing_release(struct gw_shared *sh, unsigned be);

#endif
