/* Counting TLS handshakes (proxy/metrics.h) by what OpenSSL says of them:
 * the one place that reads a handshake's version and resumption for the
 * metrics. */
#ifndef FTPSGW_PROXY_METRICS_TLS_H
#define FTPSGW_PROXY_METRICS_TLS_H

#include <stdbool.h>

#include "proxy/metrics.h"

typedef struct ssl_st SSL;

/*
 * metrics_handshake - a TLS handshake ended on ssl: ok (done) or not
 * (failed, or did not finish in time). side is MV_TLS_SIDE_CLIENT (ftpsgw
 * the TLS server, facing an FTP client) or MV_TLS_SIDE_SERVER (facing the
 * FTP server), channel MV_CHANNEL_CONTROL or MV_CHANNEL_DATA. A completed
 * one is counted full or resumed, by protocol version; a failed one by
 * side and channel only. ssl NULL (no TLS) counts nothing.
 */
void metrics_handshake(struct metrics *m, unsigned side, unsigned channel,
    SSL *ssl, bool ok);

#endif
