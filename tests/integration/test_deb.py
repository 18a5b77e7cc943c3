"""The Debian package (issue 15, part 2): built with Debian's own tools
(`make deb`: dpkg-buildpackage, then lintian), installed on this machine,
its installed example filled in with the lab's values, the installed
gateway run the way its unit runs it (user ftpsgw, ambient capabilities)
for one real transfer, upgraded, removed and purged.

The machine is left as it was found. Every test purges the package in its
teardown, after stopping what it started. And when this machine already
has an ftpsgw package, account, group or installed file, every test skips
without touching anything: those belong to an administrator.
"""

import contextlib
import glob
import grp
import os
import pwd
import re
import shlex
import shutil
import stat
import subprocess
import time

import pytest

import lab as L

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEB_DIR = os.path.join(REPO, "build", "deb")
CONF = "/etc/ftpsgw/gateway.conf"
UNIT = "/lib/systemd/system/ftpsgw.service"
SBIN = "/usr/sbin/ftpsgw"
CERTS_BIN = "/usr/bin/ftpsgw-certs"
# What the package installs or makes outside dpkg's own database; present
# before the test means an administrator's install.
OURS = (CONF, "/etc/ftpsgw", UNIT, SBIN, CERTS_BIN, "/usr/share/doc/ftpsgw")
# Where dh_installsystemd's scripts keep a unit's state.
SYSTEMD_STATE = ("/etc/systemd/system", "/var/lib/systemd/deb-systemd-helper-enabled",
                 "/var/lib/systemd/deb-systemd-helper-masked")
BUILD_TIMEOUT = 900
DPKG_TIMEOUT = 300
# apt waits this long for another apt or dpkg run on the machine to finish.
LOCK_WAIT = 120
APT = ["apt-get", "-y", "-q", "--no-install-recommends",
       "-o", f"DPkg::Lock::Timeout={LOCK_WAIT}"]


# ---- helpers ----------------------------------------------------------------

def run(argv, timeout=DPKG_TIMEOUT, check=True, env=None):
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=timeout,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive",
                            **(env or {})})
    if check:
        assert r.returncode == 0, f"{argv}: exit {r.returncode}\n{r.stdout}\n{r.stderr}"
    return r


def pkg_status():
    """dpkg's status of ftpsgw ('install ok installed', 'deinstall ok
    config-files', ...) or None when dpkg knows no such package."""
    r = run(["dpkg-query", "-W", "-f=${Status}", "ftpsgw"], check=False)
    if r.returncode != 0 or r.stdout.endswith("not-installed"):
        return None
    return r.stdout


def account(name="ftpsgw"):
    with contextlib.suppress(KeyError):
        return pwd.getpwnam(name)
    return None


def group(name="ftpsgw"):
    with contextlib.suppress(KeyError):
        return grp.getgrnam(name)
    return None


def statoverrides():
    """dpkg-statoverride's records for paths under /etc/ftpsgw."""
    r = run(["dpkg-statoverride", "--list"], check=False)
    return sorted(line for line in r.stdout.splitlines()
                  if "/etc/ftpsgw" in line)


def systemd_state():
    """Every path under the directories where the unit's enablement lives
    that names ftpsgw."""
    found = []
    for top in SYSTEMD_STATE:
        for dirpath, dirs, files in os.walk(top):
            found += [os.path.join(dirpath, n) for n in dirs + files
                      if "ftpsgw" in n]
    return sorted(found)


def owner(path):
    st = os.lstat(path)
    return (pwd.getpwuid(st.st_uid).pw_name, grp.getgrgid(st.st_gid).gr_name,
            stat.S_IMODE(st.st_mode))


def install(deb, *extra, ask_first=True):
    """`apt-get install ./ftpsgw_*.deb`, as an admin installs it. Asked
    first (5 s here; ask_first=False for a repack, whose dependencies are
    the same) what it would do: the package alone, nothing to download (its
    dependencies are installed: scripts/deps.sh), nothing else touched."""
    if ask_first:
        sim = run([*APT, "--simulate", *extra, "install", deb]).stdout
        plan = [line for line in sim.splitlines()
                if line.startswith(("Inst ", "Remv "))]
        assert len(plan) == 1 and plan[0].startswith("Inst ftpsgw "), \
            f"apt-get would do more than install ftpsgw (missing dependencies? " \
            f"bash scripts/deps.sh installs them):\n{sim}"
    return run([*APT, *extra, "install", deb])


def purge():
    return run([*APT, "purge", "ftpsgw"])


def set_keys(path, values):
    """Fill in a gateway.conf the way an admin does: each key's first line,
    active or commented out ("#key = "), becomes "key = value". Fails when
    the example has no line for a key."""
    with open(path) as f:
        lines = f.read().split("\n")
    for key, value in values.items():
        pat = re.compile(rf"^#?{re.escape(key)} = ")
        at = next((i for i, line in enumerate(lines) if pat.match(line)), None)
        assert at is not None, f"{path} has no line for {key}"
        lines[at] = f"{key} = {value}"
    with open(path, "w") as f:
        f.write("\n".join(lines))


def unit_service(path=UNIT):
    """{key: value} of the [Service] section of a unit (the last value of
    a repeated key, as systemd reads these)."""
    section, out = None, {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("["):
                section = line
            elif section == "[Service]" and "=" in line:
                key, _, value = line.partition("=")
                out[key] = value
    return out


def as_the_unit(svc, argv):
    """argv run the way systemd runs the unit's commands, with setpriv(1):
    User= and Group= (supplementary groups from the group database),
    AmbientCapabilities= (inheritable as well, which ambient needs),
    CapabilityBoundingSet= and NoNewPrivileges=, all read from the unit."""
    def caps(key):
        return ",".join("+" + c.lower().removeprefix("cap_")
                        for c in svc[key].split())
    out = ["setpriv", f"--reuid={svc['User']}", f"--regid={svc['Group']}",
           "--init-groups",
           f"--inh-caps=-all,{caps('AmbientCapabilities')}",
           f"--ambient-caps=-all,{caps('AmbientCapabilities')}",
           f"--bounding-set=-all,{caps('CapabilityBoundingSet')}"]
    if svc.get("NoNewPrivileges") == "yes":
        out.append("--no-new-privs")
    return out + argv


def proc_status(pid):
    with open(f"/proc/{pid}/status") as f:
        return dict(line.split(":\t", 1) for line in f.read().splitlines()
                    if ":\t" in line)


def cap_mask(*bits):
    return sum(1 << b for b in bits)


CAP_NET_BIND_SERVICE = 10
CAP_NET_ADMIN = 12


def package_paths(deb):
    """Every path (files and directories) in a .deb, as installed."""
    r = subprocess.run(f"dpkg-deb --fsys-tarfile {shlex.quote(deb)} | tar -t",
                       shell=True, stdout=subprocess.PIPE, text=True,
                       timeout=DPKG_TIMEOUT, check=True)
    return sorted({os.path.normpath("/" + p) for p in r.stdout.split("\n") if p})


def existing(paths):
    return {p for p in paths if os.path.lexists(p)}


def assert_nothing_left(paths, existed_before, systemd_before):
    """After a purge: of the package's paths, exactly those that existed
    before it was installed (/usr, /lib/systemd/system, ...) are there; and
    no configuration, account, group, permission record, unit state or dpkg
    record is left."""
    assert pkg_status() is None
    now = existing(paths)
    assert not now - existed_before, f"left behind by the purge: {now - existed_before}"
    assert existed_before <= now, f"removed by the purge: {existed_before - now}"
    assert not os.path.lexists("/etc/ftpsgw")
    assert account() is None and group() is None
    assert statoverrides() == []
    assert systemd_state() == systemd_before
    assert glob.glob("/var/lib/dpkg/info/ftpsgw.*") == []
    # The account databases (their "-" backups are the shadow tools' own
    # copy of the previous state, not the package's).
    for db in ("/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow"):
        with open(db) as f:
            assert not re.search(r"^ftpsgw:", f.read(), re.M), db


# ---- fixtures ----------------------------------------------------------------

def _machine_is_ours():
    """Skip unless nothing ftpsgw is installed on this machine."""
    if os.geteuid() != 0:
        pytest.skip("installs a Debian package: run as root")
    status = pkg_status()
    if status is not None:
        pytest.skip(f"an ftpsgw package is already on this machine ({status}): "
                    "this test installs and purges its own, so it leaves that "
                    "one alone")
    if account() or group():
        pytest.skip("an account or group ftpsgw already exists here (an "
                    "admin's?): the purge tested here could remove it")
    there = [p for p in OURS if os.path.lexists(p)]
    if there:
        pytest.skip(f"{', '.join(there)} already exist (make install?): "
                    "the package would overwrite them")


@pytest.fixture(scope="module")
def deb():
    """build/deb/ftpsgw_VERSION_ARCH.deb of this tree (`make deb`, which
    reuses a package already built from the same tracked files)."""
    if os.geteuid() != 0:
        pytest.skip("installs a Debian package: run as root")
    missing = [t for t in ("dpkg-buildpackage", "dh", "lintian", "setpriv")
               if shutil.which(t) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed: bash scripts/deps.sh "
                    "installs debhelper, dpkg-dev, lintian, util-linux")
    _machine_is_ours()
    t0 = time.monotonic()
    r = run(["make", "-s", "-C", REPO, "deb"], timeout=BUILD_TIMEOUT, check=False)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-4000:]
    debs = glob.glob(os.path.join(DEB_DIR, "ftpsgw_*.deb"))
    assert len(debs) == 1, debs
    print(f"make deb: {time.monotonic() - t0:.1f} s")
    return debs[0]


@pytest.fixture
def machine(deb):
    """The machine with no ftpsgw on it (else skip); after the test the
    processes registered in .procs are stopped and the package purged,
    whatever happened."""
    _machine_is_ours()

    class Machine:
        pass
    m = Machine()
    m.procs = []            # (lab, Popen) to stop before the purge
    m.systemd_before = systemd_state()
    try:
        yield m
    finally:
        restore(m.procs)


def restore(procs):
    """Put the machine back as _machine_is_ours found it, whatever a test
    or the package got wrong: stop the test's processes, purge, and remove
    what a failed purge would leave (all of it made during the test: none
    of it existed before)."""
    for the_lab, proc in procs:
        the_lab.stop_process(proc)
    if pkg_status() is not None:
        run(["dpkg", "--purge", "ftpsgw"], check=False)
    for line in statoverrides():
        run(["dpkg-statoverride", "--remove", line.split()[-1]], check=False)
    shutil.rmtree("/etc/ftpsgw", ignore_errors=True)
    if account() is not None:
        run(["deluser", "--system", "--quiet", "ftpsgw"], check=False)
    if group() is not None:
        run(["delgroup", "--system", "--quiet", "ftpsgw"], check=False)
    left = [what for what, there in (
        (f"package ftpsgw ({pkg_status()})", pkg_status() is not None),
        ("account ftpsgw", account() is not None),
        ("group ftpsgw", group() is not None)) if there]
    if left:
        raise RuntimeError(f"test_deb.py could not clean up: {', '.join(left)} "
                           "left on this machine; remove them with dpkg "
                           "--purge --force-all ftpsgw; deluser --system ftpsgw")


# ---- tests ----------------------------------------------------------------

def test_install_configure_run_as_the_unit_then_purge(lab, certs, proftpd, deb,
                                                      machine):
    paths = package_paths(deb)
    existed = existing(paths)
    install(deb)
    assert pkg_status() == "install ok installed"
    listed = run(["dpkg", "-L", "ftpsgw"]).stdout.split()
    assert sorted({os.path.normpath(p) for p in listed}) == paths

    # What is where, and who may read it.
    assert owner(SBIN) == ("root", "root", 0o755)
    assert owner(CERTS_BIN) == ("root", "root", 0o755)
    v = run([SBIN, "--version"]).stdout
    assert v.startswith("ftpsgw 0.1.0 "), v
    assert run([CERTS_BIN, "--version"]).stdout.startswith("ftpsgw-certs 0.1.0 ")
    assert owner("/etc/ftpsgw") == ("root", "ftpsgw", 0o750)
    assert owner(CONF) == ("root", "ftpsgw", 0o640)
    with open(CONF, "rb") as f, open(os.path.join(REPO, "gateway.conf"), "rb") as g:
        assert f.read() == g.read()
    conffiles = run(["dpkg-query", "-W", "-f=${Conffiles}", "ftpsgw"]).stdout
    assert conffiles.split()[0] == CONF
    assert statoverrides() == ["root ftpsgw 640 /etc/ftpsgw/gateway.conf",
                               "root ftpsgw 750 /etc/ftpsgw"]

    # The account: a system account of its own group, no login, no home.
    acct = account()
    assert acct is not None
    assert 100 <= acct.pw_uid < 1000, acct
    assert grp.getgrgid(acct.pw_gid).gr_name == "ftpsgw"
    assert acct.pw_shell == "/usr/sbin/nologin"
    assert acct.pw_dir == "/nonexistent" and not os.path.exists("/nonexistent")

    # The unit names the installed paths and is installed, not enabled.
    svc = unit_service()
    assert owner(UNIT) == ("root", "root", 0o644)
    assert svc["ExecStart"] == f"{SBIN} -c {CONF}"
    assert svc["ExecStartPre"] == f"{SBIN} -t -c {CONF}"
    assert svc["User"] == "ftpsgw" and svc["Group"] == "ftpsgw"
    assert svc["AmbientCapabilities"] == "CAP_NET_BIND_SERVICE CAP_NET_ADMIN"
    with open(UNIT) as f:
        assert "/usr/local" not in f.read()
    assert not [p for p in systemd_state() if p.endswith(".wants/ftpsgw.service")]

    # Fill in the installed example with the lab's values, as an admin
    # would: the gateway's certificate and key (readable by group ftpsgw),
    # the CA of the FTP server on the LAN, addresses, conntrack required.
    for src, dst, mode in ((certs.gw_cert, "/etc/ftpsgw/gateway.pem", 0o644),
                           (certs.gw_key, "/etc/ftpsgw/gateway.key", 0o640),
                           (certs.ca_cert, "/etc/ftpsgw/lan-ca.pem", 0o644)):
        shutil.copyfile(src, dst)
        os.chown(dst, 0, group().gr_gid)
        os.chmod(dst, mode)
    set_keys(CONF, {
        "listen": L.hostport(lab.ROUTER_PUB4, 21),
        "certificate": "/etc/ftpsgw/gateway.pem",
        "private_key": "/etc/ftpsgw/gateway.key",
        "backend": proftpd.hostport,
        "backend_ca": "/etc/ftpsgw/lan-ca.pem",
        "conntrack": "on",
    })
    assert owner(CONF) == ("root", "ftpsgw", 0o640)

    # ExecStartPre, then ExecStart, as the unit runs them, in the router.
    pre = lab.run(lab.ns_router, as_the_unit(svc, shlex.split(svc["ExecStartPre"])),
                  timeout=30, check=False)
    assert pre.returncode == 0, pre.stdout + pre.stderr
    assert f"configuration {CONF} OK: 1 listener, backend {proftpd.hostport}" \
        in pre.stdout, pre.stdout

    log_path = lab.path("deb-gateway.log")
    with open(log_path, "wb") as log:
        proc = lab.popen(lab.ns_router, as_the_unit(svc, shlex.split(svc["ExecStart"])),
                         stdout=log, stderr=subprocess.STDOUT)
    machine.procs.append((lab, proc))

    def log_text():
        with open(log_path, errors="replace") as f:
            return f.read()

    deadline = time.monotonic() + L.GATEWAY_START_TIMEOUT
    for _ in range(10000):
        if L.listening(proc.pid, 21) or proc.poll() is not None or \
                time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert L.listening(proc.pid, 21), f"exit {proc.poll()}:\n{log_text()}"

    # It is the installed binary, as ftpsgw, with CAP_NET_ADMIN alone left
    # effective (it dropped CAP_NET_BIND_SERVICE after binding port 21).
    assert os.readlink(f"/proc/{proc.pid}/exe") == SBIN
    st = proc_status(proc.pid)
    assert st["Uid"].split() == [str(acct.pw_uid)] * 4, st["Uid"]
    assert st["Gid"].split() == [str(acct.pw_gid)] * 4, st["Gid"]
    assert int(st["CapEff"], 16) == cap_mask(CAP_NET_ADMIN), st["CapEff"]
    assert int(st["CapBnd"], 16) == cap_mask(CAP_NET_BIND_SERVICE, CAP_NET_ADMIN)
    assert st["NoNewPrivs"] == "1"

    # One real transfer through the strict router: curl, verifying the
    # gateway, FTPS required, the file compared byte for byte.
    out = lab.path("deb-f1M")
    r = lab.run(lab.ns_client,
                ["curl", "-sS", "--ssl-reqd", "--cacert", certs.ca_cert,
                 "--connect-timeout", "5", "--max-time", "60",
                 "-u", f"{proftpd.user}:{proftpd.password}",
                 f"ftp://{lab.ROUTER_PUB4}/f1M", "-o", out],
                timeout=90, check=False)
    assert r.returncode == 0, r.stderr + log_text()[-3000:]
    assert L.files_equal(out, os.path.join(proftpd.home, "f1M"))

    # Stopped by PID, as systemd stops it (SIGTERM), and it exits cleanly.
    rc = lab.stop_process(proc)
    machine.procs.remove((lab, proc))
    assert rc == 0, log_text()[-3000:]

    purge()
    assert_nothing_left(paths, existed, machine.systemd_before)


def repack(deb, version, dest, conf_text=None):
    """The same package as another version (and, with conf_text, another
    example gateway.conf), repacked with dpkg-deb: what an upgrade to a
    newer build installs."""
    tree = os.path.join(dest, f"tree-{version}")
    run(["dpkg-deb", "-R", deb, tree])
    control = os.path.join(tree, "DEBIAN", "control")
    with open(control) as f:
        text = f.read()
    with open(control, "w") as f:
        f.write(re.sub(r"^Version: .*$", f"Version: {version}", text, flags=re.M))
    if conf_text is not None:
        with open(os.path.join(tree, CONF.lstrip("/")), "w") as f:
            f.write(conf_text)
        run(["sh", "-c", f"cd {shlex.quote(tree)} && find . -type f ! -path './DEBIAN/*' "
             "-printf '%P\\0' | xargs -0 md5sum > DEBIAN/md5sums"])
    out = os.path.join(dest, f"ftpsgw_{version}.deb")
    run(["dpkg-deb", "--root-owner-group", "-Zxz", "-b", tree, out])
    return out


def test_upgrade_keeps_configuration_remove_keeps_it_purge_removes_it(
        deb, machine, tmp_path):
    paths = package_paths(deb)
    existed = existing(paths)
    install(deb)
    uid = account().pw_uid

    # The admin's configuration: an edited gateway.conf and a key beside it.
    with open(CONF) as f:
        example = f.read()
    set_keys(CONF, {"backend": "198.51.100.11:21", "conntrack": "on"})
    with open(CONF, "a") as f:
        f.write("# edited by the admin\n")
    with open(CONF) as f:
        mine = f.read()
    assert mine != example
    key = "/etc/ftpsgw/gateway.key"
    with open(key, "w") as f:
        f.write("the admin's key\n")

    def admins_files_kept():
        with open(CONF) as f:
            assert f.read() == mine
        assert owner(CONF) == ("root", "ftpsgw", 0o640)
        assert owner("/etc/ftpsgw") == ("root", "ftpsgw", 0o750)
        with open(key) as f:
            assert f.read() == "the admin's key\n"
        assert account().pw_uid == uid

    # An upgrade with the same example: dpkg keeps the admin's file, asks
    # nothing.
    install(repack(deb, "0.1.0-2", str(tmp_path)), ask_first=False)
    assert run(["dpkg-query", "-W", "-f=${Version}", "ftpsgw"]).stdout == "0.1.0-2"
    admins_files_kept()
    assert not glob.glob(CONF + ".dpkg-*")

    # An upgrade whose example changed: the admin's file stays (the admin
    # said so with --force-confold, as unattended upgrades do), the new
    # example lands beside it.
    new_example = example + "# a key added by a newer release\n"
    install(repack(deb, "0.1.0-3", str(tmp_path), conf_text=new_example),
            "-o", "DPkg::Options::=--force-confold", ask_first=False)
    admins_files_kept()
    with open(CONF + ".dpkg-dist") as f:
        assert f.read() == new_example

    # Remove: the program goes, the configuration and the account stay.
    run([*APT, "remove", "ftpsgw"])
    assert pkg_status() == "deinstall ok config-files"
    assert not os.path.exists(SBIN) and not os.path.exists(UNIT)
    admins_files_kept()
    assert len(statoverrides()) == 2

    # Purge: everything goes, the admin's files in /etc/ftpsgw included.
    purge()
    assert_nothing_left(paths, existed, machine.systemd_before)


def test_purge_keeps_an_account_the_admin_made(deb, machine):
    """An account ftpsgw that existed before the package (made by hand,
    e.g. after `make install`) is the admin's: the package uses it and a
    purge leaves it."""
    run(["adduser", "--system", "--group", "--no-create-home", "--home",
         "/nonexistent", "--quiet", "ftpsgw"])
    try:
        before = account()
        install(deb)
        assert account() == before
        assert owner(CONF) == ("root", "ftpsgw", 0o640)
        purge()
        assert pkg_status() is None
        assert not os.path.lexists("/etc/ftpsgw")
        assert account() == before and group() is not None
    finally:
        restore([])
    assert account() is None and group() is None
