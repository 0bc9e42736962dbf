#!/usr/bin/env bash
# Section 4b: a net/http server with its own load generator
# (tests/bench/gohttpbench.go), built with the newest installed Go and with
# Go 1.23 (the production release beside it) when installed: req/s
# untraced, under weft (no --txn: every request a transaction), under weft
# --go-lean (no exit probe) and under Go's runtime/trace, one run of each
# per round in a rotating order; traps and goroutines per request.
# Knobs: HTTP_RUNS [8] HTTP_MID_RUNS [4] (0: no Go 1.23) HTTP_REQS [8000]
#        HTTP_CLIENTS [4] HTTP_FANOUT [3] HTTP_WORK_US [100] NO_GO=1
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/go.sh"
bench_init 4b

HTTP_RUNS=${HTTP_RUNS:-8}
HTTP_MID_RUNS=${HTTP_MID_RUNS:-4}
[ "${NO_GO:-0}" = 1 ] && skip_section "skipped (NO_GO=1)"
newest_go || skip_section "skipped: no Go toolchain installed (tools/install-deps.sh installs them)"
GH=$W/gohttpbench-$GO_V
note "go: building tests/bench/gohttpbench.go with Go $GO_V"
go_build "$GO_BIN" "$GH" tests/bench/gohttpbench.go
gohttp_calibrate "$GH"
GO_MID_BIN=$(awk '$1 == "1.23" { print $2 }' <<<"$GO_VERS")
[ "$GO_V" != 1.23 ] && [ "$HTTP_MID_RUNS" -gt 0 ] || GO_MID_BIN=""
[ -z "$GO_MID_BIN" ] || go_build "$GO_MID_BIN" "$W/gohttpbench-1.23" tests/bench/gohttpbench.go

HTTP_ARGS=("$HTTP_REQS" "$HTTP_CLIENTS" "$HTTP_FANOUT" "$HTTP_ITERS")
http_n=$((HTTP_REQS + HTTP_CLIENTS)) # + the warm-up requests
# http_cmds BIN: the three ways' commands for that build
http_cmds() {
	HU_CMD=("$1" "${HTTP_ARGS[@]}")
	HW_CMD=("$WEFT" trace --format json -o "$W/gh.json" -- "$1" "${HTTP_ARGS[@]}")
	HL_CMD=("$WEFT" trace --go-lean --format json -o "$W/gh.json" -- "$1" "${HTTP_ARGS[@]}")
	HG_CMD=(env GOHTTPBENCH_TRACE="$W/go.trace" "$1" "${HTTP_ARGS[@]}")
}
http_cmds "$GH"
rec meta "go=$GO_V" "go_bin=$GO_BIN" "runs:=$HTTP_RUNS" "reqs:=$HTTP_REQS" "clients:=$HTTP_CLIENTS" \
	"fanout:=$HTTP_FANOUT" "work_us:=$HTTP_WORK_US" "iters:=$HTTP_ITERS" "calibrations=$HTTP_CAL" \
	"calibrate_cmd=$(showcmd "$GH" calibrate "$HTTP_WORK_US")" "transactions:=$http_n" \
	"untraced_cmd=$(showcmd "${HU_CMD[@]}")" "weft_cmd=$(showcmd "${HW_CMD[@]}")" \
	"lean_cmd=$(showcmd "${HL_CMD[@]}")" "trace_cmd=$(showcmd "${HG_CMD[@]}")"
http_rate() { sed -n 's/^gohttpbench .*req_per_s=\([0-9.]*\).*/\1/p' "$1" | tail -1; }

# one run of each way, recorded as "run" records (way u, w or g)
http_u() {
	local tm rate
	tm=$(run_timed /dev/null "$W/hu.err" "${HU_CMD[@]}")
	rate=$(http_rate "$W/hu.err")
	[ -n "$rate" ] || die "$(showcmd "${HU_CMD[@]}") failed: $(head -3 "$W/hu.err")"
	rec run "go=$gv" "way=u" "round:=$r" "rate:=$rate" "cpu:=$(cpu_of "$tm")"
}
# http_weft WAY: weft's way w (as built) or l (--go-lean: one trap per
# goroutine, its exit read from the runtime's goroutine list)
http_weft() {
	local way=$1 tm rate ok ev lost evicted gh created ended th ntx good cmd
	if [ "$way" = l ]; then cmd=("${HL_CMD[@]}"); else cmd=("${HW_CMD[@]}"); fi
	rm -f "$W/gh.json"
	tm=$(run_timed /dev/null "$W/hw.err" "${cmd[@]}")
	rate=$(http_rate "$W/hw.err")
	if [ -z "$rate" ] || [ ! -s "$W/gh.json" ]; then
		problem "go http: '$(showcmd "${cmd[@]}")' failed: $(grep -v '^gohttpbench ' "$W/hw.err" | head -3 | tr '\n' ' ')"
		rec run "go=$gv" "way=$way" "round:=$r" "rate:=" "failed=yes"
		return
	fi
	read -r ev lost evicted gh created ended th ntx good _ <<<"$(go_json "$W/gh.json" "GET /work" "$HTTP_FANOUT")"
	ok=yes
	if [ "$way" = l ]; then
		[ "$gh" = "$created" ] || ok="no: goroutine hits $gh, expected created = $created"
	else
		[ "$gh" = $((created + ended)) ] || ok="no: goroutine hits $gh, expected created + ended = $((created + ended))"
	fi
	[ "$th" = $((2 * http_n)) ] || ok="no: ServeHTTP hits $th, expected $((2 * http_n))"
	[ "$ntx" = "$http_n" ] && [ "$good" = "$http_n" ] ||
		ok="no: $ntx transactions, $good of them \"GET /work\" with $HTTP_FANOUT goroutines and no leak, expected $http_n"
	[ "$lost" = 0 ] && [ "$evicted" = 0 ] || problem "go http run $r ($way): $lost lost events, $evicted evicted"
	[ "$ok" = yes ] || problem "go http run $r ($way): counts: $ok"
	rec run "go=$gv" "way=$way" "round:=$r" "rate:=$rate" "cpu:=$(cpu_of "$tm")" "events:=$ev" "lost:=$lost" \
		"evicted:=$evicted" "transactions:=$ntx" "created:=$created" "ended:=$ended" "goroutine_hits:=$gh" \
		"txn_hits:=$th" "ok=$ok"
	[ "$r" = "$runs" ] && json_sites "$gv (gohttpbench$([ "$way" = l ] && echo ", --go-lean"))" "$W/gh.json" "$ntx" request
	return 0
}
http_w() { http_weft w; }
http_l() { http_weft l; }
http_g() {
	local tm rate
	rm -f "$W/go.trace"
	tm=$(run_timed /dev/null "$W/hg.err" "${HG_CMD[@]}")
	rate=$(http_rate "$W/hg.err")
	[ -n "$rate" ] || die "$(showcmd "${HG_CMD[@]}") failed: $(head -3 "$W/hg.err")"
	rec run "go=$gv" "way=g" "round:=$r" "rate:=$rate" "cpu:=$(cpu_of "$tm")" \
		"trace_bytes:=$(stat -c %s "$W/go.trace" 2>/dev/null || echo 0)"
}

# the order rotates from round to round, so no way always follows the
# same other one
HTTP_ORDERS=("u w l g" "w l g u" "l g u w" "g u w l")
declare -A HTTP_WAY=([u]=untraced [w]=weft [l]="weft --go-lean" [g]=runtime/trace)
# http_rounds GO_VERSION BIN RUNS
http_rounds() {
	gv=$1 runs=$3
	http_cmds "$2"
	rec version "go=$gv" "runs:=$runs" "untraced_cmd=$(showcmd "${HU_CMD[@]}")" \
		"weft_cmd=$(showcmd "${HW_CMD[@]}")" "lean_cmd=$(showcmd "${HL_CMD[@]}")" \
		"trace_cmd=$(showcmd "${HG_CMD[@]}")"
	for ((r = 1; r <= runs; r++)); do
		order=${HTTP_ORDERS[(r - 1) % 4]}
		ways=$(for k in $order; do printf '%s, ' "${HTTP_WAY[$k]}"; done)
		ways=${ways%, }
		note "go $gv http: run $r/$runs: $ways"
		rec round "go=$gv" "round:=$r" "order=$ways"
		for k in $order; do "http_$k"; done
	done
}
http_rounds "$GO_V" "$GH" "$HTTP_RUNS"
[ -z "$GO_MID_BIN" ] || http_rounds 1.23 "$W/gohttpbench-1.23" "$HTTP_MID_RUNS"
rm -f "$W/go.trace" "$W/gh.json"

bench_finish
