/* Switching user, chroot and capabilities (see priv.h). The raw capset and
 * prctl interfaces are used, so no libcap is needed. */
#include "proxy/priv.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "proxy/config.h"

/* Capabilities numbered up to this are cleared from the bounding set. */
#define PRIV_CAP_LAST 63

static int
priv_capset(bool keep_net_admin)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0,
	};
	struct __user_cap_data_struct data[2];
	uint32_t bit = keep_net_admin ? 1u << CAP_NET_ADMIN : 0;

	memset(data, 0, sizeof(data));
	data[0].effective = bit;
	data[0].permitted = bit;
	return (int)syscall(SYS_capset, &hdr, data);
}

/* Only root (CAP_SETPCAP) may shrink the bounding set; a process started
 * without it (systemd User= and AmbientCapabilities=) has it set by its
 * unit's CapabilityBoundingSet instead. */
static void
priv_bound(bool keep_net_admin)
{
	int c;

	if (prctl(PR_CAPBSET_READ, CAP_SETPCAP, 0, 0, 0) != 1)
		return;
	for (c = 0; c <= PRIV_CAP_LAST; c++) {
		if (c == CAP_NET_ADMIN && keep_net_admin)
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno == EINVAL)
			break;		/* past the kernel's last capability */
	}
}

static int
priv_switch(const struct config *cfg, const struct passwd *pw, char *err,
    size_t errcap)
{
	/* Capabilities survive setuid only with KEEPCAPS; capset trims them
	 * right after. */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 ||
	    setgroups(1, &pw->pw_gid) < 0 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0) {
		snprintf(err, errcap, "user = %s: cannot switch to uid %u: %s "
		    "(start ftpsgw as root, or leave user unset when a service "
		    "manager starts it as that user)", cfg->user,
		    (unsigned)pw->pw_uid, strerror(errno));
		return -1;
	}
	return 0;
}

static struct passwd *
priv_account(const struct config *cfg, char *err, size_t errcap)
{
	struct passwd *pw = getpwnam(cfg->user);

	if (pw == NULL) {
		snprintf(err, errcap, "user = %s: no such account (create it: "
		    "adduser --system --no-create-home %s)", cfg->user,
		    cfg->user);
		return NULL;
	}
	if (pw->pw_uid == 0) {
		snprintf(err, errcap, "user = %s is uid 0: choose an "
		    "unprivileged account", cfg->user);
		return NULL;
	}
	return pw;
}

int
priv_check(const struct config *cfg, char *err, size_t errcap)
{
	struct stat st;

	if (cfg->user[0] != '\0' && priv_account(cfg, err, errcap) == NULL)
		return -1;
	if (cfg->chroot[0] == '\0')
		return 0;
	if (stat(cfg->chroot, &st) < 0) {
		snprintf(err, errcap, "chroot = %s: %s", cfg->chroot,
		    strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errcap, "chroot = %s: not a directory",
		    cfg->chroot);
		return -1;
	}
	return 0;
}

int
priv_drop(const struct config *cfg, bool keep_net_admin, char *what,
    size_t whatcap, char *err, size_t errcap)
{
	struct passwd *pw = NULL;

	/* Looked up before chroot: it needs /etc. */
	if (cfg->user[0] != '\0' &&
	    (pw = priv_account(cfg, err, errcap)) == NULL)
		return -1;
	if (cfg->chroot[0] != '\0' &&
	    (chroot(cfg->chroot) < 0 || chdir("/") < 0)) {
		snprintf(err, errcap, "chroot = %s: %s", cfg->chroot,
		    strerror(errno));
		return -1;
	}
	priv_bound(keep_net_admin);
	if (pw != NULL && priv_switch(cfg, pw, err, errcap) < 0)
		return -1;
	(void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (priv_capset(keep_net_admin) < 0) {
		snprintf(err, errcap, "cannot set capabilities: %s",
		    strerror(errno));
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		snprintf(err, errcap, "cannot set no_new_privs: %s",
		    strerror(errno));
		return -1;
	}
#if defined(__SANITIZE_ADDRESS__)
	/* Sanitizer builds only: LeakSanitizer attaches with ptrace at exit,
	 * which a process that changed uid refuses unless dumpable. */
	(void)prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
#endif
	snprintf(what, whatcap, "uid %u%s%s%s%s, capabilities: %s",
	    (unsigned)getuid(), pw != NULL ? " (" : "",
	    pw != NULL ? cfg->user : "", pw != NULL ? ")" : "",
	    cfg->chroot[0] != '\0' ? ", chrooted" : "",
	    keep_net_admin ? "cap_net_admin" : "none");
	return 0;
}
