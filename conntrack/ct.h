/* Conntrack expectations over ctnetlink: the only interface to the kernel's
 * connection tracking. Knows tuples, not FTP. Callers never see libmnl or
 * libnetfilter_conntrack types. */
#ifndef FTPSGW_CONNTRACK_CT_H
#define FTPSGW_CONNTRACK_CT_H

#include <stdbool.h>
#include <stdint.h>

/* A TCP connection's tuple in one direction. Addresses in network order,
 * AF_INET uses the first 4 bytes; ports in host order. */
struct ct_tuple {
	int family;		/* AF_INET or AF_INET6 */
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
};

enum ct_nat_dir {
	CT_NAT_NONE = 0,	/* plain expectation (relay data path) */
	CT_NAT_ORIGINAL,	/* DESIGN.md fact 4: passive, kernel data path */
	CT_NAT_REPLY,		/* DESIGN.md fact 5: active, kernel data path */
};

struct ct_expect_req {
	/* Original-direction tuple of the master connection (e.g. the client's
	 * control connection: client:cport -> gateway:21). The master must have
	 * the kernel "ftp" helper attached (DESIGN.md fact 1). */
	struct ct_tuple master;
	/* The expected connection. sport 0 means "any source port" (masked);
	 * every other field is matched exactly. */
	struct ct_tuple expect;
	uint32_t timeout;		/* seconds until the kernel drops it */
	/* Admit every matching connection until deleted or timed out
	 * (NF_CT_EXPECT_PERMANENT), not just the first: a passive port stays
	 * open to the client's address while an impostor from that address
	 * is refused, so the client's own connection still gets in. */
	bool permanent;
	/* Kernel data path only: NAT applied to the expected connection
	 * (CTA_EXPECT_NAT), by the kernel's expectation function nat_fn
	 * (CTA_EXPECT_FN, e.g. "nat-follow-master"; DESIGN.md facts 3, 4). */
	enum ct_nat_dir nat_dir;
	struct ct_tuple nat;		/* every field must be set */
	const char *nat_fn;		/* set with nat_dir */
};

struct ct_handle;

/*
 * ct_open - open a nonblocking ctnetlink socket.
 * Returns a handle, or NULL with errno set (EPERM: no CAP_NET_ADMIN;
 * EPROTONOSUPPORT: no nf_conntrack_netlink in the kernel).
 */
struct ct_handle *ct_open(void);

/* Free the handle and close its socket. ct_close(NULL) is a no-op. */
void ct_close(struct ct_handle *h);

/*
 * ct_expect_add - create an expectation.
 * The kernel answers inside sendmsg(); the ack is read with a nonblocking
 * recv and matched by sequence number, so this never waits.
 * Returns 0, or a negative errno from the kernel or the socket:
 *   -EOPNOTSUPP  the master conntrack has no helper (ruleset lacks the
 *                "ct helper set" rule, DESIGN.md fact 1)
 *   -ENOENT      no such master conntrack
 *   -EPERM       no CAP_NET_ADMIN
 *   -EEXIST      an identical expectation exists
 *   -ENOBUFS, -EINVAL, -EAGAIN (no ack found) ...
 */
int ct_expect_add(struct ct_handle *h, const struct ct_expect_req *req)
    __attribute__((warn_unused_result));

/*
 * ct_expect_add_id - ct_expect_add, and read back the kernel's identity of
 * the new expectation into *@id (0 when it could not be learnt, e.g. the
 * connection it expects already came and consumed it).
 */
int ct_expect_add_id(struct ct_handle *h, const struct ct_expect_req *req,
    uint32_t *id) __attribute__((warn_unused_result));

/*
 * ct_expect_del_id - delete the expectation @id (from ct_expect_add_id)
 * whose tuple is @expect: -ENOENT if it is gone, also when another
 * expectation has the same tuple now. @id 0 deletes whatever has the tuple.
 */
int ct_expect_del_id(struct ct_handle *h, const struct ct_tuple *expect,
    uint32_t id) __attribute__((warn_unused_result));

/*
 * ct_expect_del - delete the expectation whose tuple is @expect (sport 0 as
 * given at creation). Returns 0 or a negative errno (-ENOENT when it is gone,
 * e.g. because the data connection arrived and consumed it).
 */
int ct_expect_del(struct ct_handle *h, const struct ct_tuple *expect)
    __attribute__((warn_unused_result));

/* Human-readable advice for an error from ct_open/ct_expect_add, for a router
 * administrator (names the nft rule or the capability to add). Static string. */
const char *ct_strerror_advice(int err);

#endif
