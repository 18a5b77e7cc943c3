"""conntrack/ against the real kernel, in network namespaces this test makes.

Two namespaces per test, joined by a veth pair:
  router  203.0.113.1/24   2001:db8:1::1/64   (ct_live runs here: master
                                               listener, ctnetlink, data
                                               listener; strict ruleset)
  client  203.0.113.10/24  2001:db8:1::10/64  (master client socket, data
          203.0.113.11/24  2001:db8:1::11/64   connection attempts; .11/::11
                                               is a foreign address)
Only documentation ranges, only inside these namespaces. Every wait is
bounded, processes are ended by PID, everything is torn down in finally.

Run as root: /usr/bin/python3 -m pytest tests/integration/test_conntrack_live.py
(needs build/tests/ct_live: make build/tests/ct_live).
"""

import os
import re
import secrets
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

import lab as L

ROOT = Path(__file__).resolve().parents[2]
CT_LIVE = Path(os.environ.get("CT_LIVE", ROOT / "build" / "tests" / "ct_live"))
PYTHON = "/usr/bin/python3"

MASTER_PORT = 2121
DATA_PORT = 50000
NAT_PORT = 50001          # where NAT sends the data connection
SECOND_PORT = 50002
EXPECT_TIMEOUT = 30       # seconds asked for; the helper default is 300
CMD_TIMEOUT = 15          # any helper command
CONNECT_TIMEOUT = 2       # one data connection attempt
HOLD = 20                 # ct_live --hold upper bound (ended early by us)

ADDR = {
    4: {"router": "203.0.113.1", "client": "203.0.113.10",
        "foreign": "203.0.113.11", "plen": 24},
    6: {"router": "2001:db8:1::1", "client": "2001:db8:1::10",
        "foreign": "2001:db8:1::11", "plen": 64},
}

# The router's firewall is what ftpsgw prints for a configuration whose
# listeners are ct_live's master listener (ftpsgw --firewall nft, the binary
# under test); with nat, data_path = kernel adds its type nat chain, which
# registers the NAT hooks (DESIGN fact 4).
def firewall_conf(nat):
    return "\n".join([
        f"listen = {ADDR[4]['router']}:{MASTER_PORT}",
        f"listen = [{ADDR[6]['router']}]:{MASTER_PORT}",
        "certificate = /nonexistent/unused-by-firewall.pem",
        "private_key = /nonexistent/unused-by-firewall.key",
        "backend = 198.51.100.10:21",
        "conntrack = on",
        f"data_path = {'kernel' if nat else 'relay'}",
    ]) + "\n"


# Deliberately broken, so hand-written: the same strict input chain with no
# ct helper attached anywhere (what ftpsgw's firewall never prints), for the
# EOPNOTSUPP test.
NO_HELPER_RULESET = f"""
table inet ftpsgw_ct_test {{
  chain input {{ type filter hook input priority filter; policy drop;
    ct state established,related accept; iif lo accept;
    tcp dport {MASTER_PORT} accept;
    icmpv6 type {{ nd-neighbor-solicit, nd-neighbor-advert,
      nd-router-advert }} accept; }}
}}
"""

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root"),
    pytest.mark.skipif(
        not all(shutil.which(t) for t in ("ip", "nft", "conntrack")),
        reason="needs ip, nft and conntrack"),
]


def run(*cmd, check=True, timeout=CMD_TIMEOUT, input=None):
    return subprocess.run(cmd, check=check, timeout=timeout, input=input,
                          capture_output=True, text=True)


class Lab:
    """Router and client namespaces with unique names; torn down by close()."""

    def __init__(self):
        sfx = secrets.token_hex(3)
        self.router = f"ftpsgw-ctr-{sfx}"
        self.client = f"ftpsgw-ctc-{sfx}"
        self.vr = f"ctr{sfx}"      # interface names stay under 16 bytes
        self.vc = f"ctc{sfx}"
        self.made_ns = []
        self.made_dirs = []
        self.workdir = tempfile.mkdtemp(prefix="ftpsgw-ctlive-")

    def setup(self):
        for ns in (self.router, self.client):
            run("ip", "netns", "add", ns)
            self.made_ns.append(ns)
            d = Path("/etc/netns") / ns
            d.mkdir(parents=True, exist_ok=False)
            self.made_dirs.append(d)
            (d / "resolv.conf").write_text("nameserver 127.0.0.1\n")
            run("ip", "-n", ns, "link", "set", "lo", "up")
        run("ip", "-n", self.router, "link", "add", self.vr, "type", "veth",
            "peer", "name", self.vc, "netns", self.client)
        r4, r6 = ADDR[4], ADDR[6]
        run("ip", "-n", self.router, "addr", "add",
            f"{r4['router']}/{r4['plen']}", "dev", self.vr)
        run("ip", "-n", self.router, "addr", "add",
            f"{r6['router']}/{r6['plen']}", "dev", self.vr, "nodad")
        for who in ("client", "foreign"):
            run("ip", "-n", self.client, "addr", "add",
                f"{r4[who]}/{r4['plen']}", "dev", self.vc)
            run("ip", "-n", self.client, "addr", "add",
                f"{r6[who]}/{r6['plen']}", "dev", self.vc, "nodad")
        run("ip", "-n", self.router, "link", "set", self.vr, "up")
        run("ip", "-n", self.client, "link", "set", self.vc, "up")

    def close(self):
        for ns in reversed(self.made_ns):
            run("ip", "netns", "del", ns, check=False)
        for d in reversed(self.made_dirs):
            (d / "resolv.conf").unlink(missing_ok=True)
            d.rmdir()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def in_router(self, *cmd, **kw):
        return run("ip", "netns", "exec", self.router, *cmd, **kw)

    def nft(self, text):
        self.in_router("nft", "-f", "-", input=text)

    def ruleset(self, helper=True, nat=False):
        """Load ftpsgw's printed firewall (helper=True), or the broken one
        without any helper (helper=False)."""
        if not helper:
            assert not nat
            self.nft(NO_HELPER_RULESET)
            return
        conf = os.path.join(self.workdir, "firewall.conf")
        with open(conf, "w") as f:
            f.write(firewall_conf(nat))
        text = L.print_firewall(conf, ns=self.router)
        assert "ct helper set" in text and ("type nat" in text) == nat
        self.nft(text)

    def expectations(self, family):
        """Lines of `conntrack -L expect` in the router namespace."""
        out = self.in_router("conntrack", "-L", "expect", "-f",
                             "ipv6" if family == 6 else "ipv4").stdout
        return [l for l in out.splitlines() if "proto=6" in l]

    def connect(self, family, src, port):
        """One bounded TCP connection attempt client -> router:port from
        src. Returns 'connected', 'timeout' (dropped) or 'refused'."""
        code = (
            "import socket, sys\n"
            "fam = socket.AF_INET6 if ':' in sys.argv[1] else "
            "socket.AF_INET\n"
            "s = socket.socket(fam, socket.SOCK_STREAM)\n"
            f"s.settimeout({CONNECT_TIMEOUT})\n"
            "s.bind((sys.argv[2], 0))\n"
            "try:\n"
            "    s.connect((sys.argv[1], int(sys.argv[3])))\n"
            "    print('connected')\n"
            "except socket.timeout:\n"
            "    print('timeout')\n"
            "except ConnectionRefusedError:\n"
            "    print('refused')\n"
            "finally:\n"
            "    s.close()\n")
        r = run("ip", "netns", "exec", self.client, PYTHON, "-c", code,
                ADDR[family]["router"], src, str(port),
                timeout=CONNECT_TIMEOUT + 8)
        return r.stdout.strip()


@pytest.fixture
def lab():
    if not CT_LIVE.exists():
        pytest.fail(f"{CT_LIVE} missing: run `make build/tests/ct_live`")
    lab = Lab()
    try:
        lab.setup()
        yield lab
    finally:
        lab.close()


class CtLive:
    """ct_live in the router namespace; output parsed into steps."""

    def __init__(self, lab, family, *args):
        a = ADDR[family]
        self.cmd = ["ip", "netns", "exec", lab.router, str(CT_LIVE),
                    "--family", str(family), "--listen", a["router"],
                    "--port", str(MASTER_PORT), "--client", a["client"],
                    "--client-netns", lab.client,
                    "--timeout", str(EXPECT_TIMEOUT), *args]
        self.proc = None
        self.buf = b""
        self.lines = []
        self.stderr = ""

    def start(self):
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        return self

    def wait_ready(self, timeout=CMD_TIMEOUT):
        """Read output until READY (bounded); fails on exit or timeout."""
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while "READY" not in self.lines:
            left = deadline - time.monotonic()
            if left <= 0:
                pytest.fail(f"ct_live not READY in {timeout}s: {self.lines}")
            r, _, _ = select.select([fd], [], [], left)
            if not r:
                continue
            chunk = os.read(fd, 4096)
            if not chunk:
                pytest.fail(f"ct_live ended before READY: {self.lines}"
                            f" {self.proc.stderr.read().decode()}")
            self.buf += chunk
            *done, self.buf = self.buf.split(b"\n")
            self.lines += [l.decode() for l in done]

    def finish(self, timeout=CMD_TIMEOUT):
        """Release the hold (newline, EOF) and collect the rest."""
        try:
            out, err = self.proc.communicate(b"\n", timeout=timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()          # by PID (Popen), never by name
                self.proc.wait(timeout=5)
        self.buf += out
        self.lines += [l for l in self.buf.decode().splitlines() if l]
        self.buf = b""
        self.stderr = err.decode()
        assert self.proc.returncode == 0, (self.lines, self.stderr)
        return self

    def run(self):
        return self.start().finish()

    def steps(self, name):
        """Rest of each line starting with name, in order."""
        return [l[len(name) + 1:] for l in self.lines
                if l.startswith(name + " ")]

    def rc(self, name, i=0):
        """(rc, errname) of the i-th step called name."""
        rc, errname = self.steps(name)[i].split()[:2]
        return int(rc), errname

    def master(self):
        src, sport, dst, dport = self.steps("master")[0].split()
        return src, int(sport), dst, int(dport)


def with_hold(lab, family, args, during):
    """Run ct_live with --hold, call during() once it is READY."""
    ct = CtLive(lab, family, *args, "--hold", str(HOLD)).start()
    try:
        ct.wait_ready()
        result = during(ct)
    finally:
        ct.finish()
    return ct, result


def expect_line_re(family, port, master):
    """`conntrack -L expect` line for our expectation (mask src port 0)."""
    a = ADDR[family]
    ones = ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" if family == 6
            else "255.255.255.255")
    msrc, msport, mdst, mdport = master
    return re.compile(
        r"^(\d+) proto=6 "
        rf"src={re.escape(a['client'])} dst={re.escape(a['router'])} "
        rf"sport=0 dport={port} "
        rf"mask-src={ones} mask-dst={ones} sport=0 dport=65535 "
        rf"master-src={re.escape(msrc)} master-dst={re.escape(mdst)} "
        rf"sport={msport} dport={mdport} ")


# ---- (a) with the helper rule: add, list, delete ----

@pytest.mark.parametrize("family", [4, 6])
def test_add_list_delete(lab, family):
    lab.ruleset(helper=True)
    listed = {}

    def during(ct):
        listed["lines"] = lab.expectations(family)

    ct, _ = with_hold(lab, family,
                      ["--expect-port", str(DATA_PORT), "--add-again",
                       "--del", "--del-again"], during)
    assert ct.rc("open") == (0, "OK")
    assert ct.rc("add", 0) == (0, "OK"), ct.lines
    # the same tuple again is refused while the first exists
    assert ct.rc("add", 1) == (-17, "EEXIST")
    pat = expect_line_re(family, DATA_PORT, ct.master())
    hits = [pat.match(l) for l in listed["lines"]]
    hits = [m for m in hits if m]
    assert len(hits) == 1, listed["lines"]
    # the timeout asked for is applied (the kernel's create default is the
    # ftp helper's 300 s)
    assert EXPECT_TIMEOUT - 10 <= int(hits[0].group(1)) <= EXPECT_TIMEOUT
    assert "helper=ftp" in hits[0].string
    assert ct.rc("del", 0) == (0, "OK")
    assert ct.rc("del", 1) == (-2, "ENOENT")
    assert not [l for l in lab.expectations(family) if pat.match(l)]


# ---- (b) without the helper rule: EOPNOTSUPP and advice naming the rule ----

@pytest.mark.parametrize("family", [4, 6])
def test_no_helper_eopnotsupp(lab, family):
    lab.ruleset(helper=False)
    ct = CtLive(lab, family, "--expect-port", str(DATA_PORT)).run()
    assert ct.rc("open") == (0, "OK")
    assert ct.rc("add") == (-95, "EOPNOTSUPP"), ct.lines
    advice = ct.steps("advice")[0]
    assert 'ct helper set "ftp-std"' in advice
    assert 'ct helper ftp-std { type "ftp" protocol tcp; }' in advice
    assert "prerouting" in advice
    assert 'README "Firewall"' in advice
    assert lab.expectations(family) == []


# ---- (c)/(d) a default-drop input admits the data connection as RELATED
# ---- only while the expectation exists, and only from the client ----

@pytest.mark.parametrize("family", [4, 6])
def test_data_dropped_without_expectation(lab, family):
    lab.ruleset(helper=True)

    def during(ct):
        return lab.connect(family, ADDR[family]["client"], DATA_PORT)

    ct, result = with_hold(lab, family,
                           ["--expect-port", str(DATA_PORT), "--no-add",
                            "--data-port", str(DATA_PORT)], during)
    assert ct.steps("add") == []
    assert result == "timeout"           # dropped by policy, no RST
    assert ct.steps("data") == []


@pytest.mark.parametrize("family", [4, 6])
def test_data_related_with_expectation(lab, family):
    lab.ruleset(helper=True)
    a = ADDR[family]

    def during(ct):
        # SECURITY: another address of the client's network is not admitted
        foreign = lab.connect(family, a["foreign"], DATA_PORT)
        client = lab.connect(family, a["client"], DATA_PORT)
        return foreign, client

    ct, (foreign, client) = with_hold(
        lab, family, ["--expect-port", str(DATA_PORT),
                      "--data-port", str(DATA_PORT), "--del"], during)
    assert ct.rc("add") == (0, "OK"), ct.lines
    assert foreign == "timeout"
    assert client == "connected"
    data = [d.split() for d in ct.steps("data")]
    assert len(data) == 1, ct.lines
    assert data[0][0] == a["client"]
    assert data[0][2:] == [a["router"], str(DATA_PORT)]
    # the data connection consumed the expectation
    assert ct.rc("del") == (-2, "ENOENT")


# ---- more kernel facts the gateway relies on ----

def test_unknown_master_enoent(lab):
    lab.ruleset(helper=True)
    ct = CtLive(lab, 4, "--expect-port", str(DATA_PORT),
                "--fake-master-sport", "1").run()
    assert ct.rc("add") == (-2, "ENOENT"), ct.lines


def test_second_expectation_replaces_first(lab):
    """The ftp helper allows one expectation per master (max_expected 1):
    a second one on the same control connection evicts the first."""
    lab.ruleset(helper=True)
    listed = {}

    def during(ct):
        listed["lines"] = lab.expectations(4)

    ct, _ = with_hold(lab, 4, ["--expect-port", str(DATA_PORT),
                               "--second-port", str(SECOND_PORT), "--del"],
                      during)
    assert ct.rc("add") == (0, "OK")
    assert ct.rc("add2") == (0, "OK")
    master = ct.master()
    assert not [l for l in listed["lines"]
                if expect_line_re(4, DATA_PORT, master).match(l)]
    assert [l for l in listed["lines"]
            if expect_line_re(4, SECOND_PORT, master).match(l)]
    assert ct.rc("del") == (-2, "ENOENT")


@pytest.mark.parametrize("family", [4, 6])
def test_nat_original_follows_master(lab, family):
    """DESIGN fact 4 mechanics: CTA_EXPECT_NAT dir ORIGINAL with
    nat-follow-master sends the data connection for DATA_PORT to the NAT
    tuple's source port (here on the router itself)."""
    lab.ruleset(helper=True, nat=True)
    a = ADDR[family]

    def during(ct):
        return lab.connect(family, a["client"], DATA_PORT)

    ct, result = with_hold(
        lab, family,
        ["--expect-port", str(DATA_PORT), "--data-port", str(NAT_PORT),
         "--nat", "original", "--nat-src", a["router"],
         "--nat-sport", str(NAT_PORT), "--nat-dst", a["client"],
         "--nat-dport", str(DATA_PORT)], during)
    assert ct.rc("add") == (0, "OK"), ct.lines
    assert result == "connected"
    data = [d.split() for d in ct.steps("data")]
    assert len(data) == 1, ct.lines
    assert data[0][0] == a["client"]
    assert data[0][2:] == [a["router"], str(NAT_PORT)]


def test_nat_reply_accepted(lab):
    lab.ruleset(helper=True, nat=True)
    a = ADDR[4]
    ct = CtLive(lab, 4, "--expect-port", str(DATA_PORT), "--nat", "reply",
                "--nat-src", a["client"], "--nat-sport", str(NAT_PORT),
                "--nat-dst", a["router"], "--nat-dport", str(DATA_PORT),
                "--del").run()
    assert ct.rc("add") == (0, "OK"), ct.lines
    assert ct.rc("del") == (0, "OK")


def test_no_cap_net_admin_eperm(lab):
    if not shutil.which("setpriv"):
        pytest.skip("needs setpriv")
    lab.ruleset(helper=True)
    a = ADDR[4]
    r = lab.in_router("setpriv", "--reuid=65534", "--regid=65534",
                      "--clear-groups", "--inh-caps=-all",
                      "--bounding-set=-all", str(CT_LIVE),
                      "--listen", a["router"], "--client", a["client"],
                      "--expect-port", str(DATA_PORT), input="")
    lines = r.stdout.splitlines()
    assert lines[0] == "open -1 EPERM", lines
    assert "CAP_NET_ADMIN" in lines[1]
