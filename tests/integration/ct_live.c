/* ct_live: drives conntrack/ct.c against the real kernel for
 * test_conntrack_live.py. Opens a master TCP connection (client socket
 * optionally created in another network namespace), creates an expectation
 * for it, optionally waits for data connections, deletes it, and prints one
 * parsable line per step:
 *
 *   master SRC SPORT DST DPORT
 *   add RC ERRNAME            (RC 0 or negative errno)
 *   add2 RC ERRNAME           (--second-port)
 *   advice TEXT               (after a failed add or delete)
 *   READY                     (holding: stdin newline/EOF or --hold ends it)
 *   data SRC SPORT DST DPORT  (a data connection accepted while holding)
 *   del RC ERRNAME
 *
 * Exit status 0 when every step ran (whatever the kernel answered), 2 on
 * usage or setup errors. Every wait is bounded. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "conntrack/ct.h"

#define LIVE_CONNECT_MS	2000	/* master connect and accept */
#define LIVE_HOLD_MAX	60	/* upper bound for --hold seconds */
#define LIVE_DATA_MAX	16	/* data connections accepted while holding */

struct live_opts {
	int family;
	const char *listen_addr;	/* master server address (here) */
	uint16_t port;			/* master server port */
	const char *client_addr;	/* master client source address */
	const char *client_netns;	/* netns of the client socket, or NULL */
	const char *expect_src, *expect_dst;
	uint16_t expect_port, expect_sport;
	uint16_t second_port;		/* a second expectation, same master */
	uint16_t fake_master_sport;	/* replace the master's source port */
	uint32_t timeout;
	enum ct_nat_dir nat_dir;
	const char *nat_src, *nat_dst;
	uint16_t nat_sport, nat_dport;
	uint16_t data_port;		/* listen for data here while holding */
	int hold;			/* seconds; 0: no hold */
	bool add, del, del_again, add_again;
};

static void
usage(void)
{
	fprintf(stderr,
	    "usage: ct_live --listen ADDR --client ADDR --expect-port P\n"
	    "  [--family 4|6] [--port N] [--client-netns NAME]\n"
	    "  [--expect-src ADDR] [--expect-dst ADDR] [--expect-sport N]\n"
	    "  [--second-port P] [--fake-master-sport N]\n"
	    "  [--timeout S] [--nat original|reply --nat-src ADDR\n"
	    "   --nat-sport N --nat-dst ADDR --nat-dport N]\n"
	    "  [--data-port N] [--hold S] [--no-add] [--add-again] [--del]\n"
	    "  [--del-again]\n");
	exit(2);
}

static long
num(const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *s == '\0' || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "ct_live: bad number %s\n", s);
		exit(2);
	}
	return v;
}

static void
parse_opts(int argc, char **argv, struct live_opts *o)
{
	static const struct option longopts[] = {
		{ "family", required_argument, NULL, 'f' },
		{ "listen", required_argument, NULL, 'l' },
		{ "port", required_argument, NULL, 'p' },
		{ "client", required_argument, NULL, 'c' },
		{ "client-netns", required_argument, NULL, 'n' },
		{ "expect-src", required_argument, NULL, 's' },
		{ "expect-dst", required_argument, NULL, 'd' },
		{ "expect-port", required_argument, NULL, 'e' },
		{ "expect-sport", required_argument, NULL, 'E' },
		{ "second-port", required_argument, NULL, 'S' },
		{ "fake-master-sport", required_argument, NULL, 'F' },
		{ "timeout", required_argument, NULL, 't' },
		{ "nat", required_argument, NULL, 'N' },
		{ "nat-src", required_argument, NULL, 'a' },
		{ "nat-sport", required_argument, NULL, 'A' },
		{ "nat-dst", required_argument, NULL, 'b' },
		{ "nat-dport", required_argument, NULL, 'B' },
		{ "data-port", required_argument, NULL, 'P' },
		{ "hold", required_argument, NULL, 'H' },
		{ "no-add", no_argument, NULL, '0' },
		{ "add-again", no_argument, NULL, '2' },
		{ "del", no_argument, NULL, 'x' },
		{ "del-again", no_argument, NULL, 'X' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->family = AF_INET;
	o->port = 2121;
	o->timeout = 60;
	o->add = true;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			o->family = num(optarg, 4, 6) == 6 ? AF_INET6 : AF_INET;
			break;
		case 'l': o->listen_addr = optarg; break;
		case 'p': o->port = (uint16_t)num(optarg, 1, 65535); break;
		case 'c': o->client_addr = optarg; break;
		case 'n': o->client_netns = optarg; break;
		case 's': o->expect_src = optarg; break;
		case 'd': o->expect_dst = optarg; break;
		case 'e':
			o->expect_port = (uint16_t)num(optarg, 1, 65535);
			break;
		case 'E':
			o->expect_sport = (uint16_t)num(optarg, 0, 65535);
			break;
		case 'S':
			o->second_port = (uint16_t)num(optarg, 1, 65535);
			break;
		case 'F':
			o->fake_master_sport = (uint16_t)num(optarg, 1, 65535);
			break;
		case 't':
			o->timeout = (uint32_t)num(optarg, 0, 86400);
			break;
		case 'N':
			if (strcmp(optarg, "original") == 0)
				o->nat_dir = CT_NAT_ORIGINAL;
			else if (strcmp(optarg, "reply") == 0)
				o->nat_dir = CT_NAT_REPLY;
			else
				usage();
			break;
		case 'a': o->nat_src = optarg; break;
		case 'A': o->nat_sport = (uint16_t)num(optarg, 0, 65535); break;
		case 'b': o->nat_dst = optarg; break;
		case 'B': o->nat_dport = (uint16_t)num(optarg, 0, 65535); break;
		case 'P':
			o->data_port = (uint16_t)num(optarg, 1, 65535);
			break;
		case 'H':
			o->hold = (int)num(optarg, 0, LIVE_HOLD_MAX);
			break;
		case '0': o->add = false; break;
		case '2': o->add_again = true; break;
		case 'x': o->del = true; break;
		case 'X': o->del_again = true; break;
		default: usage();
		}
	}
	if (optind != argc || o->listen_addr == NULL ||
	    o->client_addr == NULL || o->expect_port == 0)
		usage();
	if (o->expect_src == NULL)
		o->expect_src = o->client_addr;
	if (o->expect_dst == NULL)
		o->expect_dst = o->listen_addr;
}

/* Fill a sockaddr for @addr:@port; exits on a bad address. */
static socklen_t
make_sa(int family, const char *addr, uint16_t port,
    struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET6) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) != 1)
			goto bad;
		return sizeof(*sin6);
	}
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	if (inet_pton(AF_INET, addr, &sin->sin_addr) != 1)
		goto bad;
	return sizeof(*sin);
bad:
	fprintf(stderr, "ct_live: bad address %s\n", addr);
	exit(2);
}

/* Address text into a ct_tuple address field. */
static void
tuple_addr(int family, const char *addr, uint8_t *out)
{
	struct sockaddr_storage ss;

	(void)make_sa(family, addr, 0, &ss);
	if (family == AF_INET6)
		memcpy(out, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
	else
		memcpy(out, &((struct sockaddr_in *)&ss)->sin_addr, 4);
}

/* Tuple field from a socket address. */
static void
from_sa(const struct sockaddr_storage *ss, uint8_t *addr, uint16_t *port)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

	if (ss->ss_family == AF_INET6) {
		memcpy(addr, &sin6->sin6_addr, 16);
		*port = ntohs(sin6->sin6_port);
	} else {
		memcpy(addr, &sin->sin_addr, 4);
		*port = ntohs(sin->sin_port);
	}
}

static void
print_sa(const char *tag, const struct sockaddr_storage *a,
    const struct sockaddr_storage *b)
{
	char sa[INET6_ADDRSTRLEN], sb[INET6_ADDRSTRLEN];
	uint8_t x[16], y[16];
	uint16_t px, py;

	from_sa(a, x, &px);
	from_sa(b, y, &py);
	inet_ntop(a->ss_family, x, sa, sizeof(sa));
	inet_ntop(b->ss_family, y, sb, sizeof(sb));
	printf("%s %s %u %s %u\n", tag, sa, px, sb, py);
	fflush(stdout);
}

static int
listener(int family, const char *addr, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, one = 1;

	sl = make_sa(family, addr, port, &ss);
	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 8) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A TCP socket created in network namespace @netns (NULL: this one). */
static int
socket_in(const char *netns, int family)
{
	char path[256];
	int self = -1, target = -1, fd = -1;

	if (netns == NULL)
		return socket(family, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
	if ((size_t)snprintf(path, sizeof(path), "/run/netns/%s", netns) >=
	    sizeof(path))
		goto out;
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		goto out;
	target = open(path, O_RDONLY | O_CLOEXEC);
	if (target < 0)
		goto out;
	if (setns(target, CLONE_NEWNET) < 0)
		goto out;
	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (setns(self, CLONE_NEWNET) < 0) {
		perror("ct_live: setns back");
		exit(2);
	}
out:
	if (target >= 0)
		close(target);
	if (self >= 0)
		close(self);
	return fd;
}

/* Wait up to @ms for @events on @fd; true when ready. */
static bool
wait_fd(int fd, short events, int ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	int n;

	do
		n = poll(&p, 1, ms);
	while (n < 0 && errno == EINTR);
	return n == 1;
}

/* Connect client (from @o->client_addr, maybe in another netns) to the
 * listener; returns the accepted server-side socket and the client socket. */
static int
master_connect(const struct live_opts *o, int lfd, int *cfd,
    struct sockaddr_storage *cli, struct sockaddr_storage *srv)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int err = 0, sfd;

	*cfd = socket_in(o->client_netns, o->family);
	if (*cfd < 0)
		return -1;
	sl = make_sa(o->family, o->client_addr, 0, &ss);
	if (bind(*cfd, (struct sockaddr *)&ss, sl) < 0)
		return -1;
	sl = make_sa(o->family, o->listen_addr, o->port, &ss);
	if (connect(*cfd, (struct sockaddr *)&ss, sl) < 0 &&
	    errno != EINPROGRESS)
		return -1;
	if (!wait_fd(*cfd, POLLOUT, LIVE_CONNECT_MS))
		return -1;
	sl = sizeof(err);
	if (getsockopt(*cfd, SOL_SOCKET, SO_ERROR, &err, &sl) < 0 || err) {
		errno = err;
		return -1;
	}
	if (!wait_fd(lfd, POLLIN, LIVE_CONNECT_MS))
		return -1;
	sfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (sfd < 0)
		return -1;
	sl = sizeof(*cli);
	if (getsockname(*cfd, (struct sockaddr *)cli, &sl) < 0)
		return -1;
	sl = sizeof(*srv);
	if (getpeername(*cfd, (struct sockaddr *)srv, &sl) < 0)
		return -1;
	return sfd;
}

static void
report(const char *step, int rc)
{
	printf("%s %d %s\n", step, rc, rc == 0 ? "OK" :
	    strerrorname_np(-rc) ? strerrorname_np(-rc) : "?");
	if (rc != 0)
		printf("advice %s\n", ct_strerror_advice(rc));
	fflush(stdout);
}

/* Hold: print READY, accept data connections, end on stdin line/EOF or
 * after @o->hold seconds. */
static void
hold(const struct live_opts *o, int dfd)
{
	struct pollfd p[2];
	struct sockaddr_storage peer, local;
	struct timespec start, now;
	socklen_t sl;
	long left;
	char line[64];
	ssize_t r;
	int n, fd, accepted = 0;

	printf("READY\n");
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		left = o->hold * 1000L - ((now.tv_sec - start.tv_sec) * 1000L +
		    (now.tv_nsec - start.tv_nsec) / 1000000L);
		if (left <= 0)
			break;
		p[0].fd = STDIN_FILENO;
		p[0].events = POLLIN;
		p[1].fd = dfd;
		p[1].events = POLLIN;
		n = poll(p, dfd >= 0 ? 2 : 1, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (p[0].revents != 0) {
			r = read(STDIN_FILENO, line, sizeof(line));
			if (r <= 0 || memchr(line, '\n', (size_t)r) != NULL)
				break;
		}
		if (dfd >= 0 && (p[1].revents & POLLIN) &&
		    accepted < LIVE_DATA_MAX) {
			sl = sizeof(peer);
			fd = accept4(dfd, (struct sockaddr *)&peer, &sl,
			    SOCK_CLOEXEC);
			if (fd < 0)
				continue;
			accepted++;
			sl = sizeof(local);
			if (getsockname(fd, (struct sockaddr *)&local,
			    &sl) == 0)
				print_sa("data", &peer, &local);
			close(fd);
		}
	}
}

int
main(int argc, char **argv)
{
	struct live_opts o;
	struct ct_handle *h;
	struct ct_expect_req req, req2;
	struct sockaddr_storage cli, srv;
	int lfd, dfd = -1, cfd = -1, sfd, rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	parse_opts(argc, argv, &o);

	h = ct_open();
	if (h == NULL) {
		rc = -errno;
		report("open", rc);
		return 0;
	}
	report("open", 0);
	lfd = listener(o.family, o.listen_addr, o.port);
	if (lfd < 0) {
		perror("ct_live: master listener");
		return 2;
	}
	if (o.data_port != 0) {
		dfd = listener(o.family, o.listen_addr, o.data_port);
		if (dfd < 0) {
			perror("ct_live: data listener");
			return 2;
		}
	}
	sfd = master_connect(&o, lfd, &cfd, &cli, &srv);
	if (sfd < 0) {
		perror("ct_live: master connection");
		return 2;
	}
	print_sa("master", &cli, &srv);

	memset(&req, 0, sizeof(req));
	req.master.family = o.family;
	from_sa(&cli, req.master.src, &req.master.sport);
	from_sa(&srv, req.master.dst, &req.master.dport);
	if (o.fake_master_sport != 0)	/* a master the kernel does not know */
		req.master.sport = o.fake_master_sport;
	req.expect.family = o.family;
	tuple_addr(o.family, o.expect_src, req.expect.src);
	tuple_addr(o.family, o.expect_dst, req.expect.dst);
	req.expect.sport = o.expect_sport;
	req.expect.dport = o.expect_port;
	req.timeout = o.timeout;
	req.nat_dir = o.nat_dir;
	if (o.nat_dir != CT_NAT_NONE) {
		req.nat.family = o.family;
		if (o.nat_src != NULL)
			tuple_addr(o.family, o.nat_src, req.nat.src);
		if (o.nat_dst != NULL)
			tuple_addr(o.family, o.nat_dst, req.nat.dst);
		req.nat.sport = o.nat_sport;
		req.nat.dport = o.nat_dport;
		req.nat_fn = "nat-follow-master";
	}

	if (o.add) {
		report("add", ct_expect_add(h, &req));
		if (o.add_again)
			report("add", ct_expect_add(h, &req));
		if (o.second_port != 0) {
			req2 = req;
			req2.expect.dport = o.second_port;
			report("add2", ct_expect_add(h, &req2));
		}
	}
	if (o.hold > 0)
		hold(&o, dfd);
	if (o.del) {
		report("del", ct_expect_del(h, &req.expect));
		if (o.del_again)
			report("del", ct_expect_del(h, &req.expect));
	}

	close(sfd);
	close(cfd);
	if (dfd >= 0)
		close(dfd);
	close(lfd);
	ct_close(h);
	return 0;
}
