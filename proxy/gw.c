/* What the workers share: per-address accounting under one lock. */
#include "proxy/gw.h"

#include "proxy/config.h"

enum gw_verdict
gw_admit(struct gw *gw, const struct ftp_addr *a, uint32_t *wait_s)
{
	struct gw_shared *sh = gw->shared;
	enum gw_verdict v;

	pthread_mutex_lock(&sh->lock);
	if (sh->n_sessions >= gw->cfg->max_sessions) {
		v = GW_TOO_MANY;
	} else {
		v = (enum gw_verdict)hosttab_admit(&sh->hosts, a,
		    loop_now(gw->loop), gw->cfg->max_sessions_per_ip, wait_s);
		if (v == GW_ADMIT)
			sh->n_sessions++;
	}
	pthread_mutex_unlock(&sh->lock);
	return v;
}

void
gw_session_end(struct gw *gw, const struct ftp_addr *a)
{
	struct gw_shared *sh = gw->shared;

	pthread_mutex_lock(&sh->lock);
	hosttab_session_end(&sh->hosts, a, loop_now(gw->loop));
	sh->n_sessions--;
	pthread_mutex_unlock(&sh->lock);
}

bool
gw_login_failed(struct gw *gw, const struct ftp_addr *a)
{
	struct gw_shared *sh = gw->shared;
	bool banned;

	pthread_mutex_lock(&sh->lock);
	banned = hosttab_login_failed(&sh->hosts, a, loop_now(gw->loop),
	    gw->cfg->max_login_failures, (uint64_t)gw->cfg->ban_time * 1000u);
	pthread_mutex_unlock(&sh->lock);
	return banned;
}

void
gw_login_ok(struct gw *gw, const struct ftp_addr *a)
{
	struct gw_shared *sh = gw->shared;

	pthread_mutex_lock(&sh->lock);
	hosttab_login_ok(&sh->hosts, a, loop_now(gw->loop));
	pthread_mutex_unlock(&sh->lock);
}

unsigned
gw_sessions_all(struct gw_shared *sh)
{
	unsigned n;

	pthread_mutex_lock(&sh->lock);
	n = sh->n_sessions;
	pthread_mutex_unlock(&sh->lock);
	return n;
}

/* The round-robin pool keeps no record of ports in use: giving one back
 * has nothing to undo yet. */
uint16_t
gw_port_next(struct gw *gw)
{
	return portpool_next(&gw->ports);
}

void
gw_port_release(struct gw *gw, uint16_t port)
{
	(void)gw;
	(void)port;
}

size_t
gw_port_count(const struct gw *gw)
{
	return portpool_size(&gw->ports);
}
