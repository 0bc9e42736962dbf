#!/usr/bin/env bash
# --format perfetto (Chrome trace-event JSON): `weft report FILE` of a record
# of tests/targets/server.c (6 requests: threads, leaks, an orphan) and of
# cpushape.c with -F 999 --off-cpu (samples, off-CPU spans), and `weft trace
# -o`. Each file must keep the format's rules and match `weft report --format
# json` of the same capture (trace_event_check.py); then speedscope (npm) in
# headless Chromium loads it: a profile per track, named and weighed as the
# trace says.
. "$(dirname "$0")/lib.sh"
require_root
require_weft

CHECK=$RT_DIR/trace_event_check.py
SS=$ROOT/build/speedscope/package/dist/release/index.html

# check_trace NAME RECORD: perfetto and json reports of RECORD, checked
check_trace() {
	local out
	weft_run "$TMP/$1.json" "$TMP/$1.err" report "$2" --format perfetto -o "$TMP/$1.trace.json"
	assert_exit_ok "report --format perfetto ($1)"
	weft_run "$TMP/$1.report.json" "$TMP/$1.err2" report "$2" --format json
	assert_exit_ok "report --format json ($1)"
	CHECKS=$((CHECKS + 1))
	out=$(python3 "$CHECK" "$TMP/$1.trace.json" --report "$TMP/$1.report.json" 2>&1) ||
		fail "$1: trace-event rules: $out"
	note "$1: $out"
}

# speedscope NAME: loads $TMP/NAME.trace.json as speedscope's CLI does (a
# script calling speedscope.loadFileFromBase64), dumps the rendered page
speedscope() {
	local out js=$TMP/$1.load.js
	python3 -c 'import base64, json, sys
print("speedscope.loadFileFromBase64(%s, %s)" % (json.dumps(sys.argv[2]),
      json.dumps(base64.b64encode(open(sys.argv[1], "rb").read()).decode())))' \
		"$TMP/$1.trace.json" "$1.json" >"$js"
	timeout 60 chromium --headless --no-sandbox --disable-gpu --allow-file-access-from-files \
		--virtual-time-budget=5000 --dump-dom "file://$SS#localProfilePath=$js" \
		>"$TMP/$1.dom.html" 2>"$TMP/$1.chromium.err"
	CHECKS=$((CHECKS + 1))
	out=$(python3 "$CHECK" "$TMP/$1.trace.json" --speedscope "$TMP/$1.dom.html" 2>&1) ||
		fail "$1: speedscope: $out"
	note "$1: $out"
}

target S server
weft_run "$TMP/s.out" "$TMP/s.err" record -o "$TMP/server.weft" --txn handle_request -- "$S" 6
assert_exit_ok "record -- server 6"
check_trace server "$TMP/server.weft"
J=$TMP/server.trace.json
assert_jq "$J" 'len([e for e in d["traceEvents"] if e["ph"] == "X" and e["cat"] == "txn" and e["name"] == "handle_request"])' 6 "6 handle_request slices"
assert_jq "$J" 'sorted(e["args"]["leaked"] for e in d["traceEvents"] if e["ph"] == "X" and e["cat"] == "txn")' '[0,0,0,0,1,1]' "leaked per txn slice"
assert_jq "$J" 'len([e for e in d["traceEvents"] if e["ph"] == "X" and e.get("args", {}).get("state") == "leaked"])' 2 "2 leaked thread slices"
assert_jq "$J" 'len([e for e in d["traceEvents"] if e["ph"] == "M" and e["name"] == "thread_name" and e["args"]["name"] == "leak_worker_main"])' 2 "leak_worker_main tracks"

target C cpushape
weft_run "$TMP/c.out" "$TMP/c.err" record -F 999 --off-cpu -o "$TMP/cpu.weft" -- "$C" 5 20
assert_exit_ok "record -F 999 --off-cpu -- cpushape 5 20"
check_trace cpu "$TMP/cpu.weft"
assert_py "$TMP/cpu.trace.json" 'len([e for e in d["traceEvents"] if e["ph"] == "i" and e["name"] == "spin_cpu"]) >= 50' "spin_cpu samples (5 x 20 ms at 999 Hz)"
assert_py "$TMP/cpu.trace.json" 'any(e["ph"] == "X" and e["cat"] == "offcpu" and "nanosleep" in e["name"] for e in d["traceEvents"])' "off-CPU slices in nanosleep"

# live: weft trace -o
weft_run "$TMP/t.out" "$TMP/t.err" trace --format perfetto -o "$TMP/live.trace.json" --txn handle_request -- "$S" 2
assert_exit_ok "trace --format perfetto -o"
CHECKS=$((CHECKS + 1))
out=$(python3 "$CHECK" "$TMP/live.trace.json" 2>&1) || fail "live: trace-event rules: $out"
assert_jq "$TMP/live.trace.json" 'len([e for e in d["traceEvents"] if e["ph"] == "X" and e["cat"] == "txn"])' 2 "live: 2 txn slices"

if ! command -v chromium >/dev/null; then
	note "speedscope part skipped: no chromium (tools/install-deps.sh installs it)"
elif [ ! -f "$SS" ]; then
	note "speedscope part skipped: no $SS (tools/fetch-speedscope.sh)"
else
	speedscope server
	speedscope cpu
fi
finish
