/* hsloop: TLS handshakes in a loop against an implicit FTPS listener, for
 * the handshake-rate figure of `make bench`.
 *
 *   hsloop HOST PORT CAFILE NAME SECONDS MAXCOUNT full|resumed 1.2|1.3
 *
 * Each round: TCP connect, TLS handshake (the certificate verified for
 * NAME), read the server's 220 greeting (so the server's side of the
 * handshake is complete and, in TLS 1.3, its session tickets have been
 * read), close_notify, close. "resumed" offers the session of the previous
 * connection (the first one is full). Runs for SECONDS or MAXCOUNT rounds,
 * whichever comes first; one connection at a time.
 *
 * Prints one JSON line: rounds done, seconds, how many were resumed, errors
 * (and the first error's text), the protocol, cipher and key-exchange group
 * of the first round.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

/* Per-connection socket timeout (seconds): a stuck round is an error. */
#define HS_IO_TIMEOUT 5
/* Longest greeting read. */
#define HS_GREETING_MAX 1024

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
tcp_connect(const struct sockaddr_in *sa)
{
	struct timeval tv = { .tv_sec = HS_IO_TIMEOUT };
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Read up to the end of the first reply line ("220 ...\n"). */
static int
read_greeting(SSL *ssl)
{
	char buf[HS_GREETING_MAX];
	size_t got = 0;

	while (got < sizeof(buf)) {
		int n = SSL_read(ssl, buf + got, (int)(sizeof(buf) - got));

		if (n <= 0)
			return -1;
		got += (size_t)n;
		if (memchr(buf, '\n', got) != NULL)
			return strncmp(buf, "220", 3) == 0 ? 0 : -1;
	}
	return -1;
}

/* What the first successful round negotiated. */
struct hs_info {
	char proto[16];
	char cipher[64];
	char group[32];
};

/* One round; *sess is the session to offer (in) and the newest one (out).
 * Returns 1 resumed, 0 full, -1 error (text in err). */
static int
one_round(SSL_CTX *ctx, const struct sockaddr_in *sa, const char *name,
    SSL_SESSION **sess, struct hs_info *info, char *err, size_t errlen)
{
	SSL *ssl;
	int fd, reused, rc = -1;

	fd = tcp_connect(sa);
	if (fd < 0) {
		snprintf(err, errlen, "connect: %s", strerror(errno));
		return -1;
	}
	ssl = SSL_new(ctx);
	if (ssl == NULL) {
		close(fd);
		snprintf(err, errlen, "SSL_new failed");
		return -1;
	}
	if (SSL_set_fd(ssl, fd) != 1 || SSL_set_tlsext_host_name(ssl, name) != 1 ||
	    SSL_set1_host(ssl, name) != 1 ||
	    (*sess != NULL && SSL_set_session(ssl, *sess) != 1)) {
		snprintf(err, errlen, "cannot set up the TLS connection");
		goto out;
	}
	if (SSL_connect(ssl) != 1) {
		snprintf(err, errlen, "handshake: %s",
		    ERR_reason_error_string(ERR_peek_last_error()) ?
		    ERR_reason_error_string(ERR_peek_last_error()) : "failed");
		goto out;
	}
	if (read_greeting(ssl) < 0) {
		snprintf(err, errlen, "no 220 greeting after the handshake");
		goto out;
	}
	reused = SSL_session_reused(ssl);
	if (info->proto[0] == '\0') {
		const char *g = SSL_group_to_name(ssl,
		    SSL_get_negotiated_group(ssl));

		snprintf(info->proto, sizeof(info->proto), "%s",
		    SSL_get_version(ssl));
		snprintf(info->cipher, sizeof(info->cipher), "%s",
		    SSL_get_cipher_name(ssl));
		snprintf(info->group, sizeof(info->group), "%s",
		    g != NULL ? g : "?");
	}
	if (*sess != NULL)
		SSL_SESSION_free(*sess);
	*sess = SSL_get1_session(ssl);
	(void)SSL_shutdown(ssl);
	rc = reused;
out:
	ERR_clear_error();
	SSL_free(ssl);
	close(fd);
	return rc;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	SSL_CTX *ctx;
	SSL_SESSION *sess = NULL;
	struct hs_info info = { "", "", "" };
	char err[256] = "", first_err[256] = "";
	char *q;
	double seconds, t0, elapsed;
	long maxcount, rounds = 0, reused = 0, errors = 0;
	int resumed, v13;

	if (argc != 9) {
		fprintf(stderr, "usage: hsloop HOST PORT CAFILE NAME SECONDS "
		    "MAXCOUNT full|resumed 1.2|1.3\n");
		return 2;
	}
	if (inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) {
		fprintf(stderr, "hsloop: HOST must be an IPv4 address\n");
		return 2;
	}
	sa.sin_port = htons((unsigned short)atoi(argv[2]));
	seconds = atof(argv[5]);
	maxcount = atol(argv[6]);
	resumed = strcmp(argv[7], "resumed") == 0;
	v13 = strcmp(argv[8], "1.3") == 0;

	ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL || SSL_CTX_load_verify_locations(ctx, argv[3], NULL) != 1) {
		fprintf(stderr, "hsloop: cannot load %s\n", argv[3]);
		return 1;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_min_proto_version(ctx, v13 ? TLS1_3_VERSION : TLS1_2_VERSION);
	SSL_CTX_set_max_proto_version(ctx, v13 ? TLS1_3_VERSION : TLS1_2_VERSION);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT |
	    SSL_SESS_CACHE_NO_INTERNAL_STORE);

	t0 = now_s();
	while (rounds + errors < maxcount && now_s() - t0 < seconds) {
		SSL_SESSION *offer = resumed ? sess : NULL;
		int r;

		if (!resumed && sess != NULL) {
			SSL_SESSION_free(sess);
			sess = NULL;
		}
		r = one_round(ctx, &sa, argv[4], &offer, &info, err, sizeof(err));
		sess = offer;
		if (r < 0) {
			if (errors++ == 0)
				snprintf(first_err, sizeof(first_err), "%s", err);
			continue;
		}
		rounds++;
		reused += r;
	}
	elapsed = now_s() - t0;
	/* The error text goes into a JSON string. */
	for (q = first_err; *q != '\0'; q++)
		if (*q == '"' || *q == '\\' || (unsigned char)*q < 0x20)
			*q = '\'';
	printf("{\"rounds\": %ld, \"seconds\": %.3f, \"reused\": %ld, "
	    "\"errors\": %ld, \"first_error\": \"%s\", \"protocol\": \"%s\", "
	    "\"cipher\": \"%s\", \"group\": \"%s\"}\n", rounds, elapsed,
	    reused, errors, first_err, info.proto, info.cipher, info.group);
	if (sess != NULL)
		SSL_SESSION_free(sess);
	SSL_CTX_free(ctx);
	return 0;
}
