"""ftpsgw -T: every key's value in effect, defaults included, in
gateway.conf's syntax (issue 15, part 3; the manual's check relies on it).
No network, no root needed: it only reads the file."""
import subprocess

from lab import GATEWAY_BIN, REPO

TIMEOUT = 10

# The annotated example sets the four required keys; everything else is
# its default.
EXAMPLE_PRINTED = """\
listen = 203.0.113.1:21
# listen_implicit is not set
certificate = /etc/ftpsgw/gateway.pem
private_key = /etc/ftpsgw/gateway.key
# public_address is not set
passive_ports = 61000-61999
backend = 198.51.100.10:21
backend_tls = explicit
# backend_ca is not set
backend_verify = on
# backend_fingerprint is not set
# backend_name is not set
backend_source = gateway
backend_proxy_protocol = off
client_tls = required
require_session_reuse = on
active_mode = on
allow_ccc = off
conntrack = auto
data_path = relay
connect_timeout = 10
idle_timeout = 600
data_timeout = 60
log_level = info
# user is not set
# chroot is not set
max_sessions = 2000
max_sessions_per_ip = 50
handshake_timeout = 10
max_login_failures = 5
ban_time = 600
ban_prefix4 = 32
ban_prefix6 = 64
shutdown_timeout = 30
workers = auto
banner = ftpsgw ready.
# metrics_listen is not set
metrics_public = off
# transfer_log is not set
log = stderr
pool = default
route = default
balance = round-robin
# default_pool is not set
# user_map is not set
health_check = off
health_interval = 10
health_rise = 2
health_fall = 3
"""


def run(*args):
    return subprocess.run([GATEWAY_BIN, *args], capture_output=True,
                          text=True, timeout=TIMEOUT)


def test_example_printed_byte_for_byte():
    p = run("-T", "-c", f"{REPO}/gateway.conf")
    assert p.returncode == 0, p.stderr
    assert p.stdout == EXAMPLE_PRINTED
    assert p.stderr == ""


def test_printed_reads_back_the_same(tmp_path):
    conf = tmp_path / "gateway.conf"
    conf.write_text("listen_implicit = [2001:db8:1::1]:990\n"
                    "listen = 203.0.113.1:21\n"
                    "certificate = /etc/ftpsgw/gateway.chain.pem\n"
                    "private_key = /etc/ftpsgw/gateway.key\n"
                    "backend = [2001:db8:2::10]\n"
                    "backend_tls = implicit\n"
                    "public_address = 203.0.113.1\n"
                    "workers = 4\n"
                    "banner = Example FTP   # a comment, not the banner\n")
    first = run("-T", "-c", str(conf))
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    # The port in effect is shown (990 for an implicit backend), the
    # listeners by kind, and the comment is not part of the banner.
    assert "backend = [2001:db8:2::10]:990" in lines
    assert lines[:2] == ["listen = 203.0.113.1:21",
                         "listen_implicit = [2001:db8:1::1]:990"]
    assert "public_address = 203.0.113.1" in lines
    assert "workers = 4" in lines
    assert "banner = Example FTP" in lines
    again = tmp_path / "printed.conf"
    again.write_text(first.stdout)
    second = run("-T", "-c", str(again))
    assert second.returncode == 0, second.stderr
    assert second.stdout == first.stdout


def test_bad_file_says_where_and_prints_nothing(tmp_path):
    conf = tmp_path / "gateway.conf"
    conf.write_text("listen = 203.0.113.1:21\nconntrack = maybe\n")
    p = run("-T", "-c", str(conf))
    assert p.returncode == 1
    assert p.stdout == ""
    assert p.stderr == (f"ftpsgw: {conf}:2: conntrack: 'maybe' is not a "
                        "conntrack mode; expected on, off or auto\n")


def test_unreadable_files_are_named_with_the_reason(tmp_path):
    """Not a file, a FIFO (which would block), a file over 1 MiB, none at
    all: each refused with its reason, never read as an empty file."""
    import os
    fifo = tmp_path / "fifo.conf"
    os.mkfifo(fifo)
    big = tmp_path / "big.conf"
    big.write_bytes(b"#" * (1024 * 1024 + 1))
    for path, why in ((tmp_path, "Is a directory"),
                      (fifo, "not a regular file"),
                      (big, "File too large"),
                      (tmp_path / "none.conf", "No such file or directory")):
        p = run("-T", "-c", str(path))
        assert p.returncode == 1, p
        assert p.stdout == ""
        assert p.stderr == f"ftpsgw: {path}: {why}\n"


def test_usage_names_every_option():
    p = run("-h")
    assert p.returncode == 0
    for opt in ("-c FILE", "-t", "-T", "-V", "--version", "-h", "--help"):
        assert opt in p.stdout, opt
    p = run("-T")
    assert p.returncode == 2 and p.stdout == "" and "usage:" in p.stderr
