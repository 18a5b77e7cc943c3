"""Faults (hardening issue, part 4): SIGTERM lets transfers finish within
shutdown_timeout and ends the rest with a 421."""

import os
import signal
import subprocess
import time

import lab as L
from test_gateway import GW4, ftp_script, gw_config

IDLE = """
import ftplib, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
f = ftplib.FTP_TLS(context=ctx, timeout=20)
f.connect(sys.argv[1], 21); f.login(sys.argv[3], sys.argv[4]); f.prot_p()
print('ready', flush=True)
try:
    print(f.getresp(), flush=True)     # what the gateway says unasked
except ftplib.all_errors as e:
    print(e, flush=True)
"""


def slow_download(lab, certs, server, rate, out):
    return lab.popen(lab.ns_client, [
        "curl", "-sS", "--ssl-reqd", "--cacert", certs.ca_cert, "-u",
        f"{server.user}:{server.password}", "--max-time", "60",
        "--limit-rate", rate, f"ftp://{GW4}/f100M", "-o", out],
        stderr=subprocess.PIPE)


def wait_log(gw, text, timeout=10):
    deadline = time.monotonic() + timeout
    while text not in gw.log_text():
        assert time.monotonic() < deadline, gw.log_text()[-2000:]
        time.sleep(0.05)


def test_sigterm_lets_transfers_finish(lab, certs, proftpd, start_gw):
    gw = start_gw(gw_config(certs, proftpd, shutdown_timeout=30))
    idle = lab.popen(lab.ns_client, [L.PYTHON, "-c", IDLE, GW4,
                                     certs.ca_cert, proftpd.user,
                                     proftpd.password],
                     stdout=subprocess.PIPE)
    out = lab.path("sigterm-f100M")
    dl = None
    try:
        assert idle.stdout.readline().strip() == b"ready"
        dl = slow_download(lab, certs, proftpd, "40M", out)
        wait_log(gw, "data relay on port")  # RETR under way, not just EPSV
        t0 = time.monotonic()
        gw.signal(signal.SIGTERM)
        # The idle session is told at once.
        assert idle.stdout.readline().decode().startswith(
            "421 The gateway is shutting down."), gw.log_text()[-2000:]
        # Nobody new gets in.
        assert lab.tcp_connect(lab.ns_client, GW4, 21) in ("refused",
                                                          "timeout")
        assert dl.wait(timeout=60) == 0, dl.stderr.read().decode()
        assert gw.proc.wait(timeout=10) == 0
        assert time.monotonic() - t0 < 20
    finally:
        lab.stop_process(idle)
        if dl is not None:
            lab.stop_process(dl)
    assert L.files_equal(out, lab.test_files()["f100M"])
    log = gw.log_text()
    assert "1 transfer may finish within shutdown_timeout (30 s)" in log
    assert "ftpsgw stopped" in log


def test_shutdown_timeout_ends_slow_transfers(lab, certs, proftpd, start_gw):
    gw = start_gw(gw_config(certs, proftpd, shutdown_timeout=1))
    out = lab.path("sigterm-slow")
    dl = slow_download(lab, certs, proftpd, "5M", out)
    try:
        wait_log(gw, "data relay on port")
        t0 = time.monotonic()
        gw.signal(signal.SIGTERM)
        assert gw.proc.wait(timeout=10) == 0
        assert 0.8 < time.monotonic() - t0 < 6
        assert dl.wait(timeout=30) != 0
    finally:
        lab.stop_process(dl)
    assert "shutdown_timeout (1 s) over: closing 1 session\n" in \
        gw.log_text()


# Opens n connections to port 21 without reading, reports, then holds them
# until stdin closes.
FLOOD = """
import socket, sys
socks = [socket.create_connection((sys.argv[1], 21), timeout=5)
         for _ in range(int(sys.argv[2]))]
print('open', len(socks), flush=True)
sys.stdin.read()
"""


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_out_of_file_descriptors_pauses_accepting(lab, certs, proftpd,
                                                  start_gw):
    """With a tiny fd limit, a flood of connections makes accept fail with
    EMFILE: ftpsgw says so, pauses accepting instead of spinning, and
    serves again once descriptors are free."""
    gw = start_gw(gw_config(certs, proftpd, conntrack="off"),
                  binary="/usr/bin/prlimit",
                  argv_extra=["--nofile=24:24", L.GATEWAY_BIN])
    flood = lab.popen(lab.ns_client, [L.PYTHON, "-c", FLOOD, GW4, "40"],
                      stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert flood.stdout.readline().startswith(b"open 40")
        wait_log(gw, "out of file descriptors")
        before = cpu_seconds(gw.pid)
        time.sleep(2)
        assert cpu_seconds(gw.pid) - before < 0.5, "busy loop on EMFILE"
        assert gw.alive()
    finally:
        lab.stop_process(flood)
    deadline = time.monotonic() + 10
    while True:
        r = lab.run(lab.ns_client, [L.PYTHON, "-c",
                                    "import socket,sys\n"
                                    "s=socket.create_connection((sys.argv[1],21),timeout=5)\n"
                                    "print(s.makefile('rb').readline().decode().strip())",
                                    GW4], check=False, timeout=30)
        if r.stdout.startswith("220"):
            break
        assert time.monotonic() < deadline, r.stdout + r.stderr + \
            gw.log_text()[-2000:]
        time.sleep(0.2)
    assert "raise LimitNOFILE / ulimit -n" in gw.log_text()


ABANDON_AFTER_LOGIN = """
f.connect(host, 21); f.login(user, pw)
f.sock.shutdown(socket.SHUT_RDWR); f.sock.close()
"""


def test_abandoned_sessions_leave_no_time_wait_on_the_router(lab, certs,
                                                            proftpd,
                                                            start_gw):
    """A client that vanishes (after the greeting, after login) or quits:
    ftpsgw sends the server QUIT and lets it close first, so the TIME_WAIT
    sockets stay on the server, not on the router, where thousands of them
    would slow every connect() to the server."""
    gw = start_gw(gw_config(certs, proftpd))
    for _ in range(3):
        lab.run(lab.ns_client, [L.PYTHON, "-c",
                                "import socket,sys\n"
                                "s=socket.create_connection((sys.argv[1],21),timeout=5)\n"
                                "s.makefile('rb').readline(); s.close()", GW4])
        ftp_script(lab, certs, proftpd, ABANDON_AFTER_LOGIN)
    r = lab.run(lab.ns_client, [
        "curl", "-sS", "--ssl-reqd", "--cacert", certs.ca_cert, "-u",
        f"{proftpd.user}:{proftpd.password}", f"ftp://{GW4}/f1",
        "-o", "/dev/null"], check=False)
    assert r.returncode == 0, r.stderr
    deadline = time.monotonic() + 5
    while gw.log_text().count("session closed") < 7:
        assert time.monotonic() < deadline, gw.log_text()[-2000:]
        time.sleep(0.1)
    time.sleep(0.5)
    router = lab.run(lab.ns_router, ["ss", "-tanH", "state", "time-wait",
                                     "dst", f"{proftpd.address}:21"]).stdout
    server = lab.run(lab.ns_server, ["ss", "-tanH", "state", "time-wait",
                                     "src", f"{proftpd.address}:21"]).stdout
    assert router.strip() == "", router
    assert len(server.strip().splitlines()) >= 7, server
