"""Certificates on both sides of the running gateway (certificates issue,
parts 2, 3 and 5): a gateway certificate from ftpsgw-certs that curl trusts
with --cacert alone, `ftpsgw -t` checking the chain, SIGHUP reloading the
certificate under a running transfer, and the backend pinned by
fingerprint or checked under backend_name."""

import glob
import hashlib
import os
import signal
import subprocess
import time

import lab as L
from test_gateway import GW4, curl, ftp_script, gw_config, same, url

TOOL = os.path.join(os.path.dirname(L.GATEWAY_BIN), "ftpsgw-certs")
# Debian's faketime package (scripts/deps.sh), any architecture.
FAKETIME_LIB = (glob.glob("/usr/lib/*/faketime/libfaketime.so.1") or
                ["libfaketime.so.1 (apt-get install faketime)"])[0]

# Prints the SHA-256 of the certificate a new implicit-FTPS connection gets.
PEER_FP = """
import hashlib, socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
with socket.create_connection((sys.argv[1], 990), timeout=10) as s:
    with ctx.wrap_socket(s, server_hostname=sys.argv[1]) as t:
        print(hashlib.sha256(t.getpeercert(binary_form=True)).hexdigest())
"""


def tool(*args, ok=True):
    p = subprocess.run([TOOL, *args], capture_output=True, text=True,
                       timeout=60)
    assert not ok or p.returncode == 0, p.stdout + p.stderr
    return p


def pem_sha256(path):
    """SHA-256 of the first certificate in a PEM file, lowercase hex."""
    import ssl
    with open(path) as f:
        text = f.read()
    first = text[:text.index("-----END CERTIFICATE-----") + 25]
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(first)).hexdigest()


def make_ca(lab, name):
    """A fresh CA (the lab outlives tests: one directory per name)."""
    d = lab.path(f"tool-{name}")
    tool("init-ca", "--dir", d)
    return d


def issue(ca_dir, prefix, *extra):
    tool("issue", "--dir", ca_dir, "--dns", "ftp.example.test", "--ip",
         GW4, "--out", prefix, "--force", *extra)
    return prefix + ".chain.pem", prefix + ".key"


def check(lab, certs, server, **over):
    conf = lab.path("check-certs.conf")
    with open(conf, "w") as f:
        f.write(L.config_text(gw_config(certs, server, **over)))
    return subprocess.run([L.GATEWAY_BIN, "-t", "-c", conf],
                          capture_output=True, text=True, timeout=30)


def peer_fingerprint(lab, cafile):
    r = lab.run(lab.ns_client, [L.PYTHON, "-c", PEER_FP, GW4, cafile],
                check=False)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def test_curl_trusts_a_tool_certificate(lab, certs, proftpd, start_gw):
    """From nothing to a trusted gateway: init-ca, issue, export; curl
    with --cacert and no -k, by address and by name."""
    ca = make_ca(lab, "trust")
    chain, key = issue(ca, lab.path("gw-tool"))
    root = lab.path("root.pem")
    tool("export", "--dir", ca, "--out", root)
    assert oct(os.stat(key).st_mode & 0o777) == "0o600"
    gw = start_gw(gw_config(certs, proftpd, certificate=chain,
                            private_key=key))
    out = lab.path("trusted-f1M")
    r = lab.run(lab.ns_client, [
        "curl", "-sS", "--ssl-reqd", "--cacert", root, "-u",
        f"{proftpd.user}:{proftpd.password}", "--max-time", "60",
        url("f1M"), "-o", out], check=False)
    assert r.returncode == 0, r.stderr + gw.log_text()[-2000:]
    assert same(out, os.path.join(proftpd.home, "f1M"))
    r = lab.run(lab.ns_client, [
        "curl", "-sS", "--ssl-reqd", "--cacert", root, "-u",
        f"{proftpd.user}:{proftpd.password}", "--max-time", "60",
        "--resolve", f"ftp.example.test:21:{GW4}",
        "ftp://ftp.example.test/f16385", "-o", out], check=False)
    assert r.returncode == 0, r.stderr
    assert same(out, os.path.join(proftpd.home, "f16385"))
    # The lab's own CA does not vouch for it: refused without -k.
    r = curl(lab, certs, proftpd, url("f1"), "-o", out)
    assert r.returncode != 0


def test_check_mode_verifies_the_chain(lab, certs, proftpd):
    ca = make_ca(lab, "check")
    chain, key = issue(ca, lab.path("gw-chk"))
    r = check(lab, certs, proftpd, certificate=chain, private_key=key)
    assert r.returncode == 0, r.stderr
    assert "chain verifies" in r.stdout
    # The leaf alone: its issuer is not at hand; a warning, not an error.
    leaf = lab.path("gw-chk.pem")
    r = check(lab, certs, proftpd, certificate=leaf, private_key=key)
    assert r.returncode == 0, r.stderr
    assert "chain verifies" not in r.stdout
    assert "issuer is neither in the file" in r.stderr
    # A certificate for TLS clients, not servers, signed by the same CA
    # (made with openssl: the tool would not issue it).
    bad_key, bad = lab.path("client-only.key"), lab.path("client-only.pem")
    ext = lab.path("client-only.ext")
    with open(ext, "w") as f:
        f.write("subjectAltName=DNS:ftp.example.test\n"
                "extendedKeyUsage=clientAuth\n"
                "basicConstraints=critical,CA:FALSE\n")
    subprocess.run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", bad_key,
                    "-subj", "/CN=ftp.example.test", "-out", bad + ".csr"],
                   check=True, capture_output=True, timeout=30)
    subprocess.run(["openssl", "x509", "-req", "-in", bad + ".csr", "-CA",
                    os.path.join(ca, "ca.pem"), "-CAkey",
                    os.path.join(ca, "ca.key"), "-set_serial", "4660",
                    "-days", "30", "-extfile", ext, "-out", bad],
                   check=True, capture_output=True, timeout=30)
    with open(bad, "a") as f, open(os.path.join(ca, "ca.pem")) as g:
        f.write(g.read())
    r = check(lab, certs, proftpd, certificate=bad, private_key=bad_key)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "the chain does not verify: unsuitable certificate purpose (it " \
        "is not a TLS server certificate" in r.stderr
    # Near expiry: a warning that says what to do.
    chain, key = issue(ca, lab.path("gw-soon"), "--days", "10")
    r = check(lab, certs, proftpd, certificate=chain, private_key=key)
    assert r.returncode == 0, r.stderr
    assert "expires in 9 days" in r.stderr or "expires in 10 days" in r.stderr
    assert "then send SIGHUP" in r.stderr


def test_sighup_reloads_under_a_running_transfer(lab, certs, proftpd,
                                                 start_gw):
    ca = make_ca(lab, "reload")
    root = lab.path("reload-root.pem")
    tool("export", "--dir", ca, "--out", root)
    prefix = lab.path("gw-reload")
    chain, key = issue(ca, prefix)
    first = pem_sha256(chain)
    gw = start_gw(gw_config(certs, proftpd, certificate=chain,
                            private_key=key))
    assert peer_fingerprint(lab, root) == first
    out = lab.path("reload-f100M")
    dl = lab.popen(lab.ns_client, [
        "curl", "-sS", "--ssl-reqd", "--cacert", root, "-u",
        f"{proftpd.user}:{proftpd.password}", "--max-time", "60",
        "--limit-rate", "25M", url("f100M"), "-o", out],
        stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while "data connection from" not in gw.log_text():
            assert time.monotonic() < deadline, gw.log_text()[-2000:]
            time.sleep(0.05)
        # A broken file first: refused, the old certificate stays.
        with open(chain) as f:
            good = f.read()
        with open(chain, "w") as f:
            f.write("not a certificate\n")
        gw.signal(signal.SIGHUP)
        deadline = time.monotonic() + 5
        while "certificates not reloaded" not in gw.log_text():
            assert time.monotonic() < deadline, gw.log_text()[-2000:]
            time.sleep(0.05)
        with open(chain, "w") as f:
            f.write(good)
        assert peer_fingerprint(lab, root) == first
        # The renewed certificate (new key too), then SIGHUP.
        chain, key = issue(ca, prefix)
        second = pem_sha256(chain)
        assert second != first
        gw.signal(signal.SIGHUP)
        deadline = time.monotonic() + 5
        while peer_fingerprint(lab, root) != second:
            assert time.monotonic() < deadline, gw.log_text()[-2000:]
            time.sleep(0.1)
        assert dl.poll() is None, "the download ended before the reload"
        assert dl.wait(timeout=60) == 0, dl.stderr.read().decode()
    finally:
        lab.stop_process(dl)
    assert same(out, os.path.join(proftpd.home, "f100M"))
    assert "SIGHUP: certificate" in gw.log_text()


LOGIN_LIST = """
f.connect(host, 21)
try:
    f.login(user, pw); f.prot_p()
    out('NLST', 'f1M' in f.nlst())
except ftplib.all_errors as e:
    out('ERR', e)
"""


def test_backend_fingerprint_pins_the_server(lab, certs, proftpd, start_gw):
    """backend_fingerprint alone (no backend_ca) accepts exactly that
    certificate and refuses any other, saying which one it saw."""
    fp = pem_sha256(certs.be_cert)
    pin = "sha256:" + ":".join(fp[i:i + 2] for i in range(0, 64, 2)).upper()
    cfg = gw_config(certs, proftpd, backend_fingerprint=pin)
    del cfg["backend_ca"]
    gw = start_gw(cfg)
    r = ftp_script(lab, certs, proftpd, LOGIN_LIST)
    assert r.stdout.strip() == "NLST True", r.stdout + gw.log_text()[-2000:]
    gw.stop()
    wrong = "sha256:" + "00" * 32
    cfg["backend_fingerprint"] = wrong
    gw = start_gw(cfg)
    r = ftp_script(lab, certs, proftpd, LOGIN_LIST)
    assert r.stdout.startswith("ERR 421"), r.stdout
    log = gw.log_text()
    assert f"fingerprint sha256:{fp[:2].upper()}:" in log
    assert "not the backend_fingerprint of gateway.conf" in log


def test_backend_name_is_the_name_checked(lab, certs, proftpd, start_gw):
    gw = start_gw(gw_config(certs, proftpd,
                            backend_name="backend.example.test"))
    r = ftp_script(lab, certs, proftpd, LOGIN_LIST)
    assert r.stdout.strip() == "NLST True", r.stdout + gw.log_text()[-2000:]
    gw.stop()
    gw = start_gw(gw_config(certs, proftpd, backend_name="ftp.other.test"))
    r = ftp_script(lab, certs, proftpd, LOGIN_LIST)
    assert r.stdout.startswith("ERR 421"), r.stdout
    log = gw.log_text()
    assert "the certificate must name ftp.other.test" in log
    assert "hostname mismatch" in log


def test_expiry_warning_repeats_daily(lab, certs, proftpd, start_gw):
    """The expiry check runs once a day, not only at start: with the clock
    running a day per second (libfaketime), a certificate valid for 32 days
    is quiet at start and warned about once fewer than 30 days are left."""
    ca = make_ca(lab, "daily")
    chain, key = issue(ca, lab.path("gw-daily"), "--days", "32")
    gw = start_gw(gw_config(certs, proftpd, certificate=chain,
                            private_key=key),
                  env={"LD_PRELOAD": FAKETIME_LIB, "FAKETIME": "+0 x86400",
                       "FAKETIME_NO_CACHE": "1"})
    assert "expires in" not in gw.log_text()
    # The loop sleeps until its next timer by the real clock; connections
    # wake it so it sees the fast clock's deadlines pass.
    deadline = time.monotonic() + 20
    while "expires in 2" not in gw.log_text():
        assert time.monotonic() < deadline, gw.log_text()[-2000:]
        lab.tcp_connect(lab.ns_client, GW4, 21)
        time.sleep(0.3)
    assert "renew it (ftpsgw-certs issue --force; with certbot, see why " \
        "certbot renew did not), then send SIGHUP" in gw.log_text()
