/* Certificate chain and private key loading with administrator-facing errors. */
#include "certs/keys.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

static void
keys_reason(char *buf, size_t cap)
{
	unsigned long e = ERR_peek_last_error();

	if (e == 0)
		snprintf(buf, cap, "unknown error");
	else
		ERR_error_string_n(e, buf, cap);
	ERR_clear_error();
}

int
keys_load(SSL_CTX *ctx, const char *cert_path, const char *key_path,
    char *err, size_t errcap)
{
	char why[256];

	if (access(cert_path, R_OK) < 0) {
		snprintf(err, errcap, "certificate %s: %s (set certificate = to a "
		    "readable PEM file; ftpsgw-certs issue makes one)", cert_path,
		    strerror(errno));
		return -1;
	}
	if (access(key_path, R_OK) < 0) {
		snprintf(err, errcap, "private_key %s: %s (set private_key = to "
		    "the key of the certificate)", key_path, strerror(errno));
		return -1;
	}
	ERR_clear_error();
	if (SSL_CTX_use_certificate_chain_file(ctx, cert_path) != 1) {
		keys_reason(why, sizeof(why));
		snprintf(err, errcap, "certificate %s: not a PEM certificate "
		    "chain (%s)", cert_path, why);
		return -1;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key_path, SSL_FILETYPE_PEM) != 1) {
		keys_reason(why, sizeof(why));
		snprintf(err, errcap, "private_key %s: not a PEM private key, or "
		    "it does not match the certificate %s (%s)", key_path,
		    cert_path, why);
		return -1;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		keys_reason(why, sizeof(why));
		snprintf(err, errcap, "private_key %s does not belong to "
		    "certificate %s (%s)", key_path, cert_path, why);
		return -1;
	}
	return 0;
}

int
keys_days_left(SSL_CTX *ctx, int *days)
{
	X509 *x = SSL_CTX_get0_certificate(ctx);
	int d = 0, s = 0;

	if (x == NULL)
		return -1;
	if (ASN1_TIME_diff(&d, &s, NULL, X509_get0_notAfter(x)) != 1)
		return -1;
	*days = d;
	return 0;
}

/* Trust the self-signed certificates of the chain file (the root a private
 * CA's chain file ends with) and the system's store. */
static X509_STORE *
keys_chain_store(STACK_OF(X509) *chain)
{
	X509_STORE *st = X509_STORE_new();
	int i;

	if (st == NULL)
		return NULL;
	if (X509_STORE_set_default_paths(st) != 1)
		ERR_clear_error();	/* no system store: the file must do */
	for (i = 0; i < sk_X509_num(chain); i++) {
		X509 *c = sk_X509_value(chain, i);

		if (X509_self_signed(c, 0) == 1 && X509_STORE_add_cert(st, c) != 1)
			ERR_clear_error();	/* already there */
	}
	return st;
}

int
keys_check_chain(SSL_CTX *ctx, const char *cert_path, char *msg, size_t cap)
{
	X509 *leaf = SSL_CTX_get0_certificate(ctx);
	STACK_OF(X509) *chain = NULL;
	X509_STORE_CTX *vc = NULL;
	X509_STORE *st = NULL;
	int rc = -1, v;

	if (leaf == NULL || SSL_CTX_get0_chain_certs(ctx, &chain) != 1) {
		snprintf(msg, cap, "certificate %s: no certificate loaded",
		    cert_path);
		return -1;
	}
	if (X509_self_signed(leaf, 0) == 1) {
		snprintf(msg, cap, "certificate %s is self-signed: every client "
		    "will warn about it; a private CA fixes that once for all "
		    "(ftpsgw-certs init-ca, then issue; docs/certs.md)",
		    cert_path);
		return 1;
	}
	st = keys_chain_store(chain);
	vc = X509_STORE_CTX_new();
	if (st == NULL || vc == NULL ||
	    X509_STORE_CTX_init(vc, st, leaf, chain) != 1 ||
	    X509_STORE_CTX_set_purpose(vc, X509_PURPOSE_SSL_SERVER) != 1) {
		snprintf(msg, cap, "certificate %s: cannot verify (out of "
		    "memory)", cert_path);
		goto out;
	}
	if (X509_verify_cert(vc) == 1) {
		rc = 0;
		goto out;
	}
	v = X509_STORE_CTX_get_error(vc);
	if (v == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
	    v == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT) {
		/* Fine for clients that hold the issuer, unverifiable here. */
		snprintf(msg, cap, "certificate %s: its issuer is neither in "
		    "the file nor in the system's trust store, so the chain "
		    "cannot be checked; clients need that CA already (append "
		    "the CA certificates after the server certificate, as "
		    "ftpsgw-certs issue does in PREFIX.chain.pem)", cert_path);
		rc = 1;
		goto out;
	}
	snprintf(msg, cap, "certificate %s: the chain does not verify: %s%s",
	    cert_path, X509_verify_cert_error_string(v),
	    v == X509_V_ERR_INVALID_PURPOSE ? " (it is not a TLS server "
	    "certificate: ftpsgw-certs issue makes one)" : "");
out:
	ERR_clear_error();
	X509_STORE_CTX_free(vc);
	X509_STORE_free(st);
	return rc;
}
