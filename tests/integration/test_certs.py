"""ftpsgw-certs end to end: CA creation, issuing, name constraints, show,
export, error messages and a real TLS handshake, all checked with the openssl
command line tool. Runs as any user in a temporary directory; no network
namespaces, only 127.0.0.1.
"""
import datetime
import os
import re
import select
import shutil
import stat
import subprocess
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = REPO / "build" / "ftpsgw-certs"
OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"
TIMEOUT = 60          # seconds for any one command (RSA keygen included)
TLS_TIMEOUT = 10      # seconds for the server to listen / a handshake


@pytest.fixture(scope="session")
def tool():
    if not (BIN.is_file() and os.access(BIN, os.X_OK)):
        pytest.fail(f"{BIN} is missing: build it first "
                    f"(make build/ftpsgw-certs)", pytrace=False)
    return str(BIN)


def run(tool, *args, cwd, ok=True):
    """Run ftpsgw-certs; with ok=True it must succeed."""
    p = subprocess.run([tool, *args], cwd=cwd, capture_output=True,
                       text=True, timeout=TIMEOUT)
    if ok:
        assert p.returncode == 0, (
            f"ftpsgw-certs {' '.join(args)} -> {p.returncode}\n"
            f"stdout: {p.stdout}\nstderr: {p.stderr}")
    return p


def ossl(*args, cwd, ok=True, input=None):
    p = subprocess.run([OPENSSL, *args], cwd=cwd, capture_output=True,
                       text=True, timeout=TIMEOUT, input=input)
    if ok:
        assert p.returncode == 0, (
            f"openssl {' '.join(args)} -> {p.returncode}\n"
            f"stdout: {p.stdout}\nstderr: {p.stderr}")
    return p


def cert_text(path, cwd, inform="PEM"):
    return ossl("x509", "-inform", inform, "-in", str(path), "-noout",
                "-text", cwd=cwd).stdout


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def not_after(path, cwd):
    out = ossl("x509", "-in", str(path), "-noout", "-enddate",
               cwd=cwd).stdout.strip()
    when = out.split("=", 1)[1]
    return datetime.datetime.strptime(when, "%b %d %H:%M:%S %Y %Z")


def days_from_now(when):
    return (when - datetime.datetime.utcnow()).total_seconds() / 86400


@pytest.fixture
def ca(tool, tmp_path):
    """An unconstrained ECDSA CA in tmp_path/ca."""
    run(tool, "init-ca", "--dir", "ca", cwd=tmp_path)
    return tmp_path / "ca"


@pytest.fixture
def nc_ca(tool, tmp_path):
    """A CA that may vouch only for example.test and names below it."""
    run(tool, "init-ca", "--dir", "ncca", "--permit-dns", "example.test",
        cwd=tmp_path)
    return tmp_path / "ncca"


def sign_with_openssl(tmp_path, ca_dir, name, san):
    """A certificate the tool would refuse, made by openssl with the CA's
    key: proves the constraint lives in the root, not only in the tool."""
    key, csr, ext, out = (tmp_path / f"{name}.{s}"
                          for s in ("key", "csr", "ext", "pem"))
    ossl("req", "-new", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:P-256", "-nodes", "-keyout", str(key),
         "-subj", f"/CN={name}", "-out", str(csr), cwd=tmp_path)
    ext.write_text(f"subjectAltName={san}\n"
                   "extendedKeyUsage=serverAuth\n"
                   "basicConstraints=critical,CA:FALSE\n")
    ossl("x509", "-req", "-in", str(csr), "-CA", str(ca_dir / "ca.pem"),
         "-CAkey", str(ca_dir / "ca.key"), "-set_serial", "0x1234abcd",
         "-days", "30", "-extfile", str(ext), "-out", str(out),
         cwd=tmp_path)
    return out


# ---- commands and help ----

def test_help_and_version(tool, tmp_path):
    p = run(tool, "--help", cwd=tmp_path)
    for cmd in ("init-ca", "issue", "show", "export"):
        assert cmd in p.stdout
        sub = run(tool, cmd, "--help", cwd=tmp_path)
        assert sub.stdout.startswith(f"usage: ftpsgw-certs {cmd}")
    v = run(tool, "--version", cwd=tmp_path)
    assert v.stdout.startswith("ftpsgw-certs ")
    assert "OpenSSL 3" in v.stdout
    p = run(tool, cwd=tmp_path, ok=False)
    assert p.returncode == 2 and "usage:" in p.stderr


# ---- init-ca ----

def test_init_ca_files_modes_and_extensions(tool, tmp_path, ca):
    assert mode(ca) == 0o700
    assert mode(ca / "ca.key") == 0o600
    assert sorted(os.listdir(ca)) == ["ca.key", "ca.pem"]
    assert (ca / "ca.key").read_text().startswith(
        "-----BEGIN PRIVATE KEY-----")
    text = cert_text(ca / "ca.pem", tmp_path)
    assert "Subject: CN = ftpsgw private CA" in text
    assert "Issuer: CN = ftpsgw private CA" in text
    assert re.search(r"Basic Constraints: critical\s+CA:TRUE, pathlen:0",
                     text)
    assert re.search(r"Key Usage: critical\s+Certificate Sign, CRL Sign",
                     text)
    assert "Subject Key Identifier" in text
    assert "Name Constraints" not in text
    assert "ASN1 OID: prime256v1" in text
    assert "ecdsa-with-SHA256" in text
    assert 3649 < days_from_now(not_after(ca / "ca.pem", tmp_path)) <= 3650
    # The CA verifies as its own trust anchor.
    ossl("verify", "-CAfile", "ca/ca.pem", "ca/ca.pem", cwd=tmp_path)


def test_init_ca_serials_random_positive_128_bit(tool, tmp_path):
    serials = set()
    for i in range(3):
        run(tool, "init-ca", "--dir", f"ca{i}", "--name", f"CA {i}",
            "--days", "30", cwd=tmp_path)
        out = ossl("x509", "-in", f"ca{i}/ca.pem", "-noout", "-serial",
                   cwd=tmp_path).stdout.strip()
        hexs = out.split("=", 1)[1]
        assert not hexs.startswith("-")
        assert 0 < int(hexs, 16) < 2 ** 128
        serials.add(hexs)
    assert len(serials) == 3
    assert 29 < days_from_now(not_after(tmp_path / "ca1/ca.pem",
                                        tmp_path)) <= 30
    assert "Subject: CN = CA 2" in cert_text(tmp_path / "ca2/ca.pem",
                                             tmp_path)


def test_init_ca_into_empty_private_dir(tool, tmp_path):
    d = tmp_path / "pre"
    d.mkdir(mode=0o700)
    os.chmod(d, 0o700)
    run(tool, "init-ca", "--dir", "pre", cwd=tmp_path)
    assert (d / "ca.pem").is_file()


# ---- issue ----

def test_issue_verifies_with_expected_extensions(tool, tmp_path, ca):
    p = run(tool, "issue", "--dir", "ca", "--dns", "FTP.Example.Test.",
            "--dns", "*.files.example.test", "--ip", "192.0.2.10",
            "--ip", "2001:db8::10", "--out", "gw", cwd=tmp_path)
    assert "certificate = gw.chain.pem" in p.stdout
    assert "private_key = gw.key" in p.stdout
    for f in ("gw.pem", "gw.chain.pem"):
        ossl("verify", "-CAfile", "ca/ca.pem", "-purpose", "sslserver",
             "-x509_strict", f, cwd=tmp_path)
    for host in ("ftp.example.test", "a.files.example.test"):
        ossl("verify", "-CAfile", "ca/ca.pem", "-verify_hostname", host,
             "gw.pem", cwd=tmp_path)
    ossl("verify", "-CAfile", "ca/ca.pem", "-verify_ip", "2001:db8::10",
         "gw.pem", cwd=tmp_path)
    bad = ossl("verify", "-CAfile", "ca/ca.pem", "-verify_hostname",
               "other.example.test", "gw.pem", cwd=tmp_path, ok=False)
    assert bad.returncode != 0

    assert mode(tmp_path / "gw.key") == 0o600
    text = cert_text(tmp_path / "gw.pem", tmp_path)
    assert "Subject: CN = ftp.example.test" in text
    assert re.search(r"Basic Constraints: critical\s+CA:FALSE", text)
    assert re.search(r"Key Usage: critical\s+Digital Signature\n", text)
    assert re.search(r"Extended Key Usage:\s*\n\s+TLS Web Server "
                     r"Authentication\n", text)
    assert "Authority Key Identifier" in text
    assert "Subject Key Identifier" in text
    assert ("DNS:ftp.example.test, DNS:*.files.example.test, "
            "IP Address:192.0.2.10, IP Address:2001:DB8:0:0:0:0:0:10"
            in text)
    assert 396 < days_from_now(not_after(tmp_path / "gw.pem",
                                         tmp_path)) <= 397

    chain = (tmp_path / "gw.chain.pem").read_text()
    assert chain.count("BEGIN CERTIFICATE") == 2
    assert chain == ((tmp_path / "gw.pem").read_text()
                     + (ca / "ca.pem").read_text())
    # The key belongs to the certificate.
    pub_cert = ossl("x509", "-in", "gw.pem", "-noout", "-pubkey",
                    cwd=tmp_path).stdout
    pub_key = ossl("pkey", "-in", "gw.key", "-pubout",
                   cwd=tmp_path).stdout
    assert pub_cert == pub_key


def test_issue_refuses_to_overwrite_unless_force(tool, tmp_path, ca):
    run(tool, "issue", "--dir", "ca", "--dns", "a.example.test", "--out",
        "gw", cwd=tmp_path)
    before = (tmp_path / "gw.pem").read_text()
    p = run(tool, "issue", "--dir", "ca", "--dns", "b.example.test",
            "--out", "gw", cwd=tmp_path, ok=False)
    assert p.returncode == 1
    assert "gw.key already exists" in p.stderr and "--force" in p.stderr
    assert (tmp_path / "gw.pem").read_text() == before
    run(tool, "issue", "--dir", "ca", "--dns", "b.example.test", "--out",
        "gw", "--force", cwd=tmp_path)
    assert (tmp_path / "gw.pem").read_text() != before
    assert mode(tmp_path / "gw.key") == 0o600
    ossl("verify", "-CAfile", "ca/ca.pem", "-verify_hostname",
         "b.example.test", "gw.pem", cwd=tmp_path)
    leftovers = [f for f in os.listdir(tmp_path) if ".tmp-" in f]
    assert leftovers == []


def test_issue_days_and_clamp_to_ca(tool, tmp_path):
    run(tool, "init-ca", "--dir", "short", "--days", "10", cwd=tmp_path)
    p = run(tool, "issue", "--dir", "short", "--dns", "a.example.test",
            "--days", "30", "--out", "gw", cwd=tmp_path)
    assert "CA expires first" in p.stderr
    assert (not_after(tmp_path / "gw.pem", tmp_path)
            == not_after(tmp_path / "short/ca.pem", tmp_path))
    run(tool, "issue", "--dir", "short", "--dns", "a.example.test",
        "--days", "5", "--out", "gw5", cwd=tmp_path)
    assert 4 < days_from_now(not_after(tmp_path / "gw5.pem",
                                       tmp_path)) <= 5


# ---- name constraints ----

def test_name_constraints_in_root(tool, tmp_path, nc_ca):
    text = cert_text(nc_ca / "ca.pem", tmp_path)
    assert re.search(r"Name Constraints: critical\s+Permitted:\s+"
                     r"DNS:example.test\s+Excluded:\s+IP:0.0.0.0/0.0.0.0",
                     text)

    run(tool, "issue", "--dir", "ncca", "--dns", "ftp.example.test",
        "--out", "good", cwd=tmp_path)
    ossl("verify", "-CAfile", "ncca/ca.pem", "-verify_hostname",
         "ftp.example.test", "good.pem", cwd=tmp_path)
    run(tool, "issue", "--dir", "ncca", "--dns", "example.test",
        "--out", "apex", cwd=tmp_path)
    ossl("verify", "-CAfile", "ncca/ca.pem", "apex.pem", cwd=tmp_path)

    # The tool refuses names outside the constraints, naming the fix...
    p = run(tool, "issue", "--dir", "ncca", "--dns", "ftp.other.test",
            "--out", "bad", cwd=tmp_path, ok=False)
    assert p.returncode == 1
    assert "refusing to issue for ftp.other.test" in p.stderr
    assert "permitted DNS:example.test" in p.stderr
    assert "--permit-dns" in p.stderr
    assert not (tmp_path / "bad.key").exists()
    # ... a look-alike suffix is not below example.test ...
    p = run(tool, "issue", "--dir", "ncca", "--dns", "ftp.badexample.test",
            "--out", "bad", cwd=tmp_path, ok=False)
    assert "refusing to issue for ftp.badexample.test" in p.stderr
    # ... and IP addresses, excluded since only DNS was permitted.
    p = run(tool, "issue", "--dir", "ncca", "--dns", "ftp.example.test",
            "--ip", "192.0.2.1", "--out", "bad", cwd=tmp_path, ok=False)
    assert "refusing to issue for 192.0.2.1: it is excluded" in p.stderr

    # openssl itself rejects such certificates signed with the CA key.
    other = sign_with_openssl(tmp_path, nc_ca, "ftp.other.test",
                              "DNS:ftp.other.test")
    v = ossl("verify", "-CAfile", "ncca/ca.pem", str(other),
             cwd=tmp_path, ok=False)
    assert v.returncode != 0
    assert "permitted subtree violation" in v.stdout + v.stderr
    ipcert = sign_with_openssl(tmp_path, nc_ca, "ftp.example.test",
                               "DNS:ftp.example.test,IP:192.0.2.1")
    v = ossl("verify", "-CAfile", "ncca/ca.pem", str(ipcert),
             cwd=tmp_path, ok=False)
    assert v.returncode != 0
    assert "excluded subtree violation" in v.stdout + v.stderr
    # Control: the same openssl recipe inside the constraints verifies.
    fine = sign_with_openssl(tmp_path, nc_ca, "x.example.test",
                             "DNS:x.example.test")
    ossl("verify", "-CAfile", "ncca/ca.pem", str(fine), cwd=tmp_path)


def test_name_constraints_with_ip_ranges(tool, tmp_path):
    run(tool, "init-ca", "--dir", "lan", "--permit-dns", "home.arpa",
        "--permit-ip", "192.0.2.0/24", "--permit-ip", "fd00::/8",
        cwd=tmp_path)
    text = cert_text(tmp_path / "lan/ca.pem", tmp_path)
    assert "IP:192.0.2.0/255.255.255.0" in text
    assert "Excluded" not in text
    run(tool, "issue", "--dir", "lan", "--ip", "192.0.2.7", "--ip",
        "fd00::7", "--out", "iponly", cwd=tmp_path)
    ossl("verify", "-CAfile", "lan/ca.pem", "-verify_ip", "192.0.2.7",
         "iponly.pem", cwd=tmp_path)
    # The CN of an address-only certificate must not look like a host
    # name, or DNS constraints would apply to it.
    assert "Subject: CN = ftpsgw gateway 192.0.2.7" in cert_text(
        tmp_path / "iponly.pem", tmp_path)
    run(tool, "issue", "--dir", "lan", "--dns", "gw.home.arpa", "--ip",
        "192.0.2.1", "--out", "both", cwd=tmp_path)
    ossl("verify", "-CAfile", "lan/ca.pem", "both.pem", cwd=tmp_path)
    p = run(tool, "issue", "--dir", "lan", "--ip", "198.51.100.1",
            "--out", "bad", cwd=tmp_path, ok=False)
    assert "refusing to issue for 198.51.100.1: it is outside" in p.stderr

    # --permit-ip alone: DNS names are excluded entirely.
    run(tool, "init-ca", "--dir", "iponly", "--permit-ip", "192.0.2.0/24",
        cwd=tmp_path)
    p = run(tool, "issue", "--dir", "iponly", "--dns", "gw.example.test",
            "--out", "bad", cwd=tmp_path, ok=False)
    assert "it is excluded" in p.stderr
    run(tool, "issue", "--dir", "iponly", "--ip", "192.0.2.9", "--out",
        "ok", cwd=tmp_path)
    ossl("verify", "-CAfile", "iponly/ca.pem", "ok.pem", cwd=tmp_path)


# ---- show ----

def fingerprint(path, algo, cwd, inform="PEM"):
    out = ossl("x509", "-inform", inform, "-in", str(path), "-noout",
               "-fingerprint", f"-{algo}", cwd=cwd).stdout.strip()
    return out.split("=", 1)[1]


def test_show_matches_openssl_fingerprints(tool, tmp_path, nc_ca):
    run(tool, "issue", "--dir", "ncca", "--dns", "ftp.example.test",
        "--out", "gw", cwd=tmp_path)
    p = run(tool, "show", "gw.chain.pem", cwd=tmp_path)
    out = p.stdout
    assert "certificate 1 of 2" in out and "certificate 2 of 2" in out
    leaf, root = out.split("certificate 2 of 2")
    for part, path in ((leaf, tmp_path / "gw.pem"),
                       (root, nc_ca / "ca.pem")):
        assert (f"SHA-256 fingerprint:  {fingerprint(path, 'sha256', tmp_path)}"
                in part)
        assert (f"SHA-1 fingerprint:    {fingerprint(path, 'sha1', tmp_path)}"
                in part)
        serial = ossl("x509", "-in", str(path), "-noout", "-serial",
                      cwd=tmp_path).stdout.strip().split("=", 1)[1]
        m = re.search(r"serial:\s+(\S+)", part)
        assert m and m.group(1).replace(":", "") == serial
    assert "subject:              CN=ftp.example.test" in leaf
    assert "issuer:               CN=ftpsgw private CA" in leaf
    assert "names (SAN):          DNS:ftp.example.test" in leaf
    assert re.search(r"not after:\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC "
                     r"\(39[67] days left\)", leaf)
    assert "key:                  ECDSA P-256 (256 bits)" in leaf
    assert "CA:                   no" in leaf
    assert "signed by:            certificate 2 below" in leaf
    assert "CA:                   yes" in root
    assert "permitted DNS:example.test" in root
    assert "signed by:            itself (a root)" in root

    # One certificate, and a DER file.
    one = run(tool, "show", "gw.pem", cwd=tmp_path).stdout
    assert "certificate 1 of 1" in one
    assert "its issuer (not in this file)" in one
    run(tool, "export", "--dir", "ncca", "--out", "root.cer", "--der",
        cwd=tmp_path)
    der = run(tool, "show", "root.cer", cwd=tmp_path).stdout
    assert fingerprint(nc_ca / "ca.pem", "sha256", tmp_path) in der

    # Not a certificate: a clear error, not a crash.
    p = run(tool, "show", "gw.key", cwd=tmp_path, ok=False)
    assert p.returncode == 1 and "holds no certificate" in p.stderr
    assert "PRIVATE" not in p.stdout + p.stderr
    p = run(tool, "show", "missing.pem", cwd=tmp_path, ok=False)
    assert p.returncode == 1 and "No such file" in p.stderr


# ---- export ----

def test_export_pem_and_der(tool, tmp_path, ca):
    run(tool, "export", "--dir", "ca", "--out", "root.pem", cwd=tmp_path)
    assert (tmp_path / "root.pem").read_text() == (ca / "ca.pem").read_text()
    p = run(tool, "export", "--dir", "ca", "--out", "root.crt", "--der",
            cwd=tmp_path)
    assert fingerprint(ca / "ca.pem", "sha256", tmp_path) in p.stdout
    raw = (tmp_path / "root.crt").read_bytes()
    assert raw[:1] == b"\x30"            # DER SEQUENCE, not PEM text
    text = cert_text(tmp_path / "root.crt", tmp_path, inform="DER")
    assert "CA:TRUE" in text
    assert (fingerprint(tmp_path / "root.crt", "sha256", tmp_path, "DER")
            == fingerprint(ca / "ca.pem", "sha256", tmp_path))
    p = run(tool, "export", "--dir", "ca", "--out", "root.crt", "--der",
            cwd=tmp_path, ok=False)
    assert p.returncode == 1 and "--force" in p.stderr
    run(tool, "export", "--dir", "ca", "--out", "root.crt", "--force",
        cwd=tmp_path)
    assert (tmp_path / "root.crt").read_text().startswith(
        "-----BEGIN CERTIFICATE-----")


# ---- RSA ----

def test_rsa_ca_and_leaves(tool, tmp_path):
    run(tool, "init-ca", "--dir", "rsa", "--rsa", "2048", cwd=tmp_path)
    key = ossl("pkey", "-in", "rsa/ca.key", "-noout", "-text",
               cwd=tmp_path).stdout
    assert "Private-Key: (2048 bit" in key
    assert mode(tmp_path / "rsa/ca.key") == 0o600
    assert "sha256WithRSAEncryption" in cert_text(tmp_path / "rsa/ca.pem",
                                                  tmp_path)
    run(tool, "issue", "--dir", "rsa", "--dns", "ftp.example.test",
        "--out", "gw", cwd=tmp_path)
    text = cert_text(tmp_path / "gw.pem", tmp_path)
    assert "Public-Key: (2048 bit)" in text
    assert re.search(r"Key Usage: critical\s+Digital Signature, Key "
                     r"Encipherment", text)
    ossl("verify", "-CAfile", "rsa/ca.pem", "gw.pem", cwd=tmp_path)
    show = run(tool, "show", "gw.pem", cwd=tmp_path).stdout
    assert "RSA 2048 bits" in show

    # An RSA server key under an ECDSA CA.
    run(tool, "init-ca", "--dir", "ec", cwd=tmp_path)
    run(tool, "issue", "--dir", "ec", "--dns", "ftp.example.test",
        "--rsa", "2048", "--out", "mixed", cwd=tmp_path)
    assert "Public-Key: (2048 bit)" in cert_text(tmp_path / "mixed.pem",
                                                 tmp_path)
    ossl("verify", "-CAfile", "ec/ca.pem", "mixed.pem", cwd=tmp_path)


# ---- errors ----

@pytest.mark.parametrize("args,code,needles", [
    (["init-ca"], 2, ["--dir DIR is required", "--dir /etc/ftpsgw/ca"]),
    (["issue", "--dns", "a.example.test", "--out", "x"], 2,
     ["--dir DIR is required"]),
    (["issue", "--dir", "ca", "--out", "x"], 2,
     ["at least one --dns NAME or --ip ADDR"]),
    (["issue", "--dir", "ca", "--dns", "a.example.test"], 2,
     ["--out PREFIX is required"]),
    (["issue", "--dir", "ca", "--ip", "192.0.2.300", "--out", "x"], 2,
     ["--ip '192.0.2.300' is not valid", "IPv4 address (192.0.2.10)"]),
    (["issue", "--dir", "ca", "--ip", "ftp.example.test", "--out", "x"], 2,
     ["--ip 'ftp.example.test' is not valid"]),
    (["issue", "--dir", "ca", "--dns", "192.0.2.1", "--out", "x"], 2,
     ["it is an IP address; give it with --ip"]),
    (["issue", "--dir", "ca", "--dns", "bad_name.test", "--out", "x"], 2,
     ["labels hold only letters, digits and '-'"]),
    (["issue", "--dir", "ca", "--dns", "*.test", "--out", "x"], 2,
     ["'*' may only be the whole leftmost label"]),
    (["issue", "--dir", "nowhere", "--dns", "a.example.test", "--out", "x"],
     1, ["nowhere holds no CA", "init-ca --dir nowhere"]),
    (["init-ca", "--dir", "n", "--permit-ip", "192.168.1.5/24"], 2,
     ["give the network address (192.168.1.0/24"]),
    (["init-ca", "--dir", "n", "--permit-ip", "10.0.0.0/33"], 2,
     ["prefix of 0-32"]),
    (["init-ca", "--dir", "n", "--days", "ten"], 2,
     ["--days must be a whole number"]),
    (["init-ca", "--dir", "n", "--rsa", "1024"], 2,
     ["--rsa must be a key size from 2048"]),
    (["init-ca", "--dir", "n", "--name", "x" * 65], 2,
     ["--name must have 1 to 64 bytes"]),
    (["init-ca", "--dir", "n", "--frobnicate"], 2,
     ["unknown option '--frobnicate'", "init-ca --help"]),
    (["init-ca", "--dir"], 2, ["option '--dir' needs a value"]),
    (["init-ca", "--dir", "no/such/parent/ca"], 1,
     ["parent directory does not exist"]),
    (["frob"], 2, ["unknown command 'frob'"]),
    (["show"], 2, ["give the FILE to show"]),
    (["export", "--dir", "ca"], 2, ["--out FILE is required"]),
    (["issue", "--dir", "ca", "--dns", "a.example.test", "--out", "sub/"],
     2, ["it is not a directory", "--out sub/gateway"]),
    (["issue", "--dir", "ca", "--dns", "a.example.test", "--out",
      "nodir/x"], 1, ["cannot create nodir/x.key: No such file"]),
])
def test_errors_name_the_fix(tool, tmp_path, ca, args, code, needles):
    p = run(tool, *args, cwd=tmp_path, ok=False)
    assert p.returncode == code, p.stderr
    for n in needles:
        assert n in p.stderr, p.stderr
    assert p.stdout == ""
    assert not (tmp_path / "n").exists()   # usage errors create nothing
    assert not (tmp_path / "x.key").exists()


def test_existing_ca_is_never_overwritten(tool, tmp_path, ca):
    key_before = (ca / "ca.key").read_bytes()
    p = run(tool, "init-ca", "--dir", "ca", cwd=tmp_path, ok=False)
    assert p.returncode == 1
    assert "already holds a CA" in p.stderr
    assert "choose another --dir" in p.stderr
    assert (ca / "ca.key").read_bytes() == key_before
    # A directory others may enter that is not an empty one of the
    # caller's is refused, and left as it was.
    open_dir = tmp_path / "open"
    open_dir.mkdir()
    (open_dir / "notes.txt").write_text("the admin's\n")
    os.chmod(open_dir, 0o755)
    p = run(tool, "init-ca", "--dir", "open", cwd=tmp_path, ok=False)
    assert p.returncode == 1 and "chmod 700 open" in p.stderr
    assert "not an empty directory of yours" in p.stderr
    assert os.listdir(open_dir) == ["notes.txt"]
    assert stat.S_IMODE(os.stat(open_dir).st_mode) == 0o755


def test_init_ca_tightens_a_fresh_mkdir(tool, tmp_path):
    """What `mkdir DIR` leaves under umask 022 (0755, empty, the caller's)
    is taken: set to 0700, and the tool says so."""
    d = tmp_path / "fresh"
    d.mkdir()
    os.chmod(d, 0o755)
    p = run(tool, "init-ca", "--dir", "fresh", cwd=tmp_path)
    assert "fresh had mode 0755: set to 0700" in p.stdout, p.stdout
    assert stat.S_IMODE(os.stat(d).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(d / "ca.key").st_mode) == 0o600
    assert (d / "ca.pem").is_file()
    # Already private: nothing to say.
    q = tmp_path / "private"
    q.mkdir(mode=0o700)
    os.chmod(q, 0o700)
    p = run(tool, "init-ca", "--dir", "private", cwd=tmp_path)
    assert "set to 0700" not in p.stdout


def test_init_ca_does_not_tighten_what_is_not_yours(tool, tmp_path):
    """SECURITY: a directory another user owns (one the caller could
    write to, as root can), or a symbolic link to an empty directory of the
    caller's, is refused and its mode left alone: the CA's key never goes
    where someone else arranged it."""
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    os.chmod(theirs, 0o777)
    os.chown(theirs, 65534, 65534)
    p = run(tool, "init-ca", "--dir", "theirs", cwd=tmp_path, ok=False)
    assert p.returncode == 1 and "chmod 700 theirs" in p.stderr
    assert stat.S_IMODE(os.stat(theirs).st_mode) == 0o777
    assert os.listdir(theirs) == []
    target = tmp_path / "target"
    target.mkdir()
    os.chmod(target, 0o755)
    (tmp_path / "link").symlink_to(target)
    p = run(tool, "init-ca", "--dir", "link", cwd=tmp_path, ok=False)
    assert p.returncode == 1 and "not an empty directory of yours" in p.stderr
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o755
    assert os.listdir(target) == []


def test_mismatched_ca_key_is_refused(tool, tmp_path, ca):
    run(tool, "init-ca", "--dir", "ca2", cwd=tmp_path)
    shutil.copy(tmp_path / "ca2/ca.key", ca / "ca.key")
    p = run(tool, "issue", "--dir", "ca", "--dns", "a.example.test",
            "--out", "x", cwd=tmp_path, ok=False)
    assert p.returncode == 1
    assert "ca/ca.key does not belong to ca/ca.pem" in p.stderr
    assert not (tmp_path / "x.key").exists()


def test_loose_ca_key_mode_warns(tool, tmp_path, ca):
    os.chmod(ca / "ca.key", 0o644)
    p = run(tool, "issue", "--dir", "ca", "--dns", "a.example.test",
            "--out", "x", cwd=tmp_path)
    assert "chmod 600 ca/ca.key" in p.stderr


# ---- a real TLS handshake ----

class Server:
    """openssl s_server on 127.0.0.1 with a port the kernel picks (it
    prints "ACCEPT 127.0.0.1:PORT"), so no port is guessed."""

    def __init__(self, cwd, cert, key, accepts):
        self.proc = subprocess.Popen(
            [OPENSSL, "s_server", "-accept", "127.0.0.1:0", "-cert", cert,
             "-key", key, "-naccept", str(accepts), "-www"],
            cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT)

    def wait_port(self):
        deadline = time.monotonic() + TLS_TIMEOUT
        buf = b""
        while time.monotonic() < deadline:
            r, _, _ = select.select([self.proc.stdout], [], [], 0.2)
            if r:
                chunk = os.read(self.proc.stdout.fileno(), 4096)
                if not chunk:
                    break
                buf += chunk
                m = re.search(rb"ACCEPT 127\.0\.0\.1:(\d+)", buf)
                if m:
                    return int(m.group(1))
        raise AssertionError(f"s_server did not listen: {buf!r}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=TLS_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=TLS_TIMEOUT)
        self.proc.stdout.close()


def s_client(cwd, port, host):
    return subprocess.run(
        [OPENSSL, "s_client", "-connect", f"127.0.0.1:{port}",
         "-CAfile", "ca/ca.pem", "-verify_hostname", host,
         "-verify_return_error", "-servername", host, "-brief"],
        cwd=cwd, input="", capture_output=True, text=True,
        timeout=TLS_TIMEOUT)


def test_tls_handshake_with_chain_file(tool, tmp_path, nc_ca):
    run(tool, "issue", "--dir", "ncca", "--dns", "ftp.example.test",
        "--out", "gw", cwd=tmp_path)
    os.rename(nc_ca, tmp_path / "ca")      # s_client uses ca/ca.pem
    server = Server(tmp_path, "gw.chain.pem", "gw.key", accepts=2)
    try:
        port = server.wait_port()
        good = s_client(tmp_path, port, "ftp.example.test")
        assert good.returncode == 0, good.stderr
        assert "Verification: OK" in good.stderr
        assert "Verified peername: ftp.example.test" in good.stderr

        bad = s_client(tmp_path, port, "ftp.other.test")
        assert bad.returncode != 0
        assert "hostname mismatch" in bad.stderr + bad.stdout
    finally:
        server.stop()
