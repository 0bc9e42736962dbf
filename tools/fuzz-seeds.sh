#!/usr/bin/env bash
# fuzz-seeds.sh OUT: seeds for make fuzz's binary and perf map readers:
# the Go test programs weft's tests build (every Go version, as built and
# stripped), every node version reduced to what nodeelf reads, a perf map
# node writes. Made once; rerun-safe.
set -u
OUT=${1:-build}
for b in "$OUT"/tests/go/*/gohttp "$OUT"/tests/go/*/gohttp.stripped; do
	[ -f "$b" ] || continue
	v=$(basename "$(dirname "$b")")
	cp -n "$b" "$OUT/fuzz-goelf/$v-$(basename "$b")" 2>/dev/null
done
# node: each version reduced to what nodeelf reads (tests/fuzz/node_seed.c,
# ~40 KB, checked to read the same), made anew each run (a second each); a
# whole node (100-150 MB) is cut at -max_len before its section headers
rm -f "$OUT/fuzz-nodeelf/node"
bash "$(dirname "$0")/node-versions.sh" | while read -r major path; do
	"$OUT/node_seed" "$path" "$OUT/fuzz-nodeelf/node$major.seed" ||
		echo "fuzz-seeds: no seed for node $major ($path)" >&2
done
node=$(bash "$(dirname "$0")/node-versions.sh" | head -n1 | awk '{ print $2 }')
if [ ! -s "$OUT/fuzz-perfmap/node.map" ] && [ -n "$node" ]; then
	"$node" --perf-basic-prof -e 'for (let i = 0; i < 1e5; i++) JSON.stringify({ i });
		require("fs").copyFileSync("/tmp/perf-" + process.pid + ".map", process.argv[1]);' \
		"$OUT/fuzz-perfmap/node.map.tmp" 2>/dev/null
	head -c 200000 "$OUT/fuzz-perfmap/node.map.tmp" >"$OUT/fuzz-perfmap/node.map" 2>/dev/null
	rm -f "$OUT/fuzz-perfmap/node.map.tmp" /tmp/perf-*.map.weft-seed
fi
exit 0
