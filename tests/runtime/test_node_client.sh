#!/usr/bin/env bash
# weft-test-timeout: 180
# Outbound HTTP calls on Node (issue 15, item 2), on every Node at hand:
# tests/node/nodecalls.js's front server calls a backend (another node
# process, not traced); nodeclient.js drives it on one keep-alive
# connection: /call*3 /post /leak*2 /call /tls*2, then (0.8 s later)
# /exit; /tls calls an HTTPS backend (a self-signed certificate made here).
# Known by construction (the header of nodecalls.js):
#   - 8 transactions, in order; each but /exit made exactly one call, named
#     "GET 127.0.0.1:BPORT" ("POST ..." for /post), a child of the
#     transaction;
#   - /call and /post read their response to its end: the call ended, and
#     their shared agent's one socket is pooled after each and re-armed by
#     the next (one TCPWRAP identity per transaction, none leaked);
#   - /leak never reads its response: the call and its socket stay open:
#     2 leaks per /leak (the call, the TCPWRAP), grouped as 2 calls named
#     "GET 127.0.0.1:BPORT" and 2 TCPWRAP, all of GET /leak;
#   - /tls: one call each, "GET 127.0.0.1:TPORT" (named from SSL_write's
#     plaintext, bound to the socket its TLS record is written on), ended
#     when the agent pools the socket;
#   - the call the server makes at startup (outside any request) is no call
#     of anything: no call segment outside a transaction.
. "$(dirname "$0")/lib.sh"
require_root
require_weft

NODES=$(bash "$ROOT/tools/node-versions.sh")
[ -n "$NODES" ] || skip "no Node 20, 22, 24 or 26 (tools/install-deps.sh fetches 22, 24 and 26)"
SRV=$ROOT/tests/node/nodecalls.js
CLI=$ROOT/tests/node/nodeclient.js

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" -days 2 \
	-subj /CN=127.0.0.1 >/dev/null 2>&1 || skip "openssl could not make a certificate"

while read -r V NODE; do
	matrix_cell node "$V" "http client calls"
	rm -f "$TMP/bport" "$TMP/port"
	WEFT_TEST_PORT_FILE=$TMP/bport bg BPID "$NODE" "$SRV" backend >/dev/null 2>"$TMP/backend.err"
	wait_for "$TMP/bport" . 15 "$BPID" || { fail "node $V: the backend did not start"; continue; }
	BPORT=$(cat "$TMP/bport")
	rm -f "$TMP/tport"
	WEFT_TEST_TLS_DIR=$TMP WEFT_TEST_PORT_FILE=$TMP/tport bg TPID "$NODE" "$SRV" backend-tls \
		>/dev/null 2>"$TMP/backend-tls.err"
	wait_for "$TMP/tport" . 15 "$TPID" || { fail "node $V: the HTTPS backend did not start"; continue; }
	TPORT=$(cat "$TMP/tport")
	WEFT_TEST_PORT_FILE=$TMP/port bg WPID "$WEFT" record -o "$TMP/c-$V.weft" -- \
		"$NODE" "$SRV" "$BPORT" "$TPORT" >"$TMP/traced.out" 2>"$TMP/record.err"
	wait_for "$TMP/port" . 15 "$WPID" || { fail "node $V: the server did not start"; continue; }
	"$NODE" "$CLI" "$(cat "$TMP/port")" '/call*3' /post '/leak*2' /call '/tls*2' >"$TMP/cli.out" 2>&1 ||
		fail "node $V: client: $(tail -c 300 "$TMP/cli.out")"
	sleep 0.8
	"$NODE" "$CLI" "$(cat "$TMP/port")" /exit >/dev/null 2>&1
	wait_exit "$WPID" 20 || { fail "node $V: weft did not stop with the server"; continue; }
	kill "$BPID" "$TPID" 2>/dev/null
	assert_eq "$RC" 0 "node $V: weft record's exit status"
	assert_eq "$(cat "$TMP/traced.out")" "nodecalls served 9 requests" "node $V: the server's stdout"
	J=$TMP/c-$V.json
	"$WEFT" report --format json "$TMP/c-$V.weft" >"$J" 2>"$TMP/report.err"
	json_valid "$J" "node $V report" && V=$V BPORT=$BPORT TPORT=$TPORT py_checks "$J" "node $V calls" <<'PY'
import os
def chk(c, m, g=None): return check(c, m if g is None else "%s: got %r" % (m, g))
host = "127.0.0.1:" + os.environ["BPORT"]
thost = "127.0.0.1:" + os.environ["TPORT"]
T = d["transactions"]
names = [t["name"] for t in T]
chk(names == ["GET /call"] * 3 + ["GET /post"] + ["GET /leak"] * 2 + ["GET /call"] +
    ["GET /tls"] * 2 + ["GET /exit"], "10 transactions, named", names)
def calls(t): return [s for s in d["segments"] if s["kind"] == "call" and s["txn"] == t["id"]]
got = [[(c["start"], c["state"]) for c in calls(t)] for t in T]
want = [[("GET " + host, "ended")]] * 3 + [[("POST " + host, "ended")]] + \
    [[("GET " + host, "leaked")]] * 2 + [[("GET " + host, "ended")]] + \
    [[("GET " + thost, "ended")]] * 2 + [[]]
chk(got == want, "one call per request, named by method and host; /leak's left open", got)
segs = {s["id"]: s for s in d["segments"]}
def under(s, t):  # s descends from t's root
    while s and s["id"] != t["root_segment"]:
        s = segs.get(s["parent"])
    return s is not None
chk(all(under(c, t) for t in T for c in calls(t)), "each call descends from its request's root")
chk([s for s in d["segments"] if s["kind"] == "call" and not s["txn"]] == [],
    "the call made at startup, outside any request, is no call")
chk([t["leaked"] for t in T][:8] == [0] * 4 + [2, 2, 0, 0], "leaked per transaction (HTTP)",
    [t["leaked"] for t in T])
leaks = sorted((l["kind"], l["start"], l["count"], l["txns"]) for l in d["leaks"]
               if l["txns"] != ["GET /tls"]) # the reused TLSWRAP: see the README
chk(leaks == [("async", "TCPWRAP", 2, ["GET /leak"]), ("call", "GET " + host, 2, ["GET /leak"])],
    "leaks: 2 calls and their 2 sockets, of GET /leak", leaks)
# the shared agent's socket: one identity per /call and /post, pooled after
# each, re-armed by the next; the call ends as its socket is pooled: a
# tick after the response was consumed, so just after its request's end
# (within the grace), before the next request began
ka = [t for t in T if t["name"] in ("GET /call", "GET /post")]
socks = [[s for s in d["segments"] if s["txn"] == t["id"] and s["start"] == "TCPWRAP"] for t in ka]
chk([len(x) for x in socks] == [1] * 5 and all(x[0]["pooled"] and x[0]["state"] != "leaked"
                                                for x in socks),
    "one pooled socket identity per /call and /post, none leaked", socks)
nxt = {T[i]["id"]: T[i + 1]["begin_ns"] for i in range(len(T) - 1)}
ends = [(calls(t)[0]["end_ns"], nxt[t["id"]]) for t in ka + [t for t in T if t["name"] == "GET /tls"]]
chk(all(c and c < n for c, n in ends), "each call ended before the next request began", ends)
chk(d["capture"]["lost_events"] == 0 and d["capture"]["evicted"] == 0, "nothing lost or evicted")
PY
	"$WEFT" report "$TMP/c-$V.weft" >"$TMP/c-$V.txt" 2>&1
	assert_contains "$TMP/c-$V.txt" "-> GET 127.0.0.1:$BPORT" "node $V: the text report names the leaked call"
	assert_eq "$(probes_left "$NODE")" 0 "node $V: no probe left"
done <<<"$NODES"
matrix_close
finish
