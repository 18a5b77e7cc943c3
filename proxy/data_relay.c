/* A data channel's relay: bytes from each side to the other through a
 * buffer per direction, and the end of the data carried across so that a
 * truncated transfer never looks complete (close_notify, DESIGN.md). */
#include "proxy/data_int.h"
#include "proxy/log.h"
#include "proxy/voice.h"

/* Bytes on their way to dst: in b, or encrypted in dst's write buffer. */
static bool
data_queued(const struct buf *b, const struct conn *dst)
{
	return buf_len(b) > 0 || conn_out_pending(dst);
}

/*
 * An upload the client ended with a plain TCP FIN and no TLS close_notify
 * (netkit ftp-ssl closes its socket before its SSL_shutdown) is taken as
 * the end of the upload and closed cleanly toward the server, as ProFTPD
 * and vsftpd take such an end from a client connected to them. Passing
 * the bare FIN on instead makes a TLS 1.2 server drop the session every
 * later data connection resumes. A reset, or such an end on a download,
 * still fails the channel.
 */
static bool
data_plain_end_of_upload(struct data_chan *dc, const struct conn *src)
{
	if (src != &dc->cli || !src->fin_only || dc->cli.bytes_in == 0 ||
	    dc->cli.bytes_out != 0)
		return false;
	log_msg(LOG_LVL_INFO, "%s: the client ended its upload on port %u "
	    "with a TCP FIN but no TLS close_notify; taken as the end of the "
	    "upload, as FTP servers take it", dc->p.tag, dc->port);
	return true;
}

/*
 * A download whose client closed its data connection with a TCP FIN and no
 * TLS close_notify (Python's ssl socket closed without unwrap(), and
 * others) after it was sent every byte we had. Whether the transfer is
 * complete is decided from what is delivered, not from which of the
 * client's FIN and the server's final reply came first: if the server now
 * ends the data cleanly with nothing more, every byte reached the client
 * and the server's reply stands; a byte more from the server, or a reset
 * from the client, fails the transfer with a 426.
 */
static bool
data_client_left_download(struct data_chan *dc, const struct conn *src)
{
	if (src != &dc->cli || !src->fin_only || dc->cli.bytes_in != 0 ||
	    data_queued(&dc->down, &dc->cli))
		return false;
	log_msg(LOG_LVL_DEBUG, "%s: the client closed its data connection on "
	    "port %u without TLS close_notify after %llu bytes; complete if "
	    "the server's data ends here", dc->p.tag, dc->port,
	    (unsigned long long)dc->cli.bytes_out);
	return true;
}

/* The transfer is lost: the failure the client gets. */
static bool
data_lost(struct data_chan *dc)
{
	data_note_failure(dc, V_DATA_ABORTED, false);
	return false;
}

/*
 * Move bytes src -> buf -> dst and carry the end of the stream across:
 * a clean end (close_notify) becomes close_notify + FIN on dst once buf is
 * empty; an unclean end fails the channel (dst then sees no close_notify,
 * so a truncated transfer is never passed off as complete).
 * Returns false when the channel failed.
 */
static bool
data_relay_dir(struct data_chan *dc, struct conn *src, struct conn *dst,
    struct buf *b, bool *progress)
{
	enum io_result r;

	if (!src->eof && src->ev.fd >= 0 && buf_space(b) > 0) {
		r = conn_read(src, b);
		if (r == IO_OK)
			*progress = true;
		else if (r == IO_ERR && (data_plain_end_of_upload(dc, src) ||
		    data_client_left_download(dc, src))) {
			src->eof = true;
			*progress = true;
		} else if (r == IO_ERR) {
			data_log_io_error(dc, src == &dc->be ? "server" :
			    "client", src);
			return data_lost(dc);
		}
		/* IO_EOF sets src->eof */
	}
	if (data_queued(b, dst) && dst->eof && dst->fin_only) {
		log_msg(LOG_LVL_INFO, "%s: the client closed its data connection "
		    "on port %u before the end of the data", dc->p.tag, dc->port);
		return data_lost(dc);
	}
	if (data_queued(b, dst) && !dst->shut) {
		size_t before = buf_len(b);
		bool held = conn_out_pending(dst);

		r = conn_write(dst, b);
		if (buf_len(b) != before || (held && !conn_out_pending(dst)))
			*progress = true;
		if (r == IO_ERR) {
			data_log_io_error(dc, src == &dc->be ? "client" : "server",
			    dst);
			return data_lost(dc);
		}
	}
	if (src->eof && !data_queued(b, dst) && !dst->shut && dst->fin_only) {
		conn_shutdown_plain(dst);	/* it has gone: no close_notify */
		*progress = true;
	} else if (src->eof && !data_queued(b, dst) && !dst->shut) {
		r = conn_shutdown(dst);
		if (r == IO_ERR)
			return data_lost(dc);
		if (r == IO_OK)
			*progress = true;
	}
	return true;
}

/* Answer a peer's close_notify at once (ProFTPD waits for ours before it
 * sends 226), as soon as nothing is left to send it. */
static bool
data_answer_close(struct data_chan *dc, struct conn *c, struct buf *toward)
{
	/* A peer that closed without close_notify gets none: it has gone. */
	if (c->eof && c->fin_only) {
		conn_shutdown_plain(c);
		return true;
	}
	if (c->eof && !c->shut && buf_len(toward) == 0 &&
	    conn_shutdown(c) == IO_ERR)
		return data_lost(dc);
	return true;
}

enum data_relay_result
data_relay_step(struct data_chan *dc, bool *progress)
{
	if (!data_relay_dir(dc, &dc->be, &dc->cli, &dc->down, progress) ||
	    !data_relay_dir(dc, &dc->cli, &dc->be, &dc->up, progress) ||
	    !data_answer_close(dc, &dc->be, &dc->up) ||
	    !data_answer_close(dc, &dc->cli, &dc->down))
		return RELAY_FAILED;
	if (dc->cli.eof && dc->be.eof && dc->cli.shut && dc->be.shut)
		return RELAY_FINISHED;
	/* One direction's end is delivered: the transfer is done. */
	if ((dc->be.eof && dc->cli.shut) || (dc->cli.eof && dc->be.shut))
		return RELAY_DELIVERED;
	return RELAY_MOVING;
}

/* c is to be read (relay armed, room in its buffer) and its socket
 * holds bytes back until CONN_RCVLOWAT are there. */
static bool
data_waits_coalesced(const struct conn *c, const struct buf *b, bool relay)
{
	return relay && conn_coalescing(c) && !c->eof && buf_space(b) > 0;
}

void
data_relay_nudge(struct data_chan *dc)
{
	conn_nudge(&dc->cli);
	conn_nudge(&dc->be);
}

void
data_relay_arm(struct data_chan *dc, bool relay)
{
	struct loop *l = dc_loop(dc);

	/* During setup only connects and handshakes are armed (conn_arm):
	 * early bytes from a finished side wait in the kernel. */
	conn_arm(l, &dc->cli, relay && !dc->cli.eof && buf_space(&dc->up) > 0,
	    relay && (data_queued(&dc->down, &dc->cli) ||
	    (dc->be.eof && !dc->cli.shut)));
	conn_arm(l, &dc->be, relay && !dc->be.eof && buf_space(&dc->down) > 0,
	    relay && (data_queued(&dc->up, &dc->be) ||
	    (dc->cli.eof && !dc->be.shut)));
	if ((dc->cli.more && buf_space(&dc->up) > 0) ||
	    (dc->be.more && buf_space(&dc->down) > 0))
		loop_defer(l, &dc->kick);
	/* Pushed back by every pass: it fires only once the relay has been
	 * still for CONN_NUDGE_MS, when the last bytes may be held back. */
	if (data_waits_coalesced(&dc->cli, &dc->up, relay) ||
	    data_waits_coalesced(&dc->be, &dc->down, relay))
		loop_timer_set(l, &dc->nudge, CONN_NUDGE_MS);
	else
		loop_timer_cancel(l, &dc->nudge);
}
