/* Checking DNS names, addresses and CIDR ranges typed on the command line,
 * before any of them reaches a certificate. Pure: libc only. */
#include "certs/ca_name.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

/* Is s (NUL-terminated) the text form of an IPv4 or IPv6 address? */
static int
ca_name_looks_ip(const char *s)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, s, buf) == 1 ||
	    inet_pton(AF_INET6, s, buf) == 1;
}

/* Check one label of len bytes at p, lower-casing it into out. */
static enum ca_name_result
ca_name_label(const char *p, size_t len, char *out)
{
	size_t i;
	char c;

	if (len == 0)
		return CA_NAME_BAD_LABEL;
	if (len > CA_LABEL_MAX)
		return CA_NAME_TOO_LONG;
	if (p[0] == '-' || p[len - 1] == '-')
		return CA_NAME_BAD_LABEL;
	for (i = 0; i < len; i++) {
		c = p[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		else if (c == '*')
			return CA_NAME_BAD_WILDCARD;
		else if (!(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9') &&
		    c != '-')
			return CA_NAME_BAD_CHAR;
		out[i] = c;
	}
	return CA_NAME_OK;
}

enum ca_name_result
ca_name_dns(const char *in, unsigned int flags, char *out)
{
	enum ca_name_result r;
	const char *p, *dot;
	size_t len, pos, nlabels;

	len = strlen(in);
	if (len > 0 && in[len - 1] == '.')
		len--;			/* absolute form "name." */
	if (len == 0)
		return CA_NAME_EMPTY;
	if (len > CA_DNS_MAX)
		return CA_NAME_TOO_LONG;
	memcpy(out, in, len);
	out[len] = '\0';
	if (ca_name_looks_ip(out))
		return CA_NAME_IS_IP;

	p = in;
	pos = 0;
	if ((flags & CA_NAME_LEADING_DOT) != 0 && *p == '.') {
		out[pos++] = '.';
		p++;
	}
	/* "*" as the whole leftmost label, with two labels after it, so that
	 * a wildcard never covers a whole top-level domain. */
	if ((flags & CA_NAME_WILDCARD) != 0 && (size_t)(p + 2 - in) < len &&
	    p[0] == '*' && p[1] == '.') {
		dot = memchr(p + 2, '.', len - (size_t)(p + 2 - in));
		if (dot == NULL)
			return CA_NAME_BAD_WILDCARD;
		out[pos++] = '*';
		out[pos++] = '.';
		p += 2;
	}

	nlabels = 0;
	while ((size_t)(p - in) < len) {
		dot = memchr(p, '.', len - (size_t)(p - in));
		if (dot == NULL)
			dot = in + len;
		r = ca_name_label(p, (size_t)(dot - p), out + pos);
		if (r != CA_NAME_OK)
			return r;
		pos += (size_t)(dot - p);
		nlabels++;
		if (dot == in + len)
			break;
		out[pos++] = '.';
		p = dot + 1;
		if ((size_t)(p - in) == len)
			return CA_NAME_BAD_LABEL;	/* "a..": empty last */
	}
	if (nlabels == 0)
		return CA_NAME_BAD_LABEL;
	out[pos] = '\0';
	return CA_NAME_OK;
}

enum ca_name_result
ca_name_ip(const char *in, struct ca_ip *ip)
{
	memset(ip, 0, sizeof(*ip));
	if (*in == '\0')
		return CA_NAME_EMPTY;
	if (inet_pton(AF_INET, in, ip->addr) == 1)
		ip->len = 4;
	else if (inet_pton(AF_INET6, in, ip->addr) == 1)
		ip->len = 16;
	else
		return CA_NAME_BAD_IP;
	ip->prefix = (unsigned char)(8 * ip->len);
	return CA_NAME_OK;
}

enum ca_name_result
ca_name_cidr(const char *in, struct ca_ip *ip)
{
	enum ca_name_result r;
	const char *slash, *p;
	char addr[CA_IP_TEXT_MAX];
	unsigned char mask[16];
	unsigned int prefix;
	size_t alen, i;

	slash = strchr(in, '/');
	if (slash == NULL)
		return ca_name_ip(in, ip);
	alen = (size_t)(slash - in);
	if (alen >= sizeof(addr))
		return CA_NAME_BAD_IP;
	memcpy(addr, in, alen);
	addr[alen] = '\0';
	r = ca_name_ip(addr, ip);
	if (r != CA_NAME_OK)
		return r == CA_NAME_EMPTY ? CA_NAME_BAD_IP : r;

	/* One to three digits, no sign, no spaces, no trailing junk. */
	prefix = 0;
	for (p = slash + 1; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || p - slash > 3)
			return CA_NAME_BAD_PREFIX;
		prefix = prefix * 10 + (unsigned int)(*p - '0');
	}
	if (p == slash + 1 || prefix > 8u * ip->len)
		return CA_NAME_BAD_PREFIX;
	ip->prefix = (unsigned char)prefix;

	ca_name_mask(ip, mask);
	for (i = 0; i < ip->len; i++)
		if ((ip->addr[i] & (unsigned char)~mask[i]) != 0)
			return CA_NAME_HOST_BITS;
	return CA_NAME_OK;
}

void
ca_name_mask(const struct ca_ip *ip, unsigned char *mask)
{
	size_t i;
	unsigned int bits;

	bits = ip->prefix;
	for (i = 0; i < ip->len; i++) {
		if (bits >= 8) {
			mask[i] = 0xff;
			bits -= 8;
		} else {
			mask[i] = (unsigned char)(0xff00u >> bits);
			bits = 0;
		}
	}
}

char *
ca_name_ip_text(const struct ca_ip *ip, char *buf)
{
	size_t len;

	if (inet_ntop(ip->len == 4 ? AF_INET : AF_INET6, ip->addr, buf,
	    CA_IP_TEXT_MAX) == NULL) {
		snprintf(buf, CA_IP_TEXT_MAX, "?");
		return buf;
	}
	if (ip->prefix < 8u * ip->len) {
		len = strlen(buf);
		snprintf(buf + len, CA_IP_TEXT_MAX - len, "/%u",
		    (unsigned int)ip->prefix);
	}
	return buf;
}

/* ASCII lower case, independent of the locale. */
static int
ca_name_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int
ca_name_ends_with(const char *s, size_t slen, const char *tail, size_t tlen)
{
	size_t i;

	if (tlen > slen)
		return 0;
	s += slen - tlen;
	for (i = 0; i < tlen; i++)
		if (ca_name_lower((unsigned char)s[i]) !=
		    ca_name_lower((unsigned char)tail[i]))
			return 0;
	return 1;
}

int
ca_name_dns_within(const char *name, const char *base)
{
	size_t nlen, blen;

	nlen = strlen(name);
	blen = strlen(base);
	if (blen == 0)
		return 1;			/* "" is every name */
	if (base[0] == '.')			/* only names below base */
		return nlen > blen && ca_name_ends_with(name, nlen, base, blen);
	if (!ca_name_ends_with(name, nlen, base, blen))
		return 0;
	/* base itself, or a name whose labels end with base's. */
	return nlen == blen || name[nlen - blen - 1] == '.';
}

int
ca_name_ip_within(const struct ca_ip *ip, const struct ca_ip *range)
{
	unsigned char mask[16];
	size_t i;

	if (ip->len != range->len)
		return 0;
	ca_name_mask(range, mask);
	for (i = 0; i < ip->len; i++)
		if (((ip->addr[i] ^ range->addr[i]) & mask[i]) != 0)
			return 0;
	return 1;
}

enum ca_name_fit
ca_name_fit_dns(const struct ca_nc *nc, const char *name)
{
	size_t i;
	int hit;

	hit = 0;
	for (i = 0; i < nc->n_dns[CA_NC_PERMIT]; i++)
		if (ca_name_dns_within(name, nc->dns[CA_NC_PERMIT][i]))
			hit = 1;
	if (nc->n_dns[CA_NC_PERMIT] > 0 && !hit)
		return CA_FIT_NOT_PERMITTED;
	for (i = 0; i < nc->n_dns[CA_NC_EXCLUDE]; i++)
		if (ca_name_dns_within(name, nc->dns[CA_NC_EXCLUDE][i]))
			return CA_FIT_EXCLUDED;
	return CA_FIT_OK;
}

enum ca_name_fit
ca_name_fit_ip(const struct ca_nc *nc, const struct ca_ip *ip)
{
	size_t i;
	int hit, kinds;

	/* Verifiers compare an address only with subtrees of its own length,
	 * but a permitted list of either family constrains both. */
	hit = 0;
	kinds = nc->n_ip[CA_NC_PERMIT] > 0;
	for (i = 0; i < nc->n_ip[CA_NC_PERMIT]; i++)
		if (ca_name_ip_within(ip, &nc->ip[CA_NC_PERMIT][i]))
			hit = 1;
	if (kinds && !hit)
		return CA_FIT_NOT_PERMITTED;
	for (i = 0; i < nc->n_ip[CA_NC_EXCLUDE]; i++)
		if (ca_name_ip_within(ip, &nc->ip[CA_NC_EXCLUDE][i]))
			return CA_FIT_EXCLUDED;
	return CA_FIT_OK;
}

const char *
ca_name_strerror(enum ca_name_result r)
{
	switch (r) {
	case CA_NAME_OK:
		return "valid";
	case CA_NAME_EMPTY:
		return "it is empty";
	case CA_NAME_TOO_LONG:
		return "a DNS name has at most 253 characters and each label "
		    "at most 63";
	case CA_NAME_BAD_CHAR:
		return "labels hold only letters, digits and '-' (write "
		    "international names in their xn-- form)";
	case CA_NAME_BAD_LABEL:
		return "labels are separated by single dots and neither start "
		    "nor end with '-'";
	case CA_NAME_BAD_WILDCARD:
		return "'*' may only be the whole leftmost label, followed by "
		    "at least two labels (*.ftp.example.com)";
	case CA_NAME_IS_IP:
		return "it is an IP address; give it with --ip";
	case CA_NAME_BAD_IP:
		return "expected an IPv4 address (192.0.2.10) or an IPv6 "
		    "address (2001:db8::10)";
	case CA_NAME_BAD_PREFIX:
		return "expected ADDRESS/PREFIX with a prefix of 0-32 (IPv4) "
		    "or 0-128 (IPv6), e.g. 192.168.1.0/24";
	case CA_NAME_HOST_BITS:
		return "the address has bits set beyond the prefix; give the "
		    "network address (192.168.1.0/24, not 192.168.1.5/24)";
	}
	return "invalid";
}
