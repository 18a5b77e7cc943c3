/* backend_source = client, the socket side: IP_TRANSPARENT on a socket,
 * and the routing facts backend_src_choose needs (proxy/backend_src.c). */
#ifndef FTPSGW_PROXY_TRANSPARENT_H
#define FTPSGW_PROXY_TRANSPARENT_H

#include "proxy/addr.h"
#include "proxy/backend_src.h"

/*
 * tp_bind - make fd (of a's family) transparent and bind it to a (port 0:
 * the kernel picks one), an address that need not be this router's. Needs
 * CAP_NET_ADMIN (or CAP_NET_RAW); -1 with errno (EPERM without it).
 */
int tp_bind(int fd, const struct net_addr *a);

/* The routes to client and backend, looked up without sending a packet
 * (a UDP socket's connect). What cannot be looked up counts as the safe
 * answer (local, same way). */
void tp_routes(const struct net_addr *client, const struct net_addr *backend,
    struct bsrc_routes *out);

/* The admin's words for tp_bind's errno e. */
const char *tp_advice(int e);

#endif
