#!/bin/bash
# Build the Debian package from the tracked files of this checkout with
# Debian's own tools (dpkg-buildpackage, debhelper), then check it with
# lintian. Everything lands in OUT (default build/deb); nothing is written
# beside the checkout.
#
#   bash scripts/build-deb.sh [OUT]
#
# The source is exported to OUT/src (committed files plus uncommitted
# changes to tracked files; untracked files are left out), so that
# dpkg-buildpackage writes the .deb, .changes and .buildinfo into OUT.
# OUT/source-id names the content built: when it matches the tree, and the
# package passed lintian, the build is skipped. lintian errors fail the
# build; its warnings are printed and kept in OUT/lintian.txt.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$here/build/deb}
case "$out" in /*) ;; *) out=$here/$out ;; esac

missing=()
for tool in git dpkg-buildpackage dh lintian dpkg-parsechangelog; do
	command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ "${#missing[@]}" -ne 0 ]; then
	echo "build-deb.sh: missing ${missing[*]}: install the Debian packages" \
		"debhelper, dpkg-dev, lintian and fakeroot (bash scripts/deps.sh)" >&2
	exit 1
fi
if ! git -C "$here" rev-parse --git-dir >/dev/null 2>&1; then
	echo "build-deb.sh: $here is not a git checkout; the package is built" \
		"from its tracked files" >&2
	exit 1
fi

# The package's version and the program's must agree.
upstream=$(sed -n 's/^VERSION := //p' "$here/Makefile")
version=$(dpkg-parsechangelog -l "$here/debian/changelog" -S Version)
if [ "${version%-*}" != "$upstream" ]; then
	echo "build-deb.sh: debian/changelog says $version but the Makefile's" \
		"VERSION is $upstream: add a debian/changelog entry (dch -v" \
		"$upstream-1)" >&2
	exit 1
fi

# A commit of the work tree's tracked files, made without touching any
# branch, index or stash (empty when nothing is uncommitted).
commit=$(git -C "$here" stash create)
commit=${commit:-HEAD}
id=$(git -C "$here" rev-parse "$commit^{tree}")
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
deb=$out/ftpsgw_${version}_${arch}.deb
if [ -f "$deb" ] && [ "$(cat "$out/source-id" 2>/dev/null)" = "$id" ]; then
	echo "build-deb.sh: $deb is up to date (tree $id)"
	exit 0
fi

rm -rf "$out"
mkdir -p "$out/src"
git -C "$here" archive --format=tar "$commit" | tar -x -C "$out/src"

# The package is built the way Debian builds it, whatever the calling make
# or shell had set (make check SANITIZE=1 must not give an ASan package).
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES SANITIZE BUILD PREFIX \
	DESTDIR CFLAGS CPPFLAGS LDFLAGS CC ASAN_OPTIONS UBSAN_OPTIONS \
	FTPSGW_BIN CT_LIVE
echo "build-deb.sh: dpkg-buildpackage -us -uc -b in $out/src"
(cd "$out/src" && dpkg-buildpackage -us -uc -b -jauto) >"$out/build.log" 2>&1 || {
	tail -n 40 "$out/build.log" >&2
	echo "build-deb.sh: dpkg-buildpackage failed; the whole log is" \
		"$out/build.log" >&2
	exit 1
}

changes=$out/ftpsgw_${version}_${arch}.changes
rc=0
lintian --fail-on error "$changes" >"$out/lintian.txt" 2>&1 || rc=$?
cat "$out/lintian.txt"
if [ "$rc" -ne 0 ]; then
	echo "build-deb.sh: lintian found errors (E: lines above, also in" \
		"$out/lintian.txt): the package is not usable as it is" >&2
	exit 1
fi
echo "build-deb.sh: lintian: $(grep -c '^E:' "$out/lintian.txt" || true) errors," \
	"$(grep -c '^W:' "$out/lintian.txt" || true) warnings"

rm -rf "$out/src"
echo "$id" >"$out/source-id"
echo "build-deb.sh: built $deb"
