#!/usr/bin/python3
"""The soak test's workload: runs in the lab's client namespace (started by
tests/soak/soak.py with `ip netns exec`).

    soak_client.py PLAN.json              the workers (one thread each)
    soak_client.py --victim PLAN.json ARGS.json   one session to be SIGKILLed

PLAN.json (written by soak.py): host, host6, cafile, user, password,
seconds, clients, seed, timeout, files {name: {size, sha256}}.

Each worker runs sessions until the deadline, each one chosen at random:
transfers (downloads verified against their SHA-256, uploads of random bytes
whose SHA-256 is reported for soak.py to check on the server, LIST/NLST), ABOR
mid-download or mid-upload followed by a NOOP and a verified transfer, an
abrupt close at a random stage (FIN or RST, no QUIT), a child process
SIGKILLed mid-transfer, idle sessions. Every socket operation has a timeout,
so a gateway that stops answering shows up as a "timeout" failure, never as
a hang here.

Output: one JSON object per session on stdout (see Session), written
as the session ends; on SIGTERM the sessions still running are written with
"inflight": true before exiting.
"""

import ftplib
import hashlib
import io
import json
import os
import random
import signal
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time

ROOT_LISTING = ("f0", "f1", "f16383", "f16384", "f16385", "f1M", "f100M")

# What a worker does, with weights.
KINDS = (("transfer", 58), ("abor-down", 8), ("abor-up", 6), ("kill", 13),
         ("kill-proc", 6), ("idle", 9))
# Downloads: mostly small files.
DOWNLOAD_WEIGHTS = (("f0", 8), ("f1", 8), ("f16383", 8), ("f16384", 8),
                    ("f16385", 8), ("f1M", 14), ("f100M", 1.2))
KILL_STAGES = ("tcp", "banner", "auth", "handshake", "login", "epsv",
               "data-connected", "mid-download", "mid-upload", "after-data")
# No big transfer starts this close to the deadline (seconds).
BIG_CUTOFF = 20.0
MAX_SESSIONS_PER_WORKER = 100000

OUT_LOCK = threading.Lock()


def emit(obj):
    line = json.dumps(obj, separators=(",", ":"))
    with OUT_LOCK:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def pick(rng, weighted):
    names = [n for n, _ in weighted]
    weights = [w for _, w in weighted]
    return rng.choices(names, weights)[0]


def upload_size(rng, big_ok):
    r = rng.random()
    if r < 0.06:
        return 0
    if r < 0.12:
        return 1
    if r < 0.40:
        return rng.randint(2, 65536)
    if r < 0.55:
        return rng.choice((16383, 16384, 16385))
    if r < 0.72:
        return 1 << 20
    if r < 0.97 or not big_ok:
        return rng.randint(1 << 20, 8 << 20)
    return 32 << 20


class VictimFailed(Exception):
    """A kill-proc child that ended on its own, with a failure."""

    def __init__(self, reason, detail):
        super().__init__(detail)
        self.reason = reason


def reply_error(text):
    """The ftplib exception for an unexpected reply line."""
    if text[:1] == "4":
        return ftplib.error_temp(text)
    if text[:1] == "5":
        return ftplib.error_perm(text)
    return ftplib.error_proto(text)


def reason_of(exc):
    """A short, stable failure reason for an exception."""
    if isinstance(exc, VictimFailed):
        return exc.reason
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return "timeout"
    if isinstance(exc, ftplib.Error):
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return f"reply {text[:3]}" if text[:3].isdigit() else "bad reply"
    if isinstance(exc, EOFError):
        return "closed"
    if isinstance(exc, ssl.SSLError):
        return f"tls {exc.reason or type(exc).__name__}"
    if isinstance(exc, ConnectionResetError):
        return "reset"
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    if isinstance(exc, BrokenPipeError):
        return "broken pipe"
    if isinstance(exc, OSError):
        return f"os {exc.strerror or type(exc).__name__}"
    return type(exc).__name__


class Client(ftplib.FTP_TLS):
    """FTP_TLS that resumes the control TLS session on data connections
    (what ProFTPD and ftpsgw's require_session_reuse want), supports
    implicit TLS and picks EPSV or PASV."""

    def __init__(self, ctx, timeout, implicit=False, mode="epsv"):
        super().__init__(context=ctx, timeout=timeout)
        self.implicit = implicit
        self.mode = mode

    def connect(self, host="", port=0, timeout=-999, source_address=None):
        if not self.implicit:
            return super().connect(host, port, timeout, source_address)
        self.host, self.port = host, port
        sock = socket.create_connection((host, port), self.timeout)
        self.af = sock.family
        try:
            self.sock = self.context.wrap_socket(sock, server_hostname=host)
        except BaseException:
            sock.close()
            raise
        self.file = self.sock.makefile("r", encoding=self.encoding)
        self.welcome = self.getresp()
        return self.welcome

    def makepasv(self):
        if self.mode == "pasv" and self.af == socket.AF_INET:
            host, port = ftplib.parse227(self.sendcmd("PASV"))
            return host, port
        return ftplib.parse229(self.sendcmd("EPSV"), self.sock.getpeername())

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

    def data_socket(self):
        """EPSV/PASV and connect the data socket with TLS, without sending
        a transfer command: for the kill stage "data-connected"."""
        host, port = self.makepasv()
        conn = socket.create_connection((host, port), self.timeout)
        try:
            return self.context.wrap_socket(conn, server_hostname=self.host,
                                            session=self.sock.session)
        except BaseException:
            conn.close()
            raise

    def drain_to_noop(self, limit=6):
        """Send NOOP and read replies up to its 200 (the replies of an ABOR
        differ between servers: 426+226, 225 or 226 alone). Returns the
        codes read; raises on a closed connection or timeout."""
        self.putcmd("NOOP")
        codes = []
        for _ in range(limit):
            try:
                r = self.getresp()
            except ftplib.Error as e:
                r = str(e)
            codes.append(r[:3])
            if r.startswith("200"):
                return codes
            if r.startswith("421"):
                raise ftplib.error_temp(r)
        raise ftplib.error_proto(f"ABOR: no NOOP reply after {codes}")


def abrupt_close(socks, rst):
    """Close sockets without QUIT or close_notify: FIN, or RST (SO_LINGER
    0) when rst."""
    for s in socks:
        if s is None:
            continue
        try:
            if rst:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                             struct.pack("ii", 1, 0))
        except OSError:
            pass
        try:
            s.close()
        except OSError:
            pass


class Session:
    """One client session and its record:
    w, n, kind, family, implicit, mode, t0, t1 (wall clock), ok, phase,
    reason, detail, transfers [{op, name, size, result}], uploads
    [{remote, size, sha256}] (completed STORs, for soak.py to verify),
    codes (ABOR replies), stage/rst (kills), delay (kill-proc)."""

    def __init__(self, worker, n, kind, rng):
        self.w = worker
        self.rng = rng
        self.plan = worker.plan
        self.rec = {"w": worker.index, "n": n, "kind": kind, "t0": time.time(),
                    "ok": True, "phase": "start", "transfers": [], "uploads": []}
        self.ftp = None

    # ---- helpers --------------------------------------------------------

    def phase(self, p):
        self.rec["phase"] = p

    def time_left(self):
        return self.w.deadline - time.time()

    def big_ok(self):
        return self.time_left() > BIG_CUTOFF

    def endpoint(self):
        """(host, port, implicit, family) for this session."""
        r = self.rng.random()
        if r < 0.15:
            return self.plan["host6"], 21, False, 6
        if r < 0.35:
            return self.plan["host"], 990, True, 4
        return self.plan["host"], 21, False, 4

    def open(self, login=True):
        host, port, implicit, fam = self.endpoint()
        mode = "pasv" if fam == 4 and self.rng.random() < 0.3 else "epsv"
        tls12 = self.rng.random() < 0.25
        self.rec.update(family=fam, implicit=implicit, mode=mode,
                        tls="1.2" if tls12 else "1.3")
        ctx = self.w.ctx12 if tls12 else self.w.ctx
        self.ftp = Client(ctx, self.plan["timeout"], implicit, mode)
        self.phase("connect")
        self.ftp.connect(host, port)
        if login:
            self.phase("login")
            self.ftp.login(self.plan["user"], self.plan["password"])
            self.ftp.prot_p()
            self.ftp.voidcmd("TYPE I")
        return self.ftp

    def quit(self):
        self.phase("quit")
        self.ftp.quit()

    def transfer(self, op, name, size, result):
        self.rec["transfers"].append({"op": op, "name": name, "size": size,
                                      "result": result})

    def download(self, name=None):
        f = self.ftp
        if name is None:
            name = pick(self.rng, DOWNLOAD_WEIGHTS)
            if name == "f100M" and not self.big_ok():
                name = "f1M"
        want = self.plan["files"][name]
        self.phase(f"RETR {name}")
        h = hashlib.sha256()
        got = [0]

        def chunk(b):
            h.update(b)
            got[0] += len(b)
        f.retrbinary(f"RETR {name}", chunk, blocksize=65536)
        ok = got[0] == want["size"] and h.hexdigest() == want["sha256"]
        self.transfer("get", name, got[0], "verified" if ok else "corrupt")
        if not ok:
            self.rec["corrupt"] = (f"RETR {name}: got {got[0]} bytes sha256 "
                                   f"{h.hexdigest()}, want {want['size']} "
                                   f"{want['sha256']}")

    def upload(self):
        f = self.ftp
        size = upload_size(self.rng, self.big_ok())
        data = os.urandom(size)
        remote = f"upload/s{self.rec['w']}-{self.rec['n']}-" \
            f"{len(self.rec['transfers'])}-{size}"
        self.phase(f"STOR {remote}")
        f.storbinary(f"STOR {remote}", io.BytesIO(data), blocksize=65536)
        self.transfer("put", remote, size, "completed")
        self.rec["uploads"].append({"remote": remote, "size": size,
                                    "sha256": hashlib.sha256(data).hexdigest()})

    def listing(self):
        f = self.ftp
        verb = self.rng.choice(("LIST", "NLST"))
        where = self.rng.choice(("", "", "upload"))
        cmd = f"{verb} {where}".strip()
        self.phase(cmd)
        lines = []
        f.retrlines(cmd, lines.append)
        if where == "":
            names = {ln.split()[-1] for ln in lines if ln.split()}
            names = {n.rsplit("/", 1)[-1] for n in names}
            missing = [n for n in ROOT_LISTING if n not in names]
            if missing:
                self.transfer("list", cmd, len(lines), "corrupt")
                self.rec["corrupt"] = f"{cmd}: {missing} missing from " \
                    f"{lines[:20]}"
                return
        self.transfer("list", cmd, len(lines), "verified")

    # ---- kinds ----------------------------------------------------------

    def run_transfer(self):
        self.open()
        for _ in range(self.rng.randint(1, 3)):
            r = self.rng.random()
            if r < 0.55:
                self.download()
            elif r < 0.85:
                self.upload()
            else:
                self.listing()
        self.quit()

    def run_abor(self, down):
        f = self.open()
        if down:
            name = "f100M" if self.rng.random() < 0.8 else "f1M"
            self.phase(f"RETR {name} (to abort)")
            conn = f.transfercmd(f"RETR {name}")
            want = self.rng.randint(0, 1 << 20)
            got = 0
            while got < want:
                b = conn.recv(min(65536, want - got))
                if not b:
                    break
                got += len(b)
            what = ("get", name, got)
        else:
            remote = f"upload/abor{self.rec['w']}-{self.rec['n']}"
            self.phase(f"STOR {remote} (to abort)")
            conn = f.transfercmd(f"STOR {remote}")
            n = self.rng.randint(0, 1 << 20)
            conn.sendall(os.urandom(n))
            what = ("put", remote, n)
        close_first = self.rng.random() < 0.4
        self.rec["abor_order"] = "close-first" if close_first else "abor-first"
        if close_first:
            conn.close()
        self.phase("ABOR")
        f.putcmd("ABOR")
        self.rec["codes"] = f.drain_to_noop()
        if not close_first:
            conn.close()
        self.transfer(what[0], what[1], what[2], "aborted")
        # The session goes on: a NOOP and a verified transfer.
        self.phase("NOOP after ABOR")
        f.voidcmd("NOOP")
        if self.rng.random() < 0.7:
            self.download(self.rng.choice(("f16385", "f1M", "f1", "f0")))
        else:
            self.upload()
        self.quit()

    def run_kill(self):
        stage = self.rng.choice(KILL_STAGES)
        rst = self.rng.random() < 0.5
        self.rec.update(stage=stage, rst=rst)
        plan = self.plan
        if stage in ("tcp", "banner", "auth", "handshake"):
            host, port = plan["host"], 21
            self.rec.update(family=4, implicit=False)
            self.phase("connect")
            s = socket.create_connection((host, port), plan["timeout"])
            try:
                if stage == "tcp":
                    time.sleep(self.rng.random() * 0.5)
                else:
                    self.phase("banner")
                    banner = s.recv(4096)
                    if not banner.startswith(b"220"):
                        raise reply_error(banner[:100].decode(errors="replace"))
                    if stage in ("auth", "handshake"):
                        self.phase("AUTH TLS")
                        s.sendall(b"AUTH TLS\r\n")
                        r = s.recv(4096)
                        if not r.startswith(b"234"):
                            raise reply_error(r[:100].decode(errors="replace"))
                    if stage == "handshake":
                        # A ClientHello, then gone before the handshake ends.
                        self.phase("ClientHello")
                        inc = ssl.MemoryBIO()
                        outg = ssl.MemoryBIO()
                        obj = self.w.ctx.wrap_bio(inc, outg,
                                                  server_hostname=host)
                        try:
                            obj.do_handshake()
                        except ssl.SSLWantReadError:
                            pass
                        s.sendall(outg.read())
                        if self.rng.random() < 0.5:
                            s.recv(4096)
            finally:
                abrupt_close([s], rst)
            self.transfer("kill", stage, 0, "killed")
            return
        f = self.open()
        conn = None
        try:
            if stage == "epsv":
                self.phase("EPSV (then gone)")
                f.makepasv()
            elif stage == "data-connected":
                self.phase("data connection (then gone)")
                conn = f.data_socket()
            elif stage == "mid-download":
                name = "f100M" if self.rng.random() < 0.7 else "f1M"
                self.phase(f"RETR {name} (then gone)")
                conn = f.transfercmd(f"RETR {name}")
                want = self.rng.randint(0, 2 << 20)
                got = 0
                while got < want:
                    b = conn.recv(min(65536, want - got))
                    if not b:
                        break
                    got += len(b)
            elif stage == "after-data":
                # All the data read, gone before the 226 (the gateway holds
                # the server's 226 until the data channel is flushed).
                name = self.rng.choice(("f0", "f16385", "f1M"))
                self.phase(f"RETR {name} (gone before 226)")
                conn = f.transfercmd(f"RETR {name}")
                for _ in range(100000):
                    if not conn.recv(65536):
                        break
                if self.rng.random() < 0.5:
                    conn.unwrap()
            elif stage == "mid-upload":
                self.phase("STOR (then gone)")
                conn = f.transfercmd(f"STOR upload/kill{self.rec['w']}-"
                                     f"{self.rec['n']}")
                conn.sendall(os.urandom(self.rng.randint(0, 1 << 20)))
        finally:
            socks = [conn, f.sock]
            if self.rng.random() < 0.5:
                socks.reverse()
            abrupt_close(socks, rst)
            if f.file is not None:
                try:
                    f.file.close()
                except OSError:
                    pass
            f.sock = f.file = None
        self.transfer("kill", stage, 0, "killed")

    def run_kill_proc(self):
        """A child process in the middle of a session, SIGKILLed."""
        args = {"w": self.rec["w"], "n": self.rec["n"],
                "seed": self.rng.randrange(1 << 30),
                "action": self.rng.choice(("download", "download", "upload"))}
        delay = self.rng.uniform(0.05, 4.0)
        self.rec.update(delay=round(delay, 3), action=args["action"])
        self.phase("victim running")
        p = subprocess.Popen([sys.executable, os.path.abspath(__file__),
                              "--victim", self.w.plan_path, json.dumps(args)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.w.children.add(p)
        try:
            try:
                p.wait(timeout=delay)
                killed = False
            except subprocess.TimeoutExpired:
                p.kill()
                killed = True
            out, err = p.communicate(timeout=30)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait(timeout=10)
            self.w.children.discard(p)
        if killed:
            self.transfer("kill", args["action"], 0, "killed")
            return
        # It finished before the kill: take its own record.
        try:
            child = json.loads(out.decode().strip().splitlines()[-1])
        except (ValueError, IndexError):
            raise RuntimeError(f"victim exited {p.returncode} without a "
                               f"record: {err.decode()[-300:]}") from None
        for k in ("transfers", "uploads", "corrupt", "family", "implicit",
                  "mode", "tls"):
            if k in child:
                self.rec[k] = child[k]
        if not child.get("ok"):
            self.rec["victim_phase"] = child.get("phase")
            raise VictimFailed(child.get("reason", "?"), f"victim: "
                               f"{child.get('detail')}")

    def run_idle(self):
        f = self.open()
        idle = min(self.rng.uniform(2.0, 15.0), max(1.0, self.time_left()))
        end = time.time() + idle
        self.rec["idle"] = round(idle, 2)
        self.phase("idle")
        for _ in range(100):
            left = end - time.time()
            if left <= 0:
                break
            time.sleep(min(left, self.rng.uniform(0.5, 4.0)))
            f.voidcmd("NOOP")
        self.quit()

    # ---- running --------------------------------------------------------

    def run(self):
        kind = self.rec["kind"]
        try:
            if kind == "transfer":
                self.run_transfer()
            elif kind == "abor-down":
                self.run_abor(True)
            elif kind == "abor-up":
                self.run_abor(False)
            elif kind == "kill":
                self.run_kill()
            elif kind == "kill-proc":
                self.run_kill_proc()
            elif kind == "idle":
                self.run_idle()
            elif kind == "victim-download":
                self.open()
                self.download("f100M")
                self.quit()
            elif kind == "victim-upload":
                self.open()
                self.victim_upload()
                self.quit()
        except Exception as e:  # every failure is recorded, none is fatal
            self.rec["ok"] = False
            self.rec["reason"] = reason_of(e)
            self.rec["detail"] = f"{type(e).__name__}: {e}"[:300]
            if self.ftp is not None:
                try:
                    self.ftp.close()
                except OSError:
                    pass
        self.rec["t1"] = time.time()
        if "corrupt" in self.rec:
            self.rec["ok"] = False
            self.rec["reason"] = "corrupt"
        return self.rec

    def victim_upload(self):
        """A 64 MiB streaming upload (the victim is killed long before it
        ends, usually)."""
        f = self.ftp
        size = 64 << 20
        remote = f"upload/victim{self.rec['w']}-{self.rec['n']}"
        self.phase(f"STOR {remote}")
        h = hashlib.sha256()
        with f.transfercmd(f"STOR {remote}") as conn:
            left = size
            while left:
                b = os.urandom(min(left, 1 << 20))
                h.update(b)
                conn.sendall(b)
                left -= len(b)
            conn.unwrap()
        f.voidresp()
        self.transfer("put", remote, size, "completed")
        self.rec["uploads"].append({"remote": remote, "size": size,
                                    "sha256": h.hexdigest()})


class Worker(threading.Thread):
    def __init__(self, index, plan, plan_path, deadline):
        super().__init__(name=f"worker{index}", daemon=True)
        self.index = index
        self.plan = plan
        self.plan_path = plan_path
        self.deadline = deadline
        self.rng = random.Random(plan["seed"] * 1000 + index)
        self.ctx = make_context(plan, None)
        self.ctx12 = make_context(plan, "1.2")
        self.current = None
        self.children = set()

    def run(self):
        for n in range(MAX_SESSIONS_PER_WORKER):
            if time.time() >= self.deadline:
                break
            kind = pick(self.rng, KINDS)
            s = Session(self, n, kind, random.Random(self.rng.randrange(1 << 30)))
            self.current = s
            rec = s.run()
            emit(rec)
            self.current = None
            if not rec["ok"]:
                # Like a real client: do not hammer a gateway whose server
                # is down; a moment, then the next session.
                time.sleep(max(0.0, min(self.rng.uniform(0.3, 1.0),
                                        self.deadline - time.time())))


def make_context(plan, tls_max):
    ctx = ssl.create_default_context(cafile=plan["cafile"])
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if tls_max == "1.2":
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def victim_main(plan_path, args_json):
    with open(plan_path) as f:
        plan = json.load(f)
    args = json.loads(args_json)

    class W:
        pass
    w = W()
    w.index = args["w"]
    w.plan = plan
    w.plan_path = plan_path
    w.deadline = time.time() + 3600
    w.ctx = make_context(plan, None)
    w.ctx12 = make_context(plan, "1.2")
    s = Session(w, args["n"], f"victim-{args['action']}",
                random.Random(args["seed"]))
    emit(s.run())
    return 0


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--victim":
        return victim_main(sys.argv[2], sys.argv[3])
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    plan_path = sys.argv[1]
    with open(plan_path) as f:
        plan = json.load(f)
    deadline = time.time() + plan["seconds"]
    workers = [Worker(i, plan, plan_path, deadline)
               for i in range(plan["clients"])]
    stopping = threading.Event()

    def on_term(signum, frame):
        stopping.set()
    signal.signal(signal.SIGTERM, on_term)
    for w in workers:
        w.start()
    while any(w.is_alive() for w in workers) and not stopping.is_set():
        for w in workers:
            w.join(timeout=0.2)
    if stopping.is_set():
        # soak.py gave up waiting: say what was still running, stop children.
        for w in workers:
            s = w.current
            if s is not None:
                rec = dict(s.rec, inflight=True, t1=time.time(), ok=False,
                           reason="timeout", detail="still running when "
                           f"soak.py stopped the client (phase {s.rec['phase']})")
                emit(rec)
            for p in list(w.children):
                if p.poll() is None:
                    p.kill()
        sys.stdout.flush()
        os._exit(3)
    return 0


if __name__ == "__main__":
    sys.exit(main())
