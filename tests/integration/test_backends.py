"""Several FTP servers behind one gateway (issue 17, parts 1 and 2):
[backend NAME] sections, routing by USER name@NAME and by user_map (reloaded
on SIGHUP), round-robin, least-connections and sticky within a pool, the
attacker's USER games, and the strict ruleset printed by --firewall.

Real servers: ProFTPD (Lab.SERVER4, user ftpuser), vsftpd (Lab.SERVER4_2,
anonymous) and, for the pool tests, a second ProFTPD on an extra address of
the server namespace. Each server's home gets a file of its own
(WHICH), so the bytes a client retrieves say which server it reached.
"""

import contextlib
import os
import re
import signal
import time

import pytest

import lab as L
import servers as S
from test_gateway import SCRIPT_HEAD

GW4 = "203.0.113.1"
WHICH = "backends-which.txt"
PRO_B = "198.51.100.14"     # in the lab's backend certificate


def base(certs, **over):
    lines = [
        f"listen = {GW4}:21",
        f"certificate = {certs.gw_cert}",
        f"private_key = {certs.gw_key}",
        f"backend_ca = {certs.ca_cert}",
        "passive_ports = 40000-40099",
        "conntrack = on",
        "log_level = debug",
    ]
    lines += [f"{k} = {v}" for k, v in over.items()]
    return "\n".join(lines) + "\n"


def section(name, server, **keys):
    text = f"\n[backend {name}]\nbackend = {server.hostport}\n"
    return text + "".join(f"{k} = {v}\n" for k, v in keys.items())


@contextlib.contextmanager
def which_files(*servers_and_texts):
    """Put WHICH with its own bytes into each server's home; removed
    afterwards."""
    made = []
    try:
        for srv, text in servers_and_texts:
            p = os.path.join(srv.home, WHICH)
            with open(p, "wb") as f:
                f.write(text)
            os.chmod(p, 0o644)
            made.append(p)
        yield
    finally:
        for p in made:
            if os.path.exists(p):
                os.unlink(p)


def fetch(lab, certs, user, password, out, extra=(), actions=None):
    """ftpclient.py as user: get WHICH into out; returns (rc, stdout,
    bytes or None)."""
    if os.path.exists(out):
        os.unlink(out)
    args = ["--host", GW4, "--user", user, "--password", password,
            "--cafile", certs.ca_cert, "--timeout", "10", *extra,
            *(actions or ["get", WHICH, out])]
    r = lab.ftpclient(lab.ns_client, args, timeout=60)
    data = None
    if os.path.exists(out):
        with open(out, "rb") as f:
            data = f.read()
    return r.returncode, r.stdout, data


@contextlib.contextmanager
def second_proftpd(lab, certs):
    lab.run(lab.ns_server, ["ip", "addr", "add", f"{PRO_B}/24", "dev",
                            "eth0"])
    try:
        srv = S.start_proftpd(lab, certs, address=PRO_B, address6="",
                              tag="proftpd-b")
        try:
            yield srv
        finally:
            srv.stop()
    finally:
        lab.run(lab.ns_server, ["ip", "addr", "del", f"{PRO_B}/24", "dev",
                                "eth0"], check=False)


def two_servers_conf(certs, proftpd, vsftpd, **over):
    return (base(certs, route="user", **over) + section("pro", proftpd)
            + section("vs", vsftpd))


# ---- routing by user -------------------------------------------------------

def test_route_by_user_at_name_both_ways(lab, certs, proftpd, vsftpd,
                                         start_gw):
    out = lab.path("which-at.txt")
    with which_files((proftpd, b"served by ProFTPD\n"),
                     (vsftpd, b"served by vsftpd\r\n")):
        gw = start_gw(two_servers_conf(certs, proftpd, vsftpd))
        rc, so, data = fetch(lab, certs, f"{proftpd.user}@pro",
                             proftpd.password, out)
        assert rc == 0, so
        assert data == b"served by ProFTPD\n"
        rc, so, data = fetch(lab, certs, "anonymous@vs", "x@example.com",
                             out)
        assert rc == 0, so
        assert data == b"served by vsftpd\r\n"
        # The servers got the names without "@NAME".
        log = gw.log_text()
        assert f"USER {proftpd.user}@pro to backend pro (pool pro)" in log
        assert "USER anonymous@vs to backend vs (pool vs)" in log
        # vsftpd got the name without "@vs" (ProFTPD, which knows only
        # "ftpuser", logged it in above).
        vlog = vsftpd.log_text("vsftpd")
        assert '"USER anonymous"' in vlog
        assert "anonymous@vs" not in vlog


def test_route_by_user_map_reloaded_on_sighup(lab, certs, proftpd, vsftpd,
                                              start_gw):
    out = lab.path("which-map.txt")
    umap = lab.path("users.map")
    with open(umap, "w") as f:
        f.write("# anonymous users go to vsftpd\nanonym*  vs\n")
    conf = two_servers_conf(certs, proftpd, vsftpd, user_map=umap)
    with which_files((proftpd, b"pro via map\n"), (vsftpd, b"vs via map\n")):
        gw = start_gw(conf)
        rc, so, data = fetch(lab, certs, "anonymous", "x@example.com", out)
        assert rc == 0, so
        assert data == b"vs via map\n"
        # Not in the map, no default_pool: 530 with the reason, no server.
        rc, so, data = fetch(lab, certs, proftpd.user, proftpd.password, out)
        assert rc == 2 and data is None
        assert "530 No FTP server for this user name" in so
        assert f"USER {proftpd.user} has no FTP server" in gw.log_text()
        # The admin adds a rule and sends SIGHUP.
        with open(umap, "w") as f:
            f.write("anonym*  vs\nftp*  pro\n")
        gw.signal(signal.SIGHUP)
        wait_log(gw, "user_map " + umap + " reloaded: 2 rules")
        rc, so, data = fetch(lab, certs, proftpd.user, proftpd.password, out)
        assert rc == 0, so
        assert data == b"pro via map\n"
        # A bad map on reload: logged, and the old rules stay.
        with open(umap, "w") as f:
            f.write("anonym*  vs\nftp*  nowhere\n")
        gw.signal(signal.SIGHUP)
        wait_log(gw, "SIGHUP: user_map not reloaded, the old rules stay in "
                 "use: " + umap + ":2: 'nowhere' is neither a pool nor a "
                 "backend of gateway.conf")
        rc, so, data = fetch(lab, certs, proftpd.user, proftpd.password, out)
        assert rc == 0, so
        assert data == b"pro via map\n"


def wait_log(gw, text, timeout=10.0):
    deadline = time.monotonic() + timeout
    for _ in range(1000):
        if text in gw.log_text():
            return
        if time.monotonic() > deadline:
            break
        time.sleep(0.05)
    raise AssertionError(f"not in the log: {text}\n{gw.log_text()[-3000:]}")


# A scripted session: before USER, the gateway answers alone; USER games.
ATTACK = r"""
import ftplib, ssl, sys
host, cafile, user, pw = sys.argv[1:5]
ctx = ssl.create_default_context(cafile=cafile)
f = ftplib.FTP_TLS(context=ctx, timeout=10)
print(f.connect(host, 21), flush=True)
def cmd(line):
    try:
        r = f.sendcmd(line)
    except ftplib.all_errors as e:
        r = str(e)
    print(r.replace("\r\n", "|").replace("\n", "|"), flush=True)
    return r
cmd("FEAT")
f.auth()
cmd("PBSZ 0")
cmd("PROT P")
cmd("OPTS UTF8 ON")
cmd("PASV")
cmd("LIST")
cmd("PASS nothing")
cmd("USER " + user + "@nowhere")
cmd("USER " + "x" * 500 + "@pro")
cmd("USER " + user + "@pro")
cmd("USER anonymous@vs")
# pipelined: USER again (same server) and PASS and PWD in one write
f.sock.sendall(("USER " + user + "@pro\r\nPASS " + pw + "\r\nPWD\r\n")
               .encode())
for _ in range(3):
    try:
        print(f.getresp(), flush=True)
    except ftplib.all_errors as e:
        print(str(e), flush=True)
cmd("USER anonymous@vs")
cmd("QUIT")
"""


def test_before_user_and_user_games(lab, certs, proftpd, vsftpd, start_gw):
    gw = start_gw(two_servers_conf(certs, proftpd, vsftpd))
    r = lab.run(lab.ns_client, [L.PYTHON, "-c", ATTACK, GW4, certs.ca_cert,
                                proftpd.user, proftpd.password],
                check=False, timeout=60)
    lines = r.stdout.splitlines()
    assert r.returncode == 0, r.stdout + r.stderr
    assert lines[0] == "220 ftpsgw ready."
    assert lines[1] == ("211-Features:| AUTH TLS| PBSZ| PROT| EPSV|211 End")
    assert lines[2].startswith("200 ")                      # PBSZ
    assert lines[3].startswith("200 ")                      # PROT P
    assert lines[4] == "200 Always in UTF8 mode."
    assert lines[5] == "530 Please log in with USER first."  # PASV
    assert lines[6] == "530 Please log in with USER first."  # LIST
    assert lines[7] == "503 Send USER first."
    assert lines[8].startswith("530 No FTP server for this user name")
    # 500 bytes then @pro: routed to ProFTPD, which refuses the name or
    # asks a password, never a crash or silence.
    assert lines[9][:3] in ("331", "530", "501", "500"), lines[9]
    assert lines[10].startswith("331"), lines[10]
    assert lines[11] == ("530 This session is bound to another FTP server: "
                         "connect again to log in there.")
    assert lines[12].startswith("331"), lines
    assert lines[13].startswith("230"), lines
    assert lines[14].startswith("257"), lines
    assert lines[15].startswith("530 This session is bound"), lines
    assert lines[16].startswith("221"), lines
    log = gw.log_text()
    assert "USER anonymous@vs names another FTP server than this " \
        "session's (pro): refused" in log
    # vsftpd never saw this session.
    assert "anonymous@vs" not in vsftpd.log_text("vsftpd")


HOST_FIRST = r"""
import ftplib, ssl, sys
host, cafile = sys.argv[1:3]
ctx = ssl.create_default_context(cafile=cafile)
f = ftplib.FTP_TLS(context=ctx, timeout=10)
f.connect(host, 21)
print(f.sendcmd("HOST ftp.portal.example"), flush=True)
f.auth()
f.prot_p()
print(f.login("anonymous@vs", "x@example.com"), flush=True)
print(f.sendcmd("PWD"), flush=True)
f.quit()
"""


def test_host_before_user_reaches_the_chosen_server(lab, certs, proftpd,
                                                    vsftpd, start_gw):
    """RFC 7151 HOST comes before USER: ftpsgw answers it while no server
    is chosen, then sends it to the server USER chose, before AUTH TLS, as
    the client would have; vsftpd, which has no HOST, says so in the
    gateway's log, and the session goes on."""
    gw = start_gw(two_servers_conf(certs, proftpd, vsftpd))
    mark = len(vsftpd.log_text("vsftpd"))
    r = lab.run(lab.ns_client, [L.PYTHON, "-c", HOST_FIRST, GW4,
                                certs.ca_cert], check=False, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "220 HOST accepted.", lines
    assert lines[1].startswith("230"), lines
    assert lines[2].startswith("257"), lines
    vlog = vsftpd.log_text("vsftpd")[mark:]
    assert '"HOST ftp.portal.example"' in vlog, vlog
    # Before TLS, as the RFC wants: HOST comes before AUTH at the server.
    assert vlog.index('"HOST ftp.portal.example"') < vlog.index('"AUTH TLS"')
    assert "FTP server [backend vs] refused the client's HOST" in \
        gw.log_text()


def test_no_server_before_user(lab, certs, proftpd, vsftpd, start_gw):
    """route = user: a client that never sends USER costs no server
    connection, and idle_timeout still ends it."""
    gw = start_gw(two_servers_conf(certs, proftpd, vsftpd, idle_timeout=2))
    script = (
        "import socket,time\n"
        "s=socket.create_connection(('%s',21),timeout=10)\n"
        "print(s.recv(200).decode().strip(),flush=True)\n"
        "s.settimeout(8)\n"
        "t=time.monotonic()\n"
        "d=s.recv(200)\n"
        "print(d.decode().strip(), round(time.monotonic()-t))\n" % GW4)
    r = lab.run(lab.ns_client, [L.PYTHON, "-c", script], check=False,
                timeout=30)
    lines = r.stdout.splitlines()
    assert lines[0] == "220 ftpsgw ready.", r.stdout + r.stderr
    assert lines[1].startswith("421 "), lines
    assert int(lines[1].split()[-1]) <= 4
    log = gw.log_text()
    assert "connected to the FTP server" not in log


# ---- balancing within a pool -------------------------------------------------

def pool_conf(certs, a, b, balance):
    return (base(certs, balance=balance) + section("a", a, pool="both")
            + section("b", b, pool="both"))


def test_balance_round_robin_least_connections_sticky(lab, certs, proftpd,
                                                      start_gw):
    out = lab.path("which-pool.txt")
    with second_proftpd(lab, certs) as pro_b, \
            which_files((proftpd, b"A\n"), (pro_b, b"B\n")):
        def one():
            # Spaced out: a ProFTPD master sleeps between sessions.
            time.sleep(0.5)
            rc, so, data = fetch(lab, certs, proftpd.user, proftpd.password,
                                 out)
            assert rc == 0, so
            return data

        gw = start_gw(pool_conf(certs, proftpd, pro_b, "round-robin"))
        got = [one() for _ in range(4)]
        assert got in ([b"A\n", b"B\n"] * 2, [b"B\n", b"A\n"] * 2), got
        gw.stop()

        gw = start_gw(pool_conf(certs, proftpd, pro_b, "sticky"))
        got = [one() for _ in range(4)]
        assert len(set(got)) == 1, got

        gw.stop()
        gw = start_gw(pool_conf(certs, proftpd, pro_b, "least-connections"))
        # One session held open on one server: the next ones go to the
        # other, whatever the turn.
        hold = lab.popen(lab.ns_client, [L.PYTHON, "-c", HOLD, GW4,
                                         certs.ca_cert, proftpd.user,
                                         proftpd.password, WHICH],
                         stdout=L.subprocess.PIPE)
        try:
            first = hold.stdout.readline().strip()
            assert first in (b"A", b"B"), first
            other = b"B\n" if first == b"A" else b"A\n"
            got = [one() for _ in range(3)]
            assert got == [other] * 3, (first, got)
        finally:
            lab.stop_process(hold)


# Log in, print the first line of WHICH, then hold the session (bounded).
HOLD = SCRIPT_HEAD + r"""
import io, time
f.connect(host, 21)
f.login(user, pw)
f.prot_p()
b = io.BytesIO()
f.retrbinary("RETR " + sys.argv[5], b.write)
print(b.getvalue().decode().strip(), flush=True)
time.sleep(30)
"""


# ---- the firewall --------------------------------------------------------------

def test_strict_ruleset_from_firewall_with_two_backends(lab, certs, proftpd,
                                                        vsftpd, start_gw):
    """The ruleset --firewall prints for two backends, loaded into the
    router: the helper on every backend port, and transfers through both
    servers, passive and active, admitted as related."""
    conf_text = two_servers_conf(certs, proftpd, vsftpd)
    conf = lab.write_config(conf_text, "fw-two")
    text = L.print_firewall(conf, ns=lab.ns_router)
    assert "control connections to the FTP servers (backend port 21)" in text
    assert "\t\ttcp dport 21 ct helper set" in text
    out = lab.path("which-fw.txt")
    try:
        lab.run(lab.ns_router, ["nft", "-f", "-"], input=text)
        with which_files((proftpd, b"pro fw\n"), (vsftpd, b"vs fw\n")):
            start_gw(conf_text)
            for mode in ("epsv", "active"):
                rc, so, data = fetch(lab, certs, f"{proftpd.user}@pro",
                                     proftpd.password, out,
                                     extra=("--mode", mode))
                assert rc == 0, so
                assert data == b"pro fw\n"
                rc, so, data = fetch(lab, certs, "anonymous@vs", "x@y",
                                     out, extra=("--mode", mode))
                assert rc == 0, so
                assert data == b"vs fw\n"
    finally:
        lab.load_ruleset()


def test_firewall_helper_on_each_backend_port(lab, certs):
    conf = lab.write_config(base(certs) + "\n[backend a]\nbackend = "
                            "198.51.100.10\n[backend b]\nbackend = "
                            "198.51.100.11:2121\n[backend c]\nbackend = "
                            "198.51.100.12:2121\n", "fw-ports")
    text = L.print_firewall(conf, ns=lab.ns_router)
    assert "\t\ttcp dport { 21, 2121 } ct helper set \"ftp-std\"\n" in text
    assert "(backend ports 21, 2121)" in text
    ipt = L.print_firewall(conf, kind="iptables", ns=lab.ns_router)
    assert "-A OUTPUT -p tcp -m tcp --dport 21 -j CT --helper ftp\n" \
        "-A OUTPUT -p tcp -m tcp --dport 2121 -j CT --helper ftp\n" in ipt
    # nft takes it (checked without loading: -c).
    lab.run(lab.ns_router, ["nft", "-c", "-f", "-"], input=text)


def test_config_errors_name_the_section(lab, certs):
    r = lab.check_gateway_config(base(certs) + "[backend nas]\n"
                                 "backend = 198.51.100.10\n"
                                 "backend_tls = tls\n", "sec-err")
    assert r.returncode == 1
    assert ":10: [backend nas] backend_tls: 'tls' is not a backend TLS " \
        "mode; expected explicit, implicit or off" in r.stderr


def test_pool_without_health_checks_is_warned_about(lab, certs):
    """A pool of two without health_check: -t (and the start) warn that a
    member that is down still gets sessions; with checks on, no warning."""
    pool = ("\n[backend a]\nbackend = 198.51.100.10\npool = site\n"
            "\n[backend b]\nbackend = 198.51.100.14\npool = site\n"
            "\n[backend nas]\nbackend = 198.51.100.11\n")
    warning = ("pool site has 2 FTP servers but health_check = off: one "
               "that is down still gets its share of new sessions, which "
               "wait connect_timeout and get 421; set health_check = on to "
               "send them to the others")
    r = lab.check_gateway_config(base(certs) + pool, "pool-nocheck")
    assert r.returncode == 0, r.stderr
    assert r.stderr.count(warning) == 1, r.stderr     # not for nas alone
    r = lab.check_gateway_config(base(certs, health_check="on") + pool,
                                 "pool-check")
    assert r.returncode == 0, r.stderr
    assert "health_check = off" not in r.stderr, r.stderr


def test_unreachable_member_redispatched(lab, certs, proftpd, start_gw):
    """Without health checks, a session whose member cannot be reached
    (refused at once, or silent until connect_timeout) goes to another
    member of its pool before the client sees anything; a pool with no
    member left gets the 421."""
    dead = ("\n[backend refused]\nbackend = 198.51.100.10:2199\n"
            "pool = site\n"
            "\n[backend silent]\nbackend = 198.51.100.99:21\npool = site\n")
    conf = (base(certs, connect_timeout="4") + dead
            + section("live", proftpd, pool="site"))
    out = lab.path("which-redispatch.txt")
    with which_files((proftpd, b"live\n")):
        gw = start_gw(conf)
        for _ in range(3):     # round-robin: each member once first
            time.sleep(0.5)
            rc, so, data = fetch(lab, certs, proftpd.user,
                                 proftpd.password, out)
            assert rc == 0, so + gw.log_text()[-3000:]
            assert data == b"live\n"
        log = gw.log_text()
        assert "[backend refused]: Connection refused; trying [backend " \
            in log, log[-3000:]
        # Unanswered ARP ends in EHOSTUNREACH after about 3 s, unless
        # connect_timeout comes first: either way, the next member.
        assert re.search(r"\[backend silent\]: (No route to host|no TCP "
                         r"connection within connect_timeout); trying "
                         r"\[backend ", log), log[-3000:]
        gw.stop()
    # Nothing left to try: the client is told, as with one server.
    gw = start_gw(base(certs) + "\n[backend refused]\nbackend = "
                  "198.51.100.10:2199\npool = site\n[backend also]\n"
                  "backend = 198.51.100.10:2198\npool = site\n")
    rc, so, _ = fetch(lab, certs, proftpd.user, proftpd.password, out)
    assert rc != 0
    assert "421" in so, so
