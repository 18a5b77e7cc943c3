"""System calls of a running process over a span of time, counted by
`strace -c -f -p PID` (issue 14: system calls per relayed 16 KiB record).

strace slows the traced process a great deal: attach it only around a
transfer of its own, never during a timed one.

    with Strace(pid, "/path/summary.txt") as s:   # waits until attached
        ...                                       # the work to count
    s.counts  -> {"read": n, ..., "total": n}     # after the with block

Attaching fails plainly (StraceError with strace's own words) where ptrace
is not allowed (no CAP_SYS_PTRACE, Yama ptrace_scope 3, seccomp), where
strace is missing, or where the process is gone. strace is ended by its PID
with SIGINT, which has -c print its summary (to the -o file), then waited
for within a bound; SIGKILL after that, and the summary is then missing.
"""

import os
import re
import shutil
import signal
import subprocess
import time

ATTACH_TIMEOUT = 10.0
STOP_TIMEOUT = 30.0

# The calls whose count per record the bench prints, and the names each
# stands for (what the relay's libc and OpenSSL's socket BIO may use).
GROUPS = (
    ("read/recvfrom", ("read", "recvfrom", "recvmsg", "readv", "recvmmsg")),
    ("write/sendto", ("write", "sendto", "sendmsg", "writev", "sendmmsg")),
    ("epoll_wait", ("epoll_wait", "epoll_pwait", "epoll_pwait2")),
    ("epoll_ctl", ("epoll_ctl",)),
)

# "% time  seconds  usecs/call  calls  errors  syscall"; errors may be blank.
_ROW = re.compile(r"^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:(\d+)\s+)?(\S+)\s*$")


class StraceError(RuntimeError):
    pass


def version():
    """strace's version line, or None if it is not installed."""
    if not shutil.which("strace"):
        return None
    try:
        r = subprocess.run(["strace", "-V"], capture_output=True, text=True,
                           timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r"version (\S+)", r.stdout)
    return f"strace {m.group(1)}" if m else "strace"


def parse_summary(text):
    """{syscall: calls} from strace -c's table, with "total" (the table's
    own total line, or the sum when the line is missing)."""
    counts = {}
    for line in text.splitlines():
        m = _ROW.match(line)
        if m:
            counts[m.group(3)] = counts.get(m.group(3), 0) + int(m.group(1))
    if counts and "total" not in counts:
        counts["total"] = sum(counts.values())
    return counts


def grouped(counts):
    """[(label, calls)] for GROUPS, then ("other", the rest)."""
    out, named = [], 0
    for label, names in GROUPS:
        n = sum(counts.get(name, 0) for name in names)
        out.append((label, n))
        named += n
    out.append(("other", counts.get("total", 0) - named))
    return out


def _tracer_pids(pid):
    """{tid: TracerPid} for every thread of pid (empty if it is gone)."""
    out = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                for line in f:
                    if line.startswith("TracerPid:"):
                        out[int(tid)] = int(line.split()[1])
                        break
        except OSError:
            pass
    return out


class Strace:
    """strace -c -f -p pid -o path, from __enter__ (once every thread of
    pid is traced) to __exit__ (SIGINT, bounded wait); then self.counts."""

    def __init__(self, pid, path):
        self.pid = pid
        self.path = path
        self.proc = None
        self.counts = None
        self.stderr_path = path + ".stderr"

    def _stderr(self):
        try:
            with open(self.stderr_path, errors="replace") as f:
                return f.read().strip()
        except OSError:
            return ""

    def __enter__(self):
        if not shutil.which("strace"):
            raise StraceError("strace not installed (bash scripts/deps.sh installs it)")
        if not os.path.exists(f"/proc/{self.pid}"):
            raise StraceError(f"process {self.pid} is gone")
        with open(self.stderr_path, "w") as err:
            self.proc = subprocess.Popen(
                ["strace", "-c", "-f", "-o", self.path, "-p", str(self.pid)],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
        deadline = time.monotonic() + ATTACH_TIMEOUT
        while True:
            if self.proc.poll() is not None:
                self.proc = None
                raise StraceError("strace could not attach: " +
                                  (self._stderr()[-300:] or "no message"))
            tracers = _tracer_pids(self.pid)
            if tracers and all(t == self.proc.pid for t in tracers.values()):
                return self
            if time.monotonic() > deadline:
                self.stop()
                raise StraceError(f"strace did not attach to every thread of "
                                  f"{self.pid} within {ATTACH_TIMEOUT:.0f} s "
                                  f"(tracers {sorted(set(tracers.values()))}): "
                                  f"{self._stderr()[-200:]}")
            time.sleep(0.05)

    def stop(self):
        """SIGINT to strace by its PID (it detaches and writes the summary),
        wait up to STOP_TIMEOUT, SIGKILL after that. True when it ended on
        the SIGINT."""
        p, self.proc = self.proc, None
        if p is None:
            return False
        if p.poll() is None:
            os.kill(p.pid, signal.SIGINT)
            try:
                p.wait(timeout=STOP_TIMEOUT)
                return True
            except subprocess.TimeoutExpired:
                os.kill(p.pid, signal.SIGKILL)
                p.wait(timeout=STOP_TIMEOUT)
                return False
        return True

    def __exit__(self, *exc):
        clean = self.stop()
        if exc[0] is not None:
            return False
        if not clean:
            raise StraceError(f"strace did not end within {STOP_TIMEOUT:.0f} s "
                              "of SIGINT (killed; no summary)")
        try:
            with open(self.path, errors="replace") as f:
                self.counts = parse_summary(f.read())
        except OSError as e:
            raise StraceError(f"strace's summary {self.path}: {e}") from e
        if not self.counts:
            raise StraceError("strace wrote no summary: " + self._stderr()[-200:])
        return False
