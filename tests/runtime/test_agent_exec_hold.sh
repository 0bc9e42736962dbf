#!/usr/bin/env bash
# weft-test-timeout: 90
# weft agent --exe: a program is held (SIGSTOP from the exec tracepoint)
# before its first instruction, and continued once its tracer is attached,
# so what it does in its first milliseconds is traced. goseed 4 (newest Go,
# copied as goseed-held) runs its 4 transactions (main.handleTrace, 20 ms
# apart, 2 goroutines each, those of the even ones leaked) at once: the
# collector gets exactly 4, with 4 leaks (2, 0, 2, 0), where an attach
# 0.3 s in would see none. Never left stopped:
#   - the normal run: seen stopped at its exec, then it ran and exited;
#   - its tracer killed (SIGKILL) while it is held: the agent continues it;
#   - the agent stopped (SIGTERM) while one is held: it runs on.
# With --cgroup too (v2), only a process in that cgroup is held: goseed
# started in it, the same 4 transactions; started outside, neither held nor
# followed.
. "$(dirname "$0")/lib.sh"
require_root
require_weft

TREE=$ROOT/tests/runtime/otlp_tree.py
collector_start "$TMP/col.jsonl" || finish

V=$(bash "$ROOT/tools/go-versions.sh" | tail -n1 | awk '{ print $1 }')
matrix_cell go "$V" "agent (held at exec)"
mkdir -p "$TMP/bin"
GO=$TMP/bin/goseed-held
cp "$ROOT/build/tests/go/$V/goseed" "$GO" || { fail "no goseed built for go $V (make go-targets)"; finish; }

# seen_held PID: waits (up to 5 s) until PID is stopped ('T'); 1 if never
seen_held() {
	local i
	for ((i = 0; i < 500; i++)); do
		[ "$(proc_state "$1")" = T ] && return 0
		alive "$1" || return 1
		sleep 0.01
	done
	return 1
}

# running PID: not stopped within 2 s
running() {
	local i
	for ((i = 0; i < 200; i++)); do
		[ "$(proc_state "$1")" != T ] && return 0
		sleep 0.01
	done
	return 1
}

# never_held PID: not stopped while it lives (up to 2 s)
never_held() {
	local i
	for ((i = 0; i < 200; i++)); do
		[ "$(proc_state "$1")" = T ] && return 1
		alive "$1" || return 0
		sleep 0.01
	done
	return 0
}

# agent_start N [ARGS]: agent N, following goseed-held (and ARGS)
agent_start() {
	bg AP "$WEFT" agent --otlp "http://127.0.0.1:$COL_HTTP" --exe goseed-held "${@:2}" \
		--txn main.handleTrace --leak-grace 100ms 2>"$TMP/agent$1.err"
	wait_for "$TMP/agent$1.err" '^weft agent: following' 10 "$AP" ||
		fail "the agent did not start: $(cat "$TMP/agent$1.err")"
}

agent_start 1

# 1. goseed 4: its transactions in its first 80 ms, each traced
t0=$(date +%s%N)
bg GP env WEFT_TEST_LOG="$TMP/g.log" "$GO" 4
seen_held "$GP" && held=yes || held=no
assert_eq "$held" yes "goseed: stopped at its exec"
wait_exit "$GP" 20 || fail "goseed: still running"
assert_eq "$RC" 0 "goseed: its exit status"
note "goseed ran in $((($(date +%s%N) - t0) / 1000000)) ms, from its exec"
wait_for "$TMP/agent1.err" "^weft agent: pid $GP: " 10 "$AP" || fail "goseed: not exported"
assert_match "$(grep "^weft agent: pid $GP: " "$TMP/agent1.err")" \
	"^weft agent: pid $GP: 4 transactions, .* 0 dropped \(queue full\), 0 failed" \
	"goseed: 4 transactions, every span sent"
assert_eq "$(grep -c 'goseed trace=[0-9]* \(stopped\|leaked\)' "$TMP/g.log")" 4 "goseed: its 4 traces ran"

# 2. held, its tracer killed: the agent continues it
bg KP env WEFT_TEST_LOG="$TMP/k.log" "$GO" 4 keep
if seen_held "$KP"; then
	# its tracer (the agent's only child), frozen as soon as it is forked
	# (it takes 100 ms or more to attach), then killed
	for ((i = 0; i < 200; i++)); do
		TR=$(pgrep -P "$AP" | head -n1)
		[ -n "$TR" ] && break
		sleep 0.005
	done
	[ -n "$TR" ] && kill -STOP "$TR"
	assert_eq "$(proc_state "$KP")" T "goseed keep: still held when its tracer is stopped"
	[ -n "$TR" ] && kill -KILL "$TR"
	running "$KP" && st=running || st=stopped
	assert_eq "$st" running "its tracer killed while it was held: it runs"
	wait_for "$TMP/k.log" 'goseed tick=1' 10 "$KP" || fail "goseed keep: no tick"
	assert_match "$(cat "$TMP/agent1.err")" "weft agent: pid $KP: its tracer ended before continuing it; continued" \
		"the agent says it continued it"
else
	fail "goseed keep: never seen stopped"
fi
kill "$KP" 2>/dev/null
wait_exit "$KP" 10

# 3. held, the agent stopped: it runs on
bg SP env WEFT_TEST_LOG="$TMP/s.log" "$GO" 4 keep
if seen_held "$SP"; then
	kill -TERM "$AP"
	wait_exit "$AP" 20 || fail "the agent did not stop on SIGTERM"
	assert_eq "$RC" 0 "the agent's exit status"
	running "$SP" && st=running || st=stopped
	assert_eq "$st" running "the agent stopped while it was held: it runs"
	wait_for "$TMP/s.log" 'goseed tick=1' 10 "$SP" || fail "goseed keep (agent stopped): no tick"
else
	fail "goseed keep (agent stopped): never seen stopped"
fi
kill "$SP" 2>/dev/null
wait_exit "$SP" 10
cat "$TMP/agent1.err" >&2

# 4. --exe and --cgroup: held in the cgroup only
if [ -f /sys/fs/cgroup/cgroup.procs ]; then CGROOT=/sys/fs/cgroup; else CGROOT=/sys/fs/cgroup/unified; fi
CG=weft-hold-test-$$
if [ -f "$CGROOT/cgroup.procs" ] && mkdir "$CGROOT/$CG"; then
	trap 'rc=$?; rmdir "$CGROOT/$CG" 2>/dev/null; (exit $rc); _cleanup' EXIT
	agent_start 2 --cgroup "/$CG"
	bg OP env WEFT_TEST_LOG="$TMP/o.log" "$GO" 4
	never_held "$OP" && held=no || held=yes
	assert_eq "$held" no "goseed outside the cgroup: not held"
	wait_exit "$OP" 20
	bg CP env WEFT_TEST_LOG="$TMP/c.log" sh -c "echo \$\$ >$CGROOT/$CG/cgroup.procs && exec $GO 4"
	seen_held "$CP" && held=yes || held=no
	assert_eq "$held" yes "goseed in the cgroup: stopped at its exec"
	wait_exit "$CP" 20 || fail "goseed in the cgroup: still running"
	assert_eq "$RC" 0 "goseed in the cgroup: its exit status"
	wait_for "$TMP/agent2.err" "^weft agent: pid $CP: " 10 "$AP" || fail "goseed in the cgroup: not exported"
	kill -INT "$AP"
	wait_exit "$AP" 20 || fail "the agent (--cgroup) did not stop on SIGINT"
	cat "$TMP/agent2.err" >&2
	assert_eq "$(grep -c "pid $OP" "$TMP/agent2.err")" 0 "goseed outside the cgroup: not followed"
	assert_match "$(tail -n 1 "$TMP/agent2.err")" "^weft agent: stopped; 1 processes followed, 0 could not" \
		"the agent (--cgroup): one followed"
else
	fail "no cgroup v2 hierarchy to make $CG in"
fi
collector_stop

# $1: pid; the tree exported, in the order the transactions ran
TREE_4="main.handleTrace leaks=main.(*pubsub).forward,main.(*trace).startStateWorker error
  main.(*pubsub).forward leaked
  main.(*trace).startStateWorker leaked
main.handleTrace
  main.(*pubsub).forward ended
  main.(*trace).startStateWorker ended
main.handleTrace leaks=main.(*pubsub).forward,main.(*trace).startStateWorker error
  main.(*pubsub).forward leaked
  main.(*trace).startStateWorker leaked
main.handleTrace
  main.(*pubsub).forward ended
  main.(*trace).startStateWorker ended
traces 4
bad parents 0"
assert_eq "$(python3 "$TREE" --collector "$TMP/col.jsonl" --pid "$GP")" "$TREE_4" \
	"goseed: its 4 transactions, 4 leaks (2, 0, 2, 0), all from its first 80 ms"
[ -n "${CP:-}" ] && assert_eq "$(python3 "$TREE" --collector "$TMP/col.jsonl" --pid "$CP")" "$TREE_4" \
	"goseed in the cgroup: the same"
finish
