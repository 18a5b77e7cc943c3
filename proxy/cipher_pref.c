/* Measuring AES-128-GCM against ChaCha20-Poly1305 on this CPU. */
#include "proxy/cipher_pref.h"

#include <time.h>

#include <openssl/evp.h>

/* Bytes per encryption call and calls per trial: 256 KiB a trial. */
#define CP_CHUNK (16 * 1024)
#define CP_CALLS 16
/* Trials of each cipher, taken in turns; the best of each counts. */
#define CP_TRIALS 5
/* ChaCha20 goes first only when it is clearly faster: without AES
 * instructions it is some 3x; with them AES-GCM is some 2x faster. A busy
 * machine at start must not flip the order on noise. */
#define CP_CHACHA_MARGIN 1.25

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

struct cp_cipher {
	EVP_CIPHER *cipher;	/* NULL: unavailable */
	EVP_CIPHER_CTX *ctx;
	double best;		/* MB/s */
};

static void
cp_init(struct cp_cipher *c, const char *name)
{
	c->cipher = EVP_CIPHER_fetch(NULL, name, NULL);
	c->ctx = EVP_CIPHER_CTX_new();
	c->best = 0;
	if (c->ctx == NULL) {
		EVP_CIPHER_free(c->cipher);
		c->cipher = NULL;
	}
}

static void
cp_free(struct cp_cipher *c)
{
	EVP_CIPHER_CTX_free(c->ctx);
	EVP_CIPHER_free(c->cipher);
}

/* One trial (calls encryptions of CP_CHUNK bytes); keeps the best speed.
 * A failure makes the cipher unavailable. */
static void
cp_trial(struct cp_cipher *c, int calls)
{
	static const unsigned char key[32], iv[12];
	static unsigned char in[CP_CHUNK];
	unsigned char out[CP_CHUNK + 16];
	double t0, dt;
	int i, n;

	if (c->cipher == NULL)
		return;
	t0 = cp_now();
	for (i = 0; i < calls; i++) {
		if (EVP_EncryptInit_ex2(c->ctx, c->cipher, key, iv, NULL) != 1 ||
		    EVP_EncryptUpdate(c->ctx, out, &n, in, CP_CHUNK) != 1 ||
		    EVP_EncryptFinal_ex(c->ctx, out + n, &n) != 1) {
			EVP_CIPHER_free(c->cipher);
			c->cipher = NULL;
			c->best = 0;
			return;
		}
	}
	dt = cp_now() - t0;
	if (dt > 0 && (double)CP_CHUNK * calls / dt / 1e6 > c->best)
		c->best = (double)CP_CHUNK * calls / dt / 1e6;
}

void
cipher_pref_measure(struct cipher_pref *p)
{
	struct cp_cipher aes, chacha;
	int trial;

	cp_init(&aes, "AES-128-GCM");
	cp_init(&chacha, "ChaCha20-Poly1305");
	/* Warm-up (first use: provider setup, page faults, clock ramp), not
	 * counted; then the two in turns, so that a burst of other work
	 * cannot fall on one of them only. */
	cp_trial(&aes, 1);
	cp_trial(&chacha, 1);
	aes.best = chacha.best = 0;
	for (trial = 0; trial < CP_TRIALS; trial++) {
		cp_trial(&aes, CP_CALLS);
		cp_trial(&chacha, CP_CALLS);
	}
	p->aes_mbps = aes.cipher != NULL ? aes.best : 0;
	p->chacha_mbps = chacha.cipher != NULL ? chacha.best : 0;
	cp_free(&aes);
	cp_free(&chacha);
	p->aes_first = p->chacha_mbps == 0 ||
	    p->chacha_mbps < CP_CHACHA_MARGIN * p->aes_mbps;
	p->tls13 = p->aes_first ? cp_tls13_aes : cp_tls13_chacha;
	p->tls12 = p->aes_first ? cp_tls12_aes : cp_tls12_chacha;
}
