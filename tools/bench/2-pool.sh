#!/usr/bin/env bash
# Section 2: overhead on a thread pool (tests/bench/pool_bench.c): tasks/s
# untraced and traced, alternating runs of the same binary; traps per task;
# lost events / evictions. If the default map sizes lose events, the rest
# of the runs (and section 3) use larger ones: pool_extra in the JSON.
# Knobs: POOL_RUNS [5] POOL_TASKS [200000] POOL_BATCH [100] POOL_WORKERS [2]
#        POOL_WORK [2000]
source "$(dirname "$0")/lib.sh"
bench_init 2

POOL_RUNS=${POOL_RUNS:-5}
[ -x "$POOL" ] || die "$POOL is missing: run 'make bench' (it builds everything first)"
rec meta "runs:=$POOL_RUNS" "tasks:=$POOL_TASKS" "batch:=$POOL_BATCH" "workers:=$POOL_WORKERS" \
	"work:=$POOL_WORK" "batches:=$POOL_BATCHES"
POOL_EXTRA=() # --ringbuf-mb / --max-tasks, if the defaults lose events

# pool_rate FILE -> tasks_per_s from pool_bench's line
pool_rate() { sed -n 's/^pool_bench .*tasks_per_s=\([0-9.]*\).*/\1/p' "$1" | tail -1; }

PU_CMD=("$POOL" "${POOL_ARGS[@]}")
for ((r = 1; r <= POOL_RUNS; r++)); do
	note "pool: run $r/$POOL_RUNS untraced, then traced"
	tm=$(run_timed /dev/null "$W/pu.err" "${PU_CMD[@]}")
	rate=$(pool_rate "$W/pu.err")
	[ -n "$rate" ] || die "$(showcmd "${PU_CMD[@]}") failed: $(head -3 "$W/pu.err")"
	rec untraced "run:=$r" "rate:=$rate" "cpu:=$(cpu_of "$tm")"

	for _ in 1 2; do # the second time with larger maps, if the first lost events
		PT_CMD=("$WEFT" trace --format json -o "$W/pool.json" "${POOL_EXTRA[@]}" "${POOL_SPECS[@]}" -- "$POOL" "${POOL_ARGS[@]}")
		rm -f "$W/pool.json"
		tm=$(run_timed /dev/null "$W/pt.err" "${PT_CMD[@]}")
		trate=$(pool_rate "$W/pt.err")
		if [ -z "$trate" ] || [ ! -s "$W/pool.json" ]; then
			problem "pool: '$(showcmd "${PT_CMD[@]}")' failed: $(grep -v pool_bench "$W/pt.err" | head -3 | tr '\n' ' ')"
			break
		fi
		cap=$(json_capture "$W/pool.json")
		read -r ev lost evicted uphits <<<"$cap"
		if [ "$lost" != 0 ] || [ "$evicted" != 0 ]; then
			if [ ${#POOL_EXTRA[@]} = 0 ]; then
				rec note "text=Run $r with the default map sizes: $lost lost events, $evicted evicted; from then on with \`--ringbuf-mb 64 --max-tasks 1048576\`."
				problem "pool run $r: $lost lost events, $evicted evicted with the default --ringbuf-mb/--max-tasks; retrying with larger maps"
				POOL_EXTRA=(--ringbuf-mb 64 --max-tasks 1048576)
				continue
			fi
			problem "pool run $r: $lost lost events, $evicted evicted even with ${POOL_EXTRA[*]}"
		fi
		h_batch=$(awk '$1 == "handle_batch" { print $2 }' <<<"$cap")
		h_submit=$(awk '$1 == "submit_task" { print $2 }' <<<"$cap")
		h_run=$(awk '$1 == "run_task" { print $2 }' <<<"$cap")
		ntx=$(awk '$1 == "txns" { print $2 }' <<<"$cap")
		ok=yes
		[ "${h_batch:-0}" = $((2 * POOL_BATCHES)) ] || ok="no: handle_batch hits ${h_batch:-0}, expected $((2 * POOL_BATCHES))"
		[ "${h_submit:-0}" = "$POOL_TASKS" ] || ok="no: submit_task hits ${h_submit:-0}, expected $POOL_TASKS"
		[ "${h_run:-0}" = $((2 * POOL_TASKS)) ] || ok="no: run_task hits ${h_run:-0}, expected $((2 * POOL_TASKS))"
		[ "$ntx" = "$POOL_BATCHES" ] || ok="no: $ntx transactions, expected $POOL_BATCHES"
		[ "$ok" = yes ] || problem "pool run $r: counts: $ok"
		rec traced "run:=$r" "rate:=$trate" "cpu:=$(cpu_of "$tm")" "events:=$ev" "lost:=$lost" \
			"evicted:=$evicted" "uprobe_hits:=$uphits" "transactions:=$ntx" "ok=$ok"
		break
	done
done
rec meta "untraced_cmd=$(showcmd "${PU_CMD[@]}")" "traced_cmd=$(showcmd "${PT_CMD[@]}")" "pool_extra=${POOL_EXTRA[*]}"

# where the probes sit (the last traced run's JSON)
[ -s "$W/pool.json" ] && json_sites pool "$W/pool.json" "$POOL_TASKS" task

bench_finish
