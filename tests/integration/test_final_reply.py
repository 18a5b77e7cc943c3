"""The final reply of a download tells the truth, whatever the order of
the server's reply and the client's end (issue 12, part 7).

A client that read a whole download and closes its data connection without
TLS close_notify (Python's ssl socket closed without unwrap(), and others)
must get the server's 226 both when the 226 reaches ftpsgw before the
client's FIN and when it comes after; a client that resets the data
connection before the end gets a 426, even when the server claims
success. The order is fixed by the scripted server (fakeftp.py
final_226_first / final_226_held), not left to timing.
"""

import pytest

from test_hostile_backend import FAKE, hostile, script
from test_gateway import gw_config

BODY = """
f.connect(host, 21); f.login(user, pw); f.prot_p(); f.voidcmd('TYPE I')
for i in range(3):
    conn = f.transfercmd('RETR payload')
    n = 0
    while True:
        d = conn.recv(65536)
        if not d:
            break
        n += len(d)
    conn.close()                    # no unwrap(): FIN without close_notify
    try:
        r = f.voidresp()
    except ftplib.all_errors as e:
        r = str(e)
    out('GOT%d' % i, n, r[:3])
f.quit()
"""

RESET = """
import socket, struct
f.connect(host, 21); f.login(user, pw); f.prot_p(); f.voidcmd('TYPE I')
conn = f.transfercmd('RETR payload')
n = len(conn.recv(1024))
conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
conn.close()                        # a reset, long before the end
try:
    r = f.voidresp()
except ftplib.all_errors as e:
    r = str(e)
out('RESET', n, r[:3])
f.quit()
"""


@pytest.mark.parametrize("scenario", ["final_226_first", "final_226_held"])
def test_download_read_whole_then_fin_gets_226(lab, certs, start_gw,
                                               scenario):
    gw = start_gw(gw_config(certs, FAKE))
    with hostile(lab, certs, scenario) as fake:
        got, r = script(lab, certs, BODY)
        text = r.stdout + r.stderr + fake.text()[-2000:] + gw.log_text()[-3000:]
        for i in range(3):
            assert got.get(f"GOT{i}") == "262144 226", text


def test_download_reset_before_the_end_gets_426(lab, certs, start_gw):
    gw = start_gw(gw_config(certs, FAKE))
    with hostile(lab, certs, "final_226_first") as fake:
        got, r = script(lab, certs, RESET)
        text = r.stdout + r.stderr + fake.text()[-2000:] + gw.log_text()[-3000:]
        assert got.get("RESET", "").endswith("426"), text
