# tools/bench/go.sh - what the Go sections (4a, 4b, 7a, 7c) share: reading
# weft's JSON of a Go run, where weft's Go probes are and how the kernel
# takes them, gohttpbench's calibration. Sourced after lib.sh.

# shellcheck shell=bash disable=SC2034  # sourced: GO_SKIP, HTTP_* are for the section scripts
# go_json FILE EXPECT_NAME EXPECT_SEGS -> one line: events lost evicted
# goroutine_hits created ended txn_hits txns good_txns txn_goroutines, where
# created = goroutine segments not preattach, ended = those with an end,
# txn_hits = the --txn probes' hits, good_txns = transactions named
# EXPECT_NAME (any name if "-") with EXPECT_SEGS segments and no leak,
# txn_goroutines = segments created inside transactions.
go_json() {
	python3 - "$@" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
name, segs = sys.argv[2], int(sys.argv[3])
c = d["capture"]
gh = sum(p["hits"] for p in c["probes"] if p["name"] == "goroutine")
th = sum(p["hits"] for p in c["probes"] if p["spec"].startswith("--txn"))
g = [s for s in d["segments"] if s["kind"] == "goroutine"]
created = sum(1 for s in g if not s["preattach"])
ended = sum(1 for s in g if s["end_ns"] is not None)
t = d["transactions"]
good = sum(1 for x in t if (name == "-" or x["name"] == name) and x["segments"] == segs and not x["leaked"])
print(c["events"], c["lost_events"], c["evicted"], gh, created, ended, th, len(t), good,
      sum(x["segments"] for x in t))
PY
}

# gohttp_calibrate GH: HTTP_ITERS, the median of 3 calibrations of ~HTTP_WORK_US
# of work; HTTP_CAL, the 3 of them ("a/b/c")
gohttp_calibrate() {
	local cal=() _
	for _ in 1 2 3; do
		cal+=("$("$1" calibrate "$HTTP_WORK_US" 2>&1 | sed -n 's/.*iters=\([0-9]*\).*/\1/p')")
	done
	HTTP_ITERS=$(printf '%s\n' "${cal[@]}" | median)
	[ -n "$HTTP_ITERS" ] && [ "$HTTP_ITERS" != nan ] || die "$1 calibrate $HTTP_WORK_US failed"
	HTTP_CAL=$(
		IFS=/
		echo "${cal[*]}"
	)
}

# gohttp_setup: GH built with the newest Go and HTTP_ITERS, reused from
# section 4b's (or 7a's) JSON when it comes from this same `make bench` run
# and Go, else calibrated here; recorded in the section's meta. 1 (and
# GO_SKIP says why) if there is no Go.
gohttp_setup() {
	local j from=""
	if [ "${NO_GO:-0}" = 1 ]; then
		GO_SKIP="skipped (NO_GO=1)"
		return 1
	fi
	newest_go || {
		GO_SKIP="skipped: no Go toolchain installed (tools/install-deps.sh installs them)"
		return 1
	}
	GH=$W/gohttpbench-$GO_V
	note "building tests/bench/gohttpbench.go with Go $GO_V"
	go_build "$GO_BIN" "$GH" tests/bench/gohttpbench.go
	for j in 4b 7a; do
		[ -n "${BENCH_RUN_ID:-}" ] && [ -s "$BENCH_JSON_DIR/$j.json" ] || continue
		HTTP_ITERS=$(python3 -c 'import json, sys
m = json.load(open(sys.argv[1]))["meta"]
if m.get("run_id") == sys.argv[2] and m.get("go") == sys.argv[3] and m.get("iters"):
    print(m["iters"])' "$BENCH_JSON_DIR/$j.json" "$BENCH_RUN_ID" "$GO_V")
		[ -n "$HTTP_ITERS" ] && from=$j && break
	done
	if [ -z "$from" ]; then
		gohttp_calibrate "$GH"
		rec meta "calibrations=$HTTP_CAL"
	fi
	rec meta "go=$GO_V" "go_bin=$GO_BIN" "iters:=$HTTP_ITERS" "iters_from=$from" \
		"calibrate_cmd=$(showcmd "$GH" calibrate "$HTTP_WORK_US")" "reqs:=$HTTP_REQS" \
		"clients:=$HTTP_CLIENTS" "fanout:=$HTTP_FANOUT"
}
