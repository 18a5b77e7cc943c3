/* The status snapshot (proxy/status.h) as JSON (/status.json, read back by
 * `ftpsgw --status`) and as one HTML page (/), with no external asset: inline
 * CSS, a meta refresh. Every string from a peer (user and file names) or
 * from the snapshot is escaped for where it goes, whatever its bytes: JSON
 * string escapes, HTML character references; bytes that are not UTF-8
 * become U+FFFD. Pure: no I/O, no allocation. */
#ifndef FTPSGW_PROXY_STATUS_TEXT_H
#define FTPSGW_PROXY_STATUS_TEXT_H

#include <stddef.h>

#include "proxy/status.h"

/* The Content-Types of what these write. */
#define STATUS_JSON_TYPE "application/json"
#define STATUS_HTML_TYPE "text/html; charset=utf-8"
/* The page reloads itself this often (s). */
#define STATUS_REFRESH_S 5
/* Sessions listed at most, over all workers (more are counted). */
#define STATUS_LIST_MAX STATUS_SESSIONS_MAX

/*
 * status_json, status_html - write s as JSON or as an HTML page.
 * @buf, @cap: at most cap bytes are written, NUL included (none when cap
 *        is 0); buf may be NULL when cap is 0.
 * Returns the length of the whole text without the NUL, as snprintf does:
 * a result >= cap means buf was too small (call again with result + 1).
 * The same snapshot always gives the same text. The JSON's fields are
 * described in ftpsgw(8).
 */
size_t status_json(const struct status_snap *s, char *buf, size_t cap);
size_t status_html(const struct status_snap *s, char *buf, size_t cap);

#endif
