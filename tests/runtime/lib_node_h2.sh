# shellcheck shell=bash
# For test_node_h2.sh and test_node_grpc.sh (sourced after lib.sh): run one
# traced server and its client, and the Python checks both share.
H2=$ROOT/tests/node/h2

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
chk(all(c["server"] == "Node server" for c in d["connections"]), "connections: all under Node server",
    d["connections"])
chk(d["capture"]["lost_events"] == 0 and d["capture"]["evicted"] == 0, "nothing lost or evicted")
chk(not [o for o in orph if o[0].startswith("HTTP2") or o[0] == "TCPWRAP"],
    "no stream, session or socket among the orphans", orph)
'

