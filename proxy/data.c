/* A data channel: its states and their transitions, its deadlines, the pump
 * that drives it, and opening and letting go of it (proxy/data.h). What
 * each connection and port does is in data_listen.c, data_setup.c and
 * data_relay.c (proxy/data_int.h); where they go, in the plan
 * (proxy/data_plan.c).
 *
 * States (dc->state, set only by data_set_state, which refuses any
 * transition data_next[] does not list), with what is armed and the
 * deadline of each:
 *   DS_LISTEN   listener readable; expectation in place.  data_timeout.
 *               -> DS_SETUP (the plan's peer connected), DS_CLOSED
 *   DS_SETUP    the connection we dial and the TLS handshakes run in
 *               parallel.  connect_timeout for the dialled connection and
 *               for each client candidate's handshake.  When the client
 *               connects (passive), the listener stays open (and the
 *               expectation in place) until one connection from the
 *               client's address passes the session-reuse check; an
 *               impostor that fails it is closed and the channel keeps
 *               waiting, until data_timeout from the PASV.
 *               -> DS_RELAY (both ends up), DS_CLOSED (failure)
 *   DS_RELAY    both conns, per direction: read when the buffer has room,
 *               write when it holds bytes.  data_timeout without progress.
 *               -> DS_LINGER (one direction's end delivered), DS_CLOSED
 *   DS_LINGER   end of data delivered (close_notify + FIN sent): the owner's
 *               held reply may go.  Still relaying and answering the peers'
 *               close_notify.  DATA_LINGER_MS.
 *               -> DS_CLOSED (both ends finished, or the timer)
 *   DS_KICK     the client never came, but the server waits for our
 *               connection to its passive port (ProFTPD blocks in accept
 *               and reads no ABOR meanwhile): connect, then reset, so it
 *               gives up and answers.  connect_timeout.  -> DS_CLOSED
 *   DS_KERNEL   data_path = kernel: only a NAT expectation exists; the kernel
 *               forwards the data connection.  data_timeout until a
 *               transfer command owns it, then nothing.  -> DS_CLOSED
 *   DS_CLOSED   every fd closed; freed once the owner released it.
 */
#include "proxy/data.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "proxy/config.h"
#include "proxy/data_int.h"
#include "proxy/limits.h"
#include "proxy/log.h"
#include "proxy/voice.h"

/* How long a finished channel waits for the peers' close_notify / FIN. */
#define DATA_LINGER_MS 3000

/* Released channels still finishing (answering close_notify, or kicking
 * the server) per worker; past this a released channel closes at once, so
 * a flood of tiny transfers whose clients never close their data
 * connections cannot pile up descriptors. Each holds at most two. */
#define DATA_LINGERING_MAX 64

#define DS_BIT(s) (1u << (s))

/* The transitions each state allows (see the table at the top). */
static const unsigned data_next[DS_COUNT] = {
	[DS_LISTEN] = DS_BIT(DS_SETUP) | DS_BIT(DS_CLOSED),
	[DS_SETUP] = DS_BIT(DS_RELAY) | DS_BIT(DS_CLOSED),
	[DS_RELAY] = DS_BIT(DS_LINGER) | DS_BIT(DS_CLOSED),
	[DS_LINGER] = DS_BIT(DS_CLOSED),
	/* A lost passive transfer whose server still waits (data_timeout). */
	[DS_KICK] = DS_BIT(DS_CLOSED),
	[DS_KERNEL] = DS_BIT(DS_CLOSED),
	[DS_CLOSED] = DS_BIT(DS_KICK),
};
/* Every state but DS_CLOSED may close: data_close_all relies on it. */

static const char *const data_state_name[DS_COUNT] = {
	[DS_LISTEN] = "LISTEN", [DS_SETUP] = "SETUP", [DS_RELAY] = "RELAY",
	[DS_LINGER] = "LINGER", [DS_KICK] = "KICK", [DS_KERNEL] = "KERNEL",
	[DS_CLOSED] = "CLOSED",
};

static void data_pump(struct data_chan *dc);
static void data_close_all(struct data_chan *dc);

/*
 * The bytes both connections moved since the last call go to the worker's
 * counters: after each relay step and when the channel closes, so a long
 * transfer shows while it runs. A few subtractions per pass of the pump,
 * which moves up to IO_BUDGET bytes.
 */
static void
data_count_bytes(struct data_chan *dc)
{
	static const size_t slot[4] = {
		METRICS_AT2(DATA_BYTES, MV_LEG_CLIENT, MV_FLOW_RECEIVED),
		METRICS_AT2(DATA_BYTES, MV_LEG_CLIENT, MV_FLOW_SENT),
		METRICS_AT2(DATA_BYTES, MV_LEG_SERVER, MV_FLOW_RECEIVED),
		METRICS_AT2(DATA_BYTES, MV_LEG_SERVER, MV_FLOW_SENT),
	};
	const uint64_t now[4] = { dc->cli.bytes_in, dc->cli.bytes_out,
	    dc->be.bytes_in, dc->be.bytes_out };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (now[i] > dc->counted[i])
			metrics_add(&dc->p.gw->metrics, slot[i],
			    now[i] - dc->counted[i]);
		dc->counted[i] = now[i];
	}
}

/*
 * The one writer of dc->state. A transition the table does not allow is a
 * bug: logged with its context, and the channel is closed (the transfer
 * fails with a 425/426) rather than carried on in a state nobody designed.
 * Returns false then.
 */
static bool
data_set_state(struct data_chan *dc, enum data_state next)
{
	if (dc->state == next)
		return true;
	if (!(data_next[dc->state] & DS_BIT(next))) {
		log_msg(LOG_LVL_ERR, "%s: internal error: data channel on port %u "
		    "cannot go from %s to %s; closing it (please report this)",
		    dc->p.tag, dc->port, data_state_name[dc->state],
		    data_state_name[next]);
		data_note_failure(dc, V_DATA_INTERNAL, true);
		/* Every state may close (data_next): no recursion. */
		if (dc->state != DS_CLOSED)
			data_close_all(dc);
		return false;
	}
	dc->state = next;
	return true;
}

static void
data_reap(struct loop_deferred *d)
{
	struct data_chan *dc = container_of(d, struct data_chan, reap);
	struct gw *gw = dc->p.gw;

	data_port_put(dc);
	list_unlink(&gw->data_chans, &dc->link);
	if (dc->lingering)
		gw->data_lingering--;
	buf_free(&dc->down);
	buf_free(&dc->up);
	free(dc);
	gw_stop_if_done(gw);
}

static void
data_notify(struct loop_deferred *d)
{
	struct data_chan *dc = container_of(d, struct data_chan, notify);

	if (!dc->released && dc->p.on_idle != NULL)
		dc->p.on_idle(dc->p.owner);
}

static void
data_kick(struct loop_deferred *d)
{
	data_pump(container_of(d, struct data_chan, kick));
}

/* The owner's held reply may go now (once). */
static void
data_set_idle(struct data_chan *dc)
{
	if (dc->notified)
		return;
	dc->notified = true;
	loop_defer(dc_loop(dc), &dc->notify);
}

/* Close every fd; the channel is finished (successfully or not). Unless
 * the end of data was delivered (DS_LINGER), the server gets a reset: a
 * server that saw a plain FIN would keep a truncated upload as complete.
 * The client gets a FIN without close_notify (TLS reports truncation) so
 * it can still read our reply on the control connection. */
static void
data_close_all(struct data_chan *dc)
{
	data_count_bytes(dc);
	data_listen_close(dc);
	data_expect_del(dc);
	data_setup_close(dc);
	conn_close(dc_loop(dc), &dc->cli);
	if (dc->state == DS_LINGER)
		conn_close(dc_loop(dc), &dc->be);
	else
		conn_reset(dc_loop(dc), &dc->be);
	loop_timer_cancel(dc_loop(dc), &dc->timer);
	loop_timer_cancel(dc_loop(dc), &dc->nudge);
	data_port_put(dc);
	(void)data_set_state(dc, DS_CLOSED);
	data_set_idle(dc);
	if (dc->released)
		loop_defer(dc_loop(dc), &dc->reap);
}

/* Fail the channel for why (see data_note_failure) and close it. */
static void
data_fail(struct data_chan *dc, enum voice why, bool ours)
{
	data_note_failure(dc, why, ours);
	data_close_all(dc);
}

/* The transfer is lost, but the server still waits for us: see DS_KICK. */
static void
data_kick_backend(struct data_chan *dc)
{
	if (data_connect(&dc->be, &dc->p.plan.dial, &dc->p.plan.dial_from,
	    dc->p.plan.transparent) < 0 ||
	    !data_set_state(dc, DS_KICK))
		return;
	conn_arm(dc_loop(dc), &dc->be, false, false);
	loop_timer_set(dc_loop(dc), &dc->timer,
	    (uint64_t)dc->p.gw->cfg->connect_timeout * 1000u);
}

static void
data_kick_done(struct data_chan *dc)
{
	conn_reset(dc_loop(dc), &dc->be);
	loop_timer_cancel(dc_loop(dc), &dc->timer);
	loop_timer_cancel(dc_loop(dc), &dc->nudge);
	(void)data_set_state(dc, DS_CLOSED);
	if (dc->released)
		loop_defer(dc_loop(dc), &dc->reap);
}

static void
data_timeout(struct loop_timer *t)
{
	struct data_chan *dc = container_of(t, struct data_chan, timer);
	const struct config *cfg = dc->p.gw->cfg;

	switch (dc->state) {
	case DS_LISTEN:
		log_msg(LOG_LVL_INFO, "%s: no data connection to port %u within "
		    "data_timeout (%u s); if the %s did try, its packets did "
		    "not reach ftpsgw: %s", dc->p.tag, dc->port,
		    cfg->data_timeout, data_side_name(dc->p.plan.accepts),
		    voice_advice(V_DATA_TIMEOUT));
		data_expect_expired(dc);
		data_fail(dc, V_DATA_TIMEOUT, true);
		if (data_client_connects(dc) && dc->transfer)
			data_kick_backend(dc);
		break;
	case DS_SETUP:
		if (data_setup_deadline(dc) == SETUP_FAILED)
			data_close_all(dc);
		break;
	case DS_RELAY: {
		uint64_t idle = loop_now(dc_loop(dc)) - dc->last_progress;
		uint64_t limit = (uint64_t)cfg->data_timeout * 1000u;

		if (idle < limit) {
			loop_timer_set(dc_loop(dc), &dc->timer, limit - idle);
			break;
		}
		log_msg(LOG_LVL_INFO, "%s: data transfer stalled for data_timeout "
		    "(%u s); aborting it", dc->p.tag, cfg->data_timeout);
		data_fail(dc, V_DATA_STALLED, true);
		break;
	}
	case DS_LINGER:
		data_close_all(dc);
		break;
	case DS_KICK:
		data_kick_done(dc);
		break;
	case DS_KERNEL:
		if (dc->transfer)
			break;	/* the kernel has it; the server reports */
		log_msg(LOG_LVL_INFO, "%s: port %u was not used within "
		    "data_timeout (%u s); its expectation is removed", dc->p.tag,
		    dc->port, cfg->data_timeout);
		data_expect_expired(dc);
		data_close_all(dc);
		break;
	case DS_CLOSED:
	case DS_COUNT:
		break;
	}
}

/* Both ends are up: relay, under data_timeout without progress. */
static void
data_start_relay(struct data_chan *dc)
{
	if (!data_set_state(dc, DS_RELAY))
		return;
	dc->last_progress = loop_now(dc_loop(dc));
	loop_timer_set(dc_loop(dc), &dc->timer,
	    (uint64_t)dc->p.gw->cfg->data_timeout * 1000u);
	if (log_enabled(LOG_LVL_DEBUG)) {
		char a[96], b[96];

		log_msg(LOG_LVL_DEBUG, "%s: data relay on port %u: client %s, "
		    "server %s", dc->p.tag, dc->port, dc->cli.ssl ?
		    tls_describe(dc->cli.ssl, a, sizeof(a)) : "clear",
		    dc->be.ssl ? tls_describe(dc->be.ssl, b, sizeof(b)) :
		    "clear");
	}
}

/* One direction's end is delivered: the owner's held reply may go. */
static void
data_delivered(struct data_chan *dc)
{
	if (!data_set_state(dc, DS_LINGER))
		return;
	dc->delivered = true;
	loop_timer_set(dc_loop(dc), &dc->timer, DATA_LINGER_MS);
	log_msg(LOG_LVL_DEBUG, "%s: data on port %u done: %llu bytes to the "
	    "client, %llu to the server", dc->p.tag, dc->port,
	    (unsigned long long)dc->cli.bytes_out,
	    (unsigned long long)dc->be.bytes_out);
	data_set_idle(dc);
}

static void
data_pump(struct data_chan *dc)
{
	bool progress = false;

	if (dc->state == DS_KICK) {
		if (conn_finish_connect(&dc->be) != IO_AGAIN)
			data_kick_done(dc);
		return;
	}
	if (dc->state == DS_SETUP) {
		switch (data_setup_step(dc)) {
		case SETUP_FAILED:
			data_close_all(dc);
			return;
		case SETUP_WAIT:
			break;
		case SETUP_READY:
			data_start_relay(dc);
			break;
		}
	}
	if (dc->state == DS_RELAY || dc->state == DS_LINGER) {
		enum data_relay_result r = data_relay_step(dc, &progress);

		data_count_bytes(dc);
		if (r == RELAY_FAILED) {
			data_close_all(dc);
			return;
		}
		if (progress)
			dc->last_progress = loop_now(dc_loop(dc));
		if (r != RELAY_MOVING && dc->state == DS_RELAY)
			data_delivered(dc);
		if (r == RELAY_FINISHED) {
			data_close_all(dc);
			return;
		}
	}
	if (dc->state != DS_CLOSED)
		data_relay_arm(dc, dc->state == DS_RELAY ||
		    dc->state == DS_LINGER);
}

static void
data_nudge(struct loop_timer *t)
{
	struct data_chan *dc = container_of(t, struct data_chan, nudge);

	data_relay_nudge(dc);
	data_pump(dc);
}

static void
data_on_cli(struct loop_ev *ev, uint32_t events)
{
	struct data_chan *dc = container_of(ev, struct data_chan, cli.ev);

	conn_events(&dc->cli, events);
	data_pump(dc);
}

static void
data_on_be(struct loop_ev *ev, uint32_t events)
{
	struct data_chan *dc = container_of(ev, struct data_chan, be.ev);

	conn_events(&dc->be, events);
	data_pump(dc);
}

static void
data_on_cand(struct loop_ev *ev, uint32_t events)
{
	struct data_cand *k = container_of(ev, struct data_cand, c.ev);

	conn_events(&k->c, events);
	data_pump(k->dc);
}

/* The plan's peer connected: the server (active), or a connection from
 * the client's address (passive) that must still prove itself. */
static void
data_on_listen(struct loop_ev *ev, uint32_t events)
{
	struct data_chan *dc = container_of(ev, struct data_chan, lst);
	unsigned n;

	(void)events;
	for (n = 0; n < 8 && dc->lst.fd >= 0; n++) {
		struct net_addr peer;
		int fd = data_listen_accept(dc, &peer);
		bool ok;

		if (fd == DATA_ACCEPT_NONE)
			return;
		if (fd == DATA_ACCEPT_REFUSED)
			continue;
		if (!data_set_state(dc, DS_SETUP)) {
			close(fd);
			return;
		}
		ok = data_client_connects(dc) ?
		    data_setup_client_arrived(dc, fd, &peer) :
		    data_setup_server_arrived(dc, fd);
		if (!ok) {
			data_close_all(dc);
			return;
		}
		data_pump(dc);
		if (!data_client_connects(dc))
			return;
	}
}

struct data_chan *
data_open(const struct data_params *p, uint16_t *port_out,
    const char **reply_out)
{
	struct data_chan *dc = calloc(1, sizeof(*dc));
	size_t i;

	if (dc == NULL) {
		*reply_out = voice_line(V_OUT_OF_MEMORY);
		return NULL;
	}
	dc->p = *p;
	dc->fail = V_COUNT;
	dc->refusal = V_COUNT;
	snprintf(dc->tag, sizeof(dc->tag), "%s", p->tag);
	dc->p.tag = dc->tag;
	loop_ev_init(&dc->lst, data_on_listen);
	conn_init(&dc->cli, data_on_cli);
	conn_init(&dc->be, data_on_be);
	for (i = 0; i < DATA_CANDIDATES; i++) {
		conn_init(&dc->cand[i].c, data_on_cand);
		dc->cand[i].dc = dc;
	}
	buf_init(&dc->down, DATA_BUF_SIZE);
	buf_init(&dc->up, DATA_BUF_SIZE);
	loop_timer_init(&dc->timer, data_timeout);
	loop_timer_init(&dc->nudge, data_nudge);
	dc->kick.cb = data_kick;
	dc->notify.cb = data_notify;
	dc->reap.cb = data_reap;
	if (p->plan.kernel) {
		dc->state = DS_KERNEL;
		if (data_expect_kernel(dc, reply_out) < 0)
			goto fail;
	} else {
		dc->state = DS_LISTEN;
		if (data_listen_open(dc, reply_out) < 0 ||
		    data_expect_add(dc, reply_out) < 0)
			goto fail;
		if (loop_arm(dc_loop(dc), &dc->lst, EPOLLIN) < 0) {
			*reply_out = voice_line(V_PASSIVE_PORT);
			goto fail;
		}
	}
	dc->listen_deadline = loop_now(dc_loop(dc)) +
	    (uint64_t)p->gw->cfg->data_timeout * 1000u;
	loop_timer_set(dc_loop(dc), &dc->timer,
	    (uint64_t)p->gw->cfg->data_timeout * 1000u);
	list_push(&p->gw->data_chans, &dc->link);
	*port_out = dc->port;
	return dc;
fail:
	data_expect_del(dc);
	data_listen_close(dc);
	data_port_put(dc);
	free(dc);
	return NULL;
}

void
data_transfer_started(struct data_chan *dc)
{
	dc->transfer = true;
}

bool
data_busy(const struct data_chan *dc)
{
	return dc->state == DS_SETUP || dc->state == DS_RELAY;
}

bool
data_usable(const struct data_chan *dc)
{
	return dc->state != DS_CLOSED && dc->state != DS_KICK;
}

bool
data_kernel(const struct data_chan *dc)
{
	return dc->p.plan.kernel;
}

bool
data_connected(const struct data_chan *dc)
{
	if (dc->state == DS_KERNEL)
		return dc->transfer;
	return dc->state != DS_LISTEN;
}

const char *
data_failure(const struct data_chan *dc, unsigned backend_code)
{
	/* The server's own error says more about its side (a refused APPE,
	 * a full disk); its success claim would be false. */
	if (dc->fail == V_COUNT || (!dc->fail_ours && backend_code >= 300))
		return NULL;
	return voice_line(dc->fail);
}

enum voice
data_failure_reason(const struct data_chan *dc)
{
	return dc->fail;
}

bool
data_ended_cleanly(const struct data_chan *dc)
{
	if (dc->p.plan.kernel)
		return dc->transfer;
	return dc->delivered;
}

void
data_counts(const struct data_chan *dc, uint64_t *to_client,
    uint64_t *to_server)
{
	*to_client = dc->cli.bytes_out;
	*to_server = dc->be.bytes_out;
}

void
data_release(struct data_chan *dc)
{
	if (dc == NULL)
		return;
	dc->released = true;
	if (dc->state == DS_LINGER || dc->state == DS_KICK) {
		struct gw *gw = dc->p.gw;

		if (gw->data_lingering < DATA_LINGERING_MAX) {
			gw->data_lingering++;
			dc->lingering = true;
			return;	/* finishes on its own, bounded by its timer */
		}
		/* SECURITY: the transfer is complete (or lost); only the
		 * courtesy of a clean close is cut short. */
		log_msg(LOG_LVL_DEBUG, "%s: %u released data channels still "
		    "closing; closing this one at once", dc->p.tag,
		    gw->data_lingering);
		if (dc->state == DS_KICK) {
			data_kick_done(dc);
			return;
		}
	}
	if (dc->state != DS_CLOSED)
		data_close_all(dc);
	else
		loop_defer(dc_loop(dc), &dc->reap);
}

void
data_abort(struct data_chan *dc)
{
	if (dc == NULL)
		return;
	dc->released = true;
	if (dc->state == DS_KICK) {
		data_kick_done(dc);
		return;
	}
	if (dc->state != DS_CLOSED)
		data_close_all(dc);
	else
		loop_defer(dc_loop(dc), &dc->reap);
}

void
data_abort_all(struct gw *gw)
{
	struct list_link *l;

	/* Reaping is deferred: the list stays whole during the walk. */
	for (l = gw->data_chans; l != NULL; l = l->next) {
		struct data_chan *dc = container_of(l, struct data_chan, link);

		if (!(dc->released && dc->state == DS_CLOSED))
			data_abort(dc);
	}
}
