#!/usr/bin/env bash
# weft-test-timeout: 300
# Go's net/http client: outbound calls inside a transaction are its
# continuations (kind "call", named "GET 127.0.0.1:PORT"), on every
# installed Go, as built and stripped, with tests/go/goclient.go (its
# header gives the shapes):
#   - 9 transactions in order; calls per transaction 1, 2, 1, 1 (GET /call,
#     /twice, /nobody x2), none for the backend's or main's requests
#     (outside any transaction);
#   - each backend request is a conflation with the handler that called
#     (a call to itself), through that call, /twice's two included (on the
#     connection /call dialed); main's requests (outside any) are none;
#   - the calls whose body was read end; the 2 whose body is never closed
#     leak, at main.handleNobody; the second /nobody also leaks the
#     connection it dialed (readLoop and writeLoop), the first reuses one
#     that idles in the pool: pooled, not leaked;
#   - weft record, then report (JSON, text): the same calls, named;
#   - weft check on tests/goclienttest (oldest and newest Go): the test that
#     leaves a body open leaks 1 call, the one that closed it nothing;
#   - the newest Go, stripped, with its table row hidden: the offsets
#     derived from its code, the same calls;
#   - with --no-wire, the same transactions and calls, no conflation;
#   - traps: the transaction's 2, then 2 per call (its start, its end), 1
#     for one never ended, 2 per goroutine a dial started: /twice exactly 6,
#     the first /nobody 3.
. "$(dirname "$0")/lib.sh"
require_root
require_weft

VERSIONS=$(bash "$ROOT/tools/go-versions.sh")
[ -n "$VERSIONS" ] || skip "no Go toolchain installed (tools/install-deps.sh installs them)"

while read -r v _; do
	for variant in "" stripped; do
		what="go $v${variant:+ $variant}"
		matrix_cell go "$v" "${variant:-built}"
		src=$ROOT/build/tests/go/$v/goclient${variant:+.$variant}
		[ -x "$src" ] || { fail "$what: no $src (run make go-targets)"; continue; }
		mkdir -p "$TMP/bin"
		BIN=$TMP/bin/goclient-$v${variant:+-$variant}
		cp "$src" "$BIN"
		export EXE=$BIN
		f=$TMP/$v${variant:+-$variant}
		WEFT_TEST_LOG=$f.log weft_run "$f.json" "$f.err" \
			trace --leak-grace 100ms --format json -- "$BIN"
		assert_exit_ok "$what: weft trace"
		assert_eq "$(grep -c 'status=200' "$f.log")" 4 "$what: the target's 4 requests"
		port=$(sed -n 's/^goclient backend 127.0.0.1:\([0-9]*\)$/\1/p' "$f.log")
		export CALL="GET 127.0.0.1:$port"
		py_checks "$f.json" "$what" <<'PY'
import os
call = os.environ["CALL"]
def chk(c, m, g): return check(c, "%s: got %r" % (m, g))
txns = d["transactions"]
names = [t["name"] for t in txns]
chk(names == ["GET /call", "GET /b/ok", "GET /twice", "GET /b/ok", "GET /b/ok", "GET /nobody",
              "GET /b/ok", "GET /nobody", "GET /b/ok"], "9 transactions in order", names)
segs = d["segments"]
calls = [s for s in segs if s["kind"] == "call"]
per = [[(s["site_func"], s["start"], s["state"]) for s in calls if s["txn"] == t["id"]]
       for t in txns]
ok, left = ("main.callOK", call, "ended"), ("main.handleNobody", call, "leaked")
chk(per == [[ok], [], [ok, ok], [], [], [left], [], [left], []],
    "calls per transaction: site, name, state", per)
chk(all(s["parent"] == t["root_segment"] for t in txns for s in calls if s["txn"] == t["id"]),
    "a call's parent is its transaction's root", [(s["id"], s["parent"]) for s in calls])
chk([t["leaked"] for t in txns] == [0, 0, 0, 0, 0, 1, 0, 3, 0], "leaked per transaction",
    [t["leaked"] for t in txns])
leaks = sorted((l["kind"], l["site_func"], l["count"], l["txns"]) for l in d["leaks"])
chk(leaks == [("call", "main.handleNobody", 2, ["GET /nobody"]),
              ("goroutine", "net/http.(*Transport).dialConn", 1, ["GET /nobody"]),
              ("goroutine", "net/http.(*Transport).dialConn", 1, ["GET /nobody"])],
    "leaks: the 2 open calls, the connection the second dialed", leaks)
loops = [(s["txn"], s["start"], s["state"], s["pooled"]) for s in segs
         if s["txn"] and s["start"] in ("net/http.(*persistConn).readLoop",
                                        "net/http.(*persistConn).writeLoop")]
t1, t8 = txns[0]["id"], txns[7]["id"]
chk(sorted(loops) == sorted([(t1, "net/http.(*persistConn).readLoop", "pooled", True),
                             (t1, "net/http.(*persistConn).writeLoop", "pooled", True),
                             (t8, "net/http.(*persistConn).readLoop", "leaked", False),
                             (t8, "net/http.(*persistConn).writeLoop", "leaked", False)]),
    "connection goroutines: pooled after /call, leaked with the second /nobody", loops)
# traps: the txn's 2, 2 per ended call, 1 per open one, per goroutine
# created in it 2 (creation, and exit or its loop's start)
gor = [sum(1 for s in segs if s["txn"] == t["id"] and s["kind"] == "goroutine") for t in txns]
want = [2 + 2 * 1 + 2 * gor[0], 2, 2 + 2 * 2, 2, 2, 2 + 1, 2, 2 + 1 + 2 * gor[7], 2]
chk([t["traps"] for t in txns] == want, "traps per transaction", [t["traps"] for t in txns])
chk(gor[2] == 0 and gor[5] == 0 and gor[0] == gor[7] >= 3,
    "goroutines: a dial's in /call and the second /nobody only", gor)
# each backend request began on bytes its caller's call wrote (the
# connection's writeLoop, in the call's context: /twice's two on the
# connection /call dialed are /twice's): a call to itself
conf = [(c["txn"], c["outer_txn"], c["stale"], c["to_itself"],
         [(x["kind"], x["start"], x["site_func"]) for x in c["chain"]]) for c in d["conflations"]]
ids = [t["id"] for t in txns]
via = lambda f: [("call", call, f)]
chk(conf == [(ids[1], ids[0], False, True, via("main.callOK")),
             (ids[3], ids[2], False, True, via("main.callOK")),
             (ids[4], ids[2], False, True, via("main.callOK")),
             (ids[6], ids[5], False, True, via("main.handleNobody")),
             (ids[8], ids[7], False, True, via("main.handleNobody"))],
    "every backend request a conflation with its caller, through its call", conf)
PY
	done
done <<<"$VERSIONS"

NEWEST=$(tail -n1 <<<"$VERSIONS" | cut -d' ' -f1)

# --no-wire: no TCP tracepoints, so no call to itself is seen: the same
# transactions and calls, no conflation
BIN=$TMP/bin/goclient-nowire
cp "$ROOT/build/tests/go/$NEWEST/goclient" "$BIN" && export EXE=$BIN &&
	WEFT_TEST_LOG=$TMP/nowire.log weft_run "$TMP/nowire.json" "$TMP/nowire.err" \
		trace --no-wire --leak-grace 100ms --format json -- "$BIN"
assert_exit_ok "go $NEWEST --no-wire: weft trace"
assert_jq "$TMP/nowire.json" 'len(d["transactions"]), len([s for s in d["segments"] if s["kind"] == "call"]), d["conflations"]' \
	'[9,5,[]]' "go $NEWEST --no-wire: 9 transactions, 5 calls, no conflation"

# weft check on go test -c of tests/goclienttest (oldest and newest Go): the
# test that leaves a body open leaks its call; the one that closed it leaks
# nothing, its connection's goroutines idle in the pool
OPEN_LINE=$(grep -n 'SITE:open' "$ROOT/tests/goclienttest/calls_test.go" | cut -d: -f1)
while read -r v go; do
	matrix_cell go "$v" built
	out=$TMP/bin/calls-$v.test
	(cd "$ROOT/tests/goclienttest" && HOME=${HOME:-$TMP} GOCACHE=$ROOT/build/gocache \
		GOPATH=$TMP/gopath GO111MODULE=off CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS= \
		"$go" test -c -o "$out" .) >"$TMP/build-calls-$v.log" 2>&1 ||
		{ fail "go $v: go test -c goclienttest: $(head -c 400 "$TMP/build-calls-$v.log")"; continue; }
	export EXE=$out
	timeout -k 5 60 "$WEFT" check --leak-grace 100ms -- "$out" >"$TMP/check-$v.out" 2>"$TMP/check-$v.err" </dev/null
	assert_eq "$?" 1 "go $v check: exit status (a leak)"
	assert_eq "$(grep '^weft check: LEAK' "$TMP/check-$v.err" | sed -E 's/created at [^ ]*\.(Test[A-Za-z]*) /created at \1 /; s/127\.0\.0\.1:[0-9]+/127.0.0.1:PORT/')" \
		"weft check: LEAK TestOpenBody: 1 call created at TestOpenBody (calls_test.go:$OPEN_LINE) -> GET 127.0.0.1:PORT (alive past the grace)" \
		"go $v check: one leak, the open call"
	assert_contains "$TMP/check-$v.err" "weft check: FAIL: 3 transactions, 1 leaked continuation at 1 site" \
		"go $v check: summary"
done < <(bash "$ROOT/tools/go-versions.sh" | bash "$ROOT/tools/pick-versions.sh" "oldest newest")

# weft record keeps the calls' names: weft report gives the same calls
matrix_cell go "$NEWEST" built
BIN=$TMP/bin/goclient-$NEWEST
if [ -x "$BIN" ]; then
	export EXE=$BIN
	f=$TMP/rec
	WEFT_TEST_LOG=$f.log weft_run "$f.out" "$f.err" record --leak-grace 100ms -o "$f.weft" -- "$BIN"
	assert_exit_ok "go $NEWEST: weft record"
	weft_run "$f.json" "$f.rerr" report "$f.weft" --format json
	port=$(sed -n 's/^goclient backend 127.0.0.1:\([0-9]*\)$/\1/p' "$f.log")
	assert_jq "$f.json" '[(s["start"], s["state"]) for s in d["segments"] if s["kind"] == "call"]' \
		"[[\"GET 127.0.0.1:$port\",\"ended\"],[\"GET 127.0.0.1:$port\",\"ended\"],[\"GET 127.0.0.1:$port\",\"ended\"],[\"GET 127.0.0.1:$port\",\"leaked\"],[\"GET 127.0.0.1:$port\",\"leaked\"]]" \
		"go $NEWEST: record/report: the calls, named"
	weft_run "$f.txt" "$f.terr" report "$f.weft"
	assert_contains "$f.txt" "main.handleNobody (goclient.go:$(grep -n 'SITE:nobody' "$ROOT/tests/go/goclient.go" | cut -d: -f1)) -> GET 127.0.0.1:$port" \
		"go $NEWEST: text report: the leaked calls' site and name"
fi

# A version the table does not know: the offsets derived from its code
# (URL.Host from net/http's and x/net's canonicalAddr): the same calls
matrix_cell go "$NEWEST" "derived offsets"
BIN=$TMP/bin/goclient-$NEWEST-stripped
if [ -x "$BIN" ]; then
	export EXE=$BIN
	f=$TMP/derived
	WEFT_GO_OFFSETS_SKIP=$NEWEST WEFT_TEST_LOG=$f.log weft_run "$f.json" "$f.err" \
		trace --leak-grace 100ms --format json -- "$BIN"
	assert_exit_ok "go $NEWEST derived: weft trace"
	port=$(sed -n 's/^goclient backend 127.0.0.1:\([0-9]*\)$/\1/p' "$f.log")
	assert_jq "$f.json" '[d["target"]["go_offsets"]] + [(s["start"], s["state"]) for s in d["segments"] if s["kind"] == "call"]' \
		"[\"derived\",[\"GET 127.0.0.1:$port\",\"ended\"],[\"GET 127.0.0.1:$port\",\"ended\"],[\"GET 127.0.0.1:$port\",\"ended\"],[\"GET 127.0.0.1:$port\",\"leaked\"],[\"GET 127.0.0.1:$port\",\"leaked\"]]" \
		"go $NEWEST derived: the calls, named"
fi
finish
