/* Internals of one data channel, shared by its files, each with one job:
 *   data.c         the channel: its states and their transitions, deadlines,
 *                  the pump, opening and letting go (proxy/data.h)
 *   data_listen.c  the port: listening, the peer-address check, the
 *                  conntrack expectation
 *   data_setup.c   the two connections coming up: dialling, the TLS
 *                  handshakes, the session-reuse policy
 *   data_relay.c   moving the bytes and the end of data across
 * data.c calls the other three, and data_setup.c closes the port through
 * data_listen.c once the client's connection proved itself; nothing calls
 * back up: a failure is recorded with data_note_failure and returned, and
 * data.c closes the channel. Not for other modules: they use proxy/data.h. */
#ifndef FTPSGW_PROXY_DATA_INT_H
#define FTPSGW_PROXY_DATA_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "proxy/buf.h"
#include "proxy/conn.h"
#include "proxy/data.h"
#include "proxy/worker_ctx.h"
#include "proxy/log.h"
#include "proxy/loop.h"
#include "proxy/netaddr.h"
#include "proxy/voice.h"

/* Passive connections from the client's address handshaking at once. The
 * rightful client needs one; the rest only lets it in beside impostors. */
#define DATA_CANDIDATES 4

/* See the table in data.c. */
enum data_state {
	DS_LISTEN, DS_SETUP, DS_RELAY, DS_LINGER, DS_KICK, DS_KERNEL, DS_CLOSED,
	DS_COUNT
};

struct data_chan;

/* A passive data connection from the client's address that has not yet
 * shown it belongs to this control connection (the session-reuse check). */
struct data_cand {
	struct conn c;			/* fd -1: free slot */
	struct data_chan *dc;
	struct net_addr peer;
	uint64_t deadline;		/* its TLS handshake must be done by then */
};

struct data_chan {
	struct data_params p;
	char tag[NETADDR_STRLEN + 24];	/* p.tag points here: a released
					 * channel may outlive its session */
	enum data_state state;		/* only data_set_state writes it */
	struct loop_ev lst;		/* the listener (relay path) */
	struct conn cli, be;		/* the client's side and the server's;
					 * a connection accepted from the
					 * client only once it proved itself */
	struct data_cand cand[DATA_CANDIDATES];
	uint64_t listen_deadline;	/* data_timeout after the PASV/PORT */
	uint64_t setup_deadline;	/* the connection we dial (and its
					 * handshake) must be up by then */
	enum voice refusal;		/* why the last candidate was refused
					 * (V_COUNT: none was) */
	struct buf down, up;		/* server->client, client->server */
	struct loop_timer timer;
	struct loop_timer nudge;	/* reads bytes below a coalescing
					 * conn's SO_RCVLOWAT (data_relay_arm) */
	struct loop_deferred kick;	/* re-run the pump outside epoll */
	struct loop_deferred notify;	/* tell the owner it is no longer busy */
	struct loop_deferred reap;	/* free */
	uint64_t last_progress;
	uint64_t counted[4];		/* bytes already in the worker's
					 * counters (data_count_bytes) */
	bool ct_added;
	uint32_t ct_id;			/* the kernel's identity of it (0: unknown) */
	bool transfer;			/* a transfer command owns it */
	bool delivered;			/* the end of data was delivered
					 * (DS_LINGER reached) */
	bool released;			/* the owner let go */
	bool lingering;			/* counted in gw->data_lingering */
	bool notified;			/* on_idle delivered (or owner gone) */
	enum voice fail;		/* why it failed: the reply the client
					 * gets (V_COUNT: it did not fail) */
	bool fail_ours;			/* the failure is better explained by
					 * fail than by the server */
	uint16_t port;
	bool port_held;			/* port came from gw_port_next and
					 * goes back once (data_port_put) */
	struct list_link link;		/* gw->data_chans */
};

static inline struct loop *
dc_loop(const struct data_chan *dc)
{
	return dc->p.gw->loop;
}

/* The connection of a side: the client's or the server's. */
static inline struct conn *
data_conn(struct data_chan *dc, enum data_side side)
{
	return side == DATA_SIDE_CLIENT ? &dc->cli : &dc->be;
}

/* The side ftpsgw dials: the one that does not connect to our port. */
static inline enum data_side
data_dialled_side(const struct data_chan *dc)
{
	return dc->p.plan.accepts == DATA_SIDE_CLIENT ? DATA_SIDE_SERVER :
	    DATA_SIDE_CLIENT;
}

/* True when the client connects to our port (passive mode). */
static inline bool
data_client_connects(const struct data_chan *dc)
{
	return dc->p.plan.accepts == DATA_SIDE_CLIENT;
}

/* Record why the channel fails (the first reason counts; none once the end
 * of data was delivered: the transfer stands): why is the reply the client
 * gets (proxy/voice.h) and names the cause for the transfer's outcome
 * (proxy/xfer.c). ours: the reason is on the client's side or ftpsgw's (no
 * session reuse, client TLS failure, time limits), which the server's
 * reply cannot explain (see data_failure). The caller then returns its
 * failure to data.c, which closes the channel. */
static inline void
data_note_failure(struct data_chan *dc, enum voice why, bool ours)
{
	if (dc->fail != V_COUNT || dc->state == DS_LINGER)
		return;
	dc->fail = why;
	dc->fail_ours = ours;
}

/* Log an I/O failure on side's connection c. */
static inline void
data_log_io_error(const struct data_chan *dc, const char *side,
    const struct conn *c)
{
	log_msg(LOG_LVL_INFO, "%s: %s data connection: %s%s%s", dc->p.tag, side,
	    c->err_text ? c->err_text : "error", c->ssl_err[0] ? ": " : "",
	    c->ssl_err);
}

/* data_listen.c */
/* Listen on plan.listen at a port from the pool; *reply on failure. */
int data_listen_open(struct data_chan *dc, const char **reply);
void data_listen_close(struct data_chan *dc);
/* Accept one connection from the listener: its fd (and *peer) if it came
 * from plan.peer; DATA_ACCEPT_REFUSED if it came from anywhere else (closed
 * and logged); DATA_ACCEPT_NONE when none is waiting. */
#define DATA_ACCEPT_NONE	(-1)
#define DATA_ACCEPT_REFUSED	(-2)
int data_listen_accept(struct data_chan *dc, struct net_addr *peer);
/* Program the plan's expectation for dc->port (relay path); *reply on a
 * failure that must stop the channel (conntrack = on). */
int data_expect_add(struct data_chan *dc, const char **reply);
/* data_path = kernel: reserve a port by its expectation alone. */
int data_expect_kernel(struct data_chan *dc, const char **reply);
void data_expect_del(struct data_chan *dc);
/* Its deadline passed and the expectation was never used: counted as
 * expired (nothing when none is in place). The caller then closes. */
void data_expect_expired(struct data_chan *dc);
/* Give the channel's port back to the pool (once). */
void data_port_put(struct data_chan *dc);

/* data_setup.c */
/* Start a nonblocking connection of c to `to`, from `from` if its family
 * is set (with IP_TRANSPARENT if transparent: from the client's address). */
int data_connect(struct conn *c, const struct net_addr *to,
    const struct net_addr *from, bool transparent);
/* The client side's connection (passive: a candidate) came: false when
 * the channel failed. */
bool data_setup_client_arrived(struct data_chan *dc, int fd,
    const struct net_addr *peer);
/* The server's connection came (active): false when the channel failed. */
bool data_setup_server_arrived(struct data_chan *dc, int fd);
enum data_setup_result { SETUP_FAILED, SETUP_WAIT, SETUP_READY };
/* Drive connects, handshakes and the session-reuse check. */
enum data_setup_result data_setup_step(struct data_chan *dc);
/* A setup deadline passed: SETUP_FAILED ends the channel. */
enum data_setup_result data_setup_deadline(struct data_chan *dc);
void data_setup_close(struct data_chan *dc);

/* data_relay.c */
enum data_relay_result {
	RELAY_FAILED,		/* the transfer is lost */
	RELAY_MOVING,		/* bytes or ends still to carry */
	RELAY_DELIVERED,	/* one direction's end delivered: done */
	RELAY_FINISHED,		/* both ends closed cleanly */
};
/* progress: set when bytes moved or an end was carried. */
enum data_relay_result data_relay_step(struct data_chan *dc, bool *progress);
/* Arm the relay's events (and the kick for bytes OpenSSL holds, and the
 * nudge for bytes a coalescing conn's socket holds back). */
void data_relay_arm(struct data_chan *dc, bool relay);
/* The nudge's timer: read what the coalescing conns hold. */
void data_relay_nudge(struct data_chan *dc);

#endif
