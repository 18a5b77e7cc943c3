#!/usr/bin/python3
"""make demo: FTPS behind a strict NAT router, first broken, then fixed.

Builds the three-namespace lab (client, router, server), starts a real
ProFTPD that keeps its strict TLS defaults behind a router whose firewall
opens only ports 21 and 990, shows the classic failure of a plain port
forward ("login works, LIST hangs"), then runs ftpsgw on the router and
does a listing, a download and an upload with curl and lftp, printing the
conntrack expectation that admits the data connection and what each step
proves.

    python3 tests/integration/demo.py            run, then tear everything down
    python3 tests/integration/demo.py --keep     leave the lab running to try it
    python3 tests/integration/demo.py --teardown PREFIX   remove a kept lab
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import lab as L          # noqa: E402
import servers as S      # noqa: E402

CERTS_BIN = os.path.join(L.REPO, "build", "ftpsgw-certs")
NAME = "ftp.example.test"
STATE_DIR = "/run/ftpsgw-demo"

BOLD = "\033[1m" if sys.stdout.isatty() else ""
DIM = "\033[2m" if sys.stdout.isatty() else ""
OFF = "\033[0m" if sys.stdout.isatty() else ""


def step(n, title):
    print(f"\n{BOLD}== {n}. {title}{OFF}", flush=True)


def say(text):
    for line in text.strip("\n").splitlines():
        print(f"   {line}")
    sys.stdout.flush()


def proves(text):
    print(f"   {BOLD}-> proves:{OFF} {text}", flush=True)


def show(cmd, out):
    print(f"   {DIM}$ {cmd}{OFF}")
    for line in out.rstrip("\n").splitlines()[:40]:
        print(f"     {line}")
    sys.stdout.flush()


def rules_only(text):
    """A ruleset without its comment lines and blank lines."""
    return "\n".join(ln for ln in text.splitlines()
                     if ln.strip() and not ln.lstrip().startswith("#"))


def run(lab, ns, argv, timeout=60):
    return lab.run(ns, argv, check=False, timeout=timeout)


def curl(lab, cafile, user, pw, *args, timeout=60):
    return run(lab, lab.ns_client,
               ["curl", "-sS", "--ssl-reqd", "--cacert", cafile,
                "--resolve", f"{NAME}:21:{L.Lab.ROUTER_PUB4}",
                "--connect-timeout", "4", "--max-time", str(timeout),
                "-u", f"{user}:{pw}", *args], timeout=timeout + 10)


def make_gateway_cert(lab):
    """The gateway's certificate, from ftpsgw-certs: a private CA that may
    sign only for example.test, and a certificate for ftp.example.test."""
    ca = lab.path("ca")
    out = lab.path("gateway")
    r1 = subprocess.run([CERTS_BIN, "init-ca", "--dir", ca, "--name",
                         "Demo router CA", "--permit-dns", "example.test"],
                        capture_output=True, text=True, timeout=30)
    r2 = subprocess.run([CERTS_BIN, "issue", "--dir", ca, "--dns", NAME,
                         "--out", out], capture_output=True, text=True,
                        timeout=30)
    if r1.returncode or r2.returncode:
        raise SystemExit(f"ftpsgw-certs failed:\n{r1.stderr}{r2.stderr}")
    show(f"ftpsgw-certs init-ca --dir CA --permit-dns example.test", r1.stdout)
    show(f"ftpsgw-certs issue --dir CA --dns {NAME} --out gateway", r2.stdout)
    return os.path.join(ca, "ca.pem"), out + ".chain.pem", out + ".key"


def save_state(lab, pids):
    os.makedirs(STATE_DIR, exist_ok=True)
    with open(os.path.join(STATE_DIR, f"{lab.prefix}.json"), "w") as f:
        json.dump({"namespaces": list(lab.namespaces), "workdir": lab.workdir,
                   "pids": pids}, f)


def teardown(prefix):
    """Remove a lab kept by --keep: its processes (by PID, recorded when it
    was made, and those still inside its namespaces), namespaces,
    /etc/netns entries and work directory."""
    path = os.path.join(STATE_DIR, f"{prefix}.json")
    try:
        with open(path) as f:
            st = json.load(f)
    except FileNotFoundError:
        raise SystemExit(f"no kept demo lab named {prefix} ({path} missing)")
    pids = set(st["pids"])
    for ns in st["namespaces"]:
        r = subprocess.run(["ip", "netns", "pids", ns], capture_output=True,
                           text=True, timeout=10)
        pids.update(int(p) for p in r.stdout.split())
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(
            os.path.exists(f"/proc/{p}") for p in pids):
        time.sleep(0.1)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for ns in st["namespaces"]:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True,
                       timeout=10)
        shutil.rmtree(f"/etc/netns/{ns}", ignore_errors=True)
    if st.get("workdir"):
        shutil.rmtree(st["workdir"], ignore_errors=True)
    os.unlink(path)
    print(f"demo lab {prefix} removed")


def broken_port_forward(lab, srv, be_ca):
    """The situation of the original report: the router forwards port 21 to
    the FTP server and its ftp helper cannot read the encrypted commands."""
    # A port forward as admins write it: DNAT, the ftp helper on the
    # forwarded connection (ftpsgw's firewall attaches it only to
    # connections to the router's own listen address), and the forward
    # chain letting DNATed connections through.
    lab.run(lab.ns_router, ["nft", "-f", "-"], input=f"""
table ip demo_fwd {{
  ct helper ftp-fwd {{ type "ftp" protocol tcp; }}
  chain pre {{ type nat hook prerouting priority dstnat;
    ip daddr {L.Lab.ROUTER_PUB4} tcp dport 21 dnat to {srv.address}:21; }}
  chain helper {{ type filter hook prerouting priority filter;
    ip daddr {srv.address} tcp dport 21 ct helper set "ftp-fwd"; }}
}}
""")
    lab.run(lab.ns_router, ["nft", "insert", "rule", "inet", "ftpsgw",
                            "forward", "ct", "status", "dnat", "accept"])
    say("""
A plain port forward: router:21 -> ProFTPD:21 (DNAT), the kernel's ftp
helper attached to the forwarded connection. The client talks FTPS to
ProFTPD.""")
    r = run(lab, lab.ns_client,
            ["curl", "-sS", "-v", "--ssl-reqd", "-k", "--connect-timeout", "4",
             "--max-time", "12", "-u", f"{srv.user}:{srv.password}",
             f"ftp://{L.Lab.ROUTER_PUB4}/"], timeout=30)
    lines = [ln for ln in r.stderr.splitlines()
             if ln.startswith(("< 230", "< 229", "> EPSV", "> PASV", "< 227",
                               "* Connecting", "curl:", "* Failed"))]
    show("curl --ssl-reqd ftp://203.0.113.1/   (through the port forward)",
         "\n".join(lines) or r.stderr[-800:])
    proves("login works (230), but the data connection to the passive port "
           "never gets through: the helper cannot read the encrypted 229, so "
           "the strict firewall drops it. This is the bug ftpsgw fixes.")
    # Undo: the firewall as ftpsgw printed it again (without the forward
    # accept rule), and no DNAT table.
    lab.load_ruleset()
    lab.run(lab.ns_router, ["nft", "delete", "table", "ip", "demo_fwd"])
    # The forwarded control connection must not linger in conntrack.
    lab.run(lab.ns_router, ["conntrack", "-F"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--keep", action="store_true",
                    help="leave the lab running and print how to use it")
    ap.add_argument("--teardown", metavar="PREFIX",
                    help="remove a lab left by --keep")
    opts = ap.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("the demo needs root (network namespaces, nftables)")
    if opts.teardown:
        teardown(opts.teardown)
        return
    for b in (L.GATEWAY_BIN, CERTS_BIN):
        if not os.access(b, os.X_OK):
            raise SystemExit(f"{b} missing: run make first")

    lab = L.Lab(prefix="demo" + os.urandom(3).hex())
    kept = False
    try:
        lab.up()
        step(1, "The lab: three network namespaces")
        say(f"""
client {lab.CLIENT4}  ->  router {lab.ROUTER_PUB4} (public) | {lab.ROUTER_LAN4} (LAN)  ->  server {lab.SERVER4}
namespaces: {lab.ns_client}, {lab.ns_router}, {lab.ns_server}
The router's firewall (nftables) is what ftpsgw prints for the lab's
listeners, loaded as README.md tells an admin to (comments left out here):""")
        show("ftpsgw --firewall nft -c router-firewall.conf | nft -f -",
             rules_only(lab.ruleset))
        proves("the client can reach only ports 21 and 990 of the router; "
               "everything else arrives only as ct state established,related.")

        step(2, "A real ProFTPD with its strict TLS defaults")
        certs = lab.certs()
        srv = S.start_proftpd(lab, certs)
        say(f"""
ProFTPD 1.3.8 + mod_tls on {srv.address}:21: TLSRequired on, and NO
'TLSOptions NoSessionReuseRequired': every data connection must resume the
control connection's TLS session. User '{srv.user}'; passive ports 30000-30999
(reachable only on the LAN).""")

        step(3, "Before ftpsgw: port forward only")
        broken_port_forward(lab, srv, certs.ca_cert)

        step(4, "A trusted certificate for the gateway (ftpsgw-certs)")
        ca_pem, chain, key = make_gateway_cert(lab)
        hosts = f"/etc/netns/{lab.ns_client}/hosts"
        with open(hosts, "w") as f:
            f.write(f"127.0.0.1 localhost\n{lab.ROUTER_PUB4} {NAME}\n")
        proves(f"the client imports one root ({os.path.basename(ca_pem)}) and "
               f"verifies {NAME} without -k; the root can only ever sign "
               "names under example.test.")

        step(5, "ftpsgw on the router")
        conf = {
            "listen": f"{lab.ROUTER_PUB4}:21",
            "listen_implicit": f"{lab.ROUTER_PUB4}:990",
            "certificate": chain,
            "private_key": key,
            "backend": f"{srv.address}:21",
            "backend_ca": certs.ca_cert,
            "passive_ports": "40000-40999",
            "conntrack": "on",
            "log_level": "info",
        }
        path = lab.write_config(conf, name="gateway")
        show("cat gateway.conf", L.config_text(conf))
        # The firewall for exactly this configuration, as an admin loads it.
        fw = L.print_firewall(path, ns=lab.ns_router)
        lab.run(lab.ns_router, ["nft", "-f", "-"], input=fw)
        show("ftpsgw --firewall nft -c gateway.conf | nft -f -", rules_only(fw))
        gw = lab.start_gateway(conf, name="gateway")
        r = run(lab, lab.ns_router, [L.GATEWAY_BIN, "-t", "-c", gw.config_path],
                timeout=30)
        show("ftpsgw -t -c gateway.conf", r.stdout + r.stderr)
        proves("the firewall opens 21 and 990, nothing more (no passive port "
               "range), and attaches the ftp helper to them and to ftpsgw's "
               "connections to the server; ftpsgw -t read it and warned of "
               "nothing.")

        step(6, "Listing, download and upload with curl, through the same firewall")
        r = curl(lab, ca_pem, srv.user, srv.password, f"ftp://{NAME}/")
        show(f"curl --ssl-reqd --cacert root.pem ftp://{NAME}/", r.stdout + r.stderr)
        dl = lab.path("f100M.download")
        t0 = time.monotonic()
        r = curl(lab, ca_pem, srv.user, srv.password, f"ftp://{NAME}/f100M",
                 "-o", dl)
        secs = time.monotonic() - t0
        ok = r.returncode == 0 and L.files_equal(dl, os.path.join(srv.home, "f100M"))
        say(f"download of 100 MiB: {'byte-exact' if ok else 'FAILED ' + r.stderr}"
            f" in {secs:.2f} s (SHA-256 {L.sha256_file(dl)[:16]}...)")
        src = lab.test_files()["f1M"]
        r = curl(lab, ca_pem, srv.user, srv.password, "-T", src,
                 f"ftp://{NAME}/upload/demo-curl")
        up = os.path.join(srv.upload, "demo-curl")
        ok2 = r.returncode == 0 and L.files_equal(up, src)
        say(f"upload of 1 MiB: {'byte-exact on the server' if ok2 else 'FAILED ' + r.stderr}")
        proves("the same strict firewall now lets every data connection in; "
               "ProFTPD's session-reuse check passes, nothing was weakened.")

        step(7, "lftp, the way an admin's users would use it")
        script = (f"set ftp:ssl-force true; set ftp:ssl-protect-data true; "
                  f"set ssl:ca-file {ca_pem}; set net:max-retries 1; "
                  f"set net:timeout 10; open -u {srv.user},{srv.password} {NAME}; "
                  f"cls -l f1M f16384; get f16384 -o {lab.path('lftp.dl')}; "
                  f"put {src} -o upload/demo-lftp; bye")
        r = run(lab, lab.ns_client, ["lftp", "-c", script])
        show(f"lftp -c 'open -u {srv.user},... {NAME}; cls -l; get; put'",
             r.stdout + r.stderr)
        ok3 = (r.returncode == 0 and
               L.files_equal(lab.path("lftp.dl"), os.path.join(srv.home, "f16384")) and
               L.files_equal(os.path.join(srv.upload, "demo-lftp"), src))
        say(f"lftp get and put: {'byte-exact' if ok3 else 'FAILED'}")

        step(8, "The conntrack expectation that admits the data connection")
        holder = (
            "import ftplib,ssl,sys\n"
            "ctx=ssl.create_default_context(cafile=sys.argv[2])\n"
            "f=ftplib.FTP_TLS(context=ctx,timeout=10)\n"
            "f.connect(sys.argv[1],21); f.login(sys.argv[3],sys.argv[4]); f.prot_p()\n"
            "print(f.sendcmd('EPSV'),flush=True); sys.stdin.readline(); f.quit()\n")
        p = lab.popen(lab.ns_client, [L.PYTHON, "-c", holder, NAME, ca_pem,
                                      srv.user, srv.password],
                      stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                      stderr=subprocess.PIPE)
        try:
            line = p.stdout.readline().decode().strip()
            show("(client) EPSV", line)
            show("(router) conntrack -L expect", lab.conntrack_expect())
            p.stdin.write(b"\n")
            p.stdin.flush()
            p.wait(timeout=10)
        finally:
            lab.stop_process(p)
        proves("ftpsgw told the kernel to expect exactly one connection: from "
               "the client's address to the announced port, master = the "
               "client's control connection; the firewall admits it as RELATED.")

        step(9, "What ftpsgw logged")
        interesting = [ln for ln in gw.log_text().splitlines()
                       if "session opened" in ln or "session closed" in ln
                       or "error" in ln or "warning" in ln]
        show("ftpsgw log (notice and above)", "\n".join(interesting[-12:]))
        all_ok = ok and ok2 and ok3

        step(10, "Try it yourself")
        if opts.keep:
            kept = True
            save_state(lab, [gw.pid, srv.pid])
            say(f"""
The lab stays up. From the client namespace:
  ip netns exec {lab.ns_client} curl --ssl-reqd --cacert {ca_pem} \\
      -u {srv.user}:{srv.password} ftp://{NAME}/
  ip netns exec {lab.ns_client} lftp -e 'set ssl:ca-file {ca_pem}' \\
      -u {srv.user},{srv.password} {NAME}
  ftpsgw's log: {gw.log_path}    config: {gw.config_path}
Remove it all with:
  python3 tests/integration/demo.py --teardown {lab.prefix}""")
        else:
            say("""
Run `make demo KEEP=1` to keep this lab running and get the commands to try
it with your own clients; it prints how to tear it down afterwards.
Everything made here is now being removed.""")
        print()
        print(f"{BOLD}demo {'succeeded' if all_ok else 'FAILED'}{OFF}")
        return 0 if all_ok else 1
    finally:
        if not kept:
            lab.down()


if __name__ == "__main__":
    sys.exit(main())
