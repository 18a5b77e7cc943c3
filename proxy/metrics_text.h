/* The Prometheus text exposition format (version 0.0.4) of a metrics
 * snapshot, rendered from the table in proxy/metrics.h. Pure: no I/O, no
 * allocation. */
#ifndef FTPSGW_PROXY_METRICS_TEXT_H
#define FTPSGW_PROXY_METRICS_TEXT_H

#include <stddef.h>

#include "proxy/metrics.h"

/* The Content-Type of what metrics_text writes. */
#define METRICS_TEXT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/*
 * metrics_text - write s as exposition text: for each metric of the table
 * but the hidden ones, its HELP and TYPE lines, then one sample line per
 * label combination (WORKER: the first s->n_workers workers only),
 * histograms as cumulative _bucket lines with le, _sum and _count.
 * Values are exact decimals (a stored integer divided by the metric's
 * scale). Label values and help texts are escaped as the format wants
 * (backslash, double quote, newline); any other byte outside printable
 * ASCII becomes '?', so whatever s holds, every line is well formed.
 * @buf, @cap: at most cap bytes are written, NUL included (none when cap
 *        is 0); buf may be NULL when cap is 0.
 * Returns the length of the whole text without the NUL, as snprintf does:
 * a result >= cap means buf was too small (call again with result + 1).
 * The same snapshot always gives the same text.
 */
size_t metrics_text(const struct metrics_snap *s, char *buf, size_t cap);

#endif
