#!/usr/bin/env bash
# Smoke test of the test collector (issue 21): fetches and builds it if
# needed (tools/fetch-otelcol.sh, tools/build-otelcol.sh), starts it on two
# free 127.0.0.1 ports, sends a trace and a metric as OTLP/HTTP JSON with
# curl and a trace and a log over OTLP/gRPC (weft-otelcol send), and checks
# that each is in the collector's OTLP JSON file (and the traces in the
# debug exporter's text). Exit 0 when all is there, else 1 and why.
#
# Usage: bash tests/otelcol/smoke.sh
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$ROOT/build/otelcol/bin/weft-otelcol
fail() { echo "otelcol smoke: $*" >&2; exit 1; }

bash "$ROOT/tools/fetch-otelcol.sh"
bash "$ROOT/tools/build-otelcol.sh" || fail "build failed"
[ -x "$BIN" ] || fail "no ${BIN#"$ROOT"/} (see the line above)"
command -v curl >/dev/null || fail "no curl"
command -v python3 >/dev/null || fail "no python3"

T=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
read -r GRPC HTTP < <(python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*(x.getsockname()[1] for x in s))')

"$BIN" -o "$T/out.jsonl" -debug "$T/debug.txt" -grpc "127.0.0.1:$GRPC" -http "127.0.0.1:$HTTP" 2>"$T/log" &
pid=$!
for _ in $(seq 100); do
	grep -q 'Everything is ready' "$T/log" && break
	kill -0 "$pid" 2>/dev/null || fail "collector exited: $(tail -n1 "$T/log")"
	sleep 0.1
done
grep -q 'Everything is ready' "$T/log" || fail "collector not ready after 10 s: $(tail -n1 "$T/log")"

# span NAME TRACEID: one span of service weft-smoke, as OTLP JSON
span()
{
	printf '{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"weft-smoke"}}]},'
	printf '"scopeSpans":[{"scope":{"name":"weft"},"spans":[{"traceId":"%s","spanId":"00f067aa0ba902b7",' "$2"
	printf '"name":"%s","kind":2,"startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000002000000",' "$1"
	printf '"attributes":[{"key":"weft.site","value":{"stringValue":"server.c:87"}}]}]}]}]}\n'
}
metric='{"resourceMetrics":[{"resource":{},"scopeMetrics":[{"metrics":[{"name":"weft.smoke.leaked","sum":{"aggregationTemporality":2,"isMonotonic":true,"dataPoints":[{"asInt":"2","timeUnixNano":"1700000000000000000"}]}}]}]}]}'
log='{"resourceLogs":[{"resource":{},"scopeLogs":[{"logRecords":[{"timeUnixNano":"1700000000000000000","body":{"stringValue":"weft smoke log"}}]}]}]}'

post() # PATH JSON
{
	local code
	code=$(curl -s -o "$T/reply" -w '%{http_code}' -H 'Content-Type: application/json' \
		--data-binary "$2" "http://127.0.0.1:$HTTP$1") || fail "curl $1: cannot connect"
	[ "$code" = 200 ] || fail "POST $1: HTTP $code: $(cat "$T/reply")"
}
post /v1/traces "$(span smoke-http 4bf92f3577b34da6a3ce929d0e0e4736)"
post /v1/metrics "$metric"
span smoke-grpc 5bf92f3577b34da6a3ce929d0e0e4737 | "$BIN" send -grpc "127.0.0.1:$GRPC" || fail "gRPC trace not accepted"
echo "$log" | "$BIN" send -grpc "127.0.0.1:$GRPC" || fail "gRPC log not accepted"

# every line is OTLP JSON; each thing sent is there once
python3 - "$T/out.jsonl" <<'EOF' || fail "not in the collector's output (above)"
import json, sys
spans, metrics, logs = {}, {}, []
for line in open(sys.argv[1]):
    d = json.loads(line)
    for rs in d.get("resourceSpans", []):
        svc = {a["key"]: a["value"] for a in rs["resource"].get("attributes", [])}
        for ss in rs["scopeSpans"]:
            for s in ss["spans"]:
                spans[s["name"]] = (s["traceId"], svc["service.name"]["stringValue"],
                                    s["attributes"][0]["value"]["stringValue"])
    for rm in d.get("resourceMetrics", []):
        for sm in rm["scopeMetrics"]:
            for m in sm["metrics"]:
                metrics[m["name"]] = m["sum"]["dataPoints"][0]["asInt"]
    for rl in d.get("resourceLogs", []):
        for sl in rl["scopeLogs"]:
            logs += [r["body"]["stringValue"] for r in sl["logRecords"]]
want_spans = {"smoke-http": ("4bf92f3577b34da6a3ce929d0e0e4736", "weft-smoke", "server.c:87"),
              "smoke-grpc": ("5bf92f3577b34da6a3ce929d0e0e4737", "weft-smoke", "server.c:87")}
ok = spans == want_spans and metrics == {"weft.smoke.leaked": "2"} and logs == ["weft smoke log"]
if not ok:
    print("spans", spans, "metrics", metrics, "logs", logs, file=sys.stderr)
sys.exit(0 if ok else 1)
EOF
for n in smoke-http smoke-grpc; do
	grep -q "Name *: $n" "$T/debug.txt" || fail "span $n not in the debug exporter's text"
done

kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
[ $rc -eq 0 ] || fail "collector exited $rc on SIGTERM: $(tail -n1 "$T/log")"
echo "otelcol smoke: ok: $("$BIN" -h 2>&1 | sed -n 's/.*Collector \([^ ]*\) .*/collector \1/p'), 2 traces (HTTP JSON, gRPC), 1 metric (HTTP), 1 log (gRPC) in its OTLP JSON output"
