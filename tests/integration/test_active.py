"""Active mode (PORT, EPRT) through the strict lab (protocol completeness
issue, part 1): the backend connects to ftpsgw's LAN address, admitted by an
expectation whose master is ftpsgw's control connection to it; ftpsgw
connects out to the client as TLS server (RFC 4217 roles)."""

import os

import pytest

import lab as L
from test_gateway import GW4, GW6, ftp_script, ftpc, gw_config, same


@pytest.fixture(params=["proftpd", "vsftpd", "pureftpd"])
def server(request):
    return request.getfixturevalue(request.param)


@pytest.mark.parametrize("mode", ["active", "eprt"])
def test_ftplib_active_list_get_put(lab, certs, server, start_gw, mode):
    gw = start_gw(gw_config(certs, server))
    files = lab.test_files()
    dl = lab.path(f"act-{server.name}-{mode}")
    up = f"act-{mode}"
    target = os.path.join(server.upload, up)
    if os.path.exists(target):
        os.unlink(target)
    r = ftpc(lab, certs, server, "list", "get", "f1M", dl, "put",
             files["f16385"], f"{server.upload_ftp}/{up}", "get", "f0",
             dl + ".0", extra=["--mode", mode])
    assert r.returncode == 0, r.stdout + r.stderr + gw.log_text()[-3000:]
    assert "f16384" in r.stdout
    assert same(dl, os.path.join(server.home, "f1M"))
    assert same(dl + ".0", os.path.join(server.home, "f0"))
    assert same(target, files["f16385"])
    os.unlink(target)


def test_lftp_active_get_put(lab, certs, proftpd, start_gw):
    gw = start_gw(gw_config(certs, proftpd))
    files = lab.test_files()
    dl = lab.path("lftp-active")
    target = os.path.join(proftpd.upload, "lftp-active-up")
    if os.path.exists(target):
        os.unlink(target)
    script = (
        "set ftp:ssl-force true; set ftp:ssl-protect-data true; "
        "set ftp:passive-mode off; "
        f"set ssl:ca-file {certs.ca_cert}; set net:max-retries 1; "
        "set net:timeout 10; "
        f"open -u {proftpd.user},{proftpd.password} {GW4}; "
        f"get f100M -o {dl}; put {files['f1M']} -o upload/lftp-active-up; "
        "ls; bye")
    r = lab.run(lab.ns_client, ["lftp", "-c", script], check=False,
                timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr + gw.log_text()[-3000:]
    assert same(dl, os.path.join(proftpd.home, "f100M"))
    assert same(target, files["f1M"])
    assert "PORT" in gw.log_text() or "EPRT" in gw.log_text()
    os.unlink(target)


def test_ipv6_client_eprt_to_ipv4_backend(lab, certs, proftpd, start_gw):
    gw = start_gw(gw_config(certs, proftpd))
    dl = lab.path("act-v6")
    r = ftpc(lab, certs, proftpd, "get", "f16384", dl, host=GW6,
             extra=["--mode", "eprt"])
    assert r.returncode == 0, r.stdout + r.stderr + gw.log_text()[-3000:]
    assert same(dl, os.path.join(proftpd.home, "f16384"))
    assert "EPRT |2|2001:db8:1::10|" in gw.log_text()


def test_bounce_is_refused(lab, certs, proftpd, start_gw):
    """RFC 2577: PORT/EPRT may name only the client's own address and a
    port of 1024 or more; each refusal is logged."""
    gw = start_gw(gw_config(certs, proftpd))
    body = """
f.connect(host, 21); f.login(user, pw); f.prot_p()
cmd('PORT 198,51,100,10,0,21')          # the backend's FTP port: bounce
cmd('EPRT |1|198.51.100.10|21|')
cmd('PORT 203,0,113,10,0,25')           # own address, privileged port
cmd('EPRT |2|2001:db8:1::99|5000|')     # a foreign IPv6 address
cmd('PORT 203,0,113,10,300,1')          # octet out of range
cmd('EPRT |3|x|1|')                     # unknown protocol
cmd('LPRT 4,4,203,0,113,10,2,4,1')
cmd('NOOP')
f.quit()
"""
    r = ftp_script(lab, certs, proftpd, body)
    lines = r.stdout.splitlines()
    assert lines[0].startswith("504 PORT/EPRT must name your own address"), r.stdout
    assert lines[1].startswith("504 PORT/EPRT must name your own address")
    assert lines[2].startswith("504 PORT/EPRT must name a port of 1024")
    assert lines[3].startswith("504 ")
    assert lines[4].startswith("501 ")
    assert lines[5].startswith("522 ")
    assert lines[6].startswith("502 ")
    assert lines[7].startswith("200 ")
    log = gw.log_text()
    assert "FTP bounce attempt?" in log
    assert "privileged port 25 refused" in log
    # Nothing of it reached the backend.
    assert "198,51,100,10,0,21" not in proftpd.all_logs()


def test_active_needs_the_expectation(lab, certs, proftpd, start_gw):
    """The backend's connection to the router's LAN address is admitted
    only by the expectation (master: ftpsgw's control connection to the
    backend): with conntrack = off the strict firewall drops it."""
    gw = start_gw(gw_config(certs, proftpd, conntrack="off", data_timeout=3,
                            connect_timeout=3))
    r = ftpc(lab, certs, proftpd, "get", "f16384", lab.path("act-off"),
             extra=["--mode", "active", "--timeout", "15"])
    assert r.returncode != 0, r.stdout + gw.log_text()[-2000:]
    gw.stop()
    gw = start_gw(gw_config(certs, proftpd))
    r = ftpc(lab, certs, proftpd, "get", "f16384", lab.path("act-on"),
             extra=["--mode", "active"])
    assert r.returncode == 0, r.stdout + r.stderr + gw.log_text()[-3000:]
    assert same(lab.path("act-on"), os.path.join(proftpd.home, "f16384"))


def test_active_mode_off_and_epsv_all(lab, certs, proftpd, start_gw):
    """active_mode = off refuses PORT/EPRT with 502; after EPSV ALL only
    EPSV is accepted (RFC 2428); REIN is refused."""
    start_gw(gw_config(certs, proftpd, active_mode="off"))
    body = """
f.connect(host, 21); f.login(user, pw); f.prot_p()
cmd('PORT 203,0,113,10,200,1'); cmd('EPRT |1|203.0.113.10|51201|')
cmd('EPSV ALL'); cmd('PASV'); cmd('EPSV'); cmd('REIN'); cmd('NOOP')
f.quit()
"""
    r = ftp_script(lab, certs, proftpd, body)
    lines = r.stdout.splitlines()
    assert lines[0].startswith("502 Active mode is disabled"), r.stdout
    assert lines[1].startswith("502 Active mode is disabled")
    assert lines[2].startswith("200 EPSV ALL")
    assert lines[3].startswith("501 PASV refused after EPSV ALL")
    assert lines[4].startswith("229 ")
    assert lines[5].startswith("502 REIN")
    assert lines[6].startswith("200 ")
