/* Backend control connections on their way out (see quitter.h). */
#include "proxy/quitter.h"

#include <stdlib.h>

#include <openssl/ssl.h>

#include "proxy/buf.h"
#include "proxy/conn.h"
#include "proxy/worker_ctx.h"
#include "proxy/loop.h"

/* How long the server gets to answer QUIT and close. */
#define QUITTER_MS 2000
/* Replies read and dropped while waiting (a 221, a late 226 or 426). */
#define QUITTER_BUF 1024
/* Reads per wake-up: a server that keeps talking cannot hold the loop. */
#define QUITTER_READS 16

struct quitter {
	struct gw *gw;
	struct conn c;
	struct buf io;			/* "QUIT\r\n" out, then replies in */
	bool sent;
	struct loop_timer timer;
	struct loop_deferred reap;
	struct list_link link;		/* gw->quitters */
};

static void
quitter_reap(struct loop_deferred *d)
{
	struct quitter *q = container_of(d, struct quitter, reap);
	struct gw *gw = q->gw;

	list_unlink(&gw->quitters, &q->link);
	buf_free(&q->io);
	free(q);
	gw_stop_if_done(gw);
}

static void
quitter_done(struct quitter *q)
{
	if (q->c.ev.fd >= 0)
		conn_close(q->gw->loop, &q->c);
	loop_timer_cancel(q->gw->loop, &q->timer);
	loop_defer(q->gw->loop, &q->reap);
}

static void
quitter_on_timer(struct loop_timer *t)
{
	quitter_done(container_of(t, struct quitter, timer));
}

static void
quitter_on_io(struct loop_ev *ev, uint32_t events)
{
	struct quitter *q = container_of(ev, struct quitter, c.ev);
	enum io_result r = IO_OK;
	unsigned i;

	(void)events;
	if (q->c.ev.fd < 0)
		return;
	if (!q->sent) {
		r = conn_write(&q->c, &q->io);
		if (r == IO_ERR) {
			quitter_done(q);
			return;
		}
		q->sent = r == IO_OK;
	}
	for (i = 0; i < QUITTER_READS; i++) {
		r = conn_read(&q->c, &q->io);
		if (r != IO_OK)
			break;
		buf_consume(&q->io, buf_len(&q->io));
	}
	if (r == IO_EOF || r == IO_ERR) {
		/* The server closed first: its side keeps the TIME_WAIT. */
		(void)conn_shutdown(&q->c);
		quitter_done(q);
		return;
	}
	conn_arm(q->gw->loop, &q->c, q->sent, !q->sent);
}

void
quitter_start(struct gw *gw, struct conn *c, bool send_quit)
{
	struct quitter *q = calloc(1, sizeof(*q));

	loop_forget(gw->loop, &c->ev);
	if (q == NULL) {
		conn_close(gw->loop, c);
		return;
	}
	q->gw = gw;
	q->c = *c;			/* takes over the fd and the SSL */
	q->c.ev.cb = quitter_on_io;
	if (q->c.ssl != NULL)
		SSL_set_app_data(q->c.ssl, NULL);	/* the session is gone */
	c->ev.fd = -1;
	c->ssl = NULL;
	buf_init(&q->io, QUITTER_BUF);
	q->sent = !send_quit || !buf_append(&q->io, "QUIT\r\n", 6);
	loop_timer_init(&q->timer, quitter_on_timer);
	q->reap.cb = quitter_reap;
	list_push(&gw->quitters, &q->link);
	loop_timer_set(gw->loop, &q->timer, QUITTER_MS);
	quitter_on_io(&q->c.ev, 0);
}

void
quitter_abort_all(struct gw *gw)
{
	struct list_link *l;

	/* Reaping is deferred: the list stays whole during the walk. */
	for (l = gw->quitters; l != NULL; l = l->next) {
		struct quitter *q = container_of(l, struct quitter, link);

		if (q->c.ev.fd >= 0)
			quitter_done(q);
	}
}
