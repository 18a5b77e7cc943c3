/* The live status page's snapshot (GET / and /status.json on
 * metrics_listen, `ftpsgw --status`): the sessions each worker listed in
 * its own loop, the FTP servers and their health, and the recent
 * refusals. Plain fixed-size records, so a worker fills its part without
 * allocating and the main thread reads it without a lock once the worker
 * said it is done (proxy/status_collect.h). The refusals' ring is here
 * too. Pure: no I/O. */
#ifndef FTPSGW_PROXY_STATUS_H
#define FTPSGW_PROXY_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest address text kept: "[v6 address]:port" (NETADDR_STRLEN). */
#define STATUS_ADDR_MAX		56
/* Bytes kept of a user name and of a file name (peer bytes, cut). */
#define STATUS_USER_MAX		64
#define STATUS_FILE_MAX		128
/* Sessions one worker lists at most (more are counted, not listed). */
#define STATUS_SESSIONS_MAX	1000
/* Workers a snapshot has room for (as the metrics: METRICS_WORKERS_MAX). */
#define STATUS_WORKERS_MAX	64
/* FTP servers a snapshot has room for. */
#define STATUS_BACKENDS_MAX	64	/* CFG_BACKENDS_MAX */
/* Refusals remembered (the newest; older ones are forgotten). */
#define STATUS_REFUSALS_MAX	50
/* Longest reason of a refusal kept, in the log's words. */
#define STATUS_REASON_MAX	160

/* What a session is doing, as the page says it (status_state_text). */
enum status_state {
	STATUS_ST_HANDSHAKE,	/* TLS with the client under way */
	STATUS_ST_CONNECTING,	/* connecting to / greeting the server */
	STATUS_ST_LOGIN,	/* not logged in yet */
	STATUS_ST_IDLE,		/* logged in, nothing under way */
	STATUS_ST_DATA,		/* a data channel open (a listing, or
				 * waiting for the transfer command) */
	STATUS_ST_DOWNLOAD,	/* RETR under way */
	STATUS_ST_UPLOAD,	/* STOR, APPE or STOU under way */
	STATUS_ST_CLOSING,	/* ending */
	STATUS_ST__N
};

/* One session, as its worker saw it. Strings are NUL-terminated texts
 * written by ftpsgw, except user and file: peer bytes (any byte, NUL
 * included), user_len and file_len long, escaped only by the renderers. */
struct status_sess {
	uint64_t id;			/* the log's "#12" */
	char client[STATUS_ADDR_MAX];	/* "203.0.113.10:40000" */
	char listener[STATUS_ADDR_MAX];	/* the address it connected to */
	bool implicit;			/* listen_implicit, else listen */
	unsigned worker;
	enum status_state state;
	char user[STATUS_USER_MAX];	/* logged in as (empty: nobody) */
	size_t user_len;
	bool anonymous;			/* user is an anonymous login's
					 * address, as the xferlog names it */
	uint64_t age_ms;		/* since it connected */
	/* The file transfer under way (DOWNLOAD, UPLOAD): */
	char file[STATUS_FILE_MAX];
	size_t file_len;
	uint64_t xfer_bytes;		/* so far */
	uint64_t xfer_ms;		/* since its command */
	uint64_t data_down, data_up;	/* the session's data bytes so far */
};

/* One worker's answer. */
struct status_part {
	bool answered;			/* false: it did not answer in time */
	const struct status_sess *sess;
	size_t n;			/* listed */
	size_t open;			/* open (n < open: the rest unlisted) */
};

/* The FTP server's health, as the metrics say it (ftpsgw_backend_state). */
enum status_health {
	STATUS_HEALTH_UNKNOWN,		/* no session reached it yet */
	STATUS_HEALTH_UP,		/* the latest session it greeted */
	STATUS_HEALTH_DOWN,		/* the latest session failed to reach it */
};

struct status_backend {
	char name[STATUS_ADDR_MAX + 8];	/* backend = as configured */
	char addr[STATUS_ADDR_MAX];	/* its resolved address and port */
	enum status_health health;
	uint64_t checked_ms_ago;	/* since that finding (health known) */
};

struct status_refusal {
	uint64_t when;			/* Unix time, s */
	char client[STATUS_ADDR_MAX];	/* the address refused */
	char reason[STATUS_REASON_MAX];	/* the log's words, NUL-terminated */
};

/* The refusals' ring: the newest STATUS_REFUSALS_MAX. Callers lock. */
struct status_ring {
	struct status_refusal r[STATUS_REFUSALS_MAX];
	size_t next;			/* where the next one goes */
	size_t n;			/* held (<= STATUS_REFUSALS_MAX) */
	uint64_t total;			/* ever pushed */
};

/* A whole page's worth. Pointers are borrowed for the rendering. */
struct status_snap {
	uint64_t now;			/* Unix time, s, of the snapshot */
	const char *version;		/* ftpsgw's */
	unsigned n_workers;
	struct status_part part[STATUS_WORKERS_MAX];
	struct status_backend backend[STATUS_BACKENDS_MAX];
	size_t n_backends;
	struct status_refusal refusal[STATUS_REFUSALS_MAX];	/* newest first */
	size_t n_refusals;
	uint64_t refusals_total;	/* since start (more than listed) */
};

/* Remember one refusal (reason cut to fit); the oldest goes when full. */
void status_ring_push(struct status_ring *ring, uint64_t when,
    const char *client, const char *reason);

/* Copy the ring into s, newest first. */
void status_ring_copy(const struct status_ring *ring, struct status_snap *s);

/* The state in words ("downloading"); "?" for a value out of range. */
const char *status_state_text(enum status_state st);

/* The health in words ("up", "down", "unknown"). */
const char *status_health_text(enum status_health h);

/* A transfer's average rate in bytes per second since its start (0 before
 * a whole millisecond went by). */
uint64_t status_rate(uint64_t bytes, uint64_t ms);

/* Room status_fmt_bytes and status_fmt_duration need. */
#define STATUS_FMT_MAX 32

/* v bytes in binary units with one decimal, then suffix: "1.5 MiB/s",
 * "512 B" (suffix at most 4 bytes). Returns buf. */
const char *status_fmt_bytes(char *buf, size_t cap, uint64_t v,
    const char *suffix);

/* A duration of ms as "2h03m", "4m05s", "7s". Returns buf. */
const char *status_fmt_duration(char *buf, size_t cap, uint64_t ms);

#endif
