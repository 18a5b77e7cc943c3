/* Loading the gateway's certificate chain and private key, with checks an
 * administrator can act on. Used by proxy/tls.c and by `ftpsgw -t`. */
#ifndef FTPSGW_CERTS_KEYS_H
#define FTPSGW_CERTS_KEYS_H

#include <stddef.h>

typedef struct ssl_ctx_st SSL_CTX;

/*
 * keys_load - put the PEM chain at cert_path and the key at key_path into ctx
 * and check that they belong together.
 * Returns 0, or -1 with one message in err naming the file and the fix.
 */
int keys_load(SSL_CTX *ctx, const char *cert_path, const char *key_path,
    char *err, size_t errcap);

/*
 * keys_days_left - days until the leaf certificate in ctx expires (negative
 * when expired). Returns 0 and sets *days, or -1 if ctx has no certificate.
 */
int keys_days_left(SSL_CTX *ctx, int *days);

/*
 * keys_check_chain - verify the chain loaded into ctx for a TLS server: the
 * leaf up to a root that is in the chain file itself or in the system's
 * trust store, each certificate valid now.
 * Returns 0 when it verifies; 1 with advice in msg when it cannot be
 * checked (a self-signed leaf: every client warns; an issuer not at hand);
 * -1 with the reason in msg (expired, bad signature, not for servers).
 */
int keys_check_chain(SSL_CTX *ctx, const char *cert_path, char *msg,
    size_t cap);

#endif
