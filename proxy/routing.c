/* The shared state of routing: resolved backends, the user map, session
 * counts per backend and round-robin cursors. */
#include "proxy/routing.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "proxy/file_read.h"
#include "proxy/netaddr.h"
#include "proxy/route.h"
#include "proxy/user_map.h"
#include "proxy/worker_ctx.h"

/* A user map larger than this is refused (1024 rules of 1 KiB lines). */
#define ROUTING_MAP_FILE_MAX (1024 * 1024)

int
routing_resolve(const struct config *cfg, const char *conf_path,
    struct net_addr *out)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res;
	size_t i;

	for (i = 0; i < cfg->n_backends; i++) {
		const struct cfg_backend *be = &cfg->backends[i];
		int rc = getaddrinfo(be->host, NULL, &hints, &res);

		if (rc != 0) {
			fprintf(stderr, "ftpsgw: %s:%s%s%s backend: cannot "
			    "resolve '%s': %s (use an address, or a name in "
			    "/etc/hosts)\n", conf_path,
			    cfg->backend_sections ? " [backend " : "",
			    cfg->backend_sections ? be->section : "",
			    cfg->backend_sections ? "]" : "", be->host,
			    gai_strerror(rc));
			return -1;
		}
		netaddr_from_sockaddr(&out[i], res->ai_addr);
		out[i].port = be->port;
		freeaddrinfo(res);
	}
	return 0;
}

int
routing_map_load(struct gw_shared *sh, const struct config *cfg, char *err,
    size_t errcap)
{
	struct user_map *fresh, *old;
	char *text;
	size_t len;
	int rc;

	if (cfg->user_map[0] == '\0')
		return 0;
	if (file_read_all(cfg->user_map, ROUTING_MAP_FILE_MAX, &text,
	    &len) < 0) {
		if (errno == EFBIG || errno == EINVAL || errno == EISDIR)
			snprintf(err, errcap, "user_map %s: not a regular file "
			    "of at most %d bytes", cfg->user_map,
			    ROUTING_MAP_FILE_MAX);
		else
			snprintf(err, errcap, "user_map %s: %s", cfg->user_map,
			    strerror(errno));
		return -1;
	}
	fresh = malloc(sizeof(*fresh));
	if (fresh == NULL) {
		free(text);
		snprintf(err, errcap, "user_map %s: out of memory",
		    cfg->user_map);
		return -1;
	}
	rc = user_map_parse(fresh, cfg, cfg->user_map, text, len, err, errcap);
	free(text);
	if (rc < 0) {
		free(fresh);
		return -1;
	}
	pthread_mutex_lock(&sh->map_lock);
	old = sh->map;
	sh->map = fresh;
	pthread_mutex_unlock(&sh->map_lock);
	free(old);
	snprintf(err, errcap, "%zu rule%s", fresh->n, fresh->n == 1 ? "" :
	    "s");
	return 0;
}

void
routing_map_free(struct gw_shared *sh)
{
	free(sh->map);
	sh->map = NULL;
}

int
routing_user_pool(struct gw_shared *sh, const struct config *cfg,
    const char *arg, size_t len, size_t *name_len)
{
	int pool = route_user_target(cfg, arg, len, name_len);

	if (pool >= 0)
		return pool;
	pthread_mutex_lock(&sh->map_lock);
	if (sh->map != NULL)
		pool = user_map_lookup(sh->map, arg, len);
	pthread_mutex_unlock(&sh->map_lock);
	return pool >= 0 ? pool : cfg->default_pool_idx;
}

int
routing_pick(struct gw_shared *sh, const struct config *cfg, int pool,
    const struct net_addr *client, uint64_t skip)
{
	struct route_member m[CFG_BACKENDS_MAX];
	const struct cfg_pool *p;
	unsigned cursor = 0;
	size_t i;
	int k, be;

	if (pool < 0 || (size_t)pool >= cfg->n_pools)
		return -1;
	p = &cfg->pools[pool];
	for (i = 0; i < p->n; i++) {
		m[i].up = health_up(&sh->health, p->member[i]) &&
		    (skip & ((uint64_t)1 << p->member[i])) == 0;
		m[i].sessions = atomic_load_explicit(
		    &sh->be_sessions[p->member[i]], memory_order_relaxed);
	}
	if (cfg->balance != CFG_BALANCE_STICKY)
		cursor = atomic_fetch_add_explicit(&sh->pool_cursor[pool], 1,
		    memory_order_relaxed);
	k = route_pick(m, p->n, cfg->balance, route_addr_hash(client->addr,
	    client->family == AF_INET ? 4 : 16), cursor);
	if (k < 0)
		return -1;
	be = p->member[k];
	atomic_fetch_add_explicit(&sh->be_sessions[be], 1,
	    memory_order_relaxed);
	return be;
}

void
routing_release(struct gw_shared *sh, unsigned be)
{
	atomic_fetch_sub_explicit(&sh->be_sessions[be], 1,
	    memory_order_relaxed);
}
