/* user_map = PATH: which pool a user name goes to, read from a file of
 * "USER-OR-GLOB  POOL" lines, the first match winning. Pure: the caller
 * reads the file; no I/O, no malloc, no logging. */
#ifndef FTPSGW_PROXY_USER_MAP_H
#define FTPSGW_PROXY_USER_MAP_H

#include <stddef.h>

#include "proxy/config.h"

#define USER_MAP_MAX		1024	/* rules in one file */
#define USER_MAP_PATTERN_MAX	255	/* bytes of one rule's pattern */
#define USER_MAP_NAME_MAX	512	/* longest user name looked up */

struct user_map_rule {
	char pattern[USER_MAP_PATTERN_MAX + 1];	/* an fnmatch(3) glob */
	unsigned pool;			/* index in the config's pools */
	unsigned line;
};

struct user_map {
	size_t n;
	struct user_map_rule rule[USER_MAP_MAX];
};

/*
 * user_map_parse - read a whole map text into m.
 * @cfg:  the configuration whose pools and backends the rules may name
 * @file: the map's path, for messages
 * @err:  on failure "FILE:LINE: what is wrong; expected ..." (NUL-terminated)
 * Returns 0, or -1 on the first error (m is then to be discarded).
 *
 * Syntax: one rule per line, "PATTERN POOL" separated by spaces or tabs;
 * '#' at the start of a line or after whitespace starts a comment; blank
 * lines are ignored; LF or CRLF. PATTERN is a user name or a glob of
 * fnmatch(3) without flags ('*' also matches '.' and '/'), printable
 * bytes other than space (UTF-8 allowed); POOL a pool or backend name of
 * gateway.conf. A NUL byte, a control character, a line over
 * CFG_LINE_MAX bytes, more than USER_MAP_MAX rules, a third field or an
 * unknown POOL are errors.
 */
int user_map_parse(struct user_map *m, const struct config *cfg,
    const char *file, const char *text, size_t len, char *err,
    size_t errcap);

/* The pool of the first rule matching user[0..len), or -1 (no rule, or a
 * name longer than USER_MAP_NAME_MAX). */
int user_map_lookup(const struct user_map *m, const char *user, size_t len);

#endif
