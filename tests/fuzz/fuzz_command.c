/*
 * libFuzzer target for what a client sends: the framer (proxy/ftp_line.c)
 * cuts the input into lines, ftp_parse_command splits each, and the address
 * and EPSV argument parsers read the argument. Checks the parsers' promises
 * and that every accepted PORT/EPRT address round-trips through the
 * writers. `make fuzz` builds and runs it (tests/fuzz/run.sh); each crash it
 * finds becomes a row in tests/unit/test_ftp_parse.c or test_ftp_line.c.
 */
#include <string.h>
#include <sys/socket.h>

#include "proxy/ftp_parse.h"
#include "proxy/ftp_rewrite.h"
#include "proxy/limits.h"
#include "tests/fuzz/fuzz_ftp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An IPv4 address and its IPv4-mapped IPv6 form are one host (SECURITY:
 * a dual-stack listener sees the client as ::ffff:a.b.c.d). */
static void
check_mapped(const struct net_addr *a)
{
	static const uint8_t v4mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};
	struct net_addr m;

	if (a->family != AF_INET)
		return;
	memset(&m, 0, sizeof(m));
	m.family = AF_INET6;
	memcpy(m.addr, v4mapped, sizeof(v4mapped));
	memcpy(m.addr + sizeof(v4mapped), a->addr, 4);
	m.port = a->port;
	FUZZ_CHECK(ftp_addr_same_host(a, &m) && ftp_addr_same_host(&m, a));
	fuzz_ftp_round_trip(&m);
}

/* An address argument: what the parsers accept must read back. */
static void
fuzz_addr_arg(const char *p, size_t len)
{
	struct net_addr a;
	int e;

	if (ftp_parse_port(p, len, &a) == FTP_ADDR_OK) {
		fuzz_ftp_check_addr(&a);
		FUZZ_CHECK(a.family == AF_INET);
		fuzz_ftp_round_trip(&a);
		check_mapped(&a);
	}
	if (ftp_parse_eprt(p, len, &a) == FTP_ADDR_OK) {
		fuzz_ftp_check_addr(&a);
		fuzz_ftp_round_trip(&a);
	}
	e = ftp_parse_epsv_arg(p, len);
	FUZZ_CHECK(e >= -1 && e <= 3);
}

static void
check_cmd(const struct ftp_cmd *cmd, const char *line, size_t len)
{
	const struct ftp_verb_info *vi;
	size_t i, n;

	n = strlen(cmd->name);
	FUZZ_CHECK(n >= 3 && n <= FTP_VERB_MAX);
	for (i = 0; i < n; i++)
		FUZZ_CHECK(cmd->name[i] >= 'A' && cmd->name[i] <= 'Z');
	vi = ftp_verb_info(cmd->verb);
	FUZZ_CHECK(vi != NULL && vi->verb == cmd->verb);
	if (cmd->verb != FTP_VERB_UNKNOWN)
		FUZZ_CHECK(strcmp(vi->name, cmd->name) == 0);
	if (cmd->arg == NULL) {
		FUZZ_CHECK(cmd->arg_len == 0);
	} else {
		FUZZ_CHECK(cmd->arg_len > 0);
		FUZZ_CHECK(cmd->arg > line && cmd->arg + cmd->arg_len ==
		    line + len);
		FUZZ_CHECK(cmd->arg[-1] == ' ');
	}
}

static void
fuzz_command(void *ctx, const char *line, size_t len)
{
	struct ftp_cmd cmd;

	(void)ctx;
	/* The parsers must also cope with whatever the line holds as a
	 * whole, e.g. a PORT argument sent without its verb. */
	fuzz_addr_arg(line, len);
	if (ftp_parse_command(line, len, &cmd) != FTP_CMD_OK)
		return;
	check_cmd(&cmd, line, len);
	fuzz_addr_arg(cmd.arg, cmd.arg_len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_ftp_frames(data, size, fuzz_command, NULL);
	return 0;
}
