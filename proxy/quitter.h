/* Ending a backend control connection politely after its session is gone:
 * send QUIT, wait (briefly) for the server to close first, then close. The
 * side that closes first keeps the TIME_WAIT socket; on a router every such
 * socket runs from one address to the server's one address and port, and
 * thousands of them make each new connect() slow. */
#ifndef FTPSGW_PROXY_QUITTER_H
#define FTPSGW_PROXY_QUITTER_H

#include <stdbool.h>

struct conn;
struct gw;

/* Let go of c (its session ends): with send_quit a QUIT is sent first.
 * c is left closed (fd -1) and may be closed again harmlessly. */
void quitter_start(struct gw *gw, struct conn *c, bool send_quit);

/* Shutdown: close every connection still waiting, now. */
void quitter_abort_all(struct gw *gw);

#endif
