#!/usr/bin/env bash
# Section 8 (`make soak`, not part of `make bench`): hours on a busy
# process, in ten minutes. A Go HTTP server (tests/go/gohttp.go, newest Go)
# and a Node one (tests/node/nodehttp.js, newest Node), each followed by a
# `weft trace -p` and a `weft top -p` (on a tmux terminal) at once, under a
# steady load of new connections (tests/bench/soak_load.py), and both by
# one `weft agent` exporting to the test OpenTelemetry Collector (its
# output thrown away; tools/build-otelcol.sh). Every
# SOAK_EVERY seconds: the RSS of each weft and each target, and the memory
# of each weft's BPF maps (their fds' memlock). At the end: what each weft
# lost or could not store, what the agent sent, and whether the targets
# kept serving.
# Knobs: SOAK_SECS [1800] SOAK_RATE [100] (connections/s to each server)
#        SOAK_EVERY [10] SOAK_WARMUP [120] (seconds left out of the slope:
#        at 100/s, weft's model first folds past 10,000 transactions at 100 s)
source "$(dirname "$0")/lib.sh"
bench_init 8

SOAK_SECS=${SOAK_SECS:-1800}
SOAK_RATE=${SOAK_RATE:-100}
SOAK_EVERY=${SOAK_EVERY:-10}
SOAK_WARMUP=${SOAK_WARMUP:-120}
command -v tmux >/dev/null || die "tmux is needed for weft top (tools/install-deps.sh installs it)"
GO_V=$(bash tools/go-versions.sh | tail -n1 | awk '{ print $1 }')
GOHTTP=build/tests/go/$GO_V/gohttp
[ -x "$GOHTTP" ] || die "$GOHTTP is missing (make go-targets)"
read -r NODE_V NODE <<<"$(bash tools/node-versions.sh | tail -n1)"
[ -x "${NODE:-}" ] || die "no Node (tools/install-deps.sh)"
NODE_PROBED=("$NODE")

WEFT_TEST_LOG=$W/gohttp.log "$GOHTTP" 0 0 0 keep >/dev/null 2>&1 &
GO_PID=$!
WEFT_TEST_PORT_FILE=$W/node.port "$NODE" tests/node/nodehttp.js >"$W/node.log" 2>&1 &
NODE_PID=$!
for _ in $(seq 200); do
	grep -q "gohttp listening" "$W/gohttp.log" 2>/dev/null && [ -s "$W/node.port" ] && break
	sleep 0.05
done
GO_PORT=$(sed -n 's/.*gohttp listening 127.0.0.1:\([0-9]*\).*/\1/p' "$W/gohttp.log" | head -1)
NODE_PORT=$(cat "$W/node.port" 2>/dev/null)
[ -n "$GO_PORT" ] && [ -n "$NODE_PORT" ] || die "the servers did not start"

SOCK=$W/tmux.sock
tm() { tmux -S "$SOCK" "$@"; }
tm -f /dev/null new-session -d -x 132 -y 40 -s soak "sleep 100000" || die "tmux new-session failed"
WEFTS=()
# follow NAME PID: weft trace -p PID in the background, weft top -p PID in
# a tmux window; their pids go to WEFTS as NAME-trace:PID NAME-top:PID
follow() {
	local name=$1 pid=$2 tp
	"$WEFT" trace -p "$pid" -o "$W/$name-trace.txt" 2>"$W/$name-trace.err" &
	WEFTS+=("$name-trace:$!")
	tm new-window -d -t soak -n "$name" \
		"exec env WEFT_BENCH_RUN=$$ $ROOT/$WEFT top -p $pid 2>$W/$name-top.err"
	for _ in $(seq 100); do
		tp=$(pgrep -f "^$ROOT/$WEFT top -p $pid\$" | head -1)
		[ -n "$tp" ] && break
		sleep 0.1
	done
	[ -n "$tp" ] || die "weft top -p $pid did not start: $(cat "$W/$name-top.err")"
	WEFTS+=("$name-top:$tp")
}
follow go "$GO_PID"
follow node "$NODE_PID"
COL=build/otelcol/bin/weft-otelcol
[ -x "$COL" ] || die "$COL is missing (tools/fetch-otelcol.sh, tools/build-otelcol.sh)"
read -r COL_GRPC COL_HTTP < <(python3 tests/runtime/free_ports.py 2)
WEFT_BENCH_RUN=$$ "$COL" -o /dev/null -grpc "127.0.0.1:$COL_GRPC" -http "127.0.0.1:$COL_HTTP" 2>"$W/col.log" &
COL_PID=$!
WEFT_BENCH_RUN=$$ "$WEFT" agent --otlp "http://127.0.0.1:$COL_HTTP" --exe "$ROOT/$GOHTTP" \
	--exe "$(readlink -f "$NODE")" 2>"$W/agent.err" &
AGENT_PID=$!
for _ in $(seq 200); do [ "$(grep -c '^weft: attached' "$W/agent.err")" -ge 2 ] && break; sleep 0.1; done
[ "$(grep -c '^weft: attached' "$W/agent.err")" -ge 2 ] || die "the agent did not attach: $(cat "$W/agent.err")"
# its tracers: one fork per target, the Go one first (the lower pid)
read -r AG_GO AG_NODE < <(pgrep -P "$AGENT_PID" | sort -n | tr '\n' ' ')
WEFTS+=("agent:$AGENT_PID" "go-agent:$AG_GO" "node-agent:$AG_NODE")
sleep 3 # attached
rec meta "secs:=$SOAK_SECS" "rate:=$SOAK_RATE" "every:=$SOAK_EVERY" "warmup:=$SOAK_WARMUP" \
	"go=$GO_V" "node=$NODE_V" \
	"trace_cmd=$(showcmd "$WEFT" trace -p PID -o FILE)" "top_cmd=$(showcmd "$WEFT" top -p PID)" \
	"agent_cmd=$(showcmd "$WEFT" agent --otlp URL --exe GOHTTP --exe NODE)" \
	"load_cmd=$(showcmd python3 tests/bench/soak_load.py "$SOAK_SECS" "$SOAK_RATE" GO_PORT NODE_PORT)"

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
# BPF map memory of a process: the memlock of every map fd it holds, KiB
bpf_kb() {
	local fd sum=0 m
	for fd in /proc/"$1"/fd/*; do
		[ "$(readlink "$fd" 2>/dev/null)" = "anon_inode:bpf-map" ] || continue
		m=$(awk '/^memlock:/ { print $2 }' "/proc/$1/fdinfo/${fd##*/}" 2>/dev/null)
		sum=$((sum + ${m:-0}))
	done
	echo $((sum / 1024))
}

python3 tests/bench/soak_load.py "$SOAK_SECS" "$SOAK_RATE" "$GO_PORT" "$NODE_PORT" >"$W/load.out" 2>&1 &
LOAD=$!
T0=$(date +%s)
while kill -0 $LOAD 2>/dev/null; do
	t=$(($(date +%s) - T0))
	for w in "${WEFTS[@]}"; do
		p=${w#*:}
		rec sample "who=${w%%:*}" "t:=$t" "rss_kb:=$(rss_kb "$p")" "bpf_kb:=$(bpf_kb "$p")"
	done
	rec sample "who=go-target" "t:=$t" "rss_kb:=$(rss_kb $GO_PID)" "bpf_kb:=0"
	rec sample "who=node-target" "t:=$t" "rss_kb:=$(rss_kb $NODE_PID)" "bpf_kb:=0"
	for _ in $(seq "$SOAK_EVERY"); do kill -0 $LOAD 2>/dev/null && sleep 1; done
done
wait $LOAD
load_rc=$?
while read -r _ port ok bad; do
	who=$([ "${port#port=}" = "$GO_PORT" ] && echo go || echo node)
	rec load "who=$who" "ok:=${ok#ok=}" "bad:=${bad#bad=}"
done <"$W/load.out"
[ $load_rc = 0 ] || problem "the load saw failures: $(tr '\n' ' ' <"$W/load.out")"

# stop (SIGINT, as Ctrl-C would), then each one's counts
kill -0 $GO_PID 2>/dev/null && kill -0 $NODE_PID 2>/dev/null || problem "a target died during the soak"
# gone, or a zombie its parent (tmux, for top) has not reaped yet
gone() { [ "$(sed -E 's/^.*\) (.).*$/\1/' "/proc/$1/stat" 2>/dev/null || echo X)" = X ] ||
	[ "$(sed -E 's/^.*\) (.).*$/\1/' "/proc/$1/stat" 2>/dev/null)" = Z ]; }
t_stop=$(date +%s%N)
for w in "${WEFTS[@]}"; do kill -INT "${w#*:}"; done
for w in "${WEFTS[@]}"; do
	p=${w#*:}
	for _ in $(seq 300); do gone "$p" && break; sleep 0.1; done
	if gone "$p"; then
		rec stop "who=${w%%:*}" "secs:=$((($(date +%s%N) - t_stop) / 1000000))e-3"
	else
		problem "${w%%:*} did not stop within 30 s of SIGINT"
	fi
done
kill $GO_PID $NODE_PID $COL_PID 2>/dev/null
wait $GO_PID $NODE_PID $COL_PID 2>/dev/null
for pid in "$GO_PID" "$NODE_PID"; do
	line=$(grep "^weft agent: pid $pid: " "$W/agent.err")
	read -r txns spans sent dropped failed < <(sed -E 's/^.*: ([0-9]+) transactions, ([0-9]+) spans; ([0-9]+) sent in [0-9]+ requests, ([0-9]+) dropped \(queue full\), ([0-9]+) failed.*$/\1 \2 \3 \4 \5/' <<<"$line")
	rec export "who=$([ "$pid" = "$GO_PID" ] && echo go || echo node)-agent" "txns:=${txns:-}" \
		"spans:=${spans:-}" "sent:=${sent:-}" "dropped:=${dropped:-}" "failed:=${failed:-}"
	[ -n "${txns:-}" ] || problem "agent: no closing line for pid $pid: $(tail -c 300 "$W/agent.err")"
done
tm kill-server 2>/dev/null
for name in go node; do
	read -r ev lost ev2 <<<"$(sed -n 's/^weft: pid .*, \([0-9]*\) events, \([0-9]*\) lost, \([0-9]*\) evicted$/\1 \2 \3/p' "$W/$name-trace.txt")"
	[ -n "${ev:-}" ] || problem "$name trace: no report: $(head -c 300 "$W/$name-trace.err")"
	folded=$(sed -n 's/^  (\([0-9]*\) finished transactions are in these totals only.*/\1/p' "$W/$name-trace.txt")
	txns=$(awk '/^Transactions/ { t = 1; next } t && /^  GET \/ok/ { print $3 }' "$W/$name-trace.txt")
	rec final "who=$name-trace" "events:=${ev:-}" "lost:=${lost:-}" "evicted:=${ev2:-}" \
		"txns:=${txns:-}" "folded:=${folded:-0}"
	read -r ev lost ev2 <<<"$(sed -n 's/.*: \([0-9]*\) events, \([0-9]*\) lost, \([0-9]*\) evicted.*/\1 \2 \3/p' "$W/$name-top.err")"
	[ -n "${ev:-}" ] || problem "$name top: no closing line: $(head -c 300 "$W/$name-top.err")"
	rec final "who=$name-top" "events:=${ev:-}" "lost:=${lost:-}" "evicted:=${ev2:-}"
	[ "${lost:-1}" = 0 ] && [ "${ev2:-1}" = 0 ] || problem "$name top: ${lost:-?} lost, ${ev2:-?} evicted"
done
bench_finish
