/* Checking the names an administrator types for certificates: DNS names,
 * IP addresses and CIDR ranges. Pure: libc only, no I/O, no OpenSSL. */
#ifndef FTPSGW_CERTS_CA_NAME_H
#define FTPSGW_CERTS_CA_NAME_H

#include <stddef.h>

/* Longest DNS name in text form without the trailing dot (RFC 1035 2.3.4:
 * 255 octets on the wire), and longest label. */
#define CA_DNS_MAX 253
#define CA_LABEL_MAX 63

/* Longest text form of an address or CIDR range, NUL included. */
#define CA_IP_TEXT_MAX 64

enum ca_name_result {
	CA_NAME_OK,
	CA_NAME_EMPTY,		/* "" */
	CA_NAME_TOO_LONG,	/* > CA_DNS_MAX, or a label > CA_LABEL_MAX */
	CA_NAME_BAD_CHAR,	/* not letter, digit, '-', '.' (IDN: xn--) */
	CA_NAME_BAD_LABEL,	/* empty label, or '-' at a label's edge */
	CA_NAME_BAD_WILDCARD,	/* '*' not as the whole leftmost label */
	CA_NAME_IS_IP,		/* an address where a DNS name belongs */
	CA_NAME_BAD_IP,		/* neither IPv4 dotted quad nor IPv6 */
	CA_NAME_BAD_PREFIX,	/* /prefix missing, not a number, too long */
	CA_NAME_HOST_BITS,	/* CIDR with bits set beyond the prefix */
};

/* Flags for ca_name_dns(). */
#define CA_NAME_WILDCARD	0x1	/* allow "*.rest" (SANs) */
#define CA_NAME_LEADING_DOT	0x2	/* allow ".rest" (constraints) */

struct ca_ip {
	unsigned char len;	/* 4 (IPv4) or 16 (IPv6) */
	unsigned char prefix;	/* network bits; 8 * len for one address */
	unsigned char addr[16];	/* network byte order, first len bytes */
};

/* Most subtrees of one kind (DNS or IP) and one list (permitted or
 * excluded) kept from a CA's nameConstraints; ours have a handful. */
#define CA_NC_MAX 32

enum { CA_NC_PERMIT, CA_NC_EXCLUDE };

/* A CA's nameConstraints (RFC 5280 4.2.1.10) in the two forms ftpsgw's
 * certificates use. dns[k][i] may be "" (matches every name) or start with
 * '.' (matches only names below it). */
struct ca_nc {
	size_t n_dns[2];	/* [CA_NC_PERMIT], [CA_NC_EXCLUDE] */
	char dns[2][CA_NC_MAX][CA_DNS_MAX + 1];
	size_t n_ip[2];
	struct ca_ip ip[2][CA_NC_MAX];
	size_t n_other;		/* other kinds (email...): not checked */
	int truncated;		/* over CA_NC_MAX of a kind: cut */
};

enum ca_name_fit {
	CA_FIT_OK,		/* allowed, or no subtree of that kind */
	CA_FIT_NOT_PERMITTED,	/* permitted subtrees exist, none match */
	CA_FIT_EXCLUDED,	/* an excluded subtree matches */
};

/*
 * ca_name_dns - check a DNS name and copy it, lower-cased and without a
 * trailing dot, into out (capacity CA_DNS_MAX + 1). flags: CA_NAME_*.
 * Returns CA_NAME_OK, or the first rule the name breaks (out undefined).
 */
enum ca_name_result ca_name_dns(const char *in, unsigned int flags,
    char *out);

/* ca_name_ip - parse one IPv4 or IPv6 address (prefix set to 8 * len). */
enum ca_name_result ca_name_ip(const char *in, struct ca_ip *ip);

/* ca_name_cidr - parse "ADDR/PREFIX"; a bare address means the one host.
 * Bits beyond the prefix must be zero (CA_NAME_HOST_BITS otherwise). */
enum ca_name_result ca_name_cidr(const char *in, struct ca_ip *ip);

/* ca_name_mask - the netmask of ip->prefix into mask (ip->len bytes). */
void ca_name_mask(const struct ca_ip *ip, unsigned char *mask);

/* ca_name_ip_text - "ADDR" or, when prefix < 8 * len, "ADDR/PREFIX" into
 * buf (capacity CA_IP_TEXT_MAX). Returns buf. */
char *ca_name_ip_text(const struct ca_ip *ip, char *buf);

/* ca_name_dns_within - does DNS name (wildcards included) fall in the
 * subtree base? ASCII case-insensitive, like RFC 5280 4.2.1.10. */
int ca_name_dns_within(const char *name, const char *base);

/* ca_name_ip_within - is ip inside range (same family, prefix bits equal)? */
int ca_name_ip_within(const struct ca_ip *ip, const struct ca_ip *range);

/* ca_name_fit_dns, ca_name_fit_ip - may a CA with constraints nc vouch for
 * this name? Mirrors what verifiers do: a permitted list of the name's kind
 * must hold a match, and no excluded subtree may match. */
enum ca_name_fit ca_name_fit_dns(const struct ca_nc *nc, const char *name);
enum ca_name_fit ca_name_fit_ip(const struct ca_nc *nc, const struct ca_ip *ip);

/* ca_name_strerror - what the rule behind r is, as a phrase for a message
 * ("labels may hold only letters, digits and '-' ..."). Static string. */
const char *ca_name_strerror(enum ca_name_result r);

#endif
