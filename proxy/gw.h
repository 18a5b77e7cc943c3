/* The context of one worker (its event loop, its sessions) passed down to
 * every session, and what all workers share: no mutable file-scope state. */
#ifndef FTPSGW_PROXY_GW_H
#define FTPSGW_PROXY_GW_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "proxy/ftp_parse.h"
#include "proxy/hosttab.h"
#include "proxy/list.h"
#include "proxy/loop.h"
#include "proxy/portpool.h"
#include "proxy/tls.h"

struct config;
struct ct_handle;
struct loop;
struct session;

/*
 * Shared by all workers, touched only when a connection is accepted, a login
 * succeeds or fails, a passive port is picked or given back, or a session
 * ends: never on the data path.
 */
struct gw_shared {
	pthread_mutex_t lock;		/* guards hosts and n_sessions */
	struct hosttab hosts;		/* sessions per address, failed logins
					 * and bans per prefix */
	unsigned n_sessions;		/* all workers' */
	/* The main thread's, for gw_hosts_sweep's reports: */
	uint64_t evicted_told, unrecorded_told;	/* counts last reported */
	uint64_t next_report_ms;
	pthread_mutex_t ports_lock;	/* guards ports */
	struct portpool ports;		/* passive ports, one pool for all
					 * workers: a port in use or just given
					 * back is avoided whoever had it */
	atomic_uint_fast64_t next_id;	/* session numbers in the log */
	unsigned n_workers;
	atomic_uint stop_acks;		/* workers that began stopping */
	atomic_uint stop_busy;		/* transfers they let finish */
};

struct gw {
	struct loop *loop;
	const struct config *cfg;
	struct gw_shared *shared;
	unsigned worker;		/* index, for the log */
	struct tls *tls;		/* for new sessions (a reference) */
	struct ct_handle *ct;		/* NULL: conntrack off or unavailable (auto) */
	struct ftp_addr backend;	/* resolved backend address and port */
	struct list_link *sessions;	/* this worker's live sessions */
	unsigned n_sessions;
	struct list_link *data_chans;	/* every data channel not yet freed,
					 * released ones finishing included */
	unsigned data_lingering;	/* released ones still finishing */
	struct list_link *quitters;	/* backend connections saying QUIT */
	unsigned ct_warned;		/* bit per conntrack error already warned about */
	bool stopping;
};

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
enum gw_verdict gw_admit(struct gw *gw, const struct ftp_addr *a,
    uint32_t *wait_s);
void gw_session_end(struct gw *gw, const struct ftp_addr *a);

/* What a failed login did (hosttab_login_failed). */
enum gw_fail {
	GW_FAIL_COUNTED = HOST_FAIL_COUNTED,
	GW_FAIL_BAN = HOST_FAIL_BAN,		/* it started a ban */
	GW_FAIL_BANNED = HOST_FAIL_BANNED,	/* banned already */
};
/* The server refused the password that a gave for the user name with
 * gw_user_hash user. Anything but GW_FAIL_COUNTED ends the session. */
enum gw_fail gw_login_failed(struct gw *gw, const struct ftp_addr *a,
    uint64_t user);
/* a logged in as user: that name's failures from a's prefix are forgiven. */
void gw_login_ok(struct gw *gw, const struct ftp_addr *a, uint64_t user);
/* The user name name[0..len) (USER's argument) as gw_login_* take it. */
uint64_t gw_user_hash(const struct gw *gw, const char *name, size_t len);
/* What a ban of a covers, for a log line: "address 203.0.113.10" or
 * "network 2001:db8:1::/64" (ban_prefix4, ban_prefix6). Returns buf. */
const char *gw_ban_scope(const struct gw *gw, const struct ftp_addr *a,
    char *buf, size_t cap);
/* Room gw_ban_scope needs. */
#define GW_SCOPE_STRLEN 64
/* The main thread, every MAIN_SWEEP_MS: drop expired failures and bans,
 * and tell the administrator when the failures table overflowed. */
void gw_hosts_sweep(struct gw_shared *sh, uint64_t now_ms, size_t max_slots);
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

/* Stopping (SIGTERM): the loop ends once the last session, the last data
 * channel finishing its close and the last backend QUIT are gone. */
static inline void
gw_stop_if_done(struct gw *gw)
{
	if (gw->stopping && gw->n_sessions == 0 && gw->data_chans == NULL &&
	    gw->quitters == NULL)
		loop_stop(gw->loop);
}

#endif
