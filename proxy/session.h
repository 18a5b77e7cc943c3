/* One FTP control session: the client's control connection, ftpsgw's own
 * control connection to the backend, the command FIFO pairing forwarded
 * commands with replies, and at most one data channel. */
#ifndef FTPSGW_PROXY_SESSION_H
#define FTPSGW_PROXY_SESSION_H

#include <stdbool.h>
#include <sys/socket.h>

struct gw;
struct sockaddr;
struct session;

/*
 * sess_new - take over an accepted client connection (nonblocking fd) from
 * peer, already counted in gw->hosts, and start the session: connect to the
 * backend, and for an implicit listener start TLS at once. Returns the
 * session, or NULL (fd closed, count undone) on failure.
 */
struct session *sess_new(struct gw *gw, int fd, const struct sockaddr *peer,
    bool implicit);

/* End a session now, after one attempt to tell the client why (reply, a
 * 421 usually). Used at shutdown. */
void sess_shutdown(struct session *s, const char *reply);

/* Walking gw->sessions: the first session (NULL if none), the next one. */
struct session *sess_first(const struct gw *gw);
struct session *sess_next(const struct session *s);

/*
 * sess_drain - SIGTERM with gw->stopping set: a session with a transfer
 * under way keeps it, and ends with a 421 right after its final reply;
 * any other ends now as with sess_shutdown. Returns true if it stays.
 */
bool sess_drain(struct session *s, const char *reply);

/* The session as the status page lists it (session_status.c), on its
 * worker's thread. */
struct status_sess;
void sess_status(const struct session *s, struct status_sess *r);

#endif
