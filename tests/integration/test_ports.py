"""Passive ports nobody can predict (issue 12, part 2).

A client that shares an address with others (carrier-grade NAT, an office)
must learn nothing from its own PASV replies about the port the gateway
gives the next session: with a predictable port an attacker can race the
victim to it. ftpsgw draws each port from a CSPRNG among the free ones
(proxy/portpool.c); this is the lab's view of that.
"""

import json

from test_gateway import ftp_script, gw_config

# Opens N sessions one after the other (all kept open, so that the
# server's pause after a finished session never slows the test), asks each
# for PASV in turn, and prints the ports as JSON.
PASV_PORTS = """
import json
conns, ports = [], []
for i in range(int(sys.argv[5])):
    c = F(context=ctx, timeout=10)
    c.connect(host, 21)
    c.login(user, pw)
    c.prot_p()
    conns.append(c)
for c in conns:
    r = c.sendcmd('PASV')
    nums = r[r.index('(') + 1:r.index(')')].split(',')
    ports.append(int(nums[4]) * 256 + int(nums[5]))
for c in conns:
    c.quit()
out(json.dumps(ports))
"""

SESSIONS = 16
LOW, HIGH = 40000, 40999


def test_next_session_port_is_not_predictable(lab, certs, proftpd, start_gw):
    """16 sessions each get a passive port: they are distinct, inside
    passive_ports, and not a sequence. With a uniform draw from 1,000 ports
    a given step repeats by chance about once in 1,000 picks: three or more
    +1 steps among 15 happen with probability below 1e-6. One worker, so
    that a per-worker round robin (what main did) shows as +1 every time."""
    start_gw(gw_config(certs, proftpd, passive_ports=f"{LOW}-{HIGH}",
                       workers=1))
    r = ftp_script(lab, certs, proftpd, PASV_PORTS, extra=[str(SESSIONS)],
                   timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    ports = json.loads(r.stdout.strip().splitlines()[-1])
    assert len(ports) == SESSIONS
    assert all(LOW <= p <= HIGH for p in ports), ports
    # All held at once: no port is handed out twice.
    assert len(set(ports)) == SESSIONS, ports
    steps = [(b - a) % (HIGH - LOW + 1) for a, b in zip(ports, ports[1:])]
    assert steps.count(1) <= 2, f"consecutive ports: {ports}"
    assert len(set(steps)) > 1, f"a constant step: {ports}"
