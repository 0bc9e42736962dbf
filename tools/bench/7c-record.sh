#!/usr/bin/env bash
# Section 7c: perf analysis (issue 9), a long record: gohttpbench (section
# 4b's) paced at PERF_REC_RATE requests/s for PERF_REC_S seconds under
# `weft record -F 999 --off-cpu` (its file bytes per second of capture),
# then the time of `weft report` in each format on that file, pinned to one
# CPU. Skipped without Go.
# Knobs: PERF_REC_S [60] PERF_REC_RATE [2000] PERF_REPLAY_RUNS [3], section
#        4b's HTTP_*, NO_GO=1
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/go.sh"
source "$(dirname "$0")/perf.sh"
bench_init 7c

PERF_REC_S=${PERF_REC_S:-60}
PERF_REC_RATE=${PERF_REC_RATE:-2000}
PERF_REPLAY_RUNS=${PERF_REPLAY_RUNS:-3}
gohttp_setup || skip_section "$GO_SKIP"
n=$((PERF_REC_S * PERF_REC_RATE))
F=$W/gohttp-1min.weft
REC_CMD=(env GOHTTPBENCH_RATE="$PERF_REC_RATE" "$WEFT" record -F 999 --off-cpu -o "$F"
	-- "$GH" "$n" "$HTTP_CLIENTS" "$HTTP_FANOUT" "$HTTP_ITERS")
rec meta "rec_s:=$PERF_REC_S" "rec_rate:=$PERF_REC_RATE" "replay_runs:=$PERF_REPLAY_RUNS" "requests:=$n" \
	"record_cmd=$(showcmd "${REC_CMD[@]}")"

note "perf: the long record: $(showcmd "${REC_CMD[@]}")"
tm=$(run_timed /dev/null "$W/prec.err" "${REC_CMD[@]}")
rate=$(sed -n 's/^gohttpbench .*req_per_s=\([0-9.]*\).*/\1/p' "$W/prec.err" | tail -1)
if [ -z "$rate" ] || [ ! -s "$F" ] || ! "$WEFT" report "$F" --format json -o "$W/prec.json" 2>"$W/prep.err"; then
	problem "perf: '$(showcmd "${REC_CMD[@]}")' failed: $(grep -v '^gohttpbench ' "$W/prec.err" "$W/prep.err" 2>/dev/null | head -3 | tr '\n' ' ')"
	bench_finish
fi
read -r dur ev lost evicted smp slost spans ntx <<<"$(perf_json "$W/prec.json")"
rm -f "$W/prec.json"
[ "$lost" = 0 ] && [ "$evicted" = 0 ] && [ "$slost" = 0 ] ||
	problem "perf: long record: $lost lost events, $evicted evicted, $slost lost samples"
[ "$ntx" = $((n + HTTP_CLIENTS)) ] || problem "perf: long record: $ntx transactions, expected $((n + HTTP_CLIENTS))"
rec record "rate:=$rate" "cpu:=$(cpu_of "$tm")" "duration_ns:=$dur" "events:=$ev" "samples:=$smp" \
	"samples_lost:=$slost" "offcpu_spans:=$spans" "lost:=$lost" "evicted:=$evicted" "transactions:=$ntx" \
	"file_bytes:=$(stat -c %s "$F")"

for spec in text json folded "folded --off-cpu" pprof perfetto; do
	read -r -a fa <<<"$spec"
	ext=${spec// /}
	cmd=(taskset -c 0 "$WEFT" report "$F" --format "${fa[@]}" -o "$W/pfout.$ext")
	rec format "format=$spec" "cmd=$(showcmd "${cmd[@]}")"
	for ((r = 1; r <= PERF_REPLAY_RUNS; r++)); do
		rm -f "$W/pfout.$ext"
		if ! /usr/bin/time -f '%e %U %S %M' -o "$W/pft" "${cmd[@]}" >/dev/null 2>"$W/pfo.err"; then
			problem "perf: '$(showcmd "${cmd[@]}")' failed: $(head -2 "$W/pfo.err" | tr '\n' ' ')"
			continue
		fi
		read -r wall user sys rss <<<"$(cat "$W/pft")"
		rec report "format=$spec" "run:=$r" "wall:=$wall" "cpu:=$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" \
			"rss_kb:=$rss" "output_bytes:=$(stat -c %s "$W/pfout.$ext" 2>/dev/null || echo 0)"
	done
	rm -f "$W/pfout.$ext"
done
rm -f "$F"

bench_finish
