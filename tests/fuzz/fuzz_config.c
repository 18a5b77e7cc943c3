/* libFuzzer target: cfg_parse and cfg_parse_sockaddr on arbitrary bytes. */
#include "proxy/config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*
 * Besides the sanitizers' findings, the target checks what callers rely on:
 * a message is always written, NUL-terminated and printable (peer bytes are
 * escaped), success leaves no message, and a parsed config keeps its
 * invariants. Build (from the repository root):
 *   clang-14 -fsanitize=fuzzer,address,undefined -I. -D_GNU_SOURCE \
 *       proxy/config.c tests/fuzz/fuzz_config.c -o build/fuzz_config
 *   build/fuzz_config -max_total_time=60 tests/fuzz/corpus_config
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
		for (i = 0; i < cfg.n_listen; i++)
			check(cfg.listen[i].addrlen > 0 &&
			    (cfg.listen[i].addr.ss_family == AF_INET ||
			    cfg.listen[i].addr.ss_family == AF_INET6));
		check(cfg.certificate[0] != '\0' &&
		    terminated(cfg.certificate, CFG_PATH_MAX));
		check(cfg.private_key[0] != '\0' &&
		    terminated(cfg.private_key, CFG_PATH_MAX));
		check(terminated(cfg.backend_ca, CFG_PATH_MAX));
		check(cfg.backend_host[0] != '\0' &&
		    terminated(cfg.backend_host, CFG_HOST_MAX) &&
		    printable(cfg.backend_host));
		check(cfg.backend_port != 0);
		check(cfg.passive_low >= 1024 &&
		    cfg.passive_low <= cfg.passive_high);
		check(cfg.connect_timeout >= 1 && cfg.connect_timeout <= 86400);
		check(cfg.idle_timeout >= 1 && cfg.idle_timeout <= 86400);
		check(cfg.data_timeout >= 1 && cfg.data_timeout <= 86400);
	}

	/* the small error buffer path: truncated but terminated */
	cfg_defaults(&cfg);
	memset(err, 'Z', sizeof(err));
	rc = cfg_parse(&cfg, "f", (const char *)data, size, err, 8);
	check(err[8] == 'Z' && terminated(err, 8));

	/* the command-line entry point on the same bytes */
	rc = cfg_parse_sockaddr((const char *)data, size, &ss, &len);
	check(rc == 0 ? len > 0 : len == 0);
	return 0;
}
