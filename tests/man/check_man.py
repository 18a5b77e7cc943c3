#!/usr/bin/python3
"""Hold the manual pages in man/ to the programs they describe.

    check_man.py --ftpsgw build/ftpsgw --certs build/ftpsgw-certs [--man man]
                 [--only gateway|ftpsgw|certs|examples|render ...]

gateway.conf(5) against the parser, through the real binary (ftpsgw -T):
every key the parser has is an ".It Cm KEY" item and the page has no other;
a key that is required says "Required", one the parser leaves unset says
"Default: none", any other states the very value ftpsgw -T prints; the
".Cm" values on an item's .It line are values the parser takes, for a key
with a closed set of words (on/off, ...) all of them; and the bounds in the
parser's own message for a bad value (86400, 65535, ...) appear in the item.

ftpsgw(8) against "ftpsgw -h": the same options. ftpsgw-certs(1) against
"ftpsgw-certs --help" and "COMMAND --help": the same commands, and each
command's item names the same options.

EXAMPLES: the certificate commands of ftpsgw-certs(1) are run (paths moved
into a temporary directory), and gateway.conf(5)'s minimal configuration
passes ftpsgw -t with what they made.

Each page renders with man -l (man-db) and shows its sections.

Exit status 0 when everything agrees; 1 with one line per disagreement.
Only the programs given are run; nothing touches the network.
"""
import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

TIMEOUT = 20

# mdoc macros that may appear on the lines this script reads.
MACROS = {"Ar", "Cm", "Dq", "Dv", "Fl", "Ic", "Li", "No", "Ns", "Op", "Pa",
          "Pf", "Pq", "Ql", "Sq", "Xr", "Oo", "Oc", "Po", "Pc"}
# mdoc delimiters: punctuation written as arguments of their own.
DELIMS = {".", ",", ";", ":", "?", "!", "(", ")", "[", "]", "|", "="}
# Value to refuse: no key of gateway.conf has '%' in a closed set, a number,
# an address or a user name.
BOGUS = "x%bogus"

problems = []


def problem(page, text):
    problems.append(f"{page}: {text}")


def run(argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True,
                          timeout=TIMEOUT, **kw)


# ---- reading mdoc ----

def unescape(tok):
    return tok.replace("\\&", "").replace("\\-", "-").replace("\\e", "\\")


def tokens(line):
    """The arguments of a macro line, quotes honoured, escapes undone."""
    out, cur, quoted, i = [], "", False, 0
    while i < len(line):
        c = line[i]
        if c == '"':
            if quoted and line[i + 1:i + 2] == '"':
                cur += '"'
                i += 1
            else:
                quoted = not quoted
                if not quoted and cur == "":
                    out.append("")
        elif c in " \t" and not quoted:
            if cur:
                out.append(cur)
            cur = ""
        else:
            cur += c
        i += 1
    if cur:
        out.append(cur)
    return [unescape(t) for t in out]


def sections(path):
    """{section name: [lines]} of an mdoc page, comments left out."""
    secs, name = {}, None
    with open(path, encoding="utf-8") as f:
        for line in f.read().splitlines():
            if line.startswith(".\\\""):
                continue
            if line.startswith(".Sh "):
                name = " ".join(tokens(line[4:]))
                secs[name] = []
            elif name is not None:
                secs[name].append(line)
    return secs


def items(lines, macro):
    """Top-level list items ".It MACRO NAME ..." of lines, in order:
    [(name, .It line tokens after NAME, body lines)]. Items of nested
    lists belong to the body of theirs."""
    out, depth, cur = [], 0, None
    for line in lines:
        if line.startswith(".Bl"):
            depth += 1
        elif line.startswith(".El"):
            depth -= 1
            if depth == 0:
                cur = None
        elif line.startswith(".It") and depth == 1:
            t = tokens(line[3:])
            cur = None
            if len(t) >= 2 and t[0] == macro:
                cur = (t[1], t[2:], [])
                out.append(cur)
            continue
        if cur is not None:
            cur[2].append(line)
    return out


def literals(toks):
    """The words a Cm macro shows among toks (an .It line's rest)."""
    out, mode = [], None
    for t in toks:
        if t in MACROS:
            mode = t
        elif t not in DELIMS and mode == "Cm":
            out.append(t)
    return out


def flags(lines):
    """Every option a Fl macro shows in lines: "-c", "--version"."""
    out = set()
    for line in lines:
        if not line.startswith("."):
            continue
        t = tokens(line[1:])
        for i, tok in enumerate(t):
            if tok == "Fl":
                j = i + 1
                while j < len(t) and t[j] not in MACROS:
                    if t[j] not in DELIMS:
                        out.add("-" + t[j])
                    j += 1
    return out


def literal_blocks(lines):
    """The text of each .Bd -literal ... .Ed block, in order."""
    out, cur = [], None
    for line in lines:
        if line.startswith(".Bd") and "-literal" in line:
            cur = []
        elif line.startswith(".Ed") and cur is not None:
            out.append([unescape(x) for x in cur])
            cur = None
        elif cur is not None:
            cur.append(line)
    return out


# ---- gateway.conf(5) and the parser ----

BASE = {
    "listen": "203.0.113.1:21",
    "certificate": "/etc/ftpsgw/gateway.pem",
    "private_key": "/etc/ftpsgw/gateway.key",
    "backend": "198.51.100.10",
}


class Parser:
    """The real parser, through ftpsgw -T on files in a scratch directory."""

    def __init__(self, ftpsgw, tmp):
        self.ftpsgw, self.tmp, self.n = ftpsgw, tmp, 0

    def T(self, settings):
        """Run -T on [(key, value)]: (exit status, {key: [values]}, stderr)."""
        self.n += 1
        path = os.path.join(self.tmp, f"t{self.n}.conf")
        with open(path, "w") as f:
            f.write("".join(f"{k} = {v}\n" for k, v in settings))
        p = run([self.ftpsgw, "-T", "-c", path])
        keys = {}
        for line in p.stdout.splitlines():
            m = re.fullmatch(r"# (\w+) is not set", line)
            if m:
                keys.setdefault(m.group(1), [])
                continue
            k, sep, v = line.partition(" = ")
            if not sep:
                raise SystemExit(f"ftpsgw -T printed an odd line: {line!r}")
            keys.setdefault(k, []).append(v)
        return p.returncode, keys, p.stderr

    def with_value(self, key, value):
        return [(k, v) for k, v in BASE.items() if k != key] + [(key, value)]


def check_gateway_conf(page, parser):
    secs = sections(page)
    name = os.path.basename(page)
    rc, defaults, err = parser.T(list(BASE.items()))
    if rc != 0:
        problem(name, f"the parser refuses the four required keys alone "
                f"(a new required key?): {err.strip()}")
        return
    required = set()
    for key in BASE:
        rc, _, err = parser.T([(k, v) for k, v in BASE.items() if k != key])
        m = re.search(r": (\w+): required key is missing", err)
        if rc == 1 and m:
            required.add(m.group(1))

    doc = {}
    for key, rest, body in items(secs.get("DESCRIPTION", []), "Cm"):
        if key in doc:
            problem(name, f"{key} is documented twice")
        doc[key] = (rest, body)
    for key in defaults:
        if key not in doc:
            problem(name, f"{key}: the parser has this key, the page does "
                    f"not document it (an '.It Cm {key} No = ...' item in "
                    "DESCRIPTION)")
    for key in doc:
        if key not in defaults:
            problem(name, f"{key}: documented, but the parser has no such "
                    "key")

    for key, (rest, body) in doc.items():
        if key not in defaults:
            continue
        check_default(name, key, body, defaults[key], key in required)
        check_values(name, parser, key, rest, body)


def check_default(name, key, body, values, required):
    """The item's one statement of its default against the parser's."""
    said = []
    for i, line in enumerate(body):
        if line.startswith("Required"):
            said.append(("required", None))
        elif line.startswith("Default: none"):
            said.append(("none", None))
        elif line.strip() == "Default:":
            nxt = tokens(body[i + 1][1:]) if i + 1 < len(body) and \
                body[i + 1].startswith(".Cm") else None
            if not nxt:
                problem(name, f"{key}: 'Default:' must be followed by a "
                        "'.Cm VALUE' line")
                continue
            said.append(("value", " ".join(t for t in nxt[1:]
                                           if t not in DELIMS)))
        elif line.startswith("Default"):
            problem(name, f"{key}: write 'Default:' then '.Cm VALUE', or "
                    f"'Default: none', not {line!r}")
    if len(said) != 1:
        problem(name, f"{key}: states its default {len(said)} times; "
                "expected once ('Required', 'Default: none' or 'Default:' "
                "and '.Cm VALUE')")
        return
    kind, value = said[0]
    if required:
        want = ("required", None)
    elif not values:
        want = ("none", None)
    else:
        want = ("value", values[0])
    if (kind, value) != want:
        page_says = {"required": "Required", "none": "Default: none"}.get(
            kind, f"Default: {value}")
        parser_says = {"required": "required", "none": "not set"}.get(
            want[0], f"{want[1]} (ftpsgw -T)")
        problem(name, f"{key}: the page says {page_says!r}, the parser "
                f"{parser_says}")


def check_values(name, parser, key, rest, body):
    """The values the .It line shows, and the bounds of the message."""
    shown = literals(rest)
    for lit in shown:
        rc, keys, err = parser.T(parser.with_value(key, lit))
        if rc != 0:
            problem(name, f"{key}: the page shows the value {lit!r}, the "
                    f"parser refuses it: {err.strip()}")
        elif keys.get(key) != [lit]:
            problem(name, f"{key}: the page shows the value {lit!r}, the "
                    f"parser reads it as {keys.get(key)!r}")
    rc, _, err = parser.T(parser.with_value(key, BOGUS))
    m = re.search(rf": {key}: '{re.escape(BOGUS)}' [^;]*; expected (.*)$",
                  err.strip())
    if rc == 0 or not m:
        return
    expect = m.group(1)
    words = re.fullmatch(r"([a-z]+(?:, [a-z]+)*) or ([a-z]+)", expect)
    if words:
        closed = words.group(1).split(", ") + [words.group(2)]
        if sorted(closed) != sorted(shown):
            page_words = " | ".join(shown) or "no words"
            problem(name, f"{key}: the page shows {page_words}, the parser "
                    f"takes {expect}")
    text = "\n".join(body)
    for num in re.findall(r"(?<![\d.])\d{2,}(?![\d.])", expect):
        if not re.search(rf"(?<!\d){num}(?!\d)", text):
            problem(name, f"{key}: the parser says 'expected {expect}'; "
                    f"the page does not mention {num}")


# ---- ftpsgw(8) and ftpsgw-certs(1) against their usage ----

def usage_options(text):
    """Options a usage text names; "--permit-*" names none."""
    return set(re.findall(r"(?<![\w-])(--?[A-Za-z](?:[\w-]*[A-Za-z0-9])?)"
                          r"(?![\w*-])", text))


def check_ftpsgw(page, ftpsgw):
    name = os.path.basename(page)
    p = run([ftpsgw, "-h"])
    usage = usage_options(p.stdout)
    secs = sections(page)
    documented = flags(line for line in secs.get("DESCRIPTION", [])
                       if line.startswith(".It"))
    for opt in sorted(usage - documented):
        problem(name, f"'ftpsgw -h' names {opt}, DESCRIPTION has no "
                "'.It Fl' item for it")
    for opt in sorted(documented - usage):
        problem(name, f"DESCRIPTION documents {opt}, 'ftpsgw -h' does not "
                "name it")
    for opt in sorted(flags(secs.get("SYNOPSIS", [])) - usage):
        problem(name, f"SYNOPSIS shows {opt}, 'ftpsgw -h' does not name it")


def check_certs(page, certs):
    name = os.path.basename(page)
    p = run([certs, "--help"])
    m = re.search(r"^commands:\n((?:  \S.*\n)+)", p.stdout, re.M)
    if p.returncode != 0 or not m:
        problem(name, "'ftpsgw-certs --help' lists no commands")
        return
    commands = [line.split()[0] for line in m.group(1).splitlines()]
    doc = {cmd: body for cmd, _, body in
           items(sections(page).get("DESCRIPTION", []), "Cm")}
    for cmd in commands:
        if cmd not in doc:
            problem(name, f"command {cmd} is not documented (an '.It Cm "
                    f"{cmd}' item in DESCRIPTION)")
            continue
        h = run([certs, cmd, "--help"])
        want = usage_options(h.stdout)
        have = flags(line for line in doc[cmd] if line.startswith(".It"))
        for opt in sorted(want - have):
            problem(name, f"{cmd}: '{cmd} --help' names {opt}, the page's "
                    f"{cmd} item does not")
        for opt in sorted(have - want):
            problem(name, f"{cmd}: the page's {cmd} item names {opt}, "
                    f"'{cmd} --help' does not")
    for cmd in doc:
        if cmd not in commands:
            problem(name, f"documents a command {cmd} that 'ftpsgw-certs "
                    "--help' does not list")


# ---- EXAMPLES, really run ----

def shell_lines(block):
    """'# cmd' lines of a literal block, continuations joined."""
    out, cur = [], None
    for line in block:
        if cur is not None:
            cur += " " + line.strip()
        elif line.startswith("# "):
            cur = line[2:]
        else:
            continue
        if cur.endswith("\\"):
            cur = cur[:-1]
        else:
            out.append(cur)
            cur = None
    return out


def check_examples(man, ftpsgw, certs, tmp):
    etc = os.path.join(tmp, "etc-ftpsgw")
    os.mkdir(etc)
    blocks = literal_blocks(sections(os.path.join(man, "ftpsgw-certs.1"))
                            .get("EXAMPLES", []))
    cmds = shell_lines(blocks[0]) if blocks else []
    if len(cmds) != 2 or not all(c.startswith("ftpsgw-certs ") for c in cmds):
        problem("ftpsgw-certs.1", "EXAMPLES should open with the two "
                f"commands init-ca and issue, found {cmds}")
        return
    for cmd in cmds:
        argv = shlex.split(cmd.replace("/etc/ftpsgw", etc))
        p = run([certs] + argv[1:])
        if p.returncode != 0:
            problem("ftpsgw-certs.1", f"EXAMPLES: '{cmd}' fails: "
                    f"{p.stderr.strip()}")
            return
    blocks = literal_blocks(sections(os.path.join(man, "gateway.conf.5"))
                            .get("EXAMPLES", []))
    if len(blocks) < 2:
        problem("gateway.conf.5", "EXAMPLES: expected a minimal "
                "configuration and a second block")
        return
    # lan-ca.pem is a copy of the root, as the page says.
    shutil.copy(os.path.join(etc, "ca", "ca.pem"),
                os.path.join(etc, "lan-ca.pem"))
    conf = os.path.join(tmp, "example.conf")
    with open(conf, "w") as f:
        f.write("\n".join(blocks[0]).replace("/etc/ftpsgw", etc) + "\n")
    p = run([ftpsgw, "-t", "-c", conf])
    if p.returncode != 0 or "OK" not in p.stdout:
        problem("gateway.conf.5", "EXAMPLES: the minimal configuration "
                "fails ftpsgw -t with the certificate ftpsgw-certs.1's "
                f"EXAMPLES make: {p.stdout.strip()} {p.stderr.strip()}")
    # The second block changes the first: both together must parse.
    first = dict(line.split("=", 1) for line in blocks[0] if "=" in line)
    second = dict(line.split("=", 1) for line in blocks[1] if "=" in line)
    merged = {k.strip(): v.strip() for k, v in first.items()}
    merged.update({k.strip(): v.strip() for k, v in second.items()})
    with open(conf, "w") as f:
        f.write("".join(f"{k} = {v}\n" for k, v in merged.items()))
    p = run([ftpsgw, "-T", "-c", conf])
    if p.returncode != 0:
        problem("gateway.conf.5", "EXAMPLES: the second configuration does "
                f"not parse: {p.stderr.strip()}")


# ---- rendering with man-db ----

HEADINGS = {
    "ftpsgw.8": ["NAME", "SYNOPSIS", "DESCRIPTION", "FILES", "EXIT STATUS",
                 "EXAMPLES", "SEE ALSO", "CAVEATS", "SECURITY CONSIDERATIONS"],
    "gateway.conf.5": ["NAME", "DESCRIPTION", "FILES", "EXAMPLES",
                       "SEE ALSO", "CAVEATS"],
    "ftpsgw-certs.1": ["NAME", "SYNOPSIS", "DESCRIPTION", "FILES",
                       "EXIT STATUS", "EXAMPLES", "SEE ALSO",
                       "SECURITY CONSIDERATIONS"],
}
# Text each rendering must hold, options in plain ASCII hyphens.
RENDERED = {
    "ftpsgw.8": ["ftpsgw [-t | -T] -c file", "SIGHUP", "--version"],
    "gateway.conf.5": ["passive_ports = low-high", "Default: 61000-61999."],
    "ftpsgw-certs.1": ["--permit-dns suffix", "--out prefix"],
}


def render(path):
    env = dict(os.environ, MANPAGER="cat", MANWIDTH="80", LC_ALL="C.UTF-8")
    env.pop("MAN_KEEP_FORMATTING", None)
    return run(["man", "-l", path], env=env)


def check_render(path, keys=()):
    """man -l renders the page: its sections, and the key items."""
    name = os.path.basename(path).removesuffix(".gz")
    p = render(path)
    if p.returncode != 0:
        problem(name, f"man -l fails ({p.returncode}): {p.stderr.strip()}")
        return
    heads = set(re.findall(r"^([A-Z][A-Z ]+)$", p.stdout, re.M))
    for h in HEADINGS[name]:
        if h not in heads:
            problem(name, f"man -l shows no section {h}")
    for text in RENDERED[name]:
        if text not in p.stdout:
            problem(name, f"man -l output lacks {text!r}")
    for key in keys:
        if not re.search(rf"^ +{key} = ", p.stdout, re.M):
            problem(name, f"man -l output has no item '{key} = '")


PARTS = ["gateway", "ftpsgw", "certs", "examples", "render"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ftpsgw", required=True)
    ap.add_argument("--certs", required=True)
    ap.add_argument("--man", default="man")
    ap.add_argument("--only", choices=PARTS, action="append",
                    help="check only this part (repeatable)")
    ap.add_argument("--render-only", metavar="PAGE", nargs="+",
                    help="only check that man -l renders these (e.g. the "
                    "installed .gz copies)")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="check_man.") as tmp:
        parser = Parser(a.ftpsgw, tmp)
        _, keys, _ = parser.T(list(BASE.items()))
        if a.render_only:
            for page in a.render_only:
                check_render(page, keys if "gateway.conf" in page else ())
        else:
            parts = a.only or PARTS
            if "gateway" in parts:
                check_gateway_conf(os.path.join(a.man, "gateway.conf.5"),
                                   parser)
            if "ftpsgw" in parts:
                check_ftpsgw(os.path.join(a.man, "ftpsgw.8"), a.ftpsgw)
            if "certs" in parts:
                check_certs(os.path.join(a.man, "ftpsgw-certs.1"), a.certs)
            if "examples" in parts:
                check_examples(a.man, a.ftpsgw, a.certs, tmp)
            if "render" in parts:
                for page in HEADINGS:
                    check_render(os.path.join(a.man, page),
                                 keys if page == "gateway.conf.5" else ())
        for p in problems:
            print(f"check_man: {p}", file=sys.stderr)
        if problems:
            print(f"check_man: {len(problems)} disagreement"
                  f"{'s' if len(problems) > 1 else ''} between the pages and "
                  "the programs: fix the page (or the program)",
                  file=sys.stderr)
            return 1
        if a.render_only:
            print(f"check_man: {len(a.render_only)} page(s) render")
        elif a.only:
            print(f"check_man: {', '.join(a.only)}: agree")
        else:
            print(f"check_man: {len(keys)} keys, their defaults and values, "
                  "the options of ftpsgw and ftpsgw-certs, the examples "
                  f"({parser.n} runs of ftpsgw -T) and the rendering agree")
    return 0


if __name__ == "__main__":
    sys.exit(main())
