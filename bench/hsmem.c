/* hsmem: what OpenSSL itself costs per TLS handshake, with no network: a
 * server and a client SSL in one thread, joined by a memory BIO pair, for
 * the handshake figure of `make bench`.
 *
 *   hsmem CERT KEY CAFILE NAME SECONDS full|resumed 1.2|1.3
 *
 * The server uses CERT (chain) and KEY like ftpsgw's client side; the
 * client verifies it against CAFILE for NAME like ftpsgw's backend side.
 * Each round: handshake, a 5-byte greeting from the server (which also
 * makes the TLS 1.3 client read its tickets), then both SSLs are freed.
 * The CPU time of each side's OpenSSL calls is counted apart
 * (CLOCK_THREAD_CPUTIME_ID around every call), so the result gives the cost
 * of a server handshake and of a verifying client handshake separately.
 *
 * Prints one JSON line: rounds, seconds, server and client CPU seconds,
 * resumed rounds, protocol, cipher and group of the first round.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

/* Steps of one handshake before it counts as stuck. */
#define HM_STEPS_MAX 64

static double
clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Run f(ssl) and add its CPU time to *acc. */
#define TIMED(acc, call) __extension__ ({				\
	double t0_ = clock_s(CLOCK_THREAD_CPUTIME_ID);			\
	int r_ = (call);						\
	*(acc) += clock_s(CLOCK_THREAD_CPUTIME_ID) - t0_;		\
	r_;								\
})

static void
die(const char *what)
{
	fprintf(stderr, "hsmem: %s\n", what);
	ERR_print_errors_fp(stderr);
	exit(1);
}

/* One round; returns 0, or -1 on failure. *sess: the client's session to
 * offer (NULL: full handshake), replaced by the newest one. */
static int
one_round(SSL_CTX *sctx, SSL_CTX *cctx, const char *name, bool resume,
    SSL_SESSION **sess, double *scpu, double *ccpu, int *reused,
    char *info, size_t infocap)
{
	SSL *s = SSL_new(sctx), *c = SSL_new(cctx);
	BIO *bs = NULL, *bc = NULL;
	char greet[8];
	size_t n = 0;
	int steps, sdone = 0, cdone = 0, rc = -1;

	if (s == NULL || c == NULL || BIO_new_bio_pair(&bs, 0, &bc, 0) != 1)
		goto out;
	SSL_set_bio(s, bs, bs);
	SSL_set_bio(c, bc, bc);
	SSL_set_accept_state(s);
	SSL_set_connect_state(c);
	if (SSL_set_tlsext_host_name(c, name) != 1 || SSL_set1_host(c, name) != 1)
		goto out;
	if (resume && *sess != NULL && SSL_set_session(c, *sess) != 1)
		goto out;
	for (steps = 0; steps < HM_STEPS_MAX && !(sdone && cdone); steps++) {
		if (!cdone)
			cdone = TIMED(ccpu, SSL_do_handshake(c)) == 1;
		if (!sdone)
			sdone = TIMED(scpu, SSL_do_handshake(s)) == 1;
	}
	if (!(sdone && cdone))
		goto out;
	if (TIMED(scpu, SSL_write_ex(s, "220\r\n", 5, &n)) != 1 ||
	    TIMED(ccpu, SSL_read_ex(c, greet, sizeof(greet), &n)) != 1 || n != 5)
		goto out;
	/* close_notify both ways: a session freed without one is not
	 * resumable (OpenSSL removes it from the cache). */
	(void)TIMED(ccpu, SSL_shutdown(c));
	(void)TIMED(scpu, SSL_shutdown(s));
	(void)TIMED(ccpu, SSL_shutdown(c));
	if (SSL_session_reused(c))
		(*reused)++;
	if (info[0] == '\0')
		snprintf(info, infocap, "\"protocol\": \"%s\", \"cipher\": \"%s\", "
		    "\"group\": \"%s\"", SSL_get_version(c), SSL_get_cipher_name(c),
		    SSL_group_to_name(c, SSL_get_negotiated_group(c)) ?
		    SSL_group_to_name(c, SSL_get_negotiated_group(c)) : "?");
	SSL_SESSION_free(*sess);
	*sess = SSL_get1_session(c);
	rc = 0;
out:
	SSL_free(s);
	SSL_free(c);
	return rc;
}

int
main(int argc, char **argv)
{
	SSL_CTX *sctx, *cctx;
	SSL_SESSION *sess = NULL;
	double seconds, t0, scpu = 0, ccpu = 0;
	long rounds = 0, errors = 0;
	int reused = 0, version;
	bool resume;
	char info[256] = "";

	if (argc != 8) {
		fprintf(stderr, "usage: hsmem CERT KEY CAFILE NAME SECONDS "
		    "full|resumed 1.2|1.3\n");
		return 2;
	}
	seconds = atof(argv[5]);
	resume = strcmp(argv[6], "resumed") == 0;
	version = strcmp(argv[7], "1.3") == 0 ? TLS1_3_VERSION : TLS1_2_VERSION;

	sctx = SSL_CTX_new(TLS_server_method());
	cctx = SSL_CTX_new(TLS_client_method());
	if (sctx == NULL || cctx == NULL)
		die("SSL_CTX_new");
	SSL_CTX_set_min_proto_version(sctx, version);
	SSL_CTX_set_max_proto_version(sctx, version);
	SSL_CTX_set_min_proto_version(cctx, version);
	SSL_CTX_set_max_proto_version(cctx, version);
	SSL_CTX_set_options(sctx, SSL_OP_CIPHER_SERVER_PREFERENCE |
	    SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_session_id_context(sctx, (const unsigned char *)"hsmem", 5);
	if (SSL_CTX_use_certificate_chain_file(sctx, argv[1]) != 1 ||
	    SSL_CTX_use_PrivateKey_file(sctx, argv[2], SSL_FILETYPE_PEM) != 1)
		die("cannot load the certificate or key");
	SSL_CTX_set_verify(cctx, getenv("HSMEM_NOVERIFY") ? SSL_VERIFY_NONE :
	    SSL_VERIFY_PEER, NULL);
	if (SSL_CTX_load_verify_locations(cctx, argv[3], NULL) != 1)
		die("cannot load the CA file");
	SSL_CTX_set_session_cache_mode(cctx, SSL_SESS_CACHE_CLIENT |
	    SSL_SESS_CACHE_NO_INTERNAL_STORE);

	t0 = clock_s(CLOCK_MONOTONIC);
	while (clock_s(CLOCK_MONOTONIC) - t0 < seconds) {
		if (one_round(sctx, cctx, argv[4], resume, &sess, &scpu, &ccpu,
		    &reused, info, sizeof(info)) == 0)
			rounds++;
		else if (++errors > 10)
			die("handshakes keep failing");
	}
	printf("{\"rounds\": %ld, \"seconds\": %.3f, \"server_cpu\": %.6f, "
	    "\"client_cpu\": %.6f, \"reused\": %d, \"errors\": %ld, %s}\n",
	    rounds, clock_s(CLOCK_MONOTONIC) - t0, scpu, ccpu, reused, errors,
	    info[0] ? info : "\"protocol\": \"?\"");
	SSL_SESSION_free(sess);
	SSL_CTX_free(sctx);
	SSL_CTX_free(cctx);
	return 0;
}
