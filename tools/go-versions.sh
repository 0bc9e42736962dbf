#!/usr/bin/env bash
# Prints the installed Go toolchains (Debian's golang-1.NN-go packages), one
# per line, sorted by version:
#   1.19 /usr/lib/go-1.19/bin/go
#   1.23 /usr/lib/go-1.23/bin/go
# Prints nothing (and succeeds) when none is installed.
set -euo pipefail
for go in /usr/lib/go-1.*/bin/go; do
	[ -x "$go" ] || continue
	v=${go#/usr/lib/go-}
	v=${v%%/*}
	[[ $v =~ ^1\.[0-9]+$ ]] || continue
	echo "$v $go"
done | sort -t. -k1,1n -k2,2n
