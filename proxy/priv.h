/* Least privilege: after the ports and the conntrack socket are open, become
 * cfg->user (if set), enter cfg->chroot (if set), and keep no capability but
 * CAP_NET_ADMIN, and that only when conntrack expectations are programmed. */
#ifndef FTPSGW_PROXY_PRIV_H
#define FTPSGW_PROXY_PRIV_H

#include <stdbool.h>
#include <stddef.h>

struct config;

/* The account and the directory exist and fit (for ftpsgw -t and before
 * anything is opened). Returns 0, or -1 with a message in err. */
int priv_check(const struct config *cfg, char *err, size_t errcap);

/*
 * priv_drop - drop what ftpsgw no longer needs; irreversible.
 * @keep_net_admin: conntrack is in use (its netlink requests need it)
 * Returns 0, or -1 with one message in err naming the setting to change.
 * On success *what describes the result for the log ("user ftpsgw (uid
 * 101), capabilities: cap_net_admin").
 */
int priv_drop(const struct config *cfg, bool keep_net_admin, char *what,
    size_t whatcap, char *err, size_t errcap);

#endif
