/* The firewall ftpsgw needs, rendered from its configuration as an nft
 * table or iptables-restore input (see firewall.h). Every address and
 * port printed comes from a parsed number; the one string from outside,
 * the configuration's path, only ever appears escaped in a comment. */
#include "proxy/firewall.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "proxy/config.h"

/* The listen ports of one address, or of every address of a family. */
struct fw_group {
	int family;			/* AF_INET or AF_INET6 */
	bool any;			/* 0.0.0.0 or ::: every address */
	uint8_t addr[16];
	uint16_t port[CFG_LISTEN_MAX];
	size_t n_port;
};

/* Groups in the order of their first listener in the file. */
struct fw_groups {
	struct fw_group g[CFG_LISTEN_MAX + 1];	/* + public_address */
	size_t n;
};

struct fw_out {
	char *buf;
	size_t cap, len;
	bool full;
};

static void fw_put(struct fw_out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
fw_put(struct fw_out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->len) {
		o->full = true;
		return;
	}
	o->len += (size_t)n;
}

/* SECURITY: s may hold anything (a path from the command line); a newline
 * would end the comment and let the rest be read as rules. Printable ASCII
 * passes, every other byte (and the backslash) is written as \xNN. */
static void
fw_put_escaped(struct fw_out *o, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x20 && c < 0x7f && c != '\\')
			fw_put(o, "%c", c);
		else
			fw_put(o, "\\x%02x", c);
	}
}

/* ---- the addresses and ports to open ---- */

static void
fw_from_sockaddr(const struct sockaddr_storage *ss, int *family,
    uint8_t addr[16], uint16_t *port)
{
	memset(addr, 0, 16);
	*family = ss->ss_family;
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

		memcpy(addr, &s6->sin6_addr, 16);
		*port = ntohs(s6->sin6_port);
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

		memcpy(addr, &s4->sin_addr, 4);
		*port = ntohs(s4->sin_port);
	}
}

static bool
fw_is_any(int family, const uint8_t addr[16])
{
	static const uint8_t zero[16];

	return memcmp(addr, zero, family == AF_INET6 ? 16 : 4) == 0;
}

/* Add port (0: none) to the group of family/addr, made if new. */
static void
fw_group_add(struct fw_groups *gs, int family, const uint8_t addr[16],
    uint16_t port)
{
	struct fw_group *g = NULL;
	size_t i;

	for (i = 0; i < gs->n; i++) {
		if (gs->g[i].family == family &&
		    memcmp(gs->g[i].addr, addr, 16) == 0) {
			g = &gs->g[i];
			break;
		}
	}
	if (g == NULL) {
		if (gs->n == sizeof(gs->g) / sizeof(gs->g[0]))
			return;		/* cannot happen: one per listener */
		g = &gs->g[gs->n++];
		memset(g, 0, sizeof(*g));
		g->family = family;
		g->any = fw_is_any(family, addr);
		memcpy(g->addr, addr, 16);
	}
	if (port == 0)
		return;
	for (i = 0; i < g->n_port; i++)
		if (g->port[i] == port)
			return;
	if (g->n_port < CFG_LISTEN_MAX)
		g->port[g->n_port++] = port;
}

/* The listen addresses and their ports. */
static void
fw_listen_groups(const struct config *cfg, struct fw_groups *gs)
{
	uint8_t addr[16];
	uint16_t port;
	int family;
	size_t i;

	gs->n = 0;
	for (i = 0; i < cfg->n_listen; i++) {
		fw_from_sockaddr(&cfg->listen[i].addr, &family, addr, &port);
		fw_group_add(gs, family, addr, port);
	}
}

/* conntrack = off: where ftpsgw's passive listeners are reached. They
 * listen on public_address (for clients of its family) or on the address
 * the client's control connection came to (data_plan_public): every
 * listen address of the family, and public_address if such a listener
 * exists. A family with a listener on every address gets one group. */
static void
fw_passive_groups(const struct config *cfg, struct fw_groups *gs)
{
	struct fw_groups all;
	uint8_t addr[16];
	uint16_t port;
	int family;
	size_t i, j;

	fw_listen_groups(cfg, &all);
	for (i = 0; i < all.n; i++)
		all.g[i].n_port = 0;
	if (cfg->have_public_address) {
		fw_from_sockaddr(&cfg->public_address, &family, addr, &port);
		for (i = 0; i < all.n; i++) {
			if (all.g[i].family == family) {
				fw_group_add(&all, family, addr, 0);
				break;
			}
		}
	}
	gs->n = 0;
	for (i = 0; i < all.n; i++) {
		bool covered = false;

		for (j = 0; j < all.n; j++)
			if (j != i && all.g[j].family == all.g[i].family &&
			    all.g[j].any && !all.g[i].any)
				covered = true;
		if (!covered)
			gs->g[gs->n++] = all.g[i];
	}
}

static const char *
fw_ntop(int family, const uint8_t addr[16], char *buf, size_t cap)
{
	if (inet_ntop(family, addr, buf, (socklen_t)cap) == NULL)
		snprintf(buf, cap, "?");	/* cannot happen: cap fits */
	return buf;
}

/* ---- nft ---- */

/* "ip daddr 203.0.113.1 ", "ip6 daddr 2001:db8::1 ", or for every
 * address of the family "meta nfproto ipv4 ". */
static void
fw_nft_addr(struct fw_out *o, const char *dir, int family, bool any,
    const uint8_t addr[16])
{
	char a[INET6_ADDRSTRLEN];

	if (any)
		fw_put(o, "meta nfproto %s ", family == AF_INET6 ? "ipv6" :
		    "ipv4");
	else
		fw_put(o, "%s %s %s ", family == AF_INET6 ? "ip6" : "ip", dir,
		    fw_ntop(family, addr, a, sizeof(a)));
}

/* "tcp dport 21 " or "tcp dport { 21, 990 } " */
static void
fw_nft_ports(struct fw_out *o, const struct fw_group *g)
{
	size_t i;

	if (g->n_port == 1) {
		fw_put(o, "tcp dport %u ", g->port[0]);
		return;
	}
	fw_put(o, "tcp dport { ");
	for (i = 0; i < g->n_port; i++)
		fw_put(o, "%s%u", i ? ", " : "", g->port[i]);
	fw_put(o, " } ");
}

static void
fw_nft_range(struct fw_out *o, const struct config *cfg)
{
	if (cfg->passive_low == cfg->passive_high)
		fw_put(o, "tcp dport %u ", cfg->passive_low);
	else
		fw_put(o, "tcp dport %u-%u ", cfg->passive_low,
		    cfg->passive_high);
}

static void
fw_nft_header(struct fw_out *o, const struct fw_req *req)
{
	fw_put(o, "#!/usr/sbin/nft -f\n# ftpsgw's firewall for ");
	fw_put_escaped(o, req->conf_path);
	fw_put(o, ", printed by\n#   ftpsgw --firewall nft -c ");
	fw_put_escaped(o, req->conf_path);
	fw_put(o, "\n"
	    "# Load it with: nft -f FILE (or pipe it into: nft -f -).\n"
	    "# It replaces table inet " FW_NFT_TABLE " as a whole, in one "
	    "transaction, and leaves\n"
	    "# every other table alone; loading it again replaces it again.\n"
	    "# Its input and forward chains drop whatever they do not accept, "
	    "and a drop\n"
	    "# in any table is final: this is the complete firewall of a "
	    "router that does\n"
	    "# only this. On a router with rules of its own (SSH, LAN "
	    "forwarding, NAT),\n");
	if (req->cfg->conntrack != CFG_CT_OFF)
		fw_put(o, "# add them here first, or copy the ct helper object, "
		    "the pre and out chains\n"
		    "# and the input rules of the listen ports into your own "
		    "ruleset.\n");
	else
		fw_put(o, "# add them here first, or copy the input rules into "
		    "your own ruleset.\n");
}

/* Is backend i's port the first of its value in cfg->backends? */
static bool
fw_port_first(const struct config *cfg, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (cfg->backends[j].port == cfg->backends[i].port)
			return false;
	return true;
}

/* How many distinct ports the backends listen on. */
static size_t
fw_port_count(const struct config *cfg)
{
	size_t i, n = 0;

	for (i = 0; i < cfg->n_backends; i++)
		if (fw_port_first(cfg, i))
			n++;
	return n;
}

/* The backends' ports: "21", or "{ 21, 2121 }" in nft's set syntax
 * (set) or "21, 2121" (!set). */
static void
fw_backend_ports(struct fw_out *o, const struct config *cfg, bool set)
{
	size_t i, n = 0;
	bool many = fw_port_count(cfg) > 1;

	if (many && set)
		fw_put(o, "{ ");
	for (i = 0; i < cfg->n_backends; i++) {
		if (!fw_port_first(cfg, i))
			continue;
		fw_put(o, "%s%u", n++ > 0 ? ", " : "",
		    (unsigned)cfg->backends[i].port);
	}
	if (many && set)
		fw_put(o, " }");
}

/* Is backend address i the first of its value in req? */
static bool
fw_addr_first(const struct fw_req *req, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (req->backend[j].family == req->backend[i].family &&
		    memcmp(req->backend[j].addr, req->backend[i].addr,
		    sizeof(req->backend[i].addr)) == 0)
			return false;
	return true;
}

static void
fw_nft_helpers(struct fw_out *o, const struct config *cfg,
    const struct fw_groups *listen)
{
	size_t i;

	fw_put(o, "\n"
	    "\t# The kernel creates a conntrack expectation only for a "
	    "connection that had\n"
	    "\t# the ftp helper attached when it was created (never later): "
	    "ftpsgw's\n"
	    "\t# control connections. There the helper sees only TLS, so it "
	    "does nothing\n"
	    "\t# but make them eligible.\n"
	    "\tct helper " FW_NFT_HELPER " {\n"
	    "\t\ttype \"ftp\" protocol tcp\n"
	    "\t}\n"
	    "\n"
	    "\t# The clients' control connections: the listen ports.\n"
	    "\tchain pre {\n"
	    "\t\ttype filter hook prerouting priority filter; policy "
	    "accept;\n");
	for (i = 0; i < listen->n; i++) {
		const struct fw_group *g = &listen->g[i];

		fw_put(o, "\t\t");
		fw_nft_addr(o, "daddr", g->family, g->any, g->addr);
		fw_nft_ports(o, g);
		fw_put(o, "ct helper set \"" FW_NFT_HELPER "\"\n");
	}
	fw_put(o, "\t}\n"
	    "\n"
	    "\t# ftpsgw's control connections to the FTP server%s (backend "
	    "port%s ", cfg->n_backends > 1 ? "s" : "",
	    fw_port_count(cfg) > 1 ? "s" : "");
	fw_backend_ports(o, cfg, false);
	fw_put(o, "), the\n"
	    "\t# masters of active-mode and data_path = kernel expectations. "
	    "The output\n"
	    "\t# hook sees only the connections this machine opens itself.\n"
	    "\tchain out {\n"
	    "\t\ttype filter hook output priority filter; policy accept;\n"
	    "\t\ttcp dport ");
	fw_backend_ports(o, cfg, true);
	fw_put(o, " ct helper set \"" FW_NFT_HELPER "\"\n"
	    "\t}\n");
}

/* conntrack = off: the passive ports, to the addresses clients are told,
 * and from the FTP server for active mode. */
static void
fw_nft_passive(struct fw_out *o, const struct fw_req *req)
{
	const struct config *cfg = req->cfg;
	struct fw_groups pg;
	size_t i;

	fw_passive_groups(cfg, &pg);
	fw_put(o, "\t\t# conntrack = off: ftpsgw programs no expectations, so "
	    "nothing makes its\n"
	    "\t\t# data connections related: passive_ports must be open, to "
	    "the addresses\n"
	    "\t\t# clients are told%s.\n", cfg->active_mode ?
	    ", and from the FTP server for active mode" : "");
	for (i = 0; i < pg.n; i++) {
		fw_put(o, "\t\t");
		fw_nft_addr(o, "daddr", pg.g[i].family, pg.g[i].any,
		    pg.g[i].addr);
		fw_nft_range(o, cfg);
		fw_put(o, "accept\n");
	}
	for (i = 0; cfg->active_mode && i < req->n_backends; i++) {
		if (!fw_addr_first(req, i))
			continue;
		fw_put(o, "\t\t");
		fw_nft_addr(o, "saddr", req->backend[i].family, false,
		    req->backend[i].addr);
		fw_nft_range(o, cfg);
		fw_put(o, "accept\n");
	}
}

/* Is backend i's source the client's address (and of family, unless
 * family is 0)? */
static bool
fw_transparent(const struct fw_req *req, size_t i, int family)
{
	return req->cfg->backends[i].source == CFG_SOURCE_CLIENT &&
	    (family == 0 || req->backend[i].family == family);
}

static bool
fw_any_transparent(const struct fw_req *req, int family)
{
	size_t i;

	for (i = 0; i < req->n_backends; i++)
		if (fw_transparent(req, i, family))
			return true;
	return false;
}

/*
 * backend_source = client: the FTP server answers the client's address,
 * through this router (its gateway); the packets that belong to ftpsgw's
 * transparent sockets (its connections from the client's address, and an
 * active-mode listener there) are marked, and the policy routing named in
 * the comment delivers marked packets locally. Only the server's packets:
 * nothing from the Internet is diverted, and the input chain still admits
 * only established and related connections.
 */
static void
fw_nft_transparent(struct fw_out *o, const struct fw_req *req)
{
	size_t i;

	fw_put(o, "\n"
	    "\t# backend_source = client: ftpsgw connects to the FTP server "
	    "from the client's\n"
	    "\t# address (IP_TRANSPARENT); the server answers that address "
	    "through this\n"
	    "\t# router. Its packets for ftpsgw's transparent sockets are "
	    "marked here, and\n"
	    "\t# this policy routing (not part of nft: run it at boot) "
	    "delivers them locally:\n"
	    "\t#   ip rule add fwmark %s lookup %u\n"
	    "\t#   ip route add local 0.0.0.0/0 dev lo table %u\n"
	    "\t#   ip -6 rule add fwmark %s lookup %u\n"
	    "\t#   ip -6 route add local ::/0 dev lo table %u\n"
	    "\tchain transparent {\n"
	    "\t\ttype filter hook prerouting priority mangle; policy "
	    "accept;\n",
	    FW_TP_MARK, FW_TP_TABLE, FW_TP_TABLE, FW_TP_MARK, FW_TP_TABLE,
	    FW_TP_TABLE);
	for (i = 0; i < req->n_backends; i++) {
		if (!fw_transparent(req, i, 0))
			continue;
		fw_put(o, "\t\t");
		fw_nft_addr(o, "saddr", req->backend[i].family, false,
		    req->backend[i].addr);
		fw_put(o, "meta l4proto tcp socket transparent 1 meta mark set "
		    "%s\n", FW_TP_MARK);
	}
	fw_put(o, "\t}\n");
}

/* Neighbour discovery: without it nothing reaches an IPv6 address of
 * this machine, nor do the answers of an IPv6 FTP server's neighbours. */
static bool
fw_need_ipv6(const struct fw_req *req, const struct fw_groups *listen)
{
	size_t i;

	for (i = 0; i < req->n_backends; i++)
		if (req->backend[i].family == AF_INET6)
			return true;
	for (i = 0; i < listen->n; i++)
		if (listen->g[i].family == AF_INET6)
			return true;
	return false;
}

static void
fw_nft(struct fw_out *o, const struct fw_req *req)
{
	const struct config *cfg = req->cfg;
	struct fw_groups listen;
	size_t i;

	fw_listen_groups(cfg, &listen);
	fw_nft_header(o, req);
	fw_put(o, "\ntable inet " FW_NFT_TABLE "\n"
	    "delete table inet " FW_NFT_TABLE "\n"
	    "\ntable inet " FW_NFT_TABLE " {");
	if (cfg->conntrack != CFG_CT_OFF)
		fw_nft_helpers(o, cfg, &listen);
	fw_put(o, "\n\t# Only the listen ports are open.%s\n"
	    "\tchain input {\n"
	    "\t\ttype filter hook input priority filter; policy drop;\n"
	    "\t\tct state established,related accept\n"
	    "\t\tiif lo accept\n",
	    cfg->conntrack == CFG_CT_OFF ? "" : " Data connections come in "
	    "as related to\n\t# their control connection, by the "
	    "expectations ftpsgw programs: no\n\t# passive port range is "
	    "opened.");
	for (i = 0; i < listen.n; i++) {
		fw_put(o, "\t\t");
		fw_nft_addr(o, "daddr", listen.g[i].family, listen.g[i].any,
		    listen.g[i].addr);
		fw_nft_ports(o, &listen.g[i]);
		fw_put(o, "accept\n");
	}
	if (cfg->conntrack == CFG_CT_OFF)
		fw_nft_passive(o, req);
	if (fw_need_ipv6(req, &listen))
		fw_put(o, "\t\ticmpv6 type { nd-neighbor-solicit, "
		    "nd-neighbor-advert, nd-router-advert } accept\n");
	fw_put(o, "\t}\n"
	    "\n"
	    "\t# Forwarded: only what conntrack relates to a connection "
	    "already admitted.\n"
	    "\tchain forward {\n"
	    "\t\ttype filter hook forward priority filter; policy drop;\n"
	    "\t\tct state established,related accept\n"
	    "\t}\n");
	if (fw_any_transparent(req, 0))
		fw_nft_transparent(o, req);
	if (cfg->data_path == CFG_DATA_KERNEL)
		fw_put(o, "\n"
		    "\t# data_path = kernel: the kernel applies the NAT of "
		    "ftpsgw's expectations\n"
		    "\t# only while NAT hooks are registered, which any chain "
		    "of type nat does.\n"
		    "\tchain postnat {\n"
		    "\t\ttype nat hook postrouting priority srcnat; policy "
		    "accept;\n"
		    "\t}\n");
	fw_put(o, "}\n");
}

/* ---- iptables-restore ---- */

/* " -d 203.0.113.1/32" (dir 'd') or " -s ..." ('s'); nothing for every
 * address. */
static void
fw_ipt_addr(struct fw_out *o, char dir, int family, bool any,
    const uint8_t addr[16])
{
	char a[INET6_ADDRSTRLEN];

	if (!any)
		fw_put(o, " -%c %s/%u", dir, fw_ntop(family, addr, a,
		    sizeof(a)), family == AF_INET6 ? 128u : 32u);
}

static void
fw_ipt_range(struct fw_out *o, const struct config *cfg)
{
	if (cfg->passive_low == cfg->passive_high)
		fw_put(o, " -p tcp -m tcp --dport %u", cfg->passive_low);
	else
		fw_put(o, " -p tcp -m tcp --dport %u:%u", cfg->passive_low,
		    cfg->passive_high);
}

static void
fw_ipt_header(struct fw_out *o, const struct fw_req *req, int family)
{
	const char *me = family == AF_INET6 ? "ip6tables" : "iptables";
	const char *other = family == AF_INET6 ? "iptables" : "ip6tables";

	fw_put(o, "# ftpsgw's firewall for ");
	fw_put_escaped(o, req->conf_path);
	fw_put(o, ", %s part, printed by\n#   ftpsgw --firewall %s -c ",
	    family == AF_INET6 ? "IPv6" : "IPv4", me);
	fw_put_escaped(o, req->conf_path);
	fw_put(o, "\n# Load it with: %s-restore < FILE (or pipe it into "
	    "%s-restore),\n# and the %s part (ftpsgw --firewall %s) with "
	    "%s-restore.\n", me, me, family == AF_INET6 ? "IPv4" : "IPv6",
	    other, other);
	fw_put(o, "# %s-restore replaces the whole tables below (%s%s%s) "
	    "with these\n"
	    "# rules, in one transaction; loading it again replaces them "
	    "again. This is the\n"
	    "# complete firewall of a router that does only this: on a "
	    "router with rules of\n"
	    "# its own (SSH, LAN forwarding, NAT), add them here first, or "
	    "add the -A lines\n"
	    "# %s to your own.\n", me,
	    req->cfg->conntrack != CFG_CT_OFF ? "raw, filter" : "filter",
	    fw_any_transparent(req, family) ? ", mangle" : "",
	    req->cfg->data_path == CFG_DATA_KERNEL ? ", nat" : "",
	    req->cfg->conntrack != CFG_CT_OFF ? "of the raw table and the "
	    "INPUT rules of the listen ports" : "of the INPUT chain");
}

/* "-A CHAIN [-d ADDR] -p tcp -m tcp --dport PORT TARGET" for every listen
 * port of the family. */
static void
fw_ipt_listen(struct fw_out *o, const struct fw_groups *listen, int family,
    const char *chain, const char *target)
{
	size_t i, j;

	for (i = 0; i < listen->n; i++) {
		const struct fw_group *g = &listen->g[i];

		if (g->family != family)
			continue;
		for (j = 0; j < g->n_port; j++) {
			fw_put(o, "-A %s", chain);
			fw_ipt_addr(o, 'd', g->family, g->any, g->addr);
			fw_put(o, " -p tcp -m tcp --dport %u %s\n", g->port[j],
			    target);
		}
	}
}

/* conntrack = off: the passive ports (see fw_nft_passive). */
static void
fw_ipt_passive(struct fw_out *o, const struct fw_req *req, int family)
{
	const struct config *cfg = req->cfg;
	struct fw_groups pg;
	size_t i;

	fw_passive_groups(cfg, &pg);
	fw_put(o, "# conntrack = off: ftpsgw programs no expectations, so "
	    "nothing makes its data\n"
	    "# connections related: passive_ports must be open, to the "
	    "addresses clients\n# are told%s.\n", cfg->active_mode ?
	    ", and from the FTP server for active mode" : "");
	for (i = 0; i < pg.n; i++) {
		if (pg.g[i].family != family)
			continue;
		fw_put(o, "-A INPUT");
		fw_ipt_addr(o, 'd', family, pg.g[i].any, pg.g[i].addr);
		fw_ipt_range(o, cfg);
		fw_put(o, " -j ACCEPT\n");
	}
	for (i = 0; cfg->active_mode && i < req->n_backends; i++) {
		if (req->backend[i].family != family || !fw_addr_first(req, i))
			continue;
		fw_put(o, "-A INPUT");
		fw_ipt_addr(o, 's', family, false, req->backend[i].addr);
		fw_ipt_range(o, cfg);
		fw_put(o, " -j ACCEPT\n");
	}
}

static void
fw_ipt(struct fw_out *o, const struct fw_req *req, int family)
{
	const struct config *cfg = req->cfg;
	struct fw_groups listen;
	size_t i;
	bool first;

	fw_listen_groups(cfg, &listen);
	fw_ipt_header(o, req, family);
	if (cfg->conntrack != CFG_CT_OFF) {
		fw_put(o, "\n# The kernel creates a conntrack expectation only "
		    "for a connection that had\n"
		    "# the ftp helper attached when it was created (never "
		    "later): ftpsgw's control\n"
		    "# connections from clients (PREROUTING, the listen ports) "
		    "and to the FTP\n"
		    "# server (OUTPUT, backend port%s ",
		    fw_port_count(cfg) > 1 ? "s" : "");
		fw_backend_ports(o, cfg, false);
		fw_put(o, "). The helper sees only TLS there.\n"
		    "*raw\n"
		    ":PREROUTING ACCEPT [0:0]\n"
		    ":OUTPUT ACCEPT [0:0]\n");
		fw_ipt_listen(o, &listen, family, "PREROUTING",
		    "-j CT --helper ftp");
		for (i = 0; i < cfg->n_backends; i++)
			if (fw_port_first(cfg, i))
				fw_put(o, "-A OUTPUT -p tcp -m tcp --dport %u -j "
				    "CT --helper ftp\n",
				    (unsigned)cfg->backends[i].port);
		fw_put(o, "COMMIT\n");
	}
	fw_put(o, "\n# Only the listen ports are open.%s\n"
	    "*filter\n"
	    ":INPUT DROP [0:0]\n"
	    ":FORWARD DROP [0:0]\n"
	    ":OUTPUT ACCEPT [0:0]\n"
	    "-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"
	    "-A INPUT -i lo -j ACCEPT\n",
	    cfg->conntrack == CFG_CT_OFF ? "" : " Data connections come in as "
	    "related to their\n# control connection, by the expectations "
	    "ftpsgw programs: no passive port\n# range is opened.");
	fw_ipt_listen(o, &listen, family, "INPUT", "-j ACCEPT");
	if (cfg->conntrack == CFG_CT_OFF)
		fw_ipt_passive(o, req, family);
	if (family == AF_INET6 && fw_need_ipv6(req, &listen))
		fw_put(o, "-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type "
		    "neighbour-solicitation -j ACCEPT\n"
		    "-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type "
		    "neighbour-advertisement -j ACCEPT\n"
		    "-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type "
		    "router-advertisement -j ACCEPT\n");
	fw_put(o, "-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j "
	    "ACCEPT\nCOMMIT\n");
	if (fw_any_transparent(req, family)) {
		/* See fw_nft_transparent. */
		fw_put(o, "\n# backend_source = client: the FTP server's "
		    "packets for ftpsgw's transparent\n"
		    "# sockets are marked, and this policy routing (run it at "
		    "boot) delivers them\n# locally:\n"
		    "#   %s rule add fwmark %s lookup %u\n"
		    "#   %s route add local %s dev lo table %u\n"
		    "*mangle\n"
		    ":PREROUTING ACCEPT [0:0]\n"
		    "-A PREROUTING", family == AF_INET6 ? "ip -6" : "ip",
		    FW_TP_MARK, FW_TP_TABLE, family == AF_INET6 ? "ip -6" :
		    "ip", family == AF_INET6 ? "::/0" : "0.0.0.0/0",
		    FW_TP_TABLE);
		for (i = 0, first = true; i < req->n_backends; i++) {
			if (!fw_transparent(req, i, family))
				continue;
			if (!first)
				fw_put(o, "-A PREROUTING");
			first = false;
			fw_ipt_addr(o, 's', family, false,
			    req->backend[i].addr);
			fw_put(o, " -p tcp -m socket --transparent -j MARK "
			    "--set-mark %s\n", FW_TP_MARK);
		}
		fw_put(o, "COMMIT\n");
	}
	if (cfg->data_path == CFG_DATA_KERNEL)
		fw_put(o, "\n# data_path = kernel: the kernel applies the NAT of "
		    "ftpsgw's expectations only\n"
		    "# while NAT hooks are registered, which a nat table "
		    "does.\n"
		    "*nat\n"
		    ":PREROUTING ACCEPT [0:0]\n"
		    ":INPUT ACCEPT [0:0]\n"
		    ":OUTPUT ACCEPT [0:0]\n"
		    ":POSTROUTING ACCEPT [0:0]\n"
		    "COMMIT\n");
}

enum fw_err
fw_render(const struct fw_req *req, enum fw_kind kind, char *buf,
    size_t cap, size_t *len)
{
	struct fw_out o = { .buf = buf, .cap = cap };
	size_t i;

	*len = 0;
	if (cap == 0)
		return FW_TOO_LONG;
	buf[0] = '\0';
	if (req->n_backends == 0 || req->n_backends > CFG_BACKENDS_MAX)
		return FW_NO_BACKEND;
	for (i = 0; i < req->n_backends; i++)
		if (req->backend[i].family != AF_INET &&
		    req->backend[i].family != AF_INET6)
			return FW_NO_BACKEND;
	switch (kind) {
	case FW_NFT:
		fw_nft(&o, req);
		break;
	case FW_IPTABLES:
		fw_ipt(&o, req, AF_INET);
		break;
	case FW_IP6TABLES:
		fw_ipt(&o, req, AF_INET6);
		break;
	}
	if (o.full)
		return FW_TOO_LONG;
	*len = o.len;
	return FW_OK;
}

int
fw_kind_parse(const char *name, enum fw_kind *out)
{
	static const struct {
		const char *name;
		enum fw_kind kind;
	} kinds[] = {
		{ "nft", FW_NFT },
		{ "iptables", FW_IPTABLES },
		{ "ip6tables", FW_IP6TABLES },
	};
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strcmp(name, kinds[i].name) == 0) {
			*out = kinds[i].kind;
			return 0;
		}
	}
	return -1;
}
