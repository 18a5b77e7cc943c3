/* Files of the certificate tool: the CA directory, private keys that nobody
 * else can read even for an instant, certificates in PEM or DER, and loading
 * them back with messages naming the file and the fix. */
#ifndef FTPSGW_CERTS_CA_FILE_H
#define FTPSGW_CERTS_CA_FILE_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#include <openssl/types.h>
#include <openssl/x509.h>

#include "certs/ca_err.h"

/* Names inside the CA directory, and modes. */
#define CA_FILE_KEY "ca.key"
#define CA_FILE_CERT "ca.pem"
#define CA_FILE_DIR_MODE 0700
#define CA_FILE_KEY_MODE 0600
#define CA_FILE_CERT_MODE 0644

/* Largest certificate file read (a chain of a few certificates is ~5 KiB). */
#define CA_FILE_CERTS_MAX_BYTES ((size_t)1024 * 1024)

/*
 * A file being written. Bytes go to a temporary file beside path, created
 * with O_CREAT | O_EXCL and mode 0600 (mkostemp), so a key is never readable
 * by others, not even before a chmod; the file appears under its name only
 * at ca_file_commit(). A zeroed struct after ca_file_out_init() is idle.
 */
struct ca_file_out {
	int fd;			/* -1 when idle or committed */
	char path[PATH_MAX];
	char tmp[PATH_MAX];	/* "" when there is no temporary file */
};

/* Make out idle (fd -1, no temporary file). */
void ca_file_out_init(struct ca_file_out *out);

/*
 * ca_file_open - start writing path: a temporary file beside it with mode
 * (CA_FILE_KEY_MODE or CA_FILE_CERT_MODE). Returns 0, or -1 with err set.
 */
int ca_file_open(struct ca_file_out *out, const char *path, mode_t mode,
    struct ca_err *err) __attribute__((warn_unused_result));

/* ca_file_write_key - key as unencrypted PKCS#8 PEM. 0, or -1 with err. */
int ca_file_write_key(struct ca_file_out *out, EVP_PKEY *key,
    struct ca_err *err) __attribute__((warn_unused_result));

/* ca_file_write_certs - n certificates, PEM one after the other, or (der,
 * n == 1) one DER certificate. Returns 0, or -1 with err set. */
int ca_file_write_certs(struct ca_file_out *out, X509 *const *certs,
    size_t n, int der, struct ca_err *err)
    __attribute__((warn_unused_result));

/*
 * ca_file_commit - flush to disk and give the file its name. An existing
 * file of that name is replaced only when replace is set. Returns 0 (out is
 * idle again), or -1 with err set (call ca_file_discard()).
 */
int ca_file_commit(struct ca_file_out *out, int replace, struct ca_err *err)
    __attribute__((warn_unused_result));

/* ca_file_discard - close and remove the temporary file, if any. */
void ca_file_discard(struct ca_file_out *out);

/*
 * ca_file_dir_create - make dir (mode 0700) for a new CA. An existing dir is
 * used only if it holds no CA and only its owner may enter it, or if it is
 * an empty directory of the caller's (just made with mkdir): its mode is
 * then set to 0700 and *was_mode tells the mode it had (else 0). *created
 * says whether dir was made here (then ca_file_dir_undo() may remove it).
 * Returns 0, or -1 with err set.
 */
int ca_file_dir_create(const char *dir, int *created, unsigned *was_mode,
    struct ca_err *err)
    __attribute__((warn_unused_result));

/* ca_file_dir_undo - remove dir if created and empty (after a failure). */
void ca_file_dir_undo(const char *dir, int created);

/* ca_file_exists - 1 if something (even a dangling link) is at path. */
int ca_file_exists(const char *path);

/*
 * ca_file_load_key - read an unencrypted PEM private key. *loose is set when
 * group or others may read the file. Returns a new key, or NULL with err.
 */
EVP_PKEY *ca_file_load_key(const char *path, int *loose, struct ca_err *err);

/*
 * ca_file_load_certs - every certificate in path: PEM (any number, other
 * PEM blocks skipped) or one DER certificate. Returns a new stack (caller
 * frees with sk_X509_pop_free(sk, X509_free)) holding at least one
 * certificate, or NULL with err set.
 */
STACK_OF(X509) *ca_file_load_certs(const char *path, struct ca_err *err);

#endif
