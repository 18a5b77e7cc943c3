"""The lab itself, without the gateway: the three real FTP servers work for
FTPS with session reuse, ProFTPD and vsftpd refuse data connections that do
not reuse the session, the router's ruleset is as strict as DESIGN.md says,
and teardown leaves nothing behind."""

import os
import re
import subprocess
import textwrap
import time

import pytest

import lab as labmod
import servers

SERVER_FIXTURES = ("proftpd", "vsftpd", "pureftpd")


def curl(lab, ns, certs, srv, *args, timeout=30):
    """curl with FTPS required (session reuse is curl's default), verifying
    the backend certificate against the test CA."""
    return lab.run(ns, ["curl", "-sS", "--ssl-reqd", "--cacert", certs.ca_cert,
                        "--max-time", str(timeout - 5), "--user",
                        f"{srv.user}:{srv.password}", *args],
                   timeout=timeout, check=False)


def url(srv, path):
    host = f"[{srv.address}]" if srv.family == 6 else srv.address
    return f"ftp://{host}:{srv.port}/{path}"


def client_args(srv, certs, *extra):
    return ["--host", srv.address, "--port", str(srv.port), "--user", srv.user,
            "--password", srv.password, "--cafile", certs.ca_cert, *extra]


@pytest.mark.parametrize("name", SERVER_FIXTURES)
def test_server_curl_from_router(request, lab, certs, test_files, name):
    srv = request.getfixturevalue(name)
    got = lab.path(f"curl-{name}-f1M")
    r = curl(lab, lab.ns_router, certs, srv, "-o", got, url(srv, "f1M"))
    assert r.returncode == 0, r.stderr + srv.all_logs()
    assert labmod.files_equal(got, test_files["f1M"])

    up = f"curl-{name}-16385"
    r = curl(lab, lab.ns_router, certs, srv, "-T", test_files["f16385"],
             url(srv, f"{srv.upload_ftp}/{up}"))
    assert r.returncode == 0, r.stderr + srv.all_logs()
    assert labmod.files_equal(os.path.join(srv.upload, up), test_files["f16385"])


@pytest.mark.parametrize("name", SERVER_FIXTURES)
@pytest.mark.parametrize("mode", ("epsv", "pasv"))
def test_server_ftpclient_from_router(request, lab, certs, test_files, name, mode):
    srv = request.getfixturevalue(name)
    got = lab.path(f"py-{name}-{mode}-f1M")
    up = f"py-{name}-{mode}-f0"
    r = lab.ftpclient(lab.ns_router, client_args(
        srv, certs, "--mode", mode, "list", "get", "f1M", got,
        "put", test_files["f0"], f"{srv.upload_ftp}/{up}",
        "size", "f16384", "quit"), timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr + srv.all_logs()
    assert labmod.files_equal(got, test_files["f1M"])
    assert os.path.getsize(os.path.join(srv.upload, up)) == 0
    assert re.search(r"^213 16384$", r.stdout, re.M)
    assert re.search(r"^221", r.stdout, re.M)
    assert "f16385" in r.stdout            # the listing
    assert re.search(r"^22[79] ", r.stdout, re.M)
    if name != "pureftpd":                  # pure-ftpd does not offer resumption
        assert "session_reused=False" not in r.stderr
        assert "session_reused=True" in r.stderr


def test_proftpd_ipv6_from_router(lab, certs, test_files, proftpd):
    v6 = proftpd.at(lab.SERVER6)
    got = lab.path("py-proftpd6-f16384")
    r = lab.ftpclient(lab.ns_router, client_args(v6, certs, "get", "f16384", got))
    assert r.returncode == 0, r.stdout + r.stderr + proftpd.all_logs()
    assert labmod.files_equal(got, test_files["f16384"])
    assert "229 " in r.stdout


@pytest.mark.parametrize("start", (servers.start_vsftpd, servers.start_pureftpd),
                         ids=("vsftpd6", "pureftpd6"))
def test_ipv6_instances_from_router(lab, certs, test_files, start):
    srv = start(lab, certs, ipv6=True)
    try:
        got = lab.path(f"py-{srv.name}6-f16383")
        r = lab.ftpclient(lab.ns_router, client_args(srv, certs, "get", "f16383", got))
        assert r.returncode == 0, r.stdout + r.stderr + srv.all_logs()
        assert labmod.files_equal(got, test_files["f16383"])
        # A session left open: stop() must end its process too (vsftpd's
        # session processes leave the server's process group).
        holder = lab.popen(lab.ns_router, [labmod.PYTHON, "-c", HOLD_SESSION, srv.address])
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not labmod._descendants(srv.pid):
            time.sleep(0.05)
        sessions = labmod._descendants(srv.pid)
        assert sessions
    finally:
        srv.stop()
    assert not srv.alive()
    assert not [p for p, _ in sessions if _alive(p)]
    lab.stop_process(holder)


HOLD_SESSION = textwrap.dedent("""\
    import socket, sys, time
    s = socket.create_connection((sys.argv[1], 21), timeout=5)
    s.recv(4096)
    time.sleep(20)
    """)


def test_proftpd_refuses_data_without_session_reuse(lab, certs, proftpd):
    got = lab.path("noreuse-proftpd")
    r = lab.ftpclient(lab.ns_router, client_args(
        proftpd, certs, "--no-reuse", "get", "f1", got), timeout=60)
    assert r.returncode == 2, r.stdout + r.stderr
    assert re.search(r"^4\d\d ", r.stdout, re.M)
    # ProFTPD 1.3.8 says "TLS session"; older releases said "SSL session".
    deadline = time.monotonic() + 5
    pat = re.compile(r"client did not reuse (SSL|TLS) session")
    while not pat.search(proftpd.log_text("tls")) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert pat.search(proftpd.log_text("tls")), proftpd.log_text("tls")


def test_vsftpd_refuses_data_without_session_reuse(lab, certs, vsftpd):
    r = lab.ftpclient(lab.ns_router, client_args(
        vsftpd, certs, "--no-reuse", "get", "f1", lab.path("noreuse-vsftpd")))
    assert r.returncode == 2, r.stdout + r.stderr
    assert "522 SSL connection failed: session reuse required" in r.stdout


def test_router_ruleset_is_the_strict_one(lab):
    """The router runs what `ftpsgw --firewall nft` prints for the lab's
    configuration, and that is DESIGN.md's strict ruleset."""
    conf = lab.path("router-firewall.conf")
    assert open(conf).read() == labmod.firewall_config(lab)
    assert lab.ruleset == labmod.print_firewall(conf, ns=lab.ns_router)
    live = lab.run(lab.ns_router, ["nft", "list", "table", "inet", "ftpsgw"]).stdout
    assert re.search(r"hook input priority filter; policy drop;", live)
    assert re.search(r"hook forward priority filter; policy drop;", live)
    assert "type nat hook postrouting" in live
    # Every chain's rules, as the kernel holds them.
    chains = dict(re.findall(r"chain (\w+) \{\n\t\t[^\n]*\n(.*?)\t\}", live, re.S))
    rules = {name: [ln.strip() for ln in body.splitlines()] for name, body in chains.items()}
    assert rules["pre"] == [
        'ip daddr 203.0.113.1 tcp dport { 21, 990 } ct helper set "ftp-std"',
        'ip6 daddr 2001:db8:1::1 tcp dport { 21, 990 } ct helper set "ftp-std"']
    assert rules["out"] == ['tcp dport 21 ct helper set "ftp-std"']
    assert rules["input"] == [
        "ct state established,related accept", 'iif "lo" accept',
        "ip daddr 203.0.113.1 tcp dport { 21, 990 } accept",
        "ip6 daddr 2001:db8:1::1 tcp dport { 21, 990 } accept",
        "icmpv6 type { nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert } accept"]
    assert rules["forward"] == ["ct state established,related accept"]
    assert rules["postnat"] == []


def test_namespaces_resolve_nowhere(lab):
    for ns in lab.namespaces:
        r = lab.run(ns, ["cat", "/etc/resolv.conf"])
        assert r.stdout.strip() == "nameserver 127.0.0.1"


@pytest.mark.parametrize("family", (4, 6))
def test_client_reaches_only_router_listen_ports(lab, proftpd, vsftpd, pureftpd, family):
    addrs = lab.SERVERS4 if family == 4 else lab.SERVERS6
    pub = lab.ROUTER_PUB4 if family == 4 else lab.ROUTER_PUB6
    lan = lab.ROUTER_LAN4 if family == 4 else lab.ROUTER_LAN6
    # Sanity: the servers answer on the LAN side (ProFTPD's IPv6 address
    # only; vsftpd and pure-ftpd listen on IPv4 here)...
    lan_side = [(a, 21) for a in (addrs if family == 4 else addrs[:1])]
    assert set(lab.tcp_probe(lab.ns_router, lan_side).values()) == {"connected"}
    # ...but from the client: the router's listen ports are open (nothing
    # listens there yet, so the kernel answers RST), everything else is
    # dropped without an answer: the servers (forward policy drop), other
    # ports of the public address, the listen ports of the LAN address
    # (the firewall opens each listen port to its listen address only) and
    # the passive_ports (input policy drop).
    want = {(pub, 21): "refused", (pub, 990): "refused"}
    want.update({(a, 21): "timeout" for a in addrs})
    want.update({(pub, 40017): "timeout", (pub, 30500): "timeout",
                 (pub, 2121): "timeout", (lan, 21): "timeout", (lan, 990): "timeout",
                 (lan, 40017): "timeout"})
    got = lab.tcp_probe(lab.ns_client, want.keys(), timeout=1.5)
    assert got == want


FAKE_GATEWAY = textwrap.dedent("""\
    import signal, socket, sys
    conf = sys.argv[sys.argv.index("-c") + 1]
    listen = [l.split("=", 1)[1].strip() for l in open(conf)
              if l.startswith("listen ")][0]
    host, port = listen.rsplit(":", 1)
    s = socket.create_server((host.strip("[]"), int(port)))
    print("fake gateway listening on", listen, file=sys.stderr, flush=True)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    signal.pause()
    """)


def test_start_gateway_machinery(lab, certs):
    """start_gateway with a stand-in binary: config written, listen port
    awaited from the router namespace, log captured, stop by PID."""
    fake = lab.path("fake-ftpsgw")
    with open(fake, "w") as f:
        f.write(f"#!{labmod.PYTHON}\n" + FAKE_GATEWAY)
    os.chmod(fake, 0o755)
    cfg = {"listen": labmod.hostport(lab.ROUTER_PUB4, 2121), "backend": "198.51.100.10:21",
           "certificate": certs.gw_cert, "private_key": certs.gw_key}
    gw = lab.start_gateway(cfg, name="fake", binary=fake)
    try:
        assert gw.alive()
        assert "listen = 203.0.113.1:2121\n" in open(gw.config_path).read()
        assert "fake gateway listening on 203.0.113.1:2121" in gw.log_text()
        assert lab.tcp_connect(lab.ns_router, lab.ROUTER_PUB4, 2121) == "connected"
    finally:
        assert gw.stop() == 0
    assert not gw.alive()

    # A binary that exits at once is reported with its log, quickly.
    bad = lab.path("bad-ftpsgw")
    with open(bad, "w") as f:
        f.write("#!/bin/sh\necho 'bad.conf:1: listen: nope' >&2\nexit 1\n")
    os.chmod(bad, 0o755)
    t = time.monotonic()
    with pytest.raises(labmod.LabError, match="listen: nope"):
        lab.start_gateway(cfg, name="bad", binary=bad)
    assert time.monotonic() - t < 3


def _our_leftovers(prefix):
    r = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, timeout=30)
    ns = [l.split()[0] for l in r.stdout.splitlines() if l.startswith(prefix)]
    etc = [d for d in os.listdir("/etc/netns") if d.startswith(prefix)] \
        if os.path.isdir("/etc/netns") else []
    return ns, etc


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def test_teardown_leaves_nothing():
    second = labmod.Lab()
    prefix = second.prefix
    try:
        second.up()
        assert _our_leftovers(prefix)[0], "namespaces were not created"
        workdir = second.workdir
        # A tracked process, one that forks a child, and one that escapes
        # its process group with setsid: all must be gone after down().
        p1 = second.popen(second.ns_server, ["sleep", "300"])
        p2 = second.popen(second.ns_client, ["sh", "-c", "sleep 300 & exec sleep 301"])
        second.run(second.ns_router, ["sh", "-c", "setsid sleep 302 >/dev/null 2>&1 &"])
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and len(
                sum((second._netns_pids(ns) for ns in second.namespaces), [])) < 4:
            time.sleep(0.05)
        pids = sum((second._netns_pids(ns) for ns in second.namespaces), [])
        assert len(pids) >= 4, pids
        assert p1.pid in pids and p2.pid in pids
    finally:
        second.down()
    second.down()                       # idempotent
    assert _our_leftovers(prefix) == ([], [])
    assert not os.path.exists(workdir)
    assert not [p for p in pids if _alive(p)]
