#!/usr/bin/env bash
# weft-test-timeout: 300
# The Go adapter on a cgo program (tests/go/gocgo.go: CGO_ENABLED=1, linked
# externally by gcc, dynamic against libc), on every installed Go
# (tools/go-versions.sh), each as built and stripped (-s -w):
#   weft trace --txn main.handle -- gocgo 3
#   - 3 main.handle transactions, goroutine segments 2, 3, 2, leaked 0, 1, 0:
#     every goroutine calls into C (C.c_work, ~1 ms), the one started on the
#     second call blocks forever afterwards (site main.handle, start
#     main.leakWorker);
#   - each goroutine segment is the goroutine the target logged (obj = goid);
#   - the goroutine an exported Go function (main.goCallback) started on a
#     thread created by C (pthread_create in the preamble), before the first
#     transaction: the only orphan from main.* (count 1), ended;
#   - the target's stdout is its own, the same with and without weft.
#   - creation sites at gocgo.go's SITE: lines, built and stripped (pclntab);
#   - the thread C created: a thread orphan with its start routine (stripped:
#     unnamed); the Go runtime's threads are not shown.
. "$(dirname "$0")/lib.sh"
require_root
require_weft

VERSIONS=$(bash "$ROOT/tools/go-versions.sh")
[ -n "$VERSIONS" ] || skip "no Go toolchain installed (tools/install-deps.sh installs them)"
command -v gcc >/dev/null || skip "no gcc (cgo needs a C compiler)"
SRC=$ROOT/tests/go/gocgo.go
export SITE_LEAK SITE_WORKER SITE_CALLBACK
SITE_LEAK=$(grep -n 'SITE:leak \*/' "$SRC" | cut -d: -f1)
SITE_WORKER=$(grep -n 'SITE:worker \*/' "$SRC" | cut -d: -f1)
SITE_CALLBACK=$(grep -n 'SITE:callback \*/' "$SRC" | cut -d: -f1)

# go_target VAR VERSION[-stripped] NAME: a private copy of build/tests/go's
# build of tests/go/NAME.go, or a private cgo build of it
go_target() {
	local __var=$1 v=${2%%-*} variant= name=$3 go out=$TMP/bin/$3-$2 flags=()
	[ "$2" != "$v" ] && variant=${2#*-}
	[ "$variant" = stripped ] && flags=(-ldflags='-s -w')
	go=$(awk -v v="$v" '$1 == v { print $2 }' <<<"$VERSIONS")
	mkdir -p "$TMP/bin"
	if [ -x "$ROOT/build/tests/go/$v/$name${variant:+.$variant}" ] &&
		[ "$ROOT/build/tests/go/$v/$name${variant:+.$variant}" -nt "$ROOT/tests/go/$name.go" ]; then
		cp "$ROOT/build/tests/go/$v/$name${variant:+.$variant}" "$out"
	else
		HOME=${HOME:-$TMP} GOCACHE=$ROOT/build/gocache GOPATH=$ROOT/tests/go GO111MODULE=off \
			CGO_ENABLED=1 GOTOOLCHAIN=local GOFLAGS= \
			"$go" build "${flags[@]}" -o "$out" "$ROOT/tests/go/$name.go" >"$TMP/build-$name-$2.log" 2>&1 ||
			{ fail "go $2: build $name failed: $(head -c 600 "$TMP/build-$name-$2.log")"; return 1; }
	fi
	printf -v "$__var" '%s' "$out"
}

check_cgo() { # FILE LABEL
	py_checks "$1" "go $2 gocgo" <<'PY'
def chk(c, m, g=None): return check(c, m if g is None else "%s: got %r" % (m, g))
stripped = E["VARIANT"] == "stripped"
ts = txns()
chk([t["name"] for t in ts] == ["main.handle"] * 3, "3 main.handle transactions",
    [t["name"] for t in ts])
chk([t["segments"] for t in ts] == [2, 3, 2], "segments per transaction",
    [t["segments"] for t in ts])
gs = [[s for s in in_txn(t) if s["kind"] == "goroutine"] for t in ts]
chk([len(g) for g in gs] == [2, 3, 2], "goroutine segments per transaction",
    [[(s["kind"], s["site_func"]) for s in in_txn(t)] for t in ts])
chk([t["leaked"] for t in ts] == [0, 1, 0], "leaked per transaction", [t["leaked"] for t in ts])
chk(all(t["end_ns"] is not None and t["conflated_with"] is None for t in ts),
    "every transaction ended, none conflated")
chk(d["conflations"] == [], "no conflations", d["conflations"])
leaks = [(l["site_func"], l["start"], l["kind"], l["count"], l["txns"]) for l in d["leaks"]]
chk(leaks == [("main.handle", "main.leakWorker", "goroutine", 1, ["main.handle"])],
    "the leak: 1 goroutine at main.handle, start main.leakWorker", leaks)
workers = logrecs("worker")
leakrec = logrecs("leak")
for i, (t, g) in enumerate(zip(ts, gs)):
    w = [s for s in g if s["start"] == "main.cWorker"]
    chk(len(w) == 2 and all(s["site_func"] == "main.handle" for s in w),
        "txn %d: 2 cWorker goroutines created in main.handle" % i,
        [(s["site_func"], s["start"]) for s in g])
    chk(sorted(s["obj"] for s in w) == sorted(r["goid"] for r in workers if r.get("handle") == i),
        "txn %d: cWorker goids = the logged ones" % i, [s["obj"] for s in w])
    # wg.Done() comes before the goroutine's exit: it may end a hair after
    chk(all(s["state"] == "ended" and s["end_ns"] <= t["end_ns"] + 50000000 for s in w),
        "txn %d: both cWorkers ended with it" % i,
        [(s["state"], s["end_ns"] - t["end_ns"]) for s in w])
    chk(all(s["parent"] == t["root_segment"] for s in g),
        "txn %d: its goroutines are children of its root" % i)
    lk = [s for s in g if s["start"] == "main.leakWorker"]
    chk(len(lk) == (1 if i == 1 else 0), "txn %d: leakWorker goroutines" % i, len(lk))
    for s in lk:
        chk(s["state"] == "leaked" and s["end_ns"] is None, "txn 1: leakWorker leaked",
            s["state"])
        chk([s["obj"]] == [r["goid"] for r in leakrec], "txn 1: leakWorker goid logged",
            s["obj"])
        # lines from pclntab, built or stripped: the DWARF of an externally
        # linked cgo binary has .debug_aranges for its C units only
        chk(site_file(s) == "gocgo.go" and site_line(s) == int(E["SITE_LEAK"]),
            "leak site at gocgo.go:%s" % E["SITE_LEAK"], s["site"])
# the goroutine started by the callback on the C thread: an orphan, ended
# before the first transaction began
mo = [(o["site_func"], o["start"], o["kind"], o["count"]) for o in d["orphans"]
      if o["site_func"].startswith("main.")]
chk(mo == [("main.goCallback", "main.callbackWorker", "goroutine", 1)],
    "orphans from main.*: the callback's goroutine", d["orphans"])
# the thread C made (pthread_create in the preamble): a thread orphan, with
# its start routine; the runtime's own threads (cgo's threadentry) left out
# (stripped, nothing names them: the runtime's threads are known by the
# start routine of the first thread the process makes)
th = [(o["site_func"].endswith("Cfunc_c_start_callback_thread"), o["start"], o["count"])
      for o in d["orphans"] if o["kind"] == "thread"]
chk([x[1:] for x in th] == [(None, 1)] if stripped else th == [(True, "cb_thread_main", 1)],
    "the C-created thread, and only it", d["orphans"])
cb = by_func("main.goCallback")
chk(len(cb) == 1, "1 segment created in main.goCallback", cb)
for s in cb:
    chk(s["txn"] == 0 and s["kind"] == "goroutine" and s["start"] == "main.callbackWorker",
        "callback goroutine: no transaction", s)
    chk(s["state"] == "ended" and s["end_ns"] is not None and s["end_ns"] <= ts[0]["begin_ns"],
        "callback goroutine ended before the first transaction", (s["state"], s["end_ns"]))
    chk([s["obj"]] == [r["goid"] for r in logrecs("callback-worker")],
        "callback goroutine's goid logged", s["obj"])
    chk(site_file(s) == "gocgo.go" and site_line(s) == int(E["SITE_CALLBACK"]),
        "callback site at gocgo.go:%s" % E["SITE_CALLBACK"], s["site"])
# nothing else of main's: every main.* goroutine is a handle's or the callback's
other = [(s["site_func"], s["start"], s["txn"]) for s in S if s["kind"] == "goroutine"
         and s["site_func"].startswith("main.") and s["site_func"] != "main.goCallback"
         and s["txn"] == 0]
chk(other == [], "no main.* goroutine outside the transactions but the callback's", other)
chk(d["capture"]["lost_events"] == 0 and d["capture"]["evicted"] == 0, "no lost events",
    d["capture"])
PY
}

RUNS=$(while read -r gv _; do
	echo "$gv"
	echo "$gv-stripped"
done <<<"$VERSIONS")

while read -r v; do
	if [ "$v" != "${v%-stripped}" ]; then matrix_cell go "${v%-stripped}" "cgo stripped"
	else matrix_cell go "$v" cgo; fi
	go_target CGO "$v" gocgo || continue
	export EXE=$CGO LOG=$TMP/cgo-$v.log LABEL="go $v" VARIANT=
	[ "$v" != "${v%-stripped}" ] && VARIANT=stripped
	WEFT_TEST_LOG=$LOG weft_run "$TMP/traced-$v.out" "$TMP/cgo-$v.err" \
		trace --format json -o "$TMP/cgo-$v.json" --txn main.handle -- "$CGO" 3
	assert_exit_ok "go $v: weft trace -- gocgo"
	"$CGO" 3 >"$TMP/plain-$v.out" 2>/dev/null
	assert_eq "$(cat "$TMP/plain-$v.out")" "gocgo done handles=3" "go $v: gocgo's stdout"
	assert_eq "$(cat "$TMP/traced-$v.out")" "gocgo done handles=3" \
		"go $v: gocgo's stdout under weft"
	CHECKS=$((CHECKS + 1))
	grep -q "panic\|fatal error\|unexpected return pc\|SIGSEGV" "$LOG" "$TMP/cgo-$v.err" &&
		fail "go $v: gocgo crashed: $(grep -h -m3 'panic\|fatal\|SIG' "$LOG" "$TMP/cgo-$v.err")"
	json_valid "$TMP/cgo-$v.json" "go $v gocgo" && check_cgo "$TMP/cgo-$v.json" "$v"
	assert_eq "$(probes_left "$CGO")" 0 "go $v: no probe left on gocgo"
done <<<"$RUNS"

finish
