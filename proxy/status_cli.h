/* `ftpsgw --status`: fetch /status.json from a running ftpsgw's
 * metrics_listen with one small, bounded HTTP/1.0 GET (a deadline for the
 * whole exchange, a cap on the answer) and print it as tables
 * (proxy/status_table.c) on stdout. */
#ifndef FTPSGW_PROXY_STATUS_CLI_H
#define FTPSGW_PROXY_STATUS_CLI_H

#include <sys/socket.h>

/* The whole exchange's deadline (ms) and the largest answer read. */
#define STATUS_CLI_TIMEOUT_MS	5000
#define STATUS_CLI_MAX		(16u * 1024u * 1024u)

/*
 * status_cli - GET /status.json from addr and print the tables; name is
 * how addr is shown in messages. Returns the exit status: 0, or 1 after a
 * message on stderr saying what failed and what to check.
 */
int status_cli(const struct sockaddr_storage *addr, socklen_t len,
    const char *name);

#endif
