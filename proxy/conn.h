/* One endpoint of a relay: a nonblocking socket, optionally wrapped in TLS.
 * The same code serves all four TLS endpoints (client/backend, control/data);
 * the role is fixed when TLS starts. */
#ifndef FTPSGW_PROXY_CONN_H
#define FTPSGW_PROXY_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include "proxy/buf.h"
#include "proxy/loop.h"

typedef struct ssl_st SSL;

enum io_result {
	IO_OK,		/* progress was made (bytes moved, handshake done) */
	IO_AGAIN,	/* blocked: wait for the events in the conn's *_wait */
	IO_EOF,		/* the peer closed cleanly (TLS close_notify, or FIN on plain TCP) */
	IO_ERR,		/* failure; conn.err_text says what */
};

struct conn {
	struct loop_ev ev;	/* fd and callback */
	SSL *ssl;		/* NULL on plain TCP */
	bool connecting;	/* nonblocking connect() in progress */
	bool hs_done;		/* TLS handshake finished (or no TLS) */
	bool eof;		/* read side finished (clean) */
	bool shut;		/* our close_notify (and FIN) went out */
	bool more;		/* OpenSSL holds readable bytes epoll cannot see */
	bool fin_only;		/* the peer ended with a TCP FIN and no TLS
				 * close_notify (IO_ERR was returned) */
	bool batched;		/* conn_batch: TLS records gathered per
				 * system call */
	bool coalesce;		/* batched: SO_RCVLOWAT is CONN_RCVLOWAT */
	uint64_t coalesce_at;	/* bytes_in from which it may start */
	bool nudged;		/* the next read is the relay's timer's */
	uint32_t ready;		/* batched: epoll events seen (conn_events)
				 * since the blocked operation last ran */
	enum io_result pending;	/* EOF/ERR seen after data; reported next read */
	/* The events each blocked operation waits for (0 = not blocked). */
	uint32_t rd_wait, wr_wait, hs_wait;
	uint64_t bytes_in, bytes_out;
	const char *err_text;	/* static text of the last IO_ERR */
	char ssl_err[256];	/* OpenSSL's reasons for the last IO_ERR, or "" */
};

/* An idle conn (fd -1). cb receives the conn's ev. */
void conn_init(struct conn *c, void (*cb)(struct loop_ev *, uint32_t));

/* Adopt a connected (or connecting) nonblocking fd. */
void conn_set_fd(struct conn *c, int fd, bool connecting);

/* Start TLS on the conn with ssl (already bound to no fd); takes ownership. */
void conn_start_tls(struct conn *c, SSL *ssl, bool server);

/*
 * conn_batch - a bulk data connection (after conn_start_tls): many TLS
 * records per system call. One read() takes up to CONN_BATCH_READ bytes
 * into a read buffer OpenSSL takes its records from, and the records
 * conn_write makes gather in a buffer of
 * CONN_BATCH_WRITE bytes, written when it is full and at the end of each
 * conn_write, never held for more (DESIGN.md fact 6). Not for control
 * connections: CCC reads the socket past TLS (conn_await_clear). The
 * buffers exist only as long as the connection.
 */
void conn_batch(struct conn *c);

/* A batched conn that waits for CONN_RCVLOWAT bytes (limits.h): its owner
 * must call conn_nudge within CONN_NUDGE_MS of its last pass while it
 * wants to read, or bytes below that could wait for ever. */
static inline bool
conn_coalescing(const struct conn *c)
{
	return c->coalesce;
}

/* Read whatever is there on the next conn_read, as if epoll had said so. */
void conn_nudge(struct conn *c);

/* True while encrypted bytes wait in the conn's write buffer (conn_batch):
 * conn_write (with nothing new) or conn_shutdown sends them. */
bool conn_out_pending(const struct conn *c);

/* epoll reported events for c (its owner's callback): a batched conn whose
 * read or write last found the socket blocked tries it again only once
 * epoll says it may go on, instead of one empty system call per pass. */
void conn_events(struct conn *c, uint32_t events);

/* Completes a nonblocking connect: IO_OK when connected, IO_AGAIN, IO_ERR. */
enum io_result conn_finish_connect(struct conn *c);

/* Drives the TLS handshake. IO_OK once done (also when there is no TLS). */
enum io_result conn_handshake(struct conn *c);

/*
 * conn_read - read into b as much as fits, up to IO_BUDGET bytes.
 * IO_OK: bytes were appended (an EOF or error that follows them is kept and
 * returned by the next call). IO_AGAIN: nothing available. IO_EOF: clean end.
 * IO_ERR: reset, TLS error, or FIN without close_notify on a TLS conn
 * (err_text "closed without TLS close_notify").
 */
enum io_result conn_read(struct conn *c, struct buf *b);

/*
 * conn_write - write from the head of b, consuming what was sent.
 * IO_OK: b is empty and every byte is on the socket. IO_AGAIN: bytes remain
 * (in b, or encrypted in the write buffer: conn_out_pending). IO_ERR.
 */
enum io_result conn_write(struct conn *c, struct buf *b);

/*
 * conn_shutdown - send TLS close_notify (if TLS) and then FIN. IO_OK once
 * both are out, IO_AGAIN to retry, IO_ERR. Idempotent after IO_OK.
 */
enum io_result conn_shutdown(struct conn *c);

/*
 * conn_close_notify - send TLS close_notify, keeping TCP open (CCC, RFC
 * 4217). IO_OK once it is out (or there is no TLS), IO_AGAIN, IO_ERR.
 */
enum io_result conn_close_notify(struct conn *c);

/*
 * conn_await_clear - after conn_close_notify, finish the TLS layer: read up
 * to the peer's close_notify (bytes it still sent inside TLS are appended
 * to b), or notice that clear text follows without one. IO_OK once the
 * conn is plain TCP; IO_AGAIN; IO_EOF; IO_ERR.
 */
enum io_result conn_await_clear(struct conn *c, struct buf *b);

/* Send FIN only, no close_notify: the end toward a peer that left without
 * its own close_notify (writing one would only meet a reset). Idempotent. */
void conn_shutdown_plain(struct conn *c);

/* Close without close_notify: unregister, free SSL, close fd. */
void conn_close(struct loop *l, struct conn *c);

/* Close with a TCP reset, so the peer cannot take the end of the stream
 * for a complete transfer (an aborted upload must not look finished). */
void conn_reset(struct loop *l, struct conn *c);

/* Arm epoll for the operations the owner wants now. */
void conn_arm(struct loop *l, struct conn *c, bool want_read, bool want_write);

/* Shrink an idle TLS conn's memory (OpenSSL read/write buffers). */
void conn_idle(struct conn *c);

#endif
