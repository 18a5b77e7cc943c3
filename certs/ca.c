/* Keys and certificates of the private CA: building the root and the server
 * certificates it signs, and checking them the way a client would. */
#include "certs/ca.h"

#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* Leaf subject when the first DNS name cannot be the CN (IP-only, or longer
 * than CA_CN_MAX). The space keeps verifiers from reading the CN as a host
 * name and testing it against DNS name constraints. */
#define CA_LEAF_CN_FALLBACK "ftpsgw gateway"

EVP_PKEY *
ca_key_new(const struct ca_key_spec *spec, struct ca_err *err)
{
	EVP_PKEY *key;

	ERR_clear_error();
	if (spec->rsa_bits != 0)
		key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA",
		    (size_t)spec->rsa_bits);
	else
		key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", spec->curve);
	if (key == NULL) {
		if (spec->rsa_bits != 0)
			ca_err_ssl(err, "cannot generate an RSA %u-bit key",
			    spec->rsa_bits);
		else
			ca_err_ssl(err, "cannot generate an EC key on curve %s",
			    spec->curve);
	}
	return key;
}

int
ca_key_spec_of(const EVP_PKEY *key, struct ca_key_spec *spec,
    struct ca_err *err)
{
	memset(spec, 0, sizeof(*spec));
	if (EVP_PKEY_is_a(key, "RSA")) {
		spec->rsa_bits = (unsigned int)EVP_PKEY_get_bits(key);
		return 0;
	}
	if (EVP_PKEY_is_a(key, "EC") &&
	    EVP_PKEY_get_group_name(key, spec->curve, sizeof(spec->curve),
	    NULL) == 1)
		return 0;
	ca_err_set(err, "the CA key is a %s key, which this tool does not "
	    "issue; give the server key type with --rsa BITS",
	    EVP_PKEY_get0_type_name(key) != NULL ?
	    EVP_PKEY_get0_type_name(key) : "unknown");
	return -1;
}

char *
ca_key_describe(const EVP_PKEY *key, char *buf, size_t cap)
{
	char group[CA_CURVE_MAX];
	const char *nist, *type;
	int nid;

	if (EVP_PKEY_is_a(key, "EC") &&
	    EVP_PKEY_get_group_name(key, group, sizeof(group), NULL) == 1) {
		nid = OBJ_txt2nid(group);
		nist = nid != NID_undef ? EC_curve_nid2nist(nid) : NULL;
		snprintf(buf, cap, "ECDSA %s (%d bits)",
		    nist != NULL ? nist : group, EVP_PKEY_get_bits(key));
		return buf;
	}
	type = EVP_PKEY_get0_type_name(key);
	snprintf(buf, cap, "%s %d bits", type != NULL ? type : "unknown",
	    EVP_PKEY_get_bits(key));
	return buf;
}

/* The digest to sign with: SHA-256, or one as strong as a larger curve. */
static const EVP_MD *
ca_digest(EVP_PKEY *key)
{
	int bits;

	bits = EVP_PKEY_get_bits(key);
	if (EVP_PKEY_is_a(key, "EC") && bits > 384)
		return EVP_sha512();
	if (EVP_PKEY_is_a(key, "EC") && bits > 256)
		return EVP_sha384();
	return EVP_sha256();
}

/* A fresh positive serial of CA_SERIAL_BITS random bits (never zero). */
static int
ca_serial_set(X509 *x, struct ca_err *err)
{
	BIGNUM *bn;
	int rc;

	rc = -1;
	if ((bn = BN_new()) == NULL)
		goto out;
	do {
		if (!BN_rand(bn, CA_SERIAL_BITS, BN_RAND_TOP_ANY,
		    BN_RAND_BOTTOM_ANY))
			goto out_bn;
	} while (BN_is_zero(bn));
	if (BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL)
		goto out_bn;
	rc = 0;
out_bn:
	BN_free(bn);
out:
	if (rc == -1)
		ca_err_ssl(err, "cannot make a random serial number");
	return rc;
}

/* Version 3, serial, subject CN=cn, public key of pub, validity from
 * CA_BACKDATE_SECS ago to days from now. Returns a new X509 or NULL. */
static X509 *
ca_cert_begin(const char *cn, EVP_PKEY *pub, long days, struct ca_err *err)
{
	X509 *x;
	X509_NAME *name;

	if ((x = X509_new()) == NULL) {
		ca_err_ssl(err, "cannot allocate a certificate");
		goto fail;
	}
	if (ca_serial_set(x, err) == -1)
		goto fail_x;
	name = X509_get_subject_name(x);
	if (!X509_set_version(x, X509_VERSION_3) ||
	    !X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0) ||
	    !X509_set_pubkey(x, pub) ||
	    X509_gmtime_adj(X509_getm_notBefore(x),
	    -CA_BACKDATE_SECS) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(x), (int)days, 0, NULL) ==
	    NULL) {
		ca_err_ssl(err, "cannot fill in the certificate for \"%s\"",
		    cn);
		goto fail_x;
	}
	return x;
fail_x:
	X509_free(x);
fail:
	return NULL;
}

/* Add the extension nid written in openssl-x509v3(5) syntax. */
static int
ca_ext_add(X509 *x, X509V3_CTX *ctx, int nid, const char *value,
    struct ca_err *err)
{
	X509_EXTENSION *ext;
	int rc;

	rc = -1;
	if ((ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value)) == NULL)
		goto out;
	if (!X509_add_ext(x, ext, -1))
		goto out_ext;
	rc = 0;
out_ext:
	X509_EXTENSION_free(ext);
out:
	if (rc == -1)
		ca_err_ssl(err, "cannot add %s = %s", OBJ_nid2ln(nid), value);
	return rc;
}

/* A dNSName general name ("" allowed: in a subtree it is every name). */
static GENERAL_NAME *
ca_gn_dns(const char *name)
{
	GENERAL_NAME *gn;
	ASN1_IA5STRING *ia5;

	if ((ia5 = ASN1_IA5STRING_new()) == NULL)
		goto fail;
	if (!ASN1_STRING_set(ia5, name, (int)strlen(name)))
		goto fail_ia5;
	if ((gn = GENERAL_NAME_new()) == NULL)
		goto fail_ia5;
	GENERAL_NAME_set0_value(gn, GEN_DNS, ia5);
	return gn;
fail_ia5:
	ASN1_IA5STRING_free(ia5);
fail:
	return NULL;
}

/* An iPAddress general name: the address alone (SAN), or address and mask
 * (a subtree, RFC 5280 4.2.1.10: 8 octets for IPv4, 32 for IPv6). */
static GENERAL_NAME *
ca_gn_ip(const struct ca_ip *ip, int subtree)
{
	GENERAL_NAME *gn;
	ASN1_OCTET_STRING *os;
	unsigned char buf[32];
	size_t len;

	memcpy(buf, ip->addr, ip->len);
	len = ip->len;
	if (subtree) {
		ca_name_mask(ip, buf + ip->len);
		len *= 2;
	}
	if ((os = ASN1_OCTET_STRING_new()) == NULL)
		goto fail;
	if (!ASN1_OCTET_STRING_set(os, buf, (int)len))
		goto fail_os;
	if ((gn = GENERAL_NAME_new()) == NULL)
		goto fail_os;
	GENERAL_NAME_set0_value(gn, GEN_IPADD, os);
	return gn;
fail_os:
	ASN1_OCTET_STRING_free(os);
fail:
	return NULL;
}

/* Append a subtree for gn (taken over, freed on failure) to *sk. */
static int
ca_subtree_push(STACK_OF(GENERAL_SUBTREE) **sk, GENERAL_NAME *gn)
{
	GENERAL_SUBTREE *sub;

	if (gn == NULL)
		goto fail;
	if (*sk == NULL && (*sk = sk_GENERAL_SUBTREE_new_null()) == NULL)
		goto fail_gn;
	if ((sub = GENERAL_SUBTREE_new()) == NULL)
		goto fail_gn;
	GENERAL_NAME_free(sub->base);
	sub->base = gn;
	if (sk_GENERAL_SUBTREE_push(*sk, sub) == 0)
		goto fail_sub;
	return 0;
fail_sub:
	GENERAL_SUBTREE_free(sub);	/* frees gn with it */
	return -1;
fail_gn:
	GENERAL_NAME_free(gn);
fail:
	return -1;
}

/*
 * The root's nameConstraints. With only DNS subtrees permitted, RFC 5280
 * leaves IP addresses unconstrained, so a stolen CA key could still vouch
 * for any address; like the CA/Browser Forum's rules for technically
 * constrained CAs, the kind nobody permitted is excluded whole: all of
 * 0.0.0.0/0 and ::/0, or every DNS name (a zero-length dNSName).
 */
static int
ca_root_nc_add(X509 *x, const struct ca_root_req *req, struct ca_err *err)
{
	static const struct ca_ip any4 = { .len = 4, .prefix = 0 };
	static const struct ca_ip any6 = { .len = 16, .prefix = 0 };
	NAME_CONSTRAINTS *nc;
	size_t i;
	int rc;

	rc = -1;
	if ((nc = NAME_CONSTRAINTS_new()) == NULL)
		goto out;
	for (i = 0; i < req->n_permit_dns; i++)
		if (ca_subtree_push(&nc->permittedSubtrees,
		    ca_gn_dns(req->permit_dns[i])) == -1)
			goto out_nc;
	for (i = 0; i < req->n_permit_ip; i++)
		if (ca_subtree_push(&nc->permittedSubtrees,
		    ca_gn_ip(&req->permit_ip[i], 1)) == -1)
			goto out_nc;
	if (req->n_permit_dns == 0 &&
	    ca_subtree_push(&nc->excludedSubtrees, ca_gn_dns("")) == -1)
		goto out_nc;
	if (req->n_permit_ip == 0 &&
	    (ca_subtree_push(&nc->excludedSubtrees, ca_gn_ip(&any4, 1)) == -1 ||
	    ca_subtree_push(&nc->excludedSubtrees, ca_gn_ip(&any6, 1)) == -1))
		goto out_nc;
	if (X509_add1_ext_i2d(x, NID_name_constraints, nc, 1,
	    X509V3_ADD_DEFAULT) != 1)
		goto out_nc;
	rc = 0;
out_nc:
	NAME_CONSTRAINTS_free(nc);
out:
	if (rc == -1)
		ca_err_ssl(err, "cannot add the name constraints");
	return rc;
}

X509 *
ca_root_new(EVP_PKEY *key, const struct ca_root_req *req, struct ca_err *err)
{
	X509 *x;
	X509V3_CTX ctx;

	ERR_clear_error();
	if ((x = ca_cert_begin(req->name, key, req->days, err)) == NULL)
		goto fail;
	if (!X509_set_issuer_name(x, X509_get_subject_name(x))) {
		ca_err_ssl(err, "cannot set the issuer name");
		goto fail_x;
	}
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	/* pathlen:0: the root signs server certificates, never another CA. */
	if (ca_ext_add(x, &ctx, NID_basic_constraints,
	    "critical,CA:TRUE,pathlen:0", err) == -1 ||
	    ca_ext_add(x, &ctx, NID_key_usage,
	    "critical,keyCertSign,cRLSign", err) == -1 ||
	    ca_ext_add(x, &ctx, NID_subject_key_identifier, "hash", err) == -1)
		goto fail_x;
	if ((req->n_permit_dns > 0 || req->n_permit_ip > 0) &&
	    ca_root_nc_add(x, req, err) == -1)
		goto fail_x;
	if (X509_sign(x, key, ca_digest(key)) <= 0) {
		ca_err_ssl(err, "cannot sign the CA certificate");
		goto fail_x;
	}
	return x;
fail_x:
	X509_free(x);
fail:
	return NULL;
}

/* subjectAltName from req's DNS names, then its addresses. */
static int
ca_leaf_san_add(X509 *x, const struct ca_leaf_req *req, struct ca_err *err)
{
	GENERAL_NAMES *gens;
	GENERAL_NAME *gn;
	size_t i, n;
	int rc;

	rc = -1;
	if ((gens = sk_GENERAL_NAME_new_null()) == NULL)
		goto out;
	n = req->n_dns + req->n_ip;
	for (i = 0; i < n; i++) {
		gn = i < req->n_dns ? ca_gn_dns(req->dns[i]) :
		    ca_gn_ip(&req->ip[i - req->n_dns], 0);
		if (gn == NULL)
			goto out_gens;
		if (sk_GENERAL_NAME_push(gens, gn) == 0) {
			GENERAL_NAME_free(gn);
			goto out_gens;
		}
	}
	if (X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0,
	    X509V3_ADD_DEFAULT) != 1)
		goto out_gens;
	rc = 0;
out_gens:
	GENERAL_NAMES_free(gens);
out:
	if (rc == -1)
		ca_err_ssl(err, "cannot add the subject alternative names");
	return rc;
}

X509 *
ca_leaf_new(X509 *ca, EVP_PKEY *ca_key, EVP_PKEY *pub,
    const struct ca_leaf_req *req, int *clamped, struct ca_err *err)
{
	X509 *x;
	X509V3_CTX ctx;
	char cn[CA_CN_MAX + 1], ipbuf[CA_IP_TEXT_MAX];

	*clamped = 0;
	ERR_clear_error();
	if (req->n_dns > 0 && strlen(req->dns[0]) <= CA_CN_MAX)
		snprintf(cn, sizeof(cn), "%s", req->dns[0]);
	else if (req->n_ip > 0)
		snprintf(cn, sizeof(cn), CA_LEAF_CN_FALLBACK " %s",
		    ca_name_ip_text(&req->ip[0], ipbuf));
	else
		snprintf(cn, sizeof(cn), CA_LEAF_CN_FALLBACK);

	if ((x = ca_cert_begin(cn, pub, req->days, err)) == NULL)
		goto fail;
	if (!X509_set_issuer_name(x, X509_get_subject_name(ca))) {
		ca_err_ssl(err, "cannot set the issuer name");
		goto fail_x;
	}
	/* Clients reject a chain at the first expired link: past the root's
	 * end the extra days are useless. */
	if (ASN1_TIME_compare(X509_get0_notAfter(x),
	    X509_get0_notAfter(ca)) > 0) {
		if (!X509_set1_notAfter(x, X509_get0_notAfter(ca))) {
			ca_err_ssl(err, "cannot set the end date");
			goto fail_x;
		}
		*clamped = 1;
	}
	X509V3_set_ctx(&ctx, ca, x, NULL, NULL, 0);
	if (ca_ext_add(x, &ctx, NID_basic_constraints, "critical,CA:FALSE",
	    err) == -1 ||
	    ca_ext_add(x, &ctx, NID_key_usage, EVP_PKEY_is_a(pub, "RSA") ?
	    "critical,digitalSignature,keyEncipherment" :
	    "critical,digitalSignature", err) == -1 ||
	    ca_ext_add(x, &ctx, NID_ext_key_usage, "serverAuth", err) == -1 ||
	    ca_ext_add(x, &ctx, NID_subject_key_identifier, "hash",
	    err) == -1 ||
	    ca_ext_add(x, &ctx, NID_authority_key_identifier, "keyid:always",
	    err) == -1 ||
	    ca_leaf_san_add(x, req, err) == -1)
		goto fail_x;
	if (X509_sign(x, ca_key, ca_digest(ca_key)) <= 0) {
		ca_err_ssl(err, "cannot sign the server certificate");
		goto fail_x;
	}
	return x;
fail_x:
	X509_free(x);
fail:
	return NULL;
}

/* Copy the subtrees of one list (permitted or excluded) into nc. */
static void
ca_nc_copy(const STACK_OF(GENERAL_SUBTREE) *sk, int k, struct ca_nc *nc)
{
	const GENERAL_SUBTREE *sub;
	const ASN1_STRING *s;
	struct ca_ip *ip;
	int i, j, len;
	unsigned char bits;

	for (i = 0; i < sk_GENERAL_SUBTREE_num(sk); i++) {
		sub = sk_GENERAL_SUBTREE_value(sk, i);
		if (sub->base->type == GEN_DNS) {
			if (nc->n_dns[k] == CA_NC_MAX) {
				nc->truncated = 1;
				continue;
			}
			s = sub->base->d.dNSName;
			len = ASN1_STRING_length(s);
			if (len > CA_DNS_MAX)
				len = CA_DNS_MAX;
			memcpy(nc->dns[k][nc->n_dns[k]],
			    ASN1_STRING_get0_data(s), (size_t)len);
			nc->dns[k][nc->n_dns[k]++][len] = '\0';
		} else if (sub->base->type == GEN_IPADD &&
		    (ASN1_STRING_length(sub->base->d.iPAddress) == 8 ||
		    ASN1_STRING_length(sub->base->d.iPAddress) == 32)) {
			if (nc->n_ip[k] == CA_NC_MAX) {
				nc->truncated = 1;
				continue;
			}
			s = sub->base->d.iPAddress;
			ip = &nc->ip[k][nc->n_ip[k]++];
			ip->len = (unsigned char)(ASN1_STRING_length(s) / 2);
			memcpy(ip->addr, ASN1_STRING_get0_data(s), ip->len);
			/* Prefix = leading one bits of the mask (masks with
			 * holes are not CIDR and are read as their prefix). */
			bits = 0;
			for (j = 0; j < 8 * ip->len; j++) {
				if ((ASN1_STRING_get0_data(s)[ip->len + j / 8] &
				    (0x80 >> (j % 8))) == 0)
					break;
				bits++;
			}
			ip->prefix = bits;
		} else {
			nc->n_other++;
		}
	}
}

int
ca_nc_get(X509 *x, struct ca_nc *nc, struct ca_err *err)
{
	NAME_CONSTRAINTS *ext;
	int crit;

	memset(nc, 0, sizeof(*nc));
	ext = X509_get_ext_d2i(x, NID_name_constraints, &crit, NULL);
	if (ext == NULL) {
		if (crit == -1)
			return 0;	/* absent */
		ca_err_ssl(err, "the certificate's name constraints do not "
		    "parse");
		return -1;
	}
	ca_nc_copy(ext->permittedSubtrees, CA_NC_PERMIT, nc);
	ca_nc_copy(ext->excludedSubtrees, CA_NC_EXCLUDE, nc);
	NAME_CONSTRAINTS_free(ext);
	return 1;
}

int
ca_verify(X509 *ca, X509 *leaf, struct ca_err *err)
{
	X509_STORE *store;
	X509_STORE_CTX *ctx;
	X509 *copy;
	int rc, verdict;

	rc = -1;
	verdict = 0;
	ERR_clear_error();
	if ((store = X509_STORE_new()) == NULL)
		goto out;
	if (!X509_STORE_add_cert(store, ca))
		goto out_store;
	/* Check what a client will parse, not our in-memory structure. */
	if ((copy = X509_dup(leaf)) == NULL)
		goto out_store;
	if ((ctx = X509_STORE_CTX_new()) == NULL)
		goto out_copy;
	if (!X509_STORE_CTX_init(ctx, store, copy, NULL) ||
	    !X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER))
		goto out_ctx;
	X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_X509_STRICT);
	if (X509_verify_cert(ctx) != 1) {
		verdict = X509_STORE_CTX_get_error(ctx);
		goto out_ctx;
	}
	rc = 0;
out_ctx:
	X509_STORE_CTX_free(ctx);
out_copy:
	X509_free(copy);
out_store:
	X509_STORE_free(store);
out:
	if (rc == -1 && verdict != 0)
		ca_err_set(err, "the certificate does not verify under the CA: "
		    "%s", X509_verify_cert_error_string(verdict));
	else if (rc == -1)
		ca_err_ssl(err, "cannot check the certificate against the CA");
	return rc;
}
