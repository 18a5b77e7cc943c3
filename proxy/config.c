/* gateway.conf parser: turns the configuration text into a struct config. */
#include "proxy/config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "proxy/addr_scope.h"
#include "proxy/limits.h"

/*
 * Syntax, as an administrator sees it:
 *
 *   - one "key = value" per line; spaces and tabs around '=' are optional;
 *     leading and trailing whitespace of key and value are trimmed;
 *   - '#' at the start of a line, or after a space or tab, starts a comment
 *     up to the end of the line; a '#' glued to other text is kept, so a
 *     path such as /etc/ftpsgw/site#2.pem needs no quoting;
 *   - blank lines are ignored; lines end with LF or CRLF; a UTF-8 byte
 *     order mark at the start of the file (Windows editors) is skipped;
 *   - "[section]" lines are reserved for a later version and rejected;
 *   - a NUL byte anywhere, a control character outside a comment, or a line
 *     longer than CFG_LINE_MAX bytes (without its line end) is an error.
 *
 * Parsing stops at the first error with one message naming file, line and
 * key. On failure cfg may hold some of the file's settings: callers discard
 * it (a reload keeps running with the old one).
 */

/* Peer text shown in a message: at most this many input bytes. */
#define CFG_QUOTE_MAX	48
/* Each byte may become "\xNN", plus "..." and the NUL. */
#define CFG_QUOTE_BUF	(4 * CFG_QUOTE_MAX + 4)
/* Longest key for which a did-you-mean suggestion is computed. */
#define CFG_SUGGEST_MAX	32
/* Largest edit distance still suggested. */
#define CFG_SUGGEST_DIST 2

#define CFG_PORT_MIN		1
#define CFG_PORT_MAX		65535
#define CFG_PASSIVE_MIN		1024	/* never a privileged port */
#define CFG_TIMEOUT_MIN		1
#define CFG_TIMEOUT_MAX		86400	/* one day */
#define CFG_SESSIONS_MAX	1000000
#define CFG_FAILURES_MAX	1000
/* Ban prefixes: shorter ones would let one client's failures ban a whole
 * provider's customers (a /16 of IPv4, a /32 of IPv6 is an ISP). */
#define CFG_PREFIX4_MIN		16
#define CFG_PREFIX4_MAX		32
#define CFG_PREFIX6_MIN		32
#define CFG_PREFIX6_MAX		128
#define CFG_WORKERS_MAX		64
#define CFG_HEALTH_INTERVAL_MAX	3600	/* one hour */
#define CFG_HEALTH_COUNT_MAX	100
#define CFG_FTP_PORT		21
#define CFG_FTPS_PORT		990
#define CFG_DNS_NAME_MAX	253
#define CFG_DNS_LABEL_MAX	63

/* State of one cfg_parse call; lives on its stack. */
struct cfg_parser {
	struct config *cfg;
	const char *file;
	char *err;
	size_t errcap;
	unsigned lineno;		/* 0 once the whole file is read */
	unsigned seen[CFG_K_COUNT];	/* line of a key's setting, or 0
					 * (per-backend keys: this section's) */
	/* Where per-backend keys go: tmpl at the top level (the implicit
	 * backend, or the sections' defaults), else the current section. */
	struct cfg_backend *be;
	struct cfg_backend tmpl;
	const char *section;		/* current section's name or NULL */
	unsigned top_backend_line;	/* a top-level backend = line */
};

/* What a key's setter reports. */
enum cfg_set {
	CFG_SET_OK,
	CFG_SET_BAD,	/* value does not fit: caller writes the message */
	CFG_SET_ERROR,	/* setter already wrote a more precise message */
};

/* One word of a closed set of values, e.g. "on" or "implicit". */
struct cfg_word {
	const char *word;
	int value;
};

struct cfg_key {
	const char *name;
	enum cfg_set (*set)(struct cfg_parser *, enum cfg_key_id,
	    const char *, size_t);
	const struct cfg_word *words;	/* for cfg_set_word, else NULL */
	bool repeatable;
	const char *what;	/* "'VALUE' <what>; expected <expect>" */
	const char *expect;
	bool per_backend;	/* belongs to a [backend NAME] section (and
				 * at the top level, to the implicit backend
				 * or as the sections' default) */
};

static const struct cfg_word cfg_switch_words[] = {
	{ "on", 1 }, { "off", 0 }, { NULL, 0 }
};
static const struct cfg_word cfg_backend_tls_words[] = {
	{ "explicit", CFG_BACKEND_EXPLICIT },
	{ "implicit", CFG_BACKEND_IMPLICIT },
	{ "off", CFG_BACKEND_OFF }, { NULL, 0 }
};
static const struct cfg_word cfg_client_tls_words[] = {
	{ "required", CFG_CLIENT_REQUIRED },
	{ "optional", CFG_CLIENT_OPTIONAL }, { NULL, 0 }
};
static const struct cfg_word cfg_conntrack_words[] = {
	{ "on", CFG_CT_ON }, { "off", CFG_CT_OFF }, { "auto", CFG_CT_AUTO },
	{ NULL, 0 }
};
static const struct cfg_word cfg_data_path_words[] = {
	{ "relay", CFG_DATA_RELAY }, { "kernel", CFG_DATA_KERNEL }, { NULL, 0 }
};
static const struct cfg_word cfg_backend_source_words[] = {
	{ "gateway", CFG_SOURCE_GATEWAY }, { "client", CFG_SOURCE_CLIENT },
	{ NULL, 0 }
};
static const struct cfg_word cfg_proxy_protocol_words[] = {
	{ "off", CFG_PROXY_OFF }, { "v2", CFG_PROXY_V2 }, { NULL, 0 }
};
static const struct cfg_word cfg_log_level_words[] = {
	{ "err", CFG_LOG_ERR }, { "warning", CFG_LOG_WARNING },
	{ "notice", CFG_LOG_NOTICE }, { "info", CFG_LOG_INFO },
	{ "debug", CFG_LOG_DEBUG }, { NULL, 0 }
};
static const struct cfg_word cfg_route_words[] = {
	{ "default", CFG_ROUTE_DEFAULT }, { "user", CFG_ROUTE_USER },
	{ NULL, 0 }
};
static const struct cfg_word cfg_balance_words[] = {
	{ "round-robin", CFG_BALANCE_ROUND_ROBIN },
	{ "least-connections", CFG_BALANCE_LEAST_CONN },
	{ "sticky", CFG_BALANCE_STICKY }, { NULL, 0 }
};
static const struct cfg_word cfg_log_sink_words[] = {
	{ "stderr", CFG_SINK_STDERR }, { "syslog", CFG_SINK_SYSLOG },
	{ NULL, 0 }
};

static enum cfg_set cfg_set_listen(struct cfg_parser *, enum cfg_key_id,
    const char *, size_t);
static enum cfg_set cfg_set_path(struct cfg_parser *, enum cfg_key_id,
    const char *, size_t);
static enum cfg_set cfg_set_public_address(struct cfg_parser *,
    enum cfg_key_id, const char *, size_t);
static enum cfg_set cfg_set_passive_ports(struct cfg_parser *,
    enum cfg_key_id, const char *, size_t);
static enum cfg_set cfg_set_backend(struct cfg_parser *, enum cfg_key_id,
    const char *, size_t);
static enum cfg_set cfg_set_fingerprint(struct cfg_parser *,
    enum cfg_key_id, const char *, size_t);
static enum cfg_set cfg_set_backend_name(struct cfg_parser *,
    enum cfg_key_id, const char *, size_t);
static enum cfg_set cfg_set_user(struct cfg_parser *, enum cfg_key_id,
    const char *, size_t);
static enum cfg_set cfg_set_count(struct cfg_parser *, enum cfg_key_id,
    const char *, size_t);
static enum cfg_set cfg_set_word(struct cfg_parser *, enum cfg_key_id,
    const char *, size_t);
static enum cfg_set cfg_set_seconds(struct cfg_parser *, enum cfg_key_id,
    const char *, size_t);
static enum cfg_set cfg_set_prefix(struct cfg_parser *, enum cfg_key_id,
    const char *, size_t);
static enum cfg_set cfg_set_banner(struct cfg_parser *, enum cfg_key_id,
    const char *, size_t);
static enum cfg_set cfg_set_metrics_listen(struct cfg_parser *,
    enum cfg_key_id, const char *, size_t);
static enum cfg_set cfg_set_name(struct cfg_parser *, enum cfg_key_id,
    const char *, size_t);

#define CFG_LISTEN_EXPECT "ADDR:PORT or [IPV6]:PORT, numeric, port 1-65535"
#define CFG_PATH_EXPECT "a file path of at most 511 bytes"
#define CFG_SECONDS_EXPECT "whole seconds from 1 to 86400"
#define CFG_NAME_EXPECT "a name of 1 to 32 letters, digits, '_', '.' or '-'"

/* Every key; the order is the order of the did-you-mean search. */
static const struct cfg_key cfg_keys[CFG_K_COUNT] = {
	[CFG_K_LISTEN] = { "listen", cfg_set_listen, NULL, true,
	    "is not an address and port", CFG_LISTEN_EXPECT, false },
	[CFG_K_LISTEN_IMPLICIT] = { "listen_implicit", cfg_set_listen, NULL,
	    true, "is not an address and port", CFG_LISTEN_EXPECT, false },
	[CFG_K_CERTIFICATE] = { "certificate", cfg_set_path, NULL, false,
	    "is not a path", CFG_PATH_EXPECT, false },
	[CFG_K_PRIVATE_KEY] = { "private_key", cfg_set_path, NULL, false,
	    "is not a path", CFG_PATH_EXPECT, false },
	[CFG_K_PUBLIC_ADDRESS] = { "public_address", cfg_set_public_address,
	    NULL, false, "is not a numeric address",
	    "an IPv4 or IPv6 address without port, e.g. 203.0.113.1", false },
	[CFG_K_PASSIVE_PORTS] = { "passive_ports", cfg_set_passive_ports,
	    NULL, false, "is not a port range",
	    "LOW-HIGH with 1024 <= LOW <= HIGH <= 65535", false },
	[CFG_K_BACKEND] = { "backend", cfg_set_backend, NULL, false,
	    "is not a host and port",
	    "HOST:PORT or HOST, HOST a DNS name or numeric address "
	    "(IPv6 in brackets), port 1-65535", true },
	[CFG_K_BACKEND_TLS] = { "backend_tls", cfg_set_word,
	    cfg_backend_tls_words, false, "is not a backend TLS mode",
	    "explicit, implicit or off", true },
	[CFG_K_BACKEND_CA] = { "backend_ca", cfg_set_path, NULL, false,
	    "is not a path", CFG_PATH_EXPECT, true },
	[CFG_K_BACKEND_VERIFY] = { "backend_verify", cfg_set_word,
	    cfg_switch_words, false, "is not a switch", "on or off", true },
	[CFG_K_BACKEND_FINGERPRINT] = { "backend_fingerprint",
	    cfg_set_fingerprint, NULL, false, "is not a SHA-256 fingerprint",
	    "sha256: and 64 hex digits, colons allowed (ftpsgw-certs show "
	    "prints it)", true },
	[CFG_K_BACKEND_NAME] = { "backend_name", cfg_set_backend_name, NULL,
	    false, "is not a DNS name", "the name in the FTP server's "
	    "certificate, e.g. ftp.lan.example", true },
	[CFG_K_BACKEND_SOURCE] = { "backend_source", cfg_set_word,
	    cfg_backend_source_words, false, "is not a source address policy",
	    "gateway or client", true },
	[CFG_K_BACKEND_PROXY_PROTOCOL] = { "backend_proxy_protocol",
	    cfg_set_word, cfg_proxy_protocol_words, false,
	    "is not a PROXY protocol version", "off or v2", true },
	[CFG_K_CLIENT_TLS] = { "client_tls", cfg_set_word,
	    cfg_client_tls_words, false, "is not a client TLS policy",
	    "required or optional", false },
	[CFG_K_REQUIRE_SESSION_REUSE] = { "require_session_reuse",
	    cfg_set_word, cfg_switch_words, false, "is not a switch",
	    "on or off", false },
	[CFG_K_ACTIVE_MODE] = { "active_mode", cfg_set_word, cfg_switch_words,
	    false, "is not a switch", "on or off", false },
	[CFG_K_ALLOW_CCC] = { "allow_ccc", cfg_set_word, cfg_switch_words,
	    false, "is not a switch", "on or off", false },
	[CFG_K_CONNTRACK] = { "conntrack", cfg_set_word, cfg_conntrack_words,
	    false, "is not a conntrack mode", "on, off or auto", false },
	[CFG_K_DATA_PATH] = { "data_path", cfg_set_word, cfg_data_path_words,
	    false, "is not a data path", "relay or kernel", false },
	[CFG_K_CONNECT_TIMEOUT] = { "connect_timeout", cfg_set_seconds, NULL,
	    false, "is not a timeout", CFG_SECONDS_EXPECT, false },
	[CFG_K_IDLE_TIMEOUT] = { "idle_timeout", cfg_set_seconds, NULL, false,
	    "is not a timeout", CFG_SECONDS_EXPECT, false },
	[CFG_K_DATA_TIMEOUT] = { "data_timeout", cfg_set_seconds, NULL, false,
	    "is not a timeout", CFG_SECONDS_EXPECT, false },
	[CFG_K_LOG_LEVEL] = { "log_level", cfg_set_word, cfg_log_level_words,
	    false, "is not a log level",
	    "err, warning, notice, info or debug", false },
	[CFG_K_USER] = { "user", cfg_set_user, NULL, false,
	    "is not a user name",
	    "an account name: letters, digits, '_', '-', at most 32", false },
	[CFG_K_CHROOT] = { "chroot", cfg_set_path, NULL, false,
	    "is not a path", CFG_PATH_EXPECT, false },
	[CFG_K_MAX_SESSIONS] = { "max_sessions", cfg_set_count, NULL, false,
	    "is not a session count", "a whole number from 1 to 1000000",
	    false },
	[CFG_K_MAX_SESSIONS_PER_IP] = { "max_sessions_per_ip", cfg_set_count,
	    NULL, false, "is not a session count",
	    "a whole number from 1 to 1000000", false },
	[CFG_K_HANDSHAKE_TIMEOUT] = { "handshake_timeout", cfg_set_seconds,
	    NULL, false, "is not a timeout", CFG_SECONDS_EXPECT, false },
	[CFG_K_MAX_LOGIN_FAILURES] = { "max_login_failures", cfg_set_count,
	    NULL, false, "is not a count",
	    "a whole number from 0 (no limit) to 1000", false },
	[CFG_K_BAN_TIME] = { "ban_time", cfg_set_seconds, NULL, false,
	    "is not a timeout", CFG_SECONDS_EXPECT, false },
	[CFG_K_BAN_PREFIX4] = { "ban_prefix4", cfg_set_prefix, NULL, false,
	    "is not an IPv4 prefix length",
	    "a whole number from 16 to 32 (32: the address alone)", false },
	[CFG_K_BAN_PREFIX6] = { "ban_prefix6", cfg_set_prefix, NULL, false,
	    "is not an IPv6 prefix length",
	    "a whole number from 32 to 128 (64: one subnet, 128: the "
	    "address alone)", false },
	[CFG_K_SHUTDOWN_TIMEOUT] = { "shutdown_timeout", cfg_set_seconds, NULL,
	    false, "is not a timeout", CFG_SECONDS_EXPECT, false },
	[CFG_K_WORKERS] = { "workers", cfg_set_count, NULL, false,
	    "is not a worker count",
	    "auto (one per CPU core) or a whole number from 1 to 64", false },
	[CFG_K_BANNER] = { "banner", cfg_set_banner, NULL, false,
	    "is not a banner", "text of at most 200 bytes for the 220 "
	    "greeting, e.g. banner = Example Corp. FTP", false },
	[CFG_K_METRICS_LISTEN] = { "metrics_listen", cfg_set_metrics_listen,
	    NULL, false, "is not an address and port", CFG_LISTEN_EXPECT
	    " (a loopback or LAN address, e.g. 127.0.0.1:9199)", false },
	[CFG_K_METRICS_PUBLIC] = { "metrics_public", cfg_set_word,
	    cfg_switch_words, false, "is not a switch", "on or off", false },
	[CFG_K_TRANSFER_LOG] = { "transfer_log", cfg_set_path, NULL, false,
	    "is not an absolute path", "an absolute file path of at most "
	    "511 bytes, e.g. /var/log/ftpsgw/xferlog", false },
	[CFG_K_LOG] = { "log", cfg_set_word, cfg_log_sink_words, false,
	    "is not a log destination", "stderr or syslog", false },
	[CFG_K_POOL] = { "pool", cfg_set_name, NULL, false, "is not a pool "
	    "name", CFG_NAME_EXPECT, true },
	[CFG_K_ROUTE] = { "route", cfg_set_word, cfg_route_words, false,
	    "is not a route", "default (every session to default_pool) or "
	    "user (by USER name@NAME or user_map)", false },
	[CFG_K_BALANCE] = { "balance", cfg_set_word, cfg_balance_words, false,
	    "is not a balance policy",
	    "round-robin, least-connections or sticky", false },
	[CFG_K_DEFAULT_POOL] = { "default_pool", cfg_set_name, NULL, false,
	    "is not a pool name", CFG_NAME_EXPECT, false },
	[CFG_K_USER_MAP] = { "user_map", cfg_set_path, NULL, false,
	    "is not an absolute path", "an absolute file path of at most "
	    "511 bytes, e.g. /etc/ftpsgw/users.map", false },
	[CFG_K_HEALTH_CHECK] = { "health_check", cfg_set_word,
	    cfg_switch_words, false, "is not a switch", "on or off", false },
	[CFG_K_HEALTH_INTERVAL] = { "health_interval", cfg_set_seconds, NULL,
	    false, "is not an interval", "whole seconds from 1 to 3600", false },
	[CFG_K_HEALTH_RISE] = { "health_rise", cfg_set_count, NULL, false,
	    "is not a count", "a whole number from 1 to 100", false },
	[CFG_K_HEALTH_FALL] = { "health_fall", cfg_set_count, NULL, false,
	    "is not a count", "a whole number from 1 to 100", false },
};

/* ---- small helpers ---- */

static bool
cfg_is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* A byte that must not appear in a setting (tab is whitespace, not this). */
static bool
cfg_is_control(char c)
{
	unsigned char u = (unsigned char)c;

	return (u < 0x20 && c != '\t') || u == 0x7f;
}

static bool
cfg_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static char
cfg_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Trim spaces and tabs at both ends of p[0..*len); returns the new start. */
static const char *
cfg_trim(const char *p, size_t *len)
{
	size_t n = *len;

	while (n > 0 && cfg_is_space(*p)) {
		p++;
		n--;
	}
	while (n > 0 && cfg_is_space(p[n - 1]))
		n--;
	*len = n;
	return p;
}

/*
 * The one number parser: decimal digits only, no sign, no whitespace, no
 * leading zero (010 is not silently ten, nor eight), value in [min, max].
 * Overflow is impossible: the bound is checked before each multiply.
 */
static int
cfg_number(const char *s, size_t len, uint32_t min, uint32_t max,
    uint32_t *out)
{
	uint32_t v = 0, d;
	size_t i;

	if (len == 0 || (len > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < len; i++) {
		if (!cfg_is_digit(s[i]))
			return -1;
		d = (uint32_t)(s[i] - '0');
		if (v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (v < min)
		return -1;
	*out = v;
	return 0;
}

/*
 * Copy text the administrator (or a fuzzer) wrote into dst so that it is
 * safe in a log line or on a terminal: printable ASCII as is, backslash and
 * quote escaped, every other byte as \xNN; at most CFG_QUOTE_MAX input bytes,
 * then "...". dst holds CFG_QUOTE_BUF bytes.
 */
static const char *
cfg_quote(char *dst, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	for (i = 0; i < len && i < CFG_QUOTE_MAX; i++) {
		unsigned char u = (unsigned char)s[i];

		if (u == '\\' || u == '\'') {
			dst[o++] = '\\';
			dst[o++] = (char)u;
		} else if (u >= 0x20 && u < 0x7f) {
			dst[o++] = (char)u;
		} else {
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[u >> 4];
			dst[o++] = hex[u & 0xf];
		}
	}
	if (i < len) {
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o] = '\0';
	return dst;
}

/*
 * Write the one error message: "FILE:LINE: KEY: text" while reading lines,
 * "FILE: KEY: text" after the last one; the KEY part is left out when key is
 * NULL. key must already be safe to print (a table name or cfg_quote output).
 */
static void cfg_error(struct cfg_parser *ps, const char *key,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
cfg_error(struct cfg_parser *ps, const char *key, const char *fmt, ...)
{
	char msg[2 * CFG_QUOTE_BUF + 256];
	char where[16] = "";
	va_list ap;

	if (ps->err == NULL || ps->errcap == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ps->lineno > 0)
		snprintf(where, sizeof(where), ":%u", ps->lineno);
	snprintf(ps->err, ps->errcap, "%s%s: %s%s%s%s%s%s",
	    ps->file != NULL ? ps->file : "(configuration)", where,
	    ps->section != NULL ? "[backend " : "",
	    ps->section != NULL ? ps->section : "",
	    ps->section != NULL ? (key != NULL ? "] " : "]: ") : "",
	    key != NULL ? key : "", key != NULL ? ": " : "", msg);
}

/* The generic bad-value message of key id. */
static void
cfg_error_value(struct cfg_parser *ps, enum cfg_key_id id, const char *v,
    size_t n)
{
	const struct cfg_key *k = &cfg_keys[id];
	char q[CFG_QUOTE_BUF];

	cfg_error(ps, k->name, "'%s' %s; expected %s", cfg_quote(q, v, n),
	    k->what, k->expect);
}

/*
 * Edit distance between a (any case) and b with substitutions, insertions,
 * deletions and swaps of two neighbours each costing 1 (optimal string
 * alignment), so "lsiten" and "passive-ports" are one edit away. Both strings
 * are at most CFG_SUGGEST_MAX bytes.
 */
static size_t
cfg_distance(const char *a, size_t na, const char *b, size_t nb)
{
	size_t d[CFG_SUGGEST_MAX + 1][CFG_SUGGEST_MAX + 1];
	size_t i, j, best;

	for (i = 0; i <= na; i++)
		d[i][0] = i;
	for (j = 0; j <= nb; j++)
		d[0][j] = j;
	for (i = 1; i <= na; i++) {
		for (j = 1; j <= nb; j++) {
			size_t cost = cfg_lower(a[i - 1]) == b[j - 1] ? 0 : 1;

			best = d[i - 1][j - 1] + cost;
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && cfg_lower(a[i - 1]) == b[j - 2] &&
			    cfg_lower(a[i - 2]) == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[na][nb];
}

/* The known key closest to an unknown one, or NULL when none is close. */
static const char *
cfg_suggest(const char *key, size_t len)
{
	const char *found = NULL;
	size_t i, d, best = CFG_SUGGEST_DIST + 1;

	if (len > CFG_SUGGEST_MAX)
		return NULL;
	for (i = 0; i < CFG_K_COUNT; i++) {
		const char *name = cfg_keys[i].name;

		d = cfg_distance(key, len, name, strlen(name));
		if (d < best) {
			best = d;
			found = name;
		}
	}
	return found;
}

/* ---- addresses ---- */

/* Fill a sockaddr from numeric address text (NUL-terminated) and port. */
static int
cfg_make_sockaddr(int family, const char *text, uint16_t port,
    struct sockaddr_storage *out, socklen_t *outlen)
{
	memset(out, 0, sizeof(*out));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)out;

		if (inet_pton(AF_INET, text, &sin->sin_addr) != 1)
			return -1;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*outlen = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)out;

		if (inet_pton(AF_INET6, text, &sin6->sin6_addr) != 1)
			return -1;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*outlen = sizeof(*sin6);
	}
	return 0;
}

/*
 * Numeric address text of p[0..len) into a NUL-terminated buffer; a
 * literal longer than any numeric address (or holding a NUL, which would
 * end it early for inet_pton) is refused.
 */
static int
cfg_addr_text(char *buf, size_t cap, const char *p, size_t len)
{
	if (len == 0 || len >= cap || memchr(p, '\0', len) != NULL)
		return -1;
	memcpy(buf, p, len);
	buf[len] = '\0';
	return 0;
}

int
cfg_parse_sockaddr(const char *s, size_t len, struct sockaddr_storage *out,
    socklen_t *outlen)
{
	char host[INET6_ADDRSTRLEN];
	const char *h, *port, *end = s + len;
	size_t hlen;
	uint32_t pn;
	int family;

	memset(out, 0, sizeof(*out));
	*outlen = 0;
	if (len > 0 && s[0] == '[') {
		const char *close = memchr(s, ']', len);

		if (close == NULL || end - close < 2 || close[1] != ':')
			return -1;
		h = s + 1;
		hlen = (size_t)(close - h);
		port = close + 2;
		family = AF_INET6;
	} else {
		/* The last colon: an unbracketed IPv6 address then fails as
		 * an IPv4 one instead of being split somewhere inside. */
		const char *colon = len > 0 ? memrchr(s, ':', len) : NULL;

		if (colon == NULL)
			return -1;
		h = s;
		hlen = (size_t)(colon - s);
		port = colon + 1;
		family = AF_INET;
	}
	if (cfg_addr_text(host, sizeof(host), h, hlen) != 0 ||
	    cfg_number(port, (size_t)(end - port), CFG_PORT_MIN, CFG_PORT_MAX,
	    &pn) != 0 ||
	    cfg_make_sockaddr(family, host, (uint16_t)pn, out, outlen) != 0) {
		memset(out, 0, sizeof(*out));
		*outlen = 0;
		return -1;
	}
	return 0;
}

static bool
cfg_same_sockaddr(const struct sockaddr_storage *a,
    const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const struct sockaddr_in *)a;
		const struct sockaddr_in *y = (const struct sockaddr_in *)b;

		return x->sin_port == y->sin_port &&
		    x->sin_addr.s_addr == y->sin_addr.s_addr;
	} else {
		const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a;
		const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)b;

		return x->sin6_port == y->sin6_port &&
		    memcmp(&x->sin6_addr, &y->sin6_addr,
		    sizeof(x->sin6_addr)) == 0;
	}
}

static bool
cfg_is_unspecified(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)ss)->sin_addr.s_addr ==
		    htonl(INADDR_ANY);
	return IN6_IS_ADDR_UNSPECIFIED(
	    &((const struct sockaddr_in6 *)ss)->sin6_addr);
}

/*
 * A DNS name as a resolver takes it: labels of 1..63 letters, digits,
 * hyphens or underscores (some LAN names have them), not starting or ending
 * with a hyphen, dot-separated, one trailing dot allowed, 253 bytes at most.
 * All digits and dots means a numeric IPv4 address, which must be valid:
 * "198.51.100.300" is a typo, not a name to look up.
 */
static bool
cfg_host_ok(const char *h, size_t n)
{
	char buf[INET_ADDRSTRLEN];
	struct in_addr a4;
	size_t i, label = 0, full = n;
	bool numeric = true;

	if (n > 0 && h[n - 1] == '.')
		n--;
	if (n == 0 || n > CFG_DNS_NAME_MAX)
		return false;
	for (i = 0; i < n; i++) {
		char c = h[i];

		if (c == '.') {
			if (label == 0 || h[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!cfg_is_digit(c))
			numeric = false;
		if (c == '-' && label == 0)
			return false;
		if (!(cfg_is_digit(c) || c == '-' || c == '_' ||
		    (cfg_lower(c) >= 'a' && cfg_lower(c) <= 'z')))
			return false;
		if (++label > CFG_DNS_LABEL_MAX)
			return false;
	}
	if (label == 0 || h[n - 1] == '-')
		return false;
	/* The full text: "198.51.100.10." is neither address nor name. */
	if (numeric)
		return cfg_addr_text(buf, sizeof(buf), h, full) == 0 &&
		    inet_pton(AF_INET, buf, &a4) == 1;
	return true;
}

/* ---- setters: one per kind of value ---- */

static enum cfg_set
cfg_set_listen(struct cfg_parser *ps, enum cfg_key_id id, const char *v,
    size_t n)
{
	struct config *cfg = ps->cfg;
	struct cfg_listen *l;
	char q[CFG_QUOTE_BUF];
	size_t i;

	if (cfg->n_listen >= CFG_LISTEN_MAX) {
		cfg_error(ps, cfg_keys[id].name, "more than %d listeners; "
		    "expected at most %d listen and listen_implicit lines in "
		    "total", CFG_LISTEN_MAX, CFG_LISTEN_MAX);
		return CFG_SET_ERROR;
	}
	l = &cfg->listen[cfg->n_listen];
	if (cfg_parse_sockaddr(v, n, &l->addr, &l->addrlen) != 0)
		return CFG_SET_BAD;
	for (i = 0; i < cfg->n_listen; i++) {
		if (cfg_same_sockaddr(&cfg->listen[i].addr, &l->addr)) {
			cfg_error(ps, cfg_keys[id].name, "'%s' is already used "
			    "on line %u; expected each address and port once",
			    cfg_quote(q, v, n), cfg->listen[i].line);
			return CFG_SET_ERROR;
		}
	}
	l->implicit = id == CFG_K_LISTEN_IMPLICIT;
	l->line = ps->lineno;
	cfg->n_listen++;
	return CFG_SET_OK;
}

static enum cfg_set
cfg_set_path(struct cfg_parser *ps, enum cfg_key_id id, const char *v,
    size_t n)
{
	char q[CFG_QUOTE_BUF];
	char *dst;

	if (n >= CFG_PATH_MAX) {
		cfg_error(ps, cfg_keys[id].name, "'%s' is %zu bytes long; "
		    "expected a path of at most %d bytes", cfg_quote(q, v, n),
		    n, CFG_PATH_MAX - 1);
		return CFG_SET_ERROR;
	}
	switch (id) {
	case CFG_K_CERTIFICATE:
		dst = ps->cfg->certificate;
		break;
	case CFG_K_PRIVATE_KEY:
		dst = ps->cfg->private_key;
		break;
	case CFG_K_CHROOT:
		if (v[0] != '/')
			return CFG_SET_BAD;	/* relative to what? */
		dst = ps->cfg->chroot;
		break;
	case CFG_K_TRANSFER_LOG:
		/* A daemon's working directory is nobody's business; a
		 * path reopened on SIGHUP must mean the same file. */
		if (v[0] != '/')
			return CFG_SET_BAD;
		dst = ps->cfg->transfer_log;
		break;
	case CFG_K_USER_MAP:
		if (v[0] != '/')	/* reread on SIGHUP, after chroot */
			return CFG_SET_BAD;
		dst = ps->cfg->user_map;
		break;
	default:
		dst = ps->be->ca;
		break;
	}
	memcpy(dst, v, n);
	dst[n] = '\0';
	return CFG_SET_OK;
}

/* "2001:db8::1", "[2001:db8::1]" or "203.0.113.1"; the port stays 0. */
static enum cfg_set
cfg_set_public_address(struct cfg_parser *ps, enum cfg_key_id id,
    const char *v, size_t n)
{
	char buf[INET6_ADDRSTRLEN], q[CFG_QUOTE_BUF];
	const char *v0 = v;
	size_t n0 = n;
	socklen_t len;
	int family = AF_INET;

	if (n >= 2 && v[0] == '[' && v[n - 1] == ']') {
		v++;
		n -= 2;
		family = AF_INET6;
	} else if (memchr(v, ':', n) != NULL) {
		family = AF_INET6;
	}
	if (cfg_addr_text(buf, sizeof(buf), v, n) != 0 ||
	    cfg_make_sockaddr(family, buf, 0, &ps->cfg->public_address,
	    &len) != 0)
		return CFG_SET_BAD;
	/* 0.0.0.0 and :: mean "any" to bind(); announced in a 227 reply they
	 * send the client nowhere. */
	if (cfg_is_unspecified(&ps->cfg->public_address)) {
		cfg_error(ps, cfg_keys[id].name, "'%s' cannot be announced to "
		    "clients; expected the router's public address, e.g. "
		    "203.0.113.1", cfg_quote(q, v0, n0));
		return CFG_SET_ERROR;
	}
	ps->cfg->have_public_address = true;
	return CFG_SET_OK;
}

/* "LOW-HIGH"; spaces around the '-' are tolerated. */
static enum cfg_set
cfg_set_passive_ports(struct cfg_parser *ps, enum cfg_key_id id,
    const char *v, size_t n)
{
	const char *dash = memchr(v, '-', n), *lo, *hi;
	size_t nlo, nhi;
	uint32_t low, high;

	(void)id;
	if (dash == NULL)
		return CFG_SET_BAD;
	nlo = (size_t)(dash - v);
	nhi = n - nlo - 1;
	lo = cfg_trim(v, &nlo);
	hi = cfg_trim(dash + 1, &nhi);
	if (cfg_number(lo, nlo, CFG_PASSIVE_MIN, CFG_PORT_MAX, &low) != 0 ||
	    cfg_number(hi, nhi, CFG_PASSIVE_MIN, CFG_PORT_MAX, &high) != 0 ||
	    low > high)
		return CFG_SET_BAD;
	ps->cfg->passive_low = (uint16_t)low;
	ps->cfg->passive_high = (uint16_t)high;
	return CFG_SET_OK;
}

/*
 * "HOST:PORT", "HOST", "[V6]:PORT" or "[V6]". Without a port the default
 * depends on backend_tls, which may come later in the file: cfg_parse
 * settles it after the last line.
 */
static enum cfg_set
cfg_set_backend(struct cfg_parser *ps, enum cfg_key_id id, const char *v,
    size_t n)
{
	struct cfg_backend *be = ps->be;
	char buf[INET6_ADDRSTRLEN];
	struct in6_addr a6;
	const char *host, *port = NULL, *end = v + n;
	size_t hlen;
	uint32_t pn = 0;

	(void)id;
	if (v[0] == '[') {
		const char *close = memchr(v, ']', n);

		if (close == NULL)
			return CFG_SET_BAD;
		host = v + 1;
		hlen = (size_t)(close - host);
		if (close + 1 < end) {
			if (close[1] != ':')
				return CFG_SET_BAD;
			port = close + 2;
		}
		if (cfg_addr_text(buf, sizeof(buf), host, hlen) != 0 ||
		    inet_pton(AF_INET6, buf, &a6) != 1)
			return CFG_SET_BAD;
	} else {
		const char *colon = memchr(v, ':', n);

		host = v;
		hlen = n;
		if (colon != NULL) {
			/* A second colon: an IPv6 address without brackets. */
			if (memchr(colon + 1, ':', (size_t)(end - colon - 1)) !=
			    NULL)
				return CFG_SET_BAD;
			hlen = (size_t)(colon - v);
			port = colon + 1;
		}
		if (!cfg_host_ok(host, hlen))
			return CFG_SET_BAD;
	}
	if (port != NULL && cfg_number(port, (size_t)(end - port),
	    CFG_PORT_MIN, CFG_PORT_MAX, &pn) != 0)
		return CFG_SET_BAD;
	/* hlen <= 253 or an IPv6 literal: it fits CFG_HOST_MAX. */
	memcpy(be->host, host, hlen);
	be->host[hlen] = '\0';
	be->port_given = port != NULL;
	if (port != NULL)
		be->port = (uint16_t)pn;
	return CFG_SET_OK;
}

static int
cfg_hex_digit(char c)
{
	char l = cfg_lower(c);

	if (cfg_is_digit(c))
		return c - '0';
	return l >= 'a' && l <= 'f' ? l - 'a' + 10 : -1;
}

/* "sha256:" then 32 bytes in hex, pairs optionally separated by colons
 * (the form ftpsgw-certs show and openssl x509 -fingerprint print). */
static enum cfg_set
cfg_set_fingerprint(struct cfg_parser *ps, enum cfg_key_id id,
    const char *v, size_t n)
{
	static const char prefix[] = "sha256:";
	unsigned char fp[sizeof(ps->be->fingerprint)];
	size_t i = sizeof(prefix) - 1, got = 0;

	(void)id;
	if (n < i || strncmp(v, prefix, i) != 0)
		return CFG_SET_BAD;
	while (i < n) {
		int hi, lo;

		if (got > 0 && v[i] == ':' && ++i == n)
			return CFG_SET_BAD;
		if (got == sizeof(fp) || n - i < 2)
			return CFG_SET_BAD;
		hi = cfg_hex_digit(v[i]);
		lo = cfg_hex_digit(v[i + 1]);
		if (hi < 0 || lo < 0)
			return CFG_SET_BAD;
		fp[got++] = (unsigned char)(hi << 4 | lo);
		i += 2;
	}
	if (got != sizeof(fp))
		return CFG_SET_BAD;
	memcpy(ps->be->fingerprint, fp, sizeof(fp));
	ps->be->have_fingerprint = true;
	return CFG_SET_OK;
}

static enum cfg_set
cfg_set_backend_name(struct cfg_parser *ps, enum cfg_key_id id,
    const char *v, size_t n)
{
	char buf[INET6_ADDRSTRLEN];
	struct in6_addr a6;

	(void)id;
	/* A name, or an address written as in the certificate's SAN. */
	if (!cfg_host_ok(v, n) && (cfg_addr_text(buf, sizeof(buf), v, n) != 0 ||
	    inet_pton(AF_INET6, buf, &a6) != 1))
		return CFG_SET_BAD;
	memcpy(ps->be->name, v, n);	/* n <= 253: cfg_host_ok */
	ps->be->name[n] = '\0';
	return CFG_SET_OK;
}

static enum cfg_set
cfg_set_word(struct cfg_parser *ps, enum cfg_key_id id, const char *v,
    size_t n)
{
	struct config *cfg = ps->cfg;
	const struct cfg_word *w;

	for (w = cfg_keys[id].words; w->word != NULL; w++)
		if (strlen(w->word) == n && memcmp(w->word, v, n) == 0)
			break;
	if (w->word == NULL && id == CFG_K_LOG) {
		/* "log = debug": the level is log_level's. */
		for (w = cfg_log_level_words; w->word != NULL; w++) {
			if (strlen(w->word) != n || memcmp(w->word, v, n) != 0)
				continue;
			cfg_error(ps, cfg_keys[id].name, "'%s' is a log level; "
			    "expected stderr or syslog here, and log_level = %s "
			    "for the level", w->word, w->word);
			return CFG_SET_ERROR;
		}
	}
	if (w->word == NULL)
		return CFG_SET_BAD;
	switch (id) {
	case CFG_K_BACKEND_TLS:
		ps->be->tls = (enum cfg_backend_tls)w->value;
		break;
	case CFG_K_BACKEND_VERIFY:
		ps->be->verify = w->value != 0;
		break;
	case CFG_K_ROUTE:
		cfg->route = (enum cfg_route)w->value;
		break;
	case CFG_K_BALANCE:
		cfg->balance = (enum cfg_balance)w->value;
		break;
	case CFG_K_BACKEND_SOURCE:
		ps->be->source = (enum cfg_backend_source)w->value;
		break;
	case CFG_K_BACKEND_PROXY_PROTOCOL:
		ps->be->proxy_protocol = (enum cfg_proxy_protocol)w->value;
		break;
	case CFG_K_CLIENT_TLS:
		cfg->client_tls = (enum cfg_client_tls)w->value;
		break;
	case CFG_K_REQUIRE_SESSION_REUSE:
		cfg->require_session_reuse = w->value != 0;
		break;
	case CFG_K_ACTIVE_MODE:
		cfg->active_mode = w->value != 0;
		break;
	case CFG_K_ALLOW_CCC:
		cfg->allow_ccc = w->value != 0;
		break;
	case CFG_K_CONNTRACK:
		cfg->conntrack = (enum cfg_conntrack)w->value;
		break;
	case CFG_K_DATA_PATH:
		cfg->data_path = (enum cfg_data_path)w->value;
		break;
	case CFG_K_METRICS_PUBLIC:
		cfg->metrics_public = w->value != 0;
		break;
	case CFG_K_LOG:
		cfg->log_sink = (enum cfg_log_sink)w->value;
		break;
	case CFG_K_HEALTH_CHECK:
		cfg->health_check = w->value != 0;
		break;
	default:
		cfg->log_level = (enum cfg_log_level)w->value;
		break;
	}
	return CFG_SET_OK;
}

static enum cfg_set
cfg_set_seconds(struct cfg_parser *ps, enum cfg_key_id id, const char *v,
    size_t n)
{
	uint32_t s;

	if (id == CFG_K_HEALTH_INTERVAL) {
		if (cfg_number(v, n, 1, CFG_HEALTH_INTERVAL_MAX, &s) != 0)
			return CFG_SET_BAD;
		ps->cfg->health_interval = s;
		return CFG_SET_OK;
	}
	if (cfg_number(v, n, CFG_TIMEOUT_MIN, CFG_TIMEOUT_MAX, &s) != 0)
		return CFG_SET_BAD;
	switch (id) {
	case CFG_K_CONNECT_TIMEOUT:
		ps->cfg->connect_timeout = s;
		break;
	case CFG_K_IDLE_TIMEOUT:
		ps->cfg->idle_timeout = s;
		break;
	case CFG_K_HANDSHAKE_TIMEOUT:
		ps->cfg->handshake_timeout = s;
		break;
	case CFG_K_BAN_TIME:
		ps->cfg->ban_time = s;
		break;
	case CFG_K_SHUTDOWN_TIMEOUT:
		ps->cfg->shutdown_timeout = s;
		break;
	default:
		ps->cfg->data_timeout = s;
		break;
	}
	return CFG_SET_OK;
}

/* ban_prefix4 / ban_prefix6: a prefix length, without the slash. */
static enum cfg_set
cfg_set_prefix(struct cfg_parser *ps, enum cfg_key_id id, const char *v,
    size_t n)
{
	uint32_t p;

	if (id == CFG_K_BAN_PREFIX4) {
		if (cfg_number(v, n, CFG_PREFIX4_MIN, CFG_PREFIX4_MAX, &p) != 0)
			return CFG_SET_BAD;
		ps->cfg->ban_prefix4 = p;
	} else {
		if (cfg_number(v, n, CFG_PREFIX6_MIN, CFG_PREFIX6_MAX, &p) != 0)
			return CFG_SET_BAD;
		ps->cfg->ban_prefix6 = p;
	}
	return CFG_SET_OK;
}

static enum cfg_set
cfg_set_count(struct cfg_parser *ps, enum cfg_key_id id, const char *v,
    size_t n)
{
	uint32_t c;

	if (id == CFG_K_WORKERS) {
		if (n == 4 && memcmp(v, "auto", 4) == 0)
			c = 0;
		else if (cfg_number(v, n, 1, CFG_WORKERS_MAX, &c) != 0)
			return CFG_SET_BAD;
		ps->cfg->workers = c;
		return CFG_SET_OK;
	}
	if (id == CFG_K_HEALTH_RISE || id == CFG_K_HEALTH_FALL) {
		if (cfg_number(v, n, 1, CFG_HEALTH_COUNT_MAX, &c) != 0)
			return CFG_SET_BAD;
		if (id == CFG_K_HEALTH_RISE)
			ps->cfg->health_rise = c;
		else
			ps->cfg->health_fall = c;
		return CFG_SET_OK;
	}
	if (id == CFG_K_MAX_LOGIN_FAILURES) {
		if (cfg_number(v, n, 0, CFG_FAILURES_MAX, &c) != 0)
			return CFG_SET_BAD;
		ps->cfg->max_login_failures = c;
		return CFG_SET_OK;
	}
	if (cfg_number(v, n, 1, CFG_SESSIONS_MAX, &c) != 0)
		return CFG_SET_BAD;
	if (id == CFG_K_MAX_SESSIONS)
		ps->cfg->max_sessions = c;
	else
		ps->cfg->max_sessions_per_ip = c;
	return CFG_SET_OK;
}

/*
 * The greeting's text. Control characters never get here (cfg_line refuses
 * them), so the reply stays one line; a '#' after a space starts a comment,
 * as everywhere in the file.
 */
static enum cfg_set
cfg_set_banner(struct cfg_parser *ps, enum cfg_key_id id, const char *v,
    size_t n)
{
	(void)id;
	if (n == 0 || n > CFG_BANNER_MAX)
		return CFG_SET_BAD;
	memcpy(ps->cfg->banner, v, n);
	ps->cfg->banner[n] = '\0';
	return CFG_SET_OK;
}

/* Where Prometheus scrapes /metrics; checked against the rest of the file
 * once it is all read (cfg_check_metrics). */
static enum cfg_set
cfg_set_metrics_listen(struct cfg_parser *ps, enum cfg_key_id id,
    const char *v, size_t n)
{
	struct config *cfg = ps->cfg;

	(void)id;
	if (cfg_parse_sockaddr(v, n, &cfg->metrics_listen,
	    &cfg->metrics_listen_len) != 0)
		return CFG_SET_BAD;
	cfg->have_metrics_listen = true;
	cfg->metrics_line = ps->lineno;
	return CFG_SET_OK;
}

/* A section or pool name: 1..CFG_SECTION_NAME_MAX of [A-Za-z0-9_.-]. It
 * is also a metrics label and what a client writes after '@' in USER. */
static bool
cfg_name_ok(const char *v, size_t n)
{
	size_t i;

	if (n == 0 || n > CFG_SECTION_NAME_MAX)
		return false;
	for (i = 0; i < n; i++) {
		char c = v[i];

		if (!(cfg_is_digit(c) || c == '_' || c == '-' || c == '.' ||
		    (cfg_lower(c) >= 'a' && cfg_lower(c) <= 'z')))
			return false;
	}
	return true;
}

/* pool (per backend) and default_pool (checked once all is read). */
static enum cfg_set
cfg_set_name(struct cfg_parser *ps, enum cfg_key_id id, const char *v,
    size_t n)
{
	char *dst = id == CFG_K_POOL ? ps->be->pool : ps->cfg->default_pool;

	if (!cfg_name_ok(v, n))
		return CFG_SET_BAD;
	memcpy(dst, v, n);
	dst[n] = '\0';
	return CFG_SET_OK;
}

/* An account name as useradd accepts it (Debian's default rule). */
static enum cfg_set
cfg_set_user(struct cfg_parser *ps, enum cfg_key_id id, const char *v,
    size_t n)
{
	size_t i;

	(void)id;
	if (n == 0 || n >= CFG_USER_MAX || v[0] == '-')
		return CFG_SET_BAD;
	for (i = 0; i < n; i++) {
		char c = v[i];

		if (!(cfg_is_digit(c) || c == '_' || c == '-' || c == '.' ||
		    (cfg_lower(c) >= 'a' && cfg_lower(c) <= 'z')))
			return CFG_SET_BAD;
	}
	memcpy(ps->cfg->user, v, n);
	ps->cfg->user[n] = '\0';
	return CFG_SET_OK;
}

/* ---- lines ---- */

/*
 * The first word of a line that cannot be split into key and value, quoted
 * for a message, or NULL when the line starts with nothing to name.
 */
static const char *
cfg_line_word(char *q, const char *p, size_t n)
{
	size_t len;

	while (n > 0 && cfg_is_space(*p)) {
		p++;
		n--;
	}
	for (len = 0; len < n; len++)
		if (cfg_is_space(p[len]) || p[len] == '=' || p[len] == '#')
			break;
	return len > 0 ? cfg_quote(q, p, len) : NULL;
}

/* Index of the key named key[0..n) in cfg_keys, or -1. */
static int
cfg_key_find(const char *key, size_t n)
{
	int id;

	for (id = 0; id < CFG_K_COUNT; id++)
		if (strlen(cfg_keys[id].name) == n &&
		    memcmp(cfg_keys[id].name, key, n) == 0)
			return id;
	return -1;
}

/*
 * "[backend NAME]" (p[0] == '['): a new section; per-backend keys from
 * here on are its own, starting from the top level's (ps->tmpl), and
 * global keys are no longer allowed.
 */
static int
cfg_section(struct cfg_parser *ps, const char *p, size_t n)
{
	static const char kw[] = "backend";
	struct config *cfg = ps->cfg;
	struct cfg_backend *be;
	char q[CFG_QUOTE_BUF], q2[CFG_QUOTE_BUF];
	const char *name;
	size_t nname, i;

	ps->section = NULL;
	if (p[n - 1] != ']') {
		cfg_error(ps, cfg_quote(q, p, n), "section header without "
		    "']'; expected [backend NAME]");
		return -1;
	}
	name = p + 1;
	nname = n - 2;
	name = cfg_trim(name, &nname);
	if (nname <= sizeof(kw) - 1 || memcmp(name, kw, sizeof(kw) - 1) != 0 ||
	    !cfg_is_space(name[sizeof(kw) - 1])) {
		cfg_error(ps, cfg_quote(q, p, n), "unknown section; expected "
		    "[backend NAME]");
		return -1;
	}
	name += sizeof(kw) - 1;
	nname -= sizeof(kw) - 1;
	name = cfg_trim(name, &nname);
	if (!cfg_name_ok(name, nname)) {
		cfg_error(ps, cfg_quote(q, p, n), "'%s' is not a backend name; "
		    "expected %s", cfg_quote(q2, name, nname), CFG_NAME_EXPECT);
		return -1;
	}
	for (i = 0; i < cfg->n_backends; i++) {
		if (strlen(cfg->backends[i].section) == nname &&
		    memcmp(cfg->backends[i].section, name, nname) == 0) {
			cfg_error(ps, cfg_quote(q, p, n), "already on line %u; "
			    "expected each backend name once",
			    cfg->backends[i].line);
			return -1;
		}
	}
	if (cfg->n_backends >= CFG_BACKENDS_MAX) {
		cfg_error(ps, cfg_quote(q, p, n), "more than %d backends; "
		    "expected at most %d [backend] sections",
		    CFG_BACKENDS_MAX, CFG_BACKENDS_MAX);
		return -1;
	}
	if (ps->top_backend_line != 0) {
		cfg_error(ps, cfg_quote(q, p, n), "backend is set at the top "
		    "level (line %u); with [backend] sections every server is "
		    "in one: move that line into a [backend NAME] section",
		    ps->top_backend_line);
		return -1;
	}
	be = &cfg->backends[cfg->n_backends++];
	*be = ps->tmpl;
	memcpy(be->section, name, nname);
	be->section[nname] = '\0';
	be->line = ps->lineno;
	cfg->backend_sections = true;
	ps->be = be;
	ps->section = be->section;
	for (i = 0; i < CFG_K_COUNT; i++)
		if (cfg_keys[i].per_backend)
			ps->seen[i] = 0;
	return 0;
}

/* One line, without its line end; n <= CFG_LINE_MAX and no NUL in it. */
static int
cfg_line(struct cfg_parser *ps, const char *p, size_t n)
{
	const struct cfg_key *k;
	const char *key, *val, *eq;
	char q[CFG_QUOTE_BUF], q2[CFG_QUOTE_BUF];
	size_t i, nkey, nval;
	enum cfg_set r;
	int id;

	for (i = 0; i < n; i++) {
		if (p[i] == '#' && (i == 0 || cfg_is_space(p[i - 1])))
			break;
		if (cfg_is_control(p[i])) {
			cfg_error(ps, cfg_line_word(q, p, i),
			    "control character '%s' in line; expected "
			    "printable text", cfg_quote(q2, p + i, 1));
			return -1;
		}
	}
	n = i;
	p = cfg_trim(p, &n);
	if (n == 0)
		return 0;
	if (p[0] == '[')
		return cfg_section(ps, p, n);
	eq = memchr(p, '=', n);
	if (eq == NULL) {
		cfg_error(ps, cfg_line_word(q, p, n), "no '=' in line; "
		    "expected key = value");
		return -1;
	}
	nkey = (size_t)(eq - p);
	key = cfg_trim(p, &nkey);
	nval = n - (size_t)(eq - p) - 1;
	val = cfg_trim(eq + 1, &nval);
	if (nkey == 0) {
		cfg_error(ps, NULL, "'=' without a key; expected key = value");
		return -1;
	}

	id = cfg_key_find(key, nkey);
	if (id < 0) {
		const char *hint = cfg_suggest(key, nkey);

		if (hint != NULL)
			cfg_error(ps, cfg_quote(q, key, nkey),
			    "unknown key (did you mean %s?)", hint);
		else
			cfg_error(ps, cfg_quote(q, key, nkey), "unknown key");
		return -1;
	}
	k = &cfg_keys[id];
	if (ps->section != NULL && !k->per_backend) {
		cfg_error(ps, k->name, "is a global key, not one of a backend; "
		    "expected it above the first [backend] section");
		return -1;
	}
	if (nval == 0) {
		cfg_error(ps, k->name, "value is empty; expected %s",
		    k->expect);
		return -1;
	}
	if (!k->repeatable && ps->seen[id] != 0) {
		cfg_error(ps, k->name, "already set on line %u; expected each "
		    "key once%s (only listen and listen_implicit repeat)",
		    ps->seen[id], ps->section != NULL ? " per section" : "");
		return -1;
	}
	if (id == CFG_K_BACKEND && ps->section == NULL)
		ps->top_backend_line = ps->lineno;
	r = k->set(ps, (enum cfg_key_id)id, val, nval);
	if (r == CFG_SET_BAD)
		cfg_error_value(ps, (enum cfg_key_id)id, val, nval);
	if (r != CFG_SET_OK)
		return -1;
	ps->seen[id] = ps->lineno;
	return 0;
}

/* ss without its port, an IPv4-mapped IPv6 address as the IPv4 one. */
static void
cfg_host_only(struct sockaddr_storage *out, const struct sockaddr_storage *ss)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

	memset(out, 0, sizeof(*out));
	if (ss->ss_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)out;

		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, &s6->sin6_addr.s6_addr[12], 4);
	} else if (ss->ss_family == AF_INET6) {
		struct sockaddr_in6 *o6 = (struct sockaddr_in6 *)out;

		o6->sin6_family = AF_INET6;
		o6->sin6_addr = s6->sin6_addr;
	} else {
		struct sockaddr_in *o4 = (struct sockaddr_in *)out;

		o4->sin_family = AF_INET;
		o4->sin_addr = ((const struct sockaddr_in *)ss)->sin_addr;
	}
}

/* The same host, whatever the ports. */
static bool
cfg_same_host(const struct sockaddr_storage *a,
    const struct sockaddr_storage *b)
{
	struct sockaddr_storage x, y;

	cfg_host_only(&x, a);
	cfg_host_only(&y, b);
	return cfg_same_sockaddr(&x, &y);
}

/*
 * SECURITY: the metrics listener must not face the Internet unless the
 * administrator says so (metrics_public = on): not every address (a
 * wildcard), not an address FTP clients connect to or are sent to
 * (listen, listen_implicit, public_address), not a globally routable one.
 * Loopback, private (RFC 1918, RFC 6598, ULA), link-local and the
 * documentation ranges pass. The message names the metrics_listen line.
 */
static int
cfg_check_metrics(struct cfg_parser *ps)
{
	const struct config *cfg = ps->cfg;
	const struct sockaddr_storage *m = &cfg->metrics_listen;
	char why[160];
	size_t i;

	if (!cfg->have_metrics_listen || cfg->metrics_public)
		return 0;
	why[0] = '\0';
	switch (addr_scope((const struct sockaddr *)m)) {
	case ADDR_SCOPE_UNSPECIFIED:
		snprintf(why, sizeof(why), "listens on every address of the "
		    "router, the public ones included");
		break;
	case ADDR_SCOPE_GLOBAL:
	case ADDR_SCOPE_MULTICAST:
		snprintf(why, sizeof(why), "is a globally routable address");
		break;
	default:
		break;
	}
	for (i = 0; i < cfg->n_listen && why[0] == '\0'; i++)
		if (cfg_same_host(m, &cfg->listen[i].addr))
			snprintf(why, sizeof(why), "is the address FTP clients "
			    "connect to (%s on line %u)",
			    cfg->listen[i].implicit ? "listen_implicit" :
			    "listen", cfg->listen[i].line);
	if (why[0] == '\0' && cfg->have_public_address &&
	    cfg_same_host(m, &cfg->public_address))
		snprintf(why, sizeof(why), "is public_address (line %u), the "
		    "address clients are sent to",
		    ps->seen[CFG_K_PUBLIC_ADDRESS]);
	if (why[0] == '\0')
		return 0;
	ps->lineno = cfg->metrics_line;
	cfg_error(ps, cfg_keys[CFG_K_METRICS_LISTEN].name, "%s, so the "
	    "Internet could read the metrics; expected a loopback or LAN "
	    "address (e.g. 127.0.0.1:9199, or the router's LAN address), or "
	    "set metrics_public = on to serve them there anyway and let only "
	    "your Prometheus server through the firewall", why);
	ps->lineno = 0;
	return -1;
}

/* The backends: the implicit one, or every section's server present; the
 * port's default follows backend_tls. */
static int
cfg_finish_backends(struct cfg_parser *ps)
{
	struct config *cfg = ps->cfg;
	size_t i;

	if (!cfg->backend_sections) {
		if (ps->top_backend_line == 0) {
			cfg_error(ps, "backend", "required key is missing (e.g. "
			    "backend = 198.51.100.10:21)");
			return -1;
		}
		cfg->backends[0] = ps->tmpl;
		memcpy(cfg->backends[0].section, CFG_BACKEND_IMPLICIT_NAME,
		    sizeof(CFG_BACKEND_IMPLICIT_NAME));
		cfg->n_backends = 1;
	}
	for (i = 0; i < cfg->n_backends; i++) {
		struct cfg_backend *be = &cfg->backends[i];

		if (be->host[0] == '\0') {
			ps->section = be->section;
			ps->lineno = be->line;
			cfg_error(ps, "backend", "required key is missing in "
			    "this section (e.g. backend = 198.51.100.10:21)");
			return -1;
		}
		if (be->pool[0] == '\0')
			memcpy(be->pool, be->section, sizeof(be->pool));
		if (!be->port_given)
			be->port = be->tls == CFG_BACKEND_IMPLICIT ?
			    CFG_FTPS_PORT : CFG_FTP_PORT;
		if (be->source == CFG_SOURCE_CLIENT &&
		    cfg->data_path == CFG_DATA_KERNEL) {
			/* The kernel rows of the data plan NAT the data
			 * connection to ftpsgw's own addresses; they are not
			 * made for a control connection from the client's
			 * address. */
			ps->section = cfg->backend_sections ? be->section :
			    NULL;
			ps->lineno = cfg->backend_sections ? be->line :
			    ps->seen[CFG_K_BACKEND_SOURCE];
			cfg_error(ps, "backend_source", "client cannot be "
			    "combined with data_path = kernel (line %u); use "
			    "data_path = relay, or backend_source = gateway",
			    ps->seen[CFG_K_DATA_PATH]);
			return -1;
		}
	}
	return 0;
}

/* Add backend i to the pool called name (made when new). */
static void
cfg_pool_add(struct config *cfg, const char *name, size_t i)
{
	int p = cfg_pool_find(cfg, name, strlen(name));
	struct cfg_pool *pl;

	if (p < 0) {
		pl = &cfg->pools[cfg->n_pools++];
		memcpy(pl->name, name, sizeof(pl->name));
		pl->n = 0;
	} else {
		pl = &cfg->pools[p];
	}
	pl->member[pl->n++] = (unsigned char)i;
}

/*
 * Pools: each pool = NAME with its members in file order. A route target
 * is a pool or a backend, so a backend not in a pool of its own name is
 * also reachable as a pool of one under its name; a pool may not take the
 * name of a backend outside it (NAME would mean two things).
 */
static int
cfg_finish_pools(struct cfg_parser *ps)
{
	struct config *cfg = ps->cfg;
	size_t i;

	cfg->n_pools = 0;
	for (i = 0; i < cfg->n_backends; i++)
		cfg_pool_add(cfg, cfg->backends[i].pool, i);
	for (i = 0; i < cfg->n_backends; i++) {
		const struct cfg_backend *be = &cfg->backends[i];
		int p = cfg_pool_find(cfg, be->section, strlen(be->section));

		if (p < 0) {
			/* At most POOLS_MAX: a pool and a backend each. */
			cfg_pool_add(cfg, be->section, i);
			continue;
		}
		if (strcmp(be->pool, be->section) != 0) {
			ps->section = be->section;
			ps->lineno = be->line;
			cfg_error(ps, "pool", "'%s' is a pool of other "
			    "backends but also this backend's name; expected a "
			    "pool name that is no other backend's",
			    be->section);
			return -1;
		}
	}
	return 0;
}

/* route, default_pool and user_map agree with each other and the pools. */
static int
cfg_finish_route(struct cfg_parser *ps)
{
	struct config *cfg = ps->cfg;
	char q[CFG_QUOTE_BUF];

	ps->section = NULL;
	cfg->default_pool_idx = -1;
	if (cfg->default_pool[0] != '\0') {
		cfg->default_pool_idx = cfg_pool_find(cfg, cfg->default_pool,
		    strlen(cfg->default_pool));
		if (cfg->default_pool_idx < 0) {
			ps->lineno = ps->seen[CFG_K_DEFAULT_POOL];
			cfg_error(ps, "default_pool", "'%s' is neither a pool "
			    "nor a backend; expected the name of a [backend] "
			    "section or a pool = NAME", cfg_quote(q,
			    cfg->default_pool, strlen(cfg->default_pool)));
			return -1;
		}
	} else if (cfg->route == CFG_ROUTE_DEFAULT) {
		cfg->default_pool_idx = 0;	/* the first backend's pool */
	}
	if (cfg->user_map[0] != '\0' && cfg->route != CFG_ROUTE_USER) {
		ps->lineno = ps->seen[CFG_K_USER_MAP];
		cfg_error(ps, "user_map", "is only read with route = user; "
		    "expected route = user too, or no user_map");
		return -1;
	}
	ps->lineno = 0;
	return 0;
}

/* After the last line: required keys, and defaults that depend on others. */
static int
cfg_finish(struct cfg_parser *ps)
{
	struct config *cfg = ps->cfg;

	ps->lineno = 0;
	ps->section = NULL;
	if (cfg->n_listen == 0) {
		cfg_error(ps, "listen", "required key is missing (e.g. listen "
		    "= 203.0.113.1:21, or listen_implicit = 203.0.113.1:990)");
		return -1;
	}
	if (ps->seen[CFG_K_CERTIFICATE] == 0) {
		cfg_error(ps, "certificate", "required key is missing (e.g. "
		    "certificate = /etc/ftpsgw/gateway.pem)");
		return -1;
	}
	if (ps->seen[CFG_K_PRIVATE_KEY] == 0) {
		cfg_error(ps, "private_key", "required key is missing (e.g. "
		    "private_key = /etc/ftpsgw/gateway.key)");
		return -1;
	}
	if (cfg_finish_backends(ps) < 0 || cfg_finish_pools(ps) < 0 ||
	    cfg_finish_route(ps) < 0)
		return -1;
	return cfg_check_metrics(ps);
}

/* ---- public ---- */

const char *
cfg_key_name(enum cfg_key_id id)
{
	return id < CFG_K_COUNT ? cfg_keys[id].name : NULL;
}

bool
cfg_any_transparent(const struct config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->n_backends; i++)
		if (cfg->backends[i].source == CFG_SOURCE_CLIENT)
			return true;
	return false;
}

bool
cfg_key_per_backend(enum cfg_key_id id)
{
	return id < CFG_K_COUNT && cfg_keys[id].per_backend;
}

int
cfg_pool_find(const struct config *cfg, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < cfg->n_pools; i++)
		if (strlen(cfg->pools[i].name) == len &&
		    memcmp(cfg->pools[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

const char *
cfg_key_expect(enum cfg_key_id id)
{
	return id < CFG_K_COUNT ? cfg_keys[id].expect : NULL;
}

const char *
cfg_key_word(enum cfg_key_id id, size_t j)
{
	const struct cfg_word *w;
	size_t i;

	if (id >= CFG_K_COUNT || cfg_keys[id].words == NULL)
		return NULL;
	for (i = 0, w = cfg_keys[id].words; w->word != NULL; i++, w++)
		if (i == j)
			return w->word;
	return NULL;
}

const char *
cfg_key_word_of(enum cfg_key_id id, int value)
{
	const struct cfg_word *w;

	if (id >= CFG_K_COUNT || cfg_keys[id].words == NULL)
		return NULL;
	for (w = cfg_keys[id].words; w->word != NULL; w++)
		if (w->value == value)
			return w->word;
	return NULL;
}

/* UTF-8 byte order mark, which some editors put at the start of a file. */
static const char cfg_bom[] = "\xef\xbb\xbf";

void
cfg_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->passive_low = 61000;
	cfg->passive_high = 61999;
	cfg->backends[0].port = CFG_FTP_PORT;
	cfg->backends[0].tls = CFG_BACKEND_EXPLICIT;
	cfg->backends[0].verify = true;
	memcpy(cfg->backends[0].section, CFG_BACKEND_IMPLICIT_NAME,
	    sizeof(CFG_BACKEND_IMPLICIT_NAME));
	memcpy(cfg->backends[0].pool, CFG_BACKEND_IMPLICIT_NAME,
	    sizeof(CFG_BACKEND_IMPLICIT_NAME));
	cfg->n_backends = 1;
	cfg->n_pools = 1;
	memcpy(cfg->pools[0].name, CFG_BACKEND_IMPLICIT_NAME,
	    sizeof(CFG_BACKEND_IMPLICIT_NAME));
	cfg->pools[0].n = 1;
	cfg->route = CFG_ROUTE_DEFAULT;
	cfg->balance = CFG_BALANCE_ROUND_ROBIN;
	cfg->client_tls = CFG_CLIENT_REQUIRED;
	cfg->require_session_reuse = true;
	cfg->active_mode = true;
	cfg->allow_ccc = false;
	cfg->conntrack = CFG_CT_AUTO;
	cfg->data_path = CFG_DATA_RELAY;
	cfg->connect_timeout = 10;
	cfg->idle_timeout = 600;
	cfg->data_timeout = 60;
	cfg->log_level = CFG_LOG_INFO;
	cfg->max_sessions = 2000;
	cfg->max_sessions_per_ip = 50;
	cfg->handshake_timeout = 10;
	cfg->max_login_failures = 5;
	cfg->ban_time = 600;
	cfg->ban_prefix4 = 32;
	cfg->ban_prefix6 = 64;
	cfg->shutdown_timeout = 30;
	cfg->workers = 0;
	cfg->log_sink = CFG_SINK_STDERR;
	cfg->health_check = false;
	cfg->health_interval = 10;
	cfg->health_rise = 2;
	cfg->health_fall = 3;
	memcpy(cfg->banner, CFG_BANNER_DEFAULT, sizeof(CFG_BANNER_DEFAULT));
}

int
cfg_parse(struct config *cfg, const char *file, const char *text, size_t len,
    char *err, size_t errcap)
{
	struct cfg_parser ps;
	char q[CFG_QUOTE_BUF];
	const char *p = text, *end = text + len, *lf, *nul;
	size_t n;

	memset(&ps, 0, sizeof(ps));
	ps.cfg = cfg;
	/* Per-backend keys start from the defaults' backend; the file's
	 * backends are settled by cfg_finish. */
	ps.tmpl = cfg->backends[0];
	ps.tmpl.section[0] = '\0';
	ps.tmpl.pool[0] = '\0';
	ps.be = &ps.tmpl;
	cfg->n_backends = 0;
	cfg->n_pools = 0;
	ps.file = file;
	ps.err = err;
	ps.errcap = errcap;
	if (err != NULL && errcap > 0)
		err[0] = '\0';
	if (len >= sizeof(cfg_bom) - 1 &&
	    memcmp(text, cfg_bom, sizeof(cfg_bom) - 1) == 0)
		p += sizeof(cfg_bom) - 1;

	while (p < end) {
		ps.lineno++;
		lf = memchr(p, '\n', (size_t)(end - p));
		n = (size_t)((lf != NULL ? lf : end) - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n > CFG_LINE_MAX) {
			cfg_error(&ps, cfg_line_word(q, p, n), "line is %zu "
			    "bytes long; expected at most %d bytes per line",
			    n, CFG_LINE_MAX);
			return -1;
		}
		nul = memchr(p, '\0', n);
		if (nul != NULL) {
			cfg_error(&ps, cfg_line_word(q, p, (size_t)(nul - p)),
			    "NUL byte in line; expected a text file");
			return -1;
		}
		if (cfg_line(&ps, p, n) != 0)
			return -1;
		if (lf == NULL)
			break;
		p = lf + 1;
	}
	return cfg_finish(&ps);
}
