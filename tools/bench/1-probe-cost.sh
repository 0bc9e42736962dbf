#!/usr/bin/env bash
# Section 1: probe cost, ns per hit, measured with weft itself: an ordinary
# uprobe on a function entry (single-stepped first instruction, and an
# emulated one), a weft.h USDT marker (nop5), a <sys/sdt.h> marker (1-byte
# nop); each = median ns/iter traced - median ns/iter untraced (the
# generator computes it from the runs). Then the bpftrace cross-check
# (tests/bench/probe_cost.sh), if bpftrace runs here.
# Knobs: REPS [5] ITER [1000000] ITER_SLOW [50000] NO_BPFTRACE=1
source "$(dirname "$0")/lib.sh"
bench_init 1

REPS=${REPS:-5}
ITER=${ITER:-1000000}
ITER_SLOW=${ITER_SLOW:-50000}
WARMUP=64 # probe_cost's warm-up iterations (before its timed loop)
PC=build/tests/bench/probe_cost
PCS=build/tests/bench/probe_cost_sdt
for b in "$PC" "$PCS"; do
	[ -x "$b" ] || die "$b is missing: run 'make bench' (it builds everything first)"
done
rec meta "reps:=$REPS" "iter:=$ITER" "iter_slow:=$ITER_SLOW" "warmup:=$WARMUP"

# probe_case LABEL KIND PROBE_NAME SITE BIN MODE ITER [WEFT SPEC ARGS...]
# PROBE_NAME: the probe whose hits weft must count (JSON capture.probes[].name).
probe_case() {
	local label=$1 kind=$2 pname=$3 site=$4 bin=$5 mode=$6 iter=$7
	shift 7
	local r ns hits want=$((iter + WARMUP)) cap ev l e tramp
	local -a tcmd=(env PROBE_COST_MAPS=1 "$WEFT" trace --format json -o "$W/pc.json" "$@" -- "$bin" "$mode" "$iter")
	local -a ucmd=("$bin" "$mode" "$iter")
	note "probe cost: $label ($REPS x untraced + traced, alternating)"
	rec case "label=$label" "kind=$kind" "probe=$pname" "site=$site" "iter:=$iter" "want_hits:=$want" \
		"untraced_cmd=$(showcmd "${ucmd[@]}")" "traced_cmd=$(showcmd "${tcmd[@]}")"
	for ((r = 1; r <= REPS; r++)); do
		ns=$("${ucmd[@]}" 2>/dev/null | awk '{ print $3 }')
		[ -n "$ns" ] || die "$(showcmd "${ucmd[@]}") failed"
		rec untraced "label=$label" "run:=$r" "ns_per_iter:=$ns"
		rm -f "$W/pc.json"
		ns=$("${tcmd[@]}" 2>"$W/pc.err" | awk '$1 == "'"$mode"'" { print $3 }')
		if [ -z "$ns" ] || [ ! -s "$W/pc.json" ]; then
			problem "probe cost $label: '$(showcmd "${tcmd[@]}")' failed: $(grep -v '^probe_cost: maps' "$W/pc.err" | head -3 | tr '\n' ' ')"
			continue
		fi
		tramp=0
		grep -q 'uprobes-trampoline' "$W/pc.err" && tramp=1
		cap=$(json_capture "$W/pc.json")
		hits=$(awk -v n="$pname" '$1 == n { print $2 }' <<<"$cap")
		read -r ev l e _ <<<"$cap"
		[ "${hits:-0}" = "$want" ] || problem "probe cost $label run $r: weft counted ${hits:-0} hits on $pname, expected $want"
		[ "$l" = 0 ] && [ "$e" = 0 ] || problem "probe cost $label run $r: lost $l evicted $e"
		rec traced "label=$label" "run:=$r" "ns_per_iter:=$ns" "hits:=${hits:-0}" "events:=$ev" \
			"lost:=$l" "evicted:=$e" "trampoline:=$tramp"
	done
}

site() { echo "$(first_insn "$PC" "$1") (first insn of $1)"; }
probe_case "uprobe, function entry, single-stepped" "int3 + single-step out of line" bench_plain_fn \
	"$(site bench_plain_fn)" "$PC" plain "$ITER_SLOW" --task-begin bench_plain_fn:arg0
probe_case "uprobe, function entry, emulated" "int3 + instruction emulated" bench_push_fn \
	"$(site bench_push_fn)" "$PC" push "$ITER" --task-begin bench_push_fn:arg0
probe_case "uprobe, function entry, emulated, 2 events per hit" "int3 + instruction emulated" bench_push_fn \
	"$(site bench_push_fn)" "$PC" push "$ITER_SLOW" --task-create bench_push_fn:arg0
probe_case "weft.h USDT marker" "nop5 -> call to uprobe trampoline" task_begin \
	"nop5: 0f 1f 44 00 00" "$PC" weft "$ITER"
probe_case "sys/sdt.h USDT marker" "int3 + nop emulated" task_begin \
	"nop: 90" "$PCS" weft "$ITER"
rec meta "plain_fn_insn=$(first_insn "$PC" bench_plain_fn)"

# bpftrace cross-check (optional): its script writes its own Markdown table
BT_CMD=(env ITER=200000 REPS=5 bash tests/bench/probe_cost.sh "$PC" "$PCS")
if [ "${NO_BPFTRACE:-0}" = 1 ]; then
	rec bpftrace "skipped=skipped (NO_BPFTRACE=1)"
else
	note "probe cost: bpftrace cross-check: $(showcmd "${BT_CMD[@]}")"
	"${BT_CMD[@]}" >"$W/bt.out" 2>"$W/bt.err"
	[ -s "$W/bt.out" ] || echo "no output: $(head -3 "$W/bt.err")" >"$W/bt.out"
	rec bpftrace "cmd=$(showcmd "${BT_CMD[@]}")" "version=$(bpftrace --version 2>/dev/null)" "output@=$W/bt.out"
fi

bench_finish
