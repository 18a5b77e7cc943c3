/* Writers for the FTP lines ftpsgw rewrites or makes up, the FEAT filter
 * and the feature lines ftpsgw adds. Pure: each writer puts one line into a
 * caller buffer and fails on truncation. */
#include "proxy/ftp_rewrite.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <sys/socket.h>

#include "proxy/ftp_codes.h"

/* Turns an snprintf result into the writers' contract: the length, or -1
 * with an empty string in buf, so a truncated line is never sent by mistake. */
static int
ftp_fmt_done(char *buf, size_t cap, int n)
{
	if (n < 0 || (size_t)n >= cap) {
		if (buf != NULL && cap > 0)
			buf[0] = '\0';
		return -1;
	}
	return n;
}

static int
ftp_fmt_fail(char *buf, size_t cap)
{
	return ftp_fmt_done(buf, cap, -1);
}

/* The parsers refuse port 0, so the writers do too: whatever ftpsgw writes
 * must read back. */
static bool
ftp_v4_ok(const struct net_addr *a)
{
	return a != NULL && a->family == AF_INET && a->port != 0;
}

int
ftp_fmt_227(char *buf, size_t cap, const struct net_addr *a)
{
	if (buf == NULL || !ftp_v4_ok(a))
		return ftp_fmt_fail(buf, cap);
	return ftp_fmt_done(buf, cap, snprintf(buf, cap,
	    "%u Entering Passive Mode (%u,%u,%u,%u,%u,%u).\r\n", FTP_PASV_OK,
	    a->addr[0], a->addr[1], a->addr[2], a->addr[3],
	    (unsigned)a->port >> 8, (unsigned)a->port & 0xffu));
}

int
ftp_fmt_229(char *buf, size_t cap, unsigned port)
{
	if (buf == NULL || port == 0 || port > 65535)
		return ftp_fmt_fail(buf, cap);
	return ftp_fmt_done(buf, cap, snprintf(buf, cap,
	    "%u Entering Extended Passive Mode (|||%u|)\r\n", FTP_EPSV_OK,
	    port));
}

int
ftp_fmt_port(char *buf, size_t cap, const struct net_addr *a)
{
	if (buf == NULL || !ftp_v4_ok(a))
		return ftp_fmt_fail(buf, cap);
	return ftp_fmt_done(buf, cap, snprintf(buf, cap,
	    "PORT %u,%u,%u,%u,%u,%u\r\n",
	    a->addr[0], a->addr[1], a->addr[2], a->addr[3],
	    (unsigned)a->port >> 8, (unsigned)a->port & 0xffu));
}

int
ftp_fmt_eprt(char *buf, size_t cap, const struct net_addr *a)
{
	char host[INET6_ADDRSTRLEN];
	int proto;

	if (buf == NULL || a == NULL || a->port == 0)
		return ftp_fmt_fail(buf, cap);
	if (a->family == AF_INET)
		proto = 1;
	else if (a->family == AF_INET6)
		proto = 2;
	else
		return ftp_fmt_fail(buf, cap);
	if (inet_ntop(a->family, a->addr, host, sizeof(host)) == NULL)
		return ftp_fmt_fail(buf, cap);
	return ftp_fmt_done(buf, cap, snprintf(buf, cap, "EPRT |%d|%s|%u|\r\n",
	    proto, host, (unsigned)a->port));
}

/* strncasecmp follows the locale (in a Turkish locale "i" is not "I"); the
 * protocol is ASCII. word must be upper case. */
static bool
ftp_word_is(const char *p, size_t n, const char *word)
{
	size_t i;
	char c;

	for (i = 0; i < n; i++) {
		c = p[i];
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (word[i] == '\0' || c != word[i])
			return false;
	}
	return word[n] == '\0';
}

/*
 * RFC 2389 feature lines start with one SP; leading blanks are skipped
 * whatever their number, so a server that omits or doubles it is filtered
 * alike. The first word ends at SP, HT or the end of the line, so
 * "AUTH<HT>TLS" cannot slip through to a client that splits on both.
 */
enum ftp_feat_line
ftp_feat_filter(const char *line, size_t len)
{
	/* Security mechanisms are ftpsgw's own; refused verbs
	 * (FTP_ACT_REFUSE) must not be advertised. */
	static const char *const drop[] = {
		"AUTH", "PBSZ", "PROT", "CCC", "ADAT", "LPSV", "LPRT",
		"CPSV", "SSCN", "ESTA", "ESTP",
	};
	size_t i, k, n;

	for (i = 0; i < len && (line[i] == ' ' || line[i] == '\t'); i++)
		continue;
	for (n = 0; i + n < len && line[i + n] != ' ' && line[i + n] != '\t';
	    n++)
		continue;
	for (k = 0; k < sizeof(drop) / sizeof(drop[0]); k++)
		if (ftp_word_is(line + i, n, drop[k]))
			return FTP_FEAT_DROP;
	return FTP_FEAT_KEEP;
}

/* CCC last: it is the one left out without allow_ccc. */
static const char *const ftp_feat_ours[] = {
	" AUTH TLS", " PBSZ", " PROT", " CCC",
};

const char *
ftp_feat_added(size_t i, bool allow_ccc, bool wrap)
{
	size_t n = sizeof(ftp_feat_ours) / sizeof(ftp_feat_ours[0]) -
	    (allow_ccc ? 0 : 1);

	if (wrap) {
		if (i == 0)
			return FTP_CODE_STR(FTP_FEAT_OK) "-Features:";
		if (i == n + 1)
			return FTP_CODE_STR(FTP_FEAT_OK) " End";
		i--;
	}
	return i < n ? ftp_feat_ours[i] : NULL;
}
