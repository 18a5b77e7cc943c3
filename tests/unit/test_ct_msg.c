/* Unit tests of conntrack/ct_msg.c: every message is parsed back with libmnl
 * and each attribute checked; bad requests are table rows. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "conntrack/ct_msg.h"

/* Exact sizes: header 20, IPv4 tuple 52, IPv6 tuple 76, timeout 8,
 * NAT nest 4 + dir 8 + tuple, FN 24. */
#define LEN_V4		184
#define LEN_V4_NAT	272
#define LEN_V6		256
#define LEN_V6_NAT	368
#define LEN_DEL_V4	72
#define LEN_DEL_V6	96

#define SEQ		0x5eed1234u
#define EXP_TYPE(msg)	((NFNL_SUBSYS_CTNETLINK_EXP << 8) | (msg))

/* Aligned scratch buffer, larger than any message, with a canary tail. */
#define BUF_SIZE	(CT_MSG_BUFSIZE + 64)
struct buf {
	_Alignas(struct nlmsghdr) unsigned char b[BUF_SIZE];
};

/* ---- requests ---- */

static void
addr4(uint8_t *a, const char *s)
{
	memset(a, 0, 16);
	assert_int_equal(inet_pton(AF_INET, s, a), 1);
}

static void
addr6(uint8_t *a, const char *s)
{
	assert_int_equal(inet_pton(AF_INET6, s, a), 1);
}

static void
tuple4(struct ct_tuple *t, const char *src, uint16_t sport, const char *dst,
    uint16_t dport)
{
	memset(t, 0, sizeof(*t));
	t->family = AF_INET;
	addr4(t->src, src);
	addr4(t->dst, dst);
	t->sport = sport;
	t->dport = dport;
}

static void
tuple6(struct ct_tuple *t, const char *src, uint16_t sport, const char *dst,
    uint16_t dport)
{
	memset(t, 0, sizeof(*t));
	t->family = AF_INET6;
	addr6(t->src, src);
	addr6(t->dst, dst);
	t->sport = sport;
	t->dport = dport;
}

/* Relay data path: client 203.0.113.10 -> gateway 203.0.113.1:50000. */
static void
req4(struct ct_expect_req *r, enum ct_nat_dir dir)
{
	memset(r, 0, sizeof(*r));
	tuple4(&r->master, "203.0.113.10", 40001, "203.0.113.1", 21);
	tuple4(&r->expect, "203.0.113.10", 0, "203.0.113.1", 50000);
	r->timeout = 30;
	r->nat_dir = dir;
	if (dir != CT_NAT_NONE)
		tuple4(&r->nat, "198.51.100.10", 30000, "203.0.113.10",
		    50000);
	r->nat_fn = dir != CT_NAT_NONE ? "nat-follow-master" : NULL;
}

static void
req6(struct ct_expect_req *r, enum ct_nat_dir dir)
{
	memset(r, 0, sizeof(*r));
	tuple6(&r->master, "2001:db8:1::10", 40001, "2001:db8:1::1", 990);
	tuple6(&r->expect, "2001:db8:1::10", 0, "2001:db8:1::1", 50001);
	r->timeout = 120;
	r->nat_dir = dir;
	if (dir != CT_NAT_NONE)
		tuple6(&r->nat, "2001:db8:2::10", 30001, "2001:db8:1::10",
		    50001);
	r->nat_fn = dir != CT_NAT_NONE ? "nat-follow-master" : NULL;
}

/* ---- parsing back ---- */

/* Attributes of one level, each seen at most once. */
struct attrs {
	const struct nlattr *tb[CTA_EXPECT_MAX + 1];
	int max;
};

static int
collect_cb(const struct nlattr *attr, void *data)
{
	struct attrs *a = data;
	int type = mnl_attr_get_type(attr);

	assert_true(type > 0 && type <= a->max);
	assert_null(a->tb[type]);	/* no duplicates */
	a->tb[type] = attr;
	return MNL_CB_OK;
}

static void
collect_nested(const struct nlattr *nest, struct attrs *a, int max)
{
	memset(a, 0, sizeof(*a));
	a->max = max;
	assert_int_equal(mnl_attr_parse_nested(nest, collect_cb, a),
	    MNL_CB_OK);
}

/* Number of attributes present in @a. */
static int
count(const struct attrs *a)
{
	int i, n = 0;

	for (i = 0; i <= a->max; i++)
		n += a->tb[i] != NULL;
	return n;
}

static uint16_t
get_be16(const struct nlattr *attr)
{
	assert_non_null(attr);
	assert_int_equal(mnl_attr_validate(attr, MNL_TYPE_U16), 0);
	return ntohs(mnl_attr_get_u16(attr));
}

/* Parse a CTA_TUPLE_* nest into @t, checking every attribute. */
static void
parse_tuple(const struct nlattr *nest, struct ct_tuple *t)
{
	struct attrs top, ip, proto;

	assert_non_null(nest);
	assert_true(mnl_attr_get_type(nest) != 0);
	memset(t, 0, sizeof(*t));
	collect_nested(nest, &top, CTA_TUPLE_MAX);
	assert_int_equal(count(&top), 2);
	assert_non_null(top.tb[CTA_TUPLE_IP]);
	assert_non_null(top.tb[CTA_TUPLE_PROTO]);

	collect_nested(top.tb[CTA_TUPLE_IP], &ip, CTA_IP_MAX);
	assert_int_equal(count(&ip), 2);
	if (ip.tb[CTA_IP_V4_SRC] != NULL) {
		t->family = AF_INET;
		assert_non_null(ip.tb[CTA_IP_V4_DST]);
		assert_int_equal(mnl_attr_get_payload_len(
		    ip.tb[CTA_IP_V4_SRC]), 4);
		assert_int_equal(mnl_attr_get_payload_len(
		    ip.tb[CTA_IP_V4_DST]), 4);
		memcpy(t->src, mnl_attr_get_payload(ip.tb[CTA_IP_V4_SRC]), 4);
		memcpy(t->dst, mnl_attr_get_payload(ip.tb[CTA_IP_V4_DST]), 4);
	} else {
		t->family = AF_INET6;
		assert_non_null(ip.tb[CTA_IP_V6_SRC]);
		assert_non_null(ip.tb[CTA_IP_V6_DST]);
		assert_int_equal(mnl_attr_get_payload_len(
		    ip.tb[CTA_IP_V6_SRC]), 16);
		assert_int_equal(mnl_attr_get_payload_len(
		    ip.tb[CTA_IP_V6_DST]), 16);
		memcpy(t->src, mnl_attr_get_payload(ip.tb[CTA_IP_V6_SRC]),
		    16);
		memcpy(t->dst, mnl_attr_get_payload(ip.tb[CTA_IP_V6_DST]),
		    16);
	}

	collect_nested(top.tb[CTA_TUPLE_PROTO], &proto, CTA_PROTO_MAX);
	assert_int_equal(count(&proto), 3);
	assert_non_null(proto.tb[CTA_PROTO_NUM]);
	assert_int_equal(mnl_attr_validate(proto.tb[CTA_PROTO_NUM],
	    MNL_TYPE_U8), 0);
	assert_int_equal(mnl_attr_get_u8(proto.tb[CTA_PROTO_NUM]),
	    IPPROTO_TCP);
	t->sport = get_be16(proto.tb[CTA_PROTO_SRC_PORT]);
	t->dport = get_be16(proto.tb[CTA_PROTO_DST_PORT]);
}

static void
assert_tuple_eq(const struct ct_tuple *got, const struct ct_tuple *want)
{
	size_t alen = want->family == AF_INET6 ? 16 : 4;

	assert_int_equal(got->family, want->family);
	assert_memory_equal(got->src, want->src, alen);
	assert_memory_equal(got->dst, want->dst, alen);
	assert_int_equal(got->sport, want->sport);
	assert_int_equal(got->dport, want->dport);
}

/* Check header and nfgenmsg; collect the top-level attributes. */
static const struct nlmsghdr *
parse_msg(const struct buf *b, size_t len, uint8_t msg, uint16_t flags,
    int family, struct attrs *top)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)b->b;
	const struct nfgenmsg *nfg;

	assert_true(mnl_nlmsg_ok(nlh, (int)len));
	assert_int_equal(nlh->nlmsg_len, len);
	assert_int_equal(nlh->nlmsg_type, EXP_TYPE(msg));
	assert_int_equal(nlh->nlmsg_flags, flags);
	assert_int_equal(nlh->nlmsg_seq, SEQ);
	assert_int_equal(nlh->nlmsg_pid, 0);
	nfg = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(nfg->nfgen_family, family);
	assert_int_equal(nfg->version, NFNETLINK_V0);
	assert_int_equal(nfg->res_id, 0);

	memset(top, 0, sizeof(*top));
	top->max = CTA_EXPECT_MAX;
	assert_int_equal(mnl_attr_parse(nlh, sizeof(*nfg), collect_cb, top),
	    MNL_CB_OK);
	return nlh;
}

/* The mask ct_msg must send for @e: addresses exact, sport 0 if any. */
static void
want_mask(const struct ct_tuple *e, struct ct_tuple *m)
{
	memset(m, 0, sizeof(*m));
	m->family = e->family;
	memset(m->src, 0xff, sizeof(m->src));
	memset(m->dst, 0xff, sizeof(m->dst));
	m->sport = e->sport == 0 ? 0 : 0xffff;
	m->dport = 0xffff;
}

/* Check a create or timeout message for @r; @with_nat: NAT expected. */
static void
check_expect_msg(const struct buf *b, size_t len,
    const struct ct_expect_req *r, uint16_t flags, bool with_nat)
{
	struct attrs top, nat;
	struct ct_tuple t, m;

	parse_msg(b, len, IPCTNL_MSG_EXP_NEW, flags, r->expect.family, &top);
	assert_int_equal(count(&top), (with_nat ? 6 : 4) + r->permanent);

	parse_tuple(top.tb[CTA_EXPECT_TUPLE], &t);
	assert_tuple_eq(&t, &r->expect);
	parse_tuple(top.tb[CTA_EXPECT_MASTER], &t);
	assert_tuple_eq(&t, &r->master);
	parse_tuple(top.tb[CTA_EXPECT_MASK], &t);
	want_mask(&r->expect, &m);
	assert_tuple_eq(&t, &m);

	assert_non_null(top.tb[CTA_EXPECT_TIMEOUT]);
	assert_int_equal(mnl_attr_validate(top.tb[CTA_EXPECT_TIMEOUT],
	    MNL_TYPE_U32), 0);
	assert_int_equal(ntohl(mnl_attr_get_u32(top.tb[CTA_EXPECT_TIMEOUT])),
	    r->timeout);

	/* Never sent: a helper name would attach the helper to the data
	 * connection; zone, class, id stay kernel defaults; flags only to
	 * make the expectation permanent. */
	assert_null(top.tb[CTA_EXPECT_HELP_NAME]);
	if (r->permanent) {
		assert_non_null(top.tb[CTA_EXPECT_FLAGS]);
		assert_int_equal(ntohl(mnl_attr_get_u32(
		    top.tb[CTA_EXPECT_FLAGS])), NF_CT_EXPECT_PERMANENT);
	} else {
		assert_null(top.tb[CTA_EXPECT_FLAGS]);
	}
	assert_null(top.tb[CTA_EXPECT_ZONE]);
	assert_null(top.tb[CTA_EXPECT_CLASS]);
	assert_null(top.tb[CTA_EXPECT_ID]);

	if (!with_nat) {
		assert_null(top.tb[CTA_EXPECT_NAT]);
		assert_null(top.tb[CTA_EXPECT_FN]);
		return;
	}
	collect_nested(top.tb[CTA_EXPECT_NAT], &nat, CTA_EXPECT_NAT_MAX);
	assert_int_equal(count(&nat), 2);
	assert_non_null(nat.tb[CTA_EXPECT_NAT_DIR]);
	assert_int_equal(mnl_attr_validate(nat.tb[CTA_EXPECT_NAT_DIR],
	    MNL_TYPE_U32), 0);
	assert_int_equal(ntohl(mnl_attr_get_u32(nat.tb[CTA_EXPECT_NAT_DIR])),
	    r->nat_dir == CT_NAT_REPLY ? 1 : 0);
	parse_tuple(nat.tb[CTA_EXPECT_NAT_TUPLE], &t);
	assert_tuple_eq(&t, &r->nat);

	assert_non_null(top.tb[CTA_EXPECT_FN]);
	assert_int_equal(mnl_attr_validate(top.tb[CTA_EXPECT_FN],
	    MNL_TYPE_NUL_STRING), 0);
	assert_string_equal(mnl_attr_get_str(top.tb[CTA_EXPECT_FN]),
	    "nat-follow-master");
}

/* ---- well-formed messages ---- */

static void
build_and_check(void (*mk)(struct ct_expect_req *, enum ct_nat_dir),
    enum ct_nat_dir dir, size_t want_len)
{
	struct ct_expect_req r;
	struct buf b;
	size_t len = 0;

	mk(&r, dir);
	assert_int_equal(ct_msg_expect_new(b.b, sizeof(b.b), &r, SEQ, &len),
	    CT_MSG_OK);
	assert_int_equal(len, want_len);
	check_expect_msg(&b, len, &r,
	    NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK,
	    dir != CT_NAT_NONE);
}

static void
test_v4_plain(void **state)
{
	(void)state;
	build_and_check(req4, CT_NAT_NONE, LEN_V4);
}

/* A permanent expectation carries CTA_EXPECT_FLAGS = PERMANENT (8 bytes
 * more), in both families. */
static void
test_permanent(void **state)
{
	struct ct_expect_req r;
	struct buf b;
	size_t len = 0;

	(void)state;
	req4(&r, CT_NAT_NONE);
	r.permanent = true;
	assert_int_equal(ct_msg_expect_new(b.b, sizeof(b.b), &r, SEQ, &len),
	    CT_MSG_OK);
	assert_int_equal(len, LEN_V4 + 8);
	check_expect_msg(&b, len, &r,
	    NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK, false);
	req6(&r, CT_NAT_NONE);
	r.permanent = true;
	assert_int_equal(ct_msg_expect_new(b.b, sizeof(b.b), &r, SEQ, &len),
	    CT_MSG_OK);
	assert_int_equal(len, LEN_V6 + 8);
	check_expect_msg(&b, len, &r,
	    NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK, false);
}

static void
test_v4_nat_original(void **state)
{
	(void)state;
	build_and_check(req4, CT_NAT_ORIGINAL, LEN_V4_NAT);
}

static void
test_v4_nat_reply(void **state)
{
	(void)state;
	build_and_check(req4, CT_NAT_REPLY, LEN_V4_NAT);
}

static void
test_v6_plain(void **state)
{
	(void)state;
	build_and_check(req6, CT_NAT_NONE, LEN_V6);
}

static void
test_v6_nat_original(void **state)
{
	(void)state;
	build_and_check(req6, CT_NAT_ORIGINAL, LEN_V6_NAT);
}

static void
test_v6_nat_reply(void **state)
{
	(void)state;
	build_and_check(req6, CT_NAT_REPLY, LEN_V6_NAT);
}

/* A fixed source port is matched exactly: mask sport 0xffff. */
static void
test_fixed_sport(void **state)
{
	struct ct_expect_req r;
	struct buf b;
	size_t len;

	(void)state;
	req4(&r, CT_NAT_NONE);
	r.expect.sport = 20;
	assert_int_equal(ct_msg_expect_new(b.b, sizeof(b.b), &r, SEQ, &len),
	    CT_MSG_OK);
	check_expect_msg(&b, len, &r,
	    NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK, false);
}

/* Only the first 4 address bytes count for IPv4. */
static void
test_v4_ignores_tail_bytes(void **state)
{
	struct ct_expect_req r, clean;
	struct buf b1, b2;
	size_t l1, l2;

	(void)state;
	req4(&r, CT_NAT_ORIGINAL);
	clean = r;
	memset(r.master.src + 4, 0xee, 12);
	memset(r.expect.dst + 4, 0xee, 12);
	memset(r.nat.src + 4, 0xee, 12);
	assert_int_equal(ct_msg_expect_new(b1.b, sizeof(b1.b), &r, SEQ, &l1),
	    CT_MSG_OK);
	assert_int_equal(ct_msg_expect_new(b2.b, sizeof(b2.b), &clean, SEQ,
	    &l2), CT_MSG_OK);
	assert_int_equal(l1, l2);
	assert_memory_equal(b1.b, b2.b, l1);
}

/* The timeout update: same tuples and timeout, no create, no NAT. */
static void
test_timeout_update(void **state)
{
	struct ct_expect_req r;
	struct buf b;
	size_t len;

	(void)state;
	req4(&r, CT_NAT_ORIGINAL);
	assert_int_equal(ct_msg_expect_timeout(b.b, sizeof(b.b), &r, SEQ,
	    &len), CT_MSG_OK);
	assert_int_equal(len, LEN_V4);
	check_expect_msg(&b, len, &r, NLM_F_REQUEST | NLM_F_ACK, false);

	req6(&r, CT_NAT_NONE);
	assert_int_equal(ct_msg_expect_timeout(b.b, sizeof(b.b), &r, SEQ,
	    &len), CT_MSG_OK);
	assert_int_equal(len, LEN_V6);
	check_expect_msg(&b, len, &r, NLM_F_REQUEST | NLM_F_ACK, false);
}

static void
check_by_tuple(const struct buf *b, size_t len, uint8_t msg,
    const struct ct_tuple *want)
{
	struct attrs top;
	struct ct_tuple t;

	parse_msg(b, len, msg, NLM_F_REQUEST | NLM_F_ACK, want->family,
	    &top);
	assert_int_equal(count(&top), 1);
	parse_tuple(top.tb[CTA_EXPECT_TUPLE], &t);
	assert_tuple_eq(&t, want);
}

static void
test_del(void **state)
{
	struct ct_expect_req r;
	struct buf b;
	size_t len;

	(void)state;
	req4(&r, CT_NAT_NONE);
	assert_int_equal(ct_msg_expect_del(b.b, sizeof(b.b), &r.expect, SEQ,
	    &len), CT_MSG_OK);
	assert_int_equal(len, LEN_DEL_V4);
	check_by_tuple(&b, len, IPCTNL_MSG_EXP_DELETE, &r.expect);

	req6(&r, CT_NAT_NONE);
	assert_int_equal(ct_msg_expect_del(b.b, sizeof(b.b), &r.expect, SEQ,
	    &len), CT_MSG_OK);
	assert_int_equal(len, LEN_DEL_V6);
	check_by_tuple(&b, len, IPCTNL_MSG_EXP_DELETE, &r.expect);
}

/* A delete by identity: the tuple and CTA_EXPECT_ID; id 0 is the plain
 * delete. */
static void
test_del_id(void **state)
{
	struct ct_expect_req r;
	struct attrs top;
	struct ct_tuple t;
	struct buf b;
	size_t len;

	(void)state;
	req6(&r, CT_NAT_NONE);
	assert_int_equal(ct_msg_expect_del_id(b.b, sizeof(b.b), &r.expect,
	    0xdeadbeefu, SEQ, &len), CT_MSG_OK);
	assert_int_equal(len, LEN_DEL_V6 + 8);
	parse_msg(&b, len, IPCTNL_MSG_EXP_DELETE, NLM_F_REQUEST | NLM_F_ACK,
	    AF_INET6, &top);
	assert_int_equal(count(&top), 2);
	parse_tuple(top.tb[CTA_EXPECT_TUPLE], &t);
	assert_tuple_eq(&t, &r.expect);
	assert_non_null(top.tb[CTA_EXPECT_ID]);
	assert_int_equal(ntohl(mnl_attr_get_u32(top.tb[CTA_EXPECT_ID])),
	    0xdeadbeefu);

	assert_int_equal(ct_msg_expect_del_id(b.b, sizeof(b.b), &r.expect, 0,
	    SEQ, &len), CT_MSG_OK);
	assert_int_equal(len, LEN_DEL_V6);
	check_by_tuple(&b, len, IPCTNL_MSG_EXP_DELETE, &r.expect);
	/* no room for the id */
	assert_int_equal(ct_msg_expect_del_id(b.b, LEN_DEL_V6, &r.expect, 7,
	    SEQ, &len), CT_MSG_ENOSPC);
}

static void
test_get(void **state)
{
	struct ct_expect_req r;
	struct buf b;
	size_t len;

	(void)state;
	req4(&r, CT_NAT_NONE);
	assert_int_equal(ct_msg_expect_get(b.b, sizeof(b.b), &r.expect, SEQ,
	    &len), CT_MSG_OK);
	check_by_tuple(&b, len, IPCTNL_MSG_EXP_GET, &r.expect);
	r.expect.dport = 0;
	assert_int_equal(ct_msg_expect_get(b.b, sizeof(b.b), &r.expect, SEQ,
	    &len), CT_MSG_EPORT);
}

/* Append one expectation message (type, seq, optional id) to a datagram. */
static size_t
put_reply(unsigned char *p, uint16_t type, uint32_t seq, uint32_t id)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(p);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = type;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_INET;
	mnl_attr_put_u32(nlh, CTA_EXPECT_TIMEOUT, htonl(30));
	if (id != 0)
		mnl_attr_put_u32(nlh, CTA_EXPECT_ID, htonl(id));
	return nlh->nlmsg_len;
}

/* The answer to a GET: only the expectation message of our sequence number
 * counts; others, an id-less one and garbage lengths are passed over. */
static void
test_expect_id(void **state)
{
	struct buf b;
	uint16_t exp_new = EXP_TYPE(IPCTNL_MSG_EXP_NEW);
	size_t n = 0;
	uint32_t id = 0;

	(void)state;
	memset(b.b, 0, sizeof(b.b));
	n += put_reply(b.b + n, exp_new, SEQ - 1, 1111);	/* stale */
	n += put_reply(b.b + n, EXP_TYPE(IPCTNL_MSG_EXP_DELETE), SEQ, 2222);
	n += put_reply(b.b + n, exp_new, SEQ, 0);		/* no id */
	assert_false(ct_msg_expect_id(b.b, n, SEQ, &id));
	n += put_reply(b.b + n, exp_new, SEQ, 0x01020304u);
	assert_true(ct_msg_expect_id(b.b, n, SEQ, &id));
	assert_int_equal(id, 0x01020304u);
	assert_false(ct_msg_expect_id(b.b, n, SEQ + 1, &id));
	/* a truncated datagram never reads past its end */
	assert_false(ct_msg_expect_id(b.b, 10, SEQ, &id));
	assert_false(ct_msg_expect_id(NULL, n, SEQ, &id));
}

static void
test_probe(void **state)
{
	struct ct_tuple none;
	struct buf b;
	size_t len;

	(void)state;
	memset(&none, 0, sizeof(none));
	none.family = AF_INET;
	assert_int_equal(ct_msg_probe(b.b, sizeof(b.b), SEQ, &len),
	    CT_MSG_OK);
	assert_int_equal(len, LEN_DEL_V4);
	check_by_tuple(&b, len, IPCTNL_MSG_EXP_GET, &none);
}

/* ---- rejections ---- */

struct bad_row {
	const char *name;
	void (*mk)(struct ct_expect_req *, enum ct_nat_dir);
	enum ct_nat_dir dir;
	void (*mutate)(struct ct_expect_req *);
	enum ct_msg_err want;
};

static void m_none(struct ct_expect_req *r) { (void)r; }
static void m_fam0(struct ct_expect_req *r) { r->expect.family = 0; }
static void m_fam_unix(struct ct_expect_req *r)
{
	r->master.family = r->expect.family = AF_UNIX;
}
static void m_master_v6(struct ct_expect_req *r)
{
	r->master.family = AF_INET6;
}
static void m_master_v4(struct ct_expect_req *r)
{
	r->master.family = AF_INET;
}
static void m_nat_v6(struct ct_expect_req *r) { r->nat.family = AF_INET6; }
static void m_nat_fam0(struct ct_expect_req *r) { r->nat.family = 0; }
static void m_master_src0(struct ct_expect_req *r)
{
	memset(r->master.src, 0, sizeof(r->master.src));
}
static void m_master_dst0(struct ct_expect_req *r)
{
	memset(r->master.dst, 0, sizeof(r->master.dst));
}
static void m_v4_only_tail(struct ct_expect_req *r)
{
	memset(r->expect.src, 0, 4);
	memset(r->expect.src + 4, 0x01, 12);
}
static void m_expect_src0(struct ct_expect_req *r)
{
	memset(r->expect.src, 0, sizeof(r->expect.src));
}
static void m_expect_dst0(struct ct_expect_req *r)
{
	memset(r->expect.dst, 0, sizeof(r->expect.dst));
}
static void m_master_sport0(struct ct_expect_req *r) { r->master.sport = 0; }
static void m_master_dport0(struct ct_expect_req *r) { r->master.dport = 0; }
static void m_expect_dport0(struct ct_expect_req *r) { r->expect.dport = 0; }
static void m_timeout0(struct ct_expect_req *r) { r->timeout = 0; }
static void m_natdir_bad(struct ct_expect_req *r)
{
	r->nat_dir = (enum ct_nat_dir)7;
}
static void m_natdir_neg(struct ct_expect_req *r)
{
	r->nat_dir = (enum ct_nat_dir)-1;
}
static void m_nat_src0(struct ct_expect_req *r)
{
	memset(r->nat.src, 0, sizeof(r->nat.src));
}
static void m_nat_dst0(struct ct_expect_req *r)
{
	memset(r->nat.dst, 0, sizeof(r->nat.dst));
}
static void m_nat_sport0(struct ct_expect_req *r) { r->nat.sport = 0; }
static void m_nat_dport0(struct ct_expect_req *r) { r->nat.dport = 0; }
static void m_natfn_null(struct ct_expect_req *r) { r->nat_fn = NULL; }
static void m_natfn_empty(struct ct_expect_req *r) { r->nat_fn = ""; }
static void m_natfn_long(struct ct_expect_req *r)
{
	r->nat_fn = "nat-follow-master-nat-follow-mas";	/* 32 */
}
static void m_nat_empty(struct ct_expect_req *r)
{
	memset(&r->nat, 0, sizeof(r->nat));
}

static const struct bad_row bad_rows[] = {
	/* the baselines build */
	{ "v4 ok", req4, CT_NAT_NONE, m_none, CT_MSG_OK },
	{ "v6 nat ok", req6, CT_NAT_REPLY, m_none, CT_MSG_OK },
	/* NAT tuple is ignored without nat_dir */
	{ "no nat, empty nat tuple", req4, CT_NAT_NONE, m_nat_empty,
	    CT_MSG_OK },
	/* family */
	{ "family 0", req4, CT_NAT_NONE, m_fam0, CT_MSG_EFAMILY },
	{ "family AF_UNIX", req4, CT_NAT_NONE, m_fam_unix, CT_MSG_EFAMILY },
	{ "v6 master, v4 expect", req4, CT_NAT_NONE, m_master_v6,
	    CT_MSG_EFAMILY },
	{ "v4 master, v6 expect", req6, CT_NAT_NONE, m_master_v4,
	    CT_MSG_EFAMILY },
	{ "v6 nat, v4 expect", req4, CT_NAT_ORIGINAL, m_nat_v6,
	    CT_MSG_EFAMILY },
	{ "nat family 0", req6, CT_NAT_ORIGINAL, m_nat_fam0,
	    CT_MSG_EFAMILY },
	/* missing addresses */
	{ "master src", req4, CT_NAT_NONE, m_master_src0, CT_MSG_EADDR },
	{ "master dst", req6, CT_NAT_NONE, m_master_dst0, CT_MSG_EADDR },
	{ "expect src", req4, CT_NAT_NONE, m_expect_src0, CT_MSG_EADDR },
	{ "expect dst", req6, CT_NAT_NONE, m_expect_dst0, CT_MSG_EADDR },
	{ "v4 address only in tail", req4, CT_NAT_NONE, m_v4_only_tail,
	    CT_MSG_EADDR },
	{ "nat src", req4, CT_NAT_ORIGINAL, m_nat_src0, CT_MSG_EADDR },
	{ "nat dst", req6, CT_NAT_REPLY, m_nat_dst0, CT_MSG_EADDR },
	{ "nat empty", req4, CT_NAT_REPLY, m_nat_empty, CT_MSG_EFAMILY },
	/* missing ports */
	{ "master sport", req4, CT_NAT_NONE, m_master_sport0, CT_MSG_EPORT },
	{ "master dport", req6, CT_NAT_NONE, m_master_dport0, CT_MSG_EPORT },
	{ "expect dport", req4, CT_NAT_NONE, m_expect_dport0, CT_MSG_EPORT },
	{ "nat sport", req4, CT_NAT_ORIGINAL, m_nat_sport0, CT_MSG_EPORT },
	{ "nat dport", req6, CT_NAT_ORIGINAL, m_nat_dport0, CT_MSG_EPORT },
	/* others */
	{ "timeout 0", req4, CT_NAT_NONE, m_timeout0, CT_MSG_ETIMEOUT },
	{ "nat_dir 7", req4, CT_NAT_NONE, m_natdir_bad, CT_MSG_ENATDIR },
	{ "nat_dir -1", req6, CT_NAT_NONE, m_natdir_neg, CT_MSG_ENATDIR },
	{ "nat without fn", req4, CT_NAT_ORIGINAL, m_natfn_null,
	    CT_MSG_ENATFN },
	{ "nat fn empty", req6, CT_NAT_REPLY, m_natfn_empty, CT_MSG_ENATFN },
	{ "nat fn too long", req4, CT_NAT_REPLY, m_natfn_long,
	    CT_MSG_ENATFN },
	/* the function name is only read with nat_dir */
	{ "no nat, no fn", req4, CT_NAT_NONE, m_natfn_null, CT_MSG_OK },
};

static void
test_bad_requests(void **state)
{
	struct ct_expect_req r;
	struct buf b;
	enum ct_msg_err got;
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(bad_rows) / sizeof(bad_rows[0]); i++) {
		const struct bad_row *row = &bad_rows[i];

		row->mk(&r, row->dir);
		row->mutate(&r);
		got = ct_msg_expect_new(b.b, sizeof(b.b), &r, SEQ, &len);
		if (got != row->want)
			fail_msg("row \"%s\": got %d (%s), want %d (%s)",
			    row->name, got, ct_msg_strerror(got), row->want,
			    ct_msg_strerror(row->want));
		/* the timeout update validates the same way */
		got = ct_msg_expect_timeout(b.b, sizeof(b.b), &r, SEQ, &len);
		if (got != row->want)
			fail_msg("row \"%s\" (timeout): got %d, want %d",
			    row->name, got, row->want);
	}
}

static void
test_bad_del(void **state)
{
	struct ct_expect_req r;
	struct ct_tuple t;
	struct buf b;
	size_t len;

	(void)state;
	req4(&r, CT_NAT_NONE);
	t = r.expect;
	t.family = AF_UNIX;
	assert_int_equal(ct_msg_expect_del(b.b, sizeof(b.b), &t, SEQ, &len),
	    CT_MSG_EFAMILY);
	t = r.expect;
	memset(t.src, 0, sizeof(t.src));
	assert_int_equal(ct_msg_expect_del(b.b, sizeof(b.b), &t, SEQ, &len),
	    CT_MSG_EADDR);
	t = r.expect;
	t.dport = 0;
	assert_int_equal(ct_msg_expect_del(b.b, sizeof(b.b), &t, SEQ, &len),
	    CT_MSG_EPORT);
	assert_int_equal(ct_msg_expect_del(b.b, sizeof(b.b), NULL, SEQ,
	    &len), CT_MSG_EBUF);
}

static void
test_bad_pointers(void **state)
{
	struct ct_expect_req r;
	struct buf b;
	size_t len;

	(void)state;
	req4(&r, CT_NAT_NONE);
	assert_int_equal(ct_msg_expect_new(NULL, sizeof(b.b), &r, SEQ, &len),
	    CT_MSG_EBUF);
	assert_int_equal(ct_msg_expect_new(b.b, sizeof(b.b), NULL, SEQ,
	    &len), CT_MSG_EBUF);
	assert_int_equal(ct_msg_expect_new(b.b, sizeof(b.b), &r, SEQ, NULL),
	    CT_MSG_EBUF);
	assert_int_equal(ct_msg_expect_new(b.b + 1, sizeof(b.b) - 1, &r,
	    SEQ, &len), CT_MSG_EBUF);
	assert_int_equal(ct_msg_expect_del(b.b + 2, sizeof(b.b) - 2,
	    &r.expect, SEQ, &len), CT_MSG_EBUF);
	assert_int_equal(ct_msg_probe(NULL, sizeof(b.b), SEQ, &len),
	    CT_MSG_EBUF);
}

/* Capacity one byte short fails without writing; exact capacity works. */
enum which { W_NEW, W_TIMEOUT, W_DEL, W_PROBE };

static enum ct_msg_err
build(enum which w, void *buf, size_t cap, const struct ct_expect_req *r,
    size_t *len)
{
	switch (w) {
	case W_NEW:
		return ct_msg_expect_new(buf, cap, r, SEQ, len);
	case W_TIMEOUT:
		return ct_msg_expect_timeout(buf, cap, r, SEQ, len);
	case W_DEL:
		return ct_msg_expect_del(buf, cap, &r->expect, SEQ, len);
	case W_PROBE:
		return ct_msg_probe(buf, cap, SEQ, len);
	}
	return CT_MSG_EBUF;
}

static void
check_capacity(enum which w, const struct ct_expect_req *r, size_t need)
{
	struct buf b;
	unsigned char canary[BUF_SIZE];
	size_t len = 0;

	memset(canary, 0xa5, sizeof(canary));
	memcpy(b.b, canary, sizeof(b.b));
	assert_int_equal(build(w, b.b, need - 1, r, &len), CT_MSG_ENOSPC);
	assert_memory_equal(b.b, canary, sizeof(b.b));	/* nothing written */
	assert_int_equal(build(w, b.b, 0, r, &len), CT_MSG_ENOSPC);
	assert_int_equal(build(w, b.b, need, r, &len), CT_MSG_OK);
	assert_int_equal(len, need);
	assert_memory_equal(b.b + need, canary, sizeof(b.b) - need);
	assert_true(need <= CT_MSG_BUFSIZE);
}

static void
test_buffer_too_small(void **state)
{
	struct ct_expect_req r;

	(void)state;
	req4(&r, CT_NAT_NONE);
	check_capacity(W_NEW, &r, LEN_V4);
	check_capacity(W_TIMEOUT, &r, LEN_V4);
	check_capacity(W_DEL, &r, LEN_DEL_V4);
	check_capacity(W_PROBE, &r, LEN_DEL_V4);
	req4(&r, CT_NAT_ORIGINAL);
	check_capacity(W_NEW, &r, LEN_V4_NAT);
	check_capacity(W_TIMEOUT, &r, LEN_V4);
	req6(&r, CT_NAT_NONE);
	check_capacity(W_NEW, &r, LEN_V6);
	check_capacity(W_DEL, &r, LEN_DEL_V6);
	req6(&r, CT_NAT_REPLY);
	check_capacity(W_NEW, &r, LEN_V6_NAT);
	check_capacity(W_TIMEOUT, &r, LEN_V6);
}

static void
test_strerror(void **state)
{
	enum ct_msg_err e, f;

	(void)state;
	for (e = CT_MSG_OK; e <= CT_MSG_ENOMEM; e++) {
		assert_non_null(ct_msg_strerror(e));
		assert_true(strlen(ct_msg_strerror(e)) > 0);
		for (f = CT_MSG_OK; f < e; f++)
			assert_string_not_equal(ct_msg_strerror(e),
			    ct_msg_strerror(f));
	}
	assert_string_equal(ct_msg_strerror((enum ct_msg_err)99),
	    "unknown error");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v4_plain),
		cmocka_unit_test(test_v4_nat_original),
		cmocka_unit_test(test_v4_nat_reply),
		cmocka_unit_test(test_v6_plain),
		cmocka_unit_test(test_v6_nat_original),
		cmocka_unit_test(test_v6_nat_reply),
		cmocka_unit_test(test_fixed_sport),
		cmocka_unit_test(test_v4_ignores_tail_bytes),
		cmocka_unit_test(test_timeout_update),
		cmocka_unit_test(test_permanent),
		cmocka_unit_test(test_del_id),
		cmocka_unit_test(test_get),
		cmocka_unit_test(test_expect_id),
		cmocka_unit_test(test_del),
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_bad_del),
		cmocka_unit_test(test_bad_pointers),
		cmocka_unit_test(test_buffer_too_small),
		cmocka_unit_test(test_strerror),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
