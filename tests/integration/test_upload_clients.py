"""Uploads from clients that never read a data connection while they write
(issue 12, part 1; DESIGN.md fact 7).

rclone (Go's crypto/tls) and netkit's ftp-ssl close their upload data
connection without reading from it. A TLS 1.3 ticket sent there stays
unread, and closing a socket with unread bytes makes the kernel send a
reset instead of a FIN: the server then sees a truncated upload. ftpsgw
sends no ticket on data connections, so every upload arrives whole.
"""

import os
import subprocess

import pytest

from test_gateway import GW4, gw_config, remove_uploads, same

ROUNDS = 4


def rclone(lab, certs, server, local, remote):
    obscured = subprocess.run(["rclone", "obscure", server.password],
                              capture_output=True, text=True,
                              check=True).stdout.strip()
    env = {"SSL_CERT_FILE": certs.ca_cert, "RCLONE_CONFIG": "/nonexistent",
           "HOME": lab.path("rclone-home"), "PATH": os.environ["PATH"]}
    os.makedirs(env["HOME"], exist_ok=True)
    argv = ["env", *[f"{k}={v}" for k, v in env.items()], "rclone",
            "copyto", local, f":ftp:{remote}", "--ftp-host", GW4,
            "--ftp-user", server.user, "--ftp-pass", obscured,
            "--ftp-explicit-tls", "--retries", "1",
            "--low-level-retries", "1", "--contimeout", "10s",
            "--timeout", "30s"]
    return lab.run(lab.ns_client, argv, check=False, timeout=90)


def test_rclone_uploads_arrive_whole(lab, certs, proftpd, start_gw):
    gw = start_gw(gw_config(certs, proftpd))
    src = lab.test_files()["f1M"]
    names = [f"rclone-up-{i}" for i in range(ROUNDS)]
    remove_uploads(proftpd, names)
    for n in names:
        r = rclone(lab, certs, proftpd, src, f"{proftpd.upload_ftp}/{n}")
        assert r.returncode == 0, r.stdout + r.stderr + gw.log_text()[-3000:]
        assert same(os.path.join(proftpd.upload, n), src), n
    assert "TLSv1.3" in gw.log_text()
    remove_uploads(proftpd, names)


def test_netkit_ftp_ssl_upload_arrives_whole(lab, certs, proftpd, start_gw):
    """ftp-ssl also closes its data socket before its SSL_shutdown, so the
    upload ends with a FIN and no close_notify: ftpsgw takes that as the
    end of the upload, as ProFTPD does for ftp-ssl connected to it
    directly, and every later upload of the session still resumes."""
    gw = start_gw(gw_config(certs, proftpd))
    src = lab.test_files()["f1M"]
    names = [f"ftpssl-up-{i}" for i in range(ROUNDS)]
    remove_uploads(proftpd, names)
    script = (f"user {proftpd.user} {proftpd.password}\nbinary\n" +
              "".join(f"put {src} {proftpd.upload_ftp}/{n}\n" for n in names) +
              "bye\n")
    r = lab.run(lab.ns_client, ["ftp-ssl", "-n", "-p", "-v", "-z", "secure",
                                "-z", "verify=1", "-z",
                                f"cacert={certs.ca_cert}", GW4],
                check=False, input=script, timeout=120)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out + gw.log_text()[-3000:]
    codes = [ln[:3] for ln in out.splitlines() if ln[:3].isdigit()]
    assert "426" not in codes, out + gw.log_text()[-3000:]
    assert codes.count("226") >= ROUNDS, out
    for n in names:
        assert same(os.path.join(proftpd.upload, n), src), n + "\n" + out
    assert "TCP FIN but no TLS close_notify" in gw.log_text()
    remove_uploads(proftpd, names)


def test_curl_many_tiny_uploads_in_one_command(lab, certs, proftpd,
                                               start_gw):
    """curl 7.88 offers each TLS 1.3 ticket once. Data connections get no
    ticket, but every EPSV reply is preceded by a fresh one on the control
    connection, so each upload of one curl command resumes."""
    gw = start_gw(gw_config(certs, proftpd))
    src = lab.test_files()["f1"]
    names = [f"curl-tiny-{i}" for i in range(8)]
    remove_uploads(proftpd, names)
    args = []
    for n in names:
        args += ["-T", src, f"ftp://{GW4}/{proftpd.upload_ftp}/{n}"]
    r = lab.run(lab.ns_client, ["curl", "-sS", "--ssl-reqd", "--cacert",
                                certs.ca_cert, "--tlsv1.3",
                                "-u", f"{proftpd.user}:{proftpd.password}",
                                *args], check=False, timeout=90)
    assert r.returncode == 0, r.stderr + gw.log_text()[-3000:]
    for n in names:
        assert same(os.path.join(proftpd.upload, n), src), n
    log = gw.log_text()
    assert log.count("client TLSv1.3") >= 8, log[-3000:]
    assert ": C< 425" not in log, log[-3000:]
    remove_uploads(proftpd, names)
