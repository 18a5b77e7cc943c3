"""backend_source = client (issue 17, part 4): ftpsgw connects to the FTP
server from the client's own address (IP_TRANSPARENT), control and data
connections alike, so ProFTPD, vsftpd and pure-ftpd log the real client
203.0.113.10 and not the router's 192.0.2.1/198.51.100.1, and their own
checks that the data peer is the control peer (vsftpd pasv_promiscuous=NO,
port_promiscuous=NO) keep passing. The router runs the strict ruleset that
`ftpsgw --firewall nft` prints for this configuration, plus the policy
routing it names; everything is put back at the end."""

import contextlib
import os
import socket

import pytest

import lab as L
from test_gateway import ftpc, gw_config, same

MARK = "0x1"
TABLE = "100"


@pytest.fixture(params=["proftpd", "vsftpd", "pureftpd"])
def server(request):
    return request.getfixturevalue(request.param)


def policy_routing(lab, add):
    """The recipe's ip rule / ip route in the router (v4 and v6); removal
    tolerates what is already gone."""
    verb = "add" if add else "del"
    for fam, dst in (("-4", "0.0.0.0/0"), ("-6", "::/0")):
        lab.run(lab.ns_router, ["ip", fam, "rule", verb, "fwmark", MARK,
                                "lookup", TABLE], check=add)
        lab.run(lab.ns_router, ["ip", fam, "route", verb, "local", dst,
                                "dev", "lo", "table", TABLE], check=add)


@contextlib.contextmanager
def transparent_router(lab, config, name):
    """Load the firewall ftpsgw prints for config (and the policy routing
    its comment names); give the lab its own ruleset back afterwards."""
    conf = lab.write_config(config, name + "-fw")
    rules = L.print_firewall(conf, ns=lab.ns_router)
    assert "socket transparent 1 meta mark set 0x1" in rules
    assert f"ip rule add fwmark {MARK} lookup {TABLE}" in rules
    try:
        lab.run(lab.ns_router, ["nft", "-f", "-"], input=rules)
        policy_routing(lab, True)
        yield rules
    finally:
        policy_routing(lab, False)
        lab.load_ruleset()


SEEN_LOGS = {"proftpd": ("system", "xfer"), "vsftpd": ("vsftpd", "xfer"),
             "pureftpd": ("xfer",)}


def log_sizes(server):
    return {k: len(server.log_text(k)) for k in SEEN_LOGS[server.name]}


def client_seen(server, since):
    """What the server's own logs say about the peer, written after since
    (log_sizes); the lab's servers live for the whole run."""
    return "".join(server.log_text(k)[n:] for k, n in since.items())


@pytest.mark.parametrize("mode", ["epsv", "active"])
def test_server_sees_the_client(lab, certs, server, start_gw, mode):
    config = gw_config(certs, server, backend_source="client")
    files = lab.test_files()
    dl = lab.path(f"tp-{server.name}-{mode}")
    up = f"tp-{mode}"
    target = os.path.join(server.upload, up)
    if os.path.exists(target):
        os.unlink(target)
    before = log_sizes(server)
    with transparent_router(lab, config, f"tp-{server.name}-{mode}"):
        gw = start_gw(config)
        r = ftpc(lab, certs, server, "list", "get", "f1M", dl, "put",
                 files["f16385"], f"{server.upload_ftp}/{up}",
                 extra=["--mode", mode])
        log = gw.log_text()
        assert r.returncode == 0, r.stdout + r.stderr + log[-3000:] + \
            server.all_logs()[-3000:]
    assert "f16384" in r.stdout
    assert same(dl, os.path.join(server.home, "f1M"))
    assert same(target, files["f16385"])
    os.unlink(target)
    seen = client_seen(server, before)
    assert lab.CLIENT4 in seen, seen
    assert lab.ROUTER_LAN4 not in seen, seen
    assert "sees the gateway's address" not in log
    if mode == "active":
        # ftpsgw told the server the client's address.
        assert "PORT 203,0,113,10," in log or "EPRT |1|203.0.113.10|" in log


@pytest.mark.parametrize("mode", ["epsv", "eprt"])
def test_ipv6_server_sees_the_ipv6_client(lab, certs, proftpd, start_gw,
                                          mode):
    """IPv6 end to end: the client 2001:db8:1::10 reaches ProFTPD on
    2001:db8:2::10 from its own address (IPV6_TRANSPARENT, the recipe's
    ip -6 rule and route), passive (EPSV) and active (EPRT)."""
    server6 = proftpd.at(lab.SERVER6)
    config = gw_config(certs, server6, backend_source="client")
    dl = lab.path(f"tp6-{mode}")
    before = log_sizes(server6)
    with transparent_router(lab, config, f"tp6-{mode}"):
        gw = start_gw(config)
        r = ftpc(lab, certs, server6, "list", "get", "f1M", dl,
                 host=L.Lab.ROUTER_PUB6, extra=["--mode", mode])
        log = gw.log_text()
    assert r.returncode == 0, r.stdout + r.stderr + log[-3000:]
    assert "f16384" in r.stdout
    assert same(dl, os.path.join(server6.home, "f1M"))
    seen = client_seen(server6, before)
    assert lab.CLIENT6 in seen, seen
    assert lab.ROUTER_LAN6 not in seen, seen
    assert "sees the gateway's address" not in log
    if mode == "eprt":
        assert f"EPRT |2|{lab.CLIENT6}|" in log, log[-3000:]


def test_ipv6_client_falls_back_with_one_line(lab, certs, proftpd, start_gw):
    """An IPv6 client in front of an IPv4 server cannot be its own source:
    the gateway's address, said once in the log; the transfer works."""
    config = gw_config(certs, proftpd, backend_source="client")
    dl = lab.path("tp-v6")
    with transparent_router(lab, config, "tp-v6"):
        gw = start_gw(config)
        r = ftpc(lab, certs, proftpd, "get", "f16384", dl, host=L.Lab.ROUTER_PUB6)
        log = gw.log_text()
    assert r.returncode == 0, r.stdout + r.stderr + log[-3000:]
    assert same(dl, os.path.join(proftpd.home, "f16384"))
    assert log.count("backend_source = client: the FTP server sees the "
                     "gateway's address for this session: the client's "
                     "address is not of the FTP server's family") == 1, log


def test_check_names_what_the_router_lacks(lab, certs, proftpd):
    """ftpsgw -t with backend_source = client: without the recipe, the mark
    rule, the ip rule and the local route are each named with the command
    that makes it (exit 0: warnings only); with it, none."""
    config = gw_config(certs, proftpd, backend_source="client")
    conf = lab.write_config(config, "tp-check")
    tag = "ftpsgw[warning]: firewall: backend_source = client, but "

    def warnings():
        r = lab.run(lab.ns_router, [L.GATEWAY_BIN, "-t", "-c", conf],
                    check=False, timeout=60)
        assert r.returncode == 0, r.stderr
        return [ln.split(tag, 1)[1] for ln in r.stderr.splitlines()
                if tag in ln]
    assert warnings() == [
        "no nftables rule in a prerouting chain marks the IPv4 FTP "
        "server's packets for ftpsgw's transparent sockets, so its answers "
        "to the client's address leave the router instead and every "
        "session times out; load the rules printed by: ftpsgw --firewall "
        f"nft -c {conf}",
        f"no IPv4 policy routing rule sends packets marked {MARK} to table "
        f"{TABLE}, so the FTP server's answers never reach ftpsgw; run, "
        f"and at every boot: ip rule add fwmark {MARK} lookup {TABLE}",
        f"IPv4 routing table {TABLE} has no local route for every address, "
        "so the FTP server's answers are not delivered to ftpsgw; run, and "
        f"at every boot: ip route add local 0.0.0.0/0 dev lo table {TABLE}",
    ]
    with transparent_router(lab, config, "tp-check"):
        assert warnings() == []


def test_kernel_path_is_refused(lab, certs, proftpd):
    config = gw_config(certs, proftpd, backend_source="client",
                       data_path="kernel")
    r = lab.check_gateway_config(config, "tp-kernel")
    assert r.returncode == 1
    assert ("backend_source: client cannot be combined with data_path = "
            "kernel") in r.stdout + r.stderr


def test_internet_cannot_reach_a_transparent_listener(lab, certs, proftpd):
    """A listener on the client's address (as active mode makes one) is
    reached only through the expectation: a host on the Internet side
    that routes 203.0.113.10 via the router gets nothing (the input chain
    drops it), and neither does the server without an expectation."""
    config = gw_config(certs, proftpd, backend_source="client")
    x = lab.prefix + "-inet"
    made_ns = False
    listener = None
    script = (
        "import socket, sys, select\n"
        "s = socket.socket()\n"
        "s.setsockopt(socket.SOL_IP, 19, 1)\n"        # IP_TRANSPARENT
        "s.bind(('203.0.113.10', 40099)); s.listen(4)\n"
        "print('ready', flush=True)\n"
        "r, _, _ = select.select([s], [], [], 8)\n"
        "print('accepted' if r else 'nothing', flush=True)\n")
    with transparent_router(lab, config, "tp-inet"):
        try:
            L.subprocess.run(["ip", "netns", "add", x], check=True, timeout=10)
            made_ns = True
            lab.run(lab.ns_router, ["ip", "link", "add", "x0", "type", "veth",
                                    "peer", "name", "eth0", "netns", x])
            lab.run(lab.ns_router, ["ip", "addr", "add", "192.0.2.1/24",
                                    "dev", "x0"])
            lab.run(lab.ns_router, ["ip", "link", "set", "x0", "up"])
            for cmd in (["ip", "addr", "add", "192.0.2.20/24", "dev", "eth0"],
                        ["ip", "link", "set", "eth0", "up"],
                        ["ip", "link", "set", "lo", "up"],
                        ["ip", "route", "add", "default", "via", "192.0.2.1"]):
                L.subprocess.run(["ip", "netns", "exec", x, *cmd], check=True,
                                 timeout=10)
            listener = lab.popen(lab.ns_router, [L.PYTHON, "-c", script],
                                 stdout=L.subprocess.PIPE)
            assert listener.stdout.readline().strip() == b"ready"
            probe = ("import socket\n"
                     "s = socket.socket(); s.settimeout(2)\n"
                     "try:\n"
                     "    s.connect(('203.0.113.10', 40099)); print('connected')\n"
                     "except OSError as e:\n"
                     "    print('refused', e)\n")
            r = L.subprocess.run(["ip", "netns", "exec", x, L.PYTHON, "-c",
                                  probe], capture_output=True, text=True,
                                 timeout=20)
            assert r.stdout.startswith("refused"), r.stdout + r.stderr
            r = lab.run(lab.ns_server, [L.PYTHON, "-c", probe], check=False)
            assert r.stdout.startswith("refused"), r.stdout + r.stderr
            out, _ = listener.communicate(timeout=15)
            assert out.strip() == b"nothing"
        finally:
            if listener is not None and listener.poll() is None:
                lab.stop_process(listener)
            if made_ns:
                lab.run(lab.ns_router, ["ip", "link", "del", "x0"], check=False)
                L.subprocess.run(["ip", "netns", "del", x], timeout=10)
