/*
 * Internals shared by the files of the control session. Not for other
 * modules: they use proxy/session.h.
 *
 * Layering: calls go downward only; no file of the session calls a
 * function of one that calls it (callbacks registered with the event loop
 * aside).
 *   session.c           lifetime, the connections' I/O, the server's line
 *                       loop, the pump                  (calls all below)
 *   session_cmd.c       client commands: the client's line loop and each
 *                       verb's policy          (reply, data, preamble, out)
 *   session_reply.c     the server's replies while BS_READY, paired with
 *                       the FIFO through the kinds' table    (data, out)
 *   session_preamble.c  the server's login preamble, up to BS_READY (out)
 *   session_data.c      a data channel's plan, and opening it     (none)
 *   session_xfer.c      the transfer log's record of the session: the
 *                       user, TYPE, each transfer and its end    (none)
 *   session_out.c       the client's output, the reply FIFO, commands of
 *                       ours to the server, the fatal ending, the state
 *                       setters and their transition tables     (none)
 *
 * Ordering: forwarded commands enter a FIFO that records what each reply
 * means; local replies queue behind them, so replies reach the client in
 * command order. A transfer's final reply is held while its data channel is
 * busy (the end of data must reach the client first, DESIGN.md). Commands
 * whose reply count or meaning is not known in advance (PASV/EPSV,
 * PORT/EPRT, QUIT, ABOR) are barriers: later commands wait for them.
 * Backpressure never drops or cuts a reply: a line goes out whole or waits
 * (in the server's input, or as a queued local reply) until the client has
 * taken enough, and SESS_FATAL_ROOM stays free for a last 421. Every line
 * of the server's that reaches the client goes through sess_relay, which
 * replaces LAN addresses (ftp_scrub).
 */
#ifndef FTPSGW_PROXY_SESSION_INT_H
#define FTPSGW_PROXY_SESSION_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "proxy/buf.h"
#include "proxy/config.h"
#include "proxy/conn.h"
#include "proxy/data_plan.h"
#include "proxy/ftp_line.h"
#include "proxy/ftp_parse.h"
#include "proxy/ftp_scrub.h"
#include "proxy/admission.h"
#include "proxy/limits.h"
#include "proxy/loop.h"
#include "proxy/netaddr.h"
#include "proxy/telnet.h"
#include "proxy/tls.h"
#include "proxy/voice.h"
#include "proxy/xfer.h"
#include "proxy/xferlog.h"

struct data_chan;

/* How long a closing session may take to flush its last reply. */
#define SESS_CLOSE_MS 3000
/* Room kept free in the client's output for one local reply. */
#define SESS_REPLY_ROOM 512
_Static_assert(VOICE_LINE_MAX + 2 <= SESS_REPLY_ROOM,
    "a reply line of the gateway's voice must fit SESS_REPLY_ROOM");
/* Room no reply but the last one (sess_fatal's 421) may take, so that the
 * last word always fits without cutting what is queued before it. */
#define SESS_FATAL_ROOM 128
/* Room kept free in the server's output for a command of ours sent from
 * the reply path (the NOOP that ends an abort, the PASV after a refused
 * EPSV). */
#define SESS_OWN_ROOM 64

/* The states of the client's side and of the server's (the diagram and the
 * transitions each allows: session_out.c). Set by sess_new, then only by
 * sess_set_cstate and sess_set_bstate. */
enum sess_cstate {
	CS_TLS_ACCEPT, CS_PLAIN, CS_AUTH_REPLY, CS_SECURE, CS_CCC_REPLY,
	CS_CCC_WAIT, CS_COUNT
};
enum sess_bstate {
	BS_ROUTE, BS_CONNECTING, BS_GREETING, BS_HOLD, BS_HOST, BS_AUTH, BS_HANDSHAKE,
	BS_SETUP, BS_READY, BS_COUNT
};

/* What a forwarded command awaits from the server. Each kind's reply
 * handler and properties are one row of sess_pend_kinds (session_reply.c). */
enum pend_kind {
	PEND_REPLY,	/* relay the backend's reply */
	PEND_FEAT,	/* relay, filtered, with ftpsgw's features added */
	PEND_PASSIVE,	/* EPSV/PASV sent; answer with our own port */
	PEND_ACTIVE,	/* our PORT/EPRT sent; relay the verdict */
	PEND_TRANSFER,	/* 1xx relayed; final reply ordered after the data */
	PEND_QUIT,	/* relay, then end the session */
	PEND_LOCAL,	/* no backend reply: emit 'local' when at the head */
	PEND_OWN,	/* our own command (data_path = kernel: PROT to match
			 * the client's): the reply is logged, not relayed */
	PEND_ABOR,	/* ABOR: its one final reply is relayed, up to the
			 * 200 of a NOOP sent after the first reply that
			 * followed the ABOR, which ends it (servers answer an
			 * abort and the transfer it ends with one, two or odd
			 * replies); see sess_abor_reply */
	PEND_COUNT
};

struct pending {
	enum pend_kind kind;
	bool client_epsv;	/* PASSIVE: client asked EPSV (answer 229) */
	bool sent_epsv;		/* PASSIVE: we sent EPSV (PASV fallback possible) */
	bool multi;		/* FEAT, ABOR: inside a multi-line reply */
	bool synced;		/* ABOR: our NOOP is out */
	bool answered;		/* ABOR: its final reply was relayed */
	bool swallow;		/* ABOR: the reply under way is not relayed */
	bool noop_reply;	/* ABOR: the reply under way is our NOOP's */
	bool started;		/* TRANSFER: a 1xx came (data may flow) */
	bool upload;		/* TRANSFER: STOR, STOU or APPE */
	bool aborted;		/* TRANSFER: ABOR came behind it */
	enum voice fail;	/* TRANSFER: why its data channel failed, as
				 * its final reply came (V_COUNT: it did not) */
	bool login;		/* REPLY: USER/PASS/ACCT (230 = logged in) */
	bool pass;		/* REPLY: PASS (530 = a failed login) */
	uint64_t user;		/* REPLY, login: gw_user_hash of the user
				 * name it logs in (or fails) as */
	char type;		/* REPLY: TYPE asked, 'A' or 'I' (any other
				 * type), 0 for another command */
	bool xfer;		/* TRANSFER: its final reply ends the
				 * transfer the transfer log records */
	const char *local;	/* LOCAL: reply line without CRLF */
};

/* What the transfer log needs of a session (session_xfer.c), and the
 * status page (session_status.c): kept with or without transfer_log. */
struct sess_xfer {
	bool binary;		/* the server accepted a TYPE other than A
				 * (RFC 959 starts in ASCII) */
	bool active;		/* a transfer is under way, not yet logged */
	bool upload;
	bool stou;		/* the name is still to come from the
				 * server's "FILE: name" (STOU) */
	uint64_t start_ms;
	uint64_t down0, up0;	/* the session's data bytes at its start */
	/* Peer bytes, one more than a field takes, so a longer name is
	 * logged as cut. */
	char name[XFERLOG_NAME_MAX + 1];
	size_t name_len;
	char user[XFERLOG_USER_MAX + 1];	/* logged in as (230) */
	size_t user_len;
	bool anonymous;
	char next[XFERLOG_USER_MAX + 1];	/* the USER (anonymous: the
						 * address given as PASS) a
						 * 230 would log in */
	size_t next_len;
	bool next_anonymous;
	uint64_t next_hash;			/* gw_user_hash of the USER */
};

struct session {
	struct gw *gw;
	struct list_link link;		/* gw->sessions */
	uint64_t id;
	uint64_t started_ms;		/* loop time it was accepted */
	char tag[NETADDR_STRLEN + 24];	/* "#12 203.0.113.10" */
	bool implicit;
	struct net_addr client, local;	/* client control conn endpoints */
	struct net_addr be_local;	/* our end of the backend control conn */
	bool be_transparent;		/* ... made from the client's address
					 * (backend_source = client) */
	uint64_t be_connect_ns;		/* its connect began (ns) */
	/* LAN addresses replies may name, and what the client sees instead */
	struct ftp_scrub_pair scrub[FTP_SCRUB_PAIRS_MAX];
	size_t n_scrub;
	bool scrub_logged;		/* a withheld passive reply was logged */

	struct conn cli, be;
	struct buf cli_in, cli_out, be_in, be_out;
	struct ftp_framer cli_fr, be_fr;
	/* Telnet under the framers: cli_in and be_in hold decoded bytes,
	 * then cli_keep / be_keep (0 or 1) raw bytes: an IAC whose meaning
	 * the next read decides (sess_telnet_in). */
	struct telnet_dec cli_tn, be_tn;
	size_t cli_keep, be_keep;
	struct ftp_reply_parser be_rp;
	enum sess_cstate cstate;
	enum sess_bstate bstate;
	unsigned setup_left;		/* BS_SETUP: replies still awaited */

	struct pending fifo[CMD_FIFO_MAX];
	unsigned fifo_head, fifo_len;
	bool replacing;			/* dropping a final reply we replace */
	const char *replacement;	/* ... by this (static text) */
	bool abor_sync;			/* send the ABOR sync NOOP after the
					 * next complete reply */

	bool pbsz, prot_p;
	bool be_prot_p;			/* the server's protection level: P */
	bool logged_in;			/* the server answered 230 */
	uint64_t user;			/* gw_user_hash of the last USER */
	bool ccc;			/* TLS was cleared by CCC */
	bool quit_sent;			/* the client's QUIT went to the server */
	bool be_no_epsv;		/* backend refused EPSV once */
	bool epsv_all;			/* client sent EPSV ALL (RFC 2428) */
	bool greeted;			/* the client got its 220 */
	bool be_counted;		/* s->tls.be's session count holds us */
	/* route = user: the USER that chose the server, sent to it as its
	 * first user_len bytes (without "@NAME"); 0: send it as it came. */
	bool routed;
	bool route_first;		/* that USER is still to be sent */
	/* The pool the session's server came from (-1: not yet), and the
	 * backends of it that could not be reached (bit 1 << index): a
	 * connect that fails goes to another member (sess_route_retry). */
	int route_pool;
	uint64_t route_tried;
	/* route = user: the client's HOST (RFC 7151), answered by ftpsgw
	 * before USER chose the server, and sent to that server before its
	 * AUTH TLS, as a client would; its reply is ftpsgw's to read. */
	char *route_host;		/* malloc'd, only then; NULL: none */
	size_t route_host_len;		/* 0: no HOST */
	bool route_host_sent;		/* BS_HOST is for that one */
	size_t user_cut;
	bool closing;
	bool state_bug;			/* a refused state change was logged */
	const char *fatal_line;		/* last reply, once TLS with the client is up */
	bool dead;
	unsigned transfers;
	uint64_t data_down, data_up;	/* bytes relayed on data connections */
	struct sess_xfer xfer;

	struct data_chan *data;
	struct tls_app tls;
	struct loop_timer timer;	/* connect, idle or closing deadline */
	struct loop_timer hs_timer;	/* client TLS handshake deadline */
	struct loop_deferred kick;	/* re-run the pump */
	struct loop_deferred reap;	/* free */
};

/* Keep up to cap bytes of src in dst (peer bytes, no terminator): what
 * the transfer log and the status page hold of a name. */
static inline size_t
sess_keep(char *dst, size_t cap, const char *src, size_t len)
{
	size_t n = len < cap ? len : cap;

	if (n > 0)
		memcpy(dst, src, n);
	return n;
}

static inline struct loop *
sess_loop(const struct session *s)
{
	return s->gw->loop;
}

/* The session's FTP server: its address and port as resolved, and its
 * configuration (s->tls.be, chosen at accept or at USER). */
static inline const struct net_addr *
sess_be_addr(const struct session *s)
{
	return &s->gw->shared->backend[s->tls.be];
}

static inline const struct cfg_backend *
sess_be_cfg(const struct session *s)
{
	return &s->gw->cfg->backends[s->tls.be];
}

/* Did the client secure the control channel (TLS now, or TLS until CCC)? */
static inline bool
sess_secured(const struct session *s)
{
	return s->cstate == CS_SECURE || s->ccc;
}

/* ---- FIFO ---- */

static inline struct pending *
sess_fifo_at(struct session *s, unsigned i)
{
	return &s->fifo[(s->fifo_head + i) % CMD_FIFO_MAX];
}

static inline struct pending *
sess_fifo_push(struct session *s, enum pend_kind kind)
{
	struct pending *p = sess_fifo_at(s, s->fifo_len++);

	memset(p, 0, sizeof(*p));
	p->kind = kind;
	return p;
}

static inline void
sess_fifo_pop(struct session *s)
{
	s->fifo_head = (s->fifo_head + 1) % CMD_FIFO_MAX;
	s->fifo_len--;
}

/* Is there room in the client's output for a reply line of n bytes (CRLF
 * added), with SESS_FATAL_ROOM still free after it? */
static inline bool
sess_room(const struct session *s, size_t n)
{
	return buf_space(&s->cli_out) >= n + 2 + SESS_FATAL_ROOM;
}

/* session_out.c */
/* Append one reply line of ours (CRLF added) to the client's output. The
 * caller checked sess_room; a line that does not fit anyway is a broken
 * invariant: logged, and the session ends with a 421 (never a reply lost
 * or glued to the next one). */
void sess_put(struct session *s, const char *line);
/* Relay one line of the server's reply (no CRLF) to the client, cleaned
 * of LAN addresses (ftp_scrub_reply); as sess_put otherwise. */
void sess_relay(struct session *s, const char *line, size_t len);
/* Emit the local replies at the FIFO head, while there is room. */
void sess_drain_local(struct session *s);
/* A reply of ours: now if nothing is pending and there is room, else
 * queued in command order. line is static text. */
void sess_reply(struct session *s, const char *line);
/* Queue bytes for the server. The callers keep room (FTP_LINE_MAX + 2 for
 * a forwarded command, SESS_OWN_ROOM for our own); bytes that do not fit
 * anyway end the session with a 421, as a command lost would pair every
 * later reply with the wrong command. */
void sess_send_be(struct session *s, const char *line, size_t len);
/* A command of ftpsgw's own (CRLF-terminated lines), logged at debug. */
void sess_send_own(struct session *s, const char *lines, size_t len);
/* Send a string literal of our own (its length counted by the compiler). */
#define SESS_SEND_LIT(s, lit) sess_send_own((s), (lit), sizeof(lit) - 1)
/* End the session after the client got line (static text, a 421 usually;
 * NULL: nothing more is said): the FIFO is emptied, the data channel
 * aborted, and SESS_CLOSE_MS given to flush the output. Said inside TLS
 * once a handshake under way is done. Once closing, a no-op. */
void sess_fatal(struct session *s, const char *line);
/* A transfer ended as e says (the FIFO entry gone or going): its outcome
 * (proxy/xfer.c) is counted by direction. The one place transfers are
 * counted. */
void sess_xfer_end(struct session *s, bool upload, const struct xfer_end *e);
/* The transfers in the FIFO will get no final reply (the session ends, or
 * its FIFO is emptied): each ends now, without one. */
void sess_xfer_abandon(struct session *s);
/* Let go of the data channel (counting its bytes): abort closes it at once,
 * otherwise a channel finishing its close_notify exchange completes it. */
void sess_data_drop(struct session *s, bool abort);
/* The one way to change s->cstate / s->bstate once sess_new has set them.
 * A transition the tables in session_out.c do not allow is a bug: logged
 * at err with both states, and the session ends with the internal-error
 * 421 (sess_fatal); the state stays as it was and false is returned, after
 * which the caller must not go on as if the new state held (no deadline
 * set for it, nothing sent for it). */
bool sess_set_cstate(struct session *s, enum sess_cstate next);
bool sess_set_bstate(struct session *s, enum sess_bstate next);

/* session_preamble.c: the backend's login preamble, BS_CONNECTING to
 * BS_READY (its steps are told there). */
/* Start it: connect_timeout runs from here; a failure to even start the
 * connection ends the session (sess_be_failed). */
void sess_be_begin(struct session *s);
/* Which server (issue 17). route = default: the default pool's member
 * (balance) at accept, then sess_be_begin; none up: 421. */
void sess_route_default(struct session *s);
/* The TCP connect to the session's server failed (why) before any byte:
 * take another member of its pool not tried yet and connect there
 * (true), or false when none is left (the caller ends the session). */
bool sess_route_retry(struct session *s, const char *why);
/* route = user: the client gets ftpsgw's banner at once (BS_ROUTE). */
void sess_route_greet(struct session *s);
/* BS_ROUTE, the client's USER: its pool (name@NAME, user_map,
 * default_pool) and member; true when the server is being dialled (the
 * USER waits for BS_READY, sent without "@NAME": s->user_cut), false when
 * refused (530 no route, or 421 none up; the reply is queued). */
bool sess_route_user(struct session *s, const struct ftp_cmd *cmd);
/* A later USER of a routed session: may it go to this session's server
 * (its route includes s->tls.be)? *cut as for the first. */
bool sess_route_same(struct session *s, const struct ftp_cmd *cmd,
    size_t *cut);
/* What this session found of the FTP server, for the metrics: up once it
 * greeted, down when the preamble failed (ftpsgw_backend_state). */
void sess_be_health(struct session *s, enum metrics_health h);
/* The FTP server is unusable (what: why, for the log): logged at err,
 * the client gets its 421, the connection to the server is closed. */
void sess_be_failed(struct session *s, const char *what);
/* The TCP connection to the server is up: go on to its greeting (or to
 * TLS first, backend_tls = implicit). False if the session is ending. */
bool sess_be_connected(struct session *s);
/* The TLS handshake with the server is done and its certificate checked:
 * go on to the greeting (implicit) or to PBSZ and PROT P (explicit). */
void sess_be_secured(struct session *s);
/* BS_HOLD: the client's first command lets the backend preamble go on;
 * true if it was a HOST, which is sent first and so consumed here. */
bool sess_be_release(struct session *s, const struct ftp_cmd *cmd);
/* One line of the server's while the preamble runs (bstate neither
 * BS_CONNECTING, BS_HANDSHAKE nor BS_READY). */
void sess_preamble_line(struct session *s, const char *line, size_t len);

/* session_data.c: build the plan for a data channel (mode; passive: the
 * server's passive port; active: the address the client's PORT/EPRT
 * named) and open the channel as s->data. On success *announce is the
 * address and port to tell the other side; else *reply is the client's. */
bool sess_data_open(struct session *s, enum data_mode mode,
    uint16_t server_port, const struct net_addr *named,
    struct net_addr *announce, const char **reply);

/* session_xfer.c: the transfer log's record (transfer_log =; the line is
 * written only with it, the record kept for the status page too). */
/* A command was forwarded as p: USER, PASS after an anonymous USER, and
 * TYPE are noted for their replies; RETR, STOR, APPE and STOU begin a
 * transfer (LIST, NLST and MLSD are listings, not logged). */
void sess_xfer_command(struct session *s, struct pending *p,
    const struct ftp_cmd *cmd);
/* A reply line for p (PEND_REPLY or PEND_TRANSFER), before its handler
 * acts on it: a 230 sets who is logged in, a 2xx to TYPE the type, STOU's
 * reply its name; the final reply of a logged transfer ends it, and the
 * line is written (complete: a 2xx, relayed as such, with the data ended
 * cleanly). */
void sess_xfer_reply(struct session *s, const struct pending *p,
    enum ftp_reply_line kind, unsigned code, const char *line, size_t len);
/* What the session knows as the final reply code of the transfer p
 * comes: the one description both the metrics (sess_xfer_end) and the
 * transfer log judge with xfer_outcome. */
void sess_xfer_end_of(const struct session *s, const struct pending *p,
    unsigned code, struct xfer_end *e);
/* The session ends: a transfer under way is logged as incomplete. */
void sess_xfer_close(struct session *s);

/* session_cmd.c: process the complete command lines in cli_in. */
void sess_client_lines(struct session *s);

/* session_reply.c: one reply line while BS_READY; false holds it (the
 * transfer's final reply waits for the end of data). */
bool sess_reply_line(struct session *s, const char *line, size_t len);
/* Is a command whose reply is of this kind a barrier: must later commands
 * wait until it is answered? (The kinds' table in session_reply.c.) */
bool sess_pend_barrier(enum pend_kind kind);

#endif
