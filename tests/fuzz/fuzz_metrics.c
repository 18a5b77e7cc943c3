/*
 * Fuzz target for the metrics renderer (proxy/metrics_text.c): any
 * snapshot (every counter, the number of workers, the FTP server's state,
 * and the two version strings, arbitrary bytes), any buffer size. Checks,
 * with a reader of its own: the length is the same for every capacity,
 * nothing is written past cap, a cut text is a NUL-terminated prefix, and
 * every line of the whole text is well formed exposition text (HELP, TYPE,
 * or a sample: a name, labels with quoted and escaped values, one space, a
 * decimal), so no snapshot can make a scrape unreadable.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/metrics.h"
#include "proxy/metrics_text.h"
#include "tests/fuzz/fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
is_name(char c, bool first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	    c == ':' || (!first && c >= '0' && c <= '9');
}

/* One line, p[0..n) without its LF. */
static void
check_line(const char *p, size_t n)
{
	size_t i = 0;

	for (i = 0; i < n; i++)
		FUZZ_CHECK((unsigned char)p[i] >= 0x20 &&
		    (unsigned char)p[i] < 0x7f);
	if (n >= 7 && (memcmp(p, "# HELP ", 7) == 0 ||
	    memcmp(p, "# TYPE ", 7) == 0))
		return;
	i = 0;
	FUZZ_CHECK(n > 0 && is_name(p[0], true));
	while (i < n && is_name(p[i], i == 0))
		i++;
	if (i < n && p[i] == '{') {
		i++;
		for (;;) {
			FUZZ_CHECK(i < n && is_name(p[i], true));
			while (i < n && is_name(p[i], false))
				i++;
			FUZZ_CHECK(i + 1 < n && p[i] == '=' && p[i + 1] == '"');
			i += 2;
			while (i < n && p[i] != '"') {
				if (p[i] == '\\') {
					FUZZ_CHECK(i + 1 < n && (p[i + 1] ==
					    '\\' || p[i + 1] == '"' ||
					    p[i + 1] == 'n'));
					i++;
				}
				i++;
			}
			FUZZ_CHECK(i < n);
			i++;
			if (i < n && p[i] == ',') {
				i++;
				continue;
			}
			FUZZ_CHECK(i < n && p[i] == '}');
			i++;
			break;
		}
	}
	FUZZ_CHECK(i < n && p[i] == ' ');
	i++;
	FUZZ_CHECK(i < n);
	for (; i < n; i++)
		FUZZ_CHECK((p[i] >= '0' && p[i] <= '9') || p[i] == '.');
}

/* A NUL-terminated copy of up to max bytes of data at *off. */
static char *
take_string(const uint8_t *data, size_t size, size_t *off, size_t max)
{
	size_t n = 0;
	char *s;

	if (*off < size) {
		n = data[(*off)++] % (max + 1);
		if (n > size - *off)
			n = size - *off;
	}
	s = malloc(n + 1);
	FUZZ_CHECK(s != NULL);
	memcpy(s, data + *off, n);
	s[n] = '\0';
	*off += n;
	return s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct metrics_snap s;
	size_t off = 0, i, n, cap, m;
	char *version, *openssl, *full, *buf;
	const char *p;

	metrics_snap_init(&s);
	if (size > 0)
		s.n_workers = data[off++];
	version = take_string(data, size, &off, 64);
	openssl = take_string(data, size, &off, 64);
	s.version = version;
	s.openssl = openssl;
	/* Then the counters, 8 bytes each, as many as there are. */
	for (i = 0; i < METRICS_SLOTS && off + 8 <= size; i++, off += 8)
		memcpy(&s.v[i], data + off, 8);
	if (off < size)
		s.backend = data[off];
	metrics_snap_finish(&s);
	/* Everything the collector sets may hold any value too. */
	for (; i < METRICS_SLOTS && i < size; i++)
		s.v[i] ^= data[i];

	n = metrics_text(&s, NULL, 0);
	full = malloc(n + 1);
	FUZZ_CHECK(full != NULL);
	FUZZ_CHECK(metrics_text(&s, full, n + 1) == n);
	FUZZ_CHECK(strlen(full) == n && n > 0 && full[n - 1] == '\n');
	for (p = full; *p != '\0';) {
		const char *end = strchr(p, '\n');

		FUZZ_CHECK(end != NULL);
		check_line(p, (size_t)(end - p));
		p = end + 1;
	}
	/* A smaller room: the same length back, a prefix, nothing past it. */
	cap = size > 0 ? (size * 131u + data[0]) % (n + 2) : 0;
	buf = malloc(cap + 1);
	FUZZ_CHECK(buf != NULL);
	memset(buf, 0x5a, cap + 1);
	FUZZ_CHECK(metrics_text(&s, buf, cap) == n);
	if (cap > 0) {
		m = strlen(buf);
		FUZZ_CHECK(m == (cap - 1 < n ? cap - 1 : n));
		FUZZ_CHECK(memcmp(buf, full, m) == 0);
	}
	FUZZ_CHECK((unsigned char)buf[cap] == 0x5a);
	free(buf);
	free(full);
	free(version);
	free(openssl);
	return 0;
}
