"""Gateway configurations beyond the default: backend_tls implicit and off,
public_address, conntrack = auto, and the ordering of the end of data
before the backend's 226 (core gateway issue, parts 4, 6, 7, 8)."""

import contextlib
import os
import subprocess
import time

import pytest

import lab as L
import servers as S
from test_gateway import GW4, ftp_script, ftpc, gw_config, same, url, curl

EXTRA_IMPLICIT = "198.51.100.13"   # in the lab's backend certificate
EXTRA_PLAIN = "198.51.100.14"
PUBLIC2 = "203.0.113.2"


def add_addr(lab, ns, dev, addr):
    lab.run(ns, ["ip", "addr", "add", f"{addr}/24", "dev", dev])


def del_addr(lab, ns, dev, addr):
    lab.run(ns, ["ip", "addr", "del", f"{addr}/24", "dev", dev], check=False)


@contextlib.contextmanager
def server_on(lab, addr, start):
    """The server start() makes, on an extra address of the server
    namespace; stopped and the address removed afterwards (also when it
    fails to start)."""
    add_addr(lab, lab.ns_server, "eth0", addr)
    try:
        srv = start()
        try:
            yield srv
        finally:
            srv.stop()
    finally:
        del_addr(lab, lab.ns_server, "eth0", addr)


@pytest.fixture
def implicit_vsftpd(lab, certs):
    with server_on(lab, EXTRA_IMPLICIT, lambda: S.start_vsftpd(
            lab, certs, address=EXTRA_IMPLICIT, implicit=True)) as srv:
        yield srv


@pytest.fixture
def plain_pureftpd(lab, certs):
    with server_on(lab, EXTRA_PLAIN, lambda: S.start_pureftpd(
            lab, certs, address=EXTRA_PLAIN, tls_mode=0)) as srv:
        yield srv


def test_backend_implicit_tls(lab, certs, implicit_vsftpd, start_gw):
    """backend_tls = implicit: TLS from the first byte toward vsftpd (which
    still requires session reuse), explicit toward the client."""
    srv = implicit_vsftpd
    gw = start_gw(gw_config(certs, srv, backend_tls="implicit"))
    out = lab.path("implicit-be")
    files = lab.test_files()
    up = "implicit-up"
    r = curl(lab, certs, srv, url("f1M"), "-o", out)
    assert r.returncode == 0, r.stderr + gw.log_text()[-3000:]
    assert same(out, os.path.join(srv.home, "f1M"))
    r = curl(lab, certs, srv, "-T", files["f16385"], url(f"upload/{up}"))
    assert r.returncode == 0, r.stderr + gw.log_text()[-3000:]
    assert same(os.path.join(srv.upload, up), files["f16385"])
    os.unlink(os.path.join(srv.upload, up))


def test_backend_plain_ftp(lab, certs, plain_pureftpd, start_gw):
    """backend_tls = off: FTPS toward the client, plain FTP on the LAN."""
    srv = plain_pureftpd
    gw = start_gw(gw_config(certs, srv, backend_tls="off", backend_ca=None))
    out = lab.path("plain-be")
    r = curl(lab, certs, srv, url("f16384"), "-o", out)
    assert r.returncode == 0, r.stderr + gw.log_text()[-3000:]
    assert same(out, os.path.join(srv.home, "f16384"))
    r = ftpc(lab, certs, srv, "list")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "f100M" in r.stdout
    assert "(plain FTP)" in gw.log_text()


def test_public_address_is_announced_and_expected(lab, certs, proftpd,
                                                  start_gw):
    """public_address: the 227 names it, ftpsgw listens there, and the
    expectation admits the data connection to it."""
    add_addr(lab, lab.ns_router, "pub0", PUBLIC2)
    try:
        gw = start_gw(gw_config(certs, proftpd, public_address=PUBLIC2))
        out = lab.path("pubaddr")
        r = ftpc(lab, certs, proftpd, "get", "f16385", out,
                 extra=["--mode", "pasv"])
        assert r.returncode == 0, r.stdout + r.stderr + gw.log_text()[-3000:]
        assert "(203,0,113,2," in r.stdout
        assert same(out, os.path.join(proftpd.home, "f16385"))
    finally:
        del_addr(lab, lab.ns_router, "pub0", PUBLIC2)


def test_conntrack_auto_without_helper_rule_fails_open(lab, certs, proftpd,
                                                      start_gw):
    """conntrack = auto: without the helper rule ftpsgw warns once, names
    the missing rule, and still answers PASV/EPSV (fail open)."""
    # Broken on purpose: the printed firewall without its helper chain.
    lab.run(lab.ns_router, ["nft", "delete", "chain", "inet", "ftpsgw", "pre"])
    try:
        gw = start_gw(gw_config(certs, proftpd, conntrack="auto"))
        body = """
f.connect(host, 21); f.login(user, pw); f.prot_p()
cmd('EPSV'); cmd('EPSV'); f.quit()
"""
        r = ftp_script(lab, certs, proftpd, body)
        lines = r.stdout.splitlines()
        assert lines[0].startswith("229 ") and lines[1].startswith("229 "), r.stdout
        log = gw.log_text()
        assert "conntrack = auto: going on" in log
        assert "ct helper set" in log
        assert log.count("conntrack = auto: going on") == 1   # warned once
    finally:
        lab.load_ruleset()    # the firewall ftpsgw printed, whole again


def test_226_waits_for_the_end_of_data(lab, certs, proftpd, start_gw):
    """The backend's 226 reaches the client only after every byte of the
    download and the TLS close_notify: a client that does not read its data
    connection gets no 226; once it reads, the data ends cleanly (unwrap
    succeeds) and the 226 follows."""
    gw = start_gw(gw_config(certs, proftpd))
    body = """
import select
f.connect(host, 21); f.login(user, pw); f.prot_p()
f.voidcmd('TYPE I')
conn = ftplib.FTP.ntransfercmd(f, 'RETR f100M')[0]
d = ctx.wrap_socket(conn, server_hostname=host, session=f.sock.session)
r, _, _ = select.select([f.sock], [], [], 2.0)
out('EARLY 226' if r else 'NO 226 WHILE DATA UNREAD')
n = 0
while True:
    b = d.recv(1 << 16)
    if not b:
        break
    n += len(b)
d.unwrap(); d.close()
out('BYTES', n)
out(f.voidresp())
f.quit()
"""
    r = ftp_script(lab, certs, proftpd, body, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr + gw.log_text()[-3000:]
    lines = r.stdout.splitlines()
    assert lines[0] == "NO 226 WHILE DATA UNREAD"
    assert lines[1] == f"BYTES {100 << 20}"
    assert lines[2].startswith("226")


@pytest.fixture
def proftpd_without_epsv(lab, certs):
    with server_on(lab, EXTRA_IMPLICIT, lambda: S.start_proftpd(
            lab, certs, address=EXTRA_IMPLICIT, address6="",
            tag="proftpd-noepsv",
            extra="<Limit EPSV>\n  DenyAll\n</Limit>\n")) as srv:
        yield srv


def test_backend_refusing_epsv_gets_pasv(lab, certs, proftpd_without_epsv,
                                        start_gw):
    """The client says EPSV; the backend refuses EPSV; ftpsgw asks PASV
    instead, remembers it for the session, and the client still gets its
    229 and its data."""
    srv = proftpd_without_epsv
    gw = start_gw(gw_config(certs, srv))
    r = ftpc(lab, certs, srv, "get", "f16385", lab.path("noepsv1"), "get",
             "f1", lab.path("noepsv2"), extra=["--mode", "epsv"])
    assert r.returncode == 0, r.stdout + r.stderr + gw.log_text()[-3000:]
    assert r.stdout.count("229 Entering Extended Passive Mode") == 2
    assert same(lab.path("noepsv1"), os.path.join(srv.home, "f16385"))
    assert same(lab.path("noepsv2"), os.path.join(srv.home, "f1"))
    log = gw.log_text()
    assert log.count("FTP server refused EPSV") == 1   # remembered


def test_no_cap_net_admin_is_explained(lab, certs, proftpd):
    """conntrack = on without CAP_NET_ADMIN: ftpsgw refuses to start and
    says which capability is missing; conntrack = auto starts with a
    warning."""
    for mode, want_rc in (("on", 1), ("auto", None)):
        conf = lab.path(f"nocap-{mode}.conf")
        with open(conf, "w") as f:
            f.write(L.config_text(gw_config(certs, proftpd, conntrack=mode,
                                            listen=f"{GW4}:2121",
                                            listen_implicit=None)))
        argv = ["setpriv", "--bounding-set", "-net_admin", "--inh-caps",
                "-net_admin", L.GATEWAY_BIN, "-c", conf]
        p = lab.popen(lab.ns_router, argv, stdout=subprocess.PIPE,
                      stderr=subprocess.STDOUT)
        try:
            rc = p.wait(timeout=2)
        except subprocess.TimeoutExpired:
            rc = None
        out = p.stdout.read1(65536).decode() if rc is not None else ""
        if rc is None:
            lab.stop_process(p)
            out = p.stdout.read().decode()
        assert rc == want_rc, out
        assert "CAP_NET_ADMIN" in out, out


ABORT_BODY = """
def drain():
    # Replies after ABOR differ (426 then 226, or 225/226 alone): read
    # them all up to the NOOP's 200 that follows.
    f.putcmd('NOOP')
    got = []
    for _ in range(4):
        try:
            r = f.getresp()
        except ftplib.all_errors as e:
            r = str(e)
        got.append(r[:3])
        if r.startswith('200'):
            break
    return got
f.connect(host, 21); f.login(user, pw); f.prot_p()
f.voidcmd('TYPE I')
# Download: read a little of 100 MiB, then ABOR.
conn = f.transfercmd('RETR f100M')
conn.recv(65536)
f.putcmd('ABOR')
out('DOWN', *drain())
conn.close()
# Upload: send a little, then ABOR.
conn = f.transfercmd('STOR upload/abor-up')
conn.sendall(b'x' * 100000)
f.putcmd('ABOR')
out('UP', *drain())
conn.close()
# The session goes on: a full transfer, byte for byte.
data = []
f.retrbinary('RETR f16385', data.append)
out('NEXT', sum(map(len, data)))
out(f.voidcmd('NOOP')[:3])
f.quit()
"""


@pytest.mark.parametrize("name", ["proftpd", "vsftpd", "pureftpd"])
def test_abor_during_download_and_upload(lab, certs, start_gw, request, name):
    """ABOR mid-download and mid-upload: 426 then 226 (or 225/226 alone),
    the data channel closed at once, and the next transfer in the same
    session works."""
    srv = request.getfixturevalue(name)
    gw = start_gw(gw_config(certs, srv))
    t0 = time.monotonic()
    r = ftp_script(lab, certs, srv, ABORT_BODY, timeout=60)
    elapsed = time.monotonic() - t0
    assert r.returncode == 0, r.stdout + r.stderr + gw.log_text()[-3000:]
    lines = dict(ln.split(" ", 1) for ln in r.stdout.splitlines()
                 if " " in ln)
    # Measured: ProFTPD 426+226 (up: also 226+426), vsftpd 426+225,
    # pure-ftpd [150 stats line]+226 down, 426+451 or 451+226 up: which
    # comes first, our reset of the data connection or the ABOR, decides.
    for which in ("DOWN", "UP"):
        codes = lines[which].split()
        assert codes[-1] == "200", r.stdout     # in sync: the NOOP's reply
        finals = [c for c in codes[:-1] if not c.startswith("1")]
        assert finals, r.stdout
        if which == "DOWN":
            assert finals[0] in ("426", "451", "226"), r.stdout
        else:
            # An aborted upload is never reported complete (the backend's
            # data connection is reset, not closed): one reply is a 4xx.
            assert any(c.startswith("4") for c in finals), r.stdout
    if name == "proftpd":
        # ProFTPD's xferlog: completion status 'i' (incomplete).
        xfer = [ln for ln in srv.log_text("xfer").splitlines()
                if "abor-up" in ln]
        assert xfer and xfer[-1].split()[-1] == "i", xfer
    assert lines["NEXT"] == "16385", r.stdout
    assert r.stdout.splitlines()[-1] == "200"
    assert elapsed < 20
    assert "ftpsgw[error]" not in gw.log_text()
