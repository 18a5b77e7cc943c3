"""Prometheus metrics (issue 16, part 1): metrics_listen on the router's LAN
address, scraped with curl from the LAN while real clients (Python's
ftplib) work through the gateway in front of ProFTPD; every counter the
clients moved is checked exactly (bytes to the byte), the scrape passes
`promtool check metrics` (Debian's prometheus package), SIGHUP keeps the
counters, the Internet side cannot reach the listener, an address the
Internet reaches is refused at `ftpsgw -t` and at start, and the HTTP
server holds against idle and malformed connections.
"""

import json
import os
import re
import signal
import subprocess
import time

import pytest

import lab as L
from test_gateway import (GW4, SCRIPT_HEAD, ftp_script, ftpc, gw_config,
                          remove_uploads)

LAN = "198.51.100.1"            # the router's LAN address (L.Lab.ROUTER_LAN4)
PORT = 9199
URL = f"http://{LAN}:{PORT}/metrics"
PROMTOOL = "promtool"
# The README's rule: the metrics port from the LAN side only.
LAN_RULE = f'iifname "lan0" tcp dport {PORT} accept'

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse(text):
    """{(name, ((label, value), ...)): float} of every sample line."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        assert m, f"not a sample line: {line!r}"
        labels = tuple(sorted(LABEL.findall(m.group(2) or "")))
        out[(m.group(1), labels)] = float(m.group(3))
    return out


def val(samples, name, **labels):
    return samples[(name, tuple(sorted(labels.items())))]


def family(samples, name):
    """{labels-dict as a sorted tuple: value} of one metric."""
    return {k[1]: v for k, v in samples.items() if k[0] == name}


def scrape(lab, ns=None, url=URL, timeout=5):
    """GET the metrics with curl from ns (default: the LAN, i.e. the FTP
    server's namespace). Returns (headers, body)."""
    r = lab.run(ns or lab.ns_server, ["curl", "-sS", "-D", "-", "--max-time",
                                      str(timeout), url],
                check=False, timeout=timeout + 30)
    assert r.returncode == 0, f"curl {url}: {r.stderr}"
    # text mode: the CRLFs of the headers read as LFs.
    head, _, body = r.stdout.partition("\n\n")
    return head, body


def promtool_check(text):
    """`promtool check metrics` on a scrape: exit 0 and not a word of
    complaint (it lints names, units, help texts, suffixes)."""
    assert text.strip(), "empty scrape"
    r = subprocess.run([PROMTOOL, "check", "metrics"], input=text,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=30)
    assert r.returncode == 0 and not r.stdout.strip() and \
        not r.stderr.strip(), f"promtool: {r.stdout}{r.stderr}"


class NftRule:
    """A rule appended to the router's input chain for one test, removed by
    its handle afterwards (the lab and its ruleset are the session's)."""

    def __init__(self, lab, rule):
        self.lab = lab
        r = lab.run(lab.ns_router, ["nft", "--echo", "--handle", "-f", "-"],
                    input=f"add rule inet ftpsgw input {rule}\n")
        m = re.search(r"# handle (\d+)", r.stdout)
        assert m, r.stdout + r.stderr
        self.handle = m.group(1)

    def remove(self):
        self.lab.run(self.lab.ns_router, ["nft", "delete", "rule", "inet",
                                          "ftpsgw", "input", "handle",
                                          self.handle])


@pytest.fixture
def lan_rule(lab):
    rule = NftRule(lab, LAN_RULE)
    try:
        yield rule
    finally:
        rule.remove()


def metrics_config(certs, proftpd, **over):
    c = gw_config(certs, proftpd, metrics_listen=f"{LAN}:{PORT}",
                  workers="2", data_timeout="2")
    c.update(over)
    return c


def wait_for(fn, timeout=10.0, step=0.1):
    """Poll fn() until it returns a true value (bounded); returns it."""
    deadline = time.monotonic() + timeout
    while True:
        got = fn()
        if got or time.monotonic() > deadline:
            return got
        time.sleep(step)


# One session: two downloads, one upload and a LIST, each counted in raw
# bytes as the client received or sent them.
SESSION = """
import io, json
f.connect(host, 21); f.login(user, pw); f.prot_p()
n = {}
for name in ('f1M', 'f16385'):
    got = []
    f.retrbinary('RETR ' + name, got.append)
    n[name] = sum(map(len, got))
up = bytes(range(256)) * 64 + b'metrics'
f.storbinary('STOR upload/metrics-up', io.BytesIO(up))
n['up'] = len(up)
got = []
f.retrbinary('LIST', got.append)
n['list'] = sum(map(len, got))
f.quit()
out(json.dumps(n))
"""

# A session whose passive port is first tried by another host (the router
# itself: its loopback passes its firewall), then used by the client.
FOREIGN = """
import socket
f.connect(host, 21); f.login(user, pw); f.prot_p()
r = f.sendcmd('EPSV'); port = int(r.split('|||')[1].split('|')[0])
out(port); sys.stdin.readline()
c = socket.create_connection((host, port), timeout=10)
f.sendcmd('TYPE I'); f.putcmd('RETR f16385'); f.getresp()
d = ctx.wrap_socket(c, server_hostname=host, session=f.sock.session)
data = b''
while True:
    b = d.recv(65536)
    if not b:
        break
    data += b
d.unwrap(); d.close(); f.voidresp()
out('LEN', len(data))
f.quit()
"""


def run_foreign(lab, certs, proftpd):
    p = lab.popen(lab.ns_client, [L.PYTHON, "-c", SCRIPT_HEAD + FOREIGN, GW4,
                                  certs.ca_cert, proftpd.user,
                                  proftpd.password],
                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                  stderr=subprocess.PIPE)
    try:
        port = int(p.stdout.readline())
        assert lab.tcp_connect(lab.ns_router, GW4, port, timeout=2) == \
            "connected"
        p.stdin.write(b"\n")
        p.stdin.flush()
        out, err = p.communicate(timeout=30)
    finally:
        lab.stop_process(p)
    assert "LEN 16385" in out.decode(), out.decode() + err.decode()


def test_counters_match_what_the_clients_did(lab, certs, proftpd, start_gw,
                                              lan_rule):
    gw = start_gw(metrics_config(certs, proftpd))
    assert f"metrics: serving http://{LAN}:{PORT}/metrics" in gw.log_text()
    remove_uploads(proftpd, ["metrics-up"])
    try:
        # Before any session: all zero, the FTP server's state unknown.
        head, body = scrape(lab)
        assert "Content-Type: text/plain; version=0.0.4" in head, head
        promtool_check(body)
        s0 = parse(body)
        assert val(s0, "ftpsgw_backend_state", state="unknown") == 1
        assert sum(family(s0, "ftpsgw_transfers_total").values()) == 0

        # 2 downloads, 1 upload, 1 LIST in one session.
        r = ftp_script(lab, certs, proftpd, SESSION)
        assert r.returncode == 0, r.stdout + r.stderr + gw.log_text()[-3000:]
        n = json.loads(r.stdout.strip().splitlines()[-1])
        assert n["f1M"] == 1 << 20 and n["f16385"] == 16385
        assert n["list"] > 0
        # A refused password.
        r = ftpc(lab, certs, proftpd, extra=["--password", "wrong"])
        assert r.returncode == 2 and "530" in r.stdout, r.stdout + r.stderr
        # A client that does not resume its TLS session on data: refused,
        # and after data_timeout its transfer fails.
        r = ftpc(lab, certs, proftpd, "get", "f1", lab.path("m-noreuse"),
                 extra=["--no-reuse"])
        assert r.returncode == 2 and "425 Data connection refused" in \
            r.stdout, r.stdout + r.stderr
        # Another host first on a client's passive port, then the client.
        run_foreign(lab, certs, proftpd)
        # Implicit FTPS, login only.
        r = ftpc(lab, certs, proftpd, extra=["--implicit"])
        assert r.returncode == 0, r.stdout + r.stderr

        # Every session has ended (its close follows the client's QUIT).
        def closed():
            b = scrape(lab)[1]
            s = parse(b)
            return b if sum(family(s, "ftpsgw_sessions_open").values()) \
                == 0 else None
        body = wait_for(closed)
        assert body, "sessions still open"
        promtool_check(body)
        s = parse(body)
        log = gw.log_text()

        explicit, implicit = 4, 1
        assert val(s, "ftpsgw_sessions_total", listener="explicit") == \
            explicit
        assert val(s, "ftpsgw_sessions_total", listener="implicit") == \
            implicit
        assert val(s, "ftpsgw_logins_total", result="ok") == 4
        assert val(s, "ftpsgw_logins_total", result="failed") == 1
        assert val(s, "ftpsgw_bans_total") == 0
        xfers = {k: v for k, v in family(s, "ftpsgw_transfers_total").items()
                 if v}
        assert xfers == {
            (("direction", "download"), ("outcome", "ok")): 4,
            (("direction", "upload"), ("outcome", "ok")): 1,
            (("direction", "download"), ("outcome", "no_session_reuse")): 1,
        }, xfers
        down = n["f1M"] + n["f16385"] + n["list"] + 16385
        bytes_ = family(s, "ftpsgw_data_bytes_total")
        assert bytes_ == {
            (("direction", "sent"), ("leg", "client")): down,
            (("direction", "received"), ("leg", "server")): down,
            (("direction", "received"), ("leg", "client")): n["up"],
            (("direction", "sent"), ("leg", "server")): n["up"],
        }, (bytes_, n)
        refused = {k: v for k, v in
                   family(s, "ftpsgw_data_connections_refused_total").items()
                   if v}
        assert refused == {(("reason", "foreign_address"),): 1,
                           (("reason", "no_session_reuse"),): 1}, refused
        hs = {k: v for k, v in family(s, "ftpsgw_tls_handshakes_total")
              .items() if v}
        sessions = explicit + implicit

        def k(side, channel, result, version):
            return (("channel", channel), ("result", result),
                    ("side", side), ("version", version))
        assert hs == {
            k("client", "control", "full", "TLSv1.3"): sessions,
            k("client", "data", "resumed", "TLSv1.3"): 5,
            k("client", "data", "full", "TLSv1.3"): 1,   # the one refused
            k("server", "control", "full", "TLSv1.2"): sessions,
            k("server", "data", "resumed", "TLSv1.2"): 6,
        }, hs
        assert sum(family(s, "ftpsgw_tls_handshake_failures_total")
                   .values()) == 0
        # One expectation per passive port; the refused client's expired.
        assert val(s, "ftpsgw_conntrack_expectations_added_total") == 6
        assert val(s, "ftpsgw_conntrack_expectations_expired_total") == 1
        assert sum(family(s, "ftpsgw_conntrack_expectation_failures_total")
                   .values()) == 0
        assert val(s, "ftpsgw_backend_connect_duration_seconds_count") == \
            sessions
        assert val(s, "ftpsgw_backend_connect_duration_seconds_bucket",
                   le="+Inf") == sessions
        assert 0 < val(s, "ftpsgw_backend_connect_duration_seconds_sum") < 5
        assert val(s, "ftpsgw_backend_connect_failures_total") == 0
        assert val(s, "ftpsgw_backend_state", state="up") == 1
        assert val(s, "ftpsgw_backend_state", state="down") == 0
        assert sum(family(s, "ftpsgw_connections_refused_total")
                   .values()) == 0
        busy = family(s, "ftpsgw_worker_busy_seconds_total")
        assert sorted(dict(b)["worker"] for b in busy) == ["0", "1"]
        assert sum(busy.values()) > 0
        fds = val(s, "process_open_fds")
        assert abs(fds - len(os.listdir(f"/proc/{gw.pid}/fd"))) <= 2, fds
        assert val(s, "process_max_fds") > fds
        assert val(s, "process_cpu_seconds_total") > 0
        assert abs(val(s, "process_start_time_seconds") - time.time()) < 300
        info = [dict(k) for k in family(s, "ftpsgw_build_info")]
        assert info[0]["version"] == "0.1.0" and \
            info[0]["openssl"].startswith("OpenSSL 3"), info
        # The same refusals as the log tells them.
        assert "did not resume the control connection's TLS session" in log
        assert "refused: it is not the control client's address" in log

        # SIGHUP reloads the certificate; no counter goes back.
        gw.signal(signal.SIGHUP)
        assert wait_for(lambda: "SIGHUP: certificate" in gw.log_text(), 5)
        s2 = parse(scrape(lab)[1])
        for key, v in s.items():
            name = key[0]
            if name in ("ftpsgw_worker_busy_seconds_total",
                        "process_cpu_seconds_total", "process_open_fds",
                        "ftpsgw_certificate_reloads_total"):
                continue
            assert s2[key] == v, (key, v, s2[key])
        assert val(s2, "ftpsgw_certificate_reloads_total", result="ok") == 1
        assert val(s2, "ftpsgw_certificate_reloads_total",
                   result="failed") == 0
    finally:
        remove_uploads(proftpd, ["metrics-up"])


def test_internet_side_cannot_reach_it(lab, certs, proftpd, start_gw,
                                       lan_rule):
    """With the README's rule the LAN scrapes and the client's side reaches
    neither address; with the port opened on every interface, the public
    address still refuses: ftpsgw does not listen there."""
    gw = start_gw(metrics_config(certs, proftpd))
    assert "ftpsgw_build_info" in scrape(lab)[1]
    res = lab.tcp_probe(lab.ns_client, [(GW4, PORT), (LAN, PORT)],
                        timeout=1.5)
    assert res == {(GW4, PORT): "timeout", (LAN, PORT): "timeout"}, res
    lax = NftRule(lab, f"tcp dport {PORT} accept")
    try:
        res = lab.tcp_probe(lab.ns_client, [(GW4, PORT)], timeout=1.5)
        assert res == {(GW4, PORT): "refused"}, res
    finally:
        lax.remove()
    assert gw.alive()


def test_public_address_refused_at_check_and_start(lab, certs, proftpd):
    """metrics_listen on the address FTP clients use is refused by -t and
    at start, naming the line and the key; the LAN address passes; on
    purpose (metrics_public = on) the public one passes too."""
    cfg = metrics_config(certs, proftpd,
                         metrics_listen=f"{GW4}:{PORT}")
    r = lab.check_gateway_config(cfg, name="metrics-public")
    assert r.returncode == 1, r.stdout + r.stderr
    line = L.config_text(cfg).splitlines().index(
        f"metrics_listen = {GW4}:{PORT}") + 1
    assert f"metrics-public.conf:{line}: metrics_listen: is the address " \
        "FTP clients connect to (listen on line 1), so the Internet could " \
        "read the metrics; expected a loopback or LAN address" in r.stderr, \
        r.stderr
    # ftpsgw -c refuses to start with it (bounded: it must exit at once).
    conf = lab.write_config(cfg, "metrics-public-start")
    r = lab.run(lab.ns_router, [L.GATEWAY_BIN, "-c", conf], timeout=15,
                check=False)
    assert r.returncode == 1 and "metrics_listen: is the address FTP " \
        "clients connect to" in r.stderr, r.stdout + r.stderr
    for addr in (f"0.0.0.0:{PORT}", f"[::]:{PORT}"):
        r = lab.check_gateway_config(
            metrics_config(certs, proftpd, metrics_listen=addr),
            name="metrics-any")
        assert r.returncode == 1 and "listens on every address of the " \
            "router" in r.stderr, r.stderr
    r = lab.check_gateway_config(metrics_config(certs, proftpd),
                                 name="metrics-lan")
    assert r.returncode == 0, r.stdout + r.stderr
    r = lab.check_gateway_config(
        metrics_config(certs, proftpd, metrics_listen=f"{GW4}:{PORT}",
                       metrics_public="on"), name="metrics-on-purpose")
    assert r.returncode == 0, r.stdout + r.stderr


def raw_http(lab, ns, request, timeout=5.0):
    """Send request bytes to the metrics port from ns; returns what came
    back before the server closed (bounded)."""
    script = (
        "import socket,sys\n"
        "s=socket.create_connection((sys.argv[1],int(sys.argv[2])),"
        "timeout=float(sys.argv[3]))\n"
        "s.sendall(sys.stdin.buffer.read())\n"
        "d=b''\n"
        "try:\n"
        "  while len(d)<1<<20:\n"
        "    b=s.recv(65536)\n"
        "    if not b: break\n"
        "    d+=b\n"
        "except OSError as e: d+=b'\\nEXC '+str(e).encode()\n"
        "sys.stdout.buffer.write(d)\n")
    p = subprocess.run(["ip", "netns", "exec", ns, L.PYTHON, "-c", script,
                        LAN, str(PORT), str(timeout)], input=request,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout + 30)
    return p.stdout.decode(errors="replace")


HOLD = """
import socket, sys, time
n, hold = int(sys.argv[3]), float(sys.argv[4])
socks = []
for i in range(n):
    try:
        socks.append(socket.create_connection((sys.argv[1], int(sys.argv[2])),
                                              timeout=2))
    except OSError as e:
        print('connect', i, e, flush=True)
print('held', len(socks), flush=True)
sys.stdin.readline()
closed = 0
end = time.monotonic() + hold
for s in socks:
    s.settimeout(max(0.1, end - time.monotonic()))
    try:
        if s.recv(1) == b'':
            closed += 1
    except OSError:
        closed += 1
print('closed', closed, flush=True)
"""


def test_http_server_holds(lab, certs, proftpd, start_gw, lan_rule):
    """GET and HEAD of /metrics only; 405 with Allow for other methods
    (a body is never read), 404 elsewhere, 431 for headers past the
    per-connection memory; one address cannot hold more than its share of
    connections, idle ones are closed after the timeout, and meanwhile the
    gateway does not spin."""
    gw = start_gw(metrics_config(certs, proftpd))
    got = raw_http(lab, lab.ns_server, b"POST /metrics HTTP/1.1\r\nHost: x\r\n"
                   b"Content-Length: 100000\r\n\r\n" + b"A" * 1000)
    assert got.startswith("HTTP/1.1 405 ") and "Allow: GET, HEAD" in got, got
    got = raw_http(lab, lab.ns_server, b"GET /status HTTP/1.1\r\nHost: x\r\n"
                   b"\r\n")
    assert got.startswith("HTTP/1.1 404 "), got
    got = raw_http(lab, lab.ns_server, b"GET /metrics/../metrics HTTP/1.1\r\n"
                   b"Host: x\r\n\r\n")
    assert got.startswith("HTTP/1.1 404 "), got
    got = raw_http(lab, lab.ns_server, b"HEAD /metrics HTTP/1.1\r\nHost: x\r\n"
                   b"\r\n")
    assert got.startswith("HTTP/1.1 200 ") and "ftpsgw_" not in got, got
    got = raw_http(lab, lab.ns_server, b"GET /metrics HTTP/1.1\r\nHost: x\r\n"
                   b"X-Big: " + b"b" * 40000 + b"\r\n\r\n")
    assert got.startswith("HTTP/1.1 431 "), got[:200]
    got = raw_http(lab, lab.ns_server, b"BREW /metrics HTCPCP/1.0\r\n\r\n")
    assert "ftpsgw_" not in got, got[:200]
    assert gw.alive()

    # Eight idle connections from one LAN address: four are served (the
    # rest closed at once), the router still scrapes, and the held ones
    # are closed after the timeout (10 s).
    p = lab.popen(lab.ns_server, [L.PYTHON, "-c", HOLD, LAN, str(PORT), "8",
                                  "15"],
                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                  stderr=subprocess.PIPE)
    try:
        assert p.stdout.readline().decode().startswith("held")
        cpu0 = sum(int(x) for x in open(f"/proc/{gw.pid}/stat").read()
                   .rsplit(")", 1)[1].split()[11:13])
        t0 = time.monotonic()
        head, body = scrape(lab, ns=lab.ns_router)
        assert "ftpsgw_build_info" in body
        time.sleep(2)
        cpu1 = sum(int(x) for x in open(f"/proc/{gw.pid}/stat").read()
                   .rsplit(")", 1)[1].split()[11:13])
        ticks = os.sysconf("SC_CLK_TCK")
        assert (cpu1 - cpu0) / ticks < 0.2 * (time.monotonic() - t0), \
            "the gateway is busy while connections sit idle"
        p.stdin.write(b"\n")
        p.stdin.flush()
        out, err = p.communicate(timeout=40)
    finally:
        lab.stop_process(p)
    assert "closed 8" in out.decode(), out.decode() + err.decode()
    assert gw.alive()
    assert "ftpsgw_build_info" in scrape(lab)[1]


def test_open_fds_after_chroot_and_user(lab, certs, proftpd, start_gw,
                                        lan_rule):
    """Started as root with user = nobody and chroot = an empty directory,
    the gateway still counts its open descriptors (through /proc/self/fd
    opened before the switch) and serves the scrape."""
    jail = lab.path("metrics-jail")
    os.makedirs(jail, exist_ok=True)
    gw = start_gw(metrics_config(certs, proftpd, user="nobody", chroot=jail))
    assert "chrooted" in gw.log_text()
    body = scrape(lab)[1]
    promtool_check(body)
    fds = val(parse(body), "process_open_fds")
    assert fds > 5
    assert abs(fds - len(os.listdir(f"/proc/{gw.pid}/fd"))) <= 2, fds
