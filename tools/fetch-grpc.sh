#!/usr/bin/env bash
# grpc-go sources and etcd binaries for the gRPC groundwork (issue 15):
# Debian's golang-google-grpc-dev with the golang-*-dev packages it depends
# on (recursively), so that a small server builds in GOPATH mode:
#   GO111MODULE=off GOPATH=build/grpc/1.NN/usr/share/gocode go build ...
# once from bookworm (the machine's own apt lists: grpc 1.33) and once from
# the newest suite of the private apt setup under build/apt (tools/apt-private.sh:
# trixie, trixie-backports, sid). etcd-server and etcd-client likewise under
# build/etcd/3.N/ (usr/bin/etcd, usr/bin/etcdctl). `dpkg -x` only: nothing
# is installed.
#
# Idempotent: an unpacked tree is kept, so the fast path makes no network
# access. A failure gives one warning line. Not called by install-deps.sh.
#
# Usage: bash tools/fetch-grpc.sh
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/tools/apt-private.sh"
SYS_OPTS=(-o APT::Sandbox::User=root -q)

# the golang-*-dev packages apt would install with $@ on an empty system
# (its resolver picks one of each set of alternatives)
dev_closure()
{
	local -n o=$1
	shift
	apt-get "${o[@]}" -o Dir::State::status=/dev/null -s --no-install-recommends install "$@" 2>/dev/null |
		sed -n 's/^Inst \(golang-[^ ]*-dev\) .*/\1/p'
}

candidate()
{
	local -n o=$1
	apt-cache "${o[@]}" policy "$2" 2>/dev/null | sed -n 's/^  Candidate: \([0-9]*:\)\{0,1\}\([0-9]*\.[0-9]*\).*/\2/p'
}

# fetch TAG OPTSVAR DEST PKG...: download PKG (and for grpc its -dev closure),
# unpack all into DEST; DEST kept when it already holds a stamp
fetch()
{
	local tag=$1 optsvar=$2 dest=$3
	shift 3
	local -n o=$optsvar
	[ -f "$dest/.fetched" ] && return 0
	local pkgs dl="$APT/debs/$tag"
	if [ "$1" = golang-google-grpc-dev ]; then
		pkgs=$(dev_closure "$optsvar" "$@")
	else
		pkgs="$*"
	fi
	rm -rf "$dl" "$dest.tmp"
	mkdir -p "$dl" "$dest.tmp"
	# shellcheck disable=SC2086
	if ! (cd "$dl" && apt-get "${o[@]}" download $pkgs) >"$APT/download-$tag.log" 2>&1; then
		echo "fetch-grpc: warning: could not download $1 for $tag (see $APT/download-$tag.log)" >&2
		rm -rf "$dl" "$dest.tmp"
		return 1
	fi
	local deb
	for deb in "$dl"/*.deb; do
		dpkg -x "$deb" "$dest.tmp" || { echo "fetch-grpc: warning: dpkg -x $deb failed" >&2; rm -rf "$dest.tmp"; return 1; }
	done
	ls "$dl" >"$dest.tmp/.fetched"
	rm -rf "$dest" "$dl"
	mv "$dest.tmp" "$dest"
	echo "fetch-grpc: $tag: $(wc -l <"$dest/.fetched") packages in ${dest#"$ROOT"/}" >&2
}

G=$ROOT/build/grpc
E=$ROOT/build/etcd
# bookworm: the machine's own apt (Debian 12)
v=$(candidate SYS_OPTS golang-google-grpc-dev)
[ -n "$v" ] && fetch "grpc-$v" SYS_OPTS "$G/$v" golang-google-grpc-dev
v=$(candidate SYS_OPTS etcd-server)
[ -n "$v" ] && fetch "etcd-$v" SYS_OPTS "$E/$v" etcd-server etcd-client
# newest suite: the private apt setup
apt_private_setup fetch-grpc || exit 0
v=$(candidate APT_OPTS golang-google-grpc-dev)
[ -n "$v" ] && fetch "grpc-$v" APT_OPTS "$G/$v" golang-google-grpc-dev
v=$(candidate APT_OPTS etcd-server)
[ -n "$v" ] && fetch "etcd-$v" APT_OPTS "$E/$v" etcd-server etcd-client
exit 0
