#!/usr/bin/env bash
# Section 6: weft check: the Go test package tests/gotest/leaky (go test -c,
# newest installed Go) alone and under weft check, alternating: wall and
# CPU time, and the 3 leaks it must report each time.
# Knobs: CHECK_RUNS [5] NO_GO=1
source "$(dirname "$0")/lib.sh"
bench_init 6

CHECK_RUNS=${CHECK_RUNS:-5}
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

bench_finish
