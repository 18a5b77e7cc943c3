/* Per-address session counts and login-failure bans (see hosttab.h). */
#include "proxy/hosttab.h"

#include <string.h>
#include <sys/socket.h>

static size_t
hosttab_alen(int family)
{
	return family == AF_INET ? 4 : 16;
}

/* FNV-1a over the seed, the family and the address bytes. */
static size_t
hosttab_hash(const struct hosttab *t, const struct ftp_addr *a)
{
	uint32_t h = 2166136261u ^ t->seed;
	size_t i, n = hosttab_alen(a->family);

	h = (h ^ (uint32_t)a->family) * 16777619u;
	for (i = 0; i < n; i++)
		h = (h ^ a->addr[i]) * 16777619u;
	return (size_t)h % t->cap;
}

static bool
hosttab_match(const struct host_entry *e, const struct ftp_addr *a)
{
	return e->family == (uint8_t)a->family &&
	    memcmp(e->addr, a->addr, hosttab_alen(a->family)) == 0;
}

/* The slot holding a, or the free slot where it would go (NULL: full). */
static struct host_entry *
hosttab_slot(const struct hosttab *t, const struct ftp_addr *a)
{
	size_t i = hosttab_hash(t, a), n;

	for (n = 0; n < t->cap; n++) {
		struct host_entry *e = &t->slots[i];

		if (e->family == 0 || hosttab_match(e, a))
			return e;
		i = (i + 1) % t->cap;
	}
	return NULL;
}

static struct host_entry *
hosttab_find(const struct hosttab *t, const struct ftp_addr *a)
{
	struct host_entry *e = hosttab_slot(t, a);

	return e != NULL && e->family != 0 ? e : NULL;
}

static struct host_entry *
hosttab_insert(struct hosttab *t, const struct ftp_addr *a)
{
	struct host_entry *e;

	/* One slot always stays free: probing then ends at it. */
	if (t->used + 1 >= t->cap)
		return hosttab_find(t, a);
	e = hosttab_slot(t, a);
	if (e->family == 0) {
		memset(e, 0, sizeof(*e));
		e->family = (uint8_t)a->family;
		memcpy(e->addr, a->addr, hosttab_alen(a->family));
		t->used++;
	}
	return e;
}

/*
 * Free e's slot and move later entries of its probe run back into the hole
 * (no tombstones: lookups stay as short as the live entries make them).
 */
static void
hosttab_delete(struct hosttab *t, struct host_entry *e)
{
	size_t hole = (size_t)(e - t->slots), i = hole;

	for (;;) {
		struct ftp_addr k;
		size_t home;

		i = (i + 1) % t->cap;
		if (t->slots[i].family == 0)
			break;
		k.family = t->slots[i].family;
		memcpy(k.addr, t->slots[i].addr, sizeof(k.addr));
		home = hosttab_hash(t, &k);
		/* Stays if its home lies cyclically in (hole, i]. */
		if (hole < i ? (home > hole && home <= i) :
		    (home > hole || home <= i))
			continue;
		t->slots[hole] = t->slots[i];
		hole = i;
	}
	memset(&t->slots[hole], 0, sizeof(t->slots[hole]));
	t->used--;
}

/* Drop what has expired; delete e when nothing is left to remember. */
static void
hosttab_tidy(struct hosttab *t, struct host_entry *e, uint64_t now_ms)
{
	if (e->ban_until_ms != 0 && now_ms >= e->ban_until_ms)
		e->ban_until_ms = 0;
	if (e->sessions == 0 && e->failures == 0 && e->ban_until_ms == 0)
		hosttab_delete(t, e);
}

void
hosttab_init(struct hosttab *t, struct host_entry *slots, size_t cap,
    uint32_t seed)
{
	memset(slots, 0, cap * sizeof(*slots));
	t->slots = slots;
	t->cap = cap;
	t->used = 0;
	t->seed = seed;
}

enum host_verdict
hosttab_admit(struct hosttab *t, const struct ftp_addr *a, uint64_t now_ms,
    uint32_t max_per_ip, uint32_t *wait_s)
{
	struct host_entry *e = hosttab_insert(t, a);

	if (e == NULL)
		return HOST_FULL;
	if (e->ban_until_ms > now_ms) {
		*wait_s = (uint32_t)((e->ban_until_ms - now_ms + 999) / 1000);
		return HOST_BANNED;
	}
	e->ban_until_ms = 0;
	if (e->sessions >= max_per_ip) {
		hosttab_tidy(t, e, now_ms);
		return HOST_TOO_MANY;
	}
	e->sessions++;
	return HOST_ADMIT;
}

void
hosttab_session_end(struct hosttab *t, const struct ftp_addr *a,
    uint64_t now_ms)
{
	struct host_entry *e = hosttab_find(t, a);

	if (e == NULL)
		return;
	if (e->sessions > 0)
		e->sessions--;
	hosttab_tidy(t, e, now_ms);
}

bool
hosttab_login_failed(struct hosttab *t, const struct ftp_addr *a,
    uint64_t now_ms, uint32_t max_failures, uint64_t ban_ms)
{
	struct host_entry *e;

	if (max_failures == 0)
		return false;
	e = hosttab_insert(t, a);
	if (e == NULL)
		return false;
	if (e->failures > 0 && now_ms - e->first_fail_ms >= ban_ms)
		e->failures = 0;
	if (e->failures == 0)
		e->first_fail_ms = now_ms;
	if (++e->failures < max_failures)
		return false;
	e->failures = 0;
	e->ban_until_ms = now_ms + ban_ms;
	return true;
}

void
hosttab_login_ok(struct hosttab *t, const struct ftp_addr *a,
    uint64_t now_ms)
{
	struct host_entry *e = hosttab_find(t, a);

	if (e == NULL)
		return;
	e->failures = 0;
	hosttab_tidy(t, e, now_ms);
}

uint32_t
hosttab_failures(const struct hosttab *t, const struct ftp_addr *a)
{
	const struct host_entry *e = hosttab_find(t, a);

	return e != NULL ? e->failures : 0;
}
