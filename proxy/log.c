/* Logging: one line per event, to stderr prefixed with time and level, or
 * to syslog at the level's priority. */
#include "proxy/log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>

#include <openssl/err.h>

/* Both set once at start-up, before any thread. */
static enum log_level log_max = LOG_LVL_INFO;
static bool log_syslog;

#define LOG_DEVLOG "/dev/log"

static const char *const log_names[] = {
	[LOG_LVL_ERR] = "error",
	[LOG_LVL_WARNING] = "warning",
	[LOG_LVL_NOTICE] = "notice",
	[LOG_LVL_INFO] = "info",
	[LOG_LVL_DEBUG] = "debug",
};

void
log_set_level(enum log_level lvl)
{
	log_max = lvl;
}

static const int log_priorities[] = {
	[LOG_LVL_ERR] = LOG_ERR,
	[LOG_LVL_WARNING] = LOG_WARNING,
	[LOG_LVL_NOTICE] = LOG_NOTICE,
	[LOG_LVL_INFO] = LOG_INFO,
	[LOG_LVL_DEBUG] = LOG_DEBUG,
};

int
log_to_syslog(void)
{
	struct stat st;

	openlog("ftpsgw", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	log_syslog = true;
	if (stat(LOG_DEVLOG, &st) < 0 || !S_ISSOCK(st.st_mode))
		return -1;
	return 0;
}

int
log_enabled(enum log_level lvl)
{
	return lvl <= log_max;
}

void
log_msg(enum log_level lvl, const char *fmt, ...)
{
	char line[2048];
	struct timespec ts;
	struct tm tm;
	va_list ap;
	int n;

	if (!log_enabled(lvl))
		return;
	if (log_syslog) {
		/* syslog adds time, "ftpsgw[PID]:" and the priority; glibc
		 * sends each message as one datagram, under its own lock. */
		va_start(ap, fmt);
		vsnprintf(line, sizeof(line), fmt, ap);
		va_end(ap);
		syslog(log_priorities[lvl], "%s", line);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	n = snprintf(line, sizeof(line), "%04d-%02d-%02d %02d:%02d:%02d.%03ld ftpsgw[%s]: ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, ts.tv_nsec / 1000000, log_names[lvl]);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	/* One write per line so concurrent writers never interleave. */
	fprintf(stderr, "%s\n", line);
}

char *
log_escape(char *dst, size_t dstcap, const char *src, size_t len)
{
	size_t o = 0, i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)src[i];
		size_t need = (c >= 0x20 && c < 0x7f && c != '\\') ? 1 : 4;

		if (o + need + 4 > dstcap) {
			memcpy(dst + o, "...", 3);
			o += 3;
			break;
		}
		if (need == 1)
			dst[o++] = (char)c;
		else
			o += (size_t)snprintf(dst + o, 5, "\\x%02x", c);
	}
	dst[o] = '\0';
	return dst;
}

char *
log_ssl_errors(char *buf, size_t cap)
{
	unsigned long e;
	size_t o = 0;

	buf[0] = '\0';
	while ((e = ERR_get_error()) != 0) {
		char one[256];
		int n;

		ERR_error_string_n(e, one, sizeof(one));
		n = snprintf(buf + o, cap - o, "%s%s", o ? "; " : "", one);
		if (n < 0 || (size_t)n >= cap - o) {
			ERR_clear_error();
			break;
		}
		o += (size_t)n;
	}
	return buf;
}
