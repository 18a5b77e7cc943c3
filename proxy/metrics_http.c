/* The metrics listener (proxy/metrics_http.h): libmicrohttpd in "external
 * polling" mode with its own epoll set, whose fd the main loop watches;
 * MHD_run on readiness and at MHD_get_timeout's deadline. The pages are
 * one table. The status pages must ask the workers first: the request
 * takes a waiting slot, its connection is suspended
 * (MHD_suspend_connection, MHD_ALLOW_SUSPEND_RESUME) and the collector
 * asked (metrics_http_status's want); when the snapshot is in
 * (metrics_http_status_ready) each waiting page is rendered into its slot
 * and its connection resumed, and libmicrohttpd calls mh_access again,
 * which queues the page. Nothing here blocks the loop meanwhile. */
#include "proxy/metrics_http.h"

#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "proxy/log.h"
#include "proxy/loop.h"
#include "proxy/metrics_text.h"
#include "proxy/status_text.h"

/* libmicrohttpd's own messages (connection limits reached, malformed
 * requests) are logged at most once per this many ms, with a count of
 * those left out: a flood of bad requests must not flood the log. */
#define METRICS_HTTP_LOG_MS	60000u
/* Listen backlog of the metrics socket. */
#define METRICS_HTTP_BACKLOG	METRICS_HTTP_CONNECTIONS

/* A status page waiting for its snapshot (c NULL: a free slot). */
struct mh_wait {
	struct MHD_Connection *c;
	bool json;			/* /status.json, else / */
	bool ready;			/* rendered (text NULL: no memory) */
	char *text;
	size_t len;
};

struct metrics_http {
	struct MHD_Daemon *d;
	struct loop *loop;
	struct loop_ev ev;		/* libmicrohttpd's epoll fd */
	struct loop_timer timer;	/* MHD_get_timeout */
	metrics_collect_fn collect;
	void *arg;
	uint64_t log_next_ms;		/* next message allowed */
	unsigned log_dropped;		/* messages left out since */
	metrics_status_fn status_want;	/* NULL: no status pages */
	void *status_arg;
	struct mh_wait wait[METRICS_HTTP_CONNECTIONS];
};

/* The pages. */
enum mh_page { MH_METRICS, MH_STATUS_HTML, MH_STATUS_JSON };

struct metrics_http_page {
	const char *path;
	enum mh_page page;
};

static const struct metrics_http_page metrics_http_pages[] = {
	{ "/metrics", MH_METRICS },
	{ "/", MH_STATUS_HTML },
	{ "/status.json", MH_STATUS_JSON },
};

static const char mh_not_found[] = "Not found: this server has /metrics, "
    "/ (the status page) and /status.json only.\n";
static const char mh_busy[] = "Busy: too many status pages waiting; try "
    "again.\n";
/* The status pages load nothing from anywhere (inline style only), and
 * may not be framed. */
static const char mh_csp[] = "default-src 'none'; style-src "
    "'unsafe-inline'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'";
static const char mh_not_allowed[] = "Method not allowed: use GET or "
    "HEAD.\n";
static const char mh_no_memory[] = "Out of memory.\n";

int
metrics_http_listen(const struct sockaddr_storage *addr, socklen_t len)
{
	int one = 1, fd, e;

	fd = socket(addr->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd < 0)
		return -1;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (addr->ss_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
		    sizeof(one));
	if (bind(fd, (const struct sockaddr *)addr, len) == 0 &&
	    listen(fd, METRICS_HTTP_BACKLOG) == 0)
		return fd;
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

static uint64_t
mh_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void mh_log(void *cls, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void
mh_log(void *cls, const char *fmt, va_list ap)
{
	struct metrics_http *h = cls;
	uint64_t now = mh_now_ms();
	char msg[256], esc[300];
	size_t n;

	if (now < h->log_next_ms) {
		h->log_dropped++;
		return;
	}
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		n--;
	/* It may quote what a peer sent. */
	log_escape(esc, sizeof(esc), msg, n);
	if (h->log_dropped > 0)
		log_msg(LOG_LVL_INFO, "metrics_listen: %s (and %u more such "
		    "messages in the last %u s)", esc, h->log_dropped,
		    METRICS_HTTP_LOG_MS / 1000u);
	else
		log_msg(LOG_LVL_INFO, "metrics_listen: %s", esc);
	h->log_dropped = 0;
	h->log_next_ms = now + METRICS_HTTP_LOG_MS;
}

/* Queue a fixed text with status code (and Allow for a 405). */
static enum MHD_Result
mh_text(struct MHD_Connection *c, unsigned code, const char *text)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(strlen(text),
	    (void *)(uintptr_t)text, MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	(void)MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "text/plain; charset=utf-8");
	if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
		(void)MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW,
		    "GET, HEAD");
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

/* GET /metrics: a snapshot of every counter, as exposition text. */
static enum MHD_Result
mh_metrics(struct metrics_http *h, struct MHD_Connection *c)
{
	struct metrics_snap snap;
	struct MHD_Response *r;
	enum MHD_Result ret;
	size_t n;
	char *text;

	metrics_snap_init(&snap);
	h->collect(&snap, h->arg);
	n = metrics_text(&snap, NULL, 0);
	text = malloc(n + 1);
	if (text == NULL)
		return mh_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, mh_no_memory);
	(void)metrics_text(&snap, text, n + 1);
	r = MHD_create_response_from_buffer(n, text, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(text);
		return MHD_NO;
	}
	(void)MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	    METRICS_TEXT_TYPE);
	(void)MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL,
	    "no-store");
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

/* A status page: wait for a snapshot in a free slot, suspended. */
static enum MHD_Result
mh_status(struct metrics_http *h, struct MHD_Connection *c, bool json,
    void **con_cls)
{
	size_t i;

	if (h->status_want == NULL)
		return mh_text(c, MHD_HTTP_NOT_FOUND, mh_not_found);
	for (i = 0; i < METRICS_HTTP_CONNECTIONS; i++)
		if (h->wait[i].c == NULL)
			break;
	if (i == METRICS_HTTP_CONNECTIONS)
		return mh_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, mh_busy);
	memset(&h->wait[i], 0, sizeof(h->wait[i]));
	h->wait[i].c = c;
	h->wait[i].json = json;
	*con_cls = &h->wait[i];
	MHD_suspend_connection(c);
	h->status_want(h->status_arg);
	return MHD_YES;
}

/* The slot con_cls points at, or NULL. */
static struct mh_wait *
mh_slot(struct metrics_http *h, void *con_cls)
{
	size_t i;

	for (i = 0; i < METRICS_HTTP_CONNECTIONS; i++)
		if (con_cls == &h->wait[i])
			return &h->wait[i];
	return NULL;
}

/* A resumed status page: its rendered text goes out, the slot is free. */
static enum MHD_Result
mh_status_answer(struct mh_wait *w, struct MHD_Connection *c)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	char *text = w->text;

	w->text = NULL;
	w->c = NULL;
	if (text == NULL)
		return mh_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, mh_no_memory);
	r = MHD_create_response_from_buffer(w->len, text,
	    MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(text);
		return MHD_NO;
	}
	(void)MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	    w->json ? STATUS_JSON_TYPE : STATUS_HTML_TYPE);
	(void)MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL,
	    "no-store");
	(void)MHD_add_response_header(r, "Content-Security-Policy", mh_csp);
	(void)MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	(void)MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

/*
 * Every request. SECURITY: answered as soon as its headers are in, whatever
 * it is: GET or HEAD of a page in the table, else 404 or 405. A body is
 * never read (libmicrohttpd drops it and closes the connection after the
 * reply); the URL is compared, never parsed further, and no part of the
 * request reaches a log line but through libmicrohttpd's escaped messages.
 */
static enum MHD_Result
mh_access(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	static int answered;
	struct metrics_http *h = cls;
	struct mh_wait *w;
	size_t i;

	(void)version;
	(void)upload_data;
	if ((w = mh_slot(h, *con_cls)) != NULL) {
		/* Resumed: the snapshot is in. */
		*con_cls = &answered;
		*upload_data_size = 0;
		return mh_status_answer(w, c);
	}
	if (*con_cls == &answered) {
		/* A body after our reply: dropped unread. */
		*upload_data_size = 0;
		return MHD_YES;
	}
	*con_cls = &answered;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return mh_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, mh_not_allowed);
	for (i = 0; i < sizeof(metrics_http_pages) /
	    sizeof(metrics_http_pages[0]); i++) {
		if (strcmp(url, metrics_http_pages[i].path) != 0)
			continue;
		if (metrics_http_pages[i].page == MH_METRICS)
			return mh_metrics(h, c);
		return mh_status(h, c, metrics_http_pages[i].page ==
		    MH_STATUS_JSON, con_cls);
	}
	return mh_text(c, MHD_HTTP_NOT_FOUND, mh_not_found);
}

/* Let libmicrohttpd work, then wake it again by its deadline. */
static void
mh_run(struct metrics_http *h)
{
	MHD_UNSIGNED_LONG_LONG ms;

	(void)MHD_run(h->d);
	if (MHD_get_timeout(h->d, &ms) == MHD_YES)
		loop_timer_set(h->loop, &h->timer, ms);
	else
		loop_timer_cancel(h->loop, &h->timer);
}

static void
mh_on_ev(struct loop_ev *ev, uint32_t events)
{
	(void)events;
	mh_run(container_of(ev, struct metrics_http, ev));
}

static void
mh_on_timer(struct loop_timer *t)
{
	mh_run(container_of(t, struct metrics_http, timer));
}

/* A connection ends: a status page still waiting gives its slot back. */
static void
mh_completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct metrics_http *h = cls;
	struct mh_wait *w = mh_slot(h, *con_cls);

	(void)c;
	(void)toe;
	if (w == NULL)
		return;
	free(w->text);
	memset(w, 0, sizeof(*w));
	*con_cls = NULL;
}

void
metrics_http_status(struct metrics_http *h, metrics_status_fn want,
    void *arg)
{
	h->status_want = want;
	h->status_arg = arg;
}

/* s as one page's text (malloc'd), or NULL for want of memory. */
static char *
mh_render(const struct status_snap *s, bool json, size_t *len)
{
	size_t n = json ? status_json(s, NULL, 0) : status_html(s, NULL, 0);
	char *text = malloc(n + 1);

	if (text == NULL)
		return NULL;
	if (json)
		(void)status_json(s, text, n + 1);
	else
		(void)status_html(s, text, n + 1);
	*len = n;
	return text;
}

void
metrics_http_status_ready(struct metrics_http *h,
    const struct status_snap *s)
{
	size_t i;

	for (i = 0; i < METRICS_HTTP_CONNECTIONS; i++) {
		struct mh_wait *w = &h->wait[i];

		if (w->c == NULL || w->ready)
			continue;
		w->text = mh_render(s, w->json, &w->len);
		w->ready = true;
		MHD_resume_connection(w->c);
	}
	mh_run(h);
}

struct metrics_http *
metrics_http_start(struct loop *l, int fd, metrics_collect_fn collect,
    void *arg)
{
	struct metrics_http *h = calloc(1, sizeof(*h));
	const union MHD_DaemonInfo *info;
	int mine;

	/* libmicrohttpd closes a socket it was given when it stops, and on
	 * some of its failures but not all: it gets a copy, so that ours is
	 * closed exactly once, here. */
	mine = h != NULL ? fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1;
	close(fd);
	if (mine < 0) {
		log_msg(LOG_LVL_ERR, "metrics_listen: cannot start the HTTP "
		    "server: %s", strerror(h == NULL ? ENOMEM : errno));
		free(h);
		return NULL;
	}
	h->loop = l;
	h->collect = collect;
	h->arg = arg;
	loop_ev_init(&h->ev, mh_on_ev);
	loop_timer_init(&h->timer, mh_on_timer);
	h->d = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
	    MHD_ALLOW_SUSPEND_RESUME, 0, NULL, NULL, mh_access, h,
	    MHD_OPTION_EXTERNAL_LOGGER, mh_log, h,
	    MHD_OPTION_NOTIFY_COMPLETED, mh_completed, h,
	    MHD_OPTION_LISTEN_SOCKET, mine,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)METRICS_HTTP_CONNECTIONS,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    (unsigned)METRICS_HTTP_PER_ADDRESS,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)METRICS_HTTP_TIMEOUT,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    (size_t)METRICS_HTTP_CONN_MEMORY,
	    MHD_OPTION_SIGPIPE_HANDLED_BY_APP, 1,
	    MHD_OPTION_END);
	if (h->d == NULL) {
		log_msg(LOG_LVL_ERR, "metrics_listen: cannot start the HTTP "
		    "server (libmicrohttpd): %s", strerror(errno));
		free(h);
		return NULL;
	}
	info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD);
	if (info == NULL) {
		log_msg(LOG_LVL_ERR, "metrics_listen: libmicrohttpd has no "
		    "epoll descriptor to watch");
		metrics_http_free(h);
		return NULL;
	}
	h->ev.fd = info->epoll_fd;
	if (loop_arm(l, &h->ev, EPOLLIN) < 0) {
		log_msg(LOG_LVL_ERR, "metrics_listen: cannot watch the HTTP "
		    "server: %s", strerror(errno));
		metrics_http_free(h);
		return NULL;
	}
	mh_run(h);
	return h;
}

void
metrics_http_free(struct metrics_http *h)
{
	size_t i;

	if (h == NULL)
		return;
	loop_forget(h->loop, &h->ev);
	loop_timer_cancel(h->loop, &h->timer);
	/* libmicrohttpd stops only with no connection suspended. */
	for (i = 0; i < METRICS_HTTP_CONNECTIONS; i++)
		if (h->wait[i].c != NULL && !h->wait[i].ready) {
			h->wait[i].ready = true;
			MHD_resume_connection(h->wait[i].c);
		}
	/* Closes the connections, the epoll fd and the listening socket. */
	MHD_stop_daemon(h->d);
	free(h);
}
