/* The process's facts for the metrics (proxy/metrics_proc.h). */
#include "proxy/metrics_proc.h"

#include <fcntl.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

int
metrics_proc_open(struct metrics_proc *p)
{
	int fd;

	p->start_s = (uint64_t)time(NULL);
	p->fds = NULL;
	/* /proc/self resolves now, to this process: the directory stays
	 * readable through this descriptor whatever chroot hides and
	 * whoever the process becomes. */
	fd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	p->fds = fdopendir(fd);
	if (p->fds == NULL) {
		close(fd);
		return -1;
	}
	return 0;
}

/* Entries of /proc/self/fd but "." and ".." (the directory's own
 * descriptor included: it is open). */
static uint64_t
metrics_proc_fds(DIR *d)
{
	struct dirent *e;
	uint64_t n = 0;

	rewinddir(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	return n;
}

void
metrics_proc_read(struct metrics_proc *p, struct metrics_snap *s)
{
	struct rlimit rl;
	struct rusage ru;

	if (p->fds != NULL)
		s->v[METRICS_AT1(OPEN_FDS, 0)] = metrics_proc_fds(p->fds);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		s->v[METRICS_AT1(MAX_FDS, 0)] = (uint64_t)rl.rlim_cur;
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		s->v[METRICS_AT1(CPU, 0)] =
		    (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) *
		    1000000u + (uint64_t)(ru.ru_utime.tv_usec +
		    ru.ru_stime.tv_usec);
	s->v[METRICS_AT1(START_TIME, 0)] = p->start_s;
}

void
metrics_proc_close(struct metrics_proc *p)
{
	if (p->fds != NULL)
		closedir(p->fds);
	p->fds = NULL;
}
