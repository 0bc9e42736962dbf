#!/usr/bin/env bash
# weft-test-timeout: 240
# weft agent when the collector goes away: a Go server (gohttp keep, newest
# Go) serves 200 /ok, then 3000 with the collector stopped, then 200 with
# it back on the same port. The agent's queue is small (--otlp-queue 256k):
#   - every span is accounted for: sent + dropped (queue full) = the spans
#     made, 2 per request, none failed (the batch at the queue's head is
#     retried, with backoff, until the collector is back); some were
#     dropped; the collectors hold exactly the spans said sent;
#   - what came before and after the outage arrived whole: the first 200
#     requests' 400 spans, and once the queue has drained, the last 200's;
#     no transaction twice, none without its worker;
#   - the metrics (every 500 ms): weft.export.dropped says the same counts,
#     weft.transactions 3400 GET /ok (all judged, sent or not), the traps 4
#     per request, and a duration histogram whose buckets add up to 3400;
#   - the target kept serving: 3400 requests, none failed.
. "$(dirname "$0")/lib.sh"
require_root
require_weft

collector_start "$TMP/col1.jsonl" || finish
V=$(bash "$ROOT/tools/go-versions.sh" | tail -n1 | awk '{ print $1 }')
matrix_cell go "$V" "agent: collector stopped"
GO=$TMP/gohttp-drops
cp "$ROOT/build/tests/go/$V/gohttp" "$GO"

bg GP env WEFT_TEST_LOG="$TMP/g.log" "$GO" 0 0 0 keep
wait_for "$TMP/g.log" 'gohttp listening' 10 "$GP" || { fail "gohttp did not listen"; finish; }
P=$(sed -n 's/^gohttp listening 127.0.0.1:\([0-9]*\)$/\1/p' "$TMP/g.log")
bg AP env OTEL_METRIC_EXPORT_INTERVAL=500 "$WEFT" agent --otlp "http://127.0.0.1:$COL_HTTP" \
	--otlp-queue 256k -p "$GP" --leak-grace 100ms 2>"$TMP/agent.err"
wait_for "$TMP/agent.err" "attached to pid $GP " 20 "$AP" || { fail "not attached: $(cat "$TMP/agent.err")"; finish; }

# spans of the pid the collector holds
held() {
	cat "$TMP"/col[12].jsonl >"$TMP/col.jsonl" 2>/dev/null
	python3 "$ROOT/tests/runtime/otlp_decode.py" --collector "$TMP/col.jsonl" |
		python3 -c 'import json, sys; print(sum(1 for s in json.load(sys.stdin)["spans"] if int(s["pid"]) == '"$GP"'))'
}
load() { python3 "$ROOT/tests/runtime/conns.py" "$P" "$1" /ok; }

assert_match "$(load 200)" "^conns 200 bad 0 " "before: 200 requests"
for _ in $(seq 30); do [ "$(held)" = 400 ] && break; sleep 0.2; done
assert_eq "$(held)" 400 "before: the collector got the 200 requests' 400 spans"
collector_stop
assert_match "$(load 3000)" "^conns 3000 bad 0 " "during: 3000 requests served"
sleep 2
bg COL_PID "$ROOT/build/otelcol/bin/weft-otelcol" -o "$TMP/col2.jsonl" -grpc "127.0.0.1:$COL_GRPC" \
	-http "127.0.0.1:$COL_HTTP" 2>"$TMP/col2.log"
wait_for "$TMP/col2.log" 'Everything is ready' 10 "$COL_PID" || fail "the collector did not come back"
# what the queue held goes once the retry of its head gets through (its
# backoff is up to 3.2 s): until the count stands still
prev=-1
for _ in $(seq 20); do now=$(held); [ "$now" = "$prev" ] && [ "$now" -gt 400 ] && break; prev=$now; sleep 1; done
back=$(held)
assert_match "$(load 200)" "^conns 200 bad 0 " "after: 200 requests"
for _ in $(seq 30); do [ "$(held)" = $((back + 400)) ] && break; sleep 0.2; done
assert_eq "$(held)" $((back + 400)) "after: the collector got the 200 requests' 400 spans"
kill -INT "$AP"
wait_exit "$AP" 20 || fail "the agent did not stop"
collector_stop
kill "$GP"
cat "$TMP/agent.err" >&2

line=$(grep "^weft agent: pid $GP: " "$TMP/agent.err")
read -r txns spans sent dropped failed < <(sed -E 's/^.*: ([0-9]+) transactions, ([0-9]+) spans; ([0-9]+) sent in [0-9]+ requests, ([0-9]+) dropped \(queue full\), ([0-9]+) failed.*$/\1 \2 \3 \4 \5/' <<<"$line")
assert_eq "$txns $spans" "3400 6800" "every request exported: 3400 transactions, 6800 spans ($line)"
assert_eq "$((sent + dropped + failed))" 6800 "every span sent, dropped or failed"
assert_eq "$failed" 0 "none given up: the queue's head waits for the collector (retries, backoff)"
[ "${dropped:-0}" -gt 0 ] || fail "the outage dropped nothing: the queue (256k) should not hold 6000 spans"
got=$(held)
assert_eq "$got" "$sent" "the collector holds exactly the spans said sent"

held >/dev/null # col.jsonl: both collectors' output
python3 "$ROOT/tests/runtime/otlp_decode.py" --collector "$TMP/col.jsonl" >"$TMP/col.json"
SENT=$sent py_checks "$TMP/col.json" "collector" <<'PY'
t = [s for s in d['spans'] if s['parent'] == '']
ids = [int(s['attrs']['weft.txn']) for s in t]
kids = {(s['trace'], s['parent']) for s in d['spans'] if s['parent']}
check(len(ids) == len(set(ids)), "each transaction sent once")
check(all((s['trace'], s['span']) in kids for s in t), "each with its worker")
check(len(t) * 2 == int(E['SENT']), "2 spans per transaction sent: %d roots" % len(t))
PY
python3 "$ROOT/tests/runtime/otlp_decode.py" --collector "$TMP/col1.jsonl" >"$TMP/before.json"
assert_py "$TMP/before.json" "len([s for s in d['spans'] if s['parent'] == '']) == 200" "the first 200 arrived"

python3 "$ROOT/tests/runtime/otlp_metrics.py" "$TMP/col.jsonl" --pid "$GP" >"$TMP/metrics"
m() { sed -n "s/^$1 //p" "$TMP/metrics"; }
assert_eq "$(m 'weft.export.dropped{weft.reason=queue_full}')" "$dropped" "metrics: the spans dropped"
assert_eq "$(m 'weft.export.dropped{weft.reason=refused}')" "$failed" "metrics: the spans given up"
assert_eq "$(m 'weft.transactions{weft.txn.name=GET \/ok}')" 3400 "metrics: 3400 GET /ok"
assert_eq "$(m 'weft.traps{weft.txn.name=GET \/ok}')" 13600 "metrics: 4 traps per request"
assert_eq "$(m 'weft.continuations{weft.txn.name=GET \/ok}')" 3400 "metrics: a worker per request"
assert_eq "$(m 'weft.events.lost{}') $(m 'weft.map.evicted{}')" "0 0" "metrics: nothing lost or evicted"
h=$(m 'weft.transaction.duration{weft.txn.name=GET \/ok}')
assert_match "$h" "^count=3400 buckets=" "metrics: the duration histogram counts 3400"
assert_eq "$(( $(tr ',' '+' <<<"${h#*buckets=}") ))" 3400 "metrics: its buckets add up"
finish
