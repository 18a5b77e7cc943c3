/* Health checks, the I/O half (see health_check.h): each backend's probe
 * is a small state machine over one struct conn, driven by the dialogue
 * of proxy/health.c.
 *
 * A probe is idle (timer armed for the next check), checking (timer armed
 * for the check's deadline, connect_timeout) or quitting (the verdict is
 * in; QUIT sent, waiting at most HC_QUIT_MS for the server to answer and
 * close first, so that the server keeps the TIME_WAIT and logs a clean
 * end). Only the checking phase decides the result. */
#include "proxy/health_check.h"

#include <errno.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "proxy/buf.h"
#include "proxy/config.h"
#include "proxy/conn.h"
#include "proxy/health.h"
#include "proxy/limits.h"
#include "proxy/log.h"
#include "proxy/loop.h"
#include "proxy/metrics.h"
#include "proxy/netaddr.h"
#include "proxy/tls.h"

/* The server's answer to QUIT and its close, after the verdict. */
#define HC_QUIT_MS 2000
/* Room for the longest reply line the framer accepts, and more. */
#define HC_BUF (2 * FTP_LINE_MAX)
/* Reads per wake-up: a server that keeps talking cannot hold the loop. */
#define HC_READS 8
/* The first checks of several backends are this far apart (ms). */
#define HC_STAGGER_MS 50

_Static_assert((int)HEALTH_RESULT_COUNT == (int)MV_HEALTH_RESULT__N,
    "one metric label value per health check result");

enum hc_phase { HC_IDLE, HC_CHECKING, HC_QUITTING };

struct hc_probe {
	struct health_checker *hc;
	unsigned idx;
	struct net_addr addr;
	char name[NETADDR_STRLEN + CFG_SECTION_NAME_MAX + 12];	/* "198.51.100.10:21"
					 * (+ " [backend nas]") */
	enum hc_phase phase;
	struct health_track track;
	struct health_dialog dlg;
	struct conn c;
	struct buf in, out;
	struct tls_app app;		/* the check's TLS state (a reference
					 * to the contexts while live) */
	bool app_live;
	struct loop_timer timer;
	char why[512];			/* the last failure, in words */
};

struct health_checker {
	struct loop *loop;
	const struct config *cfg;
	struct tls *tls;
	struct metrics *metrics;
	struct health_board *board;
	struct health_policy pol;
	unsigned n;
	struct hc_probe probes[];
};

static void hc_pump(struct hc_probe *p);
static void hc_done(struct hc_probe *p);

static enum health_mode
hc_mode(const struct cfg_backend *be)
{
	if (be->tls == CFG_BACKEND_IMPLICIT)
		return HEALTH_MODE_IMPLICIT;
	if (be->tls == CFG_BACKEND_OFF)
		return HEALTH_MODE_PLAIN;
	return HEALTH_MODE_EXPLICIT;
}

/* Close the check's connection and TLS state, whatever the phase. */
static void
hc_release(struct hc_probe *p)
{
	struct loop *l = p->hc->loop;

	if (p->c.ev.fd >= 0)
		conn_close(l, &p->c);
	if (p->app_live) {
		tls_app_free(&p->app);
		p->app_live = false;
	}
	buf_free(&p->in);
	buf_free(&p->out);
}

static enum metrics_health
hc_metrics_state(enum health_state s)
{
	return s == HEALTH_UP ? METRICS_HEALTH_UP : s == HEALTH_DOWN ?
	    METRICS_HEALTH_DOWN : METRICS_HEALTH_UNKNOWN;
}

/* The check's result is in: count it, and at a change tell the log, the
 * metrics and the board. */
static void
hc_verdict(struct hc_probe *p, enum health_result r)
{
	struct health_checker *hc = p->hc;
	enum health_change ch;

	metrics_inc(hc->metrics, METRICS_AT1(HEALTH_CHECKS, r));
	ch = health_track_result(&p->track, &hc->pol, r == HEALTH_OK);
	metrics_backend(hc->metrics, loop_now(hc->loop),
	    hc_metrics_state(p->track.state));
	if (r != HEALTH_OK)
		log_msg(LOG_LVL_DEBUG, "health check of FTP server %s failed "
		    "(%u in a row): %s", p->name, p->track.fail_run, p->why);
	if (ch == HEALTH_SAME)
		return;
	health_publish(hc->board, p->idx, p->track.state);
	if (ch == HEALTH_WENT_DOWN)
		log_msg(LOG_LVL_ERR, "FTP server %s is down: %u check%s failed "
		    "in a row, last: %s; new sessions get 421 until it answers "
		    "again", p->name, p->track.fail_run,
		    p->track.fail_run == 1 ? "" : "s", p->why);
	else if (p->track.ok_run == 1 && hc->pol.rise > 1)
		log_msg(LOG_LVL_NOTICE, "FTP server %s is up: it answers the "
		    "health checks", p->name);
	else
		log_msg(LOG_LVL_NOTICE, "FTP server %s is up again after %u "
		    "good check%s", p->name, p->track.ok_run,
		    p->track.ok_run == 1 ? "" : "s");
}

/* The next check in health_interval. */
static void
hc_idle(struct hc_probe *p)
{
	hc_release(p);
	p->phase = HC_IDLE;
	loop_timer_set(p->hc->loop, &p->timer,
	    (uint64_t)p->hc->cfg->health_interval * 1000u);
}

static void
hc_fail(struct hc_probe *p, enum health_result r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
hc_fail(struct hc_probe *p, enum health_result r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->why, sizeof(p->why), fmt, ap);
	va_end(ap);
	hc_verdict(p, r);
	hc_idle(p);
}

/* The check passed: QUIT, then wait for the server to close first. */
static void
hc_pass(struct hc_probe *p)
{
	p->why[0] = '\0';
	hc_verdict(p, HEALTH_OK);
	p->phase = HC_QUITTING;
	loop_timer_set(p->hc->loop, &p->timer, HC_QUIT_MS);
	if (!buf_append(&p->out, "QUIT\r\n", 6))
		hc_done(p);	/* out of memory: close without it */
}

/* The end after QUIT: our close_notify and FIN (the server closed first,
 * or did not within HC_QUIT_MS), then the next check. */
static void
hc_done(struct hc_probe *p)
{
	if (p->c.ev.fd >= 0)
		(void)conn_shutdown(&p->c);
	hc_idle(p);
}

static void
hc_on_timer(struct loop_timer *t)
{
	struct hc_probe *p = container_of(t, struct hc_probe, timer);
	struct health_checker *hc = p->hc;
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	if (p->phase == HC_QUITTING) {
		hc_done(p);
		return;
	}
	if (p->phase == HC_CHECKING) {
		hc_fail(p, HEALTH_TIMEOUT, "no answer within connect_timeout "
		    "(%u s) while waiting for %s", hc->cfg->connect_timeout,
		    health_dialog_waiting(&p->dlg));
		return;
	}
	/* Idle: start a check. */
	p->phase = HC_CHECKING;
	health_dialog_init(&p->dlg, hc_mode(&hc->cfg->backends[p->idx]));
	conn_init(&p->c, p->c.ev.cb);
	buf_init(&p->in, HC_BUF);
	buf_init(&p->out, FTP_LINE_MAX);
	loop_timer_set(hc->loop, &p->timer,
	    (uint64_t)hc->cfg->connect_timeout * 1000u);
	len = netaddr_to_sockaddr(&p->addr, &ss);
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd < 0) {
		hc_fail(p, HEALTH_CONNECT_FAILED, "cannot make a socket: %s",
		    strerror(errno));
		return;
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 },
	    sizeof(int));
	if (connect(fd, (struct sockaddr *)&ss, len) < 0 &&
	    errno != EINPROGRESS) {
		int e = errno;

		close(fd);
		hc_fail(p, HEALTH_CONNECT_FAILED, "%s", strerror(e));
		return;
	}
	conn_set_fd(&p->c, fd, true);
	hc_pump(p);
}

static void
hc_on_io(struct loop_ev *ev, uint32_t events)
{
	struct hc_probe *p = container_of(ev, struct hc_probe, c.ev);

	(void)events;
	hc_pump(p);
}

/* Start TLS (implicit: at once; explicit: after 234). Returns false when
 * the check has ended. */
static bool
hc_start_tls(struct hc_probe *p)
{
	SSL *ssl;

	if (tls_app_init(&p->app, p->hc->tls) < 0) {
		hc_fail(p, HEALTH_TLS_FAILED, "cannot set up TLS (out of "
		    "memory?)");
		return false;
	}
	p->app_live = true;
	p->app.be = p->idx;	/* that server's CA, pin and name */
	ssl = tls_new_backend(&p->app, NULL);
	if (ssl == NULL) {
		hc_fail(p, HEALTH_TLS_FAILED, "cannot create a TLS connection");
		return false;
	}
	/* SECURITY: nothing the server sent in clear after 234 is read as
	 * coming from inside TLS. */
	buf_consume(&p->in, buf_len(&p->in));
	conn_start_tls(&p->c, ssl, false);
	return true;
}

/* Carry out what the dialogue asked; false when the check has ended (or
 * passed: the QUIT is then the pump's to send). */
static bool
hc_act(struct hc_probe *p, enum health_act a, enum health_result why)
{
	char esc[HEALTH_SEEN_MAX + 8];

	switch (a) {
	case HEALTH_ACT_READ:
		return true;
	case HEALTH_ACT_SEND_AUTH:
		if (!buf_append(&p->out, "AUTH TLS\r\n", 10)) {
			hc_fail(p, HEALTH_CLOSED, "out of memory");
			return false;
		}
		return true;
	case HEALTH_ACT_START_TLS:
		return hc_start_tls(p);
	case HEALTH_ACT_SEND_QUIT:
		hc_pass(p);
		return true;
	case HEALTH_ACT_DONE:
		hc_done(p);
		return false;
	case HEALTH_ACT_FAIL:
		snprintf(esc, sizeof(esc), "%s", p->dlg.seen);
		if (why == HEALTH_CLOSED)
			hc_fail(p, why, "it closed the connection while ftpsgw "
			    "waited for %s%s%s", health_dialog_waiting(&p->dlg),
			    p->c.err_text != NULL ? ": " : "",
			    p->c.err_text != NULL ? p->c.err_text : "");
		else
			hc_fail(p, why, "%s: \"%s\"", health_result_words(why),
			    esc);
		return false;
	}
	return false;
}

/* Feed what was read to the dialogue, acting on each answer. */
static bool
hc_feed(struct hc_probe *p)
{
	while (buf_len(&p->in) > 0) {
		enum health_result why;
		enum health_act a;
		size_t used = 0;

		a = health_dialog_feed(&p->dlg, buf_head(&p->in),
		    buf_len(&p->in), &used, &why);
		buf_consume(&p->in, used);
		if (!hc_act(p, a, why))
			return false;
		if (a == HEALTH_ACT_READ || a == HEALTH_ACT_START_TLS)
			break;
	}
	return true;
}

static void
hc_pump(struct hc_probe *p)
{
	struct health_checker *hc = p->hc;
	enum io_result r;
	unsigned i;

	if (p->phase == HC_IDLE || p->c.ev.fd < 0)
		return;
	if (p->c.connecting) {
		r = conn_finish_connect(&p->c);
		if (r == IO_ERR) {
			hc_fail(p, HEALTH_CONNECT_FAILED, "%s", p->c.err_text);
			return;
		}
		if (r == IO_AGAIN)
			goto arm;
		if (!hc_act(p, health_dialog_connected(&p->dlg), HEALTH_OK))
			return;
	}
	if (p->c.ssl != NULL && !p->c.hs_done) {
		r = conn_handshake(&p->c);
		if (r == IO_ERR) {
			char what[400];

			if (tls_backend_refusal(p->c.ssl,
			    &hc->cfg->backends[p->idx], what,
			    sizeof(what))[0] == '\0')
				snprintf(what, sizeof(what), "%s%s%s",
				    p->c.err_text, p->c.ssl_err[0] ? ": " : "",
				    p->c.ssl_err);
			hc_fail(p, HEALTH_TLS_FAILED, "TLS handshake failed: %s",
			    what);
			return;
		}
		if (r == IO_AGAIN)
			goto arm;
		if (!hc_act(p, health_dialog_secured(&p->dlg), HEALTH_OK))
			return;
	}
	if (buf_len(&p->out) > 0) {
		r = conn_write(&p->c, &p->out);
		if (r == IO_ERR) {
			if (p->phase == HC_QUITTING)
				hc_done(p);
			else
				hc_fail(p, HEALTH_CLOSED, "it closed the "
				    "connection: %s", p->c.err_text);
			return;
		}
	}
	for (i = 0; i < HC_READS && buf_space(&p->in) > 0; i++) {
		r = conn_read(&p->c, &p->in);
		if (r == IO_AGAIN)
			break;
		if (r == IO_EOF || r == IO_ERR) {
			enum health_result why = HEALTH_CLOSED;
			enum health_act a;

			if (!hc_feed(p))
				return;
			if (r == IO_ERR && p->phase != HC_QUITTING)
				log_msg(LOG_LVL_DEBUG, "health check of %s: %s",
				    p->name, p->c.err_text);
			/* Two statements: in one call, why could be read
			 * before health_dialog_eof sets it (the order of a
			 * call's arguments is unspecified). */
			a = health_dialog_eof(&p->dlg, &why);
			(void)hc_act(p, a, why);
			return;
		}
		if (!hc_feed(p))
			return;
		if (p->c.ssl != NULL && !p->c.hs_done) {
			/* AUTH TLS was answered: the handshake now. */
			hc_pump(p);
			return;
		}
	}
arm:
	if (p->c.ev.fd >= 0)
		conn_arm(hc->loop, &p->c, true, buf_len(&p->out) > 0);
	if (p->c.more)
		hc_pump(p);
}

struct health_checker *
health_checker_new(struct loop *l, const struct config *cfg, struct tls *tls,
    struct metrics *m, struct health_board *board,
    const struct net_addr *backends, unsigned n)
{
	struct health_checker *hc;
	unsigned i;

	if (n > HEALTH_BACKENDS_MAX) {
		errno = EINVAL;
		return NULL;
	}
	hc = calloc(1, sizeof(*hc) + n * sizeof(hc->probes[0]));
	if (hc == NULL)
		return NULL;
	hc->loop = l;
	hc->cfg = cfg;
	hc->tls = tls_ref(tls);
	hc->metrics = m;
	hc->board = board;
	hc->pol.rise = cfg->health_rise;
	hc->pol.fall = cfg->health_fall;
	hc->n = n;
	for (i = 0; i < n; i++) {
		struct hc_probe *p = &hc->probes[i];

		p->hc = hc;
		p->idx = i;
		p->addr = backends[i];
		netaddr_str_port(&p->addr, p->name, sizeof(p->name));
		if (cfg->backend_sections) {
			size_t k = strlen(p->name);

			snprintf(p->name + k, sizeof(p->name) - k,
			    " [backend %s]", cfg->backends[i].section);
		}
		conn_init(&p->c, hc_on_io);
		buf_init(&p->in, HC_BUF);
		buf_init(&p->out, FTP_LINE_MAX);
		loop_timer_init(&p->timer, hc_on_timer);
		p->phase = HC_IDLE;
		loop_timer_set(l, &p->timer, (uint64_t)i * HC_STAGGER_MS);
	}
	log_msg(LOG_LVL_INFO, "health checks: every %u s, down after %u "
	    "failed, up after %u good, each within connect_timeout (%u s)",
	    cfg->health_interval, cfg->health_fall, cfg->health_rise,
	    cfg->connect_timeout);
	return hc;
}

void
health_checker_set_tls(struct health_checker *hc, struct tls *tls)
{
	if (hc == NULL)
		return;
	tls_unref(hc->tls);
	hc->tls = tls_ref(tls);
}

void
health_checker_free(struct health_checker *hc)
{
	unsigned i;

	if (hc == NULL)
		return;
	for (i = 0; i < hc->n; i++) {
		loop_timer_cancel(hc->loop, &hc->probes[i].timer);
		hc_release(&hc->probes[i]);
	}
	tls_unref(hc->tls);
	free(hc);
}
