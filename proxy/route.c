/* Routing decisions: which pool a USER names, which pool member a new
 * session goes to. */
#include "proxy/route.h"

#include <string.h>

/* The k-th (from 0) up member's index in m. */
static int
route_nth_up(const struct route_member *m, size_t n, size_t k)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (m[i].up && k-- == 0)
			return (int)i;
	return -1;
}

int
route_pick(const struct route_member *m, size_t n, enum cfg_balance policy,
    uint32_t client_hash, unsigned cursor)
{
	size_t i, up = 0, start, best_i = 0;
	unsigned best = 0;
	bool found = false;

	for (i = 0; i < n; i++)
		if (m[i].up)
			up++;
	if (up == 0)
		return -1;
	switch (policy) {
	case CFG_BALANCE_STICKY:
		return route_nth_up(m, n, client_hash % up);
	case CFG_BALANCE_LEAST_CONN:
		/* Scan from the cursor's member so that ties rotate. */
		start = (size_t)route_nth_up(m, n, cursor % up);
		for (i = 0; i < n; i++) {
			size_t j = (start + i) % n;

			if (!m[j].up || (found && m[j].sessions >= best))
				continue;
			found = true;
			best = m[j].sessions;
			best_i = j;
		}
		return (int)best_i;
	case CFG_BALANCE_ROUND_ROBIN:
		break;
	}
	return route_nth_up(m, n, cursor % up);
}

uint32_t
route_addr_hash(const unsigned char *addr, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= addr[i];
		h *= 16777619u;
	}
	return h;
}

int
route_user_target(const struct config *cfg, const char *arg, size_t len,
    size_t *name_len)
{
	const char *at = len > 0 ? memrchr(arg, '@', len) : NULL;
	int p;

	*name_len = len;
	if (at == NULL || at == arg)
		return -1;
	p = cfg_pool_find(cfg, at + 1, len - (size_t)(at + 1 - arg));
	if (p < 0)
		return -1;
	*name_len = (size_t)(at - arg);
	return p;
}
