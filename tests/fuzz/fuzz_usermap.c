/* libFuzzer target: user_map_parse and user_map_lookup on arbitrary bytes.
 * The first byte picks where the text ends and the user name begins. */
#include "proxy/user_map.h"

#include <stdint.h>
#include <string.h>

#include "tests/fuzz/fuzz_check.h"

/*
 * Besides the sanitizers' findings: a failure always writes a
 * NUL-terminated printable message; a success leaves none, every rule
 * names a real pool, holds no byte a field cannot have, and a lookup
 * answers a pool or -1. `make fuzz FUZZ_TARGETS=usermap`; a crash becomes
 * a row in tests/unit/test_route.c.
 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CONF	"listen = 203.0.113.1:21\n" \
		"certificate = /g.pem\nprivate_key = /g.key\nroute = user\n" \
		"[backend nas]\nbackend = 198.51.100.10\npool = files\n" \
		"[backend portal]\nbackend = 198.51.100.12\n"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config cfg;
	static struct user_map m;
	static int ready;
	char err[512];
	const char *text = (const char *)data + 1;
	size_t split, len, i, j;
	int r;

	if (!ready) {
		cfg_defaults(&cfg);
		FUZZ_CHECK(cfg_parse(&cfg, "g", CONF, strlen(CONF), err,
		    sizeof(err)) == 0);
		ready = 1;
	}
	if (size == 0)
		return 0;
	len = size - 1;
	split = len == 0 ? 0 : data[0] % (len + 1);
	memset(err, 'X', sizeof(err));
	r = user_map_parse(&m, &cfg, "u.map", text, split, err, sizeof(err));
	FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL);
	if (r != 0) {
		FUZZ_CHECK(r == -1 && err[0] != '\0');
		for (i = 0; err[i] != '\0'; i++)
			FUZZ_CHECK((unsigned char)err[i] >= 0x20 &&
			    (unsigned char)err[i] < 0x7f);
		return 0;
	}
	FUZZ_CHECK(err[0] == '\0' && m.n <= USER_MAP_MAX);
	for (i = 0; i < m.n; i++) {
		FUZZ_CHECK(m.rule[i].pool < cfg.n_pools);
		FUZZ_CHECK(m.rule[i].pattern[0] != '\0');
		for (j = 0; m.rule[i].pattern[j] != '\0'; j++)
			FUZZ_CHECK((unsigned char)m.rule[i].pattern[j] > 0x20 &&
			    (unsigned char)m.rule[i].pattern[j] != 0x7f);
	}
	r = user_map_lookup(&m, text + split, len - split);
	FUZZ_CHECK(r >= -1 && r < (int)cfg.n_pools);
	return 0;
}
