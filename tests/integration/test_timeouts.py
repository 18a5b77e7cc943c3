"""Timeouts (protocol completeness issue, part 6): each expiry gives the
client the right reply promptly and releases everything, the session
staying usable where it can."""

import os
import subprocess
import time

import lab as L
from test_gateway import GW4, epsv_hold, ftp_script, gw_config

SILENT = "198.51.100.13"


def test_idle_timeout_closes_with_421(lab, certs, proftpd, start_gw):
    gw = start_gw(gw_config(certs, proftpd, idle_timeout=2))
    body = """
import time
f.connect(host, 21); f.login(user, pw); f.prot_p()
time.sleep(3.5)
out('AFTER', cmd('NOOP')[:3])
"""
    r = ftp_script(lab, certs, proftpd, body)
    assert "AFTER 421" in r.stdout, r.stdout + r.stderr
    log = gw.log_text()
    assert "idle for idle_timeout (2 s); closing" in log
    assert "session closed" in log


def test_connect_timeout_with_a_silent_backend(lab, certs, proftpd, start_gw):
    """A backend that accepts but never greets: 421 within connect_timeout."""
    lab.run(lab.ns_server, ["ip", "addr", "add", f"{SILENT}/24", "dev", "eth0"])
    sink = lab.popen(lab.ns_server, [L.PYTHON, "-c",
                                     "import socket,time\n"
                                     "s=socket.socket(); s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n"
                                     f"s.bind(('{SILENT}',21)); s.listen(8)\n"
                                     "print('up',flush=True)\n"
                                     "c=[s.accept() for _ in range(4)]\ntime.sleep(60)\n"],
                     stdout=subprocess.PIPE)
    try:
        assert sink.stdout.readline().strip() == b"up"
        gw = start_gw(gw_config(certs, proftpd, backend=f"{SILENT}:21",
                                connect_timeout=2))
        t0 = time.monotonic()
        r = ftp_script(lab, certs, proftpd, """
try:
    f.connect(host, 21)
    out('GOT', f.getwelcome())
except ftplib.all_errors as e:
    out('ERR', e)
""")
        elapsed = time.monotonic() - t0
        assert r.stdout.startswith("ERR 421 Service not available"), r.stdout
        assert 1.5 < elapsed < 6, elapsed
        assert "within connect_timeout (2 s)" in gw.log_text()
    finally:
        lab.stop_process(sink)
        lab.run(lab.ns_server, ["ip", "addr", "del", f"{SILENT}/24", "dev",
                                "eth0"], check=False)


def test_data_timeout_when_the_client_never_connects(lab, certs, proftpd,
                                                     start_gw):
    """PASV then RETR, and the client never connects: after data_timeout
    the client gets a 425 (ftpsgw aborts the transfer on the server, which
    would wait much longer), and the session goes on."""
    gw = start_gw(gw_config(certs, proftpd, data_timeout=2))
    body = """
import time
f.connect(host, 21); f.login(user, pw); f.prot_p()
f.voidcmd('TYPE I')
cmd('PASV')
t0 = time.monotonic()
f.putcmd('RETR f16385')
# A 150 may come first: ftpsgw's connection that unblocks the server can
# reach it before it gives up.
for _ in range(2):
    try:
        r = f.getresp()
    except ftplib.all_errors as e:
        r = str(e)
    if not r.startswith('1'):
        break
out('FINAL', r)
out('SECS', round(time.monotonic() - t0, 1))
out('NOOP', cmd('NOOP')[:3])
data = []
f.retrbinary('RETR f16385', data.append)
out('NEXT', sum(map(len, data)))
f.quit()
"""
    r = ftp_script(lab, certs, proftpd, body, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr + gw.log_text()[-3000:]
    got = dict(ln.split(" ", 1) for ln in r.stdout.splitlines() if " " in ln)
    assert got["FINAL"].startswith("425 No data connection was made"), r.stdout
    assert float(got["SECS"]) < 6, r.stdout
    assert got["NOOP"] == "200", r.stdout
    assert got["NEXT"] == "16385", r.stdout
    assert "no data connection to port" in gw.log_text()


def test_stalled_download_is_aborted(lab, certs, proftpd, start_gw):
    """A client that stops reading a download: after data_timeout without
    progress the transfer ends with 426 and the session goes on."""
    gw = start_gw(gw_config(certs, proftpd, data_timeout=2))
    body = """
import time
f.connect(host, 21); f.login(user, pw); f.prot_p()
f.voidcmd('TYPE I')
conn = f.transfercmd('RETR f100M')
conn.recv(1000)
t0 = time.monotonic()
try:
    r = f.getresp()
except ftplib.all_errors as e:
    r = str(e)
out('FINAL', r)
out('SECS', round(time.monotonic() - t0, 1))
conn.close()
out('NOOP', cmd('NOOP')[:3])
f.quit()
"""
    r = ftp_script(lab, certs, proftpd, body, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr + gw.log_text()[-3000:]
    got = dict(ln.split(" ", 1) for ln in r.stdout.splitlines() if " " in ln)
    assert got["FINAL"].startswith("426 Data transfer stalled"), r.stdout
    assert float(got["SECS"]) < 10, r.stdout
    assert got["NOOP"] == "200", r.stdout
    assert "data transfer stalled for data_timeout (2 s)" in gw.log_text()


def test_expired_data_port_is_released(lab, certs, proftpd, start_gw):
    """PASV and nothing else: after data_timeout the passive listener is
    closed and the expectation is gone, while the session stays open."""
    start_gw(gw_config(certs, proftpd, data_timeout=2))
    p, port = epsv_hold(lab, certs, proftpd)
    try:
        assert f"dport={port}" in lab.conntrack_expect()
        assert lab.tcp_connect(lab.ns_router, GW4, port) == "connected"
        time.sleep(3.5)
        assert f"dport={port}" not in lab.conntrack_expect()
        assert lab.tcp_connect(lab.ns_router, GW4, port) == "refused"
        p.stdin.write(b"\n")
        p.stdin.flush()
        assert p.stdout.readline().decode().startswith("200")
        p.wait(timeout=15)
        assert p.returncode == 0
    finally:
        lab.stop_process(p)
