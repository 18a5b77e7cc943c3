/*
 * libFuzzer target for reading a running ruleset: the JSON reader
 * (proxy/json.c) and the ftp-helper check (proxy/fw_check.c). The input is
 * what `nft -j list ruleset` would print; the seeds are real outputs.
 *
 * Promises: counting finds as many tokens as parsing into an array of
 * exactly that size (a heap copy: ASan sees any write past it); every
 * token lies inside the text and its subtree ends after it and within its
 * parent's; a decoded string fits its buffer and ends in a NUL; and the
 * check answers for connections of both families on both hooks, and the
 * nat question, without crashing or running away (its step budget). `make
 * fuzz` runs it (tests/fuzz/run.sh); each crash becomes a row in
 * tests/unit/test_json.c or test_fw_check.c.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "proxy/fw_check.h"
#include "proxy/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_tree(const struct json_doc *d, size_t size)
{
	size_t i, c, parents[JSON_DEPTH_MAX + 1], depth = 0;
	char *buf = malloc(64);

	if (buf == NULL)
		abort();
	for (i = 0; i < d->n; i++) {
		const struct json_tok *t = &d->tok[i];

		while (depth > 0 && i >= d->tok[parents[depth - 1]].end)
			depth--;
		if ((size_t)t->start + t->len > size || t->end <= i ||
		    t->end > d->n)
			abort();
		if (depth > 0 && t->end > d->tok[parents[depth - 1]].end)
			abort();
		if (t->type == JSON_ARRAY || t->type == JSON_OBJECT) {
			size_t k = 0;

			for (c = json_first(d, i); c != JSON_NONE;
			    c = json_next(d, i, c))
				k++;
			if (k != t->size || depth == JSON_DEPTH_MAX + 1)
				abort();
			parents[depth++] = i;
		}
		if (t->type == JSON_STRING) {
			int n = json_str(d, i, buf, 64);

			if (n >= 64 || (n >= 0 && buf[n] != '\0'))
				abort();
		}
	}
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t v4[16] = { 203, 0, 113, 1 };
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 1 };
	char *text = malloc(size + 1);
	struct json_tok *tok;
	struct json_doc doc;
	size_t n = 0, n2 = 0;
	enum json_err e;
	int h, f;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	e = json_parse(text, size, NULL, 0, &n, &doc);
	if (e != JSON_OK || n == 0) {
		free(text);
		return 0;
	}
	tok = malloc(n * sizeof(*tok));
	if (tok == NULL)
		abort();
	if (json_parse(text, size, tok, n, &n2, &doc) != JSON_OK || n2 != n ||
	    doc.n != n)
		abort();
	check_tree(&doc, size);
	if (fw_check_is_ruleset(&doc)) {
		for (h = 0; h < 2; h++) {
			for (f = 0; f < 2; f++) {
				struct fw_conn c = {
					.hook = h ? FW_HOOK_OUTPUT :
					    FW_HOOK_PREROUTING,
					.family = f ? AF_INET6 : AF_INET,
					.dport = 21,
				};

				memcpy(c.daddr, f ? v6 : v4, 16);
				(void)fw_check_helper(&doc, &c);
				c.any_addr = true;
				(void)fw_check_helper(&doc, &c);
			}
		}
		(void)fw_check_nat(&doc, AF_INET);
		(void)fw_check_nat(&doc, AF_INET6);
		(void)fw_check_transparent(&doc, AF_INET);
		(void)fw_check_transparent(&doc, AF_INET6);
	}
	/* Any JSON as iproute2's (it need not be a ruleset). */
	(void)fw_check_ip_rule(&doc, "0x1", "100");
	(void)fw_check_local_route(&doc);
	free(tok);
	free(text);
	return 0;
}
