/* One relay endpoint: socket I/O and TLS I/O behind one interface. */
#include "proxy/conn.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "proxy/limits.h"
#include "proxy/log.h"

void
conn_init(struct conn *c, void (*cb)(struct loop_ev *, uint32_t))
{
	memset(c, 0, sizeof(*c));
	loop_ev_init(&c->ev, cb);
	c->pending = IO_OK;
	c->hs_done = true;
}

void
conn_set_fd(struct conn *c, int fd, bool connecting)
{
	c->ev.fd = fd;
	c->connecting = connecting;
	c->wr_wait = connecting ? EPOLLOUT : 0;
}

void
conn_start_tls(struct conn *c, SSL *ssl, bool server)
{
	c->ssl = ssl;
	SSL_set_fd(ssl, c->ev.fd);
	if (server)
		SSL_set_accept_state(ssl);
	else
		SSL_set_connect_state(ssl);
	c->hs_done = false;
	c->hs_wait = server ? EPOLLIN : EPOLLOUT;
}

/*
 * SSL_get_error() needs the thread's error queue empty before each TLS call.
 * Every failure drains it (conn_fail logs and clears), so it nearly always is
 * empty already; ERR_clear_error() still walks all its slots (about 230 ns
 * here, against 30 ns to look), once per record on the relay. Look first.
 */
static inline void
conn_err_reset(void)
{
	if (ERR_peek_error() != 0)
		ERR_clear_error();
}

static enum io_result
conn_fail(struct conn *c, const char *what)
{
	c->err_text = what;
	log_ssl_errors(c->ssl_err, sizeof(c->ssl_err));
	return IO_ERR;
}

void
conn_batch(struct conn *c)
{
	BIO *sock, *io;

	if (c->ssl == NULL)
		return;	/* clear text: conn_write sends b as a whole already */
	/*
	 * One buffering BIO over a socket BIO of our own, both ways. Reads:
	 * one recv() of up to CONN_BATCH_READ bytes, from which OpenSSL takes
	 * each record's header and body. OpenSSL's own read-ahead makes the
	 * same large read, but before each record it moves everything after
	 * it to the front of its buffer (ssl3_read_n aligns the payload): with
	 * eight records per read, 3.5 times the data again in memmove, the
	 * largest cost of the relay after the cipher. Here each byte is copied
	 * once. Writes: the records gather and leave in one write() (conn_flush).
	 * Without memory for it the connection simply goes record by record.
	 */
	sock = BIO_new_socket(c->ev.fd, BIO_NOCLOSE);
	io = BIO_new(BIO_f_buffer());
	if (sock == NULL || io == NULL ||
	    BIO_set_read_buffer_size(io, CONN_BATCH_READ) <= 0 ||
	    BIO_set_write_buffer_size(io, CONN_BATCH_WRITE) <= 0) {
		BIO_free(sock);
		BIO_free(io);
		return;
	}
	io = BIO_push(io, sock);
	SSL_set_bio(c->ssl, io, io);
	/* Keep OpenSSL's record buffers while the data flows instead of
	 * freeing and allocating them again around every record; the
	 * connection's end frees them. */
	SSL_clear_mode(c->ssl, SSL_MODE_RELEASE_BUFFERS);
	c->coalesce_at = CONN_COALESCE_ON;
	c->batched = true;
}

/* Bytes read from the socket that OpenSSL has not handed out yet, in its
 * record buffer or in the batched conn's read buffer: epoll cannot see them. */
static bool
conn_buffered_in(const struct conn *c)
{
	return c->ssl != NULL && (SSL_has_pending(c->ssl) ||
	    (c->batched && BIO_pending(SSL_get_rbio(c->ssl)) > 0));
}

void
conn_nudge(struct conn *c)
{
	if (!c->coalesce)
		return;
	c->ready |= EPOLLIN;
	c->nudged = true;
}

static void
conn_rcvlowat(struct conn *c, int bytes)
{
	/* Without it the conn simply wakes per arrival, as before. */
	if (setsockopt(c->ev.fd, SOL_SOCKET, SO_RCVLOWAT, &bytes,
	    sizeof(bytes)) == 0)
		c->coalesce = bytes > 1;
}

/*
 * May the socket wait for CONN_RCVLOWAT bytes? Only once its receive
 * buffer has grown well past that: on a smaller one the kernel would grow
 * the buffer itself and clamp the window it offers to CONN_RCVLOWAT
 * (tcp_set_rcvlowat), which slows a sender far away. A fast stream grows
 * the buffer within a few round trips (autotuning).
 */
static bool
conn_rcvbuf_allows(const struct conn *c)
{
	int size = 0;
	socklen_t len = sizeof(size);

	return getsockopt(c->ev.fd, SOL_SOCKET, SO_RCVBUF, &size, &len) == 0 &&
	    size >= CONN_RCVBUF_MIN;
}

/*
 * After a pass that emptied the socket (limits.h, CONN_COALESCE_ON): a
 * stream that has moved CONN_COALESCE_ON bytes since the conn began, or
 * since its last stop, starts coalescing; a pass of the relay's timer
 * (conn_nudge) that found less than CONN_RCVLOWAT stops it, since such a
 * stream is too slow for it.
 */
static void
conn_coalesce(struct conn *c, size_t total)
{
	if (!c->batched || c->eof)
		return;
	if (c->coalesce && c->nudged && total < CONN_RCVLOWAT) {
		conn_rcvlowat(c, 1);
		c->coalesce_at = c->bytes_in + CONN_COALESCE_ON;
	} else if (!c->coalesce && c->bytes_in >= c->coalesce_at) {
		if (conn_rcvbuf_allows(c))
			conn_rcvlowat(c, CONN_RCVLOWAT);
		else
			c->coalesce_at = c->bytes_in + CONN_COALESCE_ON;
	}
}

void
conn_events(struct conn *c, uint32_t events)
{
	c->ready |= events;
}

/* A batched conn's operation blocked on `wait` (0: not blocked): may it
 * run now? Only after epoll reported that event (or an error, or a hang
 * up, which the operation must see). */
static bool
conn_may_try(struct conn *c, uint32_t wait)
{
	uint32_t go = wait | EPOLLERR | EPOLLHUP;

	if (!c->batched || wait == 0 || (c->ready & go) != 0) {
		c->ready &= ~wait;
		return true;
	}
	return false;
}

bool
conn_out_pending(const struct conn *c)
{
	return c->batched && c->ssl != NULL &&
	    BIO_wpending(SSL_get_wbio(c->ssl)) > 0;
}

/* Send what the write buffer holds: IO_OK once it is empty. */
static enum io_result
conn_flush(struct conn *c)
{
	BIO *out;

	if (!conn_out_pending(c))
		return IO_OK;
	out = SSL_get_wbio(c->ssl);
	errno = 0;
	if (BIO_flush(out) > 0)
		return IO_OK;
	if (BIO_should_retry(out)) {
		c->wr_wait = EPOLLOUT;
		return IO_AGAIN;
	}
	return conn_fail(c, errno != 0 ? strerror(errno) : "write failed");
}

/* Map an SSL error to a result; *wait gets the event to wait for. */
static enum io_result
conn_ssl_result(struct conn *c, int ret, uint32_t *wait)
{
	int err = SSL_get_error(c->ssl, ret);

	switch (err) {
	case SSL_ERROR_WANT_READ:
		*wait = EPOLLIN;
		return IO_AGAIN;
	case SSL_ERROR_WANT_WRITE:
		*wait = EPOLLOUT;
		return IO_AGAIN;
	case SSL_ERROR_ZERO_RETURN:
		return IO_EOF;
	case SSL_ERROR_SYSCALL:
		if (errno == 0) {
			c->fin_only = true;
			return conn_fail(c, "closed without TLS close_notify");
		}
		return conn_fail(c, strerror(errno));
	default:
		if (ERR_GET_REASON(ERR_peek_error()) ==
		    SSL_R_UNEXPECTED_EOF_WHILE_READING) {
			c->fin_only = true;
			return conn_fail(c, "closed without TLS close_notify");
		}
		return conn_fail(c, "TLS protocol error");
	}
}

enum io_result
conn_finish_connect(struct conn *c)
{
	int soerr = 0;
	socklen_t len = sizeof(soerr);

	if (!c->connecting)
		return IO_OK;
	if (getsockopt(c->ev.fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
		soerr = errno;
	if (soerr == EINPROGRESS || soerr == EALREADY)
		return IO_AGAIN;
	if (soerr != 0) {
		errno = soerr;
		c->ssl_err[0] = '\0';
		c->err_text = strerror(soerr);
		return IO_ERR;
	}
	c->connecting = false;
	c->wr_wait = 0;
	return IO_OK;
}

enum io_result
conn_handshake(struct conn *c)
{
	enum io_result r;
	int ret;

	if (c->hs_done)
		return IO_OK;
	conn_err_reset();
	errno = 0;
	ret = SSL_do_handshake(c->ssl);
	if (ret == 1) {
		c->hs_done = true;
		c->hs_wait = 0;
		/* The peer's first data may have come with its last
		 * handshake record. */
		c->more = conn_buffered_in(c);
		return IO_OK;
	}
	r = conn_ssl_result(c, ret, &c->hs_wait);
	if (r == IO_EOF)
		return conn_fail(c, "peer closed during the TLS handshake");
	return r;
}

enum io_result
conn_read(struct conn *c, struct buf *b)
{
	size_t total = 0;
	enum io_result r = IO_AGAIN;

	if (c->pending != IO_OK) {
		r = c->pending;
		c->pending = IO_OK;
		return r;
	}
	if (c->eof)
		return IO_EOF;
	/* OpenSSL may hold a whole record already (c->more). */
	if (!c->more && !conn_may_try(c, c->rd_wait))
		return IO_AGAIN;
	c->rd_wait = 0;
	c->more = false;
	while (total < IO_BUDGET) {
		size_t space, got = 0;
		char *p = buf_tail(b, &space);

		if (p == NULL)
			return conn_fail(c, "out of memory");
		if (space == 0) {
			r = IO_OK;
			break;
		}
		if (c->ssl != NULL) {
			int ret;

			conn_err_reset();
			errno = 0;
			ret = SSL_read_ex(c->ssl, p, space, &got);
			if (ret <= 0)
				r = conn_ssl_result(c, ret, &c->rd_wait);
		} else {
			ssize_t n = recv(c->ev.fd, p, space, 0);

			if (n > 0) {
				got = (size_t)n;
			} else if (n == 0) {
				r = IO_EOF;
			} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
				c->rd_wait = EPOLLIN;
				r = IO_AGAIN;
			} else if (errno == EINTR) {
				continue;
			} else {
				r = conn_fail(c, strerror(errno));
			}
		}
		if (got == 0)
			break;
		buf_produce(b, got);
		c->bytes_in += got;
		total += got;
		r = IO_OK;
	}
	if (r == IO_EOF)
		c->eof = true;
	if (r == IO_AGAIN)
		conn_coalesce(c, total);
	c->nudged = false;
	/* Stopped by the budget or a full buffer with bytes still inside
	 * OpenSSL or the read buffer: epoll will not report them, the owner
	 * must come back. */
	if (r == IO_OK && conn_buffered_in(c))
		c->more = true;
	if (total > 0 && (r == IO_EOF || r == IO_ERR)) {
		c->pending = r;
		return IO_OK;
	}
	if (total > 0)
		return IO_OK;
	/* Nothing read and the buffer is empty: give OpenSSL's buffers back. */
	if (r == IO_AGAIN && buf_len(b) == 0)
		buf_free(b);
	return r;
}

enum io_result
conn_write(struct conn *c, struct buf *b)
{
	enum io_result r;

	if (!conn_may_try(c, c->wr_wait))
		return IO_AGAIN;
	while (buf_len(b) > 0) {
		size_t done = 0;

		if (c->ssl != NULL) {
			int ret;

			conn_err_reset();
			errno = 0;
			ret = SSL_write_ex(c->ssl, buf_head(b), buf_len(b), &done);
			if (ret <= 0) {
				r = conn_ssl_result(c, ret, &c->wr_wait);
				return r == IO_EOF ? conn_fail(c, "peer closed") : r;
			}
		} else {
			ssize_t n = send(c->ev.fd, buf_head(b), buf_len(b),
			    MSG_NOSIGNAL);

			if (n < 0) {
				if (errno == EINTR)
					continue;
				if (errno == EAGAIN || errno == EWOULDBLOCK) {
					c->wr_wait = EPOLLOUT;
					return IO_AGAIN;
				}
				return conn_fail(c, strerror(errno));
			}
			done = (size_t)n;
		}
		c->bytes_out += done;
		buf_consume(b, done);
	}
	/* The records made above leave now, in as few writes as fit. */
	r = conn_flush(c);
	if (r != IO_OK)
		return r;
	c->wr_wait = 0;
	return IO_OK;
}

enum io_result
conn_close_notify(struct conn *c)
{
	int ret;

	if (c->ssl == NULL || !c->hs_done)
		return IO_OK;
	conn_err_reset();
	errno = 0;
	ret = SSL_shutdown(c->ssl);
	if (ret < 0) {
		enum io_result r = conn_ssl_result(c, ret, &c->wr_wait);

		/* WANT_READ here means the close_notify is out and OpenSSL
		 * would like the peer's: that is enough. */
		if (r == IO_AGAIN && c->wr_wait == EPOLLOUT)
			return IO_AGAIN;
		if (r == IO_ERR)
			return r;
	}
	c->wr_wait = 0;
	return IO_OK;
}

enum io_result
conn_shutdown(struct conn *c)
{
	enum io_result r;

	if (c->shut)
		return IO_OK;
	r = conn_close_notify(c);
	if (r == IO_OK)
		r = conn_flush(c);	/* the close_notify too, before the FIN */
	if (r != IO_OK)
		return r;
	(void)shutdown(c->ev.fd, SHUT_WR);
	c->shut = true;
	return IO_OK;
}

/* Forget TLS on a conn whose close_notify exchange is over. */
static void
conn_drop_tls(struct conn *c)
{
	SSL_set_shutdown(c->ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
	SSL_free(c->ssl);
	c->ssl = NULL;
	c->eof = false;
	c->more = false;
	c->pending = IO_OK;
	c->rd_wait = c->wr_wait = 0;
}

enum io_result
conn_await_clear(struct conn *c, struct buf *b)
{
	for (;;) {
		size_t space, got = 0;
		unsigned char first;
		char *p;
		int ret;

		if (c->ssl == NULL)
			return IO_OK;
		if (!SSL_has_pending(c->ssl)) {
			/* No read-ahead: OpenSSL holds no bytes of the next
			 * record, so the socket shows what comes next. A TLS
			 * record starts with its content type (20..23); a
			 * command line never does. */
			ssize_t n = recv(c->ev.fd, &first, 1, MSG_PEEK);

			if (n == 0)
				return IO_EOF;
			if (n < 0) {
				if (errno == EINTR)
					continue;
				if (errno == EAGAIN || errno == EWOULDBLOCK) {
					c->rd_wait = EPOLLIN;
					return IO_AGAIN;
				}
				return conn_fail(c, strerror(errno));
			}
			if (first < 20 || first > 23) {
				conn_drop_tls(c);	/* no close_notify came */
				return IO_OK;
			}
		}
		p = buf_tail(b, &space);
		if (p == NULL)
			return conn_fail(c, "out of memory");
		if (space == 0)
			return conn_fail(c, "commands still in TLS after CCC");
		conn_err_reset();
		errno = 0;
		ret = SSL_read_ex(c->ssl, p, space, &got);
		if (ret > 0) {
			buf_produce(b, got);
			c->bytes_in += got;
			continue;
		}
		switch (conn_ssl_result(c, ret, &c->rd_wait)) {
		case IO_EOF:
			conn_drop_tls(c);	/* the peer's close_notify */
			return IO_OK;
		case IO_AGAIN:
			return IO_AGAIN;
		default:
			return IO_ERR;
		}
	}
}

void
conn_shutdown_plain(struct conn *c)
{
	if (c->shut)
		return;
	(void)shutdown(c->ev.fd, SHUT_WR);
	c->shut = true;
}

void
conn_close(struct loop *l, struct conn *c)
{
	loop_forget(l, &c->ev);
	if (c->ssl != NULL) {
		/* OpenSSL evicts the session of a connection freed without
		 * shutdown and marks it non-resumable. Data connections share
		 * their session with the control connection, so one aborted
		 * transfer would make every later data connection fail the
		 * servers' reuse check. Closing a connection whose handshake
		 * completed is our decision, not a sign the session is
		 * compromised; one whose handshake failed or never finished
		 * is not vouched for. */
		if (c->hs_done)
			SSL_set_shutdown(c->ssl, SSL_SENT_SHUTDOWN |
			    SSL_RECEIVED_SHUTDOWN);
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->ev.fd >= 0) {
		close(c->ev.fd);
		c->ev.fd = -1;
	}
}

void
conn_reset(struct loop *l, struct conn *c)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	if (c->ev.fd >= 0)
		(void)setsockopt(c->ev.fd, SOL_SOCKET, SO_LINGER, &lg,
		    sizeof(lg));
	conn_close(l, c);
}

void
conn_arm(struct loop *l, struct conn *c, bool want_read, bool want_write)
{
	uint32_t ev = 0;

	if (c->ev.fd < 0)
		return;
	if (c->connecting) {
		ev = EPOLLOUT;
	} else if (!c->hs_done) {
		ev = c->hs_wait ? c->hs_wait : EPOLLIN;
	} else {
		if (want_read)
			ev |= c->rd_wait ? c->rd_wait : EPOLLIN;
		if (want_write)
			ev |= c->wr_wait ? c->wr_wait : EPOLLOUT;
	}
	if (loop_arm(l, &c->ev, ev) < 0)
		log_msg(LOG_LVL_ERR, "epoll_ctl(fd %d): %s", c->ev.fd,
		    strerror(errno));
}

void
conn_idle(struct conn *c)
{
	(void)c;	/* SSL_MODE_RELEASE_BUFFERS does the work in OpenSSL */
}
