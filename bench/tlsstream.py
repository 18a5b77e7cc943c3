#!/usr/bin/python3
"""Both ends of a plain TLS stream, for make bench's TLS->TLS relay figure
(HAProxy in TCP mode between them, bench/benchlab.py start_haproxy).

    tlsstream.py serve --listen ADDR:PORT --cert PEM --key PEM --file PATH
        [--max-conns N] [--lifetime S]
    tlsstream.py read --connect ADDR:PORT --cafile PEM --name NAME
        [--limit BYTES] [--timeout S]

serve: accepts one connection at a time, sends the whole file over TLS in
1 MiB writes (OpenSSL cuts them into full 16 KiB records, one write()
each, as ProFTPD's data connection does), then close_notify; one JSON line
per connection on stdout (version, cipher, bytes, or the error). Stops
after --max-conns connections or --lifetime seconds.

read: connects, verifies the server as NAME against --cafile, reads until
close_notify (or --limit bytes, then closes) into one 1 MiB buffer, and
prints one JSON line: bytes, seconds from the end of its handshake to the
end of the stream, version, cipher, whether close_notify came.

Python's ssl is the same OpenSSL as everything else here; neither end
touches a disk (the file is on tmpfs, the reader discards). Every wait is
bounded by a socket timeout and a deadline.
"""

import argparse
import json
import os
import socket
import ssl
import sys
import time

CHUNK = 1 << 20
# Per socket operation (seconds): accept, handshake, one read or write.
IO_TIMEOUT = 30.0
ACCEPT_BACKLOG = 8


def hostport(text):
    host, _, port = text.rpartition(":")
    return host, int(port)


def log(obj):
    print(json.dumps(obj), flush=True)


def send_file(conn, path, deadline):
    """Send path over conn in CHUNK writes; returns bytes sent."""
    sent = 0
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    with open(path, "rb", buffering=0) as f:
        for _ in range(os.fstat(f.fileno()).st_size // CHUNK + 2):
            n = f.readinto(buf)
            if not n:
                break
            if time.monotonic() > deadline:
                raise TimeoutError("lifetime over while sending")
            conn.sendall(view[:n])
            sent += n
    return sent


def serve(o):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(o.cert, o.key)
    deadline = time.monotonic() + o.lifetime
    lsock = socket.create_server(hostport(o.listen), backlog=ACCEPT_BACKLOG)
    with lsock:
        for n in range(o.max_conns):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            lsock.settimeout(left)
            try:
                raw, peer = lsock.accept()
            except socket.timeout:
                break
            raw.settimeout(IO_TIMEOUT)
            entry = {"conn": n, "peer": peer[0]}
            try:
                with ctx.wrap_socket(raw, server_side=True) as conn:
                    entry["version"] = conn.version()
                    entry["cipher"] = conn.cipher()[0]
                    entry["bytes"] = send_file(conn, o.file, deadline)
                    try:
                        conn.unwrap()       # close_notify
                    except (OSError, ValueError):
                        pass
            except (OSError, ValueError) as e:
                entry["error"] = str(e)[:200]
            finally:
                raw.close()
            log(entry)
    return 0


def read(o):
    ctx = ssl.create_default_context(cafile=o.cafile)
    buf = bytearray(CHUNK)
    total = 0
    clean = False
    t0 = time.monotonic()
    deadline = t0 + o.timeout
    raw = socket.create_connection(hostport(o.connect), timeout=IO_TIMEOUT)
    with ctx.wrap_socket(raw, server_hostname=o.name) as conn:
        t1 = time.monotonic()
        version, cipher = conn.version(), conn.cipher()[0]
        # At least one 16 KiB record per read until the stream ends.
        for _ in range((o.limit or 1 << 40) // 1024 + 1000):
            if time.monotonic() > deadline:
                raise SystemExit(f"tlsstream read: no end after {o.timeout} s "
                                 f"({total} bytes)")
            try:
                n = conn.recv_into(buf)
            except ssl.SSLEOFError:
                break               # FIN without close_notify
            if n == 0:
                clean = True
                break
            total += n
            if o.limit and total >= o.limit:
                break
        t2 = time.monotonic()
    log({"bytes": total, "seconds": t2 - t1, "handshake_seconds": t1 - t0,
         "version": version, "cipher": cipher, "close_notify": clean})
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--listen", required=True)
    s.add_argument("--cert", required=True)
    s.add_argument("--key", required=True)
    s.add_argument("--file", required=True)
    s.add_argument("--max-conns", type=int, default=1000)
    s.add_argument("--lifetime", type=float, default=6 * 3600)
    r = sub.add_parser("read")
    r.add_argument("--connect", required=True)
    r.add_argument("--cafile", required=True)
    r.add_argument("--name", required=True)
    r.add_argument("--limit", type=int, default=0)
    r.add_argument("--timeout", type=float, default=300)
    o = p.parse_args()
    return serve(o) if o.mode == "serve" else read(o)


if __name__ == "__main__":
    sys.exit(main())
