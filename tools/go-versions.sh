#!/usr/bin/env bash
# Prints the Go toolchains weft's tests build with, one per line, sorted by
# version: Debian's golang-1.NN-go packages installed on the machine
# (bookworm, bookworm-backports) and those tools/fetch-go.sh unpacked under
# build/go/ (trixie, sid), the installed one first when both exist:
#   1.19 /usr/lib/go-1.19/bin/go
#   1.27 /work/main/build/go/1.27/usr/lib/go-1.27/bin/go
# Prints nothing (and succeeds) when there is none.
# WEFT_GO_VERSIONS="1.19 1.27" (or "oldest newest") keeps only those: make
# quick's subset.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
for go in /usr/lib/go-1.*/bin/go "$ROOT"/build/go/1.*/usr/lib/go-1.*/bin/go; do
	[ -x "$go" ] || continue
	v=${go%/bin/go}
	v=${v##*/go-}
	[[ $v =~ ^1\.[0-9]+$ ]] || continue
	echo "$v $go"
done | sort -s -u -t' ' -k1,1 | sort -t. -k1,1n -k2,2n |
	bash "$ROOT/tools/pick-versions.sh" "${WEFT_GO_VERSIONS:-}"
