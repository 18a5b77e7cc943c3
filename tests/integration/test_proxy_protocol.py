"""backend_proxy_protocol = v2 (issue 17, part 4): ftpsgw sends the PROXY
protocol v2 header first on its control connection to the server, before
the 220 and before TLS, and never on a data connection. The server is a
scripted one (fakeftp.py --proxy-v2, in the server namespace) that reads the
header strictly (signature, 0x21, TCP over IPv4, length 12) before it says
220, then speaks explicit FTPS (AUTH TLS, PROT P, EPSV, LIST, RETR) and
reports the first byte of each data connection: a TLS ClientHello (0x16),
never the header's first byte (0x0d)."""

import lab as L
from test_gateway import GW4, ftp_script, gw_config
from test_hostile_backend import hostile

PROXY_SERVER = "198.51.100.15"
FAKE = type("Fake", (), {"hostport": f"{PROXY_SERVER}:21",
                         "user": "proxied", "password": "proxied-pw"})


def proxy_server(lab, certs, *extra):
    """fakeftp.py normal (with the options extra, --proxy-v2 in these
    tests) on PROXY_SERVER:21."""
    return hostile(lab, certs, "normal", address=PROXY_SERVER, extra=extra)


BODY = """
f.connect(host, 21)
out("myport", f.sock.getsockname()[1])
f.login(user, pw); f.prot_p()
out("list", " ".join(f.nlst()))
got = []
f.retrbinary("RETR x", got.append)
out("retr", len(b"".join(got)), set(b"".join(got)) == {ord("x")})
f.quit()
"""


def run_client(lab, certs):
    r = ftp_script(lab, certs, FAKE, BODY)
    got = {}
    for ln in r.stdout.splitlines():
        k, _, v = ln.partition(" ")
        got.setdefault(k, v)
    return got, r


def test_header_then_ftps(lab, certs, start_gw):
    """The header carries the client's address and source port as the
    gateway saw them, and the address the client connected to; the login,
    a listing and a download go through; data connections start with TLS."""
    config = gw_config(certs, FAKE, backend_proxy_protocol="v2",
                       backend_verify="off")
    with proxy_server(lab, certs, "--proxy-v2") as ev:
        gw = start_gw(config)
        got, r = run_client(lab, certs)
        log = gw.log_text()
        assert r.returncode == 0, r.stdout + r.stderr + log[-3000:] + ev.text()
        line = ev.wait("proxy src")
        assert line == (f"proxy src {L.Lab.CLIENT4}:{got['myport']} dst "
                        f"{GW4}:21"), ev.text()
        assert got["retr"] == "16384 True"
        assert "hostile-file" in got["list"]
        firsts = [ln for ln in ev.text().splitlines()
                  if ln.startswith("data first byte")]
        assert firsts == ["data first byte 16"] * 2, ev.text()
    assert "PROXY v2 header sent (28 bytes)" in log


def test_server_without_proxy_sees_no_header(lab, certs, start_gw):
    """Control case: without backend_proxy_protocol the same strict server
    waits for a header that never comes, the gateway gives up after
    connect_timeout and the client gets a 421, not silence; so the test
    above can fail."""
    config = gw_config(certs, FAKE, backend_verify="off", connect_timeout="2")
    with proxy_server(lab, certs, "--proxy-v2") as ev:
        gw = start_gw(config)
        got, r = run_client(lab, certs)
        assert r.returncode != 0
        assert "421" in r.stdout + r.stderr
        line = ev.wait("control error")
        assert "EOF after 0 of 16 bytes" in line, ev.text()
        assert "proxy src" not in ev.text()
    gw.stop()
