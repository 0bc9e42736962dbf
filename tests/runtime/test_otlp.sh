#!/usr/bin/env bash
# weft-test-timeout: 120
# OTLP traces (weft report --format otlp): the span tree of a recorded Go
# and Node capture, decoded by our own reader of the wire format
# (otlp_decode.py, otlp_tree.py), is the tree the text report shows: a
# span per transaction, a child per continuation under the one that made
# it, each leak an event on its transaction's span (status error), each
# conflation a link to the transaction it began in (a call to itself
# marked). Then both files go to a real OpenTelemetry Collector
# (tools/build-otelcol.sh: sid's sources, our tests/otelcol main) as
# OTLP/HTTP protobuf, and what it wrote out is the same tree. Targets:
# gohttp (2 /ok, 1 /leak), newest Go; nodehttp.js (/ok, /leak, /nested
# twice, /self, /exit), newest Node.
. "$(dirname "$0")/lib.sh"
require_root
require_weft

TREE=$ROOT/tests/runtime/otlp_tree.py

V=$(bash "$ROOT/tools/go-versions.sh" | tail -n1 | awk '{ print $1 }')
matrix_cell go "$V" "otlp"
WEFT_TEST_LOG=$TMP/g.log weft_run "$TMP/g.out" "$TMP/g.err" record -o "$TMP/g.wr" -- \
	"$ROOT/build/tests/go/$V/gohttp" 2 1 0
assert_eq "$RC" 0 "go $V: recorded"
weft_run "$TMP/g.pb.out" "$TMP/g.pb.err" report "$TMP/g.wr" --format otlp -o "$TMP/g.pb"
assert_eq "$RC" 0 "go $V: report --format otlp"
assert_eq "$(python3 "$TREE" "$TMP/g.pb" 2>&1)" "$GOHTTP_TREE" "go $V: the span tree"
python3 "$ROOT/tests/runtime/otlp_decode.py" "$TMP/g.pb" >"$TMP/g.json"
assert_jq "$TMP/g.json" \
	'd["resource"]["service.name"], d["resource"]["process.runtime.version"].startswith("go1."), d["scope"]' \
	'["gohttp",true,"weft"]' "go $V: resource and scope"

read -r NV NODE <<<"$(bash "$ROOT/tools/node-versions.sh" | tail -n1)"
matrix_cell node "$NV" "otlp"
rm -f "$TMP/port"
WEFT_TEST_PORT_FILE=$TMP/port "$WEFT" record -o "$TMP/n.wr" -- "$NODE" "$ROOT/tests/node/nodehttp.js" \
	>"$TMP/n.out" 2>"$TMP/n.err" &
W=$!
for _ in $(seq 200); do [ -s "$TMP/port" ] && break; sleep 0.05; done
P=$(cat "$TMP/port" 2>/dev/null)
for u in /ok /leak /nested /nested /self; do python3 "$ROOT/tests/runtime/conns.py" "$P" 1 "$u" >/dev/null; done
sleep 0.7 # past the grace
python3 "$ROOT/tests/runtime/conns.py" "$P" 1 /exit >/dev/null
wait $W
weft_run "$TMP/n.pb.out" "$TMP/n.pb.err" report "$TMP/n.wr" --format otlp -o "$TMP/n.pb"
assert_eq "$RC" 0 "node $NV: report --format otlp"
python3 "$TREE" "$TMP/n.pb" >"$TMP/n.tree" 2>&1
assert_eq "$(grep -c '^GET' "$TMP/n.tree")" 9 "node $NV: a span per transaction"
assert_match "$(cat "$TMP/n.tree")" "GET /leak leaks=UDPWRAP error
  UDPWRAP leaked" "node $NV: the leak"
# the inner server's listener leaks; the connection it accepted for the
# second /inner too when it is still open a grace later (timing)
assert_match "$(cat "$TMP/n.tree")" "GET /nested leaks=TCPSERVERWRAP[A-Z,]* error
  TCPSERVERWRAP leaked" "node $NV: the first /nested's inner server leaks"
assert_eq "$(grep -c '^GET /inner links=GET /nested' "$TMP/n.tree")" 2 "node $NV: both /inner conflated with the first /nested"
assert_match "$(cat "$TMP/n.tree")" "GET /inner links=GET /nested stale" "node $NV: the second one after it ended"
assert_match "$(cat "$TMP/n.tree")" "GET /ok links=GET /self self" "node $NV: the call to itself"
assert_match "$(cat "$TMP/n.tree")" "bad parents 0" "node $NV: every parent in its trace"

# --- the collector: what it received is what weft wrote
collector_start "$TMP/col.jsonl" || finish
for f in g n; do
	code=$(curl -s -o "$TMP/$f.reply" -w '%{http_code}' -H 'Content-Type: application/x-protobuf' \
		--data-binary @"$TMP/$f.pb" "http://127.0.0.1:$COL_HTTP/v1/traces")
	assert_eq "$code" 200 "collector: $f.pb accepted ($(head -c 200 "$TMP/$f.reply"))"
done
collector_stop
python3 "$TREE" "$TMP/g.pb" >"$TMP/g.tree"
cat "$TMP/g.tree" "$TMP/n.tree" | grep -v '^traces\|^bad parents' >"$TMP/sent.tree"
python3 "$TREE" --collector "$TMP/col.jsonl" 2>&1 | grep -v '^traces\|^bad parents' >"$TMP/got.tree"
assert_eq "$(cat "$TMP/got.tree")" "$(cat "$TMP/sent.tree")" "collector: the same span trees, leaks and links"
assert_eq "$(python3 "$TREE" --collector "$TMP/col.jsonl" | tail -n 2)" "traces 12
bad parents 0" "collector: 12 traces, every parent there"
finish
