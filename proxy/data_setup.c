/* A data channel's two connections coming up: dialling the side the plan
 * names, the TLS handshakes (server role toward the client, client role
 * toward the FTP server, RFC 4217), and the session-reuse policy that
 * decides which connection from the client's address is the client's. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "proxy/admission.h"
#include "proxy/config.h"
#include "proxy/data_int.h"
#include "proxy/log.h"
#include "proxy/metrics_tls.h"
#include "proxy/voice.h"
#include "proxy/tls.h"
#include "proxy/transparent.h"

int
data_connect(struct conn *c, const struct net_addr *to,
    const struct net_addr *from, bool transparent)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = socket(to->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);

	if (fd < 0)
		return -1;
	if (from->family == to->family) {
		struct net_addr src = *from;

		src.port = 0;
		len = netaddr_to_sockaddr(&src, &ss);
		/* Transparent: from the client's address (data_plan.h). */
		if (transparent ? tp_bind(fd, &src) < 0 :
		    bind(fd, (struct sockaddr *)&ss, len) < 0)
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

/* A client-side data connection's handshake completed: counted. */
static void
data_count_handshake(struct data_chan *dc, unsigned side, SSL *ssl)
{
	metrics_handshake(&dc->p.gw->metrics, side, MV_CHANNEL_DATA, ssl,
	    true);
}

/* A client-side data connection refused for reason (MV_REFUSAL_*); ssl,
 * when its handshake failed or ran out of time, counts as a failed
 * handshake too. */
static void
data_count_refusal(struct data_chan *dc, SSL *ssl, unsigned reason)
{
	struct metrics *m = &dc->p.gw->metrics;

	if (ssl != NULL)
		metrics_handshake(m, MV_TLS_SIDE_CLIENT, MV_CHANNEL_DATA, ssl,
		    false);
	metrics_inc(m, METRICS_AT1(DATA_REFUSED, reason));
}

/* TLS toward the FTP server (RFC 4217: the FTP client is always the TLS
 * client), resuming our own control session there. */
static bool
data_start_be_tls(struct data_chan *dc)
{
	SSL *ssl;

	/* backend_tls = off: clear text on a trusted LAN. */
	if (dc->p.gw->cfg->backends[dc->p.tls_app->be].tls ==
	    CFG_BACKEND_OFF)
		return true;
	ssl = tls_new_backend(dc->p.tls_app, dc->p.tls_app->be_session);
	if (ssl == NULL)
		return false;
	conn_start_tls(&dc->be, ssl, false);
	conn_batch(&dc->be);
	return true;
}

/* TLS server role on a client-side data connection (with PROT P). */
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
	conn_batch(c);
	return true;
}

/* The connection ftpsgw dials failed (why): a refusal at the client's
 * PORT address is the client's; at the server's passive port, the admin's. */
static void
data_dial_failed(struct data_chan *dc, const char *why)
{
	bool to_client = !data_client_connects(dc);
	char host[NETADDR_STRLEN];

	log_msg(to_client ? LOG_LVL_INFO : LOG_LVL_ERR,
	    "%s: cannot connect to the %s %s: %s", dc->p.tag, to_client ?
	    "client's active-mode port" : "FTP server's passive port",
	    netaddr_str_port(&dc->p.plan.dial, host, sizeof(host)), why);
	if (to_client)
		data_note_failure(dc, V_DIAL_CLIENT, true);
	else
		data_note_failure(dc, V_DIAL_SERVER, false);
}

/* Dial the plan's dial address: false when the channel failed. */
static bool
data_setup_dial(struct data_chan *dc)
{
	struct conn *out = data_conn(dc, data_dialled_side(dc));

	dc->setup_deadline = loop_now(dc_loop(dc)) +
	    (uint64_t)dc->p.gw->cfg->connect_timeout * 1000u;
	if (data_connect(out, &dc->p.plan.dial, &dc->p.plan.dial_from,
	    dc->p.plan.transparent && data_client_connects(dc)) < 0) {
		data_dial_failed(dc, strerror(errno));
		return false;
	}
	if (!data_start_be_tls(dc) ||
	    (out == &dc->cli && !data_start_cli_tls(dc, &dc->cli))) {
		data_note_failure(dc, V_DATA_TLS_SETUP, false);
		return false;
	}
	return true;
}

/*
 * Active: the server connected (fd); ftpsgw now dials the port the client's
 * PORT/EPRT named. Only the server's address may use the port, and nobody
 * else can be it: the port closes.
 */
bool
data_setup_server_arrived(struct data_chan *dc, int fd)
{
	data_listen_close(dc);
	data_expect_del(dc);
	conn_set_fd(&dc->be, fd, false);
	return data_setup_dial(dc);
}

/*
 * Passive: a connection from the client's address (fd). It becomes a
 * candidate; the first one to pass the session-reuse check becomes the
 * client's data connection (data_cands_step). The server is dialled at
 * the first arrival: ProFTPD accepts before it sends 150, and clients
 * start TLS only after the 150.
 */
bool
data_setup_client_arrived(struct data_chan *dc, int fd,
    const struct net_addr *peer)
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
		return true;
	}
	conn_set_fd(&k->c, fd, false);
	k->peer = *peer;
	k->deadline = loop_now(dc_loop(dc)) +
	    (uint64_t)dc->p.gw->cfg->connect_timeout * 1000u;
	if (!data_start_cli_tls(dc, &k->c)) {
		conn_close(dc_loop(dc), &k->c);
		data_note_failure(dc, V_DATA_TLS_SETUP, false);
		return false;
	}
	/* The first candidate starts the connection to the server. */
	if (dc->be.ev.fd < 0)
		return data_setup_dial(dc);
	return true;
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
    const struct net_addr *from)
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
	    tls_resume_failure(ssl), data_client_connects(dc) ? "; still "
	    "waiting for the client's own connection until data_timeout" : "",
	    dc->p.after_ccc ? "After CCC, a client that did not send its own "
	    "close_notify has discarded its session (curl: use "
	    "--ftp-ssl-ccc-mode active). " : "", voice_advice(V_DATA_REUSE));
	gw_refusal(dc->p.gw, from, "data connection to port %u refused: it "
	    "did not resume the control connection's TLS session (%s)",
	    dc->port, tls_resume_failure(ssl));
	/* A session that got this far belongs to whoever presented it, not to
	 * this control connection: it is resumable no more. */
	tls_forget_session(ssl);
	return false;
}

void
data_setup_close(struct data_chan *dc)
{
	size_t i;

	for (i = 0; i < DATA_CANDIDATES; i++)
		conn_close(dc_loop(dc), &dc->cand[i].c);
}

/* k proved itself: it becomes the client's data connection; the port
 * closes to everyone else. The connections keep their event handlers. */
static void
data_cand_promote(struct data_chan *dc, struct data_cand *k)
{
	void (*cli_cb)(struct loop_ev *, uint32_t) = dc->cli.ev.cb;
	void (*cand_cb)(struct loop_ev *, uint32_t) = k->c.ev.cb;

	loop_forget(dc_loop(dc), &k->c.ev);
	dc->cli = k->c;
	dc->cli.ev.cb = cli_cb;
	dc->cli.ev.armed = 0;
	conn_init(&k->c, cand_cb);
	data_setup_close(dc);
	data_listen_close(dc);
	data_expect_del(dc);
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
				data_count_refusal(dc, k->c.ssl,
				    MV_REFUSAL_TLS_FAILED);
				dc->refusal = V_DATA_TLS_FAILED;
				conn_close(dc_loop(dc), &k->c);
				continue;
			}
			data_count_handshake(dc, MV_TLS_SIDE_CLIENT, k->c.ssl);
		}
		if (!data_client_admissible(dc, k->c.ssl, &k->peer)) {
			data_count_refusal(dc, NULL,
			    MV_REFUSAL_NO_SESSION_REUSE);
			dc->refusal = V_DATA_REUSE;
			conn_close(dc_loop(dc), &k->c);
			continue;
		}
		data_cand_promote(dc, k);
	}
}

/* Is the connection ftpsgw dialled (and its TLS) still coming up? Active,
 * the client's TLS handshake on it counts too. */
static bool
data_dial_pending(struct data_chan *dc)
{
	struct conn *out = data_conn(dc, data_dialled_side(dc));

	return dc->be.connecting || !dc->be.hs_done || out->connecting ||
	    !out->hs_done;
}

/* Arm the timer for the nearest setup deadline. */
static void
data_setup_rearm(struct data_chan *dc)
{
	uint64_t now = loop_now(dc_loop(dc)), next = UINT64_MAX;
	size_t i;

	if (data_dial_pending(dc))
		next = dc->setup_deadline;
	if (data_client_connects(dc) && dc->cli.ev.fd < 0) {
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

enum data_setup_result
data_setup_deadline(struct data_chan *dc)
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
		data_count_refusal(dc, k->c.ssl, MV_REFUSAL_HANDSHAKE_TIMEOUT);
		dc->refusal = V_DATA_SLOW;
		conn_close(dc_loop(dc), &k->c);
	}
	if (now >= dc->setup_deadline && data_dial_pending(dc)) {
		log_msg(LOG_LVL_INFO, "%s: data connection setup (TLS handshakes "
		    "and the connection to the %s) took longer than "
		    "connect_timeout (%u s)", dc->p.tag, data_client_connects(dc) ?
		    "FTP server" : "client's active-mode port",
		    cfg->connect_timeout);
		data_note_failure(dc, V_DATA_SLOW, true);
		return SETUP_FAILED;
	}
	if (data_client_connects(dc) && dc->cli.ev.fd < 0 &&
	    now >= dc->listen_deadline) {
		log_msg(LOG_LVL_INFO, "%s: no data connection to port %u proved "
		    "it belongs to this session within data_timeout (%u s)",
		    dc->p.tag, dc->port, cfg->data_timeout);
		data_expect_expired(dc);
		data_note_failure(dc, dc->refusal != V_COUNT ? dc->refusal :
		    V_DATA_TIMEOUT, true);
		return SETUP_FAILED;
	}
	data_setup_rearm(dc);
	return SETUP_WAIT;
}

/* The server side's TLS handshake. */
static bool
data_be_handshake(struct data_chan *dc)
{
	enum io_result r = conn_handshake(&dc->be);

	if (r != IO_AGAIN)
		metrics_handshake(&dc->p.gw->metrics, MV_TLS_SIDE_SERVER,
		    MV_CHANNEL_DATA, dc->be.ssl, r == IO_OK);
	if (r == IO_ERR) {
		char why[640];
		const char *cert = tls_backend_refusal(dc->be.ssl,
		    &dc->p.gw->cfg->backends[dc->p.tls_app->be], why,
		    sizeof(why));

		/* A certificate problem is the admin's; a server that refused
		 * the command and dropped the connection explains itself in
		 * its reply. */
		log_msg(cert[0] != '\0' ? LOG_LVL_ERR : LOG_LVL_INFO,
		    "%s: TLS handshake on the data connection to the FTP "
		    "server failed: %s%s%s; %s", dc->p.tag, dc->be.err_text,
		    dc->be.ssl_err[0] ? ": " : "", dc->be.ssl_err,
		    cert[0] != '\0' ? cert : "the server's reply says why");
		data_note_failure(dc, V_DATA_BACKEND_TLS, false);
		return false;
	}
	if (r == IO_OK && !SSL_session_reused(dc->be.ssl))
		log_msg(LOG_LVL_INFO, "%s: the FTP server did not resume "
		    "ftpsgw's TLS session on the data connection; servers that "
		    "require reuse will refuse it", dc->p.tag);
	return true;
}

/* Active: the client's connection is the one ftpsgw dialled, to the
 * address the client named: the handshake and the check run on it. */
static bool
data_dialled_client_step(struct data_chan *dc)
{
	enum io_result r;

	if (dc->cli.connecting || dc->cli.hs_done)
		return true;
	r = conn_handshake(&dc->cli);
	if (r == IO_ERR) {
		data_log_io_error(dc, "TLS handshake on the client", &dc->cli);
		data_count_refusal(dc, dc->cli.ssl, MV_REFUSAL_TLS_FAILED);
		data_note_failure(dc, V_DATA_TLS_FAILED, true);
		return false;
	}
	if (r == IO_OK)
		data_count_handshake(dc, MV_TLS_SIDE_CLIENT, dc->cli.ssl);
	if (r == IO_OK && !data_client_admissible(dc, dc->cli.ssl,
	    &dc->p.plan.dial)) {
		data_count_refusal(dc, NULL, MV_REFUSAL_NO_SESSION_REUSE);
		data_note_failure(dc, V_DATA_REUSE, true);
		return false;
	}
	return true;
}

enum data_setup_result
data_setup_step(struct data_chan *dc)
{
	struct conn *out = data_conn(dc, data_dialled_side(dc));

	if (out->connecting) {
		if (conn_finish_connect(out) == IO_ERR) {
			data_dial_failed(dc, out->err_text);
			return SETUP_FAILED;
		}
	}
	if (!dc->be.connecting && !dc->be.hs_done && dc->be.ssl != NULL &&
	    !data_be_handshake(dc))
		return SETUP_FAILED;
	if (data_client_connects(dc))
		data_cands_step(dc);
	else if (!data_dialled_client_step(dc))
		return SETUP_FAILED;
	if (dc->cli.ev.fd >= 0 && dc->cli.hs_done && !dc->cli.connecting &&
	    dc->be.hs_done && !dc->be.connecting)
		return SETUP_READY;
	data_setup_rearm(dc);
	return SETUP_WAIT;
}
