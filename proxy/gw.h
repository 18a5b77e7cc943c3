/* The gateway-wide context made in main and passed down to every session:
 * no mutable file-scope state is shared between sessions. */
#ifndef FTPSGW_PROXY_GW_H
#define FTPSGW_PROXY_GW_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "proxy/ftp_parse.h"
#include "proxy/hosttab.h"
#include "proxy/list.h"
#include "proxy/loop.h"
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
	struct list_link *sessions;	/* all live sessions */
	unsigned n_sessions;
	struct list_link *data_chans;	/* every data channel not yet freed,
					 * released ones finishing included */
	struct list_link *quitters;	/* backend connections saying QUIT */
	unsigned ct_warned;		/* bit per conntrack error already warned about */
	bool stopping;
};

/* Stopping (SIGTERM): the loop ends once the last session, the last data
 * channel finishing its close and the last backend QUIT are gone. */
static inline void
gw_stop_if_done(struct gw *gw)
{
	if (gw->stopping && gw->n_sessions == 0 && gw->data_chans == NULL &&
	    gw->quitters == NULL)
		loop_stop(gw->loop);
}

#endif
