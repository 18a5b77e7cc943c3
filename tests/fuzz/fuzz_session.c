/*
 * Stateful fuzzer of one control session: the real session code
 * (proxy/session*.c, data.c, conn.c, loop.c) run in process by its own
 * event loop, between a scripted client and a scripted fake FTP server,
 * both ends of real loopback TCP connections with small socket buffers.
 *
 * The input is a script: which commands the client pipelines, how its
 * writes and reads are cut (and when it stops reading: backpressure), how
 * the fake server answers each command (single or multi-line replies, long
 * lines, replies naming LAN addresses, a transfer's 150 now and its final
 * reply later, one or two replies to an ABOR), how its writes are cut, and
 * when the gateway's loop runs. Then everything is delivered and checked:
 *
 *   - every command line the client sent gets exactly one final reply, in
 *     order: replies of the fake server name the command they answer (its
 *     tag "tN" or a "[VERB]" mark) and must land on that command; a 1xx
 *     only before a transfer's final reply; every line ends in CRLF, and a
 *     multi-line reply is whole;
 *   - no LAN address (the server's, ftpsgw's LAN side), as text or as a
 *     PASV tuple, reaches the client; every 227/229 names ftpsgw's address
 *     and a port of passive_ports, the server's ports never;
 *   - the server gets only lines the client sent (tagged ones unchanged, in
 *     order) and ftpsgw's own commands, and never a bare CR;
 *   - no 421: nothing in the script may end the session;
 *   - no "internal error" in the gateway's log, checked as each line is
 *     written: a state transition the session's or a data channel's table
 *     refuses (sess_set_cstate, sess_set_bstate, data_set_state), a reply
 *     that does not fit the room promised for it: broken invariants, which
 *     no input may reach (fz_log_write).
 *
 * Why the real code and not a model of the FIFO: the pairing bugs of issue
 * 12 (part 5) lived between the FIFO, the output buffers, the framers and
 * the order of the pump's steps. Left out: TLS (the client is plain,
 * backend_tls = off) and data connections (passive and active channels are
 * opened, listened on and closed, but no peer connects to them).
 *
 * Addresses: the client is 127.0.0.4, ftpsgw's public side 127.0.0.3, the
 * server 127.0.0.2; ftpsgw reaches it from its LAN side, which the kernel
 * picks (127.0.0.1). No traffic leaves the loopback interface. Sockets are
 * closed with a reset, so runs leave no TIME_WAIT behind; a run that waits
 * for the kernel (a TCP window) waits FZ_DRAIN_MS at most.
 *
 * Seeds (tests/fuzz/corpus_session) hold one script per bug class this
 * target was checked to find on code with the fix taken out: ABOR with a
 * PASV behind it, a transfer aborted three ways, a CR inside an argument,
 * a long reply before 29 local ones, LAN addresses in replies. To read
 * what a crashing input did, run it with FZ_DEBUG=1 in the environment:
 * the gateway's debug log (C> C< S> lines) goes to stderr.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "proxy/config.h"
#include "proxy/ftp_parse.h"
#include "proxy/admission.h"
#include "proxy/limits.h"
#include "proxy/log.h"
#include "proxy/loop.h"
#include "proxy/netaddr.h"
#include "proxy/session.h"
#include "proxy/tls.h"
#include "tests/fuzz/fuzz_ftp.h"

#define FZ_CLIENT_ADDR	"127.0.0.4"
#define FZ_PUBLIC_ADDR	"127.0.0.3"
#define FZ_SERVER_ADDR	"127.0.0.2"
/* ftpsgw's passive ports; the server's are never among them. */
#define FZ_PASV_LOW	47100
#define FZ_PASV_HIGH	47299
#define FZ_SRV_PORT_LOW	20000

#define FZ_CMDS_MAX	48	/* commands per input */
#define FZ_STEPS_MAX	600	/* scripted steps per input */
#define FZ_DRAIN_MAX	4000	/* loop passes to deliver everything */
#define FZ_DRAIN_MS	2000	/* of which, waiting 1 ms with nothing moving */
#define FZ_IO_MAX	(256 * 1024)	/* bytes buffered per direction */
#define FZ_LINE_LONG	4000	/* longest reply line the server writes */
#define FZ_TAG_NONE	(-1)
#ifndef FZ_BANNER
#define FZ_BANNER	"220 " CFG_BANNER_DEFAULT
#endif

/* ---- the input, read as a script ---- */

struct fz_in {
	const uint8_t *p;
	size_t n;
};

static unsigned
fz_byte(struct fz_in *in)
{
	if (in->n == 0)
		return 0;
	in->n--;
	return *in->p++;
}

/* ---- growable byte buffers for the harness's ends ---- */

struct fz_buf {
	char *d;
	size_t len, cap;
};

static void
fz_put(struct fz_buf *b, const void *p, size_t n)
{
	if (n == 0)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;

		while (cap < b->len + n)
			cap *= 2;
		b->d = realloc(b->d, cap);
		FUZZ_CHECK(b->d != NULL);
		b->cap = cap;
	}
	memcpy(b->d + b->len, p, n);
	b->len += n;
}

static void
fz_puts(struct fz_buf *b, const char *s)
{
	fz_put(b, s, strlen(s));
}

static void
fz_drop(struct fz_buf *b, size_t n)
{
	memmove(b->d, b->d + n, b->len - n);
	b->len -= n;
}

/* ---- what the client sends ---- */

enum fz_kind {
	K_SERVER,	/* relayed: the server's reply carries the tag */
	K_MARK,		/* relayed: the server's reply carries "[VERB]" */
	K_LOCAL,	/* answered by ftpsgw */
	K_PASV,		/* 227 from ftpsgw, or an error */
	K_EPSV,		/* 229 from ftpsgw, or an error */
	K_XFER,		/* a 1xx may come first */
	K_ABOR,		/* the server's reply, or ftpsgw's */
	K_ACTIVE,	/* ftpsgw's PORT/EPRT, the server's verdict */
	K_QUIT,		/* 221, then the end */
};

struct fz_cmd {
	char line[96];		/* without CRLF (the long one is built) */
	enum fz_kind kind;
	char verb[8];
	bool answered;		/* got its final reply */
	bool started;		/* got a 1xx */
};

struct fz_tpl {
	const char *fmt;	/* %d: the tag */
	enum fz_kind kind;
};

static const struct fz_tpl fz_tpls[] = {
	{ "CWD t%d", K_SERVER },
	{ "MKD t%d", K_SERVER },
	{ "SIZE t%d", K_SERVER },
	{ "HELP t%d", K_SERVER },
	{ "STAT t%d", K_SERVER },
	{ "SITE t%d", K_SERVER },
	{ "XYZZ t%d", K_SERVER },	/* unknown verb: relayed */
	{ "USER t%d", K_SERVER },
	{ "NOOP", K_MARK },
	{ "FEAT", K_MARK },
	{ "PASV", K_PASV },
	{ "EPSV", K_EPSV },
	{ "PASV", K_PASV },
	{ "EPSV", K_EPSV },
	{ "LIST t%d", K_XFER },
	{ "RETR t%d", K_XFER },
	{ "ABOR", K_ABOR },
	{ "ABOR", K_ABOR },
	{ "CPSV", K_LOCAL },
	{ "PBSZ 0", K_LOCAL },
	{ "CWD a\rDELE t%d", K_LOCAL },	/* bare CR: 501 */
	{ "NO\rOP", K_LOCAL },
	{ "", K_LOCAL },			/* empty: 500 */
	{ "NO\x01OP", K_LOCAL },		/* not a verb */
	{ "EPSV 7", K_LOCAL },			/* 522 */
	{ "PORT 127,0,0,4,183,0", K_ACTIVE },
	{ "EPRT |1|127.0.0.4|47000|", K_ACTIVE },
	{ "PORT 127,0,0,9,183,0", K_LOCAL },	/* not the client: 504 */
	{ "LONG", K_LOCAL },			/* 5000 bytes: 500 */
	{ "REST t%d", K_SERVER },
};
#define FZ_NTPLS (sizeof(fz_tpls) / sizeof(fz_tpls[0]))

/* ---- the fake server's model ---- */

struct fz_srv {
	int fd;
	struct fz_buf in, out;
	int open_xfer;			/* tag of a transfer with its 150 out,
					 * or FZ_TAG_NONE */
	int last_tag;			/* tags must arrive in order */
	bool closed;
};

/* ---- one run ---- */

struct fz_run {
	struct fz_in in;
	int cfd;			/* the client's socket */
	struct fz_buf c_out, c_in;	/* client: to send, received */
	struct fz_cmd cmds[FZ_CMDS_MAX];
	int n_cmds, n_sent_lines, next_reply;
	struct ftp_reply_parser rp;	/* the client's view of replies */
	bool multi_ok;
	unsigned multi_code;
	bool greeted, quit_sent, eof;
	struct fz_srv srv;
	size_t moved;			/* bytes sent and received */
	char lan_text[2][INET6_ADDRSTRLEN];
	char lan_tuple[2][32];
};

/* ---- process-wide: the gateway's context, made once ---- */

static struct {
	struct config cfg;
	struct gw_shared shared;
	struct gw gw;
	int pub_lst, srv_lst;		/* ftpsgw's stand-in listener, the
					 * fake server's listener */
	struct sockaddr_in pub_sa, srv_sa;
} fz;

/* ---- the gateway's log ---- */

#define FZ_BUG_TEXT "internal error"

/*
 * stderr while the target runs: the gateway logs one line per fprintf
 * (proxy/log.c), which reaches this function whole (line buffered, the
 * buffer larger than a log line). The line is passed on to fd 2, then an
 * internal error aborts the run here, so that libFuzzer records the input
 * and the stack shows who logged it. ASan's and libFuzzer's own reports do
 * not come this way.
 */
static ssize_t
fz_log_write(void *cookie, const char *buf, size_t n)
{
	size_t done = 0;

	(void)cookie;
	while (done < n) {
		ssize_t w = write(STDERR_FILENO, buf + done, n - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		done += (size_t)w;
	}
	if (memmem(buf, n, FZ_BUG_TEXT, sizeof(FZ_BUG_TEXT) - 1) != NULL) {
		static const char why[] = "fuzz_session: the gateway logged an "
		    "internal error (a broken invariant), see above\n";

		ssize_t w = write(STDERR_FILENO, why, sizeof(why) - 1);

		(void)w;
		abort();
	}
	return (ssize_t)n;
}

static void
fz_log_watch(void)
{
	static char lbuf[4096];
	cookie_io_functions_t io = { .write = fz_log_write };
	FILE *f = fopencookie(NULL, "w", io);

	FUZZ_CHECK(f != NULL);
	FUZZ_CHECK(setvbuf(f, lbuf, _IOLBF, sizeof(lbuf)) == 0);
	/* glibc's stderr is a variable meant to be set like this. */
	stderr = f;
}

static int
fz_listener(const char *addr, struct sockaddr_in *sa)
{
	socklen_t len = sizeof(*sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	FUZZ_CHECK(fd >= 0);
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	FUZZ_CHECK(inet_pton(AF_INET, addr, &sa->sin_addr) == 1);
	FUZZ_CHECK(bind(fd, (struct sockaddr *)sa, sizeof(*sa)) == 0);
	FUZZ_CHECK(listen(fd, 16) == 0);
	FUZZ_CHECK(getsockname(fd, (struct sockaddr *)sa, &len) == 0);
	return fd;
}

/* A TLS context pair that is never used (client and server are plain):
 * sessions hold a reference to one. */
static struct tls *
fz_tls(void)
{
	struct tls *t = calloc(1, sizeof(*t));

	FUZZ_CHECK(t != NULL);
	t->server = SSL_CTX_new(TLS_server_method());
	t->be = calloc(1, sizeof(*t->be));
	FUZZ_CHECK(t->be != NULL);
	t->n_be = 1;
	t->be[0].ctx = SSL_CTX_new(TLS_client_method());
	t->be[0].name = "198.51.100.10";
	FUZZ_CHECK(t->server != NULL && t->be[0].ctx != NULL);
	atomic_init(&t->refs, 1);
	return t;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static struct host_sess sess[64];
	static struct host_fail fail[64];
	const struct hosttab_policy pol = { .max_per_ip = 50,
	    .max_failures = 0, .ban_ms = 1000, .prefix4 = 32, .prefix6 = 64 };

	(void)argc;
	(void)argv;
	log_set_level(getenv("FZ_DEBUG") != NULL ? LOG_LVL_DEBUG : LOG_LVL_ERR);
	fz_log_watch();
	cfg_defaults(&fz.cfg);
	fz.cfg.backends[0].tls = CFG_BACKEND_OFF;
	fz.cfg.client_tls = CFG_CLIENT_OPTIONAL;
	fz.cfg.conntrack = CFG_CT_OFF;
	fz.cfg.passive_low = FZ_PASV_LOW;
	fz.cfg.passive_high = FZ_PASV_HIGH;
	fz.cfg.max_login_failures = 0;
	hosttab_init(&fz.shared.hosts, sess, 64, fail, 64, 1, &pol);
	FUZZ_CHECK(pthread_mutex_init(&fz.shared.lock, NULL) == 0);
	portpool_init(&fz.shared.ports, FZ_PASV_LOW, FZ_PASV_HIGH);
	FUZZ_CHECK(pthread_mutex_init(&fz.shared.ports_lock, NULL) == 0);
	fz.shared.n_workers = 1;
	fz.gw.loop = loop_new();
	FUZZ_CHECK(fz.gw.loop != NULL);
	fz.gw.cfg = &fz.cfg;
	fz.gw.shared = &fz.shared;
	fz.gw.tls = fz_tls();
	fz.pub_lst = fz_listener(FZ_PUBLIC_ADDR, &fz.pub_sa);
	fz.srv_lst = fz_listener(FZ_SERVER_ADDR, &fz.srv_sa);
	netaddr_from_sockaddr(&fz.shared.backend[0],
	    (struct sockaddr *)&fz.srv_sa);
	return 0;
}

/* ---- sockets ---- */

/*
 * Small socket buffers, so that ftpsgw's own buffers fill and backpressure
 * is exercised. Receive buffers stay large enough for the receiver to
 * reopen its window as soon as it reads: below that (a few KB next to the
 * loopback MSS of 64 KB) Linux waits for the sender's zero-window probe,
 * a matter of a second rather than of the loop's microseconds.
 */
static void
fz_small_buffers(int fd, unsigned sel)
{
	int one = 1;

	static const int snd_sizes[] = { 4096, 8192, 16384, 65536 };
	static const int rcv_sizes[] = { 32768, 65536, 131072, 65536 };
	int snd = snd_sizes[sel & 3], rcv = rcv_sizes[(sel >> 2) & 3];

	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, sizeof(snd));
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	/* ftpsgw's sockets have it too; without it Nagle and delayed ACKs
	 * hold small writes back for 40 ms at a time. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* Close with a reset: no TIME_WAIT left behind by a million runs. */
static void
fz_reset_close(int fd)
{
	struct linger lg = { 1, 0 };

	if (fd < 0)
		return;
	(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

/* Write up to max bytes of b to fd (nonblocking). */
static void
fz_send(struct fz_run *r, int fd, struct fz_buf *b, size_t max)
{
	ssize_t n;

	if (fd < 0 || b->len == 0)
		return;
	n = send(fd, b->d, b->len < max ? b->len : max,
	    MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n > 0) {
		fz_drop(b, (size_t)n);
		r->moved += (size_t)n;
	}
}

/* Read up to max bytes from fd into b; false at EOF or on an error. */
static bool
fz_recv(struct fz_run *r, int fd, struct fz_buf *b, size_t max)
{
	char tmp[65536];
	ssize_t n;

	if (fd < 0)
		return false;
	if (max > sizeof(tmp))
		max = sizeof(tmp);
	n = recv(fd, tmp, max, MSG_DONTWAIT);
	if (n > 0) {
		FUZZ_CHECK(b->len + (size_t)n <= FZ_IO_MAX);
		fz_put(b, tmp, (size_t)n);
		r->moved += (size_t)n;
		return true;
	}
	if (n == 0)
		return false;
	return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

/* One pass of ftpsgw's loop, waiting at most wait_ms for an event. */
static void
fz_loop(int wait_ms)
{
	FUZZ_CHECK(loop_run_once(fz.gw.loop, wait_ms) >= 0);
}

/* ---- the client ---- */

static void
fz_client_queue(struct fz_run *r, unsigned sel)
{
	const struct fz_tpl *t = &fz_tpls[sel % FZ_NTPLS];
	const char *pct;
	struct fz_cmd *c;
	int tag;

	if (r->n_cmds >= FZ_CMDS_MAX || r->quit_sent)
		return;
	tag = r->n_cmds;
	c = &r->cmds[r->n_cmds++];
	memset(c, 0, sizeof(*c));
	pct = strstr(t->fmt, "%d");
	if (pct != NULL)
		snprintf(c->line, sizeof(c->line), "%.*s%d%s",
		    (int)(pct - t->fmt), t->fmt, tag, pct + 2);
	else
		snprintf(c->line, sizeof(c->line), "%s", t->fmt);
	c->kind = t->kind;
	sscanf(c->line, "%7[A-Z]", c->verb);
	if (strcmp(c->line, "LONG") == 0) {
		char fill[5000];

		memset(fill, 'X', sizeof(fill));
		fz_put(&r->c_out, fill, sizeof(fill));
	} else {
		fz_puts(&r->c_out, c->line);
	}
	fz_put(&r->c_out, "\r\n", 2);
}

/* Does text hold the tag "t<number>" as a word; which one? */
static int
fz_find_tag(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i++) {
		if (p[i] == 't' && (i == 0 || p[i - 1] == ' ') &&
		    p[i + 1] >= '0' && p[i + 1] <= '9') {
			int v = 0;
			size_t j = i + 1;

			while (j < n && p[j] >= '0' && p[j] <= '9')
				v = v * 10 + (p[j++] - '0');
			if (j == n || p[j] == ' ')
				return v;
		}
	}
	return FZ_TAG_NONE;
}

static bool
fz_has(const char *p, size_t n, const char *what)
{
	return memmem(p, n, what, strlen(what)) != NULL;
}

/* A 227/229 from ftpsgw for command c: its address and a pool port. */
static void
fz_check_passive(const char *p, size_t n, unsigned code)
{
	struct net_addr a;
	uint16_t port = 0;

	if (code == 227) {
		FUZZ_CHECK(ftp_parse_227(p, n, &a) == FTP_ADDR_OK);
		FUZZ_CHECK(a.family == AF_INET &&
		    memcmp(a.addr, &fz.pub_sa.sin_addr, 4) == 0);
		port = a.port;
	} else {
		FUZZ_CHECK(ftp_parse_229(p, n, &port) == FTP_ADDR_OK);
	}
	FUZZ_CHECK(port >= FZ_PASV_LOW && port <= FZ_PASV_HIGH);
}

/* One whole reply line the client got (without CRLF). */
static void
fz_client_line(struct fz_run *r, const char *p, size_t n)
{
	enum ftp_reply_line kind;
	struct fz_cmd *c;
	unsigned code = 0;
	int k, tag;

	/* Nothing of the LAN, in any line. */
	for (k = 0; k < 2; k++) {
		if (r->lan_text[k][0] != '\0')
			FUZZ_CHECK(!fz_has(p, n, r->lan_text[k]));
		if (r->lan_tuple[k][0] != '\0')
			FUZZ_CHECK(!fz_has(p, n, r->lan_tuple[k]));
	}
	kind = ftp_reply_feed(&r->rp, p, n, &code);
	FUZZ_CHECK(kind != FTP_REPLY_BAD);
	FUZZ_CHECK(!(n >= 3 && memcmp(p, "421", 3) == 0));
	if (!r->greeted) {
		/* ftpsgw's banner, never the server's greeting. */
		FUZZ_CHECK(kind == FTP_REPLY_LAST &&
		    n == sizeof(FZ_BANNER) - 1 && memcmp(p, FZ_BANNER, n) == 0);
		r->greeted = true;
		return;
	}
	/* A reply after the last command's, or after QUIT's: unsolicited. */
	FUZZ_CHECK(r->next_reply < r->n_cmds);
	c = &r->cmds[r->next_reply];
	if (kind == FTP_REPLY_FIRST_PART)
		r->multi_code = code;
	code = kind == FTP_REPLY_PART ? r->multi_code : code;

	/* The reply names the command it answers, if it names one. */
	tag = fz_find_tag(p, n);
	if (tag != FZ_TAG_NONE)
		FUZZ_CHECK(tag == r->next_reply);
	if (fz_has(p, n, "[") && (fz_has(p, n, "[NOOP]") ||
	    fz_has(p, n, "[FEAT]") || fz_has(p, n, "[ABOR]") ||
	    fz_has(p, n, "[PASV]") || fz_has(p, n, "[EPSV]") ||
	    fz_has(p, n, "[PORT]") || fz_has(p, n, "[EPRT]") ||
	    fz_has(p, n, "[QUIT]"))) {
		char mark[16];

		/* ftpsgw's own commands are answered inside it: a NOOP of
		 * ours, an EPSV, PORT or EPRT in place of the client's. */
		snprintf(mark, sizeof(mark), "[%s]", c->verb);
		if (c->kind == K_PASV || c->kind == K_EPSV)
			FUZZ_CHECK(fz_has(p, n, "[PASV]") ||
			    fz_has(p, n, "[EPSV]"));
		else if (c->kind == K_ACTIVE)
			FUZZ_CHECK(fz_has(p, n, "[PORT]") ||
			    fz_has(p, n, "[EPRT]"));
		else
			FUZZ_CHECK(fz_has(p, n, mark));
	}
	/* Passive replies: ftpsgw's, for a passive command only; any other
	 * is withheld (no address, no port). */
	if ((code == 227 || code == 229) && kind == FTP_REPLY_LAST &&
	    ((c->kind == K_PASV && code == 227) ||
	    (c->kind == K_EPSV && code == 229)))
		fz_check_passive(p, n, code);
	else if (n >= 3 && p[0] == '2' && p[1] == '2' &&
	    (p[2] == '7' || p[2] == '9'))
		FUZZ_CHECK(!fz_has(p, n, "("));

	if (kind != FTP_REPLY_LAST)
		return;
	if (code < 200) {
		FUZZ_CHECK(c->kind == K_XFER && !c->started);
		c->started = true;
		return;
	}
	if (c->kind == K_QUIT)
		FUZZ_CHECK(code == 221);
	c->answered = true;
	r->next_reply++;
}

/* Take the whole lines the client has; each must end in CRLF. */
static void
fz_client_lines(struct fz_run *r)
{
	char *lf;

	while (r->c_in.len > 0 &&
	    (lf = memchr(r->c_in.d, '\n', r->c_in.len)) != NULL) {
		size_t n = (size_t)(lf - r->c_in.d);

		FUZZ_CHECK(n > 0 && r->c_in.d[n - 1] == '\r');
		FUZZ_CHECK(memchr(r->c_in.d, '\r', n - 1) == NULL);
		fz_client_line(r, r->c_in.d, n - 1);
		fz_drop(&r->c_in, n + 1);
	}
	FUZZ_CHECK(r->c_in.len <= FTP_LINE_MAX + 2);
}

static void
fz_client_read(struct fz_run *r, size_t max)
{
	if (r->eof)
		return;
	if (!fz_recv(r, r->cfd, &r->c_in, max))
		r->eof = true;
	fz_client_lines(r);
}

/* ---- the fake server ---- */

static void
fz_srv_line(struct fz_srv *s, const char *line)
{
	fz_puts(&s->out, line);
	fz_put(&s->out, "\r\n", 2);
}

/* A reply naming the LAN the way real servers do (STAT, errors). */
static void
fz_srv_lan_reply(struct fz_run *r, const char *code, const char *tagtext)
{
	char line[512];

	snprintf(line, sizeof(line), "%s-Status t%s of fakeftp on %s", code,
	    tagtext, r->lan_text[0]);
	fz_srv_line(&r->srv, line);
	snprintf(line, sizeof(line), " Connected from %s (%s) via [%s]",
	    r->lan_text[1], r->lan_text[1], r->lan_text[0]);
	fz_srv_line(&r->srv, line);
	snprintf(line, sizeof(line), " Passive (%s,78,32) and ::ffff:%s",
	    r->lan_tuple[0], r->lan_text[0]);
	fz_srv_line(&r->srv, line);
	snprintf(line, sizeof(line), "%s-inner line with the code", code);
	fz_srv_line(&r->srv, line);
	snprintf(line, sizeof(line), "%s End t%s", code, tagtext);
	fz_srv_line(&r->srv, line);
}

/* The final reply of the transfer tag, now. */
static void
fz_srv_end_xfer(struct fz_run *r, const char *how)
{
	char line[96];

	if (r->srv.open_xfer == FZ_TAG_NONE)
		return;
	snprintf(line, sizeof(line), "%s t%d", how, r->srv.open_xfer);
	fz_srv_line(&r->srv, line);
	r->srv.open_xfer = FZ_TAG_NONE;
}

/* Answer one command line the server got. */
static void
fz_srv_answer(struct fz_run *r, const char *cmd, size_t n, unsigned sel)
{
	char verb[8] = "", line[FZ_LINE_LONG + 64], tagtext[16] = "";
	int tag = fz_find_tag(cmd, n);
	unsigned port;

	FUZZ_CHECK(memchr(cmd, '\r', n) == NULL);
	sscanf(cmd, "%7[A-Z]", verb);
	if (tag != FZ_TAG_NONE) {
		/* A client command, unchanged and in order. */
		FUZZ_CHECK(tag > r->srv.last_tag && tag < r->n_cmds);
		FUZZ_CHECK(strlen(r->cmds[tag].line) == n &&
		    memcmp(r->cmds[tag].line, cmd, n) == 0);
		r->srv.last_tag = tag;
		snprintf(tagtext, sizeof(tagtext), "%d", tag);
	}
	port = FZ_SRV_PORT_LOW + (sel * 37u) % 9000u;

	if (strcmp(verb, "EPSV") == 0) {
		if (sel % 4 == 0)
			fz_srv_line(&r->srv, "500 [EPSV] not understood");
		else if (sel % 4 == 1)
			fz_srv_line(&r->srv, "229 [EPSV] garbled |||x|");
		else {
			snprintf(line, sizeof(line), "229 Entering Extended "
			    "Passive Mode (|||%u|)", port);
			fz_srv_line(&r->srv, line);
		}
	} else if (strcmp(verb, "PASV") == 0) {
		if (sel % 3 == 0) {
			fz_srv_line(&r->srv, "502 [PASV] refused");
		} else {
			snprintf(line, sizeof(line), "227 Entering Passive "
			    "Mode (%s,%u,%u)", r->lan_tuple[0], port >> 8,
			    port & 255);
			fz_srv_line(&r->srv, line);
		}
	} else if (strcmp(verb, "PORT") == 0 || strcmp(verb, "EPRT") == 0) {
		snprintf(line, sizeof(line), sel % 2 ? "200 [%s] ok" :
		    "500 [%s] refused", verb);
		fz_srv_line(&r->srv, line);
	} else if (strcmp(verb, "NOOP") == 0) {
		fz_srv_line(&r->srv, "200 [NOOP] ok");
	} else if (strcmp(verb, "FEAT") == 0) {
		fz_srv_line(&r->srv, "211-[FEAT] Features:");
		fz_srv_line(&r->srv, " EPSV");
		fz_srv_line(&r->srv, " AUTH TLS");
		fz_srv_line(&r->srv, "211 [FEAT] End");
	} else if (strcmp(verb, "QUIT") == 0) {
		fz_srv_line(&r->srv, "221 [QUIT] Goodbye");
	} else if (strcmp(verb, "ABOR") == 0) {
		if (r->srv.open_xfer == FZ_TAG_NONE) {
			fz_srv_line(&r->srv, "225 [ABOR] No transfer to ABOR");
		} else if (sel % 3 == 0) {
			fz_srv_end_xfer(r, "426 Transfer aborted");
			fz_srv_line(&r->srv, "226 [ABOR] Abort successful");
		} else if (sel % 3 == 1) {
			/* One reply for the transfer and the abort. */
			fz_srv_end_xfer(r, "226 Abort successful");
		} else {
			fz_srv_end_xfer(r, "426 Connection closed; aborted");
		}
	} else if (strcmp(verb, "LIST") == 0 || strcmp(verb, "RETR") == 0) {
		if (sel % 3 == 0) {
			snprintf(line, sizeof(line), "550 No such file t%s",
			    tagtext);
			fz_srv_line(&r->srv, line);
		} else {
			snprintf(line, sizeof(line), "150 Opening t%s", tagtext);
			fz_srv_line(&r->srv, line);
			r->srv.open_xfer = tag;
			if (sel % 3 == 1)
				fz_srv_end_xfer(r, "226 Transfer complete");
		}
	} else if (tag != FZ_TAG_NONE) {
		switch (sel % 7) {
		case 0:
			snprintf(line, sizeof(line), "250 %s t%s ok", verb,
			    tagtext);
			fz_srv_line(&r->srv, line);
			break;
		case 1: {	/* a long line, a bare CR inside (cleaned) */
			size_t want = FZ_LINE_LONG - (sel >> 3) % 600;
			int len = snprintf(line, sizeof(line), "250 t%s \r",
			    tagtext);

			memset(line + len, 'L', want - (size_t)len);
			line[want] = '\0';
			fz_srv_line(&r->srv, line);
			break;
		}
		case 2:
			fz_srv_lan_reply(r, "211", tagtext);
			break;
		case 3:	/* multi-line, inner lines starting with digits */
			snprintf(line, sizeof(line), "214-%s t%s", verb,
			    tagtext);
			fz_srv_line(&r->srv, line);
			fz_srv_line(&r->srv, "214-not the end");
			fz_srv_line(&r->srv, "2140 not the end either");
			snprintf(line, sizeof(line), " mail admin@%s",
			    r->lan_text[0]);
			fz_srv_line(&r->srv, line);
			snprintf(line, sizeof(line), "214 t%s", tagtext);
			fz_srv_line(&r->srv, line);
			break;
		case 5: {	/* inner lines and a last line shaped by the input */
			unsigned k, inner = fz_byte(&r->in) % 48u;
			size_t width = 8 + fz_byte(&r->in) * 16u % 4000u;
			size_t last = 8 + fz_byte(&r->in) * 16u % 4000u;
			int len;

			snprintf(line, sizeof(line), "214-%s t%s", verb,
			    tagtext);
			fz_srv_line(&r->srv, line);
			for (k = 0; k < inner; k++) {
				memset(line, 'i', width);
				line[0] = ' ';
				line[width] = '\0';
				fz_srv_line(&r->srv, line);
			}
			len = snprintf(line, sizeof(line), "214 t%s ", tagtext);
			memset(line + len, 'E', last);
			line[(size_t)len + last] = '\0';
			fz_srv_line(&r->srv, line);
			break;
		}
		case 4:	/* a stray passive reply: withheld */
			snprintf(line, sizeof(line), "227 t%s (%s,78,32)",
			    tagtext, r->lan_tuple[0]);
			fz_srv_line(&r->srv, line);
			break;
		default:
			snprintf(line, sizeof(line), "550 %s t%s no such "
			    "thing on %s", verb, tagtext, r->lan_text[0]);
			fz_srv_line(&r->srv, line);
			break;
		}
	} else {
		/* Only ftpsgw's own commands come untagged. */
		FUZZ_CHECK(false);
	}
}

/* Read what the server got; answer up to max whole lines. */
static void
fz_srv_step(struct fz_run *r, unsigned max, bool read_more)
{
	char *lf;

	if (r->srv.fd < 0)
		return;
	if (read_more && !fz_recv(r, r->srv.fd, &r->srv.in, 65536))
		r->srv.closed = true;
	while (max-- > 0 && r->srv.in.len > 0 &&
	    (lf = memchr(r->srv.in.d, '\n', r->srv.in.len)) != NULL) {
		size_t n = (size_t)(lf - r->srv.in.d);

		/* Every line ftpsgw sends ends in CRLF. */
		FUZZ_CHECK(n > 0 && r->srv.in.d[n - 1] == '\r');
		/* A server is busy during a transfer: only an ABOR is read
		 * (RFC 959 4.1.3); the rest waits for the transfer's end. */
		if (r->srv.open_xfer != FZ_TAG_NONE &&
		    !(n - 1 >= 4 && memcmp(r->srv.in.d, "ABOR", 4) == 0))
			break;
		fz_srv_answer(r, r->srv.in.d, n - 1, fz_byte(&r->in));
		fz_drop(&r->srv.in, n + 1);
	}
}

/* ---- the run ---- */

static void
fz_lan_names(struct fz_run *r)
{
	struct sockaddr_in peer;
	socklen_t len = sizeof(peer);
	const uint8_t *b;
	int k;

	FUZZ_CHECK(getpeername(r->srv.fd, (struct sockaddr *)&peer,
	    &len) == 0);
	inet_ntop(AF_INET, &fz.srv_sa.sin_addr, r->lan_text[0],
	    sizeof(r->lan_text[0]));
	inet_ntop(AF_INET, &peer.sin_addr, r->lan_text[1],
	    sizeof(r->lan_text[1]));
	for (k = 0; k < 2; k++) {
		b = (const uint8_t *)(k == 0 ? &fz.srv_sa.sin_addr :
		    &peer.sin_addr);
		snprintf(r->lan_tuple[k], sizeof(r->lan_tuple[k]),
		    "%u,%u,%u,%u", b[0], b[1], b[2], b[3]);
	}
}

/* Connect the client, hand the accepted end to a new session, accept
 * the session's connection to the server and greet. */
static void
fz_start(struct fz_run *r, unsigned bufsel)
{
	struct sockaddr_in me, peer;
	socklen_t plen = sizeof(peer);
	struct net_addr pa;
	uint32_t wait_s;
	int fd, i;

	r->cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	FUZZ_CHECK(r->cfd >= 0);
	fz_small_buffers(r->cfd, bufsel);
	memset(&me, 0, sizeof(me));
	me.sin_family = AF_INET;
	FUZZ_CHECK(inet_pton(AF_INET, FZ_CLIENT_ADDR, &me.sin_addr) == 1);
	FUZZ_CHECK(bind(r->cfd, (struct sockaddr *)&me, sizeof(me)) == 0);
	FUZZ_CHECK(connect(r->cfd, (struct sockaddr *)&fz.pub_sa,
	    sizeof(fz.pub_sa)) == 0);
	FUZZ_CHECK(fcntl(r->cfd, F_SETFL, O_NONBLOCK) == 0);
	fd = accept4(fz.pub_lst, (struct sockaddr *)&peer, &plen,
	    SOCK_NONBLOCK | SOCK_CLOEXEC);
	FUZZ_CHECK(fd >= 0);
	fz_small_buffers(fd, bufsel >> 4);
	netaddr_from_sockaddr(&pa, (struct sockaddr *)&peer);
	FUZZ_CHECK(gw_admit(&fz.gw, &pa, &wait_s) == GW_ADMIT);
	FUZZ_CHECK(sess_new(&fz.gw, fd, (struct sockaddr *)&peer, false) !=
	    NULL);

	r->srv.fd = -1;
	for (i = 0; i < 1000 && r->srv.fd < 0; i++) {
		r->srv.fd = accept4(fz.srv_lst, NULL, NULL,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (r->srv.fd < 0)
			fz_loop(0);
	}
	FUZZ_CHECK(r->srv.fd >= 0);
	fz_small_buffers(r->srv.fd, bufsel >> 8);
	fz_lan_names(r);
	if (bufsel & 0x1000) {
		char line[256];

		/* A greeting naming the LAN: never shown (ftpsgw's own). */
		snprintf(line, sizeof(line), "220-fakeftp on %s",
		    r->lan_text[0]);
		fz_srv_line(&r->srv, line);
		fz_srv_line(&r->srv, "220 [t0 must not show]");
	} else {
		fz_srv_line(&r->srv, "220 fakeftp ready");
	}
}

/* Bytes moved so far by the harness's ends, and replies: progress. */
static size_t
fz_progress(const struct fz_run *r)
{
	return r->moved + (size_t)r->next_reply;
}

/* Everything the script left pending is delivered: the client writes
 * all and reads all, the server answers all and ends its transfers.
 * Mostly this takes microseconds; when nothing moves, the loop waits a
 * little for the kernel (a TCP window reopening), FZ_DRAIN_MS at most. */
static void
fz_drain(struct fz_run *r)
{
	int i, idle = 0;

	for (i = 0; i < FZ_DRAIN_MAX && idle < FZ_DRAIN_MS; i++) {
		size_t before = fz_progress(r);

		fz_send(r, r->cfd, &r->c_out, SIZE_MAX);
		fz_loop(0);
		fz_srv_step(r, UINT32_MAX, true);
		fz_send(r, r->srv.fd, &r->srv.out, SIZE_MAX);
		fz_loop(0);
		fz_client_read(r, SIZE_MAX);
		if (r->next_reply == r->n_cmds && r->c_out.len == 0 &&
		    r->srv.out.len == 0)
			break;
		if (fz_progress(r) == before && r->srv.open_xfer !=
		    FZ_TAG_NONE && r->srv.out.len == 0) {
			/* The transfer's data "went"; it ends. */
			fz_srv_end_xfer(r, "226 Transfer complete");
		} else if (fz_progress(r) == before) {
			fz_loop(1);
			idle++;
		} else {
			idle = 0;
		}
	}
	if (r->next_reply != r->n_cmds) {
		fprintf(stderr, "fuzz_session: %d of %d commands answered; "
		    "next \"%s\"; client: %zu bytes unsent, %zu unread%s; "
		    "server: %zu bytes unread, %zu unsent%s\n", r->next_reply,
		    r->n_cmds, r->cmds[r->next_reply].line, r->c_out.len,
		    r->c_in.len, r->eof ? ", EOF" : "", r->srv.in.len,
		    r->srv.out.len, r->srv.closed ? ", EOF" : "");
		FUZZ_CHECK(r->next_reply == r->n_cmds);
	}
}

/* End the session and wait (bounded) until everything is freed. */
static void
fz_finish(struct fz_run *r)
{
	int i;

	if (r->quit_sent) {
		/* 221, then ftpsgw closes the client's connection. */
		for (i = 0; i < FZ_DRAIN_MAX && !r->eof; i++) {
			fz_loop(1);
			fz_srv_step(r, UINT32_MAX, true);
			fz_send(r, r->srv.fd, &r->srv.out, SIZE_MAX);
			fz_client_read(r, SIZE_MAX);
		}
		FUZZ_CHECK(r->eof);
	}
	fz_reset_close(r->cfd);
	r->cfd = -1;
	for (i = 0; i < FZ_DRAIN_MAX && fz.gw.n_sessions > 0; i++)
		fz_loop(1);
	fz_reset_close(r->srv.fd);
	r->srv.fd = -1;
	for (i = 0; i < FZ_DRAIN_MAX && (fz.gw.n_sessions > 0 ||
	    fz.gw.quitters != NULL || fz.gw.data_chans != NULL); i++)
		fz_loop(1);
	FUZZ_CHECK(fz.gw.n_sessions == 0 && fz.gw.quitters == NULL &&
	    fz.gw.data_chans == NULL);
	free(r->c_out.d);
	free(r->c_in.d);
	free(r->srv.in.d);
	free(r->srv.out.d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_run *r = calloc(1, sizeof(*r));
	unsigned step, bufsel;

	FUZZ_CHECK(r != NULL);
	r->in.p = data;
	r->in.n = size;
	r->srv.open_xfer = FZ_TAG_NONE;
	r->srv.last_tag = FZ_TAG_NONE;
	bufsel = fz_byte(&r->in) | fz_byte(&r->in) << 8;
	fz_start(r, bufsel);

	for (step = 0; step < FZ_STEPS_MAX && r->in.n > 0; step++) {
		unsigned op = fz_byte(&r->in), arg = fz_byte(&r->in);

		switch (op % 8) {
		case 0:
			fz_client_queue(r, arg);
			break;
		case 1: {	/* a burst of the same command, pipelined */
			unsigned k, count = fz_byte(&r->in) % 32u + 1u;

			for (k = 0; k < count; k++)
				fz_client_queue(r, arg);
			break;
		}
		case 2:	/* the client writes a piece */
			fz_send(r, r->cfd, &r->c_out, arg == 0 ? SIZE_MAX :
			    (size_t)arg * 7u);
			break;
		case 3:	/* the client reads a piece (or nothing for a while) */
			fz_client_read(r, (size_t)arg * 13u + 1u);
			break;
		case 4:	/* the server reads and answers some lines */
			fz_srv_step(r, arg % 4u, true);
			break;
		case 5:	/* the server writes a piece */
			fz_send(r, r->srv.fd, &r->srv.out, arg == 0 ? SIZE_MAX :
			    (size_t)arg * 11u);
			break;
		case 6:	/* a transfer ends */
			fz_srv_end_xfer(r, arg % 2 ? "226 Transfer complete" :
			    "451 Local error");
			break;
		default:
			fz_loop(0);
			break;
		}
	}
	if (r->in.n > 0 && fz_byte(&r->in) % 4 == 0 && !r->quit_sent &&
	    r->n_cmds < FZ_CMDS_MAX) {
		struct fz_cmd *c = &r->cmds[r->n_cmds++];

		memset(c, 0, sizeof(*c));
		snprintf(c->line, sizeof(c->line), "QUIT");
		snprintf(c->verb, sizeof(c->verb), "QUIT");
		c->kind = K_QUIT;
		fz_puts(&r->c_out, "QUIT\r\n");
		r->quit_sent = true;
	}
	fz_drain(r);
	fz_finish(r);
	free(r);
	return 0;
}
