/* The metrics ftpsgw exports (metrics_listen): one table naming every
 * metric, its type, unit, help text and labels, each label with its fixed,
 * bounded set of values (never a client address or a user name); the
 * counters each writer keeps; and the snapshot a scrape reads them into.
 * Pure: libc only.
 *
 * Who writes what: each worker's counters live in its own context (struct
 * gw, proxy/worker_ctx.h) and only that worker's thread writes them; the
 * main thread has its own (certificate reloads). A counter is a
 * single-writer _Atomic uint64_t updated with a relaxed load and store
 * (plain loads and stores on x86-64 and arm64: no lock prefix, no
 * barrier), so the data path pays no more than for a plain variable (a
 * 32-bit CPU without 64-bit atomics pays libatomic's). The scrape, on the
 * main thread, reads every writer's counters with relaxed loads and sums
 * them (metrics_snap_add); a counter is never reset, SIGHUP included. */
#ifndef FTPSGW_PROXY_METRICS_H
#define FTPSGW_PROXY_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* Workers a snapshot has room for (gateway.conf's workers allows 64). */
#define METRICS_WORKERS_MAX 64

/*
 * The labels' values, one list per label dimension: V(dim, NAME, "text").
 * Each list becomes an enum (MV_<dim>_<NAME>, then MV_<dim>__N values) and
 * the texts the exposition shows. NONE is the dimension of a metric without
 * (more) labels: one value, no label.
 */
#define METRICS_VALUES_NONE(V, d)	V(d, ONLY, "")
#define METRICS_VALUES_LISTENER(V, d) \
	V(d, EXPLICIT, "explicit") V(d, IMPLICIT, "implicit")
#define METRICS_VALUES_LOGIN(V, d)	V(d, OK, "ok") V(d, FAILED, "failed")
#define METRICS_VALUES_ADMIT(V, d) \
	V(d, MAX_SESSIONS, "max_sessions") \
	V(d, MAX_SESSIONS_PER_IP, "max_sessions_per_ip") \
	V(d, BANNED, "banned")
#define METRICS_VALUES_XFER_DIR(V, d) \
	V(d, DOWNLOAD, "download") V(d, UPLOAD, "upload")
/* A transfer's outcome: proxy/xfer.c decides it. */
#define METRICS_VALUES_OUTCOME(V, d) \
	V(d, OK, "ok") V(d, ABORTED, "aborted") \
	V(d, NO_SESSION_REUSE, "no_session_reuse") V(d, TIMEOUT, "timeout") \
	V(d, SERVER_REFUSED, "server_refused") V(d, FAILED, "failed")
#define METRICS_VALUES_LEG(V, d) \
	V(d, CLIENT, "client") V(d, SERVER, "server")
#define METRICS_VALUES_FLOW(V, d) \
	V(d, RECEIVED, "received") V(d, SENT, "sent")
#define METRICS_VALUES_REFUSAL(V, d) \
	V(d, FOREIGN_ADDRESS, "foreign_address") \
	V(d, NO_SESSION_REUSE, "no_session_reuse") \
	V(d, TLS_FAILED, "tls_failed") \
	V(d, HANDSHAKE_TIMEOUT, "handshake_timeout")
/* side: whom ftpsgw shook hands with (FTP clients, or the FTP server). */
#define METRICS_VALUES_TLS_SIDE(V, d) \
	V(d, CLIENT, "client") V(d, SERVER, "server")
#define METRICS_VALUES_CHANNEL(V, d) \
	V(d, CONTROL, "control") V(d, DATA, "data")
#define METRICS_VALUES_HS_KIND(V, d) \
	V(d, FULL, "full") V(d, RESUMED, "resumed")
/* Both contexts refuse anything below TLS 1.2 (proxy/tls.c). */
#define METRICS_VALUES_TLS_VERSION(V, d) \
	V(d, TLS13, "TLSv1.3") V(d, TLS12, "TLSv1.2") V(d, OTHER, "other")
/* What the kernel answered a refused expectation (conntrack/ct.h). */
#define METRICS_VALUES_ERRNO(V, d) \
	V(d, EOPNOTSUPP, "EOPNOTSUPP") V(d, EPERM, "EPERM") \
	V(d, EEXIST, "EEXIST") V(d, EINVAL, "EINVAL") V(d, ENOENT, "ENOENT") \
	V(d, EBUSY, "EBUSY") V(d, ENOMEM, "ENOMEM") V(d, ENOBUFS, "ENOBUFS") \
	V(d, ETIMEDOUT, "ETIMEDOUT") V(d, OTHER, "other")
/* Histogram buckets of the backend connect time, upper bounds in seconds
 * (metrics_le_ns has them in nanoseconds), then +Inf. */
#define METRICS_VALUES_LE(V, d) \
	V(d, B0, "0.0001") V(d, B1, "0.00025") V(d, B2, "0.0005") \
	V(d, B3, "0.001") V(d, B4, "0.0025") V(d, B5, "0.005") \
	V(d, B6, "0.01") V(d, B7, "0.025") V(d, B8, "0.05") V(d, B9, "0.1") \
	V(d, B10, "0.25") V(d, B11, "0.5") V(d, B12, "1") V(d, B13, "2.5") \
	V(d, B14, "5") V(d, B15, "10") V(d, INF, "+Inf")
#define METRICS_LE_NS { 100000, 250000, 500000, 1000000, 2500000, 5000000, \
	10000000, 25000000, 50000000, 100000000, 250000000, 500000000, \
	1000000000, 2500000000, 5000000000, 10000000000 }
#define METRICS_VALUES_HEALTH(V, d) \
	V(d, UNKNOWN, "unknown") V(d, UP, "up") V(d, DOWN, "down")
/* A health check's result, in the order of enum health_result
 * (proxy/health.h). */
#define METRICS_VALUES_HEALTH_RESULT(V, d) \
	V(d, OK, "ok") V(d, CONNECT_FAILED, "connect_failed") \
	V(d, TIMEOUT, "timeout") V(d, CLOSED, "closed") \
	V(d, NOT_FTP, "not_ftp") V(d, GREETING_REFUSED, "greeting_refused") \
	V(d, NO_TLS, "no_tls") V(d, TLS_FAILED, "tls_failed")
#define METRICS_VALUES_RELOAD(V, d)	V(d, OK, "ok") V(d, FAILED, "failed")
/* The worker's index, as the log names it ("worker 3"); a scrape shows
 * only the workers that exist. */
#define METRICS_W8(V, d, t) V(d, W##t##0, #t "0") V(d, W##t##1, #t "1") \
	V(d, W##t##2, #t "2") V(d, W##t##3, #t "3") V(d, W##t##4, #t "4") \
	V(d, W##t##5, #t "5") V(d, W##t##6, #t "6") V(d, W##t##7, #t "7")
#define METRICS_VALUES_WORKER(V, d) \
	V(d, W0, "0") V(d, W1, "1") V(d, W2, "2") V(d, W3, "3") \
	V(d, W4, "4") V(d, W5, "5") V(d, W6, "6") V(d, W7, "7") \
	V(d, W8, "8") V(d, W9, "9") METRICS_W8(V, d, 1) \
	V(d, W18, "18") V(d, W19, "19") METRICS_W8(V, d, 2) \
	V(d, W28, "28") V(d, W29, "29") METRICS_W8(V, d, 3) \
	V(d, W38, "38") V(d, W39, "39") METRICS_W8(V, d, 4) \
	V(d, W48, "48") V(d, W49, "49") METRICS_W8(V, d, 5) \
	V(d, W58, "58") V(d, W59, "59") V(d, W60, "60") V(d, W61, "61") \
	V(d, W62, "62") V(d, W63, "63")

/* The dimensions: D(dim, label name). */
#define METRICS_DIMS(D) \
	D(NONE, "") D(LISTENER, "listener") D(LOGIN, "result") \
	D(ADMIT, "reason") D(XFER_DIR, "direction") D(OUTCOME, "outcome") \
	D(LEG, "leg") D(FLOW, "direction") D(REFUSAL, "reason") \
	D(TLS_SIDE, "side") D(CHANNEL, "channel") D(HS_KIND, "result") \
	D(TLS_VERSION, "version") D(ERRNO, "errno") D(LE, "le") \
	D(HEALTH, "state") D(RELOAD, "result") D(WORKER, "worker") \
	D(HEALTH_RESULT, "result")

/*
 * The metrics: M(ID, name, TYPE, scale, d1, d2, d3, d4, help). The labels
 * are d1..d4 in that order (NONE: no label). scale: what one unit of the
 * stored integer is worth in the exposed base unit (1e9: nanoseconds
 * shown as seconds). Types: COUNTER, GAUGE, HISTOGRAM (d1 is LE; one more
 * slot holds the sum), INFO (a gauge of 1 whose labels come from the
 * snapshot, not from a dimension), HIDDEN (kept, never shown). The order
 * is the order of the exposition; SESSIONS_CLOSED comes before SESSIONS so
 * that a scrape reads it first (see metrics_snap_finish).
 */
#define METRICS_LIST(M) \
	M(SESSIONS_CLOSED, "", HIDDEN, 1, LISTENER, NONE, NONE, NONE, "") \
	M(SESSIONS, "ftpsgw_sessions_total", COUNTER, 1, LISTENER, NONE, \
	    NONE, NONE, "Control sessions opened, by the kind of listener " \
	    "(listen: explicit FTPS, listen_implicit: implicit).") \
	M(SESSIONS_OPEN, "ftpsgw_sessions_open", GAUGE, 1, LISTENER, NONE, \
	    NONE, NONE, "Control sessions open now, by the kind of listener.") \
	M(REFUSED, "ftpsgw_connections_refused_total", COUNTER, 1, ADMIT, \
	    NONE, NONE, NONE, "Control connections turned away before a " \
	    "session began, by the limit that refused them.") \
	M(LOGINS, "ftpsgw_logins_total", COUNTER, 1, LOGIN, NONE, NONE, NONE, \
	    "Logins the FTP server accepted (230) or refused (530 to PASS).") \
	M(BANS, "ftpsgw_bans_total", COUNTER, 1, NONE, NONE, NONE, NONE, \
	    "Bans begun after max_login_failures failed logins.") \
	M(TRANSFERS, "ftpsgw_transfers_total", COUNTER, 1, XFER_DIR, OUTCOME, \
	    NONE, NONE, "Data transfers (download: RETR LIST NLST MLSD; " \
	    "upload: STOR STOU APPE) by direction and outcome.") \
	M(DATA_BYTES, "ftpsgw_data_bytes_total", COUNTER, 1, LEG, FLOW, NONE, \
	    NONE, "Bytes on the data connections ftpsgw relays, by leg (the " \
	    "client's connection or the FTP server's) and direction " \
	    "(received or sent by ftpsgw); TLS payload.") \
	M(DATA_REFUSED, "ftpsgw_data_connections_refused_total", COUNTER, 1, \
	    REFUSAL, NONE, NONE, NONE, "Connections to a data port refused: " \
	    "from an address other than the expected one, without the " \
	    "control connection's TLS session, or with a failed or slow TLS " \
	    "handshake.") \
	M(HANDSHAKES, "ftpsgw_tls_handshakes_total", COUNTER, 1, TLS_SIDE, \
	    CHANNEL, HS_KIND, TLS_VERSION, "Completed TLS handshakes by side " \
	    "(with FTP clients or with the FTP server), connection, full or " \
	    "resumed, and protocol version.") \
	M(HANDSHAKE_FAILURES, "ftpsgw_tls_handshake_failures_total", COUNTER, \
	    1, TLS_SIDE, CHANNEL, NONE, NONE, "TLS handshakes that failed or " \
	    "did not finish in time, by side and connection.") \
	M(CT_ADDED, "ftpsgw_conntrack_expectations_added_total", COUNTER, 1, \
	    NONE, NONE, NONE, NONE, "Conntrack expectations programmed for " \
	    "data connections.") \
	M(CT_FAILED, "ftpsgw_conntrack_expectation_failures_total", COUNTER, \
	    1, ERRNO, NONE, NONE, NONE, "Conntrack expectations the kernel " \
	    "refused, by its error.") \
	M(CT_EXPIRED, "ftpsgw_conntrack_expectations_expired_total", COUNTER, \
	    1, NONE, NONE, NONE, NONE, "Expectations whose data connection " \
	    "did not come (or did not prove itself) within data_timeout.") \
	M(BACKEND_CONNECT, "ftpsgw_backend_connect_duration_seconds", \
	    HISTOGRAM, 1000000000, LE, NONE, NONE, NONE, "Time the TCP " \
	    "connection to the FTP server took to come up, per session.") \
	M(BACKEND_FAILURES, "ftpsgw_backend_connect_failures_total", COUNTER, \
	    1, NONE, NONE, NONE, NONE, "TCP connections to the FTP server " \
	    "that failed.") \
	M(BACKEND_STATE, "ftpsgw_backend_state", GAUGE, 1, HEALTH, NONE, NONE, \
	    NONE, "The FTP server as the latest session found it (1 for the " \
	    "current state): up (it greeted), down (unreachable, silent, or " \
	    "its TLS or login preamble failed), unknown (no session yet); " \
	    "with health_check = on, the health checks' verdict.") \
	M(HEALTH_CHECKS, "ftpsgw_health_checks_total", COUNTER, 1, \
	    HEALTH_RESULT, NONE, NONE, NONE, "Health checks of the FTP " \
	    "server (health_check = on) by result: ok, or why it failed.") \
	M(WORKER_BUSY, "ftpsgw_worker_busy_seconds_total", COUNTER, \
	    1000000000, WORKER, NONE, NONE, NONE, "Time each worker's event " \
	    "loop spent handling events rather than waiting for them; its " \
	    "rate is the loop's utilisation (1: saturated).") \
	M(RELOADS, "ftpsgw_certificate_reloads_total", COUNTER, 1, RELOAD, \
	    NONE, NONE, NONE, "Certificate reloads on SIGHUP: loaded, or " \
	    "refused (the certificate in use stays).") \
	M(OPEN_FDS, "process_open_fds", GAUGE, 1, NONE, NONE, NONE, NONE, \
	    "Open file descriptors.") \
	M(MAX_FDS, "process_max_fds", GAUGE, 1, NONE, NONE, NONE, NONE, \
	    "Limit on open file descriptors (RLIMIT_NOFILE).") \
	M(CPU, "process_cpu_seconds_total", COUNTER, 1000000, NONE, NONE, \
	    NONE, NONE, "User and system CPU time spent, all threads.") \
	M(START_TIME, "process_start_time_seconds", GAUGE, 1, NONE, NONE, \
	    NONE, NONE, "Start time of the process, in seconds since the " \
	    "Unix epoch.") \
	M(BUILD_INFO, "ftpsgw_build_info", INFO, 1, NONE, NONE, NONE, NONE, \
	    "The version of ftpsgw and of the OpenSSL library it runs with " \
	    "(the value is always 1).")

/* ---- what the tables become ---- */

#define METRICS_MV_ENUM(d, name, text) MV_##d##_##name,
#define METRICS_DIM_ENUM(d, label) \
	enum { METRICS_VALUES_##d(METRICS_MV_ENUM, d) MV_##d##__N };
METRICS_DIMS(METRICS_DIM_ENUM)
#undef METRICS_DIM_ENUM

enum metrics_dim {
#define METRICS_MD_ENUM(d, label) MD_##d,
	METRICS_DIMS(METRICS_MD_ENUM)
#undef METRICS_MD_ENUM
	MD__N
};

enum metrics_type {
	METRICS_COUNTER, METRICS_GAUGE, METRICS_HISTOGRAM, METRICS_INFO,
	METRICS_HIDDEN
};

/* Slots beyond the labelled values: a histogram's sum. */
#define METRICS_EXTRA_COUNTER	0
#define METRICS_EXTRA_GAUGE	0
#define METRICS_EXTRA_HISTOGRAM	1
#define METRICS_EXTRA_INFO	0
#define METRICS_EXTRA_HIDDEN	0

/* Every metric's first slot (M_<ID>) in the flat array of counters; its
 * slots follow, the last label varying fastest. */
enum metrics_slot {
#define METRICS_SLOT_ENUM(id, name, t, sc, d1, d2, d3, d4, help) \
	M_##id, M_##id##__LAST = M_##id + MV_##d1##__N * MV_##d2##__N * \
	    MV_##d3##__N * MV_##d4##__N + METRICS_EXTRA_##t - 1,
	METRICS_LIST(METRICS_SLOT_ENUM)
#undef METRICS_SLOT_ENUM
	METRICS_SLOTS
};

/* Each metric's index in the table, and its labels' sizes for
 * METRICS_AT. */
enum metrics_id {
#define METRICS_ID_ENUM(id, name, t, sc, d1, d2, d3, d4, help) MI_##id,
	METRICS_LIST(METRICS_ID_ENUM)
#undef METRICS_ID_ENUM
	MI__N
};
#define METRICS_SIZE_ENUM(id, name, t, sc, d1, d2, d3, d4, help) \
	enum { M_##id##__D2 = MV_##d2##__N, M_##id##__D3 = MV_##d3##__N, \
	    M_##id##__D4 = MV_##d4##__N };
METRICS_LIST(METRICS_SIZE_ENUM)
#undef METRICS_SIZE_ENUM

/* The slot of metric ID with label values a, b, c, d (0 for a dimension
 * it does not have), e.g. METRICS_AT(LOGINS, MV_LOGIN_OK, 0, 0, 0). */
#define METRICS_AT(id, a, b, c, d) ((size_t)M_##id + \
	(((size_t)(a) * M_##id##__D2 + (size_t)(b)) * M_##id##__D3 + \
	(size_t)(c)) * M_##id##__D4 + (size_t)(d))
#define METRICS_AT1(id, a)	METRICS_AT(id, a, 0, 0, 0)
#define METRICS_AT2(id, a, b)	METRICS_AT(id, a, b, 0, 0)
/* A histogram's sum follows its buckets. */
#define METRICS_SUM(id)		((size_t)M_##id##__LAST)

_Static_assert(MV_WORKER__N == METRICS_WORKERS_MAX,
    "one worker label value per worker a snapshot has room for");

/* ---- the counters of one writer ---- */

/* FTP servers with a line of their own (CFG_BACKENDS_MAX). */
#define METRICS_BACKENDS_MAX 64

/* The FTP server's health as one writer last saw it (metrics_backend). */
enum metrics_health {
	METRICS_HEALTH_UNKNOWN = MV_HEALTH_UNKNOWN,
	METRICS_HEALTH_UP = MV_HEALTH_UP,
	METRICS_HEALTH_DOWN = MV_HEALTH_DOWN,
};

/* One writer's counters (a worker's, or the main thread's). A zeroed
 * struct is valid: everything 0, health unknown. */
struct metrics {
	_Atomic uint64_t v[METRICS_SLOTS];
	/* (monotonic ms << 2) | enum metrics_health of the writer's latest
	 * finding about the FTP server; 0: none yet. */
	_Atomic uint64_t backend;
};

/* Add n to slot: the writer's thread only. */
static inline void
metrics_add(struct metrics *m, size_t slot, uint64_t n)
{
	uint64_t v = atomic_load_explicit(&m->v[slot], memory_order_relaxed);

	atomic_store_explicit(&m->v[slot], v + n, memory_order_relaxed);
}

static inline void
metrics_inc(struct metrics *m, size_t slot)
{
	metrics_add(m, slot, 1);
}

/* The writer found the FTP server in state h at monotonic time now_ms. */
static inline void
metrics_backend(struct metrics *m, uint64_t now_ms, enum metrics_health h)
{
	atomic_store_explicit(&m->backend, now_ms << 2 | (uint64_t)h,
	    memory_order_relaxed);
}

/* Record a backend connect time of ns nanoseconds in the histogram. */
void metrics_observe_connect(struct metrics *m, uint64_t ns);

/* The ERRNO label value of a positive errno. */
unsigned metrics_errno(int err);

/* ---- a scrape's snapshot ---- */

struct metrics_snap {
	uint64_t v[METRICS_SLOTS];	/* every writer's sum, and the values
					 * the collector sets */
	unsigned n_workers;		/* WORKER label values shown */
	uint64_t backend;		/* the latest finding (see struct
					 * metrics) */
	const char *version;		/* BUILD_INFO's labels: ftpsgw's */
	const char *openssl;		/* ... and OpenSSL's version */
	/* Per FTP server (issue 17), the collector's: its [backend] name
	 * (an admin's bounded word: ftpsgw_backend_health's and
	 * ftpsgw_backend_sessions' label), health and sessions now. */
	size_t n_backends;
	struct metrics_backend_snap {
		const char *name;
		enum metrics_health health;
		uint64_t sessions;
	} be[METRICS_BACKENDS_MAX];
};

/* An empty snapshot: all 0, no worker, health unknown, versions "". */
void metrics_snap_init(struct metrics_snap *s);

/* Add one writer's counters (read with relaxed loads; the writer may go on
 * meanwhile: each counter is read once, whole). */
void metrics_snap_add(struct metrics_snap *s, const struct metrics *m);

/* After the last metrics_snap_add: the values derived from the counters
 * (sessions open, the FTP server's state). */
void metrics_snap_finish(struct metrics_snap *s);

#endif
