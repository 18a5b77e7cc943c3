/* Building ctnetlink expectation messages: libnetfilter_conntrack's
 * nfexp_nlmsg_build() for tuple, master, mask and timeout, then libmnl for
 * CTA_EXPECT_NAT and CTA_EXPECT_FN, which version 1.0.9 does not serialise
 * (DESIGN.md fact 3). No I/O. */
#include "conntrack/ct_msg.h"

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

/* enum ip_conntrack_dir (linux/netfilter/nf_conntrack_tuple_common.h); that
 * header clashes with libnetfilter_conntrack's copy of the common header. */
#define CT_MSG_DIR_ORIGINAL	0u
#define CT_MSG_DIR_REPLY	1u

/* @n rounded up to netlink alignment (MNL_ALIGN without int arithmetic). */
static size_t
nl_align(size_t n)
{
	const size_t to = MNL_ALIGNTO;

	return (n + to - 1) & ~(to - 1);
}

/* Aligned size of an attribute carrying @payload bytes. */
static size_t
attr_len(size_t payload)
{
	return nl_align(sizeof(struct nlattr) + payload);
}

/*
 * Size of a CTA_TUPLE_* nest as built here and by nfexp_nlmsg_build():
 * { CTA_TUPLE_IP { src, dst }, CTA_TUPLE_PROTO { num u8, sport u16,
 * dport u16 } }.
 */
static size_t
tuple_len(int family)
{
	size_t alen, ip, proto;

	alen = family == AF_INET6 ? sizeof(struct in6_addr) :
	    sizeof(struct in_addr);
	ip = attr_len(2 * attr_len(alen));
	proto = attr_len(attr_len(sizeof(uint8_t)) +
	    2 * attr_len(sizeof(uint16_t)));
	return attr_len(ip + proto);
}

/* Message header: struct nlmsghdr plus struct nfgenmsg. */
static size_t
header_len(void)
{
	return nl_align(sizeof(struct nlmsghdr)) +
	    nl_align(sizeof(struct nfgenmsg));
}

static bool
family_ok(int family)
{
	return family == AF_INET || family == AF_INET6;
}

/* True when the address @a of family @family is not all zero. */
static bool
addr_set(int family, const uint8_t *a)
{
	size_t i, n;

	n = family == AF_INET6 ? 16 : 4;
	for (i = 0; i < n; i++)
		if (a[i] != 0)
			return true;
	return false;
}

/*
 * Check one tuple: family, both addresses, dport, and sport unless
 * @any_sport. @family is the family every tuple of the request must have.
 */
static enum ct_msg_err
check_tuple(const struct ct_tuple *t, int family, bool any_sport)
{
	if (!family_ok(t->family) || t->family != family)
		return CT_MSG_EFAMILY;
	if (!addr_set(t->family, t->src) || !addr_set(t->family, t->dst))
		return CT_MSG_EADDR;
	if (t->dport == 0 || (!any_sport && t->sport == 0))
		return CT_MSG_EPORT;
	return CT_MSG_OK;
}

static enum ct_msg_err
check_req(const struct ct_expect_req *req)
{
	enum ct_msg_err err;
	int family = req->expect.family;

	if (!family_ok(family))
		return CT_MSG_EFAMILY;
	err = check_tuple(&req->master, family, false);
	if (err != CT_MSG_OK)
		return err;
	err = check_tuple(&req->expect, family, true);
	if (err != CT_MSG_OK)
		return err;
	if (req->timeout == 0)
		return CT_MSG_ETIMEOUT;
	switch (req->nat_dir) {
	case CT_NAT_NONE:
		return CT_MSG_OK;
	case CT_NAT_ORIGINAL:
	case CT_NAT_REPLY:
		if (req->nat_fn == NULL || req->nat_fn[0] == '\0' ||
		    strnlen(req->nat_fn, CT_MSG_NAT_FN_MAX + 1) >
		    CT_MSG_NAT_FN_MAX)
			return CT_MSG_ENATFN;
		return check_tuple(&req->nat, family, false);
	default:
		return CT_MSG_ENATDIR;
	}
}

/* Buffer checks common to every builder. */
static enum ct_msg_err
check_buf(const void *buf, const size_t *len)
{
	if (buf == NULL || len == NULL)
		return CT_MSG_EBUF;
	if ((uintptr_t)buf % _Alignof(struct nlmsghdr) != 0)
		return CT_MSG_EBUF;
	return CT_MSG_OK;
}

/* Set the original-direction tuple of @ct to @t (TCP). */
static void
set_ct_tuple(struct nf_conntrack *ct, const struct ct_tuple *t)
{
	uint32_t a;

	nfct_set_attr_u8(ct, ATTR_L3PROTO, (uint8_t)t->family);
	if (t->family == AF_INET6) {
		nfct_set_attr(ct, ATTR_IPV6_SRC, t->src);
		nfct_set_attr(ct, ATTR_IPV6_DST, t->dst);
	} else {
		memcpy(&a, t->src, sizeof(a));
		nfct_set_attr_u32(ct, ATTR_IPV4_SRC, a);
		memcpy(&a, t->dst, sizeof(a));
		nfct_set_attr_u32(ct, ATTR_IPV4_DST, a);
	}
	nfct_set_attr_u8(ct, ATTR_L4PROTO, IPPROTO_TCP);
	nfct_set_attr_u16(ct, ATTR_PORT_SRC, htons(t->sport));
	nfct_set_attr_u16(ct, ATTR_PORT_DST, htons(t->dport));
}

/*
 * The mask the kernel applies to the expected tuple: addresses exact,
 * source port any when @t->sport is 0, exact otherwise. The kernel keeps
 * only the source part of a mask (the destination is always exact); the
 * destination is sent all-ones as the kernel itself dumps it.
 */
static void
mask_of(const struct ct_tuple *t, struct ct_tuple *m)
{
	memset(m, 0xff, sizeof(*m));
	m->family = t->family;
	m->sport = t->sport == 0 ? 0 : 0xffff;
	m->dport = 0xffff;
}

/* Write struct nlmsghdr and struct nfgenmsg for an expectation message. */
static struct nlmsghdr *
put_header(void *buf, uint8_t msg, uint16_t flags, int family, uint32_t seq)
{
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (uint16_t)((NFNL_SUBSYS_CTNETLINK_EXP << 8) | msg);
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = (uint8_t)family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	return nlh;
}

/* Append a CTA_TUPLE_* nest of type @type for @t; false if @cap is short. */
static bool
put_tuple(struct nlmsghdr *nlh, size_t cap, uint16_t type,
    const struct ct_tuple *t)
{
	struct nlattr *outer, *ip, *proto;
	size_t alen;
	uint16_t src_type, dst_type;
	bool ok = false;

	if (t->family == AF_INET6) {
		alen = sizeof(struct in6_addr);
		src_type = CTA_IP_V6_SRC;
		dst_type = CTA_IP_V6_DST;
	} else {
		alen = sizeof(struct in_addr);
		src_type = CTA_IP_V4_SRC;
		dst_type = CTA_IP_V4_DST;
	}
	outer = mnl_attr_nest_start_check(nlh, cap, type);
	if (outer == NULL)
		goto out;
	ip = mnl_attr_nest_start_check(nlh, cap, CTA_TUPLE_IP);
	if (ip == NULL ||
	    !mnl_attr_put_check(nlh, cap, src_type, alen, t->src) ||
	    !mnl_attr_put_check(nlh, cap, dst_type, alen, t->dst))
		goto cancel;
	mnl_attr_nest_end(nlh, ip);
	proto = mnl_attr_nest_start_check(nlh, cap, CTA_TUPLE_PROTO);
	if (proto == NULL ||
	    !mnl_attr_put_u8_check(nlh, cap, CTA_PROTO_NUM, IPPROTO_TCP) ||
	    !mnl_attr_put_u16_check(nlh, cap, CTA_PROTO_SRC_PORT,
	    htons(t->sport)) ||
	    !mnl_attr_put_u16_check(nlh, cap, CTA_PROTO_DST_PORT,
	    htons(t->dport)))
		goto cancel;
	mnl_attr_nest_end(nlh, proto);
	mnl_attr_nest_end(nlh, outer);
	ok = true;
	goto out;
cancel:
	mnl_attr_nest_cancel(nlh, outer);
out:
	return ok;
}

/*
 * Append CTA_EXPECT_NAT { DIR, TUPLE } and CTA_EXPECT_FN. The kernel parses
 * the NAT tuple like any tuple, so every field must be present (else
 * EINVAL); it keeps the source address and port of it.
 */
static bool
put_nat(struct nlmsghdr *nlh, size_t cap, const struct ct_expect_req *req)
{
	struct nlattr *nest;
	uint32_t dir;

	dir = req->nat_dir == CT_NAT_REPLY ? CT_MSG_DIR_REPLY :
	    CT_MSG_DIR_ORIGINAL;
	nest = mnl_attr_nest_start_check(nlh, cap, CTA_EXPECT_NAT);
	if (nest == NULL)
		return false;
	if (!mnl_attr_put_u32_check(nlh, cap, CTA_EXPECT_NAT_DIR,
	    htonl(dir)) ||
	    !put_tuple(nlh, cap, CTA_EXPECT_NAT_TUPLE, &req->nat)) {
		mnl_attr_nest_cancel(nlh, nest);
		return false;
	}
	mnl_attr_nest_end(nlh, nest);
	return mnl_attr_put_strz_check(nlh, cap, CTA_EXPECT_FN, req->nat_fn);
}

/*
 * Build header plus nfexp_nlmsg_build(@exp) into @buf; @need is the exact
 * size the library part will take, checked against @cap before, because
 * nfexp_nlmsg_build() writes without bounds checks.
 */
static enum ct_msg_err
build_lib(void *buf, size_t cap, size_t need, uint8_t msg, uint16_t flags,
    int family, uint32_t seq, const struct nf_expect *exp,
    struct nlmsghdr **out)
{
	struct nlmsghdr *nlh;

	if (cap < need)
		return CT_MSG_ENOSPC;
	nlh = put_header(buf, msg, flags, family, seq);
	if (nfexp_nlmsg_build(nlh, exp) < 0)
		return CT_MSG_ENOMEM;
	/* Broken invariant (library emitted more than computed). */
	assert(nlh->nlmsg_len == need);
	*out = nlh;
	return CT_MSG_OK;
}

/*
 * Build IPCTNL_MSG_EXP_NEW for @req with @flags; NAT attributes only when
 * @with_nat and req->nat_dir is set. Shared by create and timeout update.
 */
static enum ct_msg_err
build_expect(void *buf, size_t cap, const struct ct_expect_req *req,
    uint32_t seq, size_t *len, uint16_t flags, bool with_nat)
{
	struct nf_expect *exp = NULL;
	struct nf_conntrack *ct = NULL;
	struct nlmsghdr *nlh = NULL;
	struct ct_tuple mask;
	enum ct_msg_err err;
	size_t lib_len, total;
	int family;

	err = check_buf(buf, len);
	if (err != CT_MSG_OK)
		goto out;
	if (req == NULL) {
		err = CT_MSG_EBUF;
		goto out;
	}
	err = check_req(req);
	if (err != CT_MSG_OK)
		goto out;
	family = req->expect.family;
	with_nat = with_nat && req->nat_dir != CT_NAT_NONE;
	lib_len = header_len() + 3 * tuple_len(family) +
	    attr_len(sizeof(uint32_t));
	if (req->permanent)
		lib_len += attr_len(sizeof(uint32_t));
	total = lib_len;
	if (with_nat)
		total += attr_len(attr_len(sizeof(uint32_t)) +
		    tuple_len(family)) + attr_len(strlen(req->nat_fn) + 1);
	if (cap < total) {
		err = CT_MSG_ENOSPC;
		goto out;
	}
	/* libmnl leaves attribute padding as it finds it. */
	memset(buf, 0, total);

	err = CT_MSG_ENOMEM;
	exp = nfexp_new();
	if (exp == NULL)
		goto out;
	ct = nfct_new();
	if (ct == NULL)
		goto free_exp;
	/* nfexp_set_attr() copies the conntrack object, so one serves all. */
	set_ct_tuple(ct, &req->master);
	nfexp_set_attr(exp, ATTR_EXP_MASTER, ct);
	set_ct_tuple(ct, &req->expect);
	nfexp_set_attr(exp, ATTR_EXP_EXPECTED, ct);
	mask_of(&req->expect, &mask);
	set_ct_tuple(ct, &mask);
	nfexp_set_attr(exp, ATTR_EXP_MASK, ct);
	nfexp_set_attr_u32(exp, ATTR_EXP_TIMEOUT, req->timeout);
	if (req->permanent)
		nfexp_set_attr_u32(exp, ATTR_EXP_FLAGS, NF_CT_EXPECT_PERMANENT);

	err = build_lib(buf, cap, lib_len, IPCTNL_MSG_EXP_NEW, flags, family,
	    seq, exp, &nlh);
	if (err != CT_MSG_OK)
		goto free_ct;
	if (with_nat && !put_nat(nlh, cap, req)) {
		err = CT_MSG_ENOSPC;
		goto free_ct;
	}
	assert(nlh->nlmsg_len == total);
	*len = nlh->nlmsg_len;
free_ct:
	nfct_destroy(ct);
free_exp:
	nfexp_destroy(exp);
out:
	return err;
}

enum ct_msg_err
ct_msg_expect_new(void *buf, size_t cap, const struct ct_expect_req *req,
    uint32_t seq, size_t *len)
{
	return build_expect(buf, cap, req, seq, len,
	    NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK, true);
}

enum ct_msg_err
ct_msg_expect_timeout(void *buf, size_t cap, const struct ct_expect_req *req,
    uint32_t seq, size_t *len)
{
	return build_expect(buf, cap, req, seq, len,
	    NLM_F_REQUEST | NLM_F_ACK, false);
}

/* Build a message carrying only CTA_EXPECT_TUPLE @t (delete or get). */
static enum ct_msg_err
build_by_tuple(void *buf, size_t cap, uint8_t msg, const struct ct_tuple *t,
    uint32_t seq, size_t *len)
{
	struct nf_expect *exp = NULL;
	struct nf_conntrack *ct = NULL;
	struct nlmsghdr *nlh = NULL;
	enum ct_msg_err err = CT_MSG_ENOMEM;
	size_t need;

	exp = nfexp_new();
	if (exp == NULL)
		goto out;
	ct = nfct_new();
	if (ct == NULL)
		goto free_exp;
	set_ct_tuple(ct, t);
	nfexp_set_attr(exp, ATTR_EXP_EXPECTED, ct);
	need = header_len() + tuple_len(t->family);
	if (cap < need) {
		err = CT_MSG_ENOSPC;
		goto free_ct;
	}
	/* libmnl leaves attribute padding as it finds it. */
	memset(buf, 0, need);
	err = build_lib(buf, cap, need, msg, NLM_F_REQUEST | NLM_F_ACK,
	    t->family, seq, exp, &nlh);
	if (err == CT_MSG_OK)
		*len = nlh->nlmsg_len;
free_ct:
	nfct_destroy(ct);
free_exp:
	nfexp_destroy(exp);
out:
	return err;
}

/* A delete or get for @expect, validated as ct_msg_expect_del says. */
static enum ct_msg_err
build_for_expect(void *buf, size_t cap, uint8_t msg,
    const struct ct_tuple *expect, uint32_t seq, size_t *len)
{
	enum ct_msg_err err;

	err = check_buf(buf, len);
	if (err != CT_MSG_OK)
		return err;
	if (expect == NULL)
		return CT_MSG_EBUF;
	err = check_tuple(expect, expect->family, true);
	if (err != CT_MSG_OK)
		return err;
	return build_by_tuple(buf, cap, msg, expect, seq, len);
}

enum ct_msg_err
ct_msg_expect_del(void *buf, size_t cap, const struct ct_tuple *expect,
    uint32_t seq, size_t *len)
{
	return build_for_expect(buf, cap, IPCTNL_MSG_EXP_DELETE, expect, seq,
	    len);
}

enum ct_msg_err
ct_msg_expect_del_id(void *buf, size_t cap, const struct ct_tuple *expect,
    uint32_t id, uint32_t seq, size_t *len)
{
	struct nlmsghdr *nlh;
	enum ct_msg_err err;

	err = ct_msg_expect_del(buf, cap, expect, seq, len);
	if (err != CT_MSG_OK || id == 0)
		return err;
	if (cap < *len + attr_len(sizeof(uint32_t)))
		return CT_MSG_ENOSPC;
	nlh = buf;
	memset((char *)buf + *len, 0, attr_len(sizeof(uint32_t)));
	mnl_attr_put_u32(nlh, CTA_EXPECT_ID, htonl(id));
	*len = nlh->nlmsg_len;
	return CT_MSG_OK;
}

enum ct_msg_err
ct_msg_expect_get(void *buf, size_t cap, const struct ct_tuple *expect,
    uint32_t seq, size_t *len)
{
	return build_for_expect(buf, cap, IPCTNL_MSG_EXP_GET, expect, seq, len);
}

static int
expect_id_cb(const struct nlattr *a, void *data)
{
	uint32_t *id = data;

	if (mnl_attr_get_type(a) == CTA_EXPECT_ID &&
	    mnl_attr_validate(a, MNL_TYPE_U32) == 0)
		*id = ntohl(mnl_attr_get_u32(a));
	return MNL_CB_OK;
}

bool
ct_msg_expect_id(const void *buf, size_t n, uint32_t seq, uint32_t *id)
{
	const struct nlmsghdr *nlh = buf;
	int len = n > INT32_MAX ? INT32_MAX : (int)n;

	if (buf == NULL || id == NULL)
		return false;
	for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		uint32_t got = 0;

		if (nlh->nlmsg_seq != seq || nlh->nlmsg_type !=
		    ((NFNL_SUBSYS_CTNETLINK_EXP << 8) | IPCTNL_MSG_EXP_NEW) ||
		    mnl_nlmsg_get_payload_len(nlh) < sizeof(struct nfgenmsg))
			continue;
		if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), expect_id_cb,
		    &got) != MNL_CB_OK || got == 0)
			continue;
		*id = got;
		return true;
	}
	return false;
}

enum ct_msg_err
ct_msg_probe(void *buf, size_t cap, uint32_t seq, size_t *len)
{
	struct ct_tuple none;
	enum ct_msg_err err;

	err = check_buf(buf, len);
	if (err != CT_MSG_OK)
		return err;
	memset(&none, 0, sizeof(none));
	none.family = AF_INET;
	return build_by_tuple(buf, cap, IPCTNL_MSG_EXP_GET, &none, seq, len);
}

const char *
ct_msg_strerror(enum ct_msg_err err)
{
	switch (err) {
	case CT_MSG_OK:
		return "ok";
	case CT_MSG_EBUF:
		return "NULL argument, or buffer not 4-byte aligned";
	case CT_MSG_ENOSPC:
		return "buffer too small for the message";
	case CT_MSG_EFAMILY:
		return "address family not IPv4/IPv6 or not the same in all "
		    "tuples";
	case CT_MSG_EADDR:
		return "a tuple lacks an address";
	case CT_MSG_EPORT:
		return "a tuple lacks a port";
	case CT_MSG_ETIMEOUT:
		return "expectation timeout is 0";
	case CT_MSG_ENATDIR:
		return "unknown NAT direction";
	case CT_MSG_ENATFN:
		return "NAT without an expectation function name";
	case CT_MSG_ENOMEM:
		return "out of memory";
	}
	return "unknown error";
}
