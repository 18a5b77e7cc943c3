/* The data channel state machine: passive listener, client and backend data
 * connections with their TLS handshakes, relay, and ordered end of data.
 *
 * States (dc->state), with what is armed and the deadline of each:
 *   DS_LISTEN   listener readable; expectation in place.  data_timeout.
 *               -> DS_SETUP (client connected), DS_CLOSED (timeout/failure)
 *   DS_SETUP    client TLS accept and backend connect + TLS connect run in
 *               parallel.  connect_timeout for the backend and for each
 *               client candidate's handshake.  Passive: the listener stays
 *               open (and the expectation in place) until one connection
 *               from the client's address passes the session-reuse check;
 *               an impostor that fails it is closed and the channel keeps
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
 *               forwards the data connection (client to backend, or the
 *               backend's to the client in active mode).  data_timeout
 *               until a transfer command owns it, then nothing.
 *               -> DS_CLOSED (timeout, release)
 *   DS_CLOSED   every fd closed; freed once the owner released it.
 */
#include "proxy/data.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "proxy/buf.h"
#include "proxy/config.h"
#include "proxy/conn.h"
#include "proxy/gw.h"
#include "proxy/limits.h"
#include "proxy/log.h"
#include "proxy/loop.h"
#include "proxy/netaddr.h"
#include "proxy/tls.h"
#include "proxy/voice.h"

/* How long a finished channel waits for the peers' close_notify / FIN. */
#define DATA_LINGER_MS 3000

/* Released channels still finishing (answering close_notify, or kicking
 * the server) per worker; past this a released channel closes at once, so
 * a flood of tiny transfers whose clients never close their data
 * connections cannot pile up descriptors. Each holds at most two. */
#define DATA_LINGERING_MAX 64

/* Passive connections from the client's address handshaking at once. The
 * rightful client needs one; the rest only lets it in beside impostors. */
#define DATA_CANDIDATES 4

enum data_state {
	DS_LISTEN, DS_SETUP, DS_RELAY, DS_LINGER, DS_KICK, DS_KERNEL, DS_CLOSED
};

struct data_chan;

/* A passive data connection from the client's address that has not yet
 * shown it belongs to this control connection (the session-reuse check). */
struct data_cand {
	struct conn c;			/* fd -1: free slot */
	struct data_chan *dc;
	struct ftp_addr peer;
	uint64_t deadline;		/* its TLS handshake must be done by then */
};

struct data_chan {
	struct data_params p;
	char tag[NETADDR_STRLEN + 24];	/* p.tag points here: a released
					 * channel may outlive its session */
	enum data_state state;
	struct loop_ev lst;		/* passive listener */
	struct conn cli, be;		/* cli: passive, only once verified */
	struct data_cand cand[DATA_CANDIDATES];
	uint64_t listen_deadline;	/* passive: data_timeout after the PASV */
	uint64_t setup_deadline;	/* the connection we dial (and, active,
					 * the client's handshake) must be up */
	const char *refusal;		/* why the last candidate was refused */
	struct buf down, up;		/* backend->client, client->backend */
	struct loop_timer timer;
	struct loop_deferred kick;	/* re-run the pump outside epoll */
	struct loop_deferred notify;	/* tell the owner it is no longer busy */
	struct loop_deferred reap;	/* free */
	uint64_t last_progress;
	bool ct_added;
	struct ct_tuple ct_expect;
	uint32_t ct_id;			/* the kernel's identity of it (0: unknown) */
	bool transfer;			/* a transfer command owns it */
	bool released;			/* the owner let go */
	bool lingering;			/* counted in gw->data_lingering */
	bool notified;			/* on_idle delivered (or owner gone) */
	const char *fail_reply;		/* static; set on failure */
	bool fail_ours;			/* the failure is better explained by
					 * fail_reply than by the server */
	uint16_t port;
	bool port_held;			/* port came from gw_port_next and
					 * goes back once (data_port_put) */
	struct list_link link;		/* gw->data_chans */
};

static void data_pump(struct data_chan *dc);
static void data_on_cli(struct loop_ev *ev, uint32_t events);
static void data_on_be(struct loop_ev *ev, uint32_t events);
static void data_on_cand(struct loop_ev *ev, uint32_t events);

static struct loop *
dc_loop(const struct data_chan *dc)
{
	return dc->p.gw->loop;
}

/* Give the channel's port back to the pool (once; its sockets are closed). */
static void
data_port_put(struct data_chan *dc)
{
	if (!dc->port_held)
		return;
	dc->port_held = false;
	gw_port_release(dc->p.gw, dc->port);
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

static void
data_ct_del(struct data_chan *dc)
{
	int err;

	if (!dc->ct_added)
		return;
	dc->ct_added = false;
	/* SECURITY: by identity: the tuple may belong to another session's
	 * expectation by now (same client, same port after ours was used). */
	err = ct_expect_del_id(dc->p.gw->ct, &dc->ct_expect, dc->ct_id);
	/* ENOENT: the kernel consumed it when the data connection came. */
	if (err < 0 && err != -ENOENT)
		log_msg(LOG_LVL_INFO, "%s: removing the conntrack expectation "
		    "for port %u failed: %s", dc->p.tag, dc->port,
		    strerror(-err));
}

static void
data_close_listener(struct data_chan *dc)
{
	if (dc->lst.fd >= 0) {
		loop_forget(dc_loop(dc), &dc->lst);
		close(dc->lst.fd);
		dc->lst.fd = -1;
	}
}

/* Close every fd; the channel is finished (successfully or not). Unless
 * the end of data was delivered (DS_LINGER), the backend gets a reset: a
 * server that saw a plain FIN would keep a truncated upload as complete.
 * The client gets a FIN without close_notify (TLS reports truncation) so
 * it can still read our reply on the control connection. */
static void data_cands_close(struct data_chan *dc);

static void
data_close_all(struct data_chan *dc)
{
	data_close_listener(dc);
	data_ct_del(dc);
	data_cands_close(dc);
	conn_close(dc_loop(dc), &dc->cli);
	if (dc->state == DS_LINGER)
		conn_close(dc_loop(dc), &dc->be);
	else
		conn_reset(dc_loop(dc), &dc->be);
	loop_timer_cancel(dc_loop(dc), &dc->timer);
	data_port_put(dc);
	dc->state = DS_CLOSED;
	data_set_idle(dc);
	if (dc->released)
		loop_defer(dc_loop(dc), &dc->reap);
}

/* Fail the channel; reply is offered to the client instead of the
 * backend's final reply (see data_failure). */
static void
data_fail(struct data_chan *dc, const char *reply)
{
	/* Once the end of data was delivered the transfer stands; a peer
	 * that then closes roughly changes nothing. */
	if (dc->fail_reply == NULL && dc->state != DS_LINGER)
		dc->fail_reply = reply;
	data_close_all(dc);
}

/* Fail for a reason on the client's side or ours (no session reuse, client
 * TLS failure, time limits): the server's reply cannot explain it. */
static void
data_fail_ours(struct data_chan *dc, const char *reply)
{
	if (dc->fail_reply == NULL && dc->state != DS_LINGER)
		dc->fail_ours = true;
	data_fail(dc, reply);
}

static int data_connect(struct conn *c, const struct ftp_addr *to,
    const struct ftp_addr *from);

/* The transfer is lost, but the server still waits for us: see DS_KICK. */
static void
data_kick_backend(struct data_chan *dc)
{
	if (data_connect(&dc->be, &dc->p.backend, NULL) < 0)
		return;
	dc->state = DS_KICK;
	conn_arm(dc_loop(dc), &dc->be, false, false);
	loop_timer_set(dc_loop(dc), &dc->timer,
	    (uint64_t)dc->p.gw->cfg->connect_timeout * 1000u);
}

static void
data_kick_done(struct data_chan *dc)
{
	conn_reset(dc_loop(dc), &dc->be);
	loop_timer_cancel(dc_loop(dc), &dc->timer);
	dc->state = DS_CLOSED;
	if (dc->released)
		loop_defer(dc_loop(dc), &dc->reap);
}

static void data_setup_timeout(struct data_chan *dc);

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
		    cfg->data_timeout, dc->p.active ? "FTP server" : "client",
		    voice_advice(V_DATA_TIMEOUT));
		data_fail_ours(dc, voice_line(V_DATA_TIMEOUT));
		if (!dc->p.active && dc->transfer)
			data_kick_backend(dc);
		break;
	case DS_SETUP:
		data_setup_timeout(dc);
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
		data_fail_ours(dc, voice_line(V_DATA_STALLED));
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
		data_close_all(dc);
		break;
	case DS_CLOSED:
		break;
	}
}

static int
data_socket(int family)
{
	return socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
}

/* Who may connect to the listener: the control client (passive) or the
 * backend (active). */
static const struct ftp_addr *
data_peer(const struct data_chan *dc)
{
	return dc->p.active ? &dc->p.backend : &dc->p.client;
}

/* Start a nonblocking connection of c to `to`, from `from` if given. */
static int
data_connect(struct conn *c, const struct ftp_addr *to,
    const struct ftp_addr *from)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = data_socket(to->family);

	if (fd < 0)
		return -1;
	if (from != NULL && from->family == to->family) {
		struct ftp_addr src = *from;

		src.port = 0;
		len = netaddr_to_sockaddr(&src, &ss);
		if (bind(fd, (struct sockaddr *)&ss, len) < 0)
			goto fail;
	}
	len = netaddr_to_sockaddr(to, &ss);
	if (connect(fd, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS)
		goto fail;
	conn_set_fd(c, fd, true);
	return 0;
fail: {
		int e = errno;

		close(fd);
		errno = e;
	}
	return -1;
}

/* Bind a listener on the listen address at a port from the pool. */
static int
data_listen(struct data_chan *dc, const char **reply)
{
	struct gw *gw = dc->p.gw;
	size_t tries = gw_port_count(gw);
	struct ftp_addr a = dc->p.listen;
	int fd = data_socket(a.family), one = 1;

	if (fd < 0)
		goto fail_errno;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	while (tries-- > 0) {
		struct sockaddr_storage ss;
		socklen_t len;

		a.port = gw_port_next(gw);
		if (a.port == 0)
			break;
		len = netaddr_to_sockaddr(&a, &ss);
		if (bind(fd, (struct sockaddr *)&ss, len) == 0) {
			if (listen(fd, 4) < 0)
				goto fail_release;
			dc->lst.fd = fd;
			dc->port = a.port;
			dc->port_held = true;
			return 0;
		}
		if (errno != EADDRINUSE)
			goto fail_release;
		gw_port_release(gw, a.port);
	}
	log_msg(LOG_LVL_ERR, "%s: every port of passive_ports (%u-%u) is in "
	    "use; %s", dc->p.tag, (unsigned)gw->cfg->passive_low,
	    (unsigned)gw->cfg->passive_high, voice_advice(V_NO_FREE_PORT));
	*reply = voice_line(V_NO_FREE_PORT);
	close(fd);
	return -1;
fail_release: {
		int e = errno;

		gw_port_release(gw, a.port);
		errno = e;
	}
fail_errno: {
		char host[NETADDR_STRLEN];

		log_msg(LOG_LVL_ERR, "%s: cannot open a data listener on %s: "
		    "%s%s", dc->p.tag, netaddr_str(&dc->p.listen, host,
		    sizeof(host)), strerror(errno), dc->p.active ? "" :
		    " (is public_address an address of this router?)");
	}
	*reply = voice_line(V_PASSIVE_PORT);
	if (fd >= 0)
		close(fd);
	return -1;
}

/* Warn about a conntrack failure once per process and error code. */
static void
data_ct_warn(struct data_chan *dc, int err, enum log_level lvl)
{
	struct gw *gw = dc->p.gw;
	unsigned bit = 1u << ((unsigned)err % 32u);

	if (lvl != LOG_LVL_ERR && (gw->ct_warned & bit))
		return;
	gw->ct_warned |= bit;
	log_msg(lvl, "%s: cannot program the conntrack expectation for data "
	    "port %u (%s): %s%s", dc->p.tag, dc->port, strerror(err),
	    ct_strerror_advice(err), lvl == LOG_LVL_ERR ? "" :
	    " [conntrack = auto: going on; data connections work only if the "
	    "firewall admits them otherwise. This warning is shown once.]");
}

static int
data_ct_add(struct data_chan *dc, const char **reply)
{
	struct gw *gw = dc->p.gw;
	struct ct_expect_req req;
	int err;

	if (gw->ct == NULL)
		return 0;
	memset(&req, 0, sizeof(req));
	req.master = dc->p.master;
	req.expect.family = data_peer(dc)->family;
	memcpy(req.expect.src, data_peer(dc)->addr, 16);
	memcpy(req.expect.dst, dc->p.listen.addr, 16);
	req.expect.sport = 0;
	req.expect.dport = dc->port;
	req.timeout = gw->cfg->data_timeout;
	/* Passive: an impostor from the client's address must not use up the
	 * client's way in; deleted once the client's connection proved
	 * itself (data_cand_promote). */
	req.permanent = !dc->p.active;
	err = ct_expect_add_id(gw->ct, &req, &dc->ct_id);
	if (err == 0) {
		dc->ct_added = true;
		dc->ct_expect = req.expect;
		return 0;
	}
	if (gw->cfg->conntrack == CFG_CT_ON) {
		/* Fail closed: conntrack = on promises the firewall needs
		 * nothing else, so a transfer without it would only hang. */
		data_ct_warn(dc, -err, LOG_LVL_ERR);
		*reply = voice_line(dc->p.active ? V_FIREWALL_ACTIVE :
		    V_FIREWALL_PASSIVE);
		return -1;
	}
	/* conntrack = auto: fail open, the data connection may still pass. */
	data_ct_warn(dc, -err, LOG_LVL_WARNING);
	return 0;
}

/* TLS toward the backend (RFC 4217: the FTP client is always the TLS
 * client), resuming our own control session there. */
static bool
data_start_be_tls(struct data_chan *dc)
{
	SSL *ssl;

	/* backend_tls = off: clear text on a trusted LAN. */
	if (dc->p.gw->cfg->backend_tls == CFG_BACKEND_OFF)
		return true;
	ssl = tls_new_backend(dc->p.tls_app, dc->p.tls_app->be_session);
	if (ssl == NULL)
		return false;
	conn_start_tls(&dc->be, ssl, false);
	return true;
}

/* TLS server role on a client-side data conn (with PROT P). */
static bool
data_start_cli_tls(struct data_chan *dc, struct conn *c)
{
	SSL *ssl;

	if (!dc->p.client_tls)
		return true;
	ssl = tls_new_server(dc->p.tls_app, true);
	if (ssl == NULL)
		return false;
	conn_start_tls(c, ssl, true);
	return true;
}

/* The connection data_dial makes failed (why): a refusal at the client's
 * PORT address is the client's; at the server's passive port, the admin's. */
static void
data_dial_failed(struct data_chan *dc, const char *why)
{
	const struct ftp_addr *to = dc->p.active ? &dc->p.client : &dc->p.backend;
	char host[NETADDR_STRLEN];

	log_msg(dc->p.active ? LOG_LVL_INFO : LOG_LVL_ERR,
	    "%s: cannot connect to the %s %s: %s", dc->p.tag, dc->p.active ?
	    "client's active-mode port" : "FTP server's passive port",
	    netaddr_str_port(to, host, sizeof(host)), why);
	if (dc->p.active)
		data_fail_ours(dc, voice_line(V_DIAL_CLIENT));
	else
		data_fail(dc, voice_line(V_DIAL_SERVER));
}

/* Connect to the backend's passive port, or, active, to the port the
 * client's PORT/EPRT named. Returns false when the channel failed. */
static bool
data_dial(struct data_chan *dc)
{
	struct conn *out = dc->p.active ? &dc->cli : &dc->be;
	const struct ftp_addr *to = dc->p.active ? &dc->p.client : &dc->p.backend;

	dc->setup_deadline = loop_now(dc_loop(dc)) +
	    (uint64_t)dc->p.gw->cfg->connect_timeout * 1000u;
	if (data_connect(out, to, dc->p.active ? &dc->p.source : NULL) < 0) {
		data_dial_failed(dc, strerror(errno));
		return false;
	}
	if (!data_start_be_tls(dc) ||
	    (dc->p.active && !data_start_cli_tls(dc, &dc->cli))) {
		data_fail(dc, voice_line(V_DATA_TLS_SETUP));
		return false;
	}
	return true;
}

/*
 * Active: the backend connected (fd); we connect to the port the client's
 * PORT/EPRT named. Only the backend's address may use the port, and
 * nobody else can be it.
 */
static void
data_backend_arrived(struct data_chan *dc, int fd)
{
	data_close_listener(dc);
	data_ct_del(dc);
	conn_set_fd(&dc->be, fd, false);
	dc->state = DS_SETUP;
	if (data_dial(dc))
		data_pump(dc);
}

/*
 * Passive: a connection from the client's address (fd). It becomes a
 * candidate; the first one to pass the session-reuse check becomes the
 * client's data connection (data_cands_step). The backend is dialled at
 * the first arrival: ProFTPD accepts before it sends 150, and clients
 * start TLS only after the 150.
 */
static void
data_client_arrived(struct data_chan *dc, int fd, const struct ftp_addr *peer)
{
	struct data_cand *k = NULL;
	char host[NETADDR_STRLEN];
	size_t i;

	for (i = 0; i < DATA_CANDIDATES && k == NULL; i++)
		if (dc->cand[i].c.ev.fd < 0)
			k = &dc->cand[i];
	if (k == NULL) {
		log_msg(LOG_LVL_WARNING, "%s: data connection from %s to port %u "
		    "refused: %d others from that address are still proving "
		    "they belong to this session", dc->p.tag,
		    netaddr_str_port(peer, host, sizeof(host)), dc->port,
		    DATA_CANDIDATES);
		close(fd);
		return;
	}
	conn_set_fd(&k->c, fd, false);
	k->peer = *peer;
	k->deadline = loop_now(dc_loop(dc)) +
	    (uint64_t)dc->p.gw->cfg->connect_timeout * 1000u;
	if (!data_start_cli_tls(dc, &k->c)) {
		conn_close(dc_loop(dc), &k->c);
		data_fail(dc, voice_line(V_DATA_TLS_SETUP));
		return;
	}
	if (dc->state == DS_LISTEN) {
		dc->state = DS_SETUP;
		if (!data_dial(dc))
			return;
	}
	data_pump(dc);
}

/*
 * data_path = kernel: pick a port and program the expectation that makes
 * the kernel forward the data connection to the other side (DESIGN.md
 * facts 3 to 5), with "nat-follow-master": the new destination port comes
 * from the NAT tuple's source port, the addresses from the master.
 *   passive (fact 4): the client's connection to port P of the address it
 *     came in on; master = our control connection to the backend, NAT
 *     ORIGINAL: to the backend's passive port, from our LAN address (the
 *     server sees the address of its control peer).
 *   active (fact 5): the backend's connection to port P of our LAN address
 *     (our PORT named it); master = the client's control connection, NAT
 *     REPLY: to the port the client named, from the address the client
 *     connected to.
 * Nothing listens on P: the expectation is the reservation, and a port an
 * expectation for the same peer holds answers EEXIST.
 */
static int
data_open_kernel(struct data_chan *dc, const char **reply)
{
	struct gw *gw = dc->p.gw;
	size_t tries = gw_port_count(gw);
	const struct ftp_addr *from = data_peer(dc);	/* who connects */
	const struct ftp_addr *to = dc->p.active ? &dc->p.client :
	    &dc->p.backend;
	struct ct_expect_req req;
	int err = -EEXIST;

	memset(&req, 0, sizeof(req));
	req.master = dc->p.master;
	req.expect.family = from->family;
	memcpy(req.expect.src, from->addr, 16);
	memcpy(req.expect.dst, dc->p.listen.addr, 16);
	req.timeout = gw->cfg->data_timeout;
	req.nat_dir = dc->p.active ? CT_NAT_REPLY : CT_NAT_ORIGINAL;
	req.nat.family = to->family;
	memcpy(req.nat.src, to->addr, 16);
	memcpy(req.nat.dst, from->addr, 16);
	req.nat.sport = to->port;
	while (tries-- > 0 && err == -EEXIST) {
		req.expect.dport = gw_port_next(gw);
		if (req.expect.dport == 0)
			break;
		req.nat.dport = req.expect.dport;
		err = ct_expect_add_id(gw->ct, &req, &dc->ct_id);
		if (err != 0)
			gw_port_release(gw, req.expect.dport);
	}
	if (err != 0 && req.expect.dport == 0) {
		log_msg(LOG_LVL_ERR, "%s: every port of passive_ports (%u-%u) is "
		    "in use; %s", dc->p.tag, (unsigned)gw->cfg->passive_low,
		    (unsigned)gw->cfg->passive_high,
		    voice_advice(V_NO_FREE_PORT));
		*reply = voice_line(V_NO_FREE_PORT);
		return -1;
	}
	if (err != 0) {
		dc->port = req.expect.dport;
		data_ct_warn(dc, -err, LOG_LVL_ERR);
		*reply = voice_line(dc->p.active ? V_FIREWALL_ACTIVE :
		    V_FIREWALL_PASSIVE);
		return -1;
	}
	dc->ct_added = true;
	dc->ct_expect = req.expect;
	dc->port = req.expect.dport;
	dc->port_held = true;
	dc->state = DS_KERNEL;
	log_msg(LOG_LVL_DEBUG, "%s: data port %u forwarded by the kernel to the "
	    "%s's port %u (data_path = kernel)", dc->p.tag, dc->port,
	    dc->p.active ? "client" : "FTP server", to->port);
	return 0;
}

static void
data_on_listen(struct loop_ev *ev, uint32_t events)
{
	struct data_chan *dc = container_of(ev, struct data_chan, lst);
	unsigned n;

	(void)events;
	for (n = 0; n < 8 && dc->lst.fd >= 0; n++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		struct ftp_addr peer;
		char host[NETADDR_STRLEN];
		int fd = accept4(dc->lst.fd, (struct sockaddr *)&ss, &len,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				log_msg(LOG_LVL_INFO, "%s: accept on data port "
				    "%u: %s", dc->p.tag, dc->port, strerror(errno));
			return;
		}
		netaddr_from_sockaddr(&peer, (struct sockaddr *)&ss);
		/* SECURITY: only the expected peer (the control client, or
		 * the backend in active mode) may use the port; anyone else
		 * is closed and the transfer still gets its connection. */
		if (!ftp_addr_same_host(&peer, data_peer(dc))) {
			log_msg(LOG_LVL_WARNING, "%s: data connection from %s to "
			    "port %u refused: it is not the %s address "
			    "(attempted data connection theft?)", dc->p.tag,
			    netaddr_str_port(&peer, host, sizeof(host)), dc->port,
			    dc->p.active ? "FTP server's" : "control client's");
			close(fd);
			continue;
		}
		log_msg(LOG_LVL_DEBUG, "%s: data connection from %s on port %u",
		    dc->p.tag, netaddr_str_port(&peer, host, sizeof(host)),
		    dc->port);
		if (dc->p.active) {
			data_backend_arrived(dc, fd);
			return;
		}
		data_client_arrived(dc, fd, &peer);
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
	snprintf(dc->tag, sizeof(dc->tag), "%s", p->tag);
	dc->p.tag = dc->tag;
	dc->state = DS_LISTEN;
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
	dc->kick.cb = data_kick;
	dc->notify.cb = data_notify;
	dc->reap.cb = data_reap;
	if (p->kernel) {
		if (data_open_kernel(dc, reply_out) < 0)
			goto fail;
	} else if (data_listen(dc, reply_out) < 0 ||
	    data_ct_add(dc, reply_out) < 0) {
		goto fail;
	} else if (loop_arm(dc_loop(dc), &dc->lst, EPOLLIN) < 0) {
		*reply_out = voice_line(V_PASSIVE_PORT);
		goto fail;
	}
	dc->listen_deadline = loop_now(dc_loop(dc)) +
	    (uint64_t)p->gw->cfg->data_timeout * 1000u;
	loop_timer_set(dc_loop(dc), &dc->timer,
	    (uint64_t)p->gw->cfg->data_timeout * 1000u);
	list_push(&p->gw->data_chans, &dc->link);
	*port_out = dc->port;
	return dc;
fail:
	data_ct_del(dc);
	data_close_listener(dc);
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
	return dc->p.kernel;
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
	if (dc->fail_reply == NULL || (!dc->fail_ours && backend_code >= 300))
		return NULL;
	return dc->fail_reply;
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

/* ---- setup: handshakes and the session-reuse check ---- */

static void
data_log_io_error(struct data_chan *dc, const char *side, const struct conn *c)
{
	log_msg(LOG_LVL_INFO, "%s: %s data connection: %s%s%s", dc->p.tag, side,
	    c->err_text ? c->err_text : "error", c->ssl_err[0] ? ": " : "",
	    c->ssl_err);
}

/*
 * SECURITY: may this client-side data connection (handshake done) carry the
 * transfer? With require_session_reuse it must have resumed a session of
 * this very control connection, else anyone who can reach the port first
 * (from the client's own address, behind the same NAT) could take the
 * transfer or supply the upload. A fresh session made on a data connection
 * is dropped from the cache either way: nothing resumable is left behind.
 * Logs a refusal, naming from (the peer) and what the admin can do.
 */
static bool
data_client_admissible(struct data_chan *dc, SSL *ssl,
    const struct ftp_addr *from)
{
	char host[NETADDR_STRLEN];

	if (ssl == NULL)
		return true;	/* PROT C: nothing to prove with */
	if (!dc->p.gw->cfg->require_session_reuse ||
	    tls_resumed_own(ssl, dc->p.tls_app)) {
		if (!SSL_session_reused(ssl))
			tls_forget_session(ssl);
		return true;
	}
	log_msg(LOG_LVL_NOTICE, "%s: data connection from %s to port %u refused: "
	    "it did not resume the control connection's TLS session (%s)%s. "
	    "%s%s", dc->p.tag,
	    netaddr_str_port(from, host, sizeof(host)), dc->port,
	    tls_resume_failure(ssl), dc->p.active ? "" : "; still waiting for "
	    "the client's own connection until data_timeout", dc->p.after_ccc ?
	    "After CCC, a client that did not send its own close_notify has "
	    "discarded its session (curl: use --ftp-ssl-ccc-mode active). " : "",
	    voice_advice(V_DATA_REUSE));
	/* A session that got this far belongs to whoever presented it, not to
	 * this control connection: it is resumable no more. */
	tls_forget_session(ssl);
	return false;
}

/* Close every client candidate (passive). */
static void
data_cands_close(struct data_chan *dc)
{
	size_t i;

	for (i = 0; i < DATA_CANDIDATES; i++)
		conn_close(dc_loop(dc), &dc->cand[i].c);
}

/* k proved itself: it becomes the client's data connection; the port
 * closes to everyone else. */
static void
data_cand_promote(struct data_chan *dc, struct data_cand *k)
{
	loop_forget(dc_loop(dc), &k->c.ev);
	dc->cli = k->c;
	dc->cli.ev.cb = data_on_cli;
	dc->cli.ev.armed = 0;
	conn_init(&k->c, data_on_cand);
	data_cands_close(dc);
	data_close_listener(dc);
	data_ct_del(dc);
}

/* Drive the candidates' handshakes; promote the first admissible one. */
static void
data_cands_step(struct data_chan *dc)
{
	size_t i;

	for (i = 0; i < DATA_CANDIDATES && dc->cli.ev.fd < 0; i++) {
		struct data_cand *k = &dc->cand[i];
		char host[NETADDR_STRLEN];

		if (k->c.ev.fd < 0)
			continue;
		if (!k->c.hs_done) {
			enum io_result r = conn_handshake(&k->c);

			if (r == IO_AGAIN) {
				conn_arm(dc_loop(dc), &k->c, false, false);
				continue;
			}
			if (r == IO_ERR) {
				log_msg(LOG_LVL_INFO, "%s: TLS handshake on the data "
				    "connection from %s failed: %s%s%s",
				    dc->p.tag, netaddr_str_port(&k->peer, host,
				    sizeof(host)), k->c.err_text ? k->c.err_text :
				    "error", k->c.ssl_err[0] ? ": " : "",
				    k->c.ssl_err);
				dc->refusal = voice_line(V_DATA_TLS_FAILED);
				conn_close(dc_loop(dc), &k->c);
				continue;
			}
		}
		if (!data_client_admissible(dc, k->c.ssl, &k->peer)) {
			dc->refusal = voice_line(V_DATA_REUSE);
			conn_close(dc_loop(dc), &k->c);
			continue;
		}
		data_cand_promote(dc, k);
	}
}

/* Arm the setup timer for the nearest deadline. */
static void
data_setup_rearm(struct data_chan *dc)
{
	uint64_t now = loop_now(dc_loop(dc)), next = UINT64_MAX;
	size_t i;

	if (dc->be.connecting || !dc->be.hs_done ||
	    (dc->p.active && (dc->cli.connecting || !dc->cli.hs_done)))
		next = dc->setup_deadline;
	if (!dc->p.active && dc->cli.ev.fd < 0) {
		if (dc->listen_deadline < next)
			next = dc->listen_deadline;
		for (i = 0; i < DATA_CANDIDATES; i++)
			if (dc->cand[i].c.ev.fd >= 0 &&
			    dc->cand[i].deadline < next)
				next = dc->cand[i].deadline;
	}
	if (next != UINT64_MAX)
		loop_timer_set(dc_loop(dc), &dc->timer,
		    next > now ? next - now : 0);
}

static void
data_setup_timeout(struct data_chan *dc)
{
	const struct config *cfg = dc->p.gw->cfg;
	uint64_t now = loop_now(dc_loop(dc));
	size_t i;

	for (i = 0; i < DATA_CANDIDATES && dc->cli.ev.fd < 0; i++) {
		struct data_cand *k = &dc->cand[i];
		char host[NETADDR_STRLEN];

		if (k->c.ev.fd < 0 || k->deadline > now)
			continue;
		log_msg(LOG_LVL_INFO, "%s: the data connection from %s did not "
		    "finish its TLS handshake within connect_timeout (%u s); "
		    "closed", dc->p.tag, netaddr_str_port(&k->peer, host,
		    sizeof(host)), cfg->connect_timeout);
		dc->refusal = voice_line(V_DATA_SLOW);
		conn_close(dc_loop(dc), &k->c);
	}
	if (now >= dc->setup_deadline && (dc->be.connecting || !dc->be.hs_done ||
	    (dc->p.active && (dc->cli.connecting || !dc->cli.hs_done)))) {
		log_msg(LOG_LVL_INFO, "%s: data connection setup (TLS handshakes "
		    "and the connection to the %s) took longer than "
		    "connect_timeout (%u s)", dc->p.tag, dc->p.active ?
		    "client's active-mode port" : "FTP server",
		    cfg->connect_timeout);
		data_fail_ours(dc, voice_line(V_DATA_SLOW));
		return;
	}
	if (!dc->p.active && dc->cli.ev.fd < 0 && now >= dc->listen_deadline) {
		log_msg(LOG_LVL_INFO, "%s: no data connection to port %u proved "
		    "it belongs to this session within data_timeout (%u s)",
		    dc->p.tag, dc->port, cfg->data_timeout);
		data_fail_ours(dc, dc->refusal != NULL ? dc->refusal :
		    voice_line(V_DATA_TIMEOUT));
		return;
	}
	data_setup_rearm(dc);
}

/* Returns false when the channel failed. */
static bool
data_setup_step(struct data_chan *dc)
{
	enum io_result r;

	if (dc->be.connecting || dc->cli.connecting) {
		struct conn *out = dc->p.active ? &dc->cli : &dc->be;

		r = conn_finish_connect(out);
		if (r == IO_ERR) {
			data_dial_failed(dc, out->err_text);
			return false;
		}
	}
	if (!dc->be.connecting && !dc->be.hs_done && dc->be.ssl != NULL) {
		r = conn_handshake(&dc->be);
		if (r == IO_ERR) {
			char why[640];
			const char *cert = tls_backend_refusal(dc->be.ssl,
			    dc->p.gw->cfg, why, sizeof(why));

			/* A certificate problem is the admin's; a server that
			 * refused the command and dropped the connection
			 * explains itself in its reply. */
			log_msg(cert[0] != '\0' ? LOG_LVL_ERR : LOG_LVL_INFO,
			    "%s: TLS handshake on the data connection to the FTP "
			    "server failed: %s%s%s; %s", dc->p.tag,
			    dc->be.err_text, dc->be.ssl_err[0] ? ": " : "",
			    dc->be.ssl_err, cert[0] != '\0' ? cert :
			    "the server's reply says why");
			data_fail(dc, voice_line(V_DATA_BACKEND_TLS));
			return false;
		}
		if (r == IO_OK && !SSL_session_reused(dc->be.ssl))
			log_msg(LOG_LVL_INFO, "%s: the FTP server did not resume "
			    "ftpsgw's TLS session on the data connection; servers "
			    "that require reuse will refuse it", dc->p.tag);
	}
	if (dc->p.active) {
		/* We dialled the address the client named: the handshake and
		 * the check run on that one connection. */
		if (!dc->cli.connecting && !dc->cli.hs_done) {
			r = conn_handshake(&dc->cli);
			if (r == IO_ERR) {
				data_log_io_error(dc, "TLS handshake on the client",
				    &dc->cli);
				data_fail_ours(dc,
				    voice_line(V_DATA_TLS_FAILED));
				return false;
			}
			if (r == IO_OK && !data_client_admissible(dc,
			    dc->cli.ssl, &dc->p.client)) {
				data_fail_ours(dc, voice_line(V_DATA_REUSE));
				return false;
			}
		}
	} else {
		data_cands_step(dc);
	}
	if (dc->cli.ev.fd >= 0 && dc->cli.hs_done && !dc->cli.connecting &&
	    dc->be.hs_done && !dc->be.connecting) {
		dc->state = DS_RELAY;
		dc->last_progress = loop_now(dc_loop(dc));
		loop_timer_set(dc_loop(dc), &dc->timer,
		    (uint64_t)dc->p.gw->cfg->data_timeout * 1000u);
		if (log_enabled(LOG_LVL_DEBUG)) {
			char a[96], b[96];

			log_msg(LOG_LVL_DEBUG, "%s: data relay on port %u: client %s,"
			    " server %s", dc->p.tag, dc->port,
			    dc->cli.ssl ? tls_describe(dc->cli.ssl, a, sizeof(a)) :
			    "clear", dc->be.ssl ? tls_describe(dc->be.ssl, b,
			    sizeof(b)) : "clear");
		}
	} else {
		data_setup_rearm(dc);
	}
	return true;
}

/* ---- relay ---- */

/*
 * An upload the client ended with a plain TCP FIN and no TLS close_notify
 * (netkit ftp-ssl closes its socket before its SSL_shutdown) is taken as
 * the end of the upload and closed cleanly toward the server, as ProFTPD
 * and vsftpd take such an end from a client connected to them. Passing
 * the bare FIN on instead makes a TLS 1.2 server drop the session every
 * later data connection resumes. A reset, or such an end on a download,
 * still fails the channel.
 */
static bool
data_plain_end_of_upload(struct data_chan *dc, const struct conn *src)
{
	if (src != &dc->cli || !src->fin_only || dc->cli.bytes_in == 0 ||
	    dc->cli.bytes_out != 0)
		return false;
	log_msg(LOG_LVL_INFO, "%s: the client ended its upload on port %u "
	    "with a TCP FIN but no TLS close_notify; taken as the end of the "
	    "upload, as FTP servers take it", dc->p.tag, dc->port);
	return true;
}

/*
 * A download whose client closed its data connection with a TCP FIN and no
 * TLS close_notify (Python's ssl socket closed without unwrap(), and
 * others) after it was sent every byte we had. Whether the transfer is
 * complete is decided from what is delivered, not from which of the
 * client's FIN and the server's final reply came first: if the server now
 * ends the data cleanly with nothing more, every byte reached the client
 * and the server's reply stands; a byte more from the server, or a reset
 * from the client, fails the transfer with a 426.
 */
static bool
data_client_left_download(struct data_chan *dc, const struct conn *src)
{
	if (src != &dc->cli || !src->fin_only || dc->cli.bytes_in != 0 ||
	    buf_len(&dc->down) != 0)
		return false;
	log_msg(LOG_LVL_DEBUG, "%s: the client closed its data connection on "
	    "port %u without TLS close_notify after %llu bytes; complete if "
	    "the server's data ends here", dc->p.tag, dc->port,
	    (unsigned long long)dc->cli.bytes_out);
	return true;
}

/*
 * Move bytes src -> buf -> dst and carry the end of the stream across:
 * a clean end (close_notify) becomes close_notify + FIN on dst once buf is
 * empty; an unclean end fails the channel (dst then sees no close_notify,
 * so a truncated transfer is never passed off as complete).
 * Returns false when the channel failed.
 */
static bool
data_relay_dir(struct data_chan *dc, struct conn *src, struct conn *dst,
    struct buf *b, const char *src_name, bool *progress)
{
	enum io_result r;

	if (!src->eof && src->ev.fd >= 0 && buf_space(b) > 0) {
		r = conn_read(src, b);
		if (r == IO_OK)
			*progress = true;
		else if (r == IO_ERR && (data_plain_end_of_upload(dc, src) ||
		    data_client_left_download(dc, src))) {
			src->eof = true;
			*progress = true;
		} else if (r == IO_ERR) {
			data_log_io_error(dc, src_name, src);
			data_fail(dc, voice_line(V_DATA_ABORTED));
			return false;
		}
		/* IO_EOF sets src->eof */
	}
	if (buf_len(b) > 0 && dst->eof && dst->fin_only) {
		log_msg(LOG_LVL_INFO, "%s: the client closed its data connection "
		    "on port %u before the end of the data", dc->p.tag, dc->port);
		data_fail(dc, voice_line(V_DATA_ABORTED));
		return false;
	}
	if (buf_len(b) > 0 && !dst->shut) {
		size_t before = buf_len(b);

		r = conn_write(dst, b);
		if (buf_len(b) != before)
			*progress = true;
		if (r == IO_ERR) {
			data_log_io_error(dc, src == &dc->be ? "client" : "server",
			    dst);
			data_fail(dc, voice_line(V_DATA_ABORTED));
			return false;
		}
	}
	if (src->eof && buf_len(b) == 0 && !dst->shut && dst->fin_only) {
		conn_shutdown_plain(dst);	/* it has gone: no close_notify */
		*progress = true;
	} else if (src->eof && buf_len(b) == 0 && !dst->shut) {
		r = conn_shutdown(dst);
		if (r == IO_ERR) {
			data_fail(dc, voice_line(V_DATA_ABORTED));
			return false;
		}
		if (r == IO_OK)
			*progress = true;
	}
	return true;
}

/* Answer a peer's close_notify at once (ProFTPD waits for ours before it
 * sends 226), as soon as nothing is left to send it. */
static bool
data_answer_close(struct data_chan *dc, struct conn *c, struct buf *toward)
{
	/* A peer that closed without close_notify gets none: it has gone. */
	if (c->eof && c->fin_only) {
		conn_shutdown_plain(c);
		return true;
	}
	if (c->eof && !c->shut && buf_len(toward) == 0 &&
	    conn_shutdown(c) == IO_ERR) {
		data_fail(dc, voice_line(V_DATA_ABORTED));
		return false;
	}
	return true;
}

static void
data_update(struct data_chan *dc)
{
	struct loop *l = dc_loop(dc);
	bool relay = dc->state == DS_RELAY || dc->state == DS_LINGER;

	/* During setup only connects and handshakes are armed (conn_arm):
	 * early bytes from a finished side wait in the kernel. */
	conn_arm(l, &dc->cli, relay && !dc->cli.eof && buf_space(&dc->up) > 0,
	    relay && (buf_len(&dc->down) > 0 || (dc->be.eof && !dc->cli.shut)));
	conn_arm(l, &dc->be, relay && !dc->be.eof && buf_space(&dc->down) > 0,
	    relay && (buf_len(&dc->up) > 0 || (dc->cli.eof && !dc->be.shut)));
	if ((dc->cli.more && buf_space(&dc->up) > 0) ||
	    (dc->be.more && buf_space(&dc->down) > 0))
		loop_defer(l, &dc->kick);
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

	if (dc->state == DS_SETUP && !data_setup_step(dc))
		return;
	if (dc->state == DS_RELAY || dc->state == DS_LINGER) {
		if (!data_relay_dir(dc, &dc->be, &dc->cli, &dc->down, "server",
		    &progress))
			return;
		if (!data_relay_dir(dc, &dc->cli, &dc->be, &dc->up, "client",
		    &progress))
			return;
		if (!data_answer_close(dc, &dc->be, &dc->up) ||
		    !data_answer_close(dc, &dc->cli, &dc->down))
			return;
		if (progress)
			dc->last_progress = loop_now(dc_loop(dc));
		/* One direction's end is delivered: the transfer is done. */
		if (dc->state == DS_RELAY && ((dc->be.eof && dc->cli.shut) ||
		    (dc->cli.eof && dc->be.shut))) {
			dc->state = DS_LINGER;
			loop_timer_set(dc_loop(dc), &dc->timer, DATA_LINGER_MS);
			log_msg(LOG_LVL_DEBUG, "%s: data on port %u done: %llu "
			    "bytes to the client, %llu to the server", dc->p.tag,
			    dc->port, (unsigned long long)dc->cli.bytes_out,
			    (unsigned long long)dc->be.bytes_out);
			data_set_idle(dc);
		}
		if (dc->state == DS_LINGER && dc->cli.eof && dc->be.eof &&
		    dc->cli.shut && dc->be.shut) {
			data_close_all(dc);
			return;
		}
	}
	if (dc->state != DS_CLOSED)
		data_update(dc);
}

static void
data_on_cli(struct loop_ev *ev, uint32_t events)
{
	(void)events;
	data_pump(container_of(ev, struct data_chan, cli.ev));
}

static void
data_on_be(struct loop_ev *ev, uint32_t events)
{
	(void)events;
	data_pump(container_of(ev, struct data_chan, be.ev));
}

static void
data_on_cand(struct loop_ev *ev, uint32_t events)
{
	(void)events;
	data_pump(container_of(ev, struct data_cand, c.ev)->dc);
}
