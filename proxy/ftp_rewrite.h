/* FTP reply and command writers for the lines ftpsgw rewrites or makes up,
 * and its FEAT lines. Pure: writers write into a caller buffer of known
 * capacity and fail on truncation. */
#ifndef FTPSGW_PROXY_FTP_REWRITE_H
#define FTPSGW_PROXY_FTP_REWRITE_H

#include <stdbool.h>
#include <stddef.h>

#include "proxy/addr.h"

/*
 * Each writer puts one CRLF-terminated line into buf[0..cap) and NUL-terminates
 * it. Returns the line length (CRLF included, NUL not), or -1 when cap is too
 * small or the input is invalid (nothing useful is left in buf then).
 */

/* "227 Entering Passive Mode (h1,h2,h3,h4,p1,p2).\r\n"; a must be AF_INET. */
int ftp_fmt_227(char *buf, size_t cap, const struct net_addr *a);

/* "229 Entering Extended Passive Mode (|||port|)\r\n" */
int ftp_fmt_229(char *buf, size_t cap, unsigned port);

/* "PORT h1,h2,h3,h4,p1,p2\r\n"; a must be AF_INET. */
int ftp_fmt_port(char *buf, size_t cap, const struct net_addr *a);

/* "EPRT |1|a.b.c.d|port|\r\n" or "EPRT |2|v6addr|port|\r\n" */
int ftp_fmt_eprt(char *buf, size_t cap, const struct net_addr *a);

enum ftp_feat_line {
	FTP_FEAT_KEEP,
	FTP_FEAT_DROP,
};

/*
 * ftp_feat_filter - decide whether a backend FEAT feature line (an inner line
 * of the 211 reply, e.g. " MLST size*;modify*;" or " AUTH TLS") is shown to the
 * client. Security mechanisms are ftpsgw's own (it adds its own AUTH TLS, PBSZ
 * and PROT lines), so AUTH, PBSZ, PROT, CCC, ADAT, LPSV, LPRT are dropped;
 * everything else is kept. Matching is case-insensitive on the first word.
 */
enum ftp_feat_line ftp_feat_filter(const char *line, size_t len);

/*
 * ftp_feat_added - the i-th line (from 0) ftpsgw writes into the client's
 * FEAT reply (RFC 2389, RFC 4217), or NULL past the last: its own security
 * features " AUTH TLS", " PBSZ", " PROT", and " CCC" when allow_ccc. wrap:
 * the server's reply was a single line (no features), which these lines
 * replace, so they come between "211-Features:" and "211 End"; else they go
 * before the server's last line. Static text without CRLF.
 */
const char *ftp_feat_added(size_t i, bool allow_ccc, bool wrap);

#endif
