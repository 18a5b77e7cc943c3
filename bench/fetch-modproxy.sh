#!/bin/bash
# Fetch ProFTPD's mod_proxy (Debian's proftpd-mod-proxy), the peer that
# `make bench` measures ftpsgw against, into the git-ignored cache
# .cache/modproxy/root.
#
# Like scripts/fetch-servers.sh (which it relies on for proftpd-core and
# mod_tls.so): the package is fetched with `apt-get download` and unpacked
# with `dpkg -x`, never installed, together with the shared-library packages
# it depends on that this machine lacks (libsodium23 and libsqlite3-0 on a
# bare machine; a fresh Debian 12 image already has both). The bench runs
# the cached proftpd binary with a module directory that holds mod_tls.so
# and mod_proxy.so, with a config it writes; no service is started.
#
# Idempotent: a stamp file records what was unpacked; a second run is instant.
#   bash bench/fetch-modproxy.sh           fetch if needed
#   bash bench/fetch-modproxy.sh --force   fetch again
set -euo pipefail

cd "$(dirname "$0")/.."
CACHE=.cache/modproxy
ROOT=$CACHE/root
DEBS=$CACHE/debs
STAMP=$CACHE/stamp
PKG=proftpd-mod-proxy
NEEDED=usr/lib/proftpd/mod_proxy.so
STAMP_FORMAT=1

force=0
case "${1:-}" in
"") ;;
--force) force=1 ;;
*)
	echo "fetch-modproxy.sh: unknown argument '$1' (use --force or nothing)" >&2
	exit 2
	;;
esac

if [ "$force" -eq 0 ] && [ -f "$STAMP" ] &&
	[ "$(head -n1 "$STAMP")" = "format $STAMP_FORMAT" ] &&
	[ -e "$ROOT/$NEEDED" ]; then
	echo "fetch-modproxy.sh: mod_proxy already in $CACHE (--force to fetch again)"
	exit 0
fi

if ! apt-cache show "$PKG" >/dev/null 2>&1; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "fetch-modproxy.sh: apt does not know $PKG; run as root so" \
			"that 'apt-get update' can refresh the lists" >&2
		exit 1
	fi
	echo "fetch-modproxy.sh: apt-get update"
	apt-get update
fi

# The package plus each library it depends on directly that is not installed
# (its Depends are libc6, libsodium23, libsqlite3-0 and the proftpd ABI,
# which the servers cache provides).
pkgs=("$PKG")
while read -r dep; do
	case "$dep" in
	lib*) ;;
	*) continue ;;
	esac
	status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$dep" 2>/dev/null || true)
	case "$status" in
	ii*) ;;
	*) pkgs+=("$dep") ;;
	esac
done < <(apt-cache depends "$PKG" | awk '$1 == "Depends:" { sub(/:.*/, "", $2); print $2 }')

echo "fetch-modproxy.sh: fetching ${pkgs[*]}"
NEW=$CACHE/root.new
rm -rf "$DEBS" "$NEW"
mkdir -p "$DEBS" "$NEW"
# apt-get download runs as the _apt user when it can.
chmod 0777 "$DEBS" 2>/dev/null || true
if ! (cd "$DEBS" && apt-get download "${pkgs[@]}"); then
	if [ "$(id -u)" -ne 0 ]; then
		echo "fetch-modproxy.sh: apt-get download failed; as root," \
			"'apt-get update' may fix it" >&2
		exit 1
	fi
	echo "fetch-modproxy.sh: download failed; apt-get update and one retry"
	apt-get update
	(cd "$DEBS" && apt-get download "${pkgs[@]}")
fi
for deb in "$DEBS"/*.deb; do
	dpkg -x "$deb" "$NEW"
done
if [ ! -e "$NEW/$NEEDED" ]; then
	echo "fetch-modproxy.sh: $NEEDED missing after unpacking" >&2
	exit 1
fi

# mod_proxy.so must find its libraries here or in the cache.
LIBPATH=""
for d in "$NEW"/usr/lib/*-linux-gnu .cache/servers/root/usr/lib/*-linux-gnu \
	.cache/servers/root/lib/*-linux-gnu; do
	[ -d "$d" ] && LIBPATH="${LIBPATH:+$LIBPATH:}$(cd "$d" && pwd)"
done
nf=$(LD_LIBRARY_PATH="$LIBPATH" ldd "$NEW/$NEEDED" 2>&1 | grep 'not found' || true)
if [ -n "$nf" ]; then
	echo "fetch-modproxy.sh: $NEEDED lacks libraries:" >&2
	echo "$nf" >&2
	exit 1
fi

rm -f "$STAMP"
rm -rf "$ROOT"
mv "$NEW" "$ROOT"
{
	echo "format $STAMP_FORMAT"
	for deb in "$DEBS"/*.deb; do
		# shellcheck disable=SC2016  # dpkg's format, not the shell's
		dpkg-deb -W --showformat='${Package} ${Version}\n' "$deb"
	done
} >"$STAMP"
rm -rf "$DEBS"
echo "fetch-modproxy.sh: mod_proxy unpacked into $ROOT"
