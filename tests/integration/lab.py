"""The integration-test network of DESIGN.md, built in network namespaces.

    client (203.0.113.10, 2001:db8:1::10)
       |  eth0 -- pub0
    router (203.0.113.1 / 2001:db8:1::1 public, 198.51.100.1 / 2001:db8:2::1 LAN)
       |  lan0 -- eth0          strict ruleset: default drop, listen ports only
    server (198.51.100.10/.11/.12, 2001:db8:2::10/::11/::12)

Every name carries a unique random suffix so that other people's labs on the
same machine never collide with ours, and teardown removes only what this lab
made: its namespaces, its /etc/netns/NAME directories, its processes (by PID)
and its work directory. Every wait is bounded.

Only the documentation ranges are used, only inside namespaces the lab made.
Each namespace gets /etc/netns/NAME/resolv.conf with "nameserver 127.0.0.1",
so no name lookup can leave it.
"""

import contextlib
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# The gateway under test; FTPSGW_BIN selects another build (e.g. build/asan).
GATEWAY_BIN = os.environ.get("FTPSGW_BIN", os.path.join(REPO, "build", "ftpsgw"))
PYTHON = "/usr/bin/python3"
FTPCLIENT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ftpclient.py")

# Bounds on every wait (seconds).
STOP_TIMEOUT = 5.0        # SIGTERM -> exit, before SIGKILL
GATEWAY_START_TIMEOUT = 5.0
CMD_TIMEOUT = 60

# The router's firewall is what ftpsgw prints for this configuration
# (`ftpsgw --firewall nft -c FILE`, the binary under test), so the rules the
# tests run behind are the rules ftpsgw gives an admin. Its listeners are the
# ones the tests use: explicit FTPS on 21 and implicit on 990, on the
# router's public IPv4 and IPv6 addresses; data_path = kernel for the empty
# `type nat` chain the kernel data path needs (DESIGN.md fact 4). The
# certificate and key are the lab's own (made later: --firewall reads
# neither).
def firewall_config(lab):
    """The gateway.conf text the lab router's firewall is printed from."""
    return "\n".join([
        "# lab.py: the router's firewall is printed from this file",
        f"listen = {lab.ROUTER_PUB4}:21",
        f"listen = [{lab.ROUTER_PUB6}]:21",
        f"listen_implicit = {lab.ROUTER_PUB4}:990",
        f"listen_implicit = [{lab.ROUTER_PUB6}]:990",
        f"certificate = {lab.path('pki', 'gateway.crt')}",
        f"private_key = {lab.path('pki', 'gateway.key')}",
        f"backend = {lab.SERVER4}:21",
        "conntrack = on",
        "data_path = kernel",
    ]) + "\n"


def print_firewall(conf, kind="nft", ns=None, binary=None):
    """`ftpsgw --firewall KIND -c conf` (in namespace ns if given): the
    ruleset text it prints. Raises LabError with its message if it fails."""
    argv = [binary or GATEWAY_BIN, "--firewall", kind, "-c", conf]
    if ns is not None:
        argv = ["ip", "netns", "exec", ns, *argv]
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=CMD_TIMEOUT)
    if r.returncode != 0 or not r.stdout:
        raise LabError(f"{' '.join(argv)}: exit {r.returncode}: "
                       f"{r.stderr.strip()}")
    return r.stdout


# Test files placed in each FTP user's home: name -> size in bytes.
TEST_FILES = {
    "f0": 0,
    "f1": 1,
    "f16383": 16383,
    "f16384": 16384,
    "f16385": 16385,
    "f1M": 1 << 20,
    "f100M": 100 << 20,
}


def sha256_file(path):
    """Hex SHA-256 of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_random(path, size):
    """Write size random bytes to path, a MiB at a time, mode 0644."""
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(left, 1 << 20)
            f.write(os.urandom(n))
            left -= n
    os.chmod(path, 0o644)


def files_equal(a, b):
    """True when two files have the same size and bytes."""
    if os.path.getsize(a) != os.path.getsize(b):
        return False
    return sha256_file(a) == sha256_file(b)


def hostport(host, port):
    """'ADDR:PORT', with IPv6 addresses in brackets (gateway.conf syntax)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def split_hostport(text):
    """Inverse of hostport(): ('ADDR', PORT)."""
    text = text.strip()
    if text.startswith("["):
        host, _, port = text[1:].partition("]:")
    else:
        host, _, port = text.rpartition(":")
    return host, int(port)


def config_text(config):
    """gateway.conf text from a dict (list values become repeated keys;
    None values are left out) or from text as it is."""
    if isinstance(config, str):
        return config
    lines = []
    for key, value in config.items():
        if value is None:
            continue
        values = value if isinstance(value, (list, tuple)) else [value]
        for v in values:
            if isinstance(v, bool):
                v = "on" if v else "off"
            lines.append(f"{key} = {v}")
    return "\n".join(lines) + "\n"


def _config_listens(text):
    """[(host, port)] of the listen/listen_implicit lines of a config text."""
    out = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if "=" not in line:
            continue
        key, _, value = line.partition("=")
        if key.strip() in ("listen", "listen_implicit"):
            with contextlib.suppress(ValueError):
                out.append(split_hostport(value))
    return out


def _stat(pid):
    """(ppid, starttime) of a process from /proc, or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[1]), int(fields[19])
    except (OSError, IndexError, ValueError):
        return None


def _start_time(pid):
    st = _stat(pid)
    return st[1] if st else None


def _running(pid, start):
    """True while pid is the process that started at start and is no zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            rest = f.read().rsplit(")", 1)[1].split()
        return int(rest[19]) == start and rest[0] != "Z"
    except (OSError, IndexError, ValueError):
        return False


def _descendants(root):
    """[(pid, starttime)] of every process descending from root."""
    children = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = _stat(int(name))
            if st:
                children.setdefault(st[0], []).append((int(name), st[1]))
    out, todo = [], [root]
    for _ in range(100000):
        if not todo:
            break
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child[0])
    return out


def listening(pid, port):
    """True when process pid holds a listening TCP socket on port (any
    address, IPv4 or IPv6), read from /proc/PID/net (its own network
    namespace) and /proc/PID/fd. Opens no connection, so the gateway sees
    no probe session."""
    inodes = set()
    for table in ("tcp", "tcp6"):
        try:
            with open(f"/proc/{pid}/net/{table}") as f:
                lines = f.read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            if len(parts) > 9 and parts[3] == "0A" and \
                    int(parts[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(f"socket:[{parts[9]}]")
    if not inodes:
        return False
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") in inodes:
                return True
        except OSError:
            continue
    return False


class Certs:
    """Paths of the test PKI (PEM files, ECDSA P-256)."""

    def __init__(self, d):
        self.dir = d
        self.ca_cert = os.path.join(d, "ca.crt")
        self.ca_key = os.path.join(d, "ca.key")
        self.gw_cert = os.path.join(d, "gateway.crt")
        self.gw_key = os.path.join(d, "gateway.key")
        self.be_cert = os.path.join(d, "backend.crt")
        self.be_key = os.path.join(d, "backend.key")

    def __repr__(self):
        return f"Certs({self.dir!r})"


GATEWAY_SAN = "DNS:ftp.example.test,IP:203.0.113.1,IP:2001:db8:1::1"
BACKEND_SAN = ("DNS:backend.example.test,IP:198.51.100.10,IP:198.51.100.11,"
               "IP:198.51.100.12,IP:198.51.100.13,IP:198.51.100.14,IP:2001:db8:2::10,IP:2001:db8:2::11,"
               "IP:2001:db8:2::12")

_OPENSSL_CNF = """\
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[v3_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
"""


def make_certs(directory):
    """Make a test CA and two server certificates with the openssl CLI.

    gateway.crt: CN ftp.example.test, SAN GATEWAY_SAN (what clients see);
    backend.crt: CN backend.example.test, SAN BACKEND_SAN (the FTP servers).
    Returns a Certs with the paths. Keys are unencrypted, mode 0600.
    """
    os.makedirs(directory, exist_ok=True)
    c = Certs(directory)
    cnf = os.path.join(directory, "openssl.cnf")
    with open(cnf, "w") as f:
        f.write(_OPENSSL_CNF)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]

    def ossl(*args):
        subprocess.run(["openssl", *args], check=True, cwd=directory,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=CMD_TIMEOUT, env={**os.environ, "OPENSSL_CONF": cnf})

    ossl("req", "-config", cnf, "-x509", *ec, "-keyout", c.ca_key,
         "-out", c.ca_cert, "-days", "365", "-sha256",
         "-subj", "/CN=ftpsgw test CA", "-extensions", "v3_ca")
    for cert, key, cn, san in ((c.gw_cert, c.gw_key, "ftp.example.test", GATEWAY_SAN),
                               (c.be_cert, c.be_key, "backend.example.test", BACKEND_SAN)):
        csr = cert[:-4] + ".csr"
        ext = cert[:-4] + ".ext"
        with open(ext, "w") as f:
            f.write(f"subjectAltName = {san}\n"
                    "basicConstraints = critical, CA:FALSE\n"
                    "keyUsage = critical, digitalSignature\n"
                    "extendedKeyUsage = serverAuth\n"
                    "subjectKeyIdentifier = hash\n"
                    "authorityKeyIdentifier = keyid\n")
        ossl("req", "-config", cnf, "-new", *ec, "-keyout", key, "-out", csr,
             "-subj", f"/CN={cn}")
        ossl("x509", "-req", "-in", csr, "-CA", c.ca_cert, "-CAkey", c.ca_key,
             "-set_serial", str(secrets.randbits(63)), "-days", "365",
             "-sha256", "-extfile", ext, "-out", cert)
    for key in (c.ca_key, c.gw_key, c.be_key):
        os.chmod(key, 0o600)
    return c


class Gateway:
    """A running build/ftpsgw in the router namespace."""

    def __init__(self, lab, proc, name, config_path, log_path, listens):
        self.lab = lab
        self.proc = proc
        self.name = name
        self.config_path = config_path
        self.log_path = log_path
        self.listens = listens

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc.poll() is None

    def log_text(self):
        """Everything the gateway wrote to stderr/stdout so far."""
        try:
            with open(self.log_path, "r", errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def signal(self, sig):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, sig)

    def stop(self, timeout=STOP_TIMEOUT):
        """SIGTERM, wait up to timeout, then SIGKILL. Returns the exit code
        (negative: killed by that signal)."""
        return self.lab.stop_process(self.proc, timeout=timeout)


class LabError(RuntimeError):
    pass


class UpDown:
    """A context manager for an object with up() and down(): the with
    statement runs up(), and down() at exit, also when up() fails half way
    (down() must be idempotent and undo whatever up() got to)."""

    def __enter__(self):
        try:
            self.up()
        except BaseException:
            self.down()
            raise
        return self

    def __exit__(self, *exc):
        self.down()
        return False


class Lab(UpDown):
    """The three-namespace test network. Use as a context manager or call
    up() / down(); down() is idempotent and runs whatever up() got to."""

    CLIENT4 = "203.0.113.10"
    CLIENT6 = "2001:db8:1::10"
    ROUTER_PUB4 = "203.0.113.1"
    ROUTER_PUB6 = "2001:db8:1::1"
    ROUTER_LAN4 = "198.51.100.1"
    ROUTER_LAN6 = "2001:db8:2::1"
    SERVER4 = "198.51.100.10"       # ProFTPD
    SERVER4_2 = "198.51.100.11"     # vsftpd
    SERVER4_3 = "198.51.100.12"     # pure-ftpd
    SERVER6 = "2001:db8:2::10"
    SERVER6_2 = "2001:db8:2::11"
    SERVER6_3 = "2001:db8:2::12"
    SERVERS4 = (SERVER4, SERVER4_2, SERVER4_3)
    SERVERS6 = (SERVER6, SERVER6_2, SERVER6_3)

    def __init__(self, prefix=None, keep_workdir=None):
        if prefix is None:
            # FTPSGW_LAB_PREFIX tells one run's labs from another's.
            base = os.environ.get("FTPSGW_LAB_PREFIX", "fgw")[:12]
            prefix = base + secrets.token_hex(4)
        self.prefix = prefix
        self.ns_client = f"{prefix}-client"
        self.ns_router = f"{prefix}-router"
        self.ns_server = f"{prefix}-server"
        self.namespaces = (self.ns_client, self.ns_router, self.ns_server)
        if keep_workdir is None:
            keep_workdir = os.environ.get("FTPSGW_KEEP_LAB") == "1"
        self.keep_workdir = keep_workdir
        self.workdir = None
        self._made_ns = []
        self._made_netns_etc = []
        self._procs = []
        self._certs = None
        self._files = None
        self._is_up = False
        self.ruleset = None      # the text loaded into the router (nft -f)

    # ---- lifetime -------------------------------------------------------

    def up(self):
        """Build the namespaces, links, addresses, routes and the ruleset."""
        if self._is_up:
            return self
        if os.geteuid() != 0:
            raise LabError("the lab needs root (network namespaces, nftables)")
        self.workdir = tempfile.mkdtemp(prefix=f"ftpsgw-{self.prefix}-")
        # Servers drop privileges: everything below must be traversable.
        os.chmod(self.workdir, 0o755)
        try:
            self._build()
        except BaseException:
            self.down()
            raise
        self._is_up = True
        return self

    def _build(self):
        for ns in self.namespaces:
            etc = f"/etc/netns/{ns}"
            os.makedirs("/etc/netns", exist_ok=True)
            os.mkdir(etc)           # fails if it exists: then it is not ours
            self._made_netns_etc.append(etc)
            with open(f"{etc}/resolv.conf", "w") as f:
                f.write("nameserver 127.0.0.1\n")
            self._cmd(["ip", "netns", "add", ns])
            self._made_ns.append(ns)

        c, r, s = self.namespaces
        # veths are made inside the namespaces: no name in the root
        # namespace, so no clash with other labs.
        self._cmd(["ip", "-n", c, "link", "add", "eth0", "type", "veth",
                   "peer", "name", "pub0", "netns", r])
        self._cmd(["ip", "-n", s, "link", "add", "eth0", "type", "veth",
                   "peer", "name", "lan0", "netns", r])

        # No DAD anywhere (addresses usable at once), no autoconfiguration.
        common = ["net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0",
                  "net.ipv6.conf.all.accept_ra=0", "net.ipv6.conf.default.accept_ra=0",
                  "net.ipv6.conf.all.autoconf=0", "net.ipv6.conf.default.autoconf=0"]
        per_if = {c: ["eth0"], r: ["pub0", "lan0"], s: ["eth0"]}
        for ns in self.namespaces:
            keys = list(common)
            for ifname in per_if[ns]:
                keys += [f"net.ipv6.conf.{ifname}.accept_dad=0",
                         f"net.ipv6.conf.{ifname}.accept_ra=0"]
            if ns == r:
                keys += ["net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1"]
            self._cmd(["ip", "netns", "exec", ns, "sysctl", "-q", "-w", *keys])

        batches = {
            c: [f"addr add {self.CLIENT4}/24 dev eth0",
                f"addr add {self.CLIENT6}/64 dev eth0 nodad",
                "link set lo up", "link set eth0 up",
                f"route add default via {self.ROUTER_PUB4}",
                f"route add default via {self.ROUTER_PUB6}"],
            r: [f"addr add {self.ROUTER_PUB4}/24 dev pub0",
                f"addr add {self.ROUTER_PUB6}/64 dev pub0 nodad",
                f"addr add {self.ROUTER_LAN4}/24 dev lan0",
                f"addr add {self.ROUTER_LAN6}/64 dev lan0 nodad",
                "link set lo up", "link set pub0 up", "link set lan0 up"],
            s: [f"addr add {a}/24 dev eth0" for a in self.SERVERS4]
            + [f"addr add {a}/64 dev eth0 nodad" for a in self.SERVERS6]
            + ["link set lo up", "link set eth0 up",
               f"route add default via {self.ROUTER_LAN4}",
               f"route add default via {self.ROUTER_LAN6}"],
        }
        for ns, lines in batches.items():
            self._cmd(["ip", "-n", ns, "-batch", "-"], input="\n".join(lines) + "\n")

        if not os.access(GATEWAY_BIN, os.X_OK):
            raise LabError(f"{GATEWAY_BIN} not built (run make): the lab's "
                           "firewall is what it prints")
        conf = self.path("router-firewall.conf")
        with open(conf, "w") as f:
            f.write(firewall_config(self))
        self.ruleset = print_firewall(conf, ns=r)
        self.load_ruleset()

        # A veth reports carrier a moment after both ends are up; wait
        # (bounded) so that the first test packet does not race it.
        deadline = time.monotonic() + 5
        for ns, ifnames in per_if.items():
            for _ in range(1000):
                out = self._cmd(["ip", "-n", ns, "-o", "link", "show", "up"]).stdout
                if all(re.search(rf"^\d+: {i}[@:].*state UP", out, re.M) for i in ifnames):
                    break
                if time.monotonic() > deadline:
                    raise LabError(f"links of {ns} not up after 5 s:\n{out}")
                time.sleep(0.02)

    def down(self):
        """Stop our processes (by PID), delete our namespaces, their
        /etc/netns directories and the work directory. Idempotent."""
        errors = []
        for proc in list(self._procs):
            try:
                self.stop_process(proc)
            except Exception as e:  # keep tearing down
                errors.append(f"stop pid {proc.pid}: {e}")
        self._procs.clear()
        for ns in list(self._made_ns):
            # Anything still running inside a namespace this lab made was
            # started by this lab (directly or by a server it started).
            for pid in self._netns_pids(ns):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + STOP_TIMEOUT
            while self._netns_pids(ns) and time.monotonic() < deadline:
                time.sleep(0.05)
            r = subprocess.run(["ip", "netns", "del", ns], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, timeout=CMD_TIMEOUT)
            if r.returncode != 0 and os.path.exists(f"/run/netns/{ns}"):
                errors.append(f"ip netns del {ns}: {r.stderr.strip()}")
            self._made_ns.remove(ns)
        for etc in list(self._made_netns_etc):
            shutil.rmtree(etc, ignore_errors=True)
            self._made_netns_etc.remove(etc)
        if self.workdir and not self.keep_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
        elif self.workdir:
            print(f"lab: kept {self.workdir}", file=sys.stderr)
        self.workdir = None
        self._certs = None
        self._files = None
        self._is_up = False
        if errors:
            raise LabError("teardown: " + "; ".join(errors))

    @staticmethod
    def _netns_pids(ns):
        r = subprocess.run(["ip", "netns", "pids", ns], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True, timeout=CMD_TIMEOUT)
        return [int(p) for p in r.stdout.split() if p.isdigit()]

    # ---- running things -------------------------------------------------

    @staticmethod
    def _cmd(argv, input=None, timeout=CMD_TIMEOUT):
        r = subprocess.run(argv, input=input, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=timeout)
        if r.returncode != 0:
            raise LabError(f"{' '.join(argv)}: exit {r.returncode}: {r.stderr.strip()}")
        return r

    def _check_ns(self, ns):
        if ns not in self._made_ns:
            raise LabError(f"{ns!r} is not a namespace of this lab")

    def run(self, ns, argv, timeout=CMD_TIMEOUT, check=True, input=None, env=None):
        """Run argv in namespace ns and wait (bounded). Returns a
        CompletedProcess with text stdout/stderr. check=True raises
        CalledProcessError on a non-zero exit."""
        self._check_ns(ns)
        full_env = None if env is None else {**os.environ, **env}
        return subprocess.run(["ip", "netns", "exec", ns, *argv], input=input,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, timeout=timeout, check=check, env=full_env)

    def popen(self, ns, argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
              env=None, stdin=subprocess.DEVNULL, cwd=None):
        """Start argv in namespace ns in its own process group. The process
        is tracked and stopped by PID at down() (or with stop_process)."""
        self._check_ns(ns)
        full_env = None if env is None else {**os.environ, **env}
        proc = subprocess.Popen(["ip", "netns", "exec", ns, *argv], stdin=stdin,
                                stdout=stdout, stderr=stderr, env=full_env,
                                cwd=cwd, start_new_session=True)
        self._procs.append(proc)
        return proc

    def stop_process(self, proc, timeout=STOP_TIMEOUT):
        """SIGTERM to the process (and its process group, which popen made
        for it), wait up to timeout, then SIGKILL. Descendants that left the
        group (vsftpd's sessions call setsid) are noted before and killed
        after, each by PID and checked by start time. Returns the exit code."""
        descendants = _descendants(proc.pid) if proc.poll() is None else []
        if proc.poll() is None:
            self._signal_group(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._signal_group(proc.pid, signal.SIGKILL)
                proc.wait(timeout=timeout)
        # Children of a session leader that outlived it (e.g. FTP sessions).
        self._signal_group(proc.pid, signal.SIGKILL, group_only=True)
        for pid, start in descendants:
            if _start_time(pid) == start:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(
                _running(pid, start) for pid, start in descendants):
            time.sleep(0.02)
        if proc in self._procs:
            self._procs.remove(proc)
        return proc.returncode

    @staticmethod
    def _signal_group(pid, sig, group_only=False):
        # popen() used start_new_session, so the process group id is the pid
        # of the process we started.
        try:
            os.killpg(pid, sig)
            return
        except (ProcessLookupError, PermissionError):
            pass
        if not group_only:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)

    def wait_tcp(self, ns, host, port, timeout=5.0, banner=None, proc=None):
        """Wait (bounded) until host:port accepts a TCP connection from
        namespace ns; with banner (bytes prefix, e.g. b"220"), until the
        first line read starts with it. proc: give up early if it exits.
        Returns True on success, False on timeout or if proc exited."""
        script = (
            "import socket,sys,time\n"
            "h,p,t,b=sys.argv[1],int(sys.argv[2]),float(sys.argv[3]),sys.argv[4].encode()\n"
            "end=time.monotonic()+t\n"
            "for _ in range(10000):\n"
            "  if time.monotonic()>end: sys.exit(1)\n"
            "  try:\n"
            "    s=socket.create_connection((h,p),timeout=1)\n"
            "    if not b: sys.exit(0)\n"
            "    s.settimeout(max(0.5,end-time.monotonic()))\n"
            "    d=b''\n"
            "    while b'\\n' not in d and len(d)<4096:\n"
            "      x=s.recv(4096)\n"
            "      if not x: break\n"
            "      d+=x\n"
            "    try: s.sendall(b'QUIT\\r\\n')\n"
            "    except OSError: pass\n"
            "    s.close()\n"
            "    if d.startswith(b): sys.exit(0)\n"
            "  except OSError: pass\n"
            "  time.sleep(0.05)\n"
            "sys.exit(1)\n")
        self._check_ns(ns)
        probe = subprocess.Popen(["ip", "netns", "exec", ns, PYTHON, "-c", script,
                                  host, str(port), str(timeout),
                                  (banner or b"").decode()],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout + 5
        try:
            while time.monotonic() < deadline:
                rc = probe.poll()
                if rc is not None:
                    return rc == 0
                if proc is not None and proc.poll() is not None:
                    return False
                time.sleep(0.02)
            return False
        finally:
            if probe.poll() is None:
                probe.kill()
            probe.wait(timeout=STOP_TIMEOUT)

    def tcp_connect(self, ns, host, port, timeout=1.0):
        """One bounded TCP connect from ns. Returns 'connected', 'refused'
        or 'timeout' (or 'error: ...')."""
        script = (
            "import socket,sys\n"
            "try:\n"
            "  s=socket.create_connection((sys.argv[1],int(sys.argv[2])),timeout=float(sys.argv[3]))\n"
            "  print('connected'); s.close()\n"
            "except ConnectionRefusedError: print('refused')\n"
            "except (socket.timeout, TimeoutError): print('timeout')\n"
            "except OSError as e: print('error:', e.strerror or e)\n")
        r = self.run(ns, [PYTHON, "-c", script, host, str(port), str(timeout)],
                     timeout=timeout + 30, check=False)
        return r.stdout.strip() or f"error: {r.stderr.strip()}"

    def tcp_probe(self, ns, targets, timeout=1.0):
        """Bounded TCP connects from ns to every (host, port) in targets, all
        at once (one process, one thread each). Returns {(host, port):
        'connected' | 'refused' | 'timeout' | 'error: ...'}."""
        targets = [(h, int(p)) for h, p in targets]
        script = (
            "import socket,sys,threading,json\n"
            "t=float(sys.argv[1]); ts=json.loads(sys.argv[2]); out={}\n"
            "def one(i,h,p):\n"
            "  try:\n"
            "    s=socket.create_connection((h,p),timeout=t); out[i]='connected'; s.close()\n"
            "  except ConnectionRefusedError: out[i]='refused'\n"
            "  except (socket.timeout, TimeoutError): out[i]='timeout'\n"
            "  except OSError as e: out[i]='error: '+str(e.strerror or e)\n"
            "th=[threading.Thread(target=one,args=(i,h,p)) for i,(h,p) in enumerate(ts)]\n"
            "[x.start() for x in th]; [x.join(t+5) for x in th]\n"
            "print(json.dumps([out.get(i,'timeout') for i in range(len(ts))]))\n")
        r = self.run(ns, [PYTHON, "-c", script, str(timeout), json.dumps(targets)],
                     timeout=timeout + 30, check=False)
        try:
            results = json.loads(r.stdout)
        except ValueError:
            raise LabError(f"tcp_probe failed: {r.stderr.strip()}") from None
        return dict(zip(targets, results))

    def ftpclient(self, ns, args, timeout=CMD_TIMEOUT, check=False, input=None):
        """Run tests/integration/ftpclient.py with args in namespace ns."""
        return self.run(ns, [PYTHON, FTPCLIENT, *args], timeout=timeout,
                        check=check, input=input)

    def conntrack_expect(self, ns=None):
        """`conntrack -L expect` output (stdout) in ns (default: router)."""
        r = self.run(ns or self.ns_router, ["conntrack", "-L", "expect"], check=False)
        return r.stdout

    def load_ruleset(self):
        """Load the router's firewall (self.ruleset, as ftpsgw printed it)
        again, as an admin would: `nft -f`. It replaces table inet ftpsgw
        whole, so a test that changed it gets it back exactly."""
        self._cmd(["ip", "netns", "exec", self.ns_router, "nft", "-f", "-"],
                  input=self.ruleset)

    def nft_list(self, ns=None):
        """The live ruleset of ns (default: router), with counters if any."""
        return self.run(ns or self.ns_router, ["nft", "list", "ruleset"]).stdout

    # ---- files ------------------------------------------------------------

    def path(self, *parts):
        """A path inside the work directory."""
        return os.path.join(self.workdir, *parts)

    def certs(self):
        """The test PKI (made once per lab in workdir/pki). Returns Certs."""
        if self._certs is None:
            self._certs = make_certs(self.path("pki"))
        return self._certs

    def test_files(self):
        """Random test files of TEST_FILES sizes, made once per lab in
        workdir/data. Returns {name: path}."""
        if self._files is None:
            d = self.path("data")
            os.makedirs(d, exist_ok=True)
            files = {}
            for name, size in TEST_FILES.items():
                p = os.path.join(d, name)
                write_random(p, size)
                files[name] = p
            os.chmod(d, 0o755)
            self._files = files
        return dict(self._files)

    def make_ftp_home(self, name, uid, gid, home_owner=None):
        """A home directory workdir/NAME/home holding the test files
        (hard links, read-only) and an 'upload' directory owned by uid:gid.
        home_owner: (uid, gid) of the home itself (default root:root, 0755,
        which chrooting servers like). Returns (home, upload)."""
        files = self.test_files()
        base = self.path(name)
        home = os.path.join(base, "home")
        upload = os.path.join(home, "upload")
        os.makedirs(upload, exist_ok=True)
        for n, p in files.items():
            dst = os.path.join(home, n)
            if not os.path.exists(dst):
                os.link(p, dst)
        os.chmod(base, 0o755)
        os.chmod(home, 0o755)
        if home_owner:
            os.chown(home, *home_owner)
        os.chown(upload, uid, gid)
        os.chmod(upload, 0o755)
        return home, upload

    # ---- the gateway ------------------------------------------------------

    def write_config(self, config, name="gw"):
        """Write config (text or dict, see config_text) to workdir/NAME.conf;
        returns the path."""
        conf = self.path(f"{name}.conf")
        with open(conf, "w") as f:
            f.write(config_text(config))
        return conf

    def check_gateway_config(self, config, name="check", binary=None):
        """`ftpsgw -t -c FILE` in the router namespace. Returns the
        CompletedProcess (exit 0 or 1; the message is on stderr/stdout)."""
        conf = self.write_config(config, name)
        return self.run(self.ns_router, [binary or GATEWAY_BIN, "-t", "-c", conf],
                        timeout=30, check=False)

    def start_gateway(self, config, name="gw", timeout=GATEWAY_START_TIMEOUT,
                      argv_extra=(), env=None, binary=None):
        """Write config (text or dict) to workdir/NAME.conf, start
        `build/ftpsgw -c FILE` in the router namespace with stdout and stderr
        to workdir/NAME.log, and wait (bounded) until it listens on every
        listen/listen_implicit port (its own sockets, in the router
        namespace).
        Returns a Gateway. Raises LabError (with the log) if it exits or does
        not listen in time. binary: another executable (default GATEWAY_BIN,
        i.e. build/ftpsgw or $FTPSGW_BIN); argv_extra goes before -c."""
        binary = binary or GATEWAY_BIN
        if not os.access(binary, os.X_OK):
            raise LabError(f"{binary} not built (run make)")
        conf = self.write_config(config, name)
        log = self.path(f"{name}.log")
        with open(conf) as f:
            listens = _config_listens(f.read())
        with open(log, "wb") as logf:
            proc = self.popen(self.ns_router, [binary, *argv_extra, "-c", conf],
                              stdout=logf, stderr=subprocess.STDOUT, env=env)
        gw = Gateway(self, proc, name, conf, log, listens)
        # Ready when the gateway itself holds a listening socket on every
        # listen port (read from its /proc entries, i.e. inside the router
        # namespace; no probe connection reaches it or the backend).
        ports = {port for _, port in listens}
        deadline = time.monotonic() + timeout
        ok = False
        for _ in range(100000):
            if proc.poll() is not None or time.monotonic() > deadline:
                break
            if all(listening(proc.pid, p) for p in ports):
                ok = True
                break
            time.sleep(0.02)
        if not ok:
            rc = self.stop_process(proc)
            raise LabError(f"ftpsgw ({name}) did not listen on {sorted(ports)} within "
                           f"{timeout} s (exit {rc}); log:\n{gw.log_text()}")
        return gw
