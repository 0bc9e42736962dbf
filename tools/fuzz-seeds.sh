#!/usr/bin/env bash
# fuzz-seeds.sh OUT: seeds for make fuzz's binary and perf map readers:
# the Go test programs weft's tests build (every Go version, as built and
# stripped), node (the smallest at hand: it is ~100 MB), a perf map node
# writes. Copied once; rerun-safe.
set -u
OUT=${1:-build}
for b in "$OUT"/tests/go/*/gohttp "$OUT"/tests/go/*/gohttp.stripped; do
	[ -f "$b" ] || continue
	v=$(basename "$(dirname "$b")")
	cp -n "$b" "$OUT/fuzz-goelf/$v-$(basename "$b")" 2>/dev/null
done
node=$(bash "$(dirname "$0")/node-versions.sh" | head -n1 | awk '{ print $2 }')
[ -n "$node" ] && [ ! -f "$OUT/fuzz-nodeelf/node" ] && cp "$node" "$OUT/fuzz-nodeelf/node"
if [ ! -s "$OUT/fuzz-perfmap/node.map" ] && [ -n "$node" ]; then
	"$node" --perf-basic-prof -e 'for (let i = 0; i < 1e5; i++) JSON.stringify({ i });
		require("fs").copyFileSync("/tmp/perf-" + process.pid + ".map", process.argv[1]);' \
		"$OUT/fuzz-perfmap/node.map.tmp" 2>/dev/null
	head -c 200000 "$OUT/fuzz-perfmap/node.map.tmp" >"$OUT/fuzz-perfmap/node.map" 2>/dev/null
	rm -f "$OUT/fuzz-perfmap/node.map.tmp" /tmp/perf-*.map.weft-seed
fi
exit 0
