#!/usr/bin/env bash
# weft-test-timeout: 240
# weft agent: one agent, pointed at the real OpenTelemetry Collector
# (tools/build-otelcol.sh) over OTLP/HTTP, follows the processes of some
# executables (--exe gohttp-agent, node, dash, sleep) in a cgroup of the
# test's own (--cgroup), each moved there after it started:
#   - a Go server (gohttp 2 1 0, newest Go, copied as gohttp-agent) across
#     two lifetimes: both exported, each under its own process.pid, each the
#     exact tree (2 /ok with their worker, /leak with its leak event); the
#     second lifetime is recorded alongside (weft record -p), and its report
#     --format otlp has the same tree;
#   - the same server outside the cgroup: not followed;
#   - a Node server: nodehttp.js's trees, its leaks and conflations (/ok,
#     /leak, /nested twice, /self), as test_otlp checks them in a report;
#   - a shell, followed (threads only), then exec'd into sleep: followed
#     anew after the exec.
# Each tracer says what it sent (0 dropped, 0 failed); SIGINT stops the
# agent, and no probe is left on either executable.
. "$(dirname "$0")/lib.sh"
require_root
require_weft

TREE=$ROOT/tests/runtime/otlp_tree.py
collector_start "$TMP/col.jsonl" || finish

V=$(bash "$ROOT/tools/go-versions.sh" | tail -n1 | awk '{ print $1 }')
read -r NV NODE <<<"$(bash "$ROOT/tools/node-versions.sh" | tail -n1)"
matrix_cell go "$V" "agent"
matrix_cell node "$NV" "agent"
GO=$TMP/gohttp-agent
cp "$ROOT/build/tests/go/$V/gohttp" "$GO"

if [ -f /sys/fs/cgroup/cgroup.procs ]; then CGROOT=/sys/fs/cgroup; else CGROOT=/sys/fs/cgroup/unified; fi
CG=weft-agent-test-$$
mkdir "$CGROOT/$CG" || { fail "cannot make a cgroup under $CGROOT"; finish; }
trap 'rc=$?; rmdir "$CGROOT/$CG" 2>/dev/null; (exit $rc); _cleanup' EXIT

bg AP "$WEFT" agent --otlp "http://127.0.0.1:$COL_HTTP" --exe gohttp-agent --exe node \
	--exe dash --exe sleep --cgroup "/$CG" --leak-grace 100ms 2>"$TMP/agent.err"
wait_for "$TMP/agent.err" '^weft agent: following' 10 "$AP" || fail "the agent did not start: $(cat "$TMP/agent.err")"

# $1: the lifetime (1, 2); $2: record it alongside too
go_lifetime() {
	rm -f "$TMP/go"
	bg GP env WEFT_TEST_WAIT="$TMP/go" WEFT_TEST_LOG="$TMP/g$1.log" "$GO" 2 1 0
	echo "$GP" >"$CGROOT/$CG/cgroup.procs"
	wait_for "$TMP/agent.err" "attached to pid $GP " 20 "$AP" || fail "go lifetime $1: not attached"
	if [ -n "${2:-}" ]; then
		bg RP "$WEFT" record -p "$GP" --leak-grace 100ms -o "$TMP/g$1.wr" 2>"$TMP/g$1.wr.err"
		wait_for "$TMP/g$1.wr.err" 'attached to pid' 20 "$RP" || fail "the recording did not attach"
	fi
	touch "$TMP/go"
	wait_exit "$GP" 20 || fail "go lifetime $1: still running"
	wait_for "$TMP/agent.err" "^weft agent: pid $GP: " 10 "$AP" || fail "go lifetime $1: not exported"
	eval "G$1=$GP"
}
# outside the cgroup: the executable alone does not select it
bg OP env WEFT_TEST_LOG="$TMP/out.log" "$GO" 0 0 0 keep
wait_for "$TMP/out.log" 'gohttp listening' 10 "$OP" || fail "gohttp (outside) did not start"
sleep 1 # 5 scans
assert_eq "$(grep -c "pid $OP" "$TMP/agent.err")" 0 "a gohttp-agent outside the cgroup: not followed"
kill "$OP"
wait_exit "$OP" 10
go_lifetime 1
go_lifetime 2 record
wait_exit "$RP" 20
assert_eq "$RC" 0 "go: the recording alongside the second lifetime"

# Node, moved into the followed cgroup once it listens
rm -f "$TMP/port"
bg NP env WEFT_TEST_PORT_FILE="$TMP/port" "$NODE" "$ROOT/tests/node/nodehttp.js"
wait_for "$TMP/port" . 20 "$NP" || fail "node did not listen"
echo "$NP" >"$CGROOT/$CG/cgroup.procs"
wait_for "$TMP/agent.err" "attached to pid $NP " 20 "$AP" || fail "node: not attached by its cgroup"
P=$(cat "$TMP/port")
for u in /ok /leak /nested /nested /self; do python3 "$ROOT/tests/runtime/conns.py" "$P" 1 "$u" >/dev/null; done
sleep 0.7 # past the grace
python3 "$ROOT/tests/runtime/conns.py" "$P" 1 /exit >/dev/null
wait_exit "$NP" 20
wait_for "$TMP/agent.err" "^weft agent: pid $NP: " 10 "$AP" || fail "node: not exported"

# a shell in the cgroup (threads only: no transaction); it execs once followed
mkfifo "$TMP/fifo"
bg SP sh -c "echo \$\$ >$CGROOT/$CG/cgroup.procs; read x <$TMP/fifo; exec sleep 5"
wait_for "$TMP/agent.err" "^weft: attached to pid $SP .*sh" 10 "$AP" || fail "the shell: not followed"
echo go >"$TMP/fifo"
wait_for "$TMP/agent.err" "^weft: attached to pid $SP .*sleep" 10 "$AP" || fail "the exec'd sleep: not followed anew"
kill "$SP" 2>/dev/null
wait_exit "$SP" 10

kill -INT "$AP"
wait_exit "$AP" 15 || fail "the agent did not stop on SIGINT"
assert_eq "$RC" 0 "the agent's exit status"
collector_stop
cat "$TMP/agent.err" >&2

for pid in "$G1" "$G2" "$NP"; do
	assert_match "$(grep "^weft agent: pid $pid: " "$TMP/agent.err")" \
		" ([0-9]+) spans; \1 sent in [1-9][0-9]* requests, 0 dropped \(queue full\), 0 failed; metrics: [1-9][0-9]* sent, 0 lost$" \
		"pid $pid: every span sent, and the metrics"
done
assert_match "$(tail -n 1 "$TMP/agent.err")" "^weft agent: stopped; 5 processes followed" \
	"the agent: 5 processes followed (2 Go, Node, the shell and its exec), not the one outside"
assert_eq "$(probes_left "$GO")" 0 "no probe left on the Go executable"
assert_eq "$(probes_left "$NODE")" 0 "no probe left on node"


assert_eq "$(python3 "$TREE" --collector "$TMP/col.jsonl" --pid "$G1")" "$GOHTTP_TREE" "go, first lifetime: the exact tree"
assert_eq "$(python3 "$TREE" --collector "$TMP/col.jsonl" --pid "$G2")" "$GOHTTP_TREE" "go, second lifetime: the exact tree"
weft_run "$TMP/g2.pb.out" "$TMP/g2.pb.err" report "$TMP/g2.wr" --format otlp -o "$TMP/g2.pb"
assert_eq "$(python3 "$TREE" "$TMP/g2.pb")" "$(python3 "$TREE" --collector "$TMP/col.jsonl" --pid "$G2")" \
	"go, second lifetime: the agent's tree is the recording's"

python3 "$TREE" --collector "$TMP/col.jsonl" --pid "$NP" >"$TMP/n.tree" 2>&1
assert_eq "$(grep -c '^GET' "$TMP/n.tree")" 9 "node: a span per transaction"
assert_match "$(cat "$TMP/n.tree")" "GET /leak leaks=UDPWRAP error
  UDPWRAP leaked" "node: the leak"
assert_match "$(cat "$TMP/n.tree")" "GET /nested leaks=TCPSERVERWRAP[A-Z,]* error
  TCPSERVERWRAP leaked" "node: the first /nested's inner server leaks"
assert_eq "$(grep -c '^GET /inner links=GET /nested' "$TMP/n.tree")" 2 "node: both /inner conflated with the first /nested"
assert_match "$(cat "$TMP/n.tree")" "GET /inner links=GET /nested stale" "node: the second one after it ended"
assert_match "$(cat "$TMP/n.tree")" "GET /ok links=GET /self self" "node: the call to itself"
assert_match "$(cat "$TMP/n.tree")" "bad parents 0" "node: every parent in its trace"
python3 "$ROOT/tests/runtime/otlp_decode.py" --collector "$TMP/col.jsonl" >"$TMP/col.json"
assert_py "$TMP/col.json" \
	"sorted({int(s['pid']) for s in d['spans']}) == sorted([$G1, $G2, $NP])" "spans of the three targets only"
finish
