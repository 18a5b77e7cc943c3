/* Active health checks of the FTP servers, the I/O half: one check at a
 * time per backend, nonblocking in the main thread's event loop, each
 * bounded by connect_timeout; verdicts go to the log (at changes only),
 * to the metrics and to the board the workers read (proxy/health.h). */
#ifndef FTPSGW_PROXY_HEALTH_CHECK_H
#define FTPSGW_PROXY_HEALTH_CHECK_H

#include "proxy/addr.h"

struct config;
struct health_board;
struct health_checker;
struct loop;
struct metrics;
struct tls;

/*
 * health_checker_new - start checking backends[0..n) (n <= 64), the
 * first check of each at once. The board's slot i is backend i's.
 * @cfg:     health_interval, health_rise, health_fall, connect_timeout,
 *           backend_tls (borrowed; must outlive the checker)
 * @tls:     the contexts whose backend side checks the certificate, as
 *           sessions do (a reference is taken)
 * @m:       the main thread's counters (checks by result, backend state)
 * Returns NULL with errno set on failure.
 */
struct health_checker *health_checker_new(struct loop *l,
    const struct config *cfg, struct tls *tls, struct metrics *m,
    struct health_board *board, const struct net_addr *backends,
    unsigned n);

/* SIGHUP: later checks use these contexts (a reference is taken); a check
 * under way finishes with the old ones. The verdicts are kept. */
void health_checker_set_tls(struct health_checker *hc, struct tls *tls);

/* Stop every check (closing its connection) and free. NULL is a no-op. */
void health_checker_free(struct health_checker *hc);

#endif
