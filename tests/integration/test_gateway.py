"""The core gateway through the strict NAT lab (issue: core gateway).

Real servers (ProFTPD with its default session-reuse requirement, vsftpd with
require_ssl_reuse=YES, pure-ftpd with TLS required) behind a router whose
firewall opens only ports 21 and 990; real clients (curl, lftp, Python's
ftplib) in the client namespace; every file compared byte for byte.
"""

import os
import socket
import subprocess
import time

import pytest

import lab as L

GW4 = "203.0.113.1"
GW6 = "2001:db8:1::1"
SIZES = ["f0", "f1", "f16383", "f16384", "f16385", "f1M", "f100M"]


# ---- helpers ----------------------------------------------------------------

def gw_config(certs, server, **over):
    """A gateway.conf dict in front of server, with overrides."""
    c = {
        "listen": [f"{GW4}:21", f"[{GW6}]:21"],
        "listen_implicit": f"{GW4}:990",
        "certificate": certs.gw_cert,
        "private_key": certs.gw_key,
        "backend": server.hostport,
        "backend_ca": certs.ca_cert,
        "passive_ports": "40000-40099",
        "conntrack": "on",
        "log_level": "debug",
    }
    c.update(over)
    return c


def curl(lab, certs, server, *args, host=GW4, timeout=120, ssl="--ssl-reqd"):
    """curl in the client namespace, verifying the gateway; FTPS required
    unless ssl says otherwise (--ftp-ssl-control: data in clear)."""
    argv = ["curl", "-sS", ssl, "--cacert", certs.ca_cert,
            "--connect-timeout", "5", "--max-time", str(timeout),
            "-u", f"{server.user}:{server.password}", *args]
    return lab.run(lab.ns_client, argv, check=False, timeout=timeout + 30)


def url(path="", host=GW4, port=None, scheme="ftp"):
    h = f"[{host}]" if ":" in host else host
    p = f":{port}" if port else ""
    return f"{scheme}://{h}{p}/{path}"


def ftpc(lab, certs, server, *actions, host=GW4, extra=(), timeout=60):
    """tests/integration/ftpclient.py in the client namespace."""
    args = ["--host", host, "--user", server.user, "--password",
            server.password, "--cafile", certs.ca_cert, "--timeout", "10",
            *extra, *actions]
    return lab.ftpclient(lab.ns_client, args, timeout=timeout)


# A scripted ftplib session in the client namespace: the body below runs
# with f (an FTP_TLS whose data connections reuse the control session unless
# F.reuse is False) and cmd(line), which prints the reply, errors included.
SCRIPT_HEAD = """
import ftplib, ssl, sys, socket
host, cafile, user, pw = sys.argv[1:5]
ctx = ssl.create_default_context(cafile=cafile)
class F(ftplib.FTP_TLS):
    reuse = True
    tls_session = None      # kept across CCC
    def ccc(self):
        self.tls_session = self.sock.session
        return super().ccc()
    def ntransfercmd(self, cmd, rest=None):
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        if self._prot_p:
            conn = self.context.wrap_socket(
                conn, server_hostname=self.host,
                session=(self.tls_session or self.sock.session)
                if self.reuse else None)
        return conn, size
f = F(context=ctx, timeout=10)
def cmd(line):
    try:
        r = f.sendcmd(line)
    except ftplib.all_errors as e:
        r = str(e)
    print(r, flush=True)
    return r
def out(*a):
    print(*a, flush=True)
"""


def ftp_script(lab, certs, server, body, host=GW4, timeout=60, extra=()):
    """Run SCRIPT_HEAD + body (extra arguments in sys.argv[5:]); returns the
    CompletedProcess."""
    return lab.run(lab.ns_client, [L.PYTHON, "-c", SCRIPT_HEAD + body, host,
                                   certs.ca_cert, server.user, server.password,
                                   *extra],
                   check=False, timeout=timeout)


def same(a, b):
    return L.files_equal(a, b)


def remove_uploads(server, names):
    for n in names:
        p = os.path.join(server.upload, n)
        if os.path.exists(p):
            os.unlink(p)


@pytest.fixture(params=["proftpd", "vsftpd", "pureftpd"])
def server(request):
    return request.getfixturevalue(request.param)


# ---- transfers through every server --------------------------------------

@pytest.mark.parametrize("mode", ["epsv", "pasv"])
def test_curl_download_all_sizes(lab, certs, server, start_gw, mode):
    """Sizes 0 .. 100 MiB, one control session, byte for byte."""
    gw = start_gw(gw_config(certs, server))
    outdir = lab.path(f"dl-{server.name}-{mode}")
    os.makedirs(outdir, exist_ok=True)
    args = [] if mode == "epsv" else ["--disable-epsv"]
    for n in SIZES:
        args += [url(n), "-o", os.path.join(outdir, n)]
    r = curl(lab, certs, server, *args)
    assert r.returncode == 0, r.stderr + gw.log_text()[-4000:]
    for n in SIZES:
        assert same(os.path.join(outdir, n), os.path.join(server.home, n)), n
    log = gw.log_text()
    assert "resumed, server" in log        # client side resumed
    assert "ftpsgw[error]" not in log


@pytest.mark.parametrize("mode", ["epsv", "pasv"])
def test_curl_upload_all_sizes(lab, certs, server, start_gw, mode):
    """Sizes 0 .. 100 MiB up, byte for byte.

    EPSV: TLS 1.3, one upload per control session. curl 7.88 offers each
    TLS 1.3 ticket once and, on an upload of a few bytes, can close the
    data connection before it reads the fresh ticket ftpsgw sends, so a
    second upload in the same session may find no ticket to offer: a race
    in the client, whatever the server. PASV: TLS 1.2 (session IDs are
    reusable), all uploads in one control session."""
    gw = start_gw(gw_config(certs, server))
    files = lab.test_files()
    names = [f"up-{mode}-{n}" for n in SIZES]
    remove_uploads(server, names)
    pairs = [["-T", files[n], url(f"{server.upload_ftp}/{up}")]
             for n, up in zip(SIZES, names)]
    if mode == "epsv":
        runs = pairs
    else:
        runs = [["--disable-epsv", "--tls-max", "1.2"] +
                [a for p in pairs for a in p]]
    for args in runs:
        r = curl(lab, certs, server, *args)
        assert r.returncode == 0, r.stderr + gw.log_text()[-4000:]
    for n, up in zip(SIZES, names):
        assert same(os.path.join(server.upload, up), files[n]), up
    remove_uploads(server, names)


def test_curl_listing(lab, certs, server, start_gw):
    gw = start_gw(gw_config(certs, server))
    r = curl(lab, certs, server, url(""))
    assert r.returncode == 0, r.stderr + gw.log_text()[-3000:]
    assert "f16384" in r.stdout and "f100M" in r.stdout
    r = curl(lab, certs, server, "--list-only", url(""))
    assert r.returncode == 0, r.stderr
    assert set(SIZES) <= set(r.stdout.split())


def test_lftp_get_put_ls(lab, certs, server, start_gw):
    gw = start_gw(gw_config(certs, server))
    files = lab.test_files()
    dl = lab.path(f"lftp-{server.name}-f1M")
    remove_uploads(server, ["lftp-up"])
    script = (
        "set ftp:ssl-force true; set ftp:ssl-protect-data true; "
        f"set ssl:ca-file {certs.ca_cert}; set net:max-retries 1; "
        "set net:timeout 10; set net:reconnect-interval-base 1; "
        "set ftp:prefer-epsv true; "
        f"open -u {server.user},{server.password} {GW4}; "
        f"get f1M -o {dl}; put {files['f16385']} -o {server.upload_ftp}/lftp-up; "
        "cls -1; bye")
    r = lab.run(lab.ns_client, ["lftp", "-c", script], check=False, timeout=90)
    assert r.returncode == 0, r.stdout + r.stderr + gw.log_text()[-3000:]
    assert same(dl, os.path.join(server.home, "f1M"))
    assert same(os.path.join(server.upload, "lftp-up"), files["f16385"])
    assert "f16383" in r.stdout
    remove_uploads(server, ["lftp-up"])


@pytest.mark.parametrize("mode", ["epsv", "pasv"])
def test_ftplib_with_session_reuse(lab, certs, server, start_gw, mode):
    gw = start_gw(gw_config(certs, server))
    files = lab.test_files()
    dl = lab.path(f"ftplib-{server.name}-{mode}")
    remove_uploads(server, ["ftplib-up"])
    r = ftpc(lab, certs, server, "list", "get", "f16384", dl, "put",
             files["f1M"], f"{server.upload_ftp}/ftplib-up", "get", "f0",
             dl + ".0", "quit", extra=["--mode", mode])
    assert r.returncode == 0, r.stdout + r.stderr + gw.log_text()[-3000:]
    assert same(dl, os.path.join(server.home, "f16384"))
    assert same(dl + ".0", os.path.join(server.home, "f0"))
    assert same(os.path.join(server.upload, "ftplib-up"), files["f1M"])
    assert ("229 " if mode == "epsv" else "227 ") in r.stdout
    remove_uploads(server, ["ftplib-up"])


# ---- client side policy ------------------------------------------------------

def test_no_session_reuse_is_refused_with_advice(lab, certs, proftpd, start_gw):
    """A client that does not resume the control TLS session on its data
    connection gets a 425 once data_timeout has passed (the port stays open
    meanwhile for the client's own connection, in case the refused one was
    an impostor from its address: test_theft.py), the log tells the admin
    the remedy, and the control session stays usable."""
    gw = start_gw(gw_config(certs, proftpd, data_timeout="3"))
    body = """
f.connect(host, 21); f.login(user, pw); f.prot_p()
F.reuse = False
try:
    f.retrbinary('RETR f1', lambda b: None)
    out('TRANSFER OK')
except ftplib.all_errors as e:
    out('ERR', e)
F.reuse = True
data = []
f.retrbinary('RETR f16385', data.append)
out('LEN', sum(map(len, data)))
cmd('NOOP'); f.quit()
"""
    t0 = time.monotonic()
    r = ftp_script(lab, certs, proftpd, body)
    elapsed = time.monotonic() - t0
    assert r.returncode == 0, r.stdout + r.stderr + gw.log_text()[-3000:]
    lines = r.stdout.splitlines()
    assert lines[0].startswith("ERR 425 Data connection refused: it must "
                               "reuse the TLS session"), r.stdout
    assert lines[1] == "LEN 16385"
    assert lines[2].startswith("200")
    assert elapsed < 10
    log = gw.log_text()
    assert "did not resume the control connection's TLS session" in log
    assert "require_session_reuse = off" in log
    # With require_session_reuse = off the same client works.
    gw.stop()
    gw2 = start_gw(gw_config(certs, proftpd, require_session_reuse="off"))
    r = ftpc(lab, certs, proftpd, "get", "f16385", lab.path("noreuse2"),
             extra=["--no-reuse"])
    assert r.returncode == 0, r.stdout + r.stderr + gw2.log_text()[-3000:]
    assert same(lab.path("noreuse2"), os.path.join(proftpd.home, "f16385"))


def test_login_before_tls_is_refused_and_not_forwarded(lab, certs, proftpd,
                                                       start_gw):
    gw = start_gw(gw_config(certs, proftpd))
    script = (
        "import socket,sys\n"
        "s=socket.create_connection((sys.argv[1],21),timeout=10)\n"
        "f=s.makefile('rb')\n"
        "def rd():\n"
        "  out=[]\n"
        "  while True:\n"
        "    l=f.readline().decode(); out.append(l.rstrip())\n"
        "    if len(l)>3 and l[3]==' ': return out\n"
        "print(rd())\n"
        "s.sendall(b'USER secretuser\\r\\n'); print(rd())\n"
        "s.sendall(b'PASS secretpass\\r\\n'); print(rd())\n"
        "s.sendall(b'PASV\\r\\n'); print(rd())\n"
        "s.sendall(b'QUIT\\r\\n'); print(rd())\n")
    r = lab.run(lab.ns_client, [L.PYTHON, "-c", script, GW4], check=False,
                timeout=30)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("['220")
    assert lines[1].startswith("['530 This gateway requires TLS")
    assert lines[2].startswith("['530 ")
    assert lines[3].startswith("['530 ")
    assert lines[4].startswith("['221")
    # Never forwarded: the server never saw the user name.
    assert "secretuser" not in proftpd.all_logs()
    assert "secretpass" not in gw.log_text()
    assert "USER before TLS refused" in gw.log_text()


def test_data_needs_prot_p(lab, certs, proftpd, start_gw):
    start_gw(gw_config(certs, proftpd))
    body = """
f.connect(host, 21); f.login(user, pw)
cmd('EPSV'); cmd('RETR f1'); cmd('PROT C'); cmd('PROT S'); cmd('PBSZ 0')
cmd('PROT P'); cmd('EPSV')
f.quit()
"""
    r = ftp_script(lab, certs, proftpd, body)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("521 Data connections must be encrypted")
    assert lines[1].startswith("521 ")
    assert lines[2].startswith("534 PROT C refused")
    assert lines[3].startswith("536 ")
    assert lines[4].startswith("200 ")
    assert lines[5].startswith("200 Protection level set to Private")
    assert lines[6].startswith("229 ")


def test_feat_reflects_gateway(lab, certs, proftpd, start_gw):
    start_gw(gw_config(certs, proftpd))
    r = ftpc(lab, certs, proftpd, "raw", "FEAT")
    assert r.returncode == 0, r.stdout + r.stderr
    feat = r.stdout.split("211-", 1)[1]
    assert " AUTH TLS" in feat and " PBSZ" in feat and " PROT" in feat
    assert "CCC" not in feat
    assert " MDTM" in feat        # the server's own features stay
    assert feat.count("AUTH TLS") == 1


def test_pipelined_commands_and_multiline_replies(lab, certs, proftpd, start_gw):
    """Several commands in one TLS record get their replies in order, the
    multi-line HELP reply intact."""
    start_gw(gw_config(certs, proftpd))
    script = (
        "import socket,ssl,sys\n"
        "ctx=ssl.create_default_context(cafile=sys.argv[2])\n"
        "s=socket.create_connection((sys.argv[1],21),timeout=10)\n"
        "f=s.makefile('rb')\n"
        "def rd(f):\n"
        "  out=[]\n"
        "  while True:\n"
        "    l=f.readline().decode(); out.append(l.rstrip())\n"
        "    if len(l)>3 and l[3]==' ' and l[:3]==out[0][:3]: return out\n"
        "rd(f); s.sendall(b'AUTH TLS\\r\\n'); rd(f)\n"
        "t=ctx.wrap_socket(s,server_hostname=sys.argv[1]); f=t.makefile('rb')\n"
        "t.sendall(('USER %s\\r\\nPASS %s\\r\\n'%(sys.argv[3],sys.argv[4])).encode())\n"
        "rd(f); rd(f)\n"
        "t.sendall(b'NOOP\\r\\nHELP\\r\\nPWD\\r\\nSYST\\r\\nNOOP\\r\\n')\n"
        "for i in range(5): r=rd(f); print(r[0][:3], len(r))\n"
        "t.sendall(b'QUIT\\r\\n'); print(rd(f)[0][:3])\n")
    r = lab.run(lab.ns_client, [L.PYTHON, "-c", script, GW4, certs.ca_cert,
                                proftpd.user, proftpd.password],
                check=False, timeout=30)
    assert r.returncode == 0, r.stderr
    codes = [ln.split() for ln in r.stdout.splitlines()]
    assert [c[0] for c in codes] == ["200", "214", "257", "215", "200", "221"]
    assert int(codes[1][1]) > 2       # HELP is multi-line


# ---- listeners -----------------------------------------------------------------

def test_implicit_ftps(lab, certs, server, start_gw):
    gw = start_gw(gw_config(certs, server))
    out = lab.path(f"implicit-{server.name}")
    r = curl(lab, certs, server, url("f16385", port=990, scheme="ftps"),
             "-o", out)
    assert r.returncode == 0, r.stderr + gw.log_text()[-3000:]
    assert same(out, os.path.join(server.home, "f16385"))
    assert "(implicit FTPS, worker " in gw.log_text()


def test_ipv6_client_to_ipv4_backend(lab, certs, proftpd, start_gw):
    gw = start_gw(gw_config(certs, proftpd))
    out = lab.path("v6-f1M")
    r = curl(lab, certs, proftpd, url("f1M", host=GW6), "-o", out)
    assert r.returncode == 0, r.stderr + gw.log_text()[-3000:]
    assert same(out, os.path.join(proftpd.home, "f1M"))
    r = ftpc(lab, certs, proftpd, "get", "f16383", out + ".py", host=GW6)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "229 " in r.stdout


# ---- backend side --------------------------------------------------------------

CONNECT_ONLY = """
try:
    f.connect(host, 21)
    f.login(user, pw)
    out('LOGGED IN')
except ftplib.all_errors as e:
    out('ERR', e)
"""


def test_backend_unreachable_gives_421_promptly(lab, certs, proftpd, start_gw):
    gw = start_gw(gw_config(certs, proftpd,
                            backend=f"{proftpd.address}:2199"))
    t0 = time.monotonic()
    r = ftp_script(lab, certs, proftpd, CONNECT_ONLY)
    elapsed = time.monotonic() - t0
    assert r.stdout.startswith("ERR 421 Service not available: the FTP "
                               "server behind this gateway cannot be reached"), r.stdout
    assert elapsed < 3
    assert f"FTP server {proftpd.address}:2199: Connection refused" in gw.log_text()


def test_backend_certificate_is_verified(lab, certs, proftpd, start_gw):
    # The gateway's own certificate as the CA: the backend's is not signed
    # by it, so the backend is refused, and the client hears why.
    gw = start_gw(gw_config(certs, proftpd, backend_ca=certs.gw_cert))
    r = ftp_script(lab, certs, proftpd, CONNECT_ONLY)
    assert r.stdout.startswith("ERR 421 "), r.stdout + r.stderr
    log = gw.log_text()
    assert "certificate was refused" in log and "backend_ca" in log
    # Said once: the failed connection is closed, not retried at every
    # pass of the session (it was logged seven times).
    assert log.count("certificate was refused") == 1, log
    gw.stop()
    # backend_verify = off works, with a warning in the log.
    gw = start_gw(gw_config(certs, proftpd, backend_ca=None,
                            backend_verify="off"))
    r = ftp_script(lab, certs, proftpd, CONNECT_ONLY)
    assert r.stdout.startswith("LOGGED IN"), r.stdout + r.stderr
    assert "backend_verify = off" in gw.log_text()


# ---- conntrack ---------------------------------------------------------------

def test_conntrack_expectation_admits_the_data_connection(lab, certs, proftpd,
                                                          start_gw):
    """With conntrack = off the router's firewall drops the data
    connection; with on, the expectation admits it as RELATED."""
    gw = start_gw(gw_config(certs, proftpd, conntrack="off", data_timeout=3))
    r = curl(lab, certs, proftpd, url("f16384"), "-o", lab.path("ct-off"),
             timeout=15)
    assert r.returncode != 0, "the data connection passed without expectation"
    gw.stop()
    gw = start_gw(gw_config(certs, proftpd, conntrack="on"))
    r = curl(lab, certs, proftpd, url("f16384"), "-o", lab.path("ct-on"))
    assert r.returncode == 0, r.stderr + gw.log_text()[-3000:]
    assert same(lab.path("ct-on"), os.path.join(proftpd.home, "f16384"))


# Logs in, sends EPSV and prints the reply, waits for a line on stdin, then
# prints the reply to NOOP and quits.
EPSV_HOLD = (
    "import ftplib,ssl,sys\n"
    "ctx=ssl.create_default_context(cafile=sys.argv[2])\n"
    "f=ftplib.FTP_TLS(context=ctx,timeout=10)\n"
    "f.connect(sys.argv[1],21); f.login(sys.argv[3],sys.argv[4]); f.prot_p()\n"
    "print(f.sendcmd('EPSV'),flush=True)\n"
    "sys.stdin.readline()\n"
    "print(f.sendcmd('NOOP'),flush=True)\n"
    "f.quit()\n")


def epsv_hold(lab, certs, server):
    """Start EPSV_HOLD in the client namespace; returns (process, port)
    once the 229 came. The caller stops the process."""
    p = lab.popen(lab.ns_client, [L.PYTHON, "-c", EPSV_HOLD, GW4,
                                  certs.ca_cert, server.user, server.password],
                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                  stderr=subprocess.PIPE)
    line = p.stdout.readline().decode()
    if not line.startswith("229 "):
        lab.stop_process(p)
        raise AssertionError(line + p.stderr.read(2000).decode())
    return p, int(line.split("|||")[1].split("|")[0])


def test_expectation_is_visible_and_removed(lab, certs, proftpd, start_gw):
    """After EPSV the router holds one expectation client -> public:P; it is
    gone once the session ends."""
    start_gw(gw_config(certs, proftpd))
    p, port = epsv_hold(lab, certs, proftpd)
    try:
        exp = lab.conntrack_expect()
        mine = [e for e in exp.splitlines() if f"dport={port}" in e]
        assert len(mine) == 1, exp
        assert "src=203.0.113.10" in mine[0] and "dst=203.0.113.1" in mine[0]
        p.stdin.write(b"\n")
        p.stdin.flush()
        p.wait(timeout=15)
    finally:
        lab.stop_process(p)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if f"dport={port}" not in lab.conntrack_expect():
            break
        time.sleep(0.1)
    assert f"dport={port}" not in lab.conntrack_expect()


def test_foreign_address_on_passive_port_is_refused(lab, certs, proftpd,
                                                   start_gw):
    """Only the control client's address may use its passive port; the
    client still gets its data afterwards."""
    gw = start_gw(gw_config(certs, proftpd))
    script = (
        "import ftplib,ssl,sys,socket\n"
        "sys.path.insert(0, sys.argv[5])\n"
        "ctx=ssl.create_default_context(cafile=sys.argv[2])\n"
        "f=ftplib.FTP_TLS(context=ctx,timeout=10)\n"
        "f.connect(sys.argv[1],21); f.login(sys.argv[3],sys.argv[4]); f.prot_p()\n"
        "r=f.sendcmd('EPSV'); port=int(r.split('|||')[1].split('|')[0])\n"
        "print(port,flush=True); sys.stdin.readline()\n"
        "c=socket.create_connection((sys.argv[1],port),timeout=10)\n"
        "f.sendcmd('TYPE I'); f.putcmd('RETR f16385'); print(f.getresp(),flush=True)\n"
        "d=ctx.wrap_socket(c,server_hostname=sys.argv[1],session=f.sock.session)\n"
        "data=b''\n"
        "while True:\n"
        "  b=d.recv(65536)\n"
        "  if not b: break\n"
        "  data+=b\n"
        "d.unwrap(); d.close(); print(f.voidresp(),flush=True)\n"
        "print(len(data),flush=True)\n"
        "f.quit()\n")
    p = lab.popen(lab.ns_client, [L.PYTHON, "-c", script, GW4, certs.ca_cert,
                                  proftpd.user, proftpd.password,
                                  os.path.dirname(__file__)],
                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                  stderr=subprocess.PIPE)
    try:
        port = int(p.stdout.readline())
        # The router itself (loopback is accepted by its firewall) is a
        # host other than the control client.
        res = lab.tcp_connect(lab.ns_router, GW4, port, timeout=2)
        assert res == "connected"
        p.stdin.write(b"\n")
        p.stdin.flush()
        out, err = p.communicate(timeout=30)
    finally:
        lab.stop_process(p)
    lines = out.decode().splitlines()
    assert lines[0].startswith("150"), out.decode() + err.decode()
    assert lines[1].startswith("226"), out.decode() + err.decode()
    assert lines[2] == "16385"
    assert "refused: it is not the control client's address" in gw.log_text()


def test_conntrack_without_helper_rule_is_explained(lab, certs, proftpd,
                                                   start_gw):
    """Without the ct helper rule the kernel cannot create expectations:
    with conntrack = on the transfer is refused with a 425 at once and the
    log names the missing rule."""
    # Broken on purpose: the printed firewall without its helper chain.
    lab.run(lab.ns_router, ["nft", "delete", "chain", "inet", "ftpsgw", "pre"])
    try:
        gw = start_gw(gw_config(certs, proftpd))
        r = ftpc(lab, certs, proftpd, "raw", "EPSV")
        assert "425 Cannot open a passive data port" in r.stdout, r.stdout
        log = gw.log_text()
        assert "ct helper set" in log, log[-3000:]
    finally:
        lab.load_ruleset()    # the firewall ftpsgw printed, whole again


# ---- command line ------------------------------------------------------------------

def test_check_mode_and_version(lab, certs, proftpd):
    conf = lab.path("check.conf")
    with open(conf, "w") as f:
        f.write(L.config_text(gw_config(certs, proftpd)))
    r = subprocess.run([L.GATEWAY_BIN, "-t", "-c", conf], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert "OK" in r.stdout and "certificate and key match" in r.stdout
    # A key that does not belong to the certificate.
    with open(conf, "w") as f:
        f.write(L.config_text(gw_config(certs, proftpd,
                                        private_key=certs.be_key)))
    r = subprocess.run([L.GATEWAY_BIN, "-t", "-c", conf], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 1
    assert "does not" in r.stderr and "private_key" in r.stderr
    # A bad key name: file, line and key.
    with open(conf, "w") as f:
        f.write("listen = 203.0.113.1:21\nlisen = 1\n")
    r = subprocess.run([L.GATEWAY_BIN, "-t", "-c", conf], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 1
    assert f"{conf}:2: lisen" in r.stderr
    r = subprocess.run([L.GATEWAY_BIN, "--version"], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0 and r.stdout.startswith("ftpsgw ")
