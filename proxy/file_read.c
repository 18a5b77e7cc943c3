/* A whole small file into memory (see file_read.h). */
#include "proxy/file_read.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int
file_read_all(const char *path, size_t max, char **out, size_t *len)
{
	struct stat st;
	size_t got = 0;
	ssize_t n = 0;
	char *p;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK), e;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		goto fail;
	}
	if ((unsigned long long)st.st_size > max) {
		errno = EFBIG;
		goto fail;
	}
	p = malloc((size_t)st.st_size + 1);
	if (p == NULL)
		goto fail;
	while (got < (size_t)st.st_size &&
	    (n = read(fd, p + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)n;
	if (n < 0) {
		free(p);
		goto fail;
	}
	close(fd);
	p[got] = '\0';
	*out = p;
	*len = got;
	return 0;
fail:
	e = errno;
	close(fd);
	errno = e;
	return -1;
}
