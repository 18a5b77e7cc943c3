"""Health checks of the FTP server (issue 17, part 3), with a ProFTPD of
the test's own on 198.51.100.13 (in the lab's backend certificate), so
stopping it disturbs no other test: the log says up, then down with the
reason once the server is stopped, a new client gets the 421 at once, a
session open when the server died gets a 421 naming why, and after the
restart a transfer works byte for byte. A certificate that does not
verify fails the checks with that reason; with health_check = off no
check reaches the server; the checks leave no error in ProFTPD's logs."""

import os
import re
import signal
import socket
import subprocess
import time

import pytest

import lab as L
import servers
from test_gateway import GW4, SCRIPT_HEAD, curl, gw_config
from test_gateway_modes import add_addr, del_addr

ADDR = "198.51.100.13"
LAN = "198.51.100.1"
MPORT = 9197
FAST = {"health_check": "on", "health_interval": "1", "health_rise": "2",
        "health_fall": "2"}
DOWN_421 = ("421 Service not available: the FTP server behind this gateway "
            "is down; try again later.")


@pytest.fixture
def own_proftpd(lab, certs):
    """start() -> a ProFTPD on ADDR (again after a stop); all stopped and
    the address removed at the end."""
    add_addr(lab, lab.ns_server, "eth0", ADDR)
    started = []

    def start():
        srv = servers.start_proftpd(lab, certs, address=ADDR, address6="",
                                    tag="health-proftpd")
        started.append(srv)
        return srv
    try:
        yield start
    finally:
        for s in started:
            s.stop()
        del_addr(lab, lab.ns_server, "eth0", ADDR)


def wait_log(gw, text, timeout=15):
    deadline = time.monotonic() + timeout
    while text not in gw.log_text():
        assert time.monotonic() < deadline, \
            f"{text!r} not in log:\n{gw.log_text()[-3000:]}"
        time.sleep(0.1)


def scrape(lab):
    r = lab.run(lab.ns_router, ["curl", "-sS", "--max-time", "5",
                                f"http://{LAN}:{MPORT}/metrics"],
                check=False, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout


def metric(text, line_prefix):
    for line in text.splitlines():
        if line.startswith(line_prefix + " "):
            return float(line.split()[-1])
    raise AssertionError(f"{line_prefix} not in scrape")


# The first reply a new client gets, and how long it took (seconds).
GREETING = """
import socket, sys, time
t0 = time.monotonic()
s = socket.create_connection((sys.argv[1], 21), timeout=15)
f = s.makefile('rb')
line = f.readline().decode().rstrip()
print(f'{time.monotonic() - t0:.3f} {line}', flush=True)
"""


def first_reply(lab):
    r = lab.run(lab.ns_client, [L.PYTHON, "-c", GREETING, GW4],
                check=False, timeout=30)
    assert r.returncode == 0, r.stderr
    secs, _, line = r.stdout.strip().partition(" ")
    return float(secs), line


# A logged-in session that then waits for what the gateway says unasked.
IDLE = """
import ftplib, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
f = ftplib.FTP_TLS(context=ctx, timeout=30)
f.connect(sys.argv[1], 21); f.login(sys.argv[3], sys.argv[4]); f.prot_p()
print('ready', flush=True)
try:
    print(f.getresp(), flush=True)
except ftplib.all_errors as e:
    print(e, flush=True)
"""

# A download read slowly; once it runs, 'reading'; at the end every reply
# the control connection still gives (or the error).
SLOW_RETR = SCRIPT_HEAD + """
import time
f.timeout = 20
f.connect(host, 21); f.login(user, pw); f.prot_p()
d = f.transfercmd('RETR f100M')
got = 0
try:
    for i in range(4000):
        b = d.recv(65536)
        if not b:
            break
        got += len(b)
        if i == 3:
            print('reading', flush=True)
        time.sleep(0.01)
except OSError as e:
    print('data:', e, flush=True)
d.close()
print('got', got, flush=True)
for _ in range(2):
    try:
        print(f.getresp(), flush=True)
    except ftplib.all_errors as e:
        print(e, flush=True)
        if not str(e)[:1].isdigit() or str(e).startswith('421'):
            break
"""


def log_marks(srv):
    return (len(srv.log_text("system")), len(srv.log_text("tls")))


def server_errors(srv, since=(0, 0)):
    """Lines of ProFTPD's logs (after the marks since) that report errors;
    its log files are shared by every start of this server."""
    text = srv.log_text("system")[since[0]:] + srv.log_text("tls")[since[1]:]
    return [ln for ln in text.splitlines()
            if re.search(r"error|fail|unable|refused|did not", ln, re.I)]


def test_down_up_and_the_sessions_in_between(lab, certs, own_proftpd,
                                             start_gw, test_files):
    srv = own_proftpd()
    marks = log_marks(srv)
    gw = start_gw(gw_config(certs, srv, **FAST,
                            metrics_listen=f"{LAN}:{MPORT}"))
    name = f"{ADDR}:21"
    wait_log(gw, f"FTP server {name} is up: it answers the health checks")
    text = scrape(lab)
    assert metric(text, 'ftpsgw_backend_state{state="up"}') == 1
    assert metric(text, 'ftpsgw_health_checks_total{result="ok"}') >= 1

    idle = lab.popen(lab.ns_client, [L.PYTHON, "-c", IDLE, GW4,
                                     certs.ca_cert, srv.user, srv.password],
                     stdout=subprocess.PIPE)
    try:
        assert idle.stdout.readline().strip() == b"ready"
        t0 = time.monotonic()
        srv.stop()              # the master and its session processes
        # The session that was open hears why, at once.
        line = idle.stdout.readline().decode().strip()
        assert line == ("421 Service not available: the FTP server closed "
                        "the connection."), line
        assert idle.wait(timeout=10) == 0
    finally:
        lab.stop_process(idle)
    # Down after health_fall (2) failed checks, 1 s apart.
    wait_log(gw, f"FTP server {name} is down: 2 checks failed in a row, "
             "last: Connection refused; new sessions get 421 until it "
             "answers again")
    assert time.monotonic() - t0 < 6
    text = scrape(lab)
    assert metric(text, 'ftpsgw_backend_state{state="down"}') == 1
    assert metric(text, 'ftpsgw_health_checks_total{result="connect_failed"}'
                  ) >= 2
    # A new client is told at once, not after connect_timeout (10 s).
    secs, line = first_reply(lab)
    assert line == DOWN_421
    assert secs < 1.0, secs
    assert "refused at once: the FTP server 198.51.100.13:21 is down" in \
        gw.log_text()
    assert gw.log_text().count(" is down: ") == 1   # transitions only

    srv2 = own_proftpd()
    wait_log(gw, f"FTP server {name} is up again after 2 good checks")
    out = lab.path("health-f1M")
    r = curl(lab, certs, srv2, f"ftp://{GW4}/f1M", "-o", out)
    assert r.returncode == 0, r.stderr + gw.log_text()[-2000:]
    assert L.files_equal(out, test_files["f1M"])
    text = scrape(lab)
    assert metric(text, 'ftpsgw_backend_state{state="up"}') == 1
    # The checks (AUTH TLS, handshake, QUIT) leave no error at the server.
    assert server_errors(srv2, marks) == [], server_errors(srv2, marks)


def test_server_dies_during_a_transfer(lab, certs, own_proftpd, start_gw):
    srv = own_proftpd()
    gw = start_gw(gw_config(certs, srv, **FAST))
    wait_log(gw, "is up: it answers the health checks")
    dl = lab.popen(lab.ns_client, [L.PYTHON, "-c", SLOW_RETR, GW4,
                                   certs.ca_cert, srv.user, srv.password],
                   stdout=subprocess.PIPE)
    try:
        assert dl.stdout.readline().strip() == b"reading"
        # Killed outright, sessions included: no goodbye from the server.
        os.killpg(srv.pid, signal.SIGKILL)
        out, _ = dl.communicate(timeout=30)
    finally:
        lab.stop_process(dl)
    out = out.decode()
    assert ("421 Service not available: the FTP server closed the "
            "connection.") in out, out + gw.log_text()[-3000:]
    wait_log(gw, "is down: 2 checks failed in a row")
    assert gw.alive()


def test_certificate_that_does_not_verify(lab, certs, own_proftpd,
                                          start_gw):
    srv = own_proftpd()
    gw = start_gw(gw_config(certs, srv, **{**FAST, "health_fall": "1"},
                            backend_name="wrong.example.test",
                            metrics_listen=f"{LAN}:{MPORT}"))
    wait_log(gw, f"FTP server {ADDR}:21 is down: 1 check failed in a row, "
             "last: TLS handshake failed: its TLS certificate was refused: ")
    assert "backend_name can set" in gw.log_text()
    text = scrape(lab)
    assert metric(text, 'ftpsgw_health_checks_total{result="tls_failed"}'
                  ) >= 1
    assert metric(text, 'ftpsgw_health_checks_total{result="ok"}') == 0
    secs, line = first_reply(lab)
    assert line == DOWN_421 and secs < 1.0


def sessions_seen(srv):
    """TLS handshakes ProFTPD began (its TLSLog; the log file is shared by
    every start of this server, so callers compare counts)."""
    return len(re.findall(r"TLS/TLS-C requested", srv.log_text("tls")))


def test_checks_cost_one_connection_and_off_means_none(lab, certs,
                                                       own_proftpd, start_gw):
    srv = own_proftpd()
    marks = log_marks(srv)
    n0 = sessions_seen(srv)
    gw = start_gw(gw_config(certs, srv))         # health_check off
    time.sleep(3.0)
    assert sessions_seen(srv) == n0, srv.log_text("tls")[-3000:]
    gw.stop()
    gw = start_gw(gw_config(certs, srv, **FAST))
    wait_log(gw, "is up: it answers the health checks")
    n1 = sessions_seen(srv)
    time.sleep(3.5)
    n = sessions_seen(srv) - n1
    # One check a second (each waits 1 s after the last ended), each one
    # connection and one handshake, no login.
    assert 2 <= n <= 4, srv.log_text("tls")[-3000:]
    assert "USER" not in srv.log_text("system")
    assert server_errors(srv, marks) == [], server_errors(srv, marks)


# ---- failover within a pool (issue 17, part 5) -------------------------------

# Log in, read WHICH, print its first line, then wait for what the gateway
# says unasked (bounded by the timeout).
WHICH_IDLE = SCRIPT_HEAD + """
import io
f.timeout = 30
f.connect(host, 21); f.login(user, pw); f.prot_p()
b = io.BytesIO()
f.retrbinary('RETR ' + sys.argv[5], b.write)
print(b.getvalue().decode().strip(), flush=True)
try:
    print(f.getresp(), flush=True)
except ftplib.all_errors as e:
    print(e, flush=True)
"""


def test_failover_within_a_pool(lab, certs, proftpd, own_proftpd, start_gw):
    """Two ProFTPDs in one pool with health checks: one stopped mid-run,
    its open session gets a 421 naming why, the other's goes on, the log,
    the metrics and the status page say it is down, and new sessions all go
    to the other one; back up, it gets sessions again."""
    import json
    from test_backends import WHICH, base, fetch, section, which_files
    srv_a = own_proftpd()
    conf = (base(certs, metrics_listen=f"{LAN}:{MPORT}", **FAST)
            + section("a", srv_a, pool="site")
            + section("b", proftpd, pool="site"))
    out = lab.path("which-failover.txt")
    sessions = []
    with which_files((srv_a, b"A\n"), (proftpd, b"B\n")):
        gw = start_gw(conf)
        wait_log(gw, f"FTP server {ADDR}:21 [backend a] is up")
        wait_log(gw, f"FTP server {proftpd.hostport} [backend b] is up")

        def one():
            time.sleep(0.5)     # a ProFTPD master spaces its sessions
            rc, so, data = fetch(lab, certs, proftpd.user, proftpd.password,
                                 out)
            assert rc == 0, so
            return data
        assert sorted([one(), one()]) == [b"A\n", b"B\n"]

        try:
            # One open session on each server (round-robin).
            for _ in range(2):
                time.sleep(0.5)
                p = lab.popen(lab.ns_client, [L.PYTHON, "-c", WHICH_IDLE,
                                              GW4, certs.ca_cert,
                                              proftpd.user, proftpd.password,
                                              WHICH],
                              stdout=subprocess.PIPE)
                sessions.append((p, p.stdout.readline().strip()))
            assert sorted(s for _, s in sessions) == [b"A", b"B"], sessions
            on_a = next(p for p, s in sessions if s == b"A")
            on_b = next(p for p, s in sessions if s == b"B")

            srv_a.stop()
            line = on_a.stdout.readline().decode().strip()
            assert line == ("421 Service not available: the FTP server "
                            "closed the connection."), line
            # (The last failure's words depend on how far ProFTPD's
            # shutdown was: refused, or closed.)
            wait_log(gw, f"FTP server {ADDR}:21 [backend a] is down: 2 "
                     "checks failed in a row, last: ")
            # The session on the other server was not disturbed.
            assert on_b.poll() is None

            text = scrape(lab)
            failed = sum(metric(text, 'ftpsgw_health_checks_total{result='
                                f'"{r}"}}') for r in ("connect_failed",
                                                      "closed", "timeout"))
            assert failed >= 2, text
            assert metric(text, 'ftpsgw_backend_health{backend="a",'
                          'state="down"}') == 1
            assert metric(text, 'ftpsgw_backend_health{backend="b",'
                          'state="up"}') == 1
            assert metric(text, 'ftpsgw_backend_sessions{backend="a"}') == 0
            assert metric(text, 'ftpsgw_backend_sessions{backend="b"}') == 1
            r = lab.run(lab.ns_router, ["curl", "-sS", "--max-time", "5",
                                        f"http://{LAN}:{MPORT}/status.json"],
                        check=False, timeout=30)
            assert r.returncode == 0, r.stderr
            health = {b["name"]: b["health"]
                      for b in json.loads(r.stdout)["backends"]}
            assert health == {"a": "down", "b": "up"}, health

            # Every new session goes to the server that is up.
            assert [one() for _ in range(3)] == [b"B\n"] * 3
        finally:
            for p, _ in sessions:
                lab.stop_process(p)

        own_proftpd()
        wait_log(gw, f"FTP server {ADDR}:21 [backend a] is up again after "
                 "2 good checks")
        got = [one() for _ in range(4)]
        assert b"A\n" in got and b"B\n" in got, got
