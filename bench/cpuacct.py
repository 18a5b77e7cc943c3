"""CPU time and memory of a process and all its descendants, dead ones
included, for the benchmark.

A forking server (ProFTPD, mod_proxy) does its work in children that exit
at the end of each session, and /proc/PID/stat of a dead child is gone. So
each measured party gets a cgroup of its own, made by the bench and removed
at the end: cgroup v2's cpu.stat (usage_usec, present in every cgroup even
without the cpu controller) where a cgroup2 hierarchy is mounted, else
cgroup v1's cpuacct.usage. Without either, CpuGroup falls back to /proc:
utime+stime of the live tree plus cutime+cstime of the root, which holds
the children it reaped (servers reap their sessions).
"""

import contextlib
import os
import secrets
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")
# Bounded waits (seconds).
RMDIR_TIMEOUT = 5.0


def _mounts():
    """[(mount point, fstype, options)] from /proc/self/mounts."""
    out = []
    with open("/proc/self/mounts") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 4:
                out.append((parts[1], parts[2], parts[3].split(",")))
    return out


def _cgroup_root():
    """('v2', path) or ('v1', path) of a hierarchy the bench can account
    CPU in, or (None, None)."""
    for mnt, fstype, _ in _mounts():
        if fstype == "cgroup2" and os.access(mnt, os.W_OK):
            return "v2", mnt
    for mnt, fstype, opts in _mounts():
        if fstype == "cgroup" and "cpuacct" in opts and os.access(mnt, os.W_OK):
            return "v1", mnt
    return None, None


def _stat_fields(pid):
    """/proc/PID/stat's fields after the command name, or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def proc_stat(pid):
    """(ppid, utime+stime, cutime+cstime) of pid in seconds, or None."""
    fields = _stat_fields(pid)
    if fields is None:
        return None
    ppid = int(fields[1])
    own = (int(fields[11]) + int(fields[12])) / CLK_TCK
    reaped = (int(fields[13]) + int(fields[14])) / CLK_TCK
    return ppid, own, reaped


def proc_times(pid):
    """(utime, stime, cutime, cstime) of pid in seconds, or None."""
    fields = _stat_fields(pid)
    if fields is None:
        return None
    return tuple(int(x) / CLK_TCK for x in fields[11:15])


def machine_busy():
    """CPU seconds the whole machine spent busy so far (every core: user,
    nice, system, irq, softirq; not steal, the hypervisor's), from
    /proc/stat. Counts the kernel's network work wherever it ran, which
    per-process figures split arbitrarily (on veth, a sender runs its
    receiver's softirq)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:8]]
    user, nice, system, _idle, _iowait, irq, softirq = v
    return (user + nice + system + irq + softirq) / CLK_TCK


def descendants(root):
    """PIDs of root and every live process descending from it."""
    children = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = proc_stat(int(name))
            if st:
                children.setdefault(st[0], []).append(int(name))
    out, todo = [], [root]
    for _ in range(1000000):
        if not todo:
            break
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def pss_kib(pids):
    """Sum of the proportional set size (PSS, kB) of pids, from
    /proc/PID/smaps_rollup; processes that are gone count 0."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        break
    return total


def slab_kib():
    """Kernel slab memory of the whole machine (kB), from /proc/meminfo:
    where socket and conntrack structures live, which no process's PSS
    shows."""
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("Slab:"):
                return int(line.split()[1])
    return 0


class CpuGroup:
    """CPU seconds used by the processes added to it and by everything they
    fork, dead or alive. Use as a context manager or call close()."""

    def __init__(self, name):
        self.kind, root = _cgroup_root()
        self.path = None
        self.roots = []
        if self.kind is not None:
            path = os.path.join(root, f"ftpsgw-bench-{name}-{secrets.token_hex(3)}")
            try:
                os.mkdir(path)
                self.path = path
            except OSError:
                self.kind = None

    @property
    def method(self):
        return {"v2": "cgroup v2 cpu.stat", "v1": "cgroup v1 cpuacct",
                None: "/proc utime+stime (+ reaped children)"}[self.kind]

    def add(self, pid):
        """Account pid (and its future children) here. Call before it forks
        the processes to be measured."""
        self.roots.append(pid)
        if self.path is not None:
            with open(os.path.join(self.path, "cgroup.procs"), "w") as f:
                f.write(str(pid))

    def seconds(self):
        """CPU seconds (user + system) so far."""
        if self.kind == "v2":
            with open(os.path.join(self.path, "cpu.stat")) as f:
                for line in f:
                    key, _, value = line.partition(" ")
                    if key == "usage_usec":
                        return int(value) / 1e6
            raise RuntimeError(f"{self.path}/cpu.stat has no usage_usec")
        if self.kind == "v1":
            with open(os.path.join(self.path, "cpuacct.usage")) as f:
                return int(f.read()) / 1e9
        total = 0.0
        for root in self.roots:
            for pid in descendants(root):
                st = proc_stat(pid)
                if st:
                    total += st[1] + (st[2] if pid == root else 0.0)
        return total

    def times(self):
        """(user, system) CPU seconds so far: cpu.stat's user_usec and
        system_usec (v2; the kernel scales them to sum to usage_usec),
        cpuacct.stat (v1), else utime and stime from /proc."""
        if self.kind == "v2":
            stat = {}
            with open(os.path.join(self.path, "cpu.stat")) as f:
                for line in f:
                    key, _, value = line.partition(" ")
                    stat[key] = value
            if "user_usec" not in stat or "system_usec" not in stat:
                raise RuntimeError(f"{self.path}/cpu.stat has no user_usec/system_usec")
            return int(stat["user_usec"]) / 1e6, int(stat["system_usec"]) / 1e6
        if self.kind == "v1":
            stat = {}
            with open(os.path.join(self.path, "cpuacct.stat")) as f:
                for line in f:
                    key, _, value = line.partition(" ")
                    stat[key] = int(value) / CLK_TCK
            return stat.get("user", 0.0), stat.get("system", 0.0)
        user = system = 0.0
        for root in self.roots:
            for pid in descendants(root):
                t = proc_times(pid)
                if t:
                    user += t[0] + (t[2] if pid == root else 0.0)
                    system += t[1] + (t[3] if pid == root else 0.0)
        return user, system

    def pids(self):
        """Live processes in the group."""
        if self.path is not None:
            with open(os.path.join(self.path, "cgroup.procs")) as f:
                return [int(p) for p in f.read().split()]
        return [p for root in self.roots for p in descendants(root)]

    def close(self):
        """Remove the cgroup (processes still in it go back to the parent)."""
        if self.path is None:
            return
        parent = os.path.join(os.path.dirname(self.path), "cgroup.procs")
        deadline = time.monotonic() + RMDIR_TIMEOUT
        while time.monotonic() < deadline:
            for pid in self.pids():
                with contextlib.suppress(OSError):
                    with open(parent, "w") as f:
                        f.write(str(pid))
            try:
                os.rmdir(self.path)
                break
            except OSError:
                time.sleep(0.05)
        self.path = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
