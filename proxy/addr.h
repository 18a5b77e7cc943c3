/* The whole program's address type: an IPv4 or IPv6 host and a port, as
 * the parser reads them from PASV/EPSV replies and PORT/EPRT commands, the
 * sockets report them (proxy/netaddr.c converts) and conntrack tuples and
 * the data-channel plan carry them. Pure: a plain struct. */
#ifndef FTPSGW_PROXY_ADDR_H
#define FTPSGW_PROXY_ADDR_H

#include <stdint.h>

struct net_addr {
	int family;		/* AF_INET or AF_INET6; 0 = unset */
	uint8_t addr[16];	/* network order; AF_INET uses the first 4 bytes */
	uint16_t port;		/* host order; 0 = unset or any */
};

#endif
