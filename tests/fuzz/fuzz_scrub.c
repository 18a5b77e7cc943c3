/*
 * Fuzz target for ftp_scrub_reply: any reply line, any output room. The
 * first byte picks the LAN addresses (IPv4 and IPv6 pairs, as a session
 * has them) and the output capacity; the rest is the line. Checks, with a
 * tokenizer of its own: no LAN address survives as a whole token (dotted,
 * tuple or IPv6 text), nothing is written past cap, no CR comes out, an
 * unchanged line is copied exactly, a passive reply is withheld, and a
 * second pass finds nothing more to replace.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "proxy/ftp_scrub.h"
#include "proxy/limits.h"
#include "tests/fuzz/fuzz_ftp.h"

struct pair_text {
	int family;
	const char *lan, *pub;
};

/* LAN and public sides never share a first group: a replacement cannot
 * combine with its neighbours into a LAN address. */
static const struct pair_text pair_texts[] = {
	{ AF_INET, "198.51.100.10", "203.0.113.1" },
	{ AF_INET, "198.51.100.1", "203.0.113.10" },
	{ AF_INET6, "2001:db8:2::10", "2001:db8:1::1" },
	{ AF_INET6, "2001:db8:2::1", "2001:db8:1::10" },
	{ AF_INET, "10.0.0.1", "2001:db8:1::1" },	/* public IPv6 */
	{ AF_INET6, "fe80::1", "203.0.113.1" },
};
#define NPAIRS (sizeof(pair_texts) / sizeof(pair_texts[0]))

static void
make_pair(struct ftp_scrub_pair *p, const struct pair_text *t)
{
	memset(p, 0, sizeof(*p));
	p->lan.family = t->family;
	FUZZ_CHECK(inet_pton(t->family, t->lan, p->lan.addr) == 1);
	p->pub.family = strchr(t->pub, ':') != NULL ? AF_INET6 : AF_INET;
	FUZZ_CHECK(inet_pton(p->pub.family, t->pub, p->pub.addr) == 1);
}

static bool
in_set(char c, const char *set)
{
	return c != '\0' && strchr(set, c) != NULL;
}

/* No maximal run of characters from set in out[0..n) is the LAN address
 * (after trailing punctuation is dropped). */
static void
check_runs(const char *out, size_t n, const char *set,
    const struct ftp_scrub_pair *pairs, size_t npairs)
{
	size_t i = 0;

	while (i < n) {
		size_t j = i, len;
		char text[64];
		uint8_t a[16];
		size_t k;

		if (!in_set(out[i], set)) {
			i++;
			continue;
		}
		while (j < n && in_set(out[j], set))
			j++;
		len = j - i;
		while (len > 2 && (out[i + len - 1] == '.' ||
		    (out[i + len - 1] == ':' && out[i + len - 2] != ':')))
			len--;
		if (len < sizeof(text)) {
			memcpy(text, out + i, len);
			text[len] = '\0';
			for (k = 0; k < npairs; k++) {
				const struct net_addr *l = &pairs[k].lan;
				int fam = strchr(set, ',') != NULL ? AF_INET :
				    strchr(set, ':') != NULL ? AF_INET6 : AF_INET;

				if (fam == AF_INET && strchr(set, ',') != NULL) {
					char tup[32];
					size_t tl;

					if (l->family != AF_INET)
						continue;
					tl = (size_t)snprintf(tup, sizeof(tup),
					    "%u,%u,%u,%u", l->addr[0],
					    l->addr[1], l->addr[2], l->addr[3]);
					/* The tuple starts the run, whole. */
					FUZZ_CHECK(!(len >= tl &&
					    memcmp(text, tup, tl) == 0 &&
					    (len == tl || text[tl] == ',')));
				} else if (inet_pton(fam, text, a) == 1) {
					FUZZ_CHECK(!(l->family == fam &&
					    memcmp(l->addr, a, fam == AF_INET ?
					    4 : 16) == 0));
				}
			}
		}
		i = j;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ftp_scrub_pair pairs[FTP_SCRUB_PAIRS_MAX];
	static char out[FTP_LINE_MAX + 64], again[FTP_LINE_MAX + 64];
	char *line;
	size_t n, cap, out_len = 0, again_len = 0, i;
	unsigned sel, did;

	if (size < 1)
		return 0;
	sel = data[0];
	data++;
	size--;
	make_pair(&pairs[0], &pair_texts[sel % NPAIRS]);
	make_pair(&pairs[1], &pair_texts[(sel / NPAIRS) % NPAIRS]);
	n = (sel & 0x80) ? 2 : 1;
	/* Mostly the session's room; sometimes very little. */
	cap = (sel & 0x40) ? (size_t)(sel & 0x3f) : FTP_LINE_MAX;

	line = malloc(size ? size : 1);		/* exact, for ASan */
	FUZZ_CHECK(line != NULL);
	memcpy(line, data, size);
	memset(out, 0x5a, sizeof(out));
	did = ftp_scrub_reply(line, size, pairs, n, out, cap, &out_len);

	FUZZ_CHECK(out_len <= cap);
	for (i = cap; i < sizeof(out); i++)
		FUZZ_CHECK(out[i] == 0x5a);
	FUZZ_CHECK(memchr(out, '\r', out_len) == NULL);
	if (did == 0)
		FUZZ_CHECK(out_len == size && memcmp(out, line, size) == 0);
	if (size >= 3 && line[0] == '2' && line[1] == '2' && line[2] >= '7' &&
	    line[2] <= '9' && (size == 3 || line[3] == ' ' || line[3] == '-')) {
		FUZZ_CHECK(did & FTP_SCRUB_PASSIVE);
		FUZZ_CHECK((did & FTP_SCRUB_CUT) || (out_len > 4 &&
		    memcmp(out, line, 3) == 0 &&
		    memmem(out, out_len, FTP_SCRUB_WITHHELD,
		    strlen(FTP_SCRUB_WITHHELD)) != NULL));
	} else {
		FUZZ_CHECK(!(did & FTP_SCRUB_PASSIVE));
		check_runs(out, out_len, "0123456789.", pairs, n);
		check_runs(out, out_len, "0123456789,", pairs, n);
		check_runs(out, out_len, "0123456789abcdefABCDEF:.", pairs, n);
		/* Nothing left to replace. */
		did = ftp_scrub_reply(out, out_len, pairs, n, again,
		    sizeof(again), &again_len);
		FUZZ_CHECK(!(did & (FTP_SCRUB_ADDR | FTP_SCRUB_CR)));
	}
	free(line);
	return 0;
}
