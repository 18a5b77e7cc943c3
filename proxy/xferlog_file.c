/* The transfer log's file: opening, the check of ftpsgw -t, reopening on
 * SIGHUP and the one write per line (see xferlog_file.h). */
#include "proxy/xferlog_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proxy/config.h"
#include "proxy/log.h"
#include "proxy/xferlog.h"

/* Readable by the administrator's group (adm, with logrotate's create),
 * as user and file names are in it; the umask may narrow it. */
#define XFERLOG_FILE_MODE 0640
/* O_NONBLOCK: a FIFO planted at the path fails at once instead of holding
 * start-up until something reads it (it is refused anyway); a regular
 * file ignores it. O_NOFOLLOW: ftpsgw opens it as root, in a directory
 * that may belong to the account it runs as. */
#define XFERLOG_FILE_FLAGS (O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | \
	O_NOFOLLOW | O_NOCTTY | O_NONBLOCK)

/* What an admin does about an open(2) failure. */
static const char *
xferlog_file_advice(int err)
{
	switch (err) {
	case ELOOP:
		return " (it is a symbolic link: name the file itself)";
	case EACCES:
	case EPERM:
		return " (the account ftpsgw runs as must be able to write it, "
		    "and to create it in its directory)";
	case ENOENT:
		return " (create its directory; under systemd the unit's "
		    "LogsDirectory=ftpsgw makes /var/log/ftpsgw)";
	default:
		return "";
	}
}

/* open(2) path the way the transfer log is opened: fd, or -1 and err. */
static int
xferlog_file_fd(const char *path, const char *shown, char *err,
    size_t errcap)
{
	struct stat st;
	int fd = open(path, XFERLOG_FILE_FLAGS, XFERLOG_FILE_MODE);

	if (fd < 0) {
		int e = errno;

		snprintf(err, errcap, "transfer_log = %s: %s%s", shown,
		    strerror(e), xferlog_file_advice(e));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errcap, "transfer_log = %s: not a regular file",
		    shown);
		close(fd);
		return -1;
	}
	return fd;
}

int
xferlog_file_check(const char *path, char *err, size_t errcap)
{
	char dir[CFG_PATH_MAX];
	const char *slash;
	struct stat st;

	if (lstat(path, &st) == 0) {
		if (!S_ISREG(st.st_mode)) {
			snprintf(err, errcap, "transfer_log = %s: not a regular "
			    "file%s", path, S_ISLNK(st.st_mode) ? " (a symbolic "
			    "link: name the file itself)" : "");
			return -1;
		}
		if (access(path, W_OK) < 0) {
			snprintf(err, errcap, "transfer_log = %s: %s%s", path,
			    strerror(errno), xferlog_file_advice(errno));
			return -1;
		}
		return 0;
	}
	if (errno != ENOENT) {
		snprintf(err, errcap, "transfer_log = %s: %s", path,
		    strerror(errno));
		return -1;
	}
	/* A new file: its directory must be there and writable. */
	slash = strrchr(path, '/');
	if (slash == NULL || (size_t)(slash - path) >= sizeof(dir))
		slash = path;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	if (dir[0] == '\0')
		strcpy(dir, "/");
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errcap, "transfer_log = %s: the directory %s does "
		    "not exist%s", path, dir, xferlog_file_advice(ENOENT));
		return -1;
	}
	if (access(dir, W_OK | X_OK) < 0) {
		snprintf(err, errcap, "transfer_log = %s: cannot be created in "
		    "%s: %s%s", path, dir, strerror(errno),
		    xferlog_file_advice(errno));
		return -1;
	}
	return 0;
}

int
xferlog_file_open(struct xferlog_file *f, const char *path,
    const char *chroot, char *err, size_t errcap)
{
	int fd = xferlog_file_fd(path, path, err, errcap);

	if (fd < 0)
		return -1;
	f->fd = fd;
	f->path = path;
	f->chroot = chroot;
	f->reopen = xferlog_chroot_path(path, chroot);
	atomic_store(&f->failing, false);
	return 0;
}

int
xferlog_file_reopen(struct xferlog_file *f, char *err, size_t errcap)
{
	int fd;

	if (f->reopen == NULL) {
		snprintf(err, errcap, "transfer_log = %s is outside chroot = %s, "
		    "where ftpsgw cannot open it again: lines still go to the "
		    "file it has open (which a rotation renamed); put the log "
		    "inside the chroot (e.g. %s/xferlog), or rotate it with "
		    "logrotate's copytruncate", f->path, f->chroot, f->chroot);
		return -1;
	}
	fd = xferlog_file_fd(f->reopen, f->path, err, errcap);
	if (fd < 0)
		return -1;
	/* One atomic step: a worker's write in flight finishes in the old
	 * file, the next one goes to the new file, never to a number that
	 * was closed or meanwhile reused. */
	if (dup3(fd, f->fd, O_CLOEXEC) < 0) {
		snprintf(err, errcap, "transfer_log = %s: %s", f->path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	atomic_store(&f->failing, false);
	return 0;
}

void
xferlog_file_write(struct xferlog_file *f, const char *line, size_t len)
{
	ssize_t n;

	do {
		n = write(f->fd, line, len);
	} while (n < 0 && errno == EINTR);
	if (n == (ssize_t)len) {
		atomic_store(&f->failing, false);
		return;
	}
	if (atomic_exchange(&f->failing, true))
		return;		/* said already */
	log_msg(LOG_LVL_ERR, "transfer_log %s: a line could not be written "
	    "(%s); transfer lines are lost until one can be: free disk space "
	    "or fix the file, then send SIGHUP to reopen it", f->path,
	    n < 0 ? strerror(errno) : "written in part");
}

void
xferlog_file_close(struct xferlog_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}
