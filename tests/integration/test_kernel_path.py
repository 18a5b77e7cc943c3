"""data_path = kernel (DESIGN.md, "The kernel data path"; performance
issue): passive data connections are forwarded by the kernel straight to
the FTP server through a NAT expectation whose master is ftpsgw's control
connection to the server. TLS on data is then end to end, so the server
must not require session reuse and must show a certificate for the
gateway's name. ftpsgw relays no data byte itself."""

import os
import re
import subprocess

import pytest

import lab as L
import servers as S
from test_gateway import GW4, GW6, curl, ftp_script, ftpc, gw_config, same, url
from test_gateway_modes import server_on

KERNEL_BE = "198.51.100.15"


@pytest.fixture
def open_proftpd(lab, certs):
    """ProFTPD as the kernel path needs it: NoSessionReuseRequired, and the
    gateway's certificate (clients verify it on data connections); clear
    data connections allowed (TLSRequired ctrl) for the PROT C test."""
    with server_on(lab, KERNEL_BE, lambda: S.start_proftpd(
            lab, certs, address=KERNEL_BE, address6="",
            tls_options="NoSessionReuseRequired", tag="proftpd-kernel",
            cert=(certs.gw_cert, certs.gw_key), tls_required="ctrl")) as srv:
        yield srv


def data_flows(lab):
    """The router's conntrack entries of data connections from the client
    that were NATed to the kernel test server."""
    r = lab.run(lab.ns_router, ["conntrack", "-L", "-p", "tcp"], check=False)
    return [ln for ln in r.stdout.splitlines()
            if f"src={KERNEL_BE}" in ln and "dport=21 " not in ln and
            "sport=21 " not in ln]


def test_kernel_path_forwards_data(lab, certs, open_proftpd, start_gw):
    srv = open_proftpd
    gw = start_gw(gw_config(certs, srv, data_path="kernel",
                            backend_name="ftp.example.test"))
    files = lab.test_files()
    out = lab.path("kernel-f100M")
    r = curl(lab, certs, srv, url("f100M"), "-o", out)
    assert r.returncode == 0, r.stderr + gw.log_text()[-3000:]
    assert same(out, os.path.join(srv.home, "f100M"))
    up = "kernel-up"
    r = curl(lab, certs, srv, "-T", files["f1M"], url(f"upload/{up}"))
    assert r.returncode == 0, r.stderr + gw.log_text()[-3000:]
    assert same(os.path.join(srv.upload, up), files["f1M"])
    r = curl(lab, certs, srv, url(""))
    assert r.returncode == 0 and "f100M" in r.stdout, r.stderr
    # The router tracked the client's data connections as NATed to the
    # server's passive ports; ftpsgw relayed none of their bytes.
    flows = data_flows(lab)
    assert any(f"src={L.Lab.CLIENT4}" in ln and f"dst={GW4}" in ln
               for ln in flows), flows
    log = gw.log_text()
    assert "data_path = kernel: data connections (passive and active) are " \
        "forwarded by the kernel" in log
    assert len(re.findall(r"forwarded by the kernel to the FTP server's "
                          r"port \d+", log)) == 3, log[-3000:]
    assert "data relay on port" not in log
    closed = re.findall(r"session closed \(ended\): 1 transfers, (\d+) bytes "
                        r"down and (\d+) up on data", log)
    assert closed == [("0", "0")] * 3, log[-3000:]
    os.unlink(os.path.join(srv.upload, up))


@pytest.mark.parametrize("mode", ["active", "eprt"])
def test_active_mode_forwarded_to_the_client(lab, certs, open_proftpd,
                                             start_gw, mode):
    """DESIGN.md fact 5: the server's connection to the port ftpsgw named in
    its PORT/EPRT is forwarded by the kernel to the port the client named,
    from the gateway's public address (master: the client's control
    connection, NAT REPLY)."""
    srv = open_proftpd
    gw = start_gw(gw_config(certs, srv, data_path="kernel",
                            backend_name="ftp.example.test"))
    files = lab.test_files()
    dl = lab.path(f"kernel-act-{mode}")
    up = f"kernel-act-{mode}"
    r = ftpc(lab, certs, srv, "list", "get", "f1M", dl, "put", files["f16385"],
             f"{srv.upload_ftp}/{up}", extra=["--mode", mode])
    assert r.returncode == 0, r.stdout + r.stderr + gw.log_text()[-3000:]
    assert "f16384" in r.stdout
    assert same(dl, os.path.join(srv.home, "f1M"))
    assert same(os.path.join(srv.upload, up), files["f16385"])
    log = gw.log_text()
    assert len(re.findall(r"forwarded by the kernel to the client's port",
                          log)) == 3, log[-3000:]
    assert "data relay on port" not in log
    os.unlink(os.path.join(srv.upload, up))


def test_client_protection_level_reaches_the_server(lab, certs,
                                                    open_proftpd, start_gw):
    """End to end, the server must expect what the client sends: a PROT C
    client (client_tls = optional) makes ftpsgw send PROT C to the server
    before the transfer (its own PROT P of the login preamble would have
    the server wait for a TLS handshake), and PROT P again after."""
    srv = open_proftpd
    gw = start_gw(gw_config(certs, srv, data_path="kernel",
                            backend_name="ftp.example.test",
                            client_tls="optional"))
    out = lab.path("kernel-clear")
    r = curl(lab, certs, srv, url("f1M"), "-o", out, ssl="--ftp-ssl-control")
    assert r.returncode == 0, r.stderr + gw.log_text()[-3000:]
    assert same(out, os.path.join(srv.home, "f1M"))
    out = lab.path("kernel-private")
    r = curl(lab, certs, srv, url("f1M"), "-o", out)
    assert r.returncode == 0, r.stderr + gw.log_text()[-3000:]
    assert same(out, os.path.join(srv.home, "f1M"))
    log = gw.log_text()
    assert log.count("S> PROT C") == 1, log[-3000:]
    assert "S> PROT P\n" not in log     # the second session needs none
    assert "refused our PROT" not in log


def test_ipv6_client_is_relayed(lab, certs, open_proftpd, start_gw):
    """No NAT between IPv6 and IPv4: such a session's data is relayed."""
    srv = open_proftpd
    gw = start_gw(gw_config(certs, srv, data_path="kernel",
                            backend_name="ftp.example.test"))
    out = lab.path("kernel-v6")
    r = curl(lab, certs, srv, "-g", url("f1M", host=GW6), "-o", out)
    assert r.returncode == 0, r.stderr + gw.log_text()[-3000:]
    assert same(out, os.path.join(srv.home, "f1M"))
    assert "data relay on port" in gw.log_text()


def test_server_requiring_reuse_refuses_kernel_path(lab, certs, proftpd,
                                                    start_gw):
    """The default ProFTPD wants its own session resumed: end to end, the
    client offers the gateway's, so the server refuses the data connection,
    as ftpsgw's start message warns."""
    gw = start_gw(gw_config(certs, proftpd, data_path="kernel"))
    r = curl(lab, certs, proftpd, url("f16384"), "-o", lab.path("kernel-no"),
             timeout=30)
    assert r.returncode != 0
    assert "TLSOptions NoSessionReuseRequired" in gw.log_text()


def test_kernel_path_needs_conntrack(lab, certs, proftpd):
    conf = lab.write_config(gw_config(certs, proftpd, data_path="kernel",
                                      conntrack="off"), "kernel-ct-off")
    r = subprocess.run([L.GATEWAY_BIN, "-c", conf], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 1
    assert "data_path = kernel needs conntrack" in r.stderr


def test_expectation_removed_by_its_own_identity(lab, certs, open_proftpd,
                                                 start_gw):
    """Issue 12, parts 2 and 6, with one passive port. While session A's
    transfer holds the port, session B gets no expectation for the same
    tuple (425); once A is done, A's expectation has been deleted by the
    identity the kernel gave it (CTA_EXPECT_ID: a delete by tuple alone
    could have hit B's), and B's PASV gets the port and its transfer gets
    through the strict firewall. A PASV left unused and replaced by
    another is deleted the same way: the new one takes the same tuple."""
    srv = open_proftpd
    gw = start_gw(gw_config(certs, srv, data_path="kernel",
                            backend_name="ftp.example.test",
                            passive_ports="40000-40000"))
    r = ftp_script(lab, certs, srv, """
def session():
    s = F(context=ctx, timeout=10)
    s.connect(host, 21); s.login(user, pw); s.prot_p(); s.voidcmd('TYPE I')
    return s
def fetch(s, port, name):
    import socket
    c = socket.create_connection((host, port), timeout=5)
    s.sendcmd('RETR ' + name)
    c = s.context.wrap_socket(c, server_hostname=host)
    n = 0
    while True:
        d = c.recv(65536)
        if not d:
            break
        n += len(d)
    c.close()
    return n, s.voidresp()[:3]
a, b = session(), session()
conn = a.transfercmd('RETR f1M')
got = len(conn.recv(1024))
try:
    out('B-BUSY', b.sendcmd('PASV')[:3])
except ftplib.Error as e:
    out('B-BUSY', str(e)[:3])
while True:
    d = conn.recv(65536)
    if not d:
        break
    got += len(d)
conn.close()
out('A', got, a.voidresp()[:3])
port_b = b.makepasv()[1]
out('B', port_b, *fetch(b, port_b, 'f16385'))
b.makepasv()
port_c = b.makepasv()[1]
out('C', port_c, *fetch(b, port_c, 'f1'))
a.quit(); b.quit()
""", timeout=90)
    log = gw.log_text()
    assert "B-BUSY 425" in r.stdout, r.stdout + r.stderr + log[-3000:]
    assert "A 1048576 226" in r.stdout, r.stdout + r.stderr + log[-3000:]
    assert "B 40000 16385 226" in r.stdout, r.stdout + r.stderr + log[-3000:]
    assert "C 40000 1 226" in r.stdout, r.stdout + r.stderr + log[-3000:]
    assert "removing the conntrack expectation" not in log, log[-3000:]
