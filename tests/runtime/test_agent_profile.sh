#!/usr/bin/env bash
# weft-test-timeout: 150
# weft agent -F 999 --off-cpu --pprof-dir: the profile of goshape 20 20
# (newest Go; tests/go/goshape.go: 20 of each request kind, 20 ms each)
# written as a pprof file per 1 s interval while the traces go to the
# collector:
#   - the agent's last line counts the files and samples; the directory
#     holds exactly those files, and go tool pprof, reading them all
#     together, counts exactly those samples;
#   - per transaction (-tagfocus txn=NAME, pprof merging the intervals):
#     GET /spin on-CPU 20 x 20 ms +-35% with main.spinCPU on top, GET
#     /block off-CPU 20 x 20 ms +-35% in syscall.Nanosleep's stack, GET
#     /wait half of each (its child goroutine's);
#   - the traces are whole: 80 transactions, 100 spans (/wait's child);
#   - bad input: -F without --pprof-dir, and an unwritable --pprof-dir,
#     one line each, exit 2.
. "$(dirname "$0")/lib.sh"
require_root
require_weft

GOV=$(bash "$ROOT/tools/go-versions.sh" | tail -n1)
V=${GOV%% *} GO=${GOV#* }
[ -n "$V" ] && [ -x "$ROOT/build/tests/go/$V/goshape" ] || skip "no Go toolchain (make go-targets)"
export GOCACHE=$TMP/gocache GOENV=off GOTOOLCHAIN=local GOFLAGS= HOME=${HOME:-$TMP}
collector_start "$TMP/col.jsonl" || finish
matrix_cell go "$V" "agent: pprof profiles"

cp "$ROOT/build/tests/go/$V/goshape" "$TMP/goshape-agent"
rm -f "$TMP/go"
bg GP env WEFT_TEST_WAIT="$TMP/go" WEFT_TEST_LOG="$TMP/g.log" "$TMP/goshape-agent" 20 20
bg AP "$WEFT" agent --otlp "http://127.0.0.1:$COL_HTTP" -p "$GP" -F 999 --off-cpu \
	--pprof-dir "$TMP/pp" --profile-every 1s --leak-grace 100ms 2>"$TMP/agent.err"
wait_for "$TMP/agent.err" "attached to pid $GP " 20 "$AP" || fail "not attached: $(cat "$TMP/agent.err")"
touch "$TMP/go"
wait_exit "$GP" 30 || fail "goshape did not finish"
wait_exit "$AP" 20 || fail "the agent did not end with its only target"
assert_eq "$RC" 0 "the agent's exit status"
collector_stop
cat "$TMP/agent.err" >&2
assert_contains "$TMP/g.log" "goshape done 20" "goshape ran to its end"

line=$(grep "^weft agent: pid $GP: " "$TMP/agent.err")
assert_match "$line" ": 80 transactions, 100 spans; 100 sent in [0-9]+ requests, 0 dropped \(queue full\), 0 failed" \
	"every transaction sent as spans"
assert_match "$line" "; profiles: [0-9]+ files, [0-9]+ samples, [0-9]+ off-CPU spans, 0 samples lost$" \
	"the last line counts the profiles"
files=$(sed -nE 's/.*; profiles: ([0-9]+) files, .*/\1/p' <<<"$line")
samples=$(sed -nE 's/.*; profiles: [0-9]+ files, ([0-9]+) samples, .*/\1/p' <<<"$line")
CHECKS=$((CHECKS + 1))
[ "${files:-0}" -ge 2 ] || fail "at least 2 intervals of 1 s in a 2 s run: $files files"
assert_eq "$(find "$TMP/pp" -name "weft.goshape-agent.$GP.*Z.pb.gz" | wc -l) $(ls -A "$TMP/pp" | wc -l)" \
	"$files $files" "the directory holds exactly the files said, no temporary left"

pp() { "$GO" tool pprof -top -unit=ns -nodecount=100000 -nodefraction=0 -edgefraction=0 "$@" "$TMP"/pp/*.pb.gz 2>&1; }
shown() { sed -nE "s/^Showing nodes accounting for ([0-9]+)(ns)?, .* of ([0-9]+)(ns)? total$/\\$1/p" "$2" | head -n1; }
top_func() { awk '/flat%/ { getline; print $NF; exit }' "$1"; }
pp -sample_index=samples >"$TMP/all.top"
assert_eq "$(shown 3 "$TMP/all.top")" "$samples" "pprof reads every file: the samples the agent said"
assert_contains "$TMP/all.top" "File: goshape-agent" "pprof names the exe"

# within 35% of WANT_MS (20 requests' worth); the filtered nodes' sum
near() {
	local got=$1 want=$2 what=$3
	CHECKS=$((CHECKS + 1))
	python3 -c "import sys; g, w = $got / 1e6, $2 * 20; sys.exit(abs(g - w) > 0.35 * w)" ||
		fail "$what: $((got / 1000000)) ms, want $((want * 20)) ms +-35%"
}
pp -sample_index=cpu -tagfocus=txn=GET_/spin >"$TMP/spin.top"
near "$(shown 1 "$TMP/spin.top")" 20 "GET /spin on-CPU"
assert_eq "$(top_func "$TMP/spin.top")" main.spinCPU "GET /spin's time is in main.spinCPU"
pp -sample_index=offcpu -tagfocus=txn=GET_/block >"$TMP/block.top"
near "$(shown 1 "$TMP/block.top")" 20 "GET /block off-CPU"
assert_contains "$TMP/block.top" "main.blockFor" "GET /block blocks in main.blockFor"
pp -sample_index=cpu -tagfocus=txn=GET_/wait >"$TMP/wait-on.top"
near "$(shown 1 "$TMP/wait-on.top")" 10 "GET /wait on-CPU (its child)"
pp -sample_index=offcpu -tagfocus=txn=GET_/wait >"$TMP/wait-off.top"
near "$(shown 1 "$TMP/wait-off.top")" 10 "GET /wait off-CPU (its child)"

# bad input: one line, exit 2
weft_run "$TMP/b1.out" "$TMP/b1.err" agent -F 99 -p "$$"
assert_one_error_line "$TMP/b1.err" "-F without --pprof-dir" "agent: -F and --off-cpu write pprof files: give --pprof-dir DIR"
weft_run "$TMP/b2.out" "$TMP/b2.err" agent --pprof-dir "$TMP/x" -p "$$"
assert_one_error_line "$TMP/b2.err" "--pprof-dir without -F" "agent: --pprof-dir needs -F HZ or --off-cpu"
finish
