/* Workers: listeners, admission of new connections, orders from the main
 * thread, and the stop of one event loop. */
#include "proxy/worker.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conntrack/ct.h"
#include "proxy/admission.h"
#include "proxy/data.h"
#include "proxy/log.h"
#include "proxy/quitter.h"
#include "proxy/session.h"
#include "proxy/tls.h"
#include "proxy/voice.h"

/* Connections accepted per listener wake-up. */
#define WORKER_ACCEPT_BATCH 16
/* Pause of a listener after EMFILE/ENFILE. */
#define WORKER_ACCEPT_PAUSE_MS 1000

static void
on_accept_pause(struct loop_timer *t)
{
	struct listener *ls = container_of(t, struct listener, pause);

	(void)loop_arm(ls->w->gw.loop, &ls->ev, EPOLLIN);
}

/* Turn a connection away before any session exists for it: one reply line
 * (CRLF added here, sent in one piece) on an explicit listener (nobody reads
 * clear text on an implicit one). */
static void
refuse(const struct listener *ls, int fd, const char *line)
{
	char reply[VOICE_LINE_MAX + 3];
	int n = snprintf(reply, sizeof(reply), "%s\r\n", line);

	if (!ls->implicit && n > 0 && (size_t)n < sizeof(reply))
		(void)send(fd, reply, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);
	close(fd);
}

/* max_sessions, max_sessions_per_ip and bans. True if fd may go on. */
static bool
admit(const struct listener *ls, int fd, const struct sockaddr *peer)
{
	struct gw *gw = &ls->w->gw;
	const struct config *cfg = gw->cfg;
	char host[NETADDR_STRLEN], reply[VOICE_LINE_MAX + 1];
	struct net_addr a;
	uint32_t wait = 0;

	netaddr_from_sockaddr(&a, peer);
	switch (gw_admit(gw, &a, &wait)) {
	case GW_ADMIT:
		return true;
	case GW_TOO_MANY:
		metrics_inc(&gw->metrics, METRICS_AT1(REFUSED,
		    MV_ADMIT_MAX_SESSIONS));
		log_msg(LOG_LVL_NOTICE, "%s refused: max_sessions (%u) reached",
		    netaddr_str(&a, host, sizeof(host)), cfg->max_sessions);
		gw_refusal(gw, &a, "refused: max_sessions (%u) reached",
		    cfg->max_sessions);
		refuse(ls, fd, voice_line(V_TOO_MANY));
		return false;
	case GW_BANNED:
		metrics_inc(&gw->metrics, METRICS_AT1(REFUSED,
		    MV_ADMIT_BANNED));
		log_msg(LOG_LVL_INFO, "%s refused: banned for failed logins "
		    "(%u s left)", netaddr_str(&a, host, sizeof(host)), wait);
		gw_refusal(gw, &a, "refused: banned for failed logins (%u s "
		    "left)", wait);
		snprintf(reply, sizeof(reply), VOICE_BANNED_FMT, wait,
		    wait == 1 ? "" : "s");
		refuse(ls, fd, reply);
		return false;
	case GW_TOO_MANY_IP:
		metrics_inc(&gw->metrics, METRICS_AT1(REFUSED,
		    MV_ADMIT_MAX_SESSIONS_PER_IP));
		log_msg(LOG_LVL_NOTICE, "%s refused: max_sessions_per_ip (%u) "
		    "open already", netaddr_str(&a, host, sizeof(host)),
		    cfg->max_sessions_per_ip);
		gw_refusal(gw, &a, "refused: max_sessions_per_ip (%u) open "
		    "already", cfg->max_sessions_per_ip);
		refuse(ls, fd, voice_line(V_TOO_MANY_IP));
		return false;
	case GW_NO_SLOT:
		break;
	}
	metrics_inc(&gw->metrics, METRICS_AT1(REFUSED, MV_ADMIT_MAX_SESSIONS));
	log_msg(LOG_LVL_NOTICE, "%s refused: too many addresses to track "
	    "(raise max_sessions)", netaddr_str(&a, host, sizeof(host)));
	gw_refusal(gw, &a, "refused: too many addresses to track (raise "
	    "max_sessions)");
	refuse(ls, fd, voice_line(V_TOO_MANY));
	return false;
}

static void
on_accept(struct loop_ev *ev, uint32_t events)
{
	struct listener *ls = container_of(ev, struct listener, ev);
	struct gw *gw = &ls->w->gw;
	unsigned n;

	(void)events;
	for (n = 0; n < WORKER_ACCEPT_BATCH; n++) {
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		int fd = accept4(ev->fd, (struct sockaddr *)&peer, &plen,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE) {
				log_msg(LOG_LVL_ERR, "listener %s: out of file "
				    "descriptors (%s); pausing accepts for %d ms "
				    "(raise LimitNOFILE / ulimit -n)", ls->name,
				    strerror(errno), WORKER_ACCEPT_PAUSE_MS);
				(void)loop_arm(gw->loop, &ls->ev, 0);
				loop_timer_set(gw->loop, &ls->pause,
				    WORKER_ACCEPT_PAUSE_MS);
			} else if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED) {
				log_msg(LOG_LVL_INFO, "listener %s: accept: %s",
				    ls->name, strerror(errno));
			}
			return;
		}
		if (admit(ls, fd, (struct sockaddr *)&peer))
			(void)sess_new(gw, fd, (struct sockaddr *)&peer,
			    ls->implicit);
	}
}

/* A socket bound to cl, listening if asked; -1 with errno. */
static int
listen_one(const struct cfg_listen *cl, bool reuseport, bool listening)
{
	int one = 1, fd, e;

	fd = socket(cl->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (reuseport &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0)
		goto fail;
	if (cl->addr.ss_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
		    sizeof(one));
	if (bind(fd, (const struct sockaddr *)&cl->addr, cl->addrlen) < 0)
		goto fail;
	if (!listening || listen(fd, SOMAXCONN) == 0)
		return fd;
fail:
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

int
worker_listen(struct worker *w, const char *conf_path, bool reuseport)
{
	size_t i;

	for (i = 0; i < w->gw.cfg->n_listen; i++) {
		const struct cfg_listen *cl = &w->gw.cfg->listen[i];
		struct listener *ls = &w->listeners[i];
		struct net_addr a;
		int fd;

		netaddr_from_sockaddr(&a, (const struct sockaddr *)&cl->addr);
		netaddr_str_port(&a, ls->name, sizeof(ls->name));
		/*
		 * SO_REUSEPORT would also let a second ftpsgw of the same user
		 * share the port unnoticed, splitting the connections: the
		 * first worker binds a plain socket first, which fails if
		 * anything listens there already.
		 */
		if (reuseport && w->index == 0) {
			fd = listen_one(cl, false, false);
			if (fd < 0)
				goto fail;
			close(fd);
		}
		fd = listen_one(cl, reuseport, true);
		if (fd < 0)
			goto fail;
		loop_ev_init(&ls->ev, on_accept);
		loop_timer_init(&ls->pause, on_accept_pause);
		ls->ev.fd = fd;
		ls->w = w;
		ls->implicit = cl->implicit;
		w->n_listeners++;
		if (loop_arm(w->gw.loop, &ls->ev, EPOLLIN) < 0)
			goto fail;
		continue;
fail:
		log_msg(LOG_LVL_ERR, "%s:%u: %s = %s: %s%s", conf_path,
		    cl->line, cl->implicit ? "listen_implicit" : "listen",
		    ls->name, strerror(errno), errno == EADDRINUSE ?
		    " (another FTP server may be listening there: stop it or "
		    "change the address)" : errno == EADDRNOTAVAIL ?
		    " (not an address of this machine)" : "");
		return -1;
	}
	return 0;
}

static void
worker_unlisten(struct worker *w)
{
	size_t i;

	for (i = 0; i < w->n_listeners; i++) {
		struct listener *ls = &w->listeners[i];

		loop_timer_cancel(w->gw.loop, &ls->pause);
		loop_forget(w->gw.loop, &ls->ev);
		if (ls->ev.fd >= 0)
			close(ls->ev.fd);
		ls->ev.fd = -1;
	}
	w->n_listeners = 0;
}

/* End every session that is left, and the loop. */
static void
worker_stop_now(struct worker *w)
{
	struct session *s;

	w->gw.stopping = true;
	worker_unlisten(w);
	while ((s = sess_first(&w->gw)) != NULL)
		sess_shutdown(s, voice_line(V_SHUTTING_DOWN));
	data_abort_all(&w->gw);
	quitter_abort_all(&w->gw);
	loop_stop(w->gw.loop);
}

/* Accept nothing more; idle sessions end now, transfers under way may
 * finish. The last worker to get here logs the sum for all. */
static void
worker_stop_gently(struct worker *w)
{
	struct gw_shared *sh = w->gw.shared;
	struct session *s, *next;
	unsigned busy = 0;

	if (w->gw.stopping)
		return;
	w->gw.stopping = true;
	worker_unlisten(w);
	for (s = sess_first(&w->gw); s != NULL; s = next) {
		next = sess_next(s);
		if (sess_drain(s, voice_line(V_SHUTTING_DOWN)))
			busy++;
	}
	atomic_fetch_add(&sh->stop_busy, busy);
	if (atomic_fetch_add(&sh->stop_acks, 1) + 1 == sh->n_workers) {
		busy = atomic_load(&sh->stop_busy);
		log_msg(LOG_LVL_NOTICE, "stopping: %u transfer%s may finish "
		    "within shutdown_timeout (%u s)", busy, busy == 1 ? "" : "s",
		    w->gw.cfg->shutdown_timeout);
	}
	gw_stop_if_done(&w->gw);
}

/* The main thread wants the sessions listed (proxy/status_collect.h):
 * once per request number, into this worker's own records, then a word to
 * the main thread. At most status_cap sessions are listed; the rest are
 * counted. */
static void
worker_status(struct worker *w)
{
	struct gw_shared *sh = w->gw.shared;
	uint64_t gen = atomic_load_explicit(&sh->status_gen,
	    memory_order_acquire), one = 1;
	struct session *s;
	size_t n = 0;

	if (gen == atomic_load_explicit(&w->status_done, memory_order_relaxed))
		return;
	if (w->status_sess == NULL) {
		w->status_cap = w->gw.cfg->max_sessions < STATUS_SESSIONS_MAX ?
		    w->gw.cfg->max_sessions : STATUS_SESSIONS_MAX;
		w->status_sess = calloc(w->status_cap > 0 ? w->status_cap : 1,
		    sizeof(*w->status_sess));
		if (w->status_sess == NULL) {
			w->status_cap = 0;
			log_msg(LOG_LVL_WARNING, "worker %u: out of memory for "
			    "the status page: its sessions are not listed",
			    w->index);
		}
	}
	for (s = sess_first(&w->gw); s != NULL && n < w->status_cap;
	    s = sess_next(s))
		sess_status(s, &w->status_sess[n++]);
	w->status_n = n;
	w->status_open = w->gw.n_sessions;
	atomic_store_explicit(&w->status_done, gen, memory_order_release);
	if (sh->status_fd >= 0 && write(sh->status_fd, &one, sizeof(one)) < 0)
		log_msg(LOG_LVL_ERR, "worker %u: eventfd: %s", w->index,
		    strerror(errno));
}

static void
on_wake(struct loop_ev *ev, uint32_t events)
{
	struct worker *w = container_of(ev, struct worker, wake);
	struct tls *tls;
	uint64_t n;
	unsigned orders;

	(void)events;
	if (read(ev->fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_msg(LOG_LVL_ERR, "worker %u: eventfd: %s", w->index,
		    strerror(errno));
	pthread_mutex_lock(&w->lock);
	orders = w->orders;
	w->orders = 0;
	tls = w->tls_next;
	w->tls_next = NULL;
	pthread_mutex_unlock(&w->lock);
	if (tls != NULL) {
		/* Sessions under way keep their own reference. */
		tls_unref(w->gw.tls);
		w->gw.tls = tls;
	}
	if (orders & WORKER_STATUS)
		worker_status(w);
	if (orders & WORKER_STOP_NOW)
		worker_stop_now(w);
	else if (orders & WORKER_STOP_GENTLY)
		worker_stop_gently(w);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	uint64_t one = 1;

	w->rc = loop_run(w->gw.loop);
	if (w->rc < 0)
		log_msg(LOG_LVL_ERR, "worker %u: event loop failed: %s",
		    w->index, strerror(errno));
	if (write(w->done_fd, &one, sizeof(one)) < 0)
		log_msg(LOG_LVL_ERR, "worker %u: eventfd: %s", w->index,
		    strerror(errno));
	return NULL;
}

int
worker_init(struct worker *w, unsigned index, const struct config *cfg,
    int done_fd)
{
	int fd;

	w->index = index;
	w->gw.worker = index;
	w->done_fd = done_fd;
	w->gw.cfg = cfg;
	loop_ev_init(&w->wake, on_wake);
	w->gw.loop = loop_new();
	if (w->gw.loop == NULL)
		return -1;
	fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (fd < 0)
		return -1;
	w->wake.fd = fd;
	if (loop_arm(w->gw.loop, &w->wake, EPOLLIN) < 0)
		return -1;
	return pthread_mutex_init(&w->lock, NULL) == 0 ? 0 : -1;
}

int
worker_start(struct worker *w)
{
	int e = pthread_create(&w->thread, NULL, worker_main, w);

	if (e != 0) {
		errno = e;
		return -1;
	}
	w->running = true;
	return 0;
}

void
worker_order(struct worker *w, unsigned orders, struct tls *tls)
{
	uint64_t one = 1;

	pthread_mutex_lock(&w->lock);
	w->orders |= orders;
	if (orders & WORKER_TLS) {
		tls_unref(w->tls_next);
		w->tls_next = tls;
	}
	pthread_mutex_unlock(&w->lock);
	if (write(w->wake.fd, &one, sizeof(one)) < 0)
		log_msg(LOG_LVL_ERR, "worker %u: eventfd: %s", w->index,
		    strerror(errno));
}

void
worker_free(struct worker *w)
{
	if (w->running)
		(void)pthread_join(w->thread, NULL);
	w->running = false;
	if (w->gw.loop != NULL) {
		worker_unlisten(w);
		loop_forget(w->gw.loop, &w->wake);
	}
	if (w->wake.fd >= 0)
		close(w->wake.fd);
	w->wake.fd = -1;
	ct_close(w->gw.ct);
	w->gw.ct = NULL;
	tls_unref(w->gw.tls);
	tls_unref(w->tls_next);
	w->gw.tls = w->tls_next = NULL;
	loop_free(w->gw.loop);
	w->gw.loop = NULL;
	free(w->status_sess);
	w->status_sess = NULL;
	pthread_mutex_destroy(&w->lock);
}
