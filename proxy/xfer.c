/* A data transfer's outcome (proxy/xfer.h): the one classifier the session
 * asks when a transfer ends, whichever way it ends. Pure: no I/O. */
#include "proxy/xfer.h"

enum xfer_outcome
xfer_outcome(const struct xfer_end *e)
{
	if (e->code >= 200 && e->code < 300 && e->failure == V_COUNT)
		return e->cut ? XFER_ABORTED : XFER_OK;
	switch (e->failure) {
	case V_DATA_REUSE:
		return XFER_NO_SESSION_REUSE;
	case V_DATA_TIMEOUT:
	case V_DATA_STALLED:
	case V_DATA_SLOW:
	case V_DATA_EXPIRED:
		return XFER_TIMEOUT;
	case V_DATA_ABORTED:
		return XFER_ABORTED;
	case V_COUNT:
		break;
	default:
		/* TLS setup or negotiation, a connection ftpsgw could not
		 * make, an internal error, memory, ports, conntrack. */
		return XFER_FAILED;
	}
	if (e->aborted || e->code == 0)
		return XFER_ABORTED;
	/* No 2xx and nothing failed on ftpsgw's side: the server said no,
	 * before the transfer (550 no such file) or during it (452 disk
	 * full, 426 its own data connection broke). */
	return XFER_SERVER_REFUSED;
}

bool
xfer_complete(const struct xfer_end *e)
{
	return xfer_outcome(e) == XFER_OK;
}

bool
xfer_is_upload(enum ftp_verb verb)
{
	return verb == FTP_VERB_STOR || verb == FTP_VERB_STOU ||
	    verb == FTP_VERB_APPE;
}
