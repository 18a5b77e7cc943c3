/* One session as the status page lists it (proxy/session.h,
 * sess_status): its addresses, who is logged in, what it is doing and the
 * file transfer under way, copied into a fixed record on the session's own
 * thread. Calls no other file of the session (layering:
 * proxy/session_int.h). */
#include <string.h>

#include "proxy/data.h"
#include "proxy/session.h"
#include "proxy/session_int.h"
#include "proxy/status.h"

/* What the session is doing, in the page's words. */
static enum status_state
sess_status_state(const struct session *s)
{
	if (s->closing)
		return STATUS_ST_CLOSING;
	if (s->cstate == CS_TLS_ACCEPT || s->cstate == CS_AUTH_REPLY ||
	    !s->cli.hs_done)
		return STATUS_ST_HANDSHAKE;
	if (s->bstate != BS_READY && s->bstate != BS_HOLD)
		return STATUS_ST_CONNECTING;
	if (s->xfer.active)
		return s->xfer.upload ? STATUS_ST_UPLOAD : STATUS_ST_DOWNLOAD;
	if (!s->logged_in)
		return STATUS_ST_LOGIN;
	if (s->data != NULL)
		return STATUS_ST_DATA;
	return STATUS_ST_IDLE;
}

void
sess_status(const struct session *s, struct status_sess *r)
{
	const struct sess_xfer *x = &s->xfer;
	uint64_t now = loop_now(sess_loop(s)), d = 0, u = 0;

	memset(r, 0, sizeof(*r));
	r->id = s->id;
	netaddr_str_port(&s->client, r->client, sizeof(r->client));
	netaddr_str_port(&s->local, r->listener, sizeof(r->listener));
	r->implicit = s->implicit;
	r->worker = s->gw->worker;
	r->state = sess_status_state(s);
	if (s->logged_in) {
		r->user_len = sess_keep(r->user, sizeof(r->user),
		    x->user, x->user_len);
		r->anonymous = x->anonymous;
	}
	r->age_ms = now - s->started_ms;
	if (s->data != NULL)
		data_counts(s->data, &d, &u);
	r->data_down = s->data_down + d;
	r->data_up = s->data_up + u;
	if (x->active) {
		r->file_len = sess_keep(r->file, sizeof(r->file),
		    x->name, x->name_len);
		r->xfer_bytes = x->upload ? r->data_up - x->up0 :
		    r->data_down - x->down0;
		r->xfer_ms = now - x->start_ms;
	}
}
