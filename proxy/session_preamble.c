/* The backend's login preamble, from the connection to BS_READY: connect,
 * greeting (answered with ftpsgw's own banner), HOST, AUTH TLS and the
 * handshake, PBSZ and PROT P; and what the server's replies may say about
 * the LAN (the scrub pairs). It calls only session_out.c of the session
 * (layering: proxy/session_int.h). */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "proxy/config.h"
#include "proxy/ftp_codes.h"
#include "proxy/log.h"
#include "proxy/proxy_v2.h"
#include "proxy/routing.h"
#include "proxy/session_int.h"
#include "proxy/transparent.h"
#include "proxy/voice.h"


/* The address the client knows ftpsgw by: the data plan's choice
 * (data_plan_public), so the scrubber names what a 227 announces. */
static void
sess_public_addr(const struct session *s, struct net_addr *out)
{
	const struct config *cfg = s->gw->cfg;
	struct net_addr pub;

	memset(&pub, 0, sizeof(pub));
	if (cfg->have_public_address)
		netaddr_from_sockaddr(&pub,
		    (const struct sockaddr *)&cfg->public_address);
	*out = data_plan_public(&s->client, &s->local, &pub);
}

/*
 * SECURITY: what the server's replies may say about the LAN, and what the
 * client sees instead: the server's own address becomes ftpsgw's public
 * address (the server as the client knows it), and ftpsgw's LAN address
 * (the peer the server sees, in STAT output and the like) the client's.
 */
static void
sess_scrub_init(struct session *s)
{
	s->n_scrub = 0;
	s->scrub[s->n_scrub].lan = *sess_be_addr(s);
	sess_public_addr(s, &s->scrub[s->n_scrub++].pub);
	if (s->be_local.family != 0) {
		s->scrub[s->n_scrub].lan = s->be_local;
		s->scrub[s->n_scrub++].pub = s->client;
	}
}

/* What this session found, for ftpsgw_backend_state; with health checks
 * on, their verdict is the state shown, not one session's luck. */
void
sess_be_health(struct session *s, enum metrics_health h)
{
	if (s->gw->cfg->health_check)
		return;
	metrics_backend(&s->gw->metrics, loop_now(sess_loop(s)), h);
}

void
sess_be_failed(struct session *s, const char *what)
{
	char host[NETADDR_STRLEN];

	log_msg(LOG_LVL_ERR, "%s: FTP server %s: %s%s%s", s->tag,
	    netaddr_str_port(sess_be_addr(s), host, sizeof(host)), what,
	    s->be.ssl_err[0] ? ": " : "", s->be.ssl_err);
	gw_refusal(s->gw, &s->client, "closed: FTP server %s: %s%s%s", host,
	    what, s->be.ssl_err[0] ? ": " : "", s->be.ssl_err);
	sess_be_health(s, METRICS_HEALTH_DOWN);
	sess_fatal(s, voice_line(V_BACKEND_UNREACHABLE));
	/* Done with it: a failed handshake left armed would fail (and be
	 * logged) again at every pass until the session is gone. */
	conn_close(sess_loop(s), &s->be);
}

/*
 * backend_source = client: connect from the client's address, unless
 * backend_src_choose says it is not safe or cannot work for this client;
 * then the gateway's, with one line in the log.
 */
static void
sess_be_source(struct session *s)
{
	const struct net_addr *be = sess_be_addr(s);
	struct bsrc_routes routes = { false, false };
	enum bsrc_choice c;

	s->be_transparent = false;
	if (sess_be_cfg(s)->source != CFG_SOURCE_CLIENT)
		return;
	if (s->client.family == be->family)
		tp_routes(&s->client, be, &routes);
	c = backend_src_choose(true, &s->client, be, &routes);
	if (c == BSRC_CLIENT) {
		s->be_transparent = true;
		return;
	}
	log_msg(LOG_LVL_NOTICE, "%s: backend_source = client: the FTP server "
	    "sees the gateway's address for this session: %s", s->tag,
	    backend_src_why(c));
}

/* Start the TCP connection to the server; -1 with errno on failure. */
static int
sess_be_connect(struct session *s)
{
	struct sockaddr_storage ss;
	socklen_t len = netaddr_to_sockaddr(sess_be_addr(s), &ss);
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	int one = 1;

	if (fd < 0)
		return -1;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (s->be_transparent) {
		struct net_addr src = s->client;

		src.port = 0;	/* never the client's own port */
		if (tp_bind(fd, &src) < 0) {
			int e = errno;
			char host[NETADDR_STRLEN];

			log_msg(LOG_LVL_ERR, "%s: cannot connect to the FTP "
			    "server from the client's address %s: %s; %s",
			    s->tag, netaddr_str(&src, host, sizeof(host)),
			    strerror(e), tp_advice(e));
			close(fd);
			errno = e;
			return -1;
		}
	}
	if (connect(fd, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	conn_set_fd(&s->be, fd, true);
	return 0;
}

/* A monotonic clock in nanoseconds, for the backend connect time (the
 * loop's clock counts milliseconds; a LAN connect takes a fraction of one). */
static uint64_t
sess_clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void
sess_be_begin(struct session *s)
{
	loop_timer_set(sess_loop(s), &s->timer,
	    (uint64_t)s->gw->cfg->connect_timeout * 1000u);
	s->be_connect_ns = sess_clock_ns();
	sess_be_source(s);
	if (sess_be_connect(s) < 0) {
		const char *why = strerror(errno);

		metrics_inc(&s->gw->metrics, METRICS_AT1(BACKEND_FAILURES, 0));
		if (!sess_route_retry(s, why))
			sess_be_failed(s, why);
	}
}

/* ---- which server (issue 17) ---- */

void
sess_route_greet(struct session *s)
{
	char greeting[CFG_BANNER_MAX + 8];

	snprintf(greeting, sizeof(greeting), "%u %s", FTP_GREETING,
	    s->gw->cfg->banner);
	sess_put(s, greeting);
	s->greeted = true;
	loop_timer_set(sess_loop(s), &s->timer,
	    (uint64_t)s->gw->cfg->idle_timeout * 1000u);
}

/* Take backend be of pool for this session and start its preamble. */
static void
sess_route_to(struct session *s, int pool, int be)
{
	s->tls.be = (unsigned)be;
	s->be_counted = true;
	s->route_pool = pool;
	sess_be_begin(s);
}

bool
sess_route_retry(struct session *s, const char *why)
{
	const struct config *cfg = s->gw->cfg;
	char host[NETADDR_STRLEN], esc[128];
	unsigned old = s->tls.be;
	int be;

	if (s->route_pool < 0 || s->bstate != BS_CONNECTING)
		return false;
	s->route_tried |= (uint64_t)1 << old;
	be = routing_pick(s->gw->shared, cfg, s->route_pool, &s->client,
	    s->route_tried);
	if (be < 0)
		return false;	/* none left: the caller's 421 */
	log_msg(LOG_LVL_WARNING, "%s: FTP server %s [backend %s]: %s; trying "
	    "[backend %s] of pool %s", s->tag, netaddr_str_port(
	    sess_be_addr(s), host, sizeof(host)), cfg->backends[old].section,
	    log_escape(esc, sizeof(esc), why, strlen(why)),
	    cfg->backends[be].section, cfg->pools[s->route_pool].name);
	conn_close(sess_loop(s), &s->be);
	routing_release(s->gw->shared, old);
	s->tls.be = (unsigned)be;
	sess_be_begin(s);
	return true;
}

/* No member of pool is up (the health checks found them down):
 * logged for the admin, 421 at once for the client, who would otherwise
 * wait for connect_timeout. */
static void
sess_route_none_up(struct session *s, int pool)
{
	const struct config *cfg = s->gw->cfg;

	if (pool >= 0 && cfg->pools[pool].n == 1) {
		unsigned be = cfg->pools[pool].member[0];
		char host[NETADDR_STRLEN];

		log_msg(LOG_LVL_INFO, "%s: refused at once: the FTP server %s "
		    "is down (%s)", s->tag, netaddr_str_port(
		    &s->gw->shared->backend[be], host, sizeof(host)),
		    voice_advice(V_BACKEND_DOWN));
		sess_fatal(s, voice_line(V_BACKEND_DOWN));
		return;
	}
	log_msg(LOG_LVL_ERR, "%s: pool %s: no FTP server is up, session "
	    "refused (%s)", s->tag, pool >= 0 ?
	    s->gw->cfg->pools[pool].name : "(none)",
	    voice_advice(V_ROUTE_NONE_UP));
	sess_fatal(s, voice_line(V_ROUTE_NONE_UP));
}

void
sess_route_default(struct session *s)
{
	const struct config *cfg = s->gw->cfg;
	int be = routing_pick(s->gw->shared, cfg, cfg->default_pool_idx,
	    &s->client, 0);

	if (be < 0) {
		sess_route_none_up(s, cfg->default_pool_idx);
		return;
	}
	if (cfg->n_backends > 1)
		log_msg(LOG_LVL_INFO, "%s: to backend %s (pool %s)", s->tag,
		    cfg->backends[be].section,
		    cfg->pools[cfg->default_pool_idx].name);
	sess_route_to(s, cfg->default_pool_idx, be);
}

/* A user name for the log: escaped, cut. */
static const char *
sess_route_name(char *buf, size_t cap, const struct ftp_cmd *cmd)
{
	return log_escape(buf, cap, cmd->arg, cmd->arg_len);
}

bool
sess_route_user(struct session *s, const struct ftp_cmd *cmd)
{
	const struct config *cfg = s->gw->cfg;
	char esc[96];
	size_t cut;
	int pool, be;

	pool = routing_user_pool(s->gw->shared, cfg, cmd->arg, cmd->arg_len,
	    &cut);
	if (pool < 0) {
		log_msg(LOG_LVL_INFO, "%s: USER %s has no FTP server: no "
		    "name@NAME, no user_map rule and no default_pool (%s)",
		    s->tag, sess_route_name(esc, sizeof(esc), cmd),
		    voice_advice(V_ROUTE_UNKNOWN));
		sess_reply(s, voice_line(V_ROUTE_UNKNOWN));
		return false;
	}
	be = routing_pick(s->gw->shared, cfg, pool, &s->client, 0);
	if (be < 0) {
		sess_route_none_up(s, pool);
		return false;
	}
	log_msg(LOG_LVL_INFO, "%s: USER %s to backend %s (pool %s)", s->tag,
	    sess_route_name(esc, sizeof(esc), cmd), cfg->backends[be].section,
	    cfg->pools[pool].name);
	s->routed = true;
	s->route_first = true;
	s->user_cut = cut;
	if (!sess_set_bstate(s, BS_CONNECTING))
		return false;
	sess_route_to(s, pool, be);
	return !s->closing;
}

bool
sess_route_same(struct session *s, const struct ftp_cmd *cmd, size_t *cut)
{
	const struct config *cfg = s->gw->cfg;
	const struct cfg_pool *p;
	int pool;
	size_t i;

	pool = routing_user_pool(s->gw->shared, cfg, cmd->arg, cmd->arg_len,
	    cut);
	if (pool < 0)
		return false;
	p = &cfg->pools[pool];
	for (i = 0; i < p->n; i++)
		if (p->member[i] == s->tls.be)
			return true;
	return false;
}

/* Start the TLS handshake with the server (BS_HANDSHAKE); false if the
 * session is ending. */
static bool
sess_be_start_tls(struct session *s)
{
	SSL *ssl = tls_new_backend(&s->tls, NULL);

	if (ssl == NULL) {
		sess_be_failed(s, "cannot create a TLS connection");
		return false;
	}
	conn_start_tls(&s->be, ssl, false);
	return sess_set_bstate(s, BS_HANDSHAKE);
}

static void
sess_be_setup(struct session *s)
{
	if (!sess_set_bstate(s, BS_SETUP))
		return;
	SESS_SEND_LIT(s, "PBSZ 0\r\nPROT P\r\n");
	s->setup_left = 2;
	s->be_prot_p = true;
}

static void
sess_be_ready(struct session *s)
{
	if (!sess_set_bstate(s, BS_READY))
		return;
	loop_timer_set(sess_loop(s), &s->timer,
	    (uint64_t)s->gw->cfg->idle_timeout * 1000u);
	log_msg(LOG_LVL_DEBUG, "%s: FTP server session ready", s->tag);
}

static void
sess_be_auth(struct session *s)
{
	if (!sess_set_bstate(s, BS_AUTH))
		return;
	SESS_SEND_LIT(s, "AUTH TLS\r\n");
	loop_timer_set(sess_loop(s), &s->timer,
	    (uint64_t)s->gw->cfg->connect_timeout * 1000u);
}

/*
 * backend_proxy_protocol = v2: the header goes first on the control
 * connection, before the server's 220 and before any TLS (implicit TLS's
 * ClientHello included); data connections never get one. The connection
 * has just been established, so its send buffer is empty and the 28 or 52
 * bytes go at once; a short send is a failure, never half a header.
 */
static bool
sess_be_proxy_header(struct session *s)
{
	uint8_t h[PROXY_V2_MAX];
	size_t n = proxy_v2_encode(&s->client, &s->local, h, sizeof(h));
	ssize_t w;

	if (n == 0) {
		sess_be_failed(s, "cannot describe the client in a PROXY "
		    "header (address families differ)");
		return false;
	}
	w = send(s->be.ev.fd, h, n, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (w != (ssize_t)n) {
		sess_be_failed(s, w < 0 ? strerror(errno) :
		    "the PROXY header could not be sent at once");
		return false;
	}
	log_msg(LOG_LVL_DEBUG, "%s: PROXY v2 header sent (%zu bytes)", s->tag,
	    n);
	return true;
}

bool
sess_be_connected(struct session *s)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	log_msg(LOG_LVL_DEBUG, "%s: connected to the FTP server", s->tag);
	metrics_observe_connect(&s->gw->metrics, sess_clock_ns() -
	    s->be_connect_ns);
	/* Active mode listens here and names it in PORT. */
	if (getsockname(s->be.ev.fd, (struct sockaddr *)&ss, &len) == 0)
		netaddr_from_sockaddr(&s->be_local, (struct sockaddr *)&ss);
	sess_scrub_init(s);
	if (sess_be_cfg(s)->proxy_protocol == CFG_PROXY_V2 &&
	    !sess_be_proxy_header(s))
		return false;
	if (sess_be_cfg(s)->tls == CFG_BACKEND_IMPLICIT)
		return sess_be_start_tls(s);
	return sess_set_bstate(s, BS_GREETING);
}

void
sess_be_secured(struct session *s)
{
	if (log_enabled(LOG_LVL_DEBUG)) {
		char d[96];

		log_msg(LOG_LVL_DEBUG, "%s: FTP server TLS: %s", s->tag,
		    tls_describe(s->be.ssl, d, sizeof(d)));
	}
	if (sess_be_cfg(s)->tls == CFG_BACKEND_IMPLICIT)
		(void)sess_set_bstate(s, BS_GREETING);	/* refused: it ends */
	else
		sess_be_setup(s);
}

/* Send HOST arg to the server (BS_HOST). True when it went, or the
 * session ends; false when it cannot be encoded: AUTH TLS went instead. */
static bool
sess_be_host(struct session *s, const char *arg, size_t arg_len)
{
	char line[FTP_WIRE_LINE_MAX + 8];
	size_t n;

	/* A host name, no secret: it goes before TLS, as RFC 7151 wants;
	 * a 0xFF in it as IAC IAC, like in any command (RFC 959). */
	memcpy(line, "HOST ", 5);
	if (!telnet_encode(arg, arg_len, line + 5, sizeof(line) - 7, &n)) {
		sess_be_auth(s);
		return false;
	}
	memcpy(line + 5 + n, "\r\n", 2);
	if (!sess_set_bstate(s, BS_HOST))
		return true;	/* the session ends */
	sess_send_own(s, line, 5 + n + 2);
	loop_timer_set(sess_loop(s), &s->timer,
	    (uint64_t)s->gw->cfg->connect_timeout * 1000u);
	return true;
}

bool
sess_be_release(struct session *s, const struct ftp_cmd *cmd)
{
	if (s->route_host_len > 0) {
		/* route = user: the HOST ftpsgw answered before USER named
		 * this server; the USER (cmd) waits for the preamble. */
		s->route_host_sent = true;
		(void)sess_be_host(s, s->route_host, s->route_host_len);
		return false;
	}
	if (cmd->verb != FTP_VERB_HOST || cmd->arg == NULL) {
		sess_be_auth(s);
		return false;
	}
	return sess_be_host(s, cmd->arg, cmd->arg_len);
}

void
sess_preamble_line(struct session *s, const char *line, size_t len)
{
	const struct config *cfg = s->gw->cfg;
	enum ftp_reply_line kind;
	unsigned code = 0;
	char esc[128], greeting[CFG_BANNER_MAX + 8];

	kind = ftp_reply_feed(&s->be_rp, line, len, &code);
	if (kind == FTP_REPLY_BAD) {
		log_msg(LOG_LVL_ERR, "%s: FTP server sent a line that is not an "
		    "FTP reply: %s (%s)", s->tag, log_escape(esc, sizeof(esc),
		    line, len), voice_advice(V_BACKEND_NOT_FTP));
		sess_be_health(s, METRICS_HEALTH_DOWN);
		sess_fatal(s, voice_line(V_BACKEND_NOT_FTP));
		return;
	}
	switch (s->bstate) {
	case BS_GREETING:
		/*
		 * SECURITY: the server's greeting names the server, often its
		 * LAN address and software version: a 220 is answered with
		 * ftpsgw's own banner (gateway.conf banner). A refusal (421
		 * too many users, say) is the client's to read, cleaned.
		 */
		if ((kind == FTP_REPLY_PART ? s->be_rp.code : code) !=
		    FTP_GREETING)
			sess_relay(s, line, len);
		if (kind != FTP_REPLY_LAST)
			return;
		if (code != FTP_GREETING) {
			log_msg(LOG_LVL_NOTICE, "%s: FTP server refused the "
			    "session: %s", s->tag,
			    log_escape(esc, sizeof(esc), line, len));
			s->closing = true;
			loop_timer_set(sess_loop(s), &s->timer, SESS_CLOSE_MS);
			return;
		}
		sess_be_health(s, METRICS_HEALTH_UP);
		if (!s->greeted) {	/* route = user greeted already */
			snprintf(greeting, sizeof(greeting), "%u %s",
			    FTP_GREETING, cfg->banner);
			sess_put(s, greeting);
			s->greeted = true;
		}
		if (sess_be_cfg(s)->tls == CFG_BACKEND_EXPLICIT) {
			if (sess_set_bstate(s, BS_HOLD))
				loop_timer_set(sess_loop(s), &s->timer,
				    (uint64_t)cfg->idle_timeout * 1000u);
		} else if (sess_be_cfg(s)->tls == CFG_BACKEND_IMPLICIT) {
			sess_be_setup(s);
		} else {
			sess_be_ready(s);
		}
		return;
	case BS_HOST:
		/* The server's verdict on HOST is the client's; but a HOST
		 * ftpsgw answered before USER (route = user) had its 220
		 * already: the server's words go to the log. */
		if (!s->route_host_sent) {
			sess_relay(s, line, len);
		} else if (kind == FTP_REPLY_LAST && code / 100 != 2) {
			log_msg(LOG_LVL_NOTICE, "%s: FTP server [backend %s] "
			    "refused the client's HOST: %s; the session goes "
			    "on with the server's default host", s->tag,
			    sess_be_cfg(s)->section,
			    log_escape(esc, sizeof(esc), line, len));
			if (code == FTP_SERVICE_UNAVAIL) {
				sess_fatal(s, voice_line(V_BACKEND_UNREACHABLE));
				return;
			}
		}
		if (kind == FTP_REPLY_LAST)
			sess_be_auth(s);
		return;
	case BS_AUTH:
		if (kind != FTP_REPLY_LAST)
			return;
		if (code != FTP_AUTH_OK) {
			log_msg(LOG_LVL_ERR, "%s: FTP server refused AUTH TLS: %s "
			    "(%s)", s->tag, log_escape(esc, sizeof(esc), line,
			    len), voice_advice(V_BACKEND_NO_TLS));
			sess_be_health(s, METRICS_HEALTH_DOWN);
			sess_fatal(s, voice_line(V_BACKEND_NO_TLS));
			return;
		}
		/* SECURITY: nothing the server sent in clear after 234 is
		 * read as coming from inside TLS, Telnet state included. */
		buf_consume(&s->be_in, buf_len(&s->be_in));
		s->be_keep = 0;
		telnet_init(&s->be_tn, TELNET_REPLIES);
		sess_be_start_tls(s);
		return;
	case BS_SETUP:
		if (kind != FTP_REPLY_LAST)
			return;
		if (code < 200 || code > 299) {
			log_msg(LOG_LVL_ERR, "%s: FTP server refused PBSZ/PROT P: %s",
			    s->tag, log_escape(esc, sizeof(esc), line, len));
			sess_be_health(s, METRICS_HEALTH_DOWN);
			sess_fatal(s, voice_line(V_BACKEND_NO_PROT));
			return;
		}
		if (--s->setup_left == 0)
			sess_be_ready(s);
		return;
	default:
		return;
	}
}
