#!/bin/bash
# Install, from Debian's packages, everything the build, the unit and
# integration tests, fuzzing and the demo need. Idempotent and quick when
# everything is there: it asks dpkg-query what is missing and touches apt only
# then (or always with --force).
#
#   bash scripts/deps.sh           install what is missing
#   bash scripts/deps.sh --force   apt-get update + install the whole list
#
# The FTP servers the integration tests run are NOT installed here (they
# conflict with each other in apt): scripts/fetch-servers.sh unpacks them into
# .cache/servers/.
set -euo pipefail

PACKAGES=(
	# build
	build-essential pkg-config libssl-dev libnetfilter-conntrack-dev
	libmnl-dev
	# unit tests
	libcmocka-dev
	# integration tests and demo: namespaces, firewall, conntrack, clients
	nftables iproute2 conntrack curl lftp openssl ca-certificates
	# clients that never read a data connection while uploading (issue 12)
	rclone ftp-ssl
	python3 python3-pytest procps psmisc util-linux faketime
	# fetch-servers.sh: apt-get download + dpkg -x
	dpkg apt
	# fuzzing, sanitizers, lint
	clang-14 libclang-rt-14-dev valgrind cppcheck clang-tidy-14
	clang-format-14
	# make bench: system calls per relayed TLS record (strace -c -f)
	strace
	# make man-lint: mandoc -T lint, and man -l (man-db) renders the pages
	mandoc man-db
	# ftpsgw --firewall iptables: its output checked with iptables-restore --test
	iptables
	# make deb and tests/integration/test_deb.py: the Debian package, built
	# with Debian's tools, checked by lintian, installed with its user
	debhelper dpkg-dev fakeroot lintian adduser
	# ACME in the lab (test_acme.py): certbot on the router, Debian's pebble
	# ACME test server (and its pebble-challtestsrv DNS) on the Internet side
	certbot pebble
	# metrics_listen: the HTTP server (libmicrohttpd); the integration
	# test checks a scrape with promtool (prometheus) and takes it with curl
	libmicrohttpd-dev prometheus
	# the status page: test_status.py loads it in headless Chromium
	chromium
	# the transfer log's rotation, run for real by test_xferlog.py
	logrotate
)

force=0
case "${1:-}" in
"") ;;
--force) force=1 ;;
-h | --help)
	sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
	exit 0
	;;
*)
	echo "deps.sh: unknown argument '$1' (use --force or nothing)" >&2
	exit 2
	;;
esac

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: must run as root (it installs Debian packages with apt-get);" \
		"run: sudo bash scripts/deps.sh" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive

missing=()
for p in "${PACKAGES[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	case "$status" in
	ii*) ;;
	*) missing+=("$p") ;;
	esac
done

if [ "$force" -eq 0 ] && [ "${#missing[@]}" -eq 0 ]; then
	echo "deps.sh: all ${#PACKAGES[@]} packages present"
	exit 0
fi

if [ "$force" -eq 1 ]; then
	to_install=("${PACKAGES[@]}")
else
	to_install=("${missing[@]}")
	echo "deps.sh: missing: ${missing[*]}"
fi

apt-get update
apt-get install -y --no-install-recommends "${to_install[@]}"

# Check again: a package that apt could not install is an error, said plainly.
still=()
for p in "${PACKAGES[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	case "$status" in
	ii*) ;;
	*) still+=("$p") ;;
	esac
done
if [ "${#still[@]}" -ne 0 ]; then
	echo "deps.sh: still missing after apt-get install: ${still[*]}" >&2
	exit 1
fi
echo "deps.sh: done"
