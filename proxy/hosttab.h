/* Per-address accounting: open sessions per address (max_sessions_per_ip),
 * and failed logins with their ban per network prefix (max_login_failures,
 * ban_time, ban_prefix4, ban_prefix6). Pure: the caller owns the slot
 * arrays, passes the time and serialises calls (admission.c holds a mutex); no
 * I/O, no malloc.
 *
 * Two open-addressing tables with linear probing, hashed with a random seed
 * so that nobody can choose addresses that collide:
 *   sessions  keyed by the whole address; an entry lives exactly while the
 *             address has a session open, so the table holds at most
 *             max_sessions entries and is never full when sized for them;
 *   failures  keyed by the address's ban prefix (an IPv6 /64 by default:
 *             one host cannot rotate through its own network); an entry
 *             holds failed logins counted within ban_time, and a ban.
 *
 * SECURITY: nothing here can lock the gateway. Failures and bans expire on
 * their own (checked on every lookup, and by hosttab_sweep); the failures
 * table is bounded, and when it is full a new failure takes the slot of the
 * least valuable record (see hosttab_login_failed), never a ban, so a flood
 * of addresses each failing once neither fills it for good nor washes a
 * real ban out. Admission never needs a failures slot: a well-behaved new
 * address is always served. */
#ifndef FTPSGW_PROXY_HOSTTAB_H
#define FTPSGW_PROXY_HOSTTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proxy/addr.h"

/* User names whose failures each prefix remembers apart (for forgiveness);
 * failures of further names still count toward the ban, unforgivably. */
#define HOSTTAB_USERS 4

/* What a slot is keyed by: an address, or a prefix (masked address). */
struct host_key {
	uint8_t family;		/* AF_INET or AF_INET6; 0: free slot */
	uint8_t addr[16];	/* AF_INET: the first 4 bytes; rest zero */
};

/* One address with sessions open. */
struct host_sess {
	struct host_key key;	/* the whole address */
	uint32_t sessions;	/* > 0 */
};

/* One prefix with failed logins, or banned. */
struct host_fail {
	struct host_key key;	/* the address masked to the ban prefix */
	uint32_t failures;	/* since first_ms, all user names */
	uint32_t user_fails[HOSTTAB_USERS];	/* of them, by user[i] */
	uint64_t user[HOSTTAB_USERS];	/* hosttab_user_hash; slot i is free
					 * while user_fails[i] == 0 */
	uint64_t first_ms;	/* first failure counted */
	uint64_t last_ms;	/* latest failure (eviction order) */
	uint64_t ban_until_ms;	/* 0: not banned */
};

/* The configuration the table applies (fixed after hosttab_init). */
struct hosttab_policy {
	uint32_t max_per_ip;	/* max_sessions_per_ip, >= 1 */
	uint32_t max_failures;	/* max_login_failures; 0: count nothing */
	uint64_t ban_ms;	/* ban_time: ban length and counting window */
	uint8_t prefix4;	/* ban_prefix4: 1..32 */
	uint8_t prefix6;	/* ban_prefix6: 1..128 */
};

struct hosttab {
	struct hosttab_policy pol;
	struct host_sess *sess;
	size_t sess_cap, sess_used;
	struct host_fail *fail;
	size_t fail_cap, fail_used;
	size_t sweep_next;	/* failures slot hosttab_sweep looks at next */
	uint32_t seed;
	/* Since hosttab_init, for the administrator's log: */
	uint64_t evicted;	/* failure records dropped to make room */
	uint64_t unrecorded;	/* failures not counted: every slot a ban */
};

enum host_verdict {
	HOST_ADMIT,		/* counted: call hosttab_session_end later */
	HOST_BANNED,		/* *wait_s: seconds left of the ban */
	HOST_TOO_MANY,		/* max_sessions_per_ip open already */
	HOST_FULL,		/* no session slot: the caller admitted more
				 * sessions than the table was sized for */
};

enum host_fail_verdict {
	HOST_FAIL_COUNTED,	/* counted (or not counted at all) */
	HOST_FAIL_BAN,		/* this failure started a ban of the prefix */
	HOST_FAIL_BANNED,	/* the prefix was banned already: a session
				 * opened before the ban keeps guessing */
};

/* A table is "full" at this many entries (3/4 of cap, at least 1): probe
 * runs stay short and a free slot always ends them. */
size_t hosttab_limit(size_t cap);

/*
 * hosttab_init - empty tables over the caller's zeroed-here slot arrays.
 * sess[sess_cap] must hold every address with a session at once within
 * hosttab_limit (e.g. 2 * max_sessions + 64); fail[fail_cap] bounds the
 * prefixes remembered (failed logins and bans), at least 2 each. seed:
 * random, kept secret (hashing of addresses and user names). pol is copied.
 */
void hosttab_init(struct hosttab *t, struct host_sess *sess, size_t sess_cap,
    struct host_fail *fail, size_t fail_cap, uint32_t seed,
    const struct hosttab_policy *pol);

/*
 * hosttab_admit - a new control connection from a (port ignored): refused
 * while a's prefix is banned (*wait_s: whole seconds left, rounded up), or
 * while a has max_per_ip sessions open; otherwise counted.
 */
enum host_verdict hosttab_admit(struct hosttab *t, const struct net_addr *a,
    uint64_t now_ms, uint32_t *wait_s);

/* A session that hosttab_admit counted has ended. */
void hosttab_session_end(struct hosttab *t, const struct net_addr *a);

/*
 * hosttab_login_failed - the server refused a password given by a for the
 * user name whose hosttab_user_hash is user.
 * Counting: failures of a's prefix within ban_ms of the first counted one;
 * the max_failures-th starts a ban of ban_ms and the count starts over.
 * The record of the prefix is made if needed; when the failures table is
 * full it takes the slot of, in this order: an expired record; the record
 * with the fewest failures, the oldest latest failure among equals; never
 * a ban. A flood of addresses each failing once thus only ever replaces
 * its own kind of record, and an attacker must bring a whole table of
 * records with more failures than a victim record to push it out. If every
 * slot holds a ban the failure is not counted (t->unrecorded).
 */
enum host_fail_verdict hosttab_login_failed(struct hosttab *t,
    const struct net_addr *a, uint64_t user, uint64_t now_ms);

/*
 * hosttab_login_ok - a logged in as user: that user name's failures from
 * a's prefix are forgiven, and only those. SECURITY: someone with an account
 * of their own must not wipe the failures of their guesses at others'.
 */
void hosttab_login_ok(struct hosttab *t, const struct net_addr *a,
    uint64_t user, uint64_t now_ms);

/*
 * hosttab_sweep - look at up to max_slots slots of the failures table (in
 * turn, going on where the last call stopped) and drop what has expired:
 * bans that ended, failures older than ban_ms. Returns how many records it
 * dropped. Lookups expire what they meet as well; the sweep frees the
 * rest, so that memory of a past flood does not linger.
 */
size_t hosttab_sweep(struct hosttab *t, uint64_t now_ms, size_t max_slots);

/* Failures counted for a's prefix now (0 when none); for logs and tests. */
uint32_t hosttab_failures(const struct hosttab *t, const struct net_addr *a,
    uint64_t now_ms);

/*
 * hosttab_prefix - the network a's failures and bans are counted for: out
 * gets a masked to it (port 0), and its length is returned (32 or 128 when
 * it is the address alone). IPv4-mapped IPv6 addresses count as IPv4.
 */
unsigned hosttab_prefix(const struct hosttab *t, const struct net_addr *a,
    struct net_addr *out);

/*
 * hosttab_user_hash - the user name name[0..len) as the table remembers it:
 * 64 bits, keyed with the table's secret seed so that nobody can pick an
 * account name that stands for another. Bytes as sent (names are case
 * sensitive: forgiveness needs the very name that failed).
 */
uint64_t hosttab_user_hash(const struct hosttab *t, const char *name,
    size_t len);

#endif
