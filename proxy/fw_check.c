/* Reading nft's JSON ruleset for the ftp helper on ftpsgw's control
 * connections and for a type nat chain (see fw_check.h). A rule is judged
 * against the one connection asked about: its family, TCP, its destination
 * address and port. Conditions on anything else may hold. */
#include "proxy/fw_check.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

/* Jumps followed at most this deep (nft itself allows 16). */
#define FW_JUMP_DEPTH	16
/* Items of the ruleset looked at per question at most (each chain read
 * walks the list): chains that jump to chains that jump could otherwise
 * make the reading exponential. Past it, the answer is "may attach". */
#define FW_STEP_BUDGET	2000000u
/* NF_IP_PRI_CONNTRACK: a chain at or before it runs before the conntrack
 * exists, and a helper set there is lost. */
#define FW_PRIO_CONNTRACK	(-200)
/* Names (tables, chains, sets, helpers) are at most 256 bytes in nft. */
#define FW_NAME_MAX	257

/* Does a condition hold for the connection? */
enum fw_tri { FW_NO, FW_MAYBE, FW_YES };

/* What a rule's left-hand side reads of the connection. */
enum fw_field {
	FWF_UNKNOWN,		/* something else: may hold */
	FWF_NEVER,		/* a header the connection lacks (udp, ip6 of
				 * an IPv4 one): the match fails, whatever
				 * the operator */
	FWF_DADDR, FWF_DPORT, FWF_NFPROTO, FWF_L4PROTO, FWF_ETHERTYPE,
};

#define FW_CONCAT_MAX	8

/* A rule's outcome for the connection. */
enum fw_rule {
	FWR_ON,			/* goes on to the next rule */
	FWR_ATTACH,		/* may attach an ftp helper */
	FWR_END,		/* surely ends the chain before any */
};

struct fw_ctx {
	const struct json_doc *d;
	size_t list;			/* the "nftables" array */
	const struct fw_conn *c;
	/* The table being read. */
	size_t family, table;		/* string tokens of the chain item */
	/* The base chain runs after the conntrack exists (priority above
	 * raw): only then does `ct helper set` reach it. */
	bool after_ct;
	unsigned budget;		/* items left to look at */
};

static enum fw_tri
fw_min(enum fw_tri a, enum fw_tri b)
{
	return a < b ? a : b;
}

static enum fw_tri
fw_not(enum fw_tri a)
{
	return a == FW_YES ? FW_NO : a == FW_NO ? FW_YES : FW_MAYBE;
}

/* Both string tokens decode to the same name. */
static bool
fw_same(const struct json_doc *d, size_t a, size_t b)
{
	char x[FW_NAME_MAX], y[FW_NAME_MAX];
	const struct json_tok *ta, *tb;

	if (a >= d->n || b >= d->n)
		return false;
	ta = &d->tok[a];
	tb = &d->tok[b];
	if (ta->type != JSON_STRING || tb->type != JSON_STRING)
		return false;
	/* Without escapes the text is the name (the common case, and the
	 * one that must be quick: every rule's table and chain). */
	if (memchr(d->text + ta->start, '\\', ta->len) == NULL &&
	    memchr(d->text + tb->start, '\\', tb->len) == NULL)
		return ta->len == tb->len && memcmp(d->text + ta->start,
		    d->text + tb->start, ta->len) == 0;
	return json_str(d, a, x, sizeof(x)) >= 0 &&
	    json_str(d, b, y, sizeof(y)) >= 0 && strcmp(x, y) == 0;
}

/* The value of item i of the list when it is a `kind` ({"kind": {...}}). */
static size_t
fw_item(const struct fw_ctx *x, size_t i, const char *kind)
{
	size_t key, v = json_sole(x->d, i, &key);

	if (v == JSON_NONE || !json_str_eq(x->d, key, kind))
		return JSON_NONE;
	return v;
}

/* obj's family and table are the ones being read. */
static bool
fw_in_table(const struct fw_ctx *x, size_t obj)
{
	return fw_same(x->d, json_get(x->d, obj, "family"), x->family) &&
	    fw_same(x->d, json_get(x->d, obj, "table"), x->table);
}

/* The object named name of `kind` in the table being read. */
static size_t
fw_find(const struct fw_ctx *x, const char *kind, size_t name)
{
	size_t i, v;

	for (i = json_first(x->d, x->list); i != JSON_NONE;
	    i = json_next(x->d, x->list, i)) {
		v = fw_item(x, i, kind);
		if (v != JSON_NONE && fw_in_table(x, v) &&
		    fw_same(x->d, json_get(x->d, v, "name"), name))
			return v;
	}
	return JSON_NONE;
}

/* A table family nft names that the connection passes through. */
static bool
fw_family_ok(const struct json_doc *d, size_t fam, int family)
{
	return json_str_eq(d, fam, "inet") || json_str_eq(d, fam,
	    family == AF_INET6 ? "ip6" : "ip");
}

/* ---- values ---- */

static enum fw_tri
fw_bool(bool b)
{
	return b ? FW_YES : FW_NO;
}

/* A number or a numeric string; -1 otherwise. */
static int64_t
fw_number(const struct json_doc *d, size_t v)
{
	char s[32];
	int64_t n = 0;
	size_t k;
	int len;

	if (json_int(d, v, &n) == 0)
		return n;
	len = json_str(d, v, s, sizeof(s));
	if (len <= 0 || len > 9)
		return -1;
	for (k = 0; k < (size_t)len; k++) {
		if (s[k] < '0' || s[k] > '9')
			return -1;
		n = n * 10 + (s[k] - '0');
	}
	return n;
}

/* A port as nft prints it: a number, or a service name when run with
 * -S; -1 for a name it does not know. */
static int64_t
fw_port(const struct json_doc *d, size_t v)
{
	if (json_str_eq(d, v, "ftp"))
		return 21;
	if (json_str_eq(d, v, "ftps"))
		return 990;
	return fw_number(d, v);
}

/* An address of the connection's family from string token v. */
static bool
fw_addr(const struct fw_ctx *x, size_t v, uint8_t out[16])
{
	char s[INET6_ADDRSTRLEN + 1];

	memset(out, 0, 16);
	return json_str(x->d, v, s, sizeof(s)) >= 0 &&
	    inet_pton(x->c->family, s, out) == 1;
}

static size_t
fw_alen(const struct fw_ctx *x)
{
	return x->c->family == AF_INET6 ? 16 : 4;
}

/* The connection's value of field against one scalar v. */
static enum fw_tri
fw_scalar(const struct fw_ctx *x, enum fw_field f, size_t v)
{
	const struct json_doc *d = x->d;
	uint8_t a[16];
	int64_t n;

	switch (f) {
	case FWF_DADDR:
		if (x->c->any_addr || !fw_addr(x, v, a))
			return FW_MAYBE;
		return fw_bool(memcmp(a, x->c->daddr, fw_alen(x)) == 0);
	case FWF_DPORT:
		n = fw_port(d, v);
		return n < 0 ? FW_MAYBE : fw_bool(n == x->c->dport);
	case FWF_NFPROTO:
		if (json_str_eq(d, v, "ipv4") || fw_number(d, v) == 2)
			return fw_bool(x->c->family == AF_INET);
		if (json_str_eq(d, v, "ipv6") || fw_number(d, v) == 10)
			return fw_bool(x->c->family == AF_INET6);
		return FW_MAYBE;
	case FWF_L4PROTO:
		if (json_str_eq(d, v, "tcp") || fw_number(d, v) == 6)
			return FW_YES;
		return d->tok[v].type == JSON_STRING ||
		    fw_number(d, v) >= 0 ? FW_NO : FW_MAYBE;
	case FWF_ETHERTYPE:
		if (json_str_eq(d, v, "ip") || fw_number(d, v) == 0x0800)
			return fw_bool(x->c->family == AF_INET);
		if (json_str_eq(d, v, "ip6") || fw_number(d, v) == 0x86dd)
			return fw_bool(x->c->family == AF_INET6);
		return FW_MAYBE;
	default:
		return FW_MAYBE;
	}
}

/* "addr/len" as {"prefix": {"addr": A, "len": L}}. */
static enum fw_tri
fw_prefix(const struct fw_ctx *x, size_t p)
{
	uint8_t a[16];
	int64_t len;
	size_t full, bits;

	if (x->c->any_addr ||
	    !fw_addr(x, json_get(x->d, p, "addr"), a) ||
	    json_int(x->d, json_get(x->d, p, "len"), &len) != 0 || len < 0 ||
	    (size_t)len > fw_alen(x) * 8)
		return FW_MAYBE;
	full = (size_t)len / 8;
	bits = (size_t)len % 8;
	if (memcmp(a, x->c->daddr, full) != 0)
		return FW_NO;
	if (bits != 0) {
		uint8_t mask = (uint8_t)(0xffu << (8 - bits));

		if ((a[full] & mask) != (x->c->daddr[full] & mask))
			return FW_NO;
	}
	return FW_YES;
}

/* {"range": [lo, hi]} */
static enum fw_tri
fw_range(const struct fw_ctx *x, enum fw_field f, size_t r)
{
	size_t lo = json_first(x->d, r), hi;
	uint8_t a[16], b[16];
	int64_t p, q;

	hi = lo == JSON_NONE ? JSON_NONE : json_next(x->d, r, lo);
	if (hi == JSON_NONE)
		return FW_MAYBE;
	if (f == FWF_DPORT) {
		p = fw_port(x->d, lo);
		q = fw_port(x->d, hi);
		if (p < 0 || q < 0)
			return FW_MAYBE;
		return fw_bool(p <= x->c->dport && x->c->dport <= q);
	}
	if (f == FWF_DADDR && !x->c->any_addr && fw_addr(x, lo, a) &&
	    fw_addr(x, hi, b))
		return fw_bool(memcmp(a, x->c->daddr, fw_alen(x)) <= 0 &&
		    memcmp(x->c->daddr, b, fw_alen(x)) <= 0);
	return FW_MAYBE;
}

/* One value (an element of a set, or a match's right side) against one
 * field: a scalar, a range or a prefix. */
static enum fw_tri
fw_value(const struct fw_ctx *x, enum fw_field f, size_t v)
{
	const struct json_doc *d = x->d;
	size_t key, inner;

	if (v >= d->n)
		return FW_MAYBE;
	if (d->tok[v].type != JSON_OBJECT)
		return fw_scalar(x, f, v);
	inner = json_sole(d, v, &key);
	if (inner == JSON_NONE)
		return FW_MAYBE;
	if (json_str_eq(d, key, "range"))
		return fw_range(x, f, inner);
	if (json_str_eq(d, key, "prefix"))
		return f == FWF_DADDR ? fw_prefix(x, inner) : FW_MAYBE;
	return FW_MAYBE;
}

/* A set element against the left side's fields: {"elem": {"val": V}}
 * wraps V; a concatenation's parts are compared one by one. */
static enum fw_tri
fw_elem(const struct fw_ctx *x, const enum fw_field *f, size_t nf, size_t e)
{
	const struct json_doc *d = x->d;
	enum fw_tri t = FW_YES;
	size_t key, inner, part, k;

	inner = json_sole(d, e, &key);
	if (inner != JSON_NONE && json_str_eq(d, key, "elem"))
		return fw_elem(x, f, nf, json_get(d, inner, "val"));
	if (nf == 1)
		return fw_value(x, f[0], e);
	if (inner == JSON_NONE || !json_str_eq(d, key, "concat"))
		return FW_MAYBE;
	part = json_first(d, inner);
	for (k = 0; k < nf; k++) {
		if (part == JSON_NONE)
			return FW_MAYBE;
		t = fw_min(t, fw_value(x, f[k], part));
		part = json_next(d, inner, part);
	}
	return t;
}

/* Is the connection's value in the set (an array of elements)? */
static enum fw_tri
fw_in_array(const struct fw_ctx *x, const enum fw_field *f, size_t nf,
    size_t arr)
{
	enum fw_tri best = FW_NO;
	size_t e;

	for (e = json_first(x->d, arr); e != JSON_NONE && best != FW_YES;
	    e = json_next(x->d, arr, e)) {
		enum fw_tri t = fw_elem(x, f, nf, e);

		if (t > best)
			best = t;
	}
	return best;
}

/* Is the connection's value in right: one value, an anonymous set
 * ({"set": ...} or an array) or a named one ("@name")? */
static enum fw_tri
fw_member(const struct fw_ctx *x, const enum fw_field *f, size_t nf,
    size_t right)
{
	const struct json_doc *d = x->d;
	char name[FW_NAME_MAX];
	size_t key, inner, set, elems, i;

	if (right >= d->n)
		return FW_MAYBE;
	if (d->tok[right].type == JSON_ARRAY)
		return fw_in_array(x, f, nf, right);
	if (json_str(d, right, name, sizeof(name)) > 0 && name[0] == '@') {
		set = JSON_NONE;
		for (i = json_first(d, x->list); i != JSON_NONE && set ==
		    JSON_NONE; i = json_next(d, x->list, i)) {
			size_t v = fw_item(x, i, "set");
			char have[FW_NAME_MAX];

			if (v != JSON_NONE && fw_in_table(x, v) &&
			    json_str(d, json_get(d, v, "name"), have,
			    sizeof(have)) >= 0 && strcmp(have, name + 1) == 0)
				set = v;
		}
		if (set == JSON_NONE)
			return FW_MAYBE;	/* a map, or not listed */
		elems = json_get(d, set, "elem");
		if (elems == JSON_NONE)
			return FW_NO;		/* an empty set */
		if (d->tok[elems].type == JSON_ARRAY)
			return fw_in_array(x, f, nf, elems);
		return fw_elem(x, f, nf, elems);
	}
	inner = json_sole(d, right, &key);
	if (inner != JSON_NONE && json_str_eq(d, key, "set")) {
		if (d->tok[inner].type == JSON_ARRAY)
			return fw_in_array(x, f, nf, inner);
		return fw_elem(x, f, nf, inner);
	}
	return fw_elem(x, f, nf, right);
}

/* ---- conditions ---- */

/* What an expression of the left side reads of the connection. */
static enum fw_field
fw_field(const struct fw_ctx *x, size_t e)
{
	static const char *const never[] = { "udp", "udplite", "sctp",
	    "dccp", "icmp", "icmpv6", "igmp", "esp", "ah", "comp", "arp" };
	const struct json_doc *d = x->d;
	size_t key, v = json_sole(d, e, &key), proto, field, i;
	bool v6 = x->c->family == AF_INET6;

	if (v == JSON_NONE)
		return FWF_UNKNOWN;
	if (json_str_eq(d, key, "meta")) {
		size_t k = json_get(d, v, "key");

		if (json_str_eq(d, k, "nfproto"))
			return FWF_NFPROTO;
		if (json_str_eq(d, k, "l4proto"))
			return FWF_L4PROTO;
		if (json_str_eq(d, k, "protocol"))
			return FWF_ETHERTYPE;
		return FWF_UNKNOWN;
	}
	if (!json_str_eq(d, key, "payload"))
		return FWF_UNKNOWN;
	proto = json_get(d, v, "protocol");
	field = json_get(d, v, "field");
	if (json_str_eq(d, proto, "ip") || json_str_eq(d, proto, "ip6")) {
		/* ip6 payload on an IPv4 connection: nft's implicit
		 * `meta nfproto ipv6` fails first. */
		if (json_str_eq(d, proto, "ip6") != v6)
			return FWF_NEVER;
		if (json_str_eq(d, field, "daddr"))
			return FWF_DADDR;
		if (json_str_eq(d, field, v6 ? "nexthdr" : "protocol"))
			return FWF_L4PROTO;
		return FWF_UNKNOWN;
	}
	if (json_str_eq(d, proto, "tcp") || json_str_eq(d, proto, "th"))
		return json_str_eq(d, field, "dport") ? FWF_DPORT :
		    FWF_UNKNOWN;
	for (i = 0; i < sizeof(never) / sizeof(never[0]); i++)
		if (json_str_eq(d, proto, never[i]))
			return FWF_NEVER;
	return FWF_UNKNOWN;
}

/* {"match": {"op": OP, "left": L, "right": R}} for the connection. */
static enum fw_tri
fw_match(const struct fw_ctx *x, size_t m)
{
	const struct json_doc *d = x->d;
	enum fw_field f[FW_CONCAT_MAX];
	size_t op = json_get(d, m, "op"), left = json_get(d, m, "left");
	size_t right = json_get(d, m, "right"), key, parts, p, nf = 0;
	int64_t n;

	if (left == JSON_NONE || right == JSON_NONE)
		return FW_MAYBE;
	parts = json_sole(d, left, &key);
	if (parts != JSON_NONE && json_str_eq(d, key, "concat")) {
		for (p = json_first(d, parts); p != JSON_NONE;
		    p = json_next(d, parts, p)) {
			if (nf == FW_CONCAT_MAX)
				return FW_MAYBE;
			f[nf] = fw_field(x, p);
			if (f[nf++] == FWF_NEVER)
				return FW_NO;
		}
	} else {
		f[nf++] = fw_field(x, left);
	}
	if (nf == 1 && f[0] == FWF_NEVER)
		return FW_NO;
	if (nf == 0 || (nf == 1 && f[0] == FWF_UNKNOWN))
		return FW_MAYBE;
	if (op == JSON_NONE || json_str_eq(d, op, "==") ||
	    json_str_eq(d, op, "in"))
		return fw_member(x, f, nf, right);
	if (json_str_eq(d, op, "!="))
		return fw_not(fw_member(x, f, nf, right));
	if (nf != 1 || f[0] != FWF_DPORT || (n = fw_port(d, right)) < 0)
		return FW_MAYBE;
	if (json_str_eq(d, op, "<"))
		return fw_bool(x->c->dport < n);
	if (json_str_eq(d, op, "<="))
		return fw_bool(x->c->dport <= n);
	if (json_str_eq(d, op, ">"))
		return fw_bool(x->c->dport > n);
	if (json_str_eq(d, op, ">="))
		return fw_bool(x->c->dport >= n);
	return FW_MAYBE;
}

/* ---- chains and rules ---- */

static bool fw_chain(struct fw_ctx *x, size_t name, unsigned depth);

/* The ct helper object called name (string token) is the kernel's ftp
 * helper for TCP and the connection's family. */
static bool
fw_ftp_helper(const struct fw_ctx *x, size_t name)
{
	size_t h = fw_find(x, "ct helper", name), proto, l3;

	if (h == JSON_NONE || !json_str_eq(x->d, json_get(x->d, h, "type"),
	    "ftp"))
		return false;
	proto = json_get(x->d, h, "protocol");
	if (proto != JSON_NONE && !json_str_eq(x->d, proto, "tcp"))
		return false;
	l3 = json_get(x->d, h, "l3proto");
	return l3 == JSON_NONE || json_str_eq(x->d, l3, "inet") ||
	    fw_family_ok(x->d, l3, x->c->family);
}

/* The jump and goto targets of a verdict map whose key may be the
 * connection's: may one attach? */
static bool
fw_vmap(struct fw_ctx *x, size_t vmap, unsigned depth)
{
	const struct json_doc *d = x->d;
	size_t data = json_get(d, vmap, "data"), key, set, e, v, target;
	enum fw_field f = fw_field(x, json_get(d, vmap, "key"));

	if (f == FWF_NEVER)
		return false;
	set = json_sole(d, data, &key);
	if (set == JSON_NONE || !json_str_eq(d, key, "set"))
		return false;
	for (e = json_first(d, set); e != JSON_NONE; e = json_next(d, set, e)) {
		/* [key, {"jump": {"target": NAME}}] */
		size_t k = json_first(d, e), verdict = json_next(d, e, k);

		if (k == JSON_NONE || (f != FWF_UNKNOWN &&
		    fw_elem(x, &f, 1, k) == FW_NO))
			continue;
		v = json_sole(d, verdict, &key);
		if (v == JSON_NONE || (!json_str_eq(d, key, "jump") &&
		    !json_str_eq(d, key, "goto")))
			continue;
		target = json_get(d, v, "target");
		if (target != JSON_NONE && fw_chain(x, target, depth + 1))
			return true;
	}
	return false;
}

/* One rule's statements, in order, for the connection. */
static enum fw_rule
fw_rule(struct fw_ctx *x, size_t rule, unsigned depth)
{
	static const char *const ends[] = { "accept", "drop", "reject",
	    "return", "queue" };
	const struct json_doc *d = x->d;
	size_t exprs = json_get(d, rule, "expr"), e, key, v, i;
	enum fw_tri m = FW_YES;

	for (e = json_first(d, exprs); e != JSON_NONE;
	    e = json_next(d, exprs, e)) {
		v = json_sole(d, e, &key);
		if (v == JSON_NONE)
			continue;
		if (json_str_eq(d, key, "match")) {
			m = fw_min(m, fw_match(x, v));
			if (m == FW_NO)
				return FWR_ON;
			continue;
		}
		if (json_str_eq(d, key, "ct helper")) {
			/* A map or an expression: it may name ftp. */
			if (x->after_ct && (d->tok[v].type != JSON_STRING ||
			    fw_ftp_helper(x, v)))
				return FWR_ATTACH;
			continue;
		}
		/* iptables-nft's `-j CT --helper ...` (raw table, before the
		 * conntrack, which the CT template then gets): the helper's
		 * name is not shown, so it may be ftp. */
		if (json_str_eq(d, key, "xt") &&
		    json_str_eq(d, json_get(d, v, "type"), "target") &&
		    json_str_eq(d, json_get(d, v, "name"), "CT"))
			return FWR_ATTACH;
		if (json_str_eq(d, key, "jump") || json_str_eq(d, key,
		    "goto")) {
			if (fw_chain(x, json_get(d, v, "target"), depth + 1))
				return FWR_ATTACH;
			/* A goto does not come back. */
			return json_str_eq(d, key, "goto") && m == FW_YES ?
			    FWR_END : FWR_ON;
		}
		if (json_str_eq(d, key, "vmap"))
			return fw_vmap(x, v, depth) ? FWR_ATTACH : FWR_ON;
		for (i = 0; i < sizeof(ends) / sizeof(ends[0]); i++)
			if (json_str_eq(d, key, ends[i]))
				return m == FW_YES ? FWR_END : FWR_ON;
	}
	return FWR_ON;
}

/* The rules of chain name (a string token) in the table being read. */
static bool
fw_chain(struct fw_ctx *x, size_t name, unsigned depth)
{
	size_t i, r;

	if (depth > FW_JUMP_DEPTH || name == JSON_NONE)
		return false;
	for (i = json_first(x->d, x->list); i != JSON_NONE;
	    i = json_next(x->d, x->list, i)) {
		if (x->budget == 0)
			return true;
		x->budget--;
		r = fw_item(x, i, "rule");
		if (r == JSON_NONE || !fw_in_table(x, r) ||
		    !fw_same(x->d, json_get(x->d, r, "chain"), name))
			continue;
		switch (fw_rule(x, r, depth)) {
		case FWR_ATTACH:
			return true;
		case FWR_END:
			return false;
		case FWR_ON:
			break;
		}
	}
	return false;
}

/* A base chain's priority lets it see the conntrack: above raw. */
static bool
fw_after_conntrack(const struct json_doc *d, size_t prio)
{
	int64_t p;

	if (json_int(d, prio, &p) == 0)
		return p > FW_PRIO_CONNTRACK;
	return !json_str_eq(d, prio, "raw");
}

bool
fw_check_is_ruleset(const struct json_doc *d)
{
	size_t list = json_get(d, 0, "nftables");

	return list != JSON_NONE && d->tok[list].type == JSON_ARRAY;
}

bool
fw_check_helper(const struct json_doc *d, const struct fw_conn *conn)
{
	struct fw_ctx x = { .d = d, .c = conn, .budget = FW_STEP_BUDGET };
	const char *hook = conn->hook == FW_HOOK_OUTPUT ? "output" :
	    "prerouting";
	size_t i, ch;

	if (!fw_check_is_ruleset(d))
		return false;
	x.list = json_get(d, 0, "nftables");
	for (i = json_first(d, x.list); i != JSON_NONE;
	    i = json_next(d, x.list, i)) {
		ch = fw_item(&x, i, "chain");
		if (ch == JSON_NONE ||
		    !json_str_eq(d, json_get(d, ch, "hook"), hook))
			continue;
		x.after_ct = fw_after_conntrack(d, json_get(d, ch, "prio"));
		x.family = json_get(d, ch, "family");
		x.table = json_get(d, ch, "table");
		if (!fw_family_ok(d, x.family, conn->family))
			continue;
		if (fw_chain(&x, json_get(d, ch, "name"), 0))
			return true;
	}
	return false;
}

bool
fw_check_nat(const struct json_doc *d, int family)
{
	struct fw_ctx x = { .d = d };
	size_t i, ch;

	if (!fw_check_is_ruleset(d))
		return false;
	x.list = json_get(d, 0, "nftables");
	for (i = json_first(d, x.list); i != JSON_NONE;
	    i = json_next(d, x.list, i)) {
		ch = fw_item(&x, i, "chain");
		if (ch != JSON_NONE &&
		    json_str_eq(d, json_get(d, ch, "type"), "nat") &&
		    fw_family_ok(d, json_get(d, ch, "family"), family))
			return true;
	}
	return false;
}

/* ---- backend_source = client ---- */

/* A match of expr list e on {"socket": {"key": "transparent"}}, or
 * iptables-nft's socket match. */
static bool
fw_expr_socket(const struct json_doc *d, size_t e)
{
	size_t m, key, v;

	if ((m = json_sole(d, e, &key)) == JSON_NONE)
		return false;
	if (json_str_eq(d, key, "xt"))
		return json_str_eq(d, json_get(d, m, "name"), "socket");
	if (!json_str_eq(d, key, "match"))
		return false;
	v = json_sole(d, json_get(d, m, "left"), &key);
	return v != JSON_NONE && json_str_eq(d, key, "socket") &&
	    json_str_eq(d, json_get(d, v, "key"), "transparent");
}

/* {"mangle": {"key": {"meta": {"key": "mark"}}, ...}}, or the MARK
 * target of iptables-nft. */
static bool
fw_expr_mark(const struct json_doc *d, size_t e)
{
	size_t m, key, v;

	if ((m = json_sole(d, e, &key)) == JSON_NONE)
		return false;
	if (json_str_eq(d, key, "xt"))
		return json_str_eq(d, json_get(d, m, "name"), "MARK");
	if (!json_str_eq(d, key, "mangle"))
		return false;
	v = json_sole(d, json_get(d, m, "key"), &key);
	return v != JSON_NONE && json_str_eq(d, key, "meta") &&
	    json_str_eq(d, json_get(d, v, "key"), "mark");
}

bool
fw_check_transparent(const struct json_doc *d, int family)
{
	struct fw_ctx x = { .d = d };
	size_t i, r, e, ch;
	bool sock, mark;

	if (!fw_check_is_ruleset(d))
		return false;
	x.list = json_get(d, 0, "nftables");
	for (i = json_first(d, x.list); i != JSON_NONE;
	    i = json_next(d, x.list, i)) {
		r = fw_item(&x, i, "rule");
		if (r == JSON_NONE ||
		    !fw_family_ok(d, json_get(d, r, "family"), family))
			continue;
		sock = mark = false;
		for (e = json_first(d, json_get(d, r, "expr")); e != JSON_NONE;
		    e = json_next(d, json_get(d, r, "expr"), e)) {
			sock = sock || fw_expr_socket(d, e);
			mark = mark || fw_expr_mark(d, e);
		}
		if (!sock || !mark)
			continue;
		x.family = json_get(d, r, "family");
		x.table = json_get(d, r, "table");
		ch = fw_find(&x, "chain", json_get(d, r, "chain"));
		if (ch != JSON_NONE &&
		    json_str_eq(d, json_get(d, ch, "hook"), "prerouting"))
			return true;
	}
	return false;
}

bool
fw_check_ip_rule(const struct json_doc *d, const char *mark,
    const char *table)
{
	size_t i;

	for (i = json_first(d, 0); i != JSON_NONE; i = json_next(d, 0, i))
		if (json_str_eq(d, json_get(d, i, "fwmark"), mark) &&
		    json_str_eq(d, json_get(d, i, "table"), table))
			return true;
	return false;
}

bool
fw_check_local_route(const struct json_doc *d)
{
	size_t i;

	for (i = json_first(d, 0); i != JSON_NONE; i = json_next(d, 0, i))
		if (json_str_eq(d, json_get(d, i, "type"), "local") &&
		    json_str_eq(d, json_get(d, i, "dst"), "default"))
			return true;
	return false;
}
