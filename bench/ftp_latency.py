#!/usr/bin/python3
"""Login + LIST + QUIT latency with Python's ftplib, the way a script or a
simple client uses FTPS. Runs in the lab's client namespace.

    ftp_latency.py --host H --port P --tls-name NAME --cafile CA
                   --user U --password PW --count N [--pause S]
                   [--quiet-pids PID,...] [--timeout T]

Each of the N sessions: TCP connect, banner, AUTH TLS and the handshake,
USER/PASS, PBSZ/PROT P, PASV + LIST (the data connection resumes the control
TLS session, as ProFTPD requires), QUIT. The time from connect to the
221 is one sample. A session starts only when none of the processes PID
(the ProFTPD masters: backend, mod_proxy) has a child left, and S seconds
after that: ProFTPD's master sleeps 0.4 s after reaping a session, and a
session arriving meanwhile would measure that pause (DESIGN.md's timing
trap). The server certificate is verified against CA for NAME.

Prints one JSON object: {"samples": [seconds...], "errors": [text...]}.
"""

import argparse
import ftplib
import json
import os
import ssl
import sys
import time


class Client(ftplib.FTP_TLS):
    """FTP_TLS whose data connections resume the control TLS session."""

    def ntransfercmd(self, cmd, rest=None):
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        if self._prot_p:
            try:
                conn = self.context.wrap_socket(conn, server_hostname=self.host,
                                                session=self.sock.session)
            except BaseException:
                conn.close()
                raise
        return conn, size


# Longest wait for the servers' previous session processes to exit.
QUIET_TIMEOUT = 10.0


def has_children(pids):
    """True while any of pids has a child process (zombies included)."""
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid in pids:
            return True
    return False


def wait_quiet(pids, pause):
    """Wait (bounded) until no process of pids has a child, then pause."""
    deadline = time.monotonic() + QUIET_TIMEOUT
    while pids and time.monotonic() < deadline and has_children(pids):
        time.sleep(0.01)
    time.sleep(pause)


def one_session(opts, ctx):
    """Seconds for one login + LIST + QUIT."""
    lines = []
    t0 = time.perf_counter()
    ftp = Client(context=ctx, timeout=opts.timeout)
    try:
        ftp.connect(opts.host, opts.port)
        ftp.host = opts.tls_name        # the name the certificate is checked for
        ftp.login(opts.user, opts.password)
        ftp.prot_p()
        ftp.retrlines("LIST", lines.append)
        ftp.quit()
    finally:
        ftp.close()
    elapsed = time.perf_counter() - t0
    if not lines:
        raise RuntimeError("LIST returned nothing")
    return elapsed


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--host", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--tls-name", required=True)
    p.add_argument("--cafile", required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--count", type=int, default=10)
    p.add_argument("--pause", type=float, default=0.5)
    p.add_argument("--quiet-pids", default="")
    p.add_argument("--timeout", type=float, default=10.0)
    opts = p.parse_args()
    ctx = ssl.create_default_context(cafile=opts.cafile)
    pids = {int(p) for p in opts.quiet_pids.split(",") if p}
    samples, errors = [], []
    for _ in range(opts.count):
        wait_quiet(pids, opts.pause)
        try:
            samples.append(one_session(opts, ctx))
        except (OSError, EOFError, ftplib.Error, RuntimeError) as e:
            errors.append(f"{type(e).__name__}: {e}")
    json.dump({"samples": samples, "errors": errors}, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
