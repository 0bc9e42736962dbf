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
#   - the agent stopped (SIGTERM, while paused) while one is held: it runs
#     on.
# With --cgroup too (v2), only a process in that cgroup is held: goseed
# started in it, the same 4 transactions; started outside, neither held nor
# followed. Each goseed runs under held.py, which logs the stop and the
# continue as wait() reports them (polling /proc missed short holds under
# load).
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

# run_held VAR LOG CMD...: CMD in the background under held.py, which logs
# what wait() says of it (its stop and continue however short); VAR: its pid
run_held() {
	local __var=$1 log=$2 i
	shift 2
	rm -f "$log"
	bg _HP python3 "$ROOT/tests/runtime/held.py" "$log" "$@"
	for ((i = 0; i < 500; i++)); do
		grep -q '^pid ' "$log" 2>/dev/null && break
		sleep 0.01
	done
	printf -v "$__var" '%s' "$(sed -n 's/^pid //p' "$log" 2>/dev/null)"
}

# was_held LOG: it was stopped (or continued from a stop), waiting up to 5 s
was_held() {
	wait_for "$1" '^(stopped|continued)$' 5
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
run_held GP "$TMP/g.held" env WEFT_TEST_LOG="$TMP/g.log" "$GO" 4
was_held "$TMP/g.held" && held=yes || held=no
assert_eq "$held" yes "goseed: stopped at its exec"
wait_for "$TMP/g.held" '^exited' 20 || fail "goseed: still running"
assert_eq "$(tail -n1 "$TMP/g.held")" "exited 0" "goseed: its exit status"
note "goseed ran in $((($(date +%s%N) - t0) / 1000000)) ms, from its exec"
wait_for "$TMP/agent1.err" "^weft agent: pid $GP: " 10 "$AP" || fail "goseed: not exported"
assert_match "$(grep "^weft agent: pid $GP: " "$TMP/agent1.err")" \
	"^weft agent: pid $GP: 4 transactions, .* 0 dropped \(queue full\), 0 failed" \
	"goseed: 4 transactions, every span sent"
assert_eq "$(grep -c 'goseed trace=[0-9]* \(stopped\|leaked\)' "$TMP/g.log")" 4 "goseed: its 4 traces ran"

# 2. held, its tracer killed: the agent continues it. goseed's tracer may
# still be exiting after its last line: gone first, so that the child found
# is the new one. Its tracer must be caught before it attaches (100 ms or
# more): on a loaded machine the test may be late, so up to 3 tries.
no_tracers() {
	local i
	for ((i = 0; i < 400; i++)); do
		[ -z "$(pgrep -P "$AP")" ] && return 0
		sleep 0.05
	done
	return 1
}
caught=
for try in 1 2 3; do
	no_tracers || fail "a tracer of the agent did not end"
	run_held KP "$TMP/k.held" env WEFT_TEST_LOG="$TMP/k.log" "$GO" 4 keep
	TR=
	for ((i = 0; i < 400; i++)); do
		TR=$(pgrep -n -P "$AP")
		[ -n "$TR" ] && break
		sleep 0.005
	done
	[ -n "$TR" ] && kill -STOP "$TR"
	if [ -n "$TR" ] && [ "$(proc_state "$KP")" = T ]; then
		caught=$try
		break
	fi
	note "try $try: the tracer had attached before it was caught"
	[ -n "$TR" ] && kill -CONT "$TR"
	kill "$KP" 2>/dev/null
	wait_for "$TMP/k.held" '^(exited|killed)' 10
done
CHECKS=$((CHECKS + 1))
if [ -n "$caught" ]; then
	kill -KILL "$TR"
	running "$KP" && st=running || st=stopped
	assert_eq "$st" running "its tracer killed while it was held: it runs"
	wait_for "$TMP/k.log" 'goseed tick=1' 10 "$KP" || fail "goseed keep: no tick"
	wait_for "$TMP/agent1.err" "weft agent: pid $KP: its tracer ended before continuing it; continued" 5 ||
		fail "the agent does not say it continued pid $KP"
	kill "$KP" 2>/dev/null
	wait_for "$TMP/k.held" '^(exited|killed)' 10
else
	fail "goseed keep: its tracer attached before the test caught it, 3 times"
fi

# 3. held, the agent stopped: it runs on. The agent is paused (SIGSTOP)
# first, so that no tracer can continue it: held until the agent, asked
# to stop, continues it itself
no_tracers || fail "a tracer of the agent did not end"
kill -STOP "$AP"
run_held SP "$TMP/s.held" env WEFT_TEST_LOG="$TMP/s.log" "$GO" 4 keep
if was_held "$TMP/s.held"; then
	assert_eq "$(proc_state "$SP")" T "goseed keep: held while the agent is paused"
	kill -TERM "$AP"
	kill -CONT "$AP"
	wait_exit "$AP" 20 || fail "the agent did not stop on SIGTERM"
	assert_eq "$RC" 0 "the agent's exit status"
	running "$SP" && st=running || st=stopped
	assert_eq "$st" running "the agent stopped while it was held: it runs"
	wait_for "$TMP/s.log" 'goseed tick=1' 10 "$SP" || fail "goseed keep (agent stopped): no tick"
else
	kill -CONT "$AP"
	fail "goseed keep (agent paused): never held"
fi
kill "$SP" 2>/dev/null
wait_for "$TMP/s.held" '^(exited|killed)' 10
cat "$TMP/agent1.err" >&2

# 4. --exe and --cgroup: held in the cgroup only
if [ -f /sys/fs/cgroup/cgroup.procs ]; then CGROOT=/sys/fs/cgroup; else CGROOT=/sys/fs/cgroup/unified; fi
CG=weft-hold-test-$$
if [ -f "$CGROOT/cgroup.procs" ] && mkdir "$CGROOT/$CG"; then
	trap 'rc=$?; rmdir "$CGROOT/$CG" 2>/dev/null; (exit $rc); _cleanup' EXIT
	agent_start 2 --cgroup "/$CG"
	run_held OP "$TMP/o.held" env WEFT_TEST_LOG="$TMP/o.log" "$GO" 4
	wait_for "$TMP/o.held" '^exited' 20 || fail "goseed outside the cgroup: still running"
	assert_eq "$(sed 1d "$TMP/o.held")" "exited 0" "goseed outside the cgroup: not held, ran to its end"
	run_held CP "$TMP/c.held" env WEFT_TEST_LOG="$TMP/c.log" sh -c "echo \$\$ >$CGROOT/$CG/cgroup.procs && exec $GO 4"
	was_held "$TMP/c.held" && held=yes || held=no
	assert_eq "$held" yes "goseed in the cgroup: stopped at its exec"
	wait_for "$TMP/c.held" '^exited' 20 || fail "goseed in the cgroup: still running"
	assert_eq "$(tail -n1 "$TMP/c.held")" "exited 0" "goseed in the cgroup: its exit status"
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
