#!/usr/bin/env bash
# tools/bench.sh - weft's benchmarks, run side by side in one go, written to
# BENCHMARKS.md (repo root) with the machine, the date and, for every
# figure, the exact command that produced it. `make bench` builds what it
# needs and runs this script.
#
#   1. probe cost, ns per hit, measured with weft itself: an ordinary
#      uprobe on a function entry (single-stepped first instruction, and an
#      emulated one), a weft.h USDT marker (nop5), a <sys/sdt.h> marker
#      (1-byte nop); each = median ns/iter traced - median ns/iter untraced.
#      Then the bpftrace cross-check (tests/bench/probe_cost.sh), if
#      bpftrace runs here.
#   2. overhead on a thread pool (tests/bench/pool_bench.c): tasks/s
#      untraced and traced, alternating runs of the same binary; traps per
#      task; lost events / evictions.
#   3. model replay: `weft record` of a pool run (>= 500k events), then
#      `weft report` of that file, JSON and text: events/s on one core,
#      record file size, bytes per event.
#   4. Go, with the newest installed Go (tools/go-versions.sh), the two
#      programs built here into the temporary directory:
#      a. goroutine spawn (tests/bench/gospawn.go, --txn main.spawnBatch):
#         goroutines/s untraced and traced, alternating; traps per goroutine
#         from the JSON ("goroutine" probe hits / goroutines created), and
#         the same with Go 1.19 (goexit0 instead of gdestroy) if installed;
#      b. a net/http server with its own load generator
#         (tests/bench/gohttpbench.go): req/s untraced, under weft (no
#         --txn: every request a transaction) and under Go's runtime/trace,
#         alternating; traps and goroutines per request.
#   5. Node (/usr/bin/node, and the newest of tools/node-versions.sh if
#      another major): an HTTP server (tests/bench/nodehttpbench.js) and a
#      load process (tests/bench/nodeload.js): req/s untraced, under weft
#      (every request a transaction), with AsyncLocalStorage and with
#      async_hooks in the server, alternating; traps and native resources
#      per request, traps per resource.
#   6. weft check: the Go test package tests/gotest/leaky (go test -c) alone
#      and under weft check, alternating: wall and CPU time.
#   7. perf analysis (issue 9): the pool and gohttpbench untraced, under
#      `weft record` without sampling, with -F 99, -F 999 and -F 999
#      --off-cpu, alternating: the overhead of sampling against untraced and
#      against weft without it; record file bytes per second of capture;
#      then a one-minute record of gohttpbench at a steady rate (-F 999
#      --off-cpu) and the time of `weft report` in each format on it.
#
#   tools/bench.sh      every section, BENCH_OUT rewritten
#   tools/bench.sh 7    section 7 alone (make bench ONLY=7): its part of
#                       BENCH_OUT replaced, the rest kept
#
# Needs root (weft attaches BPF programs). About 2.5 minutes on 2 vCPUs,
# plus about 75 s for section 5 and about 4 minutes for section 7.
# Environment (defaults in brackets):
#   REPS [5]          runs per probe-cost case (untraced and traced each)
#   ITER [1000000]    loop iterations for the cheap probes (markers, push)
#   ITER_SLOW [50000] loop iterations for the single-stepped uprobe
#   POOL_RUNS [5]     untraced and traced pool runs each, alternating
#   POOL_TASKS [200000] POOL_BATCH [100] POOL_WORKERS [2] POOL_WORK [2000]
#   REC_TASKS [200000] tasks in the recorded run (4 events per task)
#   REPLAY_RUNS [3]   timed `weft report` runs per format
#   BENCH_OUT [BENCHMARKS.md]
#   NO_BPFTRACE=1     skip the bpftrace cross-check
#   SPAWN_RUNS [5]    untraced and traced gospawn runs each (newest Go)
#   SPAWN_OLD_RUNS [3] the same with Go 1.19 (0: skip)
#   SPAWN_N [100000] SPAWN_BATCH [100]   goroutines in all, per transaction
#   HTTP_RUNS [6]     untraced, weft and runtime/trace gohttpbench runs each
#   HTTP_REQS [8000] HTTP_CLIENTS [4] HTTP_FANOUT [3] HTTP_WORK_US [100]
#   NO_GO=1           skip section 4
#   NODE_RUNS [5]     rounds of the four Node ways (untraced, weft, als, hooks)
#   NODE_REQS [5000] NODE_CONNS [4] NODE_WORK_US [100]
#   NODE_BIN [/usr/bin/node]
#   NODE_NEWEST_RUNS [3] the same with the newest Node of tools/node-versions.sh,
#                     if another major than NODE_BIN's (0: skip)
#   NO_NODE=1         skip section 5
#   CHECK_RUNS [5]    section 6: a Go test binary alone and under weft check, each
#   PERF_RUNS [3]     section 7: rounds of the five ways, on each program
#   PERF_REC_S [60] PERF_REC_RATE [2000]  the paced record: seconds, req/s
#   PERF_REPLAY_RUNS [3] timed `weft report` runs per format on that file
#   NO_PERF=1         skip section 7 (its Go parts are skipped without Go)
#   PERF_NOTE         a paragraph for section 7 (e.g. which attempt this is)
#
# Every process it starts carries WEFT_BENCH_RUN=<this script's pid> in its
# environment; on exit (normal or not) any such process still alive is
# stopped, and the script checks that no uprobe on the bench binaries is
# left.
set -u
export LC_ALL=C

cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)

REPS=${REPS:-5}
ITER=${ITER:-1000000}
ITER_SLOW=${ITER_SLOW:-50000}
POOL_RUNS=${POOL_RUNS:-5}
POOL_TASKS=${POOL_TASKS:-200000}
POOL_BATCH=${POOL_BATCH:-100}
POOL_WORKERS=${POOL_WORKERS:-2}
POOL_WORK=${POOL_WORK:-2000}
REC_TASKS=${REC_TASKS:-200000}
REPLAY_RUNS=${REPLAY_RUNS:-3}
SPAWN_RUNS=${SPAWN_RUNS:-5}
SPAWN_OLD_RUNS=${SPAWN_OLD_RUNS:-3}
SPAWN_N=${SPAWN_N:-100000}
SPAWN_BATCH=${SPAWN_BATCH:-100}
HTTP_RUNS=${HTTP_RUNS:-6}
HTTP_REQS=${HTTP_REQS:-8000}
HTTP_CLIENTS=${HTTP_CLIENTS:-4}
HTTP_FANOUT=${HTTP_FANOUT:-3}
HTTP_WORK_US=${HTTP_WORK_US:-100}
NODE_RUNS=${NODE_RUNS:-5}
NODE_REQS=${NODE_REQS:-5000}
NODE_CONNS=${NODE_CONNS:-4}
NODE_WORK_US=${NODE_WORK_US:-100}
NODE_BIN=${NODE_BIN:-/usr/bin/node}
NODE_NEWEST_RUNS=${NODE_NEWEST_RUNS:-3}
PERF_RUNS=${PERF_RUNS:-3}
PERF_REC_S=${PERF_REC_S:-60}
PERF_REC_RATE=${PERF_REC_RATE:-2000}
PERF_REPLAY_RUNS=${PERF_REPLAY_RUNS:-3}
BENCH_OUT=${BENCH_OUT:-BENCHMARKS.md}
case ${1:-} in
"") ONLY="" ;;
7) ONLY=7 ;;
*)
	echo "usage: tools/bench.sh [7]   (7: section 7 alone, written into $BENCH_OUT)" >&2
	exit 2
	;;
esac
WARMUP=64 # probe_cost's warm-up iterations (before its timed loop)

WEFT=build/weft
PC=build/tests/bench/probe_cost
PCS=build/tests/bench/probe_cost_sdt
POOL=build/tests/bench/pool_bench
POOL_SPECS=(--txn handle_batch --task-create submit_task:arg0 --task-done run_task:arg0)

die() {
	echo "bench: $*" >&2
	exit 1
}
note() { echo "bench: $*" >&2; }

[ "$(id -u)" = 0 ] || die "needs root (weft attaches BPF programs): sudo make bench"
for b in "$WEFT" "$PC" "$PCS" "$POOL"; do
	[ -x "$b" ] || die "$b is missing: run 'make bench' (it builds everything first)"
done
command -v python3 >/dev/null || die "python3 is needed to read weft's JSON (make deps)"
command -v objdump >/dev/null || die "objdump (binutils) is needed"

export WEFT_BENCH_RUN=$$
W=$(mktemp -d /tmp/weft-bench.XXXXXX) || die "mktemp failed"

# Our processes still alive: those with WEFT_BENCH_RUN=$$ in their
# environment, except this shell. Builtins only (no child of ours is
# running while it scans).
our_procs() {
	local p pid env e
	for p in /proc/[0-9]*; do
		pid=${p#/proc/}
		[ "$pid" = $$ ] || [ "$pid" = "$BASHPID" ] && continue
		mapfile -d "" env 2>/dev/null <"$p/environ" || continue
		for e in "${env[@]}"; do
			if [ "$e" = "WEFT_BENCH_RUN=$$" ]; then
				printf '%s ' "$pid"
				break
			fi
		done
	done
}

# Uprobes (perf-event links) still set on the bench binaries: those of
# build/tests/bench/, the Go programs built in $W and the Node binaries of
# section 5 (NODE_PROBED). weft names a Go or Node target
# /proc/PID/exe: resolved while PID lives (a uprobe can outlive its target
# only while its holder, then one of our processes, lives).
leftover_uprobes() {
	local line f
	command -v bpftool >/dev/null || return 0
	bpftool perf show 2>/dev/null | grep uprobe | while read -r line; do
		f=$(sed -n 's/.* filename \([^ ]*\).*/\1/p' <<<"$line")
		case $f in /proc/[0-9]*/exe) f=$(readlink "$f" 2>/dev/null) ;; esac
		case $f in
		"$ROOT"/build/tests/bench/* | build/tests/bench/* | "$W"/*) echo "$line ($f)" ;;
		*) for n in "${NODE_PROBED[@]}"; do [ "$f" = "$n" ] && echo "$line ($f)"; done ;;
		esac
	done
}

cleanup() {
	local pids p i
	trap - EXIT INT TERM
	pids=$(our_procs)
	if [ -n "$pids" ]; then
		note "stopping leftover processes: $pids"
		# weft first (SIGTERM: it detaches its probes and exits), then the rest.
		for p in $pids; do
			[ "$(readlink "/proc/$p/exe" 2>/dev/null)" = "$ROOT/$WEFT" ] && kill -TERM "$p" 2>/dev/null
		done
		for ((i = 0; i < 20; i++)); do
			[ -z "$(our_procs)" ] && break
			sleep 0.1
		done
		for p in $(our_procs); do kill -KILL "$p" 2>/dev/null; done
	fi
	rm -rf "$W"
}
trap cleanup EXIT
trap 'note "interrupted"; exit 130' INT TERM

T_START=$(date +%s)
LOAD_START=$(cut -d" " -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- helpers

# stdin: numbers, one a line -> the median
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "nan" }'; }

# first_insn BIN SYM -> the first instruction of SYM, e.g. "push %rbp"
first_insn() {
	objdump -d --no-show-raw-insn "$1" 2>/dev/null | awk -v s="<$2>:" '
		$2 == s { getline; sub(/^[ \t]*[0-9a-f]+:[ \t]*/, ""); sub(/[ \t]*#.*/, "");
			  gsub(/[ \t]+/, " "); print; exit }'
}

# capture JSON -> "events lost evicted uprobe_hits" then one "name hits" per
# probe with hits, "txns N".
json_capture() {
	python3 - "$1" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
c = d["capture"]
up = sum(p["hits"] for p in c["probes"] if not p["spec"].startswith("tp_btf"))
print(c["events"], c["lost_events"], c["evicted"], up)
for p in c["probes"]:
    if p["hits"]:
        print(p["name"], p["hits"])
print("txns", len(d["transactions"]))
EOF
}

# The command, printed as it would be typed (for BENCHMARKS.md).
showcmd() {
	local a out=""
	for a in "$@"; do
		case $a in
		*[!A-Za-z0-9_./:=+,-]*) out+=" '${a//\'/\'\\\'\'}'" ;;
		*) out+=" $a" ;;
		esac
	done
	printf '%s' "${out# }"
}

PROBLEMS=() # what went wrong in weft (lost events, wrong counts, errors)
problem() {
	PROBLEMS+=("$*")
	note "PROBLEM: $*"
}

TIMEFORMAT='%R %U %S'
run_timed() { # run_timed OUTFILE ERRFILE CMD... -> prints "wall user sys"
	local out=$1 err=$2
	shift 2
	{ time "$@" >"$out" 2>"$err"; } 2>&1
}

# go_build GO OUT SRC: a static GOPATH-mode build, caches under build/
GO_ENV=(env -u GOROOT -u GOBIN HOME="${HOME:-$W}" GOCACHE="$ROOT/build/gocache" GOPATH="$W/gopath"
	GOENV=off GOFLAGS= GO111MODULE=off CGO_ENABLED=0 GOTOOLCHAIN=local)
go_build() {
	"${GO_ENV[@]}" "$1" build -buildvcs=false -o "$2" "$3" >"$W/gobuild.err" 2>&1 ||
		die "go build $3 ($1) failed: $(head -5 "$W/gobuild.err")"
}

# ------------------------------------- 7. perf analysis (defined here, run last)
#
# On-CPU sampling (-F 99, -F 999) and off-CPU time (-F 999 --off-cpu) against
# the same program untraced and under weft without sampling: the thread pool
# (section 2's program and arguments) and gohttpbench (section 4b's, flat
# out), one run of every way per round, in an order that rotates. Every
# traced way is `weft record` to a file, read back (untimed) with `weft report
# --format json` for its counts, its capture time and so the file's bytes per
# second. Then a one-minute record of gohttpbench paced at PERF_REC_RATE
# requests/s, at -F 999 --off-cpu, and the time of `weft report` in each
# format on that file. perf_section runs it; perf_md writes its markdown.

PERF_WAYS=(u w f99 f999 off)
declare -A PERF_WAY=([u]=untraced [w]="weft, no sampling" [f99]="-F 99" [f999]="-F 999" [off]="-F 999 --off-cpu")
declare -A PERF_FLAGS=([u]="" [w]="" [f99]="-F 99" [f999]="-F 999" [off]="-F 999 --off-cpu")
declare -A PF_RATE PF_CPU PF_SAMPLES PF_SPANS PF_BPS PF_CMD
PF_RUN_ROWS=() PF_DETAIL=() PF_SUM=() PF_BPS_ROWS=() PF_REPLAY=() PF_WLS=()
PF_GO_NOTE="" PF_REC_ROW="" PF_REC_SHOW="" PF_REC_SIZE="" PF_RUN="" PF_LOAD0="" PF_LOAD1="" PF_T=0

# perf_json FILE (report --format json of a record file) -> duration_ns
# events lost evicted samples samples_lost offcpu_spans transactions
perf_json() {
	python3 - "$1" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
c = d["capture"]
p = d.get("profile") or {}
spans = sum(w.get("offcpu_spans", 0) for w in p.get("by_name", [])) + \
    (p.get("outside") or {}).get("offcpu_spans", 0)
print(c["duration_ns"], c["events"], c["lost_events"], c["evicted"], p.get("samples_taken", 0),
      p.get("samples_lost", 0), spans, len(d["transactions"]))
EOF
}

# perf_cmd WORKLOAD WAY -> PCMD, the command of one run
perf_cmd() {
	local -a flags app
	read -r -a flags <<<"${PERF_FLAGS[$2]}"
	case $1 in
	pool) app=("$POOL" "${POOL_ARGS[@]}") ;;
	go) app=("$GH" "${HTTP_ARGS[@]}") ;;
	esac
	if [ "$2" = u ]; then
		PCMD=("${app[@]}")
		return
	fi
	PCMD=("$WEFT" record -o "$W/pf.weft" "${flags[@]}")
	[ "$1" = pool ] && PCMD+=("${POOL_EXTRA[@]}" "${POOL_SPECS[@]}")
	PCMD+=(-- "${app[@]}")
}

# perf_way WORKLOAD WAY RUN: one run; its rate in PF_LAST ("-": failed)
perf_way() {
	local wl=$1 k=$2 r=$3 tm rate dur ev lost evicted smp slost spans ntx size bps ok want
	perf_cmd "$wl" "$k"
	PF_CMD["$wl $k"]=$(showcmd "${PCMD[@]}")
	rm -f "$W/pf.weft" "$W/pf.json"
	tm=$(run_timed /dev/null "$W/pf.err" "${PCMD[@]}")
	rate=$(sed -n 's/^\(pool_bench\|gohttpbench\) .*\(tasks_per_s\|req_per_s\)=\([0-9.]*\).*/\3/p' "$W/pf.err" | tail -1)
	PF_LAST=-
	if [ -z "$rate" ] || { [ "$k" != u ] && [ ! -s "$W/pf.weft" ]; }; then
		[ "$k" = u ] && die "$(showcmd "${PCMD[@]}") failed: $(head -3 "$W/pf.err")"
		problem "perf $wl ${PERF_WAY[$k]} run $r: '$(showcmd "${PCMD[@]}")' failed: $(grep -v '^\(pool_bench\|gohttpbench\) ' "$W/pf.err" | head -3 | tr '\n' ' ')"
		return
	fi
	if [ "$k" != u ] && ! "$WEFT" report "$W/pf.weft" --format json -o "$W/pf.json" 2>"$W/pfr.err"; then
		problem "perf $wl ${PERF_WAY[$k]} run $r: weft report --format json of its file failed: $(head -2 "$W/pfr.err" | tr '\n' ' ')"
		return
	fi
	PF_LAST=$rate
	PF_RATE["$wl $k"]+=" $rate"
	PF_CPU["$wl $k"]+=" $(awk '{ print $2 + $3 }' <<<"$tm")"
	[ "$k" = u ] && return
	read -r dur ev lost evicted smp slost spans ntx <<<"$(perf_json "$W/pf.json")"
	size=$(stat -c %s "$W/pf.weft")
	bps=$(awk -v s="$size" -v d="$dur" 'BEGIN { printf "%.0f", (d > 0 ? s / (d / 1e9) : 0) }')
	PF_SAMPLES["$wl $k"]+=" $smp"
	PF_SPANS["$wl $k"]+=" $spans"
	PF_BPS["$wl $k"]+=" $bps"
	want=$pool_batches
	[ "$wl" = go ] && want=$((HTTP_REQS + HTTP_CLIENTS))
	ok=yes
	[ "$ntx" = "$want" ] || ok="no: $ntx transactions, expected $want"
	case $k in f*) [ "$smp" -gt 0 ] || ok="no: no sample" ;; esac
	[ "$k" = w ] && [ "$smp" != 0 ] && ok="no: $smp samples without -F"
	[ "$lost" = 0 ] && [ "$evicted" = 0 ] && [ "$slost" = 0 ] ||
		problem "perf $wl ${PERF_WAY[$k]} run $r: $lost lost events, $evicted evicted, $slost lost samples"
	[ "$ok" = yes ] || problem "perf $wl ${PERF_WAY[$k]} run $r: counts: $ok"
	PF_DETAIL+=("| $wl | ${PERF_WAY[$k]} | $r | $rate | $(awk -v d="$dur" 'BEGIN { printf "%.2f", d / 1e9 }') | $ev | $smp | $slost | $spans | $lost / $evicted | $ntx | $size | $(awk -v b="$bps" 'BEGIN { printf "%.2f", b / 1048576 }') | $ok |")
}

# perf_med "LIST" -> median of a space-separated list ("nan" if empty)
perf_med() { tr ' ' '\n' <<<"$1" | grep -v '^$' | median; }

# perf_bench WORKLOAD UNIT: PERF_RUNS rounds of the five ways
perf_bench() {
	local wl=$1 unit=$2 r i k ways mu mw m c0 c1 t0
	local -a order
	local -A got
	PF_WLS+=("$wl")
	for ((r = 1; r <= PERF_RUNS; r++)); do
		order=()
		for ((i = 0; i < ${#PERF_WAYS[@]}; i++)); do
			order+=("${PERF_WAYS[(i + r - 1) % ${#PERF_WAYS[@]}]}")
		done
		ways=$(for k in "${order[@]}"; do printf '%s, ' "${PERF_WAY[$k]}"; done)
		ways=${ways%, }
		note "perf $wl: run $r/$PERF_RUNS: $ways"
		got=()
		c0=$(cpu_ticks) t0=$(date +%s.%N)
		for k in "${order[@]}"; do
			perf_way "$wl" "$k" "$r"
			got[$k]=$PF_LAST
		done
		c1=$(cpu_ticks)
		PF_RUN_ROWS+=("| $wl | $r | $ways | ${got[u]} | ${got[w]} | ${got[f99]} | ${got[f999]} | ${got[off]} | $(cpu_other "$c0" "$c1") of $(awk -v a="$t0" -v b="$(date +%s.%N)" -v n="$(nproc)" 'BEGIN { printf "%.0f", (b - a) * n }') |")
	done
	mu=$(perf_med "${PF_RATE["$wl u"]:-}")
	mw=$(perf_med "${PF_RATE["$wl w"]:-}")
	for k in "${PERF_WAYS[@]}"; do
		m=$(perf_med "${PF_RATE["$wl $k"]:-}")
		PF_SUM+=("$(awk -v wl="$wl" -v way="${PERF_WAY[$k]}" -v k="$k" -v u="$mu" -v w="$mw" -v m="$m" -v unit="$unit" \
			-v c="$(perf_med "${PF_CPU["$wl $k"]:-}")" -v s="$(perf_med "${PF_SAMPLES["$wl $k"]:-}")" \
			-v sp="$(perf_med "${PF_SPANS["$wl $k"]:-}")" -v b="$(perf_med "${PF_BPS["$wl $k"]:-}")" 'BEGIN {
			if (m == "nan" || m <= 0) { printf "| %s | %s | - | - | - | - | - | - | - | - | - | - |", wl, way; exit }
			printf "| %s | %s | %.0f %s/s | ", wl, way, m, unit
			if (k == "u") printf "100%% | 1.00x | - | - | - | "
			else printf "%.1f%% | %.2fx | %s | %.2f | %s | ", 100 * m / u, u / m,
				(w == "nan" || k == "w") ? "-" : sprintf("%.1f%% (%.2fx)", 100 * m / w, w / m), 1e6 / m - 1e6 / u,
				(w == "nan" || k == "w") ? "-" : sprintf("%.2f", 1e6 / m - 1e6 / w)
			printf "%.2f | %s | %s | %s |", c, k == "u" ? "-" : s, k == "u" ? "-" : sp,
				k == "u" ? "-" : sprintf("%.2f", b / 1048576)
		}')")
	done
}

# perf_go_setup: gohttpbench built and calibrated (section 4 did it in a full
# run); 1 if there is no Go (PF_GO_NOTE says why)
perf_go_setup() {
	local vers cal=()
	if [ -n "${GH:-}" ] && [ -x "$GH" ] && [ -n "${HTTP_ITERS:-}" ]; then
		PF_GO_CAL="section 4b's"
		return 0
	fi
	if [ "${NO_GO:-0}" = 1 ]; then
		PF_GO_NOTE="skipped (NO_GO=1)"
		return 1
	fi
	vers=$(bash tools/go-versions.sh 2>/dev/null)
	if [ -z "$vers" ]; then
		PF_GO_NOTE="skipped: no Go toolchain installed (tools/install-deps.sh installs them)"
		return 1
	fi
	read -r GO_V GO_BIN <<<"$(tail -1 <<<"$vers")"
	GH=$W/gohttpbench-$GO_V
	note "perf: building tests/bench/gohttpbench.go with Go $GO_V"
	go_build "$GO_BIN" "$GH" tests/bench/gohttpbench.go
	for _ in 1 2 3; do
		cal+=("$("$GH" calibrate "$HTTP_WORK_US" 2>&1 | sed -n 's/.*iters=\([0-9]*\).*/\1/p')")
	done
	HTTP_ITERS=$(printf '%s\n' "${cal[@]}" | median)
	[ -n "$HTTP_ITERS" ] && [ "$HTTP_ITERS" != nan ] || die "$GH calibrate $HTTP_WORK_US failed"
	PF_GO_CAL="\`$(showcmd "$GH" calibrate "$HTTP_WORK_US")\`, 3 runs: $(
		IFS=/
		echo "${cal[*]}"
	), median"
}

# perf_record: the one-minute record of paced gohttpbench, then each format
perf_record() {
	local n=$((PERF_REC_S * PERF_REC_RATE)) F=$W/gohttp-1min.weft tm rate dur ev lost evicted smp slost spans ntx bps
	local spec ext r walls cpus rss osz
	local -a fa cmd
	PF_REC_CMD=(env GOHTTPBENCH_RATE="$PERF_REC_RATE" "$WEFT" record -F 999 --off-cpu -o "$F"
		-- "$GH" "$n" "$HTTP_CLIENTS" "$HTTP_FANOUT" "$HTTP_ITERS")
	PF_REC_SHOW=$(showcmd "${PF_REC_CMD[@]}")
	note "perf: one-minute record: $PF_REC_SHOW"
	tm=$(run_timed /dev/null "$W/prec.err" "${PF_REC_CMD[@]}")
	rate=$(sed -n 's/^gohttpbench .*req_per_s=\([0-9.]*\).*/\1/p' "$W/prec.err" | tail -1)
	if [ -z "$rate" ] || [ ! -s "$F" ] || ! "$WEFT" report "$F" --format json -o "$W/prec.json" 2>"$W/prep.err"; then
		problem "perf: '$PF_REC_SHOW' failed: $(grep -v '^gohttpbench ' "$W/prec.err" "$W/prep.err" 2>/dev/null | head -3 | tr '\n' ' ')"
		return
	fi
	read -r dur ev lost evicted smp slost spans ntx <<<"$(perf_json "$W/prec.json")"
	rm -f "$W/prec.json"
	PF_REC_SIZE=$(stat -c %s "$F")
	[ "$lost" = 0 ] && [ "$evicted" = 0 ] && [ "$slost" = 0 ] ||
		problem "perf: one-minute record: $lost lost events, $evicted evicted, $slost lost samples"
	[ "$ntx" = $((n + HTTP_CLIENTS)) ] || problem "perf: one-minute record: $ntx transactions, expected $((n + HTTP_CLIENTS))"
	PF_REC_EV=$ev
	PF_REC_ROW=$(awk -v n="$n" -v r="$rate" -v d="$dur" -v e="$ev" -v s="$smp" -v sp="$spans" -v l="$lost / $evicted / $slost" \
		-v t="$ntx" -v z="$PF_REC_SIZE" -v tm="$tm" 'BEGIN { split(tm, c, " ")
		printf "| %d | %.0f | %.2f | %d | %d | %d | %s | %d | %d (%.1f MiB) | %.1f | **%.2f MiB/s** (%.0f MiB per minute) | %.2f |", n, r, d / 1e9, e, s, sp, l, t,
			z, z / 1048576, z / e, z / (d / 1e9) / 1048576, 60 * z / (d / 1e9) / 1048576, c[2] + c[3] }')
	for spec in text json folded "folded --off-cpu" pprof perfetto; do
		read -r -a fa <<<"$spec"
		ext=${spec// /}
		cmd=(taskset -c 0 "$WEFT" report "$F" --format "${fa[@]}" -o "$W/pfout.$ext")
		walls=() cpus=() rss=()
		for ((r = 0; r < PERF_REPLAY_RUNS; r++)); do
			rm -f "$W/pfout.$ext"
			if ! /usr/bin/time -f '%e %U %S %M' -o "$W/pft" "${cmd[@]}" >/dev/null 2>"$W/pfo.err"; then
				problem "perf: '$(showcmd "${cmd[@]}")' failed: $(head -2 "$W/pfo.err" | tr '\n' ' ')"
				continue
			fi
			walls+=("$(awk '{ print $1 }' "$W/pft")")
			cpus+=("$(awk '{ print $2 + $3 }' "$W/pft")")
			rss+=("$(awk '{ print $4 }' "$W/pft")")
		done
		osz=$(stat -c %s "$W/pfout.$ext" 2>/dev/null || echo 0)
		rm -f "$W/pfout.$ext"
		[ ${#walls[@]} -gt 0 ] || continue
		PF_REPLAY+=("| $spec | $(
			IFS=/
			echo "${walls[*]}"
		) | **$(printf '%s\n' "${walls[@]}" | median)** | $(printf '%s\n' "${cpus[@]}" | median) | $(awk -v k="$(printf '%s\n' "${rss[@]}" | median)" 'BEGIN { printf "%.0f", k / 1024 }') | $osz | \`$(showcmd "${cmd[@]}")\` |")
	done
	rm -f "$F"
}

# cpu_ticks -> "machine_busy ours": clock ticks the machine spent busy (all
# CPUs, /proc/stat) and those of this script and its waited-for children
cpu_ticks() {
	local self
	self=$(sed 's/.*) //' /proc/$$/stat | awk '{ print $12 + $13 + $14 + $15 }')
	awk -v o="$self" '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9, o; exit }' /proc/stat
}

# cpu_other BEFORE AFTER (two cpu_ticks) -> CPU s the machine was busy
# outside this script's processes in between (other work, and kernel
# threads: some of them ours)
cpu_other() {
	awk -v a="$1" -v b="$2" -v hz="$(getconf CLK_TCK)" 'BEGIN { split(a, x, " "); split(b, y, " ")
		printf "%.1f", ((y[1] - x[1]) - (y[2] - x[2])) / hz }'
}

perf_section() {
	local t0 c0 c1
	t0=$(date +%s)
	c0=$(cpu_ticks)
	PF_LOAD0=$(cut -d" " -f1-3 /proc/loadavg)
	PF_DATE=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
	POOL_ARGS=("$POOL_TASKS" "$POOL_BATCH" "$POOL_WORKERS" "$POOL_WORK")
	pool_batches=$(((POOL_TASKS + POOL_BATCH - 1) / POOL_BATCH))
	perf_bench pool tasks
	if perf_go_setup; then
		HTTP_ARGS=("$HTTP_REQS" "$HTTP_CLIENTS" "$HTTP_FANOUT" "$HTTP_ITERS")
		perf_bench go req
		perf_record
	fi
	rm -f "$W/pf.weft" "$W/pf.json"
	PF_LOAD1=$(cut -d" " -f1-3 /proc/loadavg)
	PF_T=$(($(date +%s) - t0))
	c1=$(cpu_ticks)
	PF_OTHER=$(cpu_other "$c0" "$c1")
}

# perf_md: section 7's markdown (stdout)
perf_md() {
	local wl k
	echo "## 7. Perf analysis: sampling and off-CPU cost, record size, report and export time"
	echo
	if [ "${NO_PERF:-0}" = 1 ]; then
		echo "skipped (NO_PERF=1)"
		echo
		return
	fi
	echo "| | |"
	echo "|---|---|"
	echo "| run | $PF_RUN |"
	echo "| date | $PF_DATE |"
	echo "| load average at the section's start / end | $PF_LOAD0 / $PF_LOAD1 |"
	echo "| CPU busy outside the bench's processes (other work, kernel threads) | ${PF_OTHER:-?} s of $((PF_T * $(nproc))) CPU-s |"
	echo "| weft revision | $(git describe --always --dirty 2>/dev/null || echo unknown) |"
	echo "| section run time | ${PF_T} s |"
	echo
	[ -z "${PERF_NOTE:-}" ] || { echo "$PERF_NOTE"; echo; }
	echo "### 7a. Overhead of sampling (\`-F\`) and of \`--off-cpu\`"
	echo
	echo "Two programs, each run five ways: untraced; \`weft record\` without"
	echo "sampling; with \`-F 99\`; with \`-F 999\`; with \`-F 999 --off-cpu\`. $PERF_RUNS rounds,"
	echo "one run of each way per round, the order rotating from round to round. The"
	echo "programs time themselves (first request or task to the last), so weft's"
	echo "start, attach and exit are not in the rates. Every traced run writes a"
	echo "record file, read back afterwards (untimed) with \`weft report --format json\`"
	echo "for the counts below."
	echo
	echo "- **pool**: section 2's thread pool, same arguments and probe specs."
	if [ -n "$PF_GO_NOTE" ]; then
		echo "- **go**: $PF_GO_NOTE"
	else
		echo "- **go**: section 4b's net/http server with its own load (Go $GO_V, $HTTP_REQS timed"
		echo "  requests from $HTTP_CLIENTS clients, flat out, $HTTP_FANOUT goroutines per request sharing ITERS ="
		echo "  $HTTP_ITERS iterations: $PF_GO_CAL); no \`--txn\`: every request a transaction."
	fi
	echo
	echo "Commands (the other sampling ways differ only in \`-F\` / \`--off-cpu\`):"
	echo
	for wl in "${PF_WLS[@]}"; do
		for k in u w off; do
			[ -n "${PF_CMD["$wl $k"]:-}" ] && echo "- $wl, ${PERF_WAY[$k]}: \`${PF_CMD["$wl $k"]}\`"
		done
	done
	echo
	echo "Rates, each run (pool: tasks/s; go: req/s):"
	echo
	echo "| program | round | order | untraced | weft, no sampling | -F 99 | -F 999 | -F 999 --off-cpu | CPU s busy outside the bench's processes, of the round's CPU-s |"
	echo "|---|---|---|---|---|---|---|---|---|"
	printf '%s\n' "${PF_RUN_ROWS[@]}"
	echo
	echo "The last column tells a clean round: other work on the machine, or kernel"
	echo "threads (softirqs, some of them for our own runs), took that much CPU"
	echo "during the round."
	echo
	echo "Medians. *Added us* = 1e6 / rate - 1e6 / the other's rate: wall time"
	echo "added per task or request. CPU s: \`time\` of the whole run (traced: the"
	echo "target and weft). Samples, off-CPU spans, file MiB/s: from the record file"
	echo "(\`profile.samples_taken\`, spans of 100 us and more while working for a"
	echo "transaction or outside any, file size / \`capture.duration_ns\`)."
	echo
	echo "| program | way | rate | of untraced | slowdown vs untraced | of weft without sampling | added us vs untraced | added us vs weft without sampling | CPU s | samples | off-CPU spans | record file MiB/s |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
	printf '%s\n' "${PF_SUM[@]}"
	echo
	echo "Every traced run (counts as expected: the transactions, pool $pool_batches, go"
	echo "$((HTTP_REQS + HTTP_CLIENTS)); samples with \`-F\` and none without; the lost and"
	echo "evicted columns must be 0, lost samples too):"
	echo
	echo "| program | way | round | rate | capture s | events | samples | lost samples | off-CPU spans | lost / evicted | transactions | file bytes | file MiB/s | counts as expected |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
	printf '%s\n' "${PF_DETAIL[@]}"
	echo
	echo "### 7b. Record file bytes per second of capture at 999 Hz"
	echo
	echo "Flat out (7a, medians; each second of capture is a second of a saturated"
	echo "2-CPU machine):"
	echo
	echo "| program | way | record file MiB/s | MiB per minute |"
	echo "|---|---|---|---|"
	for wl in "${PF_WLS[@]}"; do
		for k in w f99 f999 off; do
			awk -v wl="$wl" -v way="${PERF_WAY[$k]}" -v b="$(perf_med "${PF_BPS["$wl $k"]:-}")" -v k="$k" 'BEGIN {
				if (b == "nan") exit
				if (k == "f999" || k == "off") printf "| %s | %s | **%.2f** | %.0f |\n", wl, way, b / 1048576, 60 * b / 1048576
				else printf "| %s | %s | %.2f | %.0f |\n", wl, way, b / 1048576, 60 * b / 1048576 }'
		done
	done
	echo
	if [ -n "$PF_GO_NOTE" ]; then
		echo "The one-minute record of 7c: $PF_GO_NOTE"
	elif [ -n "$PF_REC_ROW" ]; then
		echo "A server under a steady load (7c's one-minute record: $PERF_REC_RATE req/s, -F 999 --off-cpu):"
		echo
		echo "| timed requests | req/s | capture s | events | samples | off-CPU spans | lost / evicted / lost samples | transactions | file bytes | bytes per event | file bytes per second of capture | CPU s of the run (target + weft) |"
		echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
		echo "$PF_REC_ROW"
	fi
	echo
	echo "### 7c. \`weft report\` and its exports on a one-minute record file"
	echo
	if [ -n "$PF_GO_NOTE" ]; then
		echo "$PF_GO_NOTE"
	elif [ -z "$PF_REC_ROW" ]; then
		echo "(no record file: see the problems below)"
	else
		echo "gohttpbench paced at $PERF_REC_RATE requests/s (\`\$GOHTTPBENCH_RATE\`), $((PERF_REC_S * PERF_REC_RATE)) timed"
		echo "requests: $PERF_REC_S s, recorded at 999 Hz with off-CPU time (its figures: 7b):"
		echo
		echo "\`$PF_REC_SHOW\`"
		echo
		echo "Then \`weft report\` of that file ($((PF_REC_SIZE / 1048576)) MiB, $PF_REC_EV events) in each format, pinned"
		echo "to one CPU (weft report is single-threaded), $PERF_REPLAY_RUNS runs each, output to a"
		echo "file in the temporary directory; \`/usr/bin/time\`: wall and CPU s, max RSS."
		echo "\`folded --off-cpu\`: the off-CPU flame graph (microseconds blocked)."
		echo
		echo "| format | wall s, each run | wall s (median) | CPU s (median) | max RSS MiB (median) | output bytes | command |"
		echo "|---|---|---|---|---|---|---|"
		printf '%s\n' "${PF_REPLAY[@]}"
	fi
	echo
	if [ -n "${PF_ALONE:-}" ]; then
		echo "Problems seen in this run of section 7:"
		echo
		if [ ${#PROBLEMS[@]} = 0 ]; then
			echo "None: every traced run counted the expected transactions, with 0 lost"
			echo "events, 0 evictions and 0 lost samples; no process or uprobe was left behind."
		else
			for p in "${PROBLEMS[@]}"; do echo "- $p"; done
		fi
		echo
	fi
}

# perf_splice FILE BLOCK: BLOCK replaces FILE's "## 7." section (up to the
# next "## " heading), or goes before "## Problems seen in this run", or at
# the end
perf_splice() {
	python3 - "$1" "$2" <<'EOF'
import sys
out, blk = sys.argv[1], open(sys.argv[2]).read().rstrip("\n").split("\n") + [""]
try:
    lines = open(out).read().rstrip("\n").split("\n")
except FileNotFoundError:
    lines = ["# Benchmarks", ""]
start = next((i for i, l in enumerate(lines) if l.startswith("## 7.")), None)
if start is not None:
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    lines[start:end] = blk
else:
    at = next((i for i, l in enumerate(lines) if l.startswith("## Problems seen in this run")), None)
    if at is None:
        lines += [""] + blk
    else:
        lines[at:at] = blk
open(out, "w").write("\n".join(lines).rstrip("\n") + "\n")
EOF
}

# section 7 alone: run it, replace its part of BENCH_OUT, keep the rest
if [ "$ONLY" = 7 ]; then
	NODE_PROBED=()
	PF_ALONE=1
	PF_RUN="alone: \`bash tools/bench.sh 7\` (\`make bench ONLY=7\`); sections 1-6 are from the run described at the top"
	if [ "${NO_PERF:-0}" != 1 ]; then
		perf_section
		LEFT_PROCS=$(our_procs)
		LEFT_UPROBES=$(leftover_uprobes)
		[ -z "$LEFT_PROCS" ] || problem "processes left behind: $LEFT_PROCS"
		[ -z "$LEFT_UPROBES" ] || problem "uprobes left behind: $LEFT_UPROBES"
	fi
	perf_md >"$W/perf.md"
	perf_splice "$BENCH_OUT" "$W/perf.md" || die "cannot write $BENCH_OUT"
	note "wrote section 7 into $BENCH_OUT (${PF_T} s)"
	cat "$W/perf.md"
	[ ${#PROBLEMS[@]} = 0 ]
	exit
fi

# ------------------------------------------------------- 1. probe cost

PC_ROWS=()
PC_CMDS=()
declare -A PC_NS # label -> ns/hit

# probe_case LABEL KIND PROBE_NAME BIN MODE ITER [WEFT SPEC ARGS...]
# PROBE_NAME: the probe whose hits weft must count (JSON capture.probes[].name).
probe_case() {
	local label=$1 kind=$2 pname=$3 bin=$4 mode=$5 iter=$6
	shift 6
	local r ns u_all=() t_all=() hits_bad="" tramp=0 lostev="" hits want=$((iter + WARMUP)) cap ev_all=()
	local -a tcmd=(env PROBE_COST_MAPS=1 "$WEFT" trace --format json -o "$W/pc.json" "$@" -- "$bin" "$mode" "$iter")
	local -a ucmd=("$bin" "$mode" "$iter")
	note "probe cost: $label ($REPS x untraced + traced, alternating)"
	for ((r = 0; r < REPS; r++)); do
		ns=$("${ucmd[@]}" 2>/dev/null | awk '{ print $3 }')
		[ -n "$ns" ] || die "$(showcmd "${ucmd[@]}") failed"
		u_all+=("$ns")
		rm -f "$W/pc.json"
		ns=$("${tcmd[@]}" 2>"$W/pc.err" | awk '$1 == "'"$mode"'" { print $3 }')
		if [ -z "$ns" ] || [ ! -s "$W/pc.json" ]; then
			problem "probe cost $label: '$(showcmd "${tcmd[@]}")' failed: $(grep -v '^probe_cost: maps' "$W/pc.err" | head -3 | tr '\n' ' ')"
			continue
		fi
		t_all+=("$ns")
		grep -q 'uprobes-trampoline' "$W/pc.err" && tramp=$((tramp + 1))
		cap=$(json_capture "$W/pc.json")
		hits=$(awk -v n="$pname" '$1 == n { print $2 }' <<<"$cap")
		[ "${hits:-0}" = "$want" ] || hits_bad+=" ${hits:-0}"
		read -r ev l e _ <<<"$cap"
		ev_all+=("$ev")
		[ "$l" = 0 ] && [ "$e" = 0 ] || lostev+=" run $((r + 1)): lost $l evicted $e;"
	done
	local um tm per
	um=$(printf '%s\n' "${u_all[@]}" | median)
	if [ ${#t_all[@]} = 0 ]; then
		PC_ROWS+=("| $label | \`$PROBE_SITE\` | $kind | $iter | $um | - | - | - | - | - | - |")
		return
	fi
	tm=$(printf '%s\n' "${t_all[@]}" | median)
	per=$(awk -v t="$tm" -v u="$um" 'BEGIN { printf "%.0f", t - u }')
	PC_NS[$label]=$per
	[ -z "$hits_bad" ] || problem "probe cost $label: weft counted$hits_bad hits on $pname, expected $want per run"
	[ -z "$lostev" ] || problem "probe cost $label:$lostev"
	PC_ROWS+=("| $label | \`$PROBE_SITE\` | $kind | $iter | $um | $(
		IFS=/
		echo "${t_all[*]}"
	) | **$per** | $([ -z "$hits_bad" ] && echo "all $want" || echo "expected $want, got$hits_bad") | $(printf '%s\n' "${ev_all[@]}" | median) | $([ -z "$lostev" ] && echo "0 / 0" || echo "$lostev") | $tramp/${#t_all[@]} |")
	PC_CMDS+=("$label" "$(showcmd "${ucmd[@]}")" "$(showcmd "${tcmd[@]}")")
}

PROBE_SITE="$(first_insn "$PC" bench_plain_fn) (first insn of bench_plain_fn)"
probe_case "uprobe, function entry, single-stepped" "int3 + single-step out of line" bench_plain_fn \
	"$PC" plain "$ITER_SLOW" --task-begin bench_plain_fn:arg0
PROBE_SITE="$(first_insn "$PC" bench_push_fn) (first insn of bench_push_fn)"
probe_case "uprobe, function entry, emulated" "int3 + instruction emulated" bench_push_fn \
	"$PC" push "$ITER" --task-begin bench_push_fn:arg0
PROBE_SITE="$(first_insn "$PC" bench_push_fn) (first insn of bench_push_fn)"
probe_case "uprobe, function entry, emulated, 2 events per hit" "int3 + instruction emulated" bench_push_fn \
	"$PC" push "$ITER_SLOW" --task-create bench_push_fn:arg0
PROBE_SITE="nop5: 0f 1f 44 00 00"
probe_case "weft.h USDT marker" "nop5 -> call to uprobe trampoline" task_begin \
	"$PC" weft "$ITER"
PROBE_SITE="nop: 90"
probe_case "sys/sdt.h USDT marker" "int3 + nop emulated" task_begin \
	"$PCS" weft "$ITER"

# bpftrace cross-check (optional)
BT_CMD=(env ITER=200000 REPS=5 bash tests/bench/probe_cost.sh "$PC" "$PCS")
BT_OUT=""
if [ "${NO_BPFTRACE:-0}" = 1 ]; then
	BT_OUT="skipped (NO_BPFTRACE=1)"
else
	note "probe cost: bpftrace cross-check: $(showcmd "${BT_CMD[@]}")"
	BT_OUT=$("${BT_CMD[@]}" 2>"$W/bt.err")
	[ -n "$BT_OUT" ] || BT_OUT="no output: $(head -3 "$W/bt.err")"
	BT_VER=$(bpftrace --version 2>/dev/null)
fi

# ------------------------------------------- 2. overhead on a thread pool

POOL_ARGS=("$POOL_TASKS" "$POOL_BATCH" "$POOL_WORKERS" "$POOL_WORK")
POOL_EXTRA=() # --ringbuf-mb / --max-tasks, if the defaults lose events
POOL_NOTES=()
pool_batches=$(((POOL_TASKS + POOL_BATCH - 1) / POOL_BATCH))
POOL_ROWS=()
pu_all=() pt_all=() pu_cpu=() pt_cpu=()

# pool_rate FILE -> tasks_per_s from pool_bench's line
pool_rate() { sed -n 's/^pool_bench .*tasks_per_s=\([0-9.]*\).*/\1/p' "$1" | tail -1; }


for ((r = 1; r <= POOL_RUNS; r++)); do
	note "pool: run $r/$POOL_RUNS untraced, then traced"
	PU_CMD=("$POOL" "${POOL_ARGS[@]}")
	tm=$(run_timed /dev/null "$W/pu.err" "${PU_CMD[@]}")
	rate=$(pool_rate "$W/pu.err")
	[ -n "$rate" ] || die "$(showcmd "${PU_CMD[@]}") failed: $(head -3 "$W/pu.err")"
	pu_all+=("$rate")
	pu_cpu+=("$(awk '{ print $2 + $3 }' <<<"$tm")")

	for _ in 1 2; do
		PT_CMD=("$WEFT" trace --format json -o "$W/pool.json" "${POOL_EXTRA[@]}" "${POOL_SPECS[@]}" -- "$POOL" "${POOL_ARGS[@]}")
		rm -f "$W/pool.json"
		tm=$(run_timed /dev/null "$W/pt.err" "${PT_CMD[@]}")
		trate=$(pool_rate "$W/pt.err")
		if [ -z "$trate" ] || [ ! -s "$W/pool.json" ]; then
			problem "pool: '$(showcmd "${PT_CMD[@]}")' failed: $(grep -v pool_bench "$W/pt.err" | head -3 | tr '\n' ' ')"
			break
		fi
		cap=$(json_capture "$W/pool.json")
		read -r ev lost evicted uphits <<<"$cap"
		if [ "$lost" != 0 ] || [ "$evicted" != 0 ]; then
			if [ ${#POOL_EXTRA[@]} = 0 ]; then
				POOL_NOTES+=("Run $r with the default map sizes: $lost lost events, $evicted evicted; from then on with \`--ringbuf-mb 64 --max-tasks 1048576\`.")
				problem "pool run $r: $lost lost events, $evicted evicted with the default --ringbuf-mb/--max-tasks; retrying with larger maps"
				POOL_EXTRA=(--ringbuf-mb 64 --max-tasks 1048576)
				continue
			fi
			problem "pool run $r: $lost lost events, $evicted evicted even with ${POOL_EXTRA[*]}"
		fi
		pt_all+=("$trate")
		pt_cpu+=("$(awk '{ print $2 + $3 }' <<<"$tm")")
		h_batch=$(awk '$1 == "handle_batch" { print $2 }' <<<"$cap")
		h_submit=$(awk '$1 == "submit_task" { print $2 }' <<<"$cap")
		h_run=$(awk '$1 == "run_task" { print $2 }' <<<"$cap")
		ntx=$(awk '$1 == "txns" { print $2 }' <<<"$cap")
		ok=yes
		[ "${h_batch:-0}" = $((2 * pool_batches)) ] || ok="no: handle_batch hits ${h_batch:-0}, expected $((2 * pool_batches))"
		[ "${h_submit:-0}" = "$POOL_TASKS" ] || ok="no: submit_task hits ${h_submit:-0}, expected $POOL_TASKS"
		[ "${h_run:-0}" = $((2 * POOL_TASKS)) ] || ok="no: run_task hits ${h_run:-0}, expected $((2 * POOL_TASKS))"
		[ "$ntx" = "$pool_batches" ] || ok="no: $ntx transactions, expected $pool_batches"
		[ "$ok" = yes ] || problem "pool run $r: counts: $ok"
		POOL_ROWS+=("| $r | ${pu_all[-1]} | $trate | $ev | $lost | $evicted | $uphits | $(awk -v h="$uphits" -v n="$POOL_TASKS" 'BEGIN { printf "%.3f", h / n }') | $ok |")
		break
	done
done
PU_SHOW=$(showcmd "${PU_CMD[@]}")
PT_SHOW=$(showcmd "${PT_CMD[@]}")
pu_med=$(printf '%s\n' "${pu_all[@]}" | median)
pt_med=$(printf '%s\n' "${pt_all[@]:-}" | median)
pu_cpu_med=$(printf '%s\n' "${pu_cpu[@]}" | median)
pt_cpu_med=$(printf '%s\n' "${pt_cpu[@]:-}" | median)

# ------------------------------------------------------- 3. model replay

REC_ARGS=("$REC_TASKS" "$POOL_BATCH" "$POOL_WORKERS" "$POOL_WORK")
REC_FILE=$W/big.weft
REC_CMD=("$WEFT" record -o "$REC_FILE" "${POOL_EXTRA[@]}" "${POOL_SPECS[@]}" -- "$POOL" "${REC_ARGS[@]}")
note "replay: $(showcmd "${REC_CMD[@]}")"
"${REC_CMD[@]}" >/dev/null 2>"$W/rec.err" || problem "'$(showcmd "${REC_CMD[@]}")' failed: $(head -3 "$W/rec.err" | tr '\n' ' ')"
REPLAY_ROWS=()
if [ -s "$REC_FILE" ]; then
	rec_size=$(stat -c %s "$REC_FILE")
	"$WEFT" report "$REC_FILE" --format json -o "$W/rec.json" 2>"$W/rep.err" ||
		problem "weft report $REC_FILE --format json failed: $(head -3 "$W/rep.err")"
	read -r rec_events rec_lost rec_evicted _ <<<"$(json_capture "$W/rec.json")"
	[ "$rec_lost" = 0 ] && [ "$rec_evicted" = 0 ] || problem "record: $rec_lost lost events, $rec_evicted evicted"
	[ "$rec_events" -ge 500000 ] || note "record: only $rec_events events (< 500000): raise REC_TASKS"
	rec_told=$(sed -n 's/.*weft record: \([0-9]*\) events.*/\1/p' "$W/rec.err")
	[ "${rec_told:-x}" = "$rec_events" ] || problem "record said ${rec_told:-nothing} events, the report of its file has $rec_events"
	for fmt in json text; do
		RP_CMD=(taskset -c 0 "$WEFT" report "$REC_FILE" --format "$fmt")
		walls=() cpus=()
		for ((r = 0; r < REPLAY_RUNS; r++)); do
			tm=$(run_timed /dev/null "$W/rp.err" "${RP_CMD[@]}") || problem "$(showcmd "${RP_CMD[@]}") failed: $(head -2 "$W/rp.err")"
			walls+=("$(awk '{ print $1 }' <<<"$tm")")
			cpus+=("$(awk '{ print $2 + $3 }' <<<"$tm")")
		done
		wm=$(printf '%s\n' "${walls[@]}" | median)
		cm=$(printf '%s\n' "${cpus[@]}" | median)
		REPLAY_ROWS+=("| $fmt | $(
			IFS=/
			echo "${walls[*]}"
		) | $wm | $cm | **$(awk -v e="$rec_events" -v w="$wm" 'BEGIN { printf "%.2f", (w > 0 ? e / w / 1e6 : 0) }')** | \`$(showcmd "${RP_CMD[@]}") > /dev/null\` |")
	done
fi

# ------------------------------------------------------------------ 4. Go

# go_json FILE EXPECT_NAME EXPECT_SEGS -> one line: events lost evicted
# goroutine_hits created ended txn_hits txns good_txns txn_goroutines, where
# created = goroutine segments not preattach, ended = those with an end,
# txn_hits = the --txn probes' hits, good_txns = transactions named
# EXPECT_NAME (any name if "-") with EXPECT_SEGS segments and no leak,
# txn_goroutines = segments created inside transactions.
go_json() {
	python3 - "$@" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
name, segs = sys.argv[2], int(sys.argv[3])
c = d["capture"]
gh = sum(p["hits"] for p in c["probes"] if p["name"] == "goroutine")
th = sum(p["hits"] for p in c["probes"] if p["spec"].startswith("--txn"))
g = [s for s in d["segments"] if s["kind"] == "goroutine"]
created = sum(1 for s in g if not s["preattach"])
ended = sum(1 for s in g if s["end_ns"] is not None)
t = d["transactions"]
good = sum(1 for x in t if (name == "-" or x["name"] == name) and x["segments"] == segs and not x["leaked"])
print(c["events"], c["lost_events"], c["evicted"], gh, created, ended, th, len(t), good,
      sum(x["segments"] for x in t))
EOF
}

# Go probe sites: "probe|function|instruction|kernel path" rows for BIN
# (objdump in DUMP). Entry probes of --txn and the exit function, RETs of
# newproc1 and of the --txn function.
insn_path() {
	case $1 in
	push* | nop* | jmp* | call* | j[a-z]*) echo "emulated" ;;
	*) echo "single-stepped" ;;
	esac
}
# go_insn DUMP SYM WHICH: WHICH = entry (first insn), after (the insn after
# the stack-check branch, where weft puts a --txn entry probe), rets (the
# RET instructions: "N x ret").
go_insn() {
	awk -v s="<$2>:" -v w="$3" '
		function txt(l) { sub(/^[ \t]*[0-9a-f]+:[ \t]*/, "", l); sub(/[ \t]*#.*/, "", l);
				  gsub(/[ \t]+/, " ", l); return l }
		$2 == s { p = 1; n = 0; next }
		p && /^$/ { exit }
		p { n++; i = txt($0)
		    if (w == "entry") { print i; exit }
		    if (w == "after") { if (take) { print i; exit } if (n <= 8 && i ~ /^j(be|b|ae|a) /) take = 1 }
		    if (w == "rets" && i ~ /^ret/) r++ }
		END { if (w == "rets") print r " x ret" }' "$1"
}

GO_VERS=""
[ "${NO_GO:-0}" = 1 ] || GO_VERS=$(bash tools/go-versions.sh 2>/dev/null)
GO_NOTE=""
SPAWN_ROWS=() SPAWN_SUM=() GO_SITE_ROWS=() HTTP_ROWS=() SPAWN_CMDS=()
declare -A SP_TRAPS SP_UMED SP_TMED
if [ "${NO_GO:-0}" = 1 ]; then
	GO_NOTE="skipped (NO_GO=1)"
elif [ -z "$GO_VERS" ]; then
	GO_NOTE="skipped: no Go toolchain installed (tools/install-deps.sh installs them)"
else
	read -r GO_V GO_BIN <<<"$(tail -1 <<<"$GO_VERS")"
	GO_OLD_BIN=$(awk '$1 == "1.19" { print $2 }' <<<"$GO_VERS")
	[ "$GO_V" != 1.19 ] && [ "$SPAWN_OLD_RUNS" -gt 0 ] || GO_OLD_BIN=""
	GS=$W/gospawn-$GO_V
	GH=$W/gohttpbench-$GO_V
	note "go: building tests/bench/gospawn.go, gohttpbench.go with Go $GO_V${GO_OLD_BIN:+ (and gospawn with 1.19)}"
	go_build "$GO_BIN" "$GS" tests/bench/gospawn.go
	go_build "$GO_BIN" "$GH" tests/bench/gohttpbench.go
	GO_BUILD_SHOW=$(showcmd "${GO_ENV[@]}" "$GO_BIN" build -buildvcs=false -o "$GS" tests/bench/gospawn.go)
	[ -z "$GO_OLD_BIN" ] || go_build "$GO_OLD_BIN" "$W/gospawn-1.19" tests/bench/gospawn.go

	# ---- 4a. goroutine spawn
	spawn_batches=$(((SPAWN_N + SPAWN_BATCH - 1) / SPAWN_BATCH))
	spawn_n=$((spawn_batches * SPAWN_BATCH))
	spawn_rate() { sed -n 's/^gospawn .*goroutines_per_s=\([0-9.]*\).*/\1/p' "$1" | tail -1; }

	# spawn_bench VERSION BIN RUNS [lean]
	spawn_bench() {
		local v=$1 bin=$2 runs=$3 lean=${4:-} r tm rate trate cap ok
		local u=() t=() uc=() tc=() traps=() ev lost evicted gh created ended th ntx good tseg
		for ((r = 1; r <= runs; r++)); do
			note "go $v spawn: run $r/$runs untraced, then traced"
			local -a ucmd=("$bin" "$SPAWN_N" "$SPAWN_BATCH")
			local -a tcmd=("$WEFT" trace ${lean:+--go-lean} --format json -o "$W/gs.json" --txn main.spawnBatch -- "$bin" "$SPAWN_N" "$SPAWN_BATCH")
			tm=$(run_timed /dev/null "$W/gu.err" "${ucmd[@]}")
			rate=$(spawn_rate "$W/gu.err")
			[ -n "$rate" ] || die "$(showcmd "${ucmd[@]}") failed: $(head -3 "$W/gu.err")"
			u+=("$rate")
			uc+=("$(awk '{ print $2 + $3 }' <<<"$tm")")
			rm -f "$W/gs.json"
			tm=$(run_timed /dev/null "$W/gt.err" "${tcmd[@]}")
			trate=$(spawn_rate "$W/gt.err")
			if [ -z "$trate" ] || [ ! -s "$W/gs.json" ]; then
				problem "go $v spawn: '$(showcmd "${tcmd[@]}")' failed: $(grep -v '^gospawn ' "$W/gt.err" | head -3 | tr '\n' ' ')"
				continue
			fi
			t+=("$trate")
			tc+=("$(awk '{ print $2 + $3 }' <<<"$tm")")
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
			traps+=("$(awk -v h="$gh" -v n="$created" 'BEGIN { printf "%.4f", h / n }')")
			SPAWN_ROWS+=("| $v${lean:+ --go-lean} | $r | $rate | $trate | $ev | $lost | $evicted | $created | $ended | $gh | ${traps[-1]} | $th | $ok |")
		done
		SPAWN_CMDS+=("$v${lean:+ --go-lean}" "$(showcmd "${ucmd[@]}")" "$(showcmd "${tcmd[@]}")")
		[ ${#t[@]} -gt 0 ] || return 0
		local um tm_ ucm tcm
		um=$(printf '%s\n' "${u[@]}" | median)
		tm_=$(printf '%s\n' "${t[@]}" | median)
		ucm=$(printf '%s\n' "${uc[@]}" | median)
		tcm=$(printf '%s\n' "${tc[@]}" | median)
		[ -n "$lean" ] && v="$v --go-lean"
		SP_UMED[$v]=$um SP_TMED[$v]=$tm_
		SP_TRAPS[$v]=$(printf '%s\n' "${traps[@]}" | median)
		SPAWN_SUM+=("$(awk -v v="$v" -v u="$um" -v t="$tm_" -v uc="$ucm" -v tc="$tcm" -v n="$spawn_n" -v tr="${SP_TRAPS[$v]}" -v runs="$runs" 'BEGIN {
			printf "| %s | %d | %.0f | %.0f | %.1f%% (%.1fx slower) | %.2f | %.2f / %.2f | %.2f | %s |", v, runs, u, t, 100 * t / u, u / t,
				1e6 / t - 1e6 / u, uc, tc, (tc - uc) * 1e6 / n, tr }')")
	}

	spawn_bench "$GO_V" "$GS" "$SPAWN_RUNS"
	spawn_bench "$GO_V" "$GS" "$SPAWN_RUNS" lean
	[ -z "$GO_OLD_BIN" ] || spawn_bench 1.19 "$W/gospawn-1.19" "$SPAWN_OLD_RUNS"

	# where weft's Go probes are, and how the kernel takes them
	go_sites() { # VERSION BIN TXN_SYM [txn-only]
		local v=$1 bin=$2 txn=$3 dump=$W/objdump.txt exitf i
		objdump -d --no-show-raw-insn "$bin" >"$dump" 2>/dev/null
		exitf=runtime.gdestroy
		grep -q '<runtime.gdestroy>:' "$dump" || exitf=runtime.goexit0
		if [ -z "${4:-}" ]; then
			i=$(go_insn "$dump" runtime.newproc1 rets)
			GO_SITE_ROWS+=("| $v | creation: each RET of \`runtime.newproc1\` | \`$i\` | $(insn_path "${i#* x }") |")
			i=$(go_insn "$dump" "$exitf" entry)
			GO_SITE_ROWS+=("| $v | exit: entry of \`$exitf\` | \`$i\` | $(insn_path "$i") |")
		fi
		i=$(go_insn "$dump" "$txn" after)
		GO_SITE_ROWS+=("| $v | --txn: \`$txn\` past the stack check | \`$i\` | $(insn_path "$i") |")
		i=$(go_insn "$dump" "$txn" rets)
		GO_SITE_ROWS+=("| $v | --txn: each RET of \`$txn\` | \`$i\` | $(insn_path "${i#* x }") |")
		rm -f "$dump"
	}
	go_sites "$GO_V" "$GS" main.spawnBatch
	[ -z "$GO_OLD_BIN" ] || go_sites 1.19 "$W/gospawn-1.19" main.spawnBatch
	go_sites "$GO_V (gohttpbench)" "$GH" net/http.serverHandler.ServeHTTP txn-only

	# ---- 4b. net/http
	cal=()
	for _ in 1 2 3; do
		cal+=("$("$GH" calibrate "$HTTP_WORK_US" 2>&1 | sed -n 's/.*iters=\([0-9]*\).*/\1/p')")
	done
	HTTP_ITERS=$(printf '%s\n' "${cal[@]}" | median)
	[ -n "$HTTP_ITERS" ] && [ "$HTTP_ITERS" != nan ] || die "$GH calibrate $HTTP_WORK_US failed"
	HTTP_CAL_SHOW="\`$(showcmd "$GH" calibrate "$HTTP_WORK_US")\` (3 runs: $(
		IFS=/
		echo "${cal[*]}"
	); median $HTTP_ITERS)"
	HTTP_ARGS=("$HTTP_REQS" "$HTTP_CLIENTS" "$HTTP_FANOUT" "$HTTP_ITERS")
	http_n=$((HTTP_REQS + HTTP_CLIENTS)) # + the warm-up requests
	HU_CMD=("$GH" "${HTTP_ARGS[@]}")
	HW_CMD=("$WEFT" trace --format json -o "$W/gh.json" -- "$GH" "${HTTP_ARGS[@]}")
	HG_CMD=(env GOHTTPBENCH_TRACE="$W/go.trace" "$GH" "${HTTP_ARGS[@]}")
	http_rate() { sed -n 's/^gohttpbench .*req_per_s=\([0-9.]*\).*/\1/p' "$1" | tail -1; }
	hu=() hw=() hg=() huc=() hwc=() hgc=() hgsz=() htraps=() hgor=()
	# one run of each way; the order rotates from run to run, so no way
	# always follows the same other one
	http_u() {
		tm=$(run_timed /dev/null "$W/hu.err" "${HU_CMD[@]}")
		rate=$(http_rate "$W/hu.err")
		[ -n "$rate" ] || die "$(showcmd "${HU_CMD[@]}") failed: $(head -3 "$W/hu.err")"
		hu+=("$rate")
		huc+=("$(awk '{ print $2 + $3 }' <<<"$tm")")
	}
	http_w() {
		rm -f "$W/gh.json"
		tm=$(run_timed /dev/null "$W/hw.err" "${HW_CMD[@]}")
		wrate=$(http_rate "$W/hw.err")
		row_w="- | - | - | - | - | - | -"
		if [ -z "$wrate" ] || [ ! -s "$W/gh.json" ]; then
			problem "go http: '$(showcmd "${HW_CMD[@]}")' failed: $(grep -v '^gohttpbench ' "$W/hw.err" | head -3 | tr '\n' ' ')"
			wrate=-
			return
		fi
		hw+=("$wrate")
		hwc+=("$(awk '{ print $2 + $3 }' <<<"$tm")")
		read -r ev lost evicted gh created ended th ntx good tseg <<<"$(go_json "$W/gh.json" "GET /work" "$HTTP_FANOUT")"
		ok=yes
		[ "$gh" = $((created + ended)) ] || ok="no: goroutine hits $gh, expected created + ended = $((created + ended))"
		[ "$th" = $((2 * http_n)) ] || ok="no: ServeHTTP hits $th, expected $((2 * http_n))"
		[ "$ntx" = "$http_n" ] && [ "$good" = "$http_n" ] ||
			ok="no: $ntx transactions, $good of them \"GET /work\" with $HTTP_FANOUT goroutines and no leak, expected $http_n"
		[ "$lost" = 0 ] && [ "$evicted" = 0 ] || problem "go http run $r: $lost lost events, $evicted evicted"
		[ "$ok" = yes ] || problem "go http run $r: counts: $ok"
		htraps+=("$(awk -v h="$((gh + th))" -v n="$http_n" 'BEGIN { printf "%.2f", h / n }')")
		hgor+=("$(awk -v c="$created" -v n="$http_n" 'BEGIN { printf "%.2f", c / n }')")
		row_w="$ev | $lost / $evicted | $ntx | $created | ${hgor[-1]} | ${htraps[-1]} | $ok"
	}
	http_g() {
		rm -f "$W/go.trace"
		tm=$(run_timed /dev/null "$W/hg.err" "${HG_CMD[@]}")
		grate=$(http_rate "$W/hg.err")
		[ -n "$grate" ] || die "$(showcmd "${HG_CMD[@]}") failed: $(head -3 "$W/hg.err")"
		hg+=("$grate")
		hgc+=("$(awk '{ print $2 + $3 }' <<<"$tm")")
		hgsz+=("$(stat -c %s "$W/go.trace" 2>/dev/null || echo 0)")
	}
	HTTP_ORDERS=("u w g" "w g u" "g u w")
	declare -A HTTP_WAY=([u]=untraced [w]=weft [g]=runtime/trace)
	for ((r = 1; r <= HTTP_RUNS; r++)); do
		order=${HTTP_ORDERS[(r - 1) % 3]}
		ways=$(for k in $order; do printf '%s, ' "${HTTP_WAY[$k]}"; done)
		ways=${ways%, }
		note "go $GO_V http: run $r/$HTTP_RUNS: $ways"
		for k in $order; do "http_$k"; done
		HTTP_ROWS+=("| $r | $ways | $rate | $wrate | $grate | ${hgsz[-1]} | $row_w |")
	done
	rm -f "$W/go.trace" "$W/gh.json" "$W/gs.json"
	hu_med=$(printf '%s\n' "${hu[@]}" | median)
	hw_med=$(printf '%s\n' "${hw[@]:-}" | median)
	hg_med=$(printf '%s\n' "${hg[@]}" | median)
	huc_med=$(printf '%s\n' "${huc[@]}" | median)
	hwc_med=$(printf '%s\n' "${hwc[@]:-}" | median)
	hgc_med=$(printf '%s\n' "${hgc[@]}" | median)
	hgsz_med=$(printf '%s\n' "${hgsz[@]}" | median)
	htraps_med=$(printf '%s\n' "${htraps[@]:-}" | median)
	hgor_med=$(printf '%s\n' "${hgor[@]:-}" | median)
fi

# ----------------------------------------------------------------- 5. Node

# The Node binaries weft attaches to in section 5: leftover_uprobes checks
# them too (full paths, as /proc/PID/exe resolves).
NODE_PROBED=()
NODE_NOTE=""
NODE_ROWS=() NODE_SUM=() NODE_DOCS=() NODE_PROBE_ROWS=() NODE_VS=()
declare -A NODE_MED # "VERSION KEY" -> req/s (median)
declare -A NODE_X   # VERSION -> "weft's own CPU s: median, 3-request run; added server CPU us per request"
if [ "${NO_NODE:-0}" = 1 ]; then
	NODE_NOTE="skipped (NO_NODE=1)"
elif ! "$NODE_BIN" --version >/dev/null 2>&1; then
	NODE_NOTE="skipped: $NODE_BIN does not run (Debian's nodejs: make deps)"
else
	NODE_SRV=tests/bench/nodehttpbench.js
	NODE_LOAD=tests/bench/nodeload.js
	node_n=$((NODE_REQS + NODE_CONNS + 1)) # + 1 warm-up per connection + GET /exit
	node_rate() { sed -n 's/^nodeload .*req_per_s=\([0-9.]*\).*/\1/p' "$1" | tail -1; }
	# BPF run counts (bpftool prog show: run_cnt) exist while
	# kernel.bpf_stats_enabled is 1; this script does not change it.
	NODE_STATS=$(cat /proc/sys/kernel/bpf_stats_enabled 2>/dev/null)
	command -v bpftool >/dev/null || NODE_STATS=""

	# node_json FILE -> one line: events lost evicted async_hits http_hits
	# txns work_txns exit_txns good_work txn_resources resources, where
	# good_work = "GET /work" transactions with exactly one FSREQCALLBACK, no
	# leak and no conflation, txn_resources = async segments inside
	# transactions, resources = all async segments created while attached.
	node_json() {
		python3 - "$1" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
c = d["capture"]
def hits(n): return sum(p["hits"] for p in c["probes"] if p["name"] == n)
t = d["transactions"]
ids = {x["id"] for x in t}
roots = {x["root_segment"] for x in t}
a = [s for s in d["segments"] if s["kind"] == "async" and not s["preattach"]]
inside = [s for s in a if s["txn"] in ids and s["id"] not in roots]
fs = {}
for s in inside:
    if s["start"] == "FSREQCALLBACK":
        fs[s["txn"]] = fs.get(s["txn"], 0) + 1
work = [x for x in t if x["name"] == "GET /work"]
good = sum(1 for x in work if fs.get(x["id"]) == 1 and not x["leaked"] and x["conflated_with"] is None)
print(c["events"], c["lost_events"], c["evicted"], hits("async"), hits("node:http"), len(t), len(work),
      sum(1 for x in t if x["name"] == "GET /exit"), good, len(inside), len(a))
EOF
	}

	# node_traps BEFORE AFTER: weft's Node programs, those in AFTER (bpftool
	# -j prog show) that BEFORE did not have -> "async_traps http_traps
	# name=runs,..." (a uprobe hit runs its program once: the run counts add
	# up to the traps); "-" if the counts cannot be told (no run_cnt, or a
	# program name twice: another weft loaded at the same time).
	node_traps() {
		python3 - "$1" "$2" <<'EOF'
import json, sys
def load(f):
    try:
        return json.load(open(f))
    except Exception:
        return []
old = {p["id"] for p in load(sys.argv[1])}
new = [p for p in load(sys.argv[2]) if p["id"] not in old and p.get("name", "").startswith("node_")]
names = [p["name"] for p in new]
# bpftool leaves run_cnt out of a program that never ran; none at all:
# no run counts (kernel.bpf_stats_enabled 0)
if not new or len(set(names)) != len(names) or not any("run_cnt" in p for p in new):
    print("-"); sys.exit()
runs = {p["name"]: p.get("run_cnt", 0) or 0 for p in new}
http = sum(v for k, v in runs.items() if k in ("node_http_url", "node_try_write"))
print(sum(runs.values()) - http, http, ",".join("%s=%d" % kv for kv in sorted(runs.items())))
EOF
	}

	# node_stop: what is left of a failed run (weft first: SIGTERM detaches
	# its probes; then the server), by pid, from our processes.
	node_stop() {
		local p i
		for p in $(our_procs); do
			[ "$(readlink "/proc/$p/exe" 2>/dev/null)" = "$ROOT/$WEFT" ] && kill -TERM "$p" 2>/dev/null
		done
		for ((i = 0; i < 30; i++)); do
			[ -z "$(our_procs)" ] && break
			sleep 0.1
		done
		for p in $(our_procs); do kill -KILL "$p" 2>/dev/null; done
		wait 2>/dev/null
	}

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

	# node_way KEY: one run of that way. The server starts in the background
	# (under bash `time`: for weft, weft and its target); once its port file
	# is there, nodeload sends the load; then (weft) the BPF run counts are
	# read, and nodeload sends GET /exit, at which the server prints its CPU
	# time and exits (and weft with it). Appends to NR_KEY (req/s), NC_KEY
	# (server CPU s); for w also NX (weft's own CPU s), the JSON figures and
	# NROW_W (the row's weft columns).
	node_way() {
		local k=$1 bg i port rate rc srv cpu tot why ok tcnt=- tr_a tr_h tr_runs
		local ev lost evicted ah hh ntx nwork nexit good tres res
		node_cmd "$k"
		rm -f "$W/node.port" "$W/node.json" "$W/nl.out" "$W/nl.err" "$W/nx.err"
		[ "$k" = w ] && [ -n "$NODE_STATS" ] && bpftool -j prog show >"$W/progs0.json" 2>/dev/null
		run_timed /dev/null "$W/ns.err" "${NCMD[@]}" >"$W/ns.time" &
		bg=$!
		for ((i = 0; i < 400; i++)); do # 20 s
			[ -s "$W/node.port" ] && break
			kill -0 "$bg" 2>/dev/null || break
			sleep 0.05
		done
		port=$(cat "$W/node.port" 2>/dev/null)
		rate=""
		if [ -n "$port" ]; then
			"$NODE" "$NODE_LOAD" "$port" "$NODE_REQS" "$NODE_CONNS" >"$W/nl.out" 2>"$W/nl.err"
			rate=$(node_rate "$W/nl.out")
			grep -q " conns=$NODE_CONNS " "$W/nl.out" || rate=""
			if [ "$k" = w ] && [ -n "$NODE_STATS" ]; then
				bpftool -j prog show >"$W/progs1.json" 2>/dev/null
				tcnt=$(node_traps "$W/progs0.json" "$W/progs1.json")
			fi
			"$NODE" "$NODE_LOAD" "$port" 0 0 --exit >/dev/null 2>"$W/nx.err"
		fi
		for ((i = 0; i < 600; i++)); do # 30 s for the server (and weft) to exit
			kill -0 "$bg" 2>/dev/null || break
			sleep 0.05
		done
		kill -0 "$bg" 2>/dev/null && node_stop
		wait "$bg"
		rc=$?
		# the server's line at GET /exit: served, CPU us
		srv=$(sed -n 's/^nodehttpbench served=\([0-9]*\) user_us=\([0-9]*\) system_us=\([0-9]*\)$/\1 \2 \3/p' "$W/ns.err")
		[ "${srv%% *}" = "$node_n" ] || rate=""
		why="'$(showcmd "${NCMD[@]}")' (exit $rc${port:+, port $port}${srv:+, served ${srv%% *} of $node_n}), load: $(
			cat "$W/nl.err" "$W/nl.out" "$W/nx.err" 2>/dev/null | head -c 300 | tr '\n' ' '
		)server: $(grep -v '^weft: \(attached\|target\)' "$W/ns.err" | head -3 | tr '\n' ' ')"
		if [ "$k" != w ]; then
			[ -n "$rate" ] && [ "$rc" = 0 ] || die "node $NODE_V ${NODE_WAY[$k]}: $why"
		elif [ -z "$rate" ] || [ "$rc" != 0 ] || [ ! -s "$W/node.json" ]; then
			problem "node $NODE_V weft run $r failed: $why"
			NROW_W="- | - | - | - | - | - | - | - | - | -"
			NR_w+=(-)
			return
		fi
		cpu=$(awk '{ printf "%.3f", ($2 + $3) / 1e6 }' <<<"$srv")
		local -n nr="NR_$k" nc="NC_$k"
		nr+=("$rate")
		nc+=("$cpu")
		[ "$k" = w ] || return 0
		tot=$(awk '{ print $2 + $3 }' "$W/ns.time")
		NX+=("$(awk -v t="$tot" -v c="$cpu" 'BEGIN { printf "%.2f", t - c }')")
		read -r ev lost evicted ah hh ntx nwork nexit good tres res <<<"$(node_json "$W/node.json")"
		ok=yes
		[ "$nexit" = 1 ] || ok="no: $nexit \"GET /exit\" transactions, expected 1"
		[ "$good" = "$nwork" ] ||
			ok="no: $good of $nwork \"GET /work\" transactions with one FSREQCALLBACK, no leak, no conflation"
		[ "$ntx" = "$node_n" ] && [ "$nwork" = $((node_n - 1)) ] ||
			ok="no: $ntx transactions ($nwork \"GET /work\"), expected $node_n ($((node_n - 1)) \"GET /work\" + \"GET /exit\")"
		[ "$lost" = 0 ] && [ "$evicted" = 0 ] || problem "node $NODE_V weft run $r: $lost lost events, $evicted evicted"
		[ "$ok" = yes ] || problem "node $NODE_V weft run $r: counts: $ok"
		NT_HIT+=("$(awk -v h="$((ah + hh))" -v n="$ntx" 'BEGIN { printf "%.2f", n ? h / n : 0 }')")
		NT_RES+=("$(awk -v r="$tres" -v n="$ntx" 'BEGIN { printf "%.3f", n ? r / n : 0 }')")
		# run counts: read after the load, before GET /exit: node_n - 1 requests
		if [ "$tcnt" != - ]; then
			read -r tr_a tr_h tr_runs <<<"$tcnt"
			NT_REQ+=("$(awk -v a="$tr_a" -v h="$tr_h" -v n="$((node_n - 1))" 'BEGIN { printf "%.2f", (a + h) / n }')")
			NT_PER+=("$(awk -v a="$tr_a" -v r="$res" 'BEGIN { printf "%.2f", r ? a / r : 0 }')")
			NT_RUNS=$tr_runs
			tcnt="${NT_REQ[-1]} | ${NT_PER[-1]}"
		else
			tcnt="- | -"
		fi
		NROW_W="$ev | $lost / $evicted | $ntx | $ah + $hh (${NT_HIT[-1]}) | $tcnt | $tres (${NT_RES[-1]}) | $res | ${NX[-1]} | $ok"
	}

	# node_idle: weft's fixed CPU cost, the weft way with a token load
	# (`nodeload PORT 1 1`: 2 GET /work, then GET /exit): start, attach,
	# the first events (weft reads node's symbols and unwind tables for
	# the first stacks), the report -> NODE_IDLE (weft's own CPU s)
	node_idle() {
		local bg i port srv
		NODE_IDLE=-
		node_cmd w
		rm -f "$W/node.port" "$W/node.json"
		run_timed /dev/null "$W/ns.err" "${NCMD[@]}" >"$W/ns.time" &
		bg=$!
		for ((i = 0; i < 400; i++)); do
			[ -s "$W/node.port" ] && break
			kill -0 "$bg" 2>/dev/null || break
			sleep 0.05
		done
		port=$(cat "$W/node.port" 2>/dev/null)
		[ -n "$port" ] && "$NODE" "$NODE_LOAD" "$port" 1 1 --exit >/dev/null 2>&1
		for ((i = 0; i < 600; i++)); do
			kill -0 "$bg" 2>/dev/null || break
			sleep 0.05
		done
		kill -0 "$bg" 2>/dev/null && node_stop
		wait "$bg" || { problem "node $NODE_V: idle weft run: '$(showcmd "${NCMD[@]}")' failed"; return; }
		srv=$(sed -n 's/^nodehttpbench served=3 user_us=\([0-9]*\) system_us=\([0-9]*\)$/\1 \2/p' "$W/ns.err")
		[ -n "$srv" ] || { problem "node $NODE_V: idle weft run: no server line"; return; }
		NODE_IDLE=$(awk -v s="$srv" '{ split(s, c, " "); printf "%.2f", $2 + $3 - (c[1] + c[2]) / 1e6 }' "$W/ns.time")
	}

	declare -A NODE_WAY=([u]=untraced [w]=weft [a]=AsyncLocalStorage [h]=async_hooks)
	NODE_ORDERS=("u w a h" "w a h u" "a h u w" "h u w a")

	# node_bench VERSION BIN RUNS
	node_bench() {
		local k r order ways cal=() m d
		NODE_V=$1 NODE=$2
		NODE_PROBED+=("$(readlink -f "$NODE")")
		NODE_VS+=("$NODE_V")
		for _ in 1 2 3; do
			cal+=("$("$NODE" "$NODE_SRV" calibrate "$NODE_WORK_US" 2>&1 | sed -n 's/.*iters=\([0-9]*\).*/\1/p')")
		done
		NODE_ITERS=$(printf '%s\n' "${cal[@]}" | median)
		[ -n "$NODE_ITERS" ] && [ "$NODE_ITERS" != nan ] || die "$NODE $NODE_SRV calibrate $NODE_WORK_US failed"
		NR_u=() NR_w=() NR_a=() NR_h=() NC_u=() NC_w=() NC_a=() NC_h=() NX=()
		NT_HIT=() NT_REQ=() NT_RES=() NT_PER=() NT_RUNS=""
		for ((r = 1; r <= $3; r++)); do
			order=${NODE_ORDERS[(r - 1) % 4]}
			ways=$(for k in $order; do printf '%s, ' "${NODE_WAY[$k]}"; done)
			ways=${ways%, }
			note "node $NODE_V http: run $r/$3: $ways"
			for k in $order; do node_way "$k"; done
			NODE_ROWS+=("| $NODE_V | $r | $ways | ${NR_u[-1]} | ${NR_w[-1]} | ${NR_a[-1]} | ${NR_h[-1]} | $NROW_W |")
		done
		note "node $NODE_V: weft with 3 requests (its fixed CPU cost)"
		node_idle
		d="Node $NODE_V (\`$NODE\`): ITERS $NODE_ITERS, calibrated by \`$(showcmd "$NODE" "$NODE_SRV" calibrate "$NODE_WORK_US")\` (3 runs: $(
			IFS=/
			echo "${cal[*]}"
		); median)"
		for k in u w a h; do
			node_cmd "$k"
			d+=$'\n'"  - ${NODE_WAY[$k]}: \`$(showcmd "${NCMD[@]}")\`"
		done
		d+=$'\n'"  - load, each way: \`$(showcmd "$NODE" "$NODE_LOAD") PORT $NODE_REQS $NODE_CONNS\`, then \`$(showcmd "$NODE" "$NODE_LOAD") PORT 0 0 --exit\`"
		NODE_DOCS+=("$d")
		# the traps of each probe, from the last weft run with run counts
		local n
		for n in ${NT_RUNS//,/ }; do
			NODE_PROBE_ROWS+=("$(awk -v v="$NODE_V" -v p="${n%=*}" -v c="${n#*=}" -v q="$((node_n - 1))" 'BEGIN {
				printf "| %s | `%s` | %d | %.2f |", v, p, c, c / q }')")
		done
		# the medians, one summary row per way
		local um uc c tr rs tp x all
		um=$(printf '%s\n' "${NR_u[@]}" | median)
		uc=$(printf '%s\n' "${NC_u[@]}" | median)
		tr=$(printf '%s\n' "${NT_REQ[@]:--}" | median)
		rs=$(printf '%s\n' "${NT_RES[@]:--}" | median)
		tp=$(printf '%s\n' "${NT_PER[@]:--}" | median)
		x=$(printf '%s\n' "${NX[@]:--}" | median)
		NODE_X["$NODE_V"]="$x $NODE_IDLE $(awk -v u="$uc" -v c="$(printf '%s\n' "${NC_w[@]:--}" | median)" -v n="$node_n" \
			'BEGIN { printf "%.1f", (c - u) * 1e6 / n }')"
		for k in u w a h; do
			all="NR_${k}[@]"
			m=$(printf '%s\n' "${!all}" | grep -v '^-$' | median)
			all="NC_${k}[@]"
			c=$(printf '%s\n' "${!all:--}" | median)
			NODE_MED["$NODE_V $k"]=$m
			NODE_SUM+=("$(awk -v v="$NODE_V" -v w="${NODE_WAY[$k]}" -v k="$k" -v u="$um" -v m="$m" -v uc="$uc" -v c="$c" -v n="$node_n" \
				-v tr="$tr" -v rs="$rs" -v tp="$tp" -v x="$x" 'BEGIN {
				if (m == "nan" || m == "") { printf "| %s | %s | - | - | - | - | - | - | - | - | - |", v, w; exit }
				printf "| %s | %s | %.0f | %.1f%% | %s | %.2f | %s | ", v, w, m, 100 * m / u,
					k == "u" ? "-" : sprintf("%.1f", 1e6 / m - 1e6 / u), c, k == "u" ? "-" : sprintf("%.1f", (c - uc) * 1e6 / n)
				if (k == "w") printf "%s | %s | %s | %s |", x, tr, rs, tp; else printf "- | - | - | - |"
			}')")
		done
	}

	NODE_MAJ=$("$NODE_BIN" --version | sed 's/^v//; s/\..*//')
	node_bench "$NODE_MAJ" "$NODE_BIN" "$NODE_RUNS"
	if [ "$NODE_NEWEST_RUNS" -gt 0 ]; then
		read -r nv nb <<<"$(bash tools/node-versions.sh 2>/dev/null | tail -1)"
		if [ -n "${nb:-}" ] && [ "$nv" != "$NODE_MAJ" ]; then
			node_bench "$nv" "$nb" "$NODE_NEWEST_RUNS"
		fi
	fi
	rm -f "$W/node.json" "$W/node.port" "$W/progs0.json" "$W/progs1.json"
fi

# ------------------------------------------------------------ 6. weft check

# The leaky Go test package (tests/gotest/leaky) as a test binary, run
# untraced and under weft check, alternating: wall and CPU seconds.
CHECK_ROWS=() CHECK_NOTE="" CHECK_CMDS=()
CHECK_RUNS=${CHECK_RUNS:-5}
if [ -z "${GO_BIN:-}" ]; then
	CHECK_NOTE="skipped: no Go toolchain (section 4 found none, or NO_GO=1)"
else
	CT=$W/leaky.test
	(cd tests/gotest/leaky && "${GO_ENV[@]}" "$GO_BIN" test -c -o "$CT" .) >"$W/ct.err" 2>&1 ||
		die "go test -c tests/gotest/leaky failed: $(head -3 "$W/ct.err")"
	cu=() cw=() cuc=() cwc=()
	for ((r = 1; r <= CHECK_RUNS; r++)); do
		note "weft check: run $r/$CHECK_RUNS untraced, then under weft check"
		CU_CMD=("$CT" -test.count=1)
		CW_CMD=("$WEFT" check -- "$CT" -test.count=1)
		tm=$(run_timed /dev/null "$W/cu.err" "${CU_CMD[@]}")
		cu+=("$(awk '{ print $1 }' <<<"$tm")")
		cuc+=("$(awk '{ print $2 + $3 }' <<<"$tm")")
		tm=$(run_timed /dev/null "$W/cw.err" "${CW_CMD[@]}")
		cw+=("$(awk '{ print $1 }' <<<"$tm")")
		cwc+=("$(awk '{ print $2 + $3 }' <<<"$tm")")
		leaks=$(grep -c '^weft check: LEAK ' "$W/cw.err")
		[ "$leaks" = 3 ] || problem "weft check run $r: $leaks leak lines, expected 3: $(tail -3 "$W/cw.err" | tr '\n' ' ')"
		CHECK_ROWS+=("| $r | ${cu[-1]} | ${cw[-1]} | ${cuc[-1]} | ${cwc[-1]} | $leaks |")
	done
	CHECK_CMDS=("$(showcmd "${CU_CMD[@]}")" "$(showcmd "${CW_CMD[@]}")")
	CHECK_MED=("$(printf '%s\n' "${cu[@]}" | median)" "$(printf '%s\n' "${cw[@]}" | median)"
		"$(printf '%s\n' "${cuc[@]}" | median)" "$(printf '%s\n' "${cwc[@]}" | median)")
fi

# ----------------------------------------------------- 7. perf analysis

if [ "${NO_PERF:-0}" != 1 ]; then
	PF_RUN="part of the full run described at the top"
	perf_section
fi

# ------------------------------------------------- leftovers, then write

LEFT_PROCS=$(our_procs)
LEFT_UPROBES=$(leftover_uprobes)
[ -z "$LEFT_PROCS" ] || problem "processes left behind: $LEFT_PROCS"
[ -z "$LEFT_UPROBES" ] || problem "uprobes left behind: $LEFT_UPROBES"
T_TOTAL=$(($(date +%s) - T_START))

cpu_model=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
[ -n "$cpu_model" ] || cpu_model=$(lscpu 2>/dev/null | awk -F': *' '/Model name/ { print $2; exit }')
rev=$(git describe --always --dirty 2>/dev/null || echo unknown)

fmt_rate() { awk -v v="$1" 'BEGIN { printf "%.0f", v }'; }

{
	echo "# Benchmarks"
	echo
	echo "Written by \`make bench\` (\`tools/bench.sh\`): every figure below comes from"
	echo "the one run described here, except section 7 when it was rerun alone"
	echo "(\`make bench ONLY=7\`: it then gives its own date, load and revision);"
	echo "rerun \`make bench\` to replace them."
	echo
	echo "| | |"
	echo "|---|---|"
	echo "| date | $(date -u '+%Y-%m-%d %H:%M:%S UTC') |"
	echo "| kernel (\`uname -r\`) | $(uname -r) |"
	echo "| CPUs (\`nproc\`) | $(nproc) |"
	echo "| CPU model | $cpu_model |"
	echo "| load average at start | $LOAD_START |"
	echo "| weft revision (\`git describe --always --dirty\`) | $rev |"
	echo "| bench run time | ${T_TOTAL} s |"
	echo
	echo "Commands are run from the repository root, as root. \`$W\` was the run's"
	echo "temporary directory (removed at the end)."
	echo
	echo "## 1. Probe cost per hit, measured with weft"
	echo
	echo "\`tests/bench/probe_cost MODE ITER\` times ITER iterations of a loop around one"
	echo "probe site (after 64 warm-up iterations at the same site) and prints ns per"
	echo "iteration. Each case runs $REPS times untraced and $REPS times under \`weft trace\`,"
	echo "alternating; **ns per hit = median traced ns/iter - median untraced ns/iter**."
	echo "The probe's BPF program is weft's task-begin handler (a spec probe"
	echo "\`--task-begin SYM:arg0\` or the \`weft:task_begin\` marker), given the same"
	echo "object at every hit, so its maps hold one task and never fill. That handler"
	echo "emits events only for the first hits: a thread that begins the same task"
	echo "again without ending it nests it, and past 8 levels the handler stops"
	echo "early (weft's context stack is 8 deep). So those rows are the trap plus a"
	echo "BPF program that does map lookups but writes no event. The row \"2 events"
	echo "per hit\" uses \`--task-create\` instead: each hit ends the previous task of"
	echo "that object and creates a new one (2 ring-buffer events, one with the user"
	echo "stack), the usual work of a weft probe. weft's JSON"
	echo "(\`capture.probes[].hits\`) must count ITER + 64 hits per run."
	echo "\`[uprobes-trampoline]\`: the runs in which the target had that mapping, i.e."
	echo "the kernel optimized the probe into a call."
	echo
	echo "| probe | probed instruction | kernel path | ITER | untraced ns/iter (median) | traced ns/iter, each run | ns per hit | weft hits per run | weft events per run (median) | lost / evicted | [uprobes-trampoline] |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|"
	printf '%s\n' "${PC_ROWS[@]}"
	echo
	echo "Commands (untraced, then traced):"
	echo
	for ((i = 0; i < ${#PC_CMDS[@]}; i += 3)); do
		echo "- ${PC_CMDS[i]}:"
		echo "  \`${PC_CMDS[i + 1]}\`"
		echo "  \`${PC_CMDS[i + 2]}\`"
	done
	echo
	echo "What the numbers say. A uprobe is an int3 trap; what it costs depends on"
	echo "what the kernel must then do with the instruction it replaced:"
	echo
	echo "- **Single-step** (bench_plain_fn starts with \`$(first_insn "$PC" bench_plain_fn)\`, which the x86 uprobe"
	echo "  code does not emulate): the instruction is copied out of line and"
	echo "  executed with a second trap. This is the slow path:"
	echo "  ${PC_NS["uprobe, function entry, single-stepped"]:-?} ns per hit here."
	echo "- **Emulated** (\`push %rbp\`, the first instruction of most functions"
	echo "  built with frame pointers; also nops and jumps): no single-step,"
	echo "  ${PC_NS["uprobe, function entry, emulated"]:-?} ns per hit here. A probe on a function entry"
	echo "  is therefore not slow as such: it is slow when the first instruction"
	echo "  has to be single-stepped."
	echo "- **Events**: the same emulated probe costs"
	echo "  ${PC_NS["uprobe, function entry, emulated, 2 events per hit"]:-?} ns per hit when weft's program"
	echo "  writes 2 events per hit, against ${PC_NS["uprobe, function entry, emulated"]:-?} ns with no event: in practice the"
	echo "  events, not the trap, dominate the cost of an emulated probe."
	echo "- **sys/sdt.h marker** (1-byte nop): int3, then the kernel emulates the"
	echo "  nop: ${PC_NS["sys/sdt.h USDT marker"]:-?} ns per hit."
	echo "- **weft.h marker** (nop5): the kernel rewrites the nop into a call to the"
	echo "  uprobe trampoline at the first hits (syscall instead of int3):"
	echo "  ${PC_NS["weft.h USDT marker"]:-?} ns per hit."
	echo
	awk -v n5="${PC_NS["weft.h USDT marker"]:-}" -v n1="${PC_NS["sys/sdt.h USDT marker"]:-}" \
		-v ss="${PC_NS["uprobe, function entry, single-stepped"]:-}" 'BEGIN {
		if (n5 == "" || n1 == "" || n1 <= 0 || n5 <= 0) exit
		r = n5 / n1
		if (r > 0.67 && r < 1.5)
			printf "On this machine the nop5 fast path and the int3 + emulated-nop path cost\n" \
			       "about the same (ratio %.2f): the trap itself is cheap here (the kernel\n" \
			       "emulates the nop after the trap, no single-step), so optimizing it into\n" \
			       "a call saves little. ", r
		else if (r <= 0.67)
			printf "On this machine the nop5 fast path is %.1fx cheaper than the int3 +\n" \
			       "emulated-nop path. ", 1 / r
		else
			printf "On this machine the nop5 fast path is %.1fx MORE expensive than the\n" \
			       "int3 + emulated-nop path. ", r
		if (ss != "")
			printf "The big difference (%.0fx) is between a probe the kernel\n" \
			       "emulates or optimizes and one it must single-step.\n", ss / (n5 < n1 ? n5 : n1)
	}'
	echo
	echo "### bpftrace cross-check"
	echo
	echo "The same binaries under bpftrace (a hit counter instead of weft's"
	echo "program), independent of weft's attach code. Command:"
	echo "\`$(showcmd "${BT_CMD[@]}")\`${BT_VER:+ ($BT_VER)}."
	echo "Its \"min\" column is the minimum over the runs."
	echo
	echo "$BT_OUT"
	echo
	echo "## 2. Overhead on a thread pool"
	echo
	echo "\`tests/bench/pool_bench TASKS BATCH WORKERS WORK\`: $POOL_WORKERS worker threads, $POOL_TASKS tasks"
	echo "submitted in batches of $POOL_BATCH by \`handle_batch\` (one transaction per batch, which"
	echo "waits for its tasks); each task runs a $POOL_WORK-iteration xorshift loop in"
	echo "\`run_task\`. It prints tasks/s (first submit to last batch end). Same binary,"
	echo "$POOL_RUNS untraced and $POOL_RUNS traced runs, alternating."
	echo
	echo "- untraced: \`$PU_SHOW\`"
	echo "- traced: \`$PT_SHOW\`"
	echo
	echo "| run | untraced tasks/s | traced tasks/s | events | lost | evicted | uprobe hits | traps per task | counts as expected |"
	echo "|---|---|---|---|---|---|---|---|---|"
	printf '%s\n' "${POOL_ROWS[@]}"
	echo
	if [ ${#pt_all[@]} -gt 0 ]; then
		awk -v u="$pu_med" -v t="$pt_med" -v uc="$pu_cpu_med" -v tc="$pt_cpu_med" -v n="$POOL_TASKS" -v w="$POOL_WORKERS" '
		BEGIN {
			printf "| | untraced | traced |\n|---|---|---|\n"
			printf "| tasks/s (median) | %.0f | %.0f |\n", u, t
			printf "| CPU time of the run, s (median; traced: target + weft) | %.2f | %.2f |\n", uc, tc
			printf "\n**Traced throughput: %.1f%% of untraced (%.2fx slower).** ", 100 * t / u, u / t
			printf "Added wall time per task: %.2f us; added CPU time per task (target and weft together): %.2f us.\n", \
				1e6 / t - 1e6 / u, (tc - uc) * 1e6 / n
		}'
	fi
	echo
	echo "Traps per task = uprobe and uretprobe hits (JSON \`capture.probes[].hits\`,"
	echo "without the scheduler tracepoints) / tasks: 1 at \`submit_task\`, 2 at"
	echo "\`run_task\` (entry and return), plus 2 per batch of $POOL_BATCH for"
	echo "\`handle_batch\`. The first instruction of each probed function decides its"
	echo "entry cost (section 1):"
	echo
	echo "| function | first instruction | entry |"
	echo "|---|---|---|"
	for f in handle_batch submit_task run_task; do
		fi_=$(first_insn "$POOL" "$f")
		case $fi_ in
		push*) how="emulated" ;;
		nop* | jmp* | call*) how="emulated" ;;
		*) how="single-stepped" ;;
		esac
		echo "| $f | \`$fi_\` | $how |"
	done
	echo
	[ -n "${ev:-}" ] && awk -v e="$ev" -v n="$POOL_TASKS" 'BEGIN {
		printf "Events per task: %.2f (task created, run begins, run ends, task ends; plus the\ntransactions). The \"2 events per hit\" row of section 1 gives what events add to a trap.\n\n", e / n }'
	echo "(\`run_task\` is a leaf function: at -O1 it has no frame-pointer prologue, so"
	echo "its probe is single-stepped. The returns are uretprobes: the kernel's"
	echo "return trampoline, no single-step.)"
	for n in "${POOL_NOTES[@]}"; do
		echo
		echo "$n"
	done
	echo
	echo "## 3. Model replay (\`weft report\` of a record file)"
	echo
	echo "Record: \`$(showcmd "${REC_CMD[@]}")\`"
	echo
	if [ -n "${rec_size:-}" ]; then
		echo "| events (JSON \`capture.events\`) | lost | evicted | file size | bytes per event |"
		echo "|---|---|---|---|---|"
		awk -v e="$rec_events" -v l="$rec_lost" -v v="$rec_evicted" -v s="$rec_size" 'BEGIN {
			printf "| %d | %d | %d | %d bytes (%.1f MiB) | %.1f |\n", e, l, v, s, s / 1048576, e ? s / e : 0 }'
		echo
		echo "Replay, pinned to one CPU (\`taskset -c 0\`; weft report is single-threaded),"
		echo "$REPLAY_RUNS runs per format, output to /dev/null. Wall time (bash \`time\`);"
		echo "events/s = events / median wall time."
		echo
		echo "| format | wall s, each run | wall s (median) | CPU s (median) | M events/s | command |"
		echo "|---|---|---|---|---|---|"
		printf '%s\n' "${REPLAY_ROWS[@]}"
	else
		echo "(no record file: see the problems below)"
	fi
	echo
	echo "## 4. Go"
	echo
	if [ -n "$GO_NOTE" ]; then
		echo "$GO_NOTE"
	else
		echo "Go $GO_V (\`$GO_BIN\`, the newest installed)${GO_OLD_BIN:+ and Go 1.19 (\`$GO_OLD_BIN\`) for the spawn rows}."
		echo "The two programs are built into the temporary directory, e.g.:"
		echo "\`$GO_BUILD_SHOW\`"
		echo "(the same for \`tests/bench/gohttpbench.go\`${GO_OLD_BIN:+, and for gospawn.go with Go 1.19})."
		echo "weft's Go adapter traps once per goroutine creation (a uprobe on each RET"
		echo "of \`runtime.newproc1\`), once per exit (\`runtime.gdestroy\` from Go 1.22,"
		echo "\`runtime.goexit0\` before) and twice per transaction (the entry past the"
		echo "stack check, the RET taken)."
		echo
		echo "### 4a. Goroutine spawn: traps per goroutine"
		echo
		echo "\`tests/bench/gospawn.go N BATCH\`: main calls \`main.spawnBatch\` (the \`--txn\`:"
		echo "one transaction per batch) $spawn_batches times; each call starts $SPAWN_BATCH goroutines that"
		echo "run a 50-iteration xorshift loop and waits for them (sync.WaitGroup). It"
		echo "prints goroutines/s ($spawn_n goroutines, first batch to last). Same binary,"
		echo "untraced and traced runs alternating. Commands:"
		echo
		for ((i = 0; i < ${#SPAWN_CMDS[@]}; i += 3)); do
			echo "- Go ${SPAWN_CMDS[i]}: \`${SPAWN_CMDS[i + 1]}\`"
			echo "  and \`${SPAWN_CMDS[i + 2]}\`"
		done
		echo
		echo "| Go | run | untraced goroutines/s | traced goroutines/s | events | lost | evicted | goroutines created | ended | \"goroutine\" probe hits | traps per goroutine | --txn hits | counts as expected |"
		echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
		printf '%s\n' "${SPAWN_ROWS[@]}"
		echo
		echo "Goroutines created / ended: the JSON's goroutine segments (all of the"
		echo "process's: the $spawn_n spawned, plus the runtime's own, e.g. the GC workers,"
		echo "which never exit), and those with an end. Traps per goroutine = the"
		echo "\"goroutine\" probe's hits (JSON \`capture.probes[].hits\`) / goroutines"
		echo "created: 2 (creation + exit), a hair under 2 because of the runtime's"
		echo "goroutines that never exit; with \`--go-lean\` exactly 1, the exits being read"
		echo "from runtime.allgs instead. Counts as expected: hits = created + ended"
		echo "(--go-lean: hits = created),"
		echo "\`--txn\` hits = 2 per batch, $spawn_batches transactions each with $SPAWN_BATCH"
		echo "goroutines and no leak."
		echo
		echo "| Go | runs | untraced goroutines/s (median) | traced goroutines/s (median) | traced / untraced | added wall us per goroutine | CPU s, untraced / traced (median; traced: target + weft) | added CPU us per goroutine | traps per goroutine (median) |"
		echo "|---|---|---|---|---|---|---|---|---|"
		printf '%s\n' "${SPAWN_SUM[@]}"
		echo
		echo "Where the probes are (objdump of the binaries), and what the kernel does"
		echo "with the instruction it replaced (section 1: \`push\`, nops and jumps are"
		echo "emulated, other instructions, \`ret\` included, single-stepped):"
		echo
		echo "| Go | probe | instruction | kernel path |"
		echo "|---|---|---|---|"
		printf '%s\n' "${GO_SITE_ROWS[@]}"
		echo
		awk -v u="${SP_UMED[$GO_V]:-}" -v t="${SP_TMED[$GO_V]:-}" -v ss="${PC_NS["uprobe, function entry, single-stepped"]:-}" \
			-v em="${PC_NS["uprobe, function entry, emulated"]:-}" -v v="$GO_V" 'BEGIN {
			if (u == "" || t == "" || ss == "") exit
			a = 1e6 / t - 1e6 / u
			printf "With Go %s, a traced goroutine costs %.1f us more than an untraced one\n", v, a
			printf "(an untraced spawn, run and exit takes %.2f us). Section 1 measured\n", 1e6 / u
			printf "%.1f us for a single-stepped probe and %.1f us for an emulated one: both\n", ss / 1000, em / 1000
			printf "goroutine probes are single-stepped (`ret`, and the stack-check `cmp` at\n"
			printf "the exit function'"'"'s entry): two such traps, 2 x %.1f = %.1f us, against\n", ss / 1000, 2 * ss / 1000
			r = 2 * ss / 1000 / a
			if (r > 0.7)
				printf "the %.1f us measured: the traps are most of the cost.\n", a
			else
				printf "the %.1f us measured: the traps are %.0f%% of the cost.\n", a, 100 * r
		}'
		echo
		echo "### 4b. net/http server: weft and Go's runtime/trace"
		echo
		echo "\`tests/bench/gohttpbench.go REQS CLIENTS FANOUT ITERS\`: an HTTP server on"
		echo "127.0.0.1 and, in the same process, $HTTP_CLIENTS client goroutines with one keep-alive"
		echo "connection each: 1 warm-up request per client, then $HTTP_REQS timed requests"
		echo "(GET /work) between them; it prints req/s (timed requests only). The handler"
		echo "starts $HTTP_FANOUT goroutines that share ~$HTTP_WORK_US us of CPU work (ITERS = $HTTP_ITERS xorshift"
		echo "iterations, calibrated once: $HTTP_CAL_SHOW)"
		echo "and waits for them. Three ways, one run of each per round, in an order that"
		echo "rotates from round to round:"
		echo
		echo "- untraced: \`$(showcmd "${HU_CMD[@]}")\`"
		echo "- weft, no \`--txn\`: every request is a transaction (\"GET /work\", at"
		echo "  \`net/http.serverHandler.ServeHTTP\`): \`$(showcmd "${HW_CMD[@]}")\`"
		echo "- Go's execution tracer (the program calls \`runtime/trace.Start\` to that"
		echo "  file before serving, \`trace.Stop\` after the last request):"
		echo "  \`$(showcmd "${HG_CMD[@]}")\`"
		echo
		echo "| run | order | untraced req/s | weft req/s | runtime/trace req/s | runtime/trace file, bytes | weft events | lost / evicted | transactions | goroutines created | goroutines per request | traps per request | counts as expected |"
		echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
		printf '%s\n' "${HTTP_ROWS[@]}"
		echo
		awk -v u="$hu_med" -v w="$hw_med" -v g="$hg_med" -v uc="$huc_med" -v wc="$hwc_med" -v gc="$hgc_med" \
			-v n="$HTTP_REQS" -v sz="$hgsz_med" 'BEGIN {
			printf "| | untraced | weft | runtime/trace |\n|---|---|---|---|\n"
			if (w == "") w = 0
			printf "| req/s (median) | %.0f | %.0f | %.0f |\n", u, w, g
			printf "| throughput, %% of untraced | 100 | %.1f | %.1f |\n", w ? 100 * w / u : 0, 100 * g / u
			printf "| added wall us per request | - | %.1f | %.1f |\n", w ? 1e6 / w - 1e6 / u : 0, 1e6 / g - 1e6 / u
			printf "| CPU s of the run (median; weft: target + weft) | %.2f | %.2f | %.2f |\n", uc, wc, gc
			printf "| output | - | JSON report | trace file, %.1f MiB (median) |\n", sz / 1048576
		}'
		echo
		echo "Transactions: $http_n expected ($HTTP_REQS timed + $HTTP_CLIENTS warm-up requests), each"
		echo "\"GET /work\" with $HTTP_FANOUT goroutines and no leak. Goroutines per request: the"
		echo "handler's $HTTP_FANOUT plus net/http's \`(*connReader).backgroundRead\` (started before"
		echo "the handler, outside the transaction), plus the process's few others spread over"
		echo "the requests. Traps per request = (\"goroutine\" + ServeHTTP probe hits) /"
		echo "requests: 2 per goroutine + 2 for the transaction = $((2 * (HTTP_FANOUT + 1) + 2)) expected (median here:"
		echo "${htraps_med:-?}; goroutines per request ${hgor_med:-?})."
	fi
	echo
	echo "## 5. Node"
	echo
	if [ -n "$NODE_NOTE" ]; then
		echo "$NODE_NOTE"
	else
		echo "An HTTP server in Node: what weft costs it, against the two ways a Node"
		echo "program can follow its requests from the inside, as an APM agent does:"
		echo "AsyncLocalStorage and async_hooks."
		echo
		echo "\`tests/bench/nodehttpbench.js MODE\`: an HTTP server on 127.0.0.1. GET /work"
		echo "does \`fs.stat(__filename, cb)\` (one native FSREQCALLBACK, on libuv's thread"
		echo "pool), then in the callback ~$NODE_WORK_US us of CPU (ITERS xorshift iterations, from"
		echo "\$BENCH_ITERS, calibrated once per Node version, below) and responds \"ok\"."
		echo "GET /exit responds, prints the server's CPU time (\`process.cpuUsage()\`) and"
		echo "exits. MODE:"
		echo
		echo "- \`plain\`: nothing else; run untraced, and under weft (\`weft trace -- node\`,"
		echo "  no \`--txn\`: every request a transaction, \"GET /work\");"
		echo "- \`als\`: each request handled inside \`AsyncLocalStorage.run(store, ..)\`, a"
		echo "  new store per request, read back in the fs.stat callback (a wrong one"
		echo "  would be a 500);"
		echo "- \`hooks\`: \`async_hooks.createHook({ init, destroy })\` enabled, their bodies"
		echo "  a Map set / delete by asyncId."
		echo
		echo "\`tests/bench/nodeload.js PORT REQUESTS CONNECTIONS\`, another process (the same"
		echo "Node): $NODE_CONNS keep-alive connections (one \`http.Agent\`), 1 untimed warm-up"
		echo "request per connection, then $NODE_REQS timed GET /work ($NODE_CONNS in flight); it prints"
		echo "req/s (timed requests only). Then \`nodeload.js PORT 0 0 --exit\` sends GET /exit"
		echo "(under weft, once the BPF run counts are read: below). The four ways run"
		echo "once per round, in an order that rotates from round to round. Commands"
		echo "(PORT: what the server wrote to \$BENCH_PORT_FILE):"
		echo
		for d in "${NODE_DOCS[@]}"; do echo "- $d"; done
		echo
		echo "| Node | run | order | untraced req/s | weft req/s | AsyncLocalStorage req/s | async_hooks req/s | weft events | lost / evicted | transactions | weft's hit counters, \"async\" + \"node:http\" (per request) | traps per request | traps per resource | resources in transactions (per request) | resources in all | weft's own CPU s | counts as expected |"
		echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
		printf '%s\n' "${NODE_ROWS[@]}"
		echo
		echo "Medians. Added wall us per request = 1e6 / req/s - 1e6 / untraced req/s"
		echo "($NODE_CONNS requests in flight, on $(nproc) CPUs shared with the load process). Server"
		echo "CPU s: the server process's own (its line at GET /exit: all its threads,"
		echo "start to end, the traps included: the kernel handles them in its"
		echo "threads); added server CPU us per request = (CPU s - untraced CPU s) /"
		echo "$node_n requests. weft's own CPU s: the \`time\` of \`weft trace\` (weft and its"
		echo "target) less the server's: attaching (reading node's symbols, checking the"
		echo "layout with capstone), reading the events (unwinding their stacks), the"
		echo "report."
		echo
		echo "| Node | way | req/s (median) | of untraced | added wall us per request | server CPU s (median) | added server CPU us per request | weft's own CPU s | traps per request | resources per request | traps per resource |"
		echo "|---|---|---|---|---|---|---|---|---|---|---|"
		printf '%s\n' "${NODE_SUM[@]}"
		echo
		for v in "${NODE_VS[@]}"; do
			awk -v v="$v" -v u="${NODE_MED["$v u"]}" -v w="${NODE_MED["$v w"]}" -v a="${NODE_MED["$v a"]}" \
				-v h="${NODE_MED["$v h"]}" -v x="${NODE_X[$v]}" -v n="$node_n" 'BEGIN {
				if (u == "nan" || w == "nan" || u <= 0 || w <= 0) exit
				printf "Node %s: weft adds %.1f us per request (%.1f%% of untraced throughput);", v, 1e6 / w - 1e6 / u, 100 * w / u
				printf " AsyncLocalStorage %.1f us (%.1f%%), async_hooks %.1f us (%.1f%%).", \
					1e6 / a - 1e6 / u, 100 * a / u, 1e6 / h - 1e6 / u, 100 * h / u
				split(x, c, " ")
				if (c[1] != "-" && c[1] != "" && c[2] != "-" && c[2] != "")
					printf " weft itself: %.2f s of CPU with 3 requests (weft'"'"'s way with\n`nodeload.js PORT 1 1 --exit`: start, attach, the first stacks, report), and\n%.2f s (median) with %d: on average %.0f us of CPU per request beyond the\nfirst 3, on top of what its probes add to the server (%.1f us).", \
						c[2], c[1], n, (c[1] - c[2]) * 1e6 / (n - 3), c[3]
				printf "\n"
			}'
		done
		echo
		echo "Counts as expected: $node_n transactions per weft run ($NODE_REQS timed + $NODE_CONNS warm-up"
		echo "\"GET /work\", 1 \"GET /exit\"), each \"GET /work\" with its one FSREQCALLBACK, no"
		echo "leak and no conflation; 0 lost events, 0 evictions; the server served"
		echo "$node_n requests in every way."
		echo
		echo "- **Traps per request**: every uprobe hit runs its BPF program once, so the"
		echo "  programs' run counts (\`bpftool prog show\`: \`run_cnt\`, kept while"
		echo "  \`kernel.bpf_stats_enabled\` is 1: it was ${NODE_STATS:-not readable} for this run) are the"
		echo "  traps. weft's Node programs (those the run loaded) are read after the"
		echo "  load, before GET /exit, and divided by the $((node_n - 1)) requests served by then."
		echo "- **weft's hit counters** (JSON \`capture.probes[].hits\`, \"async\" +"
		echo "  \"node:http\") count fewer: only resource creations, destroys and pooled"
		echo "  sockets for \"async\", request lines and the writes of a request for"
		echo "  \"node:http\"; not the callback scopes, nor the re-arm check at"
		echo "  AsyncReset's entry."
		echo "- **Resources per request**: async segments inside transactions /"
		echo "  transactions (the FSREQCALLBACK; a response this small is written by"
		echo "  libuv's try-write, no WRITEWRAP)."
		echo "- **Traps per resource**: the traps of weft's async-resource programs"
		echo "  (everything but \`node_http_url\` and \`node_try_write\`) / every native"
		echo "  resource created while attached (the requests' FSREQCALLBACKs, plus the"
		echo "  listener, each connection's socket and parser, ...). The callback scopes"
		echo "  of the connections' sockets (each request's bytes arrive in one) are"
		echo "  charged to the resources too."
		if [ ${#NODE_PROBE_ROWS[@]} -gt 0 ]; then
			echo
			echo "The traps of each of weft's Node BPF programs (a program per kind of probe,"
			echo "some attached at several sites; the last weft run of each Node; 0: a probe"
			echo "that this Node version does not use, or that this load never reaches):"
			echo
			echo "| Node | BPF program | runs (traps) | per request |"
			echo "|---|---|---|---|"
			printf '%s\n' "${NODE_PROBE_ROWS[@]}"
		fi
	fi
	echo
	echo "## 6. weft check"
	echo
	if [ -n "$CHECK_NOTE" ]; then
		echo "$CHECK_NOTE"
	else
		echo "The Go test package \`tests/gotest/leaky\` (11 tests, 3 of them leaking, one that"
		echo "sleeps 700 ms so every leak is judged while it runs), built with \`go test -c\`,"
		echo "run $CHECK_RUNS times alone and $CHECK_RUNS times under \`weft check\`, alternating:"
		echo
		echo "- alone: \`${CHECK_CMDS[0]}\`"
		echo "- checked: \`${CHECK_CMDS[1]}\`"
		echo
		echo "| run | wall s, alone | wall s, weft check | CPU s, alone | CPU s, weft check (with weft's own) | leak lines (3 expected) |"
		echo "|---|---|---|---|---|---|"
		printf '%s\n' "${CHECK_ROWS[@]}"
		echo
		awk -v a="${CHECK_MED[0]}" -v b="${CHECK_MED[1]}" -v c="${CHECK_MED[2]}" -v d="${CHECK_MED[3]}" 'BEGIN {
			printf "Median wall time: %.2f s alone, %.2f s under weft check (+%.2f s: attaching,\n", a, b, b - a
			printf "detaching and the report); CPU %.2f s against %.2f s.\n", c, d }'
	fi
	echo
	perf_md
	echo "## Problems seen in this run"
	echo
	if [ ${#PROBLEMS[@]} = 0 ]; then
		echo "None: every traced run counted the expected hits, with 0 lost events and"
		echo "0 evictions; no process or uprobe was left behind."
	else
		for p in "${PROBLEMS[@]}"; do echo "- $p"; done
	fi
} >"$W/bench.md"
cp "$W/bench.md" "$BENCH_OUT" || die "cannot write $BENCH_OUT"
note "wrote $BENCH_OUT (${T_TOTAL} s)"
cat "$BENCH_OUT"
[ ${#PROBLEMS[@]} = 0 ]
