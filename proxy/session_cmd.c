/* Client commands: the per-verb policy (forward, answer here, rewrite,
 * refuse before TLS) and the processing of complete command lines. Calls
 * session_reply.c (which kinds are barriers), session_data.c,
 * session_preamble.c and session_out.c, none of which calls back
 * (layering: proxy/session_int.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "proxy/config.h"
#include "proxy/data.h"
#include "proxy/ftp_rewrite.h"
#include "proxy/log.h"
#include "proxy/session_int.h"
#include "proxy/voice.h"

/*
 * CCC (RFC 4217 section 6): the client's control channel goes back to clear
 * text after login, where allow_ccc permits; the FTP server's side stays
 * encrypted. So that NAT helpers on the client's side can read PASV/PORT.
 */
static bool
sess_ccc(struct session *s)
{
	if (!s->gw->cfg->allow_ccc) {
		log_msg(LOG_LVL_INFO, "%s: CCC refused: %s", s->tag,
		    voice_advice(V_CCC_REFUSED));
		sess_reply(s, voice_line(V_CCC_REFUSED));
		return true;
	}
	if (s->cstate != CS_SECURE) {
		sess_reply(s, voice_line(V_CCC_NOT_ENCRYPTED));
		return true;
	}
	if (!s->logged_in) {
		sess_reply(s, voice_line(V_CCC_BEFORE_LOGIN));
		return true;
	}
	if (s->fifo_len > 0)
		return false;	/* answer once earlier replies are out */
	log_msg(LOG_LVL_INFO, "%s: CCC: the control channel to the client is "
	    "clear text from now on (allow_ccc = on); the FTP server's side "
	    "stays encrypted", s->tag);
	sess_put(s, voice_line(V_CCC_OK));
	(void)sess_set_cstate(s, CS_CCC_REPLY);	/* refused: the session ends */
	return true;
}

/* AUTH PBSZ PROT CCC ADAT MIC ENC: answered here, never forwarded. */
static bool
sess_local(struct session *s, const struct ftp_cmd *cmd)
{
	char arg[16];
	size_t n = cmd->arg_len < sizeof(arg) - 1 ? cmd->arg_len : sizeof(arg) - 1;
	size_t i;

	for (i = 0; i < n; i++)
		arg[i] = (char)(cmd->arg[i] >= 'a' && cmd->arg[i] <= 'z' ?
		    cmd->arg[i] - 32 : cmd->arg[i]);
	arg[n] = '\0';
	if (cmd->arg == NULL)
		arg[0] = '\0';

	switch (cmd->verb) {
	case FTP_VERB_AUTH:
		if (s->ccc) {
			sess_reply(s, voice_line(V_AUTH_AFTER_CCC));
			return true;
		}
		if (s->cstate != CS_PLAIN) {
			sess_reply(s, voice_line(V_AUTH_TLS_ACTIVE));
			return true;
		}
		if (strcmp(arg, "TLS") != 0 && strcmp(arg, "SSL") != 0 &&
		    strcmp(arg, "TLS-C") != 0 && strcmp(arg, "TLS-P") != 0) {
			sess_reply(s, voice_line(V_AUTH_MECH));
			return true;
		}
		if (s->fifo_len > 0)
			return false;	/* answer once earlier replies are out */
		sess_put(s, voice_line(V_AUTH_OK));
		/* Refused: the session ends. */
		(void)sess_set_cstate(s, CS_AUTH_REPLY);
		return true;
	case FTP_VERB_PBSZ:
		if (!sess_secured(s))
			sess_reply(s, voice_line(V_PBSZ_NEEDS_TLS));
		else if (strcmp(arg, "0") != 0)
			sess_reply(s, voice_line(V_PBSZ_ZERO));
		else
			sess_reply(s, voice_line(V_PBSZ_OK));
		s->pbsz = sess_secured(s);
		return true;
	case FTP_VERB_PROT:
		if (!sess_secured(s)) {
			sess_reply(s, voice_line(V_PROT_NEEDS_TLS));
		} else if (strcmp(arg, "P") == 0) {
			s->prot_p = true;
			sess_reply(s, voice_line(V_PROT_PRIVATE));
		} else if (strcmp(arg, "C") == 0) {
			if (s->gw->cfg->client_tls == CFG_CLIENT_REQUIRED) {
				sess_reply(s, voice_line(V_PROT_C_REFUSED));
			} else {
				s->prot_p = false;
				sess_reply(s, voice_line(V_PROT_CLEAR));
			}
		} else if (strcmp(arg, "S") == 0 || strcmp(arg, "E") == 0) {
			sess_reply(s, voice_line(V_PROT_UNSUPPORTED));
		} else {
			sess_reply(s, voice_line(V_PROT_UNKNOWN));
		}
		return true;
	case FTP_VERB_CCC:
		return sess_ccc(s);
	default:
		sess_reply(s, voice_line(V_SECURITY_MECH));
		return true;
	}
}

/* May the client use a data channel now? Sets *reply when not. */
static bool
sess_data_allowed(struct session *s, const char **reply)
{
	if (s->gw->cfg->client_tls == CFG_CLIENT_REQUIRED && !s->prot_p) {
		*reply = voice_line(V_DATA_NEEDS_PROT);
		return false;
	}
	return true;
}

/* The client's command line to the server. RFC 959: the server undoes
 * Telnet, so a data byte 0xFF (a non-UTF-8 path, RFC 2640) goes as IAC
 * IAC; sess_client_lines made room for that. */
static void
sess_forward(struct session *s, const char *line, size_t len)
{
	char wire[FTP_WIRE_LINE_MAX + 2];
	size_t n;

	if (!telnet_encode(line, len, wire, FTP_WIRE_LINE_MAX, &n)) {
		/* Cannot be: the framer cuts lines at FTP_LINE_MAX. */
		log_msg(LOG_LVL_ERR, "%s: command of %zu bytes not forwarded",
		    s->tag, len);
		return;
	}
	memcpy(wire + n, "\r\n", 2);
	sess_send_be(s, wire, n + 2);
}

/* PASV/EPSV: ask the backend for a passive port (EPSV first). */
static void
sess_passive(struct session *s, const struct ftp_cmd *cmd)
{
	bool epsv = cmd->verb == FTP_VERB_EPSV;
	struct pending *p;
	const char *why;

	if (epsv && cmd->arg != NULL) {
		int a = ftp_parse_epsv_arg(cmd->arg, cmd->arg_len);

		if (a == 3) {
			s->epsv_all = true;
			sess_reply(s, voice_line(V_EPSV_ALL_OK));
			return;
		}
		if (a < 0 || (a == 1 && s->client.family != AF_INET) ||
		    (a == 2 && s->client.family != AF_INET6)) {
			sess_reply(s, voice_line(V_NET_PROTO));
			return;
		}
	}
	if (!sess_data_allowed(s, &why)) {
		sess_reply(s, why);
		return;
	}
	if (!epsv && s->epsv_all) {
		sess_reply(s, voice_line(V_PASV_AFTER_EPSV_ALL));
		return;
	}
	if (!epsv && s->client.family != AF_INET) {
		sess_reply(s, voice_line(V_PASV_IPV6));
		return;
	}
	sess_data_drop(s, true);	/* a new PASV replaces the previous one */
	p = sess_fifo_push(s, PEND_PASSIVE);
	p->client_epsv = epsv;
	p->sent_epsv = !s->be_no_epsv || sess_be_addr(s)->family == AF_INET6;
	if (p->sent_epsv)
		SESS_SEND_LIT(s, "EPSV\r\n");
	else
		SESS_SEND_LIT(s, "PASV\r\n");
}

/*
 * PORT/EPRT: the backend connects to a listener on our LAN address (its
 * connection admitted by an expectation whose master is our control
 * connection to it), and we connect out to the port the client named.
 */
static void
sess_active(struct session *s, const struct ftp_cmd *cmd)
{
	bool eprt = cmd->verb == FTP_VERB_EPRT;
	struct net_addr a, ann;
	enum ftp_addr_result r;
	const char *reply = NULL;
	char host[NETADDR_STRLEN], line[128];
	int n;

	if (!s->gw->cfg->active_mode) {
		sess_reply(s, voice_line(V_ACTIVE_DISABLED));
		return;
	}
	if (s->epsv_all) {
		sess_reply(s, voice_line(V_ACTIVE_AFTER_EPSV_ALL));
		return;
	}
	r = eprt ? ftp_parse_eprt(cmd->arg, cmd->arg_len, &a) :
	    ftp_parse_port(cmd->arg, cmd->arg_len, &a);
	if (r == FTP_ADDR_FAMILY) {
		sess_reply(s, voice_line(V_NET_PROTO));
		return;
	}
	if (r != FTP_ADDR_OK) {
		sess_reply(s, voice_line(eprt ? V_EPRT_SYNTAX : V_PORT_SYNTAX));
		return;
	}
	/* SECURITY: no FTP bounce (RFC 2577): the data connection goes only
	 * to the control client's own address, never to a privileged port. */
	if (!ftp_addr_same_host(&a, &s->client)) {
		log_msg(LOG_LVL_WARNING, "%s: %s naming %s refused: not the "
		    "client's own address (FTP bounce attempt?)", s->tag,
		    cmd->name, netaddr_str_port(&a, host, sizeof(host)));
		sess_reply(s, voice_line(V_PORT_NOT_OWN));
		return;
	}
	if (!ftp_port_allowed(a.port)) {
		log_msg(LOG_LVL_WARNING, "%s: %s naming privileged port %u "
		    "refused", s->tag, cmd->name, a.port);
		sess_reply(s, voice_line(V_PORT_PRIVILEGED));
		return;
	}
	if (!sess_data_allowed(s, &reply)) {
		sess_reply(s, reply);
		return;
	}
	sess_data_drop(s, true);	/* a new PORT replaces the previous one */
	if (!sess_data_open(s, DATA_ACTIVE, 0, &a, &ann, &reply)) {
		sess_reply(s, reply);
		return;
	}
	n = ann.family == AF_INET ? ftp_fmt_port(line, sizeof(line), &ann) :
	    ftp_fmt_eprt(line, sizeof(line), &ann);
	if (n < 0) {
		sess_data_drop(s, true);
		sess_reply(s, voice_line(V_ACTIVE_FAILED));
		return;
	}
	sess_fifo_push(s, PEND_ACTIVE);
	sess_send_own(s, line, (size_t)n);
}

/* FEAT before USER (route = user): what ftpsgw itself offers; the
 * server's own features are listed once it is chosen. */
#define SESS_ROUTE_FEAT	FTP_CODE_STR(FTP_FEAT_OK) "-Features:\r\n" \
	" AUTH TLS\r\n PBSZ\r\n PROT\r\n EPSV\r\n" \
	FTP_CODE_STR(FTP_FEAT_OK) " End"

/*
 * The refusals every command meets before its verb's policy: an argument
 * that is missing, and (client_tls = required) anything but the pre-TLS
 * commands before TLS. True when the command was answered.
 */
static bool
sess_refused_early(struct session *s, const struct ftp_cmd *cmd,
    const struct ftp_verb_info *vi)
{
	if ((vi->flags & FTP_F_ARG) && cmd->arg == NULL) {
		sess_reply(s, voice_line(V_ARG_NEEDED));
		return true;
	}
	/* SECURITY: with client_tls = required nothing but the pre-TLS
	 * commands is accepted, and credentials are never forwarded in
	 * clear. */
	if (s->gw->cfg->client_tls == CFG_CLIENT_REQUIRED && !sess_secured(s) &&
	    !(vi->flags & FTP_F_PRETLS)) {
		if (cmd->verb == FTP_VERB_USER || cmd->verb == FTP_VERB_PASS)
			log_msg(LOG_LVL_INFO, "%s: %s before TLS refused: %s",
			    s->tag, cmd->name, voice_advice(V_TLS_REQUIRED));
		sess_reply(s, voice_line(V_TLS_REQUIRED));
		return true;
	}
	return false;
}

/*
 * BS_ROUTE (route = user): no server yet. The USER chooses it and waits
 * (false) for its preamble; FEAT, OPTS and HOST are answered here; PASS
 * gets 503, every other command that would need the server 530.
 */
static bool
sess_route_command(struct session *s, const struct ftp_cmd *cmd,
    const struct ftp_verb_info *vi)
{
	if (sess_refused_early(s, cmd, vi))
		return true;
	switch (cmd->verb) {
	case FTP_VERB_USER:
		return !sess_route_user(s, cmd);
	case FTP_VERB_FEAT:
		sess_reply(s, SESS_ROUTE_FEAT);
		return true;
	case FTP_VERB_OPTS:
		sess_reply(s, voice_line(cmd->arg_len == 7 &&
		    strncasecmp(cmd->arg, "UTF8 ON", 7) == 0 ?
		    V_ROUTE_OPTS_UTF8 : V_ROUTE_OPTS_LATER));
		return true;
	case FTP_VERB_HOST:
		/* Kept for the server USER chooses (sess_be_release); the
		 * last one counts, as it would at a server. On the heap:
		 * every session would otherwise carry room for one. */
		free(s->route_host);
		s->route_host = NULL;
		s->route_host_len = 0;
		if (cmd->arg != NULL && cmd->arg_len > 0) {
			s->route_host = malloc(cmd->arg_len);
			if (s->route_host == NULL) {
				sess_reply(s, voice_line(V_ROUTE_HOST_NO_MEMORY));
				return true;
			}
			memcpy(s->route_host, cmd->arg, cmd->arg_len);
			s->route_host_len = cmd->arg_len;
		}
		sess_reply(s, voice_line(V_ROUTE_HOST));
		return true;
	case FTP_VERB_PASS:
		sess_reply(s, voice_line(V_ROUTE_USER_FIRST));
		return true;
	default:
		sess_reply(s, voice_line(V_ROUTE_LOGIN_FIRST));
		return true;
	}
}

/*
 * route = user: the USER as the server gets it, without the "@NAME" that
 * chose it. A later USER naming another server is refused: one server per
 * session (a session cannot hop between servers). False when refused.
 */
static bool
sess_route_rewrite(struct session *s, struct ftp_cmd *cmd, char *out,
    size_t cap, size_t *len)
{
	size_t cut = s->user_cut;
	char esc[96];

	if (!s->route_first && !sess_route_same(s, cmd, &cut)) {
		log_msg(LOG_LVL_INFO, "%s: USER %s names another FTP server "
		    "than this session's (%s): refused", s->tag,
		    log_escape(esc, sizeof(esc), cmd->arg, cmd->arg_len),
		    sess_be_cfg(s)->section);
		sess_reply(s, voice_line(V_ROUTE_OTHER_SERVER));
		return false;
	}
	s->route_first = false;
	if (cut > cmd->arg_len || 5 + cut > cap)	/* cannot be */
		cut = cmd->arg_len;
	memcpy(out, "USER ", 5);
	memcpy(out + 5, cmd->arg, cut);
	cmd->arg_len = cut;
	*len = 5 + cut;
	return true;
}

/*
 * Handle one complete command line. Returns false when it cannot be handled
 * yet (it stays in the input buffer and is offered again later).
 */
static bool
sess_command(struct session *s, const char *line, size_t len)
{
	const struct ftp_verb_info *vi;
	char user_line[FTP_LINE_MAX + 8];
	struct ftp_cmd cmd;
	struct pending *p;
	const char *why;
	unsigned i;

	switch (ftp_parse_command(line, len, &cmd)) {
	case FTP_CMD_EMPTY:
		sess_reply(s, voice_line(V_EMPTY_LINE));
		return true;
	case FTP_CMD_BAD_VERB:
		sess_reply(s, voice_line(V_UNKNOWN_COMMAND));
		return true;
	case FTP_CMD_BAD_ARG:
		/* SECURITY: never forwarded (ftp_parse_command). */
		log_msg(LOG_LVL_INFO, "%s: %s with a CR inside its argument "
		    "refused", s->tag, cmd.name);
		sess_reply(s, voice_line(V_CR_IN_ARG));
		return true;
	case FTP_CMD_OK:
		break;
	}
	vi = ftp_verb_info(cmd.verb);
	if (s->gw->stopping && s->fifo_len == 0) {
		/* Its transfer ended while the gateway is stopping. */
		sess_fatal(s, voice_line(vi->action == FTP_ACT_QUIT ?
		    V_GOODBYE : V_SHUTTING_DOWN));
		return true;
	}
	if (s->bstate == BS_HOLD && sess_be_release(s, &cmd))
		return true;
	if (s->bstate == BS_ROUTE && vi->action != FTP_ACT_LOCAL &&
	    vi->action != FTP_ACT_REFUSE && cmd.verb != FTP_VERB_QUIT)
		return sess_route_command(s, &cmd, vi);
	/* Commands that reach the backend wait for its login preamble. */
	if (vi->action != FTP_ACT_LOCAL && vi->action != FTP_ACT_REFUSE &&
	    cmd.verb != FTP_VERB_QUIT && s->bstate != BS_READY)
		return false;
	if (log_enabled(LOG_LVL_DEBUG)) {
		char esc[256];

		log_msg(LOG_LVL_DEBUG, "%s: C> %s", s->tag, (vi->flags &
		    FTP_F_SECRET) ? cmd.name : log_escape(esc, sizeof(esc),
		    line, len));
	}
	if (sess_refused_early(s, &cmd, vi))
		return true;

	if (cmd.verb == FTP_VERB_REIN) {
		/* RFC 4217 ties REIN to dropping TLS; neither side of ftpsgw
		 * can do that safely mid-session (ProFTPD does not implement
		 * it either). */
		sess_reply(s, voice_line(V_REIN));
		return true;
	}
	if (cmd.verb == FTP_VERB_ABOR && s->data != NULL) {
		/* Close both data connections now: the server's 426 for the
		 * transfer must not wait for the end of data, and the client
		 * may have stopped reading. */
		log_msg(LOG_LVL_DEBUG, "%s: ABOR: closing the data channel",
		    s->tag);
		sess_data_drop(s, true);
	}

	switch (vi->action) {
	case FTP_ACT_LOCAL:
		return sess_local(s, &cmd);
	case FTP_ACT_REFUSE:
		sess_reply(s, voice_line(cmd.verb == FTP_VERB_LPRT ||
		    cmd.verb == FTP_VERB_LPSV ? V_LPRT_LPSV : V_FXP));
		return true;
	case FTP_ACT_ACTIVE:
		sess_active(s, &cmd);
		return true;
	case FTP_ACT_PASSIVE:
		sess_passive(s, &cmd);
		return true;
	case FTP_ACT_TRANSFER:
		if (!sess_data_allowed(s, &why)) {
			sess_reply(s, why);
			return true;
		}
		if (s->data == NULL) {
			sess_reply(s, voice_line(V_NO_DATA_PORT));
			return true;
		}
		if (!data_usable(s->data)) {
			/* Why the channel ended, if it failed (a refused
			 * connection, say), else it timed out. */
			struct xfer_end e = { .failure =
			    data_failure_reason(s->data) };

			if (e.failure == V_COUNT)
				e.failure = V_DATA_EXPIRED;
			sess_xfer_end(s, xfer_is_upload(cmd.verb), &e);
			why = data_failure(s->data, 0);
			sess_data_drop(s, true);
			sess_reply(s, why != NULL ? why :
			    voice_line(V_DATA_EXPIRED));
			return true;
		}
		if (data_kernel(s->data) && s->prot_p != s->be_prot_p) {
			/* The data connection's TLS is end to end: the server
			 * must expect what the client does. */
			s->be_prot_p = s->prot_p;
			sess_fifo_push(s, PEND_OWN);
			if (s->prot_p)
				SESS_SEND_LIT(s, "PROT P\r\n");
			else
				SESS_SEND_LIT(s, "PROT C\r\n");
		}
		data_transfer_started(s->data);
		s->transfers++;
		p = sess_fifo_push(s, PEND_TRANSFER);
		p->upload = xfer_is_upload(cmd.verb);
		p->fail = V_COUNT;
		sess_xfer_command(s, p, &cmd);
		sess_forward(s, line, len);
		return true;
	case FTP_ACT_QUIT:
		if (s->bstate != BS_READY) {
			sess_fatal(s, voice_line(V_GOODBYE));
			return true;
		}
		sess_fifo_push(s, PEND_QUIT);
		s->quit_sent = true;
		sess_forward(s, line, len);
		return true;
	case FTP_ACT_FEAT:
		sess_fifo_push(s, PEND_FEAT);
		sess_forward(s, line, len);
		return true;
	case FTP_ACT_RELAY:
		if (cmd.verb == FTP_VERB_ABOR) {
			/* A NOOP will mark where the abort's replies end. It
			 * goes out only after the next reply: during a
			 * transfer pure-ftpd drops what follows ABOR in the
			 * same read. */
			for (i = 0; i < s->fifo_len; i++)
				if (sess_fifo_at(s, i)->kind == PEND_TRANSFER)
					sess_fifo_at(s, i)->aborted = true;
			sess_fifo_push(s, PEND_ABOR);
			s->abor_sync = true;
			SESS_SEND_LIT(s, "ABOR\r\n");
			return true;
		}
		if (cmd.verb == FTP_VERB_USER && s->routed) {
			if (!sess_route_rewrite(s, &cmd, user_line,
			    sizeof(user_line), &len))
				return true;
			line = user_line;
		}
		p = sess_fifo_push(s, PEND_REPLY);
		p->login = cmd.verb == FTP_VERB_USER || cmd.verb ==
		    FTP_VERB_PASS || cmd.verb == FTP_VERB_ACCT;
		p->pass = cmd.verb == FTP_VERB_PASS;
		/* Failures are forgiven per user name (gw_login_ok): the
		 * reply to this command answers for the last USER sent. */
		if (cmd.verb == FTP_VERB_USER)
			s->user = gw_user_hash(s->gw, cmd.arg, cmd.arg_len);
		p->user = s->user;
		sess_xfer_command(s, p, &cmd);
		sess_forward(s, line, len);
		return true;
	}
	return true;
}

/*
 * A passive command, a quit or an abort awaits its reply: hold later
 * commands. SECURITY: an abort's replies are paired by the NOOP sent after
 * them (PEND_ABOR), which only works when nothing else is in flight after
 * the ABOR: a PASV pipelined behind it would have its 227 relayed as one of
 * the abort's replies, naming the server's LAN address, and never answered
 * itself.
 */
static bool
sess_barrier(struct session *s)
{
	unsigned i;

	for (i = 0; i < s->fifo_len; i++)
		if (sess_pend_barrier(sess_fifo_at(s, i)->kind))
			return true;
	return false;
}

void
sess_client_lines(struct session *s)
{
	while (!s->closing && !s->dead &&
	    (s->cstate == CS_PLAIN || s->cstate == CS_SECURE)) {
		size_t line_len = 0, used = 0;
		enum ftp_frame fr;

		if (buf_len(&s->cli_in) == 0)
			break;
		/* Every reply, local ones too, comes after the greeting. */
		if (!s->greeted)
			break;
		/* Room for this command's reply, and in the FIFO (a command
		 * adds at most two entries). */
		if (!sess_room(s, SESS_REPLY_ROOM) ||
		    s->fifo_len >= CMD_FIFO_MAX - 1 || sess_barrier(s) ||
		    buf_space(&s->be_out) < FTP_LINE_MAX + 2)
			break;
		fr = ftp_frame_next(&s->cli_fr, buf_head(&s->cli_in),
		    buf_len(&s->cli_in) - s->cli_keep, FTP_LINE_MAX, &line_len,
		    &used);
		switch (fr) {
		case FTP_FRAME_MORE:
			buf_consume(&s->cli_in, used);
			if (used == 0)
				return;
			continue;
		case FTP_FRAME_TOO_LONG:
			buf_consume(&s->cli_in, used);
			log_msg(LOG_LVL_INFO, "%s: command line longer than %u "
			    "bytes discarded", s->tag, FTP_LINE_MAX);
			sess_reply(s, voice_line(V_LINE_TOO_LONG));
			continue;
		case FTP_FRAME_NUL:
			buf_consume(&s->cli_in, used);
			sess_reply(s, voice_line(V_NUL_IN_LINE));
			continue;
		case FTP_FRAME_LINE:
			break;
		}
		/* Room for it as the server gets it, 0xFF doubled, and for a
		 * command of ours before it (PROT, data_path = kernel). */
		if (buf_space(&s->be_out) < telnet_encoded_len(
		    buf_head(&s->cli_in), line_len) + 2 + SESS_OWN_ROOM)
			break;
		if (!sess_command(s, buf_head(&s->cli_in), line_len))
			break;
		buf_consume(&s->cli_in, used);
		if (s->cstate == CS_AUTH_REPLY) {
			/* SECURITY: bytes sent in clear after AUTH are not
			 * trusted as commands inside TLS (STARTTLS command
			 * injection, CVE-2011-0411 class). */
			if (buf_len(&s->cli_in) > 0)
				log_msg(LOG_LVL_INFO, "%s: %zu bytes pipelined "
				    "after AUTH discarded", s->tag,
				    buf_len(&s->cli_in));
			buf_consume(&s->cli_in, buf_len(&s->cli_in));
			s->cli_keep = 0;
			telnet_init(&s->cli_tn, TELNET_COMMANDS);
			break;
		}
		if (s->bstate == BS_READY)
			loop_timer_set(sess_loop(s), &s->timer,
			    (uint64_t)s->gw->cfg->idle_timeout * 1000u);
	}
}
