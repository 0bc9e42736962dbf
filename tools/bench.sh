#!/usr/bin/env bash
# tools/bench.sh [ID...] - weft's benchmarks: runs the section scripts of
# tools/bench/ (each writes its measurements to $BENCH_JSON_DIR/ID.json),
# then tools/bench/write_benchmarks.py writes BENCHMARKS.md from every JSON
# there: the sections just run and those kept from earlier runs (each says
# the date, revision and load of its run when they differ).
#
#   1   probe cost per hit (uprobe single-stepped / emulated, USDT markers),
#       then the bpftrace cross-check
#   2   overhead on a thread pool (tests/bench/pool_bench.c)
#   3   model replay: `weft report` of a recorded pool run; the model's memory
#   4a  Go goroutine spawn (tests/bench/gospawn.go), newest Go and 1.19
#   4b  Go net/http server: untraced, weft, runtime/trace
#   5   Node HTTP server: untraced, weft, AsyncLocalStorage, async_hooks
#   6   weft check on a Go test binary
#   7a  perf analysis: the cost of sampling and --off-cpu, record file MiB/s
#   7c  perf analysis: a one-minute record, `weft report` in each format
#   8   soak (`make soak`, never part of all): ten minutes of weft trace and
#       weft top on a Go and a Node server under steady load, memory sampled
#
# ID: one of those, 4 (4a 4b), 7 (7a 7c); several, space- or
# comma-separated (`make bench ONLY=1,4b`); none: all of them. Needs root.
# About 2.5 minutes on 2 vCPUs, plus about 75 s for 5 and 4 minutes for 7.
# The knobs of each section (REPS, ITER, POOL_RUNS, ...) are in the header
# of its script; also:
#   BENCH_OUT [BENCHMARKS.md]        the Markdown written
#   BENCH_JSON_DIR [build/bench]     the sections' JSON
#   NO_GO=1 NO_NODE=1 NO_PERF=1      skip 4 and 6 (7's Go parts), 5, 7
#   PERF_NOTE                        a paragraph for section 7
set -u
cd "$(dirname "$0")/.." || exit 1
ALL=(1 2 3 4a 4b 5 6 7a 7c 10)

ids=()
for a in "${@//,/ }"; do
	for id in $a; do
		case $id in
		4) ids+=(4a 4b) ;;
		7) ids+=(7a 7c) ;;
		1 | 2 | 3 | 4a | 4b | 5 | 6 | 7a | 7c | 8 | 10) ids+=("$id") ;;
		*)
			echo "usage: tools/bench.sh [ID...]   (ID: ${ALL[*]}, 4, 7; none: all)" >&2
			exit 2
			;;
		esac
	done
done
[ ${#ids[@]} -gt 0 ] || ids=("${ALL[@]}")

# one run id for the sections run together (7 reuses 4b's calibration)
export BENCH_RUN_ID=${BENCH_RUN_ID:-$(date +%s)-$$}
export BENCH_RUN_DATE=${BENCH_RUN_DATE:-$(date -u '+%Y-%m-%d %H:%M:%S UTC')}
export BENCH_JSON_DIR=${BENCH_JSON_DIR:-$(pwd)/build/bench}
export BENCH_RUN_IDS="${ids[*]}"
failed=()
for id in "${ids[@]}"; do
	if [ "${NO_PERF:-0}" = 1 ] && [[ $id == 7* ]]; then
		echo "bench: $id skipped (NO_PERF=1)" >&2
		continue
	fi
	script=$(echo tools/bench/"$id"-*.sh)
	echo "bench: section $id: $script" >&2
	bash "$script"
	rc=$?
	[ $rc = 0 ] || failed+=("$id (exit $rc)")
	[ $rc = 130 ] && exit 130
done
python3 tools/bench/write_benchmarks.py --json-dir "$BENCH_JSON_DIR" -o "${BENCH_OUT:-BENCHMARKS.md}" || exit 1
[ ${#failed[@]} = 0 ] || {
	echo "bench: sections with problems or failures: ${failed[*]} (see the Problems section)" >&2
	exit 1
}
