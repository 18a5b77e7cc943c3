/* What the workers share: per-address accounting and the passive port
 * pool, each under its own lock. */
#include "proxy/admission.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "proxy/config.h"
#include "proxy/log.h"
#include "proxy/netaddr.h"

enum gw_verdict
gw_admit(struct gw *gw, const struct net_addr *a, uint32_t *wait_s)
{
	struct gw_shared *sh = gw->shared;
	enum gw_verdict v;

	pthread_mutex_lock(&sh->lock);
	if (sh->n_sessions >= gw->cfg->max_sessions) {
		v = GW_TOO_MANY;
	} else {
		v = (enum gw_verdict)hosttab_admit(&sh->hosts, a,
		    loop_now(gw->loop), wait_s);
		if (v == GW_ADMIT)
			sh->n_sessions++;
	}
	pthread_mutex_unlock(&sh->lock);
	return v;
}

void
gw_session_end(struct gw *gw, const struct net_addr *a)
{
	struct gw_shared *sh = gw->shared;

	pthread_mutex_lock(&sh->lock);
	hosttab_session_end(&sh->hosts, a);
	sh->n_sessions--;
	pthread_mutex_unlock(&sh->lock);
}

enum gw_fail
gw_login_failed(struct gw *gw, const struct net_addr *a, uint64_t user)
{
	struct gw_shared *sh = gw->shared;
	enum gw_fail v;

	pthread_mutex_lock(&sh->lock);
	v = (enum gw_fail)hosttab_login_failed(&sh->hosts, a, user,
	    loop_now(gw->loop));
	pthread_mutex_unlock(&sh->lock);
	return v;
}

void
gw_login_ok(struct gw *gw, const struct net_addr *a, uint64_t user)
{
	struct gw_shared *sh = gw->shared;

	pthread_mutex_lock(&sh->lock);
	hosttab_login_ok(&sh->hosts, a, user, loop_now(gw->loop));
	pthread_mutex_unlock(&sh->lock);
}

/* Only the seed is read, which never changes after start: no lock. */
uint64_t
gw_user_hash(const struct gw *gw, const char *name, size_t len)
{
	return hosttab_user_hash(&gw->shared->hosts, name, len);
}

/* The policy never changes after start: no lock. */
const char *
gw_ban_scope(const struct gw *gw, const struct net_addr *a, char *buf,
    size_t cap)
{
	char host[NETADDR_STRLEN];
	struct net_addr net;
	unsigned plen = hosttab_prefix(&gw->shared->hosts, a, &net);

	if (plen == 0 || plen == (net.family == AF_INET ? 32u : 128u))
		snprintf(buf, cap, "address %s", netaddr_str(a, host,
		    sizeof(host)));
	else
		snprintf(buf, cap, "network %s/%u", netaddr_str(&net, host,
		    sizeof(host)), plen);
	return buf;
}

/* How often overflow of the failures table is reported, at most. */
#define GW_REPORT_MS (60u * 1000u)

void
gw_hosts_sweep(struct gw_shared *sh, uint64_t now_ms, size_t max_slots)
{
	uint64_t evicted, unrecorded;
	size_t cap;

	pthread_mutex_lock(&sh->lock);
	(void)hosttab_sweep(&sh->hosts, now_ms, max_slots);
	evicted = sh->hosts.evicted;
	unrecorded = sh->hosts.unrecorded;
	cap = hosttab_limit(sh->hosts.fail_cap);
	pthread_mutex_unlock(&sh->lock);
	if (now_ms < sh->next_report_ms)
		return;
	if (evicted != sh->evicted_told) {
		log_msg(LOG_LVL_WARNING, "failed logins: the table of "
		    "addresses that failed to log in was full (%zu networks), "
		    "so the failures of %llu of them, those with the fewest, "
		    "were forgotten to make room; bans stay in force. Many "
		    "addresses failing to log in at once is a distributed "
		    "password-guessing attack or a misconfigured client; to "
		    "remember more, raise max_sessions (the table holds "
		    "1.5 x max_sessions + 768)", cap, (unsigned long long)
		    (evicted - sh->evicted_told));
		sh->evicted_told = evicted;
		sh->next_report_ms = now_ms + GW_REPORT_MS;
	}
	if (unrecorded != sh->unrecorded_told) {
		log_msg(LOG_LVL_WARNING, "failed logins: %llu were not "
		    "counted, because every entry of the table (%zu networks) "
		    "holds a ban: a password-guessing attack from many "
		    "networks at once. Bans stay in force; raise max_sessions "
		    "for a bigger table, or ban_prefix4/ban_prefix6 to ban "
		    "wider networks", (unsigned long long)(unrecorded -
		    sh->unrecorded_told), cap);
		sh->unrecorded_told = unrecorded;
		sh->next_report_ms = now_ms + GW_REPORT_MS;
	}
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

void
gw_refusal(struct gw *gw, const struct net_addr *a, const char *fmt, ...)
{
	struct gw_shared *sh = gw->shared;
	char host[NETADDR_STRLEN], reason[STATUS_REASON_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	netaddr_str(a, host, sizeof(host));
	pthread_mutex_lock(&sh->refusals_lock);
	status_ring_push(&sh->refusals, (uint64_t)time(NULL), host, reason);
	pthread_mutex_unlock(&sh->refusals_lock);
}
