/* The PROXY protocol version 2 header (HAProxy's proxy-protocol.txt,
 * section 2.2): what ftpsgw sends first on its control connection to an
 * FTP server that accepts it (backend_proxy_protocol = v2), so the server
 * learns the client's address and port. Never on data connections. Pure:
 * bytes into a caller's buffer. */
#ifndef FTPSGW_PROXY_PROXY_V2_H
#define FTPSGW_PROXY_PROXY_V2_H

#include <stddef.h>
#include <stdint.h>

#include "proxy/addr.h"

/* 16 bytes of header and 36 of IPv6 addresses and ports. */
#define PROXY_V2_MAX	52

/*
 * proxy_v2_encode - the header for a TCP connection from src to dst (the
 * client and the address it connected to, ports included), command PROXY,
 * no TLVs, into out (cap bytes). Returns its length (28 for IPv4, 52 for
 * IPv6), or 0 if the families differ or are neither, or cap is too small.
 */
size_t proxy_v2_encode(const struct net_addr *src, const struct net_addr *dst,
    uint8_t *out, size_t cap);

#endif
