/* TLS contexts, verification and session reuse for both sides of the gateway. */
#include "proxy/tls.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "certs/keys.h"
#include "proxy/cipher_pref.h"
#include "proxy/config.h"
#include "proxy/log.h"

/* Sessions must outlive the longest transfer: a data connection of a long
 * session resumes the control connection's session. */
#define TLS_SESSION_LIFETIME (24 * 3600)

#define TLS_MODES (SSL_MODE_ENABLE_PARTIAL_WRITE | \
	SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS)

static const unsigned char tls_sid_ctx[] = "ftpsgw";

/* SSL ex_data: set on the client-side control connection's SSL (value 1).
 * Only such an SSL may bind a token to a session (see tls_bind_token). */
static int
tls_control_index(void)
{
	static int idx = -1;

	if (idx < 0)
		idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	return idx;
}

static bool
tls_is_control(SSL *ssl)
{
	return SSL_get_ex_data(ssl, tls_control_index()) != NULL;
}

/* The token bound to sess, or NULL when it carries none. (The getter only
 * reads; OpenSSL 3.0 declares it without const.) */
static const unsigned char *
tls_session_token(const SSL_SESSION *sess)
{
	void *data = NULL;
	size_t len = 0;

	if (sess == NULL ||
	    SSL_SESSION_get0_ticket_appdata((SSL_SESSION *)(uintptr_t)sess,
	    &data, &len) != 1 || len != TLS_TOKEN_LEN)
		return NULL;
	return data;
}

/*
 * SECURITY: the one place a token is written into a session. Only a
 * control connection binds, and only a session that has none: a token,
 * once bound, is never overwritten (a data connection that could restamp
 * a session it resumed would let another connection's session pass this
 * session's check). Returns true when sess now carries a token.
 */
static bool
tls_bind_token(SSL *ssl, SSL_SESSION *sess, const struct tls_app *app)
{
	if (app == NULL || sess == NULL || !tls_is_control(ssl))
		return false;
	if (tls_session_token(sess) != NULL)
		return true;
	return SSL_SESSION_set1_ticket_appdata(sess, app->token,
	    sizeof(app->token)) == 1;
}

/* Server side: called before each ticket is made. Data connections get no
 * tickets at all (tls_new_server); on a control connection the ticket
 * carries the connection's token. */
static int
tls_ticket_gen(SSL *ssl, void *arg)
{
	(void)arg;
	(void)tls_bind_token(ssl, SSL_get_session(ssl), SSL_get_app_data(ssl));
	return 1;
}

/* Server side: accept what OpenSSL decrypted. A control connection renews
 * as OpenSSL suggests; a data connection never gets a ticket (TLS 1.2
 * would otherwise issue one on resumption, or whenever the client offers
 * an empty ticket extension). */
static SSL_TICKET_RETURN
tls_ticket_dec(SSL *ssl, SSL_SESSION *sess, const unsigned char *keyname,
    size_t keyname_len, SSL_TICKET_STATUS status, void *arg)
{
	bool control = tls_is_control(ssl);

	(void)sess; (void)keyname; (void)keyname_len; (void)arg;
	switch (status) {
	case SSL_TICKET_SUCCESS:
		return SSL_TICKET_RETURN_USE;
	case SSL_TICKET_SUCCESS_RENEW:
		return control ? SSL_TICKET_RETURN_USE_RENEW :
		    SSL_TICKET_RETURN_USE;
	case SSL_TICKET_EMPTY:
	case SSL_TICKET_NO_DECRYPT:
		return control ? SSL_TICKET_RETURN_IGNORE_RENEW :
		    SSL_TICKET_RETURN_IGNORE;
	default:
		return SSL_TICKET_RETURN_ABORT;
	}
}

/* TLS extension numbers (RFC 8446, RFC 5077). */
#define TLS_EXT_SESSION_TICKET	35
#define TLS_EXT_PRE_SHARED_KEY	41

/* SSL ex_data: what the client offered to resume (see tls_client_hello). */
static int
tls_offered_index(void)
{
	static int idx = -1;

	if (idx < 0)
		idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	return idx;
}

/* Server side: note whether the client offered to resume a session, so a
 * refused data connection can be explained precisely. */
static int
tls_client_hello(SSL *ssl, int *alert, void *arg)
{
	const unsigned char *sid = NULL, *tick = NULL;
	size_t sid_len, tick_len = 0;
	uintptr_t offered = 0;	/* 1: ticket or PSK, 2: session ID */

	(void)alert; (void)arg;
	sid_len = SSL_client_hello_get0_session_id(ssl, &sid);
	if (SSL_client_hello_get0_ext(ssl, TLS_EXT_PRE_SHARED_KEY, &tick,
	    &tick_len) == 1 && tick_len > 0)
		offered |= 1;
	else if (SSL_client_hello_get0_ext(ssl, TLS_EXT_SESSION_TICKET, &tick,
	    &tick_len) == 1 && tick_len > 0)
		offered |= 1;
	/* A TLS 1.2 session ID; TLS 1.3 clients send a random one anyway
	 * ("middlebox compatibility"), so it counts only below 1.3. */
	if (sid_len > 0)
		offered |= 2;
	SSL_set_ex_data(ssl, tls_offered_index(), (void *)offered);
	return SSL_CLIENT_HELLO_SUCCESS;
}

/* Backend side: keep the newest session of the session's connections.
 * Servers may make tickets single-use (ProFTPD: stateful TLS 1.3 tickets),
 * so each data connection resumes the ticket the previous one received;
 * all of them descend from the control connection's session. */
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


static void
tls_pin_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
    void *argp)
{
	(void)parent; (void)ad; (void)idx; (void)argl; (void)argp;
	OPENSSL_free(ptr);
}

/* SSL_CTX ex_data holding the backend_fingerprint pin (32 bytes). */
static int
tls_pin_index(void)
{
	static int idx = -1;

	if (idx < 0)
		idx = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL,
		    tls_pin_free);
	return idx;
}

static void
tls_hex_fingerprint(const unsigned char *md, size_t n, char *out)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < n; i++) {
		*out++ = hex[md[i] >> 4];
		*out++ = hex[md[i] & 15];
		*out++ = i + 1 < n ? ':' : '\0';
	}
}

/*
 * Backend verification with backend_fingerprint: the chain and the name do
 * not matter; the leaf certificate's SHA-256 must be the pinned one.
 */
static int
tls_pin_verify(int ok, X509_STORE_CTX *xs)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(xs,
	    SSL_get_ex_data_X509_STORE_CTX_idx());
	const unsigned char *pin = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl),
	    tls_pin_index());
	unsigned char md[EVP_MAX_MD_SIZE];
	char seen[3 * 32];
	unsigned n = 0;
	X509 *leaf;

	(void)ok;
	if (X509_STORE_CTX_get_error_depth(xs) > 0) {
		X509_STORE_CTX_set_error(xs, X509_V_OK);
		return 1;
	}
	leaf = X509_STORE_CTX_get_current_cert(xs);
	if (pin != NULL && leaf != NULL &&
	    X509_digest(leaf, EVP_sha256(), md, &n) == 1 && n == 32 &&
	    CRYPTO_memcmp(md, pin, 32) == 0) {
		X509_STORE_CTX_set_error(xs, X509_V_OK);
		return 1;
	}
	if (n == 32) {
		tls_hex_fingerprint(md, n, seen);
		log_msg(LOG_LVL_ERR, "the FTP server's certificate has SHA-256 "
		    "fingerprint sha256:%s, not the backend_fingerprint of "
		    "gateway.conf: if the server's certificate was renewed, set "
		    "backend_fingerprint to the new value (ftpsgw-certs show "
		    "FILE prints it); else something else answers as the FTP "
		    "server", seen);
	}
	X509_STORE_CTX_set_error(xs, X509_V_ERR_CERT_REJECTED);
	return 0;
}

const char *
tls_backend_refusal(SSL *ssl, const struct cfg_backend *be, char *buf,
    size_t cap)
{
	long v = SSL_get_verify_result(ssl);

	if (v == X509_V_OK)
		return "";
	if (be->have_fingerprint)
		snprintf(buf, cap, "its TLS certificate is not the one pinned "
		    "by backend_fingerprint (see the line above)");
	else
		snprintf(buf, cap, "its TLS certificate was refused: %s (set "
		    "backend_ca to the CA that signed it, or pin it with "
		    "backend_fingerprint; the certificate must name %s, which "
		    "backend_name can set; backend_verify = off disables the "
		    "check, insecurely)", X509_verify_cert_error_string(v),
		    be->name[0] != '\0' ? be->name : be->host);
	return buf;
}

/* Both sides prefer what this CPU encrypts fastest (cipher_pref). */
static int
tls_set_ciphers(SSL_CTX *ctx, const struct cipher_pref *pref)
{
	return SSL_CTX_set_ciphersuites(ctx, pref->tls13) == 1 &&
	    SSL_CTX_set_cipher_list(ctx, pref->tls12) == 1 ? 0 : -1;
}

/*
 * The client-side context toward one FTP server: its verification (CA or
 * pin) and its own session cache. Messages name the section when the file
 * has sections.
 */
static int
tls_backend_new(struct tls_backend *tb, const struct cfg_backend *be,
    bool sections, const struct cipher_pref *pref, char *err, size_t errcap)
{
	char what[CFG_PATH_MAX + 128];
	char sec[CFG_SECTION_NAME_MAX + 16] = "";

	if (sections)
		snprintf(sec, sizeof(sec), "[backend %s] ", be->section);
	tb->ctx = SSL_CTX_new(TLS_client_method());
	if (tb->ctx == NULL)
		return tls_fail(err, errcap, "SSL_CTX_new");
	/*
	 * TLS 1.2 toward the backend: FTP servers require data connections to
	 * resume the control session, and with TLS 1.3 that means a ticket per
	 * data connection. ProFTPD and vsftpd (OpenSSL's stateful tickets)
	 * accept each ticket once and issue new ones only on connections they
	 * write to, so a run of uploads exhausts them and the next data
	 * connection is refused. A TLS 1.2 session ID can be resumed by every
	 * data connection of the session.
	 */
	SSL_CTX_set_min_proto_version(tb->ctx, TLS1_2_VERSION);
	SSL_CTX_set_max_proto_version(tb->ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(tb->ctx, SSL_OP_NO_RENEGOTIATION);
	if (tls_set_ciphers(tb->ctx, pref) < 0)
		return tls_fail(err, errcap, "cipher preferences");
	SSL_CTX_set_mode(tb->ctx, TLS_MODES);
	SSL_CTX_set_session_cache_mode(tb->ctx, SSL_SESS_CACHE_CLIENT |
	    SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(tb->ctx, tls_new_session);
	tb->name = be->name[0] != '\0' ? be->name : be->host;
	if (be->have_fingerprint) {
		/* The pin alone decides: a self-signed certificate needs no
		 * CA, and a CA-signed one still must be this very one. */
		unsigned char *pin = OPENSSL_memdup(be->fingerprint,
		    sizeof(be->fingerprint));

		if (pin == NULL || SSL_CTX_set_ex_data(tb->ctx,
		    tls_pin_index(), pin) != 1) {
			OPENSSL_free(pin);
			snprintf(what, sizeof(what), "%sbackend_fingerprint",
			    sec);
			return tls_fail(err, errcap, what);
		}
		SSL_CTX_set_verify(tb->ctx, SSL_VERIFY_PEER, tls_pin_verify);
	} else if (be->verify) {
		SSL_CTX_set_verify(tb->ctx, SSL_VERIFY_PEER, NULL);
		if (be->ca[0] != '\0') {
			if (SSL_CTX_load_verify_locations(tb->ctx, be->ca,
			    NULL) != 1) {
				snprintf(what, sizeof(what), "%sbackend_ca %s: "
				    "cannot load CA certificates", sec, be->ca);
				return tls_fail(err, errcap, what);
			}
		} else if (SSL_CTX_set_default_verify_paths(tb->ctx) != 1) {
			return tls_fail(err, errcap, "system CA store");
		}
	} else {
		SSL_CTX_set_verify(tb->ctx, SSL_VERIFY_NONE, NULL);
	}
	return 0;
}

struct tls *
tls_new(const struct config *cfg, const struct cipher_pref *pref, char *err,
    size_t errcap)
{
	struct tls *t = calloc(1, sizeof(*t));

	ERR_clear_error();
	if (t == NULL) {
		snprintf(err, errcap, "out of memory for TLS contexts");
		return NULL;
	}
	atomic_init(&t->refs, 1);
	/* ex_data indexes are made once, before any worker thread runs. */
	(void)tls_offered_index();
	(void)tls_control_index();
	(void)tls_pin_index();
	t->server = SSL_CTX_new(TLS_server_method());
	if (t->server == NULL) {
		tls_fail(err, errcap, "SSL_CTX_new");
		goto fail;
	}
	SSL_CTX_set_min_proto_version(t->server, TLS1_2_VERSION);
	SSL_CTX_set_options(t->server, SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_mode(t->server, TLS_MODES);
	SSL_CTX_set_session_cache_mode(t->server, SSL_SESS_CACHE_SERVER);
	SSL_CTX_set_session_id_context(t->server, tls_sid_ctx,
	    sizeof(tls_sid_ctx) - 1);
	SSL_CTX_set_timeout(t->server, TLS_SESSION_LIFETIME);
	SSL_CTX_set_session_ticket_cb(t->server, tls_ticket_gen, tls_ticket_dec, NULL);
	SSL_CTX_set_client_hello_cb(t->server, tls_client_hello, NULL);
	if (tls_set_ciphers(t->server, pref) < 0) {
		tls_fail(err, errcap, "cipher preferences");
		goto fail;
	}
	if (keys_load(t->server, cfg->certificate, cfg->private_key, err,
	    errcap) < 0)
		goto fail;

	t->be = calloc(cfg->n_backends, sizeof(*t->be));
	if (t->be == NULL) {
		snprintf(err, errcap, "out of memory for TLS contexts");
		goto fail;
	}
	for (t->n_be = 0; t->n_be < cfg->n_backends; t->n_be++) {
		if (tls_backend_new(&t->be[t->n_be],
		    &cfg->backends[t->n_be], cfg->backend_sections, pref, err,
		    errcap) < 0) {
			SSL_CTX_free(t->be[t->n_be].ctx);
			goto fail;
		}
	}
	return t;
fail:
	tls_unref(t);
	return NULL;
}

struct tls *
tls_ref(struct tls *t)
{
	atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed);
	return t;
}

void
tls_unref(struct tls *t)
{
	size_t i;

	if (t == NULL ||
	    atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) != 1)
		return;
	SSL_CTX_free(t->server);
	for (i = 0; i < t->n_be; i++)
		SSL_CTX_free(t->be[i].ctx);
	free(t->be);
	free(t);
}

int
tls_app_init(struct tls_app *a, struct tls *t)
{
	a->be_session = NULL;
	a->tls = NULL;
	a->be = 0;
	if (RAND_bytes(a->token, sizeof(a->token)) != 1)
		return -1;
	a->tls = tls_ref(t);
	return 0;
}

void
tls_app_free(struct tls_app *a)
{
	SSL_SESSION_free(a->be_session);
	a->be_session = NULL;
	OPENSSL_cleanse(a->token, sizeof(a->token));
	tls_unref(a->tls);
	a->tls = NULL;
}

SSL *
tls_new_server(struct tls_app *app, bool data)
{
	SSL *ssl = SSL_new(app->tls->server);

	if (ssl == NULL)
		return NULL;
	SSL_set_app_data(ssl, app);
	if (data) {
		/*
		 * SECURITY: no tickets on data connections (DESIGN.md fact 7).
		 * A ticket minted on a data handshake, before the reuse check
		 * has run, would be a session its holder could present as this
		 * control connection's. TLS 1.3: no NewSessionTicket (which
		 * also keeps clients that never read a data connection, such
		 * as rclone, from closing it with unread bytes and a reset);
		 * TLS 1.2: tls_ticket_dec declines to issue or renew one.
		 * (Not SSL_OP_NO_TICKET: TLS 1.2 clients resume the control
		 * session with its ticket, and in TLS 1.3 that option means
		 * stateful tickets.) Clients get fresh tickets on the control
		 * connection instead (tls_renew_ticket).
		 */
		SSL_set_num_tickets(ssl, 0);
	} else if (SSL_set_ex_data(ssl, tls_control_index(), (void *)1) != 1) {
		SSL_free(ssl);
		return NULL;
	}
	return ssl;
}

SSL *
tls_new_backend(struct tls_app *app, SSL_SESSION *resume)
{
	const char *host = app->tls->be[app->be].name;
	unsigned char ip[16];
	SSL *ssl = SSL_new(app->tls->be[app->be].ctx);

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

int
tls_bind_control(SSL *ssl, struct tls_app *app)
{
	SSL_SESSION *sess = SSL_get_session(ssl);
	const unsigned char *token = tls_session_token(sess);

	if (sess == NULL)
		return -1;
	/* A control connection that resumed one of our control sessions (only
	 * its key holder can) takes over that session's token: its data
	 * connections then resume either, and no session changes hands. */
	if (SSL_session_reused(ssl) && token != NULL) {
		memcpy(app->token, token, sizeof(app->token));
		return 0;
	}
	/* A fresh session (TLS 1.2 session-ID resumption finds this very
	 * object in the cache); TLS 1.3 tickets were stamped as they were
	 * made. */
	return tls_bind_token(ssl, sess, app) ? 0 : -1;
}

int
tls_renew_ticket(SSL *ssl)
{
	if (SSL_version(ssl) != TLS1_3_VERSION)
		return 0;	/* TLS 1.2 session IDs stay resumable */
	return SSL_new_session_ticket(ssl) == 1 ? 0 : -1;
}

bool
tls_resumed_own(SSL *ssl, const struct tls_app *app)
{
	const unsigned char *token;

	if (!SSL_session_reused(ssl))
		return false;
	token = tls_session_token(SSL_get0_session(ssl));
	return token != NULL &&
	    CRYPTO_memcmp(token, app->token, sizeof(app->token)) == 0;
}

void
tls_forget_session(SSL *ssl)
{
	SSL_SESSION *sess = SSL_get0_session(ssl);

	/* Marks it non-resumable too, wherever else it is referenced. */
	if (sess != NULL)
		(void)SSL_CTX_remove_session(SSL_get_SSL_CTX(ssl), sess);
}

const char *
tls_resume_failure(SSL *ssl)
{
	uintptr_t offered;

	if (SSL_session_reused(ssl))
		return "it resumed the TLS session of another connection";
	offered = (uintptr_t)SSL_get_ex_data(ssl, tls_offered_index());

	if (SSL_version(ssl) == TLS1_3_VERSION)
		offered &= 1;
	if (offered != 0)
		return "it offered a TLS session that could not be resumed "
		    "(expired, or from another connection)";
	return "it offered no TLS session to resume";
}

const char *
tls_describe(SSL *ssl, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s %s%s", SSL_get_version(ssl),
	    SSL_get_cipher_name(ssl), SSL_session_reused(ssl) ? ", resumed" : "");
	return buf;
}
