/* The status page's snapshot gathered from the workers (see
 * proxy/status_collect.h). Ordering: the main thread bumps status_gen
 * (release) and orders WORKER_STATUS; a worker reads it (acquire), fills
 * its records once for that number and stores status_done (release); the
 * main thread reads a worker's records only after loading status_done
 * equal to the number it asked for (acquire), and asks for a new number
 * only after it rendered the last, so no record is read while written. */
#include "proxy/status_collect.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "proxy/config.h"
#include "proxy/log.h"
#include "proxy/loop.h"
#include "proxy/metrics.h"
#include "proxy/netaddr.h"
#include "proxy/worker.h"

struct status_collect {
	struct loop *loop;
	struct gw_shared *sh;
	struct worker *workers;
	const unsigned *n_workers;
	const struct config *cfg;
	status_done_fn done;
	void *arg;
	struct loop_ev ev;		/* eventfd: a worker answered */
	struct loop_timer timer;	/* STATUS_WAIT_MS */
	uint64_t gen;			/* the request in flight, or the last */
	bool busy;			/* a request is in flight */
	struct status_snap snap;
};

static unsigned
sc_workers(const struct status_collect *c)
{
	return *c->n_workers < STATUS_WORKERS_MAX ? *c->n_workers :
	    STATUS_WORKERS_MAX;
}

static bool
sc_answered(const struct status_collect *c, unsigned i)
{
	return atomic_load_explicit(&c->workers[i].status_done,
	    memory_order_acquire) == c->gen;
}

/* The FTP servers, in the configuration's order. Health: the health
 * checks' verdict when they are on; else, with one server, the latest
 * finding of any worker's session (ftpsgw_backend_state), and unknown
 * with several. */
static void
sc_backends(struct status_collect *c, struct status_snap *s, unsigned n)
{
	const struct config *cfg = c->cfg;
	uint64_t latest = 0, v, now = loop_now(c->loop);
	size_t k, nb = cfg->n_backends < STATUS_BACKENDS_MAX ?
	    cfg->n_backends : STATUS_BACKENDS_MAX;
	unsigned i;

	for (i = 0; i < n; i++) {
		v = atomic_load_explicit(&c->workers[i].gw.metrics.backend,
		    memory_order_relaxed);
		if (v > latest)
			latest = v;
	}
	for (k = 0; k < nb; k++) {
		const struct cfg_backend *be = &cfg->backends[k];
		struct status_backend *b = &s->backend[k];
		bool v6 = strchr(be->host, ':') != NULL;

		if (cfg->backend_sections)
			snprintf(b->name, sizeof(b->name), "%s", be->section);
		else
			snprintf(b->name, sizeof(b->name), "%s%.*s%s:%u",
			    v6 ? "[" : "", (int)(sizeof(b->name) - 16),
			    be->host, v6 ? "]" : "", (unsigned)be->port);
		netaddr_str_port(&c->sh->backend[k], b->addr,
		    sizeof(b->addr));
		b->health = STATUS_HEALTH_UNKNOWN;
		if (cfg->health_check) {
			/* The checks' verdict, per server. */
			switch (health_state_of(&c->sh->health, (unsigned)k)) {
			case HEALTH_UP:
				b->health = STATUS_HEALTH_UP;
				break;
			case HEALTH_DOWN:
				b->health = STATUS_HEALTH_DOWN;
				break;
			default:
				break;
			}
			continue;
		}
		if (nb > 1)
			continue;
		switch (latest & 3u) {
		case METRICS_HEALTH_UP:
			b->health = STATUS_HEALTH_UP;
			break;
		case METRICS_HEALTH_DOWN:
			b->health = STATUS_HEALTH_DOWN;
			break;
		default:
			break;
		}
		b->checked_ms_ago = now > (latest >> 2) ? now -
		    (latest >> 2) : 0;
	}
	s->n_backends = nb;
}

/* All answered, or time is up: the snapshot goes out. */
static void
sc_finish(struct status_collect *c)
{
	struct status_snap *s = &c->snap;
	unsigned i, n = sc_workers(c), late = 0;

	c->busy = false;
	loop_timer_cancel(c->loop, &c->timer);
	memset(s, 0, sizeof(*s));
	s->now = (uint64_t)time(NULL);
	s->version = FTPSGW_VERSION;
	s->n_workers = n;
	for (i = 0; i < n; i++) {
		struct worker *w = &c->workers[i];
		struct status_part *p = &s->part[i];

		if (!sc_answered(c, i)) {
			late++;
			continue;
		}
		p->answered = true;
		p->sess = w->status_sess;
		p->n = w->status_n;
		p->open = w->status_open;
	}
	if (late > 0)
		log_msg(LOG_LVL_WARNING, "status page: %u worker%s did not "
		    "answer within %u ms: %s sessions are not listed (a busy "
		    "or stuck event loop)", late, late == 1 ? "" : "s",
		    STATUS_WAIT_MS, late == 1 ? "its" : "their");
	sc_backends(c, s, n);
	pthread_mutex_lock(&c->sh->refusals_lock);
	status_ring_copy(&c->sh->refusals, s);
	pthread_mutex_unlock(&c->sh->refusals_lock);
	c->done(s, c->arg);
}

static void
sc_on_ev(struct loop_ev *ev, uint32_t events)
{
	struct status_collect *c = container_of(ev, struct status_collect, ev);
	unsigned i, n;
	uint64_t v;

	(void)events;
	if (read(ev->fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_msg(LOG_LVL_ERR, "status page: eventfd: %s",
		    strerror(errno));
	if (!c->busy)
		return;		/* a late answer to a request given up */
	n = sc_workers(c);
	for (i = 0; i < n; i++)
		if (!sc_answered(c, i))
			return;
	sc_finish(c);
}

static void
sc_on_timer(struct loop_timer *t)
{
	struct status_collect *c = container_of(t, struct status_collect,
	    timer);

	if (c->busy)
		sc_finish(c);
}

struct status_collect *
status_collect_new(struct loop *l, struct gw_shared *sh,
    struct worker *workers, const unsigned *n_workers,
    const struct config *cfg, status_done_fn done, void *arg)
{
	struct status_collect *c = calloc(1, sizeof(*c));
	int fd;

	if (c == NULL) {
		log_msg(LOG_LVL_ERR, "status page: out of memory");
		return NULL;
	}
	c->loop = l;
	c->sh = sh;
	c->workers = workers;
	c->n_workers = n_workers;
	c->cfg = cfg;
	c->done = done;
	c->arg = arg;
	loop_ev_init(&c->ev, sc_on_ev);
	loop_timer_init(&c->timer, sc_on_timer);
	fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (fd < 0 || (c->ev.fd = fd, loop_arm(l, &c->ev, EPOLLIN) < 0)) {
		log_msg(LOG_LVL_ERR, "status page: eventfd: %s",
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		free(c);
		return NULL;
	}
	sh->status_fd = fd;
	return c;
}

void
status_collect_want(struct status_collect *c)
{
	unsigned i, n = sc_workers(c);

	if (c->busy)
		return;
	c->busy = true;
	c->gen++;
	atomic_store_explicit(&c->sh->status_gen, c->gen,
	    memory_order_release);
	for (i = 0; i < n; i++)
		worker_order(&c->workers[i], WORKER_STATUS, NULL);
	loop_timer_set(c->loop, &c->timer, STATUS_WAIT_MS);
}

void
status_collect_free(struct status_collect *c)
{
	if (c == NULL)
		return;
	loop_timer_cancel(c->loop, &c->timer);
	loop_forget(c->loop, &c->ev);
	c->sh->status_fd = -1;
	close(c->ev.fd);
	free(c);
}
