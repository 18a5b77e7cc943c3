/*
 * Fuzz target for the status page's renderers (proxy/status_text.c) and
 * the terminal tables (proxy/status_table.c): a snapshot whose user, file,
 * client and reason strings are arbitrary bytes (the first bytes pick the
 * lengths and numbers). Checks: the JSON is one valid JSON text (json.c)
 * that reads back as tables holding no control byte but LF; the HTML has
 * exactly as many '<' and '"' as the same snapshot with every hostile
 * string replaced by letters (so no string adds markup or ends an
 * attribute); a cut rendering is a NUL-terminated prefix of the whole.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/json.h"
#include "proxy/status.h"
#include "proxy/status_table.h"
#include "proxy/status_text.h"
#include "tests/fuzz/fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Take up to cap bytes of data at *off into dst; its length. */
static size_t
take(const uint8_t *data, size_t size, size_t *off, char *dst, size_t cap)
{
	size_t n = 0;

	if (*off < size) {
		n = data[(*off)++] % (cap + 1);
		if (n > size - *off)
			n = size - *off;
		memcpy(dst, data + *off, n);
		*off += n;
	}
	return n;
}

static char *
render(size_t (*fn)(const struct status_snap *, char *, size_t),
    const struct status_snap *s, size_t *len)
{
	size_t n = fn(s, NULL, 0);
	char *t = malloc(n + 1);

	FUZZ_CHECK(t != NULL);
	FUZZ_CHECK(fn(s, t, n + 1) == n && strlen(t) == n);
	*len = n;
	return t;
}

static size_t
count(const char *t, char c)
{
	size_t n = 0;

	for (; *t != '\0'; t++)
		n += *t == c;
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct status_snap s, tame;
	static struct status_sess sess[2], tame_sess[2];
	struct json_tok *tok;
	struct json_doc d;
	size_t off = 0, i, n, ntok, jl, hl, tl, cap;
	char *j, *h, *t, *cut;

	memset(&s, 0, sizeof(s));
	memset(sess, 0, sizeof(sess));
	s.now = size > 0 ? (uint64_t)data[0] << 24 : 0;
	s.version = "0.1.0";
	s.n_workers = size > 1 ? data[1] % 3u : 1;
	for (i = 0; i < 2; i++) {
		struct status_sess *x = &sess[i];

		x->id = i + 1;
		x->state = (enum status_state)(size > 2 ? (data[2] + i) %
		    STATUS_ST__N : 0);
		x->user_len = take(data, size, &off, x->user, sizeof(x->user));
		x->file_len = take(data, size, &off, x->file, sizeof(x->file));
		take(data, size, &off, x->client, sizeof(x->client) - 1);
		x->xfer_bytes = off * 1000003u;
		x->xfer_ms = off;
	}
	s.part[0].answered = true;
	s.part[0].sess = sess;
	s.part[0].n = 2;
	s.part[0].open = 3;
	s.n_backends = 1;
	take(data, size, &off, s.backend[0].name, sizeof(s.backend[0].name) -
	    1);
	s.n_refusals = 1;
	take(data, size, &off, s.refusal[0].client,
	    sizeof(s.refusal[0].client) - 1);
	take(data, size, &off, s.refusal[0].reason,
	    sizeof(s.refusal[0].reason) - 1);

	/* The same snapshot with letters for every string of a peer's. */
	tame = s;
	memcpy(tame_sess, sess, sizeof(sess));
	tame.part[0].sess = tame_sess;
	for (i = 0; i < 2; i++) {
		memset(tame_sess[i].user, 'u', tame_sess[i].user_len);
		memset(tame_sess[i].file, 'f', tame_sess[i].file_len);
		memset(tame_sess[i].client, 'c', strlen(tame_sess[i].client));
	}
	memset(tame.backend[0].name, 'b', strlen(tame.backend[0].name));
	memset(tame.refusal[0].client, 'c', strlen(tame.refusal[0].client));
	memset(tame.refusal[0].reason, 'r', strlen(tame.refusal[0].reason));

	h = render(status_html, &s, &hl);
	t = render(status_html, &tame, &tl);
	FUZZ_CHECK(count(h, '<') == count(t, '<'));
	FUZZ_CHECK(count(h, '"') == count(t, '"'));
	FUZZ_CHECK(count(h, '\'') == count(t, '\''));
	free(t);

	j = render(status_json, &s, &jl);
	FUZZ_CHECK(json_parse(j, jl, NULL, 0, &ntok, &d) == JSON_OK);
	tok = calloc(ntok, sizeof(*tok));
	FUZZ_CHECK(tok != NULL);
	FUZZ_CHECK(status_table(j, jl, tok, ntok, NULL, 0, &n) ==
	    STATUS_TABLE_OK);
	t = malloc(n + 1);
	FUZZ_CHECK(t != NULL);
	FUZZ_CHECK(status_table(j, jl, tok, ntok, t, n + 1, &tl) ==
	    STATUS_TABLE_OK && tl == n && strlen(t) == n);
	for (i = 0; i < n; i++)
		FUZZ_CHECK(t[i] == '\n' || ((unsigned char)t[i] >= 0x20 &&
		    t[i] != 0x7f));

	/* A smaller room: a prefix, nothing written past it. */
	cap = size > 0 ? (size * 131u + data[0]) % (hl + 2) : 0;
	cut = malloc(cap + 1);
	FUZZ_CHECK(cut != NULL);
	memset(cut, 0x5a, cap + 1);
	FUZZ_CHECK(status_html(&s, cut, cap) == hl);
	if (cap > 0)
		FUZZ_CHECK(strlen(cut) == (cap - 1 < hl ? cap - 1 : hl) &&
		    memcmp(cut, h, strlen(cut)) == 0);
	FUZZ_CHECK((unsigned char)cut[cap] == 0x5a);
	free(cut);
	free(t);
	free(tok);
	free(j);
	free(h);
	return 0;
}
