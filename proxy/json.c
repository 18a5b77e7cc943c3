/* A small strict JSON reader (RFC 8259) for nft -j output: tokens into a
 * caller's array, values decoded on demand (see json.h). */
#include "proxy/json.h"

#include <string.h>

/* What the parser expects next. */
enum json_want {
	JW_VALUE,		/* a value */
	JW_VALUE_OR_CLOSE,	/* after '[': a value or ']' */
	JW_KEY,			/* after ',' in an object: a key */
	JW_KEY_OR_CLOSE,	/* after '{': a key or '}' */
	JW_COLON,		/* after a key */
	JW_COMMA_OR_CLOSE,	/* after a value inside a container, or the
				 * end of the text at the top */
};

struct json_parser {
	const char *s;
	size_t len, pos;
	struct json_tok *tok;	/* NULL: count only */
	size_t cap, n;
	size_t stack[JSON_DEPTH_MAX];	/* open containers' tokens */
	size_t depth;
	uint8_t stack_type[JSON_DEPTH_MAX];
};

static bool
json_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool
json_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
json_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A new token of type at text [start, start + len); its index. */
static enum json_err
json_push(struct json_parser *p, enum json_type type, size_t start,
    size_t len, size_t *idx)
{
	if (p->tok != NULL) {
		struct json_tok *t;

		if (p->n >= p->cap)
			return JSON_FULL;
		t = &p->tok[p->n];
		t->type = (uint8_t)type;
		t->start = (uint32_t)start;
		t->len = (uint32_t)len;
		t->size = 0;
		t->end = (uint32_t)(p->n + 1);
	}
	*idx = p->n++;
	return JSON_OK;
}

/* A string at p->pos (its opening quote): the token and pos past it. */
static enum json_err
json_string(struct json_parser *p)
{
	size_t i = p->pos + 1, idx;
	int k;

	while (i < p->len && p->s[i] != '"') {
		unsigned char c = (unsigned char)p->s[i];

		if (c < 0x20)
			return JSON_SYNTAX;
		if (c != '\\') {
			i++;
			continue;
		}
		if (++i == p->len)
			return JSON_SYNTAX;
		if (strchr("\"\\/bfnrt", p->s[i]) != NULL && p->s[i] != '\0') {
			i++;
			continue;
		}
		if (p->s[i] != 'u' || p->len - i < 5)
			return JSON_SYNTAX;
		for (k = 1; k <= 4; k++)
			if (json_hex(p->s[i + (size_t)k]) < 0)
				return JSON_SYNTAX;
		i += 5;
	}
	if (i == p->len)
		return JSON_SYNTAX;
	if (json_push(p, JSON_STRING, p->pos + 1, i - p->pos - 1, &idx) !=
	    JSON_OK)
		return JSON_FULL;
	p->pos = i + 1;
	return JSON_OK;
}

/* -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static enum json_err
json_number(struct json_parser *p)
{
	size_t i = p->pos, idx;

	if (i < p->len && p->s[i] == '-')
		i++;
	if (i == p->len || !json_digit(p->s[i]))
		return JSON_SYNTAX;
	if (p->s[i] == '0')
		i++;
	else
		while (i < p->len && json_digit(p->s[i]))
			i++;
	if (i < p->len && p->s[i] == '.') {
		if (++i == p->len || !json_digit(p->s[i]))
			return JSON_SYNTAX;
		while (i < p->len && json_digit(p->s[i]))
			i++;
	}
	if (i < p->len && (p->s[i] == 'e' || p->s[i] == 'E')) {
		i++;
		if (i < p->len && (p->s[i] == '+' || p->s[i] == '-'))
			i++;
		if (i == p->len || !json_digit(p->s[i]))
			return JSON_SYNTAX;
		while (i < p->len && json_digit(p->s[i]))
			i++;
	}
	if (json_push(p, JSON_NUMBER, p->pos, i - p->pos, &idx) != JSON_OK)
		return JSON_FULL;
	p->pos = i;
	return JSON_OK;
}

static enum json_err
json_literal(struct json_parser *p, const char *word, enum json_type type)
{
	size_t n = strlen(word), idx;

	if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
		return JSON_SYNTAX;
	if (json_push(p, type, p->pos, n, &idx) != JSON_OK)
		return JSON_FULL;
	p->pos += n;
	return JSON_OK;
}

/* A value starting at p->pos; a container is opened (pushed). */
static enum json_err
json_value(struct json_parser *p, enum json_want *want)
{
	char c = p->s[p->pos];
	size_t idx;
	enum json_err e;

	if (p->depth > 0 && p->stack_type[p->depth - 1] == JSON_ARRAY &&
	    p->tok != NULL)
		p->tok[p->stack[p->depth - 1]].size++;
	*want = JW_COMMA_OR_CLOSE;
	switch (c) {
	case '{':
	case '[':
		if (p->depth == JSON_DEPTH_MAX)
			return JSON_DEEP;
		e = json_push(p, c == '{' ? JSON_OBJECT : JSON_ARRAY, p->pos,
		    1, &idx);
		if (e != JSON_OK)
			return e;
		p->stack[p->depth] = idx;
		p->stack_type[p->depth++] = c == '{' ? JSON_OBJECT :
		    JSON_ARRAY;
		p->pos++;
		*want = c == '{' ? JW_KEY_OR_CLOSE : JW_VALUE_OR_CLOSE;
		return JSON_OK;
	case '"':
		return json_string(p);
	case 't':
		return json_literal(p, "true", JSON_BOOL);
	case 'f':
		return json_literal(p, "false", JSON_BOOL);
	case 'n':
		return json_literal(p, "null", JSON_NULL);
	default:
		return json_number(p);
	}
}

/* Close the innermost container with c (']' or '}'), if it is one. */
static enum json_err
json_close(struct json_parser *p, char c)
{
	size_t idx;

	if ((c != ']' && c != '}') || p->depth == 0 ||
	    (c == ']') != (p->stack_type[p->depth - 1] == JSON_ARRAY))
		return JSON_SYNTAX;
	idx = p->stack[--p->depth];
	if (p->tok != NULL) {
		p->tok[idx].len = (uint32_t)(p->pos + 1 - p->tok[idx].start);
		p->tok[idx].end = (uint32_t)p->n;
	}
	p->pos++;
	return JSON_OK;
}

enum json_err
json_parse(const char *text, size_t len, struct json_tok *tok, size_t cap,
    size_t *count, struct json_doc *doc)
{
	struct json_parser p;
	enum json_want want = JW_VALUE;
	enum json_err e = JSON_OK;

	*count = 0;
	memset(doc, 0, sizeof(*doc));
	if (len >= JSON_TEXT_MAX)
		return JSON_BIG;
	memset(&p, 0, sizeof(p));
	p.s = text;
	p.len = len;
	p.tok = tok;
	p.cap = cap;
	for (;;) {
		char c;

		while (p.pos < p.len && json_ws(p.s[p.pos]))
			p.pos++;
		if (p.pos == p.len) {
			if (want == JW_COMMA_OR_CLOSE && p.depth == 0)
				break;
			return JSON_SYNTAX;
		}
		c = p.s[p.pos];
		switch (want) {
		case JW_COMMA_OR_CLOSE:
			if (p.depth == 0)
				return JSON_SYNTAX;	/* junk after the value */
			if (c == ',') {
				p.pos++;
				want = p.stack_type[p.depth - 1] == JSON_OBJECT ?
				    JW_KEY : JW_VALUE;
				continue;
			}
			e = json_close(&p, c);
			break;
		case JW_COLON:
			if (c != ':')
				return JSON_SYNTAX;
			p.pos++;
			want = JW_VALUE;
			continue;
		case JW_KEY_OR_CLOSE:
			if (c == '}') {
				e = json_close(&p, c);
				want = JW_COMMA_OR_CLOSE;
				break;
			}
			/* FALLTHROUGH */
		case JW_KEY:
			if (c != '"')
				return JSON_SYNTAX;
			if (p.tok != NULL)
				p.tok[p.stack[p.depth - 1]].size++;
			e = json_string(&p);
			want = JW_COLON;
			break;
		case JW_VALUE_OR_CLOSE:
			if (c == ']') {
				e = json_close(&p, c);
				want = JW_COMMA_OR_CLOSE;
				break;
			}
			/* FALLTHROUGH */
		case JW_VALUE:
			e = json_value(&p, &want);
			break;
		}
		if (e != JSON_OK)
			return e;
	}
	*count = p.n;
	doc->text = text;
	doc->tok = tok;
	doc->n = tok != NULL ? p.n : 0;
	return JSON_OK;
}

size_t
json_get(const struct json_doc *d, size_t obj, const char *key)
{
	size_t k;

	if (obj >= d->n || d->tok[obj].type != JSON_OBJECT)
		return JSON_NONE;
	for (k = json_first(d, obj); k != JSON_NONE; k = json_next(d, obj, k))
		if (json_str_eq(d, k, key))
			return k + 1;
	return JSON_NONE;
}

size_t
json_first(const struct json_doc *d, size_t container)
{
	if (container >= d->n || (d->tok[container].type != JSON_ARRAY &&
	    d->tok[container].type != JSON_OBJECT) ||
	    d->tok[container].size == 0)
		return JSON_NONE;
	return container + 1;
}

size_t
json_next(const struct json_doc *d, size_t container, size_t c)
{
	size_t next;

	if (container >= d->n || c >= d->n)
		return JSON_NONE;
	if (d->tok[container].type == JSON_OBJECT)
		next = d->tok[c + 1].end;	/* past the key's value */
	else
		next = d->tok[c].end;
	return next < d->tok[container].end ? next : JSON_NONE;
}

size_t
json_sole(const struct json_doc *d, size_t obj, size_t *key)
{
	if (obj >= d->n || d->tok[obj].type != JSON_OBJECT ||
	    d->tok[obj].size != 1)
		return JSON_NONE;
	*key = obj + 1;
	return obj + 2;
}

/* UTF-8 of code point cp (below 0x10000, not a surrogate) into buf at
 * *o; -1 when it does not fit. */
static int
json_utf8(unsigned cp, char *buf, size_t cap, size_t *o)
{
	size_t need = cp < 0x80 ? 1 : cp < 0x800 ? 2 : 3;

	if (*o + need >= cap)
		return -1;
	if (need == 1) {
		buf[(*o)++] = (char)cp;
	} else if (need == 2) {
		buf[(*o)++] = (char)(0xc0 | (cp >> 6));
		buf[(*o)++] = (char)(0x80 | (cp & 0x3f));
	} else {
		buf[(*o)++] = (char)(0xe0 | (cp >> 12));
		buf[(*o)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		buf[(*o)++] = (char)(0x80 | (cp & 0x3f));
	}
	return 0;
}

int
json_str(const struct json_doc *d, size_t i, char *buf, size_t cap)
{
	static const char esc_in[] = "\"\\/bfnrt", esc_out[] = "\"\\/\b\f\n\r\t";
	const char *s;
	size_t n, k, o = 0;

	if (i >= d->n || d->tok[i].type != JSON_STRING || cap == 0)
		return -1;
	s = d->text + d->tok[i].start;
	n = d->tok[i].len;
	for (k = 0; k < n; k++) {
		const char *e;
		unsigned cp = 0;
		int j;

		if (s[k] != '\\') {
			if (o + 1 >= cap)
				return -1;
			buf[o++] = s[k];
			continue;
		}
		k++;		/* the parser saw a whole escape */
		e = strchr(esc_in, s[k]);
		if (s[k] != 'u' && e != NULL) {
			if (o + 1 >= cap)
				return -1;
			buf[o++] = esc_out[e - esc_in];
			continue;
		}
		for (j = 1; j <= 4; j++)
			cp = cp << 4 | (unsigned)json_hex(s[k + (size_t)j]);
		k += 4;
		if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff) ||
		    json_utf8(cp, buf, cap, &o) < 0)
			return -1;
	}
	if (o >= cap || o > (size_t)INT32_MAX)
		return -1;
	buf[o] = '\0';
	return (int)o;
}

bool
json_str_eq(const struct json_doc *d, size_t i, const char *s)
{
	char buf[256];
	size_t n = strlen(s);

	if (i >= d->n || d->tok[i].type != JSON_STRING)
		return false;
	/* Without escapes the text is the value: most strings, any length. */
	if (memchr(d->text + d->tok[i].start, '\\', d->tok[i].len) == NULL)
		return d->tok[i].len == n &&
		    memcmp(d->text + d->tok[i].start, s, n) == 0;
	return json_str(d, i, buf, sizeof(buf)) >= 0 && strcmp(buf, s) == 0;
}

int
json_int(const struct json_doc *d, size_t i, int64_t *v)
{
	const int64_t max = (int64_t)1 << 53;
	const char *s;
	size_t n, k = 0;
	int64_t x = 0;
	bool neg;

	if (i >= d->n || d->tok[i].type != JSON_NUMBER)
		return -1;
	s = d->text + d->tok[i].start;
	n = d->tok[i].len;
	neg = s[0] == '-';
	if (neg)
		k++;
	for (; k < n; k++) {
		if (!json_digit(s[k]))
			return -1;	/* a fraction or an exponent */
		x = x * 10 + (s[k] - '0');
		if (x > max)
			return -1;
	}
	*v = neg ? -x : x;
	return 0;
}
