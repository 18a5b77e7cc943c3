#!/usr/bin/python3
"""The session-count benchmark: PSS of ftpsgw with 1,000 and 10,000 idle
logged-in FTPS sessions.

    python3 bench/sessions.py [--counts 1000,10000] [--window 128]

The backend is bench/lightftpd.py (one Python process, TLS, no fork per
session) on 198.51.100.11:21: ProFTPD would need 10,000 processes of about
2 MB each, which measures the backend, not the gateway. Each session is
logged in (AUTH TLS, TLS 1.3 client side, USER/PASS, PBSZ/PROT P; the
gateway's backend leg is TLS 1.2 with the light server) and then idle.

ftpsgw holds two sockets per session (client and server), so 10,000
sessions need some 20,010 descriptors. The driver raises RLIMIT_NOFILE for
itself and everything it starts (ftpsgw, the client, the light server) to
what is needed, or, where raising the hard limit is not allowed (no
CAP_SYS_RESOURCE, e.g. in a container), to the hard limit; when that is too
few for a count, it runs as many sessions as fit and extrapolates the total
linearly to the count asked for, and says so.
"""

import argparse
import contextlib
import json
import os
import resource
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import benchlab as B    # noqa: E402
import figures as F     # noqa: E402

LIGHT_USER = "bench"
LIGHT_PASSWORD = "bench"
# Descriptors kept free beside two per session (listeners, epoll, signalfd,
# netlink, log, stdio, a few in flight).
FD_SPARE = 32


@contextlib.contextmanager
def raised_nofile(want):
    """RLIMIT_NOFILE of this process (and its future children) raised to
    want, or to the hard limit when raising that is not allowed. Yields the
    soft limit in force; the old limits come back at exit."""
    old = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, max(want, old[1])))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (old[1], old[1]))
    try:
        yield resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    finally:
        # Lowering the hard limit back is allowed; lowering below the
        # descriptors in use is not an issue here (they are closed).
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, old)


def run(counts, window=128, log=print):
    """Measure each count; returns {"limit", "hard_limit_before",
    "backend", "results": [...]}."""
    want = 2 * max(counts) + 2 * FD_SPARE
    hard_before = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    with raised_nofile(want) as limit, B.BenchLab() as bl:
        light = bl.start_light()
        t = bl.start_gateway("ftpsgw", backend=light, port=B.GW_PORT,
                             **bl.session_limits(max(counts) + FD_SPARE))
        fit = (limit - FD_SPARE) // 2
        results = []
        for n in counts:
            run_n = min(n, fit)
            log(f"sessions: {run_n} idle sessions through ftpsgw "
                f"(RLIMIT_NOFILE {limit})" +
                (f", {n} asked: the limit allows {fit}" if run_n < n else ""))
            r = F.idle_memory(bl, t, run_n, window=window, user=LIGHT_USER,
                              password=LIGHT_PASSWORD)
            r["requested"] = n
            r["total_mib"] = r["pss_loaded_kib"] / 1024
            r["total_at_requested_mib"] = (r["pss_base_kib"] +
                                           r["kib_per_session"] * n) / 1024
            r["extrapolated"] = r["sessions"] < n
            log(f"sessions: {r['sessions']} idle, {r['failed']} failed in "
                f"{r['setup_seconds']:.1f} s: {r['kib_per_session']:.1f} kB "
                f"PSS per session, {r['total_mib']:.1f} MiB in all")
            results.append(r)
        version, digest = bl.gateway_version()
    return {"limit": limit, "hard_limit_before": hard_before, "wanted": want,
            "backend": f"bench/lightftpd.py on {light}", "ftpsgw": version,
            "ftpsgw_sha256": digest, "results": results}


def report(out):
    """Summary lines of run()'s result."""
    lines = [f"backend {out['backend']}; {out['ftpsgw']}; RLIMIT_NOFILE "
             f"{out['limit']:,} (hard limit before {out['hard_limit_before']:,}, "
             f"wanted {out['wanted']:,})"]
    for r in out["results"]:
        total = r["total_at_requested_mib"] * (1 << 20) / 1e6
        how = (f"extrapolated from {r['sessions']:,} sessions"
               if r["extrapolated"] else "measured")
        lines.append(f"{r['requested']:,} idle sessions: {r['kib_per_session']:.1f} kB "
                     f"PSS per session, {total:.0f} MB in all ({how}); set up in "
                     f"{r['setup_seconds']:.1f} s, {r['cpu_ms_per_login']:.2f} ms of "
                     f"ftpsgw CPU per login; kernel slab +"
                     f"{r['kernel_slab_kib_per_session']:.1f} kB per session "
                     "(whole lab)")
    return lines


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--counts", default="1000,10000",
                   help="comma-separated session counts (default 1000,10000)")
    p.add_argument("--window", type=int, default=128,
                   help="logins in flight at once (default 128)")
    p.add_argument("--json", default=os.path.join(B.REPO, "build", "bench",
                                                  "sessions.json"),
                   help="where the full results go (default build/bench/sessions.json)")
    opts = p.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("sessions.py needs root (network namespaces)")
    out = run([int(c) for c in opts.counts.split(",")], window=opts.window)
    print()
    for line in report(out):
        print(line)
    os.makedirs(os.path.dirname(opts.json), exist_ok=True)
    with open(opts.json, "w") as f:
        json.dump(out, f, indent=1)
    print(f"full results: {opts.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
