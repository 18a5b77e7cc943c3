/* FTP command and reply parsing, address arguments, trust predicates.
 * Pure: input (p, len), output a caller-owned struct; no I/O, malloc or globals. */
#ifndef FTPSGW_PROXY_FTP_PARSE_H
#define FTPSGW_PROXY_FTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proxy/addr.h"
#include "proxy/limits.h"

enum ftp_verb {
	FTP_VERB_UNKNOWN = 0,
	FTP_VERB_ABOR, FTP_VERB_ACCT, FTP_VERB_ADAT, FTP_VERB_ALLO,
	FTP_VERB_APPE, FTP_VERB_AUTH, FTP_VERB_CCC, FTP_VERB_CDUP,
	FTP_VERB_CLNT, FTP_VERB_CPSV, FTP_VERB_CWD, FTP_VERB_DELE, FTP_VERB_ENC,
	FTP_VERB_EPRT, FTP_VERB_EPSV, FTP_VERB_ESTA, FTP_VERB_ESTP, FTP_VERB_FEAT, FTP_VERB_HELP,
	FTP_VERB_HOST, FTP_VERB_LANG, FTP_VERB_LIST, FTP_VERB_LPRT,
	FTP_VERB_LPSV, FTP_VERB_MDTM, FTP_VERB_MFMT, FTP_VERB_MIC,
	FTP_VERB_MKD, FTP_VERB_MLSD, FTP_VERB_MLST, FTP_VERB_MODE,
	FTP_VERB_NLST, FTP_VERB_NOOP, FTP_VERB_OPTS, FTP_VERB_PASS,
	FTP_VERB_PASV, FTP_VERB_PBSZ, FTP_VERB_PORT, FTP_VERB_PROT,
	FTP_VERB_PWD, FTP_VERB_QUIT, FTP_VERB_REIN, FTP_VERB_REST,
	FTP_VERB_RETR, FTP_VERB_RMD, FTP_VERB_RNFR, FTP_VERB_RNTO,
	FTP_VERB_SITE, FTP_VERB_SIZE, FTP_VERB_SMNT, FTP_VERB_SSCN, FTP_VERB_STAT,
	FTP_VERB_STOR, FTP_VERB_STOU, FTP_VERB_STRU, FTP_VERB_SYST,
	FTP_VERB_TYPE, FTP_VERB_USER, FTP_VERB_XCUP, FTP_VERB_XCWD,
	FTP_VERB_XMKD, FTP_VERB_XPWD, FTP_VERB_XRMD,
	FTP_VERB_COUNT
};

/* What the gateway does with a verb. */
enum ftp_action {
	FTP_ACT_RELAY,		/* forward to the backend, relay its reply */
	FTP_ACT_LOCAL,		/* answered by ftpsgw: AUTH PBSZ PROT CCC ADAT MIC ENC */
	FTP_ACT_FEAT,		/* forwarded, reply filtered to what ftpsgw offers */
	FTP_ACT_PASSIVE,	/* PASV EPSV: ftpsgw opens its own passive port */
	FTP_ACT_ACTIVE,		/* PORT EPRT: checked and rewritten */
	FTP_ACT_TRANSFER,	/* RETR STOR STOU APPE LIST NLST MLSD: uses the data channel */
	FTP_ACT_REFUSE,		/* LPRT LPSV, and data-connection setup that would
				 * bypass the gateway (CPSV SSCN ESTA ESTP):
				 * 502, never forwarded */
	FTP_ACT_QUIT,		/* QUIT: forwarded; the session ends after the reply */
};

/* Verb flags. */
#define FTP_F_PRETLS	0x01u	/* allowed before TLS when client_tls = required */
#define FTP_F_SECRET	0x02u	/* argument is a secret: never log it (PASS, ACCT) */
#define FTP_F_ARG	0x04u	/* an argument is required (else 501 locally) */

struct ftp_verb_info {
	const char *name;	/* upper case, e.g. "RETR" */
	enum ftp_verb verb;
	enum ftp_action action;
	unsigned flags;
};

/* The static table entry for a verb; never NULL for verb < FTP_VERB_COUNT
 * (FTP_VERB_UNKNOWN has action RELAY, flags 0, name "?"). */
const struct ftp_verb_info *ftp_verb_info(enum ftp_verb verb);

struct ftp_cmd {
	enum ftp_verb verb;		/* FTP_VERB_UNKNOWN for verbs not in the table */
	char name[FTP_VERB_MAX + 1];	/* the verb as sent, upper-cased, NUL-terminated */
	const char *arg;		/* into the line; NULL when there is no argument */
	size_t arg_len;
};

enum ftp_cmd_result {
	FTP_CMD_OK,
	FTP_CMD_EMPTY,		/* empty line */
	FTP_CMD_BAD_VERB,	/* verb is not 3-4 ASCII letters followed by SP or end */
	FTP_CMD_BAD_ARG,	/* argument holds a CR that does not end the line */
};

/*
 * ftp_parse_command - split a command line (no CRLF) into verb and argument.
 * The line is data: Telnet (the IAC IP / IAC DM before ABOR included) was
 * removed below the framer (proxy/telnet.h), so a byte 0xFF here is data.
 * The verb is matched case-insensitively. One SP separates verb and argument;
 * the argument is everything after it (may contain spaces; trailing spaces are
 * kept, as paths may end in spaces). "CMD" and "CMD " both give arg NULL.
 * SECURITY: an argument holding a CR is FTP_CMD_BAD_ARG (cmd is filled in,
 * for the log): a server that ends lines at a bare CR would read the rest
 * as a second command and answer it too, and every later reply would pair
 * with the wrong command (RFC 959 arguments never hold one).
 */
enum ftp_cmd_result ftp_parse_command(const char *line, size_t len,
    struct ftp_cmd *cmd);

/* Reply assembler. A zeroed struct expects the first line of a reply. */
struct ftp_reply_parser {
	unsigned code;		/* code of the multi-line reply in progress */
	bool multi;		/* inside "nnn-" ... "nnn " */
};

enum ftp_reply_line {
	FTP_REPLY_FIRST_PART,	/* first line of a multi-line reply ("nnn-") */
	FTP_REPLY_PART,		/* inner line of a multi-line reply (any text) */
	FTP_REPLY_LAST,		/* last (or only) line: reply complete */
	FTP_REPLY_BAD,		/* outside a multi-line reply, not "nnn " / "nnn-" / "nnn" */
};

/*
 * ftp_reply_code - the reply code line[0..len) starts with: its first three
 * bytes as a number when they are a digit 1-5 and two digits 0-9 (100..599),
 * else 0. Only the code is read: "226-", "226 text" and "226x" all give 226;
 * whether the line is a well-formed reply is ftp_reply_feed's to say.
 */
unsigned ftp_reply_code(const char *line, size_t len);

/*
 * ftp_reply_feed - classify one reply line (no CRLF) and track multi-line state.
 * @code: set on FIRST_PART and LAST to the reply code (100..599, first digit 1-5).
 * RFC 959: a multi-line reply ends with a line starting with the same code
 * followed by SP (or the line is exactly the code). Inner lines may start with
 * digits. After BAD the parser is reset to expect a first line.
 */
enum ftp_reply_line ftp_reply_feed(struct ftp_reply_parser *rp,
    const char *line, size_t len, unsigned *code);


enum ftp_addr_result {
	FTP_ADDR_OK,
	FTP_ADDR_SYNTAX,	/* not the expected form, trailing junk */
	FTP_ADDR_RANGE,		/* octet > 255, port 0 or > 65535, overflow */
	FTP_ADDR_FAMILY,	/* EPRT family other than 1 or 2, or address not of it */
};

/* 227 reply text (whole line, code included): the first "h1,h2,h3,h4,p1,p2"
 * group, with or without parentheses (RFC 1123 4.1.2.6: scan for the digits). */
enum ftp_addr_result ftp_parse_227(const char *text, size_t len,
    struct net_addr *out);

/* 229 reply text: "(<d><d><d>port<d>)" with any delimiter in 33..126 (RFC 2428). */
enum ftp_addr_result ftp_parse_229(const char *text, size_t len,
    uint16_t *port);

/* PORT argument "h1,h2,h3,h4,p1,p2" (exact, no spaces or junk). */
enum ftp_addr_result ftp_parse_port(const char *arg, size_t len,
    struct net_addr *out);

/* EPRT argument "<d>proto<d>addr<d>port<d>", proto 1 = IPv4, 2 = IPv6. */
enum ftp_addr_result ftp_parse_eprt(const char *arg, size_t len,
    struct net_addr *out);

/* EPSV argument: NULL/empty (any), "1", "2" or "ALL" (case-insensitive).
 * Returns 0 for none, 1, 2, or 3 for ALL; -1 for anything else. */
int ftp_parse_epsv_arg(const char *arg, size_t len);

/*
 * SECURITY: a PORT/EPRT address must be the control client's own (RFC 2577,
 * no FTP bounce), and a passive data connection is admitted only from the
 * control client's address. Compares family and address; ports are ignored.
 * An IPv4-mapped IPv6 address (::ffff:a.b.c.d) equals the IPv4 address.
 */
bool ftp_addr_same_host(const struct net_addr *a, const struct net_addr *b);

/* SECURITY: an active-mode port the client may name: >= 1024 (no privileged
 * ports, RFC 2577). */
bool ftp_port_allowed(uint16_t port);

#endif
