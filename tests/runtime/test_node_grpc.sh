#!/usr/bin/env bash
# weft-test-timeout: 180
# Node gRPC servers (@grpc/grpc-js, over the http2 module) on every Node at
# hand (tools/node-versions.sh): each inbound call is a transaction
# (doc/node-http2-internals.md). tests/node/h2/grpc-server.js (@grpc/grpc-js
#    from npm, under build/grpc-js or $WEFT_GRPC_MODULES), driven by h2/grpc-client.js:
#    Ok*2 Leak Self Nested*3, then Exit. Calls are named by their full method
#    (/weft.Test/Ok); Leak's UDPWRAP leaks; Self calls this server's own Ok:
#    the inner call comes in on the startup listener, on bytes Self's
#    client wrote: a conflation with Self (a call to itself, told from the
#    HTTP/2 stream Self had open, as HTTP/1's /self); the first Nested starts a second server (leaked) and
#    every Nested calls its /weft.Inner/Inner: each Inner call is a conflation
#    with the first Nested (live, then stale twice), carried by the inner
#    server and its session.
. "$(dirname "$0")/lib.sh"
require_root
require_weft

NODES=$(bash "$ROOT/tools/node-versions.sh")
[ -n "$NODES" ] || skip "no Node 20, 22, 24 or 26 (tools/install-deps.sh fetches 22, 24 and 26)"
GRPC_MODULES=${WEFT_GRPC_MODULES:-$ROOT/build/grpc-js/node_modules}
[ -f "$GRPC_MODULES/@grpc/grpc-js/package.json" ] ||
	skip "no @grpc/grpc-js under $GRPC_MODULES (tools/fetch-grpc-js.sh: npm unreachable?)"
export WEFT_GRPC_MODULES=$GRPC_MODULES
. "$(dirname "$0")/lib_node_h2.sh"

while read -r V NODE; do
	matrix_cell node "$V" "grpc-js"
	if ! run "$NODE" "$H2/grpc-server.js" "$H2/grpc-client.js" "$TMP/grpc-$V.weft" Exit 'Ok*2' \
		Leak Self 'Nested*3'; then
		assert_eq "$(probes_left "$NODE")" 0 "node $V grpc: no probe left"
		continue
	fi
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
conf = [(c["txn_name"], c["outer_name"], c["stale"], c["to_itself"]) for c in d["conflations"]]
chk(conf == [("/weft.Test/Ok", "/weft.Test/Self", False, True), (I, N, False, False)] +
    [(I, N, True, False)] * 2,
    "Self's call to itself, then every Inner call inside the first Nested, which started its server",
    conf)
first = [t for t in T if t["name"] == N][0]
chk([c["outer_txn"] for c in d["conflations"]] == [T[3]["id"]] + [first["id"]] * 3,
    "outers: Self, then the first Nested")
chains = [[x["start"] for x in c["chain"]] for c in d["conflations"]]
chk(chains == [["HTTP2STREAM", "HTTP2SESSION", "TCPCONNECTWRAP", "HTTP2STREAM"]] +
    [["HTTP2SESSION", "TCPSERVERWRAP", "HTTP2STREAM"]] * 3,
    "the chains: Self's outbound stream, its session, its connect, Self's own stream; "
    "the inner session, the inner server, the Nested call's stream", chains)
self_ok = T[4]
chk(self_ok["name"] == "/weft.Test/Ok" and self_ok["conflated_with"] == T[3]["id"],
    "Self's call to its own server: inside Self", self_ok["conflated_with"])
chk(d["self_calls_untold"] == 0, "every call to itself told", d["self_calls_untold"])
chk(("TCPWRAP", 3) in conns and ("HTTP2SESSION", 3) in conns,
    "the startup server's three sessions (client, Self, Exit) are Connections", conns)
chk(all(t["end_ns"] for t in T), "every call ended")
PY
	assert_eq "$(cat "$TMP/traced.out")" "grpcserver served 9 calls" "node $V grpc: the server's stdout"
	assert_eq "$(probes_left "$NODE")" 0 "node $V grpc: no probe left"
done <<<"$NODES"
matrix_close

finish
