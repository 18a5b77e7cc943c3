/* Conversions between socket addresses and the parser's struct net_addr. */
#ifndef FTPSGW_PROXY_NETADDR_H
#define FTPSGW_PROXY_NETADDR_H

#include <stddef.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "proxy/addr.h"

/* Long enough for any address netaddr_str writes, brackets and port included. */
#define NETADDR_STRLEN (INET6_ADDRSTRLEN + 8)

/* From a sockaddr; an IPv4-mapped IPv6 address becomes AF_INET. */
void netaddr_from_sockaddr(struct net_addr *out, const struct sockaddr *sa);

/* To a sockaddr; returns its length. */
socklen_t netaddr_to_sockaddr(const struct net_addr *a,
    struct sockaddr_storage *ss);

/* "203.0.113.10" or "2001:db8::1" (no port). Returns buf. */
const char *netaddr_str(const struct net_addr *a, char *buf, size_t cap);

/* "203.0.113.10:21" or "[2001:db8::1]:21". Returns buf. */
const char *netaddr_str_port(const struct net_addr *a, char *buf, size_t cap);

#endif
