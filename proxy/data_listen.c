/* A data channel's port: listening at a port from passive_ports, the
 * peer-address check on every connection that comes, and the conntrack
 * expectation (built by the planner, proxy/data_plan.c) that lets the
 * connection through the router. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proxy/admission.h"
#include "proxy/config.h"
#include "proxy/data_int.h"
#include "proxy/ftp_parse.h"
#include "proxy/log.h"
#include "proxy/transparent.h"
#include "proxy/voice.h"

void
data_port_put(struct data_chan *dc)
{
	if (!dc->port_held)
		return;
	dc->port_held = false;
	gw_port_release(dc->p.gw, dc->port);
}

static void
data_ports_exhausted(struct data_chan *dc, const char **reply)
{
	const struct config *cfg = dc->p.gw->cfg;

	log_msg(LOG_LVL_ERR, "%s: every port of passive_ports (%u-%u) is in "
	    "use; %s", dc->p.tag, (unsigned)cfg->passive_low,
	    (unsigned)cfg->passive_high, voice_advice(V_NO_FREE_PORT));
	*reply = voice_line(V_NO_FREE_PORT);
}

int
data_listen_open(struct data_chan *dc, const char **reply)
{
	struct gw *gw = dc->p.gw;
	size_t tries = gw_port_count(gw);
	struct net_addr a = dc->p.plan.listen;
	int fd = socket(a.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;

	if (fd < 0)
		goto fail_errno;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	while (tries-- > 0) {
		struct sockaddr_storage ss;
		socklen_t len;

		a.port = gw_port_next(gw);
		if (a.port == 0)
			break;
		len = netaddr_to_sockaddr(&a, &ss);
		/* Transparent (active mode, backend_source = client): the
		 * client's address, which the server was told in PORT. */
		if ((dc->p.plan.transparent && !data_client_connects(dc) ?
		    tp_bind(fd, &a) :
		    bind(fd, (struct sockaddr *)&ss, len)) == 0) {
			if (listen(fd, 4) < 0)
				goto fail_release;
			dc->lst.fd = fd;
			dc->port = a.port;
			dc->port_held = true;
			return 0;
		}
		if (errno != EADDRINUSE)
			goto fail_release;
		gw_port_release(gw, a.port);
	}
	data_ports_exhausted(dc, reply);
	close(fd);
	return -1;
fail_release: {
		int e = errno;

		gw_port_release(gw, a.port);
		errno = e;
	}
fail_errno: {
		char host[NETADDR_STRLEN];

		log_msg(LOG_LVL_ERR, "%s: cannot open a data listener on %s: "
		    "%s%s", dc->p.tag, netaddr_str(&dc->p.plan.listen, host,
		    sizeof(host)), strerror(errno), data_client_connects(dc) ?
		    " (is public_address an address of this router?)" : "");
	}
	*reply = voice_line(V_PASSIVE_PORT);
	if (fd >= 0)
		close(fd);
	return -1;
}

void
data_listen_close(struct data_chan *dc)
{
	if (dc->lst.fd >= 0) {
		loop_forget(dc_loop(dc), &dc->lst);
		close(dc->lst.fd);
		dc->lst.fd = -1;
	}
}

int
data_listen_accept(struct data_chan *dc, struct net_addr *peer)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[NETADDR_STRLEN];
	int fd;

	if (dc->lst.fd < 0)
		return DATA_ACCEPT_NONE;
	fd = accept4(dc->lst.fd, (struct sockaddr *)&ss, &len,
	    SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
		    errno != ECONNABORTED)
			log_msg(LOG_LVL_INFO, "%s: accept on data port %u: %s",
			    dc->p.tag, dc->port, strerror(errno));
		return DATA_ACCEPT_NONE;
	}
	netaddr_from_sockaddr(peer, (struct sockaddr *)&ss);
	/* SECURITY: only the plan's peer (the control client, or the server
	 * in active mode) may use the port; anyone else is closed and the
	 * transfer still gets its connection. */
	if (!ftp_addr_same_host(peer, &dc->p.plan.peer)) {
		log_msg(LOG_LVL_WARNING, "%s: data connection from %s to port %u "
		    "refused: it is not the %s address (attempted data "
		    "connection theft?)", dc->p.tag, netaddr_str_port(peer, host,
		    sizeof(host)), dc->port, data_client_connects(dc) ?
		    "control client's" : "FTP server's");
		close(fd);
		metrics_inc(&dc->p.gw->metrics, METRICS_AT1(DATA_REFUSED,
		    MV_REFUSAL_FOREIGN_ADDRESS));
		return DATA_ACCEPT_REFUSED;
	}
	log_msg(LOG_LVL_DEBUG, "%s: data connection from %s on port %u",
	    dc->p.tag, netaddr_str_port(peer, host, sizeof(host)), dc->port);
	return fd;
}

/* Warn about a conntrack failure once per process and error code. */
static void
data_ct_warn(struct data_chan *dc, int err, enum log_level lvl)
{
	struct gw *gw = dc->p.gw;
	unsigned bit = 1u << ((unsigned)err % 32u);

	if (lvl != LOG_LVL_ERR && (gw->ct_warned & bit))
		return;
	gw->ct_warned |= bit;
	log_msg(lvl, "%s: cannot program the conntrack expectation for data "
	    "port %u (%s): %s%s", dc->p.tag, dc->port, strerror(err),
	    ct_strerror_advice(err), lvl == LOG_LVL_ERR ? "" :
	    " [conntrack = auto: going on; data connections work only if the "
	    "firewall admits them otherwise. This warning is shown once.]");
}

static const char *
data_ct_reply(const struct data_chan *dc)
{
	return data_client_connects(dc) ? voice_line(V_FIREWALL_PASSIVE) :
	    voice_line(V_FIREWALL_ACTIVE);
}

/* The plan's expectation for port p, with the channel's timeout. */
static int
data_expect_program(struct data_chan *dc, uint16_t p)
{
	data_plan_port(&dc->p.plan, p);
	dc->p.plan.expect.timeout = dc->p.gw->cfg->data_timeout;
	return ct_expect_add_id(dc->p.gw->ct, &dc->p.plan.expect, &dc->ct_id);
}

/* An expectation programmed (err 0) or refused by the kernel (-errno). */
static void
data_expect_count(struct data_chan *dc, int err)
{
	struct metrics *m = &dc->p.gw->metrics;

	if (err == 0)
		metrics_inc(m, METRICS_AT1(CT_ADDED, 0));
	else
		metrics_inc(m, METRICS_AT1(CT_FAILED, metrics_errno(-err)));
}

int
data_expect_add(struct data_chan *dc, const char **reply)
{
	struct gw *gw = dc->p.gw;
	int err;

	if (gw->ct == NULL)
		return 0;
	/* Passive: an impostor from the client's address must not use up
	 * the client's way in (the plan makes it permanent); deleted once
	 * the client's connection proved itself (data_setup.c). */
	err = data_expect_program(dc, dc->port);
	data_expect_count(dc, err);
	if (err == 0) {
		dc->ct_added = true;
		return 0;
	}
	if (gw->cfg->conntrack == CFG_CT_ON) {
		/* Fail closed: conntrack = on promises the firewall needs
		 * nothing else, so a transfer without it would only hang. */
		data_ct_warn(dc, -err, LOG_LVL_ERR);
		*reply = data_ct_reply(dc);
		return -1;
	}
	/* conntrack = auto: fail open, the data connection may still pass. */
	data_ct_warn(dc, -err, LOG_LVL_WARNING);
	return 0;
}

/*
 * data_path = kernel: pick a port and program the plan's expectation, which
 * has the kernel forward the data connection to the other side with NAT
 * (DESIGN.md facts 3 to 5). Nothing listens on the port: the expectation is
 * the reservation, and a port an expectation for the same peer holds
 * answers EEXIST.
 */
int
data_expect_kernel(struct data_chan *dc, const char **reply)
{
	struct gw *gw = dc->p.gw;
	size_t tries = gw_port_count(gw);
	uint16_t p = 0;
	int err = -EEXIST;

	while (tries-- > 0 && err == -EEXIST) {
		p = gw_port_next(gw);
		if (p == 0)
			break;
		err = data_expect_program(dc, p);
		if (err != 0)
			gw_port_release(gw, p);
	}
	if (err != 0 && p == 0) {
		data_ports_exhausted(dc, reply);
		return -1;
	}
	dc->port = p;
	/* EEXIST on the way was a port another expectation holds, tried
	 * again with the next one: only the end counts. */
	data_expect_count(dc, err);
	if (err != 0) {
		data_ct_warn(dc, -err, LOG_LVL_ERR);
		*reply = data_ct_reply(dc);
		return -1;
	}
	dc->ct_added = true;
	dc->port_held = true;
	log_msg(LOG_LVL_DEBUG, "%s: data port %u forwarded by the kernel to the "
	    "%s's port %u (data_path = kernel)", dc->p.tag, dc->port,
	    data_side_name(data_dialled_side(dc)), dc->p.plan.expect.nat.sport);
	return 0;
}

void
data_expect_expired(struct data_chan *dc)
{
	if (dc->ct_added)
		metrics_inc(&dc->p.gw->metrics, METRICS_AT1(CT_EXPIRED, 0));
}

void
data_expect_del(struct data_chan *dc)
{
	int err;

	if (!dc->ct_added)
		return;
	dc->ct_added = false;
	/* SECURITY: by identity: the tuple may belong to another session's
	 * expectation by now (same client, same port after ours was used). */
	err = ct_expect_del_id(dc->p.gw->ct, &dc->p.plan.expect.expect,
	    dc->ct_id);
	/* ENOENT: the kernel consumed it when the data connection came. */
	if (err < 0 && err != -ENOENT)
		log_msg(LOG_LVL_INFO, "%s: removing the conntrack expectation "
		    "for port %u failed: %s", dc->p.tag, dc->port,
		    strerror(-err));
}
