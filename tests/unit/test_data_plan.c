/* Unit tests for the data-channel planner: one row per mode and data path,
 * the rows of DESIGN.md facts 2, 4 and 5 among them, plus the fallbacks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "proxy/data_plan.h"

/* "203.0.113.10:40001", "[2001:db8:1::10]:21", "-" (unset); port 0 left
 * out: "203.0.113.1". */
static const char *
addr_str(int family, const uint8_t *addr, uint16_t port, char *buf,
    size_t cap)
{
	char host[INET6_ADDRSTRLEN];

	if (family == 0)
		return "-";
	inet_ntop(family, addr, host, sizeof(host));
	if (port == 0)
		snprintf(buf, cap, "%s", host);
	else if (family == AF_INET6)
		snprintf(buf, cap, "[%s]:%u", host, port);
	else
		snprintf(buf, cap, "%s:%u", host, port);
	return buf;
}

static const char *
fa_str(const struct net_addr *a, char *buf, size_t cap)
{
	return addr_str(a->family, a->addr, a->port, buf, cap);
}

/* "src:sport>dst:dport"; a source port 0 shows as "src". */
static const char *
tuple_str(const struct ct_tuple *t, char *buf, size_t cap)
{
	char a[64], b[64];

	if (t->family == 0)
		return "-";
	snprintf(buf, cap, "%s>%s", addr_str(t->family, t->src, t->sport, a,
	    sizeof(a)), addr_str(t->family, t->dst, t->dport, b, sizeof(b)));
	return buf;
}

static struct net_addr
fa(const char *host, uint16_t port)
{
	struct net_addr a;

	memset(&a, 0, sizeof(a));
	if (host == NULL)
		return a;
	a.family = strchr(host, ':') != NULL ? AF_INET6 : AF_INET;
	assert_int_equal(inet_pton(a.family, host, a.addr), 1);
	a.port = port;
	return a;
}

/* The lab's addresses (DESIGN.md, test network). */
static void
req_v4(struct data_plan_req *r, enum data_mode mode, bool kernel)
{
	memset(r, 0, sizeof(*r));
	r->mode = mode;
	r->kernel = kernel;
	r->ends.client = fa("203.0.113.10", 40001);
	r->ends.local = fa("203.0.113.1", 21);
	r->ends.be_local = fa("198.51.100.1", 45000);
	r->ends.backend = fa("198.51.100.10", 21);
	r->server_port = 30000;
	r->named = fa("203.0.113.10", 50123);
}

static void
req_v6(struct data_plan_req *r, enum data_mode mode, bool kernel)
{
	memset(r, 0, sizeof(*r));
	r->mode = mode;
	r->kernel = kernel;
	r->ends.client = fa("2001:db8:1::10", 40001);
	r->ends.local = fa("2001:db8:1::1", 990);
	r->ends.be_local = fa("2001:db8:2::1", 45000);
	r->ends.backend = fa("2001:db8:2::10", 21);
	r->server_port = 30000;
	r->named = fa("2001:db8:1::10", 50123);
}

static void m_none(struct data_plan_req *r) { (void)r; }
static void m_public(struct data_plan_req *r)
{
	r->public_addr = fa("192.0.2.7", 0);
}
static void m_public_v6(struct data_plan_req *r)
{
	r->public_addr = fa("2001:db8:9::7", 0);
}
/* An IPv4 client's EPRT naming its own address as ::ffff:a.b.c.d. */
static void m_mapped(struct data_plan_req *r)
{
	r->named = fa("::ffff:203.0.113.10", 50123);
}
/* IPv4 client, IPv6 server: the kernel cannot NAT between them. */
static void m_v6_backend(struct data_plan_req *r)
{
	r->ends.be_local = fa("2001:db8:2::1", 45000);
	r->ends.backend = fa("2001:db8:2::10", 21);
}

struct plan_row {
	const char *name;
	void (*base)(struct data_plan_req *, enum data_mode, bool);
	enum data_mode mode;
	bool kernel;
	void (*mod)(struct data_plan_req *);
	/* expected, after data_plan_port(50000) */
	bool want_kernel;
	enum data_side accepts;
	const char *listen, *peer, *dial, *dial_from;
	const char *master, *expect;
	bool permanent;
	enum ct_nat_dir nat_dir;
	const char *nat;	/* "-" without NAT */
};

static const struct plan_row rows[] = {
	/* Fact 2: the client's connection to public:P is RELATED to its
	 * control connection; any source port. */
	{ "passive relay (fact 2)", req_v4, DATA_PASSIVE, false, m_none,
	  false, DATA_SIDE_CLIENT, "203.0.113.1", "203.0.113.10",
	  "198.51.100.10:30000", "-",
	  "203.0.113.10:40001>203.0.113.1:21", "203.0.113.10>203.0.113.1:50000",
	  true, CT_NAT_NONE, "-" },
	{ "passive relay, public_address", req_v4, DATA_PASSIVE, false,
	  m_public, false, DATA_SIDE_CLIENT, "192.0.2.7", "203.0.113.10",
	  "198.51.100.10:30000", "-",
	  "203.0.113.10:40001>203.0.113.1:21", "203.0.113.10>192.0.2.7:50000",
	  true, CT_NAT_NONE, "-" },
	{ "passive relay, public_address of the other family", req_v4,
	  DATA_PASSIVE, false, m_public_v6, false, DATA_SIDE_CLIENT,
	  "203.0.113.1", "203.0.113.10", "198.51.100.10:30000", "-",
	  "203.0.113.10:40001>203.0.113.1:21", "203.0.113.10>203.0.113.1:50000",
	  true, CT_NAT_NONE, "-" },
	/* Fact 4: master = our control connection to the server; the NAT
	 * tuple's source is the server's passive port. */
	{ "passive kernel (fact 4)", req_v4, DATA_PASSIVE, true, m_none,
	  true, DATA_SIDE_CLIENT, "203.0.113.1", "203.0.113.10", "-", "-",
	  "198.51.100.1:45000>198.51.100.10:21",
	  "203.0.113.10>203.0.113.1:50000", false, CT_NAT_ORIGINAL,
	  "198.51.100.10:30000>203.0.113.10:50000" },
	{ "passive kernel v6 (fact 4)", req_v6, DATA_PASSIVE, true, m_none,
	  true, DATA_SIDE_CLIENT, "2001:db8:1::1", "2001:db8:1::10", "-", "-",
	  "[2001:db8:2::1]:45000>[2001:db8:2::10]:21",
	  "2001:db8:1::10>[2001:db8:1::1]:50000", false, CT_NAT_ORIGINAL,
	  "[2001:db8:2::10]:30000>[2001:db8:1::10]:50000" },
	{ "passive kernel, families differ: relay", req_v4, DATA_PASSIVE,
	  true, m_v6_backend, false, DATA_SIDE_CLIENT, "203.0.113.1",
	  "203.0.113.10", "[2001:db8:2::10]:30000", "-",
	  "203.0.113.10:40001>203.0.113.1:21", "203.0.113.10>203.0.113.1:50000",
	  true, CT_NAT_NONE, "-" },
	/* Active relay: the server connects to our LAN address, RELATED to
	 * our control connection to it; we dial the client from the address
	 * it connected to. */
	{ "active relay", req_v4, DATA_ACTIVE, false, m_none,
	  false, DATA_SIDE_SERVER, "198.51.100.1", "198.51.100.10",
	  "203.0.113.10:50123", "203.0.113.1",
	  "198.51.100.1:45000>198.51.100.10:21",
	  "198.51.100.10>198.51.100.1:50000", false, CT_NAT_NONE, "-" },
	{ "active relay, EPRT names ::ffff:", req_v4, DATA_ACTIVE, false,
	  m_mapped, false, DATA_SIDE_SERVER, "198.51.100.1", "198.51.100.10",
	  "203.0.113.10:50123", "203.0.113.1",
	  "198.51.100.1:45000>198.51.100.10:21",
	  "198.51.100.10>198.51.100.1:50000", false, CT_NAT_NONE, "-" },
	/* Fact 5: master = the client's control connection, NAT in its
	 * reply direction to the port the client named. */
	{ "active kernel (fact 5)", req_v4, DATA_ACTIVE, true, m_none,
	  true, DATA_SIDE_SERVER, "198.51.100.1", "198.51.100.10", "-", "-",
	  "203.0.113.10:40001>203.0.113.1:21",
	  "198.51.100.10>198.51.100.1:50000", false, CT_NAT_REPLY,
	  "203.0.113.10:50123>198.51.100.10:50000" },
	{ "active kernel v6 (fact 5)", req_v6, DATA_ACTIVE, true, m_none,
	  true, DATA_SIDE_SERVER, "2001:db8:2::1", "2001:db8:2::10", "-", "-",
	  "[2001:db8:1::10]:40001>[2001:db8:1::1]:990",
	  "2001:db8:2::10>[2001:db8:2::1]:50000", false, CT_NAT_REPLY,
	  "[2001:db8:1::10]:50123>[2001:db8:2::10]:50000" },
	{ "active kernel, families differ: relay", req_v4, DATA_ACTIVE, true,
	  m_v6_backend, false, DATA_SIDE_SERVER, "2001:db8:2::1",
	  "2001:db8:2::10", "203.0.113.10:50123", "203.0.113.1",
	  "[2001:db8:2::1]:45000>[2001:db8:2::10]:21",
	  "2001:db8:2::10>[2001:db8:2::1]:50000", false, CT_NAT_NONE, "-" },
};

static void
test_rows(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct plan_row *row = &rows[i];
		struct data_plan_req req;
		struct data_plan p;
		char b[128];

		row->base(&req, row->mode, row->kernel);
		row->mod(&req);
		memset(&p, 0xa5, sizeof(p));
		data_plan_make(&req, &p);
		data_plan_port(&p, 50000);
		print_message("  %s\n", row->name);
		assert_int_equal(p.mode, row->mode);
		assert_int_equal(p.kernel, row->want_kernel);
		assert_int_equal(p.accepts, row->accepts);
		assert_string_equal(fa_str(&p.listen, b, sizeof(b)), row->listen);
		assert_string_equal(fa_str(&p.peer, b, sizeof(b)), row->peer);
		assert_string_equal(fa_str(&p.dial, b, sizeof(b)), row->dial);
		assert_string_equal(fa_str(&p.dial_from, b, sizeof(b)),
		    row->dial_from);
		assert_string_equal(tuple_str(&p.expect.master, b, sizeof(b)),
		    row->master);
		assert_string_equal(tuple_str(&p.expect.expect, b, sizeof(b)),
		    row->expect);
		assert_int_equal(p.expect.permanent, row->permanent);
		assert_int_equal(p.expect.nat_dir, row->nat_dir);
		if (row->nat_dir == CT_NAT_NONE) {
			assert_null(p.expect.nat_fn);
			assert_int_equal(p.expect.nat.family, 0);
		} else {
			assert_string_equal(p.expect.nat_fn,
			    "nat-follow-master");
			assert_string_equal(tuple_str(&p.expect.nat, b,
			    sizeof(b)), row->nat);
		}
		/* The caller sets the timeout (data_timeout). */
		assert_int_equal(p.expect.timeout, 0);
	}
}

/* Every tuple of one expectation has one family: ct_msg refuses a mix. */
static void
test_one_family(void **state)
{
	static const enum data_mode modes[] = { DATA_PASSIVE, DATA_ACTIVE };
	size_t m, k;

	(void)state;
	for (m = 0; m < 2; m++)
		for (k = 0; k < 2; k++) {
			struct data_plan_req req;
			struct data_plan p;

			req_v6(&req, modes[m], k == 1);
			data_plan_make(&req, &p);
			assert_int_equal(p.expect.master.family, AF_INET6);
			assert_int_equal(p.expect.expect.family, AF_INET6);
			if (p.kernel)
				assert_int_equal(p.expect.nat.family, AF_INET6);
			/* The peer may connect from any port. */
			assert_int_equal(p.expect.expect.sport, 0);
		}
}

/* The scrubber's choice is the plan's: public_address of the client's
 * family, else the address the client connected to; never a port. */
static void
test_public(void **state)
{
	struct net_addr client = fa("203.0.113.10", 40001);
	struct net_addr local = fa("203.0.113.1", 21);
	struct net_addr pub4 = fa("192.0.2.7", 0), pub6 = fa("2001:db8:9::7", 0);
	struct net_addr none = fa(NULL, 0), a;
	char b[64];

	(void)state;
	a = data_plan_public(&client, &local, &pub4);
	assert_string_equal(fa_str(&a, b, sizeof(b)), "192.0.2.7");
	a = data_plan_public(&client, &local, &pub6);
	assert_string_equal(fa_str(&a, b, sizeof(b)), "203.0.113.1");
	a = data_plan_public(&client, &local, &none);
	assert_string_equal(fa_str(&a, b, sizeof(b)), "203.0.113.1");
}

/* backend_source = client: be_local is the client's own address (the
 * control connection to the server was made from it). The server's side of
 * every data connection uses it, transparently; the client's side and the
 * expectation are those of the gateway rows. */
static void
test_transparent(void **state)
{
	static const struct {
		enum data_mode mode;
		bool v6;
		const char *listen, *peer, *dial, *dial_from, *master, *expect;
	} t[] = {
		{ DATA_PASSIVE, false, "203.0.113.1", "203.0.113.10",
		  "198.51.100.10:30000", "203.0.113.10",
		  "203.0.113.10:40001>203.0.113.1:21",
		  "203.0.113.10>203.0.113.1:50000" },
		/* Active: listen on the client's address (what the server
		 * is told in PORT, the control peer it knows), admit the
		 * server alone, RELATED to the transparent control
		 * connection. */
		{ DATA_ACTIVE, false, "203.0.113.10", "198.51.100.10",
		  "203.0.113.10:50123", "203.0.113.1",
		  "203.0.113.10:45000>198.51.100.10:21",
		  "198.51.100.10>203.0.113.10:50000" },
		{ DATA_PASSIVE, true, "2001:db8:1::1", "2001:db8:1::10",
		  "[2001:db8:2::10]:30000", "2001:db8:1::10",
		  "[2001:db8:1::10]:40001>[2001:db8:1::1]:990",
		  "2001:db8:1::10>[2001:db8:1::1]:50000" },
		{ DATA_ACTIVE, true, "2001:db8:1::10", "2001:db8:2::10",
		  "[2001:db8:1::10]:50123", "2001:db8:1::1",
		  "[2001:db8:1::10]:45000>[2001:db8:2::10]:21",
		  "2001:db8:2::10>[2001:db8:1::10]:50000" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct data_plan_req req;
		struct data_plan p;
		char b[128];

		if (t[i].v6) {
			req_v6(&req, t[i].mode, false);
			req.ends.be_local = fa("2001:db8:1::10", 45000);
		} else {
			req_v4(&req, t[i].mode, false);
			req.ends.be_local = fa("203.0.113.10", 45000);
		}
		req.transparent = true;
		data_plan_make(&req, &p);
		data_plan_port(&p, 50000);
		assert_true(p.transparent);
		assert_false(p.kernel);
		assert_string_equal(fa_str(&p.listen, b, sizeof(b)),
		    t[i].listen);
		assert_string_equal(fa_str(&p.peer, b, sizeof(b)), t[i].peer);
		assert_string_equal(fa_str(&p.dial, b, sizeof(b)), t[i].dial);
		assert_string_equal(fa_str(&p.dial_from, b, sizeof(b)),
		    t[i].dial_from);
		assert_string_equal(tuple_str(&p.expect.master, b, sizeof(b)),
		    t[i].master);
		assert_string_equal(tuple_str(&p.expect.expect, b, sizeof(b)),
		    t[i].expect);
		assert_int_equal(p.expect.nat_dir, CT_NAT_NONE);
		/* Never with the gateway's own rows. */
		req.transparent = false;
		data_plan_make(&req, &p);
		assert_false(p.transparent);
	}
}

static void
test_side_names(void **state)
{
	(void)state;
	assert_string_equal(data_side_name(DATA_SIDE_CLIENT), "client");
	assert_string_equal(data_side_name(DATA_SIDE_SERVER), "FTP server");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_one_family),
		cmocka_unit_test(test_public),
		cmocka_unit_test(test_transparent),
		cmocka_unit_test(test_side_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
