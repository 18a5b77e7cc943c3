/* A worker: one thread running one event loop with its own listening
 * sockets (SO_REUSEPORT when there are several workers), its sessions and
 * their data connections. The main thread hands it orders (stop, new TLS
 * contexts) through a mailbox and an eventfd; nothing else crosses. */
#ifndef FTPSGW_PROXY_WORKER_H
#define FTPSGW_PROXY_WORKER_H

#include <pthread.h>
#include <stdbool.h>

#include "proxy/config.h"
#include "proxy/worker_ctx.h"
#include "proxy/loop.h"
#include "proxy/netaddr.h"

struct worker;

struct listener {
	struct loop_ev ev;
	struct loop_timer pause;	/* after EMFILE */
	struct worker *w;
	bool implicit;
	char name[NETADDR_STRLEN];
};

/* Orders from the main thread (bits). */
enum {
	WORKER_STOP_GENTLY = 1u << 0,	/* SIGTERM: let transfers finish */
	WORKER_STOP_NOW = 1u << 1,	/* end every session */
	WORKER_TLS = 1u << 2,		/* adopt the contexts in tls_next */
	WORKER_STATUS = 1u << 3,	/* list the sessions for the status
					 * page (shared->status_gen) */
};

struct worker {
	struct gw gw;
	unsigned index;
	struct listener listeners[CFG_LISTEN_MAX];
	size_t n_listeners;
	struct loop_ev wake;		/* eventfd: an order is waiting */
	pthread_mutex_t lock;		/* guards orders and tls_next */
	unsigned orders;
	struct tls *tls_next;
	int done_fd;			/* main's eventfd: this loop ended */
	pthread_t thread;
	bool running;
	int rc;				/* loop_run's */
	/* The status page's answer: written by this worker's thread for
	 * request number status_done (stored last, release), read by the
	 * main thread once status_done names its request (acquire); never
	 * written twice for one number. */
	struct status_sess *status_sess;	/* status_cap records, made at
						 * the first request */
	size_t status_cap;
	size_t status_n;			/* listed */
	size_t status_open;			/* open */
	atomic_uint_fast64_t status_done;
};

/*
 * worker_init - the worker's loop and mailbox; gw->cfg, ->shared, ->tls (a
 * reference handed over), ->backend and ->ct are set by the caller, before
 * or after. Returns 0 or -1 with errno.
 */
int worker_init(struct worker *w, unsigned index, const struct config *cfg,
    int done_fd);

/* Bind and listen on every listen/listen_implicit address (before
 * privileges are dropped). reuseport: several workers share the ports.
 * Returns 0, or -1 after logging which address failed and why. */
int worker_listen(struct worker *w, const char *conf_path, bool reuseport);

/* Start the thread. Returns 0 or -1 with errno. */
int worker_start(struct worker *w);

/* Post orders (WORKER_*). With WORKER_TLS, tls is a reference handed over. */
void worker_order(struct worker *w, unsigned orders, struct tls *tls);

/* Wait for the thread (after its loop ended), then free everything. */
void worker_free(struct worker *w);

#endif
