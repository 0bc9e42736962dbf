#!/usr/bin/env bash
# weft trace -p TID -d 2: attach to a running server that holds (WEFT_TEST_WAIT)
# until weft says it is attached, given the id of one of its threads (its
# housekeeping thread's, as top -H shows): weft says so in one line and
# traces the process. The housekeeping thread predates the attach
# (preattach, not an orphan). Same leaks as under -- CMD. After -d expires
# weft exits 0, the target keeps running and no uprobe is left on it.
. "$(dirname "$0")/lib.sh"
require_root
require_weft

target S server
export EXE=$S LOG=$TMP/server.log
WAIT=$TMP/go

WEFT_TEST_WAIT=$WAIT WEFT_TEST_LOG=$LOG bg TPID "$S" 6 keep
wait_for "$LOG" 'server housekeeping tid=' 10 "$TPID" || { fail "server did not start: $(cat "$LOG" 2>/dev/null)"; finish; }

HTID=$(sed -n 's/.*server housekeeping tid=\([0-9]*\).*/\1/p' "$LOG" | head -n1)
assert_ne "${HTID:-$TPID}" "$TPID" "the housekeeping thread's id is not the process's"
ERR_FILE=$TMP/err
bg WPID "$WEFT" trace --format json -d 2 --txn handle_request -p "$HTID" >"$TMP/out.json" 2>"$ERR_FILE"
if ! wait_for "$ERR_FILE" 'attached' 15 "$WPID"; then
	fail "weft did not print an 'attached' line on stderr: $(head -c 600 "$ERR_FILE" | tr '\n' '|')"
	finish
fi
CHECKS=$((CHECKS + 1))
[ "$(probes_left "$S" "$TPID")" -ge 1 ] ||
	fail "while attached, bpftool lists no uprobe on $S: probes_left cannot see weft's probes"
touch "$WAIT"

wait_exit "$WPID" 20 || { fail "weft -d 2 still running after 20 s"; finish; }
assert_exit_ok "weft trace -p TID -d 2"
assert_eq "$(grep -c 'is a thread of process' "$ERR_FILE")" 1 "one line says -p is a thread"
assert_contains "$ERR_FILE" "weft: -p $HTID is a thread of process $TPID (server): tracing the process" \
	"-p TID: the line names the thread, its process and what weft does"
assert_contains "$LOG" "server idle" "all requests ran inside the capture"
check_server "$TMP/out.json" 500 attach
assert_jq "$TMP/out.json" 'd["target"]["pid"]' "$TPID" "target.pid"
assert_py "$TMP/out.json" '1.5e9 <= d["capture"]["duration_ns"] <= 4e9' "capture.duration_ns about 2 s"

CHECKS=$((CHECKS + 1))
alive "$TPID" || fail "target died (state $(proc_state "$TPID"))"
CHECKS=$((CHECKS + 1))
case $(proc_state "$TPID") in T | t) fail "target left stopped" ;; esac
assert_eq "$(probes_left "$S" "$TPID")" 0 "uprobes left on the target after weft exited"
# the target still makes progress
n1=$(grep -c 'server tick=' "$LOG")
sleep 0.35
n2=$(grep -c 'server tick=' "$LOG")
CHECKS=$((CHECKS + 1))
[ "$n2" -gt "$n1" ] || fail "target makes no progress after weft exited ($n1 -> $n2 ticks)"

finish
