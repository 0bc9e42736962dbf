#!/usr/bin/env bash
# weft-test-timeout: 240
# Go in production shapes, with the newest Go's stripped (-s -w) gotrace
# (tests/go/gotrace.go: 6 traces, 0 and 3 never released: 2 leaked
# goroutines each, blocked on a channel receive):
#   - a container: the target in its own PID and mount namespaces (made here
#     with unshare), its binary on a tmpfs only that namespace sees, pid 1
#     inside; weft is given the host pid;
#   - an upgrade in place: the running binary deleted and another Go build
#     put at its path; weft must read the file the process maps, not the
#     new one;
#   - no section headers (as packers and sstrip leave binaries): the build
#     info and pclntab found by their headers in the loaded segments;
#   - no .go.buildinfo at all (objcopy --remove-section), on every Go
#     version: Go known by its function table, its version by the runtime's
#     own string; traced as Go, never as a native program.
# Each: weft trace -p (transactions, leaks named by function and line, what
# they wait on) and weft goroutines -p (the same sites), no probe left.
. "$(dirname "$0")/lib.sh"
require_root
require_weft
command -v unshare >/dev/null || skip "no unshare (util-linux)"

VERSIONS=$(bash "$ROOT/tools/go-versions.sh")
[ -n "$VERSIONS" ] || skip "no Go toolchain installed (tools/install-deps.sh installs them)"
read -r V GO <<<"$(tail -n1 <<<"$VERSIONS")"
mkdir -p "$TMP/bin"
BIN=$TMP/bin/gotrace.stripped
if [ -x "$ROOT/build/tests/go/$V/gotrace.stripped" ]; then
	cp "$ROOT/build/tests/go/$V/gotrace.stripped" "$BIN"
else
	HOME=${HOME:-$TMP} GOCACHE=$ROOT/build/gocache GOPATH=$ROOT/tests/go GO111MODULE=off \
		CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS= "$GO" build -ldflags='-s -w' -o "$BIN" \
		"$ROOT/tests/go/gotrace.go" >"$TMP/build.log" 2>&1 ||
		{ fail "go $V: build failed: $(head -c 300 "$TMP/build.log")"; finish; }
fi
SRC=$ROOT/tests/go/gotrace.go
L_FORWARD=$(grep -n 'SITE:forward \*/' "$SRC" | cut -d: -f1)
L_WORKER=$(grep -n 'SITE:stateworker \*/' "$SRC" | cut -d: -f1)

# check LABEL PID: attach to a gotrace held at its start, release it, check
check() {
	local label=$1 pid=$2 wait=$3
	bg WPID "$WEFT" trace --format json -d 3 --txn main.handleTrace -p "$pid" \
		>"$TMP/$label.json" 2>"$TMP/$label.err"
	wait_for "$TMP/$label.err" attached 15 "$WPID" ||
		{ fail "$label: weft did not attach: $(head -c 300 "$TMP/$label.err")"; return; }
	touch "$wait"
	wait_exit "$WPID" 30
	assert_exit_ok "$label: weft trace -p"
	json_valid "$TMP/$label.json" "$label" || return
	assert_jq "$TMP/$label.json" '[t["leaked"] for t in d["transactions"]]' '[2,0,0,2,0,0]' \
		"$label: leaked per transaction"
	assert_jq "$TMP/$label.json" \
		'sorted((l["site_func"], l["site"].split(":")[-1].rstrip(")"), l["start"], l["count"], l["wait_reason"]) for l in d["leaks"])' \
		"$(python3 -c "import json; print(json.dumps(sorted([['main.(*manager).NewTrace', '$L_FORWARD', 'main.(*PubSub).forward', 2, 'chan receive'], ['main.(*manager).NewTrace', '$L_WORKER', 'main.(*manager).startStateWorker', 2, 'chan receive']]), separators=(',', ':')))")" \
		"$label: leaks named by function, line and start, with what they wait on"
	"$WEFT" goroutines -p "$pid" --format json >"$TMP/$label-g.json" 2>"$TMP/$label-g.err"
	assert_jq "$TMP/$label-g.json" \
		'len([g for g in d["goroutines"] if g["site_func"] == "main.(*manager).NewTrace" and g["wait_reason"] == "chan receive"])' \
		4 "$label: weft goroutines names the 4 blocked goroutines"
	assert_eq "$(probes_left "$pid")" 0 "$label: no probe left"
}

# a container: PID and mount namespaces, the binary on a private tmpfs
cp "$BIN" "$TMP/bin/api"
WEFT_TEST_LOG=$TMP/ns.log WEFT_TEST_WAIT=$TMP/ns-go bg UPID unshare --pid --mount --fork \
	--mount-proc bash -c "mkdir -p /opt/svc && mount -t tmpfs tmpfs /opt/svc &&
		cp '$TMP/bin/api' /opt/svc/api && exec /opt/svc/api 6 keep"
wait_for "$TMP/ns.log" 'gotrace main' 10 "$UPID" || fail "container: gotrace did not start"
NSPID=$(pgrep -P "$UPID" -x api | head -n1)
if [ -n "$NSPID" ]; then
	assert_eq "$(awk '/^NSpid:/ { print $3 }' "/proc/$NSPID/status")" 1 "container: pid 1 inside"
	CHECKS=$((CHECKS + 1))
	[ ! -e /opt/svc/api ] || fail "container: the binary is visible outside (test setup)"
	check container "$NSPID" "$TMP/ns-go"
	kill "$NSPID" 2>/dev/null
else
	fail "container: no api process under unshare $UPID"
fi

# an upgrade in place: deleted, another build at its path
cp "$BIN" "$TMP/bin/svc"
WEFT_TEST_LOG=$TMP/up.log WEFT_TEST_WAIT=$TMP/up-go bg SPID "$TMP/bin/svc" 6 keep
wait_for "$TMP/up.log" 'gotrace main' 10 "$SPID" || fail "upgrade: gotrace did not start"
rm -f "$TMP/bin/svc"
cp /bin/true "$TMP/bin/svc" # not even Go now
check upgrade "$SPID" "$TMP/up-go"
kill "$SPID" 2>/dev/null

# no section headers: -- CMD
python3 "$ROOT/tests/runtime/drop-section-headers.py" "$BIN" "$TMP/bin/packed"
WEFT_TEST_LOG=$TMP/packed.log weft_run "$TMP/packed.json" "$TMP/packed.err" \
	trace --format json --txn main.handleTrace -- "$TMP/bin/packed" 6
assert_exit_ok "no section headers: weft trace -- CMD"
json_valid "$TMP/packed.json" "no section headers" &&
	assert_jq "$TMP/packed.json" '[(t["segments"], t["leaked"]) for t in d["transactions"]]' \
		'[[2,2],[2,0],[2,0],[2,2],[2,0],[2,0]]' "no section headers: transactions and leaks" &&
	assert_jq "$TMP/packed.json" 'sorted(l["start"] for l in d["leaks"])' \
		'["main.(*PubSub).forward","main.(*manager).startStateWorker"]' "no section headers: leaks named"

# no .go.buildinfo, every version: traced as Go with its own version
while read -r v _; do
	matrix_cell go "$v" "no build info"
	src=$ROOT/build/tests/go/$v/gotrace.stripped
	[ -x "$src" ] || { fail "go $v: no $src (make go-targets)"; continue; }
	nobi=$TMP/bin/nobi-$v
	objcopy --remove-section .go.buildinfo "$src" "$nobi" || { fail "go $v: objcopy failed"; continue; }
	! grep -q 'Go buildinf:' "$nobi" || { fail "go $v: build info still there (test setup)"; continue; }
	WEFT_TEST_LOG=$TMP/nobi-$v.log weft_run "$TMP/nobi-$v.json" "$TMP/nobi-$v.err" \
		trace --format json --txn main.handleTrace -- "$nobi" 6
	assert_exit_ok "go $v, no .go.buildinfo: weft trace -- CMD"
	json_valid "$TMP/nobi-$v.json" "go $v, no .go.buildinfo" || continue
	assert_jq "$TMP/nobi-$v.json" '[(t["segments"], t["leaked"]) for t in d["transactions"]]' \
		'[[2,2],[2,0],[2,0],[2,2],[2,0],[2,0]]' "go $v, no .go.buildinfo: transactions and leaks"
	assert_jq "$TMP/nobi-$v.json" 'sorted(l["start"] for l in d["leaks"])' \
		'["main.(*PubSub).forward","main.(*manager).startStateWorker"]' \
		"go $v, no .go.buildinfo: leaks named"
	WEFT_TEST_LOG=$TMP/nobi-$v-g.log WEFT_TEST_WAIT=$TMP/nobi-$v-go bg NPID "$nobi" 6 keep
	wait_for "$TMP/nobi-$v-g.log" 'gotrace main' 10 "$NPID" || { fail "go $v: gotrace did not start"; continue; }
	"$WEFT" goroutines -p "$NPID" --format json >"$TMP/nobi-$v-g.json" 2>"$TMP/nobi-$v-g.err"
	assert_jq "$TMP/nobi-$v-g.json" 'd["target"]["go_version"].split(".")[:2]' \
		"$(python3 -c "import json; print(json.dumps(['go1', '${v#1.}'], separators=(',', ':')))")" \
		"go $v, no .go.buildinfo: the version from the runtime's string"
	kill "$NPID" 2>/dev/null
done <<<"$VERSIONS"

finish
