/* Conversions between socket addresses and struct net_addr. */
#include "proxy/netaddr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

void
netaddr_from_sockaddr(struct net_addr *out, const struct sockaddr *sa)
{
	memset(out, 0, sizeof(*out));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		out->family = AF_INET;
		memcpy(out->addr, &sin->sin_addr, 4);
		out->port = ntohs(sin->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			out->family = AF_INET;
			memcpy(out->addr, sin6->sin6_addr.s6_addr + 12, 4);
		} else {
			out->family = AF_INET6;
			memcpy(out->addr, &sin6->sin6_addr, 16);
		}
		out->port = ntohs(sin6->sin6_port);
	}
}

socklen_t
netaddr_to_sockaddr(const struct net_addr *a, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, a->addr, 4);
		sin->sin_port = htons(a->port);
		return sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, a->addr, 16);
		sin6->sin6_port = htons(a->port);
		return sizeof(*sin6);
	}
}

const char *
netaddr_str(const struct net_addr *a, char *buf, size_t cap)
{
	if (inet_ntop(a->family == AF_INET ? AF_INET : AF_INET6, a->addr, buf,
	    (socklen_t)cap) == NULL)
		snprintf(buf, cap, "?");
	return buf;
}

const char *
netaddr_str_port(const struct net_addr *a, char *buf, size_t cap)
{
	char host[INET6_ADDRSTRLEN];

	netaddr_str(a, host, sizeof(host));
	snprintf(buf, cap, a->family == AF_INET6 ? "[%s]:%u" : "%s:%u", host,
	    a->port);
	return buf;
}
