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
buf = []
f.retrbinary('RETR b.bin', buf.append)
out('RETR', sum(map(len, buf)))
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
    assert got["RETR"] == "70000"
    assert got["STOU"] == "226"
    assert got["CDUP"] in ("200", "250")
    assert got["RMD"] == "250"
    assert got["NOOP"] == "200"
    assert "ftpsgw[error]" not in gw.log_text()


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


def test_lftp_mirror_200_files_both_ways(lab, certs, proftpd, start_gw):
    """lftp mirror -R (up) and mirror (down) of 200 small files in one
    session each: every file byte-exact. Uses MLSD listings (cls)."""
    gw = start_gw(gw_config(certs, proftpd))
    src = lab.path("tree-src")
    back = lab.path("tree-back")
    for d in (src, back):
        shutil.rmtree(d, ignore_errors=True)
    rel = make_tree(src, 200)
    remote = os.path.join(proftpd.upload, "tree")
    shutil.rmtree(remote, ignore_errors=True)
    base = (f"set ftp:ssl-force true; set ftp:ssl-protect-data true; "
            f"set ssl:ca-file {certs.ca_cert}; set net:max-retries 1; "
            "set net:timeout 10; set mirror:parallel-transfer-count 1; "
            f"open -u {proftpd.user},{proftpd.password} {GW4}; ")
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
