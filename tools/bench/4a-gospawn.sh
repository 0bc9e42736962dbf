#!/usr/bin/env bash
# Section 4a: goroutine spawn (tests/bench/gospawn.go, --txn
# main.spawnBatch) with the newest installed Go (tools/go-versions.sh),
# built into the temporary directory: goroutines/s untraced and traced,
# alternating; traps per goroutine from the JSON ("goroutine" probe hits /
# goroutines created); the same with --go-lean, and with Go 1.23 and Go
# 1.19 (goexit0 instead of gdestroy) if installed. Where the probes are, as weft reports
# them (its JSON's capture.probes[].sites).
# Knobs: SPAWN_RUNS [5] SPAWN_OLD_RUNS [3] (0: no Go 1.23, 1.19) SPAWN_N [100000]
#        SPAWN_BATCH [100] NO_GO=1
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/go.sh"
bench_init 4a

SPAWN_RUNS=${SPAWN_RUNS:-5}
SPAWN_OLD_RUNS=${SPAWN_OLD_RUNS:-3}
SPAWN_N=${SPAWN_N:-100000}
SPAWN_BATCH=${SPAWN_BATCH:-100}
[ "${NO_GO:-0}" = 1 ] && skip_section "skipped (NO_GO=1)"
newest_go || skip_section "skipped: no Go toolchain installed (tools/install-deps.sh installs them)"
GO_OLD_BIN=$(awk '$1 == "1.19" { print $2 }' <<<"$GO_VERS")
[ "$GO_V" != 1.19 ] && [ "$SPAWN_OLD_RUNS" -gt 0 ] || GO_OLD_BIN=""
# Go 1.23, the production release beside the newest (bookworm-backports)
GO_MID_BIN=$(awk '$1 == "1.23" { print $2 }' <<<"$GO_VERS")
[ "$GO_V" != 1.23 ] && [ "$SPAWN_OLD_RUNS" -gt 0 ] || GO_MID_BIN=""
spawn_batches=$(((SPAWN_N + SPAWN_BATCH - 1) / SPAWN_BATCH))
spawn_n=$((spawn_batches * SPAWN_BATCH))
GS=$W/gospawn-$GO_V
note "go: building tests/bench/gospawn.go with Go $GO_V${GO_MID_BIN:+, 1.23}${GO_OLD_BIN:+, 1.19}"
go_build "$GO_BIN" "$GS" tests/bench/gospawn.go
[ -z "$GO_OLD_BIN" ] || go_build "$GO_OLD_BIN" "$W/gospawn-1.19" tests/bench/gospawn.go
[ -z "$GO_MID_BIN" ] || go_build "$GO_MID_BIN" "$W/gospawn-1.23" tests/bench/gospawn.go
rec meta "go=$GO_V" "go_bin=$GO_BIN" "go_old_bin=$GO_OLD_BIN" "go_mid_bin=$GO_MID_BIN" "runs:=$SPAWN_RUNS" "old_runs:=$SPAWN_OLD_RUNS" \
	"n:=$SPAWN_N" "batch:=$SPAWN_BATCH" "batches:=$spawn_batches" "goroutines:=$spawn_n" \
	"build_cmd=$(showcmd "${GO_ENV[@]}" "$GO_BIN" build -buildvcs=false -o "$GS" tests/bench/gospawn.go)"

spawn_rate() { sed -n 's/^gospawn .*goroutines_per_s=\([0-9.]*\).*/\1/p' "$1" | tail -1; }

# spawn_bench VERSION BIN RUNS [lean]
spawn_bench() {
	local v=$1 bin=$2 runs=$3 lean=${4:-} r tm rate trate ok
	local ev lost evicted gh created ended th ntx good tseg
	local way=$v${lean:+ --go-lean}
	local -a ucmd=("$bin" "$SPAWN_N" "$SPAWN_BATCH")
	local -a tcmd=("$WEFT" trace ${lean:+--go-lean} --format json -o "$W/gs.json" --txn main.spawnBatch -- "$bin" "$SPAWN_N" "$SPAWN_BATCH")
	rec way "way=$way" "runs:=$runs" "untraced_cmd=$(showcmd "${ucmd[@]}")" "traced_cmd=$(showcmd "${tcmd[@]}")"
	for ((r = 1; r <= runs; r++)); do
		note "go $way spawn: run $r/$runs untraced, then traced"
		tm=$(run_timed /dev/null "$W/gu.err" "${ucmd[@]}")
		rate=$(spawn_rate "$W/gu.err")
		[ -n "$rate" ] || die "$(showcmd "${ucmd[@]}") failed: $(head -3 "$W/gu.err")"
		rec untraced "way=$way" "run:=$r" "rate:=$rate" "cpu:=$(cpu_of "$tm")"
		rm -f "$W/gs.json"
		tm=$(run_timed /dev/null "$W/gt.err" "${tcmd[@]}")
		trate=$(spawn_rate "$W/gt.err")
		if [ -z "$trate" ] || [ ! -s "$W/gs.json" ]; then
			problem "go $v spawn: '$(showcmd "${tcmd[@]}")' failed: $(grep -v '^gospawn ' "$W/gt.err" | head -3 | tr '\n' ' ')"
			continue
		fi
		read -r ev lost evicted gh created ended th ntx good tseg <<<"$(go_json "$W/gs.json" main.spawnBatch "$SPAWN_BATCH")"
		ok=yes
		if [ -n "$lean" ]; then
			[ "$gh" = "$created" ] || ok="no: goroutine hits $gh, expected created = $created (--go-lean: no exit probe)"
		else
			[ "$gh" = $((created + ended)) ] || ok="no: goroutine hits $gh, expected created + ended = $((created + ended))"
		fi
		[ "$th" = $((2 * spawn_batches)) ] || ok="no: main.spawnBatch hits $th, expected $((2 * spawn_batches))"
		[ "$ntx" = "$spawn_batches" ] && [ "$good" = "$spawn_batches" ] ||
			ok="no: $ntx transactions, $good of them with $SPAWN_BATCH goroutines and no leak, expected $spawn_batches"
		[ "$tseg" = "$spawn_n" ] || ok="no: $tseg goroutines inside transactions, expected $spawn_n"
		[ "$lost" = 0 ] && [ "$evicted" = 0 ] || problem "go $v spawn run $r: $lost lost events, $evicted evicted"
		[ "$ok" = yes ] || problem "go $v spawn run $r: counts: $ok"
		rec traced "way=$way" "run:=$r" "rate:=$trate" "cpu:=$(cpu_of "$tm")" "events:=$ev" "lost:=$lost" \
			"evicted:=$evicted" "created:=$created" "ended:=$ended" "goroutine_hits:=$gh" "txn_hits:=$th" "ok=$ok"
		[ "$r" = "$runs" ] && json_sites "$way" "$W/gs.json" "$created" goroutine
	done
	rm -f "$W/gs.json"
}

spawn_bench "$GO_V" "$GS" "$SPAWN_RUNS"
spawn_bench "$GO_V" "$GS" "$SPAWN_RUNS" lean
[ -z "$GO_MID_BIN" ] || spawn_bench 1.23 "$W/gospawn-1.23" "$SPAWN_OLD_RUNS"
[ -z "$GO_OLD_BIN" ] || spawn_bench 1.19 "$W/gospawn-1.19" "$SPAWN_OLD_RUNS"

bench_finish
