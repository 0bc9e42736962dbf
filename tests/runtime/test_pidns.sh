#!/usr/bin/env bash
# weft-test-timeout: 240
# weft in its own PID namespace (unshare --pid --fork --mount-proc: what a
# container or a Kubernetes sidecar gives it), tracing a process of that
# namespace. The kernel numbers the target differently from weft; weft
# reports every pid and tid as its /proc shows them:
#   trace -- server: its 6 transactions, leaks and thread ids, exactly as on
#     the host (check_server, -- CMD);
#   trace -p HTID: a thread id of the namespace resolves to its process, in
#     one line; the report as with -p on the host;
#   trace -- gofanout 2 (Go): 2 transactions of 33 goroutines;
#   trace -- node nodehttp.js: /ok*3 /leak*2 /exit, 2 UDPWRAP leaked;
#   check -- sh -c 'ctests; ...': a child of the command, followed through
#     its exec, and its leaking case reported; exit 1.
# (weft on the host tracing a process in a container: test_go_prod.)
. "$(dirname "$0")/lib.sh"
require_root
require_weft
command -v unshare >/dev/null || skip "no unshare (util-linux)"
unshare --pid --fork --mount-proc true 2>/dev/null ||
	skip "cannot create a PID namespace here (unshare --pid --fork failed)"

# in_ns CMD...: CMD as pid 1 of a new PID namespace, with its own /proc
in_ns() { timeout -k 5 60 unshare --pid --fork --mount-proc "$@"; }

target S server
export EXE=$S

# -- CMD
export LOG=$TMP/cmd.log
WEFT_TEST_LOG=$LOG in_ns "$WEFT" trace --format json -o "$TMP/cmd.json" \
	--txn handle_request -- "$S" >"$TMP/cmd.out" 2>"$TMP/cmd.err" </dev/null
assert_eq "$?" 0 "in a PID namespace, weft trace -- server: exit status"
assert_contains "$LOG" "server idle" "-- CMD: the target completed"
assert_match "$(sed -n 's/.*server main tid=\([0-9]*\).*/\1/p' "$LOG")" '^[0-9]$' \
	"-- CMD: the server's pid is a small one of the new namespace"
check_server "$TMP/cmd.json" 500 cmd

# -p TID, target and weft in the same namespace
export LOG=$TMP/attach.log
cat >"$TMP/attach.sh" <<'EOF'
W=$TMP/go
WEFT_TEST_WAIT=$W "$S" 6 keep &
T=$!
for _ in $(seq 100); do grep -q 'housekeeping tid=' "$LOG" 2>/dev/null && break; sleep 0.1; done
H=$(sed -n 's/.*server housekeeping tid=\([0-9]*\).*/\1/p' "$LOG")
"$WEFT" trace --format json -d 2 --txn handle_request -p "$H" >"$TMP/attach.json" 2>"$TMP/attach.err" &
P=$!
for _ in $(seq 150); do grep -q attached "$TMP/attach.err" 2>/dev/null && break; sleep 0.1; done
touch "$W"
wait "$P"
echo "weft=$? pid=$T tid=$H" >"$TMP/attach.rc"
kill "$T"
EOF
TMP=$TMP S=$S WEFT=$WEFT WEFT_TEST_LOG=$LOG in_ns bash "$TMP/attach.sh" </dev/null
read -r RCW TP TH < <(sed 's/[a-z]*=//g' "$TMP/attach.rc" 2>/dev/null)
assert_eq "${RCW:-none}" 0 "in a PID namespace, weft trace -p TID: exit status"
assert_eq "$(grep -c 'is a thread of process' "$TMP/attach.err")" 1 "-p TID: said in one line"
assert_contains "$TMP/attach.err" "weft: -p $TH is a thread of process $TP (server): tracing the process" \
	"-p TID in the namespace: the line names the thread and its process in the namespace's ids"
check_server "$TMP/attach.json" 500 attach

# Go, -- CMD
VERSIONS=$(bash "$ROOT/tools/go-versions.sh")
GOV=$(head -n1 <<<"$VERSIONS" | cut -d' ' -f1)
if [ -n "$GOV" ] && [ -x "$ROOT/build/tests/go/$GOV/gofanout" ]; then
	cp "$ROOT/build/tests/go/$GOV/gofanout" "$TMP/gofanout"
	in_ns "$WEFT" trace --format json -o "$TMP/go.json" --txn main.runFanout -- \
		"$TMP/gofanout" 2 >"$TMP/go.out" 2>"$TMP/go.err" </dev/null
	assert_eq "$?" 0 "in a PID namespace, weft trace -- gofanout (Go $GOV): exit status"
	assert_eq "$(cat "$TMP/go.out")" "levels 4 8 16 32 jobs 12" "gofanout's stdout"
	assert_py "$TMP/go.json" '[t["segments"] for t in d["transactions"]] == [33, 33]' \
		"Go $GOV in a PID namespace: 2 transactions of 33 goroutines"
	assert_py "$TMP/go.json" 'd["target"]["pid"] < 10 and d["leaks"] == []' \
		"Go: the namespace's pid, no leak"
else
	note "Go part not run: no prebuilt gofanout (make test builds build/tests/go)"
fi

# Node, -- CMD; the client runs on the host (only the PID namespace is new)
NODE=$(bash "$ROOT/tools/node-versions.sh" | head -n1 | cut -d' ' -f2)
if [ -n "$NODE" ]; then
	WEFT_TEST_PORT_FILE=$TMP/port WEFT_TEST_LOG=$TMP/node.log bg NPID timeout -k 5 60 \
		unshare --pid --fork --mount-proc "$WEFT" trace --format json -o "$TMP/node.json" \
		-- "$NODE" "$ROOT/tests/node/nodehttp.js" >"$TMP/node.out" 2>"$TMP/node.err"
	if wait_for "$TMP/port" . 15 "$NPID"; then
		P=$(cat "$TMP/port")
		"$NODE" "$ROOT/tests/node/nodeclient.js" "$P" '/ok?n=1*3' '/leak*2' >"$TMP/cli.out" 2>&1 ||
			fail "node client: $(tail -c 300 "$TMP/cli.out")"
		sleep 0.8
		"$NODE" "$ROOT/tests/node/nodeclient.js" "$P" /exit >/dev/null 2>&1
		wait_exit "$NPID" 20 || fail "weft did not stop with the Node server"
		assert_eq "$RC" 0 "in a PID namespace, weft trace -- node: exit status"
		assert_py "$TMP/node.json" '[t["name"] for t in d["transactions"]] == ["GET /ok"] * 3 + ["GET /leak"] * 2 + ["GET /exit"]' \
			"Node in a PID namespace: its 6 transactions"
		assert_py "$TMP/node.json" '[(l["start"], l["count"]) for l in d["leaks"]] == [("UDPWRAP", 2)] and d["target"]["pid"] < 10' \
			"Node: the 2 leaked UDPWRAP of GET /leak, the namespace's pid"
	else
		fail "the Node server did not start in the namespace: $(head -c 400 "$TMP/node.err")"
	fi
else
	note "Node part not run: no Node (tools/install-deps.sh installs it)"
fi

# weft check: the command's child, followed through its exec
target CT ctests
in_ns "$WEFT" check --txn run_case -- sh -c "'$CT'; true" >"$TMP/ct.out" 2>"$TMP/ct.err" </dev/null
assert_eq "$?" 1 "in a PID namespace, weft check -- sh -c ctests: exit status"
assert_contains "$TMP/ct.err" "1 thread created at leak_case (ctests.c:$(grep -n 'SITE:leak \*/' \
	"$ROOT/tests/targets/ctests.c" | cut -d: -f1)) -> blocked_main" "check: the leaking case's line"

finish
