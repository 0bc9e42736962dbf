#!/usr/bin/env bash
# weft-test-timeout: 90
# weft short of root: as uid 65534 (nobody) with exactly CAP_BPF,
# CAP_PERFMON, CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH and CAP_KILL (setpriv:
# ambient, inheritable and bounding sets; the agent's CapEff checked),
# against servers root runs, each in a session of its own:
#   - weft agent --exe: a Go server (gohttp 2 1 0, newest Go) held at its
#     exec and continued (SIGCONT to another user's process in another
#     session: CAP_KILL), the collector gets the exact tree; a Node server
#     (nodehttp.js): /ok, and /leak with its leak; every span sent, SIGINT
#     stops it, no probe left;
#   - weft trace -p on a Go server in a mount namespace of its own (a
#     container's view: its binary is not in weft's): the exact tree;
#   - the agent without each of the five in turn: one line naming it, exit
#     status 2; trace -p without CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH (the
#     target's /proc/PID/auxv is 0400, its user's), CAP_BPF: one line naming
#     it; no probe left, the target running on.
. "$(dirname "$0")/lib.sh"
require_root
require_weft
command -v setpriv >/dev/null || skip "no setpriv (util-linux)"

TREE=$ROOT/tests/runtime/otlp_tree.py
CAPS=bpf,perfmon,sys_ptrace,dac_read_search,kill
# CapEff of exactly $CAPS: CAP_BPF 39, CAP_PERFMON 38, CAP_SYS_PTRACE 19,
# CAP_KILL 5, CAP_DAC_READ_SEARCH 2
CAPEFF=000000c000080024

# nobody CAPS: NB = the command prefix running as uid/gid 65534, no groups,
# with exactly CAPS (a comma list: bpf,perfmon,...) as its capabilities
nobody() {
	local c=-all,+${1//,/,+}
	NB=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps="$c" --ambient-caps="$c"
		--bounding-set="$c")
}
# without CAP: $CAPS less CAP
without() {
	local keep=() all c
	IFS=, read -ra all <<<"$CAPS"
	for c in "${all[@]}"; do [ "$c" = "$1" ] || keep+=("$c"); done
	(IFS=,; echo "${keep[*]}")
}
# nobody_run CAPS OUT ERR ARGS...: weft ARGS as nobody with CAPS; sets RC, ERR_FILE
nobody_run() {
	local out=$2 err=$3
	nobody "$1"
	shift 3
	ERR_FILE=$err
	timeout -k 5 30 "${NB[@]}" "$W" "$@" >"$out" 2>"$err" </dev/null
	RC=$?
}

# $TMP is root's (0700): nobody runs a copy of weft from a directory of its
# own and writes its files in another; the targets stay in $TMP/bin, which
# nobody may not search (weft reads them through /proc/PID/exe)
chmod 711 "$TMP"
install -d -m 755 "$TMP/pub"
install -d -m 1777 "$TMP/out"
W=$TMP/pub/weft
cp "$WEFT" "$W" && chmod 755 "$W"
V=$(bash "$ROOT/tools/go-versions.sh" | tail -n1 | awk '{ print $1 }')
read -r _ NODE <<<"$(bash "$ROOT/tools/node-versions.sh" | tail -n1)"
mkdir -p "$TMP/bin"
GO=$TMP/bin/gohttp-caps
cp "$ROOT/build/tests/go/$V/gohttp" "$GO"
NODEC=$TMP/bin/node-caps
cp "$NODE" "$NODEC"

collector_start "$TMP/col.jsonl" || finish

# --- the agent with exactly $CAPS -------------------------------------------
nobody "$CAPS"
bg AP "${NB[@]}" "$W" agent --otlp "http://127.0.0.1:$COL_HTTP" --exe gohttp-caps \
	--exe node-caps --leak-grace 100ms 2>"$TMP/agent.err"
wait_for "$TMP/agent.err" '^weft agent: following' 10 "$AP" || fail "the agent did not start: $(cat "$TMP/agent.err")"
assert_eq "$(awk '/^Uid:/ { print $2 }' "/proc/$AP/status")" 65534 "the agent's uid"
assert_eq "$(awk '/^CapEff:/ { print $2 }' "/proc/$AP/status")" "$CAPEFF" "the agent's capabilities: exactly $CAPS"

# Go, root's, in a session of its own: held at its exec, continued once attached
bg GP setsid env WEFT_TEST_WAIT="$TMP/go" WEFT_TEST_LOG="$TMP/g.log" "$GO" 2 1 0
wait_for "$TMP/agent.err" "attached to pid $GP " 20 "$AP" || fail "go: not attached: $(cat "$TMP/agent.err")"
touch "$TMP/go"
wait_exit "$GP" 20 || fail "go: still running ($(proc_state "$GP"))"
wait_for "$TMP/agent.err" "^weft agent: pid $GP: " 10 "$AP" || fail "go: not exported"

# Node, root's, in a session of its own
bg NP setsid env WEFT_TEST_PORT_FILE="$TMP/port" "$NODEC" "$ROOT/tests/node/nodehttp.js"
wait_for "$TMP/port" . 20 "$NP" || fail "node did not listen"
wait_for "$TMP/agent.err" "attached to pid $NP " 20 "$AP" || fail "node: not attached"
P=$(cat "$TMP/port")
for u in /ok /leak; do python3 "$ROOT/tests/runtime/conns.py" "$P" 1 "$u" >/dev/null; done
sleep 0.5 # past the grace
python3 "$ROOT/tests/runtime/conns.py" "$P" 1 /exit >/dev/null
wait_exit "$NP" 20 || fail "node: still running ($(proc_state "$NP"))"
wait_for "$TMP/agent.err" "^weft agent: pid $NP: " 10 "$AP" || fail "node: not exported"

kill -INT "$AP"
wait_exit "$AP" 15 || fail "the agent did not stop on SIGINT"
assert_eq "$RC" 0 "the agent's exit status"
collector_stop
for pid in "$GP" "$NP"; do
	line=$(grep "^weft agent: pid $pid: " "$TMP/agent.err")
	assert_match "$line" " ([0-9]+) spans; ([0-9]+) sent in [1-9][0-9]* requests, 0 dropped \(queue full\), 0 failed;" \
		"pid $pid: every span sent"
	assert_eq "${BASH_REMATCH[2]:-}" "${BASH_REMATCH[1]:-}" "pid $pid: as many sent as made"
done
assert_eq "$(grep -ciE 'denied|not permitted|lacks|missing' "$TMP/agent.err")" 0 \
	"the agent: nothing refused ($(tr '\n' '|' <"$TMP/agent.err"))"
assert_eq "$(probes_left "$GO")" 0 "no probe left on the Go executable"
assert_eq "$(probes_left "$NODEC")" 0 "no probe left on node"
assert_eq "$(python3 "$TREE" --collector "$TMP/col.jsonl" --pid "$GP")" "$GOHTTP_TREE" "go, through the agent as nobody: the exact tree"
python3 "$TREE" --collector "$TMP/col.jsonl" --pid "$NP" >"$TMP/n.tree" 2>&1
assert_eq "$(grep -c '^GET' "$TMP/n.tree")" 3 "node: a span per transaction (/ok, /leak, /exit)"
assert_match "$(cat "$TMP/n.tree")" "GET /leak leaks=UDPWRAP error
  UDPWRAP leaked" "node: the leak"
assert_match "$(cat "$TMP/n.tree")" "bad parents 0" "node: every parent in its trace"

# --- weft trace -p with exactly $CAPS ---------------------------------------
# a Go server in a mount namespace of its own (a container's view): its
# binary on a tmpfs only it sees, named through /proc/PID/root
# (/proc/PID/map_files is CAP_SYS_ADMIN's or CAP_CHECKPOINT_RESTORE's)
mkdir "$TMP/mnt"
bg MP setsid unshare -m sh -c "mount -t tmpfs weft-caps '$TMP/mnt' && cp '$GO' '$TMP/mnt/gohttp-ns' &&
	exec env WEFT_TEST_LOG='$TMP/m.log' '$TMP/mnt/gohttp-ns' 0 0 0 keep"
wait_for "$TMP/m.log" 'gohttp listening' 10 "$MP" || fail "gohttp (its own mount namespace) did not start"
assert_eq "$(ls "$TMP/mnt")" "" "its binary is not in weft's mount namespace"
MPORT=$(sed -n 's/^gohttp listening 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$TMP/m.log")
nobody "$CAPS"
bg TP "${NB[@]}" "$W" trace -p "$MP" --leak-grace 100ms --format otlp -o "$TMP/out/t.pb" 2>"$TMP/trace.err"
wait_for "$TMP/trace.err" "attached to pid $MP " 20 "$TP" || fail "trace -p: not attached: $(cat "$TMP/trace.err")"
for u in /ok /ok /leak; do python3 "$ROOT/tests/runtime/conns.py" "$MPORT" 1 "$u" >/dev/null; done
sleep 0.3 # past the grace
kill -INT "$TP"
wait_exit "$TP" 15 || fail "trace -p did not stop on SIGINT"
assert_eq "$RC" 0 "trace -p: exit status ($(tr '\n' '|' <"$TMP/trace.err"))"
assert_eq "$(python3 "$TREE" "$TMP/out/t.pb")" "$GOHTTP_TREE" "trace -p as nobody, a target in its own mount namespace: the exact tree"
kill "$MP"
wait_exit "$MP" 10

# --- one capability missing: one line naming it, nothing attached ------------
bg KP setsid env WEFT_TEST_LOG="$TMP/k.log" "$GO" 0 0 0 keep
wait_for "$TMP/k.log" 'gohttp listening' 10 "$KP" || fail "gohttp (keep) did not start"
for c in ${CAPS//,/ }; do
	C=CAP_$(tr a-z A-Z <<<"$c")
	nobody_run "$(without "$c")" "$TMP/a.out" "$TMP/a-$c.err" agent -p "$KP" \
		--otlp "http://127.0.0.1:$COL_HTTP"
	assert_one_error_line "$TMP/a-$c.err" "the agent without $C" "weft: agent: missing $C;" "run it as root"
	assert_eq "$RC" 2 "the agent without $C: exit status"
done
nobody_run "$(without sys_ptrace)" "$TMP/t.out" "$TMP/t-ptrace.err" trace -p "$KP" -d 1
assert_one_error_line "$TMP/t-ptrace.err" "trace -p without CAP_SYS_PTRACE" "pid $KP: permission denied" \
	"lacks CAP_SYS_PTRACE"
nobody_run "$(without dac_read_search)" "$TMP/t.out" "$TMP/t-dac.err" trace -p "$KP" -d 1
assert_one_error_line "$TMP/t-dac.err" "trace -p without CAP_DAC_READ_SEARCH" \
	"pid $KP: cannot read /proc/$KP/auxv: Permission denied" "lacks CAP_DAC_READ_SEARCH"
nobody_run "$(without bpf)" "$TMP/t.out" "$TMP/t-bpf.err" trace -p "$KP" -d 1
assert_one_error_line "$TMP/t-bpf.err" "trace -p without CAP_BPF" "failed to load BPF programs" "lacks CAP_BPF;"
assert_eq "$(probes_left "$GO")" 0 "no probe left after the refusals"
assert_eq "$(perf_fds "$KP")" 0 "the target holds no perf event"
assert_eq "$(proc_state "$KP")" S "the target runs on"
kill "$KP"
wait_exit "$KP" 10
finish
