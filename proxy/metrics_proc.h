/* The process's own facts for the metrics: open file descriptors (counted
 * in /proc/self/fd through a directory opened at start, so the count still
 * works after chroot and the switch of user), their limit, CPU time and
 * the start time. The main thread's. */
#ifndef FTPSGW_PROXY_METRICS_PROC_H
#define FTPSGW_PROXY_METRICS_PROC_H

#include <dirent.h>
#include <stdint.h>

#include "proxy/metrics.h"

struct metrics_proc {
	DIR *fds;		/* /proc/self/fd, or NULL: not counted */
	uint64_t start_s;	/* the wall clock at metrics_proc_open */
};

/* Open /proc/self/fd (before chroot and the switch of user) and note the
 * start time. Returns 0, or -1 with errno: open fds are then reported 0
 * and the caller says why once. */
int metrics_proc_open(struct metrics_proc *p);

/* Set OPEN_FDS, MAX_FDS, CPU and START_TIME of s. */
void metrics_proc_read(struct metrics_proc *p, struct metrics_snap *s);

void metrics_proc_close(struct metrics_proc *p);

#endif
