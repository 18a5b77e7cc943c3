/* Per-address accounting: open sessions (max_sessions_per_ip) and failed
 * logins with their ban (max_login_failures, ban_time). Pure: the caller
 * owns the slot array and passes the time; no I/O, no malloc.
 *
 * An open-addressing table with linear probing, keyed by the address only
 * (no port), hashed with a random seed so that nobody can choose addresses
 * that collide. Entries vanish when nothing is left to remember. */
#ifndef FTPSGW_PROXY_HOSTTAB_H
#define FTPSGW_PROXY_HOSTTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proxy/ftp_parse.h"

struct host_entry {
	uint8_t family;		/* 0: free slot */
	uint8_t addr[16];
	uint32_t sessions;	/* open control connections */
	uint32_t failures;	/* failed logins since first_fail_ms */
	uint64_t first_fail_ms;
	uint64_t ban_until_ms;	/* 0: not banned */
};

struct hosttab {
	struct host_entry *slots;
	size_t cap;		/* number of slots (> 1) */
	size_t used;
	uint32_t seed;
};

enum host_verdict {
	HOST_ADMIT,		/* counted: call hosttab_session_end later */
	HOST_BANNED,		/* *wait_s: seconds left of the ban */
	HOST_TOO_MANY,		/* max_sessions_per_ip open already */
	HOST_FULL,		/* no slot left to count it */
};

/* slots[cap] is zeroed here. cap should exceed the addresses expected at
 * once by a good margin (probing stays short while the table is sparse). */
void hosttab_init(struct hosttab *t, struct host_entry *slots, size_t cap,
    uint32_t seed);

/* A new control connection from a (port ignored). */
enum host_verdict hosttab_admit(struct hosttab *t, const struct ftp_addr *a,
    uint64_t now_ms, uint32_t max_per_ip, uint32_t *wait_s);

/* Its session ended. */
void hosttab_session_end(struct hosttab *t, const struct ftp_addr *a,
    uint64_t now_ms);

/*
 * hosttab_login_failed - count a failed login from a. Failures older than
 * ban_ms are forgotten. Returns true when this one reaches max_failures: the
 * address is then banned for ban_ms and its count starts over. max_failures
 * 0 counts nothing.
 */
bool hosttab_login_failed(struct hosttab *t, const struct ftp_addr *a,
    uint64_t now_ms, uint32_t max_failures, uint64_t ban_ms);

/* A successful login from a: its failures are forgiven. */
void hosttab_login_ok(struct hosttab *t, const struct ftp_addr *a,
    uint64_t now_ms);

/* Failures counted for a now (0 when unknown); for logs and tests. */
uint32_t hosttab_failures(const struct hosttab *t, const struct ftp_addr *a);

#endif
