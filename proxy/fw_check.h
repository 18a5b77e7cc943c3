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

#endif
