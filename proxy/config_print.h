/* A struct config written back as gateway.conf text, key by key: what
 * ftpsgw -T prints, and what the manual's check compares with the page.
 * Pure: no I/O, no malloc. */
#ifndef FTPSGW_PROXY_CONFIG_PRINT_H
#define FTPSGW_PROXY_CONFIG_PRINT_H

#include <stddef.h>

#include "proxy/config.h"

/* Room for any one value: the longest is a path or a banner. */
#define CFG_VALUE_MAX	(CFG_PATH_MAX + 8)

/*
 * cfg_key_value - the nth value (from 0) of key id in cfg, written as
 * gateway.conf takes it, so that "name = value" parses back to the same
 * setting.
 * @buf, @cap: where the NUL-terminated text goes (CFG_VALUE_MAX is enough)
 * Returns 1 when a value was written; 0 when the key has no nth value (a
 * key that is not set, such as public_address by default, has none; listen
 * and listen_implicit have one per listener, in file order); -1 when cap is
 * too small (buf then holds "").
 *
 * The backend is written with the port in effect (21 or 990 when the file
 * gave none), public_address without brackets, the fingerprint as
 * sha256:XX:XX:... in capitals, workers = 0 as "auto".
 */
int cfg_key_value(const struct config *cfg, enum cfg_key_id id, size_t nth,
    char *buf, size_t cap);

/*
 * cfg_backend_value - as cfg_key_value, for a per-backend key
 * (cfg_key_per_backend) of one backend: its [backend NAME] section as
 * ftpsgw -T prints it. -1 for any other key.
 */
int cfg_backend_value(const struct cfg_backend *be, enum cfg_key_id id,
    char *buf, size_t cap);

#endif
