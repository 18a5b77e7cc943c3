/* Measuring AES-128-GCM against ChaCha20-Poly1305 on this CPU. */
#include "proxy/cipher_pref.h"

#include <time.h>

#include <openssl/evp.h>

/* Bytes per encryption call and calls per trial: 256 KiB a trial. */
#define CP_CHUNK (16 * 1024)
#define CP_CALLS 16
#define CP_TRIALS 3

static const char cp_tls13_aes[] =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:"
    "TLS_CHACHA20_POLY1305_SHA256";
static const char cp_tls13_chacha[] =
    "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:"
    "TLS_AES_256_GCM_SHA384";
/* Forward-secret AEAD suites first, then OpenSSL's default list for old
 * peers (a cipher named twice keeps its first place). */
static const char cp_tls12_aes[] =
    "ECDHE+AESGCM+AES128:ECDHE+AESGCM:ECDHE+CHACHA20:DEFAULT";
static const char cp_tls12_chacha[] =
    "ECDHE+CHACHA20:ECDHE+AESGCM+AES128:ECDHE+AESGCM:DEFAULT";

static double
cp_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Best of CP_TRIALS, in MB/s; 0 when the cipher is unavailable. */
static double
cp_speed(const char *name)
{
	static const unsigned char key[32], iv[12];
	static unsigned char in[CP_CHUNK];
	unsigned char out[CP_CHUNK + 16];
	EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, name, NULL);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	double best = 0;
	int trial, i, n;

	if (c == NULL || ctx == NULL)
		goto out;
	for (trial = 0; trial < CP_TRIALS; trial++) {
		double t0 = cp_now(), dt;

		for (i = 0; i < CP_CALLS; i++) {
			if (EVP_EncryptInit_ex2(ctx, c, key, iv, NULL) != 1 ||
			    EVP_EncryptUpdate(ctx, out, &n, in, CP_CHUNK) != 1 ||
			    EVP_EncryptFinal_ex(ctx, out + n, &n) != 1)
				goto out;
		}
		dt = cp_now() - t0;
		if (dt > 0 && (double)CP_CHUNK * CP_CALLS / dt / 1e6 > best)
			best = (double)CP_CHUNK * CP_CALLS / dt / 1e6;
	}
out:
	EVP_CIPHER_CTX_free(ctx);
	EVP_CIPHER_free(c);
	return best;
}

void
cipher_pref_measure(struct cipher_pref *p)
{
	p->aes_mbps = cp_speed("AES-128-GCM");
	p->chacha_mbps = cp_speed("ChaCha20-Poly1305");
	p->aes_first = p->aes_mbps == 0 || p->chacha_mbps == 0 ||
	    p->aes_mbps >= p->chacha_mbps;
	p->tls13 = p->aes_first ? cp_tls13_aes : cp_tls13_chacha;
	p->tls12 = p->aes_first ? cp_tls12_aes : cp_tls12_chacha;
}
