/* The source address of a session's connections to the FTP server (see
 * backend_src.h). */
#include "proxy/backend_src.h"

#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "proxy/addr_scope.h"

static enum addr_scope
bsrc_scope(const struct net_addr *a)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, a->addr, 4);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, a->addr, 16);
	}
	return addr_scope((const struct sockaddr *)&ss);
}

enum bsrc_choice
backend_src_choose(bool want_client, const struct net_addr *client,
    const struct net_addr *backend, const struct bsrc_routes *routes)
{
	size_t n;

	if (!want_client)
		return BSRC_GATEWAY;
	if (client->family != backend->family ||
	    (client->family != AF_INET && client->family != AF_INET6))
		return BSRC_FB_FAMILY;
	switch (bsrc_scope(client)) {
	case ADDR_SCOPE_UNSPECIFIED:
	case ADDR_SCOPE_LOOPBACK:
	case ADDR_SCOPE_LINK:
	case ADDR_SCOPE_MULTICAST:
		return BSRC_FB_SCOPE;
	default:
		break;
	}
	if (routes->client_local)
		return BSRC_FB_LOCAL;
	n = client->family == AF_INET ? 4 : 16;
	if (memcmp(client->addr, backend->addr, n) == 0 || routes->same_way)
		return BSRC_FB_SERVER_SIDE;
	return BSRC_CLIENT;
}

const char *
backend_src_why(enum bsrc_choice c)
{
	switch (c) {
	case BSRC_FB_FAMILY:
		return "the client's address is not of the FTP server's "
		    "family (IPv4/IPv6)";
	case BSRC_FB_SCOPE:
		return "the client's address is loopback, link-local, "
		    "multicast or unspecified";
	case BSRC_FB_LOCAL:
		return "the client's address is one of this router's";
	case BSRC_FB_SERVER_SIDE:
		return "the client is on the FTP server's side of the router";
	case BSRC_GATEWAY:
	case BSRC_CLIENT:
		break;
	}
	return "";
}
