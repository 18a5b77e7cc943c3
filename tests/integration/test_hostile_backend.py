"""Faults and bad input (hardening issue, parts 4 and 5): a scripted hostile
FTP server (fakeftp.py, on 198.51.100.14 in the server namespace) and
hostile clients. Each test checks what the client sees (reply code and
text), what ftpsgw logs, and that the gateway survives: the process is
alive, a new session still gets a 220 (ftpsgw's banner, sent once the
server's 220 came), and no "[error]" line unrelated to the scenario is
logged."""

import contextlib
import os
import random
import subprocess
import threading
import time
import types

import pytest

import lab as L
from fakeftp import BAD_227, BAD_229, FOREIGN, HUGE_LINES
from test_gateway import GW4, SCRIPT_HEAD, ftp_script, gw_config

HOSTILE = "198.51.100.14"
FAKEFTP = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                       "fakeftp.py")
# What gw_config and ftp_script need to know about the fake server.
FAKE = types.SimpleNamespace(hostport=f"{HOSTILE}:21", user="hostile",
                             password="hostile-pw")
FAKE_LIFETIME = 45          # fakeftp exits by itself after this (s)
RSS_LIMIT_KB = 64 * 1024    # generous: the flood is about 100 MB


# ---- helpers ----------------------------------------------------------------

class Lines:
    """The stdout of a process, read by a thread, one line at a time."""

    def __init__(self, stream):
        self.lines = []
        self.cond = threading.Condition()
        self.thread = threading.Thread(target=self._read, args=(stream,),
                                       daemon=True)
        self.thread.start()

    def _read(self, stream):
        for raw in stream:
            with self.cond:
                self.lines.append(raw.decode(errors="replace").rstrip("\n"))
                self.cond.notify_all()

    def saw(self, text):
        with self.cond:
            return any(text in ln for ln in self.lines)

    def wait(self, text, timeout=10.0):
        """The first line holding text; fails after timeout seconds."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for ln in self.lines:
                    if text in ln:
                        return ln
                left = deadline - time.monotonic()
                assert left > 0, (f"never saw {text!r}; last lines:\n" +
                                  "\n".join(self.lines[-30:]))
                self.cond.wait(left)

    def text(self):
        with self.cond:
            return "\n".join(self.lines)


@contextlib.contextmanager
def hostile(lab, certs, scenario, address=HOSTILE, extra=()):
    """fakeftp.py SCENARIO (and its options extra) on address:21, HOSTILE
    unless said (the address is added to the server's eth0 for the test
    and removed after it). Yields its Lines."""
    lab.run(lab.ns_server, ["ip", "addr", "add", f"{address}/24", "dev",
                            "eth0"])
    proc = None
    try:
        with open(lab.path(f"fakeftp-{scenario}.err"), "wb") as err:
            proc = lab.popen(lab.ns_server, [
                L.PYTHON, FAKEFTP, scenario, "--cert", certs.be_cert,
                "--key", certs.be_key, "--addr", address,
                "--lifetime", str(FAKE_LIFETIME), *extra],
                stdout=subprocess.PIPE, stderr=err)
        events = Lines(proc.stdout)
        events.wait("up")
        yield events
    finally:
        if proc is not None:
            lab.stop_process(proc)
        lab.run(lab.ns_server, ["ip", "addr", "del", f"{address}/24", "dev",
                                "eth0"], check=False)


class Client:
    """SCRIPT_HEAD + body against the fake server as a running process with
    a stdin pipe (for tests that act while it runs); its stdout lines are
    in .out, its stderr in a file shown when a wait fails."""

    def __init__(self, lab, certs, body):
        self.err_path = lab.path(f"client-{time.monotonic_ns()}.err")
        with open(self.err_path, "wb") as err:
            self.proc = lab.popen(lab.ns_client, [
                L.PYTHON, "-c", SCRIPT_HEAD + body, GW4, certs.ca_cert,
                FAKE.user, FAKE.password], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=err)
        self.out = Lines(self.proc.stdout)

    def stderr(self):
        with open(self.err_path, errors="replace") as f:
            return f.read()

    def wait(self, text, timeout=10.0):
        try:
            return self.out.wait(text, timeout)
        except AssertionError as e:
            raise AssertionError(f"{e}\nclient stderr:\n{self.stderr()}") \
                from None

    def send(self, data):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()


def script(lab, certs, body, timeout=60):
    """SCRIPT_HEAD + body against the fake server; returns {key: value} of
    the lines it printed ("KEY value"), and the CompletedProcess."""
    r = ftp_script(lab, certs, FAKE, body, timeout=timeout)
    print(r.stdout, r.stderr)      # shown with -rA or on failure
    got = {}
    for ln in r.stdout.splitlines():
        k, _, v = ln.partition(" ")
        got.setdefault(k, v)
    return got, r


GREETING = """
import socket, sys
s = socket.create_connection((sys.argv[1], 21), timeout=10)
print(s.makefile('rb').readline().decode().strip(), flush=True)
s.sendall(b'QUIT\\r\\n')
"""


def greeting(lab):
    """The first line a new session to the gateway's port 21 gets."""
    r = lab.run(lab.ns_client, [L.PYTHON, "-c", GREETING, GW4], check=False,
                timeout=30)
    return r.stdout.strip() + r.stderr.strip()[-300:]


def error_lines(gw):
    return [ln for ln in gw.log_text().splitlines() if "ftpsgw[error]" in ln]


def assert_survived(lab, gw, banner="220 ftpsgw ready.", allowed=()):
    """The gateway runs, a new session gets its 220 (which waits for the
    server's), and every error it logged holds one of the allowed texts."""
    assert gw.alive(), gw.log_text()[-3000:]
    line = greeting(lab)
    assert line.startswith(banner), line
    unexpected = [ln for ln in error_lines(gw)
                  if not any(a in ln for a in allowed)]
    assert not unexpected, "\n".join(unexpected)


def wait_log(gw, text, timeout=10.0):
    deadline = time.monotonic() + timeout
    while text not in gw.log_text():
        assert time.monotonic() < deadline, (text, gw.log_text()[-3000:])
        time.sleep(0.05)


def vm_rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def expectations_of_client(lab):
    """The router's conntrack expectations for the lab's client."""
    return [ln for ln in lab.conntrack_expect().splitlines()
            if f"src={L.Lab.CLIENT4}" in ln]


def wait_no_expectation(lab, timeout=3.0):
    deadline = time.monotonic() + timeout
    while True:
        left = expectations_of_client(lab)
        if not left:
            return
        assert time.monotonic() < deadline, left
        time.sleep(0.1)


# ask(line): the reply to one command, or the error's text; never raises.
LOGIN = """
def ask(line):
    try:
        return f.sendcmd(line)
    except ftplib.all_errors as e:
        return str(e)
f.connect(host, 21); f.login(user, pw); f.prot_p()
"""


# ---- a. huge replies --------------------------------------------------------

HUGE = LOGIN + """
f.putcmd('HELP')
out('SENT')
sys.stdin.readline()            # meanwhile the gateway faces the flood alone
out('FIRST', f.getline())
n = 0
while True:
    line = f.getline()
    if not line.startswith(' line '):
        break
    if n % 1000 == 0 and not line.startswith(f' line {n:07d} '):
        out('DISORDER', n, line[:20])
        break
    n += 1
out('INNER', n)
out('LAST', line)
out('NOOP', ask('NOOP'))
f.quit()
"""


def test_huge_multiline_reply_is_streamed(lab, certs, start_gw):
    """A 214 reply of a million lines (about 100 MB), sent while the client
    does not read: ftpsgw passes the pressure back to the server instead of
    buffering, its RSS stays small, and the client gets the whole reply in
    order; the session goes on."""
    with hostile(lab, certs, "huge_multiline") as fake:
        # info: a debug log would hold a line per relayed reply line.
        gw = start_gw(gw_config(certs, FAKE, log_level="info"))
        c = Client(lab, certs, HUGE)
        p = c.proc
        try:
            c.wait("SENT")
            fake.wait("huge: sent 0 lines")
            time.sleep(1.5)
            peak = stalled = vm_rss_kb(gw.pid)
            # Backpressure: with the client not reading, the server is
            # blocked long before it wrote the 100 MB.
            assert not fake.saw("huge: all sent"), fake.text()[-500:]
            c.send(b"\n")
            deadline = time.monotonic() + 45
            while p.poll() is None:
                assert time.monotonic() < deadline, c.out.text()[-500:]
                peak = max(peak, vm_rss_kb(gw.pid))
                time.sleep(0.05)
            c.out.thread.join(5)
        finally:
            lab.stop_process(p)
        text = c.out.text() + c.stderr()
        assert "FIRST 214-1000000 lines follow" in text, text
        assert f"INNER {HUGE_LINES}" in text, text
        assert "LAST 214 End of help." in text, text
        assert "NOOP 200 NOOP ok." in text, text
        fake.wait("huge: all sent")
        print(f"gateway VmRSS: {stalled} kB while stalled, peak {peak} kB")
        assert peak < RSS_LIMIT_KB, (stalled, peak)
        assert_survived(lab, gw)


# Waits for a reply with select (a timeout inside ftplib's file object
# would make it unusable for the NOOP after).
OVERLONG = LOGIN + """
import select, time
def reply_within(secs):
    if f.sock.pending() or select.select([f.sock], [], [], secs)[0]:
        try:
            return f.getresp()
        except ftplib.all_errors as e:
            return str(e) or 'EOF'
    return 'nothing'
t0 = time.monotonic()
f.putcmd('HELP')
out('HELP', reply_within(3)[:60])
out('SECS', round(time.monotonic() - t0, 1))
f.putcmd('NOOP')
out('NOOP', reply_within(3)[:60])
"""


@pytest.mark.parametrize("scenario", ["long_line", "endless_line",
                                      "nul_line"])
def test_unframable_reply_line_gets_an_answer(lab, certs, start_gw,
                                              scenario):
    """A final reply line of 100 kB (with or without its line end), or one
    holding a NUL byte: never buffered (limits.h: FTP_LINE_MAX), logged,
    and the client's HELP gets a 421 at once: the reply stream cannot be
    trusted after it (an endless line has no end to resynchronise on)."""
    with hostile(lab, certs, scenario) as fake:
        gw = start_gw(gw_config(certs, FAKE))
        got, r = script(lab, certs, OVERLONG)
        fake.wait("cmd HELP")   # ftpsgw hangs up before the line is all sent
        assert got["HELP"].startswith("421 Service not available: the FTP "
                                      "server sent a reply line"), \
            r.stdout + r.stderr
        assert float(got["SECS"]) < 3, r.stdout
        log = gw.log_text().lower()
        assert "ftp server sent" in log and ("over-long" in log or
                                             "nul" in log), log[-2000:]
        assert vm_rss_kb(gw.pid) < RSS_LIMIT_KB
        assert_survived(lab, gw)


# ---- b. malformed passive replies -------------------------------------------

BAD_PASSIVE = LOGIN + """
for i in range(int(sys.argv[6])):
    out('R' + str(i), ask(sys.argv[5]))
out('NOOP', ask('NOOP'))
f.quit()
"""


@pytest.mark.parametrize("scenario,verb,replies", [
    ("bad_227", "PASV", BAD_227), ("bad_229", "EPSV", BAD_229)])
def test_malformed_passive_replies(lab, certs, start_gw, scenario, verb,
                                   replies):
    """Every malformed 227/229 (bad numbers, out-of-range ports, missing
    parentheses, signs, wrong delimiters) gives the client a 425 at once,
    is logged, and the session stays usable."""
    with hostile(lab, certs, scenario):
        gw = start_gw(gw_config(certs, FAKE))
        r = lab.run(lab.ns_client, [
            L.PYTHON, "-c", SCRIPT_HEAD + BAD_PASSIVE, GW4, certs.ca_cert,
            FAKE.user, FAKE.password, verb, str(len(replies))],
            check=False, timeout=60)
        lines = r.stdout.splitlines()
        assert r.returncode == 0, r.stdout + r.stderr
        for i, bad in enumerate(replies):
            assert lines[i] == ("R" + str(i) + " 425 The FTP server sent a "
                                "malformed passive reply."), (bad, lines[i])
        assert lines[len(replies)] == "NOOP 200 NOOP ok.", r.stdout
        log = gw.log_text()
        for bad in replies:
            assert ("malformed passive reply from the FTP server: " +
                    bad[:60]) in log, bad
        assert not expectations_of_client(lab)
        assert_survived(lab, gw)


# ---- c. a 227 naming a foreign address --------------------------------------

FOREIGN_BODY = LOGIN + """
for i in range(2):
    r = f.sendcmd('PASV')
    out('PASV' + str(i), r)
    h, port = ftplib.parse227(r)
    raw = socket.create_connection((h, port), timeout=10)
    f.putcmd('LIST')
    out('START' + str(i), f.getresp())
    d = f.context.wrap_socket(raw, server_hostname=f.host,
                              session=f.sock.session)
    data = b''
    while True:
        chunk = d.recv(65536)
        if not chunk:
            break
        data += chunk
    d.unwrap(); d.close()
    out('DATA' + str(i), data.decode().split()[-1])
    out('END' + str(i), f.voidresp())
f.quit()
"""


def test_227_with_a_foreign_address(lab, certs, start_gw):
    """The server's 227 names 192.0.2.1, then 127.0.0.1, with the port it
    really listens on at its own address: ftpsgw connects to the server's
    own address (the server sees the data connections there) and the
    listings arrive."""
    with hostile(lab, certs, "foreign_227") as fake:
        gw = start_gw(gw_config(certs, FAKE))
        got, r = script(lab, certs, FOREIGN_BODY)
        assert r.returncode == 0, r.stdout + r.stderr + gw.log_text()[-3000:]
        for i in range(2):
            assert got["PASV" + str(i)].startswith(
                "227 Entering Passive Mode (203,0,113,1,"), got
            assert got["START" + str(i)].startswith("150"), got
            assert got["DATA" + str(i)] == "another", got
            assert got["END" + str(i)] == "226 Transfer complete.", got
        events = fake.text()
        assert events.count(f"data from {L.Lab.ROUTER_LAN4} to port") == 2, \
            events
        assert events.count("data TLS session_reused=True") == 2, events
        log = gw.log_text()
        for foreign in FOREIGN:
            assert "sent 227 Entering Passive Mode (" + \
                foreign.replace(".", ",") in events, events
            assert f"{foreign}:" not in log, foreign  # never a target
        assert "cannot connect" not in log
        assert_survived(lab, gw)


# ---- d. the server dies -----------------------------------------------------

DIE_BODY = LOGIN + """
import time
t0 = time.monotonic()
out('NOOP', ask('NOOP'))
try:
    out('AFTER', f.getline() or 'EOF')
except EOFError:
    out('AFTER', 'EOF')
except OSError as e:
    out('AFTER', 'ERR', e)
out('SECS', round(time.monotonic() - t0, 1))
"""


@pytest.mark.parametrize("scenario", ["die_control", "reset_control"])
def test_server_dies_mid_session(lab, certs, start_gw, scenario):
    """The server closes its control connection (FIN without close_notify,
    or a reset) while a NOOP is pending: 421 to the client, then the
    session ends."""
    with hostile(lab, certs, scenario) as fake:
        gw = start_gw(gw_config(certs, FAKE))
        got, r = script(lab, certs, DIE_BODY)
        fake.wait("dying on NOOP")
        assert got["NOOP"] == ("421 Service not available: the FTP server "
                               "closed the connection."), r.stdout + r.stderr
        assert got["AFTER"] in ("EOF", "ERR [Errno 104] Connection reset by "
                                "peer"), r.stdout
        assert float(got["SECS"]) < 5, r.stdout
        log = gw.log_text()
        assert "the FTP server closed the control connection" in log
        wait_log(gw, "session closed (")
        assert_survived(lab, gw)


DIE_RETR_BODY = LOGIN + """
f.voidcmd('TYPE I')
h, port = ftplib.parse227(f.sendcmd('PASV'))
raw = socket.create_connection((h, port), timeout=10)
f.putcmd('RETR big')
out('START', f.getresp())
conn = f.context.wrap_socket(raw, server_hostname=f.host,
                             session=f.sock.session)
n = 0
try:
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            out('DATAEND', 'EOF')
            break
        n += len(chunk)
except (OSError, ssl.SSLError) as e:
    out('DATAEND', type(e).__name__)
out('BYTES', n)
try:
    out('FINAL', f.getresp())
except ftplib.all_errors as e:
    out('FINAL', e)
try:
    out('AFTER', f.getline() or 'EOF')
except EOFError:
    out('AFTER', 'EOF')
except OSError as e:
    out('AFTER', 'ERR', e)
"""


def test_server_dies_mid_transfer(lab, certs, start_gw):
    """During a RETR the server closes data and control without a word:
    the client gets a 426 or 421, the session ends, and no conntrack
    expectation is left for it."""
    with hostile(lab, certs, "die_in_retr") as fake:
        gw = start_gw(gw_config(certs, FAKE))
        got, r = script(lab, certs, DIE_RETR_BODY)
        fake.wait("dying after")
        assert got["FINAL"][:3] in ("426", "421"), r.stdout + r.stderr + \
            gw.log_text()[-3000:]
        assert got["AFTER"] in ("EOF", "ERR [Errno 104] Connection reset by "
                                "peer") or got["AFTER"].startswith("421"), \
            r.stdout
        assert 0 < int(got["BYTES"]) <= 4 << 20, r.stdout
        wait_log(gw, "session closed (")
        time.sleep(1)
        assert not expectations_of_client(lab)
        log = gw.log_text()
        assert "the FTP server closed the control connection" in log
        assert_survived(lab, gw)


# ---- e. the client dies -----------------------------------------------------

def test_client_killed_mid_download(lab, certs, proftpd, start_gw):
    """curl is killed (SIGKILL) during a 100 MiB download from ProFTPD:
    ftpsgw closes the session, its descriptors come back to the idle
    count, and no expectation is left."""
    gw = start_gw(gw_config(certs, proftpd))
    baseline = fd_count(gw.pid)
    dl = lab.popen(lab.ns_client, [
        "curl", "-sS", "--ssl-reqd", "--cacert", certs.ca_cert, "-u",
        f"{proftpd.user}:{proftpd.password}", "--max-time", "60",
        "--limit-rate", "20M", f"ftp://{GW4}/f100M", "-o", "/dev/null"])
    try:
        wait_log(gw, "data connection from")
        time.sleep(0.5)
        busy = fd_count(gw.pid)
        dl.kill()               # SIGKILL: ip netns exec became curl
        dl.wait(timeout=10)
    finally:
        lab.stop_process(dl)
    assert busy >= baseline + 4, (baseline, busy)   # 2 control + 2 data
    wait_log(gw, "session closed (")
    deadline = time.monotonic() + 5
    while fd_count(gw.pid) != baseline:
        assert time.monotonic() < deadline, (baseline, fd_count(gw.pid),
                                             gw.log_text()[-3000:])
        time.sleep(0.1)
    print(f"gateway fds: {baseline} idle, {busy} during the download, "
          f"{fd_count(gw.pid)} after")
    wait_no_expectation(lab)
    log = gw.log_text()
    assert "transfers" in log.split("session closed (")[1].split("\n")[0]
    assert_survived(lab, gw, banner="220")


# ---- f. garbage under TLS from the server -----------------------------------

GARBAGE_BODY = LOGIN + """
out('NOOP', ask('NOOP'))
f.sock.settimeout(5)
try:
    out('NEXT', f.getline() or 'EOF')
except EOFError:
    out('NEXT', 'EOF')
except OSError as e:
    out('NEXT', 'ERR', e)
try:
    out('AFTER', f.getline() or 'EOF')
except EOFError:
    out('AFTER', 'EOF')
except OSError as e:
    out('AFTER', 'ERR', e)
"""


@pytest.mark.parametrize("scenario,what", [("tls_garbage", "garbage"),
                                           ("tls_alert", "alert")])
def test_garbage_under_tls_from_the_server(lab, certs, start_gw, scenario,
                                           what):
    """After a 200, the server writes raw bytes (garbage, or a clear-text
    fatal alert record) onto its TCP connection under TLS and keeps it
    open: the client gets a 421, the session ends, and ftpsgw closes its
    connection to the server."""
    with hostile(lab, certs, scenario) as fake:
        gw = start_gw(gw_config(certs, FAKE))
        got, r = script(lab, certs, GARBAGE_BODY)
        assert got["NOOP"] == f"200 {what} follows.", r.stdout + r.stderr
        assert got["NEXT"] == ("421 Service not available: the FTP server "
                               "closed the connection."), r.stdout
        assert got["AFTER"] == "EOF", r.stdout
        closed = fake.wait(f"{what}: peer")
        assert closed.startswith(f"{what}: peer closed"), closed
        assert float(closed.split()[-1]) < 3, closed
        log = gw.log_text()
        assert "the FTP server closed the control connection: " in log
        wait_log(gw, "session closed (")
        assert_survived(lab, gw)


# ---- g. renegotiation -------------------------------------------------------

RENEG_BODY = LOGIN + """
out('NOOP', ask('NOOP'))
f.sock.settimeout(5)
try:
    out('NEXT', f.getline() or 'EOF')
except EOFError:
    out('NEXT', 'EOF')
except OSError as e:
    out('NEXT', 'ERR', e)
"""


def test_server_renegotiation_is_refused(lab, certs, start_gw):
    """The server sends a TLS 1.2 HelloRequest: ftpsgw
    (SSL_OP_NO_RENEGOTIATION) refuses it with a no_renegotiation alert,
    which OpenSSL on the server's side turns into a fatal error; the
    client had its 200, then gets a 421."""
    with hostile(lab, certs, "renegotiate") as fake:
        gw = start_gw(gw_config(certs, FAKE))
        got, r = script(lab, certs, RENEG_BODY)
        fake.wait("renegotiation")
        if fake.saw("renegotiation impossible"):
            pytest.skip("Python's ssl cannot start a renegotiation here: "
                        + fake.wait("renegotiation impossible"))
        fake.wait("renegotiation requested, pending 1")
        fake.wait("renegotiation refused by the peer: NO_RENEGOTIATION")
        assert not fake.saw("renegotiation not refused"), fake.text()
        assert got["NOOP"] == "200 NOOP ok.", r.stdout + r.stderr
        assert got["NEXT"] == ("421 Service not available: the FTP server "
                               "closed the connection."), r.stdout
        assert "the FTP server closed the control connection: " in \
            gw.log_text()
        wait_log(gw, "session closed (")
        assert_survived(lab, gw)


def test_client_renegotiation_is_refused(lab, certs, start_gw):
    """openssl s_client -tls1_2 on the implicit port, 'R' after the 220:
    ftpsgw refuses the renegotiation, s_client gives up with "no
    renegotiation", the session is closed and the gateway goes on."""
    with hostile(lab, certs, "normal"):
        gw = start_gw(gw_config(certs, FAKE))
        p = lab.popen(lab.ns_client, [
            "openssl", "s_client", "-connect", f"{GW4}:990", "-tls1_2",
            "-CAfile", certs.ca_cert, "-verify_return_error"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT)
        out = Lines(p.stdout)
        try:
            out.wait("220 ftpsgw ready.")
            assert "Protocol  : TLSv1.2" in out.text(), out.text()
            p.stdin.write(b"R\n")
            p.stdin.flush()
            out.wait("RENEGOTIATING")
            rc = p.wait(timeout=10)
        finally:
            lab.stop_process(p)
        out.thread.join(5)
        print(out.text()[out.text().find("Verify return code"):])
        assert rc != 0, out.text()
        assert "no renegotiation" in out.text(), out.text()
        wait_log(gw, "session closed (TLS protocol error)")
        assert gw.log_text().count("session opened") == 1
        assert_survived(lab, gw)


# ---- h. garbage on the implicit port ----------------------------------------

IMPLICIT_GARBAGE = """
import ast, socket, sys, time
s = socket.create_connection((sys.argv[1], 990), timeout=10)
s.sendall(ast.literal_eval(sys.argv[2]))
t0 = time.monotonic()
try:
    data = s.recv(4096)
except OSError as e:
    data = b''
print('closed' if data == b'' else 'data', round(time.monotonic() - t0, 2))
"""

RANDOM_BYTES = random.Random(990).randbytes(1024)


@pytest.mark.parametrize("payload", [b"USER x\r\n", RANDOM_BYTES],
                         ids=["plain-USER", "random"])
def test_garbage_on_the_implicit_port(lab, certs, start_gw, payload):
    """Plain text or random bytes where a ClientHello belongs: the
    connection is closed at once, the handshake failure is logged."""
    assert payload[0] != 0x16      # not a TLS handshake record
    with hostile(lab, certs, "normal"):
        gw = start_gw(gw_config(certs, FAKE))
        r = lab.run(lab.ns_client, [L.PYTHON, "-c", IMPLICIT_GARBAGE, GW4,
                                    repr(payload)], check=False, timeout=30)
        what, secs = r.stdout.split()
        assert what == "closed", r.stdout + r.stderr
        assert float(secs) < 2, r.stdout
        log = gw.log_text()
        assert "TLS handshake with the client failed: " in log
        assert "session closed (client TLS handshake failed)" in log
        assert_survived(lab, gw)
