# tools/bench/lib.sh - what every section script of the benchmarks shares:
# setup and cleanup (our processes, leftover uprobes, the temporary
# directory), small helpers (median, showcmd, run_timed, go_build) and
# `rec`, which collects the section's measurements for its JSON file.
# Sourced by tools/bench/<id>-*.sh; bench_init ID first, bench_finish last.
# shellcheck shell=bash disable=SC2034  # sourced: the section scripts use its variables
set -u
export LC_ALL=C

cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 2
ROOT=$(pwd)
BENCH_JSON_DIR=${BENCH_JSON_DIR:-$ROOT/build/bench}

# Knobs shared by several sections (2, 3 and 7 run the pool; 4b and 7 the
# Go HTTP server); each section script sets its own others.
POOL_TASKS=${POOL_TASKS:-200000}
POOL_BATCH=${POOL_BATCH:-100}
POOL_WORKERS=${POOL_WORKERS:-2}
POOL_WORK=${POOL_WORK:-2000}
HTTP_REQS=${HTTP_REQS:-8000}
HTTP_CLIENTS=${HTTP_CLIENTS:-4}
HTTP_FANOUT=${HTTP_FANOUT:-3}
HTTP_WORK_US=${HTTP_WORK_US:-100}

WEFT=build/weft
POOL=build/tests/bench/pool_bench
POOL_SPECS=(--txn handle_batch --task-create submit_task:arg0 --task-done run_task:arg0)
POOL_ARGS=("$POOL_TASKS" "$POOL_BATCH" "$POOL_WORKERS" "$POOL_WORK")
POOL_BATCHES=$(((POOL_TASKS + POOL_BATCH - 1) / POOL_BATCH))
NODE_PROBED=() # Node binaries section 5 attaches to (leftover_uprobes)

# die: the section failed outright, no JSON written (exit 2); a problem
# (problem) is recorded and the section goes on (exit 1 at the end).
die() {
	echo "bench $SECTION: $*" >&2
	exit 2
}
note() { echo "bench $SECTION: $*" >&2; }

# rec KIND FIELD...: one record of the section's JSON; FIELD is key=text,
# key:=number ("" or "-": null) or key@=file (the file's text).
rec() {
	local line=$1 f
	shift
	for f in "$@"; do line+=$'\x1f'"${f//$'\n'/ }"; done
	printf '%s\n' "$line" >>"$W/records"
}

PROBLEMS=0
problem() {
	PROBLEMS=$((PROBLEMS + 1))
	rec problem "text=$*"
	note "PROBLEM: $*"
}

# is_ours PID: that process has WEFT_BENCH_RUN=$$ in its environment
is_ours() {
	local env e
	mapfile -d "" env 2>/dev/null <"/proc/$1/environ" || return 1
	for e in "${env[@]}"; do [ "$e" = "WEFT_BENCH_RUN=$$" ] && return 0; done
	return 1
}

# Our processes still alive: those with WEFT_BENCH_RUN=$$ in their
# environment, except this shell. Builtins only (no child of ours is
# running while it scans).
our_procs() {
	local p pid
	for p in /proc/[0-9]*; do
		pid=${p#/proc/}
		[ "$pid" = $$ ] || [ "$pid" = "$BASHPID" ] && continue
		is_ours "$pid" && printf '%s ' "$pid"
	done
}

# Uprobes (perf-event links) still set on the bench binaries: those of
# build/tests/bench/, the Go programs built in $W and the Node binaries of
# section 5 (NODE_PROBED). weft names a Go or Node target /proc/PID/exe:
# resolved while PID lives (a uprobe can outlive its target only while its
# holder, then one of our processes, lives). A uprobe held by a live
# process that is not ours is someone else's (another weft on the same Node
# binary, e.g. the tests): not reported.
leftover_uprobes() {
	local line f n holder bt=$ROOT/build/libbpf/usr/sbin/bpftool
	[ -x "$bt" ] || bt=bpftool
	command -v "$bt" >/dev/null || return 0
	# multi-uprobe links (shown with their path by bpftool >= 7.3) as lines
	# like perf show's
	{
		"$bt" perf show 2>/dev/null | grep uprobe
		"$bt" -j link show 2>/dev/null | python3 -c '
import json, sys
try:
    links = json.load(sys.stdin)
except Exception:
    links = []
for l in links if isinstance(links, list) else []:
    if l.get("type") == "uprobe_multi":
        holders = l.get("pids") or [{}]
        print("pid %s uprobe_multi link %s filename %s" % (holders[0].get("pid", ""), l.get("id"), l.get("path", "")))
'
	} | while read -r line; do
		holder=$(sed -n 's/^pid \([0-9]*\) .*/\1/p' <<<"$line")
		[ -n "$holder" ] && [ -d "/proc/$holder" ] && ! is_ours "$holder" && continue
		f=$(sed -n 's/.* filename \([^ ]*\).*/\1/p' <<<"$line")
		case $f in /proc/[0-9]*/exe) f=$(readlink "$f" 2>/dev/null) ;; esac
		case $f in
		"$ROOT"/build/tests/bench/* | build/tests/bench/* | "$W"/*) echo "$line ($f)" ;;
		*) for n in "${NODE_PROBED[@]}"; do [ "$f" = "$n" ] && echo "$line ($f)"; done ;;
		esac
	done
}

# stop_ours: weft first (SIGTERM: it detaches its probes and exits), then
# the rest, by pid.
stop_ours() {
	local p i
	for p in $(our_procs); do
		[ "$(readlink "/proc/$p/exe" 2>/dev/null)" = "$ROOT/$WEFT" ] && kill -TERM "$p" 2>/dev/null
	done
	for ((i = 0; i < 30; i++)); do
		[ -z "$(our_procs)" ] && break
		sleep 0.1
	done
	for p in $(our_procs); do kill -KILL "$p" 2>/dev/null; done
}

cleanup() {
	trap - EXIT INT TERM
	if [ -n "$(our_procs)" ]; then
		note "stopping leftover processes: $(our_procs)"
		stop_ours
	fi
	rm -rf "$W"
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

# bench_init ID: checks, the temporary directory, the traps, the facts of
# the machine and of this run.
bench_init() {
	SECTION=$1
	[ "$(id -u)" = 0 ] || die "needs root (weft attaches BPF programs): sudo make bench ONLY=$SECTION"
	[ -x "$WEFT" ] || die "$WEFT is missing: run 'make bench' (it builds everything first)"
	command -v python3 >/dev/null || die "python3 is needed to read weft's JSON (make deps)"
	command -v objdump >/dev/null || die "objdump (binutils) is needed"
	export WEFT_BENCH_RUN=$$
	W=$(mktemp -d /tmp/weft-bench.XXXXXX) || die "mktemp failed"
	trap cleanup EXIT
	GO_ENV=(env -u GOROOT -u GOBIN HOME="${HOME:-$W}" GOCACHE="$ROOT/build/gocache" GOPATH="$W/gopath"
		GOENV=off GOFLAGS= GO111MODULE=off CGO_ENABLED=0 GOTOOLCHAIN=local)
	trap 'note "interrupted"; exit 130' INT TERM
	BENCH_T0=$(date +%s)
	BENCH_C0=$(cpu_ticks)
	local cpu_model
	cpu_model=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
	[ -n "$cpu_model" ] || cpu_model=$(lscpu 2>/dev/null | awk -F': *' '/Model name/ { print $2; exit }')
	rec meta "section=$SECTION" "run_id=${BENCH_RUN_ID:-$SECTION-$BENCH_T0}" "run_started=${BENCH_RUN_DATE:-}" \
		"run_sections=${BENCH_RUN_IDS:-$SECTION}" \
		"date=$(date -u '+%Y-%m-%d %H:%M:%S UTC')" "load_start=$(cut -d" " -f1-3 /proc/loadavg)" \
		"revision=$(git describe --always --dirty 2>/dev/null || echo unknown)" "kernel=$(uname -r)" \
		"nproc:=$(nproc)" "cpu_model=$cpu_model" "tmpdir=$W"
}

# bench_finish: the leftover checks, then the JSON ($BENCH_JSON_DIR/ID.json);
# exit 1 if a problem was recorded.
bench_finish() {
	local left
	left=$(our_procs)
	[ -z "$left" ] || problem "processes left behind: $left"
	left=$(leftover_uprobes)
	[ -z "$left" ] || problem "uprobes left behind: $left"
	rec meta "load_end=$(cut -d" " -f1-3 /proc/loadavg)" "seconds:=$(($(date +%s) - BENCH_T0))" \
		"cpu_other:=$(cpu_other "$BENCH_C0" "$(cpu_ticks)")"
	mkdir -p "$BENCH_JSON_DIR" || die "cannot create $BENCH_JSON_DIR"
	python3 "$ROOT/tools/bench/records_json.py" "$W/records" "$BENCH_JSON_DIR/$SECTION.json" ||
		die "cannot write $BENCH_JSON_DIR/$SECTION.json"
	note "wrote $BENCH_JSON_DIR/$SECTION.json ($(($(date +%s) - BENCH_T0)) s, $PROBLEMS problems)"
	[ "$PROBLEMS" = 0 ]
	exit
}

# skip_section REASON: the section's JSON says why it did not run.
skip_section() {
	rec meta "skipped=$*"
	note "skipped: $*"
	bench_finish
}

# ---------------------------------------------------------------- helpers

# load_pool_extra: POOL_EXTRA, the larger maps section 2 needed if it lost
# events with the default ones (its JSON's pool_extra), unless set in the
# environment; recorded in the section's meta.
load_pool_extra() {
	if [ -z "${POOL_EXTRA+set}" ] && [ -s "$BENCH_JSON_DIR/2.json" ]; then
		POOL_EXTRA=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["meta"].get("pool_extra", ""))' \
			"$BENCH_JSON_DIR/2.json")
	fi
	read -r -a POOL_EXTRA <<<"${POOL_EXTRA:-}"
	rec meta "pool_extra=${POOL_EXTRA[*]}"
}

# stdin: numbers, one a line -> the median (the upper one of an even count)
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "nan" }'; }

# first_insn BIN SYM -> the first instruction of SYM, e.g. "push %rbp"
first_insn() {
	objdump -d --no-show-raw-insn "$1" 2>/dev/null | awk -v s="<$2>:" '
		$2 == s { getline; sub(/^[ \t]*[0-9a-f]+:[ \t]*/, ""); sub(/[ \t]*#.*/, "");
			  gsub(/[ \t]+/, " "); print; exit }'
}

# json_sites LABEL JSON UNITS UNIT: where weft put its uprobes, as weft
# itself reports them (capture.probes[].sites of its JSON), one "site"
# record per probe that has any: its hits per UNIT (UNITS of them in the
# run) and its sites ("N x INSN: PATH", PATH the kernel's: emulated,
# optimized, single-step, uretprobe, tracepoint)
json_sites() {
	local probe per sites
	while IFS=$'\t' read -r probe per sites; do
		rec site "who=$1" "unit=$4" "probe=$probe" "per=$per" "sites=$sites"
	done < <(python3 - "$2" "$3" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
units = float(sys.argv[2])
for p in d["capture"]["probes"]:
    if not p.get("sites"):
        continue
    per = "%.2f" % (p["hits"] / units) if units else "-"
    print("%s\t%s\t%s" % (p["name"], per, "; ".join(
        "%d x `%s`: %s" % (s["count"], s["insn"], s["path"]) for s in p["sites"])))
PY
	)
}

# capture JSON -> "events lost evicted uprobe_hits" then one "name hits" per
# probe with hits, "txns N".
json_capture() {
	python3 - "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
c = d["capture"]
up = sum(p["hits"] for p in c["probes"] if not p["spec"].startswith(("tp_btf", "raw_tp")))
print(c["events"], c["lost_events"], c["evicted"], up)
for p in c["probes"]:
    if p["hits"]:
        print(p["name"], p["hits"])
print("txns", len(d["transactions"]))
PY
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

TIMEFORMAT='%R %U %S'
run_timed() { # run_timed OUTFILE ERRFILE CMD... -> prints "wall user sys"
	local out=$1 err=$2
	shift 2
	{ time "$@" >"$out" 2>"$err"; } 2>&1
}
cpu_of() { awk '{ print $2 + $3 }' <<<"$1"; } # "wall user sys" -> CPU s

# go_build GO OUT SRC: a static GOPATH-mode build, caches under build/
# (GO_ENV: set by bench_init, its GOPATH in $W)
go_build() {
	"${GO_ENV[@]}" "$1" build -buildvcs=false -o "$2" "$3" >"$W/gobuild.err" 2>&1 ||
		die "go build $3 ($1) failed: $(head -5 "$W/gobuild.err")"
}

# newest_go -> GO_V GO_BIN (the newest installed Go, tools/go-versions.sh),
# GO_VERS (all of them); 1 if none
newest_go() {
	GO_VERS=$(bash tools/go-versions.sh 2>/dev/null)
	[ -n "$GO_VERS" ] || return 1
	read -r GO_V GO_BIN <<<"$(tail -1 <<<"$GO_VERS")"
}
