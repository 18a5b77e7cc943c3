"""make install / make uninstall (issue 15, part 1): FHS paths under
PREFIX and DESTDIR, a unit and a certbot deploy hook (part 5) that names the installed paths, and the
administrator's gateway.conf never overwritten nor removed; the transfer
log's logrotate file (issue 16, part 3) written once, removed only while
it is the shipped one."""
import gzip
import os
import stat
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TIMEOUT = 120
MAN_PAGES = {"man8/ftpsgw.8.gz": "ftpsgw.8",
             "man5/gateway.conf.5.gz": "gateway.conf.5",
             "man1/ftpsgw-certs.1.gz": "ftpsgw-certs.1"}


def make(*args):
    p = subprocess.run(["make", "-s", "-C", str(REPO), *args],
                       capture_output=True, text=True, timeout=TIMEOUT)
    assert p.returncode == 0, p.stdout + p.stderr
    return p.stdout


def tree(root):
    """{relative path: mode} of every file and directory under root."""
    out = {}
    for dirpath, dirs, files in os.walk(root):
        for name in dirs + files:
            p = Path(dirpath) / name
            out[str(p.relative_to(root))] = stat.S_IMODE(p.lstat().st_mode)
    return out


def man_render(path):
    """man -l's text of an installed page (man-db reads the .gz)."""
    env = dict(os.environ, MANPAGER="cat", MANWIDTH="80", LC_ALL="C.UTF-8")
    p = subprocess.run(["man", "-l", str(path)], capture_output=True,
                       text=True, timeout=TIMEOUT, env=env)
    assert p.returncode == 0, p.stderr
    return p.stdout


def test_install_prefix_usr_then_uninstall(tmp_path):
    stage = tmp_path / "stage"
    said = make("install", f"DESTDIR={stage}", "PREFIX=/usr")
    files = tree(stage)
    assert files["usr/sbin/ftpsgw"] == 0o755
    assert files["usr/bin/ftpsgw-certs"] == 0o755
    assert files["usr/lib/systemd/system/ftpsgw.service"] == 0o644
    assert files["etc/ftpsgw"] == 0o750
    assert files["etc/ftpsgw/gateway.conf"] == 0o640
    assert files["usr/share/doc/ftpsgw/README.md"] == 0o644
    assert files["usr/share/doc/ftpsgw/ftpsgw-alerts.yml"] == 0o644
    assert files["usr/lib/ftpsgw/certbot-deploy-hook"] == 0o755
    assert files["etc/logrotate.d/ftpsgw"] == 0o644
    assert files["usr/share/doc/ftpsgw/logrotate.ftpsgw"] == 0o644
    assert (stage / "etc/logrotate.d/ftpsgw").read_bytes() == \
        (REPO / "etc/logrotate.d/ftpsgw").read_bytes()
    assert "wrote /etc/ftpsgw/gateway.conf" in said
    assert (stage / "etc/ftpsgw/gateway.conf").read_bytes() == \
        (REPO / "gateway.conf").read_bytes()
    # The unit starts the binary where it was put, with this config.
    unit = (stage / "usr/lib/systemd/system/ftpsgw.service").read_text()
    assert "ExecStart=/usr/sbin/ftpsgw -c /etc/ftpsgw/gateway.conf" in unit
    assert "ExecStartPre=/usr/sbin/ftpsgw -t -c /etc/ftpsgw/gateway.conf" \
        in unit
    assert "/usr/local" not in unit
    # The directory of the logrotate file's path, writable by the unit.
    assert "LogsDirectory=ftpsgw" in unit
    assert "/var/log/ftpsgw/xferlog {" in \
        (stage / "etc/logrotate.d/ftpsgw").read_text()
    # The installed binaries are the built ones and run.
    v = subprocess.run([str(stage / "usr/sbin/ftpsgw"), "--version"],
                       capture_output=True, text=True, timeout=10)
    assert v.returncode == 0 and "ftpsgw" in v.stdout + v.stderr
    # The manual: gzipped pages (-n: the same bytes on every install) that
    # man -l renders, each the page in man/ as it is with PREFIX=/usr and
    # sysconfdir=/etc.
    for rel, src in MAN_PAGES.items():
        page = stage / "usr/share/man" / rel
        assert files[str(page.relative_to(stage))] == 0o644
        assert gzip.decompress(page.read_bytes()) == \
            (REPO / "man" / src).read_bytes()
        assert page.read_bytes()[4:8] == b"\0\0\0\0"	# no time inside
    text = man_render(stage / "usr/share/man/man8/ftpsgw.8.gz")
    assert "EXIT STATUS" in text and "ftpsgw [-t | -T] -c file" in text
    text = man_render(stage / "usr/share/man/man5/gateway.conf.5.gz")
    assert "     passive_ports = low-high" in text
    text = man_render(stage / "usr/share/man/man1/ftpsgw-certs.1.gz")
    assert "ftpsgw-certs init-ca --dir dir" in text
    # The hook is the tree's, with the installed path in its usage.
    hook = (stage / "usr/lib/ftpsgw/certbot-deploy-hook").read_text()
    assert hook == (REPO / "etc/certbot-deploy-hook").read_text().replace(
        "/usr/local/lib/ftpsgw", "/usr/lib/ftpsgw")
    assert "--deploy-hook /usr/lib/ftpsgw/certbot-deploy-hook" in hook

    # The administrator's configuration survives a second install ...
    conf = stage / "etc/ftpsgw/gateway.conf"
    conf.write_text("# mine\nbackend = 198.51.100.10:21\n")
    said = make("install", f"DESTDIR={stage}", "PREFIX=/usr")
    assert conf.read_text() == "# mine\nbackend = 198.51.100.10:21\n"
    assert "kept /etc/ftpsgw/gateway.conf" in said
    assert (stage / "etc/ftpsgw/gateway.conf.dist").read_bytes() == \
        (REPO / "gateway.conf").read_bytes()

    # ... and uninstall, which removes everything else it wrote.
    said = make("uninstall", f"DESTDIR={stage}", "PREFIX=/usr")
    left = {p for p, m in tree(stage).items()
            if not (stage / p).is_dir()}
    assert left == {"etc/ftpsgw/gateway.conf"}, left
    assert conf.read_text() == "# mine\nbackend = 198.51.100.10:21\n"
    assert "left as it is" in said


def test_install_default_prefix_and_sysconfdir(tmp_path):
    stage = tmp_path / "stage"
    make("install", f"DESTDIR={stage}", "sysconfdir=/srv/etc")
    files = tree(stage)
    assert "usr/local/sbin/ftpsgw" in files
    assert "usr/local/bin/ftpsgw-certs" in files
    assert "srv/etc/ftpsgw/gateway.conf" in files
    unit = (stage / "usr/local/lib/systemd/system/ftpsgw.service").read_text()
    assert "ExecStart=/usr/local/sbin/ftpsgw -c /srv/etc/ftpsgw/gateway.conf" \
        in unit
    assert "/etc/ftpsgw" not in unit.replace("/srv/etc/ftpsgw", "")
    # The pages name the configuration where it was put.
    text = man_render(stage / "usr/local/share/man/man5/gateway.conf.5.gz")
    assert "/srv/etc/ftpsgw/gateway.conf" in text
    assert "/etc/ftpsgw" not in text.replace("/srv/etc/ftpsgw", "")
    certs = gzip.decompress((stage / "usr/local/share/man/man1/"
                             "ftpsgw-certs.1.gz").read_bytes()).decode()
    assert "--dir /srv/etc/ftpsgw/ca" in certs
    # The installed hook reads its settings, and installs by default, in
    # that configuration directory: run, it names the file it looks for.
    hook = stage / "usr/local/lib/ftpsgw/certbot-deploy-hook"
    text = hook.read_text()
    assert "/etc/ftpsgw" not in text.replace("/srv/etc/ftpsgw", "")
    assert "certificate=/srv/etc/ftpsgw/gateway.chain.pem" in text
    env = {k: v for k, v in os.environ.items() if k != "FTPSGW_HOOK_CONF"}
    r = subprocess.run([str(hook)], capture_output=True, text=True,
                       timeout=30, env=env)
    assert r.returncode == 1
    assert r.stderr.startswith("ftpsgw-certbot-hook: "
                               "/srv/etc/ftpsgw/certbot-hook.conf not found")


def test_install_keeps_a_changed_logrotate_file(tmp_path):
    stage = tmp_path / "stage"
    make("install", f"DESTDIR={stage}", "PREFIX=/usr")
    rot = stage / "etc/logrotate.d/ftpsgw"
    mine = rot.read_text().replace("rotate 12", "rotate 52")
    rot.write_text(mine)
    said = make("install", f"DESTDIR={stage}", "PREFIX=/usr")
    assert rot.read_text() == mine
    assert "kept /etc/logrotate.d/ftpsgw" in said
    said = make("uninstall", f"DESTDIR={stage}", "PREFIX=/usr")
    assert rot.read_text() == mine
    assert "/etc/logrotate.d/ftpsgw was changed; left as it is" in said
