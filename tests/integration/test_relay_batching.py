"""The relay's batching (issue 14) never holds bytes back: once a stream
has set receive coalescing going (after 256 KiB the socket wakes ftpsgw
only when 64 KiB are waiting, SO_RCVLOWAT), a tail below that still
crosses within milliseconds, not when more data or the end comes. Both
directions: a scripted server (fakeftp.py paced_retr) that sends 1 MiB,
then 100 bytes, then pauses 1.5 s before its close_notify; and a client
that uploads 1 MiB and 100 bytes to ProFTPD three times, each time
waiting with the data connection open until the file on the server holds
all of it. Broken on purpose (CONN_NUDGE_MS made 200 s), both fail, 3
runs of 3: the upload's tail never reaches the server, and the download's
server, which waits for ftpsgw's close_notify before it closes, never
ends the data."""

import os

from fakeftp import PACED_BURST, PACED_PAUSE, PACED_TAIL
from test_gateway import ftp_script, gw_config
from test_hostile_backend import FAKE, hostile, script

# The tail must arrive this long before the end of the data at least: it is
# sent PACED_PAUSE seconds before, and crosses in milliseconds when right.
EARLY = 1.0

PACED_RETR = f"""
import time
f.connect(host, 21); f.login(user, pw); f.prot_p()
d = f.transfercmd('RETR paced')
got, tail_at = 0, None
while True:
    b = d.recv(65536)
    if not b:
        break
    got += len(b)
    if tail_at is None and got >= {PACED_BURST + PACED_TAIL}:
        tail_at = time.monotonic()
end = time.monotonic()
d.close()
out('BYTES', got)
out('EARLY', round(end - tail_at, 3) if tail_at else 'never')
out('FINAL', f.voidresp())
"""

BURST, TAIL, ROUNDS, WAIT = 1 << 20, 100, 3, 1.0

# ROUNDS times: a burst and a tail, then at most WAIT seconds for the file
# on the server to hold all of it. The nudge that reads each tail also
# stops coalescing; the next burst starts it again.
PACED_STOR = f"""
import os, time
target = sys.argv[5]
f.connect(host, 21); f.login(user, pw); f.prot_p()
d = f.transfercmd('STOR upload/paced')
for n in range(1, {ROUNDS} + 1):
    d.sendall(b'b' * {BURST})
    d.sendall(b't' * {TAIL})
    sent = time.monotonic()
    while time.monotonic() - sent < {WAIT}:
        try:
            size = os.stat(target).st_size
        except OSError:
            size = 0
        if size == n * {BURST + TAIL}:
            break
        time.sleep(0.005)
    out('ARRIVED' + str(n), round(time.monotonic() - sent, 3)
        if size == n * {BURST + TAIL} else 'never')
d.unwrap()
d.close()
out('FINAL', f.voidresp())
"""


def test_download_tail_is_not_held_back(lab, certs, start_gw):
    with hostile(lab, certs, "paced_retr") as fake:
        gw = start_gw(gw_config(certs, FAKE))
        got, r = script(lab, certs, PACED_RETR)
        fake.wait("tail sent")
        assert got.get("BYTES") == str(PACED_BURST + PACED_TAIL), r.stdout
        assert got.get("FINAL", "")[:3] == "226", r.stdout + r.stderr
        assert got["EARLY"] != "never" and float(got["EARLY"]) >= EARLY, (
            f"the last {PACED_TAIL} bytes reached the client only "
            f"{got['EARLY']} s before the end of the data, sent "
            f"{PACED_PAUSE} s before it:\n{r.stdout}\n{gw.log_text()[-2000:]}")


def test_upload_tail_is_not_held_back(lab, certs, proftpd, start_gw):
    gw = start_gw(gw_config(certs, proftpd))
    target = os.path.join(proftpd.upload, "paced")
    r = ftp_script(lab, certs, proftpd, PACED_STOR, extra=(target,))
    got = dict(ln.partition(" ")[::2] for ln in r.stdout.splitlines())
    assert got.get("FINAL", "")[:3] == "226", r.stdout + r.stderr
    assert os.path.getsize(target) == ROUNDS * (BURST + TAIL)
    for n in range(1, ROUNDS + 1):
        assert got[f"ARRIVED{n}"] != "never", (
            f"round {n}: the last {TAIL} bytes did not reach ProFTPD within "
            f"{WAIT} s while the data connection stayed open:\n"
            f"{r.stdout}\n{gw.log_text()[-2000:]}")
    os.unlink(target)
