/* Telnet on the FTP control channel (RFC 854; RFC 959 sections 4.1.3 and
 * 5.3; RFC 1123 4.1.2.12): decoding what each peer sends and escaping what
 * ftpsgw sends on. Pure: no I/O, no malloc, state kept by the caller. */
#ifndef FTPSGW_PROXY_TELNET_H
#define FTPSGW_PROXY_TELNET_H

#include <stdbool.h>
#include <stddef.h>

/* Telnet command bytes (RFC 854). */
#define TELNET_IAC	0xffu	/* interpret as command */
#define TELNET_DONT	0xfeu
#define TELNET_DO	0xfdu
#define TELNET_WONT	0xfcu
#define TELNET_WILL	0xfbu
#define TELNET_SB	0xfau	/* subnegotiation begins ... */
#define TELNET_IP	0xf4u	/* interrupt process (before ABOR) */
#define TELNET_DM	0xf2u	/* data mark (the Synch, before ABOR) */
#define TELNET_SE	0xf0u	/* ... subnegotiation ends */

/* Length of an option refusal: IAC DONT opt, or IAC WONT opt. */
#define TELNET_REFUSAL_LEN 3

/*
 * Which peer a decoder reads. The two directions differ on purpose (see
 * telnet.c for the reasons):
 *   TELNET_COMMANDS  the client: every byte is Telnet. IAC IAC is one data
 *                    byte 0xFF; commands, option negotiation and
 *                    subnegotiation are removed.
 *   TELNET_REPLIES   the FTP server: Telnet commands before the first byte
 *                    of a reply line (where servers put their option
 *                    refusals) are removed; the rest of the line is kept
 *                    as sent, an IAC IAC included.
 */
enum telnet_side {
	TELNET_COMMANDS,
	TELNET_REPLIES,
};

/* Decoder state, one per direction. Set up with telnet_init. */
struct telnet_dec {
	unsigned char side;	/* enum telnet_side */
	unsigned char state;	/* where in the Telnet grammar (telnet.c) */
	unsigned char verb;	/* WILL..DONT: pending, or last reported */
	unsigned char opt;	/* option of the last reported negotiation */
	/* Options already refused: [0] WILL answered DONT, [1] DO answered
	 * WONT. One bit per option. */
	unsigned char refused[2][32];
};

enum telnet_result {
	TELNET_DONE,		/* the input is used up (but see *used) */
	TELNET_NEGOTIATION,	/* a WILL, WONT, DO or DONT with its option
				 * was just consumed (d->verb, d->opt); call
				 * again for the rest of the input */
};

/* telnet_init - a decoder for side at the start of a stream (a line start,
 * no option refused yet). Also resets one, e.g. when TLS starts. */
void telnet_init(struct telnet_dec *d, enum telnet_side side);

/*
 * telnet_decode - remove Telnet from in[0..len) and write the data bytes
 * to out.
 * @d:         state kept between calls (sequences split across reads)
 * @in, @len:  bytes as received
 * @out:       where data bytes go; may be in itself (decoding in place):
 *             the output never runs ahead of the input consumed, so out
 *             may be anywhere at or before in
 * @used:      always set: bytes of in consumed
 * @produced:  always set: bytes written to out
 *
 * Returns TELNET_NEGOTIATION after each negotiation, so that the caller
 * can answer it (telnet_refusal) before calling again with the rest, and
 * TELNET_DONE otherwise. On TELNET_DONE *used is len, or len - 1 when the
 * input ends in an IAC whose meaning depends on the byte after it: the
 * caller keeps that byte and passes it again in front of the next ones.
 * A line feed is never part of a Telnet sequence: it ends any sequence in
 * progress and is always written out, so Telnet bytes cannot hide the end
 * of a command or reply (RFC 854 gives no option byte 10 a meaning FTP
 * uses). The output is never longer than what was consumed.
 */
enum telnet_result telnet_decode(struct telnet_dec *d, const char *in,
    size_t len, char *out, size_t *used, size_t *produced);

/*
 * telnet_refusal - the answer to the negotiation telnet_decode just
 * reported: WILL x gets DONT x and DO x gets WONT x (RFC 1123 4.1.2.12: an
 * FTP server refuses options); WONT and DONT ask for what is already the
 * case and get none (RFC 854: acknowledging them could loop), and each
 * option is refused once per direction, so a peer repeating requests
 * cannot make us write without bound.
 * @out: TELNET_REFUSAL_LEN bytes
 * Returns the number of bytes written to out: TELNET_REFUSAL_LEN or 0.
 */
size_t telnet_refusal(struct telnet_dec *d, char out[TELNET_REFUSAL_LEN]);

/* telnet_encoded_len - length of p[0..len) once escaped by telnet_encode
 * (each 0xFF doubled). */
size_t telnet_encoded_len(const char *p, size_t len);

/*
 * telnet_encode - escape data bytes for a Telnet peer: each 0xFF becomes
 * IAC IAC (RFC 854), so the server reads back exactly in[0..len) (RFC 959:
 * the server undoes Telnet). Everything else is copied as it is; the
 * caller adds the CRLF.
 * @out, @cap: destination and its capacity (must not overlap in)
 * @out_len:   set to the bytes written
 * Returns false, writing nothing usable, when telnet_encoded_len(in, len)
 * exceeds cap.
 */
bool telnet_encode(const char *in, size_t len, char *out, size_t cap,
    size_t *out_len) __attribute__((warn_unused_result));

#endif
