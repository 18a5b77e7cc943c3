/* Admission accounting, shared by all workers under the locks of struct
 * gw_shared (proxy/worker_ctx.h): sessions in all and per address, failed
 * logins and bans per prefix (proxy/hosttab.c), and the passive port pool
 * (proxy/portpool.c). Touched at accept, login, port choice and session
 * end: never on the data path. */
#ifndef FTPSGW_PROXY_ADMISSION_H
#define FTPSGW_PROXY_ADMISSION_H

#include <stddef.h>
#include <stdint.h>

#include "proxy/worker_ctx.h"

/* Admission of a new control connection from a: max_sessions, then
 * max_sessions_per_ip and bans. HOST_ADMIT counts it: gw_session_end later. */
enum gw_verdict {
	GW_ADMIT = HOST_ADMIT,
	GW_BANNED = HOST_BANNED,	/* *wait_s: seconds left of the ban */
	GW_TOO_MANY_IP = HOST_TOO_MANY,
	GW_NO_SLOT = HOST_FULL,		/* session table full (cannot happen:
					 * sized for max_sessions) */
	GW_TOO_MANY,			/* max_sessions reached */
};
enum gw_verdict gw_admit(struct gw *gw, const struct net_addr *a,
    uint32_t *wait_s);
void gw_session_end(struct gw *gw, const struct net_addr *a);

/* What a failed login did (hosttab_login_failed). */
enum gw_fail {
	GW_FAIL_COUNTED = HOST_FAIL_COUNTED,
	GW_FAIL_BAN = HOST_FAIL_BAN,		/* it started a ban */
	GW_FAIL_BANNED = HOST_FAIL_BANNED,	/* banned already */
};
/* The server refused the password that a gave for the user name with
 * gw_user_hash user. Anything but GW_FAIL_COUNTED ends the session. */
enum gw_fail gw_login_failed(struct gw *gw, const struct net_addr *a,
    uint64_t user);
/* a logged in as user: that name's failures from a's prefix are forgiven. */
void gw_login_ok(struct gw *gw, const struct net_addr *a, uint64_t user);
/* The user name name[0..len) (USER's argument) as gw_login_* take it. */
uint64_t gw_user_hash(const struct gw *gw, const char *name, size_t len);
/* What a ban of a covers, for a log line: "address 203.0.113.10" or
 * "network 2001:db8:1::/64" (ban_prefix4, ban_prefix6). Returns buf. */
const char *gw_ban_scope(const struct gw *gw, const struct net_addr *a,
    char *buf, size_t cap);
/* Room gw_ban_scope needs. */
#define GW_SCOPE_STRLEN 64
/* The main thread, every MAIN_SWEEP_MS: drop expired failures and bans,
 * and tell the administrator when the failures table overflowed. */
void gw_hosts_sweep(struct gw_shared *sh, uint64_t now_ms, size_t max_slots);
/* Remember a refusal of a for the status page's recent refusals: reason
 * in the log's words (printf format). Takes refusals_lock: for refusals,
 * never on the data path. */
void gw_refusal(struct gw *gw, const struct net_addr *a, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

/* Sessions open on all workers. */
unsigned gw_sessions_all(struct gw_shared *sh);

/*
 * Passive ports (passive_ports), for data.c. gw_port_next hands out a port
 * to bind or to program an expectation for; 0 means none is left. Every
 * port it returned goes back with gw_port_release exactly once: when the
 * kernel refused it (EADDRINUSE, EEXIST), or when the data channel that
 * used it has closed its sockets. gw_port_count bounds the caller's
 * retries.
 */
uint16_t gw_port_next(struct gw *gw);
void gw_port_release(struct gw *gw, uint16_t port);
size_t gw_port_count(const struct gw *gw);

#endif
