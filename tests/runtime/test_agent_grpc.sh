#!/usr/bin/env bash
# weft-test-timeout: 120
# weft agent over OTLP/gRPC, configured by the standard variables alone
# (OTEL_EXPORTER_OTLP_PROTOCOL=grpc, OTEL_EXPORTER_OTLP_ENDPOINT at the
# collector's gRPC port, OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES with
# an escaped comma), following gohttp 2 1 0 (newest Go) by -p:
#   - the collector's traces: the exact tree (2 /ok with their worker,
#     /leak with its leak event), under the service name and attributes
#     given;
#   - its metrics (OTEL_METRIC_EXPORT_INTERVAL=500): 2 GET /ok and 1 GET
#     /leak, 4 and 3 traps each, 1 leak at main.handleLeak (leakWorker);
#   - with only -p, the agent ends by itself once its target is gone;
#   - bad input, one line and exit 2: an unknown protocol, a URL that is
#     not http(s), --otlp outside the agent, nothing to follow.
. "$(dirname "$0")/lib.sh"
require_root
require_weft

collector_start "$TMP/col.jsonl" || finish
V=$(bash "$ROOT/tools/go-versions.sh" | tail -n1 | awk '{ print $1 }')
matrix_cell go "$V" "agent: OTLP/gRPC"

cp "$ROOT/build/tests/go/$V/gohttp" "$TMP/gohttp-grpc"
rm -f "$TMP/go"
bg GP env WEFT_TEST_WAIT="$TMP/go" WEFT_TEST_LOG="$TMP/g.log" "$TMP/gohttp-grpc" 2 1 0
bg AP env OTEL_EXPORTER_OTLP_PROTOCOL=grpc OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$COL_GRPC" \
	OTEL_SERVICE_NAME=checkout OTEL_RESOURCE_ATTRIBUTES='deployment.environment=ci,team=a%2Cb' \
	OTEL_METRIC_EXPORT_INTERVAL=500 "$WEFT" agent -p "$GP" --leak-grace 100ms 2>"$TMP/agent.err"
wait_for "$TMP/agent.err" "attached to pid $GP " 20 "$AP" || fail "not attached: $(cat "$TMP/agent.err")"
assert_match "$(head -n 1 "$TMP/agent.err")" "exporting to http://127.0.0.1:$COL_GRPC/opentelemetry.proto.collector.trace.v1.TraceService/Export \(OTLP/gRPC\)" \
	"the agent says where and how it exports"
touch "$TMP/go"
wait_exit "$GP" 20 || fail "gohttp did not finish"
wait_exit "$AP" 20 || fail "the agent did not end with its only target"
assert_eq "$RC" 0 "the agent's exit status"
collector_stop
cat "$TMP/agent.err" >&2
assert_match "$(grep "^weft agent: pid $GP: " "$TMP/agent.err")" \
	": 3 transactions, 6 spans; 6 sent in 1 requests, 0 dropped \(queue full\), 0 failed; metrics: [1-9][0-9]* sent, 0 lost$" \
	"every span and metric sent"
assert_eq "$(python3 "$ROOT/tests/runtime/otlp_tree.py" --collector "$TMP/col.jsonl" --pid "$GP")" "$GOHTTP_TREE" "the exact tree, over gRPC"
python3 "$ROOT/tests/runtime/otlp_decode.py" --collector "$TMP/col.jsonl" >"$TMP/col.json"
assert_jq "$TMP/col.json" \
	'd["resource"]["service.name"], d["resource"]["deployment.environment"], d["resource"]["team"], int(d["resource"]["process.pid"])' \
	"[\"checkout\",\"ci\",\"a,b\",$GP]" "the resource: OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, the pid"
python3 "$ROOT/tests/runtime/otlp_metrics.py" "$TMP/col.jsonl" --pid "$GP" >"$TMP/metrics"
m() { sed -n "s/^$1 //p" "$TMP/metrics"; }
assert_eq "$(m 'weft.transactions{weft.txn.name=GET \/ok}') $(m 'weft.transactions{weft.txn.name=GET \/leak}')" "2 1" \
	"metrics: 2 GET /ok, 1 GET /leak"
assert_eq "$(m 'weft.traps{weft.txn.name=GET \/ok}') $(m 'weft.traps{weft.txn.name=GET \/leak}')" "8 3" \
	"metrics: traps, 4 per /ok (begin, end, a worker's creation and exit), 3 for /leak"
assert_eq "$(m 'weft.leaked{weft.txn.name=GET \/leak,code.function=main.handleLeak,weft.start=main.leakWorker,weft.kind=goroutine}')" 1 \
	"metrics: the leak, by site"
assert_eq "$(m 'weft.export.dropped{weft.reason=queue_full}') $(m 'weft.export.dropped{weft.reason=refused}')" "0 0" \
	"metrics: nothing dropped"

# bad input: one line, exit 2, nothing started
weft_run "$TMP/b1.out" "$TMP/b1.err" agent --otlp-protocol thrift -p "$$"
assert_one_error_line "$TMP/b1.err" "an unknown protocol" "--otlp-protocol 'thrift': grpc or http/protobuf"
weft_run "$TMP/b2.out" "$TMP/b2.err" agent --otlp ftp://collector -p "$$"
assert_one_error_line "$TMP/b2.err" "a URL that is not http(s)" "not an http:// or https:// URL"
weft_run "$TMP/b3.out" "$TMP/b3.err" trace --otlp http://x -p "$$"
assert_one_error_line "$TMP/b3.err" "--otlp outside the agent" "belong to weft agent"
weft_run "$TMP/b4.out" "$TMP/b4.err" agent --otlp http://x
assert_one_error_line "$TMP/b4.err" "nothing to follow" "agent: nothing to follow"
finish
