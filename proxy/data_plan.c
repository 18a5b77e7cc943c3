/* The data-channel planner (see data_plan.h). Every difference between
 * passive and active mode and between the relay and the kernel data path is
 * a column of plan_rows[]; the code below only looks the endpoints up. */
#include "proxy/data_plan.h"

#include <string.h>
#include <sys/socket.h>

/* The addresses a row can name. */
enum plan_end {
	PE_NONE,	/* unset (family 0) */
	PE_CLIENT,	/* the client's control connection, its end */
	PE_LOCAL,	/* ... and ours */
	PE_PUBLIC,	/* what the client knows ftpsgw by: public_address
			 * where it has the client's family, else PE_LOCAL;
			 * port 0 */
	PE_BE_LOCAL,	/* our end of the control connection to the server */
	PE_BACKEND,	/* the server's end of it */
	PE_SERVER_DATA,	/* the server's passive port (227/229) */
	PE_NAMED,	/* the port the client's PORT/EPRT named */
};

struct plan_row {
	enum data_mode mode;
	bool kernel;
	enum data_side accepts;
	enum plan_end listen, peer, dial, dial_from;
	/* The expectation's master: a control connection, original
	 * direction, which the kernel's ftp helper is attached to. */
	enum plan_end master_src, master_dst;
	/* Admit every connection from peer until deleted (the relay's
	 * passive port waits past an impostor, data.c). */
	bool permanent;
	/* Kernel path: the expected connection is rewritten to go from
	 * nat_dst's address to nat_src (address and port), by the kernel's
	 * "nat-follow-master" in direction nat_dir. */
	enum ct_nat_dir nat_dir;
	enum plan_end nat_src, nat_dst;
};

static const char plan_nat_fn[] = "nat-follow-master";

static const struct plan_row plan_rows[] = {
	/* Passive, relay (DESIGN.md fact 2): the client connects to our
	 * public address, admitted as RELATED to its control connection;
	 * we dial the server's passive port. */
	{ DATA_PASSIVE, false, DATA_SIDE_CLIENT,
	  PE_PUBLIC, PE_CLIENT, PE_SERVER_DATA, PE_NONE,
	  PE_CLIENT, PE_LOCAL, true, CT_NAT_NONE, PE_NONE, PE_NONE },
	/* Passive, kernel (fact 4): master = our control connection to the
	 * server; the client's connection is sent to the server's passive
	 * port from our LAN address, the peer the server knows. */
	{ DATA_PASSIVE, true, DATA_SIDE_CLIENT,
	  PE_PUBLIC, PE_CLIENT, PE_NONE, PE_NONE,
	  PE_BE_LOCAL, PE_BACKEND, false, CT_NAT_ORIGINAL, PE_SERVER_DATA,
	  PE_CLIENT },
	/* Active, relay: the server connects to our LAN address (our PORT
	 * named it), RELATED to our control connection to it; we dial the
	 * port the client named, from the address it connected to. */
	{ DATA_ACTIVE, false, DATA_SIDE_SERVER,
	  PE_BE_LOCAL, PE_BACKEND, PE_NAMED, PE_LOCAL,
	  PE_BE_LOCAL, PE_BACKEND, false, CT_NAT_NONE, PE_NONE, PE_NONE },
	/* Active, kernel (fact 5): master = the client's control
	 * connection, NAT in its reply direction to the port the client
	 * named. */
	{ DATA_ACTIVE, true, DATA_SIDE_SERVER,
	  PE_BE_LOCAL, PE_BACKEND, PE_NONE, PE_NONE,
	  PE_CLIENT, PE_LOCAL, false, CT_NAT_REPLY, PE_NAMED, PE_BACKEND },
};

static struct net_addr
plan_end(const struct data_plan_req *req, enum plan_end e)
{
	const struct data_ends *x = &req->ends;
	struct net_addr a;

	memset(&a, 0, sizeof(a));
	switch (e) {
	case PE_NONE:
		break;
	case PE_CLIENT:
		a = x->client;
		break;
	case PE_LOCAL:
		a = x->local;
		break;
	case PE_PUBLIC:
		a = data_plan_public(&x->client, &x->local, &req->public_addr);
		break;
	case PE_BE_LOCAL:
		a = x->be_local;
		break;
	case PE_BACKEND:
		a = x->backend;
		break;
	case PE_SERVER_DATA:
		a = x->backend;
		a.port = req->server_port;
		break;
	case PE_NAMED:
		/* An IPv4 client's EPRT may name ::ffff:a.b.c.d: the same
		 * host (checked), reached as IPv4. */
		a = req->named;
		if (a.family == AF_INET6 && x->client.family == AF_INET)
			memcpy(a.addr, x->client.addr, sizeof(a.addr));
		a.family = x->client.family;
		break;
	}
	return a;
}

static void
plan_tuple(struct ct_tuple *t, const struct net_addr *src,
    const struct net_addr *dst)
{
	t->family = src->family;
	memcpy(t->src, src->addr, sizeof(t->src));
	memcpy(t->dst, dst->addr, sizeof(t->dst));
	t->sport = src->port;
	t->dport = dst->port;
}

void
data_plan_make(const struct data_plan_req *req, struct data_plan *out)
{
	/* No NAT between IPv4 and IPv6: such a session relays. */
	bool kernel = req->kernel &&
	    req->ends.client.family == req->ends.backend.family;
	const struct plan_row *r = NULL;
	struct net_addr msrc, mdst;
	size_t i;

	for (i = 0; i < sizeof(plan_rows) / sizeof(plan_rows[0]); i++)
		if (plan_rows[i].mode == req->mode &&
		    plan_rows[i].kernel == kernel)
			r = &plan_rows[i];
	memset(out, 0, sizeof(*out));
	if (r == NULL)
		return;	/* cannot be: the rows cover both modes and paths */
	out->mode = r->mode;
	out->kernel = r->kernel;
	out->accepts = r->accepts;
	out->listen = plan_end(req, r->listen);
	out->listen.port = 0;
	out->peer = plan_end(req, r->peer);
	out->peer.port = 0;
	out->dial = plan_end(req, r->dial);
	out->dial_from = plan_end(req, r->dial_from);
	out->dial_from.port = 0;

	/* Transparent source: the server's side of the channel uses the
	 * client's address, as the control connection to the server does
	 * (be_local), so the server's own check that the data peer is the
	 * control peer passes. Active: the row already listens on be_local,
	 * and the expectation's master is that connection. Passive: the dial
	 * to the server's port is made from it. */
	if (req->transparent && !kernel) {
		out->transparent = true;
		if (r->accepts == DATA_SIDE_CLIENT) {
			out->dial_from = req->ends.be_local;
			out->dial_from.port = 0;
		}
	}

	msrc = plan_end(req, r->master_src);
	mdst = plan_end(req, r->master_dst);
	plan_tuple(&out->expect.master, &msrc, &mdst);
	/* From the peer's address, any port, to our port (set later). */
	plan_tuple(&out->expect.expect, &out->peer, &out->listen);
	out->expect.permanent = r->permanent;
	out->expect.nat_dir = r->nat_dir;
	if (r->nat_dir != CT_NAT_NONE) {
		struct net_addr to = plan_end(req, r->nat_src);
		struct net_addr from = plan_end(req, r->nat_dst);

		from.port = 0;	/* our port: data_plan_port */
		plan_tuple(&out->expect.nat, &to, &from);
		out->expect.nat_fn = plan_nat_fn;
	}
}

void
data_plan_port(struct data_plan *plan, uint16_t p)
{
	plan->expect.expect.dport = p;
	if (plan->expect.nat_dir != CT_NAT_NONE)
		plan->expect.nat.dport = p;
}

struct net_addr
data_plan_public(const struct net_addr *client, const struct net_addr *local,
    const struct net_addr *public_addr)
{
	struct net_addr a = public_addr->family == client->family ?
	    *public_addr : *local;

	a.port = 0;
	return a;
}

const char *
data_side_name(enum data_side side)
{
	return side == DATA_SIDE_CLIENT ? "client" : "FTP server";
}
