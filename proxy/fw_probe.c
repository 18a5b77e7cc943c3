/* ftpsgw -t: the running ruleset read with nft and what it lacks said to
 * the admin (see fw_probe.h). Reading and judging the JSON are json.c's
 * and fw_check.c's; this file runs nft and writes the messages.
 *
 * Fail-open by design: a ruleset that cannot be read is a notice, a
 * missing rule a warning, and neither changes -t's exit status (the rules
 * may be loaded after ftpsgw is checked, or by iptables-legacy, which nft
 * does not see). */
#include "proxy/fw_probe.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proxy/addr.h"
#include "proxy/config.h"
#include "proxy/firewall.h"
#include "proxy/fw_check.h"
#include "proxy/json.h"
#include "proxy/log.h"
#include "proxy/netaddr.h"

/* nft lists even a large ruleset in well under a second. */
#define FW_PROBE_TIMEOUT_MS	10000
/* A ruleset's JSON larger than this is not read (a router's is far
 * smaller, unless it holds sets of many thousand addresses). */
#define FW_PROBE_OUT_MAX	((size_t)16 << 20)
#define FW_PROBE_ERR_MAX	512
#define FW_PROBE_PATH_MAX	1024	/* of the escaped configuration path */

/* What nft said. */
struct fw_nft {
	char *out;			/* stdout: the JSON */
	size_t out_len, out_cap;
	char err[FW_PROBE_ERR_MAX];	/* the start of stderr */
	size_t err_len;
	bool too_big, timed_out;
	int status;			/* waitpid's */
};

static int64_t
fw_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read from fd into r (stdout or stderr). Returns false at EOF or error. */
static bool
fw_read(struct fw_nft *r, int fd, bool is_out)
{
	char scratch[4096];
	ssize_t n;

	if (is_out && !r->too_big) {
		if (r->out_len == r->out_cap) {
			size_t cap = r->out_cap ? r->out_cap * 2 : 65536;
			char *p;

			if (cap > FW_PROBE_OUT_MAX) {
				r->too_big = true;
				return false;
			}
			p = realloc(r->out, cap + 1);
			if (p == NULL) {
				r->too_big = true;
				return false;
			}
			r->out = p;
			r->out_cap = cap;
		}
		n = read(fd, r->out + r->out_len, r->out_cap - r->out_len);
		if (n > 0)
			r->out_len += (size_t)n;
	} else {
		n = read(fd, scratch, sizeof(scratch));
		if (n > 0 && !is_out && r->err_len + 1 < sizeof(r->err)) {
			size_t k = (size_t)n;

			if (k > sizeof(r->err) - 1 - r->err_len)
				k = sizeof(r->err) - 1 - r->err_len;
			memcpy(r->err + r->err_len, scratch, k);
			r->err_len += k;
			r->err[r->err_len] = '\0';
		}
	}
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	return n > 0;
}

/* Both pipes until EOF or the deadline, then the child's exit: bounded. */
static void
fw_collect(struct fw_nft *r, pid_t pid, int out, int err)
{
	int64_t deadline = fw_now_ms() + FW_PROBE_TIMEOUT_MS;
	struct pollfd p[2] = { { .fd = out, .events = POLLIN },
	    { .fd = err, .events = POLLIN } };
	int i;

	while (p[0].fd >= 0 || p[1].fd >= 0) {
		int64_t left = deadline - fw_now_ms();

		if (left <= 0) {
			r->timed_out = true;
			break;
		}
		if (poll(p, 2, (int)left) < 0 && errno != EINTR)
			break;
		for (i = 0; i < 2; i++) {
			if (p[i].fd < 0 || p[i].revents == 0)
				continue;
			if (!fw_read(r, p[i].fd, i == 0))
				p[i].fd = -1;	/* poll ignores it now */
			if (r->too_big)
				goto out;
		}
	}
out:
	if (r->too_big || r->timed_out)
		kill(pid, SIGKILL);	/* our own child, by its pid */
	for (;;) {
		pid_t w = waitpid(pid, &r->status, WNOHANG);

		if (w == pid || (w < 0 && errno != EINTR))
			return;
		if (fw_now_ms() > deadline) {
			kill(pid, SIGKILL);
			r->timed_out = true;
			while (waitpid(pid, &r->status, 0) < 0 && errno == EINTR)
				;
			return;
		}
		poll(NULL, 0, 10);
	}
}

/* Run the program at the first of paths[0..1] that exists, with argv,
 * into r. Returns 0 when it ran, or -1 with the reason in why (pkg: the
 * Debian package that installs it). */
static int
fw_run(const char *const paths[2], char *const argv[], const char *pkg,
    struct fw_nft *r, char *why, size_t whycap)
{
	char e0[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin", e1[] = "LC_ALL=C";
	char *envp[] = { e0, e1, NULL };
	posix_spawn_file_actions_t fa;
	int out[2] = { -1, -1 }, err[2] = { -1, -1 }, rc;
	const char *path = NULL;
	size_t i;
	pid_t pid;

	for (i = 0; i < 2 && path == NULL; i++)
		if (access(paths[i], X_OK) == 0)
			path = paths[i];
	if (path == NULL) {
		snprintf(why, whycap, "%s is not installed (Debian package %s)",
		    argv[0], pkg);
		return -1;
	}
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
		snprintf(why, whycap, "pipe: %s", strerror(errno));
		rc = -1;
		goto close;
	}
	if ((rc = posix_spawn_file_actions_init(&fa)) != 0) {
		snprintf(why, whycap, "%s: %s", path, strerror(rc));
		rc = -1;
		goto close;
	}
	rc = posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
	if (rc == 0)
		rc = posix_spawn_file_actions_adddup2(&fa, err[1],
		    STDERR_FILENO);
	if (rc == 0)
		rc = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO,
		    "/dev/null", O_RDONLY, 0);
	if (rc == 0)
		rc = posix_spawn(&pid, path, &fa, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		snprintf(why, whycap, "%s: %s", path, strerror(rc));
		rc = -1;
		goto close;
	}
	close(out[1]);
	close(err[1]);
	out[1] = err[1] = -1;
	fw_collect(r, pid, out[0], err[0]);
	rc = 0;
close:
	for (i = 0; i < 2; i++) {
		if (out[i] >= 0)
			close(out[i]);
		if (err[i] >= 0)
			close(err[i]);
	}
	return rc;
}


static struct fw_conn
fw_conn_of(enum fw_hook hook, const struct net_addr *a)
{
	static const uint8_t zero[16];
	struct fw_conn c;

	memset(&c, 0, sizeof(c));
	c.hook = hook;
	c.family = a->family;
	memcpy(c.daddr, a->addr, 16);
	c.any_addr = memcmp(a->addr, zero, a->family == AF_INET6 ? 16 : 4) ==
	    0;
	c.dport = a->port;
	return c;
}

static struct net_addr
fw_listen_addr(const struct cfg_listen *l)
{
	struct net_addr a;

	memset(&a, 0, sizeof(a));
	a.family = l->addr.ss_family;
	if (a.family == AF_INET6) {
		const struct sockaddr_in6 *s6 =
		    (const struct sockaddr_in6 *)&l->addr;

		memcpy(a.addr, &s6->sin6_addr, 16);
		a.port = ntohs(s6->sin6_port);
	} else {
		const struct sockaddr_in *s4 =
		    (const struct sockaddr_in *)&l->addr;

		memcpy(a.addr, &s4->sin_addr, 4);
		a.port = ntohs(s4->sin_port);
	}
	return a;
}

static int fw_judge_backend(const struct json_doc *doc,
    const struct config *cfg, const struct net_addr *backend,
    const char *path, bool check_nat);

/* The checks, on a parsed ruleset. Returns the number of warnings. */
static int
fw_judge(const struct json_doc *doc, const struct config *cfg,
    const struct net_addr *backends, size_t n_backends, const char *path)
{
	bool nat_checked[2] = { false, false };	/* IPv4, IPv6 */
	char a[NETADDR_STRLEN];
	struct fw_conn c;
	int warned = 0;
	size_t i;

	for (i = 0; i < cfg->n_listen; i++) {
		const struct cfg_listen *l = &cfg->listen[i];
		struct net_addr la = fw_listen_addr(l);

		c = fw_conn_of(FW_HOOK_PREROUTING, &la);
		if (fw_check_helper(doc, &c))
			continue;
		log_msg(LOG_LVL_WARNING, "firewall: no nftables rule attaches "
		    "the ftp conntrack helper to the connections of %s = %s "
		    "(line %u) when they are created, so the kernel cannot "
		    "create the expectations that let their data connections "
		    "through; load the rules printed by: ftpsgw --firewall nft "
		    "-c %s", l->implicit ? "listen_implicit" : "listen",
		    netaddr_str_port(&la, a, sizeof(a)), l->line, path);
		warned++;
	}
	for (i = 0; i < n_backends; i++) {
		const struct net_addr *backend = &backends[i];
		bool v6 = backend->family == AF_INET6;

		warned += fw_judge_backend(doc, cfg, backend, path,
		    !nat_checked[v6]);
		nat_checked[v6] = true;
	}
	return warned;
}

/* The rules one FTP server's connections need: the helper on output (active
 * mode, the kernel path) and, once per family, the nat chain. */
static int
fw_judge_backend(const struct json_doc *doc, const struct config *cfg,
    const struct net_addr *backend, const char *path, bool check_nat)
{
	bool kernel = cfg->data_path == CFG_DATA_KERNEL;
	char a[NETADDR_STRLEN];
	struct fw_conn c;
	int warned = 0;

	if (cfg->active_mode || kernel) {
		c = fw_conn_of(FW_HOOK_OUTPUT, backend);
		if (!fw_check_helper(doc, &c)) {
			log_msg(LOG_LVL_WARNING, "firewall: no nftables rule in "
			    "an output chain attaches the ftp conntrack helper "
			    "to ftpsgw's connections to the FTP server %s, so "
			    "%s cannot get the expectations it needs; load the "
			    "rules printed by: ftpsgw --firewall nft -c %s",
			    netaddr_str_port(backend, a, sizeof(a)), kernel ?
			    "data_path = kernel" : "active mode (PORT, EPRT)",
			    path);
			warned++;
		}
	}
	if (kernel && check_nat && !fw_check_nat(doc, backend->family)) {
		log_msg(LOG_LVL_WARNING, "firewall: data_path = kernel, but the "
		    "nftables ruleset has no chain of type nat for %s, so the "
		    "kernel does not apply the NAT of ftpsgw's expectations "
		    "and data connections fail; load the rules printed by: "
		    "ftpsgw --firewall nft -c %s", backend->family == AF_INET6 ?
		    "IPv6" : "IPv4", path);
		warned++;
	}
	return warned;
}

/* A command's JSON output, parsed. */
struct fw_json {
	struct fw_nft r;
	struct json_tok *tok;
	struct json_doc doc;
};

static void
fw_json_free(struct fw_json *j)
{
	free(j->tok);
	free(j->r.out);
	memset(j, 0, sizeof(*j));
}

/* Run argv (what: its words for messages) and parse what it prints.
 * Returns 0, or -1 with the reason in why. */
static int
fw_json_of(const char *const paths[2], char *const argv[], const char *pkg,
    const char *what, struct fw_json *j, char *why, size_t whycap)
{
	size_t n;

	memset(j, 0, sizeof(*j));
	if (fw_run(paths, argv, pkg, &j->r, why, whycap) < 0)
		return -1;
	if (j->r.timed_out) {
		snprintf(why, whycap, "%s gave no answer within %d s", what,
		    FW_PROBE_TIMEOUT_MS / 1000);
		return -1;
	}
	if (j->r.too_big) {
		snprintf(why, whycap, "the output of %s is larger than %zu MiB",
		    what, FW_PROBE_OUT_MAX >> 20);
		return -1;
	}
	if (!WIFEXITED(j->r.status) || WEXITSTATUS(j->r.status) != 0) {
		char first[FW_PROBE_ERR_MAX];

		j->r.err[strcspn(j->r.err, "\n")] = '\0';
		log_escape(first, sizeof(first), j->r.err, strlen(j->r.err));
		snprintf(why, whycap, "%s failed: %s%s", what,
		    first[0] ? first : "no message",
		    strstr(j->r.err, "Operation not permitted") != NULL ?
		    "; run ftpsgw -t as root to check the firewall too" : "");
		return -1;
	}
	if (json_parse(j->r.out, j->r.out_len, NULL, 0, &n, &j->doc) !=
	    JSON_OK || (j->tok = calloc(n, sizeof(*j->tok))) == NULL ||
	    json_parse(j->r.out, j->r.out_len, j->tok, n, &n, &j->doc) !=
	    JSON_OK) {
		snprintf(why, whycap, "the output of %s could not be read",
		    what);
		return -1;
	}
	return 0;
}

/* `ip [-6] -j ARGS...` parsed (fw_json_of). */
static int
fw_ip_json(bool v6, const char *a2, const char *a3, const char *a4,
    const char *a5, struct fw_json *j, char *why, size_t whycap)
{
	static const char *const paths[2] = { "/usr/sbin/ip", "/sbin/ip" };
	const char *words[4] = { a2, a3, a4, a5 };
	char b0[] = "ip", b1[] = "-4", b2[] = "-j", w[4][16], what[96];
	char *argv[8];
	size_t k = 0, i;

	b1[1] = v6 ? '6' : '4';
	argv[k++] = b0;
	argv[k++] = b1;
	argv[k++] = b2;
	for (i = 0; i < 4 && words[i] != NULL; i++) {
		snprintf(w[i], sizeof(w[i]), "%s", words[i]);
		argv[k++] = w[i];
	}
	argv[k] = NULL;
	snprintf(what, sizeof(what), "ip %s -j %s %s%s%s", b1, a2, a3,
	    a4 != NULL ? " table " : "", a4 != NULL ? a5 : "");
	return fw_json_of(paths, argv, "iproute2", what, j, why, whycap);
}

/*
 * backend_source = client: for each family a transparent backend uses, the
 * mark rule (in the ruleset doc) and the policy routing (ip rule, ip route)
 * of the recipe --firewall prints. Returns the number of warnings.
 */
static int
fw_judge_transparent(const struct json_doc *doc, const struct config *cfg,
    const struct net_addr *backends, size_t n_backends, const char *path)
{
	char why[FW_PROBE_ERR_MAX + 128], table[16];
	bool fam[2] = { false, false };
	struct fw_json j;
	int warned = 0, rc;
	size_t i;

	snprintf(table, sizeof(table), "%u", FW_TP_TABLE);
	for (i = 0; i < n_backends; i++)
		if (cfg->backends[i].source == CFG_SOURCE_CLIENT)
			fam[backends[i].family == AF_INET6] = true;
	for (i = 0; i < 2; i++) {
		bool v6 = i == 1;
		const char *ip = v6 ? "ip -6" : "ip", *v = v6 ? "IPv6" : "IPv4";

		if (!fam[i])
			continue;
		if (doc != NULL && !fw_check_transparent(doc, v6 ? AF_INET6 :
		    AF_INET)) {
			log_msg(LOG_LVL_WARNING, "firewall: backend_source = "
			    "client, but no nftables rule in a prerouting chain "
			    "marks the %s FTP server's packets for ftpsgw's "
			    "transparent sockets, so its answers to the "
			    "client's address leave the router instead and "
			    "every session times out; load the rules printed "
			    "by: ftpsgw --firewall nft -c %s", v, path);
			warned++;
		}
		if (fw_ip_json(v6, "rule", "show", NULL, NULL, &j, why,
		    sizeof(why)) < 0) {
			log_msg(LOG_LVL_NOTICE, "policy routing not checked: "
			    "%s", why);
		} else if (!fw_check_ip_rule(&j.doc, FW_TP_MARK, table)) {
			log_msg(LOG_LVL_WARNING, "firewall: backend_source = "
			    "client, but no %s policy routing rule sends "
			    "packets marked %s to table %s, so the FTP "
			    "server's answers never reach ftpsgw; run, and at "
			    "every boot: %s rule add fwmark %s lookup %s", v,
			    FW_TP_MARK, table, ip, FW_TP_MARK, table);
			warned++;
		}
		fw_json_free(&j);
		rc = fw_ip_json(v6, "route", "show", "table", table, &j, why,
		    sizeof(why));
		/* An empty table does not exist for ip: no route either. */
		if (rc < 0 && strstr(why, "table does not exist") == NULL) {
			log_msg(LOG_LVL_NOTICE, "policy routing not checked: "
			    "%s", why);
		} else if (rc < 0 || !fw_check_local_route(&j.doc)) {
			log_msg(LOG_LVL_WARNING, "firewall: backend_source = "
			    "client, but %s routing table %s has no local "
			    "route for every address, so the FTP server's "
			    "answers are not delivered to ftpsgw; run, and at "
			    "every boot: %s route add local %s dev lo table %s",
			    v, table, ip, v6 ? "::/0" : "0.0.0.0/0", table);
			warned++;
		}
		fw_json_free(&j);
	}
	return warned;
}

int
fw_probe_warn(const struct config *cfg, const struct net_addr *backends,
    size_t n_backends, const char *conf_path)
{
	static const char *const nft[2] = { "/usr/sbin/nft", "/sbin/nft" };
	char a0[] = "nft", a1[] = "-j", a2[] = "list", a3[] = "ruleset";
	char *argv[] = { a0, a1, a2, a3, NULL };
	char why[FW_PROBE_ERR_MAX + 128], path[FW_PROBE_PATH_MAX];
	bool transparent = cfg_any_transparent(cfg);
	const struct json_doc *doc = NULL;
	struct fw_json j;
	int warned = 0, rc;

	if (cfg->conntrack == CFG_CT_OFF && !transparent)
		return 0;		/* no expectations, no helper needed */
	log_escape(path, sizeof(path), conf_path, strlen(conf_path));
	rc = fw_json_of(nft, argv, "nftables", "nft -j list ruleset", &j, why,
	    sizeof(why));
	if (rc == 0 && !fw_check_is_ruleset(&j.doc)) {
		snprintf(why, sizeof(why), "the output of nft -j list ruleset "
		    "could not be read");
		rc = -1;
	}
	if (rc < 0) {
		log_msg(LOG_LVL_NOTICE, "firewall not checked: %s", why);
		warned = -1;
	} else {
		doc = &j.doc;
		if (cfg->conntrack != CFG_CT_OFF)
			warned = fw_judge(doc, cfg, backends, n_backends, path);
	}
	if (transparent) {
		int w = fw_judge_transparent(doc, cfg, backends, n_backends,
		    path);

		warned = warned < 0 ? (w > 0 ? w : -1) : warned + w;
	}
	fw_json_free(&j);
	return warned;
}
