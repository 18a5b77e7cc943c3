/* Reply scrubbing: LAN addresses replaced, stray passive replies withheld. */
#include "proxy/ftp_scrub.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* Longest IPv6 text inet_pton may take ("ffff:...:255.255.255.255"). */
#define SCRUB_V6_TEXT_MAX	45
/* Room for any replacement text: IPv6 text, or "255,255,255,255,0,0". */
#define SCRUB_REPL_MAX		64

static bool
scrub_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
scrub_hex(char c)
{
	return scrub_digit(c) || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

/*
 * 1 to 3 decimal digits at p[*i..len) with a value of at most 255; *i
 * advances past them. Leading zeros are read as decimal (a server printing
 * "010" means ten, and the match must not depend on it).
 */
static bool
scrub_octet(const char *p, size_t len, size_t *i, uint8_t *out)
{
	unsigned v = 0;
	size_t start = *i;

	while (*i < len && scrub_digit(p[*i]) && *i - start < 3) {
		v = v * 10u + (unsigned)(p[*i] - '0');
		(*i)++;
	}
	if (*i == start || v > 255 || (*i < len && scrub_digit(p[*i])))
		return false;
	*out = (uint8_t)v;
	return true;
}

/* Four octets separated by sep at p[*i..]; *i advances past the fourth. */
static bool
scrub_quad(const char *p, size_t len, size_t *i, char sep, uint8_t a[4])
{
	int k;

	for (k = 0; k < 4; k++) {
		if (k > 0) {
			if (*i >= len || p[*i] != sep)
				return false;
			(*i)++;
		}
		if (!scrub_octet(p, len, i, &a[k]))
			return false;
	}
	return true;
}

/* The pair whose LAN address is family/addr, or NULL. An IPv4-mapped IPv6
 * address matches the IPv4 one. */
static const struct ftp_scrub_pair *
scrub_find(const struct ftp_scrub_pair *pairs, size_t n, int family,
    const uint8_t *addr)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };
	size_t k;

	if (family == AF_INET6 && memcmp(addr, mapped, sizeof(mapped)) == 0) {
		family = AF_INET;
		addr += sizeof(mapped);
	}
	for (k = 0; k < n; k++) {
		const struct net_addr *l = &pairs[k].lan;

		if (l->family == family && memcmp(l->addr, addr,
		    family == AF_INET ? 4 : 16) == 0)
			return &pairs[k];
	}
	return NULL;
}

/* The public address as text (dotted IPv4 or IPv6); its length. */
static size_t
scrub_text(const struct net_addr *a, char *buf, size_t cap)
{
	if (inet_ntop(a->family, a->addr, buf, (socklen_t)cap) == NULL)
		return 0;
	return strlen(buf);
}

/* The public address as "h1,h2,h3,h4" (0,0,0,0 for IPv6, which a tuple
 * cannot hold); with_ports appends ",0,0". Its length. */
static size_t
scrub_tuple(const struct net_addr *a, bool with_ports, char *buf, size_t cap)
{
	static const uint8_t none[4];
	const uint8_t *b = a->family == AF_INET ? a->addr : none;
	int n;

	n = snprintf(buf, cap, "%u,%u,%u,%u%s", b[0], b[1], b[2], b[3],
	    with_ports ? ",0,0" : "");
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* IPv6 text at p[i..len): the longest run of hex digits, colons and dots
 * with two colons or more (a trailing colon or dot is punctuation). Sets
 * *end past it; false when there is no IPv6 address there. */
static bool
scrub_v6(const char *p, size_t len, size_t i, uint8_t a[16], size_t *end)
{
	char text[SCRUB_V6_TEXT_MAX + 1];
	size_t j, colons = 0;

	for (j = i; j < len && (scrub_hex(p[j]) || p[j] == ':' ||
	    p[j] == '.'); j++)
		colons += p[j] == ':';
	if (colons < 2)
		return false;
	while (j - i > 2 && (p[j - 1] == ':' || p[j - 1] == '.') &&
	    !(p[j - 2] == ':' && p[j - 1] == ':'))
		j--;
	if (j - i > SCRUB_V6_TEXT_MAX)
		return false;
	memcpy(text, p + i, j - i);
	text[j - i] = '\0';
	if (inet_pton(AF_INET6, text, a) != 1)
		return false;
	*end = j;
	return true;
}

/*
 * A LAN address written at p[i]: IPv6 text, dotted IPv4, or a comma tuple,
 * each only where the byte before p[i] cannot continue a token of its kind.
 * On a match sets *end past the token and writes the replacement into repl
 * (SCRUB_REPL_MAX bytes); returns its length, or 0 when there is nothing to
 * replace at p[i].
 */
static size_t
scrub_token(const char *p, size_t len, size_t i,
    const struct ftp_scrub_pair *pairs, size_t n, size_t *end, char *repl)
{
	const struct ftp_scrub_pair *hit;
	char prev = i > 0 ? p[i - 1] : ' ';
	uint8_t a[16], port[2];
	size_t j, k;
	bool ports = false;

	if (!scrub_hex(prev) && prev != ':' && prev != '.' &&
	    scrub_v6(p, len, i, a, &j)) {
		hit = scrub_find(pairs, n, AF_INET6, a);
		if (hit != NULL) {
			*end = j;
			return scrub_text(&hit->pub, repl, SCRUB_REPL_MAX);
		}
	}
	if (!scrub_digit(p[i]) || scrub_digit(prev))
		return 0;

	/* Dotted IPv4, not followed by more of a dotted number. */
	j = i;
	if (prev != '.' && scrub_quad(p, len, &j, '.', a) &&
	    !(j + 1 < len && p[j] == '.' && scrub_digit(p[j + 1]))) {
		hit = scrub_find(pairs, n, AF_INET, a);
		if (hit == NULL)
			return 0;
		*end = j;
		return scrub_text(&hit->pub, repl, SCRUB_REPL_MAX);
	}

	/* h1,h2,h3,h4 and the two port numbers that may follow. */
	j = i;
	if (prev == ',' || !scrub_quad(p, len, &j, ',', a))
		return 0;
	hit = scrub_find(pairs, n, AF_INET, a);
	if (hit == NULL)
		return 0;
	k = j;
	if (k < len && p[k] == ',') {
		k++;
		if (scrub_octet(p, len, &k, &port[0]) && k < len &&
		    p[k] == ',') {
			k++;
			ports = scrub_octet(p, len, &k, &port[1]);
		}
	}
	*end = ports ? k : j;
	return scrub_tuple(&hit->pub, ports, repl, SCRUB_REPL_MAX);
}

static unsigned
scrub_passive(const char *line, size_t len, char *out, size_t cap,
    size_t *out_len)
{
	static const char text[] = FTP_SCRUB_WITHHELD;
	/* The code and its separator: a bare "227" gets a space. */
	const size_t head = 4;

	if (head + sizeof(text) - 1 > cap) {
		*out_len = 0;
		return FTP_SCRUB_PASSIVE | FTP_SCRUB_CUT;
	}
	memcpy(out, line, 3);
	out[3] = len > 3 ? line[3] : ' ';
	memcpy(out + head, text, sizeof(text) - 1);
	*out_len = head + sizeof(text) - 1;
	return FTP_SCRUB_PASSIVE;
}

unsigned
ftp_scrub_reply(const char *line, size_t len,
    const struct ftp_scrub_pair *pairs, size_t n, char *out, size_t cap,
    size_t *out_len)
{
	char repl[SCRUB_REPL_MAX];
	unsigned did = 0;
	size_t i = 0, o = 0;

	/* "227", "227 text" or "227-text" (and 228, 229). */
	if (len >= 3 && line[0] == '2' && line[1] == '2' && line[2] >= '7' &&
	    line[2] <= '9' && (len == 3 || line[3] == ' ' || line[3] == '-'))
		return scrub_passive(line, len, out, cap, out_len);

	while (i < len) {
		size_t end = 0, r = 0;

		r = scrub_token(line, len, i, pairs, n, &end, repl);
		if (r > 0) {
			if (cap - o < r) {
				did |= FTP_SCRUB_CUT;
				break;
			}
			memcpy(out + o, repl, r);
			o += r;
			i = end;
			did |= FTP_SCRUB_ADDR;
			continue;
		}
		if (o == cap) {
			did |= FTP_SCRUB_CUT;
			break;
		}
		if (line[i] == '\r') {
			out[o++] = ' ';
			did |= FTP_SCRUB_CR;
		} else {
			out[o++] = line[i];
		}
		i++;
	}
	if (did & FTP_SCRUB_CUT) {
		/* A number or address cut in two could read as a LAN address
		 * ("010,0,0,1" of "010,0,0,10000"): the cut goes before it. */
		while (o > 0 && (scrub_hex(out[o - 1]) || out[o - 1] == '.' ||
		    out[o - 1] == ':' || out[o - 1] == ','))
			o--;
	}
	*out_len = o;
	return did;
}
