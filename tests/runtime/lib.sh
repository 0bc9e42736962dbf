# shellcheck shell=bash
# Helpers for the runtime tests (tests/runtime/test_*.sh). Source it first:
#     . "$(dirname "$0")/lib.sh"
#
# A test script: exit 0 = pass, 77 = skip (last line "SKIP: reason"), other =
# fail. Assertions do not stop the test: they print "  FAIL: ..." and count;
# `finish` (last line of every test) exits 1 if any failed.
#
# Environment:
#   WEFT       weft binary           (default: <repo>/build/weft)
#   TARGETS    target binaries dir   (default: <repo>/build/tests/targets)
#   WEFT_RUN_TIMEOUT  seconds one weft run may take (default 40)
#   KEEP_TMP=1 keep the per-test temp dir even when the test passed
#
# Every target a test runs is a private copy in the test's temp dir ($TMP/bin),
# so (a) probes, processes and uprobes of this test are told apart from any
# other run on the machine by the executable's path, and (b) the EXIT trap can
# kill whatever is left of this test's processes by that path, by pid.

set -u

RT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$RT_DIR/../.." && pwd)
WEFT=${WEFT:-$ROOT/build/weft}
TARGETS=${TARGETS:-$ROOT/build/tests/targets}
TARGET_SRC=$ROOT/tests/targets
TEST_NAME=$(basename "$0" .sh)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/weft-rt.$TEST_NAME.XXXXXX")
FAILS=0
CHECKS=0
BG_PIDS=()
RC=0

# ---------------------------------------------------------------- cleanup ---

# Pids of live processes whose executable is inside $TMP (this test's copies).
own_target_pids() {
	local p exe
	for p in /proc/[0-9]*; do
		exe=$(readlink "$p/exe" 2>/dev/null) || continue
		case $exe in "$TMP"/*) echo "${p#/proc/}" ;; esac
	done
}

_cleanup() {
	local rc=$? p
	trap - EXIT INT TERM
	for p in "${BG_PIDS[@]}"; do
		kill -0 "$p" 2>/dev/null && kill -TERM "$p" 2>/dev/null
	done
	for p in $(own_target_pids); do kill -KILL "$p" 2>/dev/null; done
	for p in "${BG_PIDS[@]}"; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null
	done
	for p in $(own_target_pids); do kill -KILL "$p" 2>/dev/null; done
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] || [ "${KEEP_TMP:-0}" = 1 ]; then
		echo "  (files kept in $TMP)"
	else
		rm -rf "$TMP"
	fi
	exit "$rc"
}
trap _cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

# ---------------------------------------------------------------- outcome ---

skip() {
	echo "SKIP: $*"
	exit 77
}

fail() {
	FAILS=$((FAILS + 1))
	echo "  FAIL: $*"
}

note() {
	echo "  note: $*"
}

# ------------------------------------------------------- version matrix ---
# matrix_cell RUNTIME VERSION VARIANT: the checks from here to the next
# matrix_cell (or finish) decide one cell of the README's version matrix
# (tools/version-matrix.py reads build/matrix/*.tsv: one line per cell, with
# the checks run and failed).
MATRIX_FILE=$ROOT/build/matrix/$TEST_NAME.tsv
MX_KEY=
mkdir -p "$ROOT/build/matrix" && : >"$MATRIX_FILE"

matrix_close() {
	[ -n "$MX_KEY" ] || return 0
	printf '%s\t%s\t%d\t%d\n' "$MX_KEY" "$TEST_NAME" $((CHECKS - MX_CHECKS)) \
		$((FAILS - MX_FAILS)) >>"$MATRIX_FILE"
	MX_KEY=
}

matrix_cell() {
	matrix_close
	MX_KEY="$1	$2	$3"
	MX_CHECKS=$CHECKS
	MX_FAILS=$FAILS
}

finish() {
	matrix_close
	if [ "$FAILS" -gt 0 ]; then
		echo "  $FAILS failure(s); $CHECKS checks run"
		exit 1
	fi
	echo "  $CHECKS checks passed"
	exit 0
}

require_root() {
	[ "$(id -u)" -eq 0 ] || skip "not root (weft needs root to load BPF programs)"
}

require_weft() {
	[ -x "$WEFT" ] || { fail "weft binary not found at $WEFT (run make)"; finish; }
}

# ------------------------------------------------------------- assertions ---

# assert_eq ACTUAL EXPECTED MESSAGE
assert_eq() {
	CHECKS=$((CHECKS + 1))
	[ "$1" == "$2" ] || fail "$3: expected '$2', got '$1'"
}

assert_ne() {
	CHECKS=$((CHECKS + 1))
	[ "$1" != "$2" ] || fail "$3: got '$1', expected anything else"
}

# assert_match STRING ERE MESSAGE
assert_match() {
	CHECKS=$((CHECKS + 1))
	[[ $1 =~ $2 ]] || fail "$3: '$1' does not match /$2/"
}

# assert_contains FILE FIXED-STRING MESSAGE
assert_contains() {
	CHECKS=$((CHECKS + 1))
	grep -qF -- "$2" "$1" 2>/dev/null || fail "$3: '$2' not found in $(basename "$1"): $(head -c 300 "$1" 2>/dev/null | tr '\n' '|')"
}

# assert_py JSONFILE PYTHON-EXPR MESSAGE: the expression (see jq_py) is true.
assert_py() {
	local out
	CHECKS=$((CHECKS + 1))
	out=$(jq_py "$1" "$2" 2>&1)
	[ "$out" = true ] || fail "$3: [$2] -> ${out:0:400}"
}

# assert_jq JSONFILE PYTHON-EXPR EXPECTED MESSAGE: jq_py output equals EXPECTED.
assert_jq() {
	local out
	CHECKS=$((CHECKS + 1))
	out=$(jq_py "$1" "$2" 2>&1)
	[ "$out" == "$3" ] || fail "$4: [$2] expected '$3', got '${out:0:400}'"
}

# assert_exit_ok WHAT: RC (of the last weft_run/wait_exit) is 0.
assert_exit_ok() {
	CHECKS=$((CHECKS + 1))
	if [ "$RC" -ne 0 ]; then
		fail "$1: exit status $RC${ERR_FILE:+; stderr: $(tail -c 600 "$ERR_FILE" 2>/dev/null | tr '\n' '|')}"
	fi
}

# assert_one_error_line ERRFILE WHAT [MUST-CONTAIN...]: RC != 0 (and not a
# signal), stderr is exactly one line starting "weft: " containing each string.
assert_one_error_line() {
	local f=$1 what=$2 s lines
	shift 2
	CHECKS=$((CHECKS + 1))
	if [ "$RC" -eq 0 ]; then
		fail "$what: exit status 0, expected failure"
	elif [ "$RC" -ge 124 ]; then
		fail "$what: exit status $RC (signal or timeout)"
	fi
	CHECKS=$((CHECKS + 1))
	lines=$(grep -c '' "$f")
	if [ "$lines" -ne 1 ] || ! head -n1 "$f" | grep -q '^weft: '; then
		fail "$what: stderr should be one line starting 'weft: ', got $lines line(s): $(head -c 400 "$f" | tr '\n' '|')"
		return
	fi
	for s in "$@"; do
		CHECKS=$((CHECKS + 1))
		grep -qF -- "$s" "$f" || fail "$what: error line does not mention '$s': $(cat "$f")"
	done
}

# ------------------------------------------------------------ JSON helper ---

# jq_py FILE EXPR: evaluates the Python expression EXPR with d = the parsed
# JSON object of FILE. Strings print raw, True/False/None as true/false/null,
# anything else as compact JSON (sorted keys). Helpers available in EXPR:
#   S, T                 segments, transactions (lists); E = os.environ
#   seg(id)              segment by id (None if absent)
#   kids(id, kind=None)  segments whose parent is id
#   txns(name=None)      transactions (named name), sorted by begin_ns
#   in_txn(t, kind=None) segments of transaction t, its root excluded
#   by_func(f, kind=None, xs=S)   segments with site_func f
#   groups(lst)          [[site_func, kind, count], ...] sorted (leaks/orphans)
#   orphans(kinds=("thread","task"))  groups(d["orphans"]) of those kinds
#   site_file(s), site_line(s)    "(file.c:42)" part of a segment's site
#   logrecs(word)        lines of $LOG (target log) containing word, as dicts
#                        of their k=v tokens (ints where numeric)
JQ_PRELUDE='
import json, os, re, sys
d = json.load(open(sys.argv[1]))
E = os.environ
S = d.get("segments") or []
T = d.get("transactions") or []
_SEG = {s["id"]: s for s in S}
def seg(i): return _SEG.get(i)
def kids(i, kind=None): return [s for s in S if s.get("parent") == i and (kind is None or s.get("kind") == kind)]
def txns(name=None): return sorted([t for t in T if name is None or t.get("name") == name], key=lambda t: (t.get("begin_ns") or 0, t.get("id")))
def in_txn(t, kind=None): return [s for s in S if s.get("txn") == t["id"] and s["id"] != t["root_segment"] and (kind is None or s.get("kind") == kind)]
def by_func(f, kind=None, xs=None): return [s for s in (S if xs is None else xs) if s.get("site_func") == f and (kind is None or s.get("kind") == kind)]
def groups(lst): return sorted([g.get("site_func"), g.get("kind"), g.get("count")] for g in (lst or []))
def orphans(kinds=("thread", "task")): return groups([g for g in d.get("orphans") or [] if g.get("kind") in kinds])
def _site(s):
    m = re.search(r"\(([^()]*):(\d+)\)\s*$", s.get("site") or "")
    return (os.path.basename(m.group(1)), int(m.group(2))) if m else (None, None)
def site_file(s): return _site(s)[0]
def site_line(s): return _site(s)[1]
def logrecs(word):
    out = []
    try: lines = open(E["LOG"]).read().splitlines()
    except Exception: return out
    for l in lines:
        if word not in l.split(): continue
        r = {}
        for tok in l.split():
            if "=" in tok:
                k, v = tok.split("=", 1)
                r[k] = int(v) if re.fullmatch(r"-?\d+", v) else v
        out.append(r)
    return out
def _show(x):
    if isinstance(x, bool): return "true" if x else "false"
    if x is None: return "null"
    if isinstance(x, str): return x
    return json.dumps(x, sort_keys=True, separators=(",", ":"))
'

jq_py() {
	python3 -c "import json, sys
try:
    d = json.load(open(sys.argv[1]))
except Exception as e:
    print('error: %s is not JSON: %s' % (sys.argv[1], e)); sys.exit(1)
$JQ_PRELUDE
try:
    _r = ($2)
except Exception as e:
    print('error: %s: %s' % (type(e).__name__, e)); sys.exit(1)
print(_show(_r))" "$1"
}

# json_valid FILE WHAT: FILE holds exactly one JSON object with the contract's
# top-level keys.
json_valid() {
	local out
	CHECKS=$((CHECKS + 1))
	out=$(python3 - "$1" <<'EOF' 2>&1
import json, sys
raw = open(sys.argv[1]).read()
try:
    d = json.loads(raw)
except Exception as e:
    print("not one JSON object: %s; starts: %r" % (e, raw[:200])); sys.exit(0)
if not isinstance(d, dict):
    print("top level is not an object"); sys.exit(0)
miss = [k for k in ("target", "capture", "transactions", "segments", "leaks", "orphans", "conflations") if k not in d]
if miss:
    print("missing keys: %s" % miss); sys.exit(0)
print("ok")
EOF
)
	[ "$out" = ok ] || fail "$2: $out"
	[ "$out" = ok ]
}

# py_checks JSONFILE [WHAT] <<'EOF' ... EOF: runs a Python block with the jq_py
# helpers plus check(cond, msg): each false check prints "  FAIL: WHAT: msg"
# and counts as a failed assertion.
py_checks() {
	local code out n_fail n_all
	code=$(cat)
	out=$(python3 -c "$JQ_PRELUDE
_n = [0, 0]
def check(cond, msg):
    _n[0] += 1
    if not cond:
        _n[1] += 1
        print('  FAIL: ${2:-check}: ' + str(msg))
    return bool(cond)
try:
$(printf '%s\n' "$code" | sed 's/^/    /')
    pass
except Exception as _e:
    import traceback
    _n[1] += 1
    print('  FAIL: ${2:-check}: python error: %r' % (_e,))
    traceback.print_exc(file=sys.stdout)
print('@@ %d %d' % (_n[0], _n[1]))" "$1" 2>&1)
	printf '%s\n' "$out" | grep -v '^@@ ' || true
	read -r _ n_all n_fail < <(printf '%s\n' "$out" | grep '^@@ ' | tail -n1)
	if [ -z "${n_all:-}" ]; then
		fail "${2:-check}: python block did not complete: $(printf '%s' "$out" | tail -c 600)"
		return
	fi
	CHECKS=$((CHECKS + n_all))
	FAILS=$((FAILS + n_fail))
}

# ---------------------------------------------------------------- targets ---

# target VAR NAME: sets VAR to the path of a private copy of target NAME
# ($TMP/bin/NAME; built with the Makefile's flags if build/tests/targets/NAME
# go_test_c VAR VERSION DIR [LDFLAGS]: `go test -c` of the package in DIR
# with Go VERSION (from $VERSIONS, tools/go-versions.sh), into VAR
go_test_c() {
	local __var=$1 v=$2 dir=$3 go pkg out
	pkg=$(basename "$dir")
	out=$TMP/bin/$pkg-$v${4:+-s}.test
	go=$(awk -v v="$v" '$1 == v { print $2 }' <<<"$VERSIONS")
	mkdir -p "$TMP/bin"
	(cd "$dir" && HOME=${HOME:-$TMP} GOCACHE=$ROOT/build/gocache \
		GOPATH=$TMP/gopath GO111MODULE=off CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS= \
		"$go" test -c ${4:+-ldflags="$4"} -o "$out" .) >"$TMP/build-$pkg-$v.log" 2>&1 ||
		{ fail "go $v: go test -c $pkg: $(head -c 400 "$TMP/build-$pkg-$v.log")"; return 1; }
	printf -v "$__var" '%s' "$out"
}

# is missing). Ends the test with a failure if it cannot be had.
target() {
	local __var=$1 name=$2 src=$TARGET_SRC/$2.c bin=$TARGETS/$2 out
	mkdir -p "$TMP/bin"
	out=$TMP/bin/$name
	if [ ! -x "$bin" ]; then
		[ -f "$src" ] || { fail "target $name: neither $bin nor $src exists"; finish; }
		bin=$TMP/build-$name
		local extra=()
		[ "$name" = uvpool ] && extra=(/usr/lib/x86_64-linux-gnu/libuv_a.a -ldl)
		gcc -O1 -g -fno-omit-frame-pointer -pthread -I"$ROOT/include" -Wall \
			"$src" "${extra[@]}" -o "$bin" >"$TMP/build-$name.log" 2>&1 ||
			{ fail "target $name: build failed: $(head -c 600 "$TMP/build-$name.log")"; finish; }
		note "built $name from source (no $TARGETS/$name)"
	fi
	cp "$bin" "$out" && chmod +x "$out" || { fail "cannot copy $bin"; finish; }
	printf -v "$__var" '%s' "$out"
}

# src_line NAME TAG: line number of the "SITE:TAG" comment in tests/targets/NAME.c
src_line() {
	grep -n "SITE:$2 " "$TARGET_SRC/$1.c" | head -n1 | cut -d: -f1
}

# ---------------------------------------------------------------- running ---

# weft_run OUT ERR ARGS...: runs weft in the foreground (under timeout); sets
# RC and ERR_FILE.
weft_run() {
	local out=$1 err=$2
	shift 2
	ERR_FILE=$err
	timeout --foreground -k 5 "${WEFT_RUN_TIMEOUT:-40}" "$WEFT" "$@" >"$out" 2>"$err" </dev/null
	RC=$?
	[ "$RC" -eq 124 ] && echo "  weft timed out after ${WEFT_RUN_TIMEOUT:-40}s: weft $*"
	return 0
}

# bg VAR CMD...: starts CMD in the background (SIGINT at its default
# disposition, unlike a plain & in a script), stores its pid in VAR and
# registers it for cleanup.
bg() {
	local __var=$1
	shift
	env --default-signal=INT,QUIT "$@" </dev/null &
	BG_PIDS+=("$!")
	printf -v "$__var" '%s' "$!"
}

# proc_state PID: the state letter (R, S, T, Z, ...) or "gone".
proc_state() {
	local s
	s=$(sed -E 's/^.*\) (.).*$/\1/' "/proc/$1/stat" 2>/dev/null) || s=gone
	echo "${s:-gone}"
}

alive() {
	local s
	s=$(proc_state "$1")
	[ "$s" != gone ] && [ "$s" != Z ] && [ "$s" != X ]
}

# wait_exit PID SECONDS: waits for a background child to exit; sets RC to its
# status. Returns 1 (RC=124) if it is still running after SECONDS.
wait_exit() {
	local pid=$1 n=$(($2 * 10)) i=0
	while alive "$pid"; do
		i=$((i + 1))
		if [ "$i" -ge "$n" ]; then
			RC=124
			return 1
		fi
		sleep 0.1
	done
	wait "$pid" 2>/dev/null
	RC=$?
	return 0
}

# wait_for FILE ERE SECONDS [PID]: waits until a line of FILE matches ERE;
# returns 1 on timeout or if PID (when given) exits first.
wait_for() {
	local f=$1 re=$2 n=$(($3 * 20)) pid=${4:-} i=0
	while ! grep -qE -- "$re" "$f" 2>/dev/null; do
		if [ -n "$pid" ] && ! alive "$pid"; then
			grep -qE -- "$re" "$f" 2>/dev/null && return 0
			return 1
		fi
		i=$((i + 1))
		[ "$i" -ge "$n" ] && return 1
		sleep 0.05
	done
	return 0
}

# -------------------------------------------------------------- probes -----

# perf_fds PID: perf_event fds the process holds (0 if it is gone).
perf_fds() {
	local n
	n=$(ls -l "/proc/$1/fd" 2>/dev/null | grep -c 'anon_inode:\[perf_event\]')
	echo "${n:-0}"
}

# probes_left PATH [PID] | probes_left PID: uprobes attached (by any process)
# to the executable PATH (or to PID's executable), from `bpftool perf show`
# (perf-event uprobes/uretprobes: USDT probes, and uprobes without
# multi-uprobe links) and `bpftool link show` (uprobe_multi links, each
# counted by its sites: bookworm-backports' bpftool, which
# tools/fetch-libbpf.sh unpacks; the system's 7.1 does not show their path).
# A filename of the form /proc/PID/... counts when PID is given. Prints the
# count.
BPFTOOL=${BPFTOOL:-$ROOT/build/libbpf/usr/sbin/bpftool}
[ -x "$BPFTOOL" ] || BPFTOOL=bpftool
probes_left() {
	local path pid=${2:-}
	if [[ $1 =~ ^[0-9]+$ ]] && [ -z "$pid" ]; then
		pid=$1
		path=$(readlink -f "/proc/$pid/exe" 2>/dev/null) || { echo 0; return; }
	else
		path=$(readlink -f "$1")
	fi
	"$BPFTOOL" -j perf show >"$TMP/.perf.json" 2>/dev/null || echo '[]' >"$TMP/.perf.json"
	"$BPFTOOL" -j link show >"$TMP/.link.json" 2>/dev/null || echo '[]' >"$TMP/.link.json"
	python3 - "$path" "$pid" "$TMP/.perf.json" "$TMP/.link.json" <<'EOF'
import json, os, sys
path, pid = sys.argv[1], sys.argv[2]
def load(f):
    try:
        v = json.load(open(f))
        return v if isinstance(v, list) else []
    except Exception:
        return []
def same(fn):
    if not isinstance(fn, str) or not fn:
        return False
    if pid and fn.startswith("/proc/%s/" % pid):
        return True
    try:
        return os.path.realpath(fn) == path
    except Exception:
        return False
n = 0
for e in load(sys.argv[3]):
    if e.get("fd_type") in ("uprobe", "uretprobe") and same(e.get("filename")):
        n += 1
for l in load(sys.argv[4]):
    for k in ("path", "filename", "file", "file_name", "binary_path"):
        if same(l.get(k)):
            n += l.get("func_cnt", 1)
            break
print(n)
EOF
}

# ------------------------------------------------- shared target checks ----

# check_server JSON GRACE_MS MODE: the report of tests/targets/server.c with
# N = 6 requests traced with --txn handle_request, leak grace GRACE_MS (500 or
# 10), MODE "cmd" (weft started it: the housekeeping thread is an orphan) or
# "attach" (-p after it started: the housekeeping thread is preattach).
# Needs $EXE (the server copy) and $LOG (its WEFT_TEST_LOG).
check_server() {
	local J=$1
	export GRACE_MS=$2 SRV_MODE=$3
	export SL_WORKERS SL_LEAK SL_CLEANUP
	SL_WORKERS=$(src_line server workers)
	SL_LEAK=$(src_line server leak)
	SL_CLEANUP=$(src_line server cleanup)
	json_valid "$J" "server report ($3, grace ${2}ms)" || return
	py_checks "$J" "server/$3/${2}ms" <<'EOF'
grace_ms, mode = int(E["GRACE_MS"]), E["SRV_MODE"]
grace = grace_ms * 1000000
check(d["target"]["exe"] == E["EXE"], "target.exe %r" % d["target"]["exe"])
check(d["target"]["pid"] == logrecs("main")[0]["tid"], "target.pid %s" % d["target"]["pid"])
cap = d["capture"]
check(cap["leak_grace_ns"] == grace, "capture.leak_grace_ns = %d, got %s" % (grace, cap["leak_grace_ns"]))
check(cap["lost_events"] == 0 and cap["evicted"] == 0, "no lost events / evictions: %s/%s" % (cap["lost_events"], cap["evicted"]))
check(any(p["spec"].endswith("handle_request") and p["hits"] >= 6 for p in cap["probes"]), "handle_request probe hit >= 6 times: %s" % cap["probes"])
ts = txns("handle_request")
check(len(ts) == 6 and len(T) == 6, "6 handle_request txns (and nothing else), got %d of %d" % (len(ts), len(T)))
check([t["segments"] for t in ts] == [4, 3, 3, 4, 3, 3], "segments per txn = [4,3,3,4,3,3], got %s" % [t["segments"] for t in ts])
want_leaked = [1, 0, 0, 1, 0, 0] if grace_ms >= 100 else [2, 1, 1, 2, 1, 1]
check([t["leaked"] for t in ts] == want_leaked, "leaked per txn = %s, got %s" % (want_leaked, [t["leaked"] for t in ts]))
check(all(t["end_ns"] is not None and t["conflated_with"] is None for t in ts), "all txns ended, none conflated")
want_groups = [["leak_worker_spawn", "thread", 2]]
if grace_ms < 100:
    want_groups = [["cleanup_spawn", "thread", 6]] + want_groups
check(groups(d["leaks"]) == want_groups, "leaks = %s, got %s" % (want_groups, groups(d["leaks"])))
check(all(g["txns"] == ["handle_request"] and g["max_age_ns"] >= grace for g in d["leaks"]), "leak groups owned by handle_request, max_age_ns >= grace: %s" % [(g["txns"], g["max_age_ns"]) for g in d["leaks"]])
check(d["conflations"] == [], "no conflations")
if mode == "cmd":
    check(orphans() == [["start_housekeeping", "thread", 1]], "orphans = [start_housekeeping thread 1], got %s" % orphans())
    hk = by_func("start_housekeeping", "thread")
    hk_tid = [r["tid"] for r in logrecs("housekeeping")]
    check(len(hk) == 1 and [hk[0]["obj"]] == hk_tid and hk[0]["txn"] == 0 and not hk[0]["preattach"], "housekeeping thread segment: obj %s, txn 0, not preattach: %s" % (hk_tid, hk))
else:
    check(orphans() == [], "no orphans (housekeeping thread is preattach), got %s" % orphans())
    hk_tid = [r["tid"] for r in logrecs("housekeeping")]
    pre = [s for s in S if s["preattach"]]
    check(all(s["txn"] == 0 and s["state"] != "leaked" for s in pre), "preattach segments: no txn, never leaked: %s" % [(s["obj"], s["txn"], s["state"]) for s in pre])
    check(all(s["obj"] in hk_tid + [d["target"]["pid"]] for s in pre if s["kind"] == "thread"), "preattach threads are main / housekeeping: %s" % [s["obj"] for s in pre])
    check(not [s for s in S if not s["preattach"] and s["kind"] == "thread" and s["obj"] in hk_tid], "housekeeping thread not reported as created after attach")
lines = {"spawn_workers": int(E["SL_WORKERS"]), "leak_worker_spawn": int(E["SL_LEAK"]), "cleanup_spawn": int(E["SL_CLEANUP"])}
logw = {"spawn_workers": "worker", "leak_worker_spawn": "leak", "cleanup_spawn": "cleanup"}
for i, t in enumerate(ts):
    root = seg(t["root_segment"])
    check(root["kind"] == "txn" and root["txn"] == t["id"] and root["state"] == "ended", "req %d: root segment %s" % (i, root))
    ch = kids(root["id"])
    got = sorted(s["site_func"] for s in ch)
    want = sorted(["spawn_workers", "spawn_workers", "cleanup_spawn"] + (["leak_worker_spawn"] if i % 3 == 0 else []))
    check(got == want, "req %d: root's children by site_func %s, got %s" % (i, want, got))
    check(all(s["kind"] == "thread" and s["txn"] == t["id"] and not kids(s["id"]) for s in ch), "req %d: children are childless threads of the txn" % i)
    check(len(in_txn(t)) == len(want), "req %d: nothing else in the txn: %d" % (i, len(in_txn(t))))
    for f in lines:
        segs = by_func(f, xs=ch)
        logged = sorted(r["tid"] for r in logrecs(logw[f]) if r.get("req") == i)
        check(sorted(s["obj"] for s in segs) == logged, "req %d: %s objs = logged tids %s, got %s" % (i, f, logged, sorted(s["obj"] for s in segs)))
        for s in segs:
            check(site_file(s) == "server.c" and site_line(s) in (lines[f], lines[f] + 1), "req %d: site %r at server.c:%d" % (i, s["site"], lines[f]))
    for s in by_func("spawn_workers", xs=ch):
        check(s["state"] == "ended" and s["end_ns"] <= t["end_ns"], "req %d: worker ended inside the txn: %s" % (i, s["state"]))
    for s in by_func("leak_worker_spawn", xs=ch):
        check(s["state"] == "leaked", "req %d: blocked thread leaked, got %s" % (i, s["state"]))
        check(s["start"] in ("leak_worker_main", None), "req %d: leak start %r" % (i, s["start"]))
    for s in by_func("cleanup_spawn", xs=ch):
        want_state = "ended" if grace_ms >= 100 else "leaked"
        check(s["state"] == want_state, "req %d: cleanup thread %s with grace %dms, got %s" % (i, want_state, grace_ms, s["state"]))
        check(s["end_ns"] is not None and s["end_ns"] > t["end_ns"], "req %d: cleanup thread ended after its txn" % i)
EOF
}

# ----------------------------------------------------- the test collector --

# collector_start JSONL [ARGS...]: the OpenTelemetry Collector built by
# tools/build-otelcol.sh, on free ports of 127.0.0.1, writing what it
# receives to JSONL (ARGS: its own, e.g. -no-profiles). Sets COL_PID, COL_HTTP, COL_GRPC; returns 1 (after a
# fail) when it is not built or does not start.
collector_start() {
	local col=$ROOT/build/otelcol/bin/weft-otelcol
	[ -x "$col" ] || { fail "no test collector at $col (tools/fetch-otelcol.sh, tools/build-otelcol.sh)"; return 1; }
	read -r COL_GRPC COL_HTTP < <(python3 "$ROOT/tests/runtime/free_ports.py" 2)
	bg COL_PID "$col" -o "$1" -grpc "127.0.0.1:$COL_GRPC" -http "127.0.0.1:$COL_HTTP" "${@:2}" 2>"$1.log"
	wait_for "$1.log" 'Everything is ready' 10 "$COL_PID" ||
		{ fail "the collector did not start: $(tail -n 3 "$1.log")"; return 1; }
}

# The span tree (otlp_tree.py) of gohttp 2 1 0: 2 /ok with their worker,
# /leak with its leak event
GOHTTP_TREE="GET /ok
  main.okWorker ended
GET /ok
  main.okWorker ended
GET /leak leaks=main.leakWorker error
  main.leakWorker leaked
traces 3
bad parents 0"

collector_stop() {
	kill -TERM "$COL_PID" 2>/dev/null
	wait "$COL_PID" 2>/dev/null
}
