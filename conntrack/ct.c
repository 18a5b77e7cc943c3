/* The ctnetlink socket: sends what ct_msg.c builds and reads the kernel's
 * ack without ever waiting. ctnetlink handles a request inside sendmsg(), so
 * by the time sendmsg() returns the ack is queued on our socket; a bounded
 * number of nonblocking reads finds it by sequence number. */
#include "conntrack/ct.h"

#include <errno.h>
#include <limits.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include <sys/socket.h>
#include <linux/netlink.h>

#include <libmnl/libmnl.h>

#include "conntrack/ct_msg.h"

/* Reads per request before giving up on the ack: one normally suffices;
 * the rest absorb stale acks of earlier requests and an ENOBUFS report. */
#define CT_RECV_TRIES	8
/* Retries of a send or receive interrupted by a signal. */
#define CT_EINTR_TRIES	4
/* Receive buffer: an ack is 36 bytes (NETLINK_CAP_ACK) or echoes the
 * request (< CT_MSG_BUFSIZE); a probe may also get one expectation back. */
#define CT_RX_BUFSIZE	8192

struct ct_handle {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;		/* last sequence number used */
	alignas(struct nlmsghdr) unsigned char tx[CT_MSG_BUFSIZE];
	alignas(struct nlmsghdr) unsigned char rx[CT_RX_BUFSIZE];
};

/* Next sequence number; 0 is skipped so that no request carries it. */
static uint32_t
next_seq(struct ct_handle *h)
{
	if (++h->seq == 0)
		h->seq = 1;
	return h->seq;
}

/*
 * Look through one datagram for the ack of request @seq.
 * Returns true with *@err set to the kernel's answer (0 or negative errno)
 * when found; false when the datagram holds no ack for @seq (stale acks of
 * earlier requests, or a reply message preceding the ack, are skipped).
 */
static bool
find_ack(const struct ct_handle *h, const void *buf, size_t n, uint32_t seq,
    int *err)
{
	const struct nlmsghdr *nlh = buf;
	const struct nlmsgerr *e;
	int len = (int)n;

	for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		if (nlh->nlmsg_seq != seq || nlh->nlmsg_pid != h->portid)
			continue;
		if (nlh->nlmsg_type != NLMSG_ERROR)
			continue;
		if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e)) {
			*err = -EBADMSG;
			return true;
		}
		e = mnl_nlmsg_get_payload(nlh);
		*err = e->error > 0 ? -EPROTO : e->error;
		return true;
	}
	return false;
}

/*
 * Send the @len-byte request in h->tx (sequence number @seq) and return the
 * kernel's answer: 0 or a negative errno. -EAGAIN: no ack queued (should not
 * happen with ctnetlink); -ENOBUFS: the socket overran and the ack may be
 * lost, so the outcome is unknown.
 */
static int
transact_id(struct ct_handle *h, size_t len, uint32_t seq, uint32_t *id)
{
	int fd = mnl_socket_get_fd(h->nl);
	bool overrun = false;
	ssize_t n;
	int err, i, intr = 0;

	for (;;) {
		n = mnl_socket_sendto(h->nl, h->tx, len);
		if (n >= 0 || errno != EINTR || ++intr > CT_EINTR_TRIES)
			break;
	}
	if (n < 0) {
		err = -errno;
		goto out;
	}
	if ((size_t)n != len) {
		err = -EIO;
		goto out;
	}

	err = -EAGAIN;
	intr = 0;
	for (i = 0; i < CT_RECV_TRIES; i++) {
		n = recv(fd, h->rx, sizeof(h->rx), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR && ++intr <= CT_EINTR_TRIES)
				continue;
			if (errno == ENOBUFS) {
				/* Reported once; what is still queued is
				 * intact, so keep reading. */
				overrun = true;
				continue;
			}
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				err = -errno;
			break;
		}
		/* A GET's answer comes before its ack. */
		if (id != NULL)
			(void)ct_msg_expect_id(h->rx, (size_t)n, seq, id);
		if (find_ack(h, h->rx, (size_t)n, seq, &err))
			goto out;
	}
	if (err == -EAGAIN && overrun)
		err = -ENOBUFS;
out:
	return err;
}

static int
transact(struct ct_handle *h, size_t len, uint32_t seq)
{
	return transact_id(h, len, seq, NULL);
}

/* Map a builder failure to the errno ct_expect_add/del report. */
static int
msg_errno(enum ct_msg_err e)
{
	return e == CT_MSG_ENOMEM ? -ENOMEM : -EINVAL;
}

/*
 * Check that ctnetlink expectations work for us: a GET for a tuple that never
 * exists answers ENOENT. EPERM means no CAP_NET_ADMIN; EINVAL or EOPNOTSUPP
 * mean nfnetlink has no expectation subsystem (nf_conntrack_netlink).
 * Returns 0 or a negative errno.
 */
static int
probe(struct ct_handle *h)
{
	enum ct_msg_err e;
	uint32_t seq = next_seq(h);
	size_t len;
	int err;

	e = ct_msg_probe(h->tx, sizeof(h->tx), seq, &len);
	if (e != CT_MSG_OK)
		return msg_errno(e);
	err = transact(h, len, seq);
	if (err == -ENOENT || err == 0)
		return 0;
	if (err == -EINVAL || err == -EOPNOTSUPP)
		return -EPROTONOSUPPORT;
	return err;
}

struct ct_handle *
ct_open(void)
{
	struct ct_handle *h;
	int err, one = 1;

	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return NULL;
	h->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_NONBLOCK |
	    SOCK_CLOEXEC);
	if (h->nl == NULL) {
		err = errno;
		goto free_h;
	}
	/* Error acks without a copy of the request; older kernels lack it,
	 * which only makes acks longer. */
	if (mnl_socket_setsockopt(h->nl, NETLINK_CAP_ACK, &one,
	    sizeof(one)) < 0 && errno != ENOPROTOOPT) {
		err = errno;
		goto close_nl;
	}
	if (mnl_socket_bind(h->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = errno;
		goto close_nl;
	}
	h->portid = mnl_socket_get_portid(h->nl);
	err = -probe(h);
	if (err != 0)
		goto close_nl;
	return h;
close_nl:
	mnl_socket_close(h->nl);
free_h:
	free(h);
	errno = err;
	return NULL;
}

void
ct_close(struct ct_handle *h)
{
	if (h == NULL)
		return;
	mnl_socket_close(h->nl);
	free(h);
}

/* Send the message ct_msg built into h->tx for @seq, or report why it was
 * not built. */
static int
send_built(struct ct_handle *h, enum ct_msg_err e, size_t len, uint32_t seq)
{
	if (e != CT_MSG_OK)
		return msg_errno(e);
	return transact(h, len, seq);
}

/*
 * Two requests: ctnetlink ignores CTA_EXPECT_TIMEOUT on creation (the
 * expectation gets the master helper's policy timeout, 300 s for ftp), so
 * a second request sets the timer of the expectation just made. ENOENT on
 * it means the data connection already arrived and consumed it: success.
 * If the timer cannot be set, the expectation is removed again, so a
 * failure never leaves one behind (fail closed).
 */
int
ct_expect_add(struct ct_handle *h, const struct ct_expect_req *req)
{
	return ct_expect_add_id(h, req, NULL);
}

int
ct_expect_add_id(struct ct_handle *h, const struct ct_expect_req *req,
    uint32_t *id)
{
	enum ct_msg_err e;
	uint32_t seq;
	size_t len;
	int err;

	if (id != NULL)
		*id = 0;
	if (h == NULL || req == NULL)
		return -EINVAL;
	seq = next_seq(h);
	e = ct_msg_expect_new(h->tx, sizeof(h->tx), req, seq, &len);
	err = send_built(h, e, len, seq);
	if (err != 0)
		goto out;
	seq = next_seq(h);
	e = ct_msg_expect_timeout(h->tx, sizeof(h->tx), req, seq, &len);
	err = send_built(h, e, len, seq);
	if (err == -ENOENT)
		err = 0;
	if (err != 0 && ct_expect_del(h, &req->expect) != 0) {
		/* Nothing more to do: the expectation expires with the
		 * helper's timeout; the caller gets the first error. */
	}
	if (err == 0 && id != NULL) {
		/* Its identity, so that deleting it later can never remove
		 * one made afterwards for the same tuple. Unknown (0) if it
		 * is gone already or the kernel does not say. */
		seq = next_seq(h);
		e = ct_msg_expect_get(h->tx, sizeof(h->tx), &req->expect, seq,
		    &len);
		if (e == CT_MSG_OK && transact_id(h, len, seq, id) != 0)
			*id = 0;
	}
out:
	return err;
}

int
ct_expect_del(struct ct_handle *h, const struct ct_tuple *expect)
{
	return ct_expect_del_id(h, expect, 0);
}

int
ct_expect_del_id(struct ct_handle *h, const struct ct_tuple *expect,
    uint32_t id)
{
	enum ct_msg_err e;
	uint32_t seq;
	size_t len;

	if (h == NULL || expect == NULL)
		return -EINVAL;
	seq = next_seq(h);
	e = ct_msg_expect_del_id(h->tx, sizeof(h->tx), expect, id, seq, &len);
	return send_built(h, e, len, seq);
}

const char *
ct_strerror_advice(int err)
{
	if (err < 0 && err != INT_MIN)
		err = -err;
	switch (err) {
	case 0:
		return "no error";
	case EOPNOTSUPP:
		return "the master connection has no conntrack helper: add "
		    "`tcp dport { 21, 990 } ct helper set \"ftp-std\"` to a "
		    "prerouting filter chain, with the object `ct helper "
		    "ftp-std { type \"ftp\" protocol tcp; }` in the same "
		    "table, and for active mode and data_path = kernel `tcp "
		    "dport 21 ct helper set \"ftp-std\"` to an output chain; "
		    "`ftpsgw --firewall nft -c FILE` prints them all (see "
		    "README \"Firewall\"); connections opened before the rule "
		    "keep failing";
	case EPERM:
		return "ftpsgw lacks CAP_NET_ADMIN, which the kernel checks on "
		    "every conntrack request: start it as root (it keeps only "
		    "CAP_NET_ADMIN after dropping privileges) or grant the "
		    "capability, e.g. AmbientCapabilities=CAP_NET_ADMIN in its "
		    "systemd unit; or set conntrack = off";
	case EPROTONOSUPPORT:
		return "the kernel lacks conntrack netlink support: load "
		    "nf_conntrack_netlink (`modprobe nf_conntrack_netlink`, "
		    "kernel option CONFIG_NF_CT_NETLINK), or set "
		    "conntrack = off";
	case ENOENT:
		return "the kernel has no such conntrack entry: the control "
		    "connection is gone or is not tracked (look for a "
		    "`notrack` rule, or a connection that reached ftpsgw in "
		    "another network namespace), or the expectation was "
		    "already used or expired";
	case EEXIST:
		return "an expectation for the same client and port already "
		    "exists: another session holds this passive port; widen "
		    "passive_ports";
	case EMFILE:
		return "the kernel's expectation table is full: raise sysctl "
		    "net.netfilter.nf_conntrack_expect_max";
	case ESHUTDOWN:
		return "the control connection's helper was removed (ruleset "
		    "reloaded without the ct helper object?); new control "
		    "connections get it again";
	case EINVAL:
		return "the conntrack request was rejected as malformed; with "
		    "data_path = kernel the kernel needs NAT (nf_nat) and the "
		    "ruleset a `type nat` chain; otherwise report a bug";
	case ENOBUFS:
		return "the netlink socket ran out of buffer space and the "
		    "kernel's answer was lost, so the outcome is unknown; "
		    "retry, and check memory pressure on the router";
	case EAGAIN:
		return "no answer from the kernel to a conntrack request "
		    "(ctnetlink answers at once, so this is unexpected); retry";
	case ENOMEM:
		return "out of memory while programming conntrack";
	}
	return "unexpected error from conntrack netlink; check the kernel log "
	    "and the ruleset";
}
