/* Fixed-capacity byte buffers with lazily allocated, released-when-empty storage. */
#include "proxy/buf.h"

#include <stdlib.h>
#include <string.h>

void
buf_init(struct buf *b, size_t cap)
{
	b->data = NULL;
	b->cap = cap;
	b->start = b->end = 0;
}

void
buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->start = b->end = 0;
}

char *
buf_tail(struct buf *b, size_t *space)
{
	if (b->data == NULL) {
		b->data = malloc(b->cap);
		if (b->data == NULL) {
			*space = 0;
			return NULL;
		}
	}
	if (b->start > 0 && b->end == b->cap) {
		/* Compact: SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER allows this even
		 * while a write of these bytes is pending. */
		memmove(b->data, b->data + b->start, b->end - b->start);
		b->end -= b->start;
		b->start = 0;
	}
	*space = b->cap - b->end;
	return b->data + b->end;
}

void
buf_produce(struct buf *b, size_t n)
{
	b->end += n;
}

void
buf_consume(struct buf *b, size_t n)
{
	b->start += n;
	if (b->start == b->end)
		buf_free(b);
}

void
buf_truncate(struct buf *b, size_t len)
{
	b->end = b->start + len;
	if (len == 0)
		buf_free(b);
}

bool
buf_append(struct buf *b, const void *p, size_t n)
{
	size_t space;
	char *t;

	if (n > buf_space(b))
		return false;
	if (n == 0)
		return true;
	t = buf_tail(b, &space);
	if (t == NULL)
		return false;
	if (space < n) {
		memmove(b->data, b->data + b->start, b->end - b->start);
		b->end -= b->start;
		b->start = 0;
		t = b->data + b->end;
	}
	memcpy(t, p, n);
	b->end += n;
	return true;
}
