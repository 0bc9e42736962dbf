#!/usr/bin/env bash
# Section 6: weft check: the Go test package tests/gotest/leaky (go test -c,
# newest installed Go) alone and under weft check, alternating: wall and
# CPU time, and the 3 leaks it must report each time. Then what every
# checked process pays: weft's attach and detach of that binary with a
# --txn (weft trace -v says each), as built and with every BPF hash map
# preallocated (WEFT_PREALLOC=1, how weft made them before), alternating.
# Then what the verdict at the exit costs: how long weft holds a process
# stopped at its exit while it reads it (weft check -v says), on
# tests/gocheck/parallel (Go) and tests/targets/cexit (C).
# Knobs: CHECK_RUNS [5] ATTACH_RUNS [7] HOLD_RUNS [7] NO_GO=1
source "$(dirname "$0")/lib.sh"
bench_init 6

CHECK_RUNS=${CHECK_RUNS:-5}
ATTACH_RUNS=${ATTACH_RUNS:-7}
[ "${NO_GO:-0}" = 1 ] && skip_section "skipped: no Go toolchain (NO_GO=1)"
newest_go || skip_section "skipped: no Go toolchain installed (tools/install-deps.sh installs them)"
CT=$W/leaky.test
(cd tests/gotest/leaky && "${GO_ENV[@]}" "$GO_BIN" test -c -o "$CT" .) >"$W/ct.err" 2>&1 ||
	die "go test -c tests/gotest/leaky failed: $(head -3 "$W/ct.err")"
CU_CMD=("$CT" -test.count=1)
CW_CMD=("$WEFT" check -- "$CT" -test.count=1)
rec meta "go=$GO_V" "runs:=$CHECK_RUNS" "alone_cmd=$(showcmd "${CU_CMD[@]}")" "check_cmd=$(showcmd "${CW_CMD[@]}")"

for ((r = 1; r <= CHECK_RUNS; r++)); do
	note "weft check: run $r/$CHECK_RUNS untraced, then under weft check"
	tu=$(run_timed /dev/null "$W/cu.err" "${CU_CMD[@]}")
	tw=$(run_timed /dev/null "$W/cw.err" "${CW_CMD[@]}")
	leaks=$(grep -c '^weft check: LEAK ' "$W/cw.err")
	[ "$leaks" = 3 ] || problem "weft check run $r: $leaks leak lines, expected 3: $(tail -3 "$W/cw.err" | tr '\n' ' ')"
	rec run "run:=$r" "alone_wall:=${tu%% *}" "check_wall:=${tw%% *}" "alone_cpu:=$(cpu_of "$tu")" \
		"check_cpu:=$(cpu_of "$tw")" "leaks:=$leaks"
done

CA_CMD=("$WEFT" trace -v -o /dev/null --txn testing.tRunner -- "$CT" -test.run '^$')
rec meta "attach_runs:=$ATTACH_RUNS" "attach_cmd=$(showcmd "${CA_CMD[@]}")"
took() { sed -n "s/^weft: $1 took \([0-9.]*\) ms.*/\1/p" "$2" | tail -1; }
for ((r = 1; r <= ATTACH_RUNS; r++)); do
	note "attach and detach: run $r/$ATTACH_RUNS as built, then WEFT_PREALLOC=1"
	for way in built prealloc; do
		if [ $way = built ]; then
			"${CA_CMD[@]}" >/dev/null 2>"$W/ca.err"
		else
			WEFT_PREALLOC=1 "${CA_CMD[@]}" >/dev/null 2>"$W/ca.err"
		fi
		a=$(took attach "$W/ca.err") d=$(took detach "$W/ca.err")
		[ -n "$a" ] && [ -n "$d" ] || die "$(showcmd "${CA_CMD[@]}") failed: $(head -3 "$W/ca.err")"
		rec attach "way=$way" "run:=$r" "attach_ms:=$a" "detach_ms:=$d"
	done
done

HOLD_RUNS=${HOLD_RUNS:-7}
PT=$W/parallel.test
(cd tests/gocheck/parallel && "${GO_ENV[@]}" "$GO_BIN" test -c -o "$PT" .) >"$W/pt.err" 2>&1 ||
	die "go test -c tests/gocheck/parallel failed: $(head -3 "$W/pt.err")"
CX=$ROOT/build/tests/targets/cexit
[ -x "$CX" ] || die "$CX: not built (make)"
HG_CMD=("$WEFT" check -v -- "$PT")
HC_CMD=("$WEFT" check -v --txn run_case -- "$CX")
rec meta "hold_runs:=$HOLD_RUNS" "hold_go_cmd=$(showcmd "${HG_CMD[@]}")" "hold_c_cmd=$(showcmd "${HC_CMD[@]}")"
held() { sed -n 's/^weft: pid [0-9]* held at its exit for \([0-9.]*\) ms (\([0-9]*\) [a-z]* read).*/\1 \2/p' "$1" | tail -1; }
for ((r = 1; r <= HOLD_RUNS; r++)); do
	note "held at the exit: run $r/$HOLD_RUNS, Go then C"
	for rt in go c; do
		if [ $rt = go ]; then "${HG_CMD[@]}" >/dev/null 2>"$W/h.err"; else "${HC_CMD[@]}" >/dev/null 2>"$W/h.err"; fi
		h=$(held "$W/h.err")
		[ -n "$h" ] || die "weft check -v on the $rt target said no hold: $(tail -3 "$W/h.err" | tr '\n' ' ')"
		rec hold "runtime=$rt" "run:=$r" "hold_ms:=${h% *}" "read:=${h#* }" \
			"leaks:=$(grep -c '^weft check: LEAK ' "$W/h.err")"
	done
done

bench_finish
