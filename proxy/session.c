/* The top of a control session: its lifetime (sess_new, the deadlines,
 * closing and freeing it, shutdown and drain), the I/O of its two control
 * connections with the Telnet layer under the line framers, the loop over
 * the server's reply lines, and the pump that runs them in order. It calls
 * the other files of the session; none calls it (layering and ordering:
 * proxy/session_int.h; the states: proxy/session_out.c).
 */
#include "proxy/session.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "proxy/config.h"
#include "proxy/data.h"
#include "proxy/log.h"
#include "proxy/metrics_tls.h"
#include "proxy/quitter.h"
#include "proxy/routing.h"
#include "proxy/session_int.h"
#include "proxy/voice.h"

static void sess_pump(struct session *s);

/* ---- lifetime ---- */

/* Every idle session carries all of this, zeroed by calloc (and so in
 * memory once the heap is reused): room for what only some sessions need
 * (a HOST line, a file name) belongs on the heap, allocated when needed. */
_Static_assert(sizeof(struct session) <= 6 * 1024,
    "struct session grew: keep rarely used buffers out of it");

static void
sess_reap(struct loop_deferred *d)
{
	struct session *s = container_of(d, struct session, reap);

	buf_free(&s->cli_in);
	buf_free(&s->cli_out);
	buf_free(&s->be_in);
	buf_free(&s->be_out);
	tls_app_free(&s->tls);
	free(s->route_host);
	free(s);
}

static void
sess_close(struct session *s, const char *why)
{
	struct gw *gw = s->gw;

	if (s->dead)
		return;
	s->dead = true;
	gw_session_end(gw, &s->client);
	if (s->be_counted)
		routing_release(gw->shared, s->tls.be);
	sess_xfer_abandon(s);	/* once: a dead session reads no reply */
	metrics_inc(&gw->metrics, METRICS_AT1(SESSIONS_CLOSED, s->implicit ?
	    MV_LISTENER_IMPLICIT : MV_LISTENER_EXPLICIT));
	sess_data_drop(s, true);
	sess_xfer_close(s);
	log_msg(LOG_LVL_NOTICE, "%s: session closed (%s): %u transfers, %llu "
	    "bytes down and %llu up on data connections; control %llu in, "
	    "%llu out", s->tag, why, s->transfers,
	    (unsigned long long)s->data_down, (unsigned long long)s->data_up,
	    (unsigned long long)s->cli.bytes_in,
	    (unsigned long long)s->cli.bytes_out);
	conn_close(sess_loop(s), &s->cli);
	/* Where a QUIT is in order (before AUTH, or logged in), the server
	 * gets one and closes first; a connection in the middle of its TLS
	 * preamble just ends. */
	if (s->be.ev.fd >= 0 && !s->be.eof && !s->be.connecting &&
	    (s->bstate == BS_HOLD || s->bstate == BS_READY))
		quitter_start(gw, &s->be, !s->quit_sent);
	else
		conn_close(sess_loop(s), &s->be);
	loop_timer_cancel(sess_loop(s), &s->timer);
	loop_timer_cancel(sess_loop(s), &s->hs_timer);
	list_unlink(&gw->sessions, &s->link);
	gw->n_sessions--;
	loop_defer(sess_loop(s), &s->reap);
	gw_stop_if_done(gw);
}

void
sess_shutdown(struct session *s, const char *reply)
{
	sess_fatal(s, reply);
	sess_pump(s);	/* one try to deliver the reply */
	sess_close(s, "gateway shutting down");
}

struct session *
sess_first(const struct gw *gw)
{
	return gw->sessions != NULL ?
	    container_of(gw->sessions, struct session, link) : NULL;
}

struct session *
sess_next(const struct session *s)
{
	return s->link.next != NULL ?
	    container_of(s->link.next, struct session, link) : NULL;
}

bool
sess_drain(struct session *s, const char *reply)
{
	unsigned i;

	for (i = 0; i < s->fifo_len; i++)
		if (sess_fifo_at(s, i)->kind == PEND_TRANSFER)
			return true;	/* see sess_reply_line */
	sess_shutdown(s, reply);
	return false;
}

static void
sess_on_timer(struct loop_timer *t)
{
	struct session *s = container_of(t, struct session, timer);
	const struct config *cfg = s->gw->cfg;

	if (s->closing) {
		sess_close(s, "closing timed out");
		return;
	}
	if (s->gw->stopping) {
		/* Its transfer is over and the client has not quit. */
		sess_fatal(s, voice_line(V_SHUTTING_DOWN));
		sess_pump(s);
		return;
	}
	if (s->bstate == BS_CONNECTING &&
	    sess_route_retry(s, "no TCP connection within connect_timeout"))
		return;
	if (s->bstate != BS_READY && s->bstate != BS_HOLD &&
	    s->bstate != BS_ROUTE) {
		char host[NETADDR_STRLEN];

		log_msg(LOG_LVL_ERR, "%s: the FTP server %s did not complete the "
		    "login preamble within connect_timeout (%u s): %s", s->tag,
		    netaddr_str_port(sess_be_addr(s), host, sizeof(host)),
		    cfg->connect_timeout, voice_advice(V_BACKEND_SILENT));
		gw_refusal(s->gw, &s->client, "closed: the FTP server %s did "
		    "not complete the login preamble within connect_timeout "
		    "(%u s)", host, cfg->connect_timeout);
		sess_be_health(s, METRICS_HEALTH_DOWN);
		sess_fatal(s, voice_line(V_BACKEND_SILENT));
		sess_pump(s);
		return;
	}
	if (s->data != NULL && data_connected(s->data)) {
		/* A transfer is running: the control channel is quiet by
		 * design; the data channel has its own deadline. */
		loop_timer_set(sess_loop(s), &s->timer,
		    (uint64_t)cfg->idle_timeout * 1000u);
		return;
	}
	log_msg(LOG_LVL_INFO, "%s: idle for idle_timeout (%u s); closing",
	    s->tag, cfg->idle_timeout);
	sess_fatal(s, voice_line(V_IDLE_TIMEOUT));
	sess_pump(s);
}

/* A client that starts TLS must finish the handshake promptly: a slow or
 * silent one would otherwise hold a session slot until idle_timeout. */
static void
sess_on_hs_timer(struct loop_timer *t)
{
	struct session *s = container_of(t, struct session, hs_timer);

	log_msg(LOG_LVL_INFO, "%s: the client did not complete the TLS "
	    "handshake within handshake_timeout (%u s); closing", s->tag,
	    s->gw->cfg->handshake_timeout);
	gw_refusal(s->gw, &s->client, "closed: no TLS handshake within "
	    "handshake_timeout (%u s)", s->gw->cfg->handshake_timeout);
	metrics_handshake(&s->gw->metrics, MV_TLS_SIDE_CLIENT,
	    MV_CHANNEL_CONTROL, s->cli.ssl, false);
	sess_close(s, "TLS handshake timeout");
}

static void
sess_hs_deadline(struct session *s)
{
	loop_timer_set(sess_loop(s), &s->hs_timer,
	    (uint64_t)s->gw->cfg->handshake_timeout * 1000u);
}

static void
sess_kick(struct loop_deferred *d)
{
	struct session *s = container_of(d, struct session, kick);

	if (!s->dead)
		sess_pump(s);
}

static void
sess_backend_lines(struct session *s)
{
	while (!s->dead && buf_len(&s->be_in) > 0) {
		size_t line_len = 0, used = 0;
		enum ftp_frame fr;

		if (s->bstate == BS_CONNECTING || s->bstate == BS_HANDSHAKE)
			break;
		if (s->closing)
			break;
		/* Backpressure: the client must take our output first, the
		 * server the commands we may add (the reply path sends a NOOP
		 * after ABOR, a PASV after a refused EPSV). Room for the
		 * longest line and what a reply adds to it (the FEAT lines,
		 * our passive reply), and local replies due before it. */
		sess_drain_local(s);
		if (buf_space(&s->cli_out) < FTP_LINE_MAX + 3 * SESS_REPLY_ROOM ||
		    buf_space(&s->be_out) < SESS_OWN_ROOM)
			break;
		if (s->fifo_len > 0 && s->fifo[s->fifo_head].kind == PEND_LOCAL)
			break;	/* waits for room: pairing stays in order */
		fr = ftp_frame_next(&s->be_fr, buf_head(&s->be_in),
		    buf_len(&s->be_in) - s->be_keep, FTP_LINE_MAX, &line_len,
		    &used);
		if (fr == FTP_FRAME_MORE) {
			buf_consume(&s->be_in, used);
			if (used == 0)
				break;
			continue;
		}
		if (fr != FTP_FRAME_LINE) {
			/* Dropping the line would leave a command without its
			 * reply, and the end of an endless line is not found:
			 * the stream cannot be trusted any more. */
			buf_consume(&s->be_in, buf_len(&s->be_in));
			s->be_keep = 0;
			log_msg(LOG_LVL_NOTICE, "%s: FTP server sent an %s; "
			    "ending the session", s->tag,
			    fr == FTP_FRAME_NUL ? "FTP reply holding a NUL byte" :
			    "over-long FTP reply line");
			sess_fatal(s, voice_line(V_BACKEND_UNREADABLE));
			conn_close(sess_loop(s), &s->be);
			break;
		}
		if (s->bstate == BS_READY) {
			if (!sess_reply_line(s, buf_head(&s->be_in), line_len))
				break;	/* held until the data channel is done */
		} else {
			sess_preamble_line(s, buf_head(&s->be_in), line_len);
		}
		/* The AUTH reply handler may have emptied the buffer. */
		if (buf_len(&s->be_in) >= used)
			buf_consume(&s->be_in, used);
	}
}

/* ---- I/O and the pump ---- */

static const char *
sess_telnet_verb(unsigned verb)
{
	switch (verb) {
	case TELNET_WILL:
		return "WILL";
	case TELNET_WONT:
		return "WONT";
	case TELNET_DO:
		return "DO";
	default:
		return "DONT";
	}
}

/*
 * The Telnet layer under the line framers (proxy/telnet.c): decode in place
 * what the last read appended to the client's input (client) or the
 * server's, from the IAC kept from the read before on; before is the input's
 * length before that read. The client's option requests are refused, as
 * RFC 1123 wants of a server, while its control channel can carry the
 * answer; the server's negotiation is only removed.
 */
static void
sess_telnet_in(struct session *s, bool client, size_t before)
{
	struct buf *b = client ? &s->cli_in : &s->be_in;
	struct telnet_dec *d = client ? &s->cli_tn : &s->be_tn;
	size_t *keep = client ? &s->cli_keep : &s->be_keep;
	size_t at = before - *keep, n, used = 0, out = 0, u, p, k;
	char refusal[TELNET_REFUSAL_LEN], *q;
	enum telnet_result r;

	if (buf_len(b) == before)
		return;
	n = buf_len(b) - at;
	q = buf_head_mut(b) + at;
	do {
		r = telnet_decode(d, q + used, n - used, q + out, &u, &p);
		used += u;
		out += p;
		if (r != TELNET_NEGOTIATION)
			break;
		k = client && (s->cstate == CS_PLAIN || s->cstate ==
		    CS_SECURE) && !s->closing ? telnet_refusal(d, refusal) : 0;
		/* Best effort: not when the client's output is (nearly)
		 * full; replies keep their room, the last 421 its own. */
		if (k > 0 && (!sess_room(s, k + SESS_REPLY_ROOM) ||
		    !buf_append(&s->cli_out, refusal, k)))
			k = 0;
		log_msg(LOG_LVL_DEBUG, "%s: Telnet %s %u from the %s: %s",
		    s->tag, sess_telnet_verb(d->verb), d->opt, client ?
		    "client" : "FTP server", k > 0 ? "refused" : "removed");
	} while (used < n);
	/* The IAC left for the next read goes right after the data. */
	memmove(q + out, q + used, n - used);
	*keep = n - used;
	buf_truncate(b, at + out + *keep);
}

static bool
sess_client_io(struct session *s)
{
	enum io_result r;

	if (!s->cli.hs_done) {
		r = conn_handshake(&s->cli);
		if (r != IO_AGAIN)
			metrics_handshake(&s->gw->metrics, MV_TLS_SIDE_CLIENT,
			    MV_CHANNEL_CONTROL, s->cli.ssl, r == IO_OK);
		if (r == IO_ERR) {
			log_msg(LOG_LVL_INFO, "%s: TLS handshake with the client "
			    "failed: %s%s%s", s->tag, s->cli.err_text,
			    s->cli.ssl_err[0] ? ": " : "", s->cli.ssl_err);
			gw_refusal(s->gw, &s->client, "TLS handshake with the "
			    "client failed: %s%s%s", s->cli.err_text,
			    s->cli.ssl_err[0] ? ": " : "", s->cli.ssl_err);
			sess_close(s, "client TLS handshake failed");
			return false;
		}
		if (r == IO_AGAIN)
			return true;
		loop_timer_cancel(sess_loop(s), &s->hs_timer);
		if (tls_bind_control(s->cli.ssl, &s->tls) < 0)
			log_msg(LOG_LVL_WARNING, "%s: the control connection's TLS "
			    "session cannot carry its token: its data "
			    "connections will be refused", s->tag);
		/* Refused (a bug), the session ends: its 421, kept as
		 * fatal_line while the handshake ran, goes out now. */
		(void)sess_set_cstate(s, CS_SECURE);
		if (s->fatal_line != NULL) {
			sess_put(s, s->fatal_line);
			s->fatal_line = NULL;
		}
		if (log_enabled(LOG_LVL_DEBUG)) {
			char d[96];

			log_msg(LOG_LVL_DEBUG, "%s: client TLS: %s", s->tag,
			    tls_describe(s->cli.ssl, d, sizeof(d)));
		}
	}
	if (buf_len(&s->cli_out) > 0) {
		r = conn_write(&s->cli, &s->cli_out);
		if (r == IO_ERR) {
			sess_close(s, "client connection lost");
			return false;
		}
	}
	/* A refused transition (a bug) ends the session: below, once its
	 * last reply is out. */
	if (s->cstate == CS_AUTH_REPLY && buf_len(&s->cli_out) == 0 &&
	    sess_set_cstate(s, CS_TLS_ACCEPT)) {
		SSL *ssl = tls_new_server(&s->tls, false);

		if (ssl == NULL) {
			sess_close(s, "cannot create TLS");
			return false;
		}
		conn_start_tls(&s->cli, ssl, true);
		sess_hs_deadline(s);
		return sess_client_io(s);
	}
	if (s->cstate == CS_CCC_REPLY && buf_len(&s->cli_out) == 0) {
		r = conn_close_notify(&s->cli);
		if (r == IO_ERR) {
			sess_close(s, "client connection lost");
			return false;
		}
		if (r == IO_AGAIN)
			return true;
		(void)sess_set_cstate(s, CS_CCC_WAIT);
	}
	if (s->cstate == CS_CCC_WAIT) {
		size_t before = buf_len(&s->cli_in);

		r = conn_await_clear(&s->cli, &s->cli_in);
		if (r == IO_EOF || r == IO_ERR) {
			sess_close(s, r == IO_EOF ? "client closed the connection" :
			    s->cli.err_text);
			return false;
		}
		sess_telnet_in(s, true, before);
		if (r == IO_AGAIN)
			return true;
		s->ccc = true;
		(void)sess_set_cstate(s, CS_PLAIN);
	}
	if (s->closing && buf_len(&s->cli_out) == 0) {
		(void)conn_shutdown(&s->cli);
		sess_close(s, "ended");
		return false;
	}
	if (!s->closing && (s->cstate == CS_PLAIN || s->cstate == CS_SECURE) &&
	    buf_space(&s->cli_in) > 0) {
		size_t before = buf_len(&s->cli_in);

		r = conn_read(&s->cli, &s->cli_in);
		if (r == IO_EOF || r == IO_ERR) {
			sess_close(s, r == IO_EOF ? "client closed the connection" :
			    s->cli.err_text);
			return false;
		}
		sess_telnet_in(s, true, before);
	}
	return true;
}

static bool
sess_backend_io(struct session *s)
{
	enum io_result r;

	if (s->be.connecting) {
		r = conn_finish_connect(&s->be);
		if (r == IO_ERR) {
			metrics_inc(&s->gw->metrics,
			    METRICS_AT1(BACKEND_FAILURES, 0));
			if (!sess_route_retry(s, s->be.err_text))
				sess_be_failed(s, s->be.err_text);
			return true;
		}
		if (r == IO_AGAIN)
			return true;
		if (!sess_be_connected(s))
			return true;
	}
	if (s->bstate == BS_HANDSHAKE) {
		r = conn_handshake(&s->be);
		if (r != IO_AGAIN)
			metrics_handshake(&s->gw->metrics, MV_TLS_SIDE_SERVER,
			    MV_CHANNEL_CONTROL, s->be.ssl, r == IO_OK);
		if (r == IO_ERR) {
			char what[640];

			if (tls_backend_refusal(s->be.ssl, sess_be_cfg(s), what,
			    sizeof(what))[0] == '\0')
				snprintf(what, sizeof(what), "TLS handshake failed: "
				    "%s", s->be.err_text);
			sess_be_failed(s, what);
			return true;
		}
		if (r == IO_AGAIN)
			return true;
		sess_be_secured(s);
	}
	if (buf_len(&s->be_out) > 0) {
		r = conn_write(&s->be, &s->be_out);
		if (r == IO_ERR) {
			sess_be_failed(s, s->be.err_text);
			return true;
		}
	}
	if (s->bstate != BS_CONNECTING && buf_space(&s->be_in) > 0) {
		size_t before = buf_len(&s->be_in);

		r = conn_read(&s->be, &s->be_in);
		if (r != IO_EOF && r != IO_ERR)
			sess_telnet_in(s, false, before);
		if (r == IO_EOF || r == IO_ERR) {
			if (s->bstate == BS_READY) {
				log_msg(LOG_LVL_INFO, "%s: the FTP server closed the "
				    "control connection%s%s%s%s", s->tag,
				    r == IO_ERR ? ": " : "",
				    r == IO_ERR ? s->be.err_text : "",
				    r == IO_ERR && s->be.ssl_err[0] ? ": " : "",
				    r == IO_ERR ? s->be.ssl_err : "");
				sess_fatal(s, voice_line(V_BACKEND_CLOSED));
			} else {
				sess_be_failed(s, r == IO_EOF ? "closed the "
				    "connection during the login preamble" :
				    s->be.err_text);
			}
			conn_close(sess_loop(s), &s->be);
		}
	}
	return true;
}

static void
sess_update(struct session *s)
{
	struct loop *l = sess_loop(s);
	bool cli_rd = !s->closing && (s->cstate == CS_PLAIN ||
	    s->cstate == CS_SECURE || s->cstate == CS_CCC_WAIT) &&
	    buf_space(&s->cli_in) > 0;

	conn_arm(l, &s->cli, cli_rd, buf_len(&s->cli_out) > 0);
	conn_arm(l, &s->be, s->bstate != BS_CONNECTING && !s->closing &&
	    buf_space(&s->be_in) > 0, buf_len(&s->be_out) > 0);
	if ((s->cli.more && cli_rd) || (s->be.more && buf_space(&s->be_in) > 0))
		loop_defer(l, &s->kick);
}

static void
sess_pump(struct session *s)
{
	unsigned round;

	/* A few rounds let replies made from just-read input go out at once;
	 * whatever is left waits for epoll. */
	for (round = 0; round < 3 && !s->dead; round++) {
		uint64_t before = s->cli.bytes_in + s->cli.bytes_out +
		    s->be.bytes_in + s->be.bytes_out;
		enum sess_cstate cs = s->cstate;
		enum sess_bstate bs = s->bstate;

		if (!sess_client_io(s))
			return;
		if (s->be.ev.fd >= 0)
			sess_backend_io(s);
		sess_drain_local(s);
		sess_backend_lines(s);
		sess_client_lines(s);
		if (s->dead)
			return;
		if (before == s->cli.bytes_in + s->cli.bytes_out +
		    s->be.bytes_in + s->be.bytes_out && cs == s->cstate &&
		    bs == s->bstate && buf_len(&s->cli_out) == 0 &&
		    buf_len(&s->be_out) == 0)
			break;
	}
	if (!s->dead)
		sess_update(s);
}

static void
sess_on_cli(struct loop_ev *ev, uint32_t events)
{
	(void)events;
	sess_pump(container_of(ev, struct session, cli.ev));
}

static void
sess_on_be(struct loop_ev *ev, uint32_t events)
{
	(void)events;
	sess_pump(container_of(ev, struct session, be.ev));
}

struct session *
sess_new(struct gw *gw, int fd, const struct sockaddr *peer, bool implicit)
{
	struct sockaddr_storage local;
	socklen_t llen = sizeof(local);
	char host[NETADDR_STRLEN];
	struct session *s;

	s = calloc(1, sizeof(*s));
	if (s == NULL)
		goto fail_fd;
	netaddr_from_sockaddr(&s->client, peer);
	if (getsockname(fd, (struct sockaddr *)&local, &llen) < 0)
		goto fail_free;
	if (tls_app_init(&s->tls, gw->tls) < 0)
		goto fail_free;
	s->gw = gw;
	s->started_ms = loop_now(gw->loop);
	s->id = atomic_fetch_add_explicit(&gw->shared->next_id, 1,
	    memory_order_relaxed) + 1;
	s->implicit = implicit;
	netaddr_from_sockaddr(&s->local, (struct sockaddr *)&local);
	snprintf(s->tag, sizeof(s->tag), "#%llu %s", (unsigned long long)s->id,
	    netaddr_str(&s->client, host, sizeof(host)));
	conn_init(&s->cli, sess_on_cli);
	conn_init(&s->be, sess_on_be);
	buf_init(&s->cli_in, CTRL_BUF_SIZE);
	buf_init(&s->cli_out, CTRL_BUF_SIZE);
	buf_init(&s->be_in, CTRL_BUF_SIZE);
	buf_init(&s->be_out, CTRL_BUF_SIZE);
	loop_timer_init(&s->timer, sess_on_timer);
	loop_timer_init(&s->hs_timer, sess_on_hs_timer);
	s->route_pool = -1;
	s->kick.cb = sess_kick;
	s->reap.cb = sess_reap;
	telnet_init(&s->cli_tn, TELNET_COMMANDS);
	telnet_init(&s->be_tn, TELNET_REPLIES);
	conn_set_fd(&s->cli, fd, false);
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
	/* TCP urgent data (the Synch before ABOR, RFC 959 4.1.3: BSD ftp
	 * sends IAC IP IAC DM with the second IAC urgent, Python's ftplib
	 * the whole "ABOR\r\n" with its LF urgent) stays in the stream,
	 * where the Telnet layer removes it; otherwise the kernel takes the
	 * urgent byte out of the stream and the command never completes (or
	 * a TLS record loses a byte). */
	(void)setsockopt(fd, SOL_SOCKET, SO_OOBINLINE, &(int){ 1 },
	    sizeof(int));

	list_push(&gw->sessions, &s->link);
	gw->n_sessions++;
	metrics_inc(&gw->metrics, METRICS_AT1(SESSIONS, implicit ?
	    MV_LISTENER_IMPLICIT : MV_LISTENER_EXPLICIT));
	log_msg(LOG_LVL_NOTICE, "%s: session opened on %s (%s FTPS, worker "
	    "%u)", s->tag, netaddr_str_port(&s->local, host, sizeof(host)),
	    implicit ? "implicit" : "explicit", gw->worker);

	/* The initial states, not transitions: from here on only
	 * sess_set_cstate and sess_set_bstate change them. */
	if (implicit) {
		SSL *ssl = tls_new_server(&s->tls, false);

		if (ssl == NULL) {
			sess_close(s, "cannot create TLS");
			return NULL;
		}
		conn_start_tls(&s->cli, ssl, true);
		s->cstate = CS_TLS_ACCEPT;
		sess_hs_deadline(s);
	} else {
		s->cstate = CS_PLAIN;
	}
	if (gw->cfg->route == CFG_ROUTE_USER) {
		/* The server is chosen at USER: greet the client now. */
		s->bstate = BS_ROUTE;
		sess_route_greet(s);
	} else {
		s->bstate = BS_CONNECTING;
		sess_route_default(s);
	}
	sess_pump(s);
	return s;

fail_free:
	free(s);
fail_fd:
	close(fd);
	{
		struct net_addr a;

		netaddr_from_sockaddr(&a, peer);
		gw_session_end(gw, &a);
	}
	return NULL;
}
