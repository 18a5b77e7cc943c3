/* What the workers share: per-address accounting and the passive port
 * pool, each under its own lock. */
#include "proxy/gw.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "proxy/config.h"
#include "proxy/log.h"

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

/*
 * 64 bits from the kernel's CSPRNG. getrandom(2) without flags blocks only
 * before the kernel's pool was first seeded, long before a router serves
 * FTP; for 8 bytes it then never returns short. Returns 0 or -1 (errno).
 */
static int
gw_random(uint64_t *out)
{
	ssize_t n;

	do
		n = getrandom(out, sizeof(*out), 0);
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(*out))
		return 0;
	if (n >= 0)
		errno = EIO;
	return -1;
}

/* SECURITY: every passive port is an independent CSPRNG draw (portpool.c),
 * so a client's own PASV replies say nothing about anyone else's port.
 * Without random bits no port is handed out (fail closed): a predictable
 * port is what lets a same-address attacker race a client to it. */
uint16_t
gw_port_next(struct gw *gw)
{
	struct gw_shared *sh = gw->shared;
	uint64_t rnd;
	uint16_t port;

	if (gw_random(&rnd) < 0) {
		log_msg(LOG_LVL_ERR, "cannot read random numbers (getrandom: "
		    "%s): refusing passive data ports rather than choosing "
		    "predictable ones; check the kernel's random number "
		    "generator", strerror(errno));
		return 0;
	}
	pthread_mutex_lock(&sh->ports_lock);
	port = portpool_next(&sh->ports, loop_now(gw->loop), rnd);
	pthread_mutex_unlock(&sh->ports_lock);
	return port;
}

void
gw_port_release(struct gw *gw, uint16_t port)
{
	struct gw_shared *sh = gw->shared;
	bool held;

	pthread_mutex_lock(&sh->ports_lock);
	held = portpool_release(&sh->ports, port, loop_now(gw->loop));
	pthread_mutex_unlock(&sh->ports_lock);
	if (!held)
		log_msg(LOG_LVL_ERR, "internal error: passive port %u given "
		    "back but not held (please report this); the pool is "
		    "unchanged", (unsigned)port);
}

/* The range never changes after start: no lock needed. */
size_t
gw_port_count(const struct gw *gw)
{
	return portpool_size(&gw->shared->ports);
}
