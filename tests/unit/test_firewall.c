/* Unit tests for the firewall printer (proxy/firewall.c): one row per
 * configuration, the ports each output opens compared with the listen
 * ports, and two whole texts byte for byte. Configurations are written as
 * gateway.conf text and parsed by proxy/config.c. */
#include "proxy/firewall.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "proxy/config.h"

#define CERTS	"certificate = /etc/ftpsgw/gateway.pem\n" \
		"private_key = /etc/ftpsgw/gateway.key\n"
#define PATH	"/etc/ftpsgw/gateway.conf"

static struct net_addr
addr(const char *host)
{
	struct net_addr a;

	memset(&a, 0, sizeof(a));
	a.family = strchr(host, ':') != NULL ? AF_INET6 : AF_INET;
	assert_int_equal(inet_pton(a.family, host, a.addr), 1);
	return a;
}

/* The text for conf (gateway.conf lines) and a backend resolved to
 * backend; returns a malloc'd string. */
static char *
render(const char *conf, const char *backend, enum fw_kind kind,
    const char *path)
{
	static struct config cfg;
	struct fw_req req;
	char err[512];
	size_t len;
	char *buf = malloc(FW_TEXT_MAX);

	assert_non_null(buf);
	cfg_defaults(&cfg);
	if (cfg_parse(&cfg, "t.conf", conf, strlen(conf), err,
	    sizeof(err)) != 0)
		fail_msg("config: %s", err);
	req.cfg = &cfg;
	req.conf_path = path;
	req.backend[0] = addr(backend);
	req.n_backends = 1;
	assert_int_equal(fw_render(&req, kind, buf, FW_TEXT_MAX, &len), FW_OK);
	assert_int_equal(strlen(buf), len);
	return buf;
}

/* The lines of text between the line starting with `from` and the next
 * line that is `to`, without comments and leading tabs, each ended by
 * '\n'; into out. */
static void
section(const char *text, const char *from, const char *to, char *out,
    size_t cap)
{
	const char *p = strstr(text, from), *nl;
	size_t o = 0;

	out[0] = '\0';
	if (p == NULL)
		return;
	p = strchr(p, '\n') + 1;
	for (; *p != '\0'; p = nl + 1) {
		const char *s = p;
		size_t n;

		nl = strchr(p, '\n');
		assert_non_null(nl);
		while (*s == '\t')
			s++;
		n = (size_t)(nl - s);
		if (n == strlen(to) && memcmp(s, to, n) == 0)
			break;
		if (*s == '#' || n == 0)
			continue;
		assert_true(o + n + 2 < cap);
		memcpy(out + o, s, n);
		o += n;
		out[o++] = '\n';
		out[o] = '\0';
	}
}

/* ---- nft: what each configuration opens and attaches ---- */

struct nft_row {
	const char *name;
	const char *conf;		/* after CERTS */
	const char *backend;		/* resolved address */
	const char *pre;		/* chain pre, "" = absent */
	const char *out;		/* chain out */
	const char *input;		/* chain input */
	const char *nat;		/* chain postnat */
};

#define INPUT_HEAD	"type filter hook input priority filter; policy drop;\n" \
			"ct state established,related accept\n" \
			"iif lo accept\n"
#define ND		"icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, " \
			"nd-router-advert } accept\n"
#define PRE_HEAD	"type filter hook prerouting priority filter; policy accept;\n"
#define OUT_HEAD	"type filter hook output priority filter; policy accept;\n"
#define NAT_CHAIN	"type nat hook postrouting priority srcnat; policy accept;\n"

static const struct nft_row nft_rows[] = {
	{ "IPv4 only, passive_ports set: they stay closed",
	  "listen = 203.0.113.1:21\nbackend = 198.51.100.10\n"
	  "passive_ports = 40000-40099\n", "198.51.100.10",
	  PRE_HEAD "ip daddr 203.0.113.1 tcp dport 21 ct helper set \"ftp-std\"\n",
	  OUT_HEAD "tcp dport 21 ct helper set \"ftp-std\"\n",
	  INPUT_HEAD "ip daddr 203.0.113.1 tcp dport 21 accept\n", "" },
	{ "an IPv6 listener: its own rules and neighbour discovery",
	  "listen = 203.0.113.1:21\nlisten = [2001:db8:1::1]:21\n"
	  "backend = 198.51.100.10:21\n", "198.51.100.10",
	  PRE_HEAD "ip daddr 203.0.113.1 tcp dport 21 ct helper set \"ftp-std\"\n"
	  "ip6 daddr 2001:db8:1::1 tcp dport 21 ct helper set \"ftp-std\"\n",
	  OUT_HEAD "tcp dport 21 ct helper set \"ftp-std\"\n",
	  INPUT_HEAD "ip daddr 203.0.113.1 tcp dport 21 accept\n"
	  "ip6 daddr 2001:db8:1::1 tcp dport 21 accept\n" ND, "" },
	{ "listen and listen_implicit on several ports and addresses",
	  "listen = 203.0.113.1:21\nlisten_implicit = 203.0.113.1:990\n"
	  "listen = 203.0.113.2:2121\nlisten_implicit = [2001:db8:1::1]:990\n"
	  "listen = [2001:db8:1::1]:21\nbackend = 198.51.100.10\n",
	  "198.51.100.10",
	  PRE_HEAD "ip daddr 203.0.113.1 tcp dport { 21, 990 } ct helper set \"ftp-std\"\n"
	  "ip daddr 203.0.113.2 tcp dport 2121 ct helper set \"ftp-std\"\n"
	  "ip6 daddr 2001:db8:1::1 tcp dport { 990, 21 } ct helper set \"ftp-std\"\n",
	  OUT_HEAD "tcp dport 21 ct helper set \"ftp-std\"\n",
	  INPUT_HEAD "ip daddr 203.0.113.1 tcp dport { 21, 990 } accept\n"
	  "ip daddr 203.0.113.2 tcp dport 2121 accept\n"
	  "ip6 daddr 2001:db8:1::1 tcp dport { 990, 21 } accept\n" ND, "" },
	{ "data_path = kernel: a chain of type nat",
	  "listen = 203.0.113.1:21\nbackend = 198.51.100.10\n"
	  "data_path = kernel\nconntrack = on\n", "198.51.100.10",
	  PRE_HEAD "ip daddr 203.0.113.1 tcp dport 21 ct helper set \"ftp-std\"\n",
	  OUT_HEAD "tcp dport 21 ct helper set \"ftp-std\"\n",
	  INPUT_HEAD "ip daddr 203.0.113.1 tcp dport 21 accept\n", NAT_CHAIN },
	{ "backend on port 2121: the helper on output toward 2121",
	  "listen = 203.0.113.1:21\nbackend = 198.51.100.10:2121\n",
	  "198.51.100.10",
	  PRE_HEAD "ip daddr 203.0.113.1 tcp dport 21 ct helper set \"ftp-std\"\n",
	  OUT_HEAD "tcp dport 2121 ct helper set \"ftp-std\"\n",
	  INPUT_HEAD "ip daddr 203.0.113.1 tcp dport 21 accept\n", "" },
	{ "implicit backend without a port: 990",
	  "listen = 203.0.113.1:21\nbackend = ftp.lan\nbackend_tls = implicit\n",
	  "198.51.100.10",
	  PRE_HEAD "ip daddr 203.0.113.1 tcp dport 21 ct helper set \"ftp-std\"\n",
	  OUT_HEAD "tcp dport 990 ct helper set \"ftp-std\"\n",
	  INPUT_HEAD "ip daddr 203.0.113.1 tcp dport 21 accept\n", "" },
	{ "an IPv6 backend behind an IPv4 listener: neighbour discovery",
	  "listen = 203.0.113.1:21\nbackend = [2001:db8:2::10]:21\n",
	  "2001:db8:2::10",
	  PRE_HEAD "ip daddr 203.0.113.1 tcp dport 21 ct helper set \"ftp-std\"\n",
	  OUT_HEAD "tcp dport 21 ct helper set \"ftp-std\"\n",
	  INPUT_HEAD "ip daddr 203.0.113.1 tcp dport 21 accept\n" ND, "" },
	{ "listening on every address: no address named, family kept",
	  "listen = 0.0.0.0:21\nlisten = [::]:21\nlisten_implicit = [::]:990\n"
	  "backend = 198.51.100.10\n", "198.51.100.10",
	  PRE_HEAD "meta nfproto ipv4 tcp dport 21 ct helper set \"ftp-std\"\n"
	  "meta nfproto ipv6 tcp dport { 21, 990 } ct helper set \"ftp-std\"\n",
	  OUT_HEAD "tcp dport 21 ct helper set \"ftp-std\"\n",
	  INPUT_HEAD "meta nfproto ipv4 tcp dport 21 accept\n"
	  "meta nfproto ipv6 tcp dport { 21, 990 } accept\n" ND, "" },
	{ "conntrack = off: no helper; passive_ports open to the listen "
	  "addresses, public_address, and from the server (active mode)",
	  "listen = 203.0.113.1:21\nlisten = [2001:db8:1::1]:21\n"
	  "public_address = 203.0.113.5\nbackend = 198.51.100.10\n"
	  "passive_ports = 40000-40099\nconntrack = off\n", "198.51.100.10",
	  "", "",
	  INPUT_HEAD "ip daddr 203.0.113.1 tcp dport 21 accept\n"
	  "ip6 daddr 2001:db8:1::1 tcp dport 21 accept\n"
	  "ip daddr 203.0.113.1 tcp dport 40000-40099 accept\n"
	  "ip6 daddr 2001:db8:1::1 tcp dport 40000-40099 accept\n"
	  "ip daddr 203.0.113.5 tcp dport 40000-40099 accept\n"
	  "ip saddr 198.51.100.10 tcp dport 40000-40099 accept\n" ND, "" },
	{ "conntrack = off, active_mode = off, every address, one port",
	  "listen = 0.0.0.0:21\nlisten = 203.0.113.1:990\n"
	  "backend = 198.51.100.10\npassive_ports = 40000-40000\n"
	  "conntrack = off\nactive_mode = off\n", "198.51.100.10",
	  "", "",
	  INPUT_HEAD "meta nfproto ipv4 tcp dport 21 accept\n"
	  "ip daddr 203.0.113.1 tcp dport 990 accept\n"
	  "meta nfproto ipv4 tcp dport 40000 accept\n", "" },
	{ "public_address of a family without a listener: not opened",
	  "listen = 203.0.113.1:21\npublic_address = 2001:db8:1::5\n"
	  "backend = 198.51.100.10\nconntrack = off\npassive_ports = 40000-40099\n",
	  "198.51.100.10", "", "",
	  INPUT_HEAD "ip daddr 203.0.113.1 tcp dport 21 accept\n"
	  "ip daddr 203.0.113.1 tcp dport 40000-40099 accept\n"
	  "ip saddr 198.51.100.10 tcp dport 40000-40099 accept\n", "" },
};

static void
test_nft_rows(void **state)
{
	static char got[8192];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(nft_rows) / sizeof(nft_rows[0]); i++) {
		const struct nft_row *r = &nft_rows[i];
		char conf[1024];
		char *text;

		snprintf(conf, sizeof(conf), CERTS "%s", r->conf);
		text = render(conf, r->backend, FW_NFT, PATH);
		print_message("row %zu: %s\n", i, r->name);
		section(text, "\tchain pre {", "}", got, sizeof(got));
		assert_string_equal(got, r->pre);
		section(text, "\tchain out {", "}", got, sizeof(got));
		assert_string_equal(got, r->out);
		section(text, "\tchain input {", "}", got, sizeof(got));
		assert_string_equal(got, r->input);
		section(text, "\tchain postnat {", "}", got, sizeof(got));
		assert_string_equal(got, r->nat);
		section(text, "\tchain forward {", "}", got, sizeof(got));
		assert_string_equal(got, "type filter hook forward priority "
		    "filter; policy drop;\nct state established,related "
		    "accept\n");
		/* The helper object exactly when a chain uses it. */
		assert_int_equal(strstr(text, "\tct helper ftp-std {\n"
		    "\t\ttype \"ftp\" protocol tcp\n\t}\n") != NULL,
		    r->pre[0] != '\0');
		/* Loading it again replaces the table, and nothing else. */
		assert_non_null(strstr(text, "\ntable inet ftpsgw\n"
		    "delete table inet ftpsgw\n\ntable inet ftpsgw {\n"));
		assert_null(strstr(text, "flush ruleset"));
		free(text);
	}
}

/* backend_source = client: the server's packets for transparent sockets
 * are marked (nothing else), the policy routing is named, the input chain
 * is unchanged; and none of it without the key. */
static void
test_transparent(void **state)
{
	static char got[2048];
	static const char conf[] = CERTS "listen = 203.0.113.1:21\n"
	    "backend = 198.51.100.10\nbackend_source = client\n";
	static const char conf6[] = CERTS "listen = [2001:db8:1::1]:21\n"
	    "backend = [2001:db8:2::10]\nbackend_source = client\n";
	char *text;

	(void)state;
	text = render(conf, "198.51.100.10", FW_NFT, PATH);
	section(text, "\tchain transparent {", "}", got, sizeof(got));
	assert_string_equal(got, "type filter hook prerouting priority mangle; "
	    "policy accept;\nip saddr 198.51.100.10 meta l4proto tcp socket "
	    "transparent 1 meta mark set 0x1\n");
	section(text, "\tchain input {", "}", got, sizeof(got));
	assert_string_equal(got, INPUT_HEAD
	    "ip daddr 203.0.113.1 tcp dport 21 accept\n");
	assert_non_null(strstr(text, "\t#   ip rule add fwmark 0x1 lookup 100\n"
	    "\t#   ip route add local 0.0.0.0/0 dev lo table 100\n"
	    "\t#   ip -6 rule add fwmark 0x1 lookup 100\n"
	    "\t#   ip -6 route add local ::/0 dev lo table 100\n"));
	free(text);

	text = render(conf6, "2001:db8:2::10", FW_NFT, PATH);
	section(text, "\tchain transparent {", "}", got, sizeof(got));
	assert_string_equal(got, "type filter hook prerouting priority mangle; "
	    "policy accept;\nip6 saddr 2001:db8:2::10 meta l4proto tcp socket "
	    "transparent 1 meta mark set 0x1\n");
	free(text);

	text = render(conf, "198.51.100.10", FW_IPTABLES, PATH);
	assert_non_null(strstr(text, "(raw, filter, mangle)"));
	assert_non_null(strstr(text, "#   ip rule add fwmark 0x1 lookup 100\n"
	    "#   ip route add local 0.0.0.0/0 dev lo table 100\n*mangle\n"
	    ":PREROUTING ACCEPT [0:0]\n-A PREROUTING -s 198.51.100.10/32 -p "
	    "tcp -m socket --transparent -j MARK --set-mark 0x1\nCOMMIT\n"));
	free(text);
	/* The IPv6 part has nothing to mark for an IPv4 server. */
	text = render(conf, "198.51.100.10", FW_IP6TABLES, PATH);
	assert_null(strstr(text, "mangle"));
	free(text);

	text = render(CERTS "listen = 203.0.113.1:21\nbackend = 198.51.100.10\n",
	    "198.51.100.10", FW_NFT, PATH);
	assert_null(strstr(text, "transparent"));
	assert_null(strstr(text, "fwmark"));
	free(text);
}

/* The smallest configuration, whole. */
static const char nft_whole[] =
"#!/usr/sbin/nft -f\n"
"# ftpsgw's firewall for /etc/ftpsgw/gateway.conf, printed by\n"
"#   ftpsgw --firewall nft -c /etc/ftpsgw/gateway.conf\n"
"# Load it with: nft -f FILE (or pipe it into: nft -f -).\n"
"# It replaces table inet ftpsgw as a whole, in one transaction, and leaves\n"
"# every other table alone; loading it again replaces it again.\n"
"# Its input and forward chains drop whatever they do not accept, and a drop\n"
"# in any table is final: this is the complete firewall of a router that does\n"
"# only this. On a router with rules of its own (SSH, LAN forwarding, NAT),\n"
"# add them here first, or copy the ct helper object, the pre and out chains\n"
"# and the input rules of the listen ports into your own ruleset.\n"
"\n"
"table inet ftpsgw\n"
"delete table inet ftpsgw\n"
"\n"
"table inet ftpsgw {\n"
"\t# The kernel creates a conntrack expectation only for a connection that had\n"
"\t# the ftp helper attached when it was created (never later): ftpsgw's\n"
"\t# control connections. There the helper sees only TLS, so it does nothing\n"
"\t# but make them eligible.\n"
"\tct helper ftp-std {\n"
"\t\ttype \"ftp\" protocol tcp\n"
"\t}\n"
"\n"
"\t# The clients' control connections: the listen ports.\n"
"\tchain pre {\n"
"\t\ttype filter hook prerouting priority filter; policy accept;\n"
"\t\tip daddr 203.0.113.1 tcp dport 21 ct helper set \"ftp-std\"\n"
"\t}\n"
"\n"
"\t# ftpsgw's control connections to the FTP server (backend port 21), the\n"
"\t# masters of active-mode and data_path = kernel expectations. The output\n"
"\t# hook sees only the connections this machine opens itself.\n"
"\tchain out {\n"
"\t\ttype filter hook output priority filter; policy accept;\n"
"\t\ttcp dport 21 ct helper set \"ftp-std\"\n"
"\t}\n"
"\n"
"\t# Only the listen ports are open. Data connections come in as related to\n"
"\t# their control connection, by the expectations ftpsgw programs: no\n"
"\t# passive port range is opened.\n"
"\tchain input {\n"
"\t\ttype filter hook input priority filter; policy drop;\n"
"\t\tct state established,related accept\n"
"\t\tiif lo accept\n"
"\t\tip daddr 203.0.113.1 tcp dport 21 accept\n"
"\t}\n"
"\n"
"\t# Forwarded: only what conntrack relates to a connection already admitted.\n"
"\tchain forward {\n"
"\t\ttype filter hook forward priority filter; policy drop;\n"
"\t\tct state established,related accept\n"
"\t}\n"
"}\n";

static void
test_nft_whole(void **state)
{
	char *text = render(CERTS "listen = 203.0.113.1:21\n"
	    "backend = 198.51.100.10\n", "198.51.100.10", FW_NFT, PATH);

	(void)state;
	assert_string_equal(text, nft_whole);
	free(text);
}

/* ---- iptables-restore ---- */

static const char ipt_whole[] =
"# ftpsgw's firewall for /etc/ftpsgw/gateway.conf, IPv4 part, printed by\n"
"#   ftpsgw --firewall iptables -c /etc/ftpsgw/gateway.conf\n"
"# Load it with: iptables-restore < FILE (or pipe it into iptables-restore),\n"
"# and the IPv6 part (ftpsgw --firewall ip6tables) with ip6tables-restore.\n"
"# iptables-restore replaces the whole tables below (raw, filter, nat) with these\n"
"# rules, in one transaction; loading it again replaces them again. This is the\n"
"# complete firewall of a router that does only this: on a router with rules of\n"
"# its own (SSH, LAN forwarding, NAT), add them here first, or add the -A lines\n"
"# of the raw table and the INPUT rules of the listen ports to your own.\n"
"\n"
"# The kernel creates a conntrack expectation only for a connection that had\n"
"# the ftp helper attached when it was created (never later): ftpsgw's control\n"
"# connections from clients (PREROUTING, the listen ports) and to the FTP\n"
"# server (OUTPUT, backend port 21). The helper sees only TLS there.\n"
"*raw\n"
":PREROUTING ACCEPT [0:0]\n"
":OUTPUT ACCEPT [0:0]\n"
"-A PREROUTING -d 203.0.113.1/32 -p tcp -m tcp --dport 21 -j CT --helper ftp\n"
"-A PREROUTING -d 203.0.113.1/32 -p tcp -m tcp --dport 990 -j CT --helper ftp\n"
"-A OUTPUT -p tcp -m tcp --dport 21 -j CT --helper ftp\n"
"COMMIT\n"
"\n"
"# Only the listen ports are open. Data connections come in as related to their\n"
"# control connection, by the expectations ftpsgw programs: no passive port\n"
"# range is opened.\n"
"*filter\n"
":INPUT DROP [0:0]\n"
":FORWARD DROP [0:0]\n"
":OUTPUT ACCEPT [0:0]\n"
"-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"
"-A INPUT -i lo -j ACCEPT\n"
"-A INPUT -d 203.0.113.1/32 -p tcp -m tcp --dport 21 -j ACCEPT\n"
"-A INPUT -d 203.0.113.1/32 -p tcp -m tcp --dport 990 -j ACCEPT\n"
"-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"
"COMMIT\n"
"\n"
"# data_path = kernel: the kernel applies the NAT of ftpsgw's expectations only\n"
"# while NAT hooks are registered, which a nat table does.\n"
"*nat\n"
":PREROUTING ACCEPT [0:0]\n"
":INPUT ACCEPT [0:0]\n"
":OUTPUT ACCEPT [0:0]\n"
":POSTROUTING ACCEPT [0:0]\n"
"COMMIT\n";

#define LAB_CONF	CERTS "listen = 203.0.113.1:21\n" \
			"listen = [2001:db8:1::1]:21\n" \
			"listen_implicit = 203.0.113.1:990\n" \
			"listen_implicit = [2001:db8:1::1]:990\n" \
			"backend = 198.51.100.10\npassive_ports = 40000-40099\n" \
			"data_path = kernel\nconntrack = on\n"

static void
test_iptables_whole(void **state)
{
	char *text = render(LAB_CONF, "198.51.100.10", FW_IPTABLES, PATH);

	(void)state;
	assert_string_equal(text, ipt_whole);
	free(text);
}

/* Each family's output holds that family's listeners only. */
static void
test_ip6tables(void **state)
{
	static char got[8192];
	char *text = render(LAB_CONF, "198.51.100.10", FW_IP6TABLES, PATH);

	(void)state;
	section(text, "*raw", "COMMIT", got, sizeof(got));
	assert_string_equal(got, ":PREROUTING ACCEPT [0:0]\n"
	    ":OUTPUT ACCEPT [0:0]\n"
	    "-A PREROUTING -d 2001:db8:1::1/128 -p tcp -m tcp --dport 21 -j CT --helper ftp\n"
	    "-A PREROUTING -d 2001:db8:1::1/128 -p tcp -m tcp --dport 990 -j CT --helper ftp\n"
	    "-A OUTPUT -p tcp -m tcp --dport 21 -j CT --helper ftp\n");
	section(text, "*filter", "COMMIT", got, sizeof(got));
	assert_string_equal(got, ":INPUT DROP [0:0]\n"
	    ":FORWARD DROP [0:0]\n"
	    ":OUTPUT ACCEPT [0:0]\n"
	    "-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"
	    "-A INPUT -i lo -j ACCEPT\n"
	    "-A INPUT -d 2001:db8:1::1/128 -p tcp -m tcp --dport 21 -j ACCEPT\n"
	    "-A INPUT -d 2001:db8:1::1/128 -p tcp -m tcp --dport 990 -j ACCEPT\n"
	    "-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type neighbour-solicitation -j ACCEPT\n"
	    "-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type neighbour-advertisement -j ACCEPT\n"
	    "-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type router-advertisement -j ACCEPT\n"
	    "-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n");
	assert_non_null(strstr(text, "IPv6 part, printed by\n"
	    "#   ftpsgw --firewall ip6tables -c " PATH "\n"
	    "# Load it with: ip6tables-restore < FILE"));
	assert_null(strstr(text, "203.0.113.1"));
	free(text);
}

static void
test_iptables_conntrack_off(void **state)
{
	static char got[8192];
	char *text = render(CERTS "listen = 203.0.113.1:21\n"
	    "backend = 198.51.100.10\npassive_ports = 40000-40099\n"
	    "conntrack = off\n", "198.51.100.10", FW_IPTABLES, PATH);

	(void)state;
	assert_null(strstr(text, "*raw"));
	assert_null(strstr(text, "CT --helper"));
	assert_null(strstr(text, "*nat"));
	section(text, "*filter", "COMMIT", got, sizeof(got));
	assert_string_equal(got, ":INPUT DROP [0:0]\n"
	    ":FORWARD DROP [0:0]\n"
	    ":OUTPUT ACCEPT [0:0]\n"
	    "-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"
	    "-A INPUT -i lo -j ACCEPT\n"
	    "-A INPUT -d 203.0.113.1/32 -p tcp -m tcp --dport 21 -j ACCEPT\n"
	    "-A INPUT -d 203.0.113.1/32 -p tcp -m tcp --dport 40000:40099 -j ACCEPT\n"
	    "-A INPUT -s 198.51.100.10/32 -p tcp -m tcp --dport 40000:40099 -j ACCEPT\n"
	    "-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n");
	free(text);
}

/* ---- attacker's view and limits ---- */

/* SECURITY: the path is the one string from outside; a newline in it must
 * not end the comment and start a rule. */
static void
test_hostile_path(void **state)
{
	const char *path = "/tmp/x\nflush ruleset\n-A INPUT -j ACCEPT\r\\\x7f";
	enum fw_kind kinds[] = { FW_NFT, FW_IPTABLES, FW_IP6TABLES };
	size_t k;

	(void)state;
	for (k = 0; k < 3; k++) {
		char *text = render(CERTS "listen = 203.0.113.1:21\n"
		    "backend = 198.51.100.10\n", "198.51.100.10", kinds[k],
		    path);

		assert_null(strstr(text, "\nflush ruleset"));
		assert_null(strstr(text, "\n-A INPUT -j ACCEPT"));
		assert_null(strchr(text, '\r'));
		assert_non_null(strstr(text, "/tmp/x\\x0aflush ruleset\\x0a-A "
		    "INPUT -j ACCEPT\\x0d\\x5c\\x7f\n"));
		free(text);
	}
}

/* The largest configuration and the longest path fit FW_TEXT_MAX; a
 * small buffer is refused and never overrun. */
static void
test_limits(void **state)
{
	static struct config cfg;
	static char conf[4096], path[4096], buf[FW_TEXT_MAX + 16];
	enum fw_kind kinds[] = { FW_NFT, FW_IPTABLES, FW_IP6TABLES };
	struct fw_req req;
	size_t len, i, k, o;
	char err[512];

	(void)state;
	o = (size_t)snprintf(conf, sizeof(conf), CERTS
	    "backend = 198.51.100.10\nconntrack = off\n"
	    "public_address = 203.0.113.200\n");
	for (i = 0; i < CFG_LISTEN_MAX; i++)
		o += (size_t)snprintf(conf + o, sizeof(conf) - o, i % 2 ?
		    "listen = [2001:db8:ffff:ffff:ffff:ffff:ffff:%zx]:6%04zu\n" :
		    "listen_implicit = 203.0.113.%zu:6%04zu\n", i + 1, i);
	cfg_defaults(&cfg);
	if (cfg_parse(&cfg, "t.conf", conf, o, err, sizeof(err)) != 0)
		fail_msg("config: %s", err);
	memset(path, 0x01, sizeof(path) - 1);	/* PATH_MAX - 1, all escaped */
	req.cfg = &cfg;
	req.conf_path = path;
	req.backend[0] = addr("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff");
	req.n_backends = 1;
	for (k = 0; k < 3; k++) {
		assert_int_equal(fw_render(&req, kinds[k], buf, FW_TEXT_MAX,
		    &len), FW_OK);
		assert_true(len < FW_TEXT_MAX);
		/* One byte short of the whole text: refused, NUL inside. */
		memset(buf, 'X', sizeof(buf));
		assert_int_equal(fw_render(&req, kinds[k], buf, len, &o),
		    FW_TOO_LONG);
		assert_int_equal(o, 0);
		assert_true(memchr(buf, '\0', len) != NULL);
		for (i = len; i < sizeof(buf); i++)
			assert_int_equal(buf[i], 'X');
	}
	assert_int_equal(fw_render(&req, FW_NFT, buf, 0, &len), FW_TOO_LONG);
	req.backend[0].family = 0;
	assert_int_equal(fw_render(&req, FW_NFT, buf, sizeof(buf), &len),
	    FW_NO_BACKEND);
}

static void
test_kind_parse(void **state)
{
	static const struct {
		const char *in;
		int rc;
		enum fw_kind kind;
	} rows[] = {
		{ "nft", 0, FW_NFT },
		{ "iptables", 0, FW_IPTABLES },
		{ "ip6tables", 0, FW_IP6TABLES },
		{ "NFT", -1, FW_NFT },
		{ "", -1, FW_NFT },
		{ "nft ", -1, FW_NFT },
		{ "iptables-legacy", -1, FW_NFT },
		{ "nftables", -1, FW_NFT },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		enum fw_kind k = FW_NFT;

		assert_int_equal(fw_kind_parse(rows[i].in, &k), rows[i].rc);
		assert_int_equal(k, rows[i].kind);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nft_rows),
		cmocka_unit_test(test_transparent),
		cmocka_unit_test(test_nft_whole),
		cmocka_unit_test(test_iptables_whole),
		cmocka_unit_test(test_ip6tables),
		cmocka_unit_test(test_iptables_conntrack_off),
		cmocka_unit_test(test_hostile_path),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_kind_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
