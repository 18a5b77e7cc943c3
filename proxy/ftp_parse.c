/* FTP command and reply parsing, address arguments and the trust predicates
 * the session applies to them. Pure: libc only, no I/O, malloc or state. */
#include "proxy/ftp_parse.h"

#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#define R	FTP_ACT_RELAY
#define L	FTP_ACT_LOCAL
#define PT	FTP_F_PRETLS
#define SC	FTP_F_SECRET
#define AR	FTP_F_ARG
#define V(n, a, fl)	[FTP_VERB_##n] = { #n, FTP_VERB_##n, (a), (fl) }

/*
 * What the gateway does with each verb, indexed by enum ftp_verb.
 * PRETLS: only what a client needs to reach AUTH TLS or to leave (RFC 4217
 * section 6; HOST comes before AUTH, RFC 7151; LANG only picks the greeting
 * language, RFC 2640). USER, PASS and ACCT are deliberately absent: they
 * carry credentials. ARG: the RFC grammar has no form without an argument,
 * so the session can answer 501 without a round trip to the backend.
 */
static const struct ftp_verb_info ftp_verbs[FTP_VERB_COUNT] = {
	[FTP_VERB_UNKNOWN] = { "?", FTP_VERB_UNKNOWN, R, 0 },
	V(ABOR, R, 0),
	V(ACCT, R, SC | AR),
	V(ADAT, L, AR),
	V(ALLO, R, AR),
	V(APPE, FTP_ACT_TRANSFER, AR),
	V(AUTH, L, PT | AR),
	V(CCC, L, 0),
	V(CDUP, R, 0),
	V(CLNT, R, AR),
	V(CPSV, FTP_ACT_REFUSE, 0),	/* SSL/TLS client-server passive: FXP */
	V(CWD, R, AR),
	V(DELE, R, AR),
	V(ENC, L, AR),
	V(EPRT, FTP_ACT_ACTIVE, AR),
	V(EPSV, FTP_ACT_PASSIVE, 0),
	V(ESTA, FTP_ACT_REFUSE, 0),	/* pure-ftpd's FXP helpers */
	V(ESTP, FTP_ACT_REFUSE, 0),
	V(FEAT, FTP_ACT_FEAT, PT),
	V(HELP, R, PT),
	V(HOST, R, PT | AR),
	V(LANG, R, PT),
	V(LIST, FTP_ACT_TRANSFER, 0),
	V(LPRT, FTP_ACT_REFUSE, 0),
	V(LPSV, FTP_ACT_REFUSE, 0),
	V(MDTM, R, AR),
	V(MFMT, R, AR),
	V(MIC, L, AR),
	V(MKD, R, AR),
	V(MLSD, FTP_ACT_TRANSFER, 0),
	V(MLST, R, 0),
	V(MODE, R, AR),
	V(NLST, FTP_ACT_TRANSFER, 0),
	V(NOOP, R, PT),
	V(OPTS, R, AR),
	V(PASS, R, SC | AR),
	V(PASV, FTP_ACT_PASSIVE, 0),
	V(PBSZ, L, AR),
	V(PORT, FTP_ACT_ACTIVE, AR),
	V(PROT, L, AR),
	V(PWD, R, 0),
	V(QUIT, FTP_ACT_QUIT, PT),
	V(REIN, R, 0),
	V(REST, R, AR),
	V(RETR, FTP_ACT_TRANSFER, AR),
	V(RMD, R, AR),
	V(RNFR, R, AR),
	V(RNTO, R, AR),
	V(SITE, R, AR),
	V(SIZE, R, AR),
	V(SMNT, R, AR),
	V(SSCN, FTP_ACT_REFUSE, 0),	/* TLS role switch for FXP */
	V(STAT, R, 0),
	V(STOR, FTP_ACT_TRANSFER, AR),
	V(STOU, FTP_ACT_TRANSFER, 0),
	V(STRU, R, AR),
	V(SYST, R, PT),
	V(TYPE, R, AR),
	V(USER, R, AR),
	V(XCUP, R, 0),
	V(XCWD, R, AR),
	V(XMKD, R, AR),
	V(XPWD, R, 0),
	V(XRMD, R, AR),
};

#undef V
#undef R
#undef L
#undef PT
#undef SC
#undef AR

/* An out-of-range verb is a caller bug; answering with the UNKNOWN entry
 * (relay, no flags) keeps the "never NULL" promise without reading past the
 * table. */
const struct ftp_verb_info *
ftp_verb_info(enum ftp_verb verb)
{
	if ((unsigned)verb >= FTP_VERB_COUNT)
		verb = FTP_VERB_UNKNOWN;
	return &ftp_verbs[verb];
}

/* ctype.h depends on the locale; the protocol is ASCII. */
static bool
ftp_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
ftp_is_alpha(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static char
ftp_to_upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

enum ftp_cmd_result
ftp_parse_command(const char *line, size_t len, struct ftp_cmd *cmd)
{
	size_t i, n;

	memset(cmd, 0, sizeof(*cmd));
	cmd->verb = FTP_VERB_UNKNOWN;
	if (len == 0)
		return FTP_CMD_EMPTY;

	for (n = 0; n < len && line[n] != ' '; n++)
		if (n >= FTP_VERB_MAX || !ftp_is_alpha(line[n]))
			return FTP_CMD_BAD_VERB;
	if (n < 3)
		return FTP_CMD_BAD_VERB;
	for (i = 0; i < n; i++)
		cmd->name[i] = ftp_to_upper(line[i]);
	cmd->name[n] = '\0';

	/* Exactly one SP is eaten; further spaces belong to the argument. */
	if (n + 1 < len) {
		cmd->arg = line + n + 1;
		cmd->arg_len = len - n - 1;
	}

	for (i = 1; i < FTP_VERB_COUNT; i++) {
		if (strcmp(ftp_verbs[i].name, cmd->name) == 0) {
			cmd->verb = ftp_verbs[i].verb;
			break;
		}
	}
	if (cmd->arg != NULL && memchr(cmd->arg, '\r', cmd->arg_len) != NULL)
		return FTP_CMD_BAD_ARG;
	return FTP_CMD_OK;
}

unsigned
ftp_reply_code(const char *line, size_t len)
{
	if (len < 3 || line[0] < '1' || line[0] > '5' ||
	    !ftp_is_digit(line[1]) || !ftp_is_digit(line[2]))
		return 0;
	return (unsigned)(line[0] - '0') * 100 +
	    (unsigned)(line[1] - '0') * 10 + (unsigned)(line[2] - '0');
}

/*
 * Inside a multi-line reply only "<code> " or the bare "<code>" ends it
 * (RFC 959 section 4.2); anything else, a different code or "<code>-"
 * included, is text the backend may put there.
 */
enum ftp_reply_line
ftp_reply_feed(struct ftp_reply_parser *rp, const char *line, size_t len,
    unsigned *code)
{
	unsigned c;

	c = ftp_reply_code(line, len);
	if (rp->multi) {
		if (c != rp->code || (len > 3 && line[3] != ' '))
			return FTP_REPLY_PART;
		rp->multi = false;
		rp->code = 0;
		if (code != NULL)
			*code = c;
		return FTP_REPLY_LAST;
	}

	if (c == 0 || (len > 3 && line[3] != ' ' && line[3] != '-')) {
		rp->multi = false;
		rp->code = 0;
		return FTP_REPLY_BAD;
	}
	if (code != NULL)
		*code = c;
	if (len > 3 && line[3] == '-') {
		rp->multi = true;
		rp->code = c;
		return FTP_REPLY_FIRST_PART;
	}
	return FTP_REPLY_LAST;
}

/*
 * Reads an unsigned decimal number of at least one digit at p[*i..len) and
 * advances *i past it. Digits go on being consumed after the value passes
 * limit, so "99999999999999999999" is a range error and not trailing junk;
 * the value stops growing once past limit (it stays below 10 * limit + 10),
 * so it cannot overflow for any limit used here.
 */
static enum ftp_addr_result
ftp_parse_uint(const char *p, size_t len, size_t *i, unsigned limit,
    unsigned *out)
{
	unsigned v = 0;
	size_t start = *i;

	while (*i < len && ftp_is_digit(p[*i])) {
		if (v <= limit)
			v = v * 10 + (unsigned)(p[*i] - '0');
		(*i)++;
	}
	if (*i == start)
		return FTP_ADDR_SYNTAX;
	if (v > limit)
		return FTP_ADDR_RANGE;
	*out = v;
	return FTP_ADDR_OK;
}

/* "h1,h2,h3,h4,p1,p2" at p[*i..len), shared by PORT and 227. *i ends after
 * p2 also on a range error, so the caller can check what follows: in every
 * parser here a syntax error wins over a range error, the form comes first.
 * out is written only on success. */
static enum ftp_addr_result
ftp_parse_hostport(const char *p, size_t len, size_t *i, struct net_addr *out)
{
	enum ftp_addr_result r, worst = FTP_ADDR_OK;
	unsigned v[6] = { 0 };
	unsigned port;
	int k;

	for (k = 0; k < 6; k++) {
		if (k > 0) {
			if (*i >= len || p[*i] != ',')
				return FTP_ADDR_SYNTAX;
			(*i)++;
		}
		r = ftp_parse_uint(p, len, i, 255, &v[k]);
		if (r == FTP_ADDR_SYNTAX)
			return r;
		if (r != FTP_ADDR_OK)
			worst = r;
	}
	if (worst != FTP_ADDR_OK)
		return worst;
	port = v[4] * 256 + v[5];
	if (port == 0)
		return FTP_ADDR_RANGE;

	memset(out, 0, sizeof(*out));
	out->family = AF_INET;
	for (k = 0; k < 4; k++)
		out->addr[k] = (uint8_t)v[k];
	out->port = (uint16_t)port;
	return FTP_ADDR_OK;
}

/* True when text is a "<code> ..." or "<code>-..." line of the given code. */
static bool
ftp_reply_is(const char *text, size_t len, unsigned code)
{
	return len > 3 && ftp_reply_code(text, len) == code &&
	    (text[3] == ' ' || text[3] == '-');
}

/*
 * RFC 1123 section 4.1.2.6: servers word 227 differently, so scan for the
 * first digit after the code. A sign before it is refused rather than
 * skipped. When the group opens with '(' it must close with ')'; text after
 * the group is the server's prose and is ignored, but the group itself must
 * not go on (",7" or ".7").
 */
enum ftp_addr_result
ftp_parse_227(const char *text, size_t len, struct net_addr *out)
{
	enum ftp_addr_result r;
	size_t i = 4;
	bool paren;

	if (!ftp_reply_is(text, len, 227))
		return FTP_ADDR_SYNTAX;
	while (i < len && !ftp_is_digit(text[i]))
		i++;
	if (i == len || text[i - 1] == '-' || text[i - 1] == '+')
		return FTP_ADDR_SYNTAX;
	paren = text[i - 1] == '(';

	r = ftp_parse_hostport(text, len, &i, out);
	if (r == FTP_ADDR_SYNTAX)
		return r;
	if ((i < len && (text[i] == ',' ||
	    (text[i] == '.' && i + 1 < len && ftp_is_digit(text[i + 1])))) ||
	    (paren && (i == len || text[i] != ')'))) {
		memset(out, 0, sizeof(*out));
		return FTP_ADDR_SYNTAX;
	}
	return r;
}

/* RFC 2428 allows any of 33..126 as delimiter; a digit could not be told
 * apart from the port, so it is refused. */
static bool
ftp_is_delim(char d)
{
	return d >= 33 && d <= 126 && !ftp_is_digit(d);
}

/* "<d><d><d>port<d>": the 229 form has empty protocol and address fields. */
enum ftp_addr_result
ftp_parse_229(const char *text, size_t len, uint16_t *port)
{
	const char *open;
	enum ftp_addr_result r;
	unsigned v = 0;
	size_t i;
	char d;

	if (!ftp_reply_is(text, len, 229))
		return FTP_ADDR_SYNTAX;
	open = memchr(text + 4, '(', len - 4);
	if (open == NULL)
		return FTP_ADDR_SYNTAX;
	i = (size_t)(open - text) + 1;
	if (len - i < 6)
		return FTP_ADDR_SYNTAX;
	d = text[i];
	if (!ftp_is_delim(d) || text[i + 1] != d || text[i + 2] != d)
		return FTP_ADDR_SYNTAX;
	i += 3;
	r = ftp_parse_uint(text, len, &i, 65535, &v);
	if (r == FTP_ADDR_SYNTAX || len - i < 2 || text[i] != d ||
	    text[i + 1] != ')')
		return FTP_ADDR_SYNTAX;
	if (r != FTP_ADDR_OK || v == 0)
		return FTP_ADDR_RANGE;
	*port = (uint16_t)v;
	return FTP_ADDR_OK;
}

enum ftp_addr_result
ftp_parse_port(const char *arg, size_t len, struct net_addr *out)
{
	enum ftp_addr_result r;
	size_t i = 0;

	if (arg == NULL)
		return FTP_ADDR_SYNTAX;
	r = ftp_parse_hostport(arg, len, &i, out);
	if (r != FTP_ADDR_SYNTAX && i != len) {
		memset(out, 0, sizeof(*out));
		r = FTP_ADDR_SYNTAX;
	}
	return r;
}

/*
 * RFC 2428 section 2. The whole form is checked first (four delimiters,
 * digits, nothing after), then the protocol, the address and the port, so
 * the result names the first thing a client would have to fix. The address
 * goes through inet_pton, which wants a C string, so it is copied; a NUL in
 * it is refused, as inet_pton would stop there and accept "1.2.3.4<NUL>x".
 * A protocol other than 1 or 2, or an address valid only in the other
 * family, is a FAMILY error, so the client can be told 522 rather than 501.
 */
enum ftp_addr_result
ftp_parse_eprt(const char *arg, size_t len, struct net_addr *out)
{
	char host[INET6_ADDRSTRLEN];
	uint8_t bin[16] = { 0 };
	enum ftp_addr_result rproto, rport;
	unsigned proto = 0, port = 0;
	const char *q;
	size_t i, n;
	int af;
	char d;

	if (arg == NULL || len < 1 || !ftp_is_delim(arg[0]))
		return FTP_ADDR_SYNTAX;
	d = arg[0];
	i = 1;

	rproto = ftp_parse_uint(arg, len, &i, 65535, &proto);
	if (rproto == FTP_ADDR_SYNTAX || i >= len || arg[i] != d)
		return FTP_ADDR_SYNTAX;
	i++;

	q = memchr(arg + i, d, len - i);
	if (q == NULL)
		return FTP_ADDR_SYNTAX;
	n = (size_t)(q - (arg + i));
	if (n == 0 || n >= sizeof(host) || memchr(arg + i, '\0', n) != NULL)
		return FTP_ADDR_SYNTAX;
	memcpy(host, arg + i, n);
	host[n] = '\0';
	i += n + 1;

	rport = ftp_parse_uint(arg, len, &i, 65535, &port);
	if (rport == FTP_ADDR_SYNTAX || i + 1 != len || arg[i] != d)
		return FTP_ADDR_SYNTAX;

	if (rproto != FTP_ADDR_OK || (proto != 1 && proto != 2))
		return FTP_ADDR_FAMILY;
	af = proto == 1 ? AF_INET : AF_INET6;
	if (inet_pton(af, host, bin) != 1) {
		if (inet_pton(af == AF_INET ? AF_INET6 : AF_INET, host,
		    bin) == 1)
			return FTP_ADDR_FAMILY;
		return FTP_ADDR_SYNTAX;
	}
	if (rport != FTP_ADDR_OK || port == 0)
		return FTP_ADDR_RANGE;

	memset(out, 0, sizeof(*out));
	out->family = af;
	memcpy(out->addr, bin, sizeof(bin));
	out->port = (uint16_t)port;
	return FTP_ADDR_OK;
}

int
ftp_parse_epsv_arg(const char *arg, size_t len)
{
	if (arg == NULL || len == 0)
		return 0;
	if (len == 1 && (arg[0] == '1' || arg[0] == '2'))
		return arg[0] - '0';
	if (len == 3 && ftp_to_upper(arg[0]) == 'A' &&
	    ftp_to_upper(arg[1]) == 'L' && ftp_to_upper(arg[2]) == 'L')
		return 3;
	return -1;
}

/* Reduces an IPv4-mapped IPv6 address (::ffff:a.b.c.d) to plain IPv4, so a
 * dual-stack listener's view of a client equals the client's PORT address.
 * Returns the byte count to compare, 0 for an unset or unknown family. */
static size_t
ftp_addr_canon(const struct net_addr *a, int *family, const uint8_t **bytes)
{
	static const uint8_t v4mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};

	if (a->family == AF_INET) {
		*family = AF_INET;
		*bytes = a->addr;
		return 4;
	}
	if (a->family != AF_INET6)
		return 0;
	if (memcmp(a->addr, v4mapped, sizeof(v4mapped)) == 0) {
		*family = AF_INET;
		*bytes = a->addr + sizeof(v4mapped);
		return 4;
	}
	*family = AF_INET6;
	*bytes = a->addr;
	return 16;
}

/* SECURITY: fails closed; an unset or unknown family never matches. */
bool
ftp_addr_same_host(const struct net_addr *a, const struct net_addr *b)
{
	const uint8_t *ab = NULL, *bb = NULL;
	int af = 0, bf = 0;
	size_t an, bn;

	if (a == NULL || b == NULL)
		return false;
	an = ftp_addr_canon(a, &af, &ab);
	bn = ftp_addr_canon(b, &bf, &bb);
	if (an == 0 || an != bn || af != bf)
		return false;
	return memcmp(ab, bb, an) == 0;
}

/* SECURITY: ports below 1024 would let a client aim the gateway's data
 * connection at a service on its own host it could not otherwise reach
 * from the gateway's address (RFC 2577 section 3). */
bool
ftp_port_allowed(uint16_t port)
{
	return port >= 1024;
}
