/* Keeping the LAN out of relayed replies: the FTP server's own address and
 * ftpsgw's LAN address, wherever a reply names them, become what the client
 * knows (ftpsgw's public address, the client's own); passive replies that
 * did not come through ftpsgw's rewriter are withheld. Pure: no I/O, no
 * malloc, no globals. */
#ifndef FTPSGW_PROXY_FTP_SCRUB_H
#define FTPSGW_PROXY_FTP_SCRUB_H

#include <stddef.h>

#include "proxy/addr.h"

/* A LAN address and what stands for it outside (ports are ignored). */
struct ftp_scrub_pair {
	struct net_addr lan;
	struct net_addr pub;
};

/* Pairs a session needs: the server's address, and ftpsgw's LAN address
 * (the peer the server sees). */
#define FTP_SCRUB_PAIRS_MAX 2

/* What ftp_scrub_reply changed (bits; 0: the line is copied unchanged). */
#define FTP_SCRUB_ADDR		0x01u	/* a LAN address was replaced */
#define FTP_SCRUB_PASSIVE	0x02u	/* a 227/228/229 text was withheld */
#define FTP_SCRUB_CR		0x04u	/* a bare CR became a space */
#define FTP_SCRUB_CUT		0x08u	/* the result did not fit: cut short */

/* Text that replaces a withheld passive reply's (after "227 " etc.). */
#define FTP_SCRUB_WITHHELD "Passive reply withheld by the gateway."

/*
 * ftp_scrub_reply - copy one reply line (no CRLF) from the server into out,
 * cleaned for the client.
 * @line, @len:  the line as the server sent it
 * @pairs, @n:   the LAN addresses to replace and their replacements
 * @out, @cap:   caller's buffer; the result is not NUL-terminated
 * @out_len:     set to the result's length (<= cap)
 *
 * A line starting with the code 227, 228 or 229 (PASV, LPSV, EPSV replies)
 * keeps its code and separator and gets FTP_SCRUB_WITHHELD as text: every
 * passive reply the client should see is written by ftpsgw, so one that
 * reaches this function names the server's address or port. Elsewhere, a
 * LAN address written as IPv4 dotted text, IPv6 text (IPv4-mapped forms
 * included), or as the four first numbers of a PASV/PORT tuple (h1,h2,h3,h4)
 * is replaced by the pair's public address; the two port numbers that may
 * follow in a tuple become 0,0 (they are the LAN side's ports). A token
 * matches only as a whole (198.51.100.1 is not inside 198.51.100.10). A
 * bare CR becomes a space. When the result would not fit in cap, it is cut
 * before the first byte or replacement that does not fit, and before the
 * run of digits, hex letters, '.', ':' and ',' it would end in (a number
 * cut in two could read as an address); a LAN address is never copied.
 * Returns the FTP_SCRUB_* bits of what was changed.
 */
unsigned ftp_scrub_reply(const char *line, size_t len,
    const struct ftp_scrub_pair *pairs, size_t n, char *out, size_t cap,
    size_t *out_len);

#endif
