/* The worker context: what one worker's sessions and data channels are
 * handed (its event loop, its sessions, the configuration), and what all
 * workers share (struct gw_shared, used through proxy/admission.h). No
 * mutable file-scope state anywhere: everything hangs off these. */
#ifndef FTPSGW_PROXY_WORKER_CTX_H
#define FTPSGW_PROXY_WORKER_CTX_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "proxy/addr.h"
#include "proxy/config.h"
#include "proxy/health.h"
#include "proxy/hosttab.h"
#include "proxy/list.h"
#include "proxy/loop.h"
#include "proxy/metrics.h"
#include "proxy/portpool.h"
#include "proxy/status.h"
#include "proxy/tls.h"

struct config;
struct ct_handle;
struct loop;
struct session;
struct user_map;
struct xferlog_file;

/*
 * Shared by all workers, touched only when a connection is accepted, a login
 * succeeds or fails, a passive port is picked or given back, a transfer
 * ends (its line in the transfer log) or a session ends: never on the data
 * path.
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
	struct xferlog_file *xferlog;	/* transfer_log; NULL: none */
	/* The status page (proxy/status_collect.h): the snapshot the main
	 * thread asks for (a worker answers once per number, then adds 1 to
	 * status_fd), and the recent refusals (gw_refusal). */
	atomic_uint_fast64_t status_gen;
	int status_fd;			/* main's eventfd; -1: none */
	pthread_mutex_t refusals_lock;	/* guards refusals */
	struct status_ring refusals;
	/* The FTP servers (issue 17), in the order of cfg->backends:
	 * resolved at start, read-only afterwards. */
	struct net_addr backend[CFG_BACKENDS_MAX];
	/* Per backend, written by any worker: its sessions now (least-
	 * connections). */
	atomic_uint be_sessions[CFG_BACKENDS_MAX];
	atomic_uint pool_cursor[CFG_POOLS_MAX];	/* round-robin, per pool */
	/* user_map, swapped whole on SIGHUP; read under map_lock at USER. */
	pthread_mutex_t map_lock;
	struct user_map *map;		/* NULL: none */
	/* The health checks' verdicts, in the order of cfg->backends (written by the
	 * main thread's checker, read with relaxed loads; all unknown = up
	 * when health_check = off). */
	struct health_board health;
};

struct gw {
	struct loop *loop;
	const struct config *cfg;
	struct gw_shared *shared;
	unsigned worker;		/* index, for the log */
	struct tls *tls;		/* for new sessions (a reference) */
	struct ct_handle *ct;		/* NULL: conntrack off or unavailable (auto) */
	struct list_link *sessions;	/* this worker's live sessions */
	unsigned n_sessions;
	struct list_link *data_chans;	/* every data channel not yet freed,
					 * released ones finishing included */
	unsigned data_lingering;	/* released ones still finishing */
	struct list_link *quitters;	/* backend connections saying QUIT */
	unsigned ct_warned;		/* bit per conntrack error already warned about */
	bool stopping;
	/* This worker's counters: written by its thread only, read by the
	 * main thread's scrapes (proxy/metrics.h). */
	struct metrics metrics;
};

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
