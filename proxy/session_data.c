/* The session's data channel: one place builds the plan for PASV, EPSV,
 * PORT and EPRT alike from the session's endpoints (proxy/data_plan.c) and
 * opens the channel that carries it out (proxy/data.c). Calls no other
 * file of the session (layering: proxy/session_int.h). */
#include <string.h>

#include "proxy/config.h"
#include "proxy/data.h"
#include "proxy/log.h"
#include "proxy/session_int.h"

/* The data channel delivered its end (or failed): release held replies. */
static void
sess_data_idle(void *owner)
{
	struct session *s = owner;

	if (!s->dead)
		loop_defer(sess_loop(s), &s->kick);
}

bool
sess_data_open(struct session *s, enum data_mode mode, uint16_t server_port,
    const struct net_addr *named, struct net_addr *announce,
    const char **reply)
{
	const struct config *cfg = s->gw->cfg;
	struct data_plan_req req;
	struct data_params dp;
	uint16_t port = 0;

	memset(&req, 0, sizeof(req));
	req.mode = mode;
	req.kernel = cfg->data_path == CFG_DATA_KERNEL && s->gw->ct != NULL;
	req.ends.client = s->client;
	req.ends.local = s->local;
	req.ends.be_local = s->be_local;
	req.transparent = s->be_transparent;
	req.ends.backend = *sess_be_addr(s);
	if (cfg->have_public_address)
		netaddr_from_sockaddr(&req.public_addr,
		    (const struct sockaddr *)&cfg->public_address);
	req.server_port = server_port;
	if (named != NULL)
		req.named = *named;

	memset(&dp, 0, sizeof(dp));
	dp.gw = s->gw;
	dp.tag = s->tag;
	data_plan_make(&req, &dp.plan);
	dp.client_tls = s->prot_p;
	dp.after_ccc = s->ccc;
	dp.tls_app = &s->tls;
	dp.on_idle = sess_data_idle;
	dp.owner = s;
	/* Data connections get no tickets: a TLS 1.3 client that offers each
	 * ticket once (curl) finds a fresh one, made here on the control
	 * connection and bound to its token, before the 227/229/200. */
	if (s->prot_p && !s->ccc && s->cli.ssl != NULL &&
	    tls_renew_ticket(s->cli.ssl) < 0)
		log_msg(LOG_LVL_DEBUG, "%s: no fresh TLS ticket for the client",
		    s->tag);
	s->data = data_open(&dp, &port, reply);
	if (s->data == NULL)
		return false;
	*announce = dp.plan.listen;
	announce->port = port;
	return true;
}
