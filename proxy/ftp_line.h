/* Control-channel framer: bytes in, whole lines out. Pure: no I/O, no malloc. */
#ifndef FTPSGW_PROXY_FTP_LINE_H
#define FTPSGW_PROXY_FTP_LINE_H

#include <stdbool.h>
#include <stddef.h>

/* Framer state. A zeroed struct is a framer at the start of a line. */
struct ftp_framer {
	bool discarding;	/* inside an over-long line: drop bytes up to LF */
};

enum ftp_frame {
	FTP_FRAME_LINE,		/* a whole line: *line_len bytes at p, CR/LF cut */
	FTP_FRAME_MORE,		/* no whole line yet: read more, then call again */
	FTP_FRAME_TOO_LONG,	/* line longer than max: its rest is discarded */
	FTP_FRAME_NUL,		/* a whole line holding a NUL byte: reject it */
};

/*
 * ftp_frame_next - find the next line in p[0..len).
 * @f:        framer state, kept by the caller between calls
 * @p, @len:  unconsumed input bytes
 * @max:      longest line accepted, without its terminator (FTP_LINE_MAX)
 * @line_len: on FTP_FRAME_LINE, length of the line at p (without CRLF or LF)
 * @consumed: always set: bytes of p the caller must drop before the next call
 *            (for LINE and NUL, the line and its terminator; for TOO_LONG
 *            and MORE, what was discarded)
 *
 * Lines end with LF; one CR before it is removed (CRLF or bare LF).
 * TOO_LONG is returned once per over-long line, when it is detected; the rest
 * of that line is then silently consumed by later calls. For FTP_FRAME_LINE the
 * line starts at p (never after discarded bytes: then MORE is returned with
 * *consumed set, and the caller calls again).
 */
enum ftp_frame ftp_frame_next(struct ftp_framer *f, const char *p, size_t len,
    size_t max, size_t *line_len, size_t *consumed);

#endif
