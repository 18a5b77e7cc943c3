/* IP_TRANSPARENT sockets and the route facts (see transparent.h). */
#include "proxy/transparent.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proxy/netaddr.h"

int
tp_bind(int fd, const struct net_addr *a)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1, r;

	if (a->family == AF_INET6)
		r = setsockopt(fd, SOL_IPV6, IPV6_TRANSPARENT, &one,
		    sizeof(one));
	else
		r = setsockopt(fd, SOL_IP, IP_TRANSPARENT, &one, sizeof(one));
	if (r < 0)
		return -1;
	len = netaddr_to_sockaddr(a, &ss);
	return bind(fd, (struct sockaddr *)&ss, len);
}

/* The address of ours the kernel would send to a from; -1 if none. */
static int
tp_route_src(const struct net_addr *a, struct net_addr *src)
{
	struct sockaddr_storage ss;
	struct net_addr to = *a;
	socklen_t len;
	int fd = socket(a->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int r = -1;

	if (to.port == 0)
		to.port = 9;	/* any: connect needs one, nothing is sent */
	len = netaddr_to_sockaddr(&to, &ss);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&ss, len) == 0) {
		len = sizeof(ss);
		if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0) {
			netaddr_from_sockaddr(src, (struct sockaddr *)&ss);
			r = 0;
		}
	}
	close(fd);
	return r;
}

void
tp_routes(const struct net_addr *client, const struct net_addr *backend,
    struct bsrc_routes *out)
{
	struct net_addr to_client, to_backend;
	size_t n = client->family == AF_INET ? 4 : 16;

	out->client_local = true;
	out->same_way = true;
	if (tp_route_src(client, &to_client) < 0)
		return;
	/* A local address is reached from itself. */
	out->client_local = to_client.family == client->family &&
	    memcmp(to_client.addr, client->addr, n) == 0;
	if (tp_route_src(backend, &to_backend) < 0)
		return;
	out->same_way = to_client.family == to_backend.family &&
	    memcmp(to_client.addr, to_backend.addr, n) == 0;
}

const char *
tp_advice(int e)
{
	if (e == EPERM || e == EACCES)
		return "backend_source = client needs CAP_NET_ADMIN: keep it "
		    "in the service (AmbientCapabilities, CapabilityBoundingSet)";
	if (e == EADDRINUSE)
		return "no free port for the client's address: the client has "
		    "too many sessions at once";
	return "see backend_source in gateway.conf(5) for the routing it "
	    "needs";
}
