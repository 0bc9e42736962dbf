#!/usr/bin/env bash
# weft-test-timeout: 480
# weft goroutines -p PID (a zero-probe snapshot, read with process_vm_readv
# only) on every installed Go (tools/go-versions.sh), against tests/go/gotrace
# run as `gotrace 6 keep` and read once it logged "gotrace idle":
#   - exactly 4 goroutines created in main.(*manager).NewTrace, 2 per site
#     (the `go` lines SITE:forward and SITE:stateworker), all waiting in
#     "chan receive" (`for range` over an open channel), with the goids the
#     target logged for the never-released traces 0 and 3; plus the main
#     goroutine (goid 1, runtime.main); user goroutines = the target's own
#     runtime.NumGoroutine(); on Go >= 1.21 their parent_goid is 1;
#   - the groups say the same (2 groups of 2 in NewTrace);
#   - text output fits 100 columns, -v adds the tree (Go >= 1.21);
#   - 20 snapshots in a row: each the same, and the target is unaffected
#     (alive, not stopped, not traced, its tick lines go on);
#   - the same on every version built stripped (-s -w);
#   - errors: a non-Go process, a dead pid: one line.
# The newest Go also runs a PIE build (a non-zero load bias).
. "$(dirname "$0")/lib.sh"
require_root
require_weft

VERSIONS=$(bash "$ROOT/tools/go-versions.sh")
[ -n "$VERSIONS" ] || skip "no Go toolchain installed (tools/install-deps.sh installs them)"
SRC=$ROOT/tests/go/gotrace.go
SITE_FORWARD=$(grep -n 'SITE:forward \*/' "$SRC" | cut -d: -f1)
SITE_WORKER=$(grep -n 'SITE:stateworker \*/' "$SRC" | cut -d: -f1)

# go_target VAR VERSION NAME [BUILDMODE]: a private build of tests/go/NAME.go
go_target() {
	local __var=$1 v=$2 name=$3 mode=${4:-} go out=$TMP/bin/$3-$2${4:+-$4}
	go=$(awk -v v="$v" '$1 == v { print $2 }' <<<"$VERSIONS")
	mkdir -p "$TMP/bin"
	if [ -z "$mode" ] && [ -x "$ROOT/build/tests/go/$v/$name" ]; then
		cp "$ROOT/build/tests/go/$v/$name" "$out"
	elif [ "$mode" = stripped ] && [ -x "$ROOT/build/tests/go/$v/$name.stripped" ]; then
		cp "$ROOT/build/tests/go/$v/$name.stripped" "$out"
	else
		local flags=()
		case $mode in
		stripped) flags=(-ldflags='-s -w') ;;
		?*) flags=(-buildmode="$mode") ;;
		esac
		HOME=${HOME:-$TMP} GOCACHE=$ROOT/build/gocache GOPATH=$ROOT/tests/go GO111MODULE=off \
			CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS= \
			"$go" build "${flags[@]}" -o "$out" "$ROOT/tests/go/$name.go" \
			>"$TMP/build-$name-$v.log" 2>&1 ||
			{ fail "go $v: build $name $mode failed: $(head -c 600 "$TMP/build-$name-$v.log")"; return 1; }
	fi
	printf -v "$__var" '%s' "$out"
}

# check_snapshot JSON LABEL: the goroutines of an idle `gotrace 6 keep`
check_snapshot() {
	py_checks "$1" "go $2 goroutines" <<'PY'
import os
def chk(c, m, g=None): return check(c, m if g is None else "%s: got %r" % (m, g))
minor = int(E["GO_MINOR"])
chk(d["target"]["pid"] == int(E["TPID"]), "target pid", d["target"])
chk(d["target"]["exe"] == E["EXE"], "target exe", d["target"])
chk(d["target"]["go_version"].startswith("go1.%d" % minor), "go_version", d["target"])
gs = d["goroutines"]
goids = [g["goid"] for g in gs]
chk(len(goids) == len(set(goids)) and goids == sorted(goids), "goids unique, sorted", goids)
nt = [g for g in gs if g["site_func"] == "main.(*manager).NewTrace"]
chk(len(nt) == 4, "4 goroutines created in NewTrace", nt)
lines = sorted(site_line(g) for g in nt)
want = sorted([int(E["SITE_FORWARD"])] * 2 + [int(E["SITE_WORKER"])] * 2)
chk(lines == want, "2 per site (gotrace.go lines)", lines)
chk(all(site_file(g) == "gotrace.go" for g in nt), "site file", [g["site"] for g in nt])
chk(all(g["status"] == "waiting" for g in nt), "all waiting", [g["status"] for g in nt])
chk(all(g["wait_reason"] == "chan receive" for g in nt), "chan receive",
    [g["wait_reason"] for g in nt])
chk(all(g["wait_ns"] is None or g["wait_ns"] > 0 for g in nt), "wait_ns null or > 0",
    [g["wait_ns"] for g in nt])
# a goroutine started through the compiler's wrapper for `go f(x)` (.gowrapN
# from 1.22, a wrapper closure .funcN before) is named by the function it
# calls or has inlined, as the traceback names it, on every version
starts = sorted(g["start"] for g in nt)
want_starts = ["main.(*PubSub).forward"] * 2 + ["main.(*manager).startStateWorker"] * 2
chk(starts == sorted(want_starts), "start functions", starts)
fw = sorted(g["goid"] for g in nt if site_line(g) == int(E["SITE_FORWARD"]))
sw = sorted(g["goid"] for g in nt if site_line(g) == int(E["SITE_WORKER"]))
log_fw = sorted(r["goid"] for r in logrecs("forward") if r.get("trace") in (0, 3))
log_sw = sorted(r["goid"] for r in logrecs("stateworker") if r.get("trace") in (0, 3))
chk(fw == log_fw, "forward goids = the target's log (traces 0 and 3)", (fw, log_fw))
chk(sw == log_sw, "stateworker goids = the target's log (traces 0 and 3)", (sw, log_sw))
main = [g for g in gs if g["goid"] == 1]
chk(len(main) == 1 and main[0]["start"] == "runtime.main" and not main[0]["system"],
    "the main goroutine", main)
user = [g for g in gs if not g["system"]]
idle = logrecs("idle")
chk(idle and len(user) == idle[0]["goroutines"], "user goroutines = runtime.NumGoroutine()",
    ([g["goid"] for g in user], idle))
chk(not [g for g in user if g["goid"] != 1 and g not in nt], "no other user goroutine", user)
if minor >= 21:
    chk(all(g["parent_goid"] == 1 for g in nt), "parent_goid 1 (Go >= 1.21)",
        [g["parent_goid"] for g in nt])
else:
    chk(all(g["parent_goid"] == 0 for g in gs), "parent_goid 0 before Go 1.21",
        [g["parent_goid"] for g in gs])
chk(all(g["status"] in ("runnable", "running", "syscall", "waiting", "copystack", "preempted")
        for g in gs), "statuses", [g["status"] for g in gs])
grp = [x for x in d["groups"] if x["site_func"] == "main.(*manager).NewTrace"]
chk(len(grp) == 2, "2 groups in NewTrace", grp)
chk(all(x["count"] == 2 and x["states"] == {"waiting": 2} and x["wait_reason"] == "chan receive"
        for x in grp), "each: 2 waiting in chan receive", grp)
chk(sum(x["count"] for x in d["groups"]) == len(gs), "groups cover every goroutine")
counts = [x["count"] for x in d["groups"]]
chk(counts == sorted(counts, reverse=True), "groups by count", counts)
PY
}

# last_tick LOG: the last "gotrace tick=K" K, or 0
last_tick() {
	local k
	k=$(grep -o 'gotrace tick=[0-9]*' "$1" 2>/dev/null | tail -n1 | cut -d= -f2)
	echo "${k:-0}"
}

# run_one VERSION BINARY LABEL: the whole check on one gotrace build
run_one() {
	local v=$1 bin=$2 label=$3 i bad=0 t0 t1
	export EXE=$bin LOG=$TMP/$label.log GO_MINOR=${v#1.} SITE_FORWARD SITE_WORKER
	WEFT_TEST_LOG=$LOG bg TPID "$bin" 6 keep
	export TPID
	if ! wait_for "$LOG" 'gotrace idle' 20 "$TPID"; then
		fail "$label: gotrace did not reach idle: $(tail -c 300 "$LOG" 2>/dev/null)"
		return
	fi
	weft_run "$TMP/$label.json" "$TMP/$label.err" goroutines -p "$TPID" --format json
	assert_exit_ok "$label: weft goroutines --format json"
	check_snapshot "$TMP/$label.json" "$label"

	weft_run "$TMP/$label.txt" "$TMP/$label.terr" goroutines -p "$TPID" -v
	assert_exit_ok "$label: weft goroutines -v (text)"
	assert_match "$(head -n1 "$TMP/$label.txt")" \
		"^weft: pid $TPID \\((\\.\\.\\.)?[^()]*/$(basename "$bin")\\), go1\\.${v#1.}[.0-9]*: [0-9]+ goroutines \\(5 user, [0-9]+ runtime\\)" \
		"$label: text header"
	assert_eq "$(awk 'length > 100' "$TMP/$label.txt" | wc -l)" 0 "$label: text lines over 100 columns"
	assert_contains "$TMP/$label.txt" "2 waiting (chan receive)" "$label: text states"
	assert_contains "$TMP/$label.txt" "main.(*manager).NewTrace (gotrace.go:$SITE_FORWARD) -> " \
		"$label: text site"
	if [ "${v#1.}" -ge 21 ]; then
		CHECKS=$((CHECKS + 1))
		# the 4 are children of goroutine 1 in the tree: indented one level
		n=$(grep -cE '^    [0-9]+  main\.\(\*(manager\)\.NewTrace\.func[12]|PubSub\)\.forward|manager\)\.startStateWorker)  waiting \(chan receive\)' \
			"$TMP/$label.txt")
		[ "$n" -eq 4 ] || fail "$label: tree: $n NewTrace goroutines under goroutine 1: $(sed -n '/^Goroutine tree/,$p' "$TMP/$label.txt" | head -20 | tr '\n' '|')"
	else
		assert_contains "$TMP/$label.txt" "needs Go 1.21+" "$label: no tree before 1.21"
	fi

	# 20 snapshots in a row: the same answer, the target undisturbed
	t0=$(last_tick "$LOG")
	for i in $(seq 1 20); do
		weft_run "$TMP/$label-r.json" "$TMP/$label-r.err" goroutines -p "$TPID" --format json
		if [ "$RC" -ne 0 ]; then
			bad=$((bad + 1))
			echo "  run $i: exit $RC: $(head -c 300 "$TMP/$label-r.err")"
			continue
		fi
		jq_py "$TMP/$label-r.json" \
			'len([g for g in d["goroutines"] if g["site_func"] == "main.(*manager).NewTrace" and g["wait_reason"] == "chan receive"]) == 4' \
			>"$TMP/$label-r.ok" 2>&1
		[ "$(cat "$TMP/$label-r.ok")" = true ] || { bad=$((bad + 1)); echo "  run $i: $(head -c 300 "$TMP/$label-r.ok")"; }
	done
	assert_eq "$bad" 0 "$label: failed runs of 20"
	CHECKS=$((CHECKS + 1))
	alive "$TPID" || fail "$label: the target died"
	assert_match "$(proc_state "$TPID")" '^[RS]$' "$label: target state"
	assert_eq "$(awk '/^TracerPid:/ { print $2 }' "/proc/$TPID/status" 2>/dev/null)" 0 \
		"$label: target traced"
	sleep 0.5
	t1=$(last_tick "$LOG")
	CHECKS=$((CHECKS + 1))
	[ "$t1" -ge $((t0 + 3)) ] || fail "$label: tick lines stalled: $t0 -> $t1"
	CHECKS=$((CHECKS + 1))
	! grep -qE 'panic|fatal error|SIGSEGV' "$LOG" || fail "$label: target log: $(grep -E 'panic|fatal' "$LOG" | head -3)"
	assert_eq "$(probes_left "$bin")" 0 "$label: probes on the target"
	kill "$TPID" 2>/dev/null
	wait_exit "$TPID" 5
}

newest=
while read -r v _; do
	matrix_cell go "$v" built
	go_target TRACE "$v" gotrace || continue
	run_one "$v" "$TRACE" "go$v"
	# stripped (-s -w): names and lines from pclntab, offsets from the table,
	# allgs and the wait reasons' names from the runtime's code: the same
	matrix_cell go "$v" stripped
	go_target STRIPPED "$v" gotrace stripped && run_one "$v" "$STRIPPED" "go$v-stripped"
	newest=$v
done <<<"$VERSIONS"
matrix_close

# PIE: the runtime addresses are the DWARF's plus the load bias
if [ -n "$newest" ] && go_target PIE "$newest" gotrace pie; then
	if file "$PIE" 2>/dev/null | grep -q 'pie executable' || ! command -v file >/dev/null; then
		matrix_cell go "$newest" PIE
		run_one "$newest" "$PIE" "go$newest-pie"
		matrix_close
	else
		note "go $newest: -buildmode=pie did not make a PIE: $(file "$PIE")"
	fi
fi

# errors: one line, exit != 0
cp /bin/sleep "$TMP/bin/sleep"
bg NPID "$TMP/bin/sleep" 30
sleep 0.1
weft_run "$TMP/n.out" "$TMP/n.err" goroutines -p "$NPID"
assert_one_error_line "$TMP/n.err" "not Go" "pid $NPID" "not a Go binary"
kill "$NPID" 2>/dev/null
wait_exit "$NPID" 5
weft_run "$TMP/d.out" "$TMP/d.err" goroutines -p "$NPID"
assert_one_error_line "$TMP/d.err" "dead pid" "pid $NPID" "no such process"
weft_run "$TMP/u.out" "$TMP/u.err" goroutines
assert_one_error_line "$TMP/u.err" "no -p" "-p PID"

finish
