"""Clear text toward the client where the admin allows it (protocol
completeness issue, part 4): CCC with allow_ccc = on, PROT C and plain FTP
with client_tls = optional. The FTP server's side stays encrypted in every
case: the servers run with TLS required (ProFTPD TLSRequired on, vsftpd
force_local_*_ssl, pure-ftpd -Y 3), so any clear command or data toward
them would be refused and the transfers below would fail."""

import os

import pytest

from test_gateway import curl, ftp_script, gw_config, same, url


@pytest.fixture(params=["proftpd", "vsftpd", "pureftpd"])
def server(request):
    return request.getfixturevalue(request.param)


CCC_BODY = """
import io
f.connect(host, 21)
out('EARLY', cmd('CCC')[:3])             # before TLS: 530, TLS first
f.auth()
out('BEFORE-LOGIN', cmd('CCC')[:3])      # TLS, but not logged in
f.login(user, pw); f.prot_p()
out('FEAT-CCC', ' CCC' in f.sendcmd('FEAT').split('\\n'))
out('CCC', f.ccc()[:3])                  # unwrap(): close_notify both ways
out('NOOP', cmd('NOOP')[:3])
out('PWD', cmd('PWD')[:3])
data = []
f.retrbinary('RETR f16385', data.append)  # data stays PROT P
out('LEN', sum(map(len, data)))
out('NLST', 'f1M' in f.nlst())
out('AUTH', cmd('AUTH TLS')[:3])
f.quit()
"""


def test_ccc_clears_only_the_client_side(lab, certs, server, start_gw):
    gw = start_gw(gw_config(certs, server, allow_ccc="on"))
    r = ftp_script(lab, certs, server, CCC_BODY)
    assert r.returncode == 0, r.stdout + r.stderr + gw.log_text()[-3000:]
    want = {"EARLY": "530", "BEFORE-LOGIN": "533", "FEAT-CCC": "True",
            "CCC": "200", "NOOP": "200", "PWD": "257", "LEN": "16385",
            "NLST": "True", "AUTH": "503"}
    got = dict(line.split(" ", 1) for line in r.stdout.splitlines()
               if line.split(" ", 1)[0] in want)
    assert got == want, r.stdout
    log = gw.log_text()
    assert "the control channel to the client is clear text" in log
    assert "client closed" not in log.split("CCC:")[1].split("\n")[0]


def test_curl_ccc_download_and_upload(lab, certs, proftpd, start_gw):
    """curl --ftp-ssl-ccc-mode active sends its close_notify and keeps its
    TLS session for the data connections."""
    gw = start_gw(gw_config(certs, proftpd, allow_ccc="on"))
    out = lab.path("ccc-active")
    src = lab.test_files()["f1M"]
    target = os.path.join(proftpd.upload, "ccc-up")
    ccc = ["--ftp-ssl-ccc", "--ftp-ssl-ccc-mode", "active"]
    r = curl(lab, certs, proftpd, *ccc, url("f1M"), "-o", out)
    assert r.returncode == 0, r.stderr + gw.log_text()[-3000:]
    assert same(out, os.path.join(proftpd.home, "f1M"))
    r = curl(lab, certs, proftpd, *ccc, "-T", src,
             url(f"{proftpd.upload_ftp}/ccc-up"))
    assert r.returncode == 0, r.stderr + gw.log_text()[-3000:]
    assert same(target, src)
    os.unlink(target)
    assert gw.log_text().count("the control channel to the client is "
                               "clear text") == 2


def test_curl_ccc_passive_mode_loses_its_session(lab, certs, proftpd,
                                                 start_gw):
    """curl's default CCC mode frees its TLS connection without sending
    close_notify, so OpenSSL discards the session curl would resume: the
    data connection is refused with a log line naming the curl option (curl
    gives up when its data connection closes, before the 425 that follows
    data_timeout); with require_session_reuse = off the transfer works."""
    gw = start_gw(gw_config(certs, proftpd, allow_ccc="on"))
    out = lab.path("ccc-passive")
    r = curl(lab, certs, proftpd, "--ftp-ssl-ccc", url("f16385"), "-o", out)
    assert r.returncode != 0
    assert "curl: use --ftp-ssl-ccc-mode active" in gw.log_text(), \
        gw.log_text()[-3000:]
    gw.stop()
    gw = start_gw(gw_config(certs, proftpd, allow_ccc="on",
                            require_session_reuse="off"))
    r = curl(lab, certs, proftpd, "--ftp-ssl-ccc", url("f16385"), "-o", out)
    assert r.returncode == 0, r.stderr + gw.log_text()[-3000:]
    assert same(out, os.path.join(proftpd.home, "f16385"))


def test_ccc_refused_by_default(lab, certs, proftpd, start_gw):
    gw = start_gw(gw_config(certs, proftpd))
    r = ftp_script(lab, certs, proftpd, """
f.connect(host, 21); f.login(user, pw); f.prot_p()
out('FEAT-CCC', ' CCC' in f.sendcmd('FEAT').split('\\n'))
out('CCC', cmd('CCC')[:3])
data = []
f.retrbinary('RETR f1', data.append)     # still inside TLS
out('LEN', sum(map(len, data)))
f.quit()
""")
    assert r.returncode == 0, r.stdout + r.stderr + gw.log_text()[-3000:]
    got = [line for line in r.stdout.splitlines()
           if line.split(" ")[0] in ("FEAT-CCC", "CCC", "LEN")]
    assert got == ["FEAT-CCC False", "CCC 533", "LEN 1"], r.stdout
    assert "CCC refused: allow_ccc = off" in gw.log_text()


PROT_C_BODY = """
import io
f.connect(host, 21); f.login(user, pw)
out('PROT', f.prot_c()[:3])
data = []
f.retrbinary('RETR f1M', data.append)
out('SHA', __import__('hashlib').sha256(b''.join(data)).hexdigest())
f.storbinary('STOR ' + sys.argv[5], io.BytesIO(b'c' * 100000))
out('NLST', 'f16384' in f.nlst())
f.quit()
"""


def test_prot_c_with_client_tls_optional(lab, certs, server, start_gw):
    """The client's data is clear (PROT C), the server's stays PROT P."""
    import hashlib
    gw = start_gw(gw_config(certs, server, client_tls="optional"))
    up = f"{server.upload_ftp}/protc-up"
    target = os.path.join(server.upload, "protc-up")
    if os.path.exists(target):
        os.unlink(target)
    r = ftp_script(lab, certs, server, PROT_C_BODY, extra=[up])
    assert r.returncode == 0, r.stdout + r.stderr + gw.log_text()[-3000:]
    with open(os.path.join(server.home, "f1M"), "rb") as fh:
        want = hashlib.sha256(fh.read()).hexdigest()
    assert r.stdout.split() == ["PROT", "200", "SHA", want, "NLST", "True"]
    with open(target, "rb") as fh:
        assert fh.read() == b"c" * 100000
    os.unlink(target)


def test_plain_ftp_client_with_client_tls_optional(lab, certs, proftpd,
                                                   start_gw):
    """No AUTH at all: clear toward the client, TLS toward the server."""
    gw = start_gw(gw_config(certs, proftpd, client_tls="optional"))
    r = ftp_script(lab, certs, proftpd, """
g = ftplib.FTP(timeout=10)
g.connect(host, 21); g.login(user, pw)
data = []
g.retrbinary('RETR f16385', data.append)
out('LEN', sum(map(len, data)))
try:
    g.sendcmd('PROT P')
except ftplib.all_errors as e:
    out('PROTERR', str(e)[:3])
g.quit()
""")
    assert r.returncode == 0, r.stdout + r.stderr + gw.log_text()[-3000:]
    assert r.stdout.split() == ["LEN", "16385", "PROTERR", "503"]
    # curl --ftp-ssl-control: TLS on control, PROT C for data.
    out = lab.path("protc-curl")
    r = curl(lab, certs, proftpd, url("f1M"), "-o", out,
             ssl="--ftp-ssl-control")
    assert r.returncode == 0, r.stderr + gw.log_text()[-3000:]
    assert "C> PROT C" in gw.log_text()
    assert same(out, os.path.join(proftpd.home, "f1M"))
