/* The transfer log's file (transfer_log =): opened at start, before the
 * privilege switch and chroot, written by every worker, reopened on SIGHUP
 * for log rotation. The lines are proxy/xferlog.c's. */
#ifndef FTPSGW_PROXY_XFERLOG_FILE_H
#define FTPSGW_PROXY_XFERLOG_FILE_H

#include <stdatomic.h>
#include <stddef.h>

/* Owned by main, which sets fd to -1 before anything; workers only write
 * through it (gw_shared.xferlog, NULL without transfer_log). */
struct xferlog_file {
	int fd;			/* the same number for its whole life: a
				 * reopen puts the new file there (dup3) */
	const char *path;	/* as configured (borrowed) */
	const char *chroot;	/* "" or the chroot (borrowed) */
	const char *reopen;	/* path to reopen now: inside the chroot,
				 * the part below it; NULL: unreachable */
	atomic_bool failing;	/* the last write failed (logged once) */
};

/*
 * xferlog_file_check - for ftpsgw -t: can path be opened for appending?
 * An existing file must be a regular file, writable; a new one needs its
 * directory. Returns 0, or -1 with a message in err.
 */
int xferlog_file_check(const char *path, char *err, size_t errcap);

/*
 * xferlog_file_open - open path (absolute) for appending, creating it
 * (mode 0640) if needed; a symbolic link or anything but a regular file is
 * refused. chroot: the directory ftpsgw will enter ("" none), for the path
 * to reopen then. Returns 0, or -1 with a message in err (f stays closed).
 */
int xferlog_file_open(struct xferlog_file *f, const char *path,
    const char *chroot, char *err, size_t errcap);

/*
 * xferlog_file_reopen - SIGHUP: open f->reopen again (logrotate moved the
 * file away, or will copy it) and put it in place of the old one; lines
 * written meanwhile go to one or the other, whole. On failure the old
 * file stays in use and -1 comes back with a message in err.
 */
int xferlog_file_reopen(struct xferlog_file *f, char *err, size_t errcap);

/*
 * xferlog_file_write - append one line (its '\n' included) with a single
 * write(2) on the O_APPEND descriptor: the kernel puts each such write at
 * the end of the file whole, so lines from several worker threads never
 * interleave (Linux takes the inode's lock for the whole write to a
 * regular file; a line is at most XFERLOG_LINE_MAX bytes). A failure is
 * logged at err once until a write succeeds again. Thread-safe.
 */
void xferlog_file_write(struct xferlog_file *f, const char *line,
    size_t len);

/* Close (at exit). A closed f (fd -1): no-op. */
void xferlog_file_close(struct xferlog_file *f);

#endif
