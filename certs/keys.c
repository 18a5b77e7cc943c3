/* Certificate chain and private key loading with administrator-facing errors. */
#include "certs/keys.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

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
