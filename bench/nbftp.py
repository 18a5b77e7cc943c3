"""Nonblocking FTP control connections, in clear or TLS, for holding
thousands of sessions in one process (bench/idle_sessions.py, the client,
and bench/lightftpd.py, the light server).

asyncio is not used on purpose: its TLS transport keeps a 256 KiB buffer per
connection (asyncio.sslproto.SSLProtocol.max_size), 2.5 GB for 10,000
sessions. A plain ssl.SSLSocket in nonblocking mode costs only OpenSSL's
own state, a few tens of kB.
"""

import errno
import selectors
import socket
import ssl

LINE_MAX = 4096
RECV_SIZE = 4096


class ConnClosed(Exception):
    """The peer closed the connection (or it failed)."""


class LineConn:
    """One nonblocking TCP connection carrying CRLF lines, optionally over
    TLS. The owner registers it with a selector (events() says which events
    it needs) and calls the step methods when the socket is ready."""

    def __init__(self, sock):
        sock.setblocking(False)
        self.sock = sock
        self.out = bytearray()
        self.inbuf = bytearray()
        self.handshaking = False
        self.want_write = False     # TLS needs the socket writable to go on
        self.registered = 0         # events registered with the selector

    def fileno(self):
        return self.sock.fileno()

    # ---- TLS --------------------------------------------------------------

    def start_tls(self, ctx, server_side, server_hostname=None, session=None):
        """Wrap the socket; handshake() then drives the handshake."""
        self.sock = ctx.wrap_socket(self.sock, server_side=server_side,
                                    server_hostname=server_hostname,
                                    do_handshake_on_connect=False,
                                    session=session)
        self.handshaking = True

    def handshake(self):
        """One step of the TLS handshake: True when it is complete."""
        try:
            self.sock.do_handshake()
        except ssl.SSLWantReadError:
            self.want_write = False
            return False
        except ssl.SSLWantWriteError:
            self.want_write = True
            return False
        except (ssl.SSLError, OSError) as e:
            raise ConnClosed(f"TLS handshake: {e}") from e
        self.handshaking = False
        self.want_write = False
        return True

    # ---- lines --------------------------------------------------------------

    def send_line(self, text):
        self.out += text.encode("latin-1") + b"\r\n"
        self.flush()

    def flush(self):
        """Write what the socket takes now."""
        while self.out:
            try:
                n = self.sock.send(self.out)
            except (BlockingIOError, ssl.SSLWantWriteError):
                self.want_write = True
                return
            except ssl.SSLWantReadError:
                return
            except OSError as e:
                raise ConnClosed(f"send: {e}") from e
            del self.out[:n]
        self.want_write = False

    def read_lines(self):
        """Complete lines received so far (without CRLF, as str). Raises
        ConnClosed when the peer closed."""
        while True:
            try:
                data = self.sock.recv(RECV_SIZE)
            except (BlockingIOError, ssl.SSLWantReadError):
                break
            except ssl.SSLWantWriteError:
                self.want_write = True
                break
            except (ssl.SSLError, OSError) as e:
                raise ConnClosed(f"recv: {e}") from e
            if not data:
                raise ConnClosed("closed by peer")
            self.inbuf += data
            if len(self.inbuf) > 2 * LINE_MAX:
                raise ConnClosed("over-long line")
        lines = []
        while True:
            i = self.inbuf.find(b"\n")
            if i < 0:
                break
            lines.append(self.inbuf[:i].rstrip(b"\r").decode("latin-1"))
            del self.inbuf[:i + 1]
        return lines

    # ---- selector -------------------------------------------------------------

    def events(self):
        ev = selectors.EVENT_READ
        if self.out or self.want_write:
            ev |= selectors.EVENT_WRITE
        return ev

    def update(self, sel, data):
        """(Re)register with sel for the events needed now."""
        ev = self.events()
        if ev == self.registered:
            return
        if self.registered:
            sel.modify(self.sock, ev, data)
        else:
            sel.register(self.sock, ev, data)
        self.registered = ev

    def close(self, sel=None):
        if sel is not None and self.registered:
            try:
                sel.unregister(self.sock)
            except (KeyError, ValueError):
                pass
            self.registered = 0
        try:
            self.sock.close()
        except OSError:
            pass


def connect_nonblocking(host, port):
    """A socket with a nonblocking connect to host:port under way."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET,
                         socket.SOCK_STREAM)
    sock.setblocking(False)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    rc = sock.connect_ex((host, port))
    if rc not in (0, errno.EINPROGRESS):
        sock.close()
        raise ConnClosed(f"connect: {errno.errorcode.get(rc, rc)}")
    return sock


class ReplyReader:
    """Assembles FTP replies (multi-line ones too) from lines."""

    def __init__(self):
        self.code = None

    def feed(self, line):
        """The reply code once line ends a reply, else None."""
        if self.code is None:
            if len(line) < 4 or not line[:3].isdigit():
                raise ConnClosed(f"not an FTP reply: {line[:80]!r}")
            if line[3] == "-":
                self.code = line[:3]
                return None
            return line[:3]
        if line.startswith(self.code + " "):
            code, self.code = self.code, None
            return code
        return None
