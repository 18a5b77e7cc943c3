"""check_man.py can fail: each mutation of a page that makes it disagree
with the programs is caught, with a message naming what and where.
The pages as they are pass. Runs the real build/ftpsgw and
build/ftpsgw-certs (FTPSGW_BIN selects another gateway build); no root,
no network.

    /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/man
"""
import os
import re
import shutil
import subprocess
import sys

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CHECK = os.path.join(REPO, "tests", "man", "check_man.py")
FTPSGW = os.environ.get("FTPSGW_BIN", os.path.join(REPO, "build", "ftpsgw"))
CERTS = os.path.join(os.path.dirname(FTPSGW), "ftpsgw-certs")
if not os.path.exists(CERTS):
    CERTS = os.path.join(REPO, "build", "ftpsgw-certs")
TIMEOUT = 120


def check(mandir, part=None):
    only = ["--only", part] if part else []
    return subprocess.run([sys.executable, CHECK, "--ftpsgw", FTPSGW,
                           "--certs", CERTS, "--man", str(mandir), *only],
                          capture_output=True, text=True, timeout=TIMEOUT)


def test_pages_as_they_are_pass():
    p = check(os.path.join(REPO, "man"))
    assert p.returncode == 0, p.stderr
    assert p.stderr == ""
    # Every key of the parser (34 when the pages were written; more since).
    m = re.match(r"check_man: (\d+) keys,", p.stdout)
    assert m and int(m.group(1)) >= 34, p.stdout


def drop_item(text, head):
    """text without the .It item whose line starts with head."""
    lines = text.split("\n")
    i = next(n for n, line in enumerate(lines) if line.startswith(head))
    j = i + 1
    while not lines[j].startswith((".It", ".El")):
        j += 1
    return "\n".join(lines[:i] + lines[j:])


def replace_once(old, new):
    def f(text):
        assert text.count(old) == 1, old
        return text.replace(old, new)
    return f


# (page, mutation, a line check_man must print)
MUTATIONS = [
    ("gateway.conf.5", lambda t: drop_item(t, ".It Cm ban_time "),
     "gateway.conf.5: ban_time: the parser has this key, the page does not "
     "document it"),
    ("gateway.conf.5", lambda t: drop_item(t, ".It Cm listen_implicit "),
     "gateway.conf.5: listen_implicit: the parser has this key"),
    ("gateway.conf.5",
     replace_once(".It Cm workers ", ".It Cm walkers No = Ar n\nText.\n"
                  ".Pp\nDefault: none.\n.It Cm workers "),
     "gateway.conf.5: walkers: documented, but the parser has no such key"),
    ("gateway.conf.5",
     replace_once("Default:\n.Cm 600 .\n.It Cm data_timeout",
                  "Default:\n.Cm 300 .\n.It Cm data_timeout"),
     "gateway.conf.5: idle_timeout: the page says 'Default: 300', the parser "
     "600 (ftpsgw -T)"),
    ("gateway.conf.5",
     replace_once(".Pp\nDefault: none, the system trust store.\n",
                  ".Pp\nDefault:\n.Cm /etc/ssl/certs .\n"),
     "gateway.conf.5: backend_ca: the page says 'Default: /etc/ssl/certs', "
     "the parser not set"),
    ("gateway.conf.5",
     replace_once(".Pp\nRequired.\n.It Cm private_key",
                  ".Pp\nDefault: none.\n.It Cm private_key"),
     "gateway.conf.5: certificate: the page says 'Default: none', the parser "
     "required"),
    ("gateway.conf.5",
     replace_once(".It Cm conntrack No = Cm on | off | auto",
                  ".It Cm conntrack No = Cm on | off"),
     "gateway.conf.5: conntrack: the page shows on | off, the parser takes "
     "on, off or auto"),
    ("gateway.conf.5",
     replace_once(".It Cm allow_ccc No = Cm on | off",
                  ".It Cm allow_ccc No = Cm on | off | yes"),
     "gateway.conf.5: allow_ccc: the page shows the value 'yes', the parser "
     "refuses it"),
    ("gateway.conf.5",
     replace_once("Connecting to the server, TLS handshakes included; 1 to "
                  "86400.", "Connecting to the server, TLS handshakes "
                  "included."),
     "gateway.conf.5: connect_timeout: the parser says 'expected whole "
     "seconds from 1 to 86400'; the page does not mention 86400"),
    ("gateway.conf.5",
     replace_once("Default:\n.Cm 64 .\n.El\n.Ss Performance",
                  ".El\n.Ss Performance"),
     "gateway.conf.5: ban_prefix6: states its default 0 times"),
    ("gateway.conf.5",
     replace_once("passive_ports       = 61000-61099",
                  "passive_ports       = 61000-61"),
     "gateway.conf.5: EXAMPLES: the second configuration does not parse"),
    ("gateway.conf.5",
     replace_once("backend_ca      = /etc/ftpsgw/lan-ca.pem",
                  "backend_ca      = /etc/ftpsgw/ca/ca.crt"),
     "gateway.conf.5: EXAMPLES: the minimal configuration fails ftpsgw -t"),
    ("ftpsgw.8", lambda t: drop_item(t, ".It Fl T"),
     "ftpsgw.8: 'ftpsgw -h' names -T, DESCRIPTION has no '.It Fl' item"),
    ("ftpsgw.8",
     replace_once(".It Fl h , Fl -help", ".It Fl h , Fl -help\n"
                  ".It Fl d\nDebug."),
     "ftpsgw.8: DESCRIPTION documents -d, 'ftpsgw -h' does not name it"),
    ("ftpsgw-certs.1",
     replace_once(".It Fl -der\nBinary DER", ".It Fl -binary\nBinary DER"),
     "ftpsgw-certs.1: export: 'export --help' names --der, the page's "
     "export item does not"),
    ("ftpsgw-certs.1",
     replace_once("--out /etc/ftpsgw/gateway\n.Ed\n.Pp\nand in",
                  "--output /etc/ftpsgw/gateway\n.Ed\n.Pp\nand in"),
     "ftpsgw-certs.1: EXAMPLES: 'ftpsgw-certs issue"),
    ("ftpsgw-certs.1", lambda t: drop_item(t, ".It Cm show Ar file"),
     "ftpsgw-certs.1: command show is not documented"),
    ("ftpsgw-certs.1",
     replace_once(".Sh EXIT STATUS", ".Sh EXIT CODES"),
     "ftpsgw-certs.1: man -l shows no section EXIT STATUS"),
]


def part_of(says):
    """The part of check_man.py that must catch it (the others are not run,
    to keep this quick)."""
    if "EXAMPLES:" in says:
        return "examples"
    if "man -l" in says:
        return "render"
    return {"gateway.conf.5": "gateway", "ftpsgw.8": "ftpsgw",
            "ftpsgw-certs.1": "certs"}[says.split(":")[0]]


@pytest.mark.parametrize("page,mutate,says", MUTATIONS,
                         ids=[m[2].split(":")[0] + ":" + m[2].split(":")[1]
                              for m in MUTATIONS])
def test_mutation_is_caught(tmp_path, page, mutate, says):
    mandir = tmp_path / "man"
    shutil.copytree(os.path.join(REPO, "man"), mandir)
    path = mandir / page
    path.write_text(mutate(path.read_text()))
    p = check(mandir, part_of(says))
    assert p.returncode == 1, p.stdout + p.stderr
    assert "check_man: " + says in p.stderr, p.stderr
