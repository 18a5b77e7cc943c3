#!/usr/bin/python3
"""fakeftp: a scripted, hostile explicit-FTPS server for the integration tests.

    fakeftp.py SCENARIO --cert PEM --key PEM [--addr ADDR] [--port PORT]
               [--lifetime SECONDS]

It speaks just enough FTP for ftpsgw's backend preamble -- 220, AUTH TLS ->
234 and a TLS handshake (ftpsgw asks for TLS 1.2), PBSZ/PROT -> 200,
USER/PASS -> 331/230 -- and for small passive transfers (EPSV/PASV, LIST,
NLST, RETR). Data connections are accepted on ADDR with the same SSLContext
as the control connection, so they can resume its TLS session. Then the
SCENARIO decides how to answer the following commands: one small function
per scenario below (sc_NAME), tried before the ordinary answer.

Everything it sees and does is printed to stdout, one event a line, flushed,
for the test to wait on: "up", "control from ADDR", "cmd LINE", "data from
ADDR session_reused=BOOL", and what each scenario did ("dying ...",
"renegotiation ..."). Any number of connections, one thread each; every
socket operation has a timeout, and the process exits by itself after
--lifetime seconds whatever its connections are doing.
"""

import argparse
import ctypes
import os
import select
import socket
import ssl
import struct
import sys
import threading
import time

IO_TIMEOUT = 10.0          # every socket operation
LINE_MAX = 8192            # longest command line read
LISTING = (b"-rw-r--r-- 1 ftp ftp 16384 Jan 01 00:00 hostile-file\r\n"
           b"-rw-r--r-- 1 ftp ftp     1 Jan 01 00:00 another\r\n")

# huge_multiline: HELP answers with this many inner lines of HUGE_WIDTH
# bytes (CRLF included): about 100 MB, far more than the gateway may hold.
HUGE_LINES = 1_000_000
HUGE_WIDTH = 100
HUGE_BATCH = 2000          # lines per write
# long_line / endless_line: one reply line of this many bytes.
LONG_LINE = 100_000
# die_in_retr: bytes of data sent before the server "dies".
DIE_AFTER = 4 << 20

# paced_retr: a burst that sets ftpsgw's receive coalescing going (it then
# waits for 64 KiB before it wakes), a tail far below that, and a pause
# before the end of the data.
PACED_BURST = 1 << 20
PACED_TAIL = 100
PACED_PAUSE = 1.5

# bad_227 / bad_229: one malformed passive reply per PASV/EPSV, in turn.
BAD_227 = [
    "227 Entering Passive Mode (198,51,100,14,300,1).",      # octet > 255
    "227 Entering Passive Mode (198,51,100,14,-1,5).",       # negative
    "227 Entering Passive Mode (198,51,100,14,0,0).",        # port 0
    "227 Entering Passive Mode (198,51,100,14,4,1.",         # no ')'
    "227 Entering Passive Mode (a,b,c,d,e,f).",              # not numbers
    "227 Entering Passive Mode (198,51,100,14,4).",          # 5 numbers
    "227 Entering Passive Mode (198,51,100,14,4,1,7).",      # 7 numbers
    "227 Entering Passive Mode (198,51,100,99999999999999999999,4,1).",
    "227 Entering Passive Mode (198,51,100,256,4,1).",       # bad address
    "227 Entering Passive Mode.",                            # nothing
    "227 Entering Passive Mode (198,51,100,14,+4,1).",       # sign
    "227 Entering Passive Mode (198;51;100;14;4;1).",        # wrong separator
]
BAD_229 = [
    "229 Entering Extended Passive Mode (|||70000|)",        # port > 65535
    "229 Entering Extended Passive Mode (|||-5|)",           # negative
    "229 Entering Extended Passive Mode (|||0|)",            # port 0
    "229 Entering Extended Passive Mode |||1234|",           # no parentheses
    "229 Entering Extended Passive Mode (|||1234#)",         # wrong delimiter
    "229 Entering Extended Passive Mode (#||1234|)",         # mixed delimiters
    "229 Entering Extended Passive Mode (11112341)",         # digit delimiter
    "229 Entering Extended Passive Mode (|||abc|)",          # not a number
    "229 Entering Extended Passive Mode (|||99999999999999999999|)",
    "229 Entering Extended Passive Mode (|1|198.51.100.14|1234|)",
    "229 Entering Extended Passive Mode (|||1234",           # cut short
    "229 Entering Extended Passive Mode ()",
]
# foreign_227: the addresses PASV names, in turn (never the server's own).
FOREIGN = ["192.0.2.1", "127.0.0.1"]

# long_help: HELP answers with one 214 reply, written at once: a first line,
# LONG_HELP_INNER inner lines of LONG_HELP_WIDTH bytes, and a last line of
# LONG_HELP_LAST bytes (CRLF not counted): short lines, then one near the
# gateway's line limit (FTP_LINE_MAX, 4096).
LONG_HELP_INNER = 22
LONG_HELP_WIDTH = 101
LONG_HELP_LAST = 4000

# tls_garbage / tls_alert: what is written raw onto the TCP socket under TLS.
GARBAGE = b"GARBAGE! not a TLS record \x00\xff\x17\x03\x03\x40\x00" * 4
ALERT = bytes([21, 3, 3, 0, 2, 2, 40])     # clear-text fatal handshake_failure

_print_lock = threading.Lock()


def event(*words):
    """One event line on stdout (the test's view of the server)."""
    with _print_lock:
        print(*words, flush=True)


class Hangup(Exception):
    """End the control session (the socket is closed by serve())."""


class Session:
    """One control connection: line I/O, TLS, the passive data listener."""

    def __init__(self, sock, ctx, addr):
        self.sock = sock            # plain socket, then the SSLSocket
        self.ctx = ctx
        self.addr = addr
        self.peer = None            # the control client's address
        self.buf = b""
        self.pasv = None            # listening socket of the last PASV/EPSV
        self.n = 0                  # per-scenario counter

    def send(self, *lines):
        """Reply lines (str, latin-1), CRLF added to each."""
        text = "".join(ln + "\r\n" for ln in lines)
        self.sock.sendall(text.encode("latin-1"))

    def readline(self):
        """The next command line without its line end, or None at EOF."""
        while b"\n" not in self.buf:
            if len(self.buf) > LINE_MAX:
                raise ValueError("command line too long")
            data = self.sock.recv(4096)
            if not data:
                return None
            self.buf += data
        line, _, self.buf = self.buf.partition(b"\n")
        return line.rstrip(b"\r").decode("latin-1")

    def starttls(self):
        self.sock = self.ctx.wrap_socket(self.sock, server_side=True)
        event("control TLS", self.sock.version(), self.sock.cipher()[0])

    def listen_data(self):
        """A fresh passive listener on our own address; returns its port."""
        if self.pasv is not None:
            self.pasv.close()
        self.pasv = socket.create_server((self.addr, 0))
        self.pasv.settimeout(IO_TIMEOUT)
        return self.pasv.getsockname()[1]

    def accept_data(self):
        """Accept the data connection and do the TLS server handshake."""
        if self.pasv is None:
            raise ValueError("no PASV/EPSV before the transfer")
        conn, peer = self.pasv.accept()
        self.pasv.close()
        self.pasv = None
        conn.settimeout(IO_TIMEOUT)
        event("data from", peer[0], "to port", conn.getsockname()[1])
        # What comes first: a ClientHello (0x16), never a PROXY header.
        first = conn.recv(1, socket.MSG_PEEK)
        event("data first byte", first.hex())
        tls = self.ctx.wrap_socket(conn, server_side=True)
        event("data TLS session_reused=" + str(tls.session_reused))
        return tls

    def transfer(self, payload):
        """150, the payload on the data connection, close_notify, 226."""
        self.send("150 Opening BINARY mode data connection.")
        data = self.accept_data()
        try:
            data.sendall(payload)
            data.unwrap()
        finally:
            data.close()
        self.send("226 Transfer complete.")

    def hangup(self, reset=False):
        """Die: close the control connection without close_notify (FIN,
        or RST with reset)."""
        if reset:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                 struct.pack("ii", 1, 0))
        raise Hangup()

    def await_close(self, timeout=IO_TIMEOUT):
        """Read raw bytes from the TCP socket until the peer closes it;
        returns the seconds it took, or None if it did not."""
        fd = self.sock.fileno()
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            r, _, _ = select.select([fd], [], [], 0.1)
            if not r:
                continue
            try:
                if not os.read(fd, 65536):
                    return time.monotonic() - t0
            except OSError:
                return time.monotonic() - t0
        return None

    def close(self):
        if self.pasv is not None:
            self.pasv.close()
        self.sock.close()


# ---- the ordinary answers ---------------------------------------------------

def default(s, verb, arg):
    """What a plain FTPS server answers."""
    if verb == "AUTH":
        s.send("234 AUTH TLS successful.")
        s.starttls()
    elif verb in ("PBSZ", "PROT", "TYPE", "MODE", "STRU", "NOOP", "OPTS"):
        s.send(f"200 {verb} ok.")
    elif verb == "USER":
        s.send("331 Password required.")
    elif verb == "PASS":
        s.send("230 Logged in.")
    elif verb == "SYST":
        s.send("215 UNIX Type: L8")
    elif verb == "PWD":
        s.send('257 "/" is the current directory.')
    elif verb == "FEAT":
        s.send("211-Features:", " EPSV", " PASV", "211 End")
    elif verb == "EPSV":
        s.send(f"229 Entering Extended Passive Mode (|||{s.listen_data()}|)")
    elif verb == "PASV":
        port = s.listen_data()
        h = s.addr.replace(".", ",")
        s.send(f"227 Entering Passive Mode ({h},{port >> 8},{port & 255}).")
    elif verb in ("LIST", "NLST"):
        s.transfer(LISTING)
    elif verb == "RETR":
        s.transfer(b"x" * 16384)
    elif verb == "ABOR":
        s.send("225 No transfer to ABOR.")
    elif verb == "QUIT":
        s.send("221 Goodbye.")
        raise Hangup()
    else:
        s.send("502 Command not implemented.")


# ---- scenarios: each returns True when it answered the command --------------

def sc_normal(s, verb, arg):
    """Nothing hostile."""
    return False


def sc_huge_multiline(s, verb, arg):
    """HELP: a 214 reply of HUGE_LINES inner lines (about 100 MB)."""
    if verb != "HELP":
        return False
    s.send(f"214-{HUGE_LINES} lines follow")
    pad = "x" * (HUGE_WIDTH - len(" line 0000000 \r\n"))
    for start in range(0, HUGE_LINES, HUGE_BATCH):
        s.sock.sendall("".join(f" line {i:07d} {pad}\r\n" for i in
                               range(start, start + HUGE_BATCH))
                       .encode("ascii"))
        if start % 100_000 == 0:
            event("huge: sent", start, "lines")
    s.send("214 End of help.")
    event("huge: all sent")
    return True


def sc_long_line(s, verb, arg):
    """HELP: one final reply line of LONG_LINE bytes, then CRLF."""
    if verb != "HELP":
        return False
    s.send("214 " + "A" * (LONG_LINE - 4))
    event("long line sent")
    return True


def long_help_lines():
    """The lines of sc_long_help's reply (without CRLF)."""
    inner = [f" {i:02d} " + "h" * (LONG_HELP_WIDTH - 4)
             for i in range(LONG_HELP_INNER)]
    return (["214-Help follows"] + inner +
            ["214 " + "E" * (LONG_HELP_LAST - 4)])


def sc_long_help(s, verb, arg):
    """HELP: long_help_lines(), in one write."""
    if verb != "HELP":
        return False
    s.send(*long_help_lines())
    event("long help sent")
    return True


def sc_lan_addresses(s, verb, arg):
    """A greeting, STAT, HELP, an error and a goodbye that name the
    server's LAN address and its peer's (the gateway's LAN side), as real
    servers' do; and a 227 to a NOOP, where no passive reply was asked for."""
    me, peer = s.addr, s.peer
    pasv = me.replace(".", ",") + ",156,64"
    if verb == "STAT":
        s.send(f"211-Status of fakeftp on {me}",
               f" Connected from {peer} ({peer})",
               f" Data connection: passive ({pasv})",
               "211 End of status")
    elif verb == "HELP":
        s.send(f"214 Mail ftp@[{me}] for help.")
    elif verb == "SITE":
        s.send(f"500 Cannot reach {me}:21 from {peer}.")
    elif verb == "NOOP":
        s.send(f"227 Entering Passive Mode ({pasv}).")
    elif verb == "QUIT":
        s.send(f"221 Goodbye from {me}.")
        raise Hangup()
    else:
        return False
    return True


def sc_endless_line(s, verb, arg):
    """HELP: LONG_LINE bytes that never end in a line end; later replies
    follow them (so they are glued to that line)."""
    if verb != "HELP":
        return False
    s.sock.sendall(b"214 " + b"A" * (LONG_LINE - 4))
    event("endless line sent")
    return True


def sc_nul_line(s, verb, arg):
    """HELP: a final reply line holding a NUL byte."""
    if verb != "HELP":
        return False
    s.send("214 Help\x00 with a NUL byte")
    event("nul line sent")
    return True


def sc_bad_227(s, verb, arg):
    """EPSV refused; PASV answered with BAD_227, in turn."""
    if verb == "EPSV":
        s.send("500 EPSV not understood.")
        return True
    if verb == "PASV":
        s.send(BAD_227[s.n % len(BAD_227)])
        s.n += 1
        return True
    return False


def sc_bad_229(s, verb, arg):
    """EPSV answered with BAD_229, in turn."""
    if verb == "EPSV":
        s.send(BAD_229[s.n % len(BAD_229)])
        s.n += 1
        return True
    return False


def sc_no_epsv(s, verb, arg):
    """EPSV refused (500): the gateway asks with PASV, answered as usual."""
    if verb == "EPSV":
        s.send("500 EPSV not understood.")
        return True
    return False


def sc_foreign_227(s, verb, arg):
    """EPSV refused; PASV names a FOREIGN host (in turn) with the port we
    really listen on, on our own address."""
    if verb == "EPSV":
        s.send("500 EPSV not understood.")
        return True
    if verb == "PASV":
        port = s.listen_data()
        h = FOREIGN[s.n % len(FOREIGN)].replace(".", ",")
        s.n += 1
        reply = f"227 Entering Passive Mode ({h},{port >> 8},{port & 255})."
        s.send(reply)
        event("sent", reply)
        return True
    return False


def sc_die_control(s, verb, arg):
    """NOOP: the server dies (FIN without close_notify)."""
    if verb != "NOOP":
        return False
    event("dying on NOOP")
    s.hangup()


def sc_reset_control(s, verb, arg):
    """NOOP: the server dies with a TCP reset."""
    if verb != "NOOP":
        return False
    event("dying on NOOP with a reset")
    s.hangup(reset=True)


def sc_die_in_retr(s, verb, arg):
    """RETR: 150, DIE_AFTER bytes of data, then data and control closed
    without close_notify and without a final reply."""
    if verb != "RETR":
        return False
    s.send("150 Opening BINARY mode data connection for big "
           "(104857600 bytes).")
    data = s.accept_data()
    block = os.urandom(1 << 16)
    sent = 0
    while sent < DIE_AFTER:
        data.sendall(block)
        sent += len(block)
    event("dying after", sent, "bytes")
    data.close()
    s.hangup()


def sc_paced_retr(s, verb, arg):
    """RETR: 150, PACED_BURST bytes at once, PACED_TAIL bytes more, then
    nothing for PACED_PAUSE seconds before close_notify and 226. A relay
    that holds the tail back until more comes delivers it only at the end."""
    if verb != "RETR":
        return False
    s.send("150 Opening BINARY mode data connection.")
    data = s.accept_data()
    try:
        data.sendall(b"b" * PACED_BURST)
        data.sendall(b"t" * PACED_TAIL)
        event("tail sent")
        time.sleep(PACED_PAUSE)
        data.unwrap()
    finally:
        data.close()
    s.send("226 Transfer complete.")
    return True


def _raw_write_then_wait(s, what, payload):
    s.send(f"200 {what} follows.")
    os.write(s.sock.fileno(), payload)
    event(what, "written")
    secs = s.await_close()
    event(what + ": peer closed" if secs is not None else
          what + ": peer kept the connection open", round(secs or 0, 2))
    raise Hangup()


def sc_tls_garbage(s, verb, arg):
    """NOOP: 200, then GARBAGE written raw onto the TCP socket under TLS;
    the connection stays open until the peer closes it."""
    if verb != "NOOP":
        return False
    _raw_write_then_wait(s, "garbage", GARBAGE)


def sc_tls_alert(s, verb, arg):
    """NOOP: 200, then a clear-text fatal TLS alert record written raw
    under TLS; the connection stays open until the peer closes it."""
    if verb != "NOOP":
        return False
    _raw_write_then_wait(s, "alert", ALERT)


def ssl_pointer(sock):
    """The OpenSSL SSL * of an ssl.SSLSocket, or None. CPython's _ssl
    object starts with PyObject_HEAD, PyObject *Socket, SSL *ssl; the
    pointer read there is checked with SSL_get_fd before any use."""
    libssl = ctypes.CDLL("libssl.so.3")
    libssl.SSL_get_fd.argtypes = [ctypes.c_void_p]
    libssl.SSL_get_fd.restype = ctypes.c_int
    head = ctypes.sizeof(ctypes.c_ssize_t) + ctypes.sizeof(ctypes.c_void_p)
    ptr = ctypes.c_void_p.from_address(
        id(sock._sslobj) + head + ctypes.sizeof(ctypes.c_void_p)).value
    if not ptr or libssl.SSL_get_fd(ptr) != sock.fileno():
        return None, libssl
    return ptr, libssl


def sc_renegotiate(s, verb, arg):
    """NOOP: the server starts a TLS 1.2 renegotiation (Python's ssl has no
    call for it: SSL_renegotiate through ctypes on the connection's own
    SSL object, driven by do_handshake), answers 200, and reports what the
    peer did with the HelloRequest."""
    if verb != "NOOP":
        return False
    ptr, libssl = ssl_pointer(s.sock)
    if ptr is None:
        event("renegotiation impossible: no SSL object")
        s.send("200 NOOP ok.")
        return True
    libssl.SSL_renegotiate.argtypes = [ctypes.c_void_p]
    libssl.SSL_renegotiate_pending.argtypes = [ctypes.c_void_p]
    if libssl.SSL_renegotiate(ptr) != 1:
        event("renegotiation impossible: SSL_renegotiate failed")
        s.send("200 NOOP ok.")
        return True
    s.sock.do_handshake()           # sends the HelloRequest
    event("renegotiation requested, pending",
          libssl.SSL_renegotiate_pending(ptr))
    s.send("200 NOOP ok.")
    try:
        line = s.readline()         # the peer's answer comes first
    except ssl.SSLError as e:
        event("renegotiation refused by the peer:", e.reason or e)
        raise Hangup() from e
    event("renegotiation not refused; pending",
          libssl.SSL_renegotiate_pending(ptr), "next line", line)
    raise Hangup()


# final_226_first / final_226_held: the download they serve.
FINAL_PAYLOAD = bytes(range(256)) * 1024        # 256 KiB


def sc_final_226_first(s, verb, arg):
    """RETR: the payload, then the 226 on the control connection (also when
    the data connection failed: a success claim), and only then
    close_notify on the data connection: the server's final reply reaches
    the gateway before the end of the data."""
    if verb != "RETR":
        return False
    s.send("150 Opening BINARY mode data connection.")
    data = s.accept_data()
    try:
        data.sendall(FINAL_PAYLOAD)
    except (OSError, ValueError) as e:
        event("data error", type(e).__name__, e)
    # Success claimed whatever happened to the data.
    s.send("226 Transfer complete.")
    event("sent 226 before close_notify")
    try:
        time.sleep(0.3)
        data.unwrap()
    except (OSError, ValueError) as e:
        event("data end", type(e).__name__, e)
    finally:
        data.close()
    return True


def sc_final_226_held(s, verb, arg):
    """RETR: the payload and close_notify; the 226 only once the gateway
    has closed the data connection, which it does after the client's own
    end: the client's FIN reaches the gateway before the final reply."""
    if verb != "RETR":
        return False
    s.send("150 Opening BINARY mode data connection.")
    data = s.accept_data()
    try:
        data.sendall(FINAL_PAYLOAD)
        raw = data.unwrap()
        raw.settimeout(IO_TIMEOUT)
        while raw.recv(4096):
            pass
        event("data closed by the gateway; now 226")
    except (OSError, ValueError) as e:
        event("data end", type(e).__name__, e)
    finally:
        data.close()
    s.send("226 Transfer complete.")
    return True


def _raw_pieces(s, pieces):
    """Bytes written as separate TCP/TLS writes, 0.1 s apart, so that
    they reach the peer in separate reads."""
    for i, p in enumerate(pieces):
        if i:
            time.sleep(0.1)
        s.sock.sendall(p)


def sc_telnet(s, verb, arg):
    """Telnet from the server's side (RFC 854): NOOP and HELP answered
    with option refusals at line starts (as ProFTPD writes them), cut
    across writes; PWD names a path with raw bytes 0xFF 0xFE 0x80 (as
    ProFTPD writes them); CWD answers "250 " and the hex of the argument
    bytes it received, as they came over the wire."""
    if verb == "NOOP":
        _raw_pieces(s, [b"\xff", b"\xfc", b"\x18\xff\xfe", b"\x01200 NOOP",
                        b" ok.\r\n"])
    elif verb == "HELP":
        _raw_pieces(s, [b"214-Help\r\n\xff\xfb\x01 line one \xff\xff\r\n",
                        b"\xff", b"\xf1 line two\r\n\xff\xfa\x18\x00x",
                        b"\xff\xf0214 End\r\n"])
    elif verb == "PWD":
        s.sock.sendall(b'257 "/\xff\xfe\x80" is the current directory.\r\n')
    elif verb == "CWD":
        s.send("250 " + arg.encode("latin-1").hex())
    else:
        return False
    return True


def sc_not_a_reply(s, verb, arg):
    """HELP: a line that is no FTP reply (no code), then nothing."""
    if verb != "HELP":
        return False
    s.send("this is not an FTP reply")
    event("not a reply sent")
    return True


SCENARIOS = {name[3:]: fn for name, fn in globals().items()
             if name.startswith("sc_")}


PROXY_V2_SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def recv_exact(conn, n):
    buf = b""
    while len(buf) < n:
        got = conn.recv(n - len(buf))
        if not got:
            raise ValueError(f"EOF after {len(buf)} of {n} bytes")
        buf += got
    return buf


def read_proxy_v2(conn):
    """The PROXY protocol v2 header (HAProxy's proxy-protocol.txt 2.2),
    read strictly: signature, version 2 command PROXY, TCP over IPv4 or
    IPv6, the address block's exact length. Returns (src, sport, dst,
    dport); raises ValueError on anything else."""
    head = recv_exact(conn, 16)
    if head[:12] != PROXY_V2_SIG:
        raise ValueError("no PROXY v2 signature: " + head.hex())
    if head[12] != 0x21:
        raise ValueError(f"version/command {head[12]:#x}, not 0x21")
    fam, length = head[13], struct.unpack("!H", head[14:16])[0]
    if fam == 0x11 and length == 12:
        af, alen = socket.AF_INET, 4
    elif fam == 0x21 and length == 36:
        af, alen = socket.AF_INET6, 16
    else:
        raise ValueError(f"family/protocol {fam:#x} with length {length}")
    body = recv_exact(conn, length)
    src = socket.inet_ntop(af, body[:alen])
    dst = socket.inet_ntop(af, body[alen:2 * alen])
    sport, dport = struct.unpack("!HH", body[2 * alen:])
    return src, sport, dst, dport


def serve(conn, peer, ctx, addr, name, proxy_v2=False):
    """One control connection, until QUIT, EOF, an error or Hangup."""
    scenario = SCENARIOS[name]
    conn.settimeout(IO_TIMEOUT)
    s = Session(conn, ctx, addr)
    s.peer = peer[0]
    event("control from", peer[0])
    try:
        if proxy_v2:
            src, sport, dst, dport = read_proxy_v2(conn)
            event("proxy src", f"{src}:{sport}", "dst", f"{dst}:{dport}")
        if name == "lan_addresses":
            s.send(f"220-fakeftp on {addr} ready.",
                   f"220-You are {peer[0]}.", f"220 [{addr}]")
        else:
            s.send(f"220 fakeftp ready ({name})")
        while True:
            line = s.readline()
            if line is None:
                event("control closed by the peer")
                break
            event("cmd", line)
            verb, _, arg = line.partition(" ")
            verb = verb.upper()
            if not scenario(s, verb, arg):
                default(s, verb, arg)
    except Hangup:
        pass
    except (OSError, ValueError) as e:      # ssl.SSLError, timeouts too
        event("control error", type(e).__name__, e)
    finally:
        s.close()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("scenario", choices=sorted(SCENARIOS))
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--addr", default="198.51.100.14")
    p.add_argument("--port", type=int, default=21)
    p.add_argument("--lifetime", type=float, default=60.0)
    p.add_argument("--proxy-v2", action="store_true",
                   help="expect a PROXY protocol v2 header first on every "
                   "control connection")
    opts = p.parse_args(argv)

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(opts.cert, opts.key)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.options &= ~ssl.OP_NO_RENEGOTIATION     # sc_renegotiate needs it
    srv = socket.create_server((opts.addr, opts.port))
    srv.settimeout(0.2)
    deadline = time.monotonic() + opts.lifetime
    event("up")
    while time.monotonic() < deadline:
        try:
            conn, peer = srv.accept()
        except (socket.timeout, TimeoutError):
            continue
        threading.Thread(target=serve, args=(conn, peer, ctx, opts.addr,
                                             opts.scenario, opts.proxy_v2),
                         daemon=True).start()
    event("lifetime over")
    sys.stdout.flush()
    os._exit(0)     # whatever the connection threads are doing


if __name__ == "__main__":
    main()
