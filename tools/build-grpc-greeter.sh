#!/usr/bin/env bash
# Builds tests/grpc/greeter.go against each grpc-go tree tools/fetch-grpc.sh
# unpacked (build/grpc/1.NN/usr/share/gocode: Debian's golang-google-grpc-dev
# and its dependencies), in GOPATH mode as Debian builds etcd, with every Go
# of tools/go-versions.sh that the tree's go.mod allows:
#   build/tests/grpc/GOVER/greeter-GRPCVER            (with DWARF)
#   build/tests/grpc/GOVER/greeter-GRPCVER.stripped   (-s -w: pclntab only)
# cgo-linked, like Debian's binaries. A binary newer than its source and
# toolchain is kept. A failed build is one line and exit status 1; no grpc
# tree at all is one warning and exit 0 (the tests say SKIP).
#
# Usage: bash tools/build-grpc-greeter.sh   (WEFT_GO_VERSIONS narrows it)
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SRC=$ROOT/tests/grpc/greeter.go
OUT=$ROOT/build/tests/grpc
trees=("$ROOT"/build/grpc/1.*/usr/share/gocode)
[ -d "${trees[0]}" ] || {
	echo "build-grpc-greeter: warning: no grpc tree under build/grpc (tools/fetch-grpc.sh)" >&2
	exit 0
}

# go.mod's "go 1.25.0" -> 25
min_minor()
{
	sed -n 's/^go 1\.\([0-9]*\).*/\1/p' "$1/src/google.golang.org/grpc/go.mod" | head -n1
}

# build GOVER GO TREE
build()
{
	local v=$1 go=$2 tree=$3 g
	g=${tree#"$ROOT"/build/grpc/}
	g=${g%%/*}
	mkdir -p "$OUT/$v"
	for bin in "$OUT/$v/greeter-$g" "$OUT/$v/greeter-$g.stripped"; do
		[ "$bin" -nt "$SRC" ] && [ "$bin" -nt "$go" ] && continue
		local flags=()
		[[ $bin == *.stripped ]] && flags=(-ldflags='-s -w')
		printf '  %-8s %s\n' "GO$v" "${bin#"$ROOT"/}"
		if ! env -u GOROOT GOTOOLCHAIN=local GOFLAGS= GO111MODULE=off GOPATH="$tree" \
			GOENV=off GOCACHE="$ROOT/build/gocache" "$go" build "${flags[@]}" -o "$bin.tmp" \
			"$SRC" >"$bin.log" 2>&1; then
			echo "build-grpc-greeter: grpc $g with Go $v failed: $(tail -n1 "$bin.log")" >&2
			rm -f "$bin.tmp"
			return 1
		fi
		mv -f "$bin.tmp" "$bin" && rm -f "$bin.log"
	done
}

fail=0 running=0
while read -r v go; do
	[ -n "$v" ] || continue
	for tree in "${trees[@]}"; do
		need=$(min_minor "$tree")
		[ "${v#1.}" -ge "${need:-0}" ] || continue
		build "$v" "$go" "$tree" &
		running=$((running + 1))
		# two at a time: the machine has two CPUs
		if [ $running -ge 2 ]; then
			wait -n || fail=1
			running=$((running - 1))
		fi
	done
done < <(bash "$ROOT/tools/go-versions.sh")
while [ $running -gt 0 ]; do
	wait -n || fail=1
	running=$((running - 1))
done
exit $fail
