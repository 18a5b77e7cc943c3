/* `ftpsgw --status`: the JSON of /status.json (proxy/status_text.c) read
 * back with proxy/json.c and written as aligned tables for a terminal:
 * sessions, FTP servers, recent refusals. Every byte that came from the
 * JSON is made safe for a terminal (control bytes, escape sequences
 * included, become '?'). Pure: no I/O, no allocation. */
#ifndef FTPSGW_PROXY_STATUS_TABLE_H
#define FTPSGW_PROXY_STATUS_TABLE_H

#include <stddef.h>

#include "proxy/json.h"

enum status_table_err {
	STATUS_TABLE_OK,
	STATUS_TABLE_JSON,	/* not JSON (or more tokens than given) */
	STATUS_TABLE_SHAPE,	/* JSON, but not a status document */
};

/*
 * status_table - write the tables of the status document json (len
 * bytes), tokenised into tok (cap tokens: json_parse tells how many).
 * @buf, @cap: as snprintf: at most cap bytes, NUL included.
 * *out_len gets the whole text's length (>= bufcap: buf was too small).
 */
enum status_table_err status_table(const char *json, size_t len,
    struct json_tok *tok, size_t ntok, char *buf, size_t cap,
    size_t *out_len);

#endif
