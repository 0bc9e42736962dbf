#!/usr/bin/env bash
# weft record -F --off-cpu of cpushape, then `report --format pprof`: go tool
# pprof (the newest installed Go) reads the export, and its totals are the
# model's (report --format json), exactly: samples, cpu and offcpu ns, per
# txn label and per txn_id; spin_cpu tops the spin requests; its time is the
# capture's (the record file's start_realtime_ns). trace --format pprof -o
# too (with the capture's wall time); without -o it is refused.
# weft-test-timeout: 150
. "$(dirname "$0")/lib.sh"
require_root
require_weft

GO=$(bash "$ROOT/tools/go-versions.sh" 2>/dev/null | tail -n1 | cut -d' ' -f2)
[ -n "$GO" ] && [ -x "$GO" ] || skip "no Go toolchain (go tool pprof reads the export)"
# the shared cache: go tool pprof is built on first use (Go 1.24+), ~80 s
export GOCACHE=$ROOT/build/gocache GOENV=off GOTOOLCHAIN=local GOFLAGS= HOME=${HOME:-$TMP}
# every node shown: the "accounting for" sum is the whole (filtered) total
pp() { "$GO" tool pprof -top -nodecount=100000 -nodefraction=0 -edgefraction=0 "$@" 2>&1; }
# "Showing nodes accounting for X, P% of Y total": X (shown 1) or Y (shown 3)
shown() { sed -nE "s/^Showing nodes accounting for ([0-9]+)(ns)?, .* of ([0-9]+)(ns)? total$/\\$1/p" "$2" | head -n1; }
# the first function of -top's table: the largest flat
top_func() { awk '/flat%/ { getline; print $NF; exit }' "$1"; }
J() { jq_py "$TMP/rep.json" "$1"; }

target C cpushape
R=$TMP/cpu.weft
WEFT_TEST_LOG=$TMP/rec.log weft_run "$TMP/rec.out" "$TMP/rec.err" record -F 999 --off-cpu \
	-o "$R" -- "$C" 5 20
assert_exit_ok "record -F 999 --off-cpu"
weft_run "$TMP/rep.json" "$TMP/rep.err" report "$R" --format json
assert_exit_ok "report --format json"
weft_run "$TMP/pp.out" "$TMP/pp.err" report "$R" --format pprof -o "$TMP/cpu.pb.gz"
assert_exit_ok "report --format pprof"
assert_eq "$(head -c2 "$TMP/cpu.pb.gz" | od -An -tx1 | tr -d ' ')" 1f8b "gzip magic"

P='d["profile"]'
all_samples=$(J "sum(w['cpu_samples'] for w in $P['by_name']) + $P['outside']['cpu_samples']")
all_cpu=$(J "sum(w['cpu_ns'] for w in $P['by_name']) + $P['outside']['cpu_ns']")
all_off=$(J "sum(w['offcpu_ns'] for w in $P['by_name']) + $P['outside']['offcpu_ns']")
CHECKS=$((CHECKS + 1))
[ "$all_samples" -ge 50 ] 2>/dev/null || fail "too few samples to judge: '$all_samples'"

pp -sample_index=samples "$TMP/cpu.pb.gz" >"$TMP/all.top"
assert_eq "$(shown 3 "$TMP/all.top")" "$all_samples" "pprof total samples = the model's"
assert_contains "$TMP/all.top" "File: cpushape" "pprof names the exe"
# pprof prints the time as "Dec 4, 2026" (Go <= 1.26) or "2026-12-04" (1.27)
TODAY="Time: ($(date +'%b %-d, %Y')|$(date +%F))"
assert_match "$(grep '^Time: ' "$TMP/all.top")" "$TODAY" "report: the profile's time is the capture's (today)"
pp -sample_index=cpu -unit=ns "$TMP/cpu.pb.gz" >"$TMP/cpu.top"
assert_eq "$(shown 3 "$TMP/cpu.top")" "$all_cpu" "pprof total cpu ns = the model's"
pp -sample_index=offcpu -unit=ns "$TMP/cpu.pb.gz" >"$TMP/off.top"
assert_eq "$(shown 3 "$TMP/off.top")" "$all_off" "pprof total offcpu ns = the model's"

for name in spin sleep wait; do
	n=$(J "[w['cpu_samples'] for w in $P['by_name'] if w['name'] == '$name'][0]")
	off=$(J "[w['offcpu_ns'] for w in $P['by_name'] if w['name'] == '$name'][0]")
	pp -sample_index=samples -tagfocus=txn=$name "$TMP/cpu.pb.gz" >"$TMP/$name.top"
	assert_eq "$(shown 1 "$TMP/$name.top")" "$n" "-tagfocus=txn=$name: samples"
	pp -sample_index=offcpu -unit=ns -tagfocus=txn=$name "$TMP/cpu.pb.gz" >"$TMP/$name.off"
	assert_eq "$(shown 1 "$TMP/$name.off")" "$off" "-tagfocus=txn=$name: offcpu ns"
done
assert_eq "$(top_func "$TMP/spin.top")" spin_cpu "top function of the spin requests"
assert_eq "$(top_func "$TMP/sleep.off")" clock_nanosleep "top off-CPU function of the sleeps"

# one request by its numeric label
id=$(J "[t['id'] for t in txns('wait')][1]")
n=$(J "[t['cpu_samples'] for t in txns('wait')][1]")
pp -sample_index=samples -tagfocus=txn_id=$id "$TMP/cpu.pb.gz" >"$TMP/one.top"
assert_eq "$(shown 1 "$TMP/one.top")" "$n" "-tagfocus=txn_id=$id (a wait request): samples"
assert_eq "$(top_func "$TMP/one.top")" child_spin "top function of one wait request"

# live: trace --format pprof -o, stamped with the capture's time
weft_run "$TMP/tr.out" "$TMP/tr.err" trace -F 999 --format pprof -o "$TMP/tr.pb.gz" -- "$C" 3 20
assert_exit_ok "trace --format pprof -o"
pp -sample_index=samples -tagfocus=txn=spin "$TMP/tr.pb.gz" >"$TMP/tr.top"
assert_eq "$(top_func "$TMP/tr.top")" spin_cpu "trace: top function of the spin requests"
assert_match "$(grep '^Time: ' "$TMP/tr.top")" "$TODAY" "trace: the profile's time is today's"

# binary output needs -o: one error line, nothing written
weft_run "$TMP/no.out" "$TMP/no.err" report "$R" --format pprof
assert_one_error_line "$TMP/no.err" "report --format pprof without -o" "-o FILE"
assert_eq "$(wc -c <"$TMP/no.out")" 0 "nothing on stdout without -o"
finish
