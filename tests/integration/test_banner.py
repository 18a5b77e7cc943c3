"""The server's banner and LAN addresses stay on the LAN (security issue 12,
part 8). ftpsgw greets clients with its own banner (gateway.conf `banner`),
and no reply a client sees names the server's LAN address or ftpsgw's own
LAN address: STAT output, errors, goodbyes and stray passive replies from
the fake server (fakeftp.py lan_addresses), and whatever ProFTPD, vsftpd and
pure-ftpd say in a session that touches every such reply."""

import pytest

import lab as L
from test_gateway import GW4, ftp_script, gw_config
from test_hostile_backend import FAKE, hostile

DEFAULT_BANNER = "220 ftpsgw ready."
# Anything of the LAN: the servers' IPv4 and IPv6 networks, the router's LAN
# side (198.51.100.1) included, written as text or as a PASV/PORT tuple.
LAN_MARKS = ("198.51.100.", "198,51,100,", "2001:db8:2:")

# Every line the client reads, the greeting included, is printed "L <line>".
RECORD = """
lines = []
_getline = f.getline
def getline():
    line = _getline()
    out('L', line)
    return line
f.getline = getline
def ask(line):
    try:
        return f.sendcmd(line)
    except ftplib.all_errors as e:
        return str(e)
f.connect(host, 21)
"""


def client_lines(stdout):
    return [ln[2:] for ln in stdout.splitlines() if ln.startswith("L ")]


def assert_no_lan(lines, text):
    for ln in lines:
        for mark in LAN_MARKS:
            assert mark not in ln, (ln, text)


FAKE_BODY = RECORD + """
f.login(user, pw); f.prot_p()
out('STAT', ask('STAT'))
out('HELP', ask('HELP'))
out('SITE', ask('SITE X'))
out('NOOP', ask('NOOP'))
out('QUIT', f.quit())
"""


def test_fake_server_lan_addresses_stay_on_the_lan(lab, certs, start_gw):
    """fakeftp names 198.51.100.14 (its own) and 198.51.100.1 (ftpsgw's LAN
    side, the peer it sees) in its greeting, STAT, HELP, an error and its
    goodbye, and answers NOOP with a 227: the client gets ftpsgw's banner,
    the addresses as seen from outside (the gateway's public address for
    the server, the client's own for the peer), and a 227 whose address and
    port are withheld; each command still gets its one reply."""
    with hostile(lab, certs, "lan_addresses"):
        gw = start_gw(gw_config(certs, FAKE))
        r = ftp_script(lab, certs, FAKE, FAKE_BODY)
        text = r.stdout + r.stderr + gw.log_text()[-3000:]
        assert r.returncode == 0, text
        lines = client_lines(r.stdout)
        assert lines[0] == DEFAULT_BANNER, text
        assert_no_lan(lines, text)
        assert f" Connected from {L.Lab.CLIENT4} ({L.Lab.CLIENT4})" in \
            lines, text
        assert f"211-Status of fakeftp on {GW4}" in lines, text
        got = dict(ln.split(" ", 1) for ln in r.stdout.splitlines()
                   if not ln.startswith("L "))
        assert got["HELP"] == f"214 Mail ftp@[{GW4}] for help.", text
        assert got["SITE"] == (f"500 Cannot reach {GW4}:21 from "
                               f"{L.Lab.CLIENT4}."), text
        assert got["NOOP"].startswith("227 "), text
        assert "(" not in got["NOOP"], text
        assert got["QUIT"] == f"221 Goodbye from {GW4}.", text


def test_banner_setting(lab, certs, start_gw):
    """banner = TEXT replaces the default greeting."""
    with hostile(lab, certs, "lan_addresses"):
        start_gw(gw_config(certs, FAKE, banner="Example Corp. FTP"))
        r = ftp_script(lab, certs, FAKE, RECORD + "f.quit()\n")
        lines = client_lines(r.stdout)
        assert lines[0] == "220 Example Corp. FTP", r.stdout + r.stderr


REAL_BODY = RECORD + """
f.login(user, pw); f.prot_p()
out('SYST', ask('SYST')[:3])
out('STAT', ask('STAT')[:3])
out('PASV', ask('PASV')[:3])
out('STAT2', ask('STAT')[:3])          # in passive mode now
out('EPSV', ask('EPSV')[:3])
out('HELP', ask('HELP')[:3])
out('SITE', ask('SITE HELP')[:3])
out('CWD', ask('CWD /no/such/directory')[:3])
out('EPRT', ask('EPRT |1|' + sys.argv[5] + '|40000|')[:3])
out('BAD', ask('XYZZY')[:3])
out('QUIT', f.quit()[:3])
"""


@pytest.mark.parametrize("name", ["proftpd", "vsftpd", "pureftpd"])
def test_real_server_lan_addresses_stay_on_the_lan(lab, certs, start_gw,
                                                    request, name):
    """A session touching every reply that may carry an address (greeting,
    SYST, STAT before and in passive mode, PASV, EPSV, HELP, SITE, an
    error, EPRT, an unknown command, the goodbye): ftpsgw's banner first,
    and no line the client reads names a LAN address."""
    srv = request.getfixturevalue(name)
    gw = start_gw(gw_config(certs, srv))
    r = ftp_script(lab, certs, srv, REAL_BODY, extra=[L.Lab.CLIENT4])
    print(r.stdout, r.stderr)
    text = r.stdout + r.stderr + gw.log_text()[-3000:]
    assert r.returncode == 0, text
    lines = client_lines(r.stdout)
    assert lines[0] == DEFAULT_BANNER, text
    assert_no_lan(lines, text)
    got = dict(ln.split(" ", 1) for ln in r.stdout.splitlines()
               if not ln.startswith("L "))
    assert got["STAT"][0] == "2" and got["PASV"] == "227", text
    assert got["EPSV"] == "229" and got["QUIT"] == "221", text
