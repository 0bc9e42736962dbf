#!/usr/bin/env bash
# SIGINT ends a live `weft trace -p PID` (no -d): exit status 0, the report is
# printed, no uprobe stays attached, the target keeps running. Twice: with
# multi-uprobe links (one link per program and binary: bpftool link show
# lists them as uprobe_multi, no perf-event uprobe) and with
# WEFT_NO_UPROBE_MULTI=1 (a perf-event uprobe per site, no uprobe_multi link).
. "$(dirname "$0")/lib.sh"
require_root
require_weft

# uprobe_links KIND PID: weft's uprobe_multi links on PID's executable (KIND
# multi) or its perf-event uprobes (KIND perf)
uprobe_links() {
	if [ "$1" = multi ]; then
		"$BPFTOOL" -j link show 2>/dev/null | python3 -c '
import json, os, sys
p = os.path.realpath("/proc/%s/exe" % sys.argv[1])
print(sum(1 for l in json.load(sys.stdin) if l.get("type") == "uprobe_multi" and l.get("path") == p))' "$2"
	else
		"$BPFTOOL" -j perf show 2>/dev/null | python3 -c '
import json, os, sys
p = os.path.realpath("/proc/%s/exe" % sys.argv[1])
print(sum(1 for e in json.load(sys.stdin) if e.get("fd_type") in ("uprobe", "uretprobe") and os.path.realpath(e.get("filename", "")) == p))' "$2"
	fi
}

target S server
export EXE=$S

for mode in multi single; do
export LOG=$TMP/server-$mode.log
WAIT=$TMP/go-$mode
[ $mode = single ] && export WEFT_NO_UPROBE_MULTI=1

WEFT_TEST_WAIT=$WAIT WEFT_TEST_LOG=$LOG bg TPID "$S" 6 keep
wait_for "$LOG" 'server housekeeping tid=' 10 "$TPID" || { fail "server did not start: $(cat "$LOG" 2>/dev/null)"; finish; }

ERR_FILE=$TMP/err-$mode
bg WPID "$WEFT" trace --format json --txn handle_request -p "$TPID" >"$TMP/out-$mode.json" 2>"$ERR_FILE"
if ! wait_for "$ERR_FILE" 'attached' 15 "$WPID"; then
	fail "weft did not print an 'attached' line on stderr: $(head -c 600 "$ERR_FILE" | tr '\n' '|')"
	finish
fi
n=$(probes_left "$S" "$TPID")
CHECKS=$((CHECKS + 1))
[ "$n" -ge 1 ] || fail "while attached, bpftool lists no uprobe on $S: probes_left cannot see weft's probes"
note "$mode: uprobes on the target while attached: $n; weft perf_event fds: $(perf_fds "$WPID")"
if [ $mode = multi ]; then
	assert_eq "$(uprobe_links multi "$TPID")" 2 "multi: handle_request's entry and return, a uprobe_multi link each"
	assert_eq "$(uprobe_links perf "$TPID")" 0 "multi: no perf-event uprobe"
else
	assert_eq "$(uprobe_links perf "$TPID")" 2 "single: handle_request's entry and return, a perf-event uprobe each"
	assert_eq "$(uprobe_links multi "$TPID")" 0 "single: no uprobe_multi link"
fi
touch "$WAIT"

# all requests done and the 700 ms idle passed: leaks are decided
wait_for "$LOG" 'server idle' 15 "$TPID" || fail "server never went idle"
sleep 0.2
CHECKS=$((CHECKS + 1))
alive "$WPID" || fail "weft exited before SIGINT (status: $(wait "$WPID"; echo $?))"
kill -INT "$WPID"
wait_exit "$WPID" 10 || { fail "weft still running 10 s after SIGINT"; finish; }
assert_exit_ok "weft after SIGINT"
check_server "$TMP/out-$mode.json" 500 attach

assert_eq "$(probes_left "$S" "$TPID")" 0 "uprobes left on the target after SIGINT"
CHECKS=$((CHECKS + 1))
alive "$TPID" || fail "target died (state $(proc_state "$TPID"))"
CHECKS=$((CHECKS + 1))
case $(proc_state "$TPID") in T | t) fail "target left stopped" ;; esac
n1=$(grep -c 'server tick=' "$LOG")
sleep 0.35
n2=$(grep -c 'server tick=' "$LOG")
CHECKS=$((CHECKS + 1))
[ "$n2" -gt "$n1" ] || fail "$mode: target makes no progress after weft exited ($n1 -> $n2 ticks)"
kill "$TPID" 2>/dev/null
unset WEFT_NO_UPROBE_MULTI
done

finish
