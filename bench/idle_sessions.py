#!/usr/bin/python3
"""Open many FTPS control sessions, log each in, and hold them idle.

    idle_sessions.py --host H --port P --tls-name NAME --cafile CA
                     --user U --password PW --count N [--window W]
                     [--setup-timeout S] [--hold-timeout S] [--nofile N]

Each session: TCP connect, 220, AUTH TLS, 234, TLS handshake (certificate
verified for NAME), USER/331, PASS/230, PBSZ 0/200, PROT P/200, then idle.
At most W sessions are in their login at once. When all N are idle (or have
failed, or the setup time is up), one JSON line goes to stdout:

    {"idle": n, "failed": f, "errors": {reason: count}, "seconds": t}

Then the sessions are held, idle, until a line arrives on stdin (or stdin
closes, or the hold time is up); they are closed at once and a last JSON
line says how many the server had closed meanwhile: {"lost": k}.
"""

import argparse
import collections
import json
import os
import resource
import selectors
import socket
import ssl
import sys
import time

from nbftp import ConnClosed, LineConn, ReplyReader, connect_nonblocking

STDIN = "stdin"


class Session:
    """One client session walking through the login."""

    def __init__(self, conn, steps):
        self.conn = conn
        self.steps = steps          # [(command or None, expected code)]
        self.i = 0
        self.connecting = True
        self.replies = ReplyReader()
        self.started = time.monotonic()
        self.idle = False


def login_steps(user, password):
    return [(None, "220"), ("AUTH TLS", "234"), ("USER " + user, "331"),
            ("PASS " + password, "230"), ("PBSZ 0", "200"), ("PROT P", "200")]


class Driver:
    def __init__(self, opts):
        self.opts = opts
        self.sel = selectors.DefaultSelector()
        self.ctx = ssl.create_default_context(cafile=opts.cafile)
        self.setting_up = set()
        self.idle = []
        self.failed = 0
        self.lost = 0
        self.errors = collections.Counter()
        self.started = 0

    def start_one(self):
        self.started += 1
        try:
            sock = connect_nonblocking(self.opts.host, self.opts.port)
        except (ConnClosed, OSError) as e:
            self.fail(None, str(e))
            return
        s = Session(LineConn(sock), login_steps(self.opts.user, self.opts.password))
        self.setting_up.add(s)
        self.sel.register(sock, selectors.EVENT_WRITE, s)
        s.conn.registered = selectors.EVENT_WRITE

    def fail(self, s, why):
        self.failed += 1
        # Group reasons without the varying details (addresses, numbers).
        self.errors[why.split(":")[0][:60]] += 1
        if s is not None:
            self.setting_up.discard(s)
            s.conn.close(self.sel)

    def step(self, s):
        c = s.conn
        if s.connecting:
            err = c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                raise ConnClosed(f"connect: {os.strerror(err)}")
            s.connecting = False
        if c.out or c.want_write:
            c.flush()
        if c.handshaking:
            if not c.handshake():
                return
            self.next_command(s)
        for line in c.read_lines():
            code = s.replies.feed(line)
            if code is None:
                continue
            cmd, want = s.steps[s.i]
            if code != want:
                raise ConnClosed(f"{cmd or 'banner'}: got {code} ({line[:60]})")
            s.i += 1
            if cmd == "AUTH TLS":
                c.start_tls(self.ctx, server_side=False,
                            server_hostname=self.opts.tls_name)
                if c.handshake():
                    self.next_command(s)
                return
            if s.i == len(s.steps):
                s.idle = True
                self.setting_up.discard(s)
                self.idle.append(s)
                return
            self.next_command(s)

    @staticmethod
    def next_command(s):
        cmd, _ = s.steps[s.i]
        s.conn.send_line(cmd)

    def pump(self, timeout):
        for key, _ in self.sel.select(timeout=timeout):
            s = key.data
            if s == STDIN:
                return True
            try:
                if s.idle:
                    s.conn.read_lines()     # idle: anything is a late reply
                else:
                    self.step(s)
            except ConnClosed as e:
                if s.idle:
                    self.lost += 1
                    s.conn.close(self.sel)
                    s.idle = False
                else:
                    self.fail(s, str(e))
                continue
            s.conn.update(self.sel, s)
        return False

    def set_up(self):
        o = self.opts
        t0 = time.monotonic()
        deadline = t0 + o.setup_timeout
        while time.monotonic() < deadline:
            while self.started < o.count and len(self.setting_up) < o.window:
                self.start_one()
            if not self.setting_up and self.started >= o.count:
                break
            self.pump(0.2)
            now = time.monotonic()
            for s in [s for s in self.setting_up
                      if now - s.started > o.session_timeout]:
                self.fail(s, f"login step {s.i} timed out")
        for s in list(self.setting_up):
            self.fail(s, "setup time over")
        return time.monotonic() - t0

    def hold(self):
        self.sel.register(sys.stdin, selectors.EVENT_READ, STDIN)
        deadline = time.monotonic() + self.opts.hold_timeout
        while time.monotonic() < deadline:
            if self.pump(1.0):
                break
        for s in self.idle:
            if s.idle:
                s.conn.close(self.sel)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--host", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--tls-name", required=True)
    p.add_argument("--cafile", required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--window", type=int, default=64)
    p.add_argument("--session-timeout", type=float, default=30.0)
    p.add_argument("--setup-timeout", type=float, default=300.0)
    p.add_argument("--hold-timeout", type=float, default=300.0)
    p.add_argument("--nofile", type=int, default=0)
    opts = p.parse_args()
    if opts.nofile:
        resource.setrlimit(resource.RLIMIT_NOFILE, (opts.nofile, opts.nofile))
    d = Driver(opts)
    seconds = d.set_up()
    print(json.dumps({"idle": len(d.idle), "failed": d.failed,
                      "errors": dict(d.errors), "seconds": round(seconds, 3)}),
          flush=True)
    d.hold()
    print(json.dumps({"lost": d.lost}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
