/* TLS handshakes counted by version and resumption (proxy/metrics_tls.h). */
#include "proxy/metrics_tls.h"

#include <openssl/ssl.h>

void
metrics_handshake(struct metrics *m, unsigned side, unsigned channel,
    SSL *ssl, bool ok)
{
	unsigned kind, version;

	if (ssl == NULL)
		return;
	if (!ok) {
		metrics_inc(m, METRICS_AT2(HANDSHAKE_FAILURES, side, channel));
		return;
	}
	kind = SSL_session_reused(ssl) ? MV_HS_KIND_RESUMED : MV_HS_KIND_FULL;
	switch (SSL_version(ssl)) {
	case TLS1_3_VERSION:
		version = MV_TLS_VERSION_TLS13;
		break;
	case TLS1_2_VERSION:
		version = MV_TLS_VERSION_TLS12;
		break;
	default:
		version = MV_TLS_VERSION_OTHER;
		break;
	}
	metrics_inc(m, METRICS_AT(HANDSHAKES, side, channel, kind, version));
}
