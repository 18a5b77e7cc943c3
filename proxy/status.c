/* The status snapshot's small pure helpers (proxy/status.h): the refusals'
 * ring and the words for states. Pure: no I/O. */
#include "proxy/status.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char *const status_state_words[STATUS_ST__N] = {
	[STATUS_ST_HANDSHAKE] = "TLS handshake",
	[STATUS_ST_CONNECTING] = "connecting to the server",
	[STATUS_ST_LOGIN] = "logging in",
	[STATUS_ST_IDLE] = "idle",
	[STATUS_ST_DATA] = "data channel open",
	[STATUS_ST_DOWNLOAD] = "downloading",
	[STATUS_ST_UPLOAD] = "uploading",
	[STATUS_ST_CLOSING] = "closing",
};

const char *
status_state_text(enum status_state st)
{
	return (unsigned)st < STATUS_ST__N ? status_state_words[st] : "?";
}

const char *
status_health_text(enum status_health h)
{
	switch (h) {
	case STATUS_HEALTH_UP:
		return "up";
	case STATUS_HEALTH_DOWN:
		return "down";
	case STATUS_HEALTH_UNKNOWN:
		break;
	}
	return "unknown";
}

uint64_t
status_rate(uint64_t bytes, uint64_t ms)
{
	if (ms == 0)
		return 0;
	/* bytes * 1000 would overflow past 18 PB: divide first then. */
	if (bytes > UINT64_MAX / 1000u)
		return bytes / ms * 1000u;
	return bytes * 1000u / ms;
}

/* Copy a NUL-terminated text into dst (cap bytes), cut to fit. */
static void
status_copy(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

void
status_ring_push(struct status_ring *ring, uint64_t when, const char *client,
    const char *reason)
{
	struct status_refusal *r = &ring->r[ring->next];

	r->when = when;
	status_copy(r->client, sizeof(r->client), client);
	status_copy(r->reason, sizeof(r->reason), reason);
	ring->next = (ring->next + 1) % STATUS_REFUSALS_MAX;
	if (ring->n < STATUS_REFUSALS_MAX)
		ring->n++;
	ring->total++;
}

void
status_ring_copy(const struct status_ring *ring, struct status_snap *s)
{
	size_t i, at = ring->next;

	for (i = 0; i < ring->n; i++) {
		at = (at + STATUS_REFUSALS_MAX - 1) % STATUS_REFUSALS_MAX;
		s->refusal[i] = ring->r[at];
	}
	s->n_refusals = ring->n;
	s->refusals_total = ring->total;
}

const char *
status_fmt_bytes(char *buf, size_t cap, uint64_t v, const char *suffix)
{
	static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB",
	    "PiB", "EiB" };
	uint64_t div = 1024;
	size_t i = 0;

	if (v < 1024) {
		snprintf(buf, cap, "%" PRIu64 " B%s", v, suffix);
		return buf;
	}
	while (i + 1 < sizeof(unit) / sizeof(unit[0]) && v / div >= 1024) {
		div *= 1024;
		i++;
	}
	snprintf(buf, cap, "%" PRIu64 ".%" PRIu64 " %s%s", v / div,
	    (v % div) * 10 / div, unit[i], suffix);
	return buf;
}

const char *
status_fmt_duration(char *buf, size_t cap, uint64_t ms)
{
	uint64_t s = ms / 1000;

	if (s >= 3600)
		snprintf(buf, cap, "%" PRIu64 "h%02" PRIu64 "m", s / 3600,
		    s / 60 % 60);
	else if (s >= 60)
		snprintf(buf, cap, "%" PRIu64 "m%02" PRIu64 "s", s / 60,
		    s % 60);
	else
		snprintf(buf, cap, "%" PRIu64 "s", s);
	return buf;
}
