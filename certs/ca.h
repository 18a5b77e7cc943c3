/* Keys and certificates of a small private CA: the root with its name
 * constraints, server certificates it issues, and the check that a client
 * would accept one under the other. No file or terminal I/O: ca_file loads
 * and writes, the tool prints. */
#ifndef FTPSGW_CERTS_CA_H
#define FTPSGW_CERTS_CA_H

#include <stddef.h>

#include <openssl/types.h>

#include "certs/ca_err.h"
#include "certs/ca_name.h"

/* Key sizes and curves (RFC 5480; NIST SP 800-57: RSA 2048 is the floor). */
#define CA_RSA_BITS_MIN 2048
#define CA_RSA_BITS_MAX 8192
#define CA_EC_CURVE_DEFAULT "P-256"
#define CA_CURVE_MAX 32

/* Validity. 397 days is the longest lifetime browsers accept for server
 * certificates from public CAs; Apple platforms reject more than 825 days
 * even under a root the user added. */
#define CA_ROOT_DAYS 3650
#define CA_LEAF_DAYS 397
#define CA_LEAF_DAYS_APPLE_MAX 825
#define CA_DAYS_MAX 36500
/* notBefore is set this far in the past, for clients whose clock lags. */
#define CA_BACKDATE_SECS 3600

/* ub-common-name (RFC 5280 appendix A.1). */
#define CA_CN_MAX 64
/* Serial numbers: random, positive, at most 20 octets (RFC 5280 4.1.2.2). */
#define CA_SERIAL_BITS 128
/* Most --dns plus --ip names on one certificate, and subtrees on a root. */
#define CA_NAMES_MAX 64

/* Which key to make: RSA when rsa_bits != 0, otherwise EC on curve. */
struct ca_key_spec {
	unsigned int rsa_bits;
	char curve[CA_CURVE_MAX];	/* OpenSSL group name, e.g. "P-256" */
};

/* What the root says. Without any permitted name it is unconstrained. */
struct ca_root_req {
	const char *name;		/* subject CN, <= CA_CN_MAX bytes */
	long days;
	const char *const *permit_dns;	/* checked by ca_name_dns() */
	size_t n_permit_dns;
	const struct ca_ip *permit_ip;	/* checked by ca_name_cidr() */
	size_t n_permit_ip;
};

/* What a server certificate says: at least one name of either kind. */
struct ca_leaf_req {
	const char *const *dns;		/* checked by ca_name_dns() */
	size_t n_dns;
	const struct ca_ip *ip;		/* single addresses */
	size_t n_ip;
	long days;
};

/*
 * ca_key_new - generate a key as spec says. Returns a new key (caller frees
 * with EVP_PKEY_free), or NULL with err set.
 */
EVP_PKEY *ca_key_new(const struct ca_key_spec *spec, struct ca_err *err);

/*
 * ca_key_spec_of - the spec that makes keys like key (same algorithm, curve
 * or size). Returns 0, or -1 with err set for algorithms we do not issue.
 */
int ca_key_spec_of(const EVP_PKEY *key, struct ca_key_spec *spec,
    struct ca_err *err) __attribute__((warn_unused_result));

/*
 * ca_key_describe - "ECDSA P-256", "RSA 3072 bits", ... into buf. Returns buf.
 */
char *ca_key_describe(const EVP_PKEY *key, char *buf, size_t cap);

/*
 * ca_root_new - a self-signed root for key: basicConstraints critical
 * CA:TRUE, pathlen:0; keyUsage critical keyCertSign, cRLSign;
 * subjectKeyIdentifier; and, when req permits any name, a critical
 * nameConstraints in which the kind (DNS or IP) with no permitted subtree
 * is excluded entirely. Returns a new certificate (caller frees), or NULL
 * with err set.
 */
X509 *ca_root_new(EVP_PKEY *key, const struct ca_root_req *req,
    struct ca_err *err);

/*
 * ca_leaf_new - a server certificate for the public half of pub, signed by
 * ca/ca_key: SANs from req, CN the first DNS name, basicConstraints CA:FALSE,
 * keyUsage digitalSignature (+keyEncipherment for RSA), extendedKeyUsage
 * serverAuth, subject and authority key identifiers. A notAfter past the
 * CA's is cut to the CA's and *clamped set to 1 (else 0). Returns a new
 * certificate (caller frees), or NULL with err set.
 */
X509 *ca_leaf_new(X509 *ca, EVP_PKEY *ca_key, EVP_PKEY *pub,
    const struct ca_leaf_req *req, int *clamped, struct ca_err *err);

/*
 * ca_nc_get - the nameConstraints of x into nc (zeroed first).
 * Returns 1 if x has them, 0 if not, -1 with err set if they do not parse.
 */
int ca_nc_get(X509 *x, struct ca_nc *nc, struct ca_err *err)
    __attribute__((warn_unused_result));

/*
 * ca_verify - would a client trusting ca accept leaf as a TLS server
 * certificate (chain, signatures, dates, name constraints, key usage, RFC
 * 5280 strict checks)? Returns 0, or -1 with err set to OpenSSL's verdict.
 */
int ca_verify(X509 *ca, X509 *leaf, struct ca_err *err)
    __attribute__((warn_unused_result));

#endif
