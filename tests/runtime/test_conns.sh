#!/usr/bin/env bash
# weft-test-timeout: 300
# Hours on a busy server, in short: 20,000 short connections (one request
# each, Connection: close), one after the other, to a traced Node server
# (tests/node/nodehttp.js, every Node at hand) and Go server
# (tests/go/gohttp.go, oldest and newest Go), at the default map sizes.
# What tracks a live request or connection must be let go when it ends:
# every request is a transaction that ends, 0 lost, 0 evicted.
. "$(dirname "$0")/lib.sh"
require_root
require_weft

N=${WEFT_CONNS:-20000}
CONNS=$ROOT/tests/runtime/conns.py

# summary FILE.wr: "txns ended lost evicted" of weft report's JSON
summary() {
	"$WEFT" report --format json "$1" >"$1.json" 2>"$1.err" || { echo "report failed: $(head -c 300 "$1.err")"; return; }
	python3 - "$1.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
t = d["transactions"]
print(len(t), sum(1 for x in t if x["end_ns"]), d["capture"]["lost_events"], d["capture"]["evicted"])
PY
}

NODES=$(bash "$ROOT/tools/node-versions.sh")
while read -r V NODE; do
	[ -n "$V" ] || continue
	matrix_cell node "$V" "20k connections"
	rm -f "$TMP/port"
	WEFT_TEST_PORT_FILE=$TMP/port "$WEFT" record -o "$TMP/n-$V.wr" -- "$NODE" "$ROOT/tests/node/nodehttp.js" \
		>"$TMP/n-$V.out" 2>&1 &
	W=$!
	for _ in $(seq 200); do [ -s "$TMP/port" ] && break; sleep 0.05; done
	[ -s "$TMP/port" ] || { fail "node $V: the server did not start: $(tail -c 300 "$TMP/n-$V.out")"; kill $W; wait $W; continue; }
	P=$(cat "$TMP/port")
	assert_match "$(python3 "$CONNS" "$P" "$N")" "^conns $N bad 0 " "node $V: $N connections served"
	python3 "$CONNS" "$P" 1 /exit >/dev/null 2>&1
	wait $W
	assert_eq "$(summary "$TMP/n-$V.wr")" "$((N + 1)) $((N + 1)) 0 0" \
		"node $V: every request a transaction that ends (and /exit's), 0 lost, 0 evicted"
done <<<"$NODES"

VERSIONS=$(bash "$ROOT/tools/go-versions.sh")
for v in $( (head -n1; tail -n1) <<<"$VERSIONS" | awk '{ print $1 }' | uniq); do
	BIN=$ROOT/build/tests/go/$v/gohttp
	[ -x "$BIN" ] || { fail "go $v: $BIN not built (make go-targets)"; continue; }
	matrix_cell go "$v" "20k connections"
	"$WEFT" record -o "$TMP/g-$v.wr" -- "$BIN" 0 0 0 keep >"$TMP/g-$v.out" 2>&1 &
	W=$!
	for _ in $(seq 200); do grep -q "gohttp listening" "$TMP/g-$v.out" && break; sleep 0.05; done
	P=$(sed -n 's/.*gohttp listening 127.0.0.1:\([0-9]*\).*/\1/p' "$TMP/g-$v.out" | head -1)
	[ -n "$P" ] || { fail "go $v: the server did not start: $(tail -c 300 "$TMP/g-$v.out")"; kill $W; wait $W; continue; }
	# a path no handler has: net/http's 404, a transaction all the same
	assert_match "$(python3 "$CONNS" "$P" "$N" /none)" "^conns $N bad 0 " "go $v: $N connections served"
	kill -INT $W
	wait $W
	# weft stopped by a signal leaves its command running: the test ends it
	kill "$(sed -n 's/.*gohttp main goid=1 pid=\([0-9]*\).*/\1/p' "$TMP/g-$v.out")" 2>/dev/null
	assert_eq "$(summary "$TMP/g-$v.wr")" "$N $N 0 0" \
		"go $v: every request a transaction that ends, 0 lost, 0 evicted"
done
finish
