"""Limits and hostile input (hardening issue, parts 2 and 5): sessions per
address and in all, failed logins and the ban, the TLS handshake deadline,
and bad bytes on the control channel. Each refusal is a clear reply or a
closed connection, and a session next to it does not notice."""

import os
import pathlib
import shutil
import subprocess
import time

import lab as L
from test_gateway import GW4, ftp_script, gw_config

# Connects n control sessions, prints each one's first reply line, then
# holds them until stdin closes.
HOLD = """
import socket, sys
socks = []
for i in range(int(sys.argv[2])):
    s = socket.create_connection((sys.argv[1], 21), timeout=10)
    f = s.makefile('rb')
    print(i, f.readline().decode().strip(), flush=True)
    socks.append((s, f))
sys.stdin.read()
"""

# Sends sys.argv[2] (Python bytes literal) after the banner, then NOOP, and
# prints every reply line until the NOOP's (or the end).
RAW = """
import ast, socket, sys
s = socket.create_connection((sys.argv[1], 21), timeout=10)
f = s.makefile('rb')
print(f.readline().decode().strip(), flush=True)
s.sendall(ast.literal_eval(sys.argv[2]) + b'NOOP\\r\\n')
for _ in range(10):
    line = f.readline().decode(errors='replace').strip()
    if not line:
        print('EOF'); break
    print(line, flush=True)
    if line[:3] in ('200', '530'):
        break
"""


def hold(lab, n):
    p = lab.popen(lab.ns_client, [L.PYTHON, "-c", HOLD, GW4, str(n)],
                  stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    lines = [p.stdout.readline().decode().strip() for _ in range(n)]
    return p, lines


def first_reply(lab):
    r = lab.run(lab.ns_client, [L.PYTHON, "-c", HOLD, GW4, "1"], input="",
                check=False)
    return r.stdout.strip()


def wait_admitted(lab, timeout=5):
    """Until a new connection gets the server's 220 again (the held ones
    are gone)."""
    deadline = time.monotonic() + timeout
    while "220" not in first_reply(lab):
        assert time.monotonic() < deadline
        time.sleep(0.1)


def test_sessions_per_address_and_in_all(lab, certs, proftpd, start_gw):
    gw = start_gw(gw_config(certs, proftpd, max_sessions_per_ip=2))
    p, lines = hold(lab, 2)
    try:
        assert all(ln.split(" ", 1)[1].startswith("220") for ln in lines), lines
        assert first_reply(lab) == \
            "0 421 Too many connections from your address."
    finally:
        lab.stop_process(p)
    wait_admitted(lab)
    assert "max_sessions_per_ip (2) open already" in gw.log_text()
    gw.stop()
    gw = start_gw(gw_config(certs, proftpd, max_sessions=3))
    p, lines = hold(lab, 3)
    try:
        assert first_reply(lab) == ("0 421 Too many connections to this "
                                    "gateway; try again later.")
    finally:
        lab.stop_process(p)
    assert "max_sessions (3) reached" in gw.log_text()


BAD_LOGIN = """
f.connect(host, 21)
try:
    f.login(user, sys.argv[5])
    out('LOGIN ok')
except ftplib.all_errors as e:
    out('LOGIN', str(e)[:3])
"""


def test_failed_logins_ban_the_address(lab, certs, proftpd, start_gw):
    gw = start_gw(gw_config(certs, proftpd, max_login_failures=2,
                            ban_time=3))
    r = ftp_script(lab, certs, proftpd, BAD_LOGIN, extra=["wrong"])
    assert r.stdout.strip() == "LOGIN 530", r.stdout + r.stderr
    # A good login forgives: two more failures are needed for a ban.
    r = ftp_script(lab, certs, proftpd, BAD_LOGIN, extra=[proftpd.password])
    assert r.stdout.strip() == "LOGIN ok", r.stdout + r.stderr
    r = ftp_script(lab, certs, proftpd, BAD_LOGIN, extra=["wrong"])
    assert r.stdout.strip() == "LOGIN 530", r.stdout + r.stderr
    r = ftp_script(lab, certs, proftpd, """
f.connect(host, 21)
try:
    f.login(user, 'wrong')
except ftplib.all_errors as e:
    out('LOGIN', str(e)[:3])
try:
    out('AFTER', f.voidcmd('NOOP')[:3])
except ftplib.all_errors as e:
    out('AFTER', str(e)[:3] or 'closed')
""")
    assert r.stdout.split("\n")[0] == "LOGIN 530", r.stdout + r.stderr
    assert r.stdout.split("\n")[1] in ("AFTER 421", "AFTER closed"), \
        r.stdout + r.stderr
    t0 = time.monotonic()      # the ban began before this
    reply = first_reply(lab)
    assert reply.startswith("0 421 Too many failed logins from your address; "
                            "try again in "), reply
    log = gw.log_text()
    assert log.count("login failed from 203.0.113.10") == 3
    assert "address 203.0.113.10 banned for 3 s after 2 failed logins" in log
    time.sleep(max(0.0, 3.3 - (time.monotonic() - t0)))
    r = ftp_script(lab, certs, proftpd, BAD_LOGIN, extra=[proftpd.password])
    assert r.stdout.strip() == "LOGIN ok", r.stdout + r.stderr


SILENT = """
import socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
if sys.argv[3] == 'auth':
    f = s.makefile('rb'); f.readline()
    s.sendall(b'AUTH TLS\\r\\n'); f.readline()
t0 = time.monotonic()
try:
    data = s.recv(100)
except OSError as e:
    data = b''
print('closed' if data == b'' else 'data', round(time.monotonic() - t0, 1))
"""


def test_handshake_timeout(lab, certs, proftpd, start_gw):
    """A client that opens TLS and says nothing is cut off after
    handshake_timeout, on the implicit port and after AUTH TLS."""
    gw = start_gw(gw_config(certs, proftpd, handshake_timeout=1))
    for port, mode in ((990, "implicit"), (21, "auth")):
        r = lab.run(lab.ns_client, [L.PYTHON, "-c", SILENT, GW4, str(port),
                                    mode], check=False, timeout=30)
        what, secs = r.stdout.split()
        assert what == "closed", r.stdout + r.stderr
        assert 0.5 < float(secs) < 5, r.stdout
    assert gw.log_text().count("did not complete the TLS handshake within "
                               "handshake_timeout (1 s)") == 2


def test_bad_bytes_on_the_control_channel(lab, certs, proftpd, start_gw):
    """Each bad input gets its reply; the session goes on; a download in a
    session next to them is byte-exact."""
    gw = start_gw(gw_config(certs, proftpd))
    other = lab.popen(lab.ns_client, [
        "curl", "-sS", "--ssl-reqd", "--cacert", certs.ca_cert, "-u",
        f"{proftpd.user}:{proftpd.password}", "--limit-rate", "40M",
        f"ftp://{GW4}/f100M", "-o", lab.path("beside-f100M")])
    cases = [
        (repr(b"A" * 5000 + b"\r\n"), "500 Command line too long."),
        # Far beyond any buffer: discarded as it streams, never stored.
        (repr(b"A" * 70000 + b"\r\n"), "500 Command line too long."),
        (repr(b"NO\x00OP\r\n"), "500 NUL byte in command line."),
        (repr(b"\xfe\xfd\xff\xff\r\n"), "500 Syntax error, command unrecognized."),
        # Telnet DONT 0xFD (RFC 854): removed, nothing is left of the line.
        (repr(b"\xff\xfe\xfd\r\n"), "500 Empty command line."),
        (repr(b"\r\n"), "500 Empty command line."),
        # A TLS ClientHello's first bytes on the explicit port.
        (repr(b"\x16\x03\x01\x00\x05hello\r\n"),
         "500 NUL byte in command line."),
    ]
    try:
        for payload, want in cases:
            r = lab.run(lab.ns_client, [L.PYTHON, "-c", RAW, GW4, payload],
                        check=False, timeout=30)
            lines = r.stdout.splitlines()
            assert lines[0].startswith("220"), r.stdout + r.stderr
            assert want in lines, (payload[:40], r.stdout)
            assert lines[-1].startswith("200"), (payload[:40], r.stdout)
        assert other.wait(timeout=60) == 0
    finally:
        lab.stop_process(other)
    assert L.files_equal(lab.path("beside-f100M"),
                         lab.test_files()["f100M"])
    assert "ftpsgw[error]" not in gw.log_text()


def proc_status(pid):
    with open(f"/proc/{pid}/status") as f:
        return dict(line.rstrip("\n").split(":\t", 1) for line in f
                    if ":\t" in line)


def test_runs_unprivileged_with_only_cap_net_admin(lab, certs, proftpd,
                                                   start_gw):
    """user = nobody, chroot = an empty directory, conntrack = on: the
    running gateway is not uid 0, holds CAP_NET_ADMIN and nothing else
    (bounding set included), has no_new_privs, and still programs the
    expectation the strict firewall needs for a transfer."""
    jail = lab.path("jail")
    os.makedirs(jail, exist_ok=True)
    gw = start_gw(gw_config(certs, proftpd, user="nobody", chroot=jail,
                            conntrack="on"))
    st = proc_status(gw.pid)
    assert st["Uid"].split() == ["65534"] * 4, st["Uid"]
    assert st["Gid"].split()[0] != "0"
    net_admin = f"{1 << 12:016x}"
    for k in ("CapEff", "CapPrm", "CapBnd"):
        assert st[k] == net_admin, (k, st[k])
    assert st["CapInh"] == "0" * 16 and st["CapAmb"] == "0" * 16
    assert st["NoNewPrivs"] == "1"
    assert os.readlink(f"/proc/{gw.pid}/root") == jail
    r = ftp_script(lab, certs, proftpd, """
f.connect(host, 21); f.login(user, pw); f.prot_p()
data = []
f.retrbinary('RETR f1M', data.append)
out('LEN', sum(map(len, data)))
f.quit()
""")
    assert r.stdout.strip() == "LEN 1048576", r.stdout + r.stderr + \
        gw.log_text()[-2000:]
    assert "running as uid 65534 (nobody), chrooted, capabilities: " \
        "cap_net_admin" in gw.log_text()
    gw.stop()
    # conntrack = off: no capability at all, still not root.
    gw = start_gw(gw_config(certs, proftpd, user="nobody", conntrack="off"))
    st = proc_status(gw.pid)
    assert st["CapEff"] == st["CapPrm"] == st["CapBnd"] == "0" * 16
    # A user that does not exist: refused with the command that makes it.
    gw.stop()
    conf = lab.path("nouser.conf")
    with open(conf, "w") as f:
        f.write(L.config_text(gw_config(certs, proftpd,
                                        user="ftpsgw-missing")))
    r = subprocess.run([L.GATEWAY_BIN, "-t", "-c", conf],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1
    assert "user = ftpsgw-missing: no such account (create it: adduser " \
        "--system" in r.stderr


def test_systemd_unit_and_ambient_capabilities(lab, certs, proftpd,
                                               start_gw, tmp_path):
    """etc/ftpsgw.service passes systemd-analyze verify; started the way it
    starts ftpsgw (an unprivileged user with ambient CAP_NET_BIND_SERVICE
    and CAP_NET_ADMIN, here by setpriv), ftpsgw binds port 21, then keeps
    CAP_NET_ADMIN alone, and transfers work."""
    unit = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))), "etc", "ftpsgw.service")
    with open(unit) as f:
        text = f.read().replace("/usr/local/sbin/ftpsgw", L.GATEWAY_BIN)
    (tmp_path / "ftpsgw.service").write_text(text)
    r = subprocess.run(["systemd-analyze", "verify",
                        str(tmp_path / "ftpsgw.service")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    # The service's files: readable by its user only.
    svc = pathlib.Path(lab.path("svc"))
    svc.mkdir(exist_ok=True)
    for src in (certs.gw_cert, certs.gw_key, certs.ca_cert):
        dst = svc / os.path.basename(src)
        shutil.copy(src, dst)
        os.chown(dst, 65534, 65534)
        os.chmod(dst, 0o400)
    cfg = gw_config(certs, proftpd, conntrack="on",
                    certificate=str(svc / os.path.basename(certs.gw_cert)),
                    private_key=str(svc / os.path.basename(certs.gw_key)),
                    backend_ca=str(svc / os.path.basename(certs.ca_cert)))
    caps = "+net_bind_service,+net_admin"
    gw = start_gw(cfg, binary="/usr/bin/setpriv", argv_extra=[
        "--reuid=65534", "--regid=65534", "--clear-groups",
        f"--inh-caps={caps}", f"--ambient-caps={caps}", L.GATEWAY_BIN])
    st = proc_status(gw.pid)
    assert st["Uid"].split()[0] == "65534"
    assert st["CapEff"] == st["CapPrm"] == f"{1 << 12:016x}", st
    assert st["CapAmb"] == "0" * 16
    r = ftp_script(lab, certs, proftpd, """
f.connect(host, 21); f.login(user, pw); f.prot_p()
out('NLST', 'f1M' in f.nlst())
f.quit()
""")
    assert r.stdout.strip() == "NLST True", r.stdout + r.stderr + \
        gw.log_text()[-2000:]
