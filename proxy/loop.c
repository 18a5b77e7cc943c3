/* Event loop: epoll (level-triggered), a binary min-heap of timers, and a
 * list of deferred callbacks run after each batch of events. */
#include "proxy/loop.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#define LOOP_EVENTS_MAX 64

struct loop {
	int epfd;
	bool running;
	uint64_t now;
	/* Nanoseconds spent handling events, timers and deferred work (not
	 * in epoll_wait): written by the loop's thread only, read by any
	 * (loop_busy_ns), relaxed. */
	_Atomic uint64_t busy_ns;
	struct loop_timer **heap;
	size_t n_timers, cap_timers;
	struct loop_deferred *deferred, **deferred_tail;
};

/* The monotonic clock in nanoseconds; loop time is its milliseconds. */
static uint64_t
loop_clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t
loop_clock(void)
{
	return loop_clock_ns() / 1000000u;
}

struct loop *
loop_new(void)
{
	struct loop *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		free(l);
		return NULL;
	}
	l->now = loop_clock();
	l->deferred_tail = &l->deferred;
	return l;
}

void
loop_free(struct loop *l)
{
	if (l == NULL)
		return;
	close(l->epfd);
	free(l->heap);
	free(l);
}

void
loop_ev_init(struct loop_ev *ev, void (*cb)(struct loop_ev *, uint32_t))
{
	ev->fd = -1;
	ev->armed = 0;
	ev->cb = cb;
}

int
loop_arm(struct loop *l, struct loop_ev *ev, uint32_t events)
{
	struct epoll_event e = { .events = events, .data.ptr = ev };
	int op;

	if (ev->fd < 0 || events == ev->armed)
		return 0;
	if (ev->armed == 0)
		op = EPOLL_CTL_ADD;
	else if (events == 0)
		op = EPOLL_CTL_DEL;
	else
		op = EPOLL_CTL_MOD;
	if (epoll_ctl(l->epfd, op, ev->fd, &e) < 0)
		return -1;
	ev->armed = events;
	return 0;
}

void
loop_forget(struct loop *l, struct loop_ev *ev)
{
	if (ev->fd >= 0 && ev->armed != 0)
		(void)epoll_ctl(l->epfd, EPOLL_CTL_DEL, ev->fd, NULL);
	ev->armed = 0;
}

/* ---- timers: binary min-heap on when ---- */

static void
heap_swap(struct loop *l, size_t a, size_t b)
{
	struct loop_timer *t = l->heap[a];

	l->heap[a] = l->heap[b];
	l->heap[b] = t;
	l->heap[a]->idx = a;
	l->heap[b]->idx = b;
}

static void
heap_up(struct loop *l, size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (l->heap[p]->when <= l->heap[i]->when)
			break;
		heap_swap(l, p, i);
		i = p;
	}
}

static void
heap_down(struct loop *l, size_t i)
{
	for (;;) {
		size_t c = 2 * i + 1, m = i;

		if (c < l->n_timers && l->heap[c]->when < l->heap[m]->when)
			m = c;
		if (c + 1 < l->n_timers && l->heap[c + 1]->when < l->heap[m]->when)
			m = c + 1;
		if (m == i)
			break;
		heap_swap(l, i, m);
		i = m;
	}
}

void
loop_timer_init(struct loop_timer *t, void (*cb)(struct loop_timer *))
{
	t->when = 0;
	t->idx = LOOP_TIMER_IDLE;
	t->cb = cb;
}

void
loop_timer_cancel(struct loop *l, struct loop_timer *t)
{
	size_t i = t->idx;

	if (i == LOOP_TIMER_IDLE)
		return;
	t->idx = LOOP_TIMER_IDLE;
	l->n_timers--;
	if (i == l->n_timers)
		return;
	l->heap[i] = l->heap[l->n_timers];
	l->heap[i]->idx = i;
	heap_up(l, i);
	heap_down(l, l->heap[i]->idx);
}

void
loop_timer_set(struct loop *l, struct loop_timer *t, uint64_t ms)
{
	loop_timer_cancel(l, t);
	if (l->n_timers == l->cap_timers) {
		size_t ncap = l->cap_timers ? 2 * l->cap_timers : 64;
		struct loop_timer **nh = realloc(l->heap, ncap * sizeof(*nh));

		if (nh == NULL)
			abort();	/* BUG-class: cannot keep a deadline */
		l->heap = nh;
		l->cap_timers = ncap;
	}
	t->when = l->now + ms;
	t->idx = l->n_timers;
	l->heap[l->n_timers++] = t;
	heap_up(l, t->idx);
}

void
loop_defer(struct loop *l, struct loop_deferred *d)
{
	if (d->queued)
		return;
	/* FIFO: work is run in the order it was queued, so a free queued
	 * after a notification runs after it. */
	d->queued = true;
	d->next = NULL;
	*l->deferred_tail = d;
	l->deferred_tail = &d->next;
}

uint64_t
loop_now(const struct loop *l)
{
	return l->now;
}

static void
loop_run_timers(struct loop *l)
{
	while (l->n_timers > 0 && l->heap[0]->when <= l->now) {
		struct loop_timer *t = l->heap[0];

		loop_timer_cancel(l, t);
		t->cb(t);
	}
}

static void
loop_run_deferred(struct loop *l)
{
	while (l->deferred != NULL) {
		struct loop_deferred *d = l->deferred;

		l->deferred = d->next;
		if (l->deferred == NULL)
			l->deferred_tail = &l->deferred;
		d->queued = false;
		d->cb(d);
	}
}

int
loop_run_once(struct loop *l, int max_wait_ms)
{
	struct epoll_event evs[LOOP_EVENTS_MAX];
	int timeout = max_wait_ms, n, i;
	uint64_t woke, busy;

	if (l->n_timers > 0) {
		uint64_t w = l->heap[0]->when;
		int due = w <= l->now ? 0 : (int)(w - l->now);

		if (timeout < 0 || due < timeout)
			timeout = due;
	}
	if (l->deferred != NULL)
		timeout = 0;
	n = epoll_wait(l->epfd, evs, LOOP_EVENTS_MAX, timeout);
	if (n < 0) {
		if (errno != EINTR)
			return -1;
		n = 0;
	}
	woke = loop_clock_ns();
	l->now = woke / 1000000u;
	for (i = 0; i < n; i++) {
		struct loop_ev *ev = evs[i].data.ptr;

		/* Closed by an earlier handler of this batch: its memory
		 * lives until the deferred pass below. */
		if (ev->fd < 0 || ev->armed == 0)
			continue;
		ev->cb(ev, evs[i].events);
	}
	loop_run_timers(l);
	loop_run_deferred(l);
	/* One clock read more per iteration (the vDSO's, no system call)
	 * for the worker's utilisation metric. */
	busy = atomic_load_explicit(&l->busy_ns, memory_order_relaxed);
	atomic_store_explicit(&l->busy_ns, busy + (loop_clock_ns() - woke),
	    memory_order_relaxed);
	return n;
}

uint64_t
loop_busy_ns(const struct loop *l)
{
	return atomic_load_explicit(&l->busy_ns, memory_order_relaxed);
}

int
loop_run(struct loop *l)
{
	l->running = true;
	while (l->running)
		if (loop_run_once(l, -1) < 0)
			return -1;
	return 0;
}

void
loop_stop(struct loop *l)
{
	l->running = false;
}
