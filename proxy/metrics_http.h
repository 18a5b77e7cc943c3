/* The metrics listener (metrics_listen): a small HTTP server, Debian's
 * libmicrohttpd, run by the main thread's event loop (its epoll fd is one
 * more event of the loop, its timeout one more timer; no thread of its
 * own). It serves GET and HEAD of /metrics in the Prometheus text format,
 * and, once metrics_http_status is called, the live status page at / and
 * its JSON at /status.json, and nothing else, with few connections, a few
 * per address, a timeout and no request bodies: a scraper's door, never a
 * way in. */
#ifndef FTPSGW_PROXY_METRICS_HTTP_H
#define FTPSGW_PROXY_METRICS_HTTP_H

#include <sys/socket.h>

#include "proxy/metrics.h"
#include "proxy/status.h"

struct loop;
struct metrics_http;

/* Connections served at once, in all and from one address. */
#define METRICS_HTTP_CONNECTIONS	16
#define METRICS_HTTP_PER_ADDRESS	4
/* A connection idle this long (s) is closed. */
#define METRICS_HTTP_TIMEOUT		10
/* Memory per connection (request line, headers): requests that do not
 * fit are refused by libmicrohttpd (431). */
#define METRICS_HTTP_CONN_MEMORY	(16 * 1024)

/*
 * metrics_http_listen - a TCP socket bound to addr and listening (done
 * before privileges are dropped). Returns the fd (nonblocking,
 * close-on-exec), or -1 with errno.
 */
int metrics_http_listen(const struct sockaddr_storage *addr, socklen_t len);

/* What a scrape calls to fill the snapshot it renders (given to it after
 * metrics_snap_init; the callback calls metrics_snap_finish). */
typedef void (*metrics_collect_fn)(struct metrics_snap *snap, void *arg);

/*
 * metrics_http_start - serve on fd (from metrics_http_listen; taken over:
 * closed here, libmicrohttpd serving on a copy of it) from loop l, which must
 * be the calling thread's and outlive the server; collect(arg) fills each
 * scrape's snapshot, on that thread. Returns the server, or NULL after
 * logging why.
 */
struct metrics_http *metrics_http_start(struct loop *l, int fd,
    metrics_collect_fn collect, void *arg);

/* A status page was asked for: start a snapshot (or let it join the one
 * under way); metrics_http_status_ready follows, from the loop, never
 * from inside this call. */
typedef void (*metrics_status_fn)(void *arg);

/* Serve / and /status.json: want(arg) is called for each request, which
 * waits (suspended, a slot of METRICS_HTTP_CONNECTIONS) for the next
 * metrics_http_status_ready. */
void metrics_http_status(struct metrics_http *h, metrics_status_fn want,
    void *arg);

/* The snapshot is in (borrowed for the call): every waiting page is
 * rendered from it and sent. */
void metrics_http_status_ready(struct metrics_http *h,
    const struct status_snap *s);

/* Stop serving: connections closed, the socket too. NULL is a no-op. */
void metrics_http_free(struct metrics_http *h);

#endif
