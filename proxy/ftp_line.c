/* Control-channel framer: cuts the byte stream into whole CRLF or LF lines. */
#include "proxy/ftp_line.h"

#include <string.h>

/*
 * Over-long lines are never buffered: as soon as more than max bytes are seen
 * without a line end, the line is reported once and the framer drops bytes up
 * to the next LF, so a peer cannot make the caller's buffer hold a line it
 * will refuse anyway. A NUL byte is only reported for a whole line, so the
 * caller answers each bad line once, in order with the good ones.
 */
enum ftp_frame
ftp_frame_next(struct ftp_framer *f, const char *p, size_t len, size_t max,
    size_t *line_len, size_t *consumed)
{
	const char *lf;
	size_t end, n;

	*line_len = 0;
	*consumed = 0;
	lf = len > 0 ? memchr(p, '\n', len) : NULL;

	if (f->discarding) {
		/* The caller must call again: the next line starts at p only
		 * once the discarded bytes have been dropped. */
		if (lf == NULL) {
			*consumed = len;
			return FTP_FRAME_MORE;
		}
		f->discarding = false;
		*consumed = (size_t)(lf - p) + 1;
		return FTP_FRAME_MORE;
	}

	if (lf == NULL) {
		/*
		 * max bytes may still be followed by the CR of a CRLF, so only
		 * max + 1 bytes not ending in CR, or max + 2 bytes, prove the
		 * line too long. Written without max + 1 so that a huge max
		 * cannot overflow.
		 */
		if (len > max && (len - max > 1 || p[max] != '\r')) {
			f->discarding = true;
			*consumed = len;
			return FTP_FRAME_TOO_LONG;
		}
		return FTP_FRAME_MORE;
	}

	end = (size_t)(lf - p);
	n = end;
	if (n > 0 && p[n - 1] == '\r')
		n--;
	*consumed = end + 1;
	if (n > max)
		return FTP_FRAME_TOO_LONG;
	if (memchr(p, '\0', n) != NULL)
		return FTP_FRAME_NUL;
	*line_len = n;
	return FTP_FRAME_LINE;
}
