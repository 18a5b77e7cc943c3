/* libFuzzer target: cfg_parse and cfg_parse_sockaddr on arbitrary bytes. */
#include "proxy/config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Besides the sanitizers' findings, the target checks what callers rely on:
 * a message is always written, NUL-terminated and printable (peer bytes are
 * escaped), success leaves no message, a parsed config keeps its invariants,
 * and an address cfg_parse_sockaddr accepts, written back, reads the same.
 * `make fuzz` builds and runs it (tests/fuzz/run.sh); each crash it finds
 * becomes a row in tests/unit/test_config.c.
 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int ok)
{
	if (!ok)
		abort();
}

static int
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

static int
terminated(const char *s, size_t cap)
{
	return memchr(s, '\0', cap) != NULL;
}

/* "ADDR:PORT" or "[V6]:PORT" of a parsed address, parsed again, gives the
 * same bytes: what -t prints and what a listener binds are one thing. */
static void
check_sockaddr_round_trip(const struct sockaddr_storage *ss, socklen_t len)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
	struct sockaddr_storage back;
	char host[INET6_ADDRSTRLEN], text[INET6_ADDRSTRLEN + 16];
	socklen_t blen;
	int n;

	if (ss->ss_family == AF_INET) {
		check(len == sizeof(*sin) && ntohs(sin->sin_port) != 0);
		check(inet_ntop(AF_INET, &sin->sin_addr, host,
		    sizeof(host)) != NULL);
		n = snprintf(text, sizeof(text), "%s:%u", host,
		    (unsigned)ntohs(sin->sin_port));
	} else {
		check(ss->ss_family == AF_INET6 && len == sizeof(*sin6));
		check(ntohs(sin6->sin6_port) != 0);
		check(inet_ntop(AF_INET6, &sin6->sin6_addr, host,
		    sizeof(host)) != NULL);
		n = snprintf(text, sizeof(text), "[%s]:%u", host,
		    (unsigned)ntohs(sin6->sin6_port));
	}
	check(n > 0 && (size_t)n < sizeof(text));
	check(cfg_parse_sockaddr(text, (size_t)n, &back, &blen) == 0);
	check(blen == len && memcmp(&back, ss, len) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg;
	struct sockaddr_storage ss;
	socklen_t len;
	char err[1024];
	size_t i;
	int rc;

	memset(err, 'Z', sizeof(err));
	cfg_defaults(&cfg);
	rc = cfg_parse(&cfg, "gateway.conf", (const char *)data, size, err,
	    sizeof(err));
	check(rc == 0 || rc == -1);
	check(terminated(err, sizeof(err)));
	if (rc != 0) {
		check(strncmp(err, "gateway.conf", 12) == 0);
		check(strlen(err) > 12 && printable(err));
	} else {
		check(err[0] == '\0');
		check(cfg.n_listen >= 1 && cfg.n_listen <= CFG_LISTEN_MAX);
		for (i = 0; i < cfg.n_listen; i++) {
			check_sockaddr_round_trip(&cfg.listen[i].addr,
			    cfg.listen[i].addrlen);
			check(cfg.listen[i].line >= 1);
		}
		check(cfg.certificate[0] != '\0' &&
		    terminated(cfg.certificate, CFG_PATH_MAX));
		check(cfg.private_key[0] != '\0' &&
		    terminated(cfg.private_key, CFG_PATH_MAX));
		/* Every backend complete, pools naming real members. */
		check(cfg.n_backends >= 1 && cfg.n_backends <= CFG_BACKENDS_MAX);
		check(cfg.n_pools >= 1 && cfg.n_pools <= CFG_POOLS_MAX);
		for (i = 0; i < cfg.n_backends; i++) {
			const struct cfg_backend *be = &cfg.backends[i];

			check(terminated(be->ca, CFG_PATH_MAX));
			check(be->host[0] != '\0' &&
			    terminated(be->host, CFG_HOST_MAX) &&
			    printable(be->host));
			check(be->port != 0);
			check(terminated(be->name, CFG_HOST_MAX) &&
			    printable(be->name));
			check(be->section[0] != '\0' && printable(be->section));
			check(cfg_pool_find(&cfg, be->pool,
			    strlen(be->pool)) >= 0);
		}
		for (i = 0; i < cfg.n_pools; i++) {
			size_t j;

			check(cfg.pools[i].n >= 1);
			for (j = 0; j < cfg.pools[i].n; j++)
				check(cfg.pools[i].member[j] < cfg.n_backends);
		}
		check(cfg.default_pool_idx >= -1 &&
		    cfg.default_pool_idx < (int)cfg.n_pools);
		check(cfg.route == CFG_ROUTE_USER || cfg.default_pool_idx >= 0);
		check(cfg.passive_low >= 1024 &&
		    cfg.passive_low <= cfg.passive_high);
		check(cfg.connect_timeout >= 1 && cfg.connect_timeout <= 86400);
		check(cfg.idle_timeout >= 1 && cfg.idle_timeout <= 86400);
		check(cfg.data_timeout >= 1 && cfg.data_timeout <= 86400);
		/* user and chroot reach setuid and chroot(2) at startup. */
		check(terminated(cfg.user, CFG_USER_MAX) && printable(cfg.user) &&
		    cfg.user[0] != '-');
		check(terminated(cfg.chroot, CFG_PATH_MAX) &&
		    (cfg.chroot[0] == '\0' || cfg.chroot[0] == '/'));
		check(cfg.max_sessions >= 1 && cfg.max_sessions_per_ip >= 1);
		check(cfg.handshake_timeout >= 1 && cfg.shutdown_timeout >= 1 &&
		    cfg.ban_time >= 1);
	}

	/* the small error buffer path: truncated but terminated */
	cfg_defaults(&cfg);
	memset(err, 'Z', sizeof(err));
	rc = cfg_parse(&cfg, "f", (const char *)data, size, err, 8);
	check(err[8] == 'Z' && terminated(err, 8));

	/* the command-line entry point on the same bytes */
	rc = cfg_parse_sockaddr((const char *)data, size, &ss, &len);
	check(rc == 0 ? len > 0 : len == 0);
	if (rc == 0)
		check_sockaddr_round_trip(&ss, len);
	return 0;
}
