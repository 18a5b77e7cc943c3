/* Which AEAD to prefer for TLS on this CPU: AES-GCM where the CPU has AES
 * instructions, ChaCha20-Poly1305 where it has not (software AES-GCM is
 * several times slower). Decided by measuring both once at start, which
 * works the same on x86, ARM or MIPS and follows what OpenSSL really uses
 * (OPENSSL_ia32cap can mask CPU features). */
#ifndef FTPSGW_PROXY_CIPHER_PREF_H
#define FTPSGW_PROXY_CIPHER_PREF_H

#include <stdbool.h>

struct cipher_pref {
	bool aes_first;
	double aes_mbps;	/* AES-128-GCM encryption, MB/s (0: unknown) */
	double chacha_mbps;	/* ChaCha20-Poly1305 */
	const char *tls13;	/* TLS 1.3 ciphersuites, in order */
	const char *tls12;	/* TLS 1.2 cipher list, in order */
};

/* Measure (a few milliseconds) and fill p. Never fails: without figures,
 * or unless ChaCha20 is clearly faster, AES-GCM stays first, as in
 * OpenSSL's own order. */
void cipher_pref_measure(struct cipher_pref *p);

#endif
