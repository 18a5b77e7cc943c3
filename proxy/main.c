/* ftpsgw: options, configuration, signals, and the workers. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "certs/keys.h"
#include "conntrack/ct.h"
#include "proxy/admission.h"
#include "proxy/cipher_pref.h"
#include "proxy/config.h"
#include "proxy/config_print.h"
#include "proxy/file_read.h"
#include "proxy/firewall.h"
#include "proxy/fw_probe.h"
#include "proxy/health_check.h"
#include "proxy/log.h"
#include "proxy/loop.h"
#include "proxy/metrics.h"
#include "proxy/metrics_http.h"
#include "proxy/metrics_proc.h"
#include "proxy/netaddr.h"
#include "proxy/priv.h"
#include "proxy/routing.h"
#include "proxy/status_cli.h"
#include "proxy/status_collect.h"
#include "proxy/tls.h"
#include "proxy/worker.h"
#include "proxy/xferlog_file.h"

/* A configuration file larger than this is surely not one. */
#define MAIN_CONF_MAX (1024 * 1024)
/* Certificates closer than this to expiry get a warning. */
#define MAIN_EXPIRY_WARN_DAYS 30
/* Slots of the failed-login table beyond two per session. */
#define MAIN_HOSTS_SPARE 1024
/* Slots of the session table beyond two per session. */
#define MAIN_SESS_SPARE 64
/* Expired failures and bans are swept this often (ms), this many slots of
 * the table at a time (a few microseconds under the lock). */
#define MAIN_SWEEP_MS 1000
#define MAIN_SWEEP_SLOTS 4096
/* The expiry check repeats daily (ms). */
#define MAIN_DAY_MS (24u * 3600u * 1000u)
/* workers = auto takes one per core, at most this many. */
#define MAIN_AUTO_WORKERS_MAX 16

/* The main thread: configuration, signals, timers, and the workers. */
struct main_ctx {
	struct config cfg;
	const char *conf_path;
	struct gw_shared shared;
	struct tls *tls;		/* the current contexts (a reference) */
	struct cipher_pref ciphers;	/* measured once at start */
	struct worker *workers;
	unsigned n_workers;
	unsigned n_ready;		/* workers initialised */
	unsigned n_done;		/* workers whose loop ended */
	struct loop *loop;
	struct loop_ev sig;		/* signalfd */
	struct loop_ev done;		/* eventfd: a worker's loop ended */
	struct loop_timer daily;	/* certificate expiry check */
	struct loop_timer sweep;	/* expired failed logins and bans */
	struct loop_timer grace;	/* SIGTERM: shutdown_timeout */
	struct metrics metrics;		/* the main thread's counters */
	struct metrics_proc proc;	/* open fds and the like */
	struct metrics_http *http;	/* metrics_listen, or NULL */
	struct status_collect *status;	/* its status pages' snapshots */
	struct xferlog_file xferlog;	/* transfer_log (fd -1: none) */
	struct health_checker *health;	/* health_check = on, or NULL */
	bool stopping;
	int rc;
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: ftpsgw [-t | -T] -c FILE\n"
	    "       ftpsgw --firewall nft|iptables|ip6tables -c FILE\n"
	    "       ftpsgw --status [ADDR:PORT] [-c FILE]\n"
	    "       ftpsgw -V | --version\n"
	    "       ftpsgw -h | --help\n"
	    "  -c FILE  configuration (see gateway.conf(5)); runs in the\n"
	    "           foreground, logging to stderr\n"
	    "  -t       check the configuration, certificate and key, and whether\n"
	    "           the running nftables ruleset attaches the ftp helper\n"
	    "           (warnings only), then exit\n"
	    "  -T       print every key's value in effect, defaults included,\n"
	    "           then exit (checks the file's syntax only)\n"
	    "  --firewall KIND  print the firewall this configuration needs, for\n"
	    "           nft, iptables-restore or ip6tables-restore, then exit\n"
	    "  --status [ADDR:PORT]  print the sessions, FTP servers and recent\n"
	    "           refusals of the ftpsgw serving its status page there\n"
	    "           (default: the metrics_listen of -c FILE), then exit\n");
}

/* -T: every key in the order of the parser's table, one line per value,
 * in gateway.conf's syntax (the output parses back to the same settings);
 * a key without a value is a comment. */
static int
print_config(const struct config *cfg)
{
	char v[CFG_VALUE_MAX];
	enum cfg_key_id id;
	size_t nth, i;
	int r;

	for (id = 0; id < CFG_K_COUNT; id++) {
		for (nth = 0; (r = cfg_key_value(cfg, id, nth, v,
		    sizeof(v))) == 1; nth++)
			printf("%s = %s\n", cfg_key_name(id), v);
		if (r < 0) {
			fprintf(stderr, "ftpsgw: internal error: the value of "
			    "%s does not fit %zu bytes\n", cfg_key_name(id),
			    sizeof(v));
			return -1;
		}
		if (nth == 0 && !(cfg->backend_sections &&
		    cfg_key_per_backend(id)))
			printf("# %s is not set\n", cfg_key_name(id));
	}
	/* Each [backend NAME] section with every per-backend key in effect,
	 * the top level's inherited ones included. */
	for (i = 0; cfg->backend_sections && i < cfg->n_backends; i++) {
		printf("\n[backend %s]\n", cfg->backends[i].section);
		for (id = 0; id < CFG_K_COUNT; id++) {
			if (!cfg_key_per_backend(id))
				continue;
			r = cfg_backend_value(&cfg->backends[i], id, v,
			    sizeof(v));
			if (r == 1)
				printf("%s = %s\n", cfg_key_name(id), v);
			else if (r == 0)
				printf("# %s is not set\n", cfg_key_name(id));
			else
				return -1;
		}
	}
	return fflush(stdout) == 0 ? 0 : -1;
}

static int
load_config(struct main_ctx *m)
{
	char err[1024], *text;
	size_t len;
	int rc;

	if (file_read_all(m->conf_path, MAIN_CONF_MAX, &text, &len) < 0) {
		fprintf(stderr, "ftpsgw: %s: %s\n", m->conf_path,
		    errno == EINVAL ? "not a regular file" : strerror(errno));
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

/* --firewall: the ruleset for this configuration on stdout. Needs the
 * configuration and the backend's address, not the certificate or key:
 * the firewall can be set up before they exist. */
static int
print_firewall(struct main_ctx *m, enum fw_kind kind)
{
	struct fw_req req = { .cfg = &m->cfg, .conf_path = m->conf_path,
	    .n_backends = m->cfg.n_backends };
	enum fw_err e;
	size_t len;
	char *text = malloc(FW_TEXT_MAX);

	if (text == NULL) {
		fprintf(stderr, "ftpsgw: out of memory\n");
		return 1;
	}
	memcpy(req.backend, m->shared.backend, sizeof(req.backend));
	e = fw_render(&req, kind, text, FW_TEXT_MAX, &len);
	if (e != FW_OK) {
		/* Neither can happen: the backend is resolved and the
		 * largest configuration fits. */
		fprintf(stderr, "ftpsgw: %s: cannot print the firewall "
		    "(internal error %d)\n", m->conf_path, (int)e);
		free(text);
		return 1;
	}
	if (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0) {
		fprintf(stderr, "ftpsgw: writing the firewall: %s\n",
		    strerror(errno));
		free(text);
		return 1;
	}
	free(text);
	return 0;
}

/* Resolve the backends at start-up (never in the loop), and read the
 * user map. */
static int
resolve_backends(struct main_ctx *m)
{
	char err[1024];

	if (routing_resolve(&m->cfg, m->conf_path, m->shared.backend) < 0)
		return -1;
	if (pthread_mutex_init(&m->shared.map_lock, NULL) != 0 ||
	    routing_map_load(&m->shared, &m->cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "ftpsgw: %s: %s\n", m->conf_path, err);
		return -1;
	}
	return 0;
}

/* SIGHUP: the user map again; a bad one leaves the old one in force. */
static void
reload_user_map(struct main_ctx *m)
{
	char err[1024];

	if (m->cfg.user_map[0] == '\0')
		return;
	if (routing_map_load(&m->shared, &m->cfg, err, sizeof(err)) < 0) {
		log_msg(LOG_LVL_ERR, "SIGHUP: user_map not reloaded, the old "
		    "rules stay in use: %s", err);
		return;
	}
	log_msg(LOG_LVL_NOTICE, "SIGHUP: user_map %s reloaded: %s",
	    m->cfg.user_map, err);
}

static void
warn_expiry(SSL_CTX *ctx, const char *path)
{
	int days;

	if (keys_days_left(ctx, &days) == 0 && days < MAIN_EXPIRY_WARN_DAYS)
		log_msg(LOG_LVL_WARNING, "certificate %s %s %d days: renew it "
		    "(ftpsgw-certs issue --force; with certbot, see why "
		    "certbot renew did not), then send SIGHUP", path,
		    days < 0 ? "expired" : "expires in", days < 0 ? -days : days);
}

/* Once a day: a certificate that nobody renewed is noticed before it
 * expires (the warning at start is long gone from the admin's view). */
static void
on_daily(struct loop_timer *t)
{
	struct main_ctx *m = container_of(t, struct main_ctx, daily);

	warn_expiry(m->tls->server, m->cfg.certificate);
	loop_timer_set(m->loop, &m->daily, MAIN_DAY_MS);
}

/* Every MAIN_SWEEP_MS: failed logins and bans that expired leave the
 * table even if their address never comes back. */
static void
on_sweep(struct loop_timer *t)
{
	struct main_ctx *m = container_of(t, struct main_ctx, sweep);

	gw_hosts_sweep(&m->shared, loop_now(m->loop), MAIN_SWEEP_SLOTS);
	loop_timer_set(m->loop, &m->sweep, MAIN_SWEEP_MS);
}

static void
order_all(struct main_ctx *m, unsigned orders)
{
	unsigned i;

	for (i = 0; i < m->n_workers; i++)
		worker_order(&m->workers[i], orders, NULL);
}

/* SIGHUP: build and check whole new contexts, then hand them to every
 * worker for new sessions. Sessions under way keep the ones they began
 * with, so their data connections still resume their TLS session. */
static void
reload_tls(struct main_ctx *m)
{
	struct tls *fresh;
	char err[1024];
	unsigned i;

	fresh = tls_new(&m->cfg, &m->ciphers, err, sizeof(err));
	if (fresh == NULL) {
		metrics_inc(&m->metrics, METRICS_AT1(RELOADS,
		    MV_RELOAD_FAILED));
		log_msg(LOG_LVL_ERR, "SIGHUP: certificates not reloaded, the old "
		    "ones stay in use: %s", err);
		return;
	}
	metrics_inc(&m->metrics, METRICS_AT1(RELOADS, MV_RELOAD_OK));
	for (i = 0; i < m->n_workers; i++)
		worker_order(&m->workers[i], WORKER_TLS, tls_ref(fresh));
	tls_unref(m->tls);
	m->tls = fresh;
	/* The next checks verify the server as new sessions will. */
	health_checker_set_tls(m->health, m->tls);
	log_msg(LOG_LVL_NOTICE, "SIGHUP: certificate %s reloaded",
	    m->cfg.certificate);
	warn_expiry(m->tls->server, m->cfg.certificate);
}

static void
on_shutdown_timeout(struct loop_timer *t)
{
	struct main_ctx *m = container_of(t, struct main_ctx, grace);
	unsigned n = gw_sessions_all(&m->shared);

	log_msg(LOG_LVL_NOTICE, "shutdown_timeout (%u s) over: closing %u "
	    "session%s", m->cfg.shutdown_timeout, n, n == 1 ? "" : "s");
	order_all(m, WORKER_STOP_NOW);
}

/* transfer_log, opened before the privilege switch and chroot: the
 * workers get it through gw_shared. Outside the chroot it cannot be
 * reopened on SIGHUP, which the admin hears now rather than at the first
 * rotation. */
static int
open_xferlog(struct main_ctx *m)
{
	char err[1024];

	if (m->cfg.transfer_log[0] == '\0')
		return 0;
	if (xferlog_file_open(&m->xferlog, m->cfg.transfer_log, m->cfg.chroot,
	    err, sizeof(err)) < 0) {
		log_msg(LOG_LVL_ERR, "%s: %s", m->conf_path, err);
		return -1;
	}
	m->shared.xferlog = &m->xferlog;
	if (m->xferlog.reopen == NULL)
		log_msg(LOG_LVL_WARNING, "transfer_log = %s is outside chroot = "
		    "%s: ftpsgw writes it, but cannot reopen it on SIGHUP after "
		    "a rotation; put it inside the chroot, or rotate it with "
		    "logrotate's copytruncate", m->cfg.transfer_log,
		    m->cfg.chroot);
	return 0;
}

/* SIGHUP, after the certificates: the transfer log again at its path, so
 * that logrotate's postrotate can send SIGHUP. */
static void
reopen_xferlog(struct main_ctx *m)
{
	char err[1024];

	if (m->shared.xferlog == NULL)
		return;
	if (xferlog_file_reopen(&m->xferlog, err, sizeof(err)) < 0) {
		log_msg(LOG_LVL_ERR, "SIGHUP: %s", err);
		return;
	}
	log_msg(LOG_LVL_NOTICE, "SIGHUP: transfer_log %s reopened",
	    m->cfg.transfer_log);
}

/* SIGTERM: accept nothing more; idle sessions end now, transfers under way
 * may finish within shutdown_timeout. A second one ends them too. */
static void
on_signal(struct loop_ev *ev, uint32_t events)
{
	struct main_ctx *m = container_of(ev, struct main_ctx, sig);
	struct signalfd_siginfo si;

	(void)events;
	while (read(ev->fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			reload_tls(m);
			reopen_xferlog(m);
			reload_user_map(m);
			continue;
		}
		if (m->stopping) {
			log_msg(LOG_LVL_NOTICE, "signal %u again: stopping now",
			    si.ssi_signo);
			order_all(m, WORKER_STOP_NOW);
			continue;
		}
		m->stopping = true;
		/* No new sessions: no more checks either. */
		health_checker_free(m->health);
		m->health = NULL;
		log_msg(LOG_LVL_NOTICE, "signal %u: stopping; listeners closed, "
		    "idle sessions ended", si.ssi_signo);
		order_all(m, WORKER_STOP_GENTLY);
		loop_timer_set(m->loop, &m->grace,
		    (uint64_t)m->cfg.shutdown_timeout * 1000u);
	}
}

/* A worker's loop ended: after a stop, or because it failed (then the
 * others stop too). The main loop ends with the last one. */
static void
on_worker_done(struct loop_ev *ev, uint32_t events)
{
	struct main_ctx *m = container_of(ev, struct main_ctx, done);
	uint64_t n;

	(void)events;
	if (read(ev->fd, &n, sizeof(n)) != (ssize_t)sizeof(n))
		return;
	m->n_done += (unsigned)n;
	if (!m->stopping) {
		log_msg(LOG_LVL_ERR, "a worker stopped unexpectedly: stopping "
		    "the others");
		m->stopping = true;
		m->rc = 1;
		order_all(m, WORKER_STOP_NOW);
	}
	if (m->n_done >= m->n_workers)
		loop_stop(m->loop);
}

static int
setup_signals(struct main_ctx *m)
{
	sigset_t set;
	int fd;

	/* Before any worker thread exists: they inherit the mask, and only
	 * the main thread reads these signals. */
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
	if (loop_arm(m->loop, &m->sig, EPOLLIN) < 0)
		return -1;
	fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (fd < 0)
		return -1;
	loop_ev_init(&m->done, on_worker_done);
	m->done.fd = fd;
	return loop_arm(m->loop, &m->done, EPOLLIN);
}

/* data_path = kernel changes what the FTP server must accept: say so once,
 * at start, where an admin looks when transfers fail. */
static void
warn_kernel_path(struct main_ctx *m)
{
	if (m->workers[0].gw.ct == NULL) {
		log_msg(LOG_LVL_WARNING, "data_path = kernel: conntrack is "
		    "unavailable, so data connections are relayed by ftpsgw");
		return;
	}
	log_msg(LOG_LVL_NOTICE, "data_path = kernel: data connections (passive "
	    "and active) are forwarded by the kernel to the FTP server, with TLS end to end "
	    "between client and server. So the server must accept data "
	    "connections that do not reuse its control TLS session (ProFTPD: "
	    "TLSOptions NoSessionReuseRequired; vsftpd: require_ssl_reuse=NO) "
	    "and present a certificate for the name clients use for this "
	    "gateway; the ruleset needs a 'type nat' chain (any, even empty) "
	    "for the kernel to apply the NAT. Sessions between IPv6 and IPv4 "
	    "are still relayed.");
}

/* One ctnetlink socket per worker. Returns 0 (each worker's ct set, or all
 * NULL under conntrack = off or a failing auto), or -1 under conntrack = on. */
static int
open_conntrack(struct main_ctx *m)
{
	unsigned i;

	if (m->cfg.conntrack == CFG_CT_OFF)
		return 0;
	for (i = 0; i < m->n_workers; i++) {
		m->workers[i].gw.ct = ct_open();
		if (m->workers[i].gw.ct == NULL)
			break;
	}
	if (i == m->n_workers)
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
	while (i-- > 0) {
		ct_close(m->workers[i].gw.ct);
		m->workers[i].gw.ct = NULL;
	}
	return 0;
}

/* workers = auto: the cores this process may run on (its affinity mask,
 * which cgroups and taskset narrow), at most MAIN_AUTO_WORKERS_MAX. */
static unsigned
auto_workers(void)
{
	cpu_set_t set;
	int n;

	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return 1;
	n = CPU_COUNT(&set);
	if (n < 1)
		return 1;
	return n > MAIN_AUTO_WORKERS_MAX ? MAIN_AUTO_WORKERS_MAX : (unsigned)n;
}

/* Everything the workers need, short of starting them: loops, listeners,
 * conntrack sockets (all before privileges are dropped). */
static int
setup_workers(struct main_ctx *m)
{
	const struct hosttab_policy pol = {
		.max_per_ip = m->cfg.max_sessions_per_ip,
		.max_failures = m->cfg.max_login_failures,
		.ban_ms = (uint64_t)m->cfg.ban_time * 1000u,
		.prefix4 = (uint8_t)m->cfg.ban_prefix4,
		.prefix6 = (uint8_t)m->cfg.ban_prefix6,
	};
	struct host_sess *sess;
	struct host_fail *fail;
	size_t sess_cap, fail_cap;
	uint32_t seed = 0;
	unsigned i;

	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = (uint32_t)getpid();
	/* Sessions: every session's address, the table at most half full
	 * (hosttab_limit is 3/4). Failed logins: as many networks again and
	 * some; when full, the least significant record makes room. */
	sess_cap = 2 * (size_t)m->cfg.max_sessions + MAIN_SESS_SPARE;
	fail_cap = 2 * (size_t)m->cfg.max_sessions + MAIN_HOSTS_SPARE;
	sess = calloc(sess_cap, sizeof(*sess));
	fail = calloc(fail_cap, sizeof(*fail));
	if (sess == NULL || fail == NULL) {
		log_msg(LOG_LVL_ERR, "out of memory for %zu address slots "
		    "(max_sessions = %u)", sess_cap + fail_cap,
		    m->cfg.max_sessions);
		free(sess);
		free(fail);
		return -1;
	}
	hosttab_init(&m->shared.hosts, sess, sess_cap, fail, fail_cap,
	    seed ^ 0x9e3779b9u, &pol);
	if (pthread_mutex_init(&m->shared.lock, NULL) != 0)
		return -1;
	portpool_init(&m->shared.ports, m->cfg.passive_low,
	    m->cfg.passive_high);
	if (pthread_mutex_init(&m->shared.ports_lock, NULL) != 0)
		return -1;
	m->shared.status_fd = -1;
	if (pthread_mutex_init(&m->shared.refusals_lock, NULL) != 0)
		return -1;
	m->n_workers = m->cfg.workers != 0 ? m->cfg.workers : auto_workers();
	m->shared.n_workers = m->n_workers;
	m->workers = calloc(m->n_workers, sizeof(*m->workers));
	if (m->workers == NULL) {
		log_msg(LOG_LVL_ERR, "out of memory for %u workers",
		    m->n_workers);
		return -1;
	}
	for (i = 0; i < m->n_workers; i++, m->n_ready++) {
		struct worker *w = &m->workers[i];

		if (worker_init(w, i, &m->cfg, m->done.fd) < 0) {
			log_msg(LOG_LVL_ERR, "cannot set up worker %u: %s", i,
			    strerror(errno));
			m->n_ready++;	/* worker_free undoes what was done */
			return -1;
		}
		w->gw.shared = &m->shared;
		w->gw.tls = tls_ref(m->tls);
	}
	if (open_conntrack(m) < 0)
		return -1;
	for (i = 0; i < m->n_workers; i++)
		if (worker_listen(&m->workers[i], m->conf_path,
		    m->n_workers > 1) < 0)
			return -1;
	return 0;
}

/* A scrape: every worker's counters and loop time, the main thread's, the
 * process's facts. On the main thread, while the workers run: each
 * counter is read once with a relaxed load (proxy/metrics.h). */
/* Each FTP server by its [backend] name: the checks' verdict (unknown
 * without them) and its sessions now. */
static void
collect_backends(const struct main_ctx *m, struct metrics_snap *s)
{
	size_t k;

	for (k = 0; k < m->cfg.n_backends && k < METRICS_BACKENDS_MAX; k++) {
		enum health_state h = m->cfg.health_check ?
		    health_state_of(&m->shared.health, (unsigned)k) :
		    HEALTH_UNKNOWN;

		s->be[k].name = m->cfg.backends[k].section;
		s->be[k].health = h == HEALTH_UP ? METRICS_HEALTH_UP :
		    h == HEALTH_DOWN ? METRICS_HEALTH_DOWN :
		    METRICS_HEALTH_UNKNOWN;
		s->be[k].sessions = atomic_load_explicit(
		    &m->shared.be_sessions[k], memory_order_relaxed);
	}
	s->n_backends = k;
}

static void
collect_metrics(struct metrics_snap *s, void *arg)
{
	struct main_ctx *m = arg;
	unsigned i;

	for (i = 0; i < m->n_ready && i < METRICS_WORKERS_MAX; i++) {
		metrics_snap_add(s, &m->workers[i].gw.metrics);
		if (m->workers[i].gw.loop != NULL)
			s->v[METRICS_AT1(WORKER_BUSY, i)] =
			    loop_busy_ns(m->workers[i].gw.loop);
	}
	s->n_workers = i;
	metrics_snap_add(s, &m->metrics);
	collect_backends(m, s);
	metrics_proc_read(&m->proc, s);
	s->version = FTPSGW_VERSION;
	s->openssl = OpenSSL_version(OPENSSL_VERSION);
	metrics_snap_finish(s);
}

/* A status page wants a snapshot of the workers' sessions. */
static void
want_status(void *arg)
{
	struct main_ctx *m = arg;

	status_collect_want(m->status);
}

/* ... and here it is. */
static void
on_status(const struct status_snap *s, void *arg)
{
	struct main_ctx *m = arg;

	metrics_http_status_ready(m->http, s);
}

/* metrics_listen: the socket is bound and /proc/self/fd opened before
 * privileges are dropped; the server runs in the main loop. */
static int
setup_metrics(struct main_ctx *m)
{
	char addr[NETADDR_STRLEN];
	struct net_addr a;
	int fd;

	if (!m->cfg.have_metrics_listen)
		return 0;
	netaddr_from_sockaddr(&a, (const struct sockaddr *)
	    &m->cfg.metrics_listen);
	netaddr_str_port(&a, addr, sizeof(addr));
	if (metrics_proc_open(&m->proc) < 0)
		log_msg(LOG_LVL_WARNING, "metrics_listen: cannot open "
		    "/proc/self/fd (%s): process_open_fds will read 0 (is "
		    "/proc mounted?)", strerror(errno));
	fd = metrics_http_listen(&m->cfg.metrics_listen,
	    m->cfg.metrics_listen_len);
	if (fd < 0) {
		log_msg(LOG_LVL_ERR, "%s:%u: metrics_listen = %s: %s%s",
		    m->conf_path, m->cfg.metrics_line, addr, strerror(errno),
		    errno == EADDRINUSE ? " (something listens there already: "
		    "choose another port)" : errno == EADDRNOTAVAIL ?
		    " (not an address of this machine)" : "");
		return -1;
	}
	m->http = metrics_http_start(m->loop, fd, collect_metrics, m);
	if (m->http == NULL)
		return -1;
	m->status = status_collect_new(m->loop, &m->shared, m->workers,
	    &m->n_ready, &m->cfg, on_status, m);
	if (m->status == NULL)
		return -1;
	metrics_http_status(m->http, want_status, m);
	if (m->cfg.metrics_public)
		log_msg(LOG_LVL_WARNING, "metrics_listen = %s with "
		    "metrics_public = on: whoever the firewall lets through "
		    "can read the metrics; let only your Prometheus server "
		    "reach that port", addr);
	log_msg(LOG_LVL_INFO, "metrics: serving http://%s/metrics, and the "
	    "status page (sessions, user names, client addresses) at "
	    "http://%s/", addr, addr);
	return 0;
}

static int
start_workers(struct main_ctx *m)
{
	unsigned i;

	for (i = 0; i < m->n_workers; i++) {
		if (worker_start(&m->workers[i]) < 0) {
			log_msg(LOG_LVL_ERR, "cannot start worker %u: %s", i,
			    strerror(errno));
			m->n_done += m->n_workers - i;	/* never ran */
			m->stopping = true;
			order_all(m, WORKER_STOP_NOW);
			return -1;
		}
	}
	return 0;
}

static void
free_workers(struct main_ctx *m)
{
	unsigned i;

	for (i = 0; i < m->n_ready; i++)
		worker_free(&m->workers[i]);
	free(m->workers);
	free(m->shared.hosts.sess);
	free(m->shared.hosts.fail);
}

/* --status [ADDR:PORT]: the address given, or -c FILE's metrics_listen. */
static int
main_status(struct main_ctx *m, const char *addr, bool other_mode)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (other_mode || (addr == NULL && m->conf_path == NULL)) {
		usage(stderr);
		return 2;
	}
	if (addr != NULL) {
		if (cfg_parse_sockaddr(addr, strlen(addr), &ss, &len) < 0) {
			fprintf(stderr, "ftpsgw: --status %s: expected a "
			    "numeric ADDR:PORT or [V6ADDR]:PORT, as "
			    "metrics_listen is written\n", addr);
			return 2;
		}
		return status_cli(&ss, len, addr);
	}
	if (load_config(m) < 0)
		return 1;
	if (!m->cfg.have_metrics_listen) {
		fprintf(stderr, "ftpsgw --status: %s has no metrics_listen: "
		    "the status page is served there (set it, restart ftpsgw, "
		    "and try again)\n", m->conf_path);
		return 1;
	}
	{
		char name[NETADDR_STRLEN];
		struct net_addr a;

		netaddr_from_sockaddr(&a, (const struct sockaddr *)
		    &m->cfg.metrics_listen);
		netaddr_str_port(&a, name, sizeof(name));
		return status_cli(&m->cfg.metrics_listen,
		    m->cfg.metrics_listen_len, name);
	}
}

int
main(int argc, char **argv)
{
	static struct main_ctx m;
	bool test_only = false, print_only = false, firewall = false;
	bool status = false;
	const char *status_addr = NULL;
	enum fw_kind fw_kind = FW_NFT;
	char err[1024];
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
			m.conf_path = argv[++i];
		} else if (strcmp(argv[i], "-t") == 0) {
			test_only = true;
		} else if (strcmp(argv[i], "-T") == 0) {
			print_only = true;
		} else if (strcmp(argv[i], "--firewall") == 0 && i + 1 < argc) {
			if (fw_kind_parse(argv[++i], &fw_kind) < 0) {
				fprintf(stderr, "ftpsgw: --firewall %s: "
				    "expected nft, iptables or ip6tables\n",
				    argv[i]);
				return 2;
			}
			firewall = true;
		} else if (strcmp(argv[i], "--status") == 0) {
			status = true;
			if (i + 1 < argc && argv[i + 1][0] != '-')
				status_addr = argv[++i];
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
	if (status)
		return main_status(&m, status_addr, firewall || test_only ||
		    print_only);
	if (m.conf_path == NULL || (int)firewall + test_only + print_only > 1) {
		usage(stderr);
		return 2;
	}
	m.xferlog.fd = -1;
	if (load_config(&m) < 0)
		return 1;
	if (print_only)
		return print_config(&m.cfg) < 0 ? 1 : 0;
	if (resolve_backends(&m) < 0)
		return 1;
	if (m.cfg.data_path == CFG_DATA_KERNEL && m.cfg.conntrack == CFG_CT_OFF) {
		fprintf(stderr, "ftpsgw: %s: data_path = kernel needs conntrack "
		    "(the kernel forwards data connections by ftpsgw's "
		    "expectations): set conntrack = on, or data_path = relay\n",
		    m.conf_path);
		return 1;
	}
	if (firewall)
		return print_firewall(&m, fw_kind);
	log_set_level((enum log_level)m.cfg.log_level);
	/* ftpsgw -t answers on the terminal. */
	if (!test_only && m.cfg.log_sink == CFG_SINK_SYSLOG &&
	    log_to_syslog() < 0)
		fprintf(stderr, "ftpsgw: %s: log = syslog, but nothing listens "
		    "on /dev/log (no syslog daemon or journal): messages are "
		    "lost until one does; set log = stderr, or start one\n",
		    m.conf_path);
	cipher_pref_measure(&m.ciphers);
	m.tls = tls_new(&m.cfg, &m.ciphers, err, sizeof(err));
	if (m.tls == NULL) {
		fprintf(stderr, "ftpsgw: %s: %s\n", m.conf_path, err);
		return 1;
	}
	for (i = 0; i < (int)m.cfg.n_backends; i++)
		if (!m.cfg.backends[i].verify &&
		    !m.cfg.backends[i].have_fingerprint)
			log_msg(LOG_LVL_WARNING, "%s%s%sbackend_verify = off: "
			    "the FTP server's certificate is not checked, so "
			    "anyone on the LAN path can pose as it (set "
			    "backend_ca instead)", m.cfg.backend_sections ?
			    "[backend " : "", m.cfg.backend_sections ?
			    m.cfg.backends[i].section : "",
			    m.cfg.backend_sections ? "] " : "");
	/* A pool shares sessions by balance only; without checks nothing
	 * tells it a member is down. */
	for (i = 0; i < (int)m.cfg.n_pools && !m.cfg.health_check; i++)
		if (m.cfg.pools[i].n > 1)
			log_msg(LOG_LVL_WARNING, "pool %s has %zu FTP servers "
			    "but health_check = off: one that is down still "
			    "gets its share of new sessions, which wait "
			    "connect_timeout and get 421; set health_check = "
			    "on to send them to the others",
			    m.cfg.pools[i].name, m.cfg.pools[i].n);
	warn_expiry(m.tls->server, m.cfg.certificate);
	if (priv_check(&m.cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "ftpsgw: %s: %s\n", m.conf_path, err);
		tls_unref(m.tls);
		return 1;
	}
	if (test_only) {
		char be[NETADDR_STRLEN + 16];
		int chain = keys_check_chain(m.tls->server, m.cfg.certificate,
		    err, sizeof(err));

		if (chain < 0) {
			fprintf(stderr, "ftpsgw: %s: %s\n", m.conf_path, err);
			tls_unref(m.tls);
			return 1;
		}
		if (chain > 0)
			log_msg(LOG_LVL_WARNING, "%s", err);
		/* Warnings only: the rules may be loaded after this check. */
		(void)fw_probe_warn(&m.cfg, m.shared.backend, m.cfg.n_backends,
		    m.conf_path);
		if (m.cfg.transfer_log[0] != '\0' && xferlog_file_check(
		    m.cfg.transfer_log, err, sizeof(err)) < 0) {
			fprintf(stderr, "ftpsgw: %s: %s\n", m.conf_path, err);
			tls_unref(m.tls);
			return 1;
		}
		if (m.cfg.n_backends > 1)
			snprintf(be, sizeof(be), "%zu backends",
			    m.cfg.n_backends);
		else
			netaddr_str_port(&m.shared.backend[0], be + 8,
			    sizeof(be) - 8), memcpy(be, "backend ", 8);
		printf("ftpsgw: configuration %s OK: %zu listener%s, %s, "
		    "certificate and key match%s\n", m.conf_path, m.cfg.n_listen,
		    m.cfg.n_listen == 1 ? "" : "s", be,
		    chain == 0 ? ", chain verifies" : "");
		tls_unref(m.tls);
		return 0;
	}

	m.rc = 1;
	m.loop = loop_new();
	if (m.loop == NULL) {
		log_msg(LOG_LVL_ERR, "cannot create the event loop: %s",
		    strerror(errno));
		goto out;
	}
	if (setup_signals(&m) < 0) {
		log_msg(LOG_LVL_ERR, "cannot set up signal handling: %s",
		    strerror(errno));
		goto out;
	}
	if (open_xferlog(&m) < 0 || setup_workers(&m) < 0 ||
	    setup_metrics(&m) < 0)
		goto out;
	{
		char what[160];

		/* CAP_NET_ADMIN: conntrack's netlink, and IP_TRANSPARENT
		 * for backend_source = client (sockets made per session). */
		if (priv_drop(&m.cfg, m.workers[0].gw.ct != NULL ||
		    cfg_any_transparent(&m.cfg), what,
		    sizeof(what), err, sizeof(err)) < 0) {
			log_msg(LOG_LVL_ERR, "%s: %s", m.conf_path, err);
			goto out;
		}
		log_msg(LOG_LVL_INFO, "running as %s", what);
		log_msg(LOG_LVL_INFO, "TLS: %s preferred (this CPU encrypts "
		    "AES-128-GCM at %.0f MB/s, ChaCha20-Poly1305 at %.0f MB/s)",
		    m.ciphers.aes_first ? "AES-GCM" : "ChaCha20-Poly1305",
		    m.ciphers.aes_mbps, m.ciphers.chacha_mbps);
	}
	loop_timer_init(&m.grace, on_shutdown_timeout);
	loop_timer_init(&m.daily, on_daily);
	loop_timer_set(m.loop, &m.daily, MAIN_DAY_MS);
	loop_timer_init(&m.sweep, on_sweep);
	loop_timer_set(m.loop, &m.sweep, MAIN_SWEEP_MS);
	if (m.cfg.data_path == CFG_DATA_KERNEL)
		warn_kernel_path(&m);
	m.rc = 0;
	if (start_workers(&m) == 0) {
		char be[NETADDR_STRLEN];

		log_msg(LOG_LVL_NOTICE, "ftpsgw %s started: %zu listener%s, "
		    "%u worker%s, backend %s (%s)%s, conntrack %s",
		    FTPSGW_VERSION, m.cfg.n_listen, m.cfg.n_listen == 1 ? "" :
		    "s", m.n_workers, m.n_workers == 1 ? "" : "s",
		    netaddr_str_port(&m.shared.backend[0], be, sizeof(be)),
		    m.cfg.backends[0].tls == CFG_BACKEND_OFF ? "plain FTP" :
		    "FTPS", m.cfg.n_backends > 1 ? " and more" : "",
		    m.workers[0].gw.ct != NULL ? "on" : "off");
		for (i = 0; m.cfg.n_backends > 1 &&
		    i < (int)m.cfg.n_backends; i++)
			log_msg(LOG_LVL_INFO, "backend %s: %s (%s), pool %s",
			    m.cfg.backends[i].section, netaddr_str_port(
			    &m.shared.backend[i], be, sizeof(be)),
			    m.cfg.backends[i].tls == CFG_BACKEND_OFF ?
			    "plain FTP" : "FTPS", m.cfg.backends[i].pool);
	} else {
		m.rc = 1;
	}
	/* Health checks: the main loop runs them, the workers read the
	 * verdicts from shared.health (in the order of cfg.backends). */
	if (m.rc == 0 && m.cfg.health_check) {
		m.health = health_checker_new(m.loop, &m.cfg, m.tls,
		    &m.metrics, &m.shared.health, m.shared.backend,
		    (unsigned)m.cfg.n_backends);
		if (m.health == NULL) {
			log_msg(LOG_LVL_ERR, "cannot start the health checks: "
			    "%s", strerror(errno));
			m.rc = 1;
			m.stopping = true;
			order_all(&m, WORKER_STOP_NOW);
		}
	}
	if (m.n_done < m.n_workers && loop_run(m.loop) < 0) {
		log_msg(LOG_LVL_ERR, "event loop failed: %s", strerror(errno));
		m.rc = 1;
		order_all(&m, WORKER_STOP_NOW);
	}
	log_msg(LOG_LVL_NOTICE, "ftpsgw stopped");
out:
	health_checker_free(m.health);
	/* Before the workers: a scrape reads their counters. */
	metrics_http_free(m.http);
	status_collect_free(m.status);
	metrics_proc_close(&m.proc);
	free_workers(&m);
	xferlog_file_close(&m.xferlog);
	routing_map_free(&m.shared);
	tls_unref(m.tls);
	loop_free(m.loop);
	return m.rc;
}
