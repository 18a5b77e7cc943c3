/* What ftpsgw needs from a running nftables ruleset, read from
 * `nft -j list ruleset` (parsed by json.c): the ftp conntrack helper
 * attached to its control connections when they are created (DESIGN.md
 * fact 1) and, for data_path = kernel, a chain of type nat (fact 4).
 *
 * The reading errs towards "present": a rule whose conditions it cannot
 * judge (an interface, a mark, a limit) counts as one that may attach the
 * helper, so a warning built on a "no" is never a guess. Rules loaded with
 * iptables-legacy are not in nft's output at all. Pure: no I/O. */
#ifndef FTPSGW_PROXY_FW_CHECK_H
#define FTPSGW_PROXY_FW_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "proxy/json.h"

enum fw_hook {
	FW_HOOK_PREROUTING,	/* a client's connection to a listener */
	FW_HOOK_OUTPUT,		/* ftpsgw's own connection to the server */
};

/* A new TCP connection that needs the helper. */
struct fw_conn {
	enum fw_hook hook;
	int family;		/* AF_INET or AF_INET6 */
	bool any_addr;		/* to any address of the family (0.0.0.0, ::) */
	uint8_t daddr[16];	/* network order */
	uint16_t dport;
};

/* True when d is nft's: an object with an "nftables" array. */
bool fw_check_is_ruleset(const struct json_doc *d);

/*
 * fw_check_helper - true when a base chain on conn's hook, of a table of
 * conn's family (or inet), holds, directly or through jump/goto, a rule
 * that may attach the ftp helper to conn before a rule that surely matches
 * ends the chain (accept, drop, reject, return, goto): `ct helper set` of
 * a ct helper object of type "ftp" (protocol tcp, conn's family) in a
 * chain after the conntrack (priority above raw), or iptables-nft's CT
 * target (whose helper nft does not show).
 */
bool fw_check_helper(const struct json_doc *d, const struct fw_conn *conn);

/* True when a chain of type nat exists in a table of family (AF_INET or
 * AF_INET6) or inet: the kernel then registers NAT for that family. */
bool fw_check_nat(const struct json_doc *d, int family);

/*
 * backend_source = client (see firewall.c): true when a base chain on the
 * prerouting hook, of a table of family (or inet), holds a rule that both
 * matches `socket transparent` and sets the packet mark (`meta mark set`),
 * or iptables-nft's socket match with a MARK target. Its address and mark
 * are not judged (towards "present").
 */
bool fw_check_transparent(const struct json_doc *d, int family);

/*
 * The policy routing that delivers marked packets to ftpsgw's transparent
 * sockets, from iproute2's JSON:
 * fw_check_ip_rule - `ip -j rule show`: a rule for fwmark mark (as ip
 *     prints it, e.g. "0x1") that looks up table (e.g. "100").
 * fw_check_local_route - `ip -j route show table T`: a local route to
 *     every address (dst "default", type local).
 */
bool fw_check_ip_rule(const struct json_doc *d, const char *mark,
    const char *table);
bool fw_check_local_route(const struct json_doc *d);

#endif
