/* Logging for the administrator, to stderr or to syslog: levels, session
 * prefixes, escaping of peer bytes, and OpenSSL error-queue draining. */
#ifndef FTPSGW_PROXY_LOG_H
#define FTPSGW_PROXY_LOG_H

#include <stddef.h>

enum log_level {
	LOG_LVL_ERR,		/* an administrator must act */
	LOG_LVL_WARNING,	/* insecure or degraded */
	LOG_LVL_NOTICE,		/* session start and end, byte counts */
	LOG_LVL_INFO,		/* vanished or misbehaving peers */
	LOG_LVL_DEBUG,		/* protocol trace */
};

/* Messages above this level are dropped. Set once at start-up (main). */
void log_set_level(enum log_level lvl);
int log_enabled(enum log_level lvl);

/*
 * log_to_syslog - send every message to syslog from now on, instead of
 * stderr: openlog("ftpsgw", LOG_PID | LOG_NDELAY, LOG_DAEMON), so that
 * /dev/log is connected at once (before chroot); each level goes at the
 * syslog priority of its name (err, warning, notice, info, debug). Call
 * once at start-up, before any thread. Returns 0, or -1 when /dev/log is
 * not a socket (nothing listens: messages are lost until something does;
 * the caller says so on stderr).
 */
int log_to_syslog(void);

void log_msg(enum log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * log_escape - copy peer bytes into dst for logging: printable ASCII as is,
 * everything else as \xNN, cut at dstcap-1 with "..." when longer.
 * Returns dst (always NUL-terminated; dstcap >= 4).
 */
char *log_escape(char *dst, size_t dstcap, const char *src, size_t len);

/*
 * log_ssl_errors - drain OpenSSL's error queue into one string (reasons
 * separated by "; "), for one log line. Returns buf. Empty queue: "".
 */
char *log_ssl_errors(char *buf, size_t cap);

#endif
