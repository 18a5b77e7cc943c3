#!/usr/bin/python3
"""make soak: a bounded soak test of ftpsgw (hardening issue, part 8).

Builds its own three-namespace lab (tests/integration/lab.py, unique prefix
"soak..."), starts ProFTPD (servers.start_proftpd, strict: session reuse
required) and build/ftpsgw in front of it (log_level info, conntrack on),
then runs tests/soak/soak_client.py in the client namespace: CLIENTS threads,
each a loop of random sessions until SECONDS have passed (transfers verified
by SHA-256, LIST/NLST, ABOR mid-download and mid-upload, abrupt closes and
SIGKILLed client processes at random stages, idle sessions). Meanwhile it
restarts ProFTPD once or twice. At the end it verifies every completed upload
on the server, compares the gateway's open fds, RSS/PSS, open sessions (from
its log) and the router's conntrack expectations with the idle baseline taken
before the workload, and prints one table.

    python3 tests/soak/soak.py [--seconds 180] [--clients 8] [--seed N]
                               [--out build/soak] [--rss-limit-mb 32]

Exit status 0 when everything returned to baseline, every completed transfer
was byte-exact, no failure happened that the backend restarts do not
explain, and the gateway neither died nor logged an unexplained error; 1
otherwise; 2 when the lab could not be set up. The gateway's and ProFTPD's
logs, the client's per-session records (JSON lines) and the summary are
copied to --out. Everything the run made is torn down at the end.
"""

import argparse
import collections
import json
import os
import random
import re
import shlex
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
INTEGRATION = os.path.join(HERE, "..", "integration")
sys.path.insert(0, os.path.abspath(INTEGRATION))

import lab as L                          # noqa: E402
import servers as S                      # noqa: E402

GW4 = L.Lab.ROUTER_PUB4
GW6 = L.Lab.ROUTER_PUB6

CLIENT = os.path.join(HERE, "soak_client.py")

CLIENT_TIMEOUT = 30.0     # every client socket operation (seconds)
IDLE_BEFORE = 1.0         # the gateway idles this long before the baseline
SETTLE_MIN = 3.0          # after the workload, before measuring
SETTLE_MAX = 30.0         # ... and at most this long for things to return
RESTART_DOWNTIME = (1.0, 3.0)
# A failure of a session that overlaps [stop - BEFORE, started + AFTER] is
# explained by the restart; so is an error the gateway logs about the FTP
# server in [stop - BEFORE, started + ERR_AFTER] (connect_timeout is 10 s).
RESTART_BEFORE = 0.5
RESTART_AFTER = 3.0
RESTART_ERR_AFTER = 12.0
# After the deadline, sessions in flight may still finish their transfer.
CLIENT_GRACE = 150.0
PROGRESS_EVERY = 10.0
SAMPLE_EVERY = 5.0

SANITIZER_REPORT = re.compile(
    r"==\d+==ERROR: \w+Sanitizer|\.[ch]:\d+:\d+: runtime error: |"
    r"SUMMARY: \w+Sanitizer|\w+Sanitizer has encountered a fatal error")
LOG_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\.(\d{3}) "
                      r"ftpsgw\[(\w+)\]: (.*)$")


def gw_config(certs, server, **over):
    """The gateway.conf of test_gateway.gw_config (not imported: that module
    needs pytest), with overrides."""
    c = {
        "listen": [f"{GW4}:21", f"[{GW6}]:21"],
        "listen_implicit": f"{GW4}:990",
        "certificate": certs.gw_cert,
        "private_key": certs.gw_key,
        "backend": server.hostport,
        "backend_ca": certs.ca_cert,
        "passive_ports": "40000-40099",
        "conntrack": "on",
        "log_level": "debug",
    }
    c.update(over)
    return c


def say(text=""):
    print(text, flush=True)


# ---- measurements --------------------------------------------------------

def proc_stats(pid):
    """{fds: [targets], rss_kb, hwm_kb, pss_kb} of a process."""
    d = f"/proc/{pid}"
    fds = []
    for fd in sorted(os.listdir(f"{d}/fd"), key=int):
        try:
            fds.append(f"{fd} -> {os.readlink(f'{d}/fd/{fd}')}")
        except OSError:
            pass
    st = {"fds": fds, "rss_kb": None, "hwm_kb": None, "pss_kb": None}
    with open(f"{d}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                st["rss_kb"] = int(line.split()[1])
            elif line.startswith("VmHWM:"):
                st["hwm_kb"] = int(line.split()[1])
    try:
        with open(f"{d}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    st["pss_kb"] = int(line.split()[1])
    except OSError:
        pass
    return st


def expectations(lab):
    """The router's conntrack expectations, one line each."""
    return [ln for ln in lab.conntrack_expect().splitlines() if ln.strip()]


def log_sessions(text):
    """(opened, closed) session counts from the gateway's log."""
    return text.count(": session opened on "), text.count(": session closed (")


def log_time(stamp, ms):
    return time.mktime(time.strptime(stamp, "%Y-%m-%d %H:%M:%S")) + int(ms) / 1000


def measure(lab, gw):
    st = proc_stats(gw.pid)
    st["expect"] = expectations(lab)
    st["opened"], st["closed"] = log_sessions(gw.log_text())
    st["t"] = time.time()
    return st


def fd_kind(target):
    t = target.split(" -> ", 1)[1]
    return re.sub(r"\[\d+\]", "", t) if t.startswith(("socket:", "anon_inode:",
                                                      "pipe:")) else t


# ---- the run ---------------------------------------------------------------

class Soak:
    def __init__(self, opts):
        self.o = opts
        self.lab = None
        self.srv = None
        self.gw = None
        self.certs = None
        self.restarts = []          # [(t_stop, t_started, ok, note)]
        self.samples = []
        self.records = []
        self.out = opts.out
        self.files = {}
        self.asan = False

    def start_server(self):
        self.srv = S.start_proftpd(self.lab, self.certs)

    def restart_backend(self, n):
        t0 = time.time()
        say(f"[{self.elapsed():6.1f}s] backend restart {n}: stopping ProFTPD "
            f"(pid {self.srv.pid})")
        self.srv.stop()
        time.sleep(random.uniform(*RESTART_DOWNTIME))
        note = ""
        try:
            self.start_server()
            ok = True
        except L.LabError as e:
            ok = False
            note = str(e).splitlines()[0]
        t1 = time.time()
        self.restarts.append((t0, t1, ok, note))
        say(f"[{self.elapsed():6.1f}s] backend restart {n}: "
            f"{'ProFTPD back (pid %d)' % self.srv.pid if ok else 'FAILED: ' + note}"
            f" after {t1 - t0:.1f} s")

    def elapsed(self):
        return time.time() - self.t_start

    def read_records(self, path):
        recs = []
        try:
            with open(path) as f:
                for line in f:
                    line = line.strip()
                    if line.startswith("{"):
                        try:
                            recs.append(json.loads(line))
                        except ValueError:
                            pass
        except FileNotFoundError:
            pass
        return recs

    def run(self):
        o = self.o
        lab = self.lab
        self.certs = lab.certs()
        self.files = lab.test_files()
        shas = {n: {"size": os.path.getsize(p), "sha256": L.sha256_file(p)}
                for n, p in self.files.items()}
        self.start_server()
        cfg = gw_config(self.certs, self.srv, log_level="info")
        self.gw = lab.start_gateway(cfg, name="gateway")
        say(f"lab {lab.prefix}: ProFTPD pid {self.srv.pid}, ftpsgw pid "
            f"{self.gw.pid} ({L.GATEWAY_BIN})")
        time.sleep(IDLE_BEFORE)
        with open(f"/proc/{self.gw.pid}/maps") as f:
            self.asan = "libasan" in f.read()
        self.before = measure(lab, self.gw)
        with open(os.path.join(self.out, "fds-before.txt"), "w") as f:
            f.write("\n".join(self.before["fds"]) + "\n")
        say(f"baseline: {len(self.before['fds'])} fds, VmRSS "
            f"{self.before['rss_kb']} kB, PSS {self.before['pss_kb']} kB, "
            f"{len(self.before['expect'])} expectations, sessions "
            f"{self.before['opened']} opened / {self.before['closed']} closed")

        plan = {"host": GW4, "host6": GW6, "cafile": self.certs.ca_cert,
                "user": self.srv.user, "password": self.srv.password,
                "seconds": o.seconds, "clients": o.clients, "seed": o.seed,
                "timeout": CLIENT_TIMEOUT, "files": shas}
        plan_path = lab.path("soak-plan.json")
        with open(plan_path, "w") as f:
            json.dump(plan, f)
        os.chmod(plan_path, 0o644)
        self.client_out = lab.path("soak-client.jsonl")
        self.client_err = lab.path("soak-client.err")
        n_restarts = 2 if o.seconds >= 60 else 1
        restart_at = [o.seconds * (i + 1) / (n_restarts + 1)
                      for i in range(n_restarts)]
        say(f"workload: {o.clients} clients for {o.seconds} s, seed {o.seed}; "
            f"backend restarts at " +
            ", ".join(f"{t:.0f} s" for t in restart_at))

        self.t_start = time.time()
        with open(self.client_out, "wb") as out, open(self.client_err, "wb") as err:
            client = lab.popen(lab.ns_client, [L.PYTHON, CLIENT, plan_path],
                               stdout=out, stderr=err)
        self.client_rc = None
        self.client_stopped = False
        self.gw_died_at = None
        hard_end = self.t_start + o.seconds + CLIENT_GRACE
        next_progress = self.t_start + PROGRESS_EVERY
        next_sample = self.t_start + SAMPLE_EVERY
        done_restarts = 0
        for _ in range(1000000):
            now = time.time()
            if client.poll() is not None:
                self.client_rc = client.returncode
                break
            if not self.gw.alive() and self.gw_died_at is None:
                self.gw_died_at = now
                say(f"[{self.elapsed():6.1f}s] GATEWAY DIED (exit "
                    f"{self.gw.proc.returncode}); stopping the workload")
                break
            if now > hard_end:
                say(f"[{self.elapsed():6.1f}s] the client did not finish within "
                    f"{CLIENT_GRACE:.0f} s after the deadline: stopping it")
                break
            if done_restarts < n_restarts and \
                    now - self.t_start >= restart_at[done_restarts]:
                done_restarts += 1
                self.restart_backend(done_restarts)
                continue
            if now >= next_sample:
                next_sample += SAMPLE_EVERY
                try:
                    self.samples.append(measure(lab, self.gw))
                except OSError:
                    pass
            if now >= next_progress:
                next_progress += PROGRESS_EVERY
                self.progress()
            time.sleep(0.2)
        if client.poll() is None:
            self.client_stopped = True
            # SIGTERM: the client writes its sessions in flight, then exits.
            lab.stop_process(client, timeout=10)
            self.client_rc = client.returncode
        self.t_workload_end = time.time()
        self.records = self.read_records(self.client_out)
        say(f"[{self.elapsed():6.1f}s] workload over: {len(self.records)} "
            f"sessions recorded, client exit {self.client_rc}")

        # One ordinary session after the storm: the gateway still works.
        self.health = self.health_check() if self.gw.alive() else "gateway dead"
        say(f"health check after the workload: {self.health}")

        # Settle, then measure; wait (bounded) for things to return.
        time.sleep(SETTLE_MIN)
        t_settle = time.time()
        after = None
        for _ in range(10000):
            if not self.gw.alive():
                break
            after = measure(lab, self.gw)
            if len(after["fds"]) == len(self.before["fds"]) and \
                    len(after["expect"]) == len(self.before["expect"]) and \
                    after["opened"] - after["closed"] == \
                    self.before["opened"] - self.before["closed"]:
                break
            if time.time() - t_settle > SETTLE_MAX - SETTLE_MIN:
                break
            time.sleep(0.5)
        self.after = after
        self.settle_s = SETTLE_MIN + time.time() - t_settle
        if after is not None:
            with open(os.path.join(self.out, "fds-after.txt"), "w") as f:
                f.write("\n".join(after["fds"]) + "\n")
            with open(os.path.join(self.out, "expectations-after.txt"), "w") as f:
                f.write("\n".join(after["expect"]) + "\n")
        r = lab.run(lab.ns_router, ["ss", "-tanp"], check=False)
        with open(os.path.join(self.out, "router-sockets-after.txt"), "w") as f:
            f.write(r.stdout)

        self.verify_uploads()
        # The gateway's log as it was at the end of the workload, then stop
        # it (SIGTERM: a clean exit; an ASan build reports leaks here).
        self.gw_alive_at_end = self.gw.alive()
        self.gw_exit = self.gw.stop(timeout=10) if self.gw_alive_at_end \
            else self.gw.proc.returncode
        self.collect_logs()
        return self.report()

    def progress(self):
        recs = self.read_records(self.client_out)
        ok = sum(1 for r in recs if r.get("ok"))
        s = self.samples[-1] if self.samples else None
        extra = ""
        if s is not None:
            extra = (f"; gateway {len(s['fds'])} fds, RSS {s['rss_kb']} kB, "
                     f"{s['opened'] - s['closed']} sessions open, "
                     f"{len(s['expect'])} expectations")
        say(f"[{self.elapsed():6.1f}s] {len(recs)} sessions ({ok} ok, "
            f"{len(recs) - ok} not){extra}")

    def health_check(self):
        dl = self.lab.path("health-f1M")
        src = self.files["f16385"]
        r = self.lab.ftpclient(self.lab.ns_client, [
            "--host", GW4, "--user", self.srv.user, "--password",
            self.srv.password, "--cafile", self.certs.ca_cert, "--timeout", "20",
            "get", "f1M", dl, "put", src, "upload/health-after-soak"],
            timeout=120)
        if r.returncode != 0:
            return f"FAILED (exit {r.returncode}): {r.stderr.strip()[-300:]}"
        up = os.path.join(self.srv.upload, "health-after-soak")
        if not (L.files_equal(dl, self.files["f1M"]) and
                L.files_equal(up, src)):
            return "FAILED: not byte-exact"
        return "ok (download f1M and upload 16385 bytes, byte-exact)"

    def verify_uploads(self):
        """Each upload a client saw completed (226) must be on the server
        with the bytes the client sent."""
        self.upload_ok = 0
        self.upload_bytes = 0
        self.upload_bad = []
        for r in self.records:
            for u in r.get("uploads", []):
                path = os.path.join(self.srv.upload, u["remote"].split("/", 1)[1])
                try:
                    size = os.path.getsize(path)
                    sha = L.sha256_file(path)
                except OSError as e:
                    self.upload_bad.append(f"{u['remote']}: {e.strerror}")
                    continue
                if size == u["size"] and sha == u["sha256"]:
                    self.upload_ok += 1
                    self.upload_bytes += size
                    os.unlink(path)
                else:
                    self.upload_bad.append(
                        f"{u['remote']}: server has {size} bytes sha256 "
                        f"{sha[:16]}..., client sent {u['size']} "
                        f"{u['sha256'][:16]}...")

    def collect_logs(self):
        def cp(src, name):
            try:
                shutil.copyfile(src, os.path.join(self.out, name))
            except OSError:
                pass
        cp(self.gw.log_path, "gateway.log")
        cp(self.gw.config_path, "gateway.conf")
        for kind, p in self.srv.log_paths.items():
            cp(p, f"proftpd-{kind}.log")
        cp(self.client_out, "client-sessions.jsonl")
        cp(self.client_err, "client-stderr.log")

    # ---- judging ------------------------------------------------------------

    def in_restart(self, t0, t1, after=RESTART_AFTER):
        return any(t0 <= b + after and t1 >= a - RESTART_BEFORE
                   for a, b, _, _ in self.restarts)

    def report(self):
        o = self.o
        recs = self.records
        kinds = collections.Counter(r["kind"] for r in recs)
        dl_ok = dl_bytes = list_ok = aborted = killed = 0
        corrupt = []
        for r in recs:
            for t in r.get("transfers", []):
                if t["result"] == "verified" and t["op"] == "get":
                    dl_ok += 1
                    dl_bytes += t["size"]
                elif t["result"] == "verified" and t["op"] == "list":
                    list_ok += 1
                elif t["result"] == "aborted":
                    aborted += 1
                elif t["result"] == "killed":
                    killed += 1
            if "corrupt" in r:
                corrupt.append(f"session w{r['w']}#{r['n']}: {r['corrupt']}")
        corrupt += [f"upload {u}" for u in self.upload_bad]
        expected = collections.Counter()
        unexpected = []
        for r in recs:
            if r.get("ok") or "corrupt" in r:
                continue
            reason = r.get("reason", "?")
            if reason != "timeout" and not r.get("inflight") and \
                    self.in_restart(r["t0"], r.get("t1", r["t0"])):
                expected[reason] += 1
            else:
                unexpected.append(r)
        unexpected_by = collections.Counter(r.get("reason", "?") for r in unexpected)

        # The gateway's log.
        text = self.gw.log_text()
        errs_ok, errs_bad = collections.Counter(), []
        for line in text.splitlines():
            m = LOG_LINE.match(line)
            if not m or m.group(3) != "error":
                continue
            t = log_time(m.group(1), m.group(2))
            msg = re.sub(r"#\d+ [0-9a-f.:]+: ", "", m.group(4))
            msg = re.sub(r"\d+\.\d+\.\d+\.\d+(:\d+)?", "ADDR", msg)
            if "FTP server" in msg and self.in_restart(t, t, RESTART_ERR_AFTER):
                errs_ok[msg[:110]] += 1
            else:
                errs_bad.append(line)
        san = SANITIZER_REPORT.search(text)

        b, a = self.before, self.after
        rows = []   # (what, before, after, verdict or None)
        fails = []

        def row(what, before, after, ok=None, note=""):
            verdict = "" if ok is None else ("ok" if ok else "FAIL")
            if note:
                verdict = f"{verdict} ({note})" if verdict else note
            rows.append((what, str(before), str(after), verdict))
            if ok is False:
                fails.append(what)

        def peak(key):
            """The largest count of key (a list) in the samples taken
            every SAMPLE_EVERY seconds during the workload."""
            return max((len(s[key]) for s in self.samples), default="-")

        if a is None:
            row("gateway measured after", "-", "gateway dead", False)
        else:
            row("gateway open fds", len(b["fds"]), len(a["fds"]),
                len(a["fds"]) == len(b["fds"]), f"peak {peak('fds')}")
            drss = (a["rss_kb"] - b["rss_kb"]) / 1024
            if self.asan:
                # ASan's quarantine and shadow memory grow by hundreds of
                # MB by design; LeakSanitizer judges leaks at exit instead
                # (the exit code and the sanitizer row below).
                rss_ok, limit = None, "ASan build: not judged, LeakSanitizer " \
                    "checks at exit"
            else:
                rss_ok, limit = drss <= o.rss_limit_mb, \
                    f"limit +{o.rss_limit_mb:g} MB"
            row("gateway VmRSS", f"{b['rss_kb'] / 1024:.1f} MB",
                f"{a['rss_kb'] / 1024:.1f} MB", rss_ok,
                f"{drss:+.1f} MB, {limit}; peak VmHWM "
                f"{a['hwm_kb'] / 1024:.1f} MB")
            if b["pss_kb"] is not None and a["pss_kb"] is not None:
                row("gateway PSS", f"{b['pss_kb'] / 1024:.1f} MB",
                    f"{a['pss_kb'] / 1024:.1f} MB", None,
                    f"{(a['pss_kb'] - b['pss_kb']) / 1024:+.1f} MB")
            ob, oa = b["opened"] - b["closed"], a["opened"] - a["closed"]
            peak_open = max((s["opened"] - s["closed"] for s in self.samples),
                            default="-")
            row("gateway sessions open (log)", ob, oa, oa == ob,
                f"{a['opened']} opened, {a['closed']} closed; peak {peak_open}")
            row("conntrack expectations (router)", len(b["expect"]),
                len(a["expect"]), len(a["expect"]) == len(b["expect"]),
                f"peak {peak('expect')}")
        row("settle time", "", f"{self.settle_s:.1f} s", None,
            f"after the last session, bounded by {SETTLE_MAX:.0f} s")
        row("client sessions", "", len(recs), len(recs) > 0,
            ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
        row("byte-exact transfers", "", dl_ok + self.upload_ok + list_ok,
            dl_ok + self.upload_ok > 0,
            f"{dl_ok} downloads {dl_bytes / 2**20:.0f} MiB, {self.upload_ok} "
            f"uploads {self.upload_bytes / 2**20:.0f} MiB (checked on the "
            f"server), {list_ok} listings")
        row("transfers NOT byte-exact", "", len(corrupt), not corrupt)
        row("interrupted on purpose", "", aborted + killed, None,
            f"{aborted} ABOR, {killed} kills (close/RST at a random stage, "
            f"SIGKILL)")
        ok_restarts = all(x[2] for x in self.restarts)
        row("backend restarts", "", len(self.restarts), ok_restarts,
            ", ".join(f"at {x[0] - self.t_start:.0f} s, down "
                      f"{x[1] - x[0]:.1f} s" for x in self.restarts))
        row("failed, expected (restart)", "", sum(expected.values()), None,
            ", ".join(f"{k} x{v}" for k, v in expected.most_common()) or "-")
        row("failed, unexpected", "", len(unexpected), not unexpected,
            ", ".join(f"{k} x{v}" for k, v in unexpected_by.most_common()) or "-")
        row("gateway errors in log", "", sum(errs_ok.values()) + len(errs_bad),
            not errs_bad, f"{sum(errs_ok.values())} explained by the restarts, "
            f"{len(errs_bad)} not")
        if san or self.asan:
            row("sanitizer report in log", "", "yes" if san else "none",
                not san)
        alive = self.gw_alive_at_end and self.gw_died_at is None
        row("gateway alive / exit", "", f"alive, exit {self.gw_exit} on SIGTERM"
            if alive else f"DIED (exit {self.gw_exit})",
            alive and self.gw_exit == 0)
        row("health check after", "", "ok" if self.health.startswith("ok")
            else "FAILED", self.health.startswith("ok"))
        row("client exit", "", self.client_rc, self.client_rc == 0
            and not self.client_stopped,
            ("stopped by soak.py: the gateway died" if self.gw_died_at else
             "stopped by soak.py: sessions hung") if self.client_stopped else "")

        # ---- print ----
        lines = []
        w0 = max(len(r[0]) for r in rows)
        w1 = max(max(len(r[1]) for r in rows), len("before"))
        w2 = max(max(len(r[2]) for r in rows), len("after"))
        lines.append(f"{'':{w0}}  {'before':>{w1}}  {'after':>{w2}}  check")
        for what, bf, af, verdict in rows:
            lines.append(f"{what:{w0}}  {bf:>{w1}}  {af:>{w2}}  {verdict}")
        details = []
        for r in unexpected[:25]:
            details.append(
                f"  unexpected: w{r['w']}#{r['n']} {r['kind']} "
                f"{'(in flight) ' if r.get('inflight') else ''}"
                f"phase {r.get('phase')!r} at +{r['t0'] - self.t_start:.1f}.."
                f"+{r.get('t1', r['t0']) - self.t_start:.1f} s: "
                f"{r.get('detail', r.get('reason'))}")
        for c in corrupt[:10]:
            details.append(f"  NOT byte-exact: {c}")
        for ln in errs_bad[:15]:
            details.append(f"  gateway error: {ln}")
        for msg, n in errs_ok.most_common(8):
            details.append(f"  (restart) gateway error x{n}: {msg}")
        if a is not None and len(a["fds"]) != len(b["fds"]):
            cb = collections.Counter(fd_kind(x) for x in b["fds"])
            ca = collections.Counter(fd_kind(x) for x in a["fds"])
            details.append(f"  fds after minus before: {dict(ca - cb)}; "
                           f"before minus after: {dict(cb - ca)}")
        if a is not None and a["expect"] != b["expect"]:
            for e in a["expect"][:10]:
                details.append(f"  expectation left: {e}")
        if not self.health.startswith("ok"):
            details.append(f"  health check: {self.health}")
        result = "PASS" if not fails else "FAIL: " + ", ".join(fails)
        cmd = (f"make soak SOAK_SECONDS={o.seconds} SOAK_CLIENTS={o.clients} "
               f"SOAK_SEED={o.seed}")
        pycmd = " ".join(shlex.quote(x) for x in [L.PYTHON, *sys.argv])
        text = "\n".join(
            [f"soak summary: {o.seconds} s, {o.clients} clients, seed {o.seed}, "
             f"gateway {L.GATEWAY_BIN}", ""] + lines +
            ([""] + details if details else []) +
            ["", f"result: {result}",
             f"logs: {self.out}/ (gateway.log, proftpd-*.log, "
             "client-sessions.jsonl, fds-*.txt)",
             f"command: {cmd}", f"         ({pycmd})"])
        with open(os.path.join(self.out, "summary.txt"), "w") as f:
            f.write(text + "\n")
        say("")
        say(text)
        return 0 if not fails else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=int,
                    default=int(os.environ.get("SOAK_SECONDS", "180")))
    ap.add_argument("--clients", type=int,
                    default=int(os.environ.get("SOAK_CLIENTS", "8")))
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--out", default=os.path.join(L.REPO, "build", "soak"))
    ap.add_argument("--rss-limit-mb", type=float,
                    default=float(os.environ.get("SOAK_RSS_MB", "32")))
    o = ap.parse_args()
    if not 1 <= o.seconds <= 3600 or not 1 <= o.clients <= 64:
        raise SystemExit("soak: --seconds 1..3600 and --clients 1..64")
    if o.seed is None:
        o.seed = random.SystemRandom().randrange(1, 1 << 31)
    random.seed(o.seed)
    if os.geteuid() != 0:
        raise SystemExit("the soak test needs root (network namespaces, nftables)")
    if not os.access(L.GATEWAY_BIN, os.X_OK):
        raise SystemExit(f"{L.GATEWAY_BIN} missing: run make first")
    missing = S.servers_available()
    if missing:
        raise SystemExit(missing)
    os.makedirs(o.out, exist_ok=True)
    for name in os.listdir(o.out):     # only what an earlier run wrote
        if name.endswith((".log", ".txt", ".jsonl", ".conf")):
            os.unlink(os.path.join(o.out, name))

    soak = Soak(o)
    soak.lab = L.Lab(prefix="soak" + os.urandom(3).hex())
    rc = 2
    try:
        soak.lab.up()
        rc = soak.run()
    except (L.LabError, subprocess.SubprocessError, OSError) as e:
        say(f"soak: setup or measurement failed: {e}")
        if soak.gw is not None:
            try:
                shutil.copyfile(soak.gw.log_path, os.path.join(o.out, "gateway.log"))
            except OSError:
                pass
        rc = 2
    finally:
        soak.lab.down()
    return rc


if __name__ == "__main__":
    sys.exit(main())
