#!/usr/bin/env bash
# weft-test-timeout: 240
# weft agent -F 999 --off-cpu --pprof-dir: the profile of goshape 20 20
# (newest Go; tests/go/goshape.go: 20 of each request kind, 20 ms each)
# written as a pprof file per 1 s interval, and pushed to the collector as
# OTLP profiles, while the traces go there too:
#   - the agent's last line counts the files and samples; the directory
#     holds exactly those files, and go tool pprof, reading them all
#     together, counts exactly those samples;
#   - per transaction (-tagfocus txn=NAME, pprof merging the intervals):
#     GET /spin on-CPU 20 x 20 ms +-35% with main.spinCPU on top, GET
#     /block off-CPU 20 x 20 ms +-35% in syscall.Nanosleep's stack, GET
#     /wait half of each (its child goroutine's);
#   - the traces are whole: 80 transactions, 100 spans (/wait's child);
#   - the collector got the OTLP profiles (otlp_profiles.py): a request per
#     file, all sent; per transaction name the on-CPU samples the pprof
#     files hold, in all the agent's count; the resource's process.pid the
#     target; GET /spin's top frame main.spinCPU;
#   - a collector without profiles (-no-profiles: no feature gate), over
#     gRPC (UNIMPLEMENTED) and HTTP (404), with -F and no --pprof-dir: said
#     once, the requests not sent counted, the traces unharmed;
#   - bad input: --pprof-dir without -F, or naming a file, one line, exit 2.
. "$(dirname "$0")/lib.sh"
require_root
require_weft

GOV=$(bash "$ROOT/tools/go-versions.sh" | tail -n1)
V=${GOV%% *} GO=${GOV#* }
[ -n "$V" ] && [ -x "$ROOT/build/tests/go/$V/goshape" ] || skip "no Go toolchain (make go-targets)"
# the shared cache: go tool pprof is built on first use (Go 1.24+), ~80 s
export GOCACHE=$ROOT/build/gocache GOENV=off GOTOOLCHAIN=local GOFLAGS= HOME=${HOME:-$TMP}
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
assert_match "$line" "; profiles: [0-9]+ files, [0-9]+ samples, [0-9]+ off-CPU spans, 0 samples lost; OTLP profiles: [0-9]+ requests sent, 0 failed$" \
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

# the OTLP profiles the collector got: a request per file, the same samples
sent=$(sed -nE 's/.*; OTLP profiles: ([0-9]+) requests sent, .*/\1/p' <<<"$line")
assert_eq "$sent" "$files" "an OTLP profiles request per interval, as many as files"
python3 "$ROOT/tests/runtime/otlp_profiles.py" "$TMP/col.jsonl" --pid "$GP" >"$TMP/prof.txt" ||
	fail "otlp_profiles.py: $(tail -n 3 "$TMP/prof.txt")"
cat "$TMP/prof.txt" >&2
assert_contains "$TMP/prof.txt" "requests $files" "the collector got every request"
assert_contains "$TMP/prof.txt" "resource process.pid=$GP" "the profiles' resource is the target"
assert_contains "$TMP/prof.txt" "profiles offcpu/nanoseconds $files" "a Profile of each sample type per request"
assert_contains "$TMP/prof.txt" "total samples/count $samples" "OTLP: the samples the agent said"
# pprof's txn tag, per value: "   380 (53.45%): GET_/spin"
"$GO" tool pprof -tags -sample_index=samples "$TMP"/pp/*.pb.gz >"$TMP/tags.txt" 2>&1
for name in "GET /spin" "GET /block" "GET /sleep" "GET /wait" "(none)"; do
	want=$(awk -v n="${name// /_}" '$NF == n { print $1 }' "$TMP/tags.txt")
	got=$(sed -n "s|^value samples/count $name ||p" "$TMP/prof.txt")
	assert_eq "${got:-0}" "${want:-0}" "$name: the on-CPU samples in OTLP as in the pprof files"
done
assert_contains "$TMP/prof.txt" "top samples/count GET /spin main.spinCPU" \
	"OTLP: GET /spin's samples are in main.spinCPU"

# a collector that takes no profiles: said once, counted, the rest unharmed;
# without --pprof-dir the profiles went nowhere else
noprof() {
	local proto=$1 port=$2 n=$3
	collector_start "$TMP/col$n.jsonl" -no-profiles || finish
	rm -f "$TMP/go"
	bg GP env WEFT_TEST_WAIT="$TMP/go" WEFT_TEST_LOG="$TMP/g$n.log" "$TMP/goshape-agent" 3 3
	bg AP "$WEFT" agent --otlp "http://127.0.0.1:${!port}" --otlp-protocol "$proto" \
		-p "$GP" -F 999 --profile-every 1s --leak-grace 100ms 2>"$TMP/agent$n.err"
	wait_for "$TMP/agent$n.err" "attached to pid $GP " 20 "$AP" ||
		fail "$proto: not attached: $(cat "$TMP/agent$n.err")"
	touch "$TMP/go"
	wait_exit "$GP" 30 || fail "$proto: goshape did not finish"
	wait_exit "$AP" 20 || fail "$proto: the agent did not end with its only target"
	assert_eq "$RC" 0 "$proto: the agent's exit status"
	collector_stop
	cat "$TMP/agent$n.err" >&2
	assert_eq "$(grep -c "the collector does not take OTLP profiles" "$TMP/agent$n.err")" 1 \
		"$proto: the collector without profiles said once"
	assert_contains "$TMP/agent$n.err" "weft agent: the collector does not take OTLP profiles (start it with --feature-gates=service.profilesSupport); profiles are not kept (give --pprof-dir DIR)" \
		"$proto: what to do about it"
	line=$(grep "^weft agent: pid $GP: " "$TMP/agent$n.err")
	assert_match "$line" ": 12 transactions, 15 spans; 15 sent in [0-9]+ requests, 0 dropped \(queue full\), 0 failed" \
		"$proto: the traces unharmed"
	assert_match "$line" "; profiles: 0 files, [1-9][0-9]* samples, 0 off-CPU spans, 0 samples lost; OTLP profiles: 0 requests sent, 1 failed, [0-9]+ not sent \(the collector does not take them\)$" \
		"$proto: one request refused, the rest not sent"
	CHECKS=$((CHECKS + 1))
	! grep -q resourceProfiles "$TMP/col$n.jsonl" || fail "$proto: the collector wrote profiles"
}
noprof grpc COL_GRPC 1
noprof http/protobuf COL_HTTP 2

# bad input: one line, exit 2
weft_run "$TMP/b2.out" "$TMP/b2.err" agent --pprof-dir "$TMP/x" -p "$$"
assert_one_error_line "$TMP/b2.err" "--pprof-dir without -F" "agent: --pprof-dir needs -F HZ or --off-cpu"
touch "$TMP/afile"
weft_run "$TMP/b3.out" "$TMP/b3.err" agent -F 99 --pprof-dir "$TMP/afile" -p "$$"
assert_one_error_line "$TMP/b3.err" "--pprof-dir a file" "--pprof-dir $TMP/afile: Not a directory; give a directory the agent can write"
finish
