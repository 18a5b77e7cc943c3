"""The transfer log (transfer_log =, issue 16 part 3) and logging to syslog
(log = syslog, part 4), through the strict NAT lab with real servers and
clients.

Every line of the transfer log is parsed field by field as xferlog(5) has
them, and checked against what the client did and against the FTP
server's own xferlog line for the same transfer (ProFTPD's TransferLog,
vsftpd's xferlog_file): the fields both can know must agree. File names a
client controls (spaces, control bytes, a forged second line, bytes that
are not UTF-8, very long names) never add a field or a line. SIGHUP
reopens the file (log rotation), also inside a chroot; Debian's logrotate
rotates it for real when it is installed. syslog: the test owns the
/dev/log the gateway sees (a private mount namespace), and reads the
datagrams.
"""

import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import time

import pytest

import lab as L
from test_gateway import GW4, ftp_script, gw_config

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CLIENT = "203.0.113.10"
WAIT = 10.0         # seconds, for a line to appear


# ---- helpers ----------------------------------------------------------------

def xfer_config(lab, certs, server, path, **over):
    c = gw_config(certs, server, transfer_log=path, log_level="info",
                  data_timeout=3)
    c.update(over)
    return c


def log_dir(lab, name):
    d = lab.path(name)
    os.makedirs(d, exist_ok=True)
    return d


def read_lines(path):
    """The lines of a transfer log (bytes: it may hold any UTF-8)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return []
    assert data == b"" or data.endswith(b"\n"), data[-200:]
    return data.split(b"\n")[:-1]


def wait_lines(path, n, gw=None, timeout=WAIT):
    """Wait (bounded) until path holds at least n lines; returns them."""
    deadline = time.monotonic() + timeout
    for _ in range(10000):
        lines = read_lines(path)
        if len(lines) >= n or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert len(lines) >= n, (lines, gw.log_text()[-3000:] if gw else "")
    return lines


class Line:
    """One xferlog(5) line, split as analysers split it (at runs of
    spaces): 18 words, the date being the first five."""

    def __init__(self, raw):
        assert b"\r" not in raw and b"\n" not in raw, raw
        assert all(b >= 0x20 and b != 0x7f for b in raw), raw
        self.raw = raw
        text = raw.decode("utf-8")          # always valid UTF-8
        self.f = text.split(" ")
        self.f = [w for w in self.f if w != ""]
        assert len(self.f) == 18, (len(self.f), text)
        # No field holds what a UTF-8-aware split() splits at either.
        assert len(text.split()) == 18, text
        when = " ".join(self.f[0:5])
        self.when = time.mktime(time.strptime(when, "%a %b %d %H:%M:%S %Y"))
        (self.seconds, self.host, self.size, self.name, self.type,
         self.action, self.direction, self.mode, self.user, self.service,
         self.auth, self.auth_user, self.status) = self.f[5:]
        self.seconds = int(self.seconds)
        self.size = int(self.size)

    def check_common(self, now=None):
        now = now or time.time()
        assert abs(now - self.when) < 300, self.raw
        assert self.seconds >= 1
        assert self.host == CLIENT
        assert self.type in ("a", "b")
        assert self.action == "_"
        assert self.direction in ("o", "i")
        assert self.mode in ("a", "r")
        assert (self.service, self.auth, self.auth_user) == ("ftp", "0", "*")
        assert self.status in ("c", "i")

    def __repr__(self):
        return f"Line({self.raw!r})"


def parse(lines):
    out = [Line(raw) for raw in lines]
    for ln in out:
        ln.check_common()
    return out


def server_xfer_lines(server, skip):
    """The FTP server's own xferlog lines (wu-ftpd format) past byte skip
    of its log, split in the same way."""
    text = server.log_text("xfer")[skip:]
    return [ln.split() for ln in text.splitlines() if ln.strip()]


# ---- the line, field by field ------------------------------------------------

def test_fields_proftpd(lab, certs, proftpd, start_gw):
    """Downloads (binary and ASCII), an upload, a name with a space, and a
    RETR the server refuses: one line each, in order, every field as the
    client saw it and as ProFTPD's own TransferLog has it."""
    d = log_dir(lab, "xfer-proftpd")
    path = os.path.join(d, "xferlog")
    spaced = os.path.join(proftpd.home, "my file.txt")
    with open(spaced, "wb") as f:
        f.write(os.urandom(5000))
    os.chmod(spaced, 0o644)
    up = f"xl-up-{os.getpid()}"
    skip = len(proftpd.log_text("xfer"))
    gw = start_gw(xfer_config(lab, certs, proftpd, path))
    try:
        r = ftp_script(lab, certs, proftpd, f"""
import io
f.connect(host, 21); f.login(user, pw); f.prot_p()
data = []
f.retrbinary('RETR f1M', data.append)
out('GOT', sum(map(len, data)))
f.storbinary('STOR upload/{up}', io.BytesIO(b'u' * 16385))
cmd('TYPE A')
n = [0]
conn = f.transfercmd('RETR f16384')
while True:
    b = conn.recv(65536)
    if not b:
        break
    n[0] += len(b)
conn.unwrap(); conn.close()
f.voidresp()
out('ASCII', n[0])
data = []
f.retrbinary('RETR my file.txt', data.append)
out('SPACED', sum(map(len, data)))
cmd('EPSV')
cmd('RETR no-such-file')
f.quit()
""")
        assert "GOT 1048576" in r.stdout, r.stdout + r.stderr
        ascii_got = int(re.search(r"ASCII (\d+)", r.stdout).group(1))
        assert "SPACED 5000" in r.stdout, r.stdout + r.stderr
        assert re.search(r"^550 ", r.stdout, re.M), r.stdout
        lines = parse(wait_lines(path, 5, gw))
    finally:
        os.unlink(spaced)
        if os.path.exists(os.path.join(proftpd.upload, up)):
            os.unlink(os.path.join(proftpd.upload, up))
    assert len(lines) == 5, lines
    dl, ul, asc, sp, bad = lines
    assert (dl.name, dl.size, dl.type, dl.direction, dl.mode, dl.user,
            dl.status) == ("f1M", 1048576, "b", "o", "r", "ftpuser", "c")
    assert (ul.name, ul.size, ul.type, ul.direction, ul.status) == \
        (f"upload/{up}", 16385, "b", "i", "c")
    # TYPE A, as the server accepted it; the size is what was carried.
    assert (asc.name, asc.size, asc.type, asc.direction, asc.status) == \
        ("f16384", ascii_got, "a", "o", "c")
    assert (sp.name, sp.size, sp.type, sp.status) == \
        ("my_file.txt", 5000, "b", "c")
    # Refused by the server (550, no 150): a failed transfer, nothing sent.
    assert (bad.name, bad.size, bad.direction, bad.status) == \
        ("no-such-file", 0, "o", "i")
    assert all(ln.user == "ftpuser" and ln.mode == "r" for ln in lines)
    # ProFTPD's own lines for the same transfers: it sees the router's LAN
    # address and writes the file's absolute path; it names the service
    # "ftps" under TLS (ftpsgw writes xferlog(5)'s "ftp", as vsftpd does);
    # ASCII sizes differ by the line ends each counts (ftpsgw: the bytes
    # it carried). The rest agrees.
    theirs = server_xfer_lines(proftpd, skip)
    assert len(theirs) == 4, theirs     # the refused RETR: ProFTPD no line
    for ours, w in zip((dl, ul, asc, sp), theirs):
        assert len(w) == 18, w
        assert w[6] == "198.51.100.1"
        assert w[8].endswith("/" + ours.name.replace("_", " ")) or \
            w[8].endswith("/" + ours.name), (w, ours)
        if ours is not asc:
            assert int(w[7]) == ours.size, (w, ours)
        assert w[9:14] + w[15:] == ours.f[9:14] + ours.f[15:], (w, ours)


def test_anonymous_and_stou_vsftpd(lab, certs, vsftpd, start_gw):
    """vsftpd, anonymous: access mode a and, as username, the address given
    as password (what vsftpd logs); STOU's name from the server's reply.
    Checked against vsftpd's own xferlog line."""
    d = log_dir(lab, "xfer-vsftpd")
    path = os.path.join(d, "xferlog")
    skip = len(vsftpd.log_text("xfer"))
    before = set(os.listdir(vsftpd.upload))
    gw = start_gw(xfer_config(lab, certs, vsftpd, path))
    r = ftp_script(lab, certs, vsftpd, """
f.connect(host, 21); f.login(user, pw); f.prot_p()
data = []
f.retrbinary('RETR f16385', data.append)
out('GOT', sum(map(len, data)))
f.cwd('upload')
f.voidcmd('TYPE I')
conn, _ = f.ntransfercmd('STOU')
conn.sendall(b's' * 777)
conn.unwrap(); conn.close()
out('STOU', f.voidresp())
f.quit()
""")
    assert "GOT 16385" in r.stdout, r.stdout + r.stderr + gw.log_text()
    made = set(os.listdir(vsftpd.upload)) - before
    for n in made:
        os.unlink(os.path.join(vsftpd.upload, n))
    assert len(made) == 1, (made, r.stdout)
    stou_name = made.pop()
    lines = parse(wait_lines(path, 2, gw))
    dl, st = lines
    assert (dl.name, dl.size, dl.direction, dl.mode, dl.user, dl.status) == \
        ("f16385", 16385, "o", "a", "test@example.test", "c")
    # The name the server chose, from its "150 FILE: name".
    assert (st.name, st.size, st.direction, st.mode, st.status) == \
        (stou_name, 777, "i", "a", "c")
    theirs = server_xfer_lines(vsftpd, skip)
    assert len(theirs) == 2, theirs
    for ours, w in zip(lines, theirs):
        assert len(w) == 18, w
        # vsftpd writes STOU's directory, without the name it chose.
        if ours is not st:
            assert os.path.basename(w[8]) == ours.name, (w, ours)
        assert [int(w[7])] + w[9:] == [ours.size] + ours.f[9:], (w, ours)


# Names a client controls, sent as raw bytes (0xFF doubled: Telnet IAC),
# and the field they must give: one field, one line, nothing forged.
HOSTILE = [
    (b"a b\tc", "a_b_c"),
    (b"x\x01\x1b[31mred\x7f", "x__[31mred_"),
    (b"fake\x0bThu Mar  5 09:07:03 2026 1 198.51.100.1 0 /etc/passwd b _ o r "
     b"root ftp 0 * c",
     "fake_Thu_Mar__5_09:07:03_2026_1_198.51.100.1_0_/etc/passwd_b___o_r_"
     "root_ftp_0_*_c"),
    ("caf\u00e9-\u65e5\u672c.txt".encode(), "caf\u00e9-\u65e5\u672c.txt"),
    (b"latin1-caf\xe9-\xff\xfe", "latin1-caf?-??"),
    ("rlo-\u202etxt.exe".encode(), "rlo-___txt.exe"),
    ("sep-\u2028-\u00a0".encode(), "sep-___-__"),
    (b"L" * 3000, "L" * 1024 + "..."),
]


def test_hostile_names(lab, certs, proftpd, start_gw):
    """Names with spaces, controls, an attempt at a second line, UTF-8,
    Latin-1, bidi overrides, Unicode separators and 3000 bytes: each RETR
    (refused by the server) gives exactly one line with the name made safe.
    A bare CR or LF cannot get into a name: CR is refused by ftpsgw and LF
    ends the command, so 'RETR a<CRLF>fake line' is two commands."""
    d = log_dir(lab, "xfer-hostile")
    path = os.path.join(d, "xferlog")
    gw = start_gw(xfer_config(lab, certs, proftpd, path))
    names = [n.hex() for n, _ in HOSTILE]
    r = ftp_script(lab, certs, proftpd, """
f.encoding = 'latin-1'      # replies may echo a name that is not UTF-8
f.connect(host, 21); f.login(user, pw); f.prot_p()
def raw(line):
    f.sock.sendall(line.replace(b'\\xff', b'\\xff\\xff') + b'\\r\\n')
    try:
        return f.getresp()
    except Exception as e:
        return str(e)
for h in sys.argv[5:]:
    out(cmd('EPSV')[:3], raw(b'RETR ' + bytes.fromhex(h))[:3])
out('INJ', cmd('EPSV')[:3], raw(b'RETR inj\\r\\nfake line'))
try:
    out('NEXT', f.getresp()[:3])
except Exception as e:
    out('NEXT', str(e)[:3])
f.quit()
""", extra=names)
    # The server refuses each (no such file, or a name it cannot take).
    assert len(re.findall(r"^229 5\d\d$", r.stdout, re.M)) == len(HOSTILE), \
        r.stdout + r.stderr
    assert "INJ 229 550" in r.stdout, r.stdout
    assert re.search(r"^NEXT 5\d\d", r.stdout, re.M), r.stdout
    lines = parse(wait_lines(path, len(HOSTILE) + 1, gw))
    assert len(lines) == len(HOSTILE) + 1, lines
    for (sent, want), ln in zip(HOSTILE + [(b"inj", "inj")], lines):
        assert ln.name == want, (sent, ln)
        assert (ln.size, ln.status, ln.user) == (0, "i", "ftpuser")


# ---- incomplete transfers ---------------------------------------------------

def test_incomplete(lab, certs, proftpd, start_gw):
    """i for a transfer aborted with ABOR, for one whose data connection is
    refused (no TLS session reuse: 425 after data_timeout), and for one
    whose client vanishes mid-transfer (logged when the session ends); the
    size is what was carried before."""
    d = log_dir(lab, "xfer-incomplete")
    path = os.path.join(d, "xferlog")
    gw = start_gw(xfer_config(lab, certs, proftpd, path))
    r = ftp_script(lab, certs, proftpd, """
f.connect(host, 21); f.login(user, pw); f.prot_p()
conn = f.transfercmd('RETR f100M')
got = 0
while got < (1 << 20):
    got += len(conn.recv(65536))
out('ABOR', f.abort()[:3])
conn.close()
f.quit()
""")
    assert "ABOR" in r.stdout, r.stdout + r.stderr
    ab, = parse(wait_lines(path, 1, gw))
    assert (ab.name, ab.status, ab.direction) == ("f100M", "i", "o")
    assert (1 << 20) <= ab.size < 100 << 20, ab

    r = lab.ftpclient(lab.ns_client, [
        "--host", GW4, "--user", proftpd.user, "--password", proftpd.password,
        "--cafile", certs.ca_cert, "--timeout", "15", "--no-reuse",
        "get", "f1M", lab.path("xfer-noreuse")], timeout=60)
    assert r.returncode != 0, r.stdout
    lines = parse(wait_lines(path, 2, gw))
    nr = lines[1]
    assert (nr.name, nr.size, nr.status) == ("f1M", 0, "i"), nr

    # The client goes away mid-transfer: no final reply is relayed; the
    # line is written when the session ends.
    r = ftp_script(lab, certs, proftpd, """
import os
f.connect(host, 21); f.login(user, pw); f.prot_p()
conn = f.transfercmd('RETR f100M')
got = 0
while got < (2 << 20):
    got += len(conn.recv(65536))
out('GONE', got)
os._exit(0)
""")
    assert "GONE" in r.stdout, r.stdout + r.stderr
    gone = parse(wait_lines(path, 3, gw))[2]
    assert (gone.name, gone.status) == ("f100M", "i"), gone
    assert (2 << 20) <= gone.size < 100 << 20, gone


# ---- reopening: SIGHUP, chroot, logrotate -----------------------------------

GET_ONE = """
f.connect(host, 21); f.login(user, pw); f.prot_p()
data = []
f.retrbinary('RETR ' + sys.argv[5], data.append)
out('GOT', sum(map(len, data)))
f.quit()
"""


def get_one(lab, certs, server, name, gw):
    r = ftp_script(lab, certs, server, GET_ONE, extra=[name])
    assert "GOT" in r.stdout, r.stdout + r.stderr + gw.log_text()[-3000:]


def wait_log(gw, text, timeout=WAIT):
    deadline = time.monotonic() + timeout
    while text not in gw.log_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert text in gw.log_text(), gw.log_text()[-3000:]


def test_sighup_reopens(lab, certs, proftpd, start_gw):
    """Move the log away, SIGHUP: the next line goes to a new file at the
    path, none to the moved one."""
    d = log_dir(lab, "xfer-hup")
    path = os.path.join(d, "xferlog")
    gw = start_gw(xfer_config(lab, certs, proftpd, path))
    get_one(lab, certs, proftpd, "f1", gw)
    wait_lines(path, 1, gw)
    os.rename(path, path + ".1")
    gw.signal(signal.SIGHUP)
    wait_log(gw, f"SIGHUP: transfer_log {path} reopened")
    get_one(lab, certs, proftpd, "f16383", gw)
    new, = parse(wait_lines(path, 1, gw))
    assert new.name == "f16383"
    old = parse(read_lines(path + ".1"))
    assert [ln.name for ln in old] == ["f1"]
    # Not writable by others, nor readable beyond the group.
    assert stat_mode(path) & 0o137 == 0, oct(stat_mode(path))


def stat_mode(p):
    return os.stat(p).st_mode & 0o777


def test_chroot_reopen(lab, certs, proftpd, start_gw):
    """user = nobody and chroot: a log inside the chroot is reopened there
    after SIGHUP (by the unprivileged account); one outside it is warned
    about at start, and after SIGHUP its lines still go to the file the
    gateway has open, with an error saying why and what to change."""
    jail = lab.path("xfer-jail")
    logd = os.path.join(jail, "log")
    os.makedirs(logd, exist_ok=True)
    nobody = pwd.getpwnam("nobody")
    os.chown(logd, nobody.pw_uid, nobody.pw_gid)
    path = os.path.join(logd, "xferlog")
    gw = start_gw(xfer_config(lab, certs, proftpd, path, user="nobody",
                              chroot=jail))
    get_one(lab, certs, proftpd, "f1", gw)
    wait_lines(path, 1, gw)
    os.rename(path, path + ".1")
    gw.signal(signal.SIGHUP)
    wait_log(gw, f"SIGHUP: transfer_log {path} reopened")
    get_one(lab, certs, proftpd, "f16383", gw)
    new, = parse(wait_lines(path, 1, gw))
    assert new.name == "f16383"
    assert os.stat(path).st_uid == nobody.pw_uid
    gw.stop()

    outside = os.path.join(log_dir(lab, "xfer-outside"), "xferlog")
    gw = start_gw(xfer_config(lab, certs, proftpd, outside, user="nobody",
                              chroot=jail))
    assert f"transfer_log = {outside} is outside chroot = {jail}" in \
        gw.log_text()
    os.rename(outside, outside + ".1")
    gw.signal(signal.SIGHUP)
    wait_log(gw, "where ftpsgw cannot open it again")
    get_one(lab, certs, proftpd, "f16385", gw)
    moved = parse(wait_lines(outside + ".1", 1, gw))
    assert [ln.name for ln in moved] == ["f16385"]
    assert not os.path.exists(outside)


def test_check_and_open_errors(lab, certs, proftpd):
    """ftpsgw -t checks the path; a start that cannot open it stops with
    the reason and what to do."""
    d = log_dir(lab, "xfer-errors")
    link = os.path.join(d, "link")
    os.symlink(os.path.join(d, "target"), link)
    cases = [
        (os.path.join(d, "missing", "xferlog"), "the directory "
         f"{d}/missing does not exist"),
        (link, "a symbolic link: name the file itself"),
        (d, "not a regular file"),
    ]
    for path, words in cases:
        cfg = xfer_config(lab, certs, proftpd, path)
        r = lab.check_gateway_config(cfg)
        assert r.returncode == 1, r.stdout + r.stderr
        assert f"transfer_log = {path}" in r.stderr and words in r.stderr, \
            r.stderr
        with pytest.raises(L.LabError) as e:
            lab.start_gateway(cfg, name="xfer-err", timeout=3)
        assert f"transfer_log = {path}" in str(e.value), str(e.value)
    r = lab.check_gateway_config(xfer_config(
        lab, certs, proftpd, os.path.join(d, "fine")))
    assert r.returncode == 0, r.stdout + r.stderr
    assert not os.path.exists(os.path.join(d, "fine"))   # -t creates nothing


LOGROTATE = shutil.which("logrotate") or (
    "/usr/sbin/logrotate" if os.access("/usr/sbin/logrotate", os.X_OK)
    else None)
SNIPPET = os.path.join(REPO, "etc", "logrotate.d", "ftpsgw")


@pytest.mark.skipif(LOGROTATE is None, reason="logrotate is not installed "
                    "(scripts/deps.sh installs it)")
def test_logrotate(lab, certs, proftpd, start_gw):
    """Debian's logrotate reads the shipped snippet (-d), and rotates a log
    for real with it (paths and the reload pointed at this lab's gateway):
    old lines in xferlog.1, new ones in a new xferlog."""
    d = log_dir(lab, "xfer-logrotate")
    state = os.path.join(d, "state")
    with open(SNIPPET) as f:
        text = f.read()
    try:
        pwd.getpwnam("ftpsgw")
        dry = text
    except KeyError:        # no such account here: the dry run needs one
        dry = re.sub(r"(?m)^(\s*create\s+\S+)\s+ftpsgw\b", r"\1 root", text)
    conf = os.path.join(d, "dry.conf")
    with open(conf, "w") as f:
        f.write(dry)
    r = subprocess.run([LOGROTATE, "-d", "-s", state, conf],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "error" not in (r.stdout + r.stderr), \
        r.stdout + r.stderr

    path = os.path.join(d, "xferlog")
    gw = start_gw(xfer_config(lab, certs, proftpd, path))
    real = text.replace("/var/log/ftpsgw/xferlog", path)
    real = re.sub(r"(?m)^(\s*create\s+\S+)\s+\S+\s+\S+", r"\1 root root",
                  real)
    real = re.sub(r"systemctl reload ftpsgw[^\n]*",
                  f"kill -HUP {gw.pid}", real)
    assert f"kill -HUP {gw.pid}" in real and path in real, real
    conf = os.path.join(d, "real.conf")
    with open(conf, "w") as f:
        f.write(real)
    get_one(lab, certs, proftpd, "f1", gw)
    wait_lines(path, 1, gw)
    r = subprocess.run([LOGROTATE, "-f", "-s", state, conf],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    wait_log(gw, "reopened")
    get_one(lab, certs, proftpd, "f16383", gw)
    assert [ln.name for ln in parse(wait_lines(path, 1, gw))] == ["f16383"]
    assert [ln.name for ln in parse(read_lines(path + ".1"))] == ["f1"]


# ---- log = syslog -------------------------------------------------------------

# Runs ftpsgw in a private mount namespace where /dev is a tmpfs holding
# only null, zero, random and urandom (bound from the real /dev) and, at
# /dev/log, the test's own datagram socket: the machine's /dev is never
# touched. "$0" is the real binary.
WRAPPER = """#!/bin/sh
set -e
exec unshare -m --propagation private /bin/sh -ec '
old=$1; sock=$2; shift 2
mount --bind /dev "$old"
mount -t tmpfs -o mode=755,size=64k tmpfs /dev
for n in null zero random urandom; do
  : > /dev/$n; mount --bind "$old/$n" /dev/$n
done
if [ -n "$sock" ]; then : > /dev/log; mount --bind "$sock" /dev/log; fi
umount -l "$old"
exec "$@"' sh "{old}" "{sock}" "{binary}" "$@"
"""


def syslog_wrapper(lab, name, sock):
    old = lab.path(f"{name}-olddev")
    os.makedirs(old, exist_ok=True)
    w = lab.path(f"{name}.sh")
    with open(w, "w") as f:
        f.write(WRAPPER.format(old=old, sock=sock, binary=L.GATEWAY_BIN))
    os.chmod(w, 0o755)
    return w


def recv_all(s, until, timeout=WAIT):
    """Datagrams until one contains until (bounded)."""
    got = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        s.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            got.append(s.recv(65536).decode("utf-8", "replace"))
        except socket.timeout:
            break
        if until in got[-1]:
            break
    return got


SYSLOG_LINE = re.compile(
    r"^<(\d+)>[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d ftpsgw\[(\d+)\]: (.*)$",
    re.S)


def test_syslog(lab, certs, proftpd, start_gw):
    """log = syslog: datagrams to /dev/log with <priority> (facility daemon,
    the level's severity), "ftpsgw[PID]:" and the message; nothing of it on
    stderr. Without anything at /dev/log, stderr says so at start. (A
    sanitizer report would still go to stderr: start_gw checks it.)"""
    sockpath = lab.path("devlog.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(sockpath)
    try:
        wrapper = syslog_wrapper(lab, "syslog", sockpath)
        cfg = gw_config(certs, proftpd, log="syslog", log_level="info")
        gw = start_gw(cfg, binary=wrapper)
        try:
            got = recv_all(s, "started")
            get_one(lab, certs, proftpd, "f1", gw)
            got += recv_all(s, "session closed")
            # An error: SIGHUP with the certificate gone.
            moved = certs.gw_cert + ".away"
            os.rename(certs.gw_cert, moved)
            try:
                gw.signal(signal.SIGHUP)
                got += recv_all(s, "certificates not reloaded")
            finally:
                os.rename(moved, certs.gw_cert)
            stderr = gw.log_text()
        finally:
            gw.stop()
    finally:
        s.close()
    msgs = []
    for g in got:
        m = SYSLOG_LINE.match(g)
        assert m, g
        assert int(m.group(2)) == gw.pid, g
        msgs.append((int(m.group(1)), m.group(3)))
    daemon = 3 << 3

    def prio(words):
        hits = [p for p, text in msgs if words in text]
        assert hits, (words, msgs)
        return hits[0]
    assert prio("ftpsgw 0.1.0 started") == daemon + 5        # notice
    assert prio("running as uid") == daemon + 6              # info
    assert prio("session opened on") == daemon + 5
    assert prio("SIGHUP: certificates not reloaded") == daemon + 3  # err
    assert "started" not in stderr and "session" not in stderr, stderr

    # Nothing listens at /dev/log: said on stderr, and the gateway runs.
    wrapper = syslog_wrapper(lab, "nosyslog", "")
    gw = start_gw(cfg, binary=wrapper)
    try:
        assert "log = syslog, but nothing listens on /dev/log" in \
            gw.log_text()
        get_one(lab, certs, proftpd, "f1", gw)
    finally:
        gw.stop()
