"""Everyday FTP commands through the gateway against all three servers
(protocol completeness issue, parts 3 and 7): resume, append, unique store,
listings, file and directory management, and a mirror of 200 small files
each way."""

import os
import shutil

import pytest

import lab as L
from test_gateway import GW4, curl, ftp_script, gw_config, same, url


@pytest.fixture(params=["proftpd", "vsftpd", "pureftpd"])
def server(request):
    return request.getfixturevalue(request.param)


def test_curl_resume_and_append(lab, certs, server, start_gw):
    """REST before RETR (curl -C -), REST before STOR (curl -C - -T) and
    APPE (curl --append): the results are byte-exact."""
    gw = start_gw(gw_config(certs, server))
    src = lab.test_files()["f1M"]
    part = lab.path(f"resume-{server.name}")
    with open(src, "rb") as f, open(part, "wb") as g:
        g.write(f.read(300000))
    r = curl(lab, certs, server, "-C", "-", url("f1M"), "-o", part)
    assert r.returncode == 0, r.stderr + gw.log_text()[-3000:]
    assert same(part, src)

    name = f"resume-up-{server.name}"
    target = os.path.join(server.upload, name)
    with open(src, "rb") as f, open(target, "wb") as g:
        g.write(f.read(400000))
    os.chown(target, os.stat(server.upload).st_uid, os.stat(server.upload).st_gid)
    r = curl(lab, certs, server, "-C", "-", "-T", src,
             url(f"{server.upload_ftp}/{name}"))
    assert r.returncode == 0, r.stderr + gw.log_text()[-3000:]
    assert same(target, src)

    app = f"append-{server.name}"
    atarget = os.path.join(server.upload, app)
    if os.path.exists(atarget):
        os.unlink(atarget)
    for _ in range(2):
        r = curl(lab, certs, server, "--append", "-T",
                 lab.test_files()["f16385"], url(f"{server.upload_ftp}/{app}"))
        assert r.returncode == 0, r.stderr + gw.log_text()[-3000:]
    with open(atarget, "rb") as f, open(lab.test_files()["f16385"], "rb") as g:
        one = g.read()
        assert f.read() == one + one
    for p in (target, atarget):
        os.unlink(p)


COMMANDS_BODY = """
import io
f.connect(host, 21); f.login(user, pw); f.prot_p()
out('OPTS', cmd('OPTS UTF8 ON')[:1])   # pure-ftpd lists UTF8, answers 504
out('FXP', cmd('CPSV')[:3], cmd('SSCN ON')[:3], cmd('ESTP')[:3])
out('PWD', f.pwd())
out('TYPE', cmd('TYPE A')[:3], cmd('TYPE I')[:3])
out('MODE', cmd('MODE S')[:3], cmd('STRU F')[:3])
out('SIZE', f.size('f16385'))
out('MDTM', cmd('MDTM f16385')[:3])
f.cwd('upload')
d = 'dir-' + sys.argv[5]
try:
    f.rmd(d)
except ftplib.all_errors:
    pass
out('MKD', f.mkd(d).rstrip('/').split('/')[-1])
f.cwd(d); out('CWD', f.pwd().rstrip('/').split('/')[-1])
f.storbinary('STOR a.bin', io.BytesIO(b'A' * 70000))
f.rename('a.bin', 'b.bin')
names = f.nlst()
out('NLST', ','.join(sorted(n.split('/')[-1] for n in names if n.split('/')[-1] not in ('.', '..'))))
try:
    facts = list(f.mlsd())
    out('MLSD', ','.join(sorted(n for n, _ in facts if n not in ('.', '..'))))
except ftplib.error_perm as e:
    out('MLSD', 'unsupported', str(e)[:3])
out('MLST', cmd('MLST b.bin')[:3])     # vsftpd has no MLST: 500/502
buf = []
f.retrbinary('RETR b.bin', buf.append)
out('RETR', sum(map(len, buf)))
buf = []
f.retrbinary('RETR b.bin', buf.append, rest=65536)   # REST then RETR
out('REST', sum(map(len, buf)), all(c == 65 for c in b''.join(buf)))
# STOU: the server picks the name (150/125 + the name in the reply).
conn, _ = f.ntransfercmd('STOU')
conn.sendall(b'u' * 5000); conn.unwrap(); conn.close()
out('STOU', f.voidresp()[:3])
f.delete('b.bin')
for n in f.nlst():
    if n.split('/')[-1] not in ('.', '..'):
        f.delete(n.split('/')[-1])
f.cwd('..')
out('CDUP', cmd('CDUP')[:3])
f.cwd('upload')
out('RMD', f.rmd(d)[:3])
out('SITE', cmd('SITE HELP')[:1])
out('HELP', cmd('HELP')[:1])
out('NOOP', cmd('NOOP')[:3])
f.quit()
"""


def test_file_and_directory_commands(lab, certs, server, start_gw):
    gw = start_gw(gw_config(certs, server))
    r = ftp_script(lab, certs, server, COMMANDS_BODY.replace(
        "sys.argv[5]", repr(server.name)), timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr + gw.log_text()[-3000:]
    got = {}
    for ln in r.stdout.splitlines():
        k, _, v = ln.partition(" ")
        if k.isupper():
            got[k] = v
    assert got["FXP"] == "502 502 502", r.stdout
    assert got["TYPE"] == "200 200", r.stdout
    assert got["MODE"] == "200 200", r.stdout
    assert got["SIZE"] == "16385"
    assert got["MDTM"] == "213"
    assert got["MKD"] == f"dir-{server.name}"
    assert got["CWD"] == f"dir-{server.name}"
    assert got["NLST"] == "b.bin"
    assert got["MLSD"] in ("b.bin",) or got["MLSD"].startswith("unsupported")
    assert got["MLST"] in ("250",) if server.name != "vsftpd" else \
        got["MLST"][0] == "5", r.stdout
    assert got["RETR"] == "70000"
    assert got["REST"] == "4464 True", r.stdout
    assert got["STOU"] == "226"
    assert got["CDUP"] in ("200", "250")
    assert got["RMD"] == "250"
    assert got["NOOP"] == "200"
    assert "ftpsgw[error]" not in gw.log_text()


@pytest.mark.parametrize("mode", ["PORT", "EPRT"])
def test_curl_active_mode(lab, certs, server, start_gw, mode):
    """curl -P (active): EPRT by default, PORT with --disable-eprt.
    curl 7.88.1 (Debian 12) fails any active transfer with PROT P on its
    own side ("sa_addr inet_ntop() failed", its accept path; ftplib and
    lftp do active with PROT P in test_active), so curl's data is clear
    here (--ftp-ssl-control, client_tls = optional); the server's side is
    PROT P all the same."""
    gw = start_gw(gw_config(certs, server, client_tls="optional"))
    extra = ["-P", "203.0.113.10"] + (
        ["--disable-eprt"] if mode == "PORT" else [])
    out = lab.path(f"curl-act-{server.name}-{mode}")
    r = curl(lab, certs, server, *extra, url("f1M"), "-o", out,
             ssl="--ftp-ssl-control")
    assert r.returncode == 0, r.stderr + gw.log_text()[-3000:]
    assert same(out, os.path.join(server.home, "f1M"))
    name = f"curl-act-{mode}"
    target = os.path.join(server.upload, name)
    r = curl(lab, certs, server, *extra, "-T", lab.test_files()["f16385"],
             url(f"{server.upload_ftp}/{name}"), ssl="--ftp-ssl-control")
    assert r.returncode == 0, r.stderr + gw.log_text()[-3000:]
    assert same(target, lab.test_files()["f16385"])
    os.unlink(target)
    log = gw.log_text()
    assert f"C> {mode} " in log and "C> PROT C" in log


def test_host_reaches_the_server(lab, certs, proftpd, start_gw):
    """HOST (RFC 7151) goes to the server before AUTH: ftpsgw holds its
    own AUTH TLS toward the server until the client's first command, so a
    HOST sent first (as the RFC wants) reaches the server first, and the
    server's answer comes back. A HOST after login gets the server's
    refusal."""
    gw = start_gw(gw_config(certs, proftpd))
    r = ftp_script(lab, certs, proftpd, """
f.connect(host, 21)
out('HOST', cmd('HOST 198.51.100.10')[:3])
f.login(user, pw); f.prot_p()
out('PWD', f.pwd())
out('LATE', cmd('HOST 198.51.100.10')[:3])
f.quit()
""")
    assert r.returncode == 0, r.stdout + r.stderr + gw.log_text()[-3000:]
    got = [ln for ln in r.stdout.splitlines()
           if ln.split(" ")[0] in ("HOST", "PWD", "LATE")]
    assert got == ["HOST 220", "PWD /", "LATE 503"], r.stdout
    log = gw.log_text()
    assert log.index("S> HOST 198.51.100.10") < log.index("S> AUTH TLS")


ABORT_FTPLIB = """
f.connect(host, 21); f.login(user, pw); f.prot_p()
f.voidcmd('TYPE I')
conn = f.transfercmd('RETR f100M')
conn.recv(65536)
out('ABORT', f.abort()[:3])     # ftplib: ABOR, then one reply: 426/225/226
conn.close()
# The second reply of the abort (226 after a 426) is read as the reply to
# the next command by ftplib's users; read replies up to a NOOP's 200.
f.putcmd('NOOP')
for _ in range(3):
    try:
        r = f.getresp()
    except ftplib.all_errors as e:
        r = str(e)
    if r[:3] == '200':
        break
data = []
f.retrbinary('RETR f16385', data.append)
out('NEXT', sum(map(len, data)))
f.quit()
"""


@pytest.mark.parametrize("name", ["proftpd", "vsftpd"])
def test_ftplib_abort_during_retr(lab, certs, start_gw, request, name):
    """ftplib's FTP_TLS.abort() mid-download. (pure-ftpd answers an ABOR
    during a download with a 150 statistics line first, which abort()
    rejects as error_proto; without the gateway too. Its ABOR is covered
    by test_gateway_modes.)"""
    srv = request.getfixturevalue(name)
    gw = start_gw(gw_config(certs, srv))
    r = ftp_script(lab, certs, srv, ABORT_FTPLIB)
    assert r.returncode == 0, r.stdout + r.stderr + gw.log_text()[-3000:]
    lines = r.stdout.splitlines()
    assert lines[0] in ("ABORT 426", "ABORT 225", "ABORT 226"), r.stdout
    assert lines[-1] == "NEXT 16385", r.stdout


def make_tree(root, count):
    """count small files in a few subdirectories; returns relative paths."""
    rel = []
    for i in range(count):
        sub = f"d{i % 7}"
        os.makedirs(os.path.join(root, sub), exist_ok=True)
        p = os.path.join(sub, f"file{i:03d}.bin")
        with open(os.path.join(root, p), "wb") as f:
            f.write(os.urandom(37 * i + 1))
        rel.append(p)
    return rel


def test_lftp_mirror_200_files_both_ways(lab, certs, server, start_gw):
    """lftp mirror -R (up) and mirror (down) of 200 small files in one
    session each: every file byte-exact. Listings by MLSD (cls) where the
    server has it, LIST on vsftpd."""
    gw = start_gw(gw_config(certs, server))
    src = lab.path("tree-src")
    back = lab.path("tree-back")
    for d in (src, back):
        shutil.rmtree(d, ignore_errors=True)
    rel = make_tree(src, 200)
    remote = os.path.join(server.upload, "tree")
    shutil.rmtree(remote, ignore_errors=True)
    base = (f"set ftp:ssl-force true; set ftp:ssl-protect-data true; "
            f"set ssl:ca-file {certs.ca_cert}; set net:max-retries 1; "
            "set net:timeout 10; set mirror:parallel-transfer-count 1; "
            f"open -u {server.user},{server.password} {GW4}; ")
    r = lab.run(lab.ns_client, ["lftp", "-c", base +
                                f"mirror -R {src} upload/tree; bye"],
                check=False, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr + gw.log_text()[-3000:]
    r = lab.run(lab.ns_client, ["lftp", "-c", base +
                                f"cls -1 upload/tree/d0; mirror upload/tree {back}; bye"],
                check=False, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr + gw.log_text()[-3000:]
    assert "file000.bin" in r.stdout
    for p in rel:
        assert same(os.path.join(remote, p), os.path.join(src, p)), p
        assert same(os.path.join(back, p), os.path.join(src, p)), p
    shutil.rmtree(remote, ignore_errors=True)
