"""Telnet on the control channel (security issue 12, part 4): RFC 959 makes
the control connection a Telnet stream. A client's IAC sequences and
non-UTF-8 path bytes reach the server with their meaning unchanged (0xFF as
IAC IAC), negotiation is answered by ftpsgw and never reaches the server,
the Synch before ABOR works in and outside TLS (also as TCP urgent data),
Telnet the server puts in front of a reply is removed, and whatever the
server sends, the client gets a reply or a 421, never silence."""

import ast
import os

import pytest

import lab as L
from test_gateway import GW4, SCRIPT_HEAD, gw_config
from test_hostile_backend import FAKE, assert_survived, hostile

# A control connection driven byte by byte, Telnet-agnostic: it sends
# exactly the bytes a step names and prints each reply as raw bytes (repr),
# one "R <repr>" line per step, "TIMEOUT" or "EOF" where none came.
#   argv: host cafile user password tls(1/0) steps
#   steps (a Python literal): a list of lists of byte strings; each inner
#   list is one command, its parts written separately 0.2 s apart (so they
#   arrive in separate TLS records and reads), then one reply is read. An
#   empty list reads a reply without sending.
RAW = r"""
import ast, re, socket, ssl, sys, time
host, cafile, user, pw, tls = sys.argv[1:6]
steps = ast.literal_eval(sys.argv[6])
# A final reply line, maybe behind Telnet negotiation (shown as it came).
FINAL = re.compile(rb"^(?:\xff[\xfb-\xfe][\s\S])*[1-5]\d\d(?: |\r?\n)")
sock = socket.create_connection((host, 21), timeout=5)
buf = b""

def line():
    global buf
    while b"\n" not in buf:
        d = sock.recv(4096)
        if not d:
            raise EOFError
        buf += d
    ln, _, buf = buf.partition(b"\n")
    return ln + b"\n"

def reply():
    out = b""
    while True:
        ln = line()
        out += ln
        if FINAL.match(ln):
            return out

def cmd(parts):
    for i, p in enumerate(parts):
        if i:
            time.sleep(0.2)
        sock.sendall(p)
    return reply()

try:
    reply()                                         # the greeting
    if tls == "1":
        assert cmd([b"AUTH TLS\r\n"]).startswith(b"234")
        ctx = ssl.create_default_context(cafile=cafile)
        sock = ctx.wrap_socket(sock, server_hostname=host)
    assert cmd([b"USER " + user.encode() + b"\r\n"]).startswith(b"331")
    assert cmd([b"PASS " + pw.encode() + b"\r\n"]).startswith(b"230")
    for parts in steps:
        print("R", repr(cmd(parts)), flush=True)
    print("R", repr(cmd([b"QUIT\r\n"])), flush=True)
except socket.timeout:
    print("TIMEOUT", flush=True)
except (EOFError, ConnectionError):
    print("EOF", flush=True)
"""


def raw_session(lab, certs, server, steps, tls=True, timeout=60):
    """RAW with steps; returns the list of replies (bytes), "TIMEOUT" or
    "EOF" in place of one that did not come, and the CompletedProcess."""
    r = lab.run(lab.ns_client, [L.PYTHON, "-c", RAW, GW4, certs.ca_cert,
                                server.user, server.password,
                                "1" if tls else "0", repr(steps)],
                check=False, timeout=timeout)
    print(r.stdout, r.stderr)       # shown with -rA or on failure
    got = []
    for ln in r.stdout.splitlines():
        if ln.startswith("R "):
            got.append(ast.literal_eval(ln[2:]))
        elif ln in ("TIMEOUT", "EOF"):
            got.append(ln)
    return got, r


def iac(data):
    """data as the client must send it: each 0xFF doubled (RFC 854)."""
    return data.replace(b"\xff", b"\xff\xff")


# A directory name no UTF-8 decoder accepts: 0xFF 0xFE (a Telnet DONT when
# sent unescaped), a lone continuation byte, ISO 8859-1 e-acute.
ODD = b"\xff\xfe\x80\xe9-dir"


def test_non_utf8_paths_and_telnet_with_proftpd(lab, certs, proftpd,
                                                start_gw):
    """Against ProFTPD, the reference: MKD, CWD and PWD of a name holding
    0xFF 0xFE 0x80 0xE9, sent escaped as RFC 959 wants (in one CWD the IAC
    IAC is cut across two TLS records): the directory on ProFTPD's disk has
    exactly those bytes, and ProFTPD's replies name it as it writes it. An
    unescaped 0xFF 0xFE (ISO 8859-1 "ÿþ") means to ftpsgw what it means to
    ProFTPD, a Telnet DONT, and gets ProFTPD's reply. Option requests, also
    cut across records, are refused by ftpsgw once each and never reach
    ProFTPD (which would answer a WONT with a DONT, and each repeat again).
    On main ProFTPD's answer to the forwarded negotiation came in front of
    its reply code: "not a reply", and the client waited forever."""
    gw = start_gw(gw_config(certs, proftpd))
    path = os.path.join(os.fsencode(proftpd.upload), ODD)
    if os.path.isdir(path):
        os.rmdir(path)
    try:
        got, r = raw_session(lab, certs, proftpd, [
            [b"MKD upload/" + iac(ODD) + b"\r\n"],
            [b"CWD upload/\xff", b"\xff\xfe\x80\xe9-dir\r\n"],
            [b"PWD\r\n"],
            [b"CWD \xff\xfe\x80" b"abc\r\n"],
            [b"\xff\xfb\x18NOOP\r\n"],
            [b"\xff", b"\xfd", b"\x01", b"NOOP\r\n"],
            [b"\xff\xfb\x18\xff\xfd\x01NOOP\r\n"],
            [b"\xff\xfc\x05NO", b"OP\r\n"],
            [b"\xff\xfa\x18\x00xterm\xff", b"\xf0NOOP\r\n"],
        ])
        assert len(got) == 10 and "TIMEOUT" not in got, \
            (got, gw.log_text()[-3000:])
        assert got[0].startswith(b'257 "/upload/' + ODD + b'" '), got[0]
        assert got[1].startswith(b"250 "), got[1]
        assert got[2].startswith(b'257 "/upload/' + ODD + b'" '), got[2]
        # ProFTPD too reads 0xFF 0xFE 0x80 as DONT 0x80: the path is "abc".
        assert got[3].startswith(b"550 abc: "), got[3]
        assert got[4].startswith(b"\xff\xfe\x18" b"200 "), got[4]
        assert got[5].startswith(b"\xff\xfc\x01" b"200 "), got[5]
        assert got[6].startswith(b"200 "), got[6]     # refused already
        assert got[7].startswith(b"200 "), got[7]     # WONT: nothing to say
        assert got[8].startswith(b"200 "), got[8]     # subnegotiation
        assert got[9].startswith(b"221 "), got[9]
        assert ODD in os.listdir(os.fsencode(proftpd.upload))
        # And back: RMD of the name, escaped.
        got, r = raw_session(lab, certs, proftpd, [
            [b"RMD upload/" + iac(ODD) + b"\r\n"]])
        assert got[0].startswith(b"250 "), (got, gw.log_text()[-3000:])
        assert not os.path.exists(path)
    finally:
        if os.path.isdir(path):
            os.rmdir(path)
    log = gw.log_text()
    assert "not an FTP reply" not in log and "not a reply" not in log
    assert "Telnet WILL 24 from the client: refused" in log
    assert "ftpsgw[error]" not in log


def test_telnet_from_the_server_is_removed(lab, certs, start_gw):
    """A server's Telnet at line starts (option refusals before a reply
    code, before inner lines of a multi-line reply, a subnegotiation; all
    cut across TLS records) is removed; what is inside a line comes as the
    server sent it (its IAC IAC, ProFTPD-style raw 0xFF path bytes). What
    the client meant reaches the server escaped (0xFF as IAC IAC), and the
    client's Telnet commands (IP, DM inside a line, a WILL) do not reach it
    at all. On main the first NOOP's reply was "not a reply": silence."""
    with hostile(lab, certs, "telnet") as fake:
        gw = start_gw(gw_config(certs, FAKE))
        got, r = raw_session(lab, certs, FAKE, [
            [b"NOOP\r\n"],
            [b"HELP\r\n"],
            [b"PWD\r\n"],
            [b"CWD a\xff\xffb\xe9\r\n"],
            [b"\xff\xfb\x18" b"CWD x\xff\xf4\xff", b"\xf2y\r\n"],
        ])
        assert got[:5] == [
            b"200 NOOP ok.\r\n",
            b"214-Help\r\n line one \xff\xff\r\n line two\r\n214 End\r\n",
            b'257 "/\xff\xfe\x80" is the current directory.\r\n',
            b"250 " + b"a\xff\xffb\xe9".hex().encode() + b"\r\n",
            b"\xff\xfe\x18" b"250 " + b"xy".hex().encode() + b"\r\n",
        ], (got, gw.log_text()[-3000:])
        assert_survived(lab, gw)
    assert "Telnet WONT 24 from the FTP server: removed" in gw.log_text()


# Waits for each reply with select, as test_hostile_backend's OVERLONG.
NOT_A_REPLY = r"""
import select, time
def ask(line):
    f.putcmd(line)
    if f.sock.pending() or select.select([f.sock], [], [], 5)[0]:
        try:
            return f.getresp()
        except ftplib.all_errors as e:
            return str(e) or 'EOF'
    return 'nothing'
f.connect(host, 21); f.login(user, pw); f.prot_p()
t0 = time.monotonic()
out('HELP', ask('HELP'))
out('SECS', round(time.monotonic() - t0, 1))
out('NOOP', ask('NOOP'))
"""


def test_garbage_from_the_server_gets_a_421(lab, certs, start_gw):
    """A line from the server that is no FTP reply: the client's HELP gets
    a 421 at once and the session ends, with a log line saying why. On main
    the line was logged and dropped, and the client waited for a reply that
    never came."""
    with hostile(lab, certs, "not_a_reply") as fake:
        gw = start_gw(gw_config(certs, FAKE))
        r = lab.run(lab.ns_client, [L.PYTHON, "-c", SCRIPT_HEAD + NOT_A_REPLY,
                                    GW4, certs.ca_cert, FAKE.user,
                                    FAKE.password], check=False, timeout=60)
        print(r.stdout, r.stderr)
        got = dict(ln.partition(" ")[::2] for ln in r.stdout.splitlines())
        fake.wait("not a reply sent")
        assert got.get("HELP", "").startswith(
            "421 Service not available: the FTP server sent a reply line "
            "ftpsgw cannot read."), (r.stdout + r.stderr, gw.log_text()[-2000:])
        assert float(got["SECS"]) < 3, r.stdout
        assert got["NOOP"] in ("EOF", "nothing") or \
            not got["NOOP"].startswith("2"), r.stdout
        assert "FTP server sent a line that is not an FTP reply: this is " \
            "not an FTP reply; ending the session (421)" in gw.log_text()
        assert_survived(lab, gw)


# ABOR during a download, with the Synch (RFC 959 4.1.3) sent as argv[6]
# says: "split" IAC IP IAC DM ABOR cut into three TLS records; "bsd" as BSD
# ftp sends it on a clear control connection, IAC IP IAC with the last IAC
# as TCP urgent data, then DM ABOR; "ftplib" as Python's FTP.abort() does,
# the whole ABOR CRLF sent urgent (its LF is the urgent byte). Prints the
# abort's replies ("ABOR <line>"), the NOOP's after them and SIZE's.
ABORT = r"""
import re, socket, ssl, sys, time
host, cafile, user, pw, how = sys.argv[1:6]
tls = how == "split"
sock = socket.create_connection((host, 21), timeout=5)
rf = None
def reply():
    global rf
    out = []
    while True:
        ln = rf.readline()
        if not ln:
            raise EOFError
        out.append(ln.decode("latin-1").rstrip("\r\n"))
        if re.match(r"^[1-5]\d\d( |$)", out[-1]):
            return "\n".join(out)
def cmd(line):
    sock.sendall(line.encode() + b"\r\n")
    return reply()
rf = sock.makefile("rb")
try:
    reply()
    if tls:
        assert cmd("AUTH TLS").startswith("234")
        ctx = ssl.create_default_context(cafile=cafile)
        sock = ctx.wrap_socket(sock, server_hostname=host)
        rf = sock.makefile("rb")
    assert cmd("USER " + user).startswith("331")
    assert cmd("PASS " + pw).startswith("230")
    if tls:
        cmd("PBSZ 0"); assert cmd("PROT P").startswith("200")
    assert cmd("TYPE I").startswith("200")
    port = int(re.search(r"\|\|\|(\d+)\|", cmd("EPSV")).group(1))
    data = socket.create_connection((host, port), timeout=5)
    sock.sendall(b"RETR f100M\r\n")
    print("RETR", reply()[:3], flush=True)
    if tls:
        data = ctx.wrap_socket(data, server_hostname=host,
                               session=sock.session)
    got = 0
    while got < 1 << 20:
        got += len(data.recv(65536))
    if how == "split":
        for i, p in enumerate([b"\xff\xf4", b"\xff", b"\xf2ABOR\r\n"]):
            if i:
                time.sleep(0.2)
            sock.sendall(p)
    elif how == "bsd":
        sock.send(b"\xff\xf4\xff", socket.MSG_OOB)
        sock.sendall(b"\xf2ABOR\r\n")
    else:
        sock.send(b"ABOR\r\n", socket.MSG_OOB)
    # ProFTPD answers 426 and 226, in either order; a NOOP marks their end.
    # The data connection is closed after them, as ftplib's users do.
    sock.sendall(b"NOOP\r\n")
    for _ in range(4):
        r = reply()
        print("ABOR" if r[:3] != "200" else "NOOP", r, flush=True)
        if r[:3] == "200":
            break
    data.close()
    print("SIZE", cmd("SIZE f16385"), flush=True)
except socket.timeout:
    print("TIMEOUT", flush=True)
except (EOFError, ConnectionError):
    print("EOF", flush=True)
"""


@pytest.mark.parametrize("how", ["split", "bsd", "ftplib"])
def test_abor_with_the_telnet_synch(lab, certs, proftpd, start_gw, how):
    """ABOR mid-download behind IAC IP IAC DM: cut across TLS records, or
    on a clear control connection with the Synch as TCP urgent data, the
    way BSD ftp and Python's ftplib send it. The download stops, the
    abort's replies come, and the session goes on. On main the urgent
    byte was cut out of the stream by the kernel: BSD's ABOR became
    "500 Syntax error" and ftplib's never ended (its LF was the urgent
    byte)."""
    gw = start_gw(gw_config(certs, proftpd, client_tls="optional"))
    r = lab.run(lab.ns_client, [L.PYTHON, "-c", ABORT, GW4, certs.ca_cert,
                                proftpd.user, proftpd.password, how],
                check=False, timeout=60)
    print(r.stdout, r.stderr)
    lines = r.stdout.splitlines()
    assert lines[0] == "RETR 150", (r.stdout + r.stderr, gw.log_text()[-3000:])
    codes = [ln[5:8] for ln in lines if ln.startswith("ABOR ")]
    assert set(codes) & {"225", "226"} and set(codes) <= {"225", "226",
                                                          "426"}, \
        (r.stdout + r.stderr, gw.log_text()[-3000:])
    assert any(ln.startswith("NOOP 200") for ln in lines), r.stdout
    assert "SIZE 213 16385" in lines, r.stdout
    log = gw.log_text()
    assert "C> ABOR" in log and "Syntax error" not in log
