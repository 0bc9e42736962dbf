#!/usr/bin/env bash
# Section 7a: perf analysis (issue 9), the overhead of sampling: the thread
# pool (section 2's program and arguments) and gohttpbench (section 4b's,
# flat out) untraced, under `weft record` without sampling, with -F 99,
# -F 999 and -F 999 --off-cpu; one run of every way per round, in an order
# that rotates. Every traced run's file is read back (untimed) with `weft
# report --format json` for its counts, its capture time and so the file's
# bytes per second. The Go part is skipped without Go. The pool uses
# section 2's larger maps if section 2 needed them.
# Knobs: PERF_RUNS [3], PERF_NOTE (a paragraph for section 7), section 2's POOL_* and section 4b's HTTP_*, NO_GO=1
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/go.sh"
source "$(dirname "$0")/perf.sh"
bench_init 7a

PERF_RUNS=${PERF_RUNS:-3}
[ -x "$POOL" ] || die "$POOL is missing: run 'make bench' (it builds everything first)"
PERF_WAYS=(u w f99 f999 off)
declare -A PERF_WAY=([u]=untraced [w]="weft, no sampling" [f99]="-F 99" [f999]="-F 999" [off]="-F 999 --off-cpu")
declare -A PERF_FLAGS=([u]="" [w]="" [f99]="-F 99" [f999]="-F 999" [off]="-F 999 --off-cpu")
rec meta "runs:=$PERF_RUNS" "pool_batches:=$POOL_BATCHES" "perf_note=${PERF_NOTE:-}"
load_pool_extra

# perf_cmd WORKLOAD WAY -> PCMD, the command of one run
perf_cmd() {
	local -a flags app
	read -r -a flags <<<"${PERF_FLAGS[$2]}"
	case $1 in
	pool) app=("$POOL" "${POOL_ARGS[@]}") ;;
	go) app=("$GH" "${HTTP_ARGS[@]}") ;;
	esac
	if [ "$2" = u ]; then
		PCMD=("${app[@]}")
		return
	fi
	PCMD=("$WEFT" record -o "$W/pf.weft" "${flags[@]}")
	[ "$1" = pool ] && PCMD+=("${POOL_EXTRA[@]}" "${POOL_SPECS[@]}")
	PCMD+=(-- "${app[@]}")
}

# perf_way WORKLOAD WAY ROUND: one run, one "run" record (rate null: failed)
perf_way() {
	local wl=$1 k=$2 r=$3 tm rate dur ev lost evicted smp slost spans ntx size ok want
	perf_cmd "$wl" "$k"
	rm -f "$W/pf.weft" "$W/pf.json"
	tm=$(run_timed /dev/null "$W/pf.err" "${PCMD[@]}")
	rate=$(sed -n 's/^\(pool_bench\|gohttpbench\) .*\(tasks_per_s\|req_per_s\)=\([0-9.]*\).*/\3/p' "$W/pf.err" | tail -1)
	if [ -z "$rate" ] || { [ "$k" != u ] && [ ! -s "$W/pf.weft" ]; }; then
		[ "$k" = u ] && die "$(showcmd "${PCMD[@]}") failed: $(head -3 "$W/pf.err")"
		problem "perf $wl ${PERF_WAY[$k]} run $r: '$(showcmd "${PCMD[@]}")' failed: $(grep -v '^\(pool_bench\|gohttpbench\) ' "$W/pf.err" | head -3 | tr '\n' ' ')"
		rec run "program=$wl" "way=$k" "round:=$r" "rate:="
		return
	fi
	if [ "$k" != u ] && ! "$WEFT" report "$W/pf.weft" --format json -o "$W/pf.json" 2>"$W/pfr.err"; then
		problem "perf $wl ${PERF_WAY[$k]} run $r: weft report --format json of its file failed: $(head -2 "$W/pfr.err" | tr '\n' ' ')"
		rec run "program=$wl" "way=$k" "round:=$r" "rate:="
		return
	fi
	if [ "$k" = u ]; then
		rec run "program=$wl" "way=$k" "round:=$r" "rate:=$rate" "cpu:=$(cpu_of "$tm")"
		return
	fi
	read -r dur ev lost evicted smp slost spans ntx <<<"$(perf_json "$W/pf.json")"
	size=$(stat -c %s "$W/pf.weft")
	want=$POOL_BATCHES
	[ "$wl" = go ] && want=$((HTTP_REQS + HTTP_CLIENTS))
	ok=yes
	[ "$ntx" = "$want" ] || ok="no: $ntx transactions, expected $want"
	case $k in f*) [ "$smp" -gt 0 ] || ok="no: no sample" ;; esac
	[ "$k" = w ] && [ "$smp" != 0 ] && ok="no: $smp samples without -F"
	[ "$lost" = 0 ] && [ "$evicted" = 0 ] && [ "$slost" = 0 ] ||
		problem "perf $wl ${PERF_WAY[$k]} run $r: $lost lost events, $evicted evicted, $slost lost samples"
	[ "$ok" = yes ] || problem "perf $wl ${PERF_WAY[$k]} run $r: counts: $ok"
	rec run "program=$wl" "way=$k" "round:=$r" "rate:=$rate" "cpu:=$(cpu_of "$tm")" "duration_ns:=$dur" \
		"events:=$ev" "samples:=$smp" "samples_lost:=$slost" "offcpu_spans:=$spans" "lost:=$lost" \
		"evicted:=$evicted" "transactions:=$ntx" "file_bytes:=$size" "ok=$ok"
}

# perf_bench WORKLOAD: PERF_RUNS rounds of the five ways
perf_bench() {
	local wl=$1 r i k ways c0 t0
	local -a order
	for k in "${PERF_WAYS[@]}"; do
		perf_cmd "$wl" "$k"
		rec cmd "program=$wl" "way=$k" "cmd=$(showcmd "${PCMD[@]}")"
	done
	for ((r = 1; r <= PERF_RUNS; r++)); do
		order=()
		for ((i = 0; i < ${#PERF_WAYS[@]}; i++)); do
			order+=("${PERF_WAYS[(i + r - 1) % ${#PERF_WAYS[@]}]}")
		done
		ways=$(for k in "${order[@]}"; do printf '%s, ' "${PERF_WAY[$k]}"; done)
		ways=${ways%, }
		note "perf $wl: run $r/$PERF_RUNS: $ways"
		c0=$(cpu_ticks) t0=$(date +%s.%N)
		for k in "${order[@]}"; do perf_way "$wl" "$k" "$r"; done
		rec round "program=$wl" "round:=$r" "order=$ways" "cpu_other:=$(cpu_other "$c0" "$(cpu_ticks)")" \
			"cpu_s:=$(awk -v a="$t0" -v b="$(date +%s.%N)" -v n="$(nproc)" 'BEGIN { printf "%.0f", (b - a) * n }')"
	done
}

perf_bench pool
if gohttp_setup; then
	HTTP_ARGS=("$HTTP_REQS" "$HTTP_CLIENTS" "$HTTP_FANOUT" "$HTTP_ITERS")
	perf_bench go
else
	rec meta "go_skipped=$GO_SKIP"
fi
rm -f "$W/pf.weft" "$W/pf.json"

bench_finish
