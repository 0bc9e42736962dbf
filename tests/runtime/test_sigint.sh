#!/usr/bin/env bash
# SIGINT ends a live `weft trace -p PID` (no -d): exit status 0, the report is
# printed, no uprobe stays attached, the target keeps running.
. "$(dirname "$0")/lib.sh"
require_root
require_weft

target S server
export EXE=$S LOG=$TMP/server.log
WAIT=$TMP/go

WEFT_TEST_WAIT=$WAIT WEFT_TEST_LOG=$LOG bg TPID "$S" 6 keep
wait_for "$LOG" 'server housekeeping tid=' 10 "$TPID" || { fail "server did not start: $(cat "$LOG" 2>/dev/null)"; finish; }

ERR_FILE=$TMP/err
bg WPID "$WEFT" trace --format json --txn handle_request -p "$TPID" >"$TMP/out.json" 2>"$ERR_FILE"
if ! wait_for "$ERR_FILE" 'attached' 15 "$WPID"; then
	fail "weft did not print an 'attached' line on stderr: $(head -c 600 "$ERR_FILE" | tr '\n' '|')"
	finish
fi
n=$(probes_left "$S" "$TPID")
CHECKS=$((CHECKS + 1))
[ "$n" -ge 1 ] || fail "while attached, bpftool perf show lists no uprobe on $S: probes_left cannot see weft's probes"
note "uprobes on the target while attached: $n; weft perf_event fds: $(perf_fds "$WPID")"
touch "$WAIT"

# all requests done and the 700 ms idle passed: leaks are decided
wait_for "$LOG" 'server idle' 15 "$TPID" || fail "server never went idle"
sleep 0.2
CHECKS=$((CHECKS + 1))
alive "$WPID" || fail "weft exited before SIGINT (status: $(wait "$WPID"; echo $?))"
kill -INT "$WPID"
wait_exit "$WPID" 10 || { fail "weft still running 10 s after SIGINT"; finish; }
assert_exit_ok "weft after SIGINT"
check_server "$TMP/out.json" 500 attach

assert_eq "$(probes_left "$S" "$TPID")" 0 "uprobes left on the target after SIGINT"
CHECKS=$((CHECKS + 1))
alive "$TPID" || fail "target died (state $(proc_state "$TPID"))"
CHECKS=$((CHECKS + 1))
case $(proc_state "$TPID") in T | t) fail "target left stopped" ;; esac
n1=$(grep -c 'server tick=' "$LOG")
sleep 0.35
n2=$(grep -c 'server tick=' "$LOG")
CHECKS=$((CHECKS + 1))
[ "$n2" -gt "$n1" ] || fail "target makes no progress after weft exited ($n1 -> $n2 ticks)"

finish
