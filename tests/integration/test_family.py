"""Address family translation (protocol completeness issue, part 2): an IPv4
client in front of an IPv6 FTP server. The client keeps its PASV/PORT (or
EPSV/EPRT) and ftpsgw speaks what the server needs: EPSV toward it for
passive, EPRT |2| with its own LAN address for active. (The IPv6 client to
IPv4 server direction is in test_gateway and test_active.)"""

import os

import pytest

import servers
from test_gateway import curl, ftpc, gw_config, same, url


@pytest.fixture(params=["proftpd", "vsftpd", "pureftpd"])
def server6(request, lab, certs):
    """Each server on its IPv6 address."""
    if request.param == "proftpd":
        yield request.getfixturevalue("proftpd").at(lab.SERVER6)
        return
    start = servers.start_vsftpd if request.param == "vsftpd" else \
        servers.start_pureftpd
    srv = start(lab, certs, ipv6=True)
    try:
        yield srv
    finally:
        srv.stop()


def test_ipv4_client_to_ipv6_server(lab, certs, server6, start_gw):
    gw = start_gw(gw_config(certs, server6))
    files = lab.test_files()
    name = server6.name
    dl = lab.path(f"v4to6-{name}")
    for mode in ("pasv", "epsv", "active", "eprt"):
        up = f"v4to6-{mode}"
        target = os.path.join(server6.upload, up)
        if os.path.exists(target):
            os.unlink(target)
        r = ftpc(lab, certs, server6, "list", "get", "f1M", f"{dl}-{mode}",
                 "put", files["f16385"], f"{server6.upload_ftp}/{up}",
                 extra=["--mode", mode])
        assert r.returncode == 0, (mode, r.stdout + r.stderr +
                                   gw.log_text()[-3000:])
        assert "f16384" in r.stdout
        assert same(f"{dl}-{mode}", os.path.join(server6.home, "f1M"))
        assert same(target, files["f16385"])
        os.unlink(target)
    r = curl(lab, certs, server6, url("f100M"), "-o", dl)
    assert r.returncode == 0, r.stderr + gw.log_text()[-3000:]
    assert same(dl, os.path.join(server6.home, "f100M"))
    log = gw.log_text()
    # Toward the server: IPv6 only, our LAN address in EPRT.
    assert "S> EPRT |2|2001:db8:2::1|" in log
    assert "PASV" not in [ln.split("> ", 1)[-1] for ln in log.splitlines()
                          if " S> " in ln]
