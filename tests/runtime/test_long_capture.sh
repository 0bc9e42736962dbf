#!/usr/bin/env bash
# weft-test-timeout: 240
# A long capture stays bounded: past --keep-txns finished transactions,
# those that can no longer change a verdict are kept as per-name totals
# only. The same workload traced twice, keeping everything (--keep-txns 0)
# and keeping 100, gives the same counts per name, the same leaks and the
# same connections; only the percentiles may move, within a bucket (3%).
# Workload (newest Go: tests/go/gohttp.go; newest Node: nodehttp.js):
# 1000 short connections to /ok, 5 to /leak (5 leaks, kept whole), 1000
# more to /ok.
. "$(dirname "$0")/lib.sh"
require_root
require_weft

CONNS=$ROOT/tests/runtime/conns.py
N=1000

# table FILE: the text report's per-name rows without p50/p99, its leak
# groups without their age, its connection groups and segment count
table() {
	python3 - "$1" <<'PY'
import re, sys
sec = None
for l in open(sys.argv[1]):
    l = l.rstrip('\n')
    if l.startswith('segments:'):
        print(l.split(',')[0])
    if not l.startswith(' '):
        sec = l.split(' ')[0]
        continue
    f = l.split()
    if sec == 'Transactions' and len(f) >= 7 and f[-6].isdigit():
        print('txn', ' '.join(f[:-6]), f[-6], f[-3], f[-2], f[-1])
    elif sec == 'Leaked' and f and f[0].isdigit():
        print('leak', f[0], f[1], re.sub(r' \[.*\]$', '', ' '.join(f[3:])))
    elif sec == 'Leaked' and f and f[0] != 'count':
        print('leak site', ' '.join(f))
    elif sec == 'Connections':
        print('conn', ' '.join(f))
PY
}

drive() {
	local p=$1
	assert_match "$(python3 "$CONNS" "$p" "$N")" "^conns $N bad 0 " "$2: $N connections served"
	python3 "$CONNS" "$p" 5 /leak >/dev/null
	assert_match "$(python3 "$CONNS" "$p" "$N")" "^conns $N bad 0 " "$2: $N more served"
	sleep 0.8 # past the grace: the leaks judged
}

run_go() {
	local v=$1 keep=$2 out=$TMP/go-$1-$2
	WEFT_TEST_LOG=$out.log "$WEFT" trace --keep-txns "$keep" -o "$out.txt" -- \
		"$ROOT/build/tests/go/$v/gohttp" 0 0 0 keep >/dev/null 2>"$out.err" &
	local w=$!
	for _ in $(seq 200); do grep -q "gohttp listening" "$out.log" 2>/dev/null && break; sleep 0.05; done
	local p
	p=$(sed -n 's/.*gohttp listening 127.0.0.1:\([0-9]*\).*/\1/p' "$out.log" | head -1)
	[ -n "$p" ] || { fail "go $v: the server did not start: $(tail -c 300 "$out.err")"; kill $w; wait $w; return; }
	drive "$p" "go $v keep $keep"
	kill -INT $w
	wait $w
	kill "$(sed -n 's/.*gohttp main goid=1 pid=\([0-9]*\).*/\1/p' "$out.log")" 2>/dev/null
}

run_node() {
	local v=$1 node=$2 keep=$3 out=$TMP/node-$1-$3
	rm -f "$TMP/port"
	WEFT_TEST_PORT_FILE=$TMP/port "$WEFT" trace --keep-txns "$keep" -o "$out.txt" -- \
		"$node" "$ROOT/tests/node/nodehttp.js" >"$out.log" 2>"$out.err" &
	local w=$!
	for _ in $(seq 200); do [ -s "$TMP/port" ] && break; sleep 0.05; done
	[ -s "$TMP/port" ] || { fail "node $v: the server did not start: $(tail -c 300 "$out.err")"; kill $w; wait $w; return; }
	drive "$(cat "$TMP/port")" "node $v keep $keep"
	python3 "$CONNS" "$(cat "$TMP/port")" 1 /exit >/dev/null 2>&1
	wait $w
}

# compare NAME ALL KEPT LEAK_RE
compare() {
	local name=$1 all=$2 kept=$3 folded
	assert_eq "$(table "$kept")" "$(table "$all")" "$name: the same counts, leaks and connections kept or folded"
	assert_match "$(table "$kept")" "txn GET /ok $((2 * N)) $((2 * N)) 0 0" "$name: every request counted"
	assert_match "$(table "$kept")" "leak 5 " "$name: the 5 leaks"
	assert_eq "$(grep -c "$4" "$kept")" 1 "$name: the leak site reported"
	folded=$(sed -n 's/^  (\([0-9]*\) finished transactions are in these totals only.*/\1/p' "$kept")
	# the first thousand at least (the slowest may stay whole), more when
	# the second took longer than the grace
	assert_eq "$([ "${folded:-0}" -ge $((N - 1)) ] && echo yes)" yes \
		"$name: $((N - 1)) or more requests folded (${folded:-none})"
	assert_eq "$(grep -c "finished transactions are in these totals" "$all")" 0 \
		"$name: --keep-txns 0 folds nothing"
}

V=$(bash "$ROOT/tools/go-versions.sh" | tail -n1 | awk '{ print $1 }')
if [ -x "$ROOT/build/tests/go/$V/gohttp" ]; then
	matrix_cell go "$V" "long capture"
	run_go "$V" 0
	run_go "$V" 100
	compare "go $V" "$TMP/go-$V-0.txt" "$TMP/go-$V-100.txt" "handleLeak.*-> main.leakWorker"
else
	fail "go $V: gohttp not built (make go-targets)"
fi

read -r NV NODE <<<"$(bash "$ROOT/tools/node-versions.sh" | tail -n1)"
matrix_cell node "$NV" "long capture"
run_node "$NV" "$NODE" 0
run_node "$NV" "$NODE" 100
compare "node $NV" "$TMP/node-$NV-0.txt" "$TMP/node-$NV-100.txt" "UDPWrap.*UDPWRAP"
finish
