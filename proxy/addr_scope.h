/* Where an IP address can be reached from: the local machine only, a LAN,
 * or the whole Internet. Used to keep the metrics listener off the public
 * side (metrics_listen, proxy/config.c). Pure: libc only. */
#ifndef FTPSGW_PROXY_ADDR_SCOPE_H
#define FTPSGW_PROXY_ADDR_SCOPE_H

#include <sys/socket.h>

enum addr_scope {
	ADDR_SCOPE_UNSPECIFIED,	/* 0.0.0.0, :: (every address of the
				 * host) */
	ADDR_SCOPE_LOOPBACK,	/* 127.0.0.0/8, ::1 */
	ADDR_SCOPE_PRIVATE,	/* RFC 1918, 100.64.0.0/10 (RFC 6598),
				 * fc00::/7 (RFC 4193) */
	ADDR_SCOPE_LINK,	/* 169.254.0.0/16, fe80::/10 */
	ADDR_SCOPE_DOCUMENTATION, /* 192.0.2.0/24, 198.51.100.0/24,
				 * 203.0.113.0/24 (RFC 5737), 2001:db8::/32
				 * (RFC 3849): examples and test labs */
	ADDR_SCOPE_MULTICAST,	/* 224.0.0.0/4, ff00::/8 */
	ADDR_SCOPE_GLOBAL,	/* anything else: routable on the Internet */
};

/*
 * addr_scope - the scope of sa's address (AF_INET or AF_INET6; an
 * IPv4-mapped IPv6 address is taken as the IPv4 address it holds). Any
 * other family is ADDR_SCOPE_GLOBAL: what cannot be placed is treated as
 * public.
 */
enum addr_scope addr_scope(const struct sockaddr *sa);

#endif
