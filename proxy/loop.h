/* The event loop: one level-triggered epoll set, a timer heap, and deferred
 * work run at the end of each iteration (so objects closed inside a handler
 * are freed only when no pending event can still point at them). */
#ifndef FTPSGW_PROXY_LOOP_H
#define FTPSGW_PROXY_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct loop;

/* A watched file descriptor. Embed it; find the owner with container_of. */
struct loop_ev {
	int fd;			/* -1 when closed */
	uint32_t armed;		/* epoll events currently registered (0: none) */
	void (*cb)(struct loop_ev *ev, uint32_t events);
};

/* A one-shot timer. Embed it. A zeroed timer with idx LOOP_TIMER_IDLE is idle:
 * use loop_timer_init. */
struct loop_timer {
	uint64_t when;		/* monotonic ms */
	size_t idx;		/* position in the heap, LOOP_TIMER_IDLE if not armed */
	void (*cb)(struct loop_timer *t);
};
#define LOOP_TIMER_IDLE SIZE_MAX

/* Deferred work: run once at the end of the current iteration. */
struct loop_deferred {
	struct loop_deferred *next;
	bool queued;
	void (*cb)(struct loop_deferred *d);
};

#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/* Returns NULL with errno set on failure. */
struct loop *loop_new(void);
void loop_free(struct loop *l);

/* Initialise an embedded ev with no fd. */
void loop_ev_init(struct loop_ev *ev, void (*cb)(struct loop_ev *, uint32_t));

/* Register, change or (events == 0) suspend interest in ev->fd. Cheap when
 * nothing changes. Returns 0 or -1 with errno. */
int loop_arm(struct loop *l, struct loop_ev *ev, uint32_t events);

/* Forget ev->fd (before closing it). Safe on an unregistered ev. */
void loop_forget(struct loop *l, struct loop_ev *ev);

void loop_timer_init(struct loop_timer *t, void (*cb)(struct loop_timer *));
/* (Re)arm t to fire in ms milliseconds. */
void loop_timer_set(struct loop *l, struct loop_timer *t, uint64_t ms);
void loop_timer_cancel(struct loop *l, struct loop_timer *t);
static inline bool
loop_timer_armed(const struct loop_timer *t)
{
	return t->idx != LOOP_TIMER_IDLE;
}

/* Queue d (once) to run at the end of this iteration. */
void loop_defer(struct loop *l, struct loop_deferred *d);

/* Monotonic time in ms, read once per iteration. */
uint64_t loop_now(const struct loop *l);

/* Nanoseconds the loop spent handling events, timers and deferred work
 * (not waiting in epoll_wait) since it was made. Any thread may ask: a
 * relaxed read of a counter only the loop's thread writes. */
uint64_t loop_busy_ns(const struct loop *l);

/* Run until loop_stop. Returns 0, or -1 if epoll_wait failed. */
int loop_run(struct loop *l);

/*
 * loop_run_once - one iteration of loop_run: wait for events at most
 * max_wait_ms (-1: until one comes or a timer is due; 0: do not wait),
 * run their handlers, the timers that are due and the deferred work.
 * Returns the number of events handled, or -1 if epoll_wait failed. For
 * harnesses that interleave the loop with their own steps (the session
 * fuzzer); the daemon uses loop_run.
 */
int loop_run_once(struct loop *l, int max_wait_ms);
void loop_stop(struct loop *l);

#endif
