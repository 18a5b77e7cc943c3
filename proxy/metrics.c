/* The metrics' counters and snapshots (proxy/metrics.h): the histogram's
 * buckets, the errno label, and summing every writer's counters into the
 * snapshot a scrape renders. Pure: no I/O. */
#include "proxy/metrics.h"

#include <errno.h>
#include <string.h>

/* Upper bounds of the backend connect time buckets, in nanoseconds. */
static const uint64_t metrics_le_ns[] = METRICS_LE_NS;
_Static_assert(sizeof(metrics_le_ns) / sizeof(metrics_le_ns[0]) + 1 ==
    MV_LE__N, "one bound per bucket of METRICS_VALUES_LE but +Inf");

void
metrics_observe_connect(struct metrics *m, uint64_t ns)
{
	unsigned i = 0;

	while (i < MV_LE__N - 1 && ns > metrics_le_ns[i])
		i++;
	/* Buckets are kept apart (not cumulative): one add per observation.
	 * The renderer sums them. */
	metrics_inc(m, METRICS_AT1(BACKEND_CONNECT, i));
	metrics_add(m, METRICS_SUM(BACKEND_CONNECT), ns);
}

unsigned
metrics_errno(int err)
{
	switch (err) {
	case EOPNOTSUPP:
		return MV_ERRNO_EOPNOTSUPP;
	case EPERM:
		return MV_ERRNO_EPERM;
	case EEXIST:
		return MV_ERRNO_EEXIST;
	case EINVAL:
		return MV_ERRNO_EINVAL;
	case ENOENT:
		return MV_ERRNO_ENOENT;
	case EBUSY:
		return MV_ERRNO_EBUSY;
	case ENOMEM:
		return MV_ERRNO_ENOMEM;
	case ENOBUFS:
		return MV_ERRNO_ENOBUFS;
	case ETIMEDOUT:
		return MV_ERRNO_ETIMEDOUT;
	default:
		return MV_ERRNO_OTHER;
	}
}

void
metrics_snap_init(struct metrics_snap *s)
{
	memset(s, 0, sizeof(*s));
	s->version = "";
	s->openssl = "";
}

void
metrics_snap_add(struct metrics_snap *s, const struct metrics *m)
{
	uint64_t b;
	size_t i;

	for (i = 0; i < METRICS_SLOTS; i++)
		s->v[i] += atomic_load_explicit(&m->v[i], memory_order_relaxed);
	/* The latest finding wins: its time is in the high bits. */
	b = atomic_load_explicit(&m->backend, memory_order_relaxed);
	if (b > s->backend)
		s->backend = b;
}

void
metrics_snap_finish(struct metrics_snap *s)
{
	unsigned i;

	/*
	 * Open = opened - closed. The closed count was read first (it comes
	 * first in the table) and a session is counted opened before it can
	 * be closed, so opened is rarely smaller; when the writer's stores
	 * were seen out of order it could be, for a moment: never below 0.
	 */
	for (i = 0; i < MV_LISTENER__N; i++) {
		uint64_t opened = s->v[METRICS_AT1(SESSIONS, i)];
		uint64_t closed = s->v[METRICS_AT1(SESSIONS_CLOSED, i)];

		s->v[METRICS_AT1(SESSIONS_OPEN, i)] = opened > closed ?
		    opened - closed : 0;
	}
	for (i = 0; i < MV_HEALTH__N; i++)
		s->v[METRICS_AT1(BACKEND_STATE, i)] =
		    (s->backend & 3u) == i ? 1 : 0;
	s->v[METRICS_AT1(BUILD_INFO, 0)] = 1;
}
