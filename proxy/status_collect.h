/* The status page's snapshot, gathered by the main thread: every worker
 * is asked (WORKER_STATUS) to list its own sessions in its own loop, into
 * records it owns; each says when it is done through an eventfd the main
 * loop watches. When all answered, or after STATUS_WAIT_MS, the snapshot
 * (with the FTP servers' health and the recent refusals) goes to the
 * callback, and names the workers that did not answer. One request in
 * flight at a time: pages asked for meanwhile share its answer. No lock
 * on the data path, nothing blocking in any loop. */
#ifndef FTPSGW_PROXY_STATUS_COLLECT_H
#define FTPSGW_PROXY_STATUS_COLLECT_H

#include "proxy/addr.h"
#include "proxy/status.h"

struct config;
struct gw_shared;
struct loop;
struct status_collect;
struct worker;

/* The longest wait for the workers (ms): then the page goes without the
 * ones that did not answer. */
#define STATUS_WAIT_MS 500

/* What gets the snapshot (borrowed for the call only), on the main
 * thread. */
typedef void (*status_done_fn)(const struct status_snap *s, void *arg);

/*
 * status_collect_new - the collector of loop l (the main thread's), for
 * workers[0..*n_workers) (read at each request: workers may still be
 * being set up), which share sh (with the FTP servers' addresses); cfg
 * names the FTP servers.
 * Sets sh->status_fd: call before the workers start. Returns NULL after
 * logging why.
 */
struct status_collect *status_collect_new(struct loop *l,
    struct gw_shared *sh, struct worker *workers, const unsigned *n_workers,
    const struct config *cfg, status_done_fn done, void *arg);

/* A page wants a snapshot: ask the workers, unless a request is in flight
 * already (its answer will serve this page too). */
void status_collect_want(struct status_collect *c);

/* Stop (after the workers stopped); NULL is a no-op. */
void status_collect_free(struct status_collect *c);

#endif
