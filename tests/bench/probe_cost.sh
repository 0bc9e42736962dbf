#!/usr/bin/env bash
# probe_cost.sh - what one hit of a probe costs the traced thread, measured
# with bpftrace (a cross-check independent of weft's own attach code):
#   (a) an ordinary uprobe on a function entry (bench_plain_fn; its first
#       instruction, "ret" at -O2, is single-stepped out of line after the
#       int3 trap: the slow path),
#   (b) a weft.h marker: USDT on a 5-byte nop, which Linux >= 6.18 (x86-64)
#       turns into a call to a uprobe trampoline at its first hit,
#   (c) a <sys/sdt.h> marker: USDT on a 1-byte nop: int3 trap, the nop
#       emulated (no single-step).
# For each: ns/iter of `probe_cost MODE ITER` with the probe attached (a
# bpftrace program that counts hits) minus ns/iter without it = ns per hit.
# Prints a markdown table; the last column says whether the process had
# the [uprobes-trampoline] mapping, i.e. whether a probe was optimized.
#
#   tests/bench/probe_cost.sh [PROBE_COST PROBE_COST_SDT]
#
# Without arguments both binaries are built from tests/bench/probe_cost.c
# (gcc -O2; the second with -DUSE_SDT) into a temporary directory.
# Environment: ITER (default 200000), ITER_SLOW (iterations for (a), ~10-20
# us a hit; default ITER/4), REPS (runs per case, default 5; the table gives
# the median and the minimum: on a loaded machine the minimum is closer to
# the probe's own cost). Needs root; installs bpftrace with apt-get if
# missing; if it can't run bpftrace it says why and exits 0.
set -u

ITER=${ITER:-200000}
ITER_SLOW=${ITER_SLOW:-$((ITER / 4))}
REPS=${REPS:-5}
WARMUP=64 # probe_cost's warm-up hits before the timed loop
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

skip() {
	echo "probe_cost.sh: skipped: $*"
	exit 0
}

[ "$(id -u)" = 0 ] || skip "needs root (bpftrace attaches uprobes)"
if ! command -v bpftrace >/dev/null 2>&1; then
	if command -v apt-get >/dev/null 2>&1; then
		echo "probe_cost.sh: installing bpftrace..." >&2
		apt-get install -y bpftrace >/dev/null 2>&1 ||
			{ apt-get update >/dev/null 2>&1 && apt-get install -y bpftrace >/dev/null 2>&1; }
	fi
	command -v bpftrace >/dev/null 2>&1 || skip "bpftrace is not installed and apt-get install bpftrace failed"
fi
bpftrace -e 'BEGIN { exit(); }' >/dev/null 2>&1 || skip "bpftrace does not run here: $(bpftrace -e 'BEGIN { exit(); }' 2>&1 | grep -v RLIMIT | head -1)"

TMP=$(mktemp -d /tmp/probe_cost.XXXXXX)
BGPIDS=()
cleanup() {
	local p
	for p in "${BGPIDS[@]}"; do kill "$p" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT

if [ $# -ge 2 ]; then
	BIN=$(realpath "$1")
	BIN_SDT=$(realpath "$2")
else
	BIN=$TMP/probe_cost
	BIN_SDT=$TMP/probe_cost_sdt
	gcc -O2 -g -I"$ROOT/include" "$ROOT/tests/bench/probe_cost.c" -o "$BIN" ||
		{ echo "probe_cost.sh: build failed" >&2; exit 1; }
	gcc -O2 -g -I"$ROOT/include" -DUSE_SDT "$ROOT/tests/bench/probe_cost.c" -o "$BIN_SDT" ||
		{ echo "probe_cost.sh: build (sdt) failed" >&2; exit 1; }
fi

# stdin: numbers -> "median min"
stats() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)], v[1] }'; }

# untraced BIN MODE ITER -> "median min" ns/iter of REPS runs
untraced() {
	local i
	for ((i = 0; i < REPS; i++)); do
		"$1" "$2" "$3" | awk '{ print $3 }'
	done | stats
}

# traced_once BIN MODE ITER PROBE -> "ns_per_iter hits trampoline(yes|no)",
# or nothing if the run failed.
traced_once() {
	local bin=$1 mode=$2 iter=$3 probe=$4 go=$TMP/go pid bpid i hits ns tramp
	rm -f "$go"
	WEFT_TEST_WAIT=$go PROBE_COST_MAPS=1 "$bin" "$mode" "$iter" >"$TMP/out" 2>"$TMP/err" &
	pid=$!
	BGPIDS=("$pid")
	bpftrace -p "$pid" -e "$probe { @hits = count(); }" >"$TMP/bt.out" 2>"$TMP/bt.err" &
	bpid=$!
	BGPIDS+=("$bpid")
	# bpftrace prints "Attaching N probes..." and then attaches; wait for
	# that, then until its uprobe shows up in `bpftool perf` (if bpftool is
	# there), then a little more.
	for ((i = 0; i < 200; i++)); do
		grep -q '^Attaching' "$TMP/bt.out" 2>/dev/null && break
		kill -0 "$bpid" 2>/dev/null || break
		sleep 0.05
	done
	if command -v bpftool >/dev/null 2>&1; then
		for ((i = 0; i < 100; i++)); do
			bpftool perf show 2>/dev/null | grep -q "^pid $bpid .*uprobe" && break
			sleep 0.05
		done
	fi
	sleep 0.2
	touch "$go"
	wait "$pid"
	sleep 0.1
	kill -INT "$bpid" 2>/dev/null
	wait "$bpid"
	BGPIDS=()
	ns=$(awk '{ print $3 }' "$TMP/out")
	hits=$(awk '/^@hits:/ { print $2 }' "$TMP/bt.out")
	tramp=no
	grep -q 'uprobes-trampoline' "$TMP/err" && tramp=yes
	if [ -z "$ns" ]; then
		echo "probe_cost.sh: $bin $mode failed: $(cat "$TMP/err")" >&2
		return
	fi
	if [ -z "$hits" ]; then
		echo "probe_cost.sh: bpftrace '$probe' failed: $(grep -v RLIMIT "$TMP/bt.err" | head -3)" >&2
		return
	fi
	echo "$ns ${hits:-0} $tramp"
}

ROWS=()
# measure LABEL SITE BIN MODE ITER PROBE
measure() {
	local label=$1 site=$2 bin=$3 mode=$4 iter=$5 probe=$6 base tr i r all=()
	base=$(untraced "$bin" "$mode" "$iter")
	for ((i = 0; i < REPS; i++)); do
		r=$(traced_once "$bin" "$mode" "$iter" "$probe")
		[ -n "$r" ] && all+=("$r")
	done
	if [ ${#all[@]} = 0 ]; then
		ROWS+=("| $label | $site | $iter | ${base% *} | - | - | - | - | - |")
		return
	fi
	# traced: median and min ns/iter over the runs
	tr=$(printf '%s\n' "${all[@]}" | awk '{ print $1 }' | stats)
	ROWS+=("$(printf '%s\n' "${all[@]}" | awk -v l="$label" -v s="$site" -v it="$iter" \
		-v b="$base" -v t="$tr" -v want=$((iter + WARMUP)) '
		{ runs = runs (NR > 1 ? "/" : "") $1
		  if ($2 != want) bad = bad " " $2; if ($3 == "yes") tramp++ }
		END {
			split(b, bb, " "); split(t, tt, " ")
			hits = bad == "" ? "all " want : "expected " want ", got" bad
			printf "| %s | %s | %d | %.1f | %s | **%.0f** | %.0f | %s | %d/%d |",
				l, s, it, bb[1], runs, tt[1] - bb[1], tt[2] - bb[2], hits, tramp, NR }')")
}

echo "probe_cost.sh: kernel $(uname -r), $(bpftrace --version 2>/dev/null), ITER=$ITER, ITER_SLOW=$ITER_SLOW, REPS=$REPS" >&2
measure "uprobe on bench_plain_fn" "function entry: $(objdump -d --no-show-raw-insn "$BIN" 2>/dev/null |
	awk '/<bench_plain_fn>:/ { getline; sub(/^[ \t]*[0-9a-f]+:[ \t]*/, ""); gsub(/[ \t]+/, " "); print; exit }')" \
	"$BIN" plain "$ITER_SLOW" "uprobe:$BIN:bench_plain_fn"
measure "weft.h USDT" "nop5 (0f 1f 44 00 00)" "$BIN" weft "$ITER" "usdt:$BIN:weft:task_begin"
measure "sys/sdt.h USDT" "nop (90)" "$BIN_SDT" sdt "$ITER" "usdt:$BIN_SDT:weft:task_begin"

echo
echo "| probe | site instruction | ITER | untraced ns/iter | traced ns/iter, each run | ns/hit (median) | ns/hit (min) | hits per run | runs with [uprobes-trampoline] |"
echo "|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
