#!/usr/bin/env bash
# weft-test-timeout: 240
# Node HTTP/2 and gRPC servers on every Node at hand (tools/node-versions.sh):
# each inbound stream is a transaction (doc/node-http2-internals.md).
# 1. tests/node/h2/server.js (the http2 module), driven by h2/client.js over
#    one session: /ok*3 /leak, then on a second session /ok /ok /leak all at
#    once (their HEADERS in one read), then (0.8 s later, a third) /exit.
#    Known by construction: 8 transactions named "GET /ok" ... in order, each
#    with its HTTP2STREAM and one WRITEWRAP; each /leak's UDPWRAP leaks (its
#    interval is a JS timer, which weft does not see); each session's socket,
#    HTTP2SESSION, HTTP2SETTINGS and SHUTDOWNWRAP are Connections, not orphans;
#    3 HTTP/2 traps per stream.
# 2. tests/node/h2/grpc-server.js (@grpc/grpc-js from npm, under
#    build/grpc-js or $WEFT_GRPC_MODULES), driven by h2/grpc-client.js:
#    Ok*2 Leak Self Nested*3, then Exit. Calls are named by their full method
#    (/weft.Test/Ok); Leak's UDPWRAP leaks; Self calls this server's own Ok:
#    the inner call comes in on the startup listener, a fresh root (as
#    HTTP/1's /self); the first Nested starts a second server (leaked) and
#    every Nested calls its /weft.Inner/Inner: each Inner call is a conflation
#    with the first Nested (live, then stale twice), carried by the inner
#    server and its session.
. "$(dirname "$0")/lib.sh"
require_root
require_weft

NODES=$(bash "$ROOT/tools/node-versions.sh")
[ -n "$NODES" ] || skip "no Node 20, 22, 24 or 26 (tools/install-deps.sh fetches 22, 24 and 26)"
H2=$ROOT/tests/node/h2
GRPC_MODULES=${WEFT_GRPC_MODULES:-$ROOT/build/grpc-js/node_modules}

# run NODE SERVER CLIENT OUT EXIT ITEMS...: weft record -- NODE SERVER, the
# client's ITEMS over one session, 0.8 s later EXIT on another; the record
# file in OUT, the server's stdout in $TMP/traced.out.
run() {
	local node=$1 srv=$2 cli=$3 out=$4 exit=$5 port
	shift 5
	rm -f "$TMP/port"
	WEFT_TEST_PORT_FILE=$TMP/port WEFT_TEST_LOG=$TMP/srv.log bg WPID "$WEFT" record \
		-o "$out" -- "$node" "$srv" >"$TMP/traced.out" 2>"$TMP/record.err"
	wait_for "$TMP/port" . 15 "$WPID" || { fail "node $V: $(basename "$srv") did not start"; return 1; }
	port=$(cat "$TMP/port")
	"$node" "$cli" "$port" "$@" >"$TMP/cli.out" 2>&1 ||
		fail "node $V: client: $(tail -c 300 "$TMP/cli.out")"
	if [ -n "${PARALLEL:-}" ]; then
		# shellcheck disable=SC2086 # PATH*N words
		"$node" "$cli" "$port" --parallel $PARALLEL >"$TMP/cli.out" 2>&1 ||
			fail "node $V: client --parallel: $(tail -c 300 "$TMP/cli.out")"
	fi
	sleep 0.8
	"$node" "$cli" "$port" "$exit" >/dev/null 2>&1
	wait_exit "$WPID" 20 || { fail "node $V: weft did not stop with the server"; return 1; }
	CHECKS=$((CHECKS + 1))
	[ "$RC" -eq 0 ] || fail "node $V: weft exited $RC: $(head -c 300 "$TMP/record.err")"
	grep -q "HTTP/2 streams are not traced" "$TMP/record.err" &&
		fail "node $V: $(grep -m1 "HTTP/2" "$TMP/record.err")"
	return 0
}

# Python shared by both checks
PRELUDE='
def chk(c, m, g=None): return check(c, m if g is None else "%s: got %r" % (m, g))
T = d["transactions"]
names = [t["name"] for t in T]
def types(t):
    return sorted(s["start"] for s in d["segments"]
                  if s["txn"] == t["id"] and s["id"] != t["root_segment"] and s["kind"] == "async")
def hits(name): return [p["hits"] for p in d["capture"]["probes"] if p["name"] == name]
orph = sorted((o["start"], o["count"]) for o in d["orphans"] if o["kind"] == "async")
conns = sorted((c["start"], c["count"]) for c in d["connections"])
chk(d["capture"]["lost_events"] == 0 and d["capture"]["evicted"] == 0, "nothing lost or evicted")
chk(not [o for o in orph if o[0].startswith("HTTP2") or o[0] == "TCPWRAP"],
    "no stream, session or socket among the orphans", orph)
'

while read -r V NODE; do
	matrix_cell node "$V" "http2, grpc-js"
	# 1. http2
	if PARALLEL='/ok*2 /leak' run "$NODE" "$H2/server.js" "$H2/client.js" "$TMP/h2-$V.weft" /exit \
		'/ok*3' /leak; then
		"$WEFT" report --format json "$TMP/h2-$V.weft" >"$TMP/h2-$V.json" 2>"$TMP/report.err"
		json_valid "$TMP/h2-$V.json" "node $V h2 report" && py_checks "$TMP/h2-$V.json" "node $V h2" <<PY
$PRELUDE
chk(names == ["GET /ok"] * 3 + ["GET /leak"] + ["GET /ok"] * 2 + ["GET /leak", "GET /exit"],
    "8 transactions, named", names)
ok, leak = ["HTTP2STREAM", "WRITEWRAP"], ["HTTP2STREAM", "UDPWRAP", "WRITEWRAP"]
chk([types(t) for t in T] == [ok] * 3 + [leak] + [ok] * 2 + [leak, ok],
    "resources per stream", [types(t) for t in T])
chk([t["leaked"] for t in T] == [0, 0, 0, 1, 0, 0, 1, 0], "leaked per stream",
    [t["leaked"] for t in T])
leaks = [(l["site_func"], l["start"], l["count"], l["txns"]) for l in d["leaks"]]
chk(leaks == [("node::UDPWrap::UDPWrap", "UDPWRAP", 2, ["GET /leak"])], "leaks", leaks)
chk(conns == [("HTTP2SESSION", 3), ("HTTP2SETTINGS", 3), ("SHUTDOWNWRAP", 3), ("TCPWRAP", 3)],
    "three sessions' resources are Connections", conns)
chk(d["conflations"] == [], "no conflation", d["conflations"])
chk(hits("node:http2") == [24], "3 HTTP/2 traps per stream", hits("node:http2"))
chk(all(t["end_ns"] and t["traps"] >= 3 for t in T), "every stream ended, its traps counted",
    [(t["end_ns"], t["traps"]) for t in T])
PY
		"$WEFT" report "$TMP/h2-$V.weft" >"$TMP/h2-$V.txt" 2>/dev/null
		assert_contains "$TMP/h2-$V.txt" "Connections (made for an inbound connection" \
			"node $V h2: the text report lists the connections"
		assert_eq "$(cat "$TMP/traced.out")" "h2server served 8 streams" "node $V h2: the server's stdout"
		assert_eq "$(probes_left "$NODE")" 0 "node $V h2: no probe left"
	fi

	# 2. grpc-js
	if [ ! -f "$GRPC_MODULES/@grpc/grpc-js/package.json" ]; then
		fail "node $V: @grpc/grpc-js not under $GRPC_MODULES (tools/fetch-grpc-js.sh fetches it)"
		continue
	fi
	export WEFT_GRPC_MODULES=$GRPC_MODULES
	run "$NODE" "$H2/grpc-server.js" "$H2/grpc-client.js" "$TMP/grpc-$V.weft" Exit 'Ok*2' Leak Self \
		'Nested*3' || continue
	"$WEFT" report --format json "$TMP/grpc-$V.weft" >"$TMP/grpc-$V.json" 2>"$TMP/report.err"
	json_valid "$TMP/grpc-$V.json" "node $V grpc report" && py_checks "$TMP/grpc-$V.json" "node $V grpc" <<PY
$PRELUDE
N, I = "/weft.Test/Nested", "/weft.Inner/Inner"
chk(names == ["/weft.Test/Ok"] * 2 + ["/weft.Test/Leak", "/weft.Test/Self", "/weft.Test/Ok"] +
    [N, I] * 3 + ["/weft.Test/Exit"], "12 calls, named by their full method", names)
ok = ["HTTP2STREAM", "WRITEWRAP"]
got = [types(t) for t in T]
client = ["HTTP2SESSION", "HTTP2SETTINGS", "HTTP2STREAM", "SHUTDOWNWRAP", "TCPCONNECTWRAP",
          "TCPWRAP", "WRITEWRAP"]  # a client's session, its outbound stream
# the first Nested: its own stream, its client, the inner server and, as its
# context carried them, the inner server's three accepted sessions
inner_sessions = ["HTTP2SESSION", "HTTP2SETTINGS", "SHUTDOWNWRAP", "TCPWRAP"] * 3
want = [ok, ok, ok + ["UDPWRAP"], sorted(ok + client), ok,
        sorted(ok + client + ["TCPSERVERWRAP"] + inner_sessions), ok,
        sorted(ok + client), ok, sorted(ok + client), ok, ok]
for i, (g, w) in enumerate(zip(got, want)):
    chk(g == sorted(w), "call %d (%s): resources" % (i, names[i] if i < len(names) else "?"), g)
chk([t["leaked"] for t in T] == [0, 0, 1] + [0] * 2 + [1] + [0] * 6, "leaked per call",
    [t["leaked"] for t in T])
leaks = sorted((l["site_func"], l["start"], l["count"], l["txns"]) for l in d["leaks"])
chk(leaks == [("node::TCPWrap::New", "TCPSERVERWRAP", 1, [N]),
              ("node::UDPWrap::UDPWrap", "UDPWRAP", 1, ["/weft.Test/Leak"])], "leaks", leaks)
conf = [(c["txn_name"], c["outer_name"], c["stale"]) for c in d["conflations"]]
chk(conf == [(I, N, False)] + [(I, N, True)] * 2,
    "every Inner call inside the first Nested, which started its server", conf)
first = [t for t in T if t["name"] == N][0]
chk(all(c["outer_txn"] == first["id"] for c in d["conflations"]), "outer = the first Nested")
chains = [[x["start"] for x in c["chain"]] for c in d["conflations"]]
chk(chains == [["HTTP2SESSION", "TCPSERVERWRAP", "HTTP2STREAM"]] * 3,
    "the chain: the inner session, the inner server, the Nested call's stream", chains)
self_ok = T[4]
chk(self_ok["name"] == "/weft.Test/Ok" and self_ok["conflated_with"] is None,
    "Self's call to its own server: a fresh root (the startup listener)", self_ok["conflated_with"])
chk(("TCPWRAP", 3) in conns and ("HTTP2SESSION", 3) in conns,
    "the startup server's three sessions (client, Self, Exit) are Connections", conns)
chk(all(t["end_ns"] for t in T), "every call ended")
PY
	assert_eq "$(cat "$TMP/traced.out")" "grpcserver served 9 calls" "node $V grpc: the server's stdout"
	assert_eq "$(probes_left "$NODE")" 0 "node $V grpc: no probe left"
done <<<"$NODES"
matrix_close

finish
