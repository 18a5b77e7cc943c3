"""ACME certificates, unattended (issue 15, part 5).

Debian's pebble (an ACME server, RFC 8555) runs on the Internet side of the
lab (the client namespace), with pebble-challtestsrv as its DNS server
answering every name with the router's public address. Debian's certbot runs
on the router, as docs/certs.md tells an administrator to: `certonly
--standalone` answers the HTTP-01 challenge on port 80, which the strict
ruleset opens only while certbot runs (a timed set element added by the
pre-hook, flushed by the post-hook), and the shipped deploy hook
(etc/certbot-deploy-hook) installs the certificate where ftpsgw reads it and
sends it SIGHUP. pebble really validates the challenge (never
PEBBLE_VA_ALWAYS_VALID; PEBBLE_AUTHZREUSE=0 makes the renewal validate
again).

Then a client that trusts pebble's root, and nothing else, verifies the
gateway by name; one that does not trust it fails; a forced renewal under a
running 100 MiB download swaps the certificate without dropping it; and the
hook refuses another site's certificate, a key that does not match, and a
planted symbolic link.
"""

import grp
import hashlib
import glob
import json
import os
import re
import shutil
import ssl
import stat
import subprocess
import time

import pytest

import lab as L
from conftest import stop_gateways
from test_gateway import GW4, SCRIPT_HEAD, gw_config, same

HOOK = os.path.join(L.REPO, "etc", "certbot-deploy-hook")
NAME = "ftp.example.test"           # the gateway's name
OTHER = "www.example.test"          # another site on the same router
PEBBLE = L.Lab.CLIENT4              # the ACME server, on the Internet side
ACME_PORT = 14000
MGMT = "127.0.0.1:15000"            # pebble's management API (roots)
DNS = "127.0.0.1:8053"              # pebble-challtestsrv, inside the client
DIRECTORY = f"https://{PEBBLE}:{ACME_PORT}/dir"

# What docs/certs.md has the administrator add to the ftpsgw table, and
# the hooks that open port 80 while certbot runs (for 10 minutes at most,
# even if certbot dies before its post-hook).
NFT_SET = "{ type inet_service; flags timeout; }"
NFT_RULE = ["tcp", "dport", "@acme_http", "accept"]
PRE_HOOK = "nft add element inet ftpsgw acme_http { 80 timeout 10m }"
POST_HOOK = "nft flush set inet ftpsgw acme_http"

WAIT = 10.0                         # bound on every log wait (s)

MISSING = [p for p in ("certbot", "pebble", "pebble-challtestsrv")
           if shutil.which(p) is None]
pytestmark = pytest.mark.skipif(
    bool(MISSING), reason=f"{', '.join(MISSING)} not installed: "
    "apt-get install certbot pebble (scripts/deps.sh lists them)")

# A client's view of the gateway's implicit-FTPS port: verify by NAME with
# CAFILE ("" = the system's trust store), print the SHA-256 of the
# certificate it was shown, or why verification failed.
VERIFY = """
import hashlib, socket, ssl, sys
name, addr, cafile = sys.argv[1:4]
ctx = ssl.create_default_context(cafile=cafile or None)
try:
    with socket.create_connection((addr, 990), timeout=10) as s:
        with ctx.wrap_socket(s, server_hostname=name) as t:
            der = t.getpeercert(binary_form=True)
            print("OK", hashlib.sha256(der).hexdigest())
except ssl.SSLCertVerificationError as e:
    print("FAILED", e.verify_message)
"""

# One DNS query (A, recursion desired) to pebble's DNS server; prints the
# IPv4 addresses of the answer. Bounded: 20 tries of 0.25 s.
DNS_QUERY = """
import socket, struct, sys, time
name, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
q = struct.pack(">HHHHHH", 0x4242, 0x0100, 1, 0, 0, 0)
q += b"".join(bytes([len(x)]) + x.encode() for x in name.split(".")) + b"\\0"
q += struct.pack(">HH", 1, 1)
for _ in range(20):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.25)
    try:
        s.sendto(q, (host, port))
        r = s.recv(512)
    except OSError:
        time.sleep(0.05)
        continue
    finally:
        s.close()
    n = struct.unpack(">H", r[6:8])[0]
    i = len(q)
    for _ in range(n):
        i += 2 if r[i] & 0xC0 == 0xC0 else r.index(b"\\0", i) + 1 - i
        typ, _c, _t, ln = struct.unpack(">HHIH", r[i:i + 10])
        i += 10
        if typ == 1 and ln == 4:
            print(socket.inet_ntoa(r[i:i + 4]))
        i += ln
    sys.exit(0)
sys.exit(1)
"""


# A download that spans the renewal however long certbot takes (a forced
# renewal of two certificates takes ~7 s here, longer on a loaded
# machine): Python's ftplib (test_gateway.SCRIPT_HEAD: data connections
# resume the control session) reads RETR at 4 MB/s until the test
# creates FLAG, holds its last 4 MiB until then (at most 90 s), then reads
# the rest at full speed. It connects to the router's address and
# verifies the gateway under the name. Prints the byte count at which it
# saw FLAG, the total, and the final reply.
PACED_RETR = """
import os, time
flag, dest, addr = sys.argv[5], sys.argv[6], sys.argv[7]
size, rate = int(sys.argv[8]), 4e6
f.connect(addr, 21)
f.host = host
f.login(user, pw)
f.prot_p()
f.voidcmd("TYPE I")
conn = f.transfercmd("RETR f100M")
got, seen, t0 = 0, None, time.monotonic()
with open(dest, "wb") as h:
    while True:
        if seen is None and os.path.exists(flag):
            seen = got
        if seen is None and (got >= size - (4 << 20) or
                             got > rate * (time.monotonic() - t0)):
            if time.monotonic() - t0 > 90:
                sys.exit("no renewal within 90 s")
            time.sleep(0.01)
            continue
        b = conn.recv(1 << 16)
        if not b:
            break
        h.write(b)
        got += len(b)
conn.unwrap()
conn.close()
out("flag", seen, "of", got)
out(f.voidresp())
f.quit()
"""


def sha256_pem(path):
    """SHA-256 (hex) of the first certificate in a PEM file."""
    with open(path) as f:
        text = f.read()
    first = text[:text.index("-----END CERTIFICATE-----") + 25]
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(first)).hexdigest()


def read(path):
    with open(path, "rb") as f:
        return f.read()


class Acme:
    """Paths and processes of the ACME setup (see the acme fixture)."""

    def __init__(self, lab):
        self.lab = lab
        self.dir = lab.path("acme")
        self.config_dir = os.path.join(self.dir, "letsencrypt")
        self.work_dir = os.path.join(self.dir, "work")
        self.logs_dir = os.path.join(self.dir, "logs")
        self.etc = os.path.join(self.dir, "etc-ftpsgw")  # /etc/ftpsgw
        self.certificate = os.path.join(self.etc, "gateway.chain.pem")
        self.private_key = os.path.join(self.etc, "gateway.key")
        self.pid_file = os.path.join(self.dir, "ftpsgw.pid")
        self.hook_conf = os.path.join(self.etc, "certbot-hook.conf")
        self.tls_ca = os.path.join(self.dir, "pebble-tls-ca", "ca.pem")
        self.root = os.path.join(self.dir, "pebble-root.pem")
        self.gw = None
        self.procs = []

    def lineage(self, name=NAME):
        return os.path.join(self.config_dir, "live", name)

    def env(self):
        return {"REQUESTS_CA_BUNDLE": self.tls_ca,
                "FTPSGW_HOOK_CONF": self.hook_conf}

    def certbot(self, *args, timeout=90):
        """certbot on the router against pebble, in the lab's directories
        (never the machine's /etc/letsencrypt)."""
        argv = ["certbot", *args, "--server", DIRECTORY,
                "--config-dir", self.config_dir, "--work-dir", self.work_dir,
                "--logs-dir", self.logs_dir, "--non-interactive",
                "--agree-tos", "--register-unsafely-without-email"]
        return self.lab.run(self.lab.ns_router, argv, env=self.env(),
                            timeout=timeout, check=False)

    def certonly(self, name):
        return self.certbot(
            "certonly", "--standalone", "-d", name, "--cert-name", name,
            "--deploy-hook", HOOK, "--pre-hook", PRE_HOOK,
            "--post-hook", POST_HOOK)

    def hook(self, lineage, domains=NAME):
        """The hook run by hand on the router, as certbot runs it."""
        return self.lab.run(self.lab.ns_router, [HOOK], check=False,
                            timeout=30, env={**self.env(),
                                             "RENEWED_LINEAGE": lineage,
                                             "RENEWED_DOMAINS": domains})

    def verify(self, cafile, name=NAME):
        """('OK', sha256) or ('FAILED', reason) from the client."""
        r = self.lab.run(self.lab.ns_client,
                         [L.PYTHON, "-c", VERIFY, name, GW4, cafile],
                         check=False, timeout=30)
        assert r.returncode == 0, r.stderr
        return tuple(r.stdout.strip().split(" ", 1))

    def pebble_log(self):
        return read(os.path.join(self.dir, "pebble.log")).decode()

    def validations(self, name=NAME):
        """How many HTTP-01 requests pebble made for name so far."""
        return self.pebble_log().count(
            f"Attempting to validate w/ HTTP: http://{name}:80/")

    def reloads(self):
        return self.gw.log_text().count("SIGHUP: certificate")

    def installed(self):
        """Bytes, modes and groups of the two installed files."""
        out = []
        for p in (self.certificate, self.private_key):
            st = os.lstat(p)
            out.append((read(p), stat.S_IMODE(st.st_mode), st.st_gid,
                        stat.S_ISREG(st.st_mode)))
        return out


def _firewall(lab, add):
    """Add (or remove) the ACME set and rule to the router's ftpsgw table."""
    r = lab.ns_router
    if add:
        lab.run(r, ["nft", "add", "set", "inet", "ftpsgw", "acme_http",
                    NFT_SET])
        lab.run(r, ["nft", "add", "rule", "inet", "ftpsgw", "input",
                    *NFT_RULE])
        return
    text = lab.run(r, ["nft", "-a", "list", "chain", "inet", "ftpsgw",
                       "input"], check=False).stdout
    for handle in re.findall(r"@acme_http accept # handle (\d+)", text):
        lab.run(r, ["nft", "delete", "rule", "inet", "ftpsgw", "input",
                    "handle", handle], check=False)
    lab.run(r, ["nft", "delete", "set", "inet", "ftpsgw", "acme_http"],
            check=False)


def _start_pebble(lab, a):
    """pebble-challtestsrv (DNS only) and pebble in the client namespace;
    returns after both answer."""
    os.makedirs(a.dir, exist_ok=True)
    tool = os.path.join(os.path.dirname(L.GATEWAY_BIN), "ftpsgw-certs")
    ca = os.path.dirname(a.tls_ca)
    tls = os.path.join(a.dir, "pebble-tls")
    for argv in (["init-ca", "--dir", ca],
                 ["issue", "--dir", ca, "--ip", PEBBLE, "--ip", "127.0.0.1",
                  "--out", tls]):
        subprocess.run([tool, *argv], check=True, capture_output=True,
                       timeout=60)
    conf = os.path.join(a.dir, "pebble.json")
    with open(conf, "w") as f:
        json.dump({"pebble": {
            "listenAddress": f"{PEBBLE}:{ACME_PORT}",
            "managementListenAddress": MGMT,
            "certificate": tls + ".chain.pem", "privateKey": tls + ".key",
            "httpPort": 80, "tlsPort": 443, "ocspResponderURL": "",
            "externalAccountBindingRequired": False}}, f)
    dns_host, dns_port = DNS.split(":")
    with open(os.path.join(a.dir, "challtestsrv.log"), "wb") as log:
        a.procs.append(lab.popen(lab.ns_client, [
            "pebble-challtestsrv", "-dns01", DNS, "-http01", "",
            "-https01", "", "-tlsalpn01", "", "-management",
            "127.0.0.1:8055", "-defaultIPv4", lab.ROUTER_PUB4,
            "-defaultIPv6", lab.ROUTER_PUB6], stdout=log, stderr=log))
    r = lab.run(lab.ns_client, [L.PYTHON, "-c", DNS_QUERY, NAME, dns_host,
                                dns_port], check=False, timeout=30)
    assert r.returncode == 0 and r.stdout.split() == [lab.ROUTER_PUB4], \
        f"pebble's DNS does not answer {NAME} with {lab.ROUTER_PUB4}: " \
        f"{r.stdout!r} {r.stderr!r}"
    with open(os.path.join(a.dir, "pebble.log"), "wb") as log:
        proc = lab.popen(lab.ns_client, [
            "pebble", "-config", conf, "-dnsserver", DNS], stdout=log,
            stderr=log, env={"PEBBLE_VA_NOSLEEP": "1",
                             "PEBBLE_WFE_NONCEREJECT": "0",
                             "PEBBLE_AUTHZREUSE": "0"})
    a.procs.append(proc)
    for port in (ACME_PORT, int(MGMT.rsplit(":", 1)[1])):
        host = PEBBLE if port == ACME_PORT else "127.0.0.1"
        assert lab.wait_tcp(lab.ns_client, host, port, timeout=10,
                            proc=proc), f"pebble does not listen on {port}"


@pytest.fixture(scope="module")
def acme(lab, certs, proftpd):
    """pebble on the Internet side, the ruleset's ACME set, ftpsgw's
    certificate obtained by certbot before ftpsgw starts (as an
    administrator does it), pebble's root fetched by the client, and the
    gateway running with the installed files. Torn down at the end."""
    a = Acme(lab)
    before = lab.nft_list()
    try:
        _firewall(lab, add=True)
        _start_pebble(lab, a)
        os.makedirs(a.etc, mode=0o750)
        os.chmod(a.etc, 0o750)
        with open(a.hook_conf, "w") as f:
            f.write(f"# ftpsgw's certbot hook (etc/certbot-deploy-hook)\n"
                    f"cert_name   = {NAME}\n"
                    f"certificate = {a.certificate}\n"
                    f"private_key = {a.private_key}   # 0640\n"
                    f"reload      = pid_file\n"
                    f"pid_file    = {a.pid_file}\n")
        os.chmod(a.hook_conf, 0o644)
        t = time.monotonic()
        a.first = a.certonly(NAME)
        a.first_seconds = time.monotonic() - t
        assert a.first.returncode == 0, a.first.stdout + a.first.stderr
        r = lab.run(lab.ns_client, [
            "curl", "-sS", "--max-time", "10", "--cacert", a.tls_ca,
            "-o", a.root, f"https://{MGMT}/roots/0"], check=False)
        assert r.returncode == 0, r.stderr
        a.gw = lab.start_gateway(gw_config(
            certs, proftpd, certificate=a.certificate,
            private_key=a.private_key), name="acme-gw")
        with open(a.pid_file, "w") as f:
            f.write(f"{a.gw.pid}\n")
        yield a
    finally:
        if a.gw:
            stop_gateways([a.gw])
        for proc in a.procs:
            lab.stop_process(proc)
        _firewall(lab, add=False)
        assert lab.nft_list() == before, "the ruleset was not restored"


def test_certbot_installs_before_ftpsgw_starts(lab, acme):
    """The first certificate: HTTP-01 really validated on the router's
    port 80, installed by the hook with the modes ftpsgw's account needs,
    and port 80 closed again afterwards."""
    out = acme.first.stdout + acme.first.stderr
    assert f"no {acme.pid_file}: ftpsgw is not running" in out, out
    log = read(os.path.join(acme.logs_dir, "letsencrypt.log")).decode()
    assert "http-01" in log, log[-3000:]
    assert acme.validations() >= 1
    assert "set VALID by completed challenge" in acme.pebble_log()

    lineage = acme.lineage()
    (cert, cmode, cgid, creg), (key, kmode, kgid, kreg) = acme.installed()
    assert cert == read(os.path.join(lineage, "fullchain.pem"))
    assert key == read(os.path.join(lineage, "privkey.pem"))
    assert creg and kreg
    assert (cmode, kmode) == (0o644, 0o640)
    try:
        gid = grp.getgrnam("ftpsgw").gr_gid
    except KeyError:
        gid = 0
    assert cgid == kgid == gid
    assert not [n for n in os.listdir(acme.etc) if n.startswith(".")]
    # The post-hook closed port 80 again: the strict ruleset drops it.
    assert lab.tcp_connect(lab.ns_client, GW4, 80) == "timeout"
    assert "SIGHUP" not in acme.gw.log_text()


def test_client_verifies_the_gateway_by_name(lab, acme, proftpd):
    """Trusting pebble's root and nothing else, a client verifies the
    gateway by name, without a warning; without that root it fails."""
    installed = sha256_pem(acme.certificate)
    assert acme.verify(acme.root) == ("OK", installed)
    # The system's trust store does not know pebble's root ...
    verdict, why = acme.verify("")
    assert verdict == "FAILED" and "unable to get local issuer" in why, why
    # ... nor is the certificate good for another name.
    verdict, why = acme.verify(acme.root, name="other.example.test")
    assert verdict == "FAILED" and "Hostname mismatch" in why, why

    base = ["curl", "-sS", "--ssl-reqd", "--connect-timeout", "5",
            "--max-time", "30", "--resolve", f"{NAME}:21:{GW4}",
            "-u", f"{proftpd.user}:{proftpd.password}", "-l",
            f"ftp://{NAME}/"]
    r = lab.run(lab.ns_client, [*base, "--cacert", acme.root], check=False)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert "f1M" in r.stdout.split()
    r = lab.run(lab.ns_client, base, check=False)
    assert r.returncode == 60, (r.returncode, r.stderr)
    assert "SSL certificate problem" in r.stderr


def test_another_sites_certificate_is_left_alone(lab, acme):
    """A certificate for another name on the same router, obtained with the
    same deploy hook, is not installed into ftpsgw, which is not
    signalled."""
    before = acme.installed()
    r = acme.certonly(OTHER)
    assert r.returncode == 0, r.stdout + r.stderr
    assert os.path.exists(os.path.join(acme.lineage(OTHER), "fullchain.pem"))
    assert f"certificate '{OTHER}' ({OTHER}) is not ftpsgw's" in r.stdout
    assert acme.installed() == before
    assert acme.reloads() == 0


def test_hook_refuses_a_key_that_does_not_match(lab, acme, certs):
    """fullchain.pem and a key of another certificate: nothing replaced,
    no temporary file left, ftpsgw not signalled and still serving its
    certificate."""
    fake = os.path.join(acme.dir, "fake-live", NAME)
    os.makedirs(fake, exist_ok=True)
    shutil.copy(os.path.join(acme.lineage(), "fullchain.pem"), fake)
    shutil.copy(certs.gw_key, os.path.join(fake, "privkey.pem"))
    before = acme.installed()
    shown = acme.verify(acme.root)
    r = acme.hook(fake)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "does not belong to the certificate" in r.stderr
    assert "nothing installed, ftpsgw keeps its certificate" in r.stderr
    assert acme.installed() == before
    assert not [n for n in os.listdir(acme.etc) if n.startswith(".")]
    assert acme.reloads() == 0
    assert acme.verify(acme.root) == shown


@pytest.mark.parametrize("which", ["private_key", "certificate"])
def test_hook_does_not_follow_a_planted_link(lab, acme, which):
    """A symbolic link planted where the hook installs (to make root
    overwrite another file): refused, the link's target untouched, nothing
    else replaced."""
    target = getattr(acme, which)
    victim = os.path.join(acme.dir, "victim")
    with open(victim, "w") as f:
        f.write("root's file\n")
    os.chmod(victim, 0o600)
    saved = target + ".saved"
    os.rename(target, saved)
    os.symlink(victim, target)
    try:
        other = acme.certificate if which == "private_key" \
            else acme.private_key
        other_bytes = read(other)
        r = acme.hook(acme.lineage())
        assert r.returncode == 1, r.stdout + r.stderr
        assert f"{target} is a symbolic link ({victim}): nothing " \
            "installed" in r.stderr
        assert read(victim) == b"root's file\n"
        assert stat.S_IMODE(os.stat(victim).st_mode) == 0o600
        assert os.path.islink(target)
        assert read(other) == other_bytes
        assert not [n for n in os.listdir(acme.etc) if n.startswith(".")]
        assert acme.reloads() == 0
    finally:
        os.unlink(target)
        os.rename(saved, target)


# What the hook may do to files in the directory it installs into, as
# strace shows it (every process it starts followed).
TRACED = ("open,openat,creat,chmod,fchmod,fchmodat,chown,fchown,fchownat,"
          "lchown,rename,renameat,renameat2,link,linkat,symlink,symlinkat,"
          "truncate,unlink,unlinkat")


def strace_calls(path):
    """[(call, args, result)] in time order from an `strace -ff -ttt -o
    PATH` run: one file per process (PATH.PID), so no call is split by
    another process's line (under load, `strace -f` into one file
    interleaves them), merged by their timestamps."""
    calls = []
    for name in glob.glob(glob.escape(path) + ".*"):
        with open(name) as f:
            for line in f:
                m = re.match(r"(\d+\.\d+) (\w+)\((.*)\)\s+= (-?\d+)",
                             line.rstrip("\n"))
                if m:
                    calls.append((float(m.group(1)), m.group(2), m.group(3),
                                  int(m.group(4))))
    calls.sort(key=lambda c: c[0])
    return [c[1:] for c in calls]


def test_hook_never_lets_others_read_the_key(lab, acme):
    """Traced with strace: the only files the hook creates where it
    installs are new (O_EXCL) and 0600; the key's copy becomes 0640, the
    certificate's 0644, and each is renamed over the old file, which is
    never opened for writing, so the key is not readable by others at any
    moment. (A second directory and reload = none: ftpsgw is not
    signalled.)"""
    etc = os.path.join(acme.dir, "etc-traced")
    os.makedirs(etc, mode=0o750)
    os.chmod(etc, 0o750)
    cert, key = os.path.join(etc, "gw.pem"), os.path.join(etc, "gw.key")
    for p, mode in ((cert, 0o644), (key, 0o600)):   # a renewal's old pair
        with open(p, "w") as f:
            f.write("old\n")
        os.chmod(p, mode)
    conf = os.path.join(acme.dir, "traced-hook.conf")
    with open(conf, "w") as f:
        f.write(f"cert_name = {NAME}\ncertificate = {cert}\n"
                f"private_key = {key}\nreload = none\n")
    trace = os.path.join(acme.dir, "hook.strace")
    r = lab.run(lab.ns_router, [
        "strace", "-ff", "-ttt", "-qq", "-s", "4096", "-e", f"trace={TRACED}",
        "-o", trace, HOOK], check=False, timeout=60, env={
        **acme.env(), "FTPSGW_HOOK_CONF": conf,
        "RENEWED_LINEAGE": acme.lineage(), "RENEWED_DOMAINS": NAME})
    assert r.returncode == 0, r.stdout + r.stderr
    assert "ftpsgw not signalled" in r.stdout

    created, modes, renames, others = [], {}, [], []
    for call, args, result in strace_calls(trace):
        paths = [p for p in re.findall(r'"([^"]*)"', args)
                 if os.path.dirname(p) == etc]
        if call == "fchmod" or call == "fchown":
            others.append((call, args))     # by descriptor: not checkable
        if not paths or result < 0:
            continue
        if call in ("open", "openat", "creat") and "O_CREAT" in args:
            if paths[0] not in created:
                assert "O_EXCL" in args and args.endswith(", 0600"), args
                created.append(paths[0])
        elif call in ("open", "openat"):
            assert "O_WRONLY" not in args and "O_RDWR" not in args, args
        elif call in ("chmod", "fchmodat"):
            modes[paths[0]] = int(args.rsplit(",", 1)[1].strip(), 8)
        elif call.startswith("rename"):
            renames.append(tuple(paths))
        elif call not in ("chown", "fchownat", "lchown"):
            others.append((call, args))
    assert len(created) == 2, created
    assert all(os.path.basename(p).startswith(".certbot-hook.")
               for p in created)
    tmp_key, tmp_cert = created
    assert renames == [(tmp_key, key), (tmp_cert, cert)], renames
    assert modes == {tmp_key: 0o640, tmp_cert: 0o644}, modes
    assert others == [], others
    assert read(key) == read(os.path.join(acme.lineage(), "privkey.pem"))
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o640
    assert acme.reloads() == 0


def test_renewal_under_a_running_transfer(lab, acme, proftpd):
    """`certbot renew --force-renewal` (what certbot's timer runs) while a
    100 MiB download is running (PACED_RETR): the hook installs the new
    certificate, ftpsgw reloads, a new connection sees the new
    certificate, and the download, on the old session, ends byte for
    byte."""
    first = sha256_pem(acme.certificate)
    assert acme.verify(acme.root) == ("OK", first)
    validations = acme.validations()
    out = lab.path("acme-f100M")
    flag = lab.path("acme-renewed")
    size = os.path.getsize(os.path.join(proftpd.home, "f100M"))
    mark = len(acme.gw.log_text())
    dl = lab.popen(lab.ns_client, [
        L.PYTHON, "-c", SCRIPT_HEAD + PACED_RETR, NAME, acme.root,
        proftpd.user, proftpd.password, flag, out, GW4, str(size)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + WAIT
        while "data connection from" not in acme.gw.log_text()[mark:]:
            assert dl.poll() is None, dl.stderr.read().decode()
            assert time.monotonic() < deadline, acme.gw.log_text()[-2000:]
            time.sleep(0.05)
        t = time.monotonic()
        r = acme.certbot("renew", "--force-renewal",
                         "--no-random-sleep-on-renew")
        print(f"certbot renew (two certificates): "
              f"{time.monotonic() - t:.1f} s")
        assert r.returncode == 0, r.stdout + r.stderr
        assert f"sent SIGHUP to ftpsgw (pid {acme.gw.pid})" in r.stdout
        assert f"certificate '{OTHER}' ({OTHER}) is not ftpsgw's" in r.stdout
        deadline = time.monotonic() + WAIT
        while acme.reloads() < 1:
            assert time.monotonic() < deadline, acme.gw.log_text()[-2000:]
            time.sleep(0.05)
        second = sha256_pem(acme.certificate)
        assert second != first
        assert acme.verify(acme.root) == ("OK", second)
        assert dl.poll() is None, dl.stderr.read().decode()
        with open(flag, "w"):
            pass
        stdout, stderr = dl.communicate(timeout=60)
        assert dl.returncode == 0, stderr.decode()
    finally:
        lab.stop_process(dl)
    lines = stdout.decode().splitlines()
    print(lines)
    _, seen, _, got = lines[0].split()
    assert 0 < int(seen) < int(got) == size, lines
    assert lines[1].startswith("226"), lines
    assert same(out, os.path.join(proftpd.home, "f100M"))
    os.unlink(out)
    assert acme.reloads() == 1
    assert f"SIGHUP: certificate {acme.certificate} reloaded" in \
        acme.gw.log_text()
    assert "not reloaded" not in acme.gw.log_text()
    # Renewed with a new key, validated again, and port 80 closed again.
    assert acme.validations() > validations
    assert read(acme.private_key) == \
        read(os.path.join(acme.lineage(), "privkey.pem"))
    assert lab.tcp_connect(lab.ns_client, GW4, 80) == "timeout"
