/* One-line error messages for the certificate tool: what failed and what to
 * change, with OpenSSL's reasons appended when OpenSSL was the one failing. */
#ifndef FTPSGW_CERTS_CA_ERR_H
#define FTPSGW_CERTS_CA_ERR_H

/* Longest message, NUL included; longer ones are cut (never overflowed). */
#define CA_ERR_MAX 1024

struct ca_err {
	char msg[CA_ERR_MAX];	/* NUL-terminated */
};

/*
 * ca_err_set - replace err's message with the formatted text. OpenSSL's
 * error queue is cleared so that a later ca_err_ssl() reports fresh reasons.
 */
void ca_err_set(struct ca_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * ca_err_ssl - like ca_err_set(), then append ": " and the reasons found in
 * OpenSSL's error queue (separated by "; "), draining the queue.
 */
void ca_err_ssl(struct ca_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
