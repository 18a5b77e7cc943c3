"""The real FTP servers the integration tests talk to, run in the lab's
server namespace from the cache that scripts/fetch-servers.sh fills.

Each start function writes its own configuration into the lab's work
directory (never /etc, never a system service), starts the server in the
foreground on its own address and port 21, waits (bounded) for its 220
banner, and returns a Server. Stop it with Server.stop() (by PID); the lab
also stops it at teardown.

    ProFTPD 1.3.8 + mod_tls  198.51.100.10 and 2001:db8:2::10 (one process)
    vsftpd 3.0.3             198.51.100.11 (or 2001:db8:2::11 with ipv6=True)
    pure-ftpd 1.0.50         198.51.100.12 (or 2001:db8:2::12 with ipv6=True)

All three require TLS on control and data and, with their strict defaults,
session reuse on the data connections (see Server.notes).
"""

import copy
import glob
import os
import pwd
import subprocess

from lab import REPO, LabError

CACHE_ROOT = os.environ.get("FTPSGW_SERVERS_ROOT",
                            os.path.join(REPO, ".cache", "servers", "root"))
START_TIMEOUT = 10.0

# The FTP account of ProFTPD and pure-ftpd (virtual users in their own files).
FTP_USER = "ftpuser"
FTP_PASSWORD = "ftps-test-pw"
FTP_UID = 2121
FTP_GID = 2121
# vsftpd logs in anonymous users only: see start_vsftpd.
ANON_USER = "anonymous"
ANON_PASSWORD = "test@example.test"

# vsftpd's anonymous account: vsftpd chdirs into its home directory before
# anon_root, so the account must have a home that exists ('nobody' has
# /nonexistent). Debian's base-passwd always has daemon (/usr/sbin); 'ftp'
# exists only where an FTP server package was installed.
VSFTPD_ANON_CANDIDATES = ("ftp", "daemon", "bin")


def vsftpd_anon_account():
    """(name, uid, gid) of the account vsftpd runs anonymous sessions as."""
    for name in VSFTPD_ANON_CANDIDATES:
        try:
            pw = pwd.getpwnam(name)
        except KeyError:
            continue
        if pw.pw_uid != 0 and os.path.isdir(pw.pw_dir):
            return name, pw.pw_uid, pw.pw_gid
    raise LabError("no account for vsftpd's anonymous sessions: none of "
                   f"{VSFTPD_ANON_CANDIDATES} exists with an existing home")


PASSIVE = {"proftpd": (30000, 30999), "vsftpd": (31000, 31999),
           "pureftpd": (32000, 32999)}


def cache_path(*parts):
    return os.path.join(CACHE_ROOT, *parts)


def library_path(*roots):
    """LD_LIBRARY_PATH for the binaries unpacked into roots, in that order
    (default: the cache; their libraries this machine lacks were unpacked
    next to them)."""
    dirs = [d for root in roots or (CACHE_ROOT,)
            for pat in ("usr/lib/*-linux-gnu", "lib/*-linux-gnu")
            for d in glob.glob(os.path.join(root, pat)) if os.path.isdir(d)]
    return ":".join(dirs)


def servers_available():
    """None when the cache holds all three servers, else a message."""
    need = ["usr/sbin/proftpd", "usr/lib/proftpd/mod_tls.so", "usr/sbin/vsftpd",
            "usr/sbin/pure-ftpd", "usr/bin/pure-pw"]
    missing = [n for n in need if not os.path.exists(cache_path(n))]
    if missing:
        return (f"FTP servers missing from {CACHE_ROOT} ({', '.join(missing)}): "
                "run `make servers` (bash scripts/fetch-servers.sh)")
    return None


def server_env(*roots):
    """The environment a cached server runs with: library_path(*roots) and
    the C locale."""
    return {"LD_LIBRARY_PATH": library_path(*roots), "LC_ALL": "C", "LANG": "C"}


class Server:
    """A running FTP server. Attributes:
    name, address, port, family (4 or 6), user, password, home, upload
    (a directory inside home, writable by the server; its FTP path is
    upload_ftp), config_path, log_paths {kind: path}, proc, pid, notes."""

    def __init__(self, lab, name, proc, address, port, user, password, home,
                 upload, config_path, log_paths, notes=""):
        self.lab = lab
        self.name = name
        self.proc = proc
        self.address = address
        self.port = port
        self.family = 6 if ":" in address else 4
        self.user = user
        self.password = password
        self.home = home
        self.upload = upload
        self.upload_ftp = "upload"      # relative to the login directory
        self.config_path = config_path
        self.log_paths = log_paths
        self.notes = notes

    @property
    def pid(self):
        return self.proc.pid

    @property
    def hostport(self):
        """'ADDR:PORT' with brackets for IPv6 (gateway.conf's backend)."""
        if self.family == 6:
            return f"[{self.address}]:{self.port}"
        return f"{self.address}:{self.port}"

    def alive(self):
        return self.proc.poll() is None

    def at(self, address):
        """The same server seen at another of its addresses (ProFTPD
        listens on an IPv4 and an IPv6 address in one process)."""
        other = copy.copy(self)
        other.address = address
        other.family = 6 if ":" in address else 4
        return other

    def log_text(self, kind):
        """Contents of one of log_paths ('' while it does not exist)."""
        try:
            with open(self.log_paths[kind], "r", errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def all_logs(self):
        return "\n".join(f"== {k} ({p})\n{self.log_text(k)}"
                         for k, p in self.log_paths.items())

    def stop(self):
        """SIGTERM (the process group), bounded wait, then SIGKILL."""
        return self.lab.stop_process(self.proc)

    def __repr__(self):
        return f"<Server {self.name} {self.hostport} pid {self.proc.pid}>"


def launch(lab, name, argv, address, logs, stderr_key="stderr", banner=b"220",
           ns=None, port=21, env=None):
    """popen argv in namespace ns (default: the server namespace) with env
    (default: server_env(), the cache's libraries; {}: none added),
    stdout+stderr to logs[stderr_key]; wait (bounded) for the 220 banner on
    address:port (banner=None: only for the port to accept, e.g. implicit
    TLS, where the banner is encrypted). Returns the process; raises
    LabError with every log in logs if it exits or does not answer in time."""
    ns = ns or lab.ns_server
    with open(logs[stderr_key], "wb") as f:
        proc = lab.popen(ns, argv, stdout=f, stderr=subprocess.STDOUT,
                         env=server_env() if env is None else env)
    if not lab.wait_tcp(ns, address, port, timeout=START_TIMEOUT,
                        banner=banner, proc=proc):
        rc = lab.stop_process(proc)
        text = "\n".join(f"== {k}\n{_read(p)}" for k, p in logs.items())
        raise LabError(f"{name} on {address}:{port} gave no 220 banner within "
                       f"{START_TIMEOUT} s (exit {rc}); logs:\n{text}")
    return proc


def _read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def _crypt_sha512(password):
    r = subprocess.run(["openssl", "passwd", "-6", password], check=True,
                       stdout=subprocess.PIPE, text=True, timeout=30)
    return r.stdout.strip()


def proftpd_config(d, logs, *, title, addresses, cert, key, port=21, ipv6=True,
                   max_instances=50, passive=PASSIVE["proftpd"],
                   module_path=None, modules=("mod_tls.c",), tls_required="on",
                   tls_options=None, body=""):
    """The text of a proftpd.conf for a ProFTPD the lab runs: standalone,
    bound to addresses (one or more, space-separated) on port, UseIPv6 as
    ipv6 says, up to max_instances sessions, passive (lo, hi) ports, no
    lookups or controls, its scoreboard, pid and delay files in directory
    d, its logs logs['system'] and logs['tls']. It loads modules from
    module_path (default: the cache's) and speaks FTPS with mod_tls, the
    strict way: TLS 1.2 and 1.3, certificate cert and key, tls_required and
    tls_options as in start_proftpd. body: the directives of its job (the
    FTP site of start_proftpd; a proxy in bench/benchlab.py), written after
    the modules are loaded so that <IfModule> blocks for them apply."""
    lo, hi = passive
    return f"""\
# Written by tests/integration/servers.py for one lab; not a system config.
ServerName "{title}"
ServerType standalone
UseIPv6 {'on' if ipv6 else 'off'}
SocketBindTight on
DefaultAddress {addresses}
Port {port}
User nobody
Group nogroup
MaxInstances {max_instances}
UseReverseDNS off
<IfModule mod_ident.c>
  IdentLookups off
</IfModule>
WtmpLog off
UseLastlog off
UseFtpUsers off
ControlsEngine off
DelayEngine off
ScoreboardFile {d}/proftpd.scoreboard
PidFile {d}/proftpd.pid
DelayTable {d}/proftpd.delay
SystemLog {logs['system']}
PassivePorts {lo} {hi}
TimeoutIdle 600

ModulePath {module_path or cache_path('usr/lib/proftpd')}
{''.join(f'LoadModule {m}{chr(10)}' for m in modules)}
<IfModule mod_tls.c>
  TLSEngine on
  TLSRequired {tls_required}
  TLSProtocol TLSv1.2 TLSv1.3
  TLSECCertificateFile {cert}
  TLSECCertificateKeyFile {key}
  TLSVerifyClient off
  TLSRenegotiate none
  TLSLog {logs['tls']}
{'  TLSOptions ' + tls_options if tls_options else ''}
</IfModule>

{body}"""


def start_proftpd(lab, certs, address=None, address6=None, tls_options=None,
                  tag="proftpd", extra="", cert=None, tls_required="on"):
    """ProFTPD 1.3.8 with mod_tls, the strict way: TLSRequired on, TLS 1.2 and
    1.3, data connections must reuse the control TLS session (no
    NoSessionReuseRequired). Listens on address (default Lab.SERVER4) and
    address6 (default Lab.SERVER6) in one process; virtual user FTP_USER
    from its own AuthUserFile, chrooted to its home.
    tls_options: a TLSOptions value to weaken it on purpose (e.g.
    "NoSessionReuseRequired" for the kernel data path), default none.
    tag: name of its work directory, for a second instance; extra: more
    configuration appended at the end (e.g. a <Limit EPSV> block); cert:
    (certificate, key) instead of the backend's (e.g. the gateway's, which
    clients check end to end on the kernel data path); tls_required: the
    TLSRequired value ("ctrl" lets data connections be clear, PROT C).
    Logs: 'system', 'tls' (TLSLog; "client did not reuse SSL session" lands
    here), 'xfer', 'stderr'."""
    address = address or lab.SERVER4
    address6 = lab.SERVER6 if address6 is None else address6
    cert_file, key_file = cert or (certs.be_cert, certs.be_key)
    d = lab.path(tag)
    os.makedirs(d, exist_ok=True)
    home, upload = lab.make_ftp_home(tag, FTP_UID, FTP_GID)
    logs = {k: os.path.join(d, f"{k}.log") for k in ("system", "tls", "xfer", "stderr")}
    passwd = os.path.join(d, "ftpd.passwd")
    group = os.path.join(d, "ftpd.group")
    with open(passwd, "w") as f:
        f.write(f"{FTP_USER}:{_crypt_sha512(FTP_PASSWORD)}:{FTP_UID}:{FTP_GID}:"
                f"ftps test user:{home}:/bin/false\n")
    with open(group, "w") as f:
        f.write(f"ftpgroup:x:{FTP_GID}:{FTP_USER}\n")
    # mod_auth_file refuses world-writable files; it reads them as root.
    os.chmod(passwd, 0o600)
    os.chmod(group, 0o644)
    conf = os.path.join(d, "proftpd.conf")
    site = f"""\
# The FTP site: one virtual user, chrooted, uploads allowed.
Umask 022
TransferLog {logs['xfer']}
AuthOrder mod_auth_file.c
AuthUserFile {passwd}
AuthGroupFile {group}
RequireValidShell off
DefaultRoot ~
AllowOverwrite on
AllowStoreRestart on
{extra}
"""
    with open(conf, "w") as f:
        f.write(proftpd_config(
            d, logs, title="ftpsgw test ProFTPD",
            addresses=" ".join(a for a in (address, address6) if a),
            cert=cert_file, key=key_file, tls_required=tls_required,
            tls_options=tls_options, body=site))
    proc = launch(lab, "proftpd",
                  [cache_path("usr/sbin/proftpd"), "-n", "-q", "-c", conf], address, logs)
    return Server(lab, "proftpd", proc, address, 21, FTP_USER, FTP_PASSWORD, home,
                  upload, conf, logs,
                  notes="requires session reuse; sleeps 0.2-0.4 s between sessions")


def start_vsftpd(lab, certs, ipv6=False, address=None, implicit=False):
    """vsftpd 3.0.3, strict: ssl_enable, TLS forced for login and data,
    require_ssl_reuse=YES, SSLv2/SSLv3/TLSv1.0 off (1.2 and 1.3 stay on).

    Login without touching /etc: vsftpd authenticates local users through
    PAM and /etc/passwd only, so it runs as an anonymous server:
    anonymous_enable with allow_anon_ssl, force_anon_logins_ssl and
    force_anon_data_ssl; ftp_username = vsftpd_anon_account() (usually
    'daemon': vsftpd needs an account whose home exists, and neither
    'ftp' nor 'nobody' qualifies on a fresh Debian), anon_root = the test
    home, uploads allowed into 'upload' (owned by that account).
    User ANON_USER, any password.
    ipv6: listen on Lab.SERVER6_2 instead of Lab.SERVER4_2 (vsftpd listens
    on one family per process). implicit: implicit_ssl=YES (TLS from the
    first byte, still on port 21).
    Logs: 'vsftpd' (protocol log with debug_ssl), 'xfer', 'stderr'."""
    if address is None:
        address = lab.SERVER6_2 if ipv6 else lab.SERVER4_2
    ipv6 = ":" in address
    tag = "vsftpd6" if ipv6 else "vsftpd"
    d = lab.path(tag)
    os.makedirs(d, exist_ok=True)
    anon_name, anon_uid, anon_gid = vsftpd_anon_account()
    home, upload = lab.make_ftp_home(tag, anon_uid, anon_gid)
    empty = os.path.join(d, "empty")
    os.makedirs(empty, exist_ok=True)
    os.chmod(empty, 0o755)
    logs = {k: os.path.join(d, f"{k}.log") for k in ("vsftpd", "xfer", "stderr")}
    lo, hi = PASSIVE["vsftpd"]
    listen = (f"listen=NO\nlisten_ipv6=YES\nlisten_address6={address}\n" if ipv6
              else f"listen=YES\nlisten_ipv6=NO\nlisten_address={address}\n")
    conf = os.path.join(d, "vsftpd.conf")
    with open(conf, "w") as f:
        f.write(f"""\
# Written by tests/integration/servers.py for one lab; not a system config.
{listen}listen_port=21
background=NO
ftpd_banner=ftpsgw test vsftpd
anonymous_enable=YES
local_enable=NO
ftp_username={anon_name}
nopriv_user=nobody
anon_root={home}
no_anon_password=NO
write_enable=YES
anon_upload_enable=YES
anon_mkdir_write_enable=YES
anon_other_write_enable=YES
anon_umask=022
ssl_enable=YES
implicit_ssl={'YES' if implicit else 'NO'}
allow_anon_ssl=YES
force_anon_logins_ssl=YES
force_anon_data_ssl=YES
require_ssl_reuse=YES
ssl_sslv2=NO
ssl_sslv3=NO
ssl_tlsv1=NO
ssl_ciphers=HIGH
rsa_cert_file={certs.be_cert}
rsa_private_key_file={certs.be_key}
debug_ssl=YES
pasv_enable=YES
pasv_min_port={lo}
pasv_max_port={hi}
port_enable=YES
connect_from_port_20=NO
secure_chroot_dir={empty}
seccomp_sandbox=NO
tcp_wrappers=NO
session_support=NO
xferlog_enable=YES
xferlog_std_format=NO
vsftpd_log_file={logs['vsftpd']}
xferlog_file={logs['xfer']}
dual_log_enable=YES
log_ftp_protocol=YES
syslog_enable=NO
idle_session_timeout=600
data_connection_timeout=120
""")
    proc = launch(lab, "vsftpd", [cache_path("usr/sbin/vsftpd"), conf], address, logs,
                  banner=None if implicit else b"220")
    return Server(lab, "vsftpd", proc, address, 21, ANON_USER, ANON_PASSWORD, home,
                  upload, conf, logs,
                  notes="anonymous login; requires session reuse")


def start_pureftpd(lab, certs, ipv6=False, address=None, tls_mode=3):
    """pure-ftpd 1.0.50 (Debian's TLS-capable build). tls_mode 3: TLS
    required on control and data (2: control only). Virtual user FTP_USER
    from its own PureDB made with pure-pw (-f/-F files in workdir),
    chrooted to its home, no anonymous, no reverse DNS (-H), passive range
    32000-32999, foreground. ipv6: listen on Lab.SERVER6_3 instead of
    Lab.SERVER4_3 (one -S address per process).
    pure-ftpd logs only to syslog, which the lab does not have, so it is
    started with -f none; 'xfer' is its transfer log (-O clf:), 'stderr'
    the rest."""
    if address is None:
        address = lab.SERVER6_3 if ipv6 else lab.SERVER4_3
    ipv6 = ":" in address
    tag = "pureftpd6" if ipv6 else "pureftpd"
    d = lab.path(tag)
    os.makedirs(d, exist_ok=True)
    home, upload = lab.make_ftp_home(tag, FTP_UID, FTP_GID)
    logs = {k: os.path.join(d, f"{k}.log") for k in ("xfer", "stderr")}
    pwfile = os.path.join(d, "pureftpd.passwd")
    pdb = os.path.join(d, "pureftpd.pdb")
    pure_pw = cache_path("usr/bin/pure-pw")
    for p in (pwfile, pdb):
        if os.path.exists(p):
            os.unlink(p)
    # The line pure-pw useradd writes, with a SHA-512 crypt hash (pure-ftpd
    # checks it with crypt(3)) instead of pure-pw's argon2id, whose cost
    # makes `useradd` and every login take ~4 s on this machine. "/./"
    # marks the chroot point. pure-pw builds the PureDB from it.
    pw_env = {**os.environ, **server_env()}
    with open(pwfile, "w") as f:
        f.write(f"{FTP_USER}:{_crypt_sha512(FTP_PASSWORD)}:{FTP_UID}:{FTP_GID}::"
                f"{home}/./::::::::::::\n")
    os.chmod(pwfile, 0o600)
    subprocess.run([pure_pw, "mkdb", pdb, "-f", pwfile], check=True,
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30, env=pw_env)
    # Key and certificate in one PEM file, pure-ftpd's classic format.
    pem = os.path.join(d, "pure-ftpd.pem")
    with open(pem, "w") as out:
        for p in (certs.be_key, certs.be_cert):
            with open(p) as f:
                out.write(f.read())
    os.chmod(pem, 0o600)
    lo, hi = PASSIVE["pureftpd"]
    argv = [cache_path("usr/sbin/pure-ftpd"),
            "-S", f"{address},21",
            "-l", f"puredb:{pdb}",
            "-E",                   # no anonymous logins
            "-A",                   # chroot everyone
            "-H",                   # no reverse DNS
            "-u", "1",              # virtual uid 2121 may log in
            "-p", f"{lo}:{hi}",
            "-Y", str(tls_mode),
            "-2", pem,
            "-O", f"clf:{logs['xfer']}",
            "-g", os.path.join(d, "pure-ftpd.pid"),
            "-f", "none",
            "-I", "10",             # idle minutes
            "-4" if not ipv6 else "-6"]
    proc = launch(lab, "pure-ftpd", argv, address, logs)
    return Server(lab, "pureftpd", proc, address, 21, FTP_USER, FTP_PASSWORD, home,
                  upload, " ".join(argv), logs,
                  notes=f"TLS mode {tls_mode}")
