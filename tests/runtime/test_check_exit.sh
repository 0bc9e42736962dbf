#!/usr/bin/env bash
# weft-test-timeout: 400
# weft check's verdict at the exit, on every installed Go, as built and
# stripped: tests/gocheck/parallel's t.Parallel tests all end right before
# the binary exits, within the grace. weft check holds the process at
# runtime.exit and judges each goroutine by what it is doing there:
#   TestBlocked, TestGroup/a: blocked on a channel: leaks ("blocked at exit");
#   TestSleeper: asleep for an hour: a leak ("... due past the grace");
#   TestLate: asleep 50 ms: cleanup ("... due within the grace", or a late
#     exit in the cleanup table when the binary exits later than that);
#   TestBusy: computing: cleanup ("running at exit");
# exactly the three leaking tests fail in JUnit, each with its whole
# creation stack (TestGroup/a's crosses the goroutine that made it); the
# JSON says each segment's rule; -count=2 charges each test twice; nothing
# is left "not judged", and no "stopped by signal" line. The same on a C
# test binary held at libc's exit(): blocked, asleep past the grace and
# waiting on a far deadline are leaks, a short nap and a busy thread are not.
. "$(dirname "$0")/lib.sh"
require_root
require_weft

VERSIONS=$(bash "$ROOT/tools/go-versions.sh")
[ -n "$VERSIONS" ] || skip "no Go toolchain installed (tools/install-deps.sh installs them)"
SRC=$ROOT/tests/gocheck/parallel/parallel_test.go
line_of() { grep -n "SITE:$1 \*/" "$SRC" | cut -d: -f1; }
# the line of the call in FUNC's body (the frame a creator's stack shows)
call_line() { awk -v f="$1" -v c="$2" '$0 ~ "^func " f "\\(" { in_f = 1 } in_f && index($0, c) { print NR; exit }' "$SRC"; }

build() { go_test_c "$1" "$2" "$ROOT/tests/gocheck/parallel" "${3:-}"; } # VAR VERSION [LDFLAGS]

check_run() { # OUT ERR ARGS...
	local out=$1 err=$2
	shift 2
	timeout -k 5 60 "$WEFT" check "$@" >"$out" 2>"$err" </dev/null
	RC=$?
}

# "TEST: N goroutine(s) FUNC:LINE -> START [wait] (rule)", packages cut
lines() { # PREFIX FILE
	grep "^weft check: $1" "$2" | sed "s/^weft check: $1//" |
		sed -E 's/ created at [^ ]*\.([A-Za-z0-9.]+) \(parallel_test\.go:([0-9]+)\) -> [^ ]*\.([a-zA-Z]+)/ \1:\2 \3/'
}

LEAKS="TestGroup/a: 1 goroutine startNested:$(line_of nested) blockForever [chan receive] (blocked at exit)
TestBlocked: 1 goroutine startBlocked:$(line_of blocked) blockForever [chan receive] (blocked at exit)
TestSleeper: 1 goroutine TestSleeper:$(line_of sleeper) sleepLong [sleep] (asleep at exit, its timer due past the grace)"
CLEANUP="TestBusy: 1 goroutine TestBusy:$(line_of busy) crunch (running at exit)"
LATE="TestLate: 1 goroutine TestLate:$(line_of late) exitSoon [sleep] (asleep at exit, its timer due within the grace)"
# TestGroup/a's leak: made in startNested, in a goroutine TestGroup.func1 made
NESTED="startNested (parallel_test.go:$(line_of nested))
(in a goroutine created at)
TestGroup.func1 (parallel_test.go:$(line_of outer))
testing.tRunner"

verdict() { # LABEL ERR XML JSON
	local label=$1 err=$2
	assert_eq "$RC" 1 "$label: exit status"
	assert_eq "$(lines 'LEAK ' "$err")" "$LEAKS" "$label: one line per leaking test, with the rule"
	assert_eq "$(lines 'cleanup at exit, not a leak: ' "$err" | grep -v '^TestLate:')" "$CLEANUP" \
		"$label: what is cleanup at the exit, and why"
	# TestLate's goroutine: asleep at the exit, or already gone by then
	CHECKS=$((CHECKS + 1))
	[ "$(lines 'cleanup at exit, not a leak: ' "$err" | grep '^TestLate:')" = "$LATE" ] ||
		grep -qE "^weft check: +1 +[0-9.]+ms .*TestLate \(parallel_test.go:$(line_of late)\) -> .*exitSoon$" "$err" ||
		fail "$label: TestLate's late goroutine neither asleep at the exit nor a late exit: $(grep -E 'TestLate|cleanup' "$err")"
	CHECKS=$((CHECKS + 2))
	grep -q "not judged" "$err" && fail "$label: left unjudged: $(grep 'not judged' "$err")"
	grep -q "stopped by signal" "$err" && fail "$label: a signal line: $(grep 'signal' "$err")"
	out=$(python3 - "$3" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
failed = sorted(c.get("name") for c in root.iter("testcase") if c.find("failure") is not None)
body = [c.find("failure").text for c in root.iter("testcase") if c.get("name") == "TestGroup/a"][0]
print(root.get("failures"), failed, "(in a goroutine created at)" in body)
PY
)
	assert_eq "$out" "3 ['TestBlocked', 'TestGroup/a', 'TestSleeper'] True" \
		"$label: JUnit: the leaking tests fail, with their creation stacks"
	assert_jq "$4" 'sorted((s["rule"], s["state"]) for s in d["segments"] if s["rule"] and "due within" not in s["rule"])' \
		'[["asleep at exit, its timer due past the grace","leaked"],["blocked at exit","leaked"],["blocked at exit","leaked"],["running at exit","pending"]]' \
		"$label: JSON: each segment's rule"
	assert_jq "$4" 'sorted(len(s["creation_stack"]) for s in d["segments"] if s["state"] == "leaked")' \
		'[1,1,2]' "$label: JSON: a creation stack per leak, one part per goroutine"
}

while read -r v _; do
	for variant in built stripped; do
		if [ $variant = built ]; then build BIN "$v" || continue; else build BIN "$v" '-s -w' || continue; fi
		matrix_cell go "$v" "check at exit ($variant)"
		L="go $v $variant"
		check_run "$TMP/o-$v-$variant" "$TMP/e-$v-$variant" -v --junit "$TMP/$v-$variant.xml" \
			-o "$TMP/$v-$variant.json" --format json -- "$BIN" -test.v
		verdict "$L" "$TMP/e-$v-$variant" "$TMP/$v-$variant.xml" "$TMP/$v-$variant.json"
		assert_eq "$(grep -A4 '^weft check: LEAK TestGroup/a' "$TMP/e-$v-$variant" | tail -n4 |
			sed -E 's/^weft check: +//; s/^_[^ ]*\/parallel\.//; s/^(testing\.tRunner) .*/\1/')" \
			"$NESTED" "$L: -v: TestGroup/a's creation stack, across both goroutines"
		assert_match "$(cat "$TMP/e-$v-$variant")" "held at its exit for [0-9.]+ ms" "$L: -v: the hold"
		[ $variant = built ] || continue
		check_run "$TMP/c-$v" "$TMP/ce-$v" -- "$BIN" -test.count=2
		assert_eq "$(lines 'LEAK ' "$TMP/ce-$v" | sed -E 's/: ([0-9]+) goroutines? .*\((.*)\)$/ \1 \2/')" \
			"TestGroup/a 2 blocked at exit
TestBlocked 2 blocked at exit
TestSleeper 2 asleep at exit, its timer due past the grace" "$L: -count=2: each leak charged to its test, twice"
	done
done <<<"$VERSIONS"

# a C test binary (tests/targets/cexit.c): its cases end right before it
# exits; held at libc's exit(), each thread judged by the call it is in
matrix_close
target CX cexit
CSRC=$ROOT/tests/targets/cexit.c
cline() { grep -n "SITE:$1 \*/" "$CSRC" | cut -d: -f1; }
check_run "$TMP/cx.out" "$TMP/cx.err" -v --txn run_case --junit "$TMP/cx.xml" -o "$TMP/cx.json" \
	--format json -- "$CX"
assert_eq "$RC" 1 "cexit: exit status"
assert_eq "$(grep -E '^weft check: (LEAK|cleanup at exit)' "$TMP/cx.err" | sed 's/^weft check: //')" \
	"LEAK run_case: 1 thread created at blocked_case (cexit.c:$(cline blocked)) -> blocked_main (blocked at exit)
LEAK run_case: 1 thread created at sleeper_case (cexit.c:$(cline sleeper)) -> sleeper_main (asleep at exit, its timer due past the grace)
LEAK run_case: 1 thread created at deadline_case (cexit.c:$(cline deadline)) -> deadline_main (asleep at exit, its timer due past the grace)
cleanup at exit, not a leak: run_case: 1 thread created at nap_case (cexit.c:$(cline nap)) -> nap_main (asleep at exit, its timer due within the grace)
cleanup at exit, not a leak: run_case: 1 thread created at busy_case (cexit.c:$(cline busy)) -> busy_main (running at exit)" \
	"cexit: each thread judged by what it is blocked in at the exit"
assert_eq "$(grep -A2 '^weft check: LEAK run_case: 1 thread created at blocked_case' "$TMP/cx.err" | tail -n2 | sed -E 's/^weft check: +//')" \
	"blocked_case (cexit.c:$(cline blocked))
run_case (cexit.c:$(awk '/^TARGET_FN int run_case/ { f = 1 } f && /blocked_case\(\)/ { print NR; exit }' "$CSRC"))" \
	"cexit: -v: the creation stack"
assert_jq "$TMP/cx.json" 'sorted(s["rule"] for s in d["segments"] if s["rule"])' \
	'["asleep at exit, its timer due past the grace","asleep at exit, its timer due past the grace","asleep at exit, its timer due within the grace","blocked at exit","running at exit"]' \
	"cexit: JSON: each thread's rule"
CHECKS=$((CHECKS + 1))
grep -q "cleanup after the transaction" "$TMP/cx.err" &&
	fail "cexit: threads the exit killed counted as late exits: $(grep -A7 'cleanup after' "$TMP/cx.err")"
finish
