/* Per-address session counts, per-prefix failed logins and bans (see
 * hosttab.h). */
#include "proxy/hosttab.h"

#include <string.h>
#include <sys/socket.h>

/*
 * Both tables are open addressing with linear probing and deletion by
 * backward shift (no tombstones: a lookup is as short as the live entries
 * make it). Their entries differ but start with the same struct host_key,
 * so one set of probing functions serves both, given the entry size.
 */
struct htab {
	void *slots;
	size_t stride;		/* sizeof one entry */
	size_t cap;
	size_t *used;
};

static struct htab
sess_tab(struct hosttab *t)
{
	return (struct htab){ t->sess, sizeof(*t->sess), t->sess_cap,
	    &t->sess_used };
}

static struct htab
fail_tab(struct hosttab *t)
{
	return (struct htab){ t->fail, sizeof(*t->fail), t->fail_cap,
	    &t->fail_used };
}

static struct host_key *
slot_at(const struct htab *h, size_t i)
{
	return (struct host_key *)((char *)h->slots + i * h->stride);
}

/* ---- keys ---- */

/* Clear every bit of addr[0..nbytes) from bit plen on. */
static void
mask_bits(uint8_t *addr, size_t nbytes, unsigned plen)
{
	size_t i;

	for (i = 0; i < nbytes; i++) {
		unsigned first = (unsigned)i * 8;

		if (plen <= first)
			addr[i] = 0;
		else if (plen < first + 8)
			addr[i] &= (uint8_t)(0xffu << (first + 8 - plen));
	}
}

/*
 * The key of a, masked to plen4 / plen6 bits. IPv4-mapped IPv6 addresses
 * (::ffff:a.b.c.d, a dual-stack listener's view of IPv4 clients) count as
 * IPv4: masked as IPv6 they would all fall into one /64, and one client
 * could ban every IPv4 client. False for an address of no known family.
 */
static bool
host_key_of(const struct net_addr *a, unsigned plen4, unsigned plen6,
    struct host_key *k)
{
	static const uint8_t v4mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};

	memset(k, 0, sizeof(*k));
	if (a->family == AF_INET) {
		memcpy(k->addr, a->addr, 4);
	} else if (a->family == AF_INET6 &&
	    memcmp(a->addr, v4mapped, sizeof(v4mapped)) == 0) {
		memcpy(k->addr, a->addr + sizeof(v4mapped), 4);
	} else if (a->family == AF_INET6) {
		k->family = AF_INET6;
		memcpy(k->addr, a->addr, 16);
		mask_bits(k->addr, 16, plen6);
		return true;
	} else {
		return false;
	}
	k->family = AF_INET;
	mask_bits(k->addr, 4, plen4);
	return true;
}

static bool
sess_key(const struct hosttab *t, const struct net_addr *a,
    struct host_key *k)
{
	(void)t;
	return host_key_of(a, 32, 128, k);
}

static bool
fail_key(const struct hosttab *t, const struct net_addr *a,
    struct host_key *k)
{
	return host_key_of(a, t->pol.prefix4, t->pol.prefix6, k);
}

/* FNV-1a over the seed, the family and the address bytes. */
static size_t
home_slot(const struct hosttab *t, const struct host_key *k, size_t cap)
{
	uint32_t h = 2166136261u ^ t->seed;
	size_t i;

	h = (h ^ k->family) * 16777619u;
	for (i = 0; i < sizeof(k->addr); i++)
		h = (h ^ k->addr[i]) * 16777619u;
	return (size_t)h % cap;
}

static bool
key_eq(const struct host_key *a, const struct host_key *b)
{
	return a->family == b->family &&
	    memcmp(a->addr, b->addr, sizeof(a->addr)) == 0;
}

/* ---- one table ---- */

size_t
hosttab_limit(size_t cap)
{
	size_t lim = cap - cap / 4;

	if (lim >= cap)
		lim = cap - 1;
	return lim > 0 ? lim : 1;
}

/* The entry keyed k, or the free slot where it would go (NULL: none). */
static struct host_key *
tab_slot(const struct hosttab *t, const struct htab *h,
    const struct host_key *k)
{
	size_t i = home_slot(t, k, h->cap), n;

	for (n = 0; n < h->cap; n++) {
		struct host_key *e = slot_at(h, i);

		if (e->family == 0 || key_eq(e, k))
			return e;
		i = (i + 1) % h->cap;
	}
	return NULL;
}

static struct host_key *
tab_find(const struct hosttab *t, const struct htab *h,
    const struct host_key *k)
{
	struct host_key *e = tab_slot(t, h, k);

	return e != NULL && e->family != 0 ? e : NULL;
}

/* The entry keyed k, made (zeroed) if new; NULL if the table is full. */
static struct host_key *
tab_insert(const struct hosttab *t, const struct htab *h,
    const struct host_key *k)
{
	struct host_key *e = tab_slot(t, h, k);

	if (e == NULL || e->family != 0)
		return e;
	if (*h->used >= hosttab_limit(h->cap))
		return NULL;
	memset(e, 0, h->stride);
	*e = *k;
	(*h->used)++;
	return e;
}

/* Free e's slot; later entries of its probe run move back into the hole. */
static void
tab_delete(const struct hosttab *t, const struct htab *h,
    struct host_key *e)
{
	size_t hole = (size_t)((char *)e - (char *)h->slots) / h->stride;
	size_t i = hole;

	for (;;) {
		struct host_key *x;
		size_t home;

		i = (i + 1) % h->cap;
		x = slot_at(h, i);
		if (x->family == 0)
			break;
		home = home_slot(t, x, h->cap);
		/* Stays if its home lies cyclically in (hole, i]. */
		if (hole < i ? (home > hole && home <= i) :
		    (home > hole || home <= i))
			continue;
		memcpy(slot_at(h, hole), x, h->stride);
		hole = i;
	}
	memset(slot_at(h, hole), 0, h->stride);
	(*h->used)--;
}

/* ---- failure records ---- */

static bool
fail_banned(const struct host_fail *f, uint64_t now_ms)
{
	return f->ban_until_ms > now_ms;
}

/* Failures still inside their counting window. */
static bool
fail_counting(const struct hosttab *t, const struct host_fail *f,
    uint64_t now_ms)
{
	/* first + ban > now, not now - first < ban: workers pass their own
	 * loop's time, which may lag a little behind first_ms. */
	return f->failures > 0 && f->first_ms + t->pol.ban_ms > now_ms;
}

static void
fail_forget_failures(struct host_fail *f)
{
	f->failures = 0;
	memset(f->user_fails, 0, sizeof(f->user_fails));
	memset(f->user, 0, sizeof(f->user));
}

/* Drop what has expired from f; true when nothing is left to remember
 * (the caller deletes it or fills it anew). */
static bool
fail_tidy(const struct hosttab *t, struct host_fail *f, uint64_t now_ms)
{
	if (f->ban_until_ms != 0 && !fail_banned(f, now_ms))
		f->ban_until_ms = 0;
	if (f->failures > 0 && !fail_counting(t, f, now_ms))
		fail_forget_failures(f);
	return f->ban_until_ms == 0 && f->failures == 0;
}

/* a's record, expired parts dropped; NULL when there is none left. */
static struct host_fail *
fail_find(struct hosttab *t, const struct net_addr *a, uint64_t now_ms)
{
	struct htab h = fail_tab(t);
	struct host_key k;
	struct host_fail *f;

	if (!fail_key(t, a, &k))
		return NULL;
	f = (struct host_fail *)tab_find(t, &h, &k);
	if (f != NULL && fail_tidy(t, f, now_ms)) {
		tab_delete(t, &h, &f->key);
		f = NULL;
	}
	return f;
}

/*
 * Make room in a full failures table (policy: hosttab.h, at
 * hosttab_login_failed). One pass over the slots: the first expired record
 * ends it; otherwise the unbanned record with the fewest failures, the
 * oldest latest failure among equals, goes. False when every record is a
 * live ban.
 */
static bool
fail_make_room(struct hosttab *t, uint64_t now_ms)
{
	struct htab h = fail_tab(t);
	struct host_fail *victim = NULL;
	size_t i;

	for (i = 0; i < t->fail_cap; i++) {
		struct host_fail *f = &t->fail[i];

		if (f->key.family == 0)
			continue;
		if (!fail_banned(f, now_ms) && !fail_counting(t, f, now_ms)) {
			tab_delete(t, &h, &f->key);
			return true;
		}
		if (fail_banned(f, now_ms))
			continue;
		if (victim == NULL || f->failures < victim->failures ||
		    (f->failures == victim->failures &&
		    f->last_ms < victim->last_ms))
			victim = f;
	}
	if (victim == NULL)
		return false;
	t->evicted++;
	tab_delete(t, &h, &victim->key);
	return true;
}

/* Count one failure of user in f (not banned, window checked). */
static void
fail_count(struct host_fail *f, uint64_t user, uint64_t now_ms)
{
	size_t i, free_slot = HOSTTAB_USERS;

	if (f->failures == 0)
		f->first_ms = now_ms;
	f->failures++;
	f->last_ms = now_ms;
	for (i = 0; i < HOSTTAB_USERS; i++) {
		if (f->user_fails[i] > 0 && f->user[i] == user) {
			f->user_fails[i]++;
			return;
		}
		if (f->user_fails[i] == 0 && free_slot == HOSTTAB_USERS)
			free_slot = i;
	}
	/* A name beyond HOSTTAB_USERS: counted, never forgiven. */
	if (free_slot < HOSTTAB_USERS) {
		f->user[free_slot] = user;
		f->user_fails[free_slot] = 1;
	}
}

/* ---- public ---- */

void
hosttab_init(struct hosttab *t, struct host_sess *sess, size_t sess_cap,
    struct host_fail *fail, size_t fail_cap, uint32_t seed,
    const struct hosttab_policy *pol)
{
	memset(t, 0, sizeof(*t));
	memset(sess, 0, sess_cap * sizeof(*sess));
	memset(fail, 0, fail_cap * sizeof(*fail));
	t->pol = *pol;
	if (t->pol.prefix4 > 32)
		t->pol.prefix4 = 32;
	if (t->pol.prefix6 > 128)
		t->pol.prefix6 = 128;
	t->sess = sess;
	t->sess_cap = sess_cap;
	t->fail = fail;
	t->fail_cap = fail_cap;
	t->seed = seed;
}

enum host_verdict
hosttab_admit(struct hosttab *t, const struct net_addr *a, uint64_t now_ms,
    uint32_t *wait_s)
{
	struct htab h = sess_tab(t);
	struct host_fail *f = fail_find(t, a, now_ms);
	struct host_sess *s;
	struct host_key k;

	if (f != NULL && fail_banned(f, now_ms)) {
		*wait_s = (uint32_t)((f->ban_until_ms - now_ms + 999) / 1000);
		return HOST_BANNED;
	}
	/* No family, no per-address count (listeners are IPv4 or IPv6). */
	if (!sess_key(t, a, &k))
		return HOST_ADMIT;
	s = (struct host_sess *)tab_insert(t, &h, &k);
	if (s == NULL)
		return HOST_FULL;
	if (s->sessions >= t->pol.max_per_ip) {
		if (s->sessions == 0)
			tab_delete(t, &h, &s->key);
		return HOST_TOO_MANY;
	}
	s->sessions++;
	return HOST_ADMIT;
}

void
hosttab_session_end(struct hosttab *t, const struct net_addr *a)
{
	struct htab h = sess_tab(t);
	struct host_sess *s;
	struct host_key k;

	if (!sess_key(t, a, &k))
		return;
	s = (struct host_sess *)tab_find(t, &h, &k);
	if (s == NULL)
		return;
	if (s->sessions > 0)
		s->sessions--;
	if (s->sessions == 0)
		tab_delete(t, &h, &s->key);
}

enum host_fail_verdict
hosttab_login_failed(struct hosttab *t, const struct net_addr *a,
    uint64_t user, uint64_t now_ms)
{
	struct htab h = fail_tab(t);
	struct host_fail *f;
	struct host_key k;

	if (t->pol.max_failures == 0 || !fail_key(t, a, &k))
		return HOST_FAIL_COUNTED;
	f = (struct host_fail *)tab_insert(t, &h, &k);
	if (f == NULL) {
		if (!fail_make_room(t, now_ms)) {
			t->unrecorded++;
			return HOST_FAIL_COUNTED;
		}
		f = (struct host_fail *)tab_insert(t, &h, &k);
		if (f == NULL)
			return HOST_FAIL_COUNTED;	/* not reached */
	}
	(void)fail_tidy(t, f, now_ms);	/* an emptied record is reused */
	/* SECURITY: a session opened before the ban does not go on
	 * guessing: its failure ends it too. */
	if (fail_banned(f, now_ms))
		return HOST_FAIL_BANNED;
	fail_count(f, user, now_ms);
	if (f->failures < t->pol.max_failures)
		return HOST_FAIL_COUNTED;
	fail_forget_failures(f);
	f->ban_until_ms = now_ms + t->pol.ban_ms;
	return HOST_FAIL_BAN;
}

void
hosttab_login_ok(struct hosttab *t, const struct net_addr *a, uint64_t user,
    uint64_t now_ms)
{
	struct htab h = fail_tab(t);
	struct host_fail *f = fail_find(t, a, now_ms);
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; i < HOSTTAB_USERS; i++) {
		if (f->user_fails[i] == 0 || f->user[i] != user)
			continue;
		f->failures -= f->user_fails[i];
		f->user_fails[i] = 0;
		f->user[i] = 0;
		break;
	}
	if (fail_tidy(t, f, now_ms))
		tab_delete(t, &h, &f->key);
}

size_t
hosttab_sweep(struct hosttab *t, uint64_t now_ms, size_t max_slots)
{
	struct htab h = fail_tab(t);
	size_t n, dropped = 0;

	if (t->fail_cap == 0)
		return 0;
	/* Each step either moves on or deletes (at most fail_used times). */
	for (n = 0; n < max_slots && n < t->fail_cap;) {
		struct host_fail *f;

		if (t->sweep_next >= t->fail_cap)
			t->sweep_next = 0;
		f = &t->fail[t->sweep_next];
		if (f->key.family != 0 && fail_tidy(t, f, now_ms)) {
			/* A later entry may move into this slot: look at
			 * it again. */
			tab_delete(t, &h, &f->key);
			dropped++;
			continue;
		}
		t->sweep_next++;
		n++;
	}
	return dropped;
}

uint32_t
hosttab_failures(const struct hosttab *t, const struct net_addr *a,
    uint64_t now_ms)
{
	/* Looking only: no count to update. */
	struct htab h = { t->fail, sizeof(*t->fail), t->fail_cap, NULL };
	const struct host_fail *f;
	struct host_key k;

	if (!fail_key(t, a, &k))
		return 0;
	f = (const struct host_fail *)tab_find(t, &h, &k);
	return f != NULL && fail_counting(t, f, now_ms) ? f->failures : 0;
}

unsigned
hosttab_prefix(const struct hosttab *t, const struct net_addr *a,
    struct net_addr *out)
{
	struct host_key k;

	memset(out, 0, sizeof(*out));
	if (!fail_key(t, a, &k))
		return 0;
	out->family = k.family;
	memcpy(out->addr, k.addr, sizeof(out->addr));
	return k.family == AF_INET ? t->pol.prefix4 : t->pol.prefix6;
}

/* FNV-1a 64 over the seed and the name, then a final mix so that every
 * input bit reaches every output bit. */
uint64_t
hosttab_user_hash(const struct hosttab *t, const char *name, size_t len)
{
	uint64_t h = 14695981039346656037u;
	size_t i;

	for (i = 0; i < sizeof(t->seed); i++)
		h = (h ^ ((t->seed >> (8 * i)) & 0xffu)) * 1099511628211u;
	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)name[i]) * 1099511628211u;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdu;
	h ^= h >> 33;
	return h;
}
