#!/usr/bin/env bash
# weft-test-timeout: 240
# weft check -- node --test on every Node at hand: the runner runs each file
# of tests/node/check/ in a child process, which weft follows; each file is
# a transaction, ended by the runtime's teardown (--test-force-exit exits a
# file whose server still listens). Known by construction:
#   leaky.test.js: 1 UDPWRAP (SITE:udp) and 1 TCPSERVERWRAP (SITE:server)
#     left open; a server it closes itself and its stdio are not leaks;
#   hang.test.js: 1 TCPSERVERWRAP (SITE:hang) still listening;
#   clean.test.js: nothing;
#   handles.test.js: a watcher, a client socket and the one accepted for it,
#     a server made in a process.nextTick (no frame of the file), a child
#     process and its pipe, a Unix socket server: all leaks; the connect
#     request whose callback the runner exited from: in flight;
#   soon.test.js, interval.test.js: a timeout due within the grace and an
#     interval never cleared, armed at teardown: said, not leaks;
# exit 1, one JUnit suite per file, one JSON report per process; the clean
# file alone exits 0. The runner's own resources (a signal handler in Node
# 24, the default resolver's channel) are not the files'. weft asks node
# for a perf map (NODE_OPTIONS) to name JavaScript and removes the maps;
# --no-js-names leaves NODE_OPTIONS alone (sites named by node's bindings).
. "$(dirname "$0")/lib.sh"
require_root
require_weft

NODES=$(bash "$ROOT/tools/node-versions.sh")
[ -n "$NODES" ] || skip "no Node 20, 22, 24 or 26 (tools/install-deps.sh fetches 22, 24 and 26)"
DIR=$ROOT/tests/node/check
line_of() { grep -n "SITE:$2 \*/" "$DIR/$1" | cut -d: -f1; }

# check_run OUT ERR ARGS...: weft check ARGS, in tests/node/check
check_run() {
	local out=$1 err=$2
	shift 2
	(cd "$DIR" && timeout -k 5 90 "$WEFT" check "$@" >"$out" 2>"$err" </dev/null)
	RC=$?
}
leak_lines() { grep '^weft check: LEAK ' "$1" | sed 's/^weft check: LEAK //' | sort; }
perf_maps() { ls /tmp/perf-*.map 2>/dev/null | sort; }

while read -r V NODE; do
	matrix_cell node "$V" "weft check"
	before=$(perf_maps)
	check_run "$TMP/o-$V" "$TMP/e-$V" --junit "$TMP/j-$V.xml" -o "$TMP/r-$V.json" -- \
		"$NODE" --test --test-force-exit --test-reporter=tap leaky.test.js clean.test.js hang.test.js
	assert_eq "$RC" 1 "node $V: exit status"
	assert_eq "$(leak_lines "$TMP/e-$V")" \
		"[hang.test.js] hang.test.js: 1 async created at leaveListening (hang.test.js:$(line_of hang.test.js hang)) -> TCPSERVERWRAP (open at teardown)
[leaky.test.js] leaky.test.js: 1 async created at leakServer (leaky.test.js:$(line_of leaky.test.js server)) -> TCPSERVERWRAP (open at teardown)
[leaky.test.js] leaky.test.js: 1 async created at leakUdp (leaky.test.js:$(line_of leaky.test.js udp)) -> UDPWRAP (open at teardown)" \
		"node $V: one line per file and site, named by its JavaScript"
	assert_contains "$TMP/e-$V" "weft check: [clean.test.js] ok: 1 transactions, 0 leaked" \
		"node $V: the clean file"
	assert_contains "$TMP/e-$V" "weft check: FAIL: 3 test processes checked, of 3 execs" \
		"node $V: the summary"
	grep -q "^# pass 6" "$TMP/o-$V" && grep -q "^# fail 0" "$TMP/o-$V" ||
		fail "node $V: the runner's own output: $(tail -c 300 "$TMP/o-$V")"
	CHECKS=$((CHECKS + 1))
	out=$(python3 - "$TMP/j-$V.xml" "$TMP/r-$V.json" <<'PY'
import sys, json, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = sorted((s.get("name"), [c.get("name") for c in s.iter("testcase")], s.get("failures"))
                for s in root.iter("testsuite"))
d = json.load(open(sys.argv[2]))
txns = sorted((t["name"], t["leaked"]) for p in d["processes"] for t in p["transactions"])
print(root.get("failures"), suites, txns)
PY
)
	assert_eq "$out" "2 [('clean.test.js', ['clean.test.js'], '0'), ('hang.test.js', ['hang.test.js'], '1'), ('leaky.test.js', ['leaky.test.js'], '1')] [('clean.test.js', 0), ('hang.test.js', 1), ('leaky.test.js', 2)]" \
		"node $V: JUnit suites and JSON transactions"
	# none left behind; one that went away is a dead process's stale map
	# whose pid a test process reused, rewritten and removed by weft
	assert_eq "$(comm -13 <(echo "$before") <(perf_maps))" "" \
		"node $V: the perf maps weft asked for are removed"
	assert_eq "$(probes_left "$NODE")" 0 "node $V: no probe left"

	# timers at teardown (a Timeout lives only in JavaScript): said, not
	# leaks; a file whose only leak is one listening server fails alone
	check_run "$TMP/t-$V" "$TMP/te-$V" --junit "$TMP/tj-$V.xml" -- "$NODE" --test \
		--test-force-exit soon.test.js interval.test.js hang.test.js
	assert_eq "$RC" 1 "node $V timers: exit status"
	assert_eq "$(grep -E '^weft check: (LEAK|\[[a-z]+\.test\.js\] [a-z]+\.test\.js: JavaScript)' "$TMP/te-$V" |
		sed -E 's/due in [0-9.]+(m[0-9]+)?m?s/due in T/' | sort)" \
		"weft check: LEAK [hang.test.js] hang.test.js: 1 async created at leaveListening (hang.test.js:$(line_of hang.test.js hang)) -> TCPSERVERWRAP (open at teardown)
weft check: [interval.test.js] interval.test.js: JavaScript timers still scheduled at teardown, the next due in T (a setInterval never cleared, or a setTimeout that would run past the grace)
weft check: [soon.test.js] soon.test.js: JavaScript timers still scheduled at teardown, the next due in T, within the grace: pending cleanup, not a leak" \
		"node $V timers: the interval and the timeout said, the server a leak"
	assert_match "$(grep -o 'interval.test.js: JavaScript timers.*due in [0-9.m]*s' "$TMP/te-$V")" \
		'due in (59\.[0-9]+s|60\.00s|1m00s)$' "node $V timers: the interval's due time"
	assert_eq "$(grep -c 'failure type' "$TMP/tj-$V.xml")" 1 "node $V timers: JUnit fails the server's file only"
	CHECKS=$((CHECKS + 1))
	grep -q "stopped by signal" "$TMP/te-$V" "$TMP/e-$V" && fail "node $V: a signal line: $(grep -h signal "$TMP/te-$V" "$TMP/e-$V")"

	# every kind of handle, the first server too: one made in a
	# process.nextTick (listen on an address) names no line of the file
	check_run "$TMP/h-$V" "$TMP/he-$V" -- "$NODE" --test --test-force-exit handles.test.js
	pkill -f 'sleep 5.123'
	rm -f /tmp/weft-check-*.sock
	assert_eq "$RC" 1 "node $V handles: exit status"
	assert_eq "$(leak_lines "$TMP/he-$V" | sed -E 's/ created at [^ ]*node::[^ ]* -> / created at NATIVE -> /' | LC_ALL=C sort)" \
		"[handles.test.js] handles.test.js: 1 async created at NATIVE -> TCPSERVERWRAP (open at teardown)
[handles.test.js] handles.test.js: 1 async created at NATIVE -> TCPWRAP (open at teardown)
[handles.test.js] handles.test.js: 1 async created at leaveChild (handles.test.js:$(line_of handles.test.js child)) -> PIPEWRAP (open at teardown)
[handles.test.js] handles.test.js: 1 async created at leaveChild (handles.test.js:$(line_of handles.test.js child)) -> PROCESSWRAP (open at teardown)
[handles.test.js] handles.test.js: 1 async created at leaveClient (handles.test.js:$(line_of handles.test.js client)) -> TCPWRAP (open at teardown)
[handles.test.js] handles.test.js: 1 async created at leavePipe (handles.test.js:$(line_of handles.test.js pipe)) -> PIPESERVERWRAP (open at teardown)
[handles.test.js] handles.test.js: 1 async created at leaveWatcher (handles.test.js:$(line_of handles.test.js watch)) -> FSEVENTWRAP (open at teardown)" \
		"node $V handles: a watcher, client and server sockets, a child and its pipe, a Unix server"
	assert_match "$(grep 'cleanup at exit' "$TMP/he-$V")" 'TCPCONNECTWRAP \(running at exit\)$' \
		"node $V handles: the connect whose callback ran the exit: in flight"

	check_run "$TMP/c-$V" "$TMP/ce-$V" -- "$NODE" --test clean.test.js
	assert_eq "$RC" 0 "node $V: the clean file alone: exit status"
done <<<"$NODES"
matrix_close

# no perf map asked for: sites named by the binding JavaScript called
read -r V NODE < <(head -n1 <<<"$NODES")
check_run "$TMP/n.out" "$TMP/n.err" --no-js-names -- "$NODE" --test leaky.test.js
assert_eq "$RC" 1 "node $V --no-js-names: exit status"
assert_eq "$(leak_lines "$TMP/n.err" | sed -E 's/ created at .* -> / -> /' | sort)" \
	"[leaky.test.js] leaky.test.js: 1 async -> TCPSERVERWRAP (open at teardown)
[leaky.test.js] leaky.test.js: 1 async -> UDPWRAP (open at teardown)" "node $V --no-js-names: the same leaks"
grep -q "(leaky.test.js:" "$TMP/n.err" && fail "node $V --no-js-names: a JavaScript site: $(grep LEAK "$TMP/n.err")"
CHECKS=$((CHECKS + 1))

finish
