/* Unit tests for the JSON reader (proxy/json.c): texts it must take and
 * texts it must refuse, as tables; the token tree and the accessors. */
#include "proxy/json.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A byte string that may hold NULs: the literal and its length. */
#define B(s)	{ (s), sizeof(s) - 1 }

struct bytes {
	const char *p;
	size_t len;
};

#define TOKS	64

static enum json_err
parse(struct bytes in, struct json_tok *tok, size_t *count,
    struct json_doc *doc)
{
	return json_parse(in.p, in.len, tok, TOKS, count, doc);
}

static const struct {
	struct bytes in;
	size_t tokens;
} good[] = {
	{ B("{}"), 1 },
	{ B("[]"), 1 },
	{ B(" \t\r\n[ ] \n"), 1 },
	{ B("\"x\""), 1 },
	{ B("0"), 1 },
	{ B("-0"), 1 },
	{ B("-1.5e+3"), 1 },
	{ B("12E-2"), 1 },
	{ B("true"), 1 },
	{ B("false"), 1 },
	{ B("null"), 1 },
	{ B("\"\""), 1 },
	{ B("[1,[2,{\"a\":[3]}],\"s\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\"]"), 9 },
	{ B("{\"a\":[1,2],\"b\":{\"c\":null}}"), 9 },
	{ B("{\"\":{}}"), 3 },
	{ B("[\"\xc3\xa9\"]"), 2 },	/* UTF-8 as it is */
};

static const struct {
	struct bytes in;
	enum json_err err;
} bad[] = {
	{ B(""), JSON_SYNTAX },
	{ B("  "), JSON_SYNTAX },
	{ B("["), JSON_SYNTAX },
	{ B("]"), JSON_SYNTAX },
	{ B("[1,]"), JSON_SYNTAX },
	{ B("[,1]"), JSON_SYNTAX },
	{ B("[1 2]"), JSON_SYNTAX },
	{ B("[]]"), JSON_SYNTAX },
	{ B("[] []"), JSON_SYNTAX },
	{ B("{]"), JSON_SYNTAX },
	{ B("[}"), JSON_SYNTAX },
	{ B("{\"a\"}"), JSON_SYNTAX },
	{ B("{\"a\":}"), JSON_SYNTAX },
	{ B("{\"a\":1,}"), JSON_SYNTAX },
	{ B("{\"a\":1 \"b\":2}"), JSON_SYNTAX },
	{ B("{1:2}"), JSON_SYNTAX },
	{ B("{\"a\" 1}"), JSON_SYNTAX },
	{ B("{\"a\":1x}"), JSON_SYNTAX },
	{ B("01"), JSON_SYNTAX },
	{ B("1."), JSON_SYNTAX },
	{ B(".5"), JSON_SYNTAX },
	{ B("-"), JSON_SYNTAX },
	{ B("+1"), JSON_SYNTAX },
	{ B("1e"), JSON_SYNTAX },
	{ B("1e+"), JSON_SYNTAX },
	{ B("\"abc"), JSON_SYNTAX },
	{ B("\"\\x\""), JSON_SYNTAX },
	{ B("\"\\u12\""), JSON_SYNTAX },
	{ B("\"\\u12g4\""), JSON_SYNTAX },
	{ B("\"\\"), JSON_SYNTAX },
	{ B("\"a\nb\""), JSON_SYNTAX },		/* raw control character */
	{ B("\"a\0b\""), JSON_SYNTAX },		/* raw NUL */
	{ B("[1]\0"), JSON_SYNTAX },		/* NUL after the value */
	{ B("tru"), JSON_SYNTAX },
	{ B("nul"), JSON_SYNTAX },
	{ B("True"), JSON_SYNTAX },
	{ B("'a'"), JSON_SYNTAX },
	{ B("[1]x"), JSON_SYNTAX },
};

static void
test_good(void **state)
{
	struct json_tok tok[TOKS];
	struct json_doc doc;
	size_t i, count, counted;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		print_message("good %zu: %.*s\n", i, (int)good[i].in.len,
		    good[i].in.p);
		assert_int_equal(parse(good[i].in, tok, &count, &doc), JSON_OK);
		assert_int_equal(count, good[i].tokens);
		assert_int_equal(doc.n, count);
		assert_int_equal(tok[0].end, count);
		/* Counting alone finds as many. */
		assert_int_equal(json_parse(good[i].in.p, good[i].in.len, NULL,
		    0, &counted, &doc), JSON_OK);
		assert_int_equal(counted, count);
	}
}

static void
test_bad(void **state)
{
	struct json_tok tok[TOKS];
	struct json_doc doc;
	size_t i, count = 99;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		print_message("bad %zu\n", i);
		assert_int_equal(parse(bad[i].in, tok, &count, &doc),
		    bad[i].err);
		assert_int_equal(count, 0);
		assert_int_equal(doc.n, 0);
	}
}

/* JSON_DEPTH_MAX nested arrays pass, one more does not; too few tokens. */
static void
test_limits(void **state)
{
	char deep[2 * (JSON_DEPTH_MAX + 1) + 1];
	struct json_tok tok[JSON_DEPTH_MAX + 2];
	struct json_doc doc;
	size_t n, count;

	(void)state;
	for (n = JSON_DEPTH_MAX; n <= JSON_DEPTH_MAX + 1; n++) {
		memset(deep, '[', n);
		memset(deep + n, ']', n);
		assert_int_equal(json_parse(deep, 2 * n, tok,
		    sizeof(tok) / sizeof(tok[0]), &count, &doc),
		    n == JSON_DEPTH_MAX ? JSON_OK : JSON_DEEP);
	}
	assert_int_equal(json_parse("[1,2,3]", 7, tok, 3, &count, &doc),
	    JSON_FULL);
	assert_int_equal(json_parse("[1,2,3]", 7, tok, 4, &count, &doc),
	    JSON_OK);
	assert_int_equal(json_parse("[1]", JSON_TEXT_MAX, tok, 4, &count,
	    &doc), JSON_BIG);
}

static void
test_tree(void **state)
{
	static const char text[] =
	    "{\"a\":[1,2],\"b\":{\"c\":null},\"a\":\"second\",\"e\":\"x\\ty\"}";
	struct json_tok tok[TOKS];
	struct json_doc doc;
	size_t count, a, b, c, k, key;
	char buf[16];

	(void)state;
	assert_int_equal(json_parse(text, sizeof(text) - 1, tok, TOKS, &count,
	    &doc), JSON_OK);
	assert_int_equal(tok[0].type, JSON_OBJECT);
	assert_int_equal(tok[0].size, 4);
	assert_int_equal(tok[0].len, sizeof(text) - 1);
	a = json_get(&doc, 0, "a");		/* the first of repeated keys */
	assert_int_equal(tok[a].type, JSON_ARRAY);
	assert_int_equal(tok[a].size, 2);
	assert_memory_equal(text + tok[a].start, "[1,2]", tok[a].len);
	k = json_first(&doc, a);
	assert_memory_equal(text + tok[k].start, "1", tok[k].len);
	k = json_next(&doc, a, k);
	assert_memory_equal(text + tok[k].start, "2", tok[k].len);
	assert_int_equal(json_next(&doc, a, k), JSON_NONE);
	b = json_get(&doc, 0, "b");
	c = json_get(&doc, b, "c");
	assert_int_equal(tok[c].type, JSON_NULL);
	assert_int_equal(json_sole(&doc, b, &key), c);
	assert_true(json_str_eq(&doc, key, "c"));
	assert_int_equal(json_sole(&doc, 0, &key), JSON_NONE);
	assert_int_equal(json_get(&doc, 0, "zz"), JSON_NONE);
	assert_int_equal(json_get(&doc, a, "a"), JSON_NONE);	/* not an object */
	assert_int_equal(json_get(&doc, JSON_NONE, "a"), JSON_NONE);
	/* Members in order: a, b, a, e. */
	k = json_first(&doc, 0);
	assert_true(json_str_eq(&doc, k, "a"));
	k = json_next(&doc, 0, k);
	assert_true(json_str_eq(&doc, k, "b"));
	k = json_next(&doc, 0, k);
	k = json_next(&doc, 0, k);
	assert_true(json_str_eq(&doc, k, "e"));
	assert_int_equal(json_next(&doc, 0, k), JSON_NONE);
	/* Escapes are decoded for comparison. */
	assert_true(json_str_eq(&doc, json_get(&doc, 0, "e"), "x\ty"));
	assert_false(json_str_eq(&doc, json_get(&doc, 0, "e"), "x\\ty"));
	assert_int_equal(json_str(&doc, json_get(&doc, 0, "e"), buf,
	    sizeof(buf)), 3);
	assert_false(json_str_eq(&doc, a, "a"));	/* not a string */
	assert_int_equal(json_str(&doc, a, buf, sizeof(buf)), -1);
}

static void
test_str(void **state)
{
	static const struct {
		const char *in;		/* a JSON string, with quotes */
		int len;		/* decoded length, -1 refused */
		const char *out;
	} rows[] = {
		{ "\"plain\"", 5, "plain" },
		{ "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", 8, "\"\\/\b\f\n\r\t" },
		{ "\"\\u0041\\u00e9\\u20ac\"", 6, "A\xc3\xa9\xe2\x82\xac" },
		{ "\"\\u0000\"", -1, NULL },		/* a NUL inside */
		{ "\"\\ud83d\\ude00\"", -1, NULL },	/* surrogates */
		{ "\"0123456789abcde\"", 15, "0123456789abcde" },
		{ "\"0123456789abcdef\"", -1, NULL },	/* 16: no room for NUL */
		{ "\"0123456789abcd\\u00e9\"", -1, NULL },
	};
	struct json_tok tok[4];
	struct json_doc doc;
	size_t i, count;
	char buf[16];

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		print_message("str %zu: %s\n", i, rows[i].in);
		assert_int_equal(json_parse(rows[i].in, strlen(rows[i].in), tok,
		    4, &count, &doc), JSON_OK);
		assert_int_equal(json_str(&doc, 0, buf, sizeof(buf)),
		    rows[i].len);
		if (rows[i].out != NULL)
			assert_memory_equal(buf, rows[i].out,
			    (size_t)rows[i].len + 1);
	}
}

static void
test_int(void **state)
{
	static const struct {
		const char *in;
		int rc;
		int64_t v;
	} rows[] = {
		{ "0", 0, 0 },
		{ "-0", 0, 0 },
		{ "21", 0, 21 },
		{ "-300", 0, -300 },
		{ "9007199254740992", 0, 9007199254740992 },
		{ "-9007199254740992", 0, -9007199254740992 },
		{ "9007199254740993", -1, 0 },
		{ "99999999999999999999999", -1, 0 },
		{ "1.5", -1, 0 },
		{ "1e3", -1, 0 },
		{ "\"21\"", -1, 0 },
		{ "true", -1, 0 },
	};
	struct json_tok tok[4];
	struct json_doc doc;
	size_t i, count;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int64_t v = 0;

		assert_int_equal(json_parse(rows[i].in, strlen(rows[i].in), tok,
		    4, &count, &doc), JSON_OK);
		assert_int_equal(json_int(&doc, 0, &v), rows[i].rc);
		if (rows[i].rc == 0)
			assert_true(v == rows[i].v);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_tree),
		cmocka_unit_test(test_str),
		cmocka_unit_test(test_int),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
