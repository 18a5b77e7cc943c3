"""Data channels that outlive their transfer are bounded (issue 12, part 6).

A client that completes transfer after transfer but never closes its data
connections leaves each channel waiting for its close (up to 3 s). Released
channels still finishing count against a cap per worker, past which they
close at once: descriptors stay bounded however fast the transfers come.
"""

import os
import re
import time

from test_gateway import ftp_script, gw_config

TRANSFERS = 200
CAP = 64            # DATA_LINGERING_MAX, per worker


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def test_tiny_transfers_never_closed_keep_fds_bounded(lab, certs, proftpd,
                                                     start_gw):
    gw = start_gw(gw_config(certs, proftpd, workers=1))
    base = fd_count(gw.proc.pid)
    body = f"""
import time
f.connect(host, 21); f.login(user, pw); f.prot_p(); f.voidcmd('TYPE I')
kept = []
t0 = time.monotonic()
for i in range({TRANSFERS}):
    conn = f.transfercmd('RETR f1')
    while conn.recv(4096):
        pass
    kept.append(conn)          # read to the end, never closed
    f.voidresp()
out('DONE', len(kept), round(time.monotonic() - t0, 2))
time.sleep(2.5)
out('RELEASED')
"""
    peak = base
    import threading
    result = {}

    def run():
        result["r"] = ftp_script(lab, certs, proftpd, body, timeout=120)

    t = threading.Thread(target=run)
    t.start()
    deadline = time.monotonic() + 120
    while t.is_alive() and time.monotonic() < deadline:
        peak = max(peak, fd_count(gw.proc.pid))
        time.sleep(0.02)
    t.join(5)
    r = result["r"]
    assert r.returncode == 0, r.stdout + r.stderr + gw.log_text()[-3000:]
    m = re.search(r"DONE (\d+) ([\d.]+)", r.stdout)
    assert m and int(m.group(1)) == TRANSFERS, r.stdout
    # Two descriptors per finishing channel at most, plus the session's
    # own and the one transfer in progress.
    assert peak <= base + 2 * CAP + 16, (peak, base, r.stdout)


def test_channel_outliving_its_session_logs_with_its_own_tag(lab, certs,
                                                             proftpd,
                                                             start_gw):
    """A finished data channel still closing after its session ended logs
    with a tag of its own: it read the freed session's tag before (seen
    by ASan: make check SANITIZE=1)."""
    gw = start_gw(gw_config(certs, proftpd))
    r = ftp_script(lab, certs, proftpd, """
import socket, struct, time
f.connect(host, 21); f.login(user, pw); f.prot_p(); f.voidcmd('TYPE I')
conn = f.transfercmd('RETR f1')
while conn.recv(4096):
    pass                           # read to the end, not closed
out('FINAL', f.voidresp()[:3])
f.quit()                           # the session ends; the channel lingers
time.sleep(0.5)
conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
conn.close()                       # a reset for the lingering channel
time.sleep(0.5)
out('DONE')
""", timeout=60)
    log = gw.log_text()
    assert "FINAL 226" in r.stdout and "DONE" in r.stdout, \
        r.stdout + r.stderr + log[-3000:]
    closed = log.index("session closed")
    after = log[closed:]
    assert re.search(r"#1 203\.0\.113\.10: client data connection: "
                     r"Connection reset by peer", after), log[-3000:]
