/* Building ctnetlink expectation messages into caller buffers: no sockets,
 * no logging, no globals. ct.c sends what these functions build. */
#ifndef FTPSGW_CONNTRACK_CT_MSG_H
#define FTPSGW_CONNTRACK_CT_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conntrack/ct.h"

/* A buffer of this many bytes holds every message built here (the largest,
 * an IPv6 expectation with NAT, needs 368). */
#define CT_MSG_BUFSIZE 512

/* Why a message was not built. */
/* Longest expectation function name (the kernel's NF_CT_HELPER_NAME_LEN
 * is 16, "nat-follow-master" 17 with its NUL: the kernel compares whole
 * strings, so the bound is ours). */
#define CT_MSG_NAT_FN_MAX 31

enum ct_msg_err {
	CT_MSG_OK = 0,
	CT_MSG_EBUF,		/* a pointer argument is NULL, or the buffer is
				 * not aligned for struct nlmsghdr (4 bytes) */
	CT_MSG_ENOSPC,		/* buffer too small for this message */
	CT_MSG_EFAMILY,		/* family not AF_INET/AF_INET6, or the tuples of
				 * one request differ in family */
	CT_MSG_EADDR,		/* a required address is unset (all zero) */
	CT_MSG_EPORT,		/* a required port is 0 */
	CT_MSG_ETIMEOUT,	/* timeout is 0 */
	CT_MSG_ENATDIR,		/* nat_dir is not one of enum ct_nat_dir */
	CT_MSG_ENATFN,		/* nat_dir set without a nat_fn name (or one
				 * longer than CT_MSG_NAT_FN_MAX) */
	CT_MSG_ENOMEM,		/* libnetfilter_conntrack could not allocate */
};

/*
 * ct_msg_expect_new - build IPCTNL_MSG_EXP_NEW (create, exclusive, ack
 * requested) for @req into @buf.
 * The expectation is req->expect with the mask "source port any if
 * expect.sport is 0, everything else exact"; the master is req->master;
 * CTA_EXPECT_TIMEOUT is req->timeout. No helper name is sent: the master's
 * own helper extension is what the kernel requires, and a helper name would
 * attach that helper to the data connection. With nat_dir set, CTA_EXPECT_NAT
 * {dir, req->nat} and CTA_EXPECT_FN req->nat_fn follow.
 * Validation: all tuples of one family (AF_INET or AF_INET6); master: both
 * addresses and both ports set; expect: both addresses and dport set (sport
 * may be 0); nat (only when nat_dir != CT_NAT_NONE): every field set;
 * timeout > 0.
 * The kernel ignores CTA_EXPECT_TIMEOUT on creation (the expectation gets
 * its master helper's policy timeout, 300 s for ftp); follow a successful
 * create with ct_msg_expect_timeout().
 * @buf: at least @cap bytes, 4-byte aligned; on success holds the message.
 * @seq: netlink sequence number to put in the header.
 * @len: on success, the message length in bytes.
 * Returns CT_MSG_OK or the reason; on failure @buf content is unspecified.
 */
enum ct_msg_err ct_msg_expect_new(void *buf, size_t cap,
    const struct ct_expect_req *req, uint32_t seq, size_t *len)
    __attribute__((warn_unused_result));

/*
 * ct_msg_expect_timeout - build IPCTNL_MSG_EXP_NEW without NLM_F_CREATE:
 * the kernel finds the existing expectation by req->expect and sets its
 * timer to req->timeout seconds (ENOENT if it is gone). Same tuple, master,
 * mask and timeout attributes as ct_msg_expect_new() (the kernel requires
 * all three tuples), no NAT. Validation, parameters and return as
 * ct_msg_expect_new().
 */
enum ct_msg_err ct_msg_expect_timeout(void *buf, size_t cap,
    const struct ct_expect_req *req, uint32_t seq, size_t *len)
    __attribute__((warn_unused_result));

/*
 * ct_msg_expect_del - build IPCTNL_MSG_EXP_DELETE for the expectation whose
 * tuple is @expect (sport 0 as given at creation). The message always carries
 * CTA_EXPECT_TUPLE: a delete without it would flush every expectation.
 * Validation: family, both addresses and dport set.
 * Parameters and return as ct_msg_expect_new().
 */
enum ct_msg_err ct_msg_expect_del(void *buf, size_t cap,
    const struct ct_tuple *expect, uint32_t seq, size_t *len)
    __attribute__((warn_unused_result));

/*
 * ct_msg_expect_del_id - as ct_msg_expect_del, plus CTA_EXPECT_ID @id: the
 * kernel deletes the expectation only if it is still the one that got @id
 * (ENOENT otherwise), never another one made later for the same tuple.
 * @id 0 builds the plain delete. Parameters and return as
 * ct_msg_expect_new().
 */
enum ct_msg_err ct_msg_expect_del_id(void *buf, size_t cap,
    const struct ct_tuple *expect, uint32_t id, uint32_t seq, size_t *len)
    __attribute__((warn_unused_result));

/*
 * ct_msg_expect_get - build IPCTNL_MSG_EXP_GET for the expectation whose
 * tuple is @expect; the kernel answers with the expectation (an
 * IPCTNL_MSG_EXP_NEW message, see ct_msg_expect_id) and an ack.
 * Validation, parameters and return as ct_msg_expect_del().
 */
enum ct_msg_err ct_msg_expect_get(void *buf, size_t cap,
    const struct ct_tuple *expect, uint32_t seq, size_t *len)
    __attribute__((warn_unused_result));

/*
 * ct_msg_expect_id - find, in the @n bytes of one netlink datagram at @buf,
 * the expectation message answering request @seq and read its
 * CTA_EXPECT_ID. Returns true with *@id set (never 0: 0 is returned as
 * false) when found.
 */
bool ct_msg_expect_id(const void *buf, size_t n, uint32_t seq, uint32_t *id);

/*
 * ct_msg_probe - build IPCTNL_MSG_EXP_GET for a tuple that never exists
 * (0.0.0.0:0 -> 0.0.0.0:0 TCP). The kernel answers ENOENT when ctnetlink
 * expectations work and we may use them, EPERM without CAP_NET_ADMIN.
 * Parameters and return as ct_msg_expect_new().
 */
enum ct_msg_err ct_msg_probe(void *buf, size_t cap, uint32_t seq,
    size_t *len) __attribute__((warn_unused_result));

/* Short description of @err for logs and tests. Static string. */
const char *ct_msg_strerror(enum ct_msg_err err);

#endif
