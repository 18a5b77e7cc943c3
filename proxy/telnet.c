/* Telnet on the FTP control channel: removes it from what each peer sends,
 * answers the client's option requests, escapes 0xFF toward the server.
 *
 * RFC 959 makes the control connection a Telnet (NVT) stream in both
 * directions: a data byte 0xFF travels as IAC IAC, and "the server undoes
 * Telnet". ftpsgw is the Telnet peer of both sides, and treats them
 * differently on purpose:
 *
 * Client -> ftpsgw (TELNET_COMMANDS). ftpsgw is the client's server, so it
 * decodes the way a server must: IAC IAC is the data byte 0xFF; IAC IP and
 * IAC DM (the Synch a client sends before ABOR, RFC 959 4.1.3) and the
 * other two-byte commands (NOP, AYT, EC, EL, ...) are removed, EC and EL
 * without editing the line (no FTP client types into the control
 * connection); WILL/WONT/DO/DONT with their option and IAC SB ... IAC SE
 * are removed, and the caller refuses the requests (telnet_refusal): RFC
 * 1123 4.1.2.12 says a server must refuse, and ProFTPD does. An IAC before
 * a byte that is no Telnet command (below 240) is not defined by RFC 854;
 * both bytes are kept as data, as ProFTPD keeps them, so a client that
 * sends ISO 8859-1 names without escaping ("\xff" + letter) still means
 * the same name through ftpsgw as without it.
 *
 * ftpsgw -> server. Commands are sent with each 0xFF doubled
 * (telnet_encode): the server decodes IAC IAC back to 0xFF, so non-UTF-8
 * path bytes (RFC 2640 allows any octet) reach it unchanged in meaning.
 * ftpsgw never negotiates toward the server (RFC 1123 forbids a client to).
 *
 * Server -> ftpsgw -> client (TELNET_REPLIES). A server that is asked for
 * an option answers before its next reply line: ProFTPD writes IAC DONT x
 * or IAC WONT x right when it reads the request, in front of the reply
 * code, which made ftpsgw see "not a reply". So Telnet commands are removed
 * at line starts, where no reply text can be (a reply starts with its
 * code, an inner line of a multi-line reply with text; a data byte 0xFF
 * there comes as IAC IAC and stays). Inside a line the bytes are relayed as
 * the server sent them: an escaping server's IAC IAC already is what RFC
 * 854 wants the client to get, and ProFTPD, which writes path bytes in
 * replies unescaped (`257 "/\xff\xfe"`), keeps meaning to its clients what
 * it means without ftpsgw. Decoding inside lines would instead turn such a
 * path into a negotiation and cut it. The server's negotiation is not
 * answered: ProFTPD only ever sends refusals, and RFC 854 forbids
 * acknowledging those.
 *
 * Both directions: a line feed always ends a line, even inside a sequence,
 * so no Telnet sequence can swallow the end of a command or a reply and
 * leave a peer waiting (see telnet.h).
 */
#include "proxy/telnet.h"

#include <string.h>

enum telnet_state {
	TS_DATA,	/* commands: data; an IAC starts a sequence */
	TS_LINE_START,	/* replies: no data byte yet on this line */
	TS_BODY,	/* replies: inside a line, copied up to its LF */
	TS_OPT,		/* after IAC WILL..DONT: the option byte */
	TS_SB,		/* inside IAC SB ..., up to IAC SE */
	TS_SB_IAC,	/* an IAC inside a subnegotiation */
};

/* Where a finished sequence leaves the decoder: on the client side any
 * byte may start one; on the server side they are removed only at line
 * starts, so one that ended is still at a line start. */
static unsigned char
telnet_ground(const struct telnet_dec *d)
{
	return d->side == TELNET_COMMANDS ? TS_DATA : TS_LINE_START;
}

void
telnet_init(struct telnet_dec *d, enum telnet_side side)
{
	memset(d, 0, sizeof(*d));
	d->side = (unsigned char)side;
	d->state = telnet_ground(d);
}

/*
 * Invariant for decoding in place: before each byte is read, o <= i. Every
 * step writes at most as many bytes as it has read; the only two-byte
 * outputs (IAC IAC on the server side, IAC plus a non-command byte) come
 * after reading two bytes. That is why a trailing IAC is left unconsumed
 * rather than remembered in the state: its second byte would otherwise
 * arrive in the next call with no room before it for the IAC's 0xFF.
 */
enum telnet_result
telnet_decode(struct telnet_dec *d, const char *in, size_t len, char *out,
    size_t *used, size_t *produced)
{
	const unsigned char *p = (const unsigned char *)in;
	unsigned char *q = (unsigned char *)out;
	enum telnet_result r = TELNET_DONE;
	size_t i = 0, o = 0;
	unsigned char c;

	while (i < len) {
		c = p[i];
		switch (d->state) {
		case TS_BODY:
			q[o++] = c;
			i++;
			if (c == '\n')
				d->state = TS_LINE_START;
			continue;
		case TS_OPT:
			i++;
			d->state = telnet_ground(d);
			if (c == '\n') {
				/* Not an option: the line ends here. */
				q[o++] = c;
				continue;
			}
			d->opt = c;
			r = TELNET_NEGOTIATION;
			goto done;
		case TS_SB:
		case TS_SB_IAC:
			i++;
			if (c == '\n') {
				q[o++] = c;
				d->state = telnet_ground(d);
			} else if (d->state == TS_SB_IAC) {
				/* IAC SE ends it; IAC IAC is 0xFF inside. */
				d->state = c == TELNET_SE ? telnet_ground(d) :
				    TS_SB;
			} else if (c == TELNET_IAC) {
				d->state = TS_SB_IAC;
			}
			continue;
		default:	/* TS_DATA, TS_LINE_START */
			break;
		}

		if (c != TELNET_IAC) {
			q[o++] = c;
			i++;
			if (d->state == TS_LINE_START && c != '\n')
				d->state = TS_BODY;
			continue;
		}
		if (i + 1 == len)
			break;	/* the next byte decides: see above */
		c = p[i + 1];
		i += 2;
		if (c >= TELNET_WILL && c <= TELNET_DONT) {
			d->verb = c;
			d->state = TS_OPT;
		} else if (c == TELNET_SB) {
			d->state = TS_SB;
		} else if (c >= TELNET_SE && c < TELNET_SB) {
			/* A two-byte command (SE NOP DM BRK IP AO AYT EC EL
			 * GA): removed, the state is unchanged. */
		} else if (c == TELNET_IAC && d->side == TELNET_COMMANDS) {
			q[o++] = TELNET_IAC;
		} else {
			/* Data: IAC IAC as the server escaped it, or an IAC
			 * before a byte that is no Telnet command. */
			q[o++] = TELNET_IAC;
			q[o++] = c;
			if (d->state == TS_LINE_START && c != '\n')
				d->state = TS_BODY;
		}
	}
done:
	*used = i;
	*produced = o;
	return r;
}

size_t
telnet_refusal(struct telnet_dec *d, char out[TELNET_REFUSAL_LEN])
{
	unsigned char *q = (unsigned char *)out;
	unsigned char bit = (unsigned char)(1u << (d->opt % 8u));
	unsigned char *seen;

	if (d->verb == TELNET_WILL)
		seen = &d->refused[0][d->opt / 8u];
	else if (d->verb == TELNET_DO)
		seen = &d->refused[1][d->opt / 8u];
	else
		return 0;
	if (*seen & bit)
		return 0;
	*seen |= bit;
	q[0] = TELNET_IAC;
	q[1] = d->verb == TELNET_WILL ? TELNET_DONT : TELNET_WONT;
	q[2] = d->opt;
	return TELNET_REFUSAL_LEN;
}

size_t
telnet_encoded_len(const char *p, size_t len)
{
	const char *end = p + len, *ff;
	size_t n = len;

	while (p < end && (ff = memchr(p, TELNET_IAC, (size_t)(end - p))) !=
	    NULL) {
		n++;
		p = ff + 1;
	}
	return n;
}

bool
telnet_encode(const char *in, size_t len, char *out, size_t cap,
    size_t *out_len)
{
	const unsigned char *p = (const unsigned char *)in;
	unsigned char *q = (unsigned char *)out;
	size_t i, o = 0;

	*out_len = 0;
	if (telnet_encoded_len(in, len) > cap)
		return false;
	for (i = 0; i < len; i++) {
		q[o++] = p[i];
		if (p[i] == TELNET_IAC)
			q[o++] = TELNET_IAC;
	}
	*out_len = o;
	return true;
}
