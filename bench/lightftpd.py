#!/usr/bin/python3
"""A light FTPS server for the session-count and handshake benchmarks: one
process, one selector, thousands of control sessions, no data channel.

    lightftpd.py --listen ADDR:PORT --cert PEM --key PEM [--nofile N]

ProFTPD forks a process per session (about 2 MB each), which would make a
10,000-session test measure the backend; this one holds a session for the
price of a socket and an OpenSSL object. It speaks what ftpsgw's login
preamble and an idle client need: 220 banner, AUTH TLS (234, then the TLS
handshake, TLS 1.2 or 1.3), USER (331), PASS (230, any password), PBSZ,
PROT, TYPE, NOOP, SYST, PWD, FEAT, QUIT; anything else gets 502. Runs until
SIGTERM.
"""

import argparse
import resource
import selectors
import signal
import socket
import ssl
import sys

from nbftp import ConnClosed, LineConn

REPLIES = {
    "USER": "331 Password required",
    "PASS": "230 Logged in",
    "PBSZ": "200 PBSZ=0",
    "PROT": "200 Protection level set",
    "TYPE": "200 Type set",
    "NOOP": "200 NOOP ok",
    "SYST": "215 UNIX Type: L8",
    "PWD": '257 "/" is the current directory',
    "FEAT": "211-Features:\r\n AUTH TLS\r\n PBSZ\r\n PROT\r\n211 End",
    "QUIT": "221 Goodbye",
}
ACCEPT_BATCH = 64
BACKLOG = 4096


class Session:
    def __init__(self, conn):
        self.conn = conn
        self.tls_pending = False    # 234 queued: TLS starts once it is out
        self.quitting = False


def serve(listen_sock, ctx):
    sel = selectors.DefaultSelector()
    sel.register(listen_sock, selectors.EVENT_READ, None)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    signal.signal(signal.SIGINT, lambda *_: stop.append(True))
    while not stop:
        for key, events in sel.select(timeout=1.0):
            if key.data is None:
                accept(listen_sock, sel)
                continue
            s = key.data
            try:
                step(s, ctx, events)
            except ConnClosed:
                s.conn.close(sel)
                continue
            if s.quitting and not s.conn.out:
                s.conn.close(sel)
            else:
                s.conn.update(sel, s)


def accept(listen_sock, sel):
    for _ in range(ACCEPT_BATCH):
        try:
            sock, _ = listen_sock.accept()
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            return          # EMFILE and the like: try again on the next wake-up
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s = Session(LineConn(sock))
        try:
            s.conn.send_line("220 lightftpd ready")
        except ConnClosed:
            s.conn.close()
            continue
        s.conn.update(sel, s)


def step(s, ctx, events):
    c = s.conn
    if c.out or c.want_write:
        c.flush()
    if s.tls_pending and not c.out:
        c.start_tls(ctx, server_side=True)
        s.tls_pending = False
    if c.handshaking and not c.handshake():
        return
    for line in c.read_lines():
        verb, _, _ = line.partition(" ")
        verb = verb.upper()
        if verb == "AUTH":
            c.send_line("234 AUTH TLS ok")
            s.tls_pending = True
            if not c.out:
                c.start_tls(ctx, server_side=True)
                s.tls_pending = False
                c.handshake()
            return      # nothing may be read in clear after the 234
        c.send_line(REPLIES.get(verb, "502 Command not implemented"))
        if verb == "QUIT":
            s.quitting = True
            return


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--listen", required=True, help="ADDR:PORT")
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--nofile", type=int, default=0,
                   help="raise RLIMIT_NOFILE to this (needs root beyond the hard limit)")
    opts = p.parse_args()
    if opts.nofile:
        resource.setrlimit(resource.RLIMIT_NOFILE, (opts.nofile, opts.nofile))
    host, _, port = opts.listen.rpartition(":")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(opts.cert, opts.key)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, int(port)))
    sock.listen(BACKLOG)
    sock.setblocking(False)
    serve(sock, ctx)
    return 0


if __name__ == "__main__":
    sys.exit(main())
