"""workers = N (performance issue): several event loops in one process,
each with its own SO_REUSEPORT listener. Sessions spread over them and work
byte-exact; limits and bans count across all of them; SIGHUP reaches every
worker without breaking the sessions under way; SIGTERM waits for the
transfers of every worker; and a second gateway cannot slip into the port
group unnoticed."""

import os
import re
import signal
import subprocess
import time

import pytest

import lab as L
from test_gateway import GW4, SCRIPT_HEAD, ftp_script, gw_config, same, url
from test_limits import first_reply, hold, wait_admitted


def threads(pid):
    return len(os.listdir(f"/proc/{pid}/task"))


def workers_used(log):
    return {int(w) for w in re.findall(r"session opened on .*worker (\d+)\)",
                                       log)}


def curl_get(lab, certs, server, name, out, *extra):
    return lab.popen(lab.ns_client, [
        "curl", "-sS", "--ssl-reqd", "--cacert", certs.ca_cert,
        "--connect-timeout", "5", "--max-time", "120",
        "-u", f"{server.user}:{server.password}", *extra, url(name),
        "-o", out], stderr=subprocess.PIPE)


@pytest.mark.parametrize("n", [1, 3])
def test_sessions_spread_over_workers(lab, certs, proftpd, start_gw, n):
    gw = start_gw(gw_config(certs, proftpd, workers=n))
    assert f"{n} worker{'s' if n > 1 else ''}, backend" in gw.log_text()
    assert threads(gw.proc.pid) == n + 1      # the main thread, n loops
    outs = [lab.path(f"spread{n}-{i}") for i in range(32)]
    procs = [curl_get(lab, certs, proftpd, "f1M", o) for o in outs]
    try:
        for p in procs:
            assert p.wait(timeout=120) == 0, p.stderr.read().decode()
    finally:
        for p in procs:
            lab.stop_process(p)
    for o in outs:
        assert same(o, os.path.join(proftpd.home, "f1M"))
    # 32 sessions from random source ports: the kernel's hash leaves a
    # worker of three unused with probability 3 * (2/3)^32 < 0.001%.
    assert workers_used(gw.log_text()) == set(range(n))


def test_limits_and_bans_count_across_workers(lab, certs, proftpd, start_gw):
    gw = start_gw(gw_config(certs, proftpd, workers=4, max_sessions_per_ip=3,
                            max_login_failures=2, ban_time=60))
    p, lines = hold(lab, 3)
    try:
        assert all(ln.split(" ", 1)[1].startswith("220") for ln in lines), \
            lines
        # Whichever worker the fourth lands on, it knows of the three.
        for _ in range(4):
            assert first_reply(lab) == \
                "0 421 Too many connections from your address."
    finally:
        lab.stop_process(p)
    wait_admitted(lab)
    bad = """
f.connect(host, 21)
try:
    f.login(user, 'wrong')
except ftplib.all_errors as e:
    out('ERR', e)
"""
    for _ in range(2):
        r = ftp_script(lab, certs, proftpd, bad)
        assert "530" in r.stdout or "421" in r.stdout, r.stdout + r.stderr
    for _ in range(4):
        assert first_reply(lab).startswith(
            "0 421 Too many failed logins from your address; try again in")


# Logs in, lists, waits for a line on stdin (the test sends SIGHUP in
# between), then lists and downloads again on the same control connection.
AROUND_RELOAD = """
f.connect(host, 21); f.login(user, pw); f.prot_p()
out('NLST1', 'f1M' in f.nlst())
sys.stdin.readline()
out('NLST2', 'f1M' in f.nlst())
with open(sys.argv[5], 'wb') as fh:
    f.retrbinary('RETR f1M', fh.write)
out('RETR ok')
f.quit()
"""


def test_sighup_keeps_sessions_under_way_resumable(lab, certs, proftpd,
                                                   start_gw):
    """A session keeps the TLS contexts it began with: its data connections
    after the reload still resume its control session (tickets belong to
    one context), while new sessions get the new certificate."""
    gw = start_gw(gw_config(certs, proftpd, workers=2))
    out = lab.path("reload-keep-f1M")
    p = lab.popen(lab.ns_client, [L.PYTHON, "-c", SCRIPT_HEAD + AROUND_RELOAD,
                                  GW4, certs.ca_cert, proftpd.user,
                                  proftpd.password, out],
                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                  stderr=subprocess.PIPE)
    try:
        assert p.stdout.readline().decode().strip() == "NLST1 True"
        gw.signal(signal.SIGHUP)
        deadline = time.monotonic() + 5
        while "SIGHUP: certificate" not in gw.log_text():
            assert time.monotonic() < deadline, gw.log_text()[-2000:]
            time.sleep(0.05)
        p.stdin.write(b"\n")
        p.stdin.flush()
        rest = p.communicate(timeout=60)
        assert rest[0].decode().split("\n")[:2] == ["NLST2 True", "RETR ok"], \
            rest[1].decode()[-2000:] + gw.log_text()[-3000:]
    finally:
        lab.stop_process(p)
    assert same(out, os.path.join(proftpd.home, "f1M"))
    assert "did not resume" not in gw.log_text()


def test_sigterm_waits_for_transfers_on_every_worker(lab, certs, proftpd,
                                                     start_gw):
    gw = start_gw(gw_config(certs, proftpd, workers=3))
    outs = [lab.path(f"term-workers-{i}") for i in range(6)]
    procs = [curl_get(lab, certs, proftpd, "f100M", o, "--limit-rate", "20M")
             for o in outs]
    try:
        deadline = time.monotonic() + 15
        # RETR under way in each: a session between commands, its data
        # connection open or not, is idle and gets the 421 at once.
        while gw.log_text().count("data relay on port") < 6:
            assert time.monotonic() < deadline, gw.log_text()[-3000:]
            time.sleep(0.05)
        gw.signal(signal.SIGTERM)
        for p in procs:
            assert p.wait(timeout=60) == 0, \
                p.stderr.read().decode() + gw.log_text()[-6000:]
        assert gw.proc.wait(timeout=10) == 0
    finally:
        for p in procs:
            lab.stop_process(p)
    for o in outs:
        assert same(o, os.path.join(proftpd.home, "f100M"))
    log = gw.log_text()
    assert "stopping: 6 transfers may finish within shutdown_timeout" in log
    assert "ftpsgw stopped" in log


def test_second_gateway_cannot_join_the_port(lab, certs, proftpd, start_gw):
    """SO_REUSEPORT would let a second ftpsgw of the same user share the
    listening port and take half of the connections: it must refuse to
    start instead, naming the address."""
    gw = start_gw(gw_config(certs, proftpd, workers=2))
    with pytest.raises(L.LabError) as e:
        lab.start_gateway(gw_config(certs, proftpd, workers=2),
                          name="gw-second", timeout=5)
    assert f"listen = {GW4}:21: Address already in use (another FTP " \
        "server may be listening there" in str(e.value)
    assert first_reply(lab).startswith("0 220")
    assert gw.proc.poll() is None
