/* The gateway-wide context made in main and passed down to every session:
 * no mutable file-scope state is shared between sessions. */
#ifndef FTPSGW_PROXY_GW_H
#define FTPSGW_PROXY_GW_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "proxy/ftp_parse.h"
#include "proxy/hosttab.h"
#include "proxy/portpool.h"
#include "proxy/tls.h"

struct config;
struct ct_handle;
struct loop;
struct session;

struct gw {
	struct loop *loop;
	const struct config *cfg;
	struct tls tls;
	struct ct_handle *ct;		/* NULL: conntrack off or unavailable (auto) */
	struct portpool ports;
	struct hosttab hosts;		/* sessions and failed logins per address */
	struct ftp_addr backend;	/* resolved backend address and port */
	uint64_t next_id;
	struct session *sessions;	/* all live sessions (doubly linked) */
	unsigned n_sessions;
	unsigned ct_warned;		/* bit per conntrack error already warned about */
	bool stopping;
};

#endif
