#!/usr/bin/env bash
# weft-test-timeout: 180
# Attaching to a busy Go server (tests/go/gohttp.go, newest Go) must not
# hand out an id twice: at -p, weft seeds the goroutines that exist with
# ids of a block it reserves while creation probes may already run. 20
# attaches of 0.3 s each (half of them with single uprobe links, live one
# by one) while a client opens connection after connection:
# in every capture, no id is taken twice (duplicate_ids 0), each goroutine
# is there once (goids never repeat in a process), every request is a
# transaction; 0 lost, 0 evicted.
. "$(dirname "$0")/lib.sh"
require_root
require_weft

v=$(bash "$ROOT/tools/go-versions.sh" | tail -n1 | awk '{ print $1 }')
[ -n "$v" ] || skip "no Go toolchain installed (tools/install-deps.sh installs them)"
BIN=$ROOT/build/tests/go/$v/gohttp
[ -x "$BIN" ] || { fail "$BIN not built (make go-targets)"; finish; }
"$BIN" 0 0 0 keep >"$TMP/srv.out" 2>&1 &
SRV=$!
for _ in $(seq 200); do grep -q "gohttp listening" "$TMP/srv.out" && break; sleep 0.05; done
P=$(sed -n 's/.*gohttp listening 127.0.0.1:\([0-9]*\).*/\1/p' "$TMP/srv.out" | head -1)
[ -n "$P" ] || { fail "the server did not start: $(tail -c 300 "$TMP/srv.out")"; kill $SRV; finish; }
python3 "$ROOT/tests/runtime/conns.py" "$P" 100000000 /none >/dev/null 2>&1 &
LOAD=$!
trap 'kill $LOAD $SRV 2>/dev/null' EXIT
sleep 0.3
for i in $(seq 20); do
	# half with one link per probe, each live as it is attached (the
	# fallback without multi-uprobe links): the transaction probes run
	# while the goroutines are seeded
	single=$((i % 2))
	WEFT_NO_UPROBE_MULTI=$single "$WEFT" record -p "$SRV" -d 0.3 -o "$TMP/a$i.wr" >"$TMP/a$i.out" 2>&1 ||
		{ fail "attach $i: $(tail -c 300 "$TMP/a$i.out")"; continue; }
	"$WEFT" report --format json "$TMP/a$i.wr" >"$TMP/a$i.json" 2>"$TMP/a$i.err"
	out=$(python3 - "$TMP/a$i.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
c = d["capture"]
goids = [s["obj"] for s in d["segments"] if s["kind"] == "goroutine"]
print(c["duplicate_ids"], len(goids) - len(set(goids)), c["lost_events"], c["evicted"],
      len(d["transactions"]) > 0)
PY
)
	assert_eq "$out" "0 0 0 0 True" "attach $i (single links: $single): ids given once, each goroutine once, 0 lost, 0 evicted, requests seen"
done
kill $LOAD $SRV 2>/dev/null
finish
