#!/usr/bin/env bash
# Section 10: what `weft agent` costs. gohttpbench (section 4b's, FANOUT
# goroutines per request) paced at AGENT_RATE requests/s for AGENT_SECS s,
# once untraced, once under `weft trace -p`, once under `weft agent -p`
# exporting every transaction (a span each, and one per goroutine) and
# metrics to the test OpenTelemetry Collector (output thrown away), each
# AGENT_RUNS times in a rotating order. Each process is run under a wrapper
# that reports its CPU time (user + system, its children included: the
# agent's tracer fork) and peak RSS (tests/bench/rusage.py). The target's
# own CPU says what tracing and exporting cost it; weft's, per 1,000
# transactions/s, what the agent costs the machine.
# Knobs: AGENT_RATE [1000] AGENT_SECS [20] AGENT_RUNS [2], section 4b's HTTP_*
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/go.sh"
bench_init 10

AGENT_RATE=${AGENT_RATE:-1000}
AGENT_SECS=${AGENT_SECS:-20}
AGENT_RUNS=${AGENT_RUNS:-2}
gohttp_setup || skip_section "$GO_SKIP"
COL=build/otelcol/bin/weft-otelcol
[ -x "$COL" ] || die "$COL is missing (tools/fetch-otelcol.sh, tools/build-otelcol.sh)"
n=$((AGENT_RATE * AGENT_SECS))
RUSAGE=(python3 tests/bench/rusage.py)
read -r COL_GRPC COL_HTTP < <(python3 tests/runtime/free_ports.py 2)
WEFT_BENCH_RUN=$$ "$COL" -o /dev/null -grpc "127.0.0.1:$COL_GRPC" -http "127.0.0.1:$COL_HTTP" 2>"$W/col.log" &
COL_PID=$!
TARGET_CMD=(env GOHTTPBENCH_RATE="$AGENT_RATE" GOHTTPBENCH_WAIT=FILE "$GH" "$n" "$HTTP_CLIENTS" "$HTTP_FANOUT" "$HTTP_ITERS")
rec meta "rate:=$AGENT_RATE" "secs:=$AGENT_SECS" "runs:=$AGENT_RUNS" "requests:=$n" \
	"target_cmd=$(showcmd "${TARGET_CMD[@]}")" \
	"trace_cmd=$(showcmd "$WEFT" trace -p PID --format json -o FILE)" \
	"agent_cmd=$(showcmd "$WEFT" agent --otlp "http://127.0.0.1:PORT" -p PID)"

# one MODE: untraced, trace or agent
run() {
	local mode=$1 go=$W/go.$1 tp wp="" line
	rm -f "$go" "$W/target.ru.pid"
	WEFT_BENCH_RUN=$$ "${RUSAGE[@]}" "$W/target.ru" env GOHTTPBENCH_RATE="$AGENT_RATE" \
		GOHTTPBENCH_WAIT="$go" "$GH" "$n" "$HTTP_CLIENTS" "$HTTP_FANOUT" "$HTTP_ITERS" \
		2>"$W/target.err" &
	tp=$!
	local gp=""
	for _ in $(seq 100); do gp=$(cat "$W/target.ru.pid" 2>/dev/null); [ -n "$gp" ] && break; sleep 0.05; done
	[ -n "$gp" ] || { problem "$mode: the target did not start"; return; }
	case $mode in
	trace)
		WEFT_BENCH_RUN=$$ "${RUSAGE[@]}" "$W/weft.ru" "$WEFT" trace -p "$gp" --format json \
			-o "$W/trace.json" 2>"$W/weft.err" &
		wp=$! ;;
	agent)
		WEFT_BENCH_RUN=$$ "${RUSAGE[@]}" "$W/weft.ru" "$WEFT" agent --otlp "http://127.0.0.1:$COL_HTTP" \
			-p "$gp" 2>"$W/weft.err" &
		wp=$! ;;
	esac
	if [ -n "$wp" ]; then
		for _ in $(seq 200); do grep -q '^weft: attached' "$W/weft.err" 2>/dev/null && break; sleep 0.05; done
		grep -q '^weft: attached' "$W/weft.err" ||
			{ problem "$mode: not attached: $(head -c 300 "$W/weft.err")"; touch "$go"; wait "$tp" "$wp"; return; }
	fi
	touch "$go"
	wait "$tp"
	[ -z "$wp" ] || wait "$wp"
	local rps tu ts wu=0 ws=0 wrss=0
	rps=$(sed -n 's/^gohttpbench .*req_per_s=\([0-9.]*\).*/\1/p' "$W/target.err" | tail -1)
	read -r tu ts _ <"$W/target.ru"
	[ -z "$wp" ] || read -r wu ws wrss <"$W/weft.ru"
	[ -n "$rps" ] || problem "$mode: the target failed: $(head -c 300 "$W/target.err")"
	local sent="" dropped="" spans=""
	if [ "$mode" = agent ]; then
		line=$(grep '^weft agent: pid ' "$W/weft.err")
		read -r spans sent dropped < <(sed -E 's/^.*transactions, ([0-9]+) spans; ([0-9]+) sent in [0-9]+ requests, ([0-9]+) dropped.*$/\1 \2 \3/' <<<"$line")
		[ -n "$line" ] || problem "agent: no closing line: $(tail -c 300 "$W/weft.err")"
	fi
	rec run "mode=$mode" "req_per_s:=$rps" "target_cpu_s:=$(python3 -c "print($tu + $ts)")" \
		"weft_cpu_s:=$(python3 -c "print($wu + $ws)")" "weft_rss_kb:=$wrss" \
		"spans:=$spans" "sent:=$sent" "dropped:=$dropped"
	note "$mode: $rps req/s, target $tu+$ts s, weft $wu+$ws s, $wrss KiB"
}

modes=(untraced trace agent)
for r in $(seq "$AGENT_RUNS"); do
	for k in 0 1 2; do run "${modes[$(((k + r) % 3))]}"; done
done
kill "$COL_PID" 2>/dev/null
wait "$COL_PID" 2>/dev/null
bench_finish
