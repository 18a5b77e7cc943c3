"""The session-reuse check cannot be borrowed (issue 12, part 1).

An attacker on the client's own address (carrier-grade NAT, a hotel NAT,
the same host) reaches the victim's passive port before the victim, with
real TLS: a ticket taken from a refused data handshake (a), its own control
session (b), or in TLS 1.2 a session ID with an empty ticket extension (c).
It never gets or supplies a byte, and the victim's transfers, which go on
the same passive ports right after, complete byte for byte. See theft.py.
"""

import hashlib
import json
import os

import pytest

import lab as L
from test_gateway import gw_config, remove_uploads

HERE = os.path.dirname(os.path.abspath(__file__))


def run_theft(lab, certs, server, attack, tls, putname, putsize=300000):
    argv = [L.PYTHON, os.path.join(HERE, "theft.py"), "203.0.113.1",
            certs.ca_cert, server.user, server.password, attack, tls, "f1M",
            f"{server.upload_ftp}/{putname}", str(putsize)]
    r = lab.run(lab.ns_client, argv, check=False, timeout=120)
    steps = [json.loads(line) for line in r.stdout.splitlines()
             if line.startswith("{")]
    return r, steps


@pytest.mark.parametrize("attack,tls", [("a", "1.3"), ("a", "1.2"),
                                        ("b", "1.3"), ("b", "1.2"),
                                        ("c", "1.2")])
def test_same_address_attacker_gets_nothing(lab, certs, proftpd, start_gw,
                                            attack, tls):
    gw = start_gw(gw_config(certs, proftpd))
    putname = f"theft-{attack}-{tls}"
    remove_uploads(proftpd, [putname])
    r, steps = run_theft(lab, certs, proftpd, attack, tls, putname)
    log = gw.log_text()
    assert "DONE" in r.stdout, r.stdout + r.stderr + log[-4000:]
    want = hashlib.sha256(open(os.path.join(proftpd.home, "f1M"),
                               "rb").read()).hexdigest()
    for s in steps:
        ctx = json.dumps(s) + "\n" + log[-3000:]
        # The attacker never gets a byte, nor supplies one.
        assert s["attacker_got"] == 0, ctx
        # No ticket is ever minted on a data connection.
        assert not s["attacker_ticket"], ctx
        # What a refused connection got is not even resumable.
        if attack == "a" and s["step"] != "first":
            assert not s["attacker_resumed"], ctx
        # The victim, coming second to the same port, is served.
        assert s["victim"] == "ok", ctx
        if s["step"] != "upload":
            assert s["victim_sha256"] == want, ctx
    up = os.path.join(proftpd.upload, putname)
    assert os.path.exists(up), r.stdout
    with open(up, "rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() == steps[-1]["victim_sha256"]
    # Each refusal is logged for the admin, naming the impostor's address.
    assert log.count("data connection from 203.0.113.10") >= 3, log[-3000:]
    remove_uploads(proftpd, [putname])


RESUMED_CONTROL = """
import sys
tls = sys.argv[5]
ctx = ssl.create_default_context(cafile=cafile)
ctx.maximum_version = (ssl.TLSVersion.TLSv1_2 if tls == '1.2'
                       else ssl.TLSVersion.TLSv1_3)
class R(F):
    resume = None
    def auth(self):
        resp = self.voidcmd('AUTH TLS')
        self.sock = self.context.wrap_socket(
            self.sock, server_hostname=self.host, session=self.resume)
        self.file = self.sock.makefile(mode='r', encoding=self.encoding)
        return resp
first = R(context=ctx, timeout=10)
first.connect(host, 21); first.login(user, pw); first.prot_p()
data = []
first.retrbinary('RETR f16385', data.append)
saved = first.sock.session
first.quit()
second = R(context=ctx, timeout=10)
second.resume = saved
second.connect(host, 21); second.login(user, pw); second.prot_p()
out('CONTROL-RESUMED', second.sock.session_reused)
for i in range(2):
    data = []
    second.retrbinary('RETR f16385', data.append)
    out('GOT', sum(map(len, data)))
second.quit()
"""


@pytest.mark.parametrize("tls", ["1.2", "1.3"])
def test_resumed_control_session_keeps_its_data_connections(
        lab, certs, proftpd, start_gw, tls):
    """A client may resume its previous control session on a new control
    connection (lftp does on reconnects): the new connection then answers
    for that session's token, and its data connections, which resume it,
    pass the check."""
    from test_gateway import ftp_script
    gw = start_gw(gw_config(certs, proftpd))
    r = ftp_script(lab, certs, proftpd, RESUMED_CONTROL, extra=(tls,))
    log = gw.log_text()
    assert r.returncode == 0, r.stdout + r.stderr + log[-3000:]
    assert "CONTROL-RESUMED True" in r.stdout, r.stdout
    assert r.stdout.count("GOT 16385") == 2, r.stdout + log[-3000:]
    assert "refused" not in log, log[-3000:]
