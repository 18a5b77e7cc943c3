"""ftpsgw --firewall and the firewall check of ftpsgw -t (issue 15, part 4).

The rules ftpsgw prints are loaded for real (nft -f in the router
namespace), transfers run behind them, and -t's warnings are read as an
admin reads them. Every test that loads other rules puts the lab's own
printed firewall back (Lab.load_ruleset) in its finally."""

import os
import shutil

import pytest

import lab as L
from test_gateway import GW4, GW6, curl, ftpc, gw_config, same, url

OTHER_PORT = 2121


def write_conf(lab, name, cfg):
    return lab.write_config(cfg, name)


def load(lab, text):
    lab.run(lab.ns_router, ["nft", "-f", "-"], input=text)


def check(lab, conf, argv_pre=()):
    """`ftpsgw -t -c conf` in the router namespace (reads its ruleset)."""
    return lab.run(lab.ns_router, [*argv_pre, L.GATEWAY_BIN, "-t", "-c", conf],
                   check=False, timeout=60)


# Configurations whose printed rules must load; each a gw_config override.
CONFIGS = {
    "ipv4-only": {"listen": f"{GW4}:21", "listen_implicit": None},
    "both-families": {"listen_implicit": [f"{GW4}:990", f"[{GW6}]:990"]},
    "every-address": {"listen": ["0.0.0.0:21", "[::]:21"],
                      "listen_implicit": "[::]:990"},
    "conntrack-off": {"conntrack": "off", "public_address": "203.0.113.2"},
    "kernel": {"data_path": "kernel"},
    "backend-port": {"backend": f"{L.Lab.SERVER4}:{OTHER_PORT}",
                     "backend_tls": "implicit"},
    "ipv6-backend": {"backend": f"[{L.Lab.SERVER6}]:21"},
}


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_printed_rules_load_and_replace_themselves(lab, certs, proftpd, name):
    """Each configuration's nft output loads, loads again to the very same
    table (it replaces itself, never adds), and leaves another table
    alone."""
    conf = write_conf(lab, f"fw-{name}", gw_config(certs, proftpd, **CONFIGS[name]))
    text = L.print_firewall(conf, ns=lab.ns_router)
    other = "table ip fwtest_other { chain c { type filter hook input " \
            "priority 10; policy accept; tcp dport 7 accept; }; }"
    try:
        load(lab, other)
        load(lab, text)
        first = lab.run(lab.ns_router, ["nft", "list", "table", "inet", "ftpsgw"]).stdout
        load(lab, text)
        again = lab.run(lab.ns_router, ["nft", "list", "table", "inet", "ftpsgw"]).stdout
        assert first == again
        assert first.count("chain input {") == 1
        kept = lab.run(lab.ns_router, ["nft", "list", "table", "ip",
                                       "fwtest_other"]).stdout
        assert "tcp dport 7 accept" in kept, kept
        # Nothing beyond the listen ports, except conntrack = off's range.
        assert ("40000-40099" in first) == (name == "conntrack-off")
        assert ('ct helper set "ftp-std"' in first) == (name != "conntrack-off")
        assert ("type nat" in first) == (name == "kernel")
    finally:
        lab.run(lab.ns_router, ["nft", "delete", "table", "ip", "fwtest_other"],
                check=False)
        lab.load_ruleset()


def test_transfers_behind_the_rules_printed_for_another_port(lab, certs, proftpd,
                                                           start_gw):
    """A gateway on port 2121 behind exactly the rules printed for its
    configuration: 2121 opens, 21 and 990 close, and passive and active
    transfers get through as related connections (the helper on 2121 in
    prerouting and on the server's port in output)."""
    cfg = gw_config(certs, proftpd, listen=[f"{GW4}:{OTHER_PORT}",
                                            f"[{GW6}]:{OTHER_PORT}"],
                    listen_implicit=None)
    conf = write_conf(lab, "fw-2121", cfg)
    text = L.print_firewall(conf, ns=lab.ns_router)
    try:
        load(lab, text)
        gw = start_gw(cfg)
        got = lab.tcp_probe(lab.ns_client, [(GW4, 21), (GW4, 990), (GW4, 40000)])
        assert set(got.values()) == {"timeout"}, got
        out = lab.path("fw-2121-f1M")
        r = curl(lab, certs, proftpd, url("f1M", port=OTHER_PORT), "-o", out)
        assert r.returncode == 0, r.stderr + gw.log_text()[-3000:]
        assert same(out, os.path.join(proftpd.home, "f1M"))
        out6 = lab.path("fw-2121-f16385-v6")
        r = curl(lab, certs, proftpd, url("f16385", host=GW6, port=OTHER_PORT),
                 "-o", out6)
        assert r.returncode == 0, r.stderr + gw.log_text()[-3000:]
        assert same(out6, os.path.join(proftpd.home, "f16385"))
        act = lab.path("fw-2121-active")
        r = ftpc(lab, certs, proftpd, "get", "f16384", act,
                 extra=["--port", str(OTHER_PORT), "--mode", "active"])
        assert r.returncode == 0, r.stdout + r.stderr + gw.log_text()[-3000:]
        assert same(act, os.path.join(proftpd.home, "f16384"))
    finally:
        lab.load_ruleset()


def test_conntrack_off_rules_open_the_passive_ports(lab, certs, proftpd, start_gw):
    """conntrack = off: ftpsgw programs no expectations, so its printed
    rules open passive_ports (to the listen address only); behind them the
    transfer works, as it does not behind the lab's firewall
    (test_gateway.test_conntrack_expectation_admits_the_data_connection)."""
    cfg = gw_config(certs, proftpd, conntrack="off")
    conf = write_conf(lab, "fw-ct-off", cfg)
    text = L.print_firewall(conf, ns=lab.ns_router)
    assert f"ip daddr {GW4} tcp dport 40000-40099 accept" in text
    assert "ct helper" not in text
    try:
        load(lab, text)
        gw = start_gw(cfg)
        out = lab.path("fw-ct-off-f1M")
        r = curl(lab, certs, proftpd, url("f1M"), "-o", out, timeout=30)
        assert r.returncode == 0, r.stderr + gw.log_text()[-3000:]
        assert same(out, os.path.join(proftpd.home, "f1M"))
        # Nothing but the range: its neighbours stay closed.
        got = lab.tcp_probe(lab.ns_client, [(GW4, 39999), (GW4, 40100),
                                            (L.Lab.ROUTER_LAN4, 40000)])
        assert set(got.values()) == {"timeout"}, got
    finally:
        lab.load_ruleset()


FIREWALL_LINES = "ftpsgw[warning]: firewall: "


def test_check_says_nothing_behind_the_printed_rules(lab, certs, proftpd):
    conf = write_conf(lab, "fw-check-ok", gw_config(certs, proftpd))
    r = check(lab, conf)
    assert r.returncode == 0, r.stderr
    assert "OK" in r.stdout
    assert "firewall" not in r.stderr, r.stderr


def test_check_warns_about_the_missing_helper(lab, certs, proftpd):
    """Without the pre chain, -t names each listener (its line) and the
    command that prints the rules, and still exits 0."""
    conf = write_conf(lab, "fw-check-pre", gw_config(certs, proftpd))
    # Broken on purpose: the printed firewall without its helper chain.
    lab.run(lab.ns_router, ["nft", "delete", "chain", "inet", "ftpsgw", "pre"])
    try:
        r = check(lab, conf)
    finally:
        lab.load_ruleset()
    assert r.returncode == 0, r.stderr
    assert "OK" in r.stdout
    warnings = [ln.split(FIREWALL_LINES, 1)[1] for ln in r.stderr.splitlines()
                if FIREWALL_LINES in ln]
    advice = f"load the rules printed by: ftpsgw --firewall nft -c {conf}"
    assert warnings == [
        f"no nftables rule attaches the ftp conntrack helper to the "
        f"connections of {what} (line {line}) when they are created, so the "
        f"kernel cannot create the expectations that let their data "
        f"connections through; {advice}"
        for what, line in ((f"listen = {GW4}:21", 1), (f"listen = [{GW6}]:21", 2),
                           (f"listen_implicit = {GW4}:990", 3))], r.stderr


def test_check_warns_about_output_and_nat(lab, certs, proftpd):
    """The output helper (active mode, data_path = kernel) and the type nat
    chain (data_path = kernel) are checked too."""
    conf = write_conf(lab, "fw-check-out", gw_config(certs, proftpd,
                                                     data_path="kernel"))
    advice = f"load the rules printed by: ftpsgw --firewall nft -c {conf}"
    try:
        lab.run(lab.ns_router, ["nft", "delete", "chain", "inet", "ftpsgw", "out"])
        lab.run(lab.ns_router, ["nft", "delete", "chain", "inet", "ftpsgw",
                                "postnat"])
        r = check(lab, conf)
    finally:
        lab.load_ruleset()
    assert r.returncode == 0, r.stderr
    warnings = [ln.split(FIREWALL_LINES, 1)[1] for ln in r.stderr.splitlines()
                if FIREWALL_LINES in ln]
    assert warnings == [
        f"no nftables rule in an output chain attaches the ftp conntrack "
        f"helper to ftpsgw's connections to the FTP server "
        f"{L.Lab.SERVER4}:21, so data_path = kernel cannot get the "
        f"expectations it needs; {advice}",
        f"data_path = kernel, but the nftables ruleset has no chain of type "
        f"nat for IPv4, so the kernel does not apply the NAT of ftpsgw's "
        f"expectations and data connections fail; {advice}"], r.stderr
    # conntrack = off needs none of it: nothing is checked.
    conf = write_conf(lab, "fw-check-off", gw_config(certs, proftpd,
                                                     conntrack="off"))
    lab.run(lab.ns_router, ["nft", "delete", "chain", "inet", "ftpsgw", "pre"])
    try:
        r = check(lab, conf)
    finally:
        lab.load_ruleset()
    assert r.returncode == 0 and "firewall" not in r.stderr, r.stderr


def test_check_names_each_backend_without_its_output_helper(lab, certs,
                                                          proftpd):
    """With [backend] sections, -t checks the output helper for each FTP
    server: the lab's ruleset covers port 21 only, so the server on port
    2121 is named, the one on 21 is not; the rules --firewall prints for
    this configuration cover both."""
    cfg = gw_config(certs, proftpd)
    del cfg["backend"]
    text = L.config_text(cfg) + (
        f"[backend a]\nbackend = {L.Lab.SERVER4}:21\n"
        f"[backend b]\nbackend = {L.Lab.SERVER4_2}:2121\n")
    conf = write_conf(lab, "fw-check-two", text)
    advice = f"load the rules printed by: ftpsgw --firewall nft -c {conf}"
    r = check(lab, conf)
    assert r.returncode == 0, r.stderr
    warnings = [ln.split(FIREWALL_LINES, 1)[1] for ln in r.stderr.splitlines()
                if FIREWALL_LINES in ln]
    assert warnings == [
        f"no nftables rule in an output chain attaches the ftp conntrack "
        f"helper to ftpsgw's connections to the FTP server "
        f"{L.Lab.SERVER4_2}:2121, so active mode (PORT, EPRT) cannot get "
        f"the expectations it needs; {advice}"], r.stderr
    try:
        load(lab, L.print_firewall(conf, ns=lab.ns_router))
        r = check(lab, conf)
    finally:
        lab.load_ruleset()
    assert r.returncode == 0 and "firewall" not in r.stderr, r.stderr


def test_check_without_cap_net_admin_is_a_notice(lab, certs, proftpd):
    """nft cannot list the ruleset without CAP_NET_ADMIN: -t says the
    firewall was not checked and why, and still passes."""
    if not shutil.which("setpriv"):
        pytest.skip("needs setpriv (util-linux)")
    conf = write_conf(lab, "fw-check-nocap", gw_config(certs, proftpd))
    r = check(lab, conf, argv_pre=("setpriv", "--inh-caps=-net_admin",
                                   "--bounding-set=-net_admin"))
    assert r.returncode == 0, r.stderr
    assert "OK" in r.stdout
    assert "ftpsgw[notice]: firewall not checked: nft -j list ruleset failed: " \
           "Operation not permitted" in r.stderr, r.stderr
    assert "run ftpsgw -t as root to check the firewall too" in r.stderr
    assert FIREWALL_LINES not in r.stderr


def test_firewall_option_errors(lab, certs, proftpd):
    conf = write_conf(lab, "fw-errors", gw_config(certs, proftpd))
    r = lab.run(lab.ns_router, [L.GATEWAY_BIN, "--firewall", "pf", "-c", conf],
                check=False)
    assert r.returncode == 2 and r.stdout == ""
    assert "--firewall pf: expected nft, iptables or ip6tables" in r.stderr
    r = lab.run(lab.ns_router, [L.GATEWAY_BIN, "--firewall", "nft", "-t", "-c",
                                conf], check=False)
    assert r.returncode == 2 and r.stdout == ""
    bad = write_conf(lab, "fw-bad", gw_config(certs, proftpd, data_path="kernel",
                                             conntrack="off"))
    r = lab.run(lab.ns_router, [L.GATEWAY_BIN, "--firewall", "nft", "-c", bad],
                check=False)
    assert r.returncode == 1 and r.stdout == ""
    assert "data_path = kernel needs conntrack" in r.stderr
    # The certificate and key are not needed to print the rules.
    nocert = write_conf(lab, "fw-nocert", gw_config(
        certs, proftpd, certificate="/nonexistent/cert.pem",
        private_key="/nonexistent/key.pem"))
    r = lab.run(lab.ns_router, [L.GATEWAY_BIN, "--firewall", "nft", "-c", nocert],
                check=False)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("#!/usr/sbin/nft -f\n")


def test_readme_shows_what_ftpsgw_prints(lab):
    """README's firewall example is the output for README's configuration
    example, comments left out, to the byte."""
    with open(os.path.join(L.REPO, "README.md")) as f:
        readme = f.read()
    conf_block = readme.split("and set at least:\n\n", 1)[1].split("\n\n", 1)[0]
    conf_text = "\n".join(ln[4:].split("#", 1)[0].rstrip()
                          for ln in conf_block.splitlines()) + "\n"
    conf = lab.path("readme.conf")
    with open(conf, "w") as f:
        f.write(conf_text)
    shown = readme.split("it prints (its comments", 1)[1].split("\n\n", 1)[1]
    shown = shown.split("\n\n", 1)[0]
    printed = L.print_firewall(conf, ns=lab.ns_router)
    rules = [ln for ln in printed.splitlines()
             if ln.strip() and not ln.lstrip().startswith("#")]
    assert [ln[4:] for ln in shown.splitlines()] == rules


@pytest.mark.skipif(not shutil.which("iptables-restore"),
                    reason="iptables is not installed (scripts/deps.sh installs it)")
@pytest.mark.parametrize("kind", ["iptables", "ip6tables"])
@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_iptables_output_is_accepted(lab, certs, proftpd, kind, name):
    """iptables-restore --test parses and builds each output without
    committing it."""
    conf = write_conf(lab, f"fw-ipt-{name}", gw_config(certs, proftpd,
                                                       **CONFIGS[name]))
    text = L.print_firewall(conf, kind=kind, ns=lab.ns_router)
    r = lab.run(lab.ns_router, [f"{kind}-restore", "--test"], input=text,
                check=False)
    assert r.returncode == 0, r.stderr + text


@pytest.mark.skipif(not shutil.which("iptables-restore"),
                    reason="iptables is not installed (scripts/deps.sh installs it)")
def test_transfers_behind_the_iptables_rules(lab, certs, proftpd, start_gw):
    """The router with the printed iptables and ip6tables rules in place of
    the nft table: passive (both families) and active transfers get
    through, other ports stay closed, and -t sees iptables-nft's CT rules
    (no warning)."""
    version = lab.run(lab.ns_router, ["iptables", "--version"]).stdout
    if "nf_tables" not in version:
        pytest.skip(f"{version.strip()}: the legacy backend's rules would "
                    "outlive this test's cleanup (nft flush ruleset)")
    cfg = gw_config(certs, proftpd)
    conf = write_conf(lab, "fw-ipt", cfg)
    try:
        lab.run(lab.ns_router, ["nft", "delete", "table", "inet", "ftpsgw"])
        for kind in ("iptables", "ip6tables"):
            lab.run(lab.ns_router, [f"{kind}-restore"],
                    input=L.print_firewall(conf, kind=kind, ns=lab.ns_router))
        saved = lab.run(lab.ns_router, ["iptables-save"]).stdout
        assert "-A PREROUTING -d 203.0.113.1/32 -p tcp -m tcp --dport 21 " \
               "-j CT --helper ftp" in saved
        gw = start_gw(cfg)
        got = lab.tcp_probe(lab.ns_client, [(GW4, 2121), (GW4, 40000),
                                            (L.Lab.ROUTER_LAN4, 21)])
        assert set(got.values()) == {"timeout"}, got
        out = lab.path("fw-ipt-f1M")
        r = curl(lab, certs, proftpd, url("f1M"), "-o", out)
        assert r.returncode == 0, r.stderr + gw.log_text()[-3000:]
        assert same(out, os.path.join(proftpd.home, "f1M"))
        out6 = lab.path("fw-ipt-f16385-v6")
        r = curl(lab, certs, proftpd, url("f16385", host=GW6), "-o", out6)
        assert r.returncode == 0, r.stderr + gw.log_text()[-3000:]
        assert same(out6, os.path.join(proftpd.home, "f16385"))
        act = lab.path("fw-ipt-active")
        r = ftpc(lab, certs, proftpd, "get", "f16384", act,
                 extra=["--mode", "active"])
        assert r.returncode == 0, r.stdout + r.stderr + gw.log_text()[-3000:]
        assert same(act, os.path.join(proftpd.home, "f16384"))
        r = check(lab, conf)
        assert r.returncode == 0 and FIREWALL_LINES not in r.stderr, r.stderr
    finally:
        # Only iptables' tables and ours were in this namespace.
        lab.run(lab.ns_router, ["nft", "flush", "ruleset"])
        lab.load_ruleset()
