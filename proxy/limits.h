/* Named limits shared by the parser, the session and the data relay. */
#ifndef FTPSGW_PROXY_LIMITS_H
#define FTPSGW_PROXY_LIMITS_H

/* Longest control line (command or reply), without its CRLF. RFC 959 sets no
 * limit; 4096 holds any real path (PATH_MAX) plus a verb. Longer lines are
 * answered with 500 and discarded up to the next LF, never buffered. */
#define FTP_LINE_MAX 4096

/* Longest command line as ftpsgw sends it to the server, without its CRLF:
 * FTP_LINE_MAX data bytes, each 0xFF doubled (Telnet IAC IAC, RFC 854). */
#define FTP_WIRE_LINE_MAX (2 * FTP_LINE_MAX)

/* Longest verb we recognise (all RFC verbs have 3 or 4 letters). */
#define FTP_VERB_MAX 4

/* Capacity of each control-channel buffer (one per direction): holds the
 * longest command as the server gets it, with its CRLF. */
#define CTRL_BUF_SIZE (2 * FTP_LINE_MAX + 64)
_Static_assert(CTRL_BUF_SIZE >= FTP_WIRE_LINE_MAX + 2,
    "a whole escaped command line must fit the server's output buffer");

/* Capacity of each data-channel buffer (one per direction): eight TLS
 * records, taken and written in one system call each way (conn_batch);
 * allocated only while data flows. */
#define DATA_BUF_SIZE (128 * 1024)

/* A batched data connection (conn_batch): bytes taken per read(),
 * and encrypted bytes gathered per write(): a full data buffer's worth of
 * records with their headers and tags (at most 29 bytes per 16 KiB). */
#define CONN_BATCH_READ (DATA_BUF_SIZE + 4096)
#define CONN_BATCH_WRITE (DATA_BUF_SIZE + 4096)

/*
 * Receive coalescing on a batched data connection (conn_coalesce): once a
 * stream has moved CONN_COALESCE_ON bytes, its socket wakes us only when
 * CONN_RCVLOWAT bytes are there (SO_RCVLOWAT), so that each wake-up moves
 * several records instead of the one the sender just wrote. Bytes below
 * that are never left behind: CONN_NUDGE_MS after the relay's last pass it
 * reads whatever is there, and a stream that slow goes back to a wake-up
 * per arrival for its next CONN_COALESCE_ON bytes. A FIN or an error wakes
 * at once either way.
 */
#define CONN_COALESCE_ON (256 * 1024)
#define CONN_RCVLOWAT (64 * 1024)
/* ... and only on a socket whose receive buffer is this large already
 * (conn_rcvbuf_allows). */
#define CONN_RCVBUF_MIN (8 * CONN_RCVLOWAT)
#define CONN_NUDGE_MS 2

/* Bytes one conn may move per wake-up, so one transfer cannot starve others. */
#define IO_BUDGET (256 * 1024)

/* Commands forwarded to the backend whose replies are still awaited. */
#define CMD_FIFO_MAX 32

/* Longest configuration file line. */
#define CFG_LINE_MAX 1024

#endif
