/* ftpsgw: options, configuration, listeners, signals, and the run loop. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "certs/keys.h"
#include "conntrack/ct.h"
#include "proxy/config.h"
#include "proxy/data.h"
#include "proxy/gw.h"
#include "proxy/log.h"
#include "proxy/loop.h"
#include "proxy/netaddr.h"
#include "proxy/priv.h"
#include "proxy/quitter.h"
#include "proxy/session.h"
#include "proxy/tls.h"

/* A configuration file larger than this is surely not one. */
#define MAIN_CONF_MAX (1024 * 1024)
/* Certificates closer than this to expiry get a warning. */
#define MAIN_EXPIRY_WARN_DAYS 30
/* Address slots beyond two per session (failing addresses, churn). */
#define MAIN_HOSTS_SPARE 1024
/* The expiry check repeats daily (ms). */
#define MAIN_DAY_MS (24u * 3600u * 1000u)
/* Connections accepted per listener wake-up. */
#define MAIN_ACCEPT_BATCH 16
/* Pause of a listener after EMFILE/ENFILE. */
#define MAIN_ACCEPT_PAUSE_MS 1000

struct listener {
	struct loop_ev ev;
	struct loop_timer pause;
	struct gw *gw;
	bool implicit;
	char name[NETADDR_STRLEN];
};

struct main_ctx {
	struct gw gw;
	struct config cfg;
	const char *conf_path;
	struct listener listeners[CFG_LISTEN_MAX];
	size_t n_listeners;
	struct loop_ev sig;
	struct loop_timer daily;	/* certificate expiry check */
	struct loop_timer grace;	/* SIGTERM: shutdown_timeout */
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: ftpsgw [-t] -c FILE\n"
	    "       ftpsgw --version\n"
	    "  -c FILE  configuration (see gateway.conf); runs in the foreground,\n"
	    "           logging to stderr\n"
	    "  -t       check the configuration, certificate and key, then exit\n");
}

static int
read_file(const char *path, char **out, size_t *len)
{
	struct stat st;
	char *p;
	ssize_t n;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || st.st_size > MAIN_CONF_MAX) {
		if (st.st_size > MAIN_CONF_MAX)
			errno = EFBIG;
		close(fd);
		return -1;
	}
	p = malloc((size_t)st.st_size + 1);
	if (p == NULL) {
		close(fd);
		return -1;
	}
	while (got < (size_t)st.st_size &&
	    (n = read(fd, p + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)n;
	close(fd);
	*out = p;
	*len = got;
	return 0;
}

static int
load_config(struct main_ctx *m)
{
	char err[1024], *text;
	size_t len;
	int rc;

	if (read_file(m->conf_path, &text, &len) < 0) {
		fprintf(stderr, "ftpsgw: %s: %s\n", m->conf_path, strerror(errno));
		return -1;
	}
	cfg_defaults(&m->cfg);
	rc = cfg_parse(&m->cfg, m->conf_path, text, len, err, sizeof(err));
	free(text);
	if (rc < 0) {
		fprintf(stderr, "ftpsgw: %s\n", err);
		return -1;
	}
	return 0;
}

/* Resolve backend at start-up (never in the loop). */
static int
resolve_backend(struct main_ctx *m)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res;
	int rc = getaddrinfo(m->cfg.backend_host, NULL, &hints, &res);

	if (rc != 0) {
		fprintf(stderr, "ftpsgw: %s: backend: cannot resolve '%s': %s "
		    "(use an address, or a name in /etc/hosts)\n", m->conf_path,
		    m->cfg.backend_host, gai_strerror(rc));
		return -1;
	}
	netaddr_from_sockaddr(&m->gw.backend, res->ai_addr);
	m->gw.backend.port = m->cfg.backend_port;
	freeaddrinfo(res);
	return 0;
}

static void
on_accept_pause(struct loop_timer *t)
{
	struct listener *ls = container_of(t, struct listener, pause);

	(void)loop_arm(ls->gw->loop, &ls->ev, EPOLLIN);
}

/* Turn a connection away before any session exists for it: one reply on an
 * explicit listener (nobody reads clear text on an implicit one). */
static void
refuse(const struct listener *ls, int fd, const char *reply)
{
	if (!ls->implicit)
		(void)send(fd, reply, strlen(reply), MSG_DONTWAIT | MSG_NOSIGNAL);
	close(fd);
}

/* max_sessions, max_sessions_per_ip and bans. True if fd may go on. */
static bool
admit(const struct listener *ls, int fd, const struct sockaddr *peer)
{
	struct gw *gw = ls->gw;
	const struct config *cfg = gw->cfg;
	char host[NETADDR_STRLEN], reply[128];
	struct ftp_addr a;
	uint32_t wait = 0;

	netaddr_from_sockaddr(&a, peer);
	netaddr_str(&a, host, sizeof(host));
	if (gw->n_sessions >= cfg->max_sessions) {
		log_msg(LOG_LVL_NOTICE, "%s refused: max_sessions (%u) reached",
		    host, cfg->max_sessions);
		refuse(ls, fd, "421 Too many connections to this gateway; try "
		    "again later.\r\n");
		return false;
	}
	switch (hosttab_admit(&gw->hosts, &a, loop_now(gw->loop),
	    cfg->max_sessions_per_ip, &wait)) {
	case HOST_ADMIT:
		return true;
	case HOST_BANNED:
		log_msg(LOG_LVL_INFO, "%s refused: banned for failed logins "
		    "(%u s left)", host, wait);
		snprintf(reply, sizeof(reply), "421 Too many failed logins from "
		    "your address; try again in %u second%s.\r\n", wait,
		    wait == 1 ? "" : "s");
		refuse(ls, fd, reply);
		return false;
	case HOST_TOO_MANY:
		log_msg(LOG_LVL_NOTICE, "%s refused: max_sessions_per_ip (%u) "
		    "open already", host, cfg->max_sessions_per_ip);
		refuse(ls, fd, "421 Too many connections from your address.\r\n");
		return false;
	case HOST_FULL:
		break;
	}
	log_msg(LOG_LVL_NOTICE, "%s refused: too many addresses to track "
	    "(raise max_sessions)", host);
	refuse(ls, fd, "421 Too many connections to this gateway; try again "
	    "later.\r\n");
	return false;
}

static void
on_accept(struct loop_ev *ev, uint32_t events)
{
	struct listener *ls = container_of(ev, struct listener, ev);
	struct gw *gw = ls->gw;
	unsigned n;

	(void)events;
	for (n = 0; n < MAIN_ACCEPT_BATCH; n++) {
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		int fd = accept4(ev->fd, (struct sockaddr *)&peer, &plen,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE) {
				log_msg(LOG_LVL_ERR, "listener %s: out of file "
				    "descriptors (%s); pausing accepts for %d ms "
				    "(raise LimitNOFILE / ulimit -n)", ls->name,
				    strerror(errno), MAIN_ACCEPT_PAUSE_MS);
				(void)loop_arm(gw->loop, &ls->ev, 0);
				loop_timer_set(gw->loop, &ls->pause,
				    MAIN_ACCEPT_PAUSE_MS);
			} else if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED) {
				log_msg(LOG_LVL_INFO, "listener %s: accept: %s",
				    ls->name, strerror(errno));
			}
			return;
		}
		if (admit(ls, fd, (struct sockaddr *)&peer))
			(void)sess_new(gw, fd, (struct sockaddr *)&peer,
			    ls->implicit);
	}
}

static int
open_listeners(struct main_ctx *m)
{
	size_t i;

	for (i = 0; i < m->cfg.n_listen; i++) {
		const struct cfg_listen *cl = &m->cfg.listen[i];
		struct listener *ls = &m->listeners[i];
		struct ftp_addr a;
		int one = 1, fd;

		netaddr_from_sockaddr(&a, (const struct sockaddr *)&cl->addr);
		netaddr_str_port(&a, ls->name, sizeof(ls->name));
		fd = socket(cl->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
		if (fd < 0)
			goto fail;
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (cl->addr.ss_family == AF_INET6)
			(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
			    sizeof(one));
		if (bind(fd, (const struct sockaddr *)&cl->addr, cl->addrlen) < 0 ||
		    listen(fd, SOMAXCONN) < 0) {
			int e = errno;

			close(fd);
			errno = e;
			goto fail;
		}
		loop_ev_init(&ls->ev, on_accept);
		loop_timer_init(&ls->pause, on_accept_pause);
		ls->ev.fd = fd;
		ls->gw = &m->gw;
		ls->implicit = cl->implicit;
		m->n_listeners++;
		if (loop_arm(m->gw.loop, &ls->ev, EPOLLIN) < 0)
			goto fail;
		continue;
fail:
		log_msg(LOG_LVL_ERR, "%s:%u: %s = %s: %s%s", m->conf_path,
		    cl->line, cl->implicit ? "listen_implicit" : "listen",
		    ls->name, strerror(errno), errno == EADDRINUSE ?
		    " (another FTP server may be listening there: stop it or "
		    "change the address)" : errno == EADDRNOTAVAIL ?
		    " (not an address of this machine)" : "");
		return -1;
	}
	return 0;
}

static void
close_listeners(struct main_ctx *m)
{
	size_t i;

	for (i = 0; i < m->n_listeners; i++) {
		struct listener *ls = &m->listeners[i];

		loop_timer_cancel(m->gw.loop, &ls->pause);
		loop_forget(m->gw.loop, &ls->ev);
		if (ls->ev.fd >= 0)
			close(ls->ev.fd);
		ls->ev.fd = -1;
	}
	m->n_listeners = 0;
}

static void
warn_expiry(SSL_CTX *ctx, const char *path)
{
	int days;

	if (keys_days_left(ctx, &days) == 0 && days < MAIN_EXPIRY_WARN_DAYS)
		log_msg(LOG_LVL_WARNING, "certificate %s %s %d days: renew it "
		    "(ftpsgw-certs issue), then send SIGHUP", path,
		    days < 0 ? "expired" : "expires in", days < 0 ? -days : days);
}

/* Once a day: a certificate that nobody renewed is noticed before it
 * expires (the warning at start is long gone from the admin's view). */
static void
on_daily(struct loop_timer *t)
{
	struct main_ctx *m = container_of(t, struct main_ctx, daily);

	warn_expiry(m->gw.tls.server, m->cfg.certificate);
	loop_timer_set(m->gw.loop, &m->daily, MAIN_DAY_MS);
}

/* SIGHUP: build and check whole new contexts, then swap. Live connections
 * keep their reference to the old ones. */
static void
reload_tls(struct main_ctx *m)
{
	struct tls fresh;
	char err[1024];

	if (tls_init(&fresh, &m->cfg, err, sizeof(err)) < 0) {
		log_msg(LOG_LVL_ERR, "SIGHUP: certificates not reloaded, the old "
		    "ones stay in use: %s", err);
		return;
	}
	tls_free(&m->gw.tls);
	m->gw.tls = fresh;
	log_msg(LOG_LVL_NOTICE, "SIGHUP: certificate %s reloaded",
	    m->cfg.certificate);
	warn_expiry(m->gw.tls.server, m->cfg.certificate);
}

/* End every session that is left, and the loop. */
static void
stop_now(struct main_ctx *m)
{
	struct session *s;

	while ((s = sess_first(&m->gw)) != NULL)
		sess_shutdown(s, "421 The gateway is shutting down.");
	data_abort_all(&m->gw);
	quitter_abort_all(&m->gw);
	loop_stop(m->gw.loop);
}

static void
on_shutdown_timeout(struct loop_timer *t)
{
	struct main_ctx *m = container_of(t, struct main_ctx, grace);

	log_msg(LOG_LVL_NOTICE, "shutdown_timeout (%u s) over: closing %u "
	    "session%s", m->cfg.shutdown_timeout, m->gw.n_sessions,
	    m->gw.n_sessions == 1 ? "" : "s");
	stop_now(m);
}

/* SIGTERM: accept nothing more; idle sessions end now, transfers under way
 * may finish within shutdown_timeout. */
static void
stop_gently(struct main_ctx *m, unsigned signo)
{
	struct session *s, *next;
	unsigned busy = 0;

	m->gw.stopping = true;
	close_listeners(m);
	for (s = sess_first(&m->gw); s != NULL; s = next) {
		next = sess_next(s);
		if (sess_drain(s, "421 The gateway is shutting down."))
			busy++;
	}
	log_msg(LOG_LVL_NOTICE, "signal %u: stopping; %u transfer%s may finish "
	    "within shutdown_timeout (%u s)", signo, busy, busy == 1 ? "" : "s",
	    m->cfg.shutdown_timeout);
	gw_stop_if_done(&m->gw);
	loop_timer_set(m->gw.loop, &m->grace,
	    (uint64_t)m->cfg.shutdown_timeout * 1000u);
}

static void
on_signal(struct loop_ev *ev, uint32_t events)
{
	struct main_ctx *m = container_of(ev, struct main_ctx, sig);
	struct signalfd_siginfo si;

	(void)events;
	while (read(ev->fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			reload_tls(m);
			continue;
		}
		if (m->gw.stopping) {
			log_msg(LOG_LVL_NOTICE, "signal %u again: stopping now",
			    si.ssi_signo);
			stop_now(m);
			return;
		}
		stop_gently(m, si.ssi_signo);
	}
}

static int
setup_signals(struct main_ctx *m)
{
	sigset_t set;
	int fd;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -1;
	loop_ev_init(&m->sig, on_signal);
	m->sig.fd = fd;
	return loop_arm(m->gw.loop, &m->sig, EPOLLIN);
}

static int
open_conntrack(struct main_ctx *m)
{
	if (m->cfg.conntrack == CFG_CT_OFF)
		return 0;
	m->gw.ct = ct_open();
	if (m->gw.ct != NULL)
		return 0;
	if (m->cfg.conntrack == CFG_CT_ON) {
		log_msg(LOG_LVL_ERR, "conntrack = on, but ctnetlink cannot be "
		    "opened: %s: %s", strerror(errno), ct_strerror_advice(errno));
		return -1;
	}
	log_msg(LOG_LVL_WARNING, "conntrack = auto: ctnetlink cannot be opened "
	    "(%s): %s Going on without expectations: data connections work "
	    "only if the firewall admits them otherwise.", strerror(errno),
	    ct_strerror_advice(errno));
	return 0;
}

int
main(int argc, char **argv)
{
	static struct main_ctx m;
	bool test_only = false;
	char err[1024];
	struct host_entry *host_slots = NULL;
	size_t host_cap;
	uint32_t seed = 0;
	int i, rc = 1;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
			m.conf_path = argv[++i];
		} else if (strcmp(argv[i], "-t") == 0) {
			test_only = true;
		} else if (strcmp(argv[i], "--version") == 0 ||
		    strcmp(argv[i], "-V") == 0) {
			printf("ftpsgw %s (%s)\n", FTPSGW_VERSION,
			    OpenSSL_version(OPENSSL_VERSION));
			return 0;
		} else if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (m.conf_path == NULL) {
		usage(stderr);
		return 2;
	}
	if (load_config(&m) < 0 || resolve_backend(&m) < 0)
		return 1;
	log_set_level((enum log_level)m.cfg.log_level);
	m.gw.cfg = &m.cfg;
	if (tls_init(&m.gw.tls, &m.cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "ftpsgw: %s: %s\n", m.conf_path, err);
		return 1;
	}
	if (m.cfg.data_path == CFG_DATA_KERNEL)
		log_msg(LOG_LVL_WARNING, "data_path = kernel is not implemented "
		    "in this version: data connections are relayed by ftpsgw "
		    "(set data_path = relay to silence this)");
	if (!m.cfg.backend_verify && !m.cfg.have_backend_fingerprint)
		log_msg(LOG_LVL_WARNING, "backend_verify = off: the FTP server's "
		    "certificate is not checked, so anyone on the LAN path can "
		    "pose as it (set backend_ca instead)");
	warn_expiry(m.gw.tls.server, m.cfg.certificate);
	if (priv_check(&m.cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "ftpsgw: %s: %s\n", m.conf_path, err);
		tls_free(&m.gw.tls);
		return 1;
	}
	if (test_only) {
		char be[NETADDR_STRLEN];
		int chain = keys_check_chain(m.gw.tls.server, m.cfg.certificate,
		    err, sizeof(err));

		if (chain < 0) {
			fprintf(stderr, "ftpsgw: %s: %s\n", m.conf_path, err);
			tls_free(&m.gw.tls);
			return 1;
		}
		if (chain > 0)
			log_msg(LOG_LVL_WARNING, "%s", err);
		printf("ftpsgw: configuration %s OK: %zu listener%s, backend %s, "
		    "certificate and key match%s\n", m.conf_path, m.cfg.n_listen,
		    m.cfg.n_listen == 1 ? "" : "s",
		    netaddr_str_port(&m.gw.backend, be, sizeof(be)),
		    chain == 0 ? ", chain verifies" : "");
		tls_free(&m.gw.tls);
		return 0;
	}

	m.gw.loop = loop_new();
	if (m.gw.loop == NULL) {
		log_msg(LOG_LVL_ERR, "cannot create the event loop: %s",
		    strerror(errno));
		goto out;
	}
	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = (uint32_t)getpid();
	portpool_init(&m.gw.ports, m.cfg.passive_low, m.cfg.passive_high, seed);
	/* Room for every session's address and as many failing ones, with
	 * the table at most about half full. */
	host_cap = 2 * (size_t)m.cfg.max_sessions + MAIN_HOSTS_SPARE;
	host_slots = calloc(host_cap, sizeof(*host_slots));
	if (host_slots == NULL) {
		log_msg(LOG_LVL_ERR, "out of memory for %zu address slots "
		    "(max_sessions = %u)", host_cap, m.cfg.max_sessions);
		goto out;
	}
	hosttab_init(&m.gw.hosts, host_slots, host_cap, seed ^ 0x9e3779b9u);
	if (open_conntrack(&m) < 0 || open_listeners(&m) < 0 ||
	    setup_signals(&m) < 0)
		goto out;
	{
		char what[160];

		if (priv_drop(&m.cfg, m.gw.ct != NULL, what, sizeof(what), err,
		    sizeof(err)) < 0) {
			log_msg(LOG_LVL_ERR, "%s: %s", m.conf_path, err);
			goto out;
		}
		log_msg(LOG_LVL_INFO, "running as %s", what);
	}
	loop_timer_init(&m.grace, on_shutdown_timeout);
	loop_timer_init(&m.daily, on_daily);
	loop_timer_set(m.gw.loop, &m.daily, MAIN_DAY_MS);
	{
		char be[NETADDR_STRLEN];

		log_msg(LOG_LVL_NOTICE, "ftpsgw %s started: %zu listener%s, "
		    "backend %s (%s), conntrack %s", FTPSGW_VERSION,
		    m.n_listeners, m.n_listeners == 1 ? "" : "s",
		    netaddr_str_port(&m.gw.backend, be, sizeof(be)),
		    m.cfg.backend_tls == CFG_BACKEND_OFF ? "plain FTP" : "FTPS",
		    m.gw.ct != NULL ? "on" : "off");
	}
	if (loop_run(m.gw.loop) < 0)
		log_msg(LOG_LVL_ERR, "event loop failed: %s", strerror(errno));
	else
		rc = 0;
	log_msg(LOG_LVL_NOTICE, "ftpsgw stopped");
out:
	close_listeners(&m);
	ct_close(m.gw.ct);
	tls_free(&m.gw.tls);
	loop_free(m.gw.loop);
	free(host_slots);
	return rc;
}
