/* One FTP control session: the client's control connection, ftpsgw's own
 * control connection to the backend, the command FIFO pairing forwarded
 * commands with replies, and at most one data channel. */
#ifndef FTPSGW_PROXY_SESSION_H
#define FTPSGW_PROXY_SESSION_H

#include <stdbool.h>
#include <sys/socket.h>

struct gw;
struct session;

/*
 * sess_new - take over an accepted client connection (nonblocking fd) and
 * start the session: connect to the backend, and for an implicit listener
 * start TLS at once. Returns the session, or NULL (fd closed) on failure.
 */
struct session *sess_new(struct gw *gw, int fd, bool implicit);

/* End a session now, after one attempt to tell the client why (reply, a
 * 421 usually). Used at shutdown. */
void sess_shutdown(struct session *s, const char *reply);

#endif
