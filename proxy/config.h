/* gateway.conf: the configuration contract of DESIGN.md, parsed from text.
 * Pure: the caller reads the file; no I/O, no malloc, no name resolution. */
#ifndef FTPSGW_PROXY_CONFIG_H
#define FTPSGW_PROXY_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define CFG_LISTEN_MAX	16
#define CFG_PATH_MAX	512
#define CFG_HOST_MAX	256
#define CFG_USER_MAX	33	/* useradd's 32 characters and the NUL */
#define CFG_BANNER_MAX	200	/* bytes of banner text, without the NUL */
#define CFG_BANNER_DEFAULT "ftpsgw ready."
/* Several FTP servers (issue 17): [backend NAME] sections. */
#define CFG_BACKENDS_MAX 64
#define CFG_POOLS_MAX (2 * CFG_BACKENDS_MAX)	/* pool = names, and each
						 * backend as a pool of one */
#define CFG_SECTION_NAME_MAX 32	/* bytes of a section or pool name */
#define CFG_BACKEND_IMPLICIT_NAME "default"	/* top-level keys alone */

enum cfg_backend_tls { CFG_BACKEND_EXPLICIT, CFG_BACKEND_IMPLICIT, CFG_BACKEND_OFF };
enum cfg_client_tls  { CFG_CLIENT_REQUIRED, CFG_CLIENT_OPTIONAL };
enum cfg_conntrack   { CFG_CT_OFF, CFG_CT_ON, CFG_CT_AUTO };
enum cfg_data_path   { CFG_DATA_RELAY, CFG_DATA_KERNEL };
enum cfg_backend_source { CFG_SOURCE_GATEWAY, CFG_SOURCE_CLIENT };
enum cfg_proxy_protocol { CFG_PROXY_OFF, CFG_PROXY_V2 };
enum cfg_log_level   { CFG_LOG_ERR, CFG_LOG_WARNING, CFG_LOG_NOTICE,
		       CFG_LOG_INFO, CFG_LOG_DEBUG };
enum cfg_log_sink    { CFG_SINK_STDERR, CFG_SINK_SYSLOG };
enum cfg_route       { CFG_ROUTE_DEFAULT, CFG_ROUTE_USER };
enum cfg_balance     { CFG_BALANCE_ROUND_ROBIN, CFG_BALANCE_LEAST_CONN,
		       CFG_BALANCE_STICKY };

/* The keys of gateway.conf, in the order of the parser's table (and of
 * ftpsgw -T). */
enum cfg_key_id {
	CFG_K_LISTEN,
	CFG_K_LISTEN_IMPLICIT,
	CFG_K_CERTIFICATE,
	CFG_K_PRIVATE_KEY,
	CFG_K_PUBLIC_ADDRESS,
	CFG_K_PASSIVE_PORTS,
	CFG_K_BACKEND,
	CFG_K_BACKEND_TLS,
	CFG_K_BACKEND_CA,
	CFG_K_BACKEND_VERIFY,
	CFG_K_BACKEND_FINGERPRINT,
	CFG_K_BACKEND_NAME,
	CFG_K_BACKEND_SOURCE,
	CFG_K_BACKEND_PROXY_PROTOCOL,
	CFG_K_CLIENT_TLS,
	CFG_K_REQUIRE_SESSION_REUSE,
	CFG_K_ACTIVE_MODE,
	CFG_K_ALLOW_CCC,
	CFG_K_CONNTRACK,
	CFG_K_DATA_PATH,
	CFG_K_CONNECT_TIMEOUT,
	CFG_K_IDLE_TIMEOUT,
	CFG_K_DATA_TIMEOUT,
	CFG_K_LOG_LEVEL,
	CFG_K_USER,
	CFG_K_CHROOT,
	CFG_K_MAX_SESSIONS,
	CFG_K_MAX_SESSIONS_PER_IP,
	CFG_K_HANDSHAKE_TIMEOUT,
	CFG_K_MAX_LOGIN_FAILURES,
	CFG_K_BAN_TIME,
	CFG_K_BAN_PREFIX4,
	CFG_K_BAN_PREFIX6,
	CFG_K_SHUTDOWN_TIMEOUT,
	CFG_K_WORKERS,
	CFG_K_BANNER,
	CFG_K_METRICS_LISTEN,
	CFG_K_METRICS_PUBLIC,
	CFG_K_TRANSFER_LOG,
	CFG_K_LOG,
	CFG_K_POOL,
	CFG_K_ROUTE,
	CFG_K_BALANCE,
	CFG_K_DEFAULT_POOL,
	CFG_K_USER_MAP,
	/* Health checks of the FTP server (issue 17). */
	CFG_K_HEALTH_CHECK,
	CFG_K_HEALTH_INTERVAL,
	CFG_K_HEALTH_RISE,
	CFG_K_HEALTH_FALL,
	CFG_K_COUNT
};

/* One listener: a numeric address and port. */
struct cfg_listen {
	struct sockaddr_storage addr;	/* AF_INET or AF_INET6, port set */
	socklen_t addrlen;
	bool implicit;			/* listen_implicit (TLS from the first byte) */
	unsigned line;			/* where it was written, for messages */
};

/*
 * One FTP server: the per-backend keys (cfg_key_per_backend) of a [backend
 * NAME] section, top-level ones inherited, or of the top level alone.
 */
struct cfg_backend {
	char section[CFG_SECTION_NAME_MAX + 1];	/* NAME, or "default" */
	char pool[CFG_SECTION_NAME_MAX + 1];	/* pool =, default NAME */
	unsigned line;			/* its [backend] header; 0: implicit */
	char host[CFG_HOST_MAX];	/* backend: name or numeric address,
					 * no brackets */
	uint16_t port;			/* default 21 (990 when implicit) */
	bool port_given;
	enum cfg_backend_tls tls;	/* backend_tls; default explicit */
	char ca[CFG_PATH_MAX];		/* backend_ca; "" = system store */
	bool verify;			/* backend_verify; default on */
	bool have_fingerprint;		/* backend_fingerprint: SHA-256 of */
	unsigned char fingerprint[32];	/* the server's certificate (DER) */
	char name[CFG_HOST_MAX];	/* backend_name; "" = host */
	/* The client's address at the server (issue 17, part 4). */
	enum cfg_backend_source source;	/* backend_source; default gateway */
	enum cfg_proxy_protocol proxy_protocol;	/* backend_proxy_protocol;
						 * default off */
};

/* Backends sharing a pool name; sessions are balanced among them. */
struct cfg_pool {
	char name[CFG_SECTION_NAME_MAX + 1];
	unsigned char member[CFG_BACKENDS_MAX];	/* indexes in backends */
	size_t n;
};

struct config {
	struct cfg_listen listen[CFG_LISTEN_MAX];
	size_t n_listen;		/* listen + listen_implicit, in file order */

	char certificate[CFG_PATH_MAX];
	char private_key[CFG_PATH_MAX];

	bool have_public_address;
	struct sockaddr_storage public_address;	/* numeric; port 0 */

	uint16_t passive_low, passive_high;	/* default 61000-61999 */

	/* The FTP servers: [backend NAME] sections in file order, or the
	 * one implicit backend "default" of the top-level keys. */
	struct cfg_backend backends[CFG_BACKENDS_MAX];
	size_t n_backends;		/* 1.. CFG_BACKENDS_MAX after cfg_parse */
	bool backend_sections;		/* the file has [backend] sections */
	/* Pools (pool = NAME, else a backend is its own), in the order of
	 * their first member. */
	struct cfg_pool pools[CFG_POOLS_MAX];
	size_t n_pools;
	enum cfg_client_tls client_tls;		/* default required */
	bool require_session_reuse;		/* default on */
	enum cfg_conntrack conntrack;		/* default auto */
	enum cfg_data_path data_path;		/* default relay */

	/* Keys beyond the DESIGN.md contract; each has a default. */
	bool active_mode;		/* PORT/EPRT allowed; default on */
	bool allow_ccc;			/* CCC allowed after login; default off */
	unsigned connect_timeout;	/* s, backend connect + TLS setup; default 10 */
	unsigned idle_timeout;		/* s, control channel idle; default 600 */
	unsigned data_timeout;		/* s, waiting for / stalled data conn; default 60 */
	enum cfg_log_level log_level;	/* default info */

	/* Privileges and limits (issue: hardening). */
	char user[CFG_USER_MAX];	/* "" = stay the user that started */
	char chroot[CFG_PATH_MAX];	/* "" = none */
	unsigned max_sessions;		/* default 2000 */
	unsigned max_sessions_per_ip;	/* default 50 */
	unsigned handshake_timeout;	/* s, client TLS handshake; default 10 */
	unsigned max_login_failures;	/* per ban prefix; 0 = off; default 5 */
	unsigned ban_time;		/* s, after max_login_failures; default 600 */
	unsigned ban_prefix4;		/* failures and bans cover this IPv4
					 * prefix; default 32 (the address) */
	unsigned ban_prefix6;		/* ... this IPv6 prefix; default 64 */
	unsigned shutdown_timeout;	/* s, SIGTERM grace; default 30 */

	/* Performance. */
	unsigned workers;		/* event loops; 0 = auto (one per core) */
	/* What clients are told (security issue 12). */
	char banner[CFG_BANNER_MAX + 1];	/* text of the 220 greeting, in
						 * place of the server's; default
						 * CFG_BANNER_DEFAULT */
	/* Monitoring (issue 16). */
	bool have_metrics_listen;		/* default off */
	/* Prometheus /metrics; never public unless metrics_public. */
	struct sockaddr_storage metrics_listen;
	socklen_t metrics_listen_len;
	unsigned metrics_line;			/* where it was set */
	bool metrics_public;			/* default off */
	/* Logging (issue 16). */
	char transfer_log[CFG_PATH_MAX];	/* xferlog(5) file, absolute;
						 * "" = none (the default) */
	enum cfg_log_sink log_sink;		/* log =; default stderr */
	/* Routing (issue 17). */
	enum cfg_route route;			/* default: default */
	enum cfg_balance balance;		/* default round-robin */
	char default_pool[CFG_SECTION_NAME_MAX + 1];	/* "" = not set */
	int default_pool_idx;		/* index in pools, -1: none (route =
					 * user without default_pool) */
	char user_map[CFG_PATH_MAX];	/* "" = none */
	/* Active health checks of the FTP server (issue 17); each check
	 * must finish within connect_timeout. */
	bool health_check;			/* default off */
	unsigned health_interval;		/* s between checks; default 10 */
	unsigned health_rise;			/* good checks to come up; 2 */
	unsigned health_fall;			/* failed checks to go down; 3 */
};

/* Fill cfg with every default; listen, certificate, private_key, backend empty. */
void cfg_defaults(struct config *cfg);

/*
 * cfg_parse - parse a whole gateway.conf text into cfg (call cfg_defaults first).
 * @file:  name used in messages (the path as given on the command line)
 * @text:  file contents, @len bytes (need not be NUL-terminated)
 * @err:   on failure, one message "FILE:LINE: KEY: what is wrong and what is
 *         expected" (or "FILE: KEY: ..." for a missing key), NUL-terminated
 * Returns 0 on success, -1 on the first error.
 *
 * Syntax: "key = value" lines; '#' starts a comment (at line start or after
 * whitespace); blank lines ignored; "[backend NAME]" headers start a
 * section holding per-backend keys only (global keys come before the
 * first section; top-level per-backend keys other than backend are the
 * sections' defaults); errors inside one say "[backend NAME] KEY:". Unknown keys, repeated non-repeatable keys, bad values, NUL bytes
 * and lines longer than CFG_LINE_MAX are errors. After the last line, required
 * keys are checked: at least one listen/listen_implicit, certificate,
 * private_key, backend; and metrics_listen must not be reachable from the
 * Internet (a wildcard, a listen or public_address, a globally routable
 * address: addr_scope) unless metrics_public = on.
 */
int cfg_parse(struct config *cfg, const char *file, const char *text,
    size_t len, char *err, size_t errcap);

/* Does any backend connect from the client's address (backend_source =
 * client)? Then ftpsgw keeps CAP_NET_ADMIN for IP_TRANSPARENT. */
bool cfg_any_transparent(const struct config *cfg);

/*
 * The parser's key table, for the printer (config_print.c), the manual's
 * check and the tests. Each returns NULL for an id out of range.
 *
 * cfg_key_name - the key as written in gateway.conf, e.g. "passive_ports".
 * cfg_key_expect - its accepted values in words, as the parser's messages
 *     give them after "expected", e.g. "on, off or auto".
 * cfg_key_word - the j-th (from 0) word of a key with a closed set of
 *     values (on/off, explicit/implicit/off, ...); NULL past the last word
 *     and for every other key.
 * cfg_key_word_of - the word the parser turns into value (an enum or
 *     0/1 for a switch), or NULL when the key has no such word.
 * All strings are static; the caller never frees them.
 */
const char *cfg_key_name(enum cfg_key_id id);
const char *cfg_key_expect(enum cfg_key_id id);
const char *cfg_key_word(enum cfg_key_id id, size_t j);
const char *cfg_key_word_of(enum cfg_key_id id, int value);
/* Is id a per-backend key (allowed in a [backend] section)? */
bool cfg_key_per_backend(enum cfg_key_id id);
/* The index in cfg->pools of the pool named name[0..len), or -1. */
int cfg_pool_find(const struct config *cfg, const char *name, size_t len);

/*
 * cfg_parse_sockaddr - "ADDR:PORT" or "[V6ADDR]:PORT", numeric, port 1..65535,
 * into a sockaddr. Returns 0 or -1. Exposed for the command line and tests.
 */
int cfg_parse_sockaddr(const char *s, size_t len,
    struct sockaddr_storage *out, socklen_t *outlen);

#endif
