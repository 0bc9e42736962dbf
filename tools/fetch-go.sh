#!/usr/bin/env bash
# Go toolchains that bookworm lacks (1.24 and later), from Debian's trixie,
# trixie-backports and sid suites, without touching the machine's apt setup:
# a private apt configuration under build/apt (its own sources list, lists
# and cache) downloads golang-1.NN-go and golang-1.NN-src, and `dpkg -x`
# unpacks them under build/go/1.NN/ (go at build/go/1.NN/usr/lib/go-1.NN/bin/go,
# which tools/go-versions.sh lists). Nothing is installed.
#
# Idempotent: a version already unpacked is skipped, so the fast path makes
# no network access. A version that cannot be fetched gives one warning line;
# the tests then run on the toolchains that are there.
#
# Usage: bash tools/fetch-go.sh [1.NN ...]   (default: the versions below)
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
VERSIONS=(${@:-1.24 1.25 1.26 1.27})
APT=$ROOT/build/apt
GODIR=$ROOT/build/go

todo=()
for v in "${VERSIONS[@]}"; do
	[ -x "$GODIR/$v/usr/lib/go-$v/bin/go" ] || todo+=("$v")
done
[ ${#todo[@]} -eq 0 ] && exit 0
. "$ROOT/tools/apt-private.sh"
apt_private_setup fetch-go || exit 0
opts=("${APT_OPTS[@]}")

for v in "${todo[@]}"; do
	rm -f "$APT/debs"/golang-"$v"-*.deb
	if ! (cd "$APT/debs" && apt-get "${opts[@]}" download "golang-$v-go" "golang-$v-src") >"$APT/download-$v.log" 2>&1; then
		echo "fetch-go: warning: could not download golang-$v-go (see $APT/download-$v.log)" >&2
		continue
	fi
	rm -rf "$GODIR/$v.tmp"
	mkdir -p "$GODIR/$v.tmp"
	ok=1
	for deb in "$APT/debs"/golang-"$v"-*.deb; do
		dpkg -x "$deb" "$GODIR/$v.tmp" || ok=0
	done
	if [ $ok -eq 1 ] && [ -x "$GODIR/$v.tmp/usr/lib/go-$v/bin/go" ]; then
		rm -rf "$GODIR/$v"
		mv "$GODIR/$v.tmp" "$GODIR/$v"
		rm -f "$APT/debs"/golang-"$v"-*.deb
		echo "fetch-go: $(GOROOT= GOTOOLCHAIN=local "$GODIR/$v/usr/lib/go-$v/bin/go" version) in build/go/$v" >&2
	else
		rm -rf "$GODIR/$v.tmp"
		echo "fetch-go: warning: golang-$v-go did not unpack to a go binary" >&2
	fi
done
exit 0
