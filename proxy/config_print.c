/* gateway.conf written back from a struct config, one key at a time. */
#include "proxy/config_print.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* printf into buf; 1 when it fit, -1 (and "") when it did not. */
static int cfg_put(char *buf, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
cfg_put(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (cap == 0)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(buf, cap, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= cap) {
		buf[0] = '\0';
		return -1;
	}
	return 1;
}

/* A string setting; "" is not set. */
static int
cfg_put_str(char *buf, size_t cap, const char *s)
{
	return s[0] == '\0' ? 0 : cfg_put(buf, cap, "%s", s);
}

/* The numeric address of sa, IPv6 in brackets when bracket is set; with
 * its port when port is set. */
static int
cfg_put_addr(char *buf, size_t cap, const struct sockaddr_storage *sa,
    int bracket, int port)
{
	char a[INET6_ADDRSTRLEN];
	unsigned p;

	if (sa->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		if (inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a)) == NULL)
			return -1;
		p = ntohs(sin->sin_port);
		bracket = 0;
	} else {
		const struct sockaddr_in6 *sin6 =
		    (const struct sockaddr_in6 *)sa;

		if (inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a)) == NULL)
			return -1;
		p = ntohs(sin6->sin6_port);
	}
	if (port)
		return cfg_put(buf, cap, bracket ? "[%s]:%u" : "%s:%u", a, p);
	return cfg_put(buf, cap, bracket ? "[%s]" : "%s", a);
}

/* The nth listener of one kind (listen or listen_implicit). */
static int
cfg_put_listen(const struct config *cfg, int implicit, size_t nth, char *buf,
    size_t cap)
{
	size_t i, seen = 0;

	for (i = 0; i < cfg->n_listen; i++) {
		if (cfg->listen[i].implicit != implicit)
			continue;
		if (seen++ == nth)
			return cfg_put_addr(buf, cap, &cfg->listen[i].addr, 1, 1);
	}
	return 0;
}

/* HOST:PORT, an IPv6 address in brackets. */
static int
cfg_put_backend(const struct cfg_backend *be, char *buf, size_t cap)
{
	if (be->host[0] == '\0')
		return 0;
	if (strchr(be->host, ':') != NULL)
		return cfg_put(buf, cap, "[%s]:%u", be->host,
		    (unsigned)be->port);
	return cfg_put(buf, cap, "%s:%u", be->host, (unsigned)be->port);
}

/* sha256:XX:XX:... as ftpsgw-certs show prints it. */
static int
cfg_put_fingerprint(const struct cfg_backend *be, char *buf, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	static const char prefix[] = "sha256:";
	size_t i, o = sizeof(prefix) - 1,
	    need = o + 3 * sizeof(be->fingerprint);

	if (!be->have_fingerprint)
		return 0;
	if (cap < need) {
		if (cap > 0)
			buf[0] = '\0';
		return -1;
	}
	memcpy(buf, prefix, o);
	for (i = 0; i < sizeof(be->fingerprint); i++) {
		unsigned char b = be->fingerprint[i];

		if (i > 0)
			buf[o++] = ':';
		buf[o++] = hex[b >> 4];
		buf[o++] = hex[b & 0xf];
	}
	buf[o] = '\0';
	return 1;
}

/* A key with a closed set of words: the one its value came from. */
static int
cfg_put_word(enum cfg_key_id id, int value, char *buf, size_t cap)
{
	const char *w = cfg_key_word_of(id, value);

	return w == NULL ? -1 : cfg_put(buf, cap, "%s", w);
}

int
cfg_backend_value(const struct cfg_backend *be, enum cfg_key_id id,
    char *buf, size_t cap)
{
	if (cap > 0)
		buf[0] = '\0';
	switch (id) {
	case CFG_K_BACKEND:
		return cfg_put_backend(be, buf, cap);
	case CFG_K_BACKEND_TLS:
		return cfg_put_word(id, (int)be->tls, buf, cap);
	case CFG_K_BACKEND_CA:
		return cfg_put_str(buf, cap, be->ca);
	case CFG_K_BACKEND_VERIFY:
		return cfg_put_word(id, be->verify, buf, cap);
	case CFG_K_BACKEND_FINGERPRINT:
		return cfg_put_fingerprint(be, buf, cap);
	case CFG_K_BACKEND_NAME:
		return cfg_put_str(buf, cap, be->name);
	case CFG_K_BACKEND_SOURCE:
		return cfg_put_word(id, (int)be->source, buf, cap);
	case CFG_K_BACKEND_PROXY_PROTOCOL:
		return cfg_put_word(id, (int)be->proxy_protocol, buf, cap);
	case CFG_K_POOL:
		return cfg_put_str(buf, cap, be->pool);
	default:
		break;
	}
	return -1;
}

int
cfg_key_value(const struct config *cfg, enum cfg_key_id id, size_t nth,
    char *buf, size_t cap)
{
	if (cap > 0)
		buf[0] = '\0';
	/* Only listen and listen_implicit repeat. */
	if (nth > 0 && id != CFG_K_LISTEN && id != CFG_K_LISTEN_IMPLICIT)
		return 0;
	switch (id) {
	case CFG_K_LISTEN:
		return cfg_put_listen(cfg, 0, nth, buf, cap);
	case CFG_K_LISTEN_IMPLICIT:
		return cfg_put_listen(cfg, 1, nth, buf, cap);
	case CFG_K_CERTIFICATE:
		return cfg_put_str(buf, cap, cfg->certificate);
	case CFG_K_PRIVATE_KEY:
		return cfg_put_str(buf, cap, cfg->private_key);
	case CFG_K_PUBLIC_ADDRESS:
		if (!cfg->have_public_address)
			return 0;
		return cfg_put_addr(buf, cap, &cfg->public_address, 0, 0);
	case CFG_K_PASSIVE_PORTS:
		return cfg_put(buf, cap, "%u-%u", (unsigned)cfg->passive_low,
		    (unsigned)cfg->passive_high);
	case CFG_K_BACKEND:
	case CFG_K_BACKEND_TLS:
	case CFG_K_BACKEND_CA:
	case CFG_K_BACKEND_VERIFY:
	case CFG_K_BACKEND_FINGERPRINT:
	case CFG_K_BACKEND_NAME:
	case CFG_K_BACKEND_SOURCE:
	case CFG_K_BACKEND_PROXY_PROTOCOL:
	case CFG_K_POOL:
		/* With sections, each prints its own (cfg_backend_value). */
		if (cfg->backend_sections)
			return 0;
		return cfg_backend_value(&cfg->backends[0], id, buf, cap);
	case CFG_K_ROUTE:
		return cfg_put_word(id, (int)cfg->route, buf, cap);
	case CFG_K_BALANCE:
		return cfg_put_word(id, (int)cfg->balance, buf, cap);
	case CFG_K_DEFAULT_POOL:
		return cfg_put_str(buf, cap, cfg->default_pool);
	case CFG_K_USER_MAP:
		return cfg_put_str(buf, cap, cfg->user_map);
	case CFG_K_CLIENT_TLS:
		return cfg_put_word(id, (int)cfg->client_tls, buf, cap);
	case CFG_K_REQUIRE_SESSION_REUSE:
		return cfg_put_word(id, cfg->require_session_reuse, buf, cap);
	case CFG_K_ACTIVE_MODE:
		return cfg_put_word(id, cfg->active_mode, buf, cap);
	case CFG_K_ALLOW_CCC:
		return cfg_put_word(id, cfg->allow_ccc, buf, cap);
	case CFG_K_CONNTRACK:
		return cfg_put_word(id, (int)cfg->conntrack, buf, cap);
	case CFG_K_DATA_PATH:
		return cfg_put_word(id, (int)cfg->data_path, buf, cap);
	case CFG_K_CONNECT_TIMEOUT:
		return cfg_put(buf, cap, "%u", cfg->connect_timeout);
	case CFG_K_IDLE_TIMEOUT:
		return cfg_put(buf, cap, "%u", cfg->idle_timeout);
	case CFG_K_DATA_TIMEOUT:
		return cfg_put(buf, cap, "%u", cfg->data_timeout);
	case CFG_K_LOG_LEVEL:
		return cfg_put_word(id, (int)cfg->log_level, buf, cap);
	case CFG_K_USER:
		return cfg_put_str(buf, cap, cfg->user);
	case CFG_K_CHROOT:
		return cfg_put_str(buf, cap, cfg->chroot);
	case CFG_K_MAX_SESSIONS:
		return cfg_put(buf, cap, "%u", cfg->max_sessions);
	case CFG_K_MAX_SESSIONS_PER_IP:
		return cfg_put(buf, cap, "%u", cfg->max_sessions_per_ip);
	case CFG_K_HANDSHAKE_TIMEOUT:
		return cfg_put(buf, cap, "%u", cfg->handshake_timeout);
	case CFG_K_MAX_LOGIN_FAILURES:
		return cfg_put(buf, cap, "%u", cfg->max_login_failures);
	case CFG_K_BAN_TIME:
		return cfg_put(buf, cap, "%u", cfg->ban_time);
	case CFG_K_BAN_PREFIX4:
		return cfg_put(buf, cap, "%u", cfg->ban_prefix4);
	case CFG_K_BAN_PREFIX6:
		return cfg_put(buf, cap, "%u", cfg->ban_prefix6);
	case CFG_K_SHUTDOWN_TIMEOUT:
		return cfg_put(buf, cap, "%u", cfg->shutdown_timeout);
	case CFG_K_WORKERS:
		if (cfg->workers == 0)
			return cfg_put(buf, cap, "auto");
		return cfg_put(buf, cap, "%u", cfg->workers);
	case CFG_K_BANNER:
		return cfg_put_str(buf, cap, cfg->banner);
	case CFG_K_METRICS_LISTEN:
		if (!cfg->have_metrics_listen)
			return 0;
		return cfg_put_addr(buf, cap, &cfg->metrics_listen, 1, 1);
	case CFG_K_METRICS_PUBLIC:
		return cfg_put_word(id, cfg->metrics_public, buf, cap);
	case CFG_K_TRANSFER_LOG:
		return cfg_put_str(buf, cap, cfg->transfer_log);
	case CFG_K_LOG:
		return cfg_put_word(id, (int)cfg->log_sink, buf, cap);
	case CFG_K_HEALTH_CHECK:
		return cfg_put_word(id, cfg->health_check, buf, cap);
	case CFG_K_HEALTH_INTERVAL:
		return cfg_put(buf, cap, "%u", cfg->health_interval);
	case CFG_K_HEALTH_RISE:
		return cfg_put(buf, cap, "%u", cfg->health_rise);
	case CFG_K_HEALTH_FALL:
		return cfg_put(buf, cap, "%u", cfg->health_fall);
	case CFG_K_COUNT:
		break;
	}
	return -1;
}
