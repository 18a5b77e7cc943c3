/* Describing certificates for people: the facts an administrator compares
 * with what FTPS clients display (names, dates, fingerprints, key, CA). */
#ifndef FTPSGW_CERTS_CA_SHOW_H
#define FTPSGW_CERTS_CA_SHOW_H

#include <stddef.h>

#include <openssl/types.h>
#include <openssl/x509.h>

#include "certs/ca_err.h"
#include "certs/ca_name.h"

/* Room for a SHA-512 fingerprint in colon hex ("AB:CD:...", NUL). */
#define CA_SHOW_FPR_MAX (3 * 64)

/*
 * ca_show_fingerprint - digest md of x's DER encoding as upper-case colon
 * hex, the form FileZilla and `openssl x509 -fingerprint` print, into buf
 * (capacity CA_SHOW_FPR_MAX). Returns buf, or NULL if hashing failed.
 */
char *ca_show_fingerprint(X509 *x, const EVP_MD *md, char *buf);

/*
 * ca_show_nc - nc as one line: "permitted DNS:example.test; excluded
 * IP:0.0.0.0/0, IP:::/0". Cut at cap - 1. Returns buf.
 */
char *ca_show_nc(const struct ca_nc *nc, char *buf, size_t cap);

/*
 * ca_show_chain - print every certificate of sk (as read from one file) as
 * indented "label: value" lines, saying for each which one signed it.
 * Returns 0, or -1 with err set (output may be partial).
 */
int ca_show_chain(BIO *out, STACK_OF(X509) *sk, struct ca_err *err);

#endif
