/* Error messages for the certificate tool, with OpenSSL's queue drained into
 * the same line so that every failure is reported exactly once. */
#include "certs/ca_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

static void
ca_err_vset(struct ca_err *err, const char *fmt, va_list ap)
{
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

void
ca_err_set(struct ca_err *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ca_err_vset(err, fmt, ap);
	va_end(ap);
	ERR_clear_error();
}

void
ca_err_ssl(struct ca_err *err, const char *fmt, ...)
{
	va_list ap;
	unsigned long e;
	size_t len;
	const char *sep = ": ";
	const char *reason, *data;
	int flags;

	va_start(ap, fmt);
	ca_err_vset(err, fmt, ap);
	va_end(ap);

	/* Oldest first: the first reason is usually the root cause. */
	while ((e = ERR_get_error_all(NULL, NULL, NULL, &data,
	    &flags)) != 0) {
		len = strlen(err->msg);
		reason = ERR_reason_error_string(e);
		if ((flags & ERR_TXT_STRING) == 0)
			data = "";
		if (reason != NULL)
			snprintf(err->msg + len, sizeof(err->msg) - len,
			    "%s%s%s%s", sep, reason, *data != '\0' ? " " : "",
			    data);
		else
			snprintf(err->msg + len, sizeof(err->msg) - len,
			    "%sOpenSSL error %08lx", sep, e);
		sep = "; ";
	}
}
