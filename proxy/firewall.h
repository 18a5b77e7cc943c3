/* The firewall ftpsgw needs, printed from its configuration: one nftables
 * table, or iptables-restore and ip6tables-restore input. What it prints
 * is what the integration lab and `make demo` load. Pure: text into a
 * caller's buffer; no I/O, no allocation. */
#ifndef FTPSGW_PROXY_FIREWALL_H
#define FTPSGW_PROXY_FIREWALL_H

#include <stddef.h>

#include "proxy/addr.h"
#include "proxy/config.h"

struct config;

/* Room for the largest configuration (CFG_LISTEN_MAX listeners, a
 * configuration path of PATH_MAX bytes, every one escaped). */
#define FW_TEXT_MAX	65536

/* The names the nft table and its helper object go by (and the log's
 * advice names). */
#define FW_NFT_TABLE	"ftpsgw"
#define FW_NFT_HELPER	"ftp-std"

/* backend_source = client: the firewall mark of the FTP server's packets
 * for ftpsgw's transparent sockets, and the routing table that delivers
 * them locally (README, Deploying: the client's address at the server). */
#define FW_TP_MARK	"0x1"
#define FW_TP_TABLE	100u

enum fw_kind {
	FW_NFT,			/* table inet ftpsgw, for nft -f */
	FW_IPTABLES,		/* IPv4, for iptables-restore */
	FW_IP6TABLES,		/* IPv6, for ip6tables-restore */
};

enum fw_err {
	FW_OK,
	FW_NO_BACKEND,		/* no backend, or one without an address
				 * family */
	FW_TOO_LONG,		/* the text does not fit the buffer */
};

struct fw_req {
	const struct config *cfg;
	/* The configuration's path as the admin gave it, named in the
	 * header comment (escaped: it cannot end the comment). */
	const char *conf_path;
	/* The FTP servers' addresses as resolved at start, in the order of
	 * cfg->backends (ports from there): with conntrack = off their data
	 * connections in active mode come from there; an IPv6 server needs
	 * neighbour discovery. */
	struct net_addr backend[CFG_BACKENDS_MAX];
	size_t n_backends;
};

/*
 * fw_render - the complete ruleset for req->cfg, NUL-terminated, into
 * buf (cap bytes). *len gets its length without the NUL.
 *
 * Opens the listen ports (each to its own address) and nothing else: data
 * connections come in as related to their control connection through the
 * expectations ftpsgw programs, so passive_ports stay closed, except with
 * conntrack = off, where nothing else would admit them. Attaches the ftp
 * conntrack helper (DESIGN.md fact 1) to the listen ports in prerouting and
 * to the backends' ports in output, unless conntrack = off. With
 * data_path = kernel adds a chain of type nat (fact 4). FW_NFT covers both
 * address families; FW_IPTABLES and FW_IP6TABLES one each.
 *
 * Returns FW_OK, FW_NO_BACKEND, or FW_TOO_LONG (buf then holds a cut text
 * that must not be used).
 */
enum fw_err fw_render(const struct fw_req *req, enum fw_kind kind, char *buf,
    size_t cap, size_t *len);

/* "nft", "iptables" or "ip6tables" into *out. Returns 0, or -1 for any
 * other name. */
int fw_kind_parse(const char *name, enum fw_kind *out);

#endif
