/* TLS contexts, verification and session reuse for both sides of the gateway. */
#include "proxy/tls.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "certs/keys.h"
#include "proxy/config.h"
#include "proxy/log.h"

/* Sessions must outlive the longest transfer: a data connection of a long
 * session resumes the control connection's session. */
#define TLS_SESSION_LIFETIME (24 * 3600)

#define TLS_MODES (SSL_MODE_ENABLE_PARTIAL_WRITE | \
	SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS)

static const unsigned char tls_sid_ctx[] = "ftpsgw";

/* Server side: called before each ticket is made; stamps the session. */
static int
tls_ticket_gen(SSL *ssl, void *arg)
{
	const struct tls_app *app = SSL_get_app_data(ssl);
	SSL_SESSION *sess = SSL_get_session(ssl);

	(void)arg;
	if (app != NULL && sess != NULL)
		(void)SSL_SESSION_set1_ticket_appdata(sess, app->token,
		    sizeof(app->token));
	return 1;
}

/* Backend side: keep the newest session of the control connection. */
static int
tls_new_session(SSL *ssl, SSL_SESSION *sess)
{
	struct tls_app *app = SSL_get_app_data(ssl);

	if (app == NULL)
		return 0;
	SSL_SESSION_free(app->be_session);
	app->be_session = sess;
	return 1;	/* we keep the reference */
}

static int
tls_fail(char *err, size_t errcap, const char *what)
{
	char why[512];

	snprintf(err, errcap, "%s: %s", what, log_ssl_errors(why, sizeof(why)));
	return -1;
}

int
tls_init(struct tls *t, const struct config *cfg, char *err, size_t errcap)
{
	memset(t, 0, sizeof(*t));
	ERR_clear_error();

	t->server = SSL_CTX_new(TLS_server_method());
	if (t->server == NULL)
		return tls_fail(err, errcap, "SSL_CTX_new");
	SSL_CTX_set_min_proto_version(t->server, TLS1_2_VERSION);
	SSL_CTX_set_options(t->server, SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_mode(t->server, TLS_MODES);
	SSL_CTX_set_session_cache_mode(t->server, SSL_SESS_CACHE_SERVER);
	SSL_CTX_set_session_id_context(t->server, tls_sid_ctx,
	    sizeof(tls_sid_ctx) - 1);
	SSL_CTX_set_timeout(t->server, TLS_SESSION_LIFETIME);
	SSL_CTX_set_session_ticket_cb(t->server, tls_ticket_gen, NULL, NULL);
	if (keys_load(t->server, cfg->certificate, cfg->private_key, err,
	    errcap) < 0)
		goto fail;

	t->backend = SSL_CTX_new(TLS_client_method());
	if (t->backend == NULL) {
		tls_fail(err, errcap, "SSL_CTX_new");
		goto fail;
	}
	SSL_CTX_set_min_proto_version(t->backend, TLS1_2_VERSION);
	SSL_CTX_set_options(t->backend, SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_mode(t->backend, TLS_MODES);
	SSL_CTX_set_session_cache_mode(t->backend, SSL_SESS_CACHE_CLIENT |
	    SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(t->backend, tls_new_session);
	if (cfg->backend_verify) {
		SSL_CTX_set_verify(t->backend, SSL_VERIFY_PEER, NULL);
		if (cfg->backend_ca[0] != '\0') {
			if (SSL_CTX_load_verify_locations(t->backend,
			    cfg->backend_ca, NULL) != 1) {
				char what[CFG_PATH_MAX + 64];

				snprintf(what, sizeof(what), "backend_ca %s: "
				    "cannot load CA certificates", cfg->backend_ca);
				tls_fail(err, errcap, what);
				goto fail;
			}
		} else if (SSL_CTX_set_default_verify_paths(t->backend) != 1) {
			tls_fail(err, errcap, "system CA store");
			goto fail;
		}
	} else {
		SSL_CTX_set_verify(t->backend, SSL_VERIFY_NONE, NULL);
	}
	return 0;
fail:
	tls_free(t);
	return -1;
}

void
tls_free(struct tls *t)
{
	SSL_CTX_free(t->server);
	SSL_CTX_free(t->backend);
	t->server = t->backend = NULL;
}

int
tls_app_init(struct tls_app *a)
{
	a->be_session = NULL;
	return RAND_bytes(a->token, sizeof(a->token)) == 1 ? 0 : -1;
}

void
tls_app_free(struct tls_app *a)
{
	SSL_SESSION_free(a->be_session);
	a->be_session = NULL;
	OPENSSL_cleanse(a->token, sizeof(a->token));
}

SSL *
tls_new_server(struct tls *t, struct tls_app *app)
{
	SSL *ssl = SSL_new(t->server);

	if (ssl != NULL)
		SSL_set_app_data(ssl, app);
	return ssl;
}

SSL *
tls_new_backend(struct tls *t, struct tls_app *app, const char *host,
    SSL_SESSION *resume)
{
	unsigned char ip[16];
	SSL *ssl = SSL_new(t->backend);

	if (ssl == NULL)
		return NULL;
	SSL_set_app_data(ssl, app);
	if (inet_pton(AF_INET, host, ip) == 1 ||
	    inet_pton(AF_INET6, host, ip) == 1) {
		/* RFC 6066: no SNI for addresses; verify the IP SAN. */
		if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) != 1)
			goto fail;
	} else {
		if (SSL_set_tlsext_host_name(ssl, host) != 1 ||
		    SSL_set1_host(ssl, host) != 1)
			goto fail;
	}
	if (resume != NULL && SSL_set_session(ssl, resume) != 1)
		goto fail;
	return ssl;
fail:
	SSL_free(ssl);
	return NULL;
}

void
tls_mark_session(SSL *ssl, const struct tls_app *app)
{
	SSL_SESSION *sess = SSL_get_session(ssl);

	/* TLS 1.2 session-ID resumption finds this very object in the cache;
	 * tickets were stamped by tls_ticket_gen. */
	if (sess != NULL)
		(void)SSL_SESSION_set1_ticket_appdata(sess, app->token,
		    sizeof(app->token));
}

bool
tls_resumed_own(SSL *ssl, const struct tls_app *app)
{
	void *data = NULL;
	size_t len = 0;
	SSL_SESSION *sess;

	if (!SSL_session_reused(ssl))
		return false;
	sess = SSL_get0_session(ssl);
	if (sess == NULL ||
	    SSL_SESSION_get0_ticket_appdata(sess, &data, &len) != 1 ||
	    len != sizeof(app->token))
		return false;
	return CRYPTO_memcmp(data, app->token, len) == 0;
}

const char *
tls_describe(SSL *ssl, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s %s%s", SSL_get_version(ssl),
	    SSL_get_cipher_name(ssl), SSL_session_reused(ssl) ? ", resumed" : "");
	return buf;
}
