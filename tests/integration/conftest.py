"""pytest fixtures for the integration tests: the lab network, the test PKI,
the three real FTP servers and a gateway factory.

Run as root: /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/integration
Without root the whole suite is skipped with a message; any other problem
(missing servers, a failing setup) is an error, never a silent skip.
FTPSGW_KEEP_LAB=1 keeps the lab's work directory (configs, logs) after the run.
"""

import os
import re
import sys
import warnings

import pytest

if os.path.dirname(os.path.abspath(__file__)) not in sys.path:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import lab as labmod  # noqa: E402
import servers  # noqa: E402


HERE = os.path.dirname(os.path.abspath(__file__))

# What ASan, LSan and UBSan write when they find something (`make check
# SANITIZE=1` runs build/asan/ftpsgw with ASAN_OPTIONS sending reports to
# stderr, which is the gateway's log): "==PID==ERROR: AddressSanitizer: ...",
# "file.c:12:5: runtime error: ..." or the SUMMARY line.
SANITIZER_REPORT = re.compile(
    r"==\d+==ERROR: \w+Sanitizer|\.[ch]:\d+:\d+: runtime error: |"
    r"SUMMARY: \w+Sanitizer")
# LeakSanitizer stops the process's threads with ptrace and reads /proc at
# exit; in a chroot without /proc the leak check cannot run (sanitizer builds
# stay dumpable after the switch to `user`). That finds nothing wrong, so it
# only warns.
LSAN_UNAVAILABLE = "LeakSanitizer has encountered a fatal error"


def pytest_collection_modifyitems(config, items):
    if os.geteuid() != 0:
        skip = pytest.mark.skip(reason="integration tests need root (network "
                                "namespaces, nftables, conntrack): run them with sudo")
        for item in items:
            if str(item.fspath).startswith(HERE + os.sep):
                item.add_marker(skip)


@pytest.fixture(scope="session")
def lab():
    """The session's Lab (three namespaces, strict router ruleset)."""
    if os.geteuid() != 0:
        pytest.skip("integration tests need root")
    the_lab = labmod.Lab()
    try:
        the_lab.up()
        yield the_lab
    finally:
        the_lab.down()


@pytest.fixture(scope="session")
def certs(lab):
    """Certs: ca_cert, gw_cert/gw_key (ftp.example.test, 203.0.113.1,
    2001:db8:1::1), be_cert/be_key (the backends' addresses)."""
    return lab.certs()


@pytest.fixture(scope="session")
def test_files(lab):
    """{name: path} of the random test files (also in every server home)."""
    return lab.test_files()


def _server(lab, certs, start):
    missing = servers.servers_available()
    if missing:
        raise RuntimeError(missing)
    srv = start(lab, certs)
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="session")
def proftpd(lab, certs):
    """ProFTPD on Lab.SERVER4 / SERVER6 (strict: session reuse required)."""
    yield from _server(lab, certs, servers.start_proftpd)


@pytest.fixture(scope="session")
def vsftpd(lab, certs):
    """vsftpd on Lab.SERVER4_2 (anonymous, require_ssl_reuse=YES)."""
    yield from _server(lab, certs, servers.start_vsftpd)


@pytest.fixture(scope="session")
def pureftpd(lab, certs):
    """pure-ftpd on Lab.SERVER4_3 (TLS mode 3)."""
    yield from _server(lab, certs, servers.start_pureftpd)


def default_gateway_config(lab, certs, backend=None):
    """The default gateway.conf as a dict (keys exactly DESIGN.md's, plus
    log_level). backend: a servers.Server, 'HOST:PORT', or None for
    ProFTPD's address."""
    if backend is None:
        backend = labmod.hostport(lab.SERVER4, 21)
    elif isinstance(backend, servers.Server):
        backend = backend.hostport
    return {
        "listen": labmod.hostport(lab.ROUTER_PUB4, 21),
        "listen_implicit": labmod.hostport(lab.ROUTER_PUB4, 990),
        "certificate": certs.gw_cert,
        "private_key": certs.gw_key,
        "backend": backend,
        "backend_ca": certs.ca_cert,
        "passive_ports": "40000-40099",
        "conntrack": "on",
        "log_level": "debug",
    }


def stop_gateways(started):
    """Stop every gateway a test started, then fail the test if a log holds
    a sanitizer report. Checked after the exit: LeakSanitizer reports only
    then."""
    for gw in started:
        gw.stop()
    reports = []
    for gw in started:
        text = gw.log_text()
        m = SANITIZER_REPORT.search(text)
        if m:
            start = text.rfind("\n", 0, m.start()) + 1
            reports.append(f"{gw.log_path}:\n{text[start:start + 4000]}")
        elif LSAN_UNAVAILABLE in text:
            warnings.warn(f"{gw.log_path}: no leak check (LeakSanitizer "
                          f"could not inspect the gateway, e.g. chrooted)")
    if reports:
        pytest.fail("sanitizer report in the gateway log:\n" + "\n".join(reports),
                    pytrace=False)


@pytest.fixture
def gateway(lab, certs, request):
    """Factory: gateway(overrides=None, name=None, backend=None, **kw)
    starts build/ftpsgw in the router namespace with the default config
    updated by overrides/kw (a value None removes the key; a list repeats
    it), waits until it listens and returns a lab.Gateway. Its config and
    log are workdir/<test name>-<n>.conf/.log. Every gateway it started is
    stopped after the test; a sanitizer report in a log fails the test."""
    started = []
    base = "".join(c if c.isalnum() or c in "-_" else "_" for c in request.node.name)

    def start(overrides=None, name=None, backend=None, **kw):
        cfg = default_gateway_config(lab, certs, backend)
        cfg.update(overrides or {})
        cfg.update(kw)
        gw = lab.start_gateway(cfg, name=name or f"{base}-{len(started) + 1}")
        started.append(gw)
        return gw

    try:
        yield start
    finally:
        stop_gateways(started)


@pytest.fixture
def start_gw(lab, request):
    """Start gateways for one test; each logs to a file named after the test
    (kept with FTPSGW_KEEP_LAB=1, e.g. to check a sanitizer run), and all
    are stopped at its end; a sanitizer report in a log fails the test."""
    started = []

    def start(config, **kw):
        tag = re.sub(r"[^A-Za-z0-9_.-]", "_", request.node.name)
        gw = lab.start_gateway(config, name=f"{tag}-{len(started)}", **kw)
        started.append(gw)
        return gw

    yield start
    stop_gateways(started)
