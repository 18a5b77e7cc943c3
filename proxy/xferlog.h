/* The transfer log's line: one completed or failed transfer in the
 * wu-ftpd xferlog(5) format that ProFTPD and vsftpd write, so existing
 * analysers read it. Pure: struct in, text out; libc only, no I/O. */
#ifndef FTPSGW_PROXY_XFERLOG_H
#define FTPSGW_PROXY_XFERLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Input bytes of a file name written; a longer one ends in "...". */
#define XFERLOG_NAME_MAX	1024
/* Input bytes of a user name (or an anonymous user's address). */
#define XFERLOG_USER_MAX	128
/* Input bytes of the remote host (a numeric address). */
#define XFERLOG_HOST_MAX	64
/* The longest line xferlog_format writes, its '\n' included: the fixed
 * fields, three fields of at most their input and "...", and the NUL. */
#define XFERLOG_LINE_MAX \
	(128 + XFERLOG_NAME_MAX + XFERLOG_USER_MAX + XFERLOG_HOST_MAX + 3 * 3)

/* One transfer, as the session saw it. Text fields are peer bytes as they
 * came (any byte but NUL); xferlog_format makes them safe. */
struct xferlog_rec {
	struct tm when;		/* current-time: local time at the end */
	uint64_t elapsed_ms;	/* from the command to its end */
	const char *host;	/* remote-host: the client's address */
	size_t host_len;
	uint64_t bytes;		/* file-size: bytes carried */
	const char *name;	/* filename: as the client sent it */
	size_t name_len;
	const char *user;	/* username: USER, or for an anonymous login
				 * the address given as its password */
	size_t user_len;
	bool ascii;		/* transfer-type a (TYPE A), else b */
	bool upload;		/* direction i (STOR, APPE, STOU), else o */
	bool anonymous;		/* access-mode a, else r */
	bool complete;		/* completion-status c, else i */
};

/*
 * xferlog_format - write r as one xferlog(5) line ending in '\n':
 *   current-time transfer-time remote-host file-size filename
 *   transfer-type special-action-flag direction access-mode username
 *   service-name authentication-method authenticated-user-id
 *   completion-status
 * current-time is ctime's "Www Mmm dd hh:mm:ss yyyy" (day padded with a
 * space, English names whatever the locale); transfer-time is whole
 * seconds, rounded, at least 1 (as vsftpd writes it: analysers divide by
 * it); special-action-flag "_", service-name "ftp", authentication-method
 * "0", authenticated-user-id "*".
 * Text fields (xferlog_field): SECURITY: peer bytes never add a field or a
 * line.
 * @buf: at least XFERLOG_LINE_MAX bytes for any r; NUL-terminated.
 * Returns the line's length ('\n' included, NUL not), or 0 when cap is
 * too small (buf is then "").
 */
size_t xferlog_format(char *buf, size_t cap, const struct xferlog_rec *r);

/*
 * xferlog_field - peer bytes src[0..len) as one xferlog field in dst:
 *   - printable ASCII but space is kept;
 *   - space and the control characters (0x00-0x1f, 0x7f) become '_', as
 *     ProFTPD writes them;
 *   - a well-formed UTF-8 character is kept, unless it is a C1 control,
 *     a Unicode space or line separator (which a UTF-8-aware reader
 *     would split at) or a bidirectional or zero-width format character
 *     (which would show the line other than it is): each of its bytes
 *     becomes '_';
 *   - any other byte (a name that is not UTF-8, e.g. Latin-1) becomes
 *     '?', as vsftpd writes unprintable bytes;
 * at most max input bytes, then "..." (cut before a character, never in
 * one); empty input gives "*" (not available). dst holds max + 4 bytes;
 * NUL-terminated. Returns the length written.
 */
size_t xferlog_field(char *dst, const char *src, size_t len, size_t max);

/* Is this USER an anonymous login ("anonymous" or "ftp", any case, as
 * vsftpd and ProFTPD's usual <Anonymous> setup take them)? */
bool xferlog_user_anonymous(const char *user, size_t len);

/*
 * xferlog_stou_name - the file name in a reply to STOU: RFC 1123 4.1.2.9
 * has the server name it as "FILE: name" ("150 FILE: a.1", "226 FILE:
 * a.1"); ProFTPD, vsftpd and pure-ftpd do. line is one reply line (no
 * CRLF). Returns true and sets *off and *n to the name within line when
 * the text after the code starts with "FILE:" (any case; spaces after the
 * colon skipped, the name running to the end of the line and not empty).
 */
bool xferlog_stou_name(const char *line, size_t len, size_t *off, size_t *n);

/*
 * xferlog_chroot_path - the path to reopen after chroot(root): path
 * (absolute) with root taken off its front, e.g. "/var/lib/ftpsgw/log/x"
 * under "/var/lib/ftpsgw" is "/log/x". root "" (no chroot): path itself.
 * NULL when path is not inside root (it cannot be reached any more).
 * Trailing slashes of root are ignored; "/srv/ftpsgw2/x" is not inside
 * "/srv/ftpsgw". The result points into path.
 */
const char *xferlog_chroot_path(const char *path, const char *root);

#endif
