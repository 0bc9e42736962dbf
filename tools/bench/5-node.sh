#!/usr/bin/env bash
# Section 5: Node (/usr/bin/node, then Node 24 and the newest of
# tools/node-versions.sh, if other majors): an HTTP server (tests/bench/nodehttpbench.js) and a
# load process (tests/bench/nodeload.js): req/s untraced, under weft (every
# request a transaction), with AsyncLocalStorage and with async_hooks in
# the server, one run of each per round in a rotating order; traps (BPF run
# counts) and native resources per request, traps per resource; weft's own
# CPU with 3 requests.
# Knobs: NODE_RUNS [5] NODE_REQS [5000] NODE_CONNS [4] NODE_WORK_US [100]
#        NODE_BIN [/usr/bin/node] NODE_NEWEST_RUNS [3] (0: skip) NO_NODE=1
source "$(dirname "$0")/lib.sh"
bench_init 5

NODE_RUNS=${NODE_RUNS:-5}
NODE_REQS=${NODE_REQS:-5000}
NODE_CONNS=${NODE_CONNS:-4}
NODE_WORK_US=${NODE_WORK_US:-100}
NODE_BIN=${NODE_BIN:-/usr/bin/node}
NODE_NEWEST_RUNS=${NODE_NEWEST_RUNS:-3}
[ "${NO_NODE:-0}" = 1 ] && skip_section "skipped (NO_NODE=1)"
"$NODE_BIN" --version >/dev/null 2>&1 || skip_section "skipped: $NODE_BIN does not run (Debian's nodejs: make deps)"

NODE_SRV=tests/bench/nodehttpbench.js
NODE_LOAD=tests/bench/nodeload.js
NJ=tools/bench/node_json.py
node_n=$((NODE_REQS + NODE_CONNS + 1)) # + 1 warm-up per connection + GET /exit
node_rate() { sed -n 's/^nodeload .*req_per_s=\([0-9.]*\).*/\1/p' "$1" | tail -1; }
# BPF run counts (bpftool prog show: run_cnt) exist while
# kernel.bpf_stats_enabled is 1; this script does not change it.
NODE_STATS=$(cat /proc/sys/kernel/bpf_stats_enabled 2>/dev/null)
command -v bpftool >/dev/null || NODE_STATS=""
rec meta "runs:=$NODE_RUNS" "reqs:=$NODE_REQS" "conns:=$NODE_CONNS" "work_us:=$NODE_WORK_US" \
	"requests:=$node_n" "bpf_stats=$NODE_STATS"

# node_cmd KEY -> NCMD: the server command of a way (u untraced, w weft,
# a AsyncLocalStorage, h async_hooks)
node_cmd() {
	NCMD=(env BENCH_ITERS="$NODE_ITERS" BENCH_PORT_FILE="$W/node.port")
	case $1 in
	u) NCMD+=("$NODE" "$NODE_SRV" plain) ;;
	w) NCMD+=("$WEFT" trace --format json -o "$W/node.json" -- "$NODE" "$NODE_SRV" plain) ;;
	a) NCMD+=("$NODE" "$NODE_SRV" als) ;;
	h) NCMD+=("$NODE" "$NODE_SRV" hooks) ;;
	esac
}

# node_server_start KEY: the server of that way in the background (under
# bash `time`: for weft, weft and its target) -> BG, PORT once its port
# file is there ("" if it never came)
node_server_start() {
	local i
	node_cmd "$1"
	rm -f "$W/node.port" "$W/node.json"
	run_timed /dev/null "$W/ns.err" "${NCMD[@]}" >"$W/ns.time" &
	BG=$!
	for ((i = 0; i < 400; i++)); do # 20 s
		[ -s "$W/node.port" ] && break
		kill -0 "$BG" 2>/dev/null || break
		sleep 0.05
	done
	PORT=$(cat "$W/node.port" 2>/dev/null)
}

# node_server_wait: 30 s for the server (and weft) to exit, then stopped;
# its exit status
node_server_wait() {
	local i
	for ((i = 0; i < 600; i++)); do
		kill -0 "$BG" 2>/dev/null || break
		sleep 0.05
	done
	kill -0 "$BG" 2>/dev/null && stop_ours
	wait "$BG"
}

# node_way KEY: one run of that way. Once the server is up, nodeload sends
# the load; then (weft) the BPF run counts are read, and nodeload sends GET
# /exit, at which the server prints its CPU time and exits (and weft with
# it). One "run" record: req/s, server CPU s; for weft also weft's own CPU
# s, the JSON's figures and the run counts.
node_way() {
	local k=$1 rate rc srv cpu why ok tcnt=- tr_a=- tr_h=- tr_runs=""
	local ev lost evicted ah hh ntx nwork nexit good tres res
	rm -f "$W/nl.out" "$W/nl.err" "$W/nx.err"
	[ "$k" = w ] && [ -n "$NODE_STATS" ] && bpftool -j prog show >"$W/progs0.json" 2>/dev/null
	node_server_start "$k"
	rate=""
	if [ -n "$PORT" ]; then
		"$NODE" "$NODE_LOAD" "$PORT" "$NODE_REQS" "$NODE_CONNS" >"$W/nl.out" 2>"$W/nl.err"
		rate=$(node_rate "$W/nl.out")
		grep -q " conns=$NODE_CONNS " "$W/nl.out" || rate=""
		if [ "$k" = w ] && [ -n "$NODE_STATS" ]; then
			bpftool -j prog show >"$W/progs1.json" 2>/dev/null
			tcnt=$(python3 "$NJ" traps "$W/progs0.json" "$W/progs1.json")
		fi
		"$NODE" "$NODE_LOAD" "$PORT" 0 0 --exit >/dev/null 2>"$W/nx.err"
	fi
	node_server_wait
	rc=$?
	# the server's line at GET /exit: served, CPU us
	srv=$(sed -n 's/^nodehttpbench served=\([0-9]*\) user_us=\([0-9]*\) system_us=\([0-9]*\)$/\1 \2 \3/p' "$W/ns.err")
	[ "${srv%% *}" = "$node_n" ] || rate=""
	why="'$(showcmd "${NCMD[@]}")' (exit $rc${PORT:+, port $PORT}${srv:+, served ${srv%% *} of $node_n}), load: $(
		cat "$W/nl.err" "$W/nl.out" "$W/nx.err" 2>/dev/null | head -c 300 | tr '\n' ' '
	)server: $(grep -v '^weft: \(attached\|target\)' "$W/ns.err" | head -3 | tr '\n' ' ')"
	if [ "$k" != w ]; then
		[ -n "$rate" ] && [ "$rc" = 0 ] || die "node $NODE_V ${NODE_WAY[$k]}: $why"
	elif [ -z "$rate" ] || [ "$rc" != 0 ] || [ ! -s "$W/node.json" ]; then
		problem "node $NODE_V weft run $r failed: $why"
		rec run "node=$NODE_V" "way=w" "round:=$r" "rate:=" "failed=yes"
		return
	fi
	cpu=$(awk '{ printf "%.3f", ($2 + $3) / 1e6 }' <<<"$srv")
	if [ "$k" != w ]; then
		rec run "node=$NODE_V" "way=$k" "round:=$r" "rate:=$rate" "server_cpu:=$cpu"
		return
	fi
	read -r ev lost evicted ah hh ntx nwork nexit good tres res <<<"$(python3 "$NJ" report "$W/node.json")"
	ok=yes
	[ "$nexit" = 1 ] || ok="no: $nexit \"GET /exit\" transactions, expected 1"
	[ "$good" = "$nwork" ] ||
		ok="no: $good of $nwork \"GET /work\" transactions with one FSREQCALLBACK, no leak, no conflation"
	[ "$ntx" = "$node_n" ] && [ "$nwork" = $((node_n - 1)) ] ||
		ok="no: $ntx transactions ($nwork \"GET /work\"), expected $node_n ($((node_n - 1)) \"GET /work\" + \"GET /exit\")"
	[ "$lost" = 0 ] && [ "$evicted" = 0 ] || problem "node $NODE_V weft run $r: $lost lost events, $evicted evicted"
	[ "$ok" = yes ] || problem "node $NODE_V weft run $r: counts: $ok"
	# run counts: read after the load, before GET /exit: node_n - 1 requests
	[ "$tcnt" = - ] || read -r tr_a tr_h tr_runs <<<"$tcnt"
	rec run "node=$NODE_V" "way=w" "round:=$r" "rate:=$rate" "server_cpu:=$cpu" \
		"weft_cpu:=$(awk -v c="$cpu" '{ printf "%.2f", $2 + $3 - c }' "$W/ns.time")" \
		"events:=$ev" "lost:=$lost" "evicted:=$evicted" "transactions:=$ntx" "async_hits:=$ah" \
		"http_hits:=$hh" "async_traps:=$tr_a" "http_traps:=$tr_h" "prog_runs=$tr_runs" \
		"txn_resources:=$tres" "resources:=$res" "ok=$ok"
	[ "$r" = "$NODE_RUNS" ] && json_sites "Node $NODE_V" "$W/node.json" "$ntx" request
	return 0
}

# node_idle: weft's fixed CPU cost, the weft way with a token load
# (`nodeload PORT 1 1`: 2 GET /work, then GET /exit): start, attach, the
# first events (weft reads node's symbols and unwind tables for the first
# stacks), the report -> an "idle" record (weft's own CPU s)
node_idle() {
	local srv
	node_server_start w
	[ -n "$PORT" ] && "$NODE" "$NODE_LOAD" "$PORT" 1 1 --exit >/dev/null 2>&1
	node_server_wait || { problem "node $NODE_V: idle weft run: '$(showcmd "${NCMD[@]}")' failed"; return; }
	srv=$(sed -n 's/^nodehttpbench served=3 user_us=\([0-9]*\) system_us=\([0-9]*\)$/\1 \2/p' "$W/ns.err")
	[ -n "$srv" ] || { problem "node $NODE_V: idle weft run: no server line"; return; }
	rec idle "node=$NODE_V" "weft_cpu:=$(awk -v s="$srv" '{ split(s, c, " "); printf "%.2f", $2 + $3 - (c[1] + c[2]) / 1e6 }' "$W/ns.time")"
}

declare -A NODE_WAY=([u]=untraced [w]=weft [a]=AsyncLocalStorage [h]=async_hooks)
NODE_ORDERS=("u w a h" "w a h u" "a h u w" "h u w a")

# node_bench VERSION BIN RUNS
node_bench() {
	local k r order ways cal=() _
	NODE_V=$1 NODE=$2
	NODE_PROBED+=("$(readlink -f "$NODE")")
	for _ in 1 2 3; do
		cal+=("$("$NODE" "$NODE_SRV" calibrate "$NODE_WORK_US" 2>&1 | sed -n 's/.*iters=\([0-9]*\).*/\1/p')")
	done
	NODE_ITERS=$(printf '%s\n' "${cal[@]}" | median)
	[ -n "$NODE_ITERS" ] && [ "$NODE_ITERS" != nan ] || die "$NODE $NODE_SRV calibrate $NODE_WORK_US failed"
	local -a fields=("node=$NODE_V" "bin=$NODE" "runs:=$3" "iters:=$NODE_ITERS" "calibrations=$(
		IFS=/
		echo "${cal[*]}"
	)" "calibrate_cmd=$(showcmd "$NODE" "$NODE_SRV" calibrate "$NODE_WORK_US")"
		"load_cmd=$(showcmd "$NODE" "$NODE_LOAD") PORT $NODE_REQS $NODE_CONNS"
		"exit_cmd=$(showcmd "$NODE" "$NODE_LOAD") PORT 0 0 --exit")
	for k in u w a h; do
		node_cmd "$k"
		fields+=("cmd_$k=$(showcmd "${NCMD[@]}")")
	done
	rec version "${fields[@]}"
	for ((r = 1; r <= $3; r++)); do
		order=${NODE_ORDERS[(r - 1) % 4]}
		ways=$(for k in $order; do printf '%s, ' "${NODE_WAY[$k]}"; done)
		ways=${ways%, }
		note "node $NODE_V http: run $r/$3: $ways"
		rec round "node=$NODE_V" "round:=$r" "order=$ways"
		for k in $order; do node_way "$k"; done
	done
	note "node $NODE_V: weft with 3 requests (its fixed CPU cost)"
	node_idle
}

NODE_MAJ=$("$NODE_BIN" --version | sed 's/^v//; s/\..*//')
node_bench "$NODE_MAJ" "$NODE_BIN" "$NODE_RUNS"
# then Node 24 and the newest (26), the production pair, if other majors
if [ "$NODE_NEWEST_RUNS" -gt 0 ]; then
	newest=$(bash tools/node-versions.sh 2>/dev/null | tail -1 | cut -d' ' -f1)
	while read -r nv nb; do
		[ -n "${nb:-}" ] && [ "$nv" != "$NODE_MAJ" ] && { [ "$nv" = 24 ] || [ "$nv" = "$newest" ]; } ||
			continue
		node_bench "$nv" "$nb" "$NODE_NEWEST_RUNS"
	done < <(bash tools/node-versions.sh 2>/dev/null)
fi
rm -f "$W/node.json" "$W/node.port" "$W/progs0.json" "$W/progs1.json"

bench_finish
