#!/usr/bin/env bash
# Section 3: model replay: `weft record` of a pool run (>= 500k events),
# then `weft report` of that file, JSON and text: events/s on one core,
# record file size, bytes per event; then the model's heap per live
# continuation and per finished transaction, kept whole and folded
# (tests/bench/model_mem.c, MEM_N [1000000]). The record uses section 2's larger
# maps if section 2 needed them (its JSON's pool_extra), or $POOL_EXTRA.
# Knobs: REC_TASKS [200000] (4 events per task) REPLAY_RUNS [3]
#        POOL_BATCH POOL_WORKERS POOL_WORK (section 2's)
source "$(dirname "$0")/lib.sh"
bench_init 3

REC_TASKS=${REC_TASKS:-200000}
REPLAY_RUNS=${REPLAY_RUNS:-3}
[ -x "$POOL" ] || die "$POOL is missing: run 'make bench' (it builds everything first)"
load_pool_extra
rec meta "rec_tasks:=$REC_TASKS" "replay_runs:=$REPLAY_RUNS"

REC_ARGS=("$REC_TASKS" "$POOL_BATCH" "$POOL_WORKERS" "$POOL_WORK")
REC_FILE=$W/big.weft
REC_CMD=("$WEFT" record -o "$REC_FILE" "${POOL_EXTRA[@]}" "${POOL_SPECS[@]}" -- "$POOL" "${REC_ARGS[@]}")
rec meta "record_cmd=$(showcmd "${REC_CMD[@]}")"
note "replay: $(showcmd "${REC_CMD[@]}")"
"${REC_CMD[@]}" >/dev/null 2>"$W/rec.err" || problem "'$(showcmd "${REC_CMD[@]}")' failed: $(head -3 "$W/rec.err" | tr '\n' ' ')"
[ -s "$REC_FILE" ] || bench_finish

"$WEFT" report "$REC_FILE" --format json -o "$W/rec.json" 2>"$W/rep.err" ||
	problem "weft report $REC_FILE --format json failed: $(head -3 "$W/rep.err")"
read -r events lost evicted _ <<<"$(json_capture "$W/rec.json")"
rm -f "$W/rec.json"
[ "$lost" = 0 ] && [ "$evicted" = 0 ] || problem "record: $lost lost events, $evicted evicted"
[ "$events" -ge 500000 ] || note "record: only $events events (< 500000): raise REC_TASKS"
told=$(sed -n 's/.*weft record: \([0-9]*\) events.*/\1/p' "$W/rec.err")
[ "${told:-x}" = "$events" ] || problem "record said ${told:-nothing} events, the report of its file has $events"
rec record "events:=$events" "lost:=$lost" "evicted:=$evicted" "size:=$(stat -c %s "$REC_FILE")"

for fmt in json text; do
	RP_CMD=(taskset -c 0 "$WEFT" report "$REC_FILE" --format "$fmt")
	rec format "format=$fmt" "cmd=$(showcmd "${RP_CMD[@]}") > /dev/null"
	for ((r = 1; r <= REPLAY_RUNS; r++)); do
		tm=$(run_timed /dev/null "$W/rp.err" "${RP_CMD[@]}") || problem "$(showcmd "${RP_CMD[@]}") failed: $(head -2 "$W/rp.err")"
		rec replay "format=$fmt" "run:=$r" "wall:=${tm%% *}" "cpu:=$(cpu_of "$tm")"
	done
done

# the model's heap per continuation and per transaction (the model alone)
MEM_N=${MEM_N:-1000000}
MEM_CMD=(build/tests/bench/model_mem "$MEM_N")
rec meta "mem_cmd=$(showcmd "${MEM_CMD[@]}")"
if "${MEM_CMD[@]}" >"$W/mem.out" 2>"$W/mem.err"; then
	while read -r what a b; do
		if [ -n "$b" ]; then rec memory "what=$what" "txns:=$a" "bytes:=$b"; else rec memory "what=$what" "bytes:=$a"; fi
	done <"$W/mem.out"
else
	problem "$(showcmd "${MEM_CMD[@]}") failed: $(head -2 "$W/mem.err")"
fi

bench_finish
