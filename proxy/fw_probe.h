/* ftpsgw -t: the running nftables ruleset, read with `nft -j list ruleset`
 * (a child process), checked for what the configuration needs from it.
 * It waits for the child (bounded), so it is never used in the event
 * loop. */
#ifndef FTPSGW_PROXY_FW_PROBE_H
#define FTPSGW_PROXY_FW_PROBE_H

#include <stddef.h>

struct config;
struct net_addr;

/*
 * fw_probe_warn - log a warning for each thing the ruleset lacks: the ftp
 * helper on a listener's connections (prerouting), on ftpsgw's connections
 * to each FTP server (output; needed by active mode and data_path =
 * kernel), and a type nat chain per family (data_path = kernel). Checks nothing under
 * conntrack = off. When the ruleset cannot be read (no nft, no
 * permission), logs a notice saying so.
 * @backends: the FTP servers as resolved at start, n_backends of them
 * @conf_path: named in the advice (ftpsgw --firewall nft -c FILE)
 * Returns the number of warnings, or -1 when nothing was checked.
 */
int fw_probe_warn(const struct config *cfg, const struct net_addr *backends,
    size_t n_backends, const char *conf_path);

#endif
