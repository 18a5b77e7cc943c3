/* The data channel of one transfer: a listener (passive: on the public side,
 * for the client; active: on the LAN side, for the backend), the client's
 * data connection (TLS server role, RFC 4217), the backend's (TLS client
 * role, resuming our control session), and the relay between them, with
 * end-of-data ordering (DESIGN.md). With data_path = kernel, only the
 * conntrack expectation that has the kernel forward the connection. */
#ifndef FTPSGW_PROXY_DATA_H
#define FTPSGW_PROXY_DATA_H

#include <stdbool.h>
#include <stdint.h>

#include "proxy/data_plan.h"
#include "proxy/voice.h"

struct gw;
struct tls_app;
struct data_chan;

struct data_params {
	struct gw *gw;
	const char *tag;		/* "#id client" log prefix (borrowed) */
	struct data_plan plan;		/* where the connections come from and
					 * go to (data_plan_make) */
	bool client_tls;		/* PROT P on the client side */
	bool after_ccc;			/* the client's control TLS ended by CCC */
	struct tls_app *tls_app;	/* session's TLS state (borrowed) */
	/* Called (from a deferred pass, never inside the caller's stack) when
	 * the channel stops being busy: end of data delivered, or failure. */
	void (*on_idle)(void *owner);
	void *owner;
};

/*
 * data_open - carry out p->plan: open the data listener (port from
 * passive_ports) and program the conntrack expectation for the peer that
 * will connect to it; on the kernel path, only the expectation. On success
 * returns the channel and sets *port_out; on failure returns NULL and
 * *reply_out to the reply the client should get (static text with code).
 */
struct data_chan *data_open(const struct data_params *p, uint16_t *port_out,
    const char **reply_out);

/* A transfer command was forwarded: the channel now belongs to it. */
void data_transfer_started(struct data_chan *dc);

/* True while the backend's final reply must wait: the client connected and
 * the end of data has not yet been delivered (with close_notify). */
bool data_busy(const struct data_chan *dc);

/*
 * data_failure - the reply that replaces the backend's final reply
 * (backend_code) because the channel failed, or NULL to relay the
 * backend's. Failures on the client's side (no TLS session reuse, client
 * TLS failure, time limits) always replace it; failures toward the server
 * replace only a success claim (2xx). Static text.
 */
const char *data_failure(const struct data_chan *dc, unsigned backend_code);

/* Why the channel failed (the reply data_failure gives for a failure of
 * ours), whether or not that reply replaces the server's: V_COUNT when it
 * did not fail. For the transfer's outcome (proxy/xfer.h). */
enum voice data_failure_reason(const struct data_chan *dc);

/* True for a kernel data path channel (nothing relayed by ftpsgw). */
bool data_kernel(const struct data_chan *dc);

/* False once the channel failed or closed: a transfer cannot use it. */
bool data_usable(const struct data_chan *dc);

/* Shutdown: close every channel, released ones still finishing included. */
void data_abort_all(struct gw *gw);

/* True once the expected peer has connected to the listener (kernel path:
 * once a transfer command owns the channel; ftpsgw never sees the data). */
bool data_connected(const struct data_chan *dc);

/* True once the end of data was delivered cleanly (close_notify and FIN,
 * the channel reached DS_LINGER); on the kernel path, once a transfer
 * owns the channel (the kernel carries it: the server's reply says how it
 * went). Stays true after the channel closed. */
bool data_ended_cleanly(const struct data_chan *dc);

/* Bytes delivered so far to the client and to the backend. */
void data_counts(const struct data_chan *dc, uint64_t *to_client,
    uint64_t *to_server);

/*
 * data_release - the owner is done with the channel. A channel still
 * closing its connections cleanly finishes on its own (bounded by a timer)
 * and frees itself; otherwise it is closed and freed now (deferred).
 * data_release(NULL) is a no-op.
 */
void data_release(struct data_chan *dc);

/* Close everything now and free (deferred). data_abort(NULL) is a no-op. */
void data_abort(struct data_chan *dc);

#endif
