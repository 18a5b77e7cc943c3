"""make bench-ab: two builds of ftpsgw side by side in one lab, A B A B,
and HAProxy's TLS->TLS relay in the same rounds (issue 14's before/after).

    make bench-ab A=/path/ftpsgw.before B=build/ftpsgw [AB_ARGS="--rounds 8"]
    bench/relay_ab.py --a BIN [--b BIN] [--rounds N] [--download-mib N]
                      [--upload-mib N] [--no-haproxy] [--perf PREFIX]

Both gateways run in the bench's lab (bench/benchlab.py) in front of the
same ProFTPD, A on port 21 and B on 2621; each round downloads the same
file through each (and HAProxy streams it), the order rotating, then
uploads through each if --upload-mib is given. Per transfer: the relay's
CPU per GiB (its cgroup, user and system apart), throughput, and from
/proc (no tracing, so nothing slows the relay): read() and write() calls
per 16 KiB record (syscr and syscw of /proc/PID/io; HAProxy's recv/send
are not counted there, so its columns stay 0) and the relay's voluntary
context switches per record (its sleeps in epoll_wait). At the end the
medians and, per round, B / A and each ÷ HAProxy. --perf PREFIX records a
perf profile (DWARF call graphs) of each relay in the last round, to
PREFIX.KEY. Speed is only reported: the machine's noise is in the rounds.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

import benchlab as B
import figures as F

RECORD = 16384
B_PORT, B_IMPLICIT_PORT = 2621, 2690
NAME = "ab-download"


def proc_counts(pid):
    """(read calls, write calls, voluntary context switches) of pid."""
    with open(f"/proc/{pid}/io") as f:
        io = dict(ln.split(": ") for ln in f.read().splitlines())
    switches = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/status") as f:
            for ln in f:
                if ln.startswith("voluntary_ctxt_switches"):
                    switches += int(ln.split()[1])
    return int(io["syscr"]), int(io["syscw"]), switches


def measured(t, fn):
    """fn() -> the figures dict, with calls and switches per record."""
    before = proc_counts(t.proc.pid)
    r = fn()
    after = proc_counts(t.proc.pid)
    records = r["bytes"] / RECORD
    r["reads"], r["writes"], r["switches"] = (
        (b - a) / records for a, b in zip(before, after))
    return r


def line(label, r):
    return (f"{label:12} {r['mbps']:5.0f} MB/s  CPU {r['proxy_cpu_per_gib']:.2f} "
            f"s/GiB (user {r['proxy_user_per_gib']:.2f}, system "
            f"{r['proxy_sys_per_gib']:.2f})  per record: read {r['reads']:.2f} "
            f"write {r['writes']:.2f} sleeps {r['switches']:.3f}")


def per_round(label, num, den):
    ratios = [a["proxy_cpu_per_gib"] / b["proxy_cpu_per_gib"]
              for a, b in zip(num, den)]
    return (f"{label}: median {statistics.median(ratios):.3f}, rounds " +
            " ".join(f"{x:.2f}" for x in ratios))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--a", required=True, help="ftpsgw binary A (before)")
    p.add_argument("--b", help="ftpsgw binary B (after)")
    p.add_argument("--rounds", type=int, default=6)
    p.add_argument("--download-mib", type=int, default=1024)
    p.add_argument("--upload-mib", type=int, default=0)
    p.add_argument("--no-haproxy", action="store_true")
    p.add_argument("--perf", default="")
    o = p.parse_args()
    res = {}
    with B.BenchLab() as bl:
        bl.start_proftpd()
        bl.gw_binary = os.path.abspath(o.a)
        bl.start_gateway("A")
        keys = ["A"]
        if o.b:
            bl.gw_binary = os.path.abspath(o.b)
            bl.start_gateway("B", port=B_PORT, implicit_port=B_IMPLICIT_PORT)
            keys.append("B")
        bl.big_file(NAME, o.download_mib << 20)
        first = F.curl_transfer(bl, bl.targets["A"], "down", NAME, "/dev/null")
        if not o.no_haproxy and B.haproxy_available() is None:
            t = bl.start_haproxy(os.path.join(bl.backend.home, NAME),
                                 first["client_tls"][0], first["backend_tls"],
                                 len(os.listdir(f"/proc/{bl.targets['A'].proc.pid}/task")) - 1)
            F.tls_stream_check(bl, t)
            keys.append("haproxy")
        src = None
        if o.upload_mib:
            src = bl.lab.path("ab-upload")
            B.L.write_random(src, o.upload_mib << 20)
        for n in range(o.rounds):
            for key in keys[n % len(keys):] + keys[:n % len(keys)]:
                t = bl.targets[key]
                perf = None
                if o.perf and n == o.rounds - 1:
                    perf = subprocess.Popen(
                        ["perf", "record", "-q", "--call-graph", "dwarf,16384",
                         "-F", "2000", "-o", f"{o.perf}.{key}", "-p",
                         str(t.proc.pid)], stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL)
                    time.sleep(0.5)
                if key == "haproxy":
                    r = measured(t, lambda: F.tls_stream(bl, t, o.download_mib << 20))
                else:
                    r = measured(t, lambda: F.curl_transfer(bl, t, "down", NAME,
                                                            "/dev/null"))
                if perf is not None:
                    perf.send_signal(2)
                    perf.wait(60)
                res.setdefault(key, []).append(r)
                print(f"round {n + 1} " + line(key + " down", r), flush=True)
                if src and key != "haproxy":
                    r = measured(t, lambda: F.curl_transfer(
                        bl, t, "up", f"upload/{os.path.basename(src)}", src))
                    os.unlink(os.path.join(bl.backend.upload, os.path.basename(src)))
                    res.setdefault(key + " up", []).append(r)
                    print(f"round {n + 1} " + line(key + " up", r), flush=True)
    print("medians:")
    for key, rs in res.items():
        med = {f: statistics.median(r[f] for r in rs) for f in rs[0]
               if isinstance(rs[0][f], (int, float))}
        print("  " + line(key, med))
    if "B" in res:
        print(per_round("B / A download CPU", res["B"], res["A"]))
        if "B up" in res:
            print(per_round("B / A upload CPU", res["B up"], res["A up"]))
    for key in ("A", "B"):
        if key in res and "haproxy" in res:
            print(per_round(f"{key} / HAProxy download CPU", res[key], res["haproxy"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
