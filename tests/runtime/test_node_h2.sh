#!/usr/bin/env bash
# weft-test-timeout: 180
# Node HTTP/2 servers on every Node at hand (tools/node-versions.sh): each
# inbound stream is a transaction (doc/node-http2-internals.md).
# tests/node/h2/server.js (the http2 module), driven by h2/client.js over
#    one session: /ok*3 /leak, then on a second session /ok /ok /leak all at
#    once (their HEADERS in one read), then (0.8 s later, a third) /exit.
#    Known by construction: 8 transactions named "GET /ok" ... in order, each
#    with its HTTP2STREAM and one WRITEWRAP; each /leak's UDPWRAP leaks (its
#    interval is a JS timer, which weft does not see); each session's socket,
#    HTTP2SESSION, HTTP2SETTINGS and SHUTDOWNWRAP are Connections, not orphans;
#    3 HTTP/2 traps per stream. Then with -p, attached to the server once it
#    listens: /ok*2 /leak, then /exit: the same, and the listener made before
#    the attach is learnt from what it accepts (its sessions are Connections).
. "$(dirname "$0")/lib.sh"
require_root
require_weft

NODES=$(bash "$ROOT/tools/node-versions.sh")
[ -n "$NODES" ] || skip "no Node 20, 22, 24 or 26 (tools/install-deps.sh fetches 22, 24 and 26)"
. "$(dirname "$0")/lib_node_h2.sh"

while read -r V NODE; do
	matrix_cell node "$V" "http2"
	# -- CMD
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
		assert_contains "$TMP/h2-$V.txt" "Connections (started by a server for a connection" \
			"node $V h2: the text report lists the connections"
		assert_eq "$(cat "$TMP/traced.out")" "h2server served 8 streams" "node $V h2: the server's stdout"
	fi
	# -p: the server runs first, weft attaches before its port file is written
	rm -f "$TMP/port" "$TMP/go" "$TMP/p.log"
	WEFT_TEST_PORT_FILE=$TMP/port WEFT_TEST_WAIT=$TMP/go WEFT_TEST_LOG=$TMP/p.log \
		bg SPID "$NODE" "$H2/server.js" >/dev/null 2>&1
	if wait_for "$TMP/p.log" listening 15 "$SPID"; then
		bg WPID "$WEFT" trace --format json -p "$SPID" -o "$TMP/p-$V.json" 2>"$TMP/p.err"
		if wait_for "$TMP/p.err" attached 15 "$WPID"; then
			touch "$TMP/go"
			wait_for "$TMP/port" . 10 "$SPID" && port=$(cat "$TMP/port") &&
				"$NODE" "$H2/client.js" "$port" '/ok*2' /leak >/dev/null 2>&1 ||
				fail "node $V -p: client failed"
			sleep 0.8
			"$NODE" "$H2/client.js" "$port" /exit >/dev/null 2>&1
			wait_exit "$WPID" 20 || fail "node $V h2 -p: weft did not stop"
			json_valid "$TMP/p-$V.json" "node $V h2 -p" &&
				py_checks "$TMP/p-$V.json" "node $V h2 -p" <<PY
$PRELUDE
chk(names == ["GET /ok"] * 2 + ["GET /leak", "GET /exit"], "4 transactions, named", names)
leaks = [(l["start"], l["count"], l["txns"]) for l in d["leaks"]]
chk(leaks == [("UDPWRAP", 1, ["GET /leak"])], "leaks", leaks)
chk(conns == [("HTTP2SESSION", 2), ("HTTP2SETTINGS", 2), ("SHUTDOWNWRAP", 2), ("TCPWRAP", 2)],
    "what the pre-attach listener accepted: Connections", conns)
chk(orph == [], "no orphan resource", orph)
PY
		else
			fail "node $V h2 -p: weft did not attach: $(head -c 300 "$TMP/p.err")"
		fi
	else
		fail "node $V h2 -p: the server did not start"
	fi
	kill "$SPID" 2>/dev/null

	# once for both runs: a probe the first left would still be there
	assert_eq "$(probes_left "$NODE")" 0 "node $V: no probe left"
done <<<"$NODES"
matrix_close

finish
