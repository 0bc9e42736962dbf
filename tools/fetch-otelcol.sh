#!/usr/bin/env bash
# The OpenTelemetry Collector's Go sources for the test collector (issue 21):
# sid's golang-opentelemetry-collector-dev and the golang-*-dev packages it
# depends on (recursively, as apt would resolve them on an empty system;
# all Architecture: all), downloaded with the private apt configuration of
# tools/apt-private.sh and unpacked with `dpkg -x` under
#   build/otelcol/src/usr/share/gocode   (a GOPATH: GO111MODULE=off)
# for tools/build-otelcol.sh. Nothing is installed; the machine's apt
# sources are not touched.
#
# Idempotent: a tree with its stamp (build/otelcol/src/.fetched, the .deb
# names) is kept, so the fast path makes no network access. No apt or no
# network gives one warning line and exit 0 (the tests then say SKIP).
#
# Usage: bash tools/fetch-otelcol.sh
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PKG=golang-opentelemetry-collector-dev
DEST=$ROOT/build/otelcol/src

[ -f "$DEST/.fetched" ] && exit 0
. "$ROOT/tools/apt-private.sh"
apt_private_setup fetch-otelcol || exit 0
DL=$APT/debs/otelcol
LOG=$APT/download-otelcol.log

# the golang-*-dev packages apt would install with $PKG on an empty system
# (its resolver picks one of each set of alternatives), Architecture: all
# only; the C libraries a few of them pull in for cgo are left out
closure()
{
	apt-get "${APT_OPTS[@]}" -s --no-install-recommends install "$PKG" 2>>"$LOG" |
		sed -n 's/^Inst \(golang-[^ ]*-dev\) .*/\1/p'
}

: >"$LOG"
pkgs=$(closure)
if [ -z "$pkgs" ]; then
	echo "fetch-otelcol: warning: apt cannot resolve $PKG (see $LOG); nothing fetched" >&2
	exit 0
fi
# shellcheck disable=SC2086
notall=$(apt-cache "${APT_OPTS[@]}" show --no-all-versions $pkgs 2>>"$LOG" |
	awk '/^Package:/ { p = $2 } /^Architecture:/ && $2 != "all" { print p }')
if [ -n "$notall" ]; then
	echo "fetch-otelcol: warning: not Architecture: all, left out: ${notall//$'\n'/ }" >&2
	pkgs=$(grep -vxF -f <(echo "$notall") <<<"$pkgs")
fi

rm -rf "$DL" "$DEST.tmp"
mkdir -p "$DL" "$DEST.tmp"
# shellcheck disable=SC2086
if ! (cd "$DL" && apt-get "${APT_OPTS[@]}" download $pkgs) >>"$LOG" 2>&1; then
	echo "fetch-otelcol: warning: could not download $PKG and its dependencies (see $LOG)" >&2
	rm -rf "$DL" "$DEST.tmp"
	exit 0
fi
for deb in "$DL"/*.deb; do
	if ! dpkg -x "$deb" "$DEST.tmp"; then
		echo "fetch-otelcol: warning: dpkg -x $deb failed" >&2
		rm -rf "$DL" "$DEST.tmp"
		exit 0
	fi
done
if [ ! -d "$DEST.tmp/usr/share/gocode/src/go.opentelemetry.io/collector" ]; then
	echo "fetch-otelcol: warning: $PKG did not unpack to usr/share/gocode/src/go.opentelemetry.io/collector" >&2
	rm -rf "$DL" "$DEST.tmp"
	exit 0
fi
n=$(ls "$DL" | tee "$DEST.tmp/.fetched" | wc -l)
mb=$(du -sm "$DL" | cut -f1)
rm -rf "$DEST" "$DL"
mv "$DEST.tmp" "$DEST"
echo "fetch-otelcol: $n packages ($mb MB of .deb) in ${DEST#"$ROOT"/}" >&2
exit 0
