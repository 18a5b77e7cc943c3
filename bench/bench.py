#!/usr/bin/python3
"""make bench: ftpsgw against the direct transfer and ProFTPD's mod_proxy,
in the integration tests' namespace lab, A B A B ... round after round,
and ftpsgw's relay CPU against HAProxy relaying a plain TLS stream.

    python3 bench/bench.py [--quick] [--rounds N] [--download-mib N]
        [--upload-mib N] [--latency-count N] [--idle-sessions N]
        [--hs-seconds S] [--sessions 1000,10000|none] [--no-modproxy]
        [--no-haproxy] [--hsloop PATH] [--hsmem PATH] [--out DIR]

Figures (each measured for every target in every round, the targets in a
rotating order):
  - relay CPU seconds per GiB downloaded (every process of the proxy, from
    a cgroup per proxy: mod_proxy forks a process per session), user and
    system apart; HAProxy's relaying a TLS stream of the download's size
    (TLS on both legs, each leg's version and cipher those ftpsgw's legs
    negotiated), and ftpsgw's ratio to it
  - download and upload throughput with curl (TLS 1.3 client side,
    passive), from/to files on tmpfs (curl downloads to /dev/null)
  - login + LIST + QUIT latency with Python's ftplib
  - PSS per idle logged-in session (ftpsgw, mod_proxy)
  - full and resumed TLS handshakes per second of ftpsgw CPU (TLS 1.3 and
    1.2), against ftpsgw's implicit listener, with `openssl speed` as the
    ceiling
after the rounds, ftpsgw's system calls per relayed 16 KiB record: one
more download and one more upload with `strace -c -f -p` attached (never
during a timed figure: strace slows ftpsgw a great deal), "n/a" with the
reason where strace cannot attach; then the session-count benchmark (bench/sessions.py: 1,000 and 10,000 idle
sessions). Prints the medians with min-max and the ratios as a table, and
writes it with every sample to DIR (default build/bench/): results.json,
table.md.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import benchlab as B    # noqa: E402
import figures as F     # noqa: E402
import sessions as SES  # noqa: E402
import syscount         # noqa: E402
from cpuacct import machine_busy  # noqa: E402

PROFILES = {
    "full": {"rounds": 7, "download_mib": 1024, "upload_mib": 256,
             "latency_count": 20, "idle_sessions": 100, "hs_seconds": 3.0,
             "speed_seconds": 2, "sessions": "1000,10000"},
    "quick": {"rounds": 2, "download_mib": 64, "upload_mib": 32,
              "latency_count": 5, "idle_sessions": 30, "hs_seconds": 1.0,
              "speed_seconds": 1, "sessions": "300"},
}
# The FTP targets (every figure), then HAProxy (the download only: a plain
# TLS stream of the same size; not FTP).
FTP_TARGETS = ("ftpsgw", "direct", "mod_proxy")
TARGETS = FTP_TARGETS + ("haproxy",)
# The issue 14 goal: ftpsgw's relay CPU per GiB at most this times HAProxy's.
HAPROXY_RATIO_GOAL = 0.8
HS_MODES = (("full", "1.3"), ("resumed", "1.3"), ("full", "1.2"), ("resumed", "1.2"))
HS_PORT, HS_IMPLICIT_PORT = 2221, 2990
# ftpsgw with workers = 1, for the scaling figure.
ONE_PORT, ONE_IMPLICIT_PORT = 2321, 2390
PARALLEL = 4
PARALLEL_NAME = "bench-parallel"
# Two clients load ftpsgw more than one (the machine has two cores).
HS_CLIENTS = 2
DOWNLOAD_NAME = "bench-download"
UPLOAD_NAME = "bench-upload"
GIB = 1 << 30
MIB = 1 << 20
# Issue 14's goal: ftpsgw's system calls per relayed 16 KiB record.
SYSCALLS_GOAL = 0.5
# Busy cores of other work above which the machine is not quiet enough to
# measure on; the bench waits (bounded) for less before it starts.
QUIET_LOAD = 0.2
QUIET_WAIT = 300


def say(text):
    print(text, flush=True)


def background_load(seconds=1.0):
    """Busy cores over seconds while the bench itself is idle: other work
    on the machine, which disturbs every figure."""
    m0 = machine_busy()
    time.sleep(seconds)
    return (machine_busy() - m0) / seconds


def wait_for_quiet():
    """Wait (bounded) until other work uses less than QUIET_LOAD cores;
    returns the last load seen."""
    deadline = time.monotonic() + QUIET_WAIT
    load = background_load(2.0)
    if load >= QUIET_LOAD:
        say(f"the machine is busy with other work ({load:.2f} cores); waiting up to "
            f"{QUIET_WAIT} s for it to calm down")
    while load >= QUIET_LOAD and time.monotonic() < deadline:
        time.sleep(8)
        load = background_load(2.0)
    if load >= QUIET_LOAD:
        say(f"warning: still {load:.2f} cores of other work; the figures will be "
            "disturbed by it")
    return load


# ---- statistics -------------------------------------------------------------

def summary(values):
    """(median, min, max) of the numbers in values, or None."""
    values = [v for v in values if v is not None]
    if not values:
        return None
    return statistics.median(values), min(values), max(values)


def fmt(s, digits=0, unit=""):
    """'median (min-max)' of a summary, '—' for none."""
    if s is None:
        return "—"
    med, lo, hi = s
    if lo == hi:
        return f"{med:.{digits}f}{unit}"
    return f"{med:.{digits}f}{unit} ({lo:.{digits}f}-{hi:.{digits}f})"


def paired(rounds, figure, key, a, b, invert=False):
    """Per round, a's value / b's value (b / a with invert), where both
    were measured in that round."""
    out = []
    for r in rounds:
        va = r.get(figure, {}).get(a, {}).get(key)
        vb = r.get(figure, {}).get(b, {}).get(key)
        if va and vb:
            out.append(vb / va if invert else va / vb)
    return out


def paired_diff(rounds, figure, key, a, b):
    """Per round, a's value - b's value, where both were measured."""
    out = []
    for r in rounds:
        va = r.get(figure, {}).get(a, {}).get(key)
        vb = r.get(figure, {}).get(b, {}).get(key)
        if va is not None and vb is not None:
            out.append(va - vb)
    return out


def column(rounds, figure, target, key):
    return [r[figure][target][key] for r in rounds
            if target in r.get(figure, {}) and r[figure][target].get(key) is not None]


# ---- the run ----------------------------------------------------------------

class Bench:
    def __init__(self, opts):
        self.opts = opts
        self.rounds = []
        self.errors = []
        self.meta = {}
        self.speed = {}
        self.hsmem = {}
        self.sessions = None
        self.modproxy_reason = None
        self.haproxy_reason = None
        self.syscalls = {}

    def set_up(self, bl):
        o = self.opts
        # The handshake figure makes some 40,000 short sessions; ftpsgw
        # closes its server connection first, so each leaves a TIME_WAIT
        # socket on the router toward the one server address, and past some
        # 10,000 of them connect() spends milliseconds finding a free port
        # (see docs/performance.md). tcp_tw_reuse = 1 is the setting for a
        # gateway that opens many short connections; --tw-reuse 0 shows the
        # kernel's default.
        bl.lab.run(bl.lab.ns_router, ["sysctl", "-q", "-w",
                                      f"net.ipv4.tcp_tw_reuse={o.tw_reuse}"])
        bl.notes.append(f"router: net.ipv4.tcp_tw_reuse = {o.tw_reuse}")
        bl.start_proftpd()
        bl.open_direct_path()
        bl.start_gateway("ftpsgw", **bl.session_limits(o.idle_sessions + 20))
        if not o.no_modproxy:
            self.modproxy_reason = B.modproxy_available()
            if self.modproxy_reason is None:
                bl.start_modproxy()
        else:
            self.modproxy_reason = "--no-modproxy"
        bl.start_gateway("ftpsgw-1w", port=ONE_PORT,
                         implicit_port=ONE_IMPLICIT_PORT, workers=1)
        self.workers = len(os.listdir(f"/proc/{bl.targets['ftpsgw'].proc.pid}/task")) - 1
        light = bl.start_light()
        # backend_tls = off: the figure is the TLS accept toward the client.
        # With TLS toward the backend as well, hsloop's round (handshake,
        # 220, close) ends before ftpsgw's own handshake with the backend
        # does, so that one would be counted only in part, and unevenly.
        bl.start_gateway("ftpsgw-hs", backend=light, port=HS_PORT,
                         implicit_port=HS_IMPLICIT_PORT, backend_tls="off")
        say(f"files: {o.download_mib} MiB to download, {o.upload_mib} MiB to "
            f"upload (random bytes, tmpfs: {bl.lab.workdir})")
        bl.big_file(DOWNLOAD_NAME, o.download_mib * MIB)
        bl.big_file(PARALLEL_NAME, o.upload_mib * MIB)
        bl.start_kernel_path(DOWNLOAD_NAME)
        self.upload_src = bl.lab.path(UPLOAD_NAME)
        B.L.write_random(self.upload_src, o.upload_mib * MIB)
        for line in bl.notes:
            say(f"lab: {line}")
        # A first small transfer through each target: fail early and
        # clearly, and leave mod_proxy out (with the reason) if it fails.
        first = {}
        for key in self.ftp_targets(bl):
            try:
                first[key] = F.curl_transfer(bl, bl.targets[key], "down", "f1M",
                                             "/dev/null")
            except RuntimeError as e:
                if key != "mod_proxy":
                    raise
                self.modproxy_reason = f"mod_proxy failed its first transfer: {e}"
                bl.targets.pop("mod_proxy")
        self.set_up_haproxy(bl, first["ftpsgw"])
        version, digest = bl.gateway_version()
        self.meta.update({"ftpsgw": version, "ftpsgw_sha256": digest,
                          "lab_notes": list(bl.notes),
                          "cpu_method": bl.backend_cpu.method})

    def set_up_haproxy(self, bl, ftpsgw_first):
        """HAProxy relaying the download file as a TLS stream, each leg held
        to the TLS version and cipher ftpsgw's leg on the same side just
        negotiated (curl's toward the client, ProFTPD's toward the server),
        with as many threads as ftpsgw has workers: one per core, each
        relaying one stream on one of them. Left out, with the reason, if it
        is missing or fails its first stream."""
        o = self.opts
        if o.no_haproxy:
            self.haproxy_reason = "--no-haproxy"
            return
        self.haproxy_reason = B.haproxy_available()
        if self.haproxy_reason:
            return
        try:
            client_leg = ftpsgw_first["client_tls"][0]
            t = bl.start_haproxy(os.path.join(bl.backend.home, DOWNLOAD_NAME),
                                 client_leg, ftpsgw_first["backend_tls"],
                                 self.workers)
            legs = F.tls_stream_check(bl, t)
        except (RuntimeError, ValueError, IndexError, OSError, B.L.LabError,
                subprocess.SubprocessError) as e:
            self.haproxy_reason = f"haproxy failed to start or relay: {e}"
            bl.targets.pop("haproxy", None)
            return
        self.meta["haproxy"] = bl.haproxy_version()
        say(f"haproxy: client <-> haproxy {legs['client_tls'][0]}; haproxy <-> "
            f"tlsstream.py {legs['backend_tls']} (ftpsgw's legs: {client_leg}; "
            f"{ftpsgw_first['backend_tls']})")

    @staticmethod
    def targets(bl):
        return [k for k in TARGETS if k in bl.targets]

    @staticmethod
    def ftp_targets(bl):
        return [k for k in FTP_TARGETS if k in bl.targets]

    def measure(self, what, key, fn):
        """fn() -> dict, or None (error recorded) when it fails."""
        try:
            return fn()
        except (RuntimeError, OSError, ValueError, KeyError,
                subprocess.SubprocessError) as e:
            self.errors.append(f"{what} via {key}: {e}")
            say(f"  {what:9} {key:9} FAILED: {str(e)[:200]}")
            return None

    def one_round(self, bl, n):
        keys = self.targets(bl)
        order = keys[n % len(keys):] + keys[:n % len(keys)]
        load = background_load()
        say(f"round {n + 1}/{self.opts.rounds}: order {' '.join(order)} "
            f"(other work before it: {load:.2f} cores)")
        self.rounds.append({
            "order": order,
            "background_load": load,
            "download": self.transfers(bl, order, "down"),
            "upload": self.transfers(bl, [k for k in order if k in FTP_TARGETS], "up"),
            "latency": self.latencies(bl, [k for k in order if k in FTP_TARGETS]),
            "memory": self.memories(bl, [k for k in order
                                         if k in FTP_TARGETS and k != "direct"]),
            "handshakes": self.handshake_rates(bl),
            "parallel": self.parallel(bl, n),
            "kernel": self.kernel_download(bl),
        })

    def transfers(self, bl, order, direction):
        out = {}
        for key in order:
            t = bl.targets[key]
            if key == "haproxy":
                r = self.measure("download", key, lambda: F.tls_stream(
                    bl, t, self.opts.download_mib * MIB))
            elif direction == "down":
                r = self.measure("download", key, lambda: F.curl_transfer(
                    bl, t, "down", DOWNLOAD_NAME, "/dev/null"))
            else:
                r = self.measure("upload", key, lambda: F.curl_transfer(
                    bl, t, "up", f"upload/{UPLOAD_NAME}", self.upload_src))
                uploaded = os.path.join(bl.backend.upload, UPLOAD_NAME)
                if os.path.exists(uploaded):
                    os.unlink(uploaded)
            if r:
                out[key] = r
                say(f"  {direction + 'load':9} {key:9} {r['mbps']:7.0f} MB/s  proxy CPU "
                    f"{_s(r['proxy_cpu_per_gib'])} s/GiB (user "
                    f"{_s(r['proxy_user_per_gib'])}, system "
                    f"{_s(r['proxy_sys_per_gib'])})  server "
                    f"{r['backend_cpu_per_gib']:.2f}  client {r['client_cpu_per_gib']:.2f}"
                    f"  machine {r['machine_cpu_per_gib']:.2f}")
        return out

    def parallel(self, bl, n):
        """PARALLEL downloads at once through ftpsgw with its default
        workers (one per core) and with workers = 1, alternating which
        goes first."""
        out = {}
        keys = ["ftpsgw", "ftpsgw-1w"]
        for key in keys[n % 2:] + keys[:n % 2]:
            t = bl.targets[key]
            r = self.measure("parallel", key, lambda: F.parallel_downloads(
                bl, t, PARALLEL_NAME, PARALLEL))
            if r:
                out[key] = r
                say(f"  parallel  {key:9} {r['mbps']:7.0f} MB/s for {PARALLEL} "
                    f"downloads at once, ftpsgw {r['proxy_cores']:.2f} cores "
                    f"busy, machine {r['machine_cores']:.2f}")
        return out

    def kernel_download(self, bl):
        """The download once more through ftpsgw with data_path = kernel."""
        t = bl.targets["ftpsgw-kernel"]
        r = self.measure("download", "kernel", lambda: F.curl_transfer(
            bl, t, "down", DOWNLOAD_NAME, "/dev/null"))
        if not r:
            return {}
        say(f"  download  kernel    {r['mbps']:7.0f} MB/s  proxy CPU "
            f"{_s(r['proxy_cpu_per_gib'])} s/GiB  server "
            f"{r['backend_cpu_per_gib']:.2f}  curl {r['client_cpu_per_gib']:.2f}"
            f"  machine {r['machine_cpu_per_gib']:.2f}")
        return {"ftpsgw-kernel": r}

    def latencies(self, bl, order):
        out = {}
        for key in order:
            t = bl.targets[key]
            r = self.measure("latency", key,
                             lambda: F.latency(bl, t, self.opts.latency_count))
            if r:
                r["median_ms"] = statistics.median(r["samples"]) * 1000
                out[key] = r
                say(f"  latency   {key:9} {r['median_ms']:7.1f} ms median of "
                    f"{len(r['samples'])}" +
                    (f", {len(r['errors'])} failed" if r["errors"] else ""))
        return out

    def memories(self, bl, order):
        out = {}
        for key in order:
            t = bl.targets[key]
            r = self.measure("memory", key, lambda: F.idle_memory(
                bl, t, self.opts.idle_sessions, window=16))
            if r:
                out[key] = r
                say(f"  memory    {key:9} {r['kib_per_session']:7.1f} kB PSS per idle "
                    f"session ({r['sessions']} sessions, {r['processes']} processes)")
        return out

    def handshake_rates(self, bl):
        out = {}
        t = bl.targets["ftpsgw-hs"]
        for mode, version in HS_MODES:
            name = f"{mode} TLS {version}"
            r = self.measure("handshake", name, lambda: F.handshakes(
                bl, t, self.opts.hsloop, mode, version, self.opts.hs_seconds,
                clients=HS_CLIENTS))
            if r:
                out[name] = r
                say(f"  handshake {name:16} {r['per_core_second']:7.0f} per ftpsgw "
                    f"CPU-second ({r['per_second']:.0f}/s, ftpsgw load "
                    f"{r['proxy_load']:.0%}, {r['protocol']} {r['group']}"
                    f"{', resumed ' + str(r['reused']) if mode == 'resumed' else ''})")
        return out

    def syscall_counts(self, bl):
        """ftpsgw's system calls per relayed 16 KiB record: one download of
        the download file and one upload of the upload file, each with
        strace -c -f attached to ftpsgw for that session alone, after the
        timed rounds (strace slows ftpsgw far too much to measure anything
        else meanwhile). {"strace": version, "download": {...} or
        {"error": why}, "upload": ...}; the bench goes on either way."""
        out = {"strace": syscount.version()}
        t = bl.targets["ftpsgw"]
        for direction, remote, local in (
                ("down", DOWNLOAD_NAME, "/dev/null"),
                ("up", f"upload/{UPLOAD_NAME}", self.upload_src)):
            name = direction + "load"
            path = bl.lab.path(f"strace-{name}.txt")
            try:
                r = F.syscalls_transfer(bl, t, direction, remote, local, path)
            except syscount.StraceError as e:
                out[name] = {"error": str(e)}
                say(f"  syscalls  {name:9} n/a: {e}")
                continue
            except (RuntimeError, OSError, ValueError, KeyError,
                    subprocess.SubprocessError) as e:
                out[name] = {"error": str(e)}
                self.errors.append(f"strace {name} via ftpsgw: {e}")
                say(f"  syscalls  {name:9} FAILED: {str(e)[:200]}")
                continue
            finally:
                uploaded = os.path.join(bl.backend.upload, UPLOAD_NAME)
                if direction == "up" and os.path.exists(uploaded):
                    os.unlink(uploaded)
            out[name] = r
            say(f"  syscalls  {name:9} {r['per_record']:7.2f} per 16 KiB record "
                f"({r['calls']:,} calls, {r['records']:,.0f} records; " +
                ", ".join(f"{k} {v:.2f}" for k, v in r["groups"].items()) + ")")
        return out

    def run(self):
        o = self.opts
        t0 = time.monotonic()
        self.meta.update(machine_facts())
        self.meta["background_load_start"] = wait_for_quiet()
        say(f"openssl speed ({o.speed_seconds} s per figure, one core) ...")
        self.speed = F.openssl_speed(o.speed_seconds)
        with B.BenchLab() as bl:
            self.set_up(bl)
            for mode, version in HS_MODES:
                name = f"{mode} TLS {version}"
                r = self.measure("hsmem", name, lambda: F.hsmem(
                    bl, o.hsmem, mode, version, o.speed_seconds))
                if r:
                    self.hsmem[name] = r
                    say(f"  OpenSSL alone (hsmem) {name:16} server "
                        f"{r['server_per_cpu_second']:7.0f}, client "
                        f"{r['client_per_cpu_second']:7.0f} per CPU-second")
            for n in range(o.rounds):
                self.one_round(bl, n)
            self.syscalls = self.syscall_counts(bl)
        if o.sessions:
            counts = [int(c) for c in o.sessions.split(",")]
            self.sessions = SES.run(counts, log=say)
        self.meta["wall_seconds"] = time.monotonic() - t0


def _s(v):
    return "   —" if v is None else f"{v:4.2f}"


def cache_versions():
    """'package version' lines of the servers, mod_proxy and haproxy
    caches."""
    out = []
    for stamp in ("servers", "modproxy", "haproxy"):
        try:
            with open(os.path.join(B.REPO, ".cache", stamp, "stamp")) as f:
                out += [ln.strip() for ln in f
                        if ln.startswith(("proftpd-", "haproxy "))]
        except OSError:
            pass
    return out


def machine_facts():
    def out(argv):
        try:
            return subprocess.run(argv, capture_output=True, text=True,
                                  timeout=30).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return "?"
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "kernel": platform.release(),
            "cpu": model, "cores": os.cpu_count(),
            "curl": out(["curl", "--version"]).splitlines()[0],
            "peers": cache_versions(),
            "python": platform.python_version()}


# ---- the table --------------------------------------------------------------

def build_table(b):
    """(markdown table lines, notes lines, verdicts {name: bool})."""
    R = b.rounds
    rows, verdicts = [], {}
    has_mp = any("mod_proxy" in r.get("download", {}) for r in R)

    def row(figure, ftpsgw, direct, modproxy, ratio, target, met, haproxy="—"):
        rows.append((figure, ftpsgw, direct, modproxy, haproxy, ratio, target,
                     "—" if met is None else ("yes" if met else "**no**")))
        if met is not None:
            verdicts[figure] = met

    # Relay CPU per GiB downloaded (HAProxy: per GiB of its TLS stream).
    g = summary(column(R, "download", "ftpsgw", "proxy_cpu_per_gib"))
    m = summary(column(R, "download", "mod_proxy", "proxy_cpu_per_gib"))
    h = summary(column(R, "download", "haproxy", "proxy_cpu_per_gib"))
    rel = summary(paired(R, "download", "proxy_cpu_per_gib", "mod_proxy", "ftpsgw"))
    met = None if g is None else g[0] <= 1.0 and (rel is not None and rel[0] >= 5)
    row(f"relay CPU s per GiB downloaded (TLS both sides)", fmt(g, 2), "—",
        fmt(m, 2), f"mod_proxy ÷ ftpsgw {fmt(rel, 2, 'x')}",
        "≤ 1.0 s and ≥ 5x less than mod_proxy", met, fmt(h, 2))
    relh = summary(paired(R, "download", "proxy_cpu_per_gib", "ftpsgw", "haproxy"))
    row("relay CPU s/GiB: ftpsgw vs HAProxy TLS->TLS", fmt(g, 2), "—", "—",
        f"ftpsgw ÷ HAProxy {fmt(relh, 2, 'x')}",
        f"≤ {HAPROXY_RATIO_GOAL}x HAProxy", None if relh is None else
        relh[0] <= HAPROXY_RATIO_GOAL, fmt(h, 2))
    for key, label in (("proxy_user_per_gib", "user"), ("proxy_sys_per_gib", "system")):
        rel = summary(paired(R, "download", key, "ftpsgw", "haproxy"))
        row(f"relay CPU s per GiB downloaded, {label} time",
            fmt(summary(column(R, "download", "ftpsgw", key)), 2), "—",
            fmt(summary(column(R, "download", "mod_proxy", key)), 2),
            f"ftpsgw ÷ HAProxy {fmt(rel, 2, 'x')}" if rel else "—", "—", None,
            fmt(summary(column(R, "download", "haproxy", key)), 2))

    sc = getattr(b, "syscalls", None) or {}
    if sc:
        cells, calls, met = [], [], []
        for name in ("download", "upload"):
            r = sc.get(name) or {"error": "not measured"}
            if "per_record" in r:
                cells.append(f"{r['per_record']:.2f}")
                calls.append(f"{name} {r['calls']:,} calls for {r['records']:,.0f} records")
                met.append(r["per_record"] <= SYSCALLS_GOAL)
            else:
                cells.append("n/a: " + _cell(r["error"], 80))
        row(f"system calls per 16 KiB record relayed (strace -c -f, one download of "
            f"{_size(b.opts.download_mib)} / one upload of {_size(b.opts.upload_mib)})",
            " / ".join(cells), "—", "—", "; ".join(calls) or "—",
            f"≤ {SYSCALLS_GOAL}", all(met) if met else None)

    for fig, label, limit in (("download", "download", 0.85), ("upload", "upload", 0.90)):
        size = b.opts.download_mib if fig == "download" else b.opts.upload_mib
        g = summary(column(R, fig, "ftpsgw", "mbps"))
        d = summary(column(R, fig, "direct", "mbps"))
        m = summary(column(R, fig, "mod_proxy", "mbps"))
        rel = summary(paired(R, fig, "mbps", "ftpsgw", "direct"))
        relm = summary(paired(R, fig, "mbps", "mod_proxy", "direct"))
        ratio = f"{fmt(rel, 2)}" + (f"; mod_proxy {fmt(relm, 2)}" if has_mp else "")
        h = summary(column(R, fig, "haproxy", "mbps"))
        row(f"{label} {_size(size)} throughput, MB/s", fmt(g), fmt(d), fmt(m),
            ratio, f"≥ {limit:.2f} of direct", None if rel is None else rel[0] >= limit,
            fmt(h))

    g = summary(column(R, "latency", "ftpsgw", "median_ms"))
    d = summary(column(R, "latency", "direct", "median_ms"))
    m = summary(column(R, "latency", "mod_proxy", "median_ms"))
    rel = summary(paired(R, "latency", "median_ms", "ftpsgw", "direct"))
    relm = summary(paired(R, "latency", "median_ms", "mod_proxy", "direct"))
    row("login + LIST + QUIT latency (ftplib), ms", fmt(g, 1), fmt(d, 1), fmt(m, 1),
        f"{fmt(rel, 2, 'x')}" + (f"; mod_proxy {fmt(relm, 2, 'x')}" if has_mp else ""),
        "≤ 1.2x direct", None if rel is None else rel[0] <= 1.2)

    fastest = {k: [min(r["latency"][k]["samples"]) * 1000 for r in R
                   if k in r.get("latency", {})] for k in FTP_TARGETS}
    rel = summary([min(r["latency"]["ftpsgw"]["samples"]) /
                   min(r["latency"]["direct"]["samples"]) for r in R
                   if {"ftpsgw", "direct"} <= set(r.get("latency", {}))])
    row("login + LIST + QUIT latency, fastest session of each round, ms",
        *(fmt(summary(fastest[k]), 1) for k in FTP_TARGETS), fmt(rel, 2, "x"), "—", None)

    g = summary(column(R, "memory", "ftpsgw", "kib_per_session"))
    m = summary(column(R, "memory", "mod_proxy", "kib_per_session"))
    n = b.opts.idle_sessions
    row(f"memory per idle logged-in session (PSS, {n} sessions), kB", fmt(g, 1), "—",
        fmt(m, 0), f"mod_proxy ÷ ftpsgw {fmt(summary(paired(R, 'memory', 'kib_per_session', 'mod_proxy', 'ftpsgw')), 0, 'x')}",
        "≤ 40 kB", None if g is None else g[0] <= 40)

    if b.sessions:
        for r in b.sessions["results"]:
            label = f"{r['requested']:,} idle sessions: PSS per session, kB / total, MB"
            total = r["total_at_requested_mib"] * MIB / 1e6
            note = " (extrapolated from " + f"{r['sessions']:,})" if r["extrapolated"] else ""
            target, met = "—", None
            if r["requested"] >= 10000:
                target, met = "10,000 in < 400 MB", total < 400
            row(label, f"{r['kib_per_session']:.1f} / {total:.0f}{note}", "—", "—",
                f"kernel slab +{r['kernel_slab_kib_per_session']:.1f} kB per session "
                "(all 4 sockets and conntrack, whole lab)", target, met)

    ceiling = b.speed.get("full_handshake_ceiling")
    sign = b.speed.get("ecdsap256_sign")
    full = {}
    for mode, version in HS_MODES:
        name = f"{mode} TLS {version}"
        s = summary(column(R, "handshakes", name, "per_core_second"))
        lib = b.hsmem.get(name, {}).get("server_per_cpu_second")
        libtext = f"; {s[0] / lib:.0%} of OpenSSL alone {lib:,.0f}/s" \
            if s is not None and lib else ""
        if mode == "full":
            full[version] = s
            ratio = "—" if s is None or not ceiling else \
                f"{s[0] / ceiling:.0%} of crypto ceiling {ceiling:,.0f}/s{libtext}"
            met = None if s is None or not ceiling else s[0] >= 0.8 * ceiling
            row(f"{name} handshakes per ftpsgw CPU-second", fmt(s), "—", "—", ratio,
                "≥ 80% of openssl speed (ECDSA P-256 + X25519)", met)
        else:
            rel = summary(paired(R, "handshakes", "per_core_second", name,
                                 f"full TLS {version}"))
            row(f"{name} handshakes per ftpsgw CPU-second", fmt(s), "—", "—",
                f"{fmt(rel, 1, 'x')} full{libtext}", "several (≥ 3x) full",
                None if rel is None else rel[0] >= 3)

    g = summary(column(R, "kernel", "ftpsgw-kernel", "proxy_cpu_per_gib"))
    mb = summary(column(R, "kernel", "ftpsgw-kernel", "mbps"))
    mach = summary(column(R, "kernel", "ftpsgw-kernel", "machine_cpu_per_gib"))
    row("ftpsgw CPU s per GiB downloaded with data_path = kernel (TLS on data "
        "end to end; server without session reuse)", fmt(g, 3), "—", "—",
        f"{fmt(mb)} MB/s; whole machine {fmt(mach, 2)} s per GiB", "—", None)

    w = getattr(b, "workers", None)
    g = summary(column(R, "parallel", "ftpsgw", "mbps"))
    one = summary(column(R, "parallel", "ftpsgw-1w", "mbps"))
    rel = summary(paired(R, "parallel", "mbps", "ftpsgw", "ftpsgw-1w"))
    cores = summary(column(R, "parallel", "ftpsgw", "proxy_cores"))
    cores1 = summary(column(R, "parallel", "ftpsgw-1w", "proxy_cores"))
    row(f"{PARALLEL} downloads of {_size(b.opts.upload_mib)} at once, MB/s in all: "
        f"workers = {w} (auto) / workers = 1", f"{fmt(g)} / {fmt(one)}", "—", "—",
        f"{fmt(rel, 2, 'x')} workers = 1; ftpsgw busy {fmt(cores, 2)} / "
        f"{fmt(cores1, 2)} cores", "grows with cores (> 1.1x)",
        None if rel is None else rel[0] > 1.1)

    # Context rows, no target.
    g = summary(column(R, "upload", "ftpsgw", "proxy_cpu_per_gib"))
    m = summary(column(R, "upload", "mod_proxy", "proxy_cpu_per_gib"))
    row("relay CPU s per GiB uploaded", fmt(g, 2), "—", fmt(m, 2), "—", "—", None)
    for fig in ("download", "upload"):
        added = [summary(paired_diff(R, fig, "machine_cpu_per_gib", k, "direct"))
                 for k in ("ftpsgw", "mod_proxy")]
        row(f"whole-machine CPU s per GiB {fig}ed (every process and the kernel)",
            *(fmt(summary(column(R, fig, k, "machine_cpu_per_gib")), 2)
              for k in FTP_TARGETS),
            f"added over direct: ftpsgw {fmt(added[0], 2)}" +
            (f"; mod_proxy {fmt(added[1], 2)}" if has_mp else ""), "—", None)
    for who, key in (("ProFTPD (server)", "backend_cpu_per_gib"),
                     ("curl (client)", "client_cpu_per_gib")):
        row(f"{who} CPU s per GiB downloaded",
            *(fmt(summary(column(R, "download", k, key)), 2) for k in FTP_TARGETS),
            "—", "—", None)
    # HAProxy's stream has other ends than curl and ProFTPD: apart.
    ends = [fmt(summary(column(R, "download", "haproxy", k)), 2)
            for k in ("backend_cpu_per_gib", "client_cpu_per_gib", "machine_cpu_per_gib")]
    if any(e != "—" for e in ends):
        row("HAProxy's TLS stream, CPU s per GiB: sender / reader (bench/tlsstream.py) "
            "/ whole machine", "—", "—", "—", "—", "—", None, " / ".join(ends))
    lines = ["| figure | ftpsgw median (min-max) | direct | mod_proxy | HAProxy TLS->TLS "
             "| ratio | target | met? |",
             "|---|---|---|---|---|---|---|---|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return lines, verdicts


def _cell(text, width):
    """text on one line, no '|', at most width characters."""
    text = " ".join(str(text).split()).replace("|", "/")
    return text if len(text) <= width else text[:width - 1] + "…"


def _size(mib):
    return f"{mib // 1024} GiB" if mib >= 1024 and mib % 1024 == 0 else f"{mib} MiB"


def notes(b):
    s = b.speed
    out = []
    if s.get("aes-128-gcm"):
        out.append(f"openssl speed, one core, 16 KiB blocks: AES-128-GCM "
                   f"{s['aes-128-gcm'] / 1e9:.2f} GB/s, AES-256-GCM "
                   f"{s['aes-256-gcm'] / 1e9:.2f} GB/s; ECDSA P-256 sign "
                   f"{s['ecdsap256_sign']:,.0f}/s, verify {s['ecdsap256_verify']:,.0f}/s; "
                   f"ECDH X25519 {s['ecdh_x25519']:,.0f}/s, P-256 {s['ecdh_p256']:,.0f}/s "
                   f"({s['openssl']})")
        gib = GIB / s["aes-256-gcm"]
        out.append(f"crypto floor of the relay (decrypt + encrypt AES-256-GCM, as "
                   f"negotiated): {2 * gib:.2f} s per GiB; a full handshake's server "
                   f"crypto (1 sign + 2 X25519): {s.get('full_handshake_ceiling', 0):,.0f}/s")
    R = b.rounds
    tls = {}
    for fig in ("download", "upload"):
        for r in R:
            for k, v in r.get(fig, {}).items():
                tls.setdefault(k, (", ".join(v["client_tls"]), v["backend_tls"]))
    for k, (client, backend) in tls.items():
        if k == "direct":
            out.append(f"TLS direct: client <-> ProFTPD {client}")
        elif k == "haproxy":
            out.append(f"TLS haproxy: tlsstream.py <-> haproxy {client}; haproxy <-> "
                       f"tlsstream.py {backend}")
        else:
            out.append(f"TLS {k}: client <-> {k} {client}; {k} <-> ProFTPD {backend}")
    cross = {}
    for r in R:
        for fig in ("download", "upload"):
            for k, v in r.get(fig, {}).items():
                if v.get("proc_cpu_per_gib") and v.get("proxy_cpu_per_gib"):
                    cross.setdefault(k, []).append(v["proc_cpu_per_gib"] /
                                                   v["proxy_cpu_per_gib"])
    if cross:
        out.append(f"CPU accounting: one cgroup per party ({b.meta.get('cpu_method')}), "
                   "user and system time from the same cpu.stat; " + "; ".join(
                       f"for {k} (one process) /proc/PID/stat utime+stime gives "
                       f"{min(v):.0%}-{max(v):.0%} of its cgroup figure"
                       for k, v in sorted(cross.items())))
    closes = [v.get("close_notify") for r in R
              for v in [r.get("download", {}).get("haproxy")] if v]
    if closes and not all(closes):
        out.append(f"haproxy: {closes.count(False)} of {len(closes)} streams ended "
                   "without close_notify toward the reader (all bytes came)")
    hs = R[0]["handshakes"] if R and R[0].get("handshakes") else {}
    if hs:
        loads = [v["proxy_load"] for r in R for v in r["handshakes"].values()]
        out.append(f"handshakes: {HS_CLIENTS} bench/hsloop clients (C, OpenSSL) against "
                   "ftpsgw's implicit port, each round TCP connect + handshake + 220 "
                   "greeting + close (ftpsgw connects to its backend, "
                   "bench/lightftpd.py, in plain FTP, for each); rate per second of ftpsgw CPU "
                   f"time (ftpsgw was {min(loads):.0%}-{max(loads):.0%} busy)")
    if b.hsmem:
        out.append("OpenSSL alone (bench/hsmem: server and client SSL in one thread over a "
                   "memory BIO pair, the gateway's certificate, the client verifying it; "
                   "handshakes per CPU-second of each side): " + "; ".join(
                       f"{k} server {v['server_per_cpu_second']:,.0f}, client "
                       f"{v['client_per_cpu_second']:,.0f}" for k, v in b.hsmem.items()))
    sc = getattr(b, "syscalls", None) or {}
    if sc:
        parts = []
        for name in ("download", "upload"):
            r = sc.get(name) or {"error": "not measured"}
            if "per_record" in r:
                parts.append(f"{name} {r['per_record']:.2f}: " + ", ".join(
                    f"{k} {v:.2f}" for k, v in r["groups"].items()) +
                    f" ({r['threads']} threads; {r['mbps_under_strace']:.0f} MB/s "
                    "under strace, not a throughput figure)")
            else:
                parts.append(f"{name} n/a: {_cell(r['error'], 300)}")
        out.append(f"system calls per 16 KiB record relayed ({sc.get('strace') or 'strace'}"
                   " -c -f -p, attached to ftpsgw after the timed rounds for one more "
                   "transfer each way, from before its login to its end; all calls of "
                   "every thread over the session ÷ (bytes ÷ 16,384)): " +
                   "; ".join(parts))
    if b.sessions:
        ss = b.sessions
        out.append(f"session count: backend {ss['backend']}; RLIMIT_NOFILE "
                   f"{ss['limit']:,} for ftpsgw, the client and the backend "
                   f"(hard limit before: {ss['hard_limit_before']:,}; wanted "
                   f"{ss['wanted']:,})")
    if b.modproxy_reason:
        out.append(f"mod_proxy left out: {b.modproxy_reason}")
    if b.haproxy_reason:
        out.append(f"haproxy left out: {b.haproxy_reason}")
    for line in b.meta.get("lab_notes", []):
        out.append(f"lab: {line}")
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true",
                   help="2 rounds, small sizes (for development)")
    for name in ("rounds", "download_mib", "upload_mib", "latency_count",
                 "idle_sessions"):
        p.add_argument("--" + name.replace("_", "-"), type=int)
    p.add_argument("--hs-seconds", type=float)
    p.add_argument("--sessions", help="session counts, comma-separated, or 'none'")
    p.add_argument("--no-modproxy", action="store_true")
    p.add_argument("--no-haproxy", action="store_true",
                   help="leave out the TLS->TLS relay figure (HAProxy)")
    p.add_argument("--tw-reuse", type=int, choices=(0, 1, 2), default=1,
                   help="net.ipv4.tcp_tw_reuse in the router (default 1)")
    p.add_argument("--hsloop", default=os.path.join(B.REPO, "build", "bench", "hsloop"))
    p.add_argument("--hsmem", default=os.path.join(B.REPO, "build", "bench", "hsmem"))
    p.add_argument("--out", default=os.path.join(B.REPO, "build", "bench"))
    opts = p.parse_args()
    profile = PROFILES["quick" if opts.quick else "full"]
    for k, v in profile.items():
        if getattr(opts, k, None) is None:
            setattr(opts, k, v)
    if opts.sessions == "none":
        opts.sessions = ""
    if os.geteuid() != 0:
        raise SystemExit("bench.py needs root (network namespaces, nftables, cgroups)")
    for tool in (opts.hsloop, opts.hsmem):
        if not os.access(tool, os.X_OK):
            raise SystemExit(f"{tool} missing: run make bench (it builds it)")
    missing = B.S.servers_available()
    if missing:
        raise SystemExit(missing)

    b = Bench(opts)
    b.run()
    table, verdicts = build_table(b)
    note_lines = notes(b)
    m = b.meta
    head = [f"ftpsgw bench, {m['date']}: {m['ftpsgw']} (sha256 {m['ftpsgw_sha256'][:12]}), "
            f"{m['cpu']}, {m['cores']} cores, kernel {m['kernel']}",
            f"{opts.rounds} rounds A B A B (rotating order); {_size(opts.download_mib)} "
            f"download, {_size(opts.upload_mib)} upload, {opts.latency_count} "
            f"latency sessions per target and round; wall time "
            f"{m['wall_seconds'] / 60:.1f} min",
            f"peers: {', '.join(m['peers']) or '?'}; client {m['curl']}" +
            (f"; {m['haproxy']}" if m.get("haproxy") else ""),
            f"other work on the machine (busy cores while the bench idled): "
            f"{m['background_load_start']:.2f} at the start, "
            f"{fmt(summary([r['background_load'] for r in b.rounds]), 2)} before the rounds"]
    say("")
    for line in head:
        say(line)
    say("")
    for line in table:
        say(line)
    say("")
    for line in note_lines:
        say(f"- {line}")
    if b.errors:
        say("")
        say(f"{len(b.errors)} measurement(s) failed:")
        for e in b.errors:
            say(f"  {e[:300]}")
    os.makedirs(opts.out, exist_ok=True)
    with open(os.path.join(opts.out, "table.md"), "w") as f:
        f.write("\n".join(head + [""] + table + [""] + [f"- {n}" for n in note_lines]) + "\n")
    with open(os.path.join(opts.out, "results.json"), "w") as f:
        json.dump({"meta": m, "options": vars(opts), "openssl_speed": b.speed,
                   "rounds": b.rounds, "syscalls": b.syscalls,
                   "sessions": b.sessions, "errors": b.errors,
                   "verdicts": verdicts}, f, indent=1, default=str)
    say("")
    say(f"targets met: {sum(verdicts.values())} of {len(verdicts)}; results in "
        f"{opts.out}/results.json and table.md")
    return 1 if b.errors else 0


if __name__ == "__main__":
    sys.exit(main())
