#!/usr/bin/env bash
# weft-test-timeout: 300
# The Node adapter on every Node at hand (tools/node-versions.sh): the
# server of tests/node/nodehttp.js, driven by tests/node/nodeclient.js from
# another process, on one keep-alive connection:
#   /ok?n=1*3 /fs*2 /leak*2 /late /nested*3, then (0.8 s later) /exit.
# Known by construction (the header of nodehttp.js):
#   - 15 transactions, named by method and path (GET /ok: no query string,
#     one route one name, as Go's), in order; 3 GET /inner among
#     them, each begun in the first GET /nested's context (the inner server
#     was made there): conflation, live for the first, stale after;
#   - resources per request: /fs 4 FSREQCALLBACK (1 on 26: its readFile is
#     one native job), /leak 1 UDPWRAP (leaked),
#     /late 1 UDPWRAP (closed 20 ms after the response), the first /nested
#     its client side (TCPWRAP, TCPCONNECTWRAP, HTTPCLIENTREQUEST,
#     SHUTDOWNWRAP), the inner server (TCPSERVERWRAP, leaked), and for every
#     /nested the inner server's accepted TCPWRAP and parser; later /nested
#     their client side;
#   - leaks: 2 UDPWRAP from GET /leak (node::UDPWrap::UDPWrap), 1
#     TCPSERVERWRAP from GET /nested (node::TCPWrap::New);
#   - with a 1 ms grace (weft report of the recording), /late's UDPWRAP too.
# The server's stdout is the same without weft. Then -p, attached to a
# server that writes a perf map, with --preset libuv: /ok*2 /leak /self
# /crypto /worker /agent*2: a request
# to its own startup listener (/self, /agent) began inside its caller's
# context (a call to itself: conflation), crypto and the
# worker are their requests' resources, the leak is named by its JavaScript
# function. Last, 20 attach/detach cycles on a busy server. No probe is left.
. "$(dirname "$0")/lib.sh"
require_root
require_weft

NODES=$(bash "$ROOT/tools/node-versions.sh")
[ -n "$NODES" ] || skip "no Node 20, 22, 24 or 26 (tools/install-deps.sh fetches 22, 24 and 26)"
SRV=$ROOT/tests/node/nodehttp.js
CLI=$ROOT/tests/node/nodeclient.js

# plan NODE PORT: the client's requests, then /exit.
plan() {
	"$1" "$CLI" "$2" '/ok?n=1*3' '/fs*2' '/leak*2' /late '/nested*3' \
		>"$TMP/cli.out" 2>&1 || fail "node $V: client: $(tail -c 300 "$TMP/cli.out")"
	sleep 0.8
	"$1" "$CLI" "$2" /exit >/dev/null 2>&1
}

# record NODE OUT: weft record -- node nodehttp.js and the plan; the record
# file in OUT, the server's stdout in $TMP/traced.out.
record() {
	local node=$1 out=$2
	rm -f "$TMP/port"
	WEFT_TEST_PORT_FILE=$TMP/port WEFT_TEST_LOG=$TMP/srv.log bg WPID "$WEFT" record \
		-o "$out" -- "$node" "$SRV" >"$TMP/traced.out" 2>"$TMP/record.err"
	wait_for "$TMP/port" . 15 "$WPID" || { fail "node $V: the server did not start"; return 1; }
	plan "$node" "$(cat "$TMP/port")"
	wait_exit "$WPID" 20 || { fail "node $V: weft did not stop with the server"; return 1; }
	CHECKS=$((CHECKS + 1))
	[ "$RC" -eq 0 ] || fail "node $V: weft exited $RC"
}

check_server() {
	V=$V py_checks "$1" "node $V nodehttp" <<'PY'
import os
def chk(c, m, g=None): return check(c, m if g is None else "%s: got %r" % (m, g))
T = d["transactions"]
names = [t["name"] for t in T]
chk(names == ["GET /ok"] * 3 + ["GET /fs"] * 2 + ["GET /leak"] * 2 + ["GET /late"] +
    ["GET /nested", "GET /inner"] * 3 + ["GET /exit"], "15 transactions, named", names)
def types(t):
    return sorted(s["start"] for s in d["segments"]
                  if s["txn"] == t["id"] and s["id"] != t["root_segment"] and s["kind"] == "async")
got = [types(t) for t in T]
inner_conn = ["HTTPINCOMINGMESSAGE"] * 3 + ["TCPWRAP"] * 3
client = ["HTTPCLIENTREQUEST", "SHUTDOWNWRAP", "TCPCONNECTWRAP", "TCPWRAP"]
fs_reqs = 1 if int(os.environ["V"]) >= 26 else 4 # 26: readFile is one ReadFileJob
want = [[]] * 3 + [["FSREQCALLBACK"] * fs_reqs] * 2 + [["UDPWRAP"]] * 3 + \
    [sorted(client + inner_conn + ["TCPSERVERWRAP"]), ["SHUTDOWNWRAP"],
     client, ["SHUTDOWNWRAP"], client, ["SHUTDOWNWRAP"], []]
for i, (g, w) in enumerate(zip(got, want)):
    chk(g == w, "txn %d (%s): resources" % (i, names[i] if i < len(names) else "?"), g)
chk([t["leaked"] for t in T] == [0] * 5 + [1, 1, 0, 1] + [0] * 6, "leaked per transaction",
    [t["leaked"] for t in T])
leaks = sorted((l["site_func"], l["start"], l["count"], l["txns"]) for l in d["leaks"])
chk(leaks == [("node::TCPWrap::New", "TCPSERVERWRAP", 1, ["GET /nested"]),
              ("node::UDPWrap::UDPWrap", "UDPWRAP", 2, ["GET /leak"])], "leak sites", leaks)
conf = [(c["txn_name"], c["outer_name"], c["stale"]) for c in d["conflations"]]
chk(conf == [("GET /inner", "GET /nested", False)] + [("GET /inner", "GET /nested", True)] * 2,
    "conflations: every GET /inner inside the first GET /nested", conf)
chains = [[(x["kind"], x["start"], x["site_func"]) for x in c["chain"]] for c in d["conflations"]]
chk(chains == [[("async", "HTTPINCOMINGMESSAGE", "node::(anonymous namespace)::Parser::Initialize"
                 if os.environ["V"] == "20" else "node::http_parser::Parser::Initialize"),
                ("async", "TCPSERVERWRAP", "node::TCPWrap::New")]] * 3,
    "the chain that carried the context: the inner server's parser, the inner server", chains)
first = [t for t in T if t["name"] == "GET /nested"][0]
chk(all(c["outer_txn"] == first["id"] for c in d["conflations"]), "outer = the first /nested")
fs = [s for t in T if t["name"] == "GET /fs" for s in d["segments"] if s["txn"] == t["id"] and s["kind"] == "async"]
chk(all(s["state"] == "ended" for s in fs), "fs requests all ended")
chk(d["capture"]["lost_events"] == 0 and d["capture"]["evicted"] == 0, "nothing lost or evicted")
PY
}

while read -r V NODE; do
	matrix_cell node "$V" "trace, -p"
	J=$TMP/node-$V.json
	record "$NODE" "$TMP/node-$V.weft" || continue
	"$WEFT" report --format json "$TMP/node-$V.weft" >"$J" 2>"$TMP/report.err"
	json_valid "$J" "node $V report" && check_server "$J"
	# a 1 ms grace: /late's socket, closed 20 ms after the response, leaks
	"$WEFT" report --format json --leak-grace 1ms "$TMP/node-$V.weft" >"$TMP/late-$V.json"
	assert_py "$TMP/late-$V.json" \
		"[l['count'] for l in d['leaks'] if l['start'] == 'UDPWRAP' and 'GET /late' in l['txns']] == [3]" \
		"node $V: at 1 ms grace /late's UDPWRAP leaks too"
	assert_eq "$(probes_left "$NODE")" 0 "node $V: no probe left"

	# the server's output is the same without weft
	rm -f "$TMP/port"
	WEFT_TEST_PORT_FILE=$TMP/port bg SPID "$NODE" "$SRV" >"$TMP/plain.out" 2>/dev/null
	wait_for "$TMP/port" . 15 "$SPID" && plan "$NODE" "$(cat "$TMP/port")"
	wait_exit "$SPID" 10
	assert_eq "$(cat "$TMP/plain.out")" "nodehttp served 12 requests" "node $V: the server's stdout"
	assert_eq "$(cat "$TMP/traced.out")" "$(cat "$TMP/plain.out")" "node $V: stdout identical under weft"

	# -p: a server already running (held before its port file is written),
	# writing a perf map: requests to its own startup listener (fresh roots),
	# thread-pool crypto, a worker thread; leak sites named by JavaScript
	rm -f "$TMP/port" "$TMP/go" "$TMP/p.log" # a stale "listening" would race the exec
	WEFT_TEST_PORT_FILE=$TMP/port WEFT_TEST_WAIT=$TMP/go WEFT_TEST_LOG=$TMP/p.log \
		bg SPID env -C "$TMP" "$NODE" --perf-basic-prof --interpreted-frames-native-stack "$SRV" >/dev/null \
		2>"$TMP/p-srv.err" # a file: stderr on a pipe is a PIPEWRAP node makes lazily
	wait_for "$TMP/p.log" listening 15 "$SPID" || { fail "node $V: server did not start"; continue; }
	bg WPID "$WEFT" trace --format json --preset libuv -p "$SPID" -o "$TMP/p-$V.json" 2>"$TMP/p.err"
	wait_for "$TMP/p.err" attached 15 "$WPID" ||
		{ fail "node $V -p: weft did not attach: $(head -c 300 "$TMP/p.err")"; continue; }
	touch "$TMP/go"
	wait_for "$TMP/port" . 10 "$SPID" || { fail "node $V: no port file"; continue; }
	"$NODE" "$CLI" "$(cat "$TMP/port")" '/ok*2' /leak /self /crypto /worker '/agent*2' >/dev/null 2>&1 ||
		fail "node $V -p: client failed"
	sleep 0.8
	"$NODE" "$CLI" "$(cat "$TMP/port")" /exit >/dev/null 2>&1
	wait_exit "$WPID" 20 || fail "node $V -p: weft did not stop"
	rm -f "/tmp/perf-$SPID.map"
	json_valid "$TMP/p-$V.json" "node $V -p" && V=$V py_checks "$TMP/p-$V.json" "node $V -p" <<'PY'
def chk(c, m, g=None): return check(c, m if g is None else "%s: got %r" % (m, g))
T = d["transactions"]
got = [(t["name"], t["leaked"]) for t in T]
chk(got == [("GET /ok", 0), ("GET /ok", 0), ("GET /leak", 1), ("GET /self", 0), ("GET /ok", 0),
            ("GET /crypto", 0), ("GET /worker", 0), ("GET /agent", 0), ("GET /ok", 0),
            ("GET /agent", 0), ("GET /ok", 0), ("GET /exit", 0)], "transactions, leaks", got)
# the keep-alive agent's socket: opened by the first /agent, pooled after
# each, taken again (re-armed: a new identity) by the second
agent = [t for t in T if t["name"] == "GET /agent"]
socks = [[s for s in d["segments"] if s["txn"] == t["id"] and s.get("start") == "TCPWRAP"] for t in agent]
chk([len(x) for x in socks] == [1, 1], "one socket identity per /agent", [len(x) for x in socks])
chk(all(x["pooled"] and x["state"] != "leaked" for y in socks for x in y),
    "each identity pooled after its request, not leaked", socks)
ids = [x for y in socks for x in y]
chk(len(ids) == 2 and ids[0]["end_ns"] is not None and
    0 <= ids[1]["begin_ns"] - ids[0]["end_ns"] < 1000000,
    "the second /agent re-armed the pooled socket: the first identity ends as the second begins",
    [(x["begin_ns"], x["end_ns"]) for x in ids])
# /self and each /agent call this server: the GET /ok each makes began on
# bytes the caller wrote, inside its context (a call to itself): written
# once the socket connected (in its TCPCONNECTWRAP's callback), or on the
# pooled socket at once (in the request's own context: no chain)
conf = [(c["txn_name"], c["outer_name"], c["stale"], c["to_itself"], [x["start"] for x in c["chain"]])
        for c in d["conflations"]]
chk(conf == [("GET /ok", "GET /self", False, True, ["TCPCONNECTWRAP"]),
             ("GET /ok", "GET /agent", False, True, ["TCPCONNECTWRAP"]),
             ("GET /ok", "GET /agent", False, True, [])],
    "requests to itself: conflations with their callers", conf)
chk([c["outer_txn"] for c in d["conflations"]] == [T[3]["id"], T[7]["id"], T[9]["id"]],
    "each inside the request that made it", [c["outer_txn"] for c in d["conflations"]])
def types(t):
    return sorted(s["start"] for s in d["segments"]
                  if s["txn"] == t["id"] and s["id"] != t["root_segment"] and s["kind"] == "async")
by = {t["name"]: types(t) for t in T}
chk(by["GET /self"] == ["HTTPCLIENTREQUEST", "SHUTDOWNWRAP", "TCPCONNECTWRAP", "TCPWRAP"],
    "/self: its client side only", by["GET /self"])
chk(by["GET /crypto"] == ["PBKDF2REQUEST"], "/crypto: thread-pool work", by["GET /crypto"])
# --preset libuv: the pool's work item itself, a task of the request
crypto = [t for t in T if t["name"] == "GET /crypto"][0]
tasks = [s for s in d["segments"] if s["txn"] == crypto["id"] and s["kind"] == "task"]
chk(len(tasks) == 1 and tasks[0]["state"] == "ended" and
    any(k in tasks[0]["site_func"] for k in ("CryptoJob", "ThreadPoolWork")),
    "/crypto: its uv_queue_work item, a task run on the pool (--preset libuv)", tasks)
chk(by["GET /worker"] == ["MESSAGEPORT"] * 5 + ["WORKER"], "/worker: the worker and its ports",
    by["GET /worker"])
leaks = [(l["site_func"], l["start"], l["count"]) for l in d["leaks"]]
chk(leaks == [("udpBound", "UDPWRAP", 1)], "the leak named by its JavaScript (perf map)", leaks)
chk(not any(s["preattach"] for s in d["segments"] if s["state"] == "leaked"),
    "nothing from before the attach leaks")
# the listener made before the attach is seen when its first connection
# arrives: a pre-attach resource, the parent of what it accepts
pre = [s for s in d["segments"] if s["preattach"] and s["kind"] == "async"]
chk(len(pre) >= 1, "the startup listener seen as pre-attach", len(pre))
conns = [s for s in d["segments"] if s.get("start") == "TCPWRAP" and not s["txn"]]
chk(conns and all(any(p["id"] == c["parent"] for p in pre) for c in conns[:1]),
    "the first accepted connection's parent: the pre-attach listener",
    [(c["id"], c["parent"]) for c in conns[:2]])
PY
	assert_eq "$(probes_left "$NODE")" 0 "node $V -p: no probe left"
done <<<"$NODES"
matrix_close

# attach and detach 20 times against a busy server (the newest Node)
read -r V NODE <<<"$(tail -n1 <<<"$NODES")"
rm -f "$TMP/port"
WEFT_TEST_PORT_FILE=$TMP/port bg SPID "$NODE" "$SRV" >/dev/null 2>&1
if wait_for "$TMP/port" . 15 "$SPID"; then
	bg CPID "$NODE" "$CLI" "$(cat "$TMP/port")" '/ok*5' /fs --loop 90 >"$TMP/busy.out" 2>&1
	ok=0
	for i in $(seq 20); do
		timeout -k 2 20 "$WEFT" trace -d 0.2 -p "$SPID" >/dev/null 2>"$TMP/cycle.err" && ok=$((ok + 1))
	done
	assert_eq "$ok" 20 "node $V: 20 attach/detach cycles succeed"
	CHECKS=$((CHECKS + 1))
	alive "$SPID" && alive "$CPID" || fail "node $V: the server or its client died during the cycles"
	assert_eq "$(probes_left "$NODE")" 0 "node $V: no probe left after 20 cycles"
	kill "$CPID" 2>/dev/null
	"$NODE" "$CLI" "$(cat "$TMP/port")" /exit >/dev/null 2>&1
	wait_exit "$SPID" 10
else
	fail "node $V: busy server did not start"
fi

finish
