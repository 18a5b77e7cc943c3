/* TLS contexts for both sides of the gateway, certificate verification and
 * TLS session reuse (client side: proving a data connection resumed *this*
 * control connection's session; backend side: resuming our own session). */
#ifndef FTPSGW_PROXY_TLS_H
#define FTPSGW_PROXY_TLS_H

#include <stdbool.h>
#include <stdatomic.h>
#include <stddef.h>

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_session_st SSL_SESSION;
struct cipher_pref;
struct config;
struct cfg_backend;

#define TLS_TOKEN_LEN 16

/* The client side toward one FTP server (one per backend of the
 * configuration, each with its own CA, pin, name and session cache). */
struct tls_backend {
	SSL_CTX *ctx;
	const char *name;	/* checked in the server's certificate and
				 * sent in SNI (borrowed from cfg) */
};

/*
 * The contexts, built together from the configuration and shared by every
 * worker. Reference-counted: SIGHUP builds a new set, and each session
 * keeps the set it started with, so that its data connections resume its
 * control session (tickets and the session cache belong to one context).
 */
struct tls {
	SSL_CTX *server;	/* toward FTP clients */
	struct tls_backend *be;	/* toward each FTP server, in the order of
				 * cfg->backends */
	size_t n_be;
	atomic_uint refs;
};

/* Per-session TLS state, the app data of the session's SSL objects. */
struct tls_app {
	struct tls *tls;	/* the session's contexts (a reference) */
	/* Random per control connection (or adopted from the control session
	 * it resumed); bound to the sessions its control connection creates
	 * (tickets and cache), never to one a data connection made. */
	unsigned char token[TLS_TOKEN_LEN];
	/* The session's FTP server: index in tls->be (and cfg->backends);
	 * set once, before the first connection to it. */
	unsigned be;
	/* Newest session of our backend connections (owned): the control
	 * connection's, or a ticket received on a data connection resuming it. */
	SSL_SESSION *be_session;
};

/* Build every context from cfg, ciphers in pref's order, one reference
 * held. Returns NULL with a message in err. Call first from one thread (it
 * sets up ex_data indexes). */
struct tls *tls_new(const struct config *cfg, const struct cipher_pref *pref,
    char *err, size_t errcap);
struct tls *tls_ref(struct tls *t);
void tls_unref(struct tls *t);

/* Fill a with a fresh random token and a reference to t; be_session NULL.
 * Returns 0 or -1. */
int tls_app_init(struct tls_app *a, struct tls *t);
void tls_app_free(struct tls_app *a);

/*
 * tls_new_server - a new server-side SSL for a client conn of the session
 * owning app. data is true for data connections: they get no session
 * tickets (TLS 1.3 or 1.2) and can never bind a token; false for the
 * control connection, the only one that binds (tls_bind_control).
 */
SSL *tls_new_server(struct tls_app *app, bool data);

/*
 * tls_new_backend - a new client-side SSL toward the session's backend
 * (app->be), checking its name (or its backend_fingerprint pin).
 * @app:  the session's app data: sessions (tickets) received on the
 *        connection are kept in app->be_session for the next resumption
 * @resume: session to resume (data conns), or NULL
 */
SSL *tls_new_backend(struct tls_app *app, SSL_SESSION *resume);

/* Why the backend's certificate was refused, with the setting to change
 * ("" when the handshake failed for another reason). */
const char *tls_backend_refusal(SSL *ssl, const struct cfg_backend *be,
    char *buf, size_t cap);

/*
 * tls_bind_control - after the client control handshake: bind app's token
 * to its session (TLS 1.3 tickets already carry it), or, when the client
 * resumed one of our control sessions, adopt that session's token. A
 * session's token is never overwritten. Returns 0, or -1 when the session
 * cannot carry a token (then no data connection can pass the check).
 */
int tls_bind_control(SSL *ssl, struct tls_app *app);

/*
 * tls_renew_ticket - TLS 1.3 control connection: queue one fresh ticket
 * (sent with our next write), so that clients which offer each ticket only
 * once (curl) have one for their next data connection; data connections
 * themselves get none. No-op below TLS 1.3. Returns 0 or -1.
 */
int tls_renew_ticket(SSL *ssl);

/* SECURITY: true when ssl resumed a session whose token is app's: one that
 * app's control connection (or the control session it resumed) created,
 * not merely any cached session. */
bool tls_resumed_own(SSL *ssl, const struct tls_app *app);

/* Make ssl's session non-resumable and drop it from the server cache: a
 * data connection refused by the reuse check, or a full handshake made on a
 * data connection, leaves nothing behind to resume. */
void tls_forget_session(SSL *ssl);

/* Why a server-side ssl did not resume its control session, in words for
 * the log (static string). */
const char *tls_resume_failure(SSL *ssl);

/* "TLSv1.3 TLS_AES_256_GCM_SHA384" plus ", resumed" when it was. */
const char *tls_describe(SSL *ssl, char *buf, size_t cap);

#endif
