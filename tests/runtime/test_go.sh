#!/usr/bin/env bash
# weft-test-timeout: 900
# The Go adapter on every installed Go (tools/go-versions.sh), each as built
# and stripped (-s -w: pclntab and the offsets table instead of symbols and
# DWARF), the newest as PIE too, with the programs of tests/go/ whose
# shapes their headers document:
#   gofanout 2 (--txn main.runFanout, -- CMD): per transaction 33 goroutines
#     (2+4+8+16 tree, 3 pool workers), parents level by level, no leak;
#   gotrace 6 (--txn main.handleTrace, -- CMD): traces 0 and 3 never
#     released: 4 leaked goroutines at 2 sites, the released ones exit ~150 ms
#     after their transaction (not leaks at 500 ms, leaks at 1 ms);
#   gofanout 60 --go-lean --max-tasks 1024: 1980 goroutines through a map
#     of 1024, none evicted (read when half full);
#   gotrace keep, attached with -p: the same leaks, and every goroutine that
#     existed before the attach is preattach, never an orphan or a leak.
. "$(dirname "$0")/lib.sh"
require_root
require_weft

VERSIONS=$(bash "$ROOT/tools/go-versions.sh")
[ -n "$VERSIONS" ] || skip "no Go toolchain installed (tools/install-deps.sh installs them)"

# go_target VAR VERSION[-VARIANT] NAME: a private build of tests/go/NAME.go,
# as built, stripped (-s -w: no symbols, no DWARF) or PIE
go_target() {
	local __var=$1 v=${2%%-*} variant= name=$3 go out=$TMP/bin/$3-$2 flags=()
	[ "$2" != "$v" ] && variant=${2#*-}
	case $variant in
	stripped) flags=(-ldflags='-s -w') ;;
	pie) flags=(-buildmode=pie) ;;
	esac
	go=$(awk -v v="$v" '$1 == v { print $2 }' <<<"$VERSIONS")
	mkdir -p "$TMP/bin"
	if [ -x "$ROOT/build/tests/go/$v/$name${variant:+.$variant}" ]; then
		cp "$ROOT/build/tests/go/$v/$name${variant:+.$variant}" "$out"
	else
		HOME=${HOME:-$TMP} GOCACHE=$ROOT/build/gocache GOPATH=$ROOT/tests/go GO111MODULE=off \
			CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS= \
			"$go" build "${flags[@]}" -o "$out" "$ROOT/tests/go/$name.go" >"$TMP/build-$name-$2.log" 2>&1 ||
			{ fail "go $2: build $name failed: $(head -c 600 "$TMP/build-$name-$2.log")"; return 1; }
	fi
	printf -v "$__var" '%s' "$out"
}

# every version as built and stripped, the newest as PIE too
NEWEST=$(tail -n1 <<<"$VERSIONS" | cut -d' ' -f1)
RUNS=$(while read -r gv _; do
	echo "$gv"
	echo "$gv-stripped"
	[ "$gv" = "$NEWEST" ] && echo "$gv-pie"
done <<<"$VERSIONS")

check_fanout() {
	py_checks "$1" "go $2 gofanout" <<'PY'
def chk(c, m, g=None): return check(c, m if g is None else "%s: got %r" % (m, g))
txns = d["transactions"]
chk(len(txns) == 2, "2 runFanout transactions", len(txns))
chk([t["segments"] for t in txns] == [33, 33], "33 goroutines per transaction",
      [t["segments"] for t in txns])
chk(d["leaks"] == [], "no leaks", d["leaks"])
chk(not [o for o in d["orphans"] if o["site_func"].startswith("main.")],
      "no orphans from main", d["orphans"])
seg = {s["id"]: s for s in d["segments"]}
for t in txns:
    gs = [s for s in d["segments"] if s["txn"] == t["id"] and s["kind"] == "goroutine"]
    by = {}
    for s in gs:
        by.setdefault(s["site_func"], []).append(s)
    counts = {k: len(v) for k, v in by.items()}
    chk(counts == {"main.spawnLevel1": 2, "main.spawnLevel2": 4, "main.spawnLevel3": 8,
                     "main.spawnLevel4": 16, "main.spawnPool": 3},
          "txn %d: goroutines per creation site" % t["id"], counts)
    for s in by.get("main.spawnLevel1", []) + by.get("main.spawnPool", []):
        chk(s["parent"] == t["root_segment"], "level 1 / pool: parent is the txn root",
              s["parent"])
    for lvl in (2, 3, 4):
        for s in by.get("main.spawnLevel%d" % lvl, []):
            p = seg.get(s["parent"], {})
            chk(p.get("site_func") == "main.spawnLevel%d" % (lvl - 1),
                  "level %d parent created at level %d" % (lvl, lvl - 1), p.get("site_func"))
            chk(s["start"] == "main.level%dMain" % lvl, "level %d start" % lvl, s["start"])
    # wg.Done() comes before the goroutine's exit: one may end a hair after
    chk(all(s["state"] == "ended" and s["end_ns"] <= t["end_ns"] + 5000000 for s in gs),
          "txn %d: every goroutine ended inside it (or within 5 ms, past its wg.Done)" % t["id"],
          [(s["site_func"], s["end_ns"] - t["end_ns"]) for s in gs if s["end_ns"] and s["end_ns"] > t["end_ns"]])
PY
}

check_trace() { # FILE LABEL LEAKED-PER-TXN
	EXPECT=$3 py_checks "$1" "go $2 gotrace" <<'PY'
import os
def chk(c, m, g=None): return check(c, m if g is None else "%s: got %r" % (m, g))
txns = d["transactions"]
chk(len(txns) == 6, "6 handleTrace transactions", len(txns))
chk([t["segments"] for t in txns] == [2] * 6, "2 goroutines per trace",
      [t["segments"] for t in txns])
chk([t["leaked"] for t in txns] == eval(os.environ["EXPECT"]), "leaked per transaction",
      [t["leaked"] for t in txns])
leaks = sorted((l["site_func"], l["count"]) for l in d["leaks"])
n = sum(eval(os.environ["EXPECT"])) // 2
chk(leaks == [("main.(*manager).NewTrace", n)] * 2, "leaks: 2 sites in NewTrace", leaks)
chk(all(l["txns"] == ["main.handleTrace"] for l in d["leaks"]), "owner named", d["leaks"])
chk(not [o for o in d["orphans"] if o["site_func"].startswith("main.")],
      "no orphans from main", d["orphans"])
PY
}

while read -r v; do
	GOV=${v%%-*}
	case $v in
	*-stripped) matrix_cell go "$GOV" stripped ;;
	*-pie) matrix_cell go "$GOV" PIE ;;
	*) matrix_cell go "$GOV" built ;;
	esac
	go_target FAN "$v" gofanout || continue
	go_target TRACE "$v" gotrace || continue
	export EXE=$FAN LOG=$TMP/fan-$v.log
	# weft's report goes to -o: stdout is the target's alone, and the same
	# with and without weft
	WEFT_TEST_LOG=$LOG weft_run "$TMP/traced-$v.out" "$TMP/fan-$v.err" \
		trace -o "$TMP/fan-$v.json" --format json --txn main.runFanout -- "$FAN" 2
	assert_exit_ok "go $v: weft trace -- gofanout"
	"$FAN" 2 >"$TMP/plain-$v.out" 2>/dev/null
	assert_eq "$(cat "$TMP/plain-$v.out")" "levels 4 8 16 32 jobs 12" "go $v: gofanout's stdout"
	assert_eq "$(cat "$TMP/traced-$v.out")" "$(cat "$TMP/plain-$v.out")" \
		"go $v: gofanout's stdout identical under weft"
	json_valid "$TMP/fan-$v.json" "go $v gofanout" && check_fanout "$TMP/fan-$v.json" "$v"

	export EXE=$TRACE LOG=$TMP/trace-$v.log
	WEFT_TEST_LOG=$LOG weft_run "$TMP/trace-$v.json" "$TMP/trace-$v.err" \
		trace --format json --txn main.handleTrace -- "$TRACE" 6
	assert_exit_ok "go $v: weft trace -- gotrace"
	json_valid "$TMP/trace-$v.json" "go $v gotrace" &&
		check_trace "$TMP/trace-$v.json" "$v" "[2,0,0,2,0,0]"
	WEFT_TEST_LOG=$LOG weft_run "$TMP/trace1-$v.json" "$TMP/trace1-$v.err" \
		trace --format json --leak-grace 1ms --txn main.handleTrace -- "$TRACE" 6
	json_valid "$TMP/trace1-$v.json" "go $v gotrace 1ms" &&
		check_trace "$TMP/trace1-$v.json" "$v 1ms" "[2,2,2,2,2,2]"

	# --go-lean: no exit probe, one trap per goroutine; what is gone is read
	# from runtime.allgs at each transaction's end + grace
	export EXE=$TRACE LOG=$TMP/lean-$v.log
	for grace in 500ms 1ms; do
		WEFT_TEST_LOG=$LOG weft_run "$TMP/lean-$v-$grace.json" "$TMP/lean-$v.err" \
			trace --go-lean --format json --leak-grace $grace --txn main.handleTrace -- "$TRACE" 6
		assert_exit_ok "go $v: weft trace --go-lean -- gotrace"
		expect="[2,0,0,2,0,0]"
		[ $grace = 1ms ] && expect="[2,2,2,2,2,2]"
		json_valid "$TMP/lean-$v-$grace.json" "go $v gotrace lean" &&
			check_trace "$TMP/lean-$v-$grace.json" "$v --go-lean $grace" "$expect"
	done
	assert_py "$TMP/lean-$v-500ms.json" \
		"[p['hits'] for p in d['capture']['probes'] if p['id'] == 6] == [sum(1 for s in d['segments'] if s['kind'] == 'goroutine' and not s['preattach'])]" \
		"go $v --go-lean: one goroutine-probe hit per goroutine created"
	assert_py "$TMP/lean-$v-500ms.json" \
		"sorted(s['state'] for s in d['segments'] if s['txn'] and s['kind'] == 'goroutine') == ['ended'] * 8 + ['leaked'] * 4" \
		"go $v --go-lean: released goroutines found ended, leaked ones alive"
	# goroutines made faster than transactions end: the map half full
	# calls for a read, not the next due (1980 goroutines, a 1024 map)
	weft_run "$TMP/lean-fast-$v.out" "$TMP/lean-fast-$v.err" trace --go-lean --max-tasks 1024 \
		--format json -o "$TMP/lean-fast-$v.json" --txn main.runFanout -- "$FAN" 60
	assert_exit_ok "go $v: weft trace --go-lean --max-tasks 1024 -- gofanout 60"
	assert_py "$TMP/lean-fast-$v.json" \
		"d['capture']['evicted'] == 0 and [t['segments'] for t in d['transactions']] == [33] * 60" \
		"go $v --go-lean, 1980 goroutines through a 1024-entry map: none evicted, 60 x 33"

	# net/http: with no --txn, every request served is a transaction named by
	# method and path; /leak leaves one goroutine blocked per request
	if go_target HTTP "$v" gohttp; then
		export EXE=$HTTP LOG=$TMP/http-$v.log
		WEFT_TEST_LOG=$LOG weft_run "$TMP/http-$v.json" "$TMP/http-$v.err" \
			trace --format json -- "$HTTP" 4 2
		assert_exit_ok "go $v: weft trace -- gohttp"
		assert_jq "$TMP/http-$v.json" '[(t["name"], t["segments"], t["leaked"]) for t in d["transactions"]]' \
			'[["GET /ok",1,0],["GET /ok",1,0],["GET /ok",1,0],["GET /ok",1,0],["GET /leak",1,1],["GET /leak",1,1]]' \
			"go $v gohttp: one transaction per request, named, /leak leaks"
		assert_jq "$TMP/http-$v.json" '[(l["site_func"], l["count"], l["txns"]) for l in d["leaks"]]' \
			'[["main.handleLeak",2,["GET /leak"]]]' "go $v gohttp: the leak site"
		assert_jq "$TMP/http-$v.json" 'd["conflations"]' '[]' "go $v gohttp: no conflation"
	fi

	# --txn on a method, spelled as Go spells it: each NewTrace call is a
	# transaction whose 2 goroutines outlive it (the trace owns them)
	WEFT_TEST_LOG=$LOG weft_run "$TMP/method-$v.json" "$TMP/method-$v.err" \
		trace --format json --txn 'main.(*manager).NewTrace' -- "$TRACE" 6
	assert_exit_ok "go $v: --txn on a method"
	assert_jq "$TMP/method-$v.json" '[(t["name"], t["segments"]) for t in d["transactions"]]' \
		"$(python3 -c 'print(str([["main.(*manager).NewTrace", 2]] * 6).replace(" ", "").replace("'"'"'", "\""))')" \
		"go $v: 6 NewTrace transactions with 2 goroutines each"

	# a closure, a generic function (every instantiation: "[...]") and a method
	# on a value receiver, named as Go spells them
	if go_target NAMES "$v" gonames; then
		export EXE=$NAMES LOG=$TMP/names-$v.log
		WEFT_TEST_LOG=$LOG weft_run "$TMP/names-$v.json" "$TMP/names-$v.err" \
			trace --format json --txn main.main.func1 --txn 'main.process[...]' \
			--txn main.worker.run -- "$NAMES" 2
		assert_exit_ok "go $v: --txn on a closure, a generic, a method"
		assert_jq "$TMP/names-$v.json" '[(t["name"], t["segments"], t["leaked"]) for t in d["transactions"]]' \
			'[["main.main.func1",1,0],["main.process[...]",2,0],["main.process[...]",4,0],["main.worker.run",3,0],["main.main.func1",1,0],["main.process[...]",2,0],["main.process[...]",4,0],["main.worker.run",3,0]]' \
			"go $v gonames: 4 transactions per round (the generic's 2 instantiations), 1/2/4/3 goroutines"
		assert_jq "$TMP/names-$v.json" 'd["conflations"]' '[]' "go $v gonames: no conflation"
	fi

	# never a uretprobe on Go code: refused, target not started for real
	export EXE=$TRACE LOG=$TMP/refused-$v.log
	WEFT_TEST_LOG=$LOG weft_run "$TMP/refused-$v.out" "$TMP/refused-$v.err" \
		trace --task-run main.handleTrace:arg0 -- "$TRACE" 6
	assert_one_error_line "$TMP/refused-$v.err" "go $v: --task-run on Go code" \
		"main.handleTrace" "--task-begin"
	CHECKS=$((CHECKS + 1))
	grep -q 'trace=' "$LOG" 2>/dev/null && fail "go $v: the refused target ran"

	# iter.Pull coroutines (1.23+): they end in gdestroy too; the one never
	# stopped (i % 4 == 1) leaks
	if [ "${GOV#1.}" -ge 23 ] && go_target ITER "$v" goiter; then
		export EXE=$ITER LOG=$TMP/iter-$v.log
		WEFT_TEST_LOG=$LOG weft_run "$TMP/iter-$v.json" "$TMP/iter-$v.err" \
			trace --format json --txn main.pullTxn -- "$ITER" 4
		assert_exit_ok "go $v: weft trace -- goiter"
		assert_jq "$TMP/iter-$v.json" '[(t["segments"], t["leaked"]) for t in d["transactions"]]' \
			'[[1,0],[1,1],[1,0],[1,0]]' "go $v goiter: one coroutine per txn, txn 1 leaks"
		assert_jq "$TMP/iter-$v.json" '[(l["site_func"], l["start"], l["count"]) for l in d["leaks"]]' \
			'[["iter.Pull[...]","runtime.corostart",1]]' \
			"go $v goiter: the leak's site (as the traceback prints it)"
	fi

	# -p: attach to a running gotrace held before its first trace
	WAIT=$TMP/go-$v
	LOG=$TMP/keep-$v.log
	WEFT_TEST_WAIT=$WAIT WEFT_TEST_LOG=$LOG bg TPID "$TRACE" 6 keep
	wait_for "$LOG" . 10 "$TPID" || { fail "go $v: gotrace did not start"; continue; }
	bg WPID "$WEFT" trace --format json -d 3 --txn main.handleTrace -p "$TPID" \
		>"$TMP/keep-$v.json" 2>"$TMP/keep-$v.err"
	if wait_for "$TMP/keep-$v.err" attached 15 "$WPID"; then
		touch "$WAIT"
		wait_exit "$WPID" 30
		assert_exit_ok "go $v: weft trace -p gotrace"
		json_valid "$TMP/keep-$v.json" "go $v gotrace -p" &&
			check_trace "$TMP/keep-$v.json" "$v -p" "[2,0,0,2,0,0]" &&
			assert_py "$TMP/keep-$v.json" \
				"all(not s['preattach'] or s['state'] != 'leaked' for s in d['segments'])" \
				"go $v -p: preattach goroutines never leak"
		assert_py "$TMP/keep-$v.json" "d['orphans'] == []" "go $v -p: no orphans"
		# read from the live process at the end: what the leaks wait on
		assert_jq "$TMP/keep-$v.json" '[l["wait_reason"] for l in d["leaks"]]' \
			'["chan receive","chan receive"]' "go $v -p: leaked goroutines wait on a channel"
		# the goroutines found in runtime.allgs at attach are seeded: main is
		# there with its start function, and every request began on it
		assert_py "$TMP/keep-$v.json" \
			"[s['start'] for s in d['segments'] if s['preattach'] and s['obj'] == 1] == ['runtime.main']" \
			"go $v -p: the main goroutine seeded from allgs"
		assert_py "$TMP/keep-$v.json" \
			"set(t['parent_segment'] for t in d['transactions']) == set(s['id'] for s in d['segments'] if s['preattach'] and s['obj'] == 1)" \
			"go $v -p: each transaction began on the seeded main goroutine"
	else
		fail "go $v: weft -p did not attach: $(head -c 300 "$TMP/keep-$v.err")"
	fi
	# attach and detach 20 times against the busy process (newest Go only:
	# the probes are the same on every version)
	if [ "$v" = "$NEWEST" ]; then
		ok=0
		for i in $(seq 20); do
			timeout -k 2 20 "$WEFT" trace -d 0.2 --txn main.handleTrace -p "$TPID" \
				>/dev/null 2>"$TMP/cycle.err" && ok=$((ok + 1))
		done
		assert_eq "$ok" 20 "go $v: 20 attach/detach cycles succeed"
		CHECKS=$((CHECKS + 1))
		alive "$TPID" || fail "go $v: gotrace died during attach/detach cycles"
		n0=$(grep -c tick "$LOG")
		sleep 0.3
		CHECKS=$((CHECKS + 1))
		[ "$(grep -c tick "$LOG")" -gt "$n0" ] || fail "go $v: gotrace stopped ticking"
		assert_eq "$(probes_left "$TRACE")" 0 "go $v: no probe left after 20 cycles"
	fi
	kill "$TPID" 2>/dev/null
	wait_exit "$TPID" 5
	CHECKS=$((CHECKS + 1))
	grep -q "panic\|fatal error\|unexpected return pc" "$LOG" &&
		fail "go $v: gotrace crashed: $(grep -m3 'panic\|fatal' "$LOG")"
	assert_eq "$(probes_left "$TRACE")" 0 "go $v: no probe left on gotrace"
done <<<"$RUNS"
matrix_close

finish
