/* The gateway's voice: every FTP reply line ftpsgw itself writes to a
 * client, with its code, and the advice an admin reads in the log beside
 * it, in one table to review and test in one place. Pure: libc only. */
#ifndef FTPSGW_PROXY_VOICE_H
#define FTPSGW_PROXY_VOICE_H

#include "proxy/ftp_codes.h"

/*
 * X(name, code, text, advice): the reply is "<code> <text>" (no CRLF; the
 * writer adds it). advice: the fixed words of the log line written beside
 * the reply that say what to change (a gateway.conf key, a client setting),
 * or NULL; the log call adds its own context (tag, addresses, ports).
 * Texts are sentences ending with a period, except the two wordings kept
 * from RFC 2428 and other servers (V_NET_PROTO, V_PBSZ_ZERO). Changing a
 * text changes what clients and tests see: tests grep for them.
 */
#define VOICE_LIST(X) \
	/* client_tls = required: nothing but the pre-TLS commands */ \
	X(TLS_REQUIRED, FTP_NOT_LOGGED_IN, "This gateway requires TLS: use " \
	    "explicit FTP over TLS (AUTH TLS), or implicit FTPS.", \
	    "the client must use explicit FTP over TLS (FileZilla: " \
	    "\"Require explicit FTP over TLS\")") \
	/* CCC (RFC 4217 section 6) */ \
	X(CCC_REFUSED, FTP_CCC_DENIED, "CCC refused: this gateway keeps the " \
	    "control channel encrypted.", \
	    "allow_ccc = off keeps the control channel encrypted") \
	X(CCC_NOT_ENCRYPTED, FTP_CCC_DENIED, "CCC: the control channel is " \
	    "not encrypted.", NULL) \
	X(CCC_BEFORE_LOGIN, FTP_CCC_DENIED, "CCC is allowed only after " \
	    "login.", NULL) \
	X(CCC_OK, FTP_COMMAND_OK, "CCC: the control channel is now clear " \
	    "text.", NULL) \
	/* AUTH, PBSZ, PROT and the other security verbs, answered here */ \
	X(AUTH_AFTER_CCC, FTP_BAD_SEQUENCE, "The control channel was cleared " \
	    "with CCC: connect again to use TLS.", NULL) \
	X(AUTH_TLS_ACTIVE, FTP_BAD_SEQUENCE, "TLS is already active.", NULL) \
	X(AUTH_MECH, FTP_PARAM_NOT_IMPL, "AUTH: only TLS (or SSL) is " \
	    "supported.", NULL) \
	X(AUTH_OK, FTP_AUTH_OK, "AUTH TLS successful: go ahead with the TLS " \
	    "handshake.", NULL) \
	X(PBSZ_NEEDS_TLS, FTP_BAD_SEQUENCE, "PBSZ needs TLS first (AUTH " \
	    "TLS).", NULL) \
	X(PBSZ_ZERO, FTP_COMMAND_OK, "PBSZ=0", NULL) \
	X(PBSZ_OK, FTP_COMMAND_OK, "PBSZ 0 successful.", NULL) \
	X(PROT_NEEDS_TLS, FTP_BAD_SEQUENCE, "PROT needs TLS first (AUTH " \
	    "TLS).", NULL) \
	X(PROT_PRIVATE, FTP_COMMAND_OK, "Protection level set to Private.", \
	    NULL) \
	X(PROT_C_REFUSED, FTP_POLICY_DENIED, "PROT C refused: this gateway " \
	    "requires encrypted data connections.", NULL) \
	X(PROT_CLEAR, FTP_COMMAND_OK, "Protection level set to Clear.", NULL) \
	X(PROT_UNSUPPORTED, FTP_PROT_NOT_SUPPORTED, "Only PROT P (and C " \
	    "where allowed) are supported.", NULL) \
	X(PROT_UNKNOWN, FTP_PARAM_NOT_IMPL, "PROT: unknown protection " \
	    "level.", NULL) \
	X(SECURITY_MECH, FTP_NOT_IMPLEMENTED, "Security mechanism not " \
	    "supported.", NULL) \
	/* PASV, EPSV, PORT, EPRT */ \
	X(DATA_NEEDS_PROT, FTP_TLS_REQUIRED, "Data connections must be " \
	    "encrypted: send PBSZ 0 and PROT P first.", NULL) \
	X(EPSV_ALL_OK, FTP_COMMAND_OK, "EPSV ALL accepted.", NULL) \
	X(NET_PROTO, FTP_PROTO_NOT_SUPPORTED, "Network protocol not " \
	    "supported, use (1,2)", NULL) \
	X(PASV_AFTER_EPSV_ALL, FTP_ARG_SYNTAX_ERROR, "PASV refused after " \
	    "EPSV ALL (RFC 2428).", NULL) \
	X(PASV_IPV6, FTP_DATACONN_FAILED, "PASV cannot announce an IPv6 " \
	    "address: use EPSV.", NULL) \
	X(ACTIVE_DISABLED, FTP_NOT_IMPLEMENTED, "Active mode is disabled on " \
	    "this gateway: use passive mode (PASV/EPSV).", NULL) \
	X(ACTIVE_AFTER_EPSV_ALL, FTP_ARG_SYNTAX_ERROR, "PORT/EPRT refused " \
	    "after EPSV ALL (RFC 2428).", NULL) \
	X(EPRT_SYNTAX, FTP_ARG_SYNTAX_ERROR, "Syntax error in the EPRT " \
	    "argument.", NULL) \
	X(PORT_SYNTAX, FTP_ARG_SYNTAX_ERROR, "Syntax error in the PORT " \
	    "argument.", NULL) \
	X(PORT_NOT_OWN, FTP_PARAM_NOT_IMPL, "PORT/EPRT must name your own " \
	    "address.", NULL) \
	X(PORT_PRIVILEGED, FTP_PARAM_NOT_IMPL, "PORT/EPRT must name a port " \
	    "of 1024 or more.", NULL) \
	X(ACTIVE_FAILED, FTP_DATACONN_FAILED, "Cannot set up active mode.", \
	    NULL) \
	X(PASV_ANNOUNCE, FTP_DATACONN_FAILED, "Cannot announce the passive " \
	    "port.", NULL) \
	X(PASV_MALFORMED, FTP_DATACONN_FAILED, "The FTP server sent a " \
	    "malformed passive reply.", NULL) \
	X(NO_DATA_PORT, FTP_DATACONN_FAILED, "Use PASV or EPSV first.", NULL) \
	X(DATA_EXPIRED, FTP_DATACONN_FAILED, "The data port has expired: " \
	    "send PASV or EPSV again.", NULL) \
	/* command lines ftpsgw refuses */ \
	X(EMPTY_LINE, FTP_SYNTAX_ERROR, "Empty command line.", NULL) \
	X(UNKNOWN_COMMAND, FTP_SYNTAX_ERROR, "Syntax error, command " \
	    "unrecognized.", NULL) \
	X(CR_IN_ARG, FTP_ARG_SYNTAX_ERROR, "Syntax error: a CR may only end " \
	    "the command line.", NULL) \
	X(ARG_NEEDED, FTP_ARG_SYNTAX_ERROR, "Syntax error: this command " \
	    "needs an argument.", NULL) \
	X(LINE_TOO_LONG, FTP_SYNTAX_ERROR, "Command line too long.", NULL) \
	X(NUL_IN_LINE, FTP_SYNTAX_ERROR, "NUL byte in command line.", NULL) \
	X(REIN, FTP_NOT_IMPLEMENTED, "REIN is not supported: log in again " \
	    "with a new connection.", NULL) \
	X(LPRT_LPSV, FTP_NOT_IMPLEMENTED, "LPRT/LPSV are not supported: use " \
	    "EPRT/EPSV.", NULL) \
	X(FXP, FTP_NOT_IMPLEMENTED, "Server-to-server transfers (FXP) are " \
	    "not supported through this gateway.", NULL) \
	X(ABORT_OK, FTP_TRANSFER_OK, "Abort successful.", NULL) \
	/* the end of a session */ \
	X(GOODBYE, FTP_GOODBYE, "Goodbye.", NULL) \
	X(SHUTTING_DOWN, FTP_SERVICE_UNAVAIL, "The gateway is shutting " \
	    "down.", NULL) \
	X(INTERNAL_ERROR, FTP_SERVICE_UNAVAIL, "Internal error in the " \
	    "gateway: closing the control connection.", NULL) \
	X(IDLE_TIMEOUT, FTP_SERVICE_UNAVAIL, "Idle timeout: closing the " \
	    "control connection.", NULL) \
	X(LOGIN_BANNED, FTP_SERVICE_UNAVAIL, "Too many failed logins: " \
	    "closing the connection.", \
	    "max_login_failures, ban_time, ban_prefix4/6") \
	/* admission (worker.c; VOICE_BANNED_FMT below) */ \
	X(TOO_MANY, FTP_SERVICE_UNAVAIL, "Too many connections to this " \
	    "gateway; try again later.", NULL) \
	X(TOO_MANY_IP, FTP_SERVICE_UNAVAIL, "Too many connections from your " \
	    "address.", NULL) \
	/* the FTP server behind the gateway */ \
	X(BACKEND_SILENT, FTP_SERVICE_UNAVAIL, "Service not available: the " \
	    "FTP server behind this gateway does not answer.", \
	    "is backend right, and does the server answer on it?") \
	/* route = user: before USER there is no FTP server yet (issue 17) */ \
	X(ROUTE_LOGIN_FIRST, FTP_NOT_LOGGED_IN, "Please log in with USER " \
	    "first.", NULL) \
	X(ROUTE_USER_FIRST, FTP_BAD_SEQUENCE, "Send USER first.", NULL) \
	X(ROUTE_UNKNOWN, FTP_NOT_LOGGED_IN, "No FTP server for this user " \
	    "name: log in as name@SERVER.", \
	    "add a user_map rule for the name, set default_pool, or have " \
	    "the user log in as name@NAME with NAME a [backend] or pool") \
	X(ROUTE_OTHER_SERVER, FTP_NOT_LOGGED_IN, "This session is bound to " \
	    "another FTP server: connect again to log in there.", NULL) \
	X(ROUTE_NONE_UP, FTP_SERVICE_UNAVAIL, "Service not available: no " \
	    "FTP server for this user is up.", \
	    "every backend of the pool is down: check those FTP servers") \
	X(ROUTE_HOST, FTP_GREETING, "HOST accepted.", NULL) \
	X(ROUTE_HOST_NO_MEMORY, FTP_LOCAL_ERROR, "HOST not kept: the gateway " \
	    "is out of memory; try again.", NULL) \
	X(ROUTE_OPTS_UTF8, FTP_COMMAND_OK, "Always in UTF8 mode.", NULL) \
	X(ROUTE_OPTS_LATER, FTP_ARG_SYNTAX_ERROR, "OPTS before login: only " \
	    "UTF8 ON is taken here; send it again after logging in.", NULL) \
	X(BACKEND_UNREACHABLE, FTP_SERVICE_UNAVAIL, "Service not available: " \
	    "the FTP server behind this gateway cannot be reached.", NULL) \
	X(BACKEND_DOWN, FTP_SERVICE_UNAVAIL, "Service not available: the " \
	    "FTP server behind this gateway is down; try again later.", \
	    "it fails its health checks (health_check = on): the line that " \
	    "said it is down gives the reason") \
	X(BACKEND_NOT_FTP, FTP_SERVICE_UNAVAIL, "Service not available: the " \
	    "FTP server behind this gateway does not speak FTP.", \
	    "is backend an FTP server? with backend_tls = implicit it must " \
	    "be an implicit FTPS port") \
	X(BACKEND_NO_TLS, FTP_SERVICE_UNAVAIL, "Service not available: the " \
	    "FTP server behind this gateway refused TLS.", \
	    "enable TLS on the server, or set backend_tls = off if the LAN " \
	    "is trusted") \
	X(BACKEND_NO_PROT, FTP_SERVICE_UNAVAIL, "Service not available: the " \
	    "FTP server refused encrypted data connections.", NULL) \
	X(BACKEND_CLOSED, FTP_SERVICE_UNAVAIL, "Service not available: the " \
	    "FTP server closed the connection.", NULL) \
	X(BACKEND_UNREADABLE, FTP_SERVICE_UNAVAIL, "Service not available: " \
	    "the FTP server sent a reply line ftpsgw cannot read.", \
	    "the FTP server's log for this session should say why") \
	/* data channels (data.c) */ \
	X(DATA_TIMEOUT, FTP_DATACONN_FAILED, "No data connection was made " \
	    "within the time limit.", \
	    "check the firewall and conntrack settings") \
	X(DATA_STALLED, FTP_TRANSFER_ABORTED, "Data transfer stalled; " \
	    "connection closed, transfer aborted.", NULL) \
	X(DATA_INTERNAL, FTP_TRANSFER_ABORTED, "Internal error in the " \
	    "gateway: the data connection was closed.", NULL) \
	X(NO_FREE_PORT, FTP_DATACONN_FAILED, "No free passive port; try " \
	    "again later.", "widen passive_ports in gateway.conf (and the " \
	    "firewall rules, if any, that name it)") \
	X(PASSIVE_PORT, FTP_DATACONN_FAILED, "Cannot open a passive data " \
	    "port.", NULL) \
	X(FIREWALL_ACTIVE, FTP_DATACONN_FAILED, "Cannot prepare the router's " \
	    "firewall for the data connection.", NULL) \
	X(FIREWALL_PASSIVE, FTP_DATACONN_FAILED, "Cannot open a passive data " \
	    "port: the router's firewall could not be prepared for it.", \
	    NULL) \
	X(DIAL_CLIENT, FTP_DATACONN_FAILED, "Cannot open the data connection " \
	    "to your PORT address.", NULL) \
	X(DIAL_SERVER, FTP_DATACONN_FAILED, "Cannot open the data connection " \
	    "to the FTP server.", NULL) \
	X(DATA_TLS_SETUP, FTP_DATACONN_FAILED, "Cannot set up TLS.", NULL) \
	X(OUT_OF_MEMORY, FTP_DATACONN_FAILED, "Out of memory.", NULL) \
	X(DATA_REUSE, FTP_DATACONN_FAILED, "Data connection refused: it must " \
	    "reuse the TLS session of the control connection (enable TLS " \
	    "session resumption in your FTP client).", \
	    "If this is the client itself, enable TLS session reuse in it " \
	    "(curl, lftp and FileZilla do it by default; Python's ftplib " \
	    "needs session=ftp.sock.session), or set require_session_reuse " \
	    "= off in gateway.conf (weaker: lets a third party on the " \
	    "client's path take the data connection)") \
	X(DATA_TLS_FAILED, FTP_DATACONN_FAILED, "TLS negotiation on the data " \
	    "connection failed.", NULL) \
	X(DATA_SLOW, FTP_DATACONN_FAILED, "Could not set up the data " \
	    "connection in time.", NULL) \
	X(DATA_BACKEND_TLS, FTP_DATACONN_FAILED, "TLS negotiation with the " \
	    "FTP server failed on the data connection.", NULL) \
	X(DATA_ABORTED, FTP_TRANSFER_ABORTED, "Data connection closed; " \
	    "transfer aborted.", NULL)

enum voice {
#define VOICE_ENUM(name, code, text, advice) V_##name,
	VOICE_LIST(VOICE_ENUM)
#undef VOICE_ENUM
	V_COUNT
};

/* The longest line in the table, CRLF not counted: every reply ftpsgw
 * makes up fits the room a session keeps for one (SESS_REPLY_ROOM). */
#define VOICE_LINE_MAX 200

/*
 * The reply to a banned address (worker.c, before any session exists): a
 * printf format taking the seconds left (unsigned) and "s" or "" for the
 * plural. No CRLF.
 */
#define VOICE_BANNED_FMT FTP_CODE_STR(FTP_SERVICE_UNAVAIL) " Too many " \
	"failed logins from your address; try again in %u second%s."

/*
 * voice_line - the whole reply line for v, "<code> <text>" without CRLF.
 * Static storage, never freed; the same pointer for the same v. Returns
 * NULL when v is not below V_COUNT.
 */
const char *voice_line(enum voice v);

/* voice_code - v's reply code (100..599), or 0 when v is not below
 * V_COUNT. */
unsigned voice_code(enum voice v);

/*
 * voice_advice - the fixed words for the log line beside v's reply that tell
 * the admin what to change, or NULL when v has none (or is not below
 * V_COUNT). Static storage; no CR or LF; meant for a "%s" in the log call.
 */
const char *voice_advice(enum voice v);

#endif
