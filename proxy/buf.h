/* Fixed-capacity byte buffer with lazily allocated storage. A zeroed struct
 * with cap set is a valid empty buffer; storage is released when empty so
 * idle sessions stay small. No pointer into a buffer survives a return to
 * the event loop (storage may be compacted or freed). */
#ifndef FTPSGW_PROXY_BUF_H
#define FTPSGW_PROXY_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct buf {
	char *data;		/* NULL until first write */
	size_t cap;		/* capacity of data once allocated */
	size_t start, end;	/* live bytes are data[start..end) */
};

/* An empty buffer of capacity cap (no allocation yet). */
void buf_init(struct buf *b, size_t cap);

/* Free the storage; the buffer is empty afterwards. */
void buf_free(struct buf *b);

static inline size_t
buf_len(const struct buf *b)
{
	return b->end - b->start;
}

static inline const char *
buf_head(const struct buf *b)
{
	return b->data + b->start;
}

/* The live bytes, writable, for rewriting them in place (the Telnet layer
 * decodes its input where it was read). Only while buf_len(b) > 0. */
static inline char *
buf_head_mut(struct buf *b)
{
	return b->data + b->start;
}

/* Bytes that can still be appended (after compaction). */
static inline size_t
buf_space(const struct buf *b)
{
	return b->cap - buf_len(b);
}

/*
 * buf_tail - make room and return where the next bytes go; *space is set to
 * the contiguous room there (== buf_space). Returns NULL on ENOMEM.
 */
char *buf_tail(struct buf *b, size_t *space);

/* Mark n bytes written at buf_tail() as live. */
void buf_produce(struct buf *b, size_t n);

/* Drop n bytes from the head; releases the storage when it empties. */
void buf_consume(struct buf *b, size_t n);

/* Keep the first len live bytes, dropping the rest (len <= buf_len);
 * releases the storage when nothing is kept. */
void buf_truncate(struct buf *b, size_t len);

/* Append n bytes; returns false (and appends nothing) if they do not fit. */
bool buf_append(struct buf *b, const void *p, size_t n)
    __attribute__((warn_unused_result));

#endif
