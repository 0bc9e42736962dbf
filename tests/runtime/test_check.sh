#!/usr/bin/env bash
# weft-test-timeout: 300
# weft check on Go test binaries (go test -c) of tests/gotest/, every
# installed Go, as built and stripped: each test (testing.tRunner, subtests nested) is a
# transaction named by the test.
#   leaky (its header has the shapes): exit 1, one line per leaking test and
#     site: TestLeakTwo 2 [chan receive], TestLeakOne 1 [sleep],
#     TestSubtests/a 1 [chan receive]; TestCleanup's 3 goroutines exit ~5 ms
#     after it: cleanup latency, not leaks; a JUnit file a real parser
#     reads, naming the 3 failing tests; JSON like weft report;
#   --leak-grace 1ms: TestCleanup's 3 are leaks too; with --allow
#     'leaky.lateWorker<=50ms' they are cleanup again;
#   clean: exit 0;
#   a C test binary (tests/targets/ctests.c) with --txn run_case: the
#     leaking case's line, the late exit as cleanup, JUnit;
#   go test ./...: its test binaries, children of go test, followed: the
#     same lines prefixed by the binary, one JUnit, one JSON per process;
#     cached results (nothing ran): exit 2, said;
#   a command that fails, with no leak: its exit status, passed through;
#   a command weft cannot run: 2.
. "$(dirname "$0")/lib.sh"
require_root
require_weft

VERSIONS=$(bash "$ROOT/tools/go-versions.sh")
[ -n "$VERSIONS" ] || skip "no Go toolchain installed (tools/install-deps.sh installs them)"
SRC=$ROOT/tests/gotest/leaky/leaky_test.go
line_of() { grep -n "SITE:$1 \*/" "$SRC" | cut -d: -f1; }

# test_bin VAR VERSION PKG [LDFLAGS]: go test -c of tests/gotest/PKG
test_bin() { go_test_c "$1" "$2" "$ROOT/tests/gotest/$3" "${4:-}"; }

# check_run OUT ERR ARGS...: weft check ARGS, its exit status in RC
check_run() {
	local out=$1 err=$2
	shift 2
	timeout -k 5 60 "$WEFT" check "$@" >"$out" 2>"$err" </dev/null
	RC=$?
}

leak_lines() { grep '^weft check: LEAK ' "$1" | sed 's/^weft check: LEAK //'; }

while read -r v _; do
	test_bin LEAKY "$v" leaky || continue
	test_bin CLEAN "$v" clean || continue

	check_run "$TMP/l.out" "$TMP/l-$v.err" -o "$TMP/l-$v.json" --format json \
		--junit "$TMP/l-$v.xml" -- "$LEAKY" -test.v
	assert_eq "$RC" 1 "go $v leaky: exit status"
	CHECKS=$((CHECKS + 1))
	grep -q '^PASS$' "$TMP/l.out" && ! grep -q -- '--- FAIL' "$TMP/l.out" ||
		fail "go $v leaky: the tests' own output: $(tail -c 300 "$TMP/l.out")"
	assert_eq "$(leak_lines "$TMP/l-$v.err" | sed -E 's/ created at [^ ]*\.(Test[A-Za-z.0-9]*) \(leaky_test\.go:([0-9]+)\) -> [^ ]*\.([a-zA-Z]+)/ \1:\2 \3/')" \
		"TestLeakTwo: 2 goroutines TestLeakTwo:$(line_of two) blockForever [chan receive] (alive past the grace)
TestLeakOne: 1 goroutine TestLeakOne:$(line_of one) sleepLong [sleep] (alive past the grace)
TestSubtests/a: 1 goroutine TestSubtests.func1:$(line_of sub) blockForever [chan receive] (alive past the grace)" \
		"go $v leaky: one line per leaking test and site, with what it waits on"
	CHECKS=$((CHECKS + 1))
	grep -qE "^weft check: +3 +[0-9.]+ms .*TestCleanup \(leaky_test.go:$(line_of late)\) -> .*lateWorker$" \
		"$TMP/l-$v.err" || fail "go $v leaky: TestCleanup's late exits in the cleanup table: $(grep -A3 cleanup "$TMP/l-$v.err")"
	CHECKS=$((CHECKS + 1))
	out=$(python3 - "$TMP/l-$v.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
failed = sorted(c.get("name") for c in root.iter("testcase") if c.find("failure") is not None)
print(root.tag, root.get("failures"), failed)
PY
)
	[ "$out" = "testsuites 3 ['TestLeakOne', 'TestLeakTwo', 'TestSubtests/a']" ] ||
		fail "go $v leaky: JUnit: $out"
	json_valid "$TMP/l-$v.json" "go $v leaky json" &&
		assert_jq "$TMP/l-$v.json" \
			'sorted((t["name"], t["leaked"]) for t in d["transactions"] if t["leaked"])' \
			'[["TestLeakOne",1],["TestLeakTwo",2],["TestSubtests/a",1]]' "go $v leaky: JSON" &&
		assert_jq "$TMP/l-$v.json" 'd["conflations"]' '[]' "go $v leaky: subtests nest, no conflation"

	# a 1 ms grace: the late exits are leaks; --allow puts them back
	check_run "$TMP/g.out" "$TMP/g-$v.err" --leak-grace 1ms -- "$LEAKY"
	assert_eq "$(leak_lines "$TMP/g-$v.err" | cut -d: -f1 | tr '\n' ' ')" \
		"TestCleanup TestLeakTwo TestLeakOne TestSubtests/a " "go $v: 1 ms grace: TestCleanup leaks too"
	LATE=$(grep -o '[^ ]*\.lateWorker$' "$TMP/l-$v.err" | head -n1)
	check_run "$TMP/a.out" "$TMP/a-$v.err" --leak-grace 1ms --allow "$LATE<=50ms" -- "$LEAKY"
	assert_eq "$(leak_lines "$TMP/a-$v.err" | cut -d: -f1 | tr '\n' ' ')" \
		"TestLeakTwo TestLeakOne TestSubtests/a " "go $v: --allow $LATE<=50ms: cleanup again"

	# stripped (-s -w): test names from the offsets table, sites from pclntab
	if test_bin SLEAKY "$v" leaky '-s -w'; then
		check_run "$TMP/s.out" "$TMP/s-$v.err" -- "$SLEAKY"
		assert_eq "$RC" 1 "go $v stripped leaky: exit status"
		assert_eq "$(leak_lines "$TMP/s-$v.err" | sed -E 's/ created at [^ ]*\.(Test[A-Za-z.0-9]*) \(leaky_test\.go:([0-9]+)\) -> [^ ]*\.([a-zA-Z]+)/ \1:\2 \3/')" \
			"TestLeakTwo: 2 goroutines TestLeakTwo:$(line_of two) blockForever [chan receive] (alive past the grace)
TestLeakOne: 1 goroutine TestLeakOne:$(line_of one) sleepLong [sleep] (alive past the grace)
TestSubtests/a: 1 goroutine TestSubtests.func1:$(line_of sub) blockForever [chan receive] (alive past the grace)" \
			"go $v stripped leaky: the same lines"
	fi

	check_run "$TMP/c.out" "$TMP/c-$v.err" -- "$CLEAN"
	assert_eq "$RC" 0 "go $v clean: exit status"
	assert_contains "$TMP/c-$v.err" "weft check: ok:" "go $v clean: the summary"
	assert_eq "$(probes_left "$LEAKY")" 0 "go $v: no probe left"
done <<<"$VERSIONS"

# go test ./... (the newest Go): the test binaries go test builds and runs
# as children are followed, each stopped at its exec until attached; their
# lines say which binary; one JUnit of both suites; one JSON per process
read -r v go < <(tail -n1 <<<"$VERSIONS")
gotest_all() {
	(cd "$ROOT/tests/gotest" && HOME=${HOME:-$TMP} GOCACHE=$ROOT/build/gocache GOPATH=$TMP/gopath \
		GO111MODULE=off CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS= PATH=$(dirname "$go"):$PATH \
		timeout -k 5 120 "$WEFT" check "$@" </dev/null)
}
gotest_all --junit "$TMP/all.xml" -o "$TMP/all.json" -- go test -count=1 ./... >"$TMP/all.out" 2>"$TMP/all.err"
assert_eq "$?" 1 "go test ./...: exit status"
assert_eq "$(leak_lines "$TMP/all.err" | sed -E 's/ created at [^ ]*\.(Test[A-Za-z.0-9]*) \(leaky_test\.go:([0-9]+)\) -> [^ ]*\.([a-zA-Z]+)/ \1:\2 \3/')" \
	"[leaky.test] TestLeakTwo: 2 goroutines TestLeakTwo:$(line_of two) blockForever [chan receive] (alive past the grace)
[leaky.test] TestLeakOne: 1 goroutine TestLeakOne:$(line_of one) sleepLong [sleep] (alive past the grace)
[leaky.test] TestSubtests/a: 1 goroutine TestSubtests.func1:$(line_of sub) blockForever [chan receive] (alive past the grace)" \
	"go test ./...: the leaking package's lines, named"
assert_contains "$TMP/all.err" "weft check: [clean.test] ok: 3 transactions, 0 leaked" "go test ./...: the clean package"
assert_contains "$TMP/all.err" "weft check: FAIL: 2 test processes checked" "go test ./...: the summary"
out=$(python3 - "$TMP/all.xml" "$TMP/all.json" <<'PY'
import sys, json, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = sorted((s.get("name"), s.get("tests"), s.get("failures")) for s in root.iter("testsuite"))
d = json.load(open(sys.argv[2]))
leaked = sorted(t["name"] for p in d["processes"] for t in p["transactions"] if t["leaked"])
print(root.get("tests"), root.get("failures"), suites, len(d["processes"]), leaked)
PY
)
assert_eq "$out" "13 3 [('clean.test', '3', '0'), ('leaky.test', '10', '3')] 2 ['TestLeakOne', 'TestLeakTwo', 'TestSubtests/a']" \
	"go test ./...: one JUnit of both suites, one JSON per process"
grep -q "^ok .*gotest/clean" "$TMP/all.out" || fail "go test ./...: go test's own output: $(head -c 300 "$TMP/all.out")"
CHECKS=$((CHECKS + 1))
# results go test has cached run nothing: said, and not a pass
# (in a module: go test caches only there)
mkdir -p "$TMP/mod/clean"
cp "$ROOT/tests/gotest/clean/clean_test.go" "$TMP/mod/clean/"
printf 'module weftclean\n\ngo 1.19\n' >"$TMP/mod/go.mod"
gomod() {
	(cd "$TMP/mod" && HOME=${HOME:-$TMP} GOCACHE=$ROOT/build/gocache GOPATH=$TMP/gopath GO111MODULE=on \
		CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS= PATH=$(dirname "$go"):$PATH \
		timeout -k 5 120 "$WEFT" check -- go test ./... </dev/null)
}
gomod >"$TMP/cache1.out" 2>"$TMP/cache1.err"
assert_eq "$?" 0 "go test in a module: exit status"
gomod >"$TMP/cached.out" 2>"$TMP/cached.err"
assert_eq "$?" 2 "go test, cached: exit status"
assert_contains "$TMP/cached.err" "nothing checked" "go test, cached: said"

# a C test binary, its cases named by --txn (tests/targets/ctests.c)
target CT ctests
CSRC=$ROOT/tests/targets/ctests.c
check_run "$TMP/ct.out" "$TMP/ct.err" --txn run_case --junit "$TMP/ct.xml" -- "$CT"
assert_eq "$RC" 1 "ctests: exit status"
assert_eq "$(leak_lines "$TMP/ct.err")" \
	"run_case: 1 thread created at leak_case (ctests.c:$(grep -n 'SITE:leak \*/' "$CSRC" | cut -d: -f1)) -> blocked_main (alive past the grace)" \
	"ctests: the leaking case's line"
CHECKS=$((CHECKS + 1))
grep -qE "^weft check: +1 +[0-9.]+ms .*late_case \(ctests.c:$(grep -n 'SITE:late \*/' "$CSRC" | cut -d: -f1)\) -> late_main$" \
	"$TMP/ct.err" || fail "ctests: the late exit in the cleanup table: $(grep -A4 cleanup "$TMP/ct.err")"
assert_eq "$(python3 -c "import sys, xml.etree.ElementTree as E; r = E.parse(sys.argv[1]).getroot(); print([(c.get('name'), c.find('failure') is not None) for c in r.iter('testcase')])" "$TMP/ct.xml")" \
	"[('run_case', True)]" "ctests: JUnit"

# the command's own failure, no leak: passed through; weft cannot run it: 2
check_run "$TMP/f.out" "$TMP/f.err" -- sh -c 'exit 3'
assert_eq "$RC" 3 "a failing command: its exit status"
assert_contains "$TMP/f.err" "the command itself failed (exit 3)" "a failing command: said"
check_run "$TMP/n.out" "$TMP/n.err" -- /nonexistent/test-binary
assert_eq "$RC" 2 "a command weft cannot run: 2"
assert_one_error_line "$TMP/n.err" "cannot run" "/nonexistent/test-binary" "cannot execute"

finish
