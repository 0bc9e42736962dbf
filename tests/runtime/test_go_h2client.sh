#!/usr/bin/env bash
# weft-test-timeout: 300
# Go's net/http client over HTTP/2 (the bundled http2 up to 1.26,
# net/http/internal/http2 from 1.27): outbound calls inside a transaction
# are its continuations, on every installed Go, as built and stripped, with
# tests/go/goh2client.go (its header gives the shapes):
#   - 9 transactions in order; calls per transaction 1, 2, 1, 1 (GET /call,
#     /twice, /nobody, /stream), named "GET 127.0.0.1:PORT", made at
#     main.call; each call's stream goroutine (doRequest) is its child;
#   - the calls whose stream ended end (/nobody's too: its body was never
#     read, but the backend ended the stream); /stream's, on a stream the
#     backend never ends, leaks with its doRequest goroutine: the only
#     leaks; the connection's reader (readLoop), dialed by /call, is pooled;
#   - each backend request is a conflation with the handler that called (a
#     call to itself), through that call: the HTTP/2 server hands a
#     request's bytes from the connection's reader to a new goroutine, so
#     the call is told from the calls open, never from what the reader read
#     first (which was /call's, for every request);
#   - traps: 2 for the transaction, 3 per call (its start; its goroutine's
#     creation and exit), 2 for one never ended: /twice 8, /stream 4;
#   - --go-lean (newest Go): calls end with their goroutines found gone by
#     the sweep: the same calls and leaks, 2 traps per call; a request to
#     itself made while an earlier call is not yet seen ended is counted
#     untold, never given a wrong caller;
#   - a stripped newest Go with its table row hidden: derived offsets, the
#     same calls.
. "$(dirname "$0")/lib.sh"
require_root
require_weft

VERSIONS=$(bash "$ROOT/tools/go-versions.sh")
[ -n "$VERSIONS" ] || skip "no Go toolchain installed (tools/install-deps.sh installs them)"

# $1 what, $2 the JSON report, $3 the target's log
check_h2() {
	port=$(sed -n 's/^goh2client backend 127.0.0.1:\([0-9]*\)$/\1/p' "$3")
	export CALL="GET 127.0.0.1:$port"
	py_checks "$2" "$1" <<'PY'
import os
call = os.environ["CALL"]
def chk(c, m, g): return check(c, "%s: got %r" % (m, g))
txns = d["transactions"]
names = [t["name"] for t in txns]
chk(names == ["GET /call", "GET /b/ok", "GET /twice", "GET /b/ok", "GET /b/ok", "GET /nobody",
              "GET /b/ok", "GET /stream", "GET /b/stream"], "9 transactions in order", names)
segs = d["segments"]
byid = {s["id"]: s for s in segs}
calls = [s for s in segs if s["kind"] == "call"]
per = [[(s["site_func"], s["start"], s["state"]) for s in calls if s["txn"] == t["id"]]
       for t in txns]
ok, left = ("main.call", call, "ended"), ("main.call", call, "leaked")
chk(per == [[ok], [], [ok, ok], [], [], [ok], [], [left], []],
    "calls per transaction: site, name, state", per)
kids = sorted((byid[s["parent"]]["kind"], (s["start"] or "").rsplit(".", 1)[-1], s["state"])
              for s in segs if s["parent"] in byid and byid[s["parent"]]["kind"] == "call")
chk(kids == [("call", "doRequest", "ended")] * 4 + [("call", "doRequest", "leaked")],
    "each call's stream goroutine is its child", kids)
chk([t["leaked"] for t in txns] == [0, 0, 0, 0, 0, 0, 0, 2, 0], "leaked per transaction",
    [t["leaked"] for t in txns])
chk([t["end_ns"] is None for t in txns] == [False] * 8 + [True],
    "the never-ended stream's transaction alone is open", [t["end_ns"] for t in txns])
leaks = sorted((l["kind"], l["site_func"], l["count"], l["txns"]) for l in d["leaks"])
chk([(k, f.rsplit(".", 1)[-1].lower(), n, t) for k, f, n, t in leaks] ==
    [("call", "call", 1, ["GET /stream"]), ("goroutine", "roundtrip", 1, ["GET /stream"])],
    "leaks: the open stream's call and its goroutine", leaks)
readers = [(s["txn"], s["state"]) for s in segs if (s["start"] or "").endswith("ClientConn).readLoop")]
chk(readers == [(txns[0]["id"], "pooled")], "the connection's reader: /call's, pooled", readers)
# a call's traps: its start, its goroutine's creation and (not --go-lean) exit
lean = os.environ.get("LEAN") == "1"
per_call = 2 if lean else 3
traps = [t["traps"] for t in txns]
chk(traps[2] == 2 + per_call * 2 and traps[5] == 2 + per_call and traps[7] == 2 + 2,
    "traps: /twice, /nobody, /stream", traps)
conf = [(c["txn"], c["outer_txn"], c["stale"], c["to_itself"],
         [(x["kind"], x["start"], x["site_func"]) for x in c["chain"]]) for c in d["conflations"]]
ids = [t["id"] for t in txns]
via = [("call", call, "main.call")]
want = [(ids[1], ids[0], False, True, via), (ids[3], ids[2], False, True, via),
        (ids[4], ids[2], False, True, via), (ids[6], ids[5], False, True, via),
        (ids[8], ids[7], False, True, via)]
untold = d.get("self_calls_untold")
if lean:
    # a call ends when a sweep finds its goroutine gone: one made while an
    # earlier is not yet seen ended is untold, never given a wrong caller
    chk(all(c in want for c in conf) and len(conf) + untold == 5 and len(conf) >= 1,
        "every backend request told right, or counted untold", (conf, untold))
else:
    chk(conf == want, "every backend request a conflation with its caller, through its call",
        conf)
    chk(untold == 0, "every caller told", untold)
PY
}

while read -r v _; do
	for variant in "" stripped; do
		what="go $v${variant:+ $variant}"
		matrix_cell go "$v" "${variant:-built}"
		src=$ROOT/build/tests/go/$v/goh2client${variant:+.$variant}
		[ -x "$src" ] || { fail "$what: no $src (run make go-targets)"; continue; }
		mkdir -p "$TMP/bin"
		BIN=$TMP/bin/goh2client-$v${variant:+-$variant}
		cp "$src" "$BIN"
		export EXE=$BIN
		f=$TMP/$v${variant:+-$variant}
		WEFT_TEST_LOG=$f.log weft_run "$f.json" "$f.err" \
			trace --leak-grace 100ms --format json -- "$BIN"
		assert_exit_ok "$what: weft trace"
		assert_eq "$(grep -c 'status=200' "$f.log")" 4 "$what: the target's 4 requests"
		check_h2 "$what" "$f.json" "$f.log"
	done
done <<<"$VERSIONS"

NEWEST=$(tail -n1 <<<"$VERSIONS" | cut -d' ' -f1)

matrix_cell go "$NEWEST" built
BIN=$TMP/bin/goh2client-$NEWEST
if [ -x "$BIN" ]; then
	export EXE=$BIN
	f=$TMP/lean
	WEFT_TEST_LOG=$f.log weft_run "$f.json" "$f.err" \
		trace --go-lean --leak-grace 100ms --format json -- "$BIN"
	assert_exit_ok "go $NEWEST --go-lean: weft trace"
	LEAN=1 check_h2 "go $NEWEST --go-lean" "$f.json" "$f.log"
fi

matrix_cell go "$NEWEST" "derived offsets"
BIN=$TMP/bin/goh2client-$NEWEST-stripped
if [ -x "$BIN" ]; then
	export EXE=$BIN
	f=$TMP/derived
	WEFT_GO_OFFSETS_SKIP=$NEWEST WEFT_TEST_LOG=$f.log weft_run "$f.json" "$f.err" \
		trace --leak-grace 100ms --format json -- "$BIN"
	assert_exit_ok "go $NEWEST derived: weft trace"
	assert_jq "$f.json" 'd["target"]["go_offsets"]' 'derived' "go $NEWEST derived: offsets derived"
	check_h2 "go $NEWEST derived" "$f.json" "$f.log"
fi
finish
