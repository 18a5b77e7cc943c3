/* The data-channel planner: the one place that knows passive/active x
 * relay/kernel. From the session's four endpoints and what the PASV/EPSV
 * reply or the PORT/EPRT command said, it decides where ftpsgw listens, who
 * may connect there, whom ftpsgw dials and from which address, and the
 * conntrack expectation (master, expected tuple, NAT tuple and function)
 * that lets the connection through the router (DESIGN.md facts 2, 4, 5).
 * Pure: no I/O, no allocation. */
#ifndef FTPSGW_PROXY_DATA_PLAN_H
#define FTPSGW_PROXY_DATA_PLAN_H

#include <stdbool.h>
#include <stdint.h>

#include "conntrack/ct.h"
#include "proxy/addr.h"

enum data_mode {
	DATA_PASSIVE,		/* PASV/EPSV: the client connects to ftpsgw */
	DATA_ACTIVE,		/* PORT/EPRT: the server connects to ftpsgw */
};

/* A side of the gateway: the client's (public) or the FTP server's (LAN). */
enum data_side { DATA_SIDE_CLIENT, DATA_SIDE_SERVER };

/* The session's control connections, as the planner needs them. */
struct data_ends {
	struct net_addr client;		/* the client, with its port */
	struct net_addr local;		/* our end of the client's connection */
	struct net_addr be_local;	/* our end of the connection to the server */
	struct net_addr backend;	/* the server, with its control port */
};

struct data_plan_req {
	enum data_mode mode;
	bool kernel;			/* data_path = kernel, and conntrack is
					 * available to carry it */
	/* backend_source = client, in effect for this session: the control
	 * connection to the server comes from the client's own address
	 * (ends.be_local is the client's address), and so must every data
	 * connection on the server's side. Relay rows only (config.c
	 * refuses it with data_path = kernel). */
	bool transparent;
	struct data_ends ends;
	/* public_address, or family 0 when not configured. */
	struct net_addr public_addr;
	/* Passive: the server's passive port (227/229). Active: the
	 * address and port the client's PORT/EPRT named (its own address,
	 * checked by the caller: ftp_addr_same_host). */
	uint16_t server_port;
	struct net_addr named;
};

struct data_plan {
	enum data_mode mode;
	bool kernel;			/* the kernel forwards the connection:
					 * nothing listens, nothing is relayed */
	enum data_side accepts;		/* the side that connects to our port;
					 * ftpsgw dials the other one */
	struct net_addr listen;		/* our address for the port (port 0):
					 * announced in the 227/229 or PORT/EPRT */
	struct net_addr peer;		/* the one address allowed to connect */
	struct net_addr dial;		/* relay: whom ftpsgw connects to */
	struct net_addr dial_from;	/* its source address (family 0: the
					 * kernel picks) */
	/* The socket on the server's side (the listener in active mode,
	 * the one dialled in passive mode) is bound to the client's address,
	 * which is not the router's: it needs IP_TRANSPARENT. */
	bool transparent;
	/* The expectation; its port (expect.dport, and nat.dport on the
	 * kernel path) is set by data_plan_port once one is chosen. */
	struct ct_expect_req expect;
};

/*
 * data_plan_make - the plan for req. The kernel path needs the same address
 * family on both sides (the kernel does not translate between IPv4 and
 * IPv6); otherwise the plan falls back to the relay. The expectation's
 * timeout is left 0 for the caller (data_timeout).
 */
void data_plan_make(const struct data_plan_req *req, struct data_plan *out);

/* Port p of the listen address was chosen: complete the expectation. */
void data_plan_port(struct data_plan *plan, uint16_t p);

/* What the client knows ftpsgw by: public_addr where it has the client's
 * family (public_address), else local, the address the client connected
 * to; port 0. The passive plan listens there; the reply scrubber names it
 * in place of the server's address. */
struct net_addr data_plan_public(const struct net_addr *client,
    const struct net_addr *local, const struct net_addr *public_addr);

/* "client" or "FTP server", for log lines. */
const char *data_side_name(enum data_side side);

#endif
