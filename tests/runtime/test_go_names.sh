#!/usr/bin/env bash
# weft-test-timeout: 420
# Goroutines named as Go's own traceback names them, through the compiler's
# inlining (tests/go/goseed.go: the seed's trace manager written without
# //go:noinline; from Go 1.22 the started methods are inlined into their
# .gowrapN wrappers), on every installed Go, built plain and stripped
# (-s -w), and the newest Go also as PIE:
#   - weft trace --txn main.handleTrace -- goseed 4: leaked 2,0,2,0; the
#     leaks are exactly main.(*pubsub).forward and
#     main.(*trace).startStateWorker, 2 each, created in main.newTrace at
#     their `go` lines; the 5 shapes started outside any transaction
#     (orphans) are named: a method value, a small function inlined into its
#     wrapper, a closure wrapping one call (the traceback names the
#     closure), a generic (main.process[...]), a helper's `go` statement;
#   - every goroutine of the target's own runtime.Stack(all) traceback (in
#     its log) that has a "created by": weft's segment for that goid starts
#     with the traceback's bottom frame, and its site is the "created by"
#     function with the same file:line;
#   - weft goroutines -p (a snapshot, no probes) on `goseed 4 keep`: the
#     same, goroutine by goroutine;
#   - the text report (newest Go) prints every start routine in full, on a
#     line of its own when it does not fit (tests/go/gohttp: net/http's).
. "$(dirname "$0")/lib.sh"
require_root
require_weft

VERSIONS=$(bash "$ROOT/tools/go-versions.sh")
[ -n "$VERSIONS" ] || skip "no Go toolchain installed (tools/install-deps.sh installs them)"
SRC=$ROOT/tests/go/goseed.go
for tag in forward worker methodvalue small closure generic helper; do
	export "SITE_${tag^^}=$(grep -n "SITE:$tag \*/" "$SRC" | cut -d: -f1)"
done

# go_target VAR VERSION NAME [MODE]: a private build of tests/go/NAME.go
# (MODE: stripped, or a -buildmode)
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
			"$go" build "${flags[@]}" -o "$out" "$SRC" >"$TMP/build-$name-$v.log" 2>&1 ||
			{ fail "go $v: build $name $mode failed: $(head -c 600 "$TMP/build-$name-$v.log")"; return 1; }
	fi
	printf -v "$__var" '%s' "$out"
}

# Shared by both checks: the traceback in the log, by goid:
# {goid: (bottom frame, created-by function, file, line)}.
TRACEBACK='
def traceback():
    text = open(E["LOG"]).read()
    text = text[text.index("goseed stacks begin"):text.index("goseed stacks end")]
    out = {}
    for block in text.split("\n\n"):
        lines = [l for l in block.splitlines() if l.strip()]
        m = [re.match(r"goroutine (\d+) \[", l) for l in lines]
        if not any(m): continue
        i = [k for k, x in enumerate(m) if x][0]
        goid, body = int(m[i].group(1)), lines[i + 1:]
        cb = [k for k, l in enumerate(body) if l.startswith("created by ")]
        if not cb: continue
        k = cb[0]
        frames = [l for l in body[:k] if not l.startswith("\t")]
        creator = re.sub(r" in goroutine \d+$", "", body[k][len("created by "):])
        fl = re.match(r"\t(.*):(\d+)", body[k + 1])
        out[goid] = (frames[-1].rsplit("(", 1)[0], creator, os.path.basename(fl.group(1)),
                     int(fl.group(2)))
    return out
def same_as_traceback(got, what):
    # got: {goid: (start, site_func, file, line)} from weft
    tb = traceback()
    check(len(tb) >= 9, "%s: the traceback has the 9 goroutines with a creator: %r" % (what, tb))
    for goid, want in sorted(tb.items()):
        check(got.get(goid) == want, "%s: goroutine %d: weft %r, traceback %r" %
              (what, goid, got.get(goid), want))
SHAPES = sorted([
    ("main.(*pubsub).forward", "main.spawnShapes", int(E["SITE_METHODVALUE"])),
    ("main.park", "main.spawnShapes", int(E["SITE_SMALL"])),
    ("main.spawnShapes.func1", "main.spawnShapes", int(E["SITE_CLOSURE"])),
    ("main.process[...]", "main.spawnShapes", int(E["SITE_GENERIC"])),
    ("main.park", "main.startParked", int(E["SITE_HELPER"]))])
'

# check_trace LABEL JSON LOG: weft trace -- goseed 4
check_trace() {
	LOG=$3 py_checks "$2" "$1" <<PY
$TRACEBACK
check([t["leaked"] for t in txns("main.handleTrace")] == [2, 0, 2, 0],
      "leaked per transaction: %r" % [t["leaked"] for t in T])
leaks = sorted((l["start"], l["site_func"], site_line(l), l["count"]) for l in d["leaks"])
want = sorted([("main.(*pubsub).forward", "main.newTrace", int(E["SITE_FORWARD"]), 2),
               ("main.(*trace).startStateWorker", "main.newTrace", int(E["SITE_WORKER"]), 2)])
check(leaks == want, "leaks: %r" % leaks)
user = sorted((o["start"], o["site_func"], site_line(o)) for o in d["orphans"]
              if not o["site_func"].startswith("runtime."))
check(user == SHAPES, "the shapes (orphans): %r" % user)
check(not [s for s in S if ".gowrap" in (s["start"] or "") or "-fm" in (s["start"] or "")],
      "no wrapper named: %r" % [s["start"] for s in S])
got = {s["obj"]: (s["start"], s["site_func"], site_file(s), site_line(s))
       for s in S if s["kind"] == "goroutine"}
same_as_traceback(got, "weft trace")
PY
}

# check_snapshot LABEL JSON LOG: weft goroutines -p on goseed 4 keep
check_snapshot() {
	LOG=$3 py_checks "$2" "$1" <<PY
$TRACEBACK
gs = d["goroutines"]
got = {g["goid"]: (g["start"], g["site_func"], site_file(g), site_line(g)) for g in gs}
same_as_traceback(got, "weft goroutines")
nt = sorted((g["start"], site_line(g)) for g in gs if g["site_func"] == "main.newTrace")
want = sorted([("main.(*pubsub).forward", int(E["SITE_FORWARD"])),
               ("main.(*trace).startStateWorker", int(E["SITE_WORKER"]))] * 2)
check(nt == want, "the 4 leaked goroutines: %r" % nt)
user = sorted((g["start"], g["site_func"], site_line(g)) for g in gs
              if not g["system"] and g["goid"] != 1 and g["site_func"] != "main.newTrace")
check(user == SHAPES, "the shapes: %r" % user)
PY
}

run_one() {
	local v=$1 mode=$2 bin label="go $1${2:+ $2}" log tpid
	case $mode in
	"") matrix_cell go "$v" built ;;
	pie) matrix_cell go "$v" PIE ;;
	*) matrix_cell go "$v" "$mode" ;;
	esac
	go_target bin "$v" goseed "$mode" || return
	log=$TMP/seed-$v-$mode.log
	WEFT_TEST_LOG=$log weft_run "$TMP/trace-$v-$mode.out" "$TMP/trace-$v-$mode.err" \
		trace --format json --txn main.handleTrace -o "$TMP/trace-$v-$mode.json" -- "$bin" 4
	assert_exit_ok "$label: weft trace -- goseed"
	json_valid "$TMP/trace-$v-$mode.json" "$label goseed" &&
		check_trace "$label trace" "$TMP/trace-$v-$mode.json" "$log"

	log=$TMP/keep-$v-$mode.log
	WEFT_TEST_LOG=$log bg tpid "$bin" 4 keep
	if wait_for "$log" 'goseed stacks end' 15 "$tpid"; then
		"$WEFT" goroutines -p "$tpid" --format json >"$TMP/g-$v-$mode.json" \
			2>"$TMP/g-$v-$mode.err"
		RC=$?
		assert_exit_ok "$label: weft goroutines -p"
		check_snapshot "$label goroutines" "$TMP/g-$v-$mode.json" "$log"
	else
		fail "$label: goseed keep did not dump its stacks"
	fi
	kill "$tpid" 2>/dev/null
	wait "$tpid" 2>/dev/null
}

while read -r v _; do
	run_one "$v" ""
	run_one "$v" stripped
done <<<"$VERSIONS"
NEWEST=$(tail -n1 <<<"$VERSIONS" | cut -d' ' -f1)
run_one "$NEWEST" pie
matrix_close

# the text report: every start routine in full (none cut at a column), on
# the newest Go: the leaks' and the orphans' (the runtime's own included)
if go_target BIN "$NEWEST" goseed; then
	WEFT_TEST_LOG=$TMP/text.log weft_run "$TMP/text.txt" "$TMP/text.err" \
		trace --txn main.handleTrace -- "$BIN" 4
	assert_exit_ok "go $NEWEST: weft trace (text) -- goseed"
	starts=$(jq_py "$TMP/trace-$NEWEST-.json" \
		'"\n".join(sorted(set(g["start"] for g in d["leaks"] + d["orphans"] if g["start"])))')
	[ "$(wc -l <<<"$starts")" -ge 10 ] || fail "go $NEWEST: too few start routines: $starts"
	while read -r st; do
		CHECKS=$((CHECKS + 1))
		grep -qF -- "-> $st" "$TMP/text.txt" ||
			fail "go $NEWEST: text report: '-> $st' not found in full"
	done <<<"$starts"
	assert_eq "$(awk '/^  / && length > 100' "$TMP/text.txt" | wc -l)" 0 \
		"go $NEWEST: table lines over 100 columns"
fi
# net/http's names are long: a site and its start that do not fit on one
# line are split before the arrow, never cut
if go_target HTTP "$NEWEST" gohttp; then
	WEFT_TEST_LOG=$TMP/http.log weft_run "$TMP/http.txt" "$TMP/http.err" trace -- "$HTTP"
	assert_exit_ok "go $NEWEST: weft trace (text) -- gohttp"
	assert_contains "$TMP/http.txt" \
		"net/http.(*connReader).startBackgroundRead (server.go:" "gohttp: a long site"
	CHECKS=$((CHECKS + 1))
	grep -qE '^ {20}  -> net/http\.\(\*connReader\)\.backgroundRead$' "$TMP/http.txt" ||
		fail "gohttp: the long start routine not on a line of its own, in full"
	assert_eq "$(awk '/^  / && length > 100' "$TMP/http.txt" | wc -l)" 0 \
		"gohttp: table lines over 100 columns"
fi

finish
