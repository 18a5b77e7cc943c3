/* The outcome of one data transfer, decided in one place from what the
 * session saw: the server's final reply, whether the transfer started,
 * whether the client aborted it, and why the data channel failed, if it
 * did. Pure: no I/O. */
#ifndef FTPSGW_PROXY_XFER_H
#define FTPSGW_PROXY_XFER_H

#include <stdbool.h>

#include "proxy/ftp_parse.h"
#include "proxy/metrics.h"
#include "proxy/voice.h"

/* The ways a transfer ends: the values of the OUTCOME label of
 * ftpsgw_transfers_total (proxy/metrics.h). */
enum xfer_outcome {
	/* the server's 2xx, the data delivered */
	XFER_OK = MV_OUTCOME_OK,
	/* ABOR, a connection lost mid-transfer, or the session ended before
	 * the final reply */
	XFER_ABORTED = MV_OUTCOME_ABORTED,
	/* no data connection resumed the control connection's TLS session */
	XFER_NO_SESSION_REUSE = MV_OUTCOME_NO_SESSION_REUSE,
	/* data_timeout or connect_timeout ran out */
	XFER_TIMEOUT = MV_OUTCOME_TIMEOUT,
	/* the server's 4xx/5xx, nothing wrong on ftpsgw's side */
	XFER_SERVER_REFUSED = MV_OUTCOME_SERVER_REFUSED,
	/* anything else on ftpsgw's side: TLS, a connection it could not
	 * make, memory, ports */
	XFER_FAILED = MV_OUTCOME_FAILED,
};

/* What the session knows when a transfer ends. */
struct xfer_end {
	/* the server's final reply (200..599), or 0 when none came (the
	 * session ended, or ftpsgw answered the command itself) */
	unsigned code;
	bool started;		/* a 1xx came: the server began */
	bool aborted;		/* the client sent ABOR meanwhile */
	/* why the data channel failed (the reply ftpsgw would give), or
	 * V_COUNT when it did not */
	enum voice failure;
	/* the data did not reach its end cleanly (the channel gone, or its
	 * end of data never delivered: a client that closed a download
	 * early) although nothing failed on ftpsgw's side */
	bool cut;
};

/*
 * xfer_outcome - the outcome of a transfer that ended as e says. A 2xx
 * with no failure of the data channel and its data not cut is OK (a 2xx
 * with the data cut is ABORTED); otherwise the data channel's
 * failure names the cause (a data channel fails only before its end of
 * data was delivered), then an ABOR, then the server's refusal; no final
 * reply at all is an abort.
 */
enum xfer_outcome xfer_outcome(const struct xfer_end *e);

/* Did the transfer complete (XFER_OK)? The metrics' "ok" and the
 * transfer log's 'c' are this one judgement. */
bool xfer_complete(const struct xfer_end *e);

/* True for the transfer commands that send data to the server (STOR, STOU,
 * APPE); the others (RETR, LIST, NLST, MLSD) download. */
bool xfer_is_upload(enum ftp_verb verb);

#endif
