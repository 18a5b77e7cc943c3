"""The benchmark's own lab: tests/integration's three-namespace network with
the same strict router, one ProFTPD backend, and three ways for the client
to reach it, measured side by side.

    ftpsgw     client -> 203.0.113.1:21 (ftpsgw, router) -> ProFTPD:21
               the lab's ruleset as it is (listen ports only, conntrack
               expectations for the data connections)
    direct     client -> 203.0.113.1:2021 -> DNAT -> ProFTPD:21, and the
               server's passive range 30000-30999 forwarded the same way:
               the "forward a port range" workaround, TLS end to end
               between client and server, the router only forwarding in
               the kernel. Same namespaces, same hops, same client as the
               other two: only the user-space proxy is missing.
    mod_proxy  client -> 203.0.113.1:2121 (ProFTPD + mod_tls + mod_proxy,
               router, reverse proxy, TLS on both sides) -> ProFTPD:21;
               mod_proxy cannot program conntrack, so its passive range
               50000-50999 is opened in the router's input chain.
    haproxy    not FTP: a plain TLS stream, client (bench/tlsstream.py)
               -> 203.0.113.1:2521 (Debian's haproxy, router, mode tcp,
               TLS on both legs) -> 198.51.100.10:9443 (tlsstream.py
               sending the download file), the reference relay ftpsgw's
               relay CPU is compared with (issue 14).

The network, the certificates, the gateway's start and stop, the ProFTPD
configuration and the wait for a server's banner are tests/integration's
lab.py and servers.py, imported; this file adds only what the bench needs
beyond them. The bench-only rules are added to this lab instance's ruleset
only. Everything stays inside the namespaces the lab makes; Lab.down()
removes it.
"""

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))

import lab as L          # noqa: E402
import servers as S      # noqa: E402
from cpuacct import CpuGroup  # noqa: E402

MODPROXY_ROOT = os.path.join(REPO, ".cache", "modproxy", "root")
HAPROXY_ROOT = os.path.join(REPO, ".cache", "haproxy", "root")
HAPROXY_BIN = os.path.join(HAPROXY_ROOT, "usr", "sbin", "haproxy")
# Where the lab's work directory goes: tmpfs, so that the transfer files
# (served and uploaded) never touch a disk.
TMPFS = "/dev/shm"

GW_NAME = "ftp.example.test"        # in the gateway certificate (ftpsgw, mod_proxy)
BE_NAME = "backend.example.test"    # in the backend certificate (direct)
GW_PORT = 21
GW_IMPLICIT_PORT = 990
GW_PASSIVE = "40000-40999"
DIRECT_PORT = 2021
KERNEL_PORT, KERNEL_IMPLICIT_PORT = 2421, 2490
KERNEL_BE = "198.51.100.15"
MODPROXY_PORT = 2121
MODPROXY_PASSIVE = (50000, 50999)
BACKEND_PASSIVE = S.PASSIVE["proftpd"]
HAPROXY_PORT = 2521
STREAM_PORT = 9443      # tlsstream.py serve, beside ProFTPD on SERVER4
HAPROXY_TIMEOUT = "60s"  # its connect/client/server timeouts
# ProFTPD (backend and mod_proxy) sessions at once; servers.py's 50 is too
# few for the memory figure, which opens more than that through each proxy.
MAX_INSTANCES = 600


class Target:
    """One way to reach the backend: where the client connects, the TLS name
    it verifies, the CPU group of the proxy and its (master) process (None
    for direct); for ftpsgw also its lab.Gateway and implicit port."""

    def __init__(self, key, port, tls_name, cpu=None, proc=None):
        self.key = key
        self.host = L.Lab.ROUTER_PUB4
        self.port = port
        self.tls_name = tls_name
        self.cpu = cpu
        self.proc = proc
        self.gateway = None
        self.implicit_port = None
        self.restarts = 0
        # Another FTP server than the lab's ProFTPD (kernel data path).
        self.backend = None
        self.backend_cpu = None
        # The stream sender's log (haproxy's target).
        self.backend_log = None

    def proxy_pids(self):
        """Every live process of the proxy (empty for direct)."""
        return self.cpu.pids() if self.cpu is not None else []

    def __repr__(self):
        return f"<Target {self.key} {self.host}:{self.port}>"


def modproxy_available():
    """None when mod_proxy and the servers are in the cache, else why not."""
    missing = S.servers_available()
    if missing:
        return missing
    if not os.path.exists(os.path.join(MODPROXY_ROOT, "usr/lib/proftpd/mod_proxy.so")):
        return (f"mod_proxy missing from {MODPROXY_ROOT}: run "
                "bash scripts/fetch-servers.sh --modproxy (make bench does)")
    return None


def haproxy_available():
    """None when haproxy is in the cache, else why not."""
    if not os.access(HAPROXY_BIN, os.X_OK):
        return (f"haproxy missing from {HAPROXY_ROOT}: run "
                "bash scripts/fetch-servers.sh --haproxy (make bench does)")
    return None


def haproxy_tls(leg):
    """haproxy bind/server keywords that allow exactly one TLS version and
    cipher, from 'TLSv1.3 / TLS_AES_128_GCM_SHA256' (curl's and ProFTPD's
    way of naming what a leg negotiated). TLS 1.3 suites are set with
    ciphersuites, TLS 1.2 ciphers with ciphers."""
    version, _, cipher = (x.strip() for x in leg.partition("/"))
    if version not in ("TLSv1.2", "TLSv1.3") or not cipher or cipher == "?":
        raise ValueError(f"cannot mirror TLS leg {leg!r} in haproxy")
    key = "ciphersuites" if version == "TLSv1.3" else "ciphers"
    return f"ssl-min-ver {version} ssl-max-ver {version} {key} {cipher}"


class BenchLab(L.UpDown):
    """Lab + certificates, and the parties a benchmark asks for (start_*).
    Use as a context manager; everything is stopped and removed at exit."""

    def __init__(self):
        self.lab = None
        self.certs = None
        self.backend = None         # ProFTPD (servers.Server)
        self.backend_cpu = None
        self.light = None           # lightftpd (process), its address
        self.light_hostport = None
        self.targets = {}
        self.notes = []
        self._groups = []
        self._key_support = {}

    # ---- lifetime --------------------------------------------------------

    def up(self):
        # Lab() takes its work directory from tempfile: put it on tmpfs.
        tempfile.tempdir = TMPFS if os.path.isdir(TMPFS) else None
        self.lab = L.Lab(prefix="bench" + os.urandom(3).hex())
        self.lab.up()
        self.certs = self.lab.certs()
        # One binary for the whole run, even if build/ftpsgw is rebuilt
        # meanwhile.
        if not os.access(L.GATEWAY_BIN, os.X_OK):
            raise L.LabError(f"{L.GATEWAY_BIN} not built (run make)")
        self.gw_binary = self.lab.path("ftpsgw")
        shutil.copy2(L.GATEWAY_BIN, self.gw_binary)
        return self

    def start_proftpd(self):
        """The ProFTPD backend (servers.start_proftpd, more instances
        allowed), its CPU accounted in backend_cpu."""
        self.backend_cpu = self._group("proftpd")
        self.backend = S.start_proftpd(
            self.lab, self.certs, extra=f"MaxInstances {MAX_INSTANCES}\n")
        self.backend_cpu.add(self.backend.pid)
        return self.backend

    def down(self):
        try:
            if self.lab is not None:
                self.lab.down()
        finally:
            for g in self._groups:
                g.close()
            self._groups.clear()
            tempfile.tempdir = None

    def _group(self, name):
        g = CpuGroup(name)
        self._groups.append(g)
        return g

    # ---- the router ------------------------------------------------------

    def nft(self, *args):
        """One nft command in the router namespace."""
        self.lab.run(self.lab.ns_router, ["nft", *args])

    def open_direct_path(self):
        """The direct target: port 2021 and the backend's passive range
        forwarded to ProFTPD (kernel DNAT, accepted in the forward chain)."""
        lo, hi = BACKEND_PASSIVE
        pub, srv = L.Lab.ROUTER_PUB4, L.Lab.SERVER4
        self.nft("add", "table", "ip", "bench_direct")
        self.nft("add", "chain", "ip", "bench_direct", "pre",
                 "{ type nat hook prerouting priority dstnat; }")
        self.nft("add", "rule", "ip", "bench_direct", "pre", "ip", "daddr", pub,
                 "tcp", "dport", str(DIRECT_PORT), "dnat", "to", f"{srv}:21")
        self.nft("add", "rule", "ip", "bench_direct", "pre", "ip", "daddr", pub,
                 "tcp", "dport", f"{lo}-{hi}", "dnat", "to", srv)
        self.nft("insert", "rule", "inet", "ftpsgw", "forward",
                 "ct", "status", "dnat", "accept")
        self.notes.append(
            f"direct: router DNAT {pub}:{DIRECT_PORT} -> {srv}:21 and "
            f"{pub}:{lo}-{hi} -> {srv} (same ports), forward chain "
            "'ct status dnat accept'; TLS end to end client <-> ProFTPD")
        t = Target("direct", DIRECT_PORT, BE_NAME)
        self.targets["direct"] = t
        return t

    def start_kernel_path(self, download):
        """ftpsgw with data_path = kernel, port KERNEL_PORT, in front of a
        second ProFTPD as that path needs it (NoSessionReuseRequired, the
        gateway's certificate) on KERNEL_BE, with the file download (a
        name in the first backend's home) linked into its home."""
        self.lab.run(self.lab.ns_server, ["ip", "addr", "add",
                                          f"{KERNEL_BE}/24", "dev", "eth0"])
        cpu = self._group("proftpd-kernel")
        srv = S.start_proftpd(
            self.lab, self.certs, address=KERNEL_BE, address6="",
            tls_options="NoSessionReuseRequired", tag="proftpd-kernel",
            cert=(self.certs.gw_cert, self.certs.gw_key),
            extra=f"MaxInstances {MAX_INSTANCES}\n")
        cpu.add(srv.pid)
        os.link(os.path.join(self.backend.home, download),
                os.path.join(srv.home, download))
        t = self.start_gateway("ftpsgw-kernel", backend=srv.hostport,
                               port=KERNEL_PORT,
                               implicit_port=KERNEL_IMPLICIT_PORT,
                               data_path="kernel", backend_name=GW_NAME)
        t.backend, t.backend_cpu = srv, cpu
        self.notes.append(
            f"kernel data path: ftpsgw port {KERNEL_PORT}, data_path = kernel, "
            f"backend a second ProFTPD on {KERNEL_BE} with TLSOptions "
            "NoSessionReuseRequired and the gateway's certificate; TLS on "
            "data end to end client <-> ProFTPD")
        return t

    # ---- ftpsgw ----------------------------------------------------------

    def gateway_config(self, backend, port=GW_PORT, implicit_port=GW_IMPLICIT_PORT,
                       **overrides):
        """gateway.conf as in tests/integration/test_gateway.py's gw_config,
        IPv4 only, log_level info."""
        cfg = {
            "listen": L.hostport(L.Lab.ROUTER_PUB4, port),
            "listen_implicit": L.hostport(L.Lab.ROUTER_PUB4, implicit_port),
            "certificate": self.certs.gw_cert,
            "private_key": self.certs.gw_key,
            "backend": backend,
            "backend_ca": self.certs.ca_cert,
            "passive_ports": GW_PASSIVE,
            "conntrack": "on",
            "log_level": "info",
        }
        cfg.update(overrides)
        return cfg

    def start_gateway(self, key="ftpsgw", backend=None, port=GW_PORT,
                      implicit_port=GW_IMPLICIT_PORT, **overrides):
        """build/ftpsgw in the router namespace in front of backend
        ('HOST:PORT', default ProFTPD), its CPU accounted in its own group.
        Ports other than the lab's 21/990 are opened in the input chain.
        Returns the Target (also in self.targets[key])."""
        backend = backend or self.backend.hostport
        extra_ports = [p for p in (port, implicit_port) if p not in (21, 990)]
        if extra_ports:
            self.nft("insert", "rule", "inet", "ftpsgw", "input", "tcp", "dport",
                     "{ " + ", ".join(map(str, extra_ports)) + " }", "accept")
            # ftpsgw's expectations need the ftp helper on its control
            # connections, as the lab gives ports 21 and 990.
            self.nft("add", "rule", "inet", "ftpsgw", "pre", "tcp", "dport",
                     "{ " + ", ".join(map(str, extra_ports)) + " }", "ct",
                     "helper", "set", '"ftp-std"')
        cpu = self._group(key)
        gw = self.lab.start_gateway(
            self.gateway_config(backend, port, implicit_port, **overrides), name=key,
            binary=self.gw_binary)
        cpu.add(gw.pid)
        t = Target(key, port, GW_NAME, cpu=cpu, proc=gw.proc)
        t.gateway = gw
        t.implicit_port = implicit_port
        self.targets[key] = t
        return t

    def restart_gateway(self, key="ftpsgw"):
        """Stop the gateway of target key and start it again with the same
        configuration (a fresh process, e.g. for a memory figure)."""
        t = self.targets[key]
        t.gateway.stop()
        t.restarts += 1
        with open(t.gateway.config_path) as f:
            config = f.read()
        gw = self.lab.start_gateway(config, name=f"{key}-{t.restarts}",
                                    binary=self.gw_binary)
        t.cpu.add(gw.pid)
        t.gateway, t.proc = gw, gw.proc
        return t

    def gateway_version(self):
        """'ftpsgw --version' of the binary under test and its SHA-256."""
        r = subprocess.run([self.gw_binary, "--version"], capture_output=True,
                           text=True, timeout=30)
        with open(self.gw_binary, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        return (r.stdout or r.stderr).strip(), digest

    def session_limits(self, sessions):
        """Overrides that let one client address hold sessions sessions, for
        the limit keys this build knows (max_sessions, max_sessions_per_ip;
        older builds have none)."""
        out = {}
        for key in ("max_sessions", "max_sessions_per_ip"):
            if self._gateway_knows(key, sessions):
                out[key] = sessions
        return out

    def _gateway_knows(self, key, value):
        if key not in self._key_support:
            cfg = self.gateway_config(f"{L.Lab.SERVER4}:21", **{key: value})
            r = self.lab.check_gateway_config(cfg, name=f"check-{key}",
                                              binary=self.gw_binary)
            text = (r.stdout + r.stderr).strip()
            if r.returncode == 0:
                self._key_support[key] = True
            elif "unknown key" in text:
                self._key_support[key] = False
            else:
                raise L.LabError(f"ftpsgw -t refused {key} = {value}: {text}")
        return self._key_support[key]

    # ---- the light backend -------------------------------------------------

    def start_light(self, address=L.Lab.SERVER4_2, port=21, nofile=0):
        """bench/lightftpd.py in the server namespace (no ProFTPD there on
        this address in the bench). Returns 'ADDR:PORT'."""
        argv = [L.PYTHON, os.path.join(HERE, "lightftpd.py"),
                "--listen", f"{address}:{port}", "--cert", self.certs.be_cert,
                "--key", self.certs.be_key]
        if nofile:
            argv += ["--nofile", str(nofile)]
        # env {}: a Python server, it needs none of the cache's libraries.
        self.light = S.launch(self.lab, "lightftpd", argv, address,
                              {"stderr": self.lab.path("lightftpd.log")},
                              port=port, env={})
        self.light_hostport = f"{address}:{port}"
        return self.light_hostport

    # ---- mod_proxy -------------------------------------------------------

    def start_modproxy(self):
        """ProFTPD + mod_tls + mod_proxy in the router namespace: a reverse
        proxy in front of the same ProFTPD, TLS 1.2/1.3 toward the client
        (mod_tls, session reuse required as in ProFTPD's default) and toward
        the backend (ProxyTLSEngine on, certificate verified)."""
        lo, hi = MODPROXY_PASSIVE
        self.nft("insert", "rule", "inet", "ftpsgw", "input", "tcp", "dport",
                 f"{{ {MODPROXY_PORT}, {lo}-{hi} }}", "accept")
        self.notes.append(
            f"mod_proxy: router input chain opens tcp {MODPROXY_PORT} and its "
            f"passive range {lo}-{hi} (mod_proxy programs no conntrack "
            "expectations)")
        d = self.lab.path("modproxy")
        modules = os.path.join(d, "modules")
        tables = os.path.join(d, "tables")
        os.makedirs(modules)
        os.makedirs(tables)
        os.chmod(d, 0o755)
        # ProFTPD loads modules from one directory: mod_tls from the
        # servers' cache, mod_proxy from its own.
        os.symlink(S.cache_path("usr/lib/proftpd/mod_tls.so"),
                   os.path.join(modules, "mod_tls.so"))
        os.symlink(os.path.join(MODPROXY_ROOT, "usr/lib/proftpd/mod_proxy.so"),
                   os.path.join(modules, "mod_proxy.so"))
        logs = {k: os.path.join(d, f"{k}.log")
                for k in ("system", "tls", "proxy", "stderr")}
        conf = os.path.join(d, "proftpd.conf")
        proxy = f"""\
# mod_proxy as a reverse FTPS proxy (bench/benchlab.py).
<IfModule mod_proxy.c>
  ProxyEngine on
  ProxyLog {logs['proxy']}
  ProxyTables {tables}
  ProxyRole reverse
  ProxyReverseConnectPolicy RoundRobin
  ProxyReverseServers ftp://{L.Lab.SERVER4}:21
  ProxyTLSEngine on
  ProxyTLSProtocol TLSv1.2 TLSv1.3
  ProxyTLSCACertificateFile {self.certs.ca_cert}
  ProxyTLSVerifyServer on
  ProxyDataTransferPolicy client
  ProxyTLSTransferProtectionPolicy required
</IfModule>
"""
        with open(conf, "w") as f:
            f.write(S.proftpd_config(
                d, logs, title="mod_proxy bench", addresses=L.Lab.ROUTER_PUB4,
                port=MODPROXY_PORT, ipv6=False, max_instances=MAX_INSTANCES,
                passive=MODPROXY_PASSIVE, module_path=modules,
                modules=("mod_tls.c", "mod_proxy.c"), cert=self.certs.gw_cert,
                key=self.certs.gw_key, body=proxy))
        cpu = self._group("modproxy")
        proc = S.launch(self.lab, "mod_proxy",
                        [S.cache_path("usr/sbin/proftpd"), "-n", "-q", "-c", conf],
                        L.Lab.ROUTER_PUB4, logs, ns=self.lab.ns_router,
                        port=MODPROXY_PORT,
                        env=S.server_env(MODPROXY_ROOT, S.CACHE_ROOT))
        cpu.add(proc.pid)
        self.modproxy_logs = logs
        t = Target("mod_proxy", MODPROXY_PORT, GW_NAME, cpu=cpu, proc=proc)
        self.targets["mod_proxy"] = t
        return t

    # ---- haproxy ---------------------------------------------------------

    def start_haproxy(self, stream_file, client_leg, server_leg, threads):
        """The TLS->TLS reference relay: bench/tlsstream.py serving
        stream_file on SERVER4:STREAM_PORT (backend certificate), and
        Debian's haproxy in the router namespace, mode tcp, on
        ROUTER_PUB4:HAPROXY_PORT: ssl on the bind (the gateway's
        certificate), ssl verify required toward the stream server (the
        test CA, its name checked), each leg held to one TLS version and
        cipher (client_leg, server_leg: what ftpsgw's legs negotiated, see
        haproxy_tls), nbthread threads. One process (no master-worker),
        in the foreground; stopped by PID with the lab. Returns the
        Target (its backend_cpu is the sender's group)."""
        srv, pub = L.Lab.SERVER4, L.Lab.ROUTER_PUB4
        d = self.lab.path("haproxy")
        os.makedirs(d)
        stream_cpu = self._group("tlsstream")
        stream_log = os.path.join(d, "tlsstream.log")
        sender = S.launch(
            self.lab, "tlsstream",
            [L.PYTHON, os.path.join(HERE, "tlsstream.py"), "serve",
             "--listen", f"{srv}:{STREAM_PORT}", "--cert", self.certs.be_cert,
             "--key", self.certs.be_key, "--file", stream_file],
            srv, {"stderr": stream_log}, banner=None, port=STREAM_PORT, env={})
        stream_cpu.add(sender.pid)
        # haproxy's crt is one PEM with the certificate and its key.
        pem = os.path.join(d, "gateway.pem")
        fd = os.open(pem, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            for part in (self.certs.gw_cert, self.certs.gw_key):
                with open(part) as src:
                    f.write(src.read())
        conf = os.path.join(d, "haproxy.cfg")
        with open(conf, "w") as f:
            f.write(f"""\
# TLS->TLS relay for make bench (bench/benchlab.py start_haproxy).
global
    nbthread {threads}
    maxconn 100
defaults
    mode tcp
    timeout connect {HAPROXY_TIMEOUT}
    timeout client {HAPROXY_TIMEOUT}
    timeout server {HAPROXY_TIMEOUT}
frontend relay
    bind {pub}:{HAPROXY_PORT} ssl crt {pem} {haproxy_tls(client_leg)}
    default_backend stream
backend stream
    server stream {srv}:{STREAM_PORT} ssl verify required ca-file {self.certs.ca_cert} verifyhost {BE_NAME} sni str({BE_NAME}) {haproxy_tls(server_leg)}
""")
        self.nft("insert", "rule", "inet", "ftpsgw", "input", "tcp", "dport",
                 str(HAPROXY_PORT), "accept")
        check = self.lab.run(self.lab.ns_router, [HAPROXY_BIN, "-c", "-q", "-f", conf],
                             check=False, env=S.server_env(HAPROXY_ROOT))
        if check.returncode != 0:
            raise L.LabError(f"haproxy -c refused {conf}: "
                             f"{(check.stdout + check.stderr).strip()[-600:]}")
        cpu = self._group("haproxy")
        logs = {"stderr": os.path.join(d, "haproxy.log")}
        proc = S.launch(self.lab, "haproxy", [HAPROXY_BIN, "-db", "-f", conf],
                        pub, logs, banner=None, ns=self.lab.ns_router,
                        port=HAPROXY_PORT, env=S.server_env(HAPROXY_ROOT))
        cpu.add(proc.pid)
        self.notes.append(
            f"haproxy: {pub}:{HAPROXY_PORT} opened in the router's input chain; "
            f"mode tcp, nbthread {threads}, bind ssl crt (gateway certificate) "
            f"{haproxy_tls(client_leg)}; server {srv}:{STREAM_PORT} ssl verify "
            f"required ca-file (test CA) verifyhost {BE_NAME} "
            f"{haproxy_tls(server_leg)}; the stream: bench/tlsstream.py, Python "
            "ssl, the download file sent from tmpfs in 1 MiB writes, read into "
            "a 1 MiB buffer and discarded")
        t = Target("haproxy", HAPROXY_PORT, GW_NAME, cpu=cpu, proc=proc)
        t.backend_cpu = stream_cpu
        t.backend_log = stream_log
        t.sender = sender
        self.targets["haproxy"] = t
        return t

    def haproxy_version(self):
        """'HAProxy version ...' of the cached binary."""
        r = subprocess.run([HAPROXY_BIN, "-v"], capture_output=True, text=True,
                           timeout=30, env={**os.environ, **S.server_env(HAPROXY_ROOT)})
        return (r.stdout.splitlines() or ["?"])[0].strip()

    # ---- helpers ---------------------------------------------------------

    def big_file(self, name, size):
        """A file of size random bytes in the backend's home (tmpfs);
        returns its path. Made once."""
        path = os.path.join(self.backend.home, name)
        if not os.path.exists(path):
            L.write_random(path, size)
        return path
