/*
 * libFuzzer target for the Telnet layer (proxy/telnet.c). The first byte
 * picks the side (bit 0: the server's replies, else the client's commands)
 * and seeds how the rest is cut into reads; the rest is the byte stream.
 *
 * It is decoded twice: whole, from an exact-size heap copy into another
 * buffer (ASan sees any read or write out of bounds), and in reads of 1 to
 * 64 bytes, in place in one buffer, as the session does. Both must give the
 * same data, negotiations and refusals. Then the promises: the output is
 * never longer than the input, every line feed comes through, a stream
 * without Telnet comes through unchanged; on the client side what is
 * escaped for the server decodes back to the same data and holds no lone
 * IAC; on the server side no line starts with a Telnet command; refusals
 * answer only WILL or DO, once per option. `make fuzz` runs it
 * (tests/fuzz/run.sh); each crash becomes a row in tests/unit/test_telnet.c.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/telnet.h"
#include "tests/fuzz/fuzz_ftp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Longest stream tried (-max_len in the Makefile is below it). */
#define MAX_IN		8192
/* Negotiations one input can hold: three bytes each. */
#define MAX_NEG		(MAX_IN / 3 + 1)

struct run {
	unsigned char out[MAX_IN];
	size_t out_len;
	uint8_t neg[MAX_NEG][2];	/* verb, option */
	size_t nneg;
	unsigned char ref[MAX_NEG * TELNET_REFUSAL_LEN];
	size_t ref_len;
	size_t left;		/* trailing IAC kept for more input */
};

/* The caller's loop: decode in[0..len) to out, answering negotiations. */
static void
decode_some(struct telnet_dec *d, const char *in, size_t len, char *out,
    struct run *r, size_t *used, size_t *produced)
{
	enum telnet_result res;
	size_t u, p;

	*used = *produced = 0;
	do {
		res = telnet_decode(d, in + *used, len - *used,
		    out + *produced, &u, &p);
		FUZZ_CHECK(u <= len - *used && p <= u);
		*used += u;
		*produced += p;
		if (res == TELNET_NEGOTIATION) {
			FUZZ_CHECK(u > 0 && r->nneg < MAX_NEG);
			FUZZ_CHECK(d->verb >= TELNET_WILL && d->verb <= TELNET_DONT);
			FUZZ_CHECK(d->opt != '\n');
			r->neg[r->nneg][0] = d->verb;
			r->neg[r->nneg][1] = d->opt;
			r->nneg++;
			if (d->side == TELNET_COMMANDS)
				r->ref_len += telnet_refusal(d,
				    (char *)r->ref + r->ref_len);
		} else {
			FUZZ_CHECK(res == TELNET_DONE);
		}
	} while (res == TELNET_NEGOTIATION);
	FUZZ_CHECK(*used == len || (*used == len - 1 &&
	    (unsigned char)in[*used] == TELNET_IAC));
}

/* Whole, from an exact-size copy into a separate buffer. */
static void
decode_whole(enum telnet_side side, const uint8_t *p, size_t len,
    struct run *r)
{
	struct telnet_dec d;
	size_t used, produced;
	char *in = malloc(len > 0 ? len : 1);
	char *out = malloc(len > 0 ? len : 1);

	FUZZ_CHECK(in != NULL && out != NULL);
	memcpy(in, p, len);
	telnet_init(&d, side);
	decode_some(&d, in, len, out, r, &used, &produced);
	memcpy(r->out, out, produced);
	r->out_len = produced;
	r->left = len - used;
	free(in);
	free(out);
}

/* In place, in reads of 1..64 bytes drawn from seed, the unconsumed IAC
 * moved in front of the next read, as session.c does in its buffers. */
static void
decode_reads(enum telnet_side side, const uint8_t *p, size_t len,
    uint32_t seed, struct run *r)
{
	static char buf[MAX_IN];
	struct telnet_dec d;
	size_t off = 0, dec = 0, have = 0, n, used, produced;

	telnet_init(&d, side);
	while (off < len) {
		seed = seed * 1103515245u + 12345u;
		n = (seed >> 16) % 64 + 1;
		if (n > len - off)
			n = len - off;
		memcpy(buf + have, p + off, n);
		have += n;
		off += n;
		decode_some(&d, buf + dec, have - dec, buf + dec, r, &used,
		    &produced);
		memmove(buf + dec + produced, buf + dec + used,
		    have - dec - used);
		have = dec + produced + (have - dec - used);
		dec += produced;
	}
	memcpy(r->out, buf, dec);
	r->out_len = dec;
	r->left = have - dec;
}

static size_t
count_lf(const unsigned char *p, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		n += p[i] == '\n';
	return n;
}

/* Does a line of p (at 0 or after a LF) start with IAC? */
static bool
iac_at_line_start(const unsigned char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] == TELNET_IAC && (i == 0 || p[i - 1] == '\n'))
			return true;
	return false;
}

static void
check_commands(const struct run *r, const uint8_t *in, size_t len)
{
	static char wire[2 * MAX_IN], back[2 * MAX_IN];
	struct telnet_dec d;
	struct run again;
	size_t w, i, used, produced;

	if (memchr(in, TELNET_IAC, len) == NULL)
		FUZZ_CHECK(r->out_len == len && memcmp(r->out, in, len) == 0);
	/* Escaped for the server: no lone IAC, and it decodes back. */
	FUZZ_CHECK(telnet_encoded_len((const char *)r->out, r->out_len) <=
	    sizeof(wire));
	FUZZ_CHECK(telnet_encode((const char *)r->out, r->out_len, wire,
	    sizeof(wire), &w));
	FUZZ_CHECK(w == telnet_encoded_len((const char *)r->out, r->out_len));
	for (i = 0; i < w; i++) {
		if ((unsigned char)wire[i] == TELNET_IAC) {
			FUZZ_CHECK(i + 1 < w && (unsigned char)wire[i + 1] ==
			    TELNET_IAC);
			i++;
		}
	}
	if (w > 0)
		FUZZ_CHECK(!telnet_encode((const char *)r->out, r->out_len, wire,
		    w - 1, &used) && used == 0);
	memset(&again, 0, sizeof(again));
	telnet_init(&d, TELNET_COMMANDS);
	decode_some(&d, wire, w, back, &again, &used, &produced);
	FUZZ_CHECK(used == w && again.nneg == 0);
	FUZZ_CHECK(produced == r->out_len && memcmp(back, r->out, produced) == 0);

	/* Refusals: IAC DONT/WONT opt, answering WILL/DO, each once. */
	for (i = 0; i < r->ref_len; i += TELNET_REFUSAL_LEN) {
		size_t j;

		FUZZ_CHECK(r->ref[i] == TELNET_IAC && (r->ref[i + 1] ==
		    TELNET_DONT || r->ref[i + 1] == TELNET_WONT));
		for (j = 0; j < i; j += TELNET_REFUSAL_LEN)
			FUZZ_CHECK(memcmp(r->ref + j, r->ref + i,
			    TELNET_REFUSAL_LEN) != 0);
	}
	FUZZ_CHECK(r->ref_len <= 2 * 256 * TELNET_REFUSAL_LEN);
}

static void
check_replies(const struct run *r, const uint8_t *in, size_t len)
{
	size_t i;

	/* Without Telnet at a line start, the reply is relayed as sent. */
	if (!iac_at_line_start(in, len))
		FUZZ_CHECK(r->out_len == len && memcmp(r->out, in, len) == 0);
	/* No line of the output starts with a Telnet command. */
	for (i = 0; i < r->out_len; i++)
		if (r->out[i] == TELNET_IAC && (i == 0 || r->out[i - 1] ==
		    '\n'))
			FUZZ_CHECK(i + 1 < r->out_len && (r->out[i + 1] ==
			    TELNET_IAC || r->out[i + 1] < TELNET_SE));
	FUZZ_CHECK(r->ref_len == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct run whole, reads;
	enum telnet_side side;
	uint32_t seed;

	if (size < 1 || size - 1 > MAX_IN)
		return 0;
	side = (data[0] & 1) ? TELNET_REPLIES : TELNET_COMMANDS;
	seed = data[0];
	data++;
	size--;

	memset(&whole, 0, sizeof(whole));
	memset(&reads, 0, sizeof(reads));
	decode_whole(side, data, size, &whole);
	decode_reads(side, data, size, seed, &reads);

	/* Any cut into reads decodes the same as the whole. */
	FUZZ_CHECK(whole.out_len == reads.out_len &&
	    memcmp(whole.out, reads.out, whole.out_len) == 0);
	FUZZ_CHECK(whole.nneg == reads.nneg &&
	    memcmp(whole.neg, reads.neg, whole.nneg * 2) == 0);
	FUZZ_CHECK(whole.ref_len == reads.ref_len &&
	    memcmp(whole.ref, reads.ref, whole.ref_len) == 0);
	FUZZ_CHECK(whole.left == reads.left && whole.left <= 1);

	/* Never longer; no line end lost (a kept IAC is not one). */
	FUZZ_CHECK(whole.out_len + whole.left <= size);
	FUZZ_CHECK(count_lf(whole.out, whole.out_len) == count_lf(data, size));

	if (side == TELNET_COMMANDS)
		check_commands(&whole, data, size);
	else
		check_replies(&whole, data, size);
	return 0;
}
