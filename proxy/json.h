/* A small JSON reader (RFC 8259) for `nft -j` output: the text is split
 * into tokens in a caller's array, values are read on demand. Strict: any
 * syntax error fails the whole text; nesting is bounded. Pure: no I/O, no
 * allocation. */
#ifndef FTPSGW_PROXY_JSON_H
#define FTPSGW_PROXY_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Deepest nesting of arrays and objects accepted (nft's goes to ~10). */
#define JSON_DEPTH_MAX	64
/* Longest text accepted: offsets are 32 bits. */
#define JSON_TEXT_MAX	((size_t)UINT32_MAX)
/* "No such token". */
#define JSON_NONE	((size_t)-1)

enum json_type {
	JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY,
	JSON_OBJECT,
};

/*
 * One value. Tokens are in document order: a container is followed by
 * its subtree; an object's members are each a string token (the key)
 * followed by the value's tokens.
 */
struct json_tok {
	uint8_t type;		/* enum json_type */
	uint32_t start, len;	/* its text; a string's without the quotes,
				 * escapes as written */
	uint32_t size;		/* array: elements; object: members */
	uint32_t end;		/* index of the first token after it and
				 * its subtree */
};

/* A parsed text: borrowed pointers to the caller's text and tokens. */
struct json_doc {
	const char *text;
	const struct json_tok *tok;
	size_t n;
};

enum json_err {
	JSON_OK,
	JSON_SYNTAX,		/* not one JSON value (with white space) */
	JSON_DEEP,		/* nested deeper than JSON_DEPTH_MAX */
	JSON_FULL,		/* more tokens than cap */
	JSON_BIG,		/* longer than JSON_TEXT_MAX */
};

/*
 * json_parse - tokenise text (len bytes) into tok (cap tokens) and fill
 * doc. tok may be NULL to count the tokens needed: *count gets the
 * number either way. The top-level value may be of any type.
 */
enum json_err json_parse(const char *text, size_t len, struct json_tok *tok,
    size_t cap, size_t *count, struct json_doc *doc);

/* The value of member key of object obj, or JSON_NONE (obj not an object,
 * or no such key; the first of repeated keys). */
size_t json_get(const struct json_doc *d, size_t obj, const char *key);

/* Children of an array (or the members' keys of an object): the first,
 * and the one after c; JSON_NONE at the end. */
size_t json_first(const struct json_doc *d, size_t container);
size_t json_next(const struct json_doc *d, size_t container, size_t c);

/* The only member of an object with one member: its key into *key (the
 * token index), its value returned; JSON_NONE otherwise. */
size_t json_sole(const struct json_doc *d, size_t obj, size_t *key);

/*
 * json_str - string token i decoded into buf (cap bytes, NUL-terminated).
 * Returns its length, or -1 when i is not a string, it does not fit, or
 * it holds a NUL or an escape for a surrogate.
 */
int json_str(const struct json_doc *d, size_t i, char *buf, size_t cap);

/* True when token i is a string whose decoded value is s. */
bool json_str_eq(const struct json_doc *d, size_t i, const char *s);

/* Number token i as a whole number in [-2^53, 2^53]. Returns 0, or -1
 * (not a number, a fraction, an exponent, or out of range). */
int json_int(const struct json_doc *d, size_t i, int64_t *v);

#endif
