"""One measurement of one figure for one target (benchlab.Target): the
functions bench/bench.py calls round after round. Each returns a dict of
plain numbers and strings (it goes into the JSON results as it is).

Every wait is bounded; every process started here is stopped by PID.
"""

import json
import os
import re
import resource
import select
import subprocess
import time

import benchlab as B
import syscount
from cpuacct import machine_busy, proc_stat, pss_kib, slab_kib

HERE = os.path.dirname(os.path.abspath(__file__))
GIB = 1 << 30
# A full TLS record's payload: what "per relayed record" counts in.
RECORD = 16384
# ProFTPD's master sleeps 0.4 s after reaping a session before it accepts
# again (DESIGN.md's timing trap, seen in strace: two 0.2 s pselect sleeps).
# Every measurement that opens a session starts at least this long after
# the previous session ended.
SETTLE = 0.6
# After the masters' last session process is gone (0.4 s pause + margin).
LATENCY_PAUSE = 0.5
CURL_TIMEOUT = 300
IDLE_READY_TIMEOUT = 600


def settle():
    time.sleep(SETTLE)


def _children_cpu():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _tls_lines(stderr):
    """'TLSv1.3 / TLS_AES_256_GCM_SHA384' per connection, from curl -v."""
    return re.findall(r"SSL connection using (\S+ / \S+)", stderr)


def _backend_cipher(backend, since):
    """The last cipher ProFTPD's TLS log names after offset since: the leg
    between the backend and whoever talked to it."""
    text = backend.log_text("tls")[since:]
    found = re.findall(r"(TLSv[\d.]+) (?:data )?connection accepted, using "
                       r"cipher (\S+)", text)
    return f"{found[-1][0]} / {found[-1][1]}" if found else "?"


def curl_transfer(bl, t, direction, remote, local):
    """Download remote to local (or upload local to remote) with curl in
    the client namespace, passive (EPSV), TLS as curl and the server
    negotiate. Throughput is counted over the data phase (curl's
    time_total - time_pretransfer), so login and ProFTPD's accept pause
    stay out of it. CPU: the proxy's and the backend's from their groups,
    curl's from getrusage of the finished child, the whole machine's from
    /proc/stat."""
    url = f"ftp://{t.tls_name}:{t.port}/{remote}"
    io = ["-o", local, url] if direction == "down" else ["-T", local, url]
    server = t.backend or bl.backend
    server_cpu = t.backend_cpu or bl.backend_cpu
    argv = ["curl", "-sS", "-v", "--ssl-reqd", "--cacert", bl.certs.ca_cert,
            "--resolve", f"{t.tls_name}:{t.port}:{t.host}",
            "--connect-timeout", "10", "--max-time", str(CURL_TIMEOUT),
            "-u", f"{server.user}:{server.password}", *io,
            "-w", "%{size_download} %{size_upload} %{time_total} %{time_pretransfer}"]
    log_at = len(server.log_text("tls"))
    settle()
    single = t.proc if t.key.startswith("ftpsgw") else None
    proc0 = proc_stat(single.pid)[1] if single else None
    machine0 = machine_busy()
    proxy0 = t.cpu.seconds() if t.cpu else 0.0
    split0 = t.cpu.times() if t.cpu else None
    backend0 = server_cpu.seconds()
    client0 = _children_cpu()
    r = bl.lab.run(bl.lab.ns_client, argv, check=False, timeout=CURL_TIMEOUT + 30)
    client = _children_cpu() - client0
    backend = server_cpu.seconds() - backend0
    proxy = (t.cpu.seconds() - proxy0) if t.cpu else None
    split = _split(t.cpu.times(), split0) if t.cpu else (None, None)
    machine = machine_busy() - machine0
    # ftpsgw is one process: /proc/PID/stat (utime+stime) as a cross-check
    # of its cgroup's figure.
    proc = (proc_stat(single.pid)[1] - proc0) if single else None
    if r.returncode != 0:
        raise RuntimeError(f"curl {direction} via {t.key} failed (exit "
                           f"{r.returncode}): {r.stderr.strip()[-600:]}")
    down, up, total, pretransfer = (float(x) for x in r.stdout.split())
    size = down if direction == "down" else up
    seconds = total - pretransfer
    gib = size / GIB
    return {
        "bytes": int(size),
        "seconds": seconds,
        "mbps": size / seconds / 1e6,
        "proxy_cpu_per_gib": proxy / gib if proxy is not None else None,
        "proxy_user_per_gib": split[0] / gib if split[0] is not None else None,
        "proxy_sys_per_gib": split[1] / gib if split[1] is not None else None,
        "backend_cpu_per_gib": backend / gib,
        "client_cpu_per_gib": client / gib,
        "machine_cpu_per_gib": machine / gib,
        "proc_cpu_per_gib": proc / gib if proc is not None else None,
        "client_tls": sorted(set(_tls_lines(r.stderr))),
        "backend_tls": _backend_cipher(server, log_at),
    }


def syscalls_transfer(bl, t, direction, remote, local, summary_path):
    """One curl transfer through t (an ftpsgw) as curl_transfer does, with
    `strace -c -f -p` attached to t's process (every thread) from before
    the session starts until it has ended: ftpsgw's system calls over the
    whole session, login and data connection included, per 16 KiB of data
    relayed (bytes / RECORD). Only the call counts mean anything here:
    strace slows ftpsgw too much for time or CPU. Raises
    syscount.StraceError when strace cannot attach or gives no summary."""
    with syscount.Strace(t.proc.pid, summary_path) as s:
        r = curl_transfer(bl, t, direction, remote, local)
    records = r["bytes"] / RECORD
    if records <= 0:
        raise RuntimeError(f"strace {direction}load via {t.key}: no bytes moved")
    counts = s.counts
    return {
        "bytes": r["bytes"],
        "records": records,
        "mbps_under_strace": r["mbps"],
        "calls": counts["total"],
        "per_record": counts["total"] / records,
        "groups": {label: n / records for label, n in syscount.grouped(counts)},
        "counts": counts,
        "threads": len(os.listdir(f"/proc/{t.proc.pid}/task")),
    }


def _split(now, before):
    """(user, system) seconds between two CpuGroup.times() readings."""
    return now[0] - before[0], now[1] - before[1]


def tls_stream(bl, t, size):
    """One TLS stream of size bytes through t (HAProxy, TLS on both legs):
    bench/tlsstream.py reads it in the client namespace from t's port,
    verifying the gateway's name, and sends it from the server namespace
    (t.backend_cpu holds that sender). The figures are curl_transfer's:
    throughput over the data phase (the reader's end of handshake to the
    stream's end), the relay's CPU from its group (user and system apart),
    the sender's from its group, the reader's from getrusage, the whole
    machine's from /proc/stat; /proc/PID/stat of the one relay process as
    a cross-check."""
    argv = [B.L.PYTHON, os.path.join(HERE, "tlsstream.py"), "read",
            "--connect", f"{t.host}:{t.port}", "--cafile", bl.certs.ca_cert,
            "--name", t.tls_name, "--timeout", str(CURL_TIMEOUT)]
    log_at = len(_read_text(t.backend_log))
    settle()
    proc0 = proc_stat(t.proc.pid)[1]
    machine0 = machine_busy()
    proxy0 = t.cpu.seconds()
    split0 = t.cpu.times()
    backend0 = t.backend_cpu.seconds()
    client0 = _children_cpu()
    r = bl.lab.run(bl.lab.ns_client, argv, check=False, timeout=CURL_TIMEOUT + 30)
    client = _children_cpu() - client0
    backend = t.backend_cpu.seconds() - backend0
    proxy = t.cpu.seconds() - proxy0
    split = _split(t.cpu.times(), split0)
    machine = machine_busy() - machine0
    proc = proc_stat(t.proc.pid)[1] - proc0
    if r.returncode != 0:
        raise RuntimeError(f"TLS stream via {t.key} failed (exit {r.returncode}): "
                           f"{r.stderr.strip()[-600:]}")
    out = json.loads(r.stdout)
    if out["bytes"] != size:
        raise RuntimeError(f"TLS stream via {t.key}: {out['bytes']} bytes of {size}")
    sent = _stream_entry(t.backend_log, log_at)
    gib = size / GIB
    return {
        "bytes": size,
        "seconds": out["seconds"],
        "mbps": size / out["seconds"] / 1e6,
        "proxy_cpu_per_gib": proxy / gib,
        "proxy_user_per_gib": split[0] / gib,
        "proxy_sys_per_gib": split[1] / gib,
        "backend_cpu_per_gib": backend / gib,
        "client_cpu_per_gib": client / gib,
        "machine_cpu_per_gib": machine / gib,
        "proc_cpu_per_gib": proc / gib,
        "close_notify": out["close_notify"],
        "client_tls": [f"{out['version']} / {out['cipher']}"],
        "backend_tls": f"{sent.get('version', '?')} / {sent.get('cipher', '?')}",
    }


def tls_stream_check(bl, t):
    """A first short read through t (1 MiB, then close): fails early and
    clearly; returns the legs' TLS as tls_stream does."""
    argv = [B.L.PYTHON, os.path.join(HERE, "tlsstream.py"), "read",
            "--connect", f"{t.host}:{t.port}", "--cafile", bl.certs.ca_cert,
            "--name", t.tls_name, "--limit", str(1 << 20), "--timeout", "30"]
    log_at = len(_read_text(t.backend_log))
    r = bl.lab.run(bl.lab.ns_client, argv, check=False, timeout=60)
    if r.returncode != 0:
        raise RuntimeError(f"TLS stream via {t.key} failed (exit {r.returncode}): "
                           f"{r.stderr.strip()[-600:]}")
    out = json.loads(r.stdout)
    sent = _stream_entry(t.backend_log, log_at)
    return {"client_tls": [f"{out['version']} / {out['cipher']}"],
            "backend_tls": f"{sent.get('version', '?')} / {sent.get('cipher', '?')}"}


def _read_text(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def _stream_entry(path, since, timeout=10.0):
    """The last connection tlsstream.py serve logged (with its cipher) in
    path after offset since; it logs each once it has ended, so wait
    (bounded) for it. {} if none came."""
    deadline = time.monotonic() + timeout
    while True:
        for line in reversed(_read_text(path)[since:].splitlines()):
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if "cipher" in entry:
                return entry
        if time.monotonic() > deadline:
            return {}
        time.sleep(0.05)


def parallel_downloads(bl, t, remote, count):
    """count curl downloads of remote through t at once (each its own
    session), to /dev/null. Aggregate throughput is all bytes over the wall
    time from the first start to the last end; the proxy's CPU from its
    group over the same span."""
    url = f"ftp://{t.tls_name}:{t.port}/{remote}"
    argv = ["curl", "-sS", "--ssl-reqd", "--cacert", bl.certs.ca_cert,
            "--resolve", f"{t.tls_name}:{t.port}:{t.host}",
            "--connect-timeout", "10", "--max-time", str(CURL_TIMEOUT),
            "-u", f"{bl.backend.user}:{bl.backend.password}", "-o", "/dev/null",
            url, "-w", "%{size_download}"]
    settle()
    proxy0 = t.cpu.seconds()
    machine0 = machine_busy()
    t0 = time.monotonic()
    procs = [bl.lab.popen(bl.lab.ns_client, argv, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE) for _ in range(count)]
    try:
        outs = [p.communicate(timeout=CURL_TIMEOUT + 30) for p in procs]
    finally:
        for p in procs:
            bl.lab.stop_process(p)
    wall = time.monotonic() - t0
    proxy = t.cpu.seconds() - proxy0
    machine = machine_busy() - machine0
    failed = [(p.returncode, err.decode().strip()[-300:])
              for p, (_, err) in zip(procs, outs) if p.returncode != 0]
    if failed:
        raise RuntimeError(f"{len(failed)} of {count} parallel downloads via "
                           f"{t.key} failed: {failed[0]}")
    size = sum(int(out.decode().strip() or 0) for out, _ in outs)
    return {"bytes": size, "seconds": wall, "mbps": size / wall / 1e6,
            "proxy_cpu_per_gib": proxy / (size / GIB),
            "proxy_cores": proxy / wall, "machine_cores": machine / wall}


def latency(bl, t, count):
    """count sessions of login + LIST + QUIT with Python's ftplib, one at a
    time, each once the ProFTPD masters (backend, mod_proxy) have had no
    session process for LATENCY_PAUSE; returns the samples (seconds)."""
    masters = [bl.backend.pid] + [m.proc.pid for m in bl.targets.values()
                                  if m.key == "mod_proxy"]
    argv = [B.L.PYTHON, os.path.join(HERE, "ftp_latency.py"),
            "--host", t.host, "--port", str(t.port), "--tls-name", t.tls_name,
            "--cafile", bl.certs.ca_cert, "--user", bl.backend.user,
            "--password", bl.backend.password, "--count", str(count),
            "--pause", str(LATENCY_PAUSE),
            "--quiet-pids", ",".join(map(str, masters))]
    r = bl.lab.run(bl.lab.ns_client, argv, check=False,
                   timeout=count * (LATENCY_PAUSE + 25) + 30)
    if r.returncode != 0:
        raise RuntimeError(f"latency client via {t.key} failed: {r.stderr[-600:]}")
    out = json.loads(r.stdout)
    if not out["samples"]:
        raise RuntimeError(f"latency via {t.key}: every session failed: "
                           f"{out['errors'][:3]}")
    return out


class IdleClient:
    """bench/idle_sessions.py in the client namespace, holding sessions."""

    def __init__(self, bl, t, count, window=64, user=None, password=None):
        self.bl = bl
        argv = [B.L.PYTHON, os.path.join(HERE, "idle_sessions.py"),
                "--host", t.host, "--port", str(t.port), "--tls-name", t.tls_name,
                "--cafile", bl.certs.ca_cert,
                "--user", user or bl.backend.user,
                "--password", password or bl.backend.password,
                "--count", str(count), "--window", str(window),
                "--setup-timeout", str(IDLE_READY_TIMEOUT - 30),
                "--hold-timeout", str(IDLE_READY_TIMEOUT)]
        self.proc = bl.lab.popen(bl.lab.ns_client, argv, stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def _line(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], 1.0)
            if ready:
                line = self.proc.stdout.readline()
                if not line:
                    break
                return json.loads(line)
            if self.proc.poll() is not None:
                break
        err = self.proc.stderr.read().decode(errors="replace") if \
            self.proc.poll() is not None else "timeout"
        raise RuntimeError(f"idle_sessions.py gave no report: {err[-600:]}")

    def wait_ready(self):
        """{"idle", "failed", "errors", "seconds"} once all are set up."""
        return self._line(IDLE_READY_TIMEOUT)

    def close(self):
        """Close every session; {"lost": n}."""
        try:
            self.proc.stdin.write(b"close\n")
            self.proc.stdin.flush()
            out = self._line(60)
            self.proc.wait(timeout=30)
            return out
        finally:
            self.bl.lab.stop_process(self.proc)


def wait_quiet(t, timeout=20.0):
    """Wait (bounded) until a forking proxy is back to its master alone."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(t.proxy_pids()) > 1:
        time.sleep(0.1)


def idle_memory(bl, t, sessions, window=32, user=None, password=None):
    """PSS of the proxy (every process of it) before and with sessions
    idle logged-in sessions; kB per session = the difference / sessions.
    ftpsgw is restarted first, so that the heap holds nothing from earlier
    transfers that idle sessions could reuse unseen."""
    if t.key.startswith("ftpsgw"):
        bl.restart_gateway(t.key)
    wait_quiet(t)
    settle()
    base = pss_kib(t.proxy_pids())
    slab0 = slab_kib()
    cpu0 = t.cpu.seconds()
    client = IdleClient(bl, t, sessions, window=window, user=user,
                        password=password)
    try:
        ready = client.wait_ready()
        cpu = t.cpu.seconds() - cpu0
        time.sleep(0.5)     # let the last replies settle
        pids = t.proxy_pids()
        loaded = pss_kib(pids)
        slab = slab_kib() - slab0
    finally:
        lost = client.close()
    wait_quiet(t)
    idle = ready["idle"]
    if idle == 0:
        raise RuntimeError(f"no idle session through {t.key}: {ready}")
    return {
        "sessions": idle,
        "failed": ready["failed"],
        "errors": ready["errors"],
        "setup_seconds": ready["seconds"],
        "pss_base_kib": base,
        "pss_loaded_kib": loaded,
        "processes": len(pids),
        "kib_per_session": (loaded - base) / idle,
        # Every socket of a session in the lab (client, proxy, server) and
        # its conntrack entries: an upper bound of the router's share.
        "kernel_slab_kib_per_session": slab / idle,
        "cpu_ms_per_login": cpu * 1000 / idle,
        "lost": lost.get("lost"),
    }


def handshakes(bl, t, hsloop, mode, version, seconds, clients=1):
    """clients parallel hsloop runs (TLS handshake + 220 greeting +
    close_notify per round) against t's implicit port for seconds;
    handshakes per second of the proxy's CPU time."""
    argv = [hsloop, t.host, str(t.implicit_port), bl.certs.ca_cert, t.tls_name,
            str(seconds), "10000000", mode, version]
    cpu0 = t.cpu.seconds()
    procs = [bl.lab.popen(bl.lab.ns_client, argv, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE) for _ in range(clients)]
    outs = []
    for p in procs:
        try:
            out, err = p.communicate(timeout=seconds + 30)
        finally:
            bl.lab.stop_process(p)
        if p.returncode != 0:
            raise RuntimeError(f"hsloop failed: {err.decode(errors='replace')}")
        outs.append(json.loads(out))
    cpu = t.cpu.seconds() - cpu0
    rounds = sum(o["rounds"] for o in outs)
    wall = max(o["seconds"] for o in outs)
    errors = sum(o["errors"] for o in outs)
    if rounds == 0:
        raise RuntimeError(f"no handshake completed: {outs[0]['first_error']}")
    return {
        "rounds": rounds,
        "errors": errors,
        "first_error": next((o["first_error"] for o in outs if o["first_error"]), ""),
        "reused": sum(o["reused"] for o in outs),
        "per_second": rounds / wall,
        "proxy_cpu": cpu,
        "per_core_second": rounds / cpu if cpu > 0 else None,
        "proxy_load": cpu / wall,
        "protocol": outs[0]["protocol"],
        "cipher": outs[0]["cipher"],
        "group": outs[0]["group"],
    }


def hsmem(bl, binary, mode, version, seconds):
    """bench/hsmem: OpenSSL's own CPU cost of a handshake with no network
    (server with the gateway's certificate, client verifying it), per
    side, as handshakes per CPU-second."""
    argv = [binary, bl.certs.gw_cert, bl.certs.gw_key, bl.certs.ca_cert,
            B.GW_NAME, str(seconds), mode, version]
    r = subprocess.run(argv, capture_output=True, text=True,
                       timeout=seconds + 30)
    if r.returncode != 0:
        raise RuntimeError(f"hsmem failed: {r.stderr.strip()[-300:]}")
    o = json.loads(r.stdout)
    return {"rounds": o["rounds"], "reused": o["reused"],
            "server_per_cpu_second": o["rounds"] / o["server_cpu"],
            "client_per_cpu_second": o["rounds"] / o["client_cpu"],
            "protocol": o["protocol"], "cipher": o["cipher"]}


def openssl_speed(seconds):
    """One core's ceiling from `openssl speed`: AES-GCM bytes/s at 16 KiB
    blocks (TLS records), ECDSA P-256 sign/verify per second, X25519 and
    P-256 ECDH operations per second."""
    def run(args):
        r = subprocess.run(["openssl", "speed", "-seconds", str(seconds), *args],
                           capture_output=True, text=True, timeout=60 + 10 * seconds)
        return r.stdout

    out = {"openssl": subprocess.run(["openssl", "version"], capture_output=True,
                                     text=True, timeout=30).stdout.strip()}
    for name in ("aes-128-gcm", "aes-256-gcm"):
        text = run(["-bytes", "16384", "-evp", name])
        m = re.search(r"^" + re.escape(name.upper()) + r"\s+([\d.]+)k\s*$", text, re.M)
        out[name] = float(m.group(1)) * 1000 if m else None
    text = run(["ecdsap256", "ecdhx25519", "ecdhp256"])
    m = re.search(r"ecdsa \(nistp256\)\s+\S+\s+\S+\s+([\d.]+)\s+([\d.]+)", text)
    out["ecdsap256_sign"], out["ecdsap256_verify"] = \
        (float(m.group(1)), float(m.group(2))) if m else (None, None)
    for key, label in (("ecdh_x25519", r"ecdh \(X25519\)"),
                       ("ecdh_p256", r"ecdh \(nistp256\)")):
        m = re.search(label + r"\s+\S+\s+([\d.]+)", text)
        out[key] = float(m.group(1)) if m else None
    if out["ecdsap256_sign"] and out["ecdh_x25519"]:
        # A full handshake costs the server one signature and two X25519
        # operations (key generation and agreement).
        out["full_handshake_ceiling"] = 1 / (1 / out["ecdsap256_sign"] +
                                             2 / out["ecdh_x25519"])
    return out
