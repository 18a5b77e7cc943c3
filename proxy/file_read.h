/* A whole small file into memory: gateway.conf, user_map. Blocking: for
 * start-up and SIGHUP, never inside a worker's event loop. */
#ifndef FTPSGW_PROXY_FILE_READ_H
#define FTPSGW_PROXY_FILE_READ_H

#include <stddef.h>

/*
 * file_read_all - the regular file at path, at most max bytes.
 * @out: on success a malloc'd copy (the caller frees it), NUL-terminated
 *       for convenience; @len its length without that NUL
 * Returns 0, or -1 with errno: open's, fstat's or read's, EFBIG for a file
 * larger than max, EISDIR or EINVAL for a directory or a file that is not
 * regular (a FIFO would block), ENOMEM.
 */
int file_read_all(const char *path, size_t max, char **out, size_t *len);

#endif
