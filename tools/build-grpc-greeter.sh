#!/usr/bin/env bash
# Builds tests/grpc/greeter.go against each grpc-go tree that
# tools/fetch-grpc.sh unpacked (build/grpc/1.NN/usr/share/gocode), in GOPATH
# mode with the newest Go of tools/go-versions.sh: build/grpc/bin/greeter-1.NN
# (with DWARF) and greeter-1.NN-stripped (-ldflags='-s -w': pclntab only).
# Missing trees or toolchains give one warning line. Not part of `make test`.
#
# Usage: bash tools/build-grpc-greeter.sh [GO_VERSION]   (default: the newest)
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
want=${1:-}
if [ -n "$want" ]; then
	go=$(bash "$ROOT/tools/go-versions.sh" | awk -v v="$want" '$1 == v { print $2 }')
else
	go=$(bash "$ROOT/tools/go-versions.sh" | sort -V | tail -n1 | awk '{ print $2 }')
fi
[ -x "$go" ] || { echo "build-grpc-greeter: warning: no Go toolchain ${want:-at all}" >&2; exit 0; }
mkdir -p "$ROOT/build/grpc/bin"
found=0
for tree in "$ROOT"/build/grpc/1.*/usr/share/gocode; do
	[ -d "$tree/src/google.golang.org/grpc" ] || continue
	found=1
	v=${tree#"$ROOT"/build/grpc/}
	v=${v%%/*}
	out=$ROOT/build/grpc/bin/greeter-$v
	for kind in plain stripped; do
		flags=()
		o=$out
		[ $kind = stripped ] && { flags=(-ldflags='-s -w'); o=$out-stripped; }
		if ! GOROOT= GOTOOLCHAIN=local GOFLAGS= GO111MODULE=off GOPATH=$tree \
			GOCACHE="$ROOT/build/grpc/gocache" "$go" build "${flags[@]}" -o "$o" \
			"$ROOT/tests/grpc/greeter.go" 2>"$o.log"; then
			echo "build-grpc-greeter: warning: grpc $v with $("$go" version | cut -d' ' -f3): $(tail -n1 "$o.log" | sed "s/^[[:space:]]*//")" >&2
			continue
		fi
		rm -f "$o.log"
	done
done
[ $found -eq 1 ] || echo "build-grpc-greeter: warning: no grpc tree under build/grpc (run tools/fetch-grpc.sh)" >&2
exit 0
