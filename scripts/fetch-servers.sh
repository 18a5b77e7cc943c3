#!/bin/bash
# Fetch the real FTP servers the integration tests and the demo run (ProFTPD
# with mod_tls, vsftpd, pure-ftpd) into the git-ignored cache .cache/servers/.
#
# They conflict with each other in apt, so they are never installed: the
# packages are fetched with `apt-get download` and unpacked with `dpkg -x`
# into .cache/servers/root, together with the shared-library packages they need
# that this machine lacks, resolved recursively from apt's dependency graph and
# dpkg-query (nothing machine-specific is hard-coded). The tests run them with
# LD_LIBRARY_PATH pointing into the cache and with configs they write; no
# system service is ever started and nothing under /etc is touched.
#
# With --modproxy it fetches ProFTPD's mod_proxy (Debian's proftpd-mod-proxy),
# the peer `make bench` measures ftpsgw against, the same way into its own
# cache .cache/modproxy/root; the bench runs it with the proftpd binary and
# mod_tls.so of .cache/servers (fetch the servers first).
#
# With --haproxy it fetches Debian's haproxy, the TLS->TLS relay `make bench`
# compares ftpsgw's relay CPU with, into .cache/haproxy/root with the
# libraries it needs that this machine lacks (liblua5.3-0,
# libopentracing-c-wrapper0...). Its service files and maintainer scripts
# are never run: the bench starts usr/sbin/haproxy in the foreground with a
# configuration of its own.
#
# Idempotent: a stamp file records what was unpacked; a second run is instant.
#   bash scripts/fetch-servers.sh              fetch the servers if needed
#   bash scripts/fetch-servers.sh --modproxy   fetch mod_proxy if needed
#   bash scripts/fetch-servers.sh --haproxy    fetch haproxy if needed
#   bash scripts/fetch-servers.sh --force      fetch again (any of them)
set -euo pipefail

cd "$(dirname "$0")/.."

force=0
which=servers
for arg in "$@"; do
	case "$arg" in
	--force) force=1 ;;
	--modproxy | --haproxy)
		if [ "$which" != servers ]; then
			echo "fetch-servers.sh: one of --modproxy and --haproxy at a time" >&2
			exit 2
		fi
		which=${arg#--}
		;;
	*)
		echo "fetch-servers.sh: unknown argument '$arg' (use --force," \
			"--modproxy, --haproxy or nothing)" >&2
		exit 2
		;;
	esac
done

if [ "$which" = servers ]; then
	CACHE=.cache/servers
	# The server packages. mod_tls.so lives in proftpd-mod-crypto, not in
	# proftpd-core; pure-pw is in pure-ftpd itself (pure-ftpd-common only
	# holds the Debian wrapper scripts).
	PACKAGES=(proftpd-core proftpd-mod-crypto vsftpd pure-ftpd)
	# Files the tests use; the cache is complete only when all are there.
	NEEDED=(usr/sbin/proftpd usr/lib/proftpd/mod_tls.so usr/sbin/vsftpd
		usr/sbin/pure-ftpd usr/bin/pure-pw)
	STAMP_FORMAT=2
	# Where else the binaries may find libraries: nowhere (the check below
	# must see a fresh cache complete on its own).
	LIBROOTS=()
	WHAT=servers
elif [ "$which" = modproxy ]; then
	CACHE=.cache/modproxy
	# Its Depends are libc6, libsodium23, libsqlite3-0 and the proftpd ABI,
	# which .cache/servers provides (a virtual package: not followed below).
	PACKAGES=(proftpd-mod-proxy)
	NEEDED=(usr/lib/proftpd/mod_proxy.so)
	STAMP_FORMAT=1
	# mod_proxy.so runs inside the cached proftpd, with its libraries.
	LIBROOTS=(.cache/servers/root)
	WHAT=mod_proxy
else
	CACHE=.cache/haproxy
	# Its libraries are resolved like the servers': those installed here
	# are used, the others unpacked beside it.
	PACKAGES=(haproxy)
	NEEDED=(usr/sbin/haproxy)
	STAMP_FORMAT=1
	LIBROOTS=()
	WHAT=haproxy
fi
ROOT=$CACHE/root
DEBS=$CACHE/debs
STAMP=$CACHE/stamp

complete() {
	[ -f "$STAMP" ] || return 1
	[ "$(head -n1 "$STAMP")" = "format $STAMP_FORMAT" ] || return 1
	local f
	for f in "${NEEDED[@]}"; do
		[ -e "$ROOT/$f" ] || return 1
	done
	return 0
}

if [ "$force" -eq 0 ] && complete; then
	echo "fetch-servers.sh: $WHAT already in $CACHE (--force to fetch again)"
	exit 0
fi

for tool in apt-get apt-cache dpkg dpkg-query dpkg-deb; do
	command -v "$tool" >/dev/null || {
		echo "fetch-servers.sh: $tool not found; this needs Debian's apt/dpkg" >&2
		exit 1
	}
done
PY=/usr/bin/python3
[ -x "$PY" ] || {
	echo "fetch-servers.sh: $PY not found; run: sudo bash scripts/deps.sh" >&2
	exit 1
}

# apt-cache needs package lists. Refresh them once when the server packages
# are unknown (a fresh machine may have none); that needs root.
if ! apt-cache show "${PACKAGES[@]}" >/dev/null 2>&1; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "fetch-servers.sh: apt does not know ${PACKAGES[*]};" \
			"run as root so that 'apt-get update' can refresh the lists" >&2
		exit 1
	fi
	echo "fetch-servers.sh: apt-get update"
	apt-get update
fi

# Resolve the packages to fetch: PACKAGES, plus every shared-library package
# reachable through Depends/PreDepends that is not installed here.
# The graph comes from one `apt-cache depends --recurse --important` call;
# the walk is ours because apt lists every alternative and every provider of
# a virtual package (inetd, syslog daemons...), which we must not follow.
# A dependency group is satisfied when any member is installed; otherwise its
# first library member is fetched and followed. Non-library dependencies
# (adduser, debconf, netbase, perl...) serve the packages' maintainer scripts
# and service files, which the tests never run.
# shellcheck disable=SC2016
INSTALLED=$(dpkg-query -W -f='${binary:Package} ${db:Status-Abbrev}\n' 2>/dev/null |
	awk '$2 ~ /^ii/ { sub(/:.*/, "", $1); print $1 }')
GRAPH=$(apt-cache depends --recurse --important "${PACKAGES[@]}")
PKGS=$(INSTALLED="$INSTALLED" GRAPH="$GRAPH" "$PY" - "${PACKAGES[@]}" <<'EOF'
import os, re, sys

installed = set(os.environ["INSTALLED"].split())
roots = sys.argv[1:]
deps = {}          # package -> list of alternative groups (lists of names)
cur = None
group = []
for line in os.environ["GRAPH"].splitlines():
    if not line.strip():
        continue
    if not line.startswith(" "):
        cur = line.strip()
        deps.setdefault(cur, [])
        group = []
        continue
    m = re.match(r"^ (\|| )(Depends|PreDepends): (.+)$", line)
    if m and cur is not None:
        name = m.group(3).strip()
        group.append(name)
        if m.group(1) != "|":          # last member of an alternative group
            deps[cur].append(group)
            group = []

def base(name):
    return name.split(":", 1)[0]

def is_lib(name):
    return (name.startswith("lib") and not name.startswith("<")
            and not name.endswith(("-perl", "-bin", "-common", "-dev")))

want, todo, seen = [], list(roots), set()
while todo:
    p = todo.pop(0)
    if p in seen:
        continue
    seen.add(p)
    want.append(p)
    for grp in deps.get(p, []):
        names = [base(n) for n in grp]
        if any(n in installed or n in seen for n in names):
            continue
        libs = [n for n in names if is_lib(n)]
        if libs:
            todo.append(libs[0])
print(" ".join(want))
EOF
)

echo "fetch-servers.sh: fetching $PKGS"
# Unpack beside the old cache and swap at the end, so that a --force run
# does not pull the binaries from under servers that tests are running.
NEW=$CACHE/root.new
rm -rf "$DEBS" "$NEW"
mkdir -p "$DEBS" "$NEW"
# apt-get download runs as the _apt user when it can; the directory must be
# writable for it, or apt warns and downloads unsandboxed.
chmod 0777 "$DEBS" 2>/dev/null || true
# shellcheck disable=SC2086
if ! (cd "$DEBS" && apt-get download $PKGS); then
	# Stale package lists name versions the mirror no longer has.
	if [ "$(id -u)" -ne 0 ]; then
		echo "fetch-servers.sh: apt-get download failed; as root, 'apt-get update'" \
			"may fix it" >&2
		exit 1
	fi
	echo "fetch-servers.sh: download failed; apt-get update and one retry"
	apt-get update
	(cd "$DEBS" && apt-get download $PKGS)
fi
for deb in "$DEBS"/*.deb; do
	dpkg -x "$deb" "$NEW"
done

# Check that every binary the tests run finds all of its libraries.
LIBPATH=""
for r in "$NEW" "${LIBROOTS[@]}"; do
	for d in "$r"/usr/lib/*-linux-gnu "$r"/lib/*-linux-gnu; do
		[ -d "$d" ] && LIBPATH="${LIBPATH:+$LIBPATH:}$(cd "$d" && pwd)"
	done
done
bad=0
for f in "${NEEDED[@]}"; do
	if [ ! -e "$NEW/$f" ]; then
		echo "fetch-servers.sh: $f missing after unpacking" >&2
		bad=1
		continue
	fi
	nf=$(LD_LIBRARY_PATH="$LIBPATH" ldd "$NEW/$f" 2>&1 | grep 'not found' || true)
	if [ -n "$nf" ]; then
		echo "fetch-servers.sh: $f lacks libraries:" >&2
		echo "$nf" >&2
		bad=1
	fi
done
if [ "$bad" -ne 0 ]; then
	echo "fetch-servers.sh: the cache is incomplete; see above" >&2
	exit 1
fi

rm -f "$STAMP"
rm -rf "$CACHE/root.old"
[ -d "$ROOT" ] && mv "$ROOT" "$CACHE/root.old"
mv "$NEW" "$ROOT"
rm -rf "$CACHE/root.old"
{
	echo "format $STAMP_FORMAT"
	for deb in "$DEBS"/*.deb; do
		# shellcheck disable=SC2016  # dpkg's format, not the shell's
		dpkg-deb -W --showformat='${Package} ${Version}\n' "$deb"
	done
} >"$STAMP"
rm -rf "$DEBS"
echo "fetch-servers.sh: $WHAT unpacked into $ROOT"
