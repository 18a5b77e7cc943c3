/* Unit tests for command, reply and address parsing (proxy/ftp_parse.c),
 * as tables of input and expected result, most of them rejections. */
#include "proxy/ftp_parse.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* A byte string that may hold NULs: the literal and its length. */
#define B(s)	{ (s), sizeof(s) - 1 }
#define NROWS(a)	(sizeof(a) / sizeof((a)[0]))

struct bytes {
	const char *p;
	size_t len;
};

static const char *
addr_result_name(enum ftp_addr_result r)
{
	switch (r) {
	case FTP_ADDR_OK:
		return "OK";
	case FTP_ADDR_SYNTAX:
		return "SYNTAX";
	case FTP_ADDR_RANGE:
		return "RANGE";
	case FTP_ADDR_FAMILY:
		return "FAMILY";
	}
	return "?";
}

/* Prints a possibly binary row input for failure messages. */
static const char *
show(const struct bytes *b)
{
	static char out[256];
	size_t i, o = 0;

	for (i = 0; i < b->len && o + 5 < sizeof(out); i++) {
		unsigned char c = (unsigned char)b->p[i];

		if (c >= 32 && c < 127)
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, sizeof(out) - o,
			    "\\x%02x", c);
	}
	out[o] = '\0';
	return out;
}

/* A heap copy of exactly len bytes, so that under ASan and valgrind a
 * parser reading past the end of its input is caught; string literals
 * would hide it. NULL stays NULL. Free with free(). */
static char *
exact(const struct bytes *b)
{
	char *p;

	if (b->p == NULL)
		return NULL;
	p = malloc(b->len > 0 ? b->len : 1);
	assert_non_null(p);
	memcpy(p, b->p, b->len);
	return p;
}

/* ---- the verb table ---- */

struct verb_row {
	enum ftp_verb verb;
	const char *name;
	enum ftp_action action;
	unsigned flags;
};

#define R	FTP_ACT_RELAY
#define L	FTP_ACT_LOCAL
#define PT	FTP_F_PRETLS
#define SC	FTP_F_SECRET
#define AR	FTP_F_ARG

/* Written out again on purpose: a second statement of the policy, so a
 * change to the table in ftp_parse.c has to be made twice. */
static const struct verb_row verb_rows[] = {
	{ FTP_VERB_ABOR, "ABOR", R, 0 },
	{ FTP_VERB_ACCT, "ACCT", R, SC | AR },
	{ FTP_VERB_ADAT, "ADAT", L, AR },
	{ FTP_VERB_ALLO, "ALLO", R, AR },
	{ FTP_VERB_APPE, "APPE", FTP_ACT_TRANSFER, AR },
	{ FTP_VERB_AUTH, "AUTH", L, PT | AR },
	{ FTP_VERB_CCC, "CCC", L, 0 },
	{ FTP_VERB_CDUP, "CDUP", R, 0 },
	{ FTP_VERB_CLNT, "CLNT", R, AR },
	{ FTP_VERB_CPSV, "CPSV", FTP_ACT_REFUSE, 0 },
	{ FTP_VERB_CWD, "CWD", R, AR },
	{ FTP_VERB_DELE, "DELE", R, AR },
	{ FTP_VERB_ENC, "ENC", L, AR },
	{ FTP_VERB_EPRT, "EPRT", FTP_ACT_ACTIVE, AR },
	{ FTP_VERB_EPSV, "EPSV", FTP_ACT_PASSIVE, 0 },
	{ FTP_VERB_ESTA, "ESTA", FTP_ACT_REFUSE, 0 },
	{ FTP_VERB_ESTP, "ESTP", FTP_ACT_REFUSE, 0 },
	{ FTP_VERB_FEAT, "FEAT", FTP_ACT_FEAT, PT },
	{ FTP_VERB_HELP, "HELP", R, PT },
	{ FTP_VERB_HOST, "HOST", R, PT | AR },
	{ FTP_VERB_LANG, "LANG", R, PT },
	{ FTP_VERB_LIST, "LIST", FTP_ACT_TRANSFER, 0 },
	{ FTP_VERB_LPRT, "LPRT", FTP_ACT_REFUSE, 0 },
	{ FTP_VERB_LPSV, "LPSV", FTP_ACT_REFUSE, 0 },
	{ FTP_VERB_MDTM, "MDTM", R, AR },
	{ FTP_VERB_MFMT, "MFMT", R, AR },
	{ FTP_VERB_MIC, "MIC", L, AR },
	{ FTP_VERB_MKD, "MKD", R, AR },
	{ FTP_VERB_MLSD, "MLSD", FTP_ACT_TRANSFER, 0 },
	{ FTP_VERB_MLST, "MLST", R, 0 },
	{ FTP_VERB_MODE, "MODE", R, AR },
	{ FTP_VERB_NLST, "NLST", FTP_ACT_TRANSFER, 0 },
	{ FTP_VERB_NOOP, "NOOP", R, PT },
	{ FTP_VERB_OPTS, "OPTS", R, AR },
	{ FTP_VERB_PASS, "PASS", R, SC | AR },
	{ FTP_VERB_PASV, "PASV", FTP_ACT_PASSIVE, 0 },
	{ FTP_VERB_PBSZ, "PBSZ", L, AR },
	{ FTP_VERB_PORT, "PORT", FTP_ACT_ACTIVE, AR },
	{ FTP_VERB_PROT, "PROT", L, AR },
	{ FTP_VERB_PWD, "PWD", R, 0 },
	{ FTP_VERB_QUIT, "QUIT", FTP_ACT_QUIT, PT },
	{ FTP_VERB_REIN, "REIN", R, 0 },
	{ FTP_VERB_REST, "REST", R, AR },
	{ FTP_VERB_RETR, "RETR", FTP_ACT_TRANSFER, AR },
	{ FTP_VERB_RMD, "RMD", R, AR },
	{ FTP_VERB_RNFR, "RNFR", R, AR },
	{ FTP_VERB_RNTO, "RNTO", R, AR },
	{ FTP_VERB_SITE, "SITE", R, AR },
	{ FTP_VERB_SIZE, "SIZE", R, AR },
	{ FTP_VERB_SMNT, "SMNT", R, AR },
	{ FTP_VERB_SSCN, "SSCN", FTP_ACT_REFUSE, 0 },
	{ FTP_VERB_STAT, "STAT", R, 0 },
	{ FTP_VERB_STOR, "STOR", FTP_ACT_TRANSFER, AR },
	{ FTP_VERB_STOU, "STOU", FTP_ACT_TRANSFER, 0 },
	{ FTP_VERB_STRU, "STRU", R, AR },
	{ FTP_VERB_SYST, "SYST", R, PT },
	{ FTP_VERB_TYPE, "TYPE", R, AR },
	{ FTP_VERB_USER, "USER", R, AR },
	{ FTP_VERB_XCUP, "XCUP", R, 0 },
	{ FTP_VERB_XCWD, "XCWD", R, AR },
	{ FTP_VERB_XMKD, "XMKD", R, AR },
	{ FTP_VERB_XPWD, "XPWD", R, 0 },
	{ FTP_VERB_XRMD, "XRMD", R, AR },
};

#undef R
#undef L
#undef PT
#undef SC
#undef AR

static void
test_verb_table(void **state)
{
	const struct ftp_verb_info *vi;
	struct ftp_cmd cmd;
	size_t i;

	(void)state;
	/* every verb has a row here, in enum order */
	assert_int_equal(NROWS(verb_rows), FTP_VERB_COUNT - 1);
	for (i = 0; i < NROWS(verb_rows); i++) {
		const struct verb_row *t = &verb_rows[i];

		assert_int_equal(t->verb, (enum ftp_verb)(i + 1));
		vi = ftp_verb_info(t->verb);
		assert_non_null(vi);
		if (vi->verb != t->verb || strcmp(vi->name, t->name) != 0 ||
		    vi->action != t->action || vi->flags != t->flags)
			fail_msg("verb row %zu (%s): got %s action %d flags "
			    "%#x, want action %d flags %#x", i, t->name,
			    vi->name, vi->action, vi->flags, t->action,
			    t->flags);
		/* the name parses back to the verb */
		assert_int_equal(ftp_parse_command(t->name, strlen(t->name),
		    &cmd), FTP_CMD_OK);
		assert_int_equal(cmd.verb, t->verb);
	}

	vi = ftp_verb_info(FTP_VERB_UNKNOWN);
	assert_string_equal(vi->name, "?");
	assert_int_equal(vi->action, FTP_ACT_RELAY);
	assert_int_equal(vi->flags, 0);
	/* out of range is a caller bug, but never a wild read */
	assert_ptr_equal(ftp_verb_info(FTP_VERB_COUNT), vi);
	assert_ptr_equal(ftp_verb_info((enum ftp_verb)-1), vi);
}

/* ---- commands ---- */

struct cmd_row {
	struct bytes in;
	enum ftp_cmd_result want;
	enum ftp_verb verb;
	const char *name;
	const char *arg;	/* NULL: no argument */
	size_t arg_len;
};

#define OK	FTP_CMD_OK
#define BAD	FTP_CMD_BAD_VERB
#define UNK	FTP_VERB_UNKNOWN

static const struct cmd_row cmd_rows[] = {
	{ B("USER bob"), OK, FTP_VERB_USER, "USER", "bob", 3 },
	{ B("user bob"), OK, FTP_VERB_USER, "USER", "bob", 3 },
	{ B("uSeR bob"), OK, FTP_VERB_USER, "USER", "bob", 3 },
	{ B("NOOP"), OK, FTP_VERB_NOOP, "NOOP", NULL, 0 },
	{ B("NOOP "), OK, FTP_VERB_NOOP, "NOOP", NULL, 0 },
	{ B("CCC"), OK, FTP_VERB_CCC, "CCC", NULL, 0 },
	{ B("pwd"), OK, FTP_VERB_PWD, "PWD", NULL, 0 },
	{ B("AUTH TLS"), OK, FTP_VERB_AUTH, "AUTH", "TLS", 3 },
	{ B("PASS secret word"), OK, FTP_VERB_PASS, "PASS", "secret word",
	    11 },
	/* one SP is the separator; the rest is argument, trailing too */
	{ B("CWD  dir "), OK, FTP_VERB_CWD, "CWD", " dir ", 5 },
	{ B("STOR my file.txt  "), OK, FTP_VERB_STOR, "STOR",
	    "my file.txt  ", 13 },
	{ B("NOOP  "), OK, FTP_VERB_NOOP, "NOOP", " ", 1 },
	{ B("EPSV ALL"), OK, FTP_VERB_EPSV, "EPSV", "ALL", 3 },
	{ B("PORT 1,2,3,4,5,6"), OK, FTP_VERB_PORT, "PORT", "1,2,3,4,5,6",
	    11 },
	/* unknown but well-formed verbs are relayed */
	{ B("XYZZ arg"), OK, UNK, "XYZZ", "arg", 3 },
	{ B("abc"), OK, UNK, "ABC", NULL, 0 },
	{ B("CPSV"), OK, FTP_VERB_CPSV, "CPSV", NULL, 0 },
	/* 0xFF in an argument is data (Telnet is gone, test_telnet.c) */
	{ B("CWD \xff\xfe\x80"), OK, FTP_VERB_CWD, "CWD", "\xff\xfe\x80", 3 },
	/* NUL in the argument is the framer's job to refuse */
	{ B("PASS a\0b"), OK, FTP_VERB_PASS, "PASS", "a\0b", 3 },

	/* ; BAD */
	{ B(""), FTP_CMD_EMPTY, UNK, "", NULL, 0 },
	/* data 0xFF 0xF4 (the client sent IAC IAC 0xF4): no Telnet IP here,
	 * the Telnet layer removed those before the framer */
	{ B("\xff\xf4\xff\xf2" "ABOR"), BAD, UNK, "", NULL, 0 },
	{ B("\xff\xf4"), BAD, UNK, "", NULL, 0 },
	{ B("\xff\xfb" "ABOR"), BAD, UNK, "", NULL, 0 },
	{ B("\xff" "ABOR"), BAD, UNK, "", NULL, 0 },
	{ B("ABOR\xff\xf4"), BAD, UNK, "", NULL, 0 },
	{ B(" "), BAD, UNK, "", NULL, 0 },
	{ B(" NOOP"), BAD, UNK, "", NULL, 0 },
	{ B("  "), BAD, UNK, "", NULL, 0 },
	{ B("NO"), BAD, UNK, "", NULL, 0 },
	{ B("NO OP"), BAD, UNK, "", NULL, 0 },
	{ B("NOOPS"), BAD, UNK, "", NULL, 0 },
	{ B("NOOPS arg"), BAD, UNK, "", NULL, 0 },
	{ B("NOO1"), BAD, UNK, "", NULL, 0 },
	{ B("123"), BAD, UNK, "", NULL, 0 },
	{ B("NO\0P"), BAD, UNK, "", NULL, 0 },
	{ B("\0NOOP"), BAD, UNK, "", NULL, 0 },
	{ B("NOOP\targ"), BAD, UNK, "", NULL, 0 },
	{ B("NOOP\r"), BAD, UNK, "", NULL, 0 },
	{ B("NOOP\n"), BAD, UNK, "", NULL, 0 },
	{ B("\xc3\x9cSER x"), BAD, UNK, "", NULL, 0 },
	{ B("US-R x"), BAD, UNK, "", NULL, 0 },
	{ B("RETR\x7f"), BAD, UNK, "", NULL, 0 },
	/* a CR that does not end the line: never forwarded (501) */
	{ B("CWD a\rDELE b"), FTP_CMD_BAD_ARG, FTP_VERB_CWD, "CWD",
	    "a\rDELE b", 8 },
	{ B("MKD x\r"), FTP_CMD_BAD_ARG, FTP_VERB_MKD, "MKD", "x\r", 2 },
	{ B("STOR \r"), FTP_CMD_BAD_ARG, FTP_VERB_STOR, "STOR", "\r", 1 },
	{ B("XYZZ \r\r"), FTP_CMD_BAD_ARG, UNK, "XYZZ", "\r\r", 2 },
	/* inside the verb: not a verb at all */
	{ B("NO\rOP"), BAD, UNK, "", NULL, 0 },
	{ B("\rNOOP"), BAD, UNK, "", NULL, 0 },
};

#undef OK
#undef BAD
#undef UNK

static void
test_parse_command(void **state)
{
	struct ftp_cmd cmd;
	enum ftp_cmd_result r;
	size_t i;

	(void)state;
	for (i = 0; i < NROWS(cmd_rows); i++) {
		const struct cmd_row *t = &cmd_rows[i];

		char *in = exact(&t->in);

		memset(&cmd, 0x5a, sizeof(cmd));
		r = ftp_parse_command(in, t->in.len, &cmd);
		if (r != t->want || cmd.verb != t->verb ||
		    strcmp(cmd.name, t->name) != 0)
			fail_msg("cmd row %zu \"%s\": got %d verb %d name "
			    "\"%s\"", i, show(&t->in), r, cmd.verb, cmd.name);
		if (t->arg == NULL) {
			if (cmd.arg != NULL || cmd.arg_len != 0)
				fail_msg("cmd row %zu \"%s\": unexpected arg",
				    i, show(&t->in));
		} else if (cmd.arg == NULL || cmd.arg_len != t->arg_len ||
		    memcmp(cmd.arg, t->arg, t->arg_len) != 0 ||
		    cmd.arg < in || cmd.arg + cmd.arg_len !=
		    in + t->in.len) {
			fail_msg("cmd row %zu \"%s\": bad arg", i,
			    show(&t->in));
		}
		free(in);
	}
}

/* ---- replies ---- */

#define MAX_REPLY_LINES	8

struct reply_step {
	const char *line;
	enum ftp_reply_line want;
	unsigned code;		/* checked on FIRST_PART and LAST */
};

struct reply_row {
	const char *name;
	struct reply_step steps[MAX_REPLY_LINES];
};

#define FIRST	FTP_REPLY_FIRST_PART
#define PART	FTP_REPLY_PART
#define LAST	FTP_REPLY_LAST
#define RBAD	FTP_REPLY_BAD

static const struct reply_row reply_rows[] = {
	{ "single line", { { "220 Welcome", LAST, 220 } } },
	{ "code alone", { { "220", LAST, 220 } } },
	{ "code and SP", { { "220 ", LAST, 220 } } },
	{ "lowest and highest codes", { { "100 x", LAST, 100 },
	    { "599 y", LAST, 599 } } },
	{ "two replies in a row", { { "150 Opening", LAST, 150 },
	    { "226 Done", LAST, 226 } } },
	{ "FEAT", { { "211-Features:", FIRST, 211 }, { " MDTM", PART, 0 },
	    { " AUTH TLS", PART, 0 }, { "211 End", LAST, 211 } } },
	{ "inner lines with digits and the same code with '-'", {
	    { "230-Welcome", FIRST, 230 }, { "230-more", PART, 0 },
	    { "123 not the end", PART, 0 }, { "220 nor this", PART, 0 },
	    { "2300 nor this", PART, 0 }, { "230x nor this", PART, 0 },
	    { "230 Logged in", LAST, 230 } } },
	{ "ended by the bare code", { { "214-Help", FIRST, 214 },
	    { "", PART, 0 }, { "214", LAST, 214 } } },
	{ "parser reset after a multi-line reply", {
	    { "211-a", FIRST, 211 }, { "211 b", LAST, 211 },
	    { "211-c", FIRST, 211 }, { "200 inner", PART, 0 },
	    { "211 d", LAST, 211 }, { "200 next", LAST, 200 } } },
	{ "inner line of only digits", { { "250-x", FIRST, 250 },
	    { "25", PART, 0 }, { "250", LAST, 250 } } },

	/* ; BAD first lines, each followed by a good one: reset after BAD */
	{ "22", { { "22", RBAD, 0 }, { "220 ok", LAST, 220 } } },
	{ "2200 x", { { "2200 x", RBAD, 0 }, { "220 ok", LAST, 220 } } },
	{ "600 x", { { "600 x", RBAD, 0 }, { "220 ok", LAST, 220 } } },
	{ "000 x", { { "000 x", RBAD, 0 }, { "220 ok", LAST, 220 } } },
	{ "099 x", { { "099 x", RBAD, 0 }, { "220 ok", LAST, 220 } } },
	{ "abc", { { "abc", RBAD, 0 }, { "220 ok", LAST, 220 } } },
	{ "empty", { { "", RBAD, 0 }, { "220 ok", LAST, 220 } } },
	{ "leading SP", { { " 220 x", RBAD, 0 }, { "220 ok", LAST, 220 } } },
	{ "letter after code", { { "220x", RBAD, 0 },
	    { "220 ok", LAST, 220 } } },
	{ "tab after code", { { "220\tx", RBAD, 0 },
	    { "220 ok", LAST, 220 } } },
	{ "sign", { { "-220 x", RBAD, 0 }, { "220 ok", LAST, 220 } } },
	{ "2a0", { { "2a0 x", RBAD, 0 }, { "220 ok", LAST, 220 } } },
	{ "21", { { "21-", RBAD, 0 }, { "220 ok", LAST, 220 } } },
};

#undef FIRST
#undef PART
#undef LAST
#undef RBAD

static void
test_reply_feed(void **state)
{
	struct ftp_reply_parser rp;
	enum ftp_reply_line r;
	unsigned code;
	size_t i, k;

	(void)state;
	for (i = 0; i < NROWS(reply_rows); i++) {
		const struct reply_row *t = &reply_rows[i];

		memset(&rp, 0, sizeof(rp));
		for (k = 0; k < MAX_REPLY_LINES && t->steps[k].line != NULL;
		    k++) {
			const struct reply_step *s = &t->steps[k];

			struct bytes b = { s->line, strlen(s->line) };
			char *in = exact(&b);

			code = 9999;
			r = ftp_reply_feed(&rp, in, b.len, &code);
			free(in);
			if (r != s->want || ((r == FTP_REPLY_FIRST_PART ||
			    r == FTP_REPLY_LAST) && code != s->code))
				fail_msg("reply row %zu (%s) line %zu \"%s\": "
				    "got %d code %u, want %d code %u", i,
				    t->name, k, s->line, r, code, s->want,
				    s->code);
		}
	}
}

/* NUL inside a reply line: not a code, and inside a multi-line reply not
 * an end line either. */
static void
test_reply_feed_nul(void **state)
{
	struct ftp_reply_parser rp = { 0 };
	unsigned code = 0;

	(void)state;
	assert_int_equal(ftp_reply_feed(&rp, "2\0" "0 x", 5, &code),
	    FTP_REPLY_BAD);
	assert_int_equal(ftp_reply_feed(&rp, "220\0x", 5, &code),
	    FTP_REPLY_BAD);
	assert_int_equal(ftp_reply_feed(&rp, "220-x", 5, &code),
	    FTP_REPLY_FIRST_PART);
	assert_int_equal(ftp_reply_feed(&rp, "220\0", 4, &code),
	    FTP_REPLY_PART);
	assert_int_equal(ftp_reply_feed(&rp, "220 x", 5, NULL),
	    FTP_REPLY_LAST);
}

/* ---- reply codes (a transfer's final reply is classed by its code) ---- */

static const struct {
	const char *line;
	size_t len;		/* bytes of line read; may cut it short */
	unsigned want;
} code_rows[] = {
	{ "226 Transfer complete.", 22, 226 },
	{ "226-More to come", 16, 226 },
	{ "226", 3, 226 },
	{ "100 x", 5, 100 },
	{ "599 x", 5, 599 },
	{ "150x", 4, 150 },	/* only the code is read */
	{ "421 Bye", 3, 421 },
	/* ; BAD */
	{ "226", 2, 0 },
	{ "", 0, 0 },
	{ "099 x", 5, 0 },
	{ "600 x", 5, 0 },
	{ "999 x", 5, 0 },
	{ "2a6 x", 5, 0 },
	{ "22a x", 5, 0 },
	{ " 226 x", 6, 0 },
	{ "-226 x", 6, 0 },
	{ "2\0" "6 x", 5, 0 },
	{ "22\0 x", 5, 0 },
};

static void
test_reply_code(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NROWS(code_rows); i++) {
		/* exactly len bytes on the heap: ASan sees any overread */
		char *in = malloc(code_rows[i].len > 0 ? code_rows[i].len : 1);
		unsigned got;

		assert_non_null(in);
		memcpy(in, code_rows[i].line, code_rows[i].len);
		got = ftp_reply_code(in, code_rows[i].len);
		free(in);
		if (got != code_rows[i].want)
			fail_msg("code row %zu: got %u, want %u", i, got,
			    code_rows[i].want);
	}
}

/* ---- 227, PORT, 229, EPRT ---- */

struct addr_row {
	struct bytes in;
	enum ftp_addr_result want;
	int family;
	const char *addr;	/* for OK */
	unsigned port;		/* for OK */
};

#define OK	FTP_ADDR_OK
#define SYN	FTP_ADDR_SYNTAX
#define RNG	FTP_ADDR_RANGE
#define FAM	FTP_ADDR_FAMILY
#define V4	AF_INET
#define V6	AF_INET6

static const struct addr_row pasv_rows[] = {
	{ B("227 Entering Passive Mode (198,51,100,10,195,80)."), OK, V4,
	    "198.51.100.10", 50000 },
	{ B("227 Entering Passive Mode (198,51,100,10,195,80)"), OK, V4,
	    "198.51.100.10", 50000 },
	{ B("227 =198,51,100,10,195,80"), OK, V4, "198.51.100.10", 50000 },
	{ B("227 Entering Passive Mode 198,51,100,10,195,80"), OK, V4,
	    "198.51.100.10", 50000 },
	{ B("227 Entering Passive Mode. 198,51,100,10,195,80."), OK, V4,
	    "198.51.100.10", 50000 },
	{ B("227-Entering Passive Mode (10,0,0,1,4,0)"), OK, V4, "10.0.0.1",
	    1024 },
	{ B("227 (0,0,0,0,0,1)"), OK, V4, "0.0.0.0", 1 },
	{ B("227 (255,255,255,255,255,255)"), OK, V4, "255.255.255.255",
	    65535 },
	{ B("227 (010,0,0,1,0,21) text after"), OK, V4, "10.0.0.1", 21 },
	{ B("227 (198,51,100,10,195,80)\0junk"), OK, V4, "198.51.100.10",
	    50000 },

	/* ; BAD */
	{ B("227 (256,1,1,1,1,1)"), RNG, 0, NULL, 0 },
	{ B("227 (1,1,1,1000,1,1)"), RNG, 0, NULL, 0 },
	{ B("227 (1,1,1,1,256,1)"), RNG, 0, NULL, 0 },
	{ B("227 (1,1,1,1,1,256)"), RNG, 0, NULL, 0 },
	{ B("227 (1,1,1,1,0,0)"), RNG, 0, NULL, 0 },
	{ B("227 (99999999999999999999,1,1,1,1,1)"), RNG, 0, NULL, 0 },
	{ B("227 (1,1,1,1,1,99999999999999999999)"), RNG, 0, NULL, 0 },
	{ B("227 (1,2,3,4,5)"), SYN, 0, NULL, 0 },
	{ B("227 (1,2,3,4,5,)"), SYN, 0, NULL, 0 },
	{ B("227 (1,2,3,4,5,6,)"), SYN, 0, NULL, 0 },
	{ B("227 (1,2,3,4,5,6,7)"), SYN, 0, NULL, 0 },
	{ B("227 1,2,3,4,5,6,7"), SYN, 0, NULL, 0 },
	{ B("227 (1,2,3,4,5,6.7)"), SYN, 0, NULL, 0 },
	{ B("227 (1,2,3,4,5,6"), SYN, 0, NULL, 0 },
	{ B("227 (1,1,1,1,0,0"), SYN, 0, NULL, 0 },
	{ B("227 (256,1,1,1,1,1,"), SYN, 0, NULL, 0 },
	{ B("227 (1,2,3,4,5,6]"), SYN, 0, NULL, 0 },
	{ B("227 (1,2,3,4,5,6 )"), SYN, 0, NULL, 0 },
	{ B("227 (-1,2,3,4,5,6)"), SYN, 0, NULL, 0 },
	{ B("227 =-1,2,3,4,5,6"), SYN, 0, NULL, 0 },
	{ B("227 (+1,2,3,4,5,6)"), SYN, 0, NULL, 0 },
	{ B("227 (1,-2,3,4,5,6)"), SYN, 0, NULL, 0 },
	{ B("227 (1, 2,3,4,5,6)"), SYN, 0, NULL, 0 },
	{ B("227 (1 ,2,3,4,5,6)"), SYN, 0, NULL, 0 },
	{ B("227 (1,,2,3,4,5,6)"), SYN, 0, NULL, 0 },
	{ B("227 (1.2.3.4,5,6)"), SYN, 0, NULL, 0 },
	{ B("227 (1,2,3\0,4,5,6)"), SYN, 0, NULL, 0 },
	{ B("227 (0x1,2,3,4,5,6)"), SYN, 0, NULL, 0 },
	{ B("227 Entering Passive Mode"), SYN, 0, NULL, 0 },
	{ B("227 Entering Passive Mode ()"), SYN, 0, NULL, 0 },
	{ B("227"), SYN, 0, NULL, 0 },
	{ B("227 "), SYN, 0, NULL, 0 },
	{ B(""), SYN, 0, NULL, 0 },
	{ B("228 (1,2,3,4,5,6)"), SYN, 0, NULL, 0 },
	{ B("2270 (1,2,3,4,5,6)"), SYN, 0, NULL, 0 },
	{ B("227(1,2,3,4,5,6)"), SYN, 0, NULL, 0 },
	{ B(" 227 (1,2,3,4,5,6)"), SYN, 0, NULL, 0 },
	{ B("(1,2,3,4,5,6)"), SYN, 0, NULL, 0 },
	{ B("229 Entering Extended Passive Mode (|||6446|)"), SYN, 0, NULL,
	    0 },
};

static const struct addr_row port_rows[] = {
	{ B("198,51,100,10,195,80"), OK, V4, "198.51.100.10", 50000 },
	{ B("203,0,113,10,4,1"), OK, V4, "203.0.113.10", 1025 },
	{ B("0,0,0,0,0,1"), OK, V4, "0.0.0.0", 1 },
	{ B("255,255,255,255,255,255"), OK, V4, "255.255.255.255", 65535 },
	{ B("001,02,3,4,0,21"), OK, V4, "1.2.3.4", 21 },

	/* ; BAD */
	{ B("256,1,1,1,1,1"), RNG, 0, NULL, 0 },
	{ B("1,1,1,1,256,0"), RNG, 0, NULL, 0 },
	{ B("1,2,3,4,256,256"), RNG, 0, NULL, 0 },
	{ B("1,1,1,1,0,0"), RNG, 0, NULL, 0 },
	{ B("99999999999999999999,1,1,1,1,1"), RNG, 0, NULL, 0 },
	{ B("1,1,1,1,1,99999999999999999999"), RNG, 0, NULL, 0 },
	{ B("4294967296,1,1,1,1,1"), RNG, 0, NULL, 0 },
	{ B("1,2,3,4,5"), SYN, 0, NULL, 0 },
	{ B("1,2,3,4"), SYN, 0, NULL, 0 },
	{ B("1,2,3,4,5,6,7"), SYN, 0, NULL, 0 },
	{ B("1,2,3,4,5,6,"), SYN, 0, NULL, 0 },
	{ B("1,2,3,4,5,6 "), SYN, 0, NULL, 0 },
	{ B(" 1,2,3,4,5,6"), SYN, 0, NULL, 0 },
	{ B("1,2,3,4,5,6x"), SYN, 0, NULL, 0 },
	{ B("1,2,3,4,5,6\r"), SYN, 0, NULL, 0 },
	{ B("1,2,3,4,5,6\0"), SYN, 0, NULL, 0 },
	/* the form is checked before the numbers: syntax wins */
	{ B("1,1,1,1,0,0x"), SYN, 0, NULL, 0 },
	{ B("256,1,1,1,1,1 "), SYN, 0, NULL, 0 },
	{ B("1,1,1,1,0,0,"), SYN, 0, NULL, 0 },
	{ B("1,2\0,3,4,5,6"), SYN, 0, NULL, 0 },
	{ B("(1,2,3,4,5,6)"), SYN, 0, NULL, 0 },
	{ B("-1,2,3,4,5,6"), SYN, 0, NULL, 0 },
	{ B("1,-2,3,4,5,6"), SYN, 0, NULL, 0 },
	{ B("1,2,3,4,5,+6"), SYN, 0, NULL, 0 },
	{ B("1, 2,3,4,5,6"), SYN, 0, NULL, 0 },
	{ B("1,,2,3,4,5"), SYN, 0, NULL, 0 },
	{ B("1.2.3.4,5,6"), SYN, 0, NULL, 0 },
	{ B("0x1,2,3,4,5,6"), SYN, 0, NULL, 0 },
	{ B("256,1,1,1,1"), SYN, 0, NULL, 0 },
	{ B(""), SYN, 0, NULL, 0 },
	{ B(","), SYN, 0, NULL, 0 },
};

static const struct addr_row eprt_rows[] = {
	{ B("|1|132.235.1.2|6275|"), OK, V4, "132.235.1.2", 6275 },
	{ B("|2|1080::8:800:200C:417A|5282|"), OK, V6,
	    "1080::8:800:200c:417a", 5282 },
	{ B("|2|2001:db8::1|65535|"), OK, V6, "2001:db8::1", 65535 },
	{ B("|2|::1|1|"), OK, V6, "::1", 1 },
	{ B("|2|::ffff:203.0.113.10|1025|"), OK, V6, "::ffff:203.0.113.10",
	    1025 },
	{ B("!1!203.0.113.10!1025!"), OK, V4, "203.0.113.10", 1025 },
	{ B("~1~203.0.113.10~01025~"), OK, V4, "203.0.113.10", 1025 },

	/* ; BAD */
	{ B("|3|1.2.3.4|21|"), FAM, 0, NULL, 0 },
	{ B("|0|1.2.3.4|21|"), FAM, 0, NULL, 0 },
	{ B("|99999999999999999999|1.2.3.4|21|"), FAM, 0, NULL, 0 },
	{ B("|2|1.2.3.4|21|"), FAM, 0, NULL, 0 },
	{ B("|1|::1|21|"), FAM, 0, NULL, 0 },
	{ B("|1|::ffff:1.2.3.4|21|"), FAM, 0, NULL, 0 },
	{ B("|1|1.2.3.4|0|"), RNG, 0, NULL, 0 },
	{ B("|1|1.2.3.4|65536|"), RNG, 0, NULL, 0 },
	{ B("|1|1.2.3.4|99999999999999999999|"), RNG, 0, NULL, 0 },
	{ B("|2|1.2.3.4|0|"), FAM, 0, NULL, 0 },
	{ B("|3|1.2.3.4|0|"), FAM, 0, NULL, 0 },
	{ B("|3|x|21|"), FAM, 0, NULL, 0 },
	/* the form is checked before family and numbers: syntax wins */
	{ B("|1|1.2.3.4|0x|"), SYN, 0, NULL, 0 },
	{ B("|1|1.2.3.4|0"), SYN, 0, NULL, 0 },
	{ B("|1|1.2.3.256|0|"), SYN, 0, NULL, 0 },
	{ B("|3|1.2.3.4|21"), SYN, 0, NULL, 0 },
	{ B("|3|"), SYN, 0, NULL, 0 },
	{ B("|3|1.2.3.4|21|x"), SYN, 0, NULL, 0 },
	{ B("|1|1.2.3.256|21|"), SYN, 0, NULL, 0 },
	{ B("|1|1.2.3|21|"), SYN, 0, NULL, 0 },
	{ B("|1|01.2.3.4|21|"), SYN, 0, NULL, 0 },
	{ B("|1|1.2.3.4.5|21|"), SYN, 0, NULL, 0 },
	{ B("|1|1,2,3,4|21|"), SYN, 0, NULL, 0 },
	{ B("|2|fe80::1%eth0|21|"), SYN, 0, NULL, 0 },
	{ B("|2|1::2::3|21|"), SYN, 0, NULL, 0 },
	{ B("|2|[::1]|21|"), SYN, 0, NULL, 0 },
	{ B("|1|1.2.3.4|21"), SYN, 0, NULL, 0 },
	{ B("|1|1.2.3.4|21||"), SYN, 0, NULL, 0 },
	{ B("|1|1.2.3.4|21|x"), SYN, 0, NULL, 0 },
	{ B("|1|1.2.3.4|21| "), SYN, 0, NULL, 0 },
	{ B("|1|1.2.3.4|21|\r"), SYN, 0, NULL, 0 },
	{ B("|1|1.2.3.4|21x|"), SYN, 0, NULL, 0 },
	{ B("|1|1.2.3.4!21!"), SYN, 0, NULL, 0 },
	{ B("|1!1.2.3.4!21!"), SYN, 0, NULL, 0 },
	{ B("!1!1.2.3.4!21|"), SYN, 0, NULL, 0 },
	{ B("|1||21|"), SYN, 0, NULL, 0 },
	{ B("||1.2.3.4|21|"), SYN, 0, NULL, 0 },
	{ B("|1|1.2.3.4||"), SYN, 0, NULL, 0 },
	{ B("|-1|1.2.3.4|21|"), SYN, 0, NULL, 0 },
	{ B("|+1|1.2.3.4|21|"), SYN, 0, NULL, 0 },
	{ B("|1|1.2.3.4|-21|"), SYN, 0, NULL, 0 },
	{ B("|1|1.2.3.4|+21|"), SYN, 0, NULL, 0 },
	{ B("| 1|1.2.3.4|21|"), SYN, 0, NULL, 0 },
	{ B("|1| 1.2.3.4|21|"), SYN, 0, NULL, 0 },
	{ B("|1|1.2.3.4 |21|"), SYN, 0, NULL, 0 },
	{ B("|1|1.2.3.4| 21|"), SYN, 0, NULL, 0 },
	{ B("|1|1.2.3.4\0junk|21|"), SYN, 0, NULL, 0 },
	{ B("|1|1.2.3.4\0|21|"), SYN, 0, NULL, 0 },
	{ B("|1|1.2.3.4|2\0""1|"), SYN, 0, NULL, 0 },
	{ B(" 1 1.2.3.4 21 "), SYN, 0, NULL, 0 },
	{ B("\x7f""1\x7f""1.2.3.4\x7f""21\x7f"), SYN, 0, NULL, 0 },
	{ B("\x80""1\x80""1.2.3.4\x80""21\x80"), SYN, 0, NULL, 0 },
	{ B("1111.2.3.41211"), SYN, 0, NULL, 0 },
	{ B("|2|1111:2222:3333:4444:5555:6666:7777:8888:9999:0000|21|"), SYN,
	    0, NULL, 0 },
	{ B("|2|0000:0000:0000:0000:0000:ffff:255.255.255.255x|21|"), SYN,
	    0, NULL, 0 },
	{ B(""), SYN, 0, NULL, 0 },
	{ B("|"), SYN, 0, NULL, 0 },
	{ B("||||"), SYN, 0, NULL, 0 },
	{ B("|1|"), SYN, 0, NULL, 0 },
	{ B("|1"), SYN, 0, NULL, 0 },
};

static void
check_addr_rows(const char *what, const struct addr_row *rows, size_t n,
    enum ftp_addr_result (*parse)(const char *, size_t, struct net_addr *))
{
	struct net_addr a, want;
	enum ftp_addr_result r;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct addr_row *t = &rows[i];

		char *in = exact(&t->in);

		memset(&a, 0x5a, sizeof(a));
		r = parse(in, t->in.len, &a);
		free(in);
		if (r != t->want)
			fail_msg("%s row %zu \"%s\": got %s, want %s", what, i,
			    show(&t->in), addr_result_name(r),
			    addr_result_name(t->want));
		if (r != FTP_ADDR_OK)
			continue;
		memset(&want, 0, sizeof(want));
		want.family = t->family;
		want.port = (uint16_t)t->port;
		assert_int_equal(inet_pton(t->family, t->addr, want.addr), 1);
		if (a.family != want.family || a.port != want.port ||
		    memcmp(a.addr, want.addr, sizeof(a.addr)) != 0)
			fail_msg("%s row %zu \"%s\": wrong address or port %u",
			    what, i, show(&t->in), a.port);
	}
}

static void
test_parse_227(void **state)
{
	(void)state;
	check_addr_rows("227", pasv_rows, NROWS(pasv_rows), ftp_parse_227);
}

static void
test_parse_port(void **state)
{
	struct net_addr a;

	(void)state;
	check_addr_rows("PORT", port_rows, NROWS(port_rows), ftp_parse_port);
	/* no argument at all */
	assert_int_equal(ftp_parse_port(NULL, 0, &a), FTP_ADDR_SYNTAX);
}

static void
test_parse_eprt(void **state)
{
	struct net_addr a;

	(void)state;
	check_addr_rows("EPRT", eprt_rows, NROWS(eprt_rows), ftp_parse_eprt);
	assert_int_equal(ftp_parse_eprt(NULL, 0, &a), FTP_ADDR_SYNTAX);
}

struct epsv_row {
	struct bytes in;
	enum ftp_addr_result want;
	unsigned port;
};

static const struct epsv_row epsv_rows[] = {
	{ B("229 Entering Extended Passive Mode (|||6446|)"), OK, 6446 },
	{ B("229 Entering Extended Passive Mode (|||6446|)."), OK, 6446 },
	{ B("229-Entering Extended Passive Mode (|||6446|)"), OK, 6446 },
	{ B("229 (|||1|)"), OK, 1 },
	{ B("229 (|||65535|)"), OK, 65535 },
	{ B("229 (|||000021|)"), OK, 21 },
	{ B("229 (!!!6446!)"), OK, 6446 },
	{ B("229 Entering (###21#) ok"), OK, 21 },
	{ B("229 (~~~50000~)"), OK, 50000 },

	/* ; BAD */
	{ B("229 (|||0|)"), RNG, 0 },
	{ B("229 (|||65536|)"), RNG, 0 },
	{ B("229 (|||99999999999999999999|)"), RNG, 0 },
	{ B("229 (|||6446)"), SYN, 0 },
	{ B("229 (||6446|)"), SYN, 0 },
	{ B("229 (||||6446|)"), SYN, 0 },
	{ B("229 (|||6446||)"), SYN, 0 },
	{ B("229 (|||6446!)"), SYN, 0 },
	{ B("229 (|!|6446|)"), SYN, 0 },
	{ B("229 (!||6446|)"), SYN, 0 },
	{ B("229 (|||-1|)"), SYN, 0 },
	{ B("229 (|||+6446|)"), SYN, 0 },
	{ B("229 (||| 6446|)"), SYN, 0 },
	{ B("229 (|||6446 |)"), SYN, 0 },
	{ B("229 (|||6446x|)"), SYN, 0 },
	{ B("229 (|||64\0""46|)"), SYN, 0 },
	{ B("229 (|||0x10|)"), SYN, 0 },
	{ B("229 (|||0|"), SYN, 0 },
	{ B("229 (|||99999999999999999999|"), SYN, 0 },
	{ B("229 (|||)"), SYN, 0 },
	{ B("229 (||||)"), SYN, 0 },
	{ B("229 (   6446 )"), SYN, 0 },
	{ B("229 (\x7f\x7f\x7f""6446\x7f)"), SYN, 0 },
	{ B("229 (111644461)"), SYN, 0 },
	{ B("229 (|1|1.2.3.4|6446|)"), SYN, 0 },
	{ B("229 (|2|::1|6446|)"), SYN, 0 },
	{ B("229 |||6446|"), SYN, 0 },
	{ B("229 (|||6446|"), SYN, 0 },
	{ B("229 ("), SYN, 0 },
	{ B("229 "), SYN, 0 },
	{ B("229"), SYN, 0 },
	{ B(""), SYN, 0 },
	{ B("227 (|||6446|)"), SYN, 0 },
	{ B("2290 (|||6446|)"), SYN, 0 },
	{ B("229(|||6446|)"), SYN, 0 },
};

static void
test_parse_229(void **state)
{
	enum ftp_addr_result r;
	uint16_t port;
	size_t i;

	(void)state;
	for (i = 0; i < NROWS(epsv_rows); i++) {
		const struct epsv_row *t = &epsv_rows[i];

		char *in = exact(&t->in);

		port = 0;
		r = ftp_parse_229(in, t->in.len, &port);
		free(in);
		if (r != t->want || (r == FTP_ADDR_OK && port != t->port))
			fail_msg("229 row %zu \"%s\": got %s port %u, want %s "
			    "port %u", i, show(&t->in), addr_result_name(r),
			    port, addr_result_name(t->want), t->port);
	}
}

#undef OK
#undef SYN
#undef RNG
#undef FAM

struct epsv_arg_row {
	struct bytes in;	/* p NULL: no argument */
	int want;
};

static const struct epsv_arg_row epsv_arg_rows[] = {
	{ { NULL, 0 }, 0 },
	{ B(""), 0 },
	{ B("1"), 1 },
	{ B("2"), 2 },
	{ B("ALL"), 3 },
	{ B("all"), 3 },
	{ B("AlL"), 3 },
	/* ; BAD */
	{ B("0"), -1 },
	{ B("3"), -1 },
	{ B("01"), -1 },
	{ B("12"), -1 },
	{ B("-1"), -1 },
	{ B(" 1"), -1 },
	{ B("1 "), -1 },
	{ B("1\0"), -1 },
	{ B("ALL "), -1 },
	{ B("ALLL"), -1 },
	{ B("AL"), -1 },
	{ B("A\0L"), -1 },
	{ B("x"), -1 },
};

static void
test_parse_epsv_arg(void **state)
{
	size_t i;
	int r;

	(void)state;
	for (i = 0; i < NROWS(epsv_arg_rows); i++) {
		const struct epsv_arg_row *t = &epsv_arg_rows[i];

		char *in = exact(&t->in);

		r = ftp_parse_epsv_arg(in, t->in.len);
		free(in);
		if (r != t->want)
			fail_msg("EPSV arg row %zu \"%s\": got %d, want %d", i,
			    t->in.p != NULL ? show(&t->in) : "(null)", r,
			    t->want);
	}
}

/* ---- trust predicates ---- */

struct host_row {
	int fa;
	const char *a;
	unsigned pa;
	int fb;
	const char *b;
	unsigned pb;
	bool want;
};

static const struct host_row host_rows[] = {
	{ V4, "203.0.113.10", 1025, V4, "203.0.113.10", 50000, true },
	{ V6, "2001:db8:1::10", 1, V6, "2001:db8:1::10", 2, true },
	{ V4, "203.0.113.10", 1, V6, "::ffff:203.0.113.10", 2, true },
	{ V6, "::ffff:203.0.113.10", 1, V4, "203.0.113.10", 2, true },
	{ V6, "::ffff:203.0.113.10", 1, V6, "::ffff:203.0.113.10", 2, true },
	/* ; BAD */
	{ V4, "203.0.113.10", 1, V4, "203.0.113.11", 1, false },
	{ V4, "203.0.113.10", 1, V4, "10.113.0.203", 1, false },
	{ V6, "2001:db8:1::10", 1, V6, "2001:db8:1::11", 1, false },
	{ V4, "203.0.113.10", 1, V6, "::ffff:203.0.113.11", 1, false },
	/* IPv4-compatible (deprecated) is not IPv4-mapped */
	{ V4, "203.0.113.10", 1, V6, "::203.0.113.10", 1, false },
	{ V4, "0.0.0.0", 1, V6, "::", 1, false },
	{ V4, "203.0.113.10", 1, 0, NULL, 1, false },
	{ 0, NULL, 1, 0, NULL, 1, false },
	{ 99, NULL, 1, 99, NULL, 1, false },
	{ V6, "::ffff:203.0.113.10", 1, 99, NULL, 1, false },
};

static void
host_row_addr(int family, const char *text, unsigned port,
    struct net_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = family;
	a->port = (uint16_t)port;
	if (text != NULL)
		assert_int_equal(inet_pton(family, text, a->addr), 1);
}

static void
test_same_host(void **state)
{
	struct net_addr a, b;
	size_t i;

	(void)state;
	for (i = 0; i < NROWS(host_rows); i++) {
		const struct host_row *t = &host_rows[i];

		host_row_addr(t->fa, t->a, t->pa, &a);
		host_row_addr(t->fb, t->b, t->pb, &b);
		if (ftp_addr_same_host(&a, &b) != t->want ||
		    ftp_addr_same_host(&b, &a) != t->want)
			fail_msg("same-host row %zu (%s, %s): want %d", i,
			    t->a, t->b, t->want);
	}
	assert_false(ftp_addr_same_host(NULL, &a));
	assert_false(ftp_addr_same_host(&a, NULL));
}

static void
test_port_allowed(void **state)
{
	static const struct {
		uint16_t port;
		bool want;
	} rows[] = {
		{ 0, false }, { 1, false }, { 20, false }, { 21, false },
		{ 22, false }, { 1023, false },
		{ 1024, true }, { 50000, true }, { 65535, true },
	};
	size_t i;

	(void)state;
	for (i = 0; i < NROWS(rows); i++)
		if (ftp_port_allowed(rows[i].port) != rows[i].want)
			fail_msg("port row %zu: %u", i, rows[i].port);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verb_table),
		cmocka_unit_test(test_parse_command),
		cmocka_unit_test(test_reply_feed),
		cmocka_unit_test(test_reply_feed_nul),
		cmocka_unit_test(test_reply_code),
		cmocka_unit_test(test_parse_227),
		cmocka_unit_test(test_parse_port),
		cmocka_unit_test(test_parse_eprt),
		cmocka_unit_test(test_parse_229),
		cmocka_unit_test(test_parse_epsv_arg),
		cmocka_unit_test(test_same_host),
		cmocka_unit_test(test_port_allowed),
	};

	printf("ftp_parse: %zu verb, %zu command, %zu reply, %zu code, "
	    "%zu 227, %zu PORT, %zu EPRT, %zu 229, %zu EPSV-arg, "
	    "%zu same-host rows\n", NROWS(verb_rows), NROWS(cmd_rows),
	    NROWS(reply_rows), NROWS(code_rows), NROWS(pasv_rows),
	    NROWS(port_rows), NROWS(eprt_rows), NROWS(epsv_rows), NROWS(epsv_arg_rows), NROWS(host_rows));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
