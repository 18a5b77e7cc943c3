/* `ftpsgw --status` (proxy/status_cli.h). A client of ftpsgw's own
 * listener, never a server: it sends one fixed request and reads the
 * answer up to a cap and a deadline; the status line is checked, the
 * headers skipped to the blank line, and the body goes to the pure reader
 * (proxy/status_table.c). Nonblocking socket and poll: nothing waits
 * longer than the deadline. */
#include "proxy/status_cli.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proxy/json.h"
#include "proxy/status_table.h"

static const char status_cli_req[] = "GET /status.json HTTP/1.0\r\n"
    "Accept: application/json\r\nConnection: close\r\n\r\n";

static long long
status_cli_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for events on fd until the deadline: 1 ready, 0 time out, -1. */
static int
status_cli_wait(int fd, short events, long long deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	long long left;
	int r;

	for (;;) {
		left = deadline - status_cli_ms();
		if (left <= 0)
			return 0;
		r = poll(&p, 1, (int)left);
		if (r >= 0 || errno != EINTR)
			return r < 0 ? -1 : r > 0;
	}
}

/* Connect, send the request, read the whole answer into *out (malloc'd,
 * NUL-terminated). Returns 0, or -1 with *why set. */
static int
status_cli_fetch(const struct sockaddr_storage *addr, socklen_t len,
    char **out, size_t *out_len, const char **why)
{
	long long deadline = status_cli_ms() + STATUS_CLI_TIMEOUT_MS;
	size_t got = 0, cap = 64 * 1024, sent = 0;
	char *buf = NULL, *more;
	socklen_t elen = sizeof(int);
	int fd, err = 0, r;
	ssize_t n;

	*why = NULL;
	fd = socket(addr->ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)addr, len) < 0) {
		if (errno != EINPROGRESS)
			goto fail;
		r = status_cli_wait(fd, POLLOUT, deadline);
		if (r <= 0)
			goto timeout;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
			goto fail;
		if (err != 0) {
			errno = err;
			goto fail;
		}
	}
	while (sent < sizeof(status_cli_req) - 1) {
		n = send(fd, status_cli_req + sent, sizeof(status_cli_req) - 1 -
		    sent, MSG_NOSIGNAL);
		if (n > 0) {
			sent += (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			goto fail;
		if ((r = status_cli_wait(fd, POLLOUT, deadline)) <= 0)
			goto timeout;
	}
	buf = malloc(cap + 1);
	if (buf == NULL)
		goto fail;
	for (;;) {
		if (got == cap) {
			if (cap >= STATUS_CLI_MAX) {
				*why = "the answer is larger than "
				    "ftpsgw --status reads (16 MiB)";
				goto fail;
			}
			cap *= 2;
			more = realloc(buf, cap + 1);
			if (more == NULL)
				goto fail;
			buf = more;
		}
		n = recv(fd, buf + got, cap - got, 0);
		if (n > 0) {
			got += (size_t)n;
			continue;
		}
		if (n == 0)
			break;
		if (errno != EAGAIN && errno != EINTR)
			goto fail;
		if ((r = status_cli_wait(fd, POLLIN, deadline)) <= 0)
			goto timeout;
	}
	close(fd);
	buf[got] = '\0';
	*out = buf;
	*out_len = got;
	return 0;
timeout:
	if (*why == NULL)
		*why = "no complete answer within 5 s";
fail:
	err = errno;
	free(buf);
	close(fd);
	errno = err;
	return -1;
}

int
status_cli(const struct sockaddr_storage *addr, socklen_t len,
    const char *name)
{
	const char *why, *body;
	struct json_tok *tok = NULL;
	char *text = NULL, *out = NULL;
	size_t text_len, body_len, ntok, out_len;
	struct json_doc d;
	int rc = 1;

	if (status_cli_fetch(addr, len, &text, &text_len, &why) < 0) {
		fprintf(stderr, "ftpsgw --status: %s: %s (is ftpsgw running "
		    "with metrics_listen = %s, and may this host reach it?)\n",
		    name, why != NULL ? why : strerror(errno), name);
		return 1;
	}
	if (strncmp(text, "HTTP/1.", 7) != 0 || text_len < 12 ||
	    strncmp(text + 8, " 200", 4) != 0) {
		fprintf(stderr, "ftpsgw --status: %s: the answer is not "
		    "\"200 OK\" (%.40s...): is this ftpsgw's metrics_listen, "
		    "of a version with the status page?\n", name,
		    strtok(text, "\r\n"));
		goto out;
	}
	body = strstr(text, "\r\n\r\n");
	if (body == NULL) {
		fprintf(stderr, "ftpsgw --status: %s: the answer was cut "
		    "short\n", name);
		goto out;
	}
	body += 4;
	body_len = text_len - (size_t)(body - text);
	if (json_parse(body, body_len, NULL, 0, &ntok, &d) != JSON_OK) {
		fprintf(stderr, "ftpsgw --status: %s: the answer is not "
		    "JSON\n", name);
		goto out;
	}
	tok = calloc(ntok > 0 ? ntok : 1, sizeof(*tok));
	if (tok == NULL)
		goto nomem;
	if (status_table(body, body_len, tok, ntok, NULL, 0, &out_len) !=
	    STATUS_TABLE_OK) {
		fprintf(stderr, "ftpsgw --status: %s: the answer is not a "
		    "status document\n", name);
		goto out;
	}
	out = malloc(out_len + 1);
	if (out == NULL)
		goto nomem;
	(void)status_table(body, body_len, tok, ntok, out, out_len + 1,
	    &out_len);
	fwrite(out, 1, out_len, stdout);
	rc = fflush(stdout) == 0 ? 0 : 1;
	goto out;
nomem:
	fprintf(stderr, "ftpsgw --status: out of memory\n");
out:
	free(out);
	free(tok);
	free(text);
	return rc;
}
