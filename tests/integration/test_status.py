"""The live status page (issue 16, part 2): metrics_listen on the router's
LAN address serves / (HTML) and /status.json. While a real client (curl,
--limit-rate) downloads slowly through the gateway in front of ProFTPD and
a Python ftplib client uploads slowly under a hostile file name, Debian's
headless Chromium loads the page twice from the LAN: the session's row
(client 203.0.113.10, the user, the file) is there and its bytes grow; a
screenshot is kept in build/test-artifacts/. The JSON is checked the same
way, `ftpsgw --status` prints the same sessions, a client over
max_sessions_per_ip is listed under the recent refusals with the log's
words, and the hostile name comes out as text, never as markup.
"""

import html
import json
import os
import re
import shutil
import subprocess
import tempfile
import time

import lab as L
from test_gateway import GW4, SCRIPT_HEAD, gw_config, remove_uploads
from test_metrics import LAN, PORT, lan_rule, wait_for  # noqa: F401

BASE = f"http://{LAN}:{PORT}"
CLIENT = "203.0.113.10"
ARTIFACTS = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                         "..", "..", "build", "test-artifacts")
# Whatever ends up in a cell must be text: markup, quotes, an ampersand, a
# character reference (no '/': it would name a directory).
HOSTILE = "<script>alert(\"x&y\")'<b>&amp;"
HOSTILE_PATH = "upload/" + HOSTILE

# An upload that trickles (16 KiB every 50 ms, at most 60 s) until killed.
SLOW_UP = """
import time
class Slow:
    n = 0
    def read(self, size):
        if self.n >= 1200:
            return b''
        self.n += 1
        time.sleep(0.05)
        return b'u' * 16384
f.connect(host, 21); f.login(user, pw); f.prot_p()
out('ready')
f.storbinary('STOR ' + sys.argv[5], Slow())
f.quit()
"""


def chromium(lab, argv, timeout=60):
    """Headless Chromium from Debian in the LAN namespace (where the
    metrics port is reachable), with a profile of its own."""
    prof = tempfile.mkdtemp(prefix="ftpsgw-chromium-")
    try:
        return lab.run(lab.ns_server, [
            "chromium", "--headless", "--no-sandbox", "--disable-gpu",
            "--no-first-run", "--disable-extensions",
            "--disable-background-networking", "--disable-sync",
            "--disable-component-update", f"--user-data-dir={prof}",
            *argv], timeout=timeout, check=False,
            env={"HOME": prof})
    finally:
        shutil.rmtree(prof, ignore_errors=True)


def dom(lab):
    r = chromium(lab, ["--dump-dom", BASE + "/"])
    assert r.returncode == 0 and "<table" in r.stdout, r.stdout + r.stderr
    return r.stdout


def row_of(page, client=CLIENT, file="f100M"):
    """The session row of client downloading file: (its HTML, its bytes)."""
    for m in re.finditer(r'<tr id="s\d+">(.*?)</tr>', page, re.S):
        row = m.group(1)
        if f">{client}:" in row and file in row:
            b = re.search(r'data-bytes="(\d+)"', row)
            return row, int(b.group(1))
    raise AssertionError(f"no row for {client} and {file} in:\n{page}")


def get_json(lab):
    r = lab.run(lab.ns_server, ["curl", "-sS", "--max-time", "5",
                                BASE + "/status.json"], check=False,
                timeout=30)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def headers(lab, path):
    r = lab.run(lab.ns_server, ["curl", "-sS", "-D", "-", "-o", "/dev/null",
                                "--max-time", "5", BASE + path],
                check=False, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_status_page_during_transfers(lab, certs, proftpd, start_gw,
                                      lan_rule):  # noqa: F811
    gw = start_gw(gw_config(certs, proftpd, metrics_listen=f"{LAN}:{PORT}",
                            workers="2", max_sessions_per_ip="2"))
    assert f"status page (sessions, user names, client addresses) at " \
        f"http://{LAN}:{PORT}/" in gw.log_text()
    remove_uploads(proftpd, [HOSTILE])
    down = lab.popen(lab.ns_client, [
        "curl", "-sS", "--ssl-reqd", "--cacert", certs.ca_cert, "-u",
        f"{proftpd.user}:{proftpd.password}", "--max-time", "60",
        "--limit-rate", "1M", f"ftp://{GW4}/f100M", "-o", "/dev/null"],
        stderr=subprocess.PIPE)
    up = lab.popen(lab.ns_client, [
        L.PYTHON, "-c", SCRIPT_HEAD + SLOW_UP, GW4, certs.ca_cert,
        proftpd.user, proftpd.password, HOSTILE_PATH],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert up.stdout.readline().strip() == b"ready"

        def both():
            s = get_json(lab)
            states = sorted(x["state"] for x in s["sessions"])
            return s if states == ["downloading", "uploading"] else None
        s = wait_for(both, timeout=15)
        if not s:
            lab.stop_process(up)
            raise AssertionError(json.dumps(get_json(lab), indent=1) +
                                 up.stderr.read().decode())

        # /status.json: both sessions, every field as the clients made it.
        assert s["workers"] == 2 and s["workers_silent"] == []
        assert s["sessions_open"] == 2 and s["sessions_listed"] == 2
        d = next(x for x in s["sessions"] if x["state"] == "downloading")
        u = next(x for x in s["sessions"] if x["state"] == "uploading")
        for x in (d, u):
            assert x["client"].startswith(CLIENT + ":")
            assert x["user"] == proftpd.user and x["anonymous"] is False
            assert x["listener"] == f"{GW4}:21" and x["kind"] == "explicit"
            assert x["worker"] in (0, 1)
        assert d["transfer"]["direction"] == "download"
        assert d["transfer"]["file"] == "f100M"
        assert u["transfer"]["direction"] == "upload"
        assert u["transfer"]["file"] == HOSTILE_PATH
        assert s["backends"] == [{
            "name": proftpd.hostport, "address": proftpd.hostport,
            "health": "up",
            "checked_ms_ago": s["backends"][0]["checked_ms_ago"]}]

        # A third session from the client's address: over the limit.
        r = lab.run(lab.ns_client, [L.PYTHON, "-c",
                                    "import socket,sys;"
                                    f"c=socket.create_connection(('{GW4}',21),5);"
                                    "print(c.recv(200).decode())"],
                    check=False, timeout=30)
        assert r.stdout.startswith("421"), r.stdout + r.stderr

        # Headless Chromium, twice: the download's row, its bytes growing.
        page1 = dom(lab)
        row1, b1 = row_of(page1)
        assert f">{proftpd.user}<" in row1 and "downloading" in row1
        # curl --limit-rate reads in bursts and then sleeps while the
        # socket buffers stay full (seconds at 1 MiB/s): wait, bounded,
        # until the gateway has sent more, then load the page again.
        def grew():
            return any(x["state"] == "downloading" and
                       x["transfer"]["bytes"] > b1
                       for x in get_json(lab)["sessions"])
        assert wait_for(grew, timeout=20, step=0.5), get_json(lab)
        page2 = dom(lab)
        row2, b2 = row_of(page2)
        assert b2 > b1 > 0, (b1, b2)
        # The hostile name is text: escaped in the HTML, the DOM holds no
        # script and no <b> the page did not write itself.
        raw = lab.run(lab.ns_server, ["curl", "-sS", "--max-time", "5",
                                      BASE + "/"], timeout=30).stdout
        assert html.escape(HOSTILE_PATH, quote=True).replace(
            "&#x27;", "&#39;") in raw, raw
        assert "<script" not in raw and "<b>" not in raw
        assert "<script" not in page2 and "<b>" not in page2
        # The refusal, in the log's words.
        assert "max_sessions_per_ip (2) open already" in page2
        os.makedirs(ARTIFACTS, exist_ok=True)
        shot = os.path.abspath(os.path.join(ARTIFACTS, "status-page.png"))
        if os.path.exists(shot):
            os.unlink(shot)
        r = chromium(lab, [f"--screenshot={shot}", "--window-size=1400,700",
                           "--hide-scrollbars", BASE + "/"])
        assert r.returncode == 0 and os.path.getsize(shot) > 10000, r.stderr

        # The JSON again: bytes grew there too; the refusal is listed.
        s2 = get_json(lab)
        d2 = next(x for x in s2["sessions"] if x["id"] == d["id"])
        assert d2["transfer"]["bytes"] > d["transfer"]["bytes"]
        assert d2["transfer"]["rate_bps"] > 0
        assert d2["duration_ms"] > d["duration_ms"]
        ref = [x for x in s2["refusals"] if x["client"] == CLIENT]
        assert ref and ref[0]["reason"] == \
            "refused: max_sessions_per_ip (2) open already", s2["refusals"]
        assert s2["refusals_total"] >= 1

        # ftpsgw --status, from the LAN, reading the JSON.
        r = lab.run(lab.ns_server, [gw_binary(), "--status",
                                    f"{LAN}:{PORT}"], check=False, timeout=30)
        assert r.returncode == 0, r.stderr
        t = r.stdout
        assert "SESSIONS" in t and "FTP SERVERS" in t and \
            "RECENT REFUSALS" in t, t
        lines = t.splitlines()
        dl = [x for x in lines if "down f100M" in x]
        assert len(dl) == 1 and CLIENT in dl[0] and proftpd.user in dl[0], t
        ul = [x for x in lines if "up " + HOSTILE_PATH in x]
        assert len(ul) == 1, t
        assert any(proftpd.hostport in x and " up " in x for x in lines), t
        assert any("max_sessions_per_ip (2) open already" in x and CLIENT in x
                   for x in lines), t
        # Aligned: the header's columns start where the rows' do.
        head = lines[lines.index("SESSIONS") + 1]
        assert head.index("CLIENT") == dl[0].index(CLIENT), t

        # Headers: no external loads, no caching, no sniffing.
        h = headers(lab, "/")
        assert "Content-Type: text/html; charset=utf-8" in h
        assert "Content-Security-Policy: default-src 'none'" in h
        assert "Cache-Control: no-store" in h
        h = headers(lab, "/status.json")
        assert "Content-Type: application/json" in h
    finally:
        lab.stop_process(down)
        lab.stop_process(up)
        remove_uploads(proftpd, [HOSTILE])
    # /metrics still carries no client address or user name.
    r = lab.run(lab.ns_server, ["curl", "-sS", "--max-time", "5",
                                BASE + "/metrics"], timeout=30)
    assert CLIENT not in r.stdout and proftpd.user not in r.stdout


def test_status_cli_messages(lab, certs, proftpd):
    """--status with nothing listening says so and exits 1; a malformed
    address is a usage error (2)."""
    r = lab.run(lab.ns_server, [gw_binary(), "--status", "127.0.0.1:1"],
                check=False, timeout=30)
    assert r.returncode == 1 and "is ftpsgw running with metrics_listen = " \
        "127.0.0.1:1" in r.stderr, r.stderr
    r = lab.run(lab.ns_server, [gw_binary(), "--status", "nowhere"],
                check=False, timeout=30)
    assert r.returncode == 2 and "expected a numeric ADDR:PORT" in r.stderr


def gw_binary():
    return L.GATEWAY_BIN
