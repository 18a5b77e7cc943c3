#!/usr/bin/python3
"""A small FTPS client for the integration tests, built on ftplib.

    ftpclient.py --host H [--port P] --user U --password PW [--implicit]
                 [--cafile F | --insecure] [--no-reuse] [--prot P|C]
                 [--mode epsv|pasv|active|eprt] [--ignore-pasv-address]
                 [--timeout S] [--tls-max 1.2|1.3] ACTION...

Actions, run in order in one session:
    list [DIR]  nlst [DIR]  get REMOTE LOCAL  put LOCAL REMOTE
    size REMOTE  raw "CMD ARGS"  quit

Every server reply of the session is printed to stdout as it comes, one
reply per line group, verbatim ("227 Entering Passive Mode (...)"); LIST and
NLST lines are printed to stdout too. Diagnostics go to stderr.

Unlike ftplib.FTP_TLS, data connections resume the control connection's TLS
session (what ProFTPD and vsftpd require by default); --no-reuse turns that
off. PASV replies are trusted (the address in the 227 is used, so a
gateway's rewriting is really exercised) unless --ignore-pasv-address.

Exit status: 0 success; 2 the server answered an error (4xx/5xx) or an
unexpected reply, which is printed; 3 timeout, connection or TLS error.
"""

import argparse
import ftplib
import socket
import ssl
import sys

ACTIONS = {"list": (0, 1), "nlst": (0, 1), "get": (2, 2), "put": (2, 2),
           "size": (1, 1), "raw": (1, 1), "quit": (0, 0)}


class ReplyError(Exception):
    pass


class Client(ftplib.FTP_TLS):
    # After a failed data connection, how long to wait for the server's
    # 4xx/5xx on the control connection.
    PENDING_REPLY_TIMEOUT = 3.0

    """FTP_TLS that resumes the control TLS session on data connections,
    supports implicit TLS and forces the passive/active variant asked."""

    def __init__(self, opts, context):
        self.opts = opts
        super().__init__(context=context, timeout=opts.timeout)
        self.trust_server_pasv_ipv4_address = not opts.ignore_pasv_address
        self.set_pasv(opts.mode in ("epsv", "pasv"))

    # Print every reply as it arrives.
    def getresp(self):
        try:
            resp = super().getresp()
        except ftplib.Error as e:
            print(str(e), flush=True)
            raise
        print(resp, flush=True)
        return resp

    def connect(self, host="", port=0, timeout=-999, source_address=None):
        if not self.opts.implicit:
            return super().connect(host, port, timeout, source_address)
        self.host, self.port = host, port
        if timeout != -999:
            self.timeout = timeout
        sock = socket.create_connection((host, port), self.timeout)
        self.af = sock.family
        self.sock = self.context.wrap_socket(sock, server_hostname=host)
        self.file = self.sock.makefile("r", encoding=self.encoding)
        self.welcome = self.getresp()
        return self.welcome

    def pending_reply(self):
        """Read the reply a server sends after a failed data transfer
        (bounded); None if nothing came."""
        try:
            self.sock.settimeout(self.PENDING_REPLY_TIMEOUT)
            return self.getresp()
        except ftplib.Error as e:
            return str(e)
        except (OSError, EOFError, ValueError):
            return None

    def makepasv(self):
        if self.opts.mode == "epsv":
            untagged = self.sendcmd("EPSV")
            return ftplib.parse229(untagged, self.sock.getpeername())
        if self.opts.mode == "pasv":
            untagged = self.sendcmd("PASV")
            host, port = ftplib.parse227(untagged)
            if not self.trust_server_pasv_ipv4_address:
                host = self.sock.getpeername()[0]
            return host, port
        return super().makepasv()

    def makeport(self):
        # ftplib picks PORT for IPv4 and EPRT for IPv6; 'eprt' forces EPRT.
        if self.opts.mode == "eprt" and self.af == socket.AF_INET:
            sock = socket.create_server(("", 0), family=self.af, backlog=1)
            host = self.sock.getsockname()[0]
            port = sock.getsockname()[1]
            self.sendeprt(host, port)
            if self.timeout is not ftplib._GLOBAL_DEFAULT_TIMEOUT:
                sock.settimeout(self.timeout)
            return sock
        return super().makeport()

    def ntransfercmd(self, cmd, rest=None):
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        if self._prot_p:
            session = None if self.opts.no_reuse else self.sock.session
            try:
                conn = self.context.wrap_socket(conn, server_hostname=self.host,
                                                session=session)
            except BaseException:
                conn.close()
                raise
            if not self.opts.no_reuse:
                print(f"# data TLS {conn.version()} session_reused="
                      f"{conn.session_reused}", file=sys.stderr, flush=True)
        return conn, size


def make_context(opts):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if opts.tls_max == "1.2":
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    if opts.insecure:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    elif opts.cafile:
        ctx.load_verify_locations(cafile=opts.cafile)
    else:
        ctx.load_default_certs()
    return ctx


def parse_actions(words):
    actions, i = [], 0
    while i < len(words):
        name = words[i]
        if name not in ACTIONS:
            raise SystemExit(f"ftpclient: unknown action {name!r}")
        lo, hi = ACTIONS[name]
        args = []
        i += 1
        while len(args) < hi and i < len(words) and (
                len(args) < lo or words[i] not in ACTIONS):
            args.append(words[i])
            i += 1
        if len(args) < lo:
            raise SystemExit(f"ftpclient: {name} needs {lo} argument(s)")
        actions.append((name, args))
    return actions


def transfer(ftp, fn, *args):
    """Run one data transfer; when the data connection fails (TLS error,
    reset, timeout), report the server's control reply if it sends one."""
    try:
        return fn(*args)
    except ftplib.Error:
        raise
    except (ssl.SSLError, OSError, EOFError) as e:
        print(f"ftpclient: data connection failed: {e!r}", file=sys.stderr)
        reply = ftp.pending_reply()
        if reply and reply[:1] in ("4", "5"):
            raise ReplyError(reply) from e
        raise


def run(opts, actions):
    ftp = Client(opts, make_context(opts))
    ftp.connect(opts.host, opts.port)
    ftp.login(opts.user, opts.password)
    if opts.prot == "P":
        ftp.prot_p()
    else:
        ftp.prot_c()
    quitted = False
    for name, args in actions:
        if name == "list":
            transfer(ftp, ftp.retrlines, "LIST" + (f" {args[0]}" if args else ""), print)
        elif name == "nlst":
            transfer(ftp, ftp.retrlines, "NLST" + (f" {args[0]}" if args else ""), print)
        elif name == "get":
            with open(args[1], "wb") as f:
                transfer(ftp, ftp.retrbinary, f"RETR {args[0]}", f.write)
        elif name == "put":
            with open(args[0], "rb") as f:
                transfer(ftp, ftp.storbinary, f"STOR {args[1]}", f)
        elif name == "size":
            ftp.voidcmd("TYPE I")
            ftp.sendcmd(f"SIZE {args[0]}")
        elif name == "raw":
            resp = ftp.sendcmd(args[0])
            if resp[:1] in ("4", "5"):
                raise ReplyError(resp)
        elif name == "quit":
            ftp.quit()
            quitted = True
    if not quitted:
        try:
            ftp.quit()
        except (OSError, EOFError, ftplib.Error):
            ftp.close()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--host", required=True)
    p.add_argument("--port", type=int, default=None)
    p.add_argument("--user", default="anonymous")
    p.add_argument("--password", default="test@example.test")
    p.add_argument("--implicit", action="store_true")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--cafile")
    g.add_argument("--insecure", action="store_true")
    p.add_argument("--no-reuse", action="store_true")
    p.add_argument("--prot", choices=("P", "C"), default="P")
    p.add_argument("--mode", choices=("epsv", "pasv", "active", "eprt"), default="epsv")
    p.add_argument("--ignore-pasv-address", action="store_true")
    p.add_argument("--tls-max", choices=("1.2", "1.3"), default="1.3")
    p.add_argument("--timeout", type=float, default=20.0)
    p.add_argument("actions", nargs=argparse.REMAINDER)
    opts = p.parse_args(argv)
    if opts.port is None:
        opts.port = 990 if opts.implicit else 21
    actions = parse_actions(opts.actions)
    try:
        run(opts, actions)
    except (ftplib.error_reply, ftplib.error_temp, ftplib.error_perm,
            ftplib.error_proto, ReplyError) as e:
        print(f"ftpclient: FTP error: {e}", file=sys.stderr)
        return 2
    except (ssl.SSLError, ssl.CertificateError) as e:
        print(f"ftpclient: TLS error: {e}", file=sys.stderr)
        return 3
    except (socket.timeout, TimeoutError) as e:
        print(f"ftpclient: timeout: {e}", file=sys.stderr)
        return 3
    except (OSError, EOFError) as e:
        print(f"ftpclient: connection error: {e!r}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
