"""Reply pairing that cannot be desynchronised (security issue 12, part 5).

Every command a client sends gets exactly one final reply, in order, and no
reply of the server that names its LAN address or port reaches the client:
with ABOR pipelined in front of PASV/EPSV, with a bare CR inside a command
argument, and with long reply lines followed by many queued local replies.
Against the scripted fake server (fakeftp.py) and the three real servers.
"""

import pytest

from fakeftp import long_help_lines
from test_gateway import GW4, ftp_script, gw_config
from test_hostile_backend import FAKE, LOGIN, hostile, script

# Passive ports the gateway announces (gw_config's passive_ports).
PASSIVE_LOW, PASSIVE_HIGH = 40000, 40099

# resp(): the next reply, or the error's text; never raises.
RESP = """
def resp():
    try:
        return f.getresp()
    except ftplib.all_errors as e:
        return str(e) or 'EOF'
"""


# ---- ABOR pipelined with PASV / EPSV ----------------------------------------

ABOR_PASSIVE = LOGIN + RESP + """
def listing(h, port):
    try:
        raw = socket.create_connection((h, port), timeout=5)
    except OSError as e:
        return 'connect failed: ' + str(e), ''
    f.putcmd('NLST')
    start = resp()
    if not start.startswith('1'):
        raw.close()
        return start, ''
    d = f.context.wrap_socket(raw, server_hostname=f.host,
                              session=f.sock.session)
    data = b''
    while True:
        chunk = d.recv(65536)
        if not chunk:
            break
        data += chunk
    try:
        d.unwrap()
    except OSError:
        pass
    d.close()
    return start[:3] + ' ' + resp()[:3], data.decode(errors='replace')

f.voidcmd('TYPE A')
# A first PASV alone: a server without EPSV is then asked with PASV at once.
out('FIRST', ask('PASV')[:3])
for verb in ('PASV', 'EPSV'):
    # One write: the server gets both before it answers either.
    f.sock.sendall(('ABOR\\r\\n' + verb + '\\r\\n').encode())
    out(verb + '-ABOR', resp())
    r = resp()
    out(verb, r)
    if r.startswith('227'):
        h, port = ftplib.parse227(r)
    elif r.startswith('229'):
        h, port = host, int(r.split('|')[3])
    else:
        continue
    st, data = listing(h, port)
    out(verb + '-LIST', st)
    out(verb + '-NAMES', len(data.split()))
out('NOOP', ask('NOOP'))
f.quit()
"""


def check_abor_passive(got, text):
    assert got["FIRST"] == "227", text
    for verb in ("PASV", "EPSV"):
        assert got[verb + "-ABOR"][:3] in ("225", "226"), text
    # The gateway's own passive replies, never the server's.
    assert got["PASV"].startswith(f"227 Entering Passive Mode "
                                  f"({GW4.replace('.', ',')},"), text
    h, p1, p2 = got["PASV"].split("(")[1].split(")")[0].rsplit(",", 2)
    assert PASSIVE_LOW <= int(p1) * 256 + int(p2) <= PASSIVE_HIGH, text
    assert got["EPSV"].startswith("229 "), text
    assert PASSIVE_LOW <= int(got["EPSV"].split("|")[3]) <= PASSIVE_HIGH, \
        text
    assert "198.51.100." not in text and "198,51,100," not in text, text
    # And the passive command was not orphaned: its listing arrives.
    for verb in ("PASV", "EPSV"):
        assert got[verb + "-LIST"] in ("150 226", "125 226"), text
        assert int(got[verb + "-NAMES"]) > 0, text
    assert got["NOOP"].startswith("200"), text


@pytest.mark.parametrize("scenario", ["normal", "no_epsv"])
def test_abor_pipelined_with_passive_fake(lab, certs, start_gw, scenario):
    """'ABOR\\r\\nPASV\\r\\n' (and EPSV) in one write to the fake server: the
    ABOR's reply, then the gateway's own 227/229 naming its public address
    and a port of passive_ports, and a listing through that port. With
    no_epsv the gateway, having learnt from a first PASV that the server
    refuses EPSV, asks it with PASV, whose 227 names the server's LAN
    address (198.51.100.14)."""
    with hostile(lab, certs, scenario):
        gw = start_gw(gw_config(certs, FAKE))
        got, r = script(lab, certs, ABOR_PASSIVE)
        check_abor_passive(got, r.stdout + r.stderr + gw.log_text()[-3000:])


@pytest.mark.parametrize("name", ["proftpd", "vsftpd", "pureftpd"])
def test_abor_pipelined_with_passive_real(lab, certs, start_gw, request,
                                          name):
    """The same against ProFTPD, vsftpd and pure-ftpd."""
    srv = request.getfixturevalue(name)
    gw = start_gw(gw_config(certs, srv))
    r = ftp_script(lab, certs, srv, ABOR_PASSIVE, timeout=90)
    print(r.stdout, r.stderr)
    got = {}
    for ln in r.stdout.splitlines():
        k, _, v = ln.partition(" ")
        got.setdefault(k, v)
    check_abor_passive(got, r.stdout + r.stderr + gw.log_text()[-3000:])


# ---- a bare CR inside an argument -------------------------------------------

BARE_CR = LOGIN + RESP + """
lines = [b'CWD upload\\rDELE f1\\r\\n', b'MKD a\\rb\\r\\n', b'CWD x\\r\\r\\n',
         b'NO\\rOP\\r\\n']
for i, line in enumerate(lines):
    f.sock.sendall(line)
    out('R' + str(i), resp())
out('NOOP', ask('NOOP'))
f.quit()
"""


def test_bare_cr_in_argument_is_refused(lab, certs, start_gw):
    """A CR that does not end the line, inside an argument: 501, and the
    line never reaches the server (a server that ends lines at CR would
    read two commands and answer twice). Inside a verb: 500."""
    with hostile(lab, certs, "normal") as fake:
        gw = start_gw(gw_config(certs, FAKE))
        got, r = script(lab, certs, BARE_CR)
        text = r.stdout + r.stderr + gw.log_text()[-3000:]
        for i in range(3):
            assert got["R" + str(i)].startswith("501 "), text
        assert got["R3"].startswith("500 "), text
        assert got["NOOP"] == "200 NOOP ok.", text
        events = fake.text()
        verbs = [ln.split()[1] for ln in events.splitlines()
                 if ln.startswith("cmd ")]
        assert verbs[:6] == ["AUTH", "PBSZ", "PROT", "USER", "PASS",
                             "NOOP"], events
        assert set(verbs[6:]) <= {"QUIT"}, events
        assert "\r" not in events, events


# ---- long replies followed by many local ones -------------------------------

LOCAL_502 = ("502 Server-to-server transfers (FXP) are not supported "
             "through this gateway.")
N_LOCAL = 29     # with HELP, 30 commands in flight (CMD_FIFO_MAX is 32)

LONG_HELP = LOGIN + """
import time
for rnd in range(3):
    f.sock.sendall(b'HELP\\r\\n' + b'CPSV\\r\\n' * int(sys.argv[5]))
    if rnd == 1:
        time.sleep(0.5)         # the client does not read for a while
    for i in range(int(sys.argv[6])):
        try:
            out('L', f.getline())
        except ftplib.all_errors as e:
            out('ERROR', e or 'EOF')
            break
out('NOOP', ask('NOOP'))
"""


def test_long_replies_then_local_replies_all_arrive(lab, certs, start_gw):
    """HELP answered with short lines and then a line of 4,000 bytes, with
    29 commands answered by the gateway itself queued behind it, three
    times: every line arrives whole, in order, and nothing is dropped or
    glued to another line (the gateway's output buffer cannot take it all
    at once, so the rest must wait for room instead)."""
    help_lines = long_help_lines()
    expect = help_lines + [LOCAL_502] * N_LOCAL
    with hostile(lab, certs, "long_help"):
        gw = start_gw(gw_config(certs, FAKE, log_level="info"))
        r = ftp_script(lab, certs, FAKE, LONG_HELP, timeout=90,
                       extra=[str(N_LOCAL), str(len(expect))])
        text = r.stdout[-3000:] + r.stderr + gw.log_text()[-3000:]
        lines = [ln[2:] for ln in r.stdout.splitlines()
                 if ln.startswith("L ")]
        assert "ERROR" not in r.stdout, text
        assert len(lines) == 3 * len(expect), text
        for rnd in range(3):
            got = lines[rnd * len(expect):(rnd + 1) * len(expect)]
            for i, (g, e) in enumerate(zip(got, expect)):
                assert g == e, (rnd, i, g[:120], e[:120])
        assert "NOOP 200 NOOP ok." in r.stdout, text
        assert "reply dropped" not in gw.log_text()
