/* backend_source = client: may this session reach the FTP server from the
 * client's own address (transparently), or does it fall back to the
 * gateway's, and why. The facts about routes are found by the caller
 * (proxy/transparent.c); the decision is here. Pure: libc only. */
#ifndef FTPSGW_PROXY_BACKEND_SRC_H
#define FTPSGW_PROXY_BACKEND_SRC_H

#include <stdbool.h>

#include "proxy/addr.h"

enum bsrc_choice {
	BSRC_GATEWAY,		/* backend_source = gateway: as ever */
	BSRC_CLIENT,		/* the client's address, with IP_TRANSPARENT */
	/* backend_source = client, but the gateway's address, because: */
	BSRC_FB_FAMILY,		/* the client and the server differ in family */
	BSRC_FB_SCOPE,		/* loopback, unspecified, link-local or
				 * multicast: no route would bring replies */
	BSRC_FB_LOCAL,		/* an address of this router */
	BSRC_FB_SERVER_SIDE,	/* the client is on the server's side (the
				 * server's own address, or reached the way
				 * the server is): the server would answer it
				 * directly, and the client could pose as a
				 * LAN host */
};

/* What the routing table says; found by the caller. */
struct bsrc_routes {
	bool client_local;	/* the client's address is one of ours */
	bool same_way;		/* the client and the server are reached from
				 * the same address of ours */
};

/*
 * backend_src_choose - the source address of this session's connections to
 * the server. want_client: backend_source = client. SECURITY: the client's
 * address is used only where the server's replies to it can come back
 * through this router alone and the address cannot stand for a host of
 * ours or of the server's side.
 */
enum bsrc_choice backend_src_choose(bool want_client,
    const struct net_addr *client, const struct net_addr *backend,
    const struct bsrc_routes *routes);

/* Why c fell back, for the log ("" for BSRC_GATEWAY and BSRC_CLIENT). */
const char *backend_src_why(enum bsrc_choice c);

#endif
