#!/usr/bin/env bash
# weft-test-timeout: 150
# The profiler (-F 999 --off-cpu, weft record then report) on the Go and
# Node programs with known CPU and blocking shapes (test_profile.sh does the
# C one). Each request kind 10 times; tolerance +-35% of what the program
# did (999 Hz: ~20 samples per 20 ms of CPU), "~0" means the median
# request under 1 ms off-CPU, 3 ms on-CPU (see check_shape).
#
# Go, tests/go/goshape.go (net/http: requests are transactions "GET /spin"
# etc. with no --txn), on the newest installed Go and on the oldest (1.19:
# the old ABI, g in TLS only), 20 ms per request:
#   GET /spin   on-CPU 20 ms in main.spinCPU (<- main.handleSpin), off ~0
#   GET /sleep  time.Sleep: on ~0 and off-CPU ~0 too: a parked goroutine
#               leaves its thread, which blocks (if it does) running no
#               goroutine, in no transaction
#   GET /wait   a goroutine made in the request (1 continuation) spins 10 ms
#               (main.childSpin) then sleeps 10 ms in a system call: on-CPU
#               10 ms and off-CPU 10 ms, both the child goroutine's, so the
#               request's; the handler's wait on a channel parks (not off-CPU)
#   GET /block  syscall.Nanosleep 20 ms: off-CPU 20 ms (the thread blocks
#               with the goroutine on it), stack through main.blockFor
# Folded `--txn 'GET /spin'` names main.spinCPU and holds only that name.
#
# Node, tests/node/nodeshape.js with --perf-basic-prof
# --interpreted-frames-native-stack (JavaScript frames named from
# /tmp/perf-PID.map), on every Node at hand (tools/node-versions.sh),
# driven by tests/node/nodeclient.js; context is the callback scope:
#   GET /spin   on-CPU 20 ms in spinBusy (the request's callback), off ~0
#   GET /wait   an fs.stat (a child continuation) whose callback spins
#               10 ms in childSpin: on-CPU 10 ms, off ~0
#   GET /fs     fs.readFile on libuv's pool: on ~0 (the callbacks), off ~0
#               (page cache; pool threads carry no request; the main thread
#               waits in epoll outside any callback scope)
#   GET /sleep  setTimeout 20 ms: on ~0, off ~0 (a JavaScript-only timer:
#               its callback runs outside the request's scope)
# Folded `--txn 'GET /spin'` names spinBusy.
. "$(dirname "$0")/lib.sh"
require_root
require_weft

GOS=$(bash "$ROOT/tools/go-versions.sh")
NODES=$(bash "$ROOT/tools/node-versions.sh")
[ -n "$GOS$NODES" ] || skip "no Go toolchain and no Node 20/22/24/26 (tools/install-deps.sh)"
mkdir -p "$TMP/bin"

# checks common to both runtimes: the JSON report $1, label $2; $KINDS are
# the names expected, 10 of each (plus $EXTRA, 1 of each)
check_common() {
	KINDS=$3 EXTRA=${4:-} py_checks "$1" "$2" <<'EOF'
p = d["profile"]
rows = {r["name"]: r for r in p["by_name"]}
kinds, extra = E["KINDS"].split(","), [x for x in E["EXTRA"].split(",") if x]
check(sorted(rows) == sorted(kinds + extra), "transaction names %s" % sorted(rows))
check(all(rows[n]["count"] == 10 for n in kinds if n in rows), "10 of each: %s" % [(n, r["count"]) for n, r in rows.items()])
check(p["sample_hz"] == 999 and p["samples_lost"] == 0, "999 Hz, none lost: %s %s" % (p["sample_hz"], p["samples_lost"]))
check(d["capture"]["lost_events"] == 0, "no lost events: %s" % d["capture"]["lost_events"])
for n in rows:
    ts = txns(n)
    check(sum(t["cpu_ns"] for t in ts) == rows[n]["cpu_ns"] and sum(t["offcpu_ns"] for t in ts) == rows[n]["offcpu_ns"], "%s: per-transaction totals add up to the name's" % n)
EOF
}

# shape checks: "NAME cpu|off WANT_MS" lines on stdin: WANT_MS within +-35%
# per request (the mean), or "~0": the median request under 3 ms on-CPU (a
# few samples of the request's own plumbing) or 1 ms off-CPU. The median,
# as a rare wait that is real but not the program's shape can land in any
# request: Node 24's main thread blocks now and then, inside a callback, in
# V8 (seen: 5-40 ms once in 40 requests, stack spinBusy <- [node])
check_shape() {
	SHAPES=$(cat) py_checks "$1" "$2" <<'EOF'
rows = {r["name"]: r for r in d["profile"]["by_name"]}
ms = 1e6
for line in E["SHAPES"].strip().split("\n"):
    name, what, want = line.rsplit(" ", 2)
    r = rows.get(name)
    if not r:
        check(False, "%s: no such transaction" % name)
        continue
    v = r["cpu_ns_per_txn" if what == "cpu" else "offcpu_ns_per_txn"] / ms
    label = "on-CPU" if what == "cpu" else "off-CPU"
    if want == "~0":
        lim = 3 if what == "cpu" else 1
        each = sorted(t["cpu_ns" if what == "cpu" else "offcpu_ns"] / ms for t in txns(name))
        med = each[len(each) // 2]
        check(med < lim, "%s %s of the median request %.2fms, want ~0 (< %d ms): %s" % (name, label, med, lim, ["%.2f" % x for x in each]))
    else:
        w = float(want)
        check(abs(v - w) <= 0.35 * w, "%s %s/req %.2fms, want %gms +-35%%" % (name, label, v, w))
EOF
}

# folded FILE LABEL TXN FRAMES JSON: `report --format folded --txn TXN` of
# the record FILE names the frames FRAMES (";a;b " in a line), holds only
# TXN, and its counts are TXN's samples in the JSON report
check_folded() {
	local rec=$1 label=$2 txn=$3 frames=$4 json=$5 f=$TMP/$2.folded
	weft_run "$f" "$TMP/$2.folded.err" report "$rec" --format folded --txn "$txn"
	assert_exit_ok "$label: report --format folded --txn '$txn'"
	assert_contains "$f" "$frames" "$label: folded --txn '$txn' names the spinning function"
	CHECKS=$((CHECKS + 1))
	grep -qvF "$txn;" "$f" && fail "$label: folded --txn '$txn' holds other names: $(grep -vF "$txn;" "$f" | head -3)"
	FSUM=$(awk '{ s += $NF } END { print s + 0 }' "$f") TXN=$txn assert_py "$json" \
		'[r["cpu_samples"] for r in d["profile"]["by_name"] if r["name"] == E["TXN"]] == [int(E["FSUM"])]' \
		"$label: folded counts add up to '$txn''s samples"
}

# ------------------------------------------------------------------- Go ---

# go_shape VERSION GO: build (or take `make go-targets`' build of) goshape,
# record it, check the report
go_shape() {
	local v=$1 go=$2 bin=$TMP/bin/goshape-$1 R=$TMP/go-$1.weft J=$TMP/go-$1.json
	if [ -x "$ROOT/build/tests/go/$v/goshape" ]; then
		cp "$ROOT/build/tests/go/$v/goshape" "$bin"
	else
		HOME=${HOME:-$TMP} GOCACHE=$ROOT/build/gocache GOPATH=$ROOT/tests/go GO111MODULE=off \
			CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS= \
			"$go" build -o "$bin" "$ROOT/tests/go/goshape.go" >"$TMP/build-go-$v.log" 2>&1 ||
			{ fail "go $v: build goshape failed: $(head -c 600 "$TMP/build-go-$v.log")"; return; }
	fi
	WEFT_TEST_LOG=$TMP/go-$v.log weft_run "$TMP/go-$v.out" "$TMP/go-$v.err" record -F 999 \
		--off-cpu -o "$R" -- "$bin" 10 20
	assert_exit_ok "go $v: record -F 999 --off-cpu -- goshape"
	assert_contains "$TMP/go-$v.log" "goshape done 10" "go $v: goshape ran to its end"
	weft_run "$J" "$TMP/go-$v.rep.err" report "$R" --format json
	assert_exit_ok "go $v: report --format json"
	json_valid "$J" "go $v report" || return
	check_common "$J" "go $v" "GET /spin,GET /sleep,GET /wait,GET /block"
	check_shape "$J" "go $v" <<-EOF
		GET /spin cpu 20
		GET /spin off ~0
		GET /sleep cpu ~0
		GET /sleep off ~0
		GET /wait cpu 10
		GET /wait off 10
		GET /block cpu ~0
		GET /block off 20
	EOF
	py_checks "$J" "go $v stacks" <<-'EOF'
		rows = {r["name"]: r for r in d["profile"]["by_name"]}
		sp, wa, bl = rows["GET /spin"], rows["GET /wait"], rows["GET /block"]
		top = lambda r, k: r[k][0]["frames"] if r[k] else []
		check(top(sp, "top_cpu_stacks")[:2] == ["main.spinCPU", "main.handleSpin"], "spin's top stack main.spinCPU <- main.handleSpin: %s" % top(sp, "top_cpu_stacks")[:3])
		check(top(wa, "top_cpu_stacks")[:2] == ["main.childSpin", "main.childWork"], "wait's top stack is the child goroutine's main.childSpin <- main.childWork: %s" % top(wa, "top_cpu_stacks")[:3])
		check("main.blockFor" in top(bl, "top_offcpu_stacks") and "main.handleBlock" in top(bl, "top_offcpu_stacks"), "block's off-CPU stack through main.blockFor <- main.handleBlock: %s" % top(bl, "top_offcpu_stacks"))
		check("main.childWork" in top(wa, "top_offcpu_stacks"), "wait's off-CPU stack is the child goroutine's: %s" % top(wa, "top_offcpu_stacks"))
		check(wa["continuations_per_txn"] == 1 and sp["continuations_per_txn"] == 0, "continuations per request: wait 1, spin 0")
		# the spin's CPU is in the request, not outside it
		out = [s for s in d["profile"]["outside"].get("top_cpu_stacks", []) if "main.spinCPU" in s["frames"] or "main.childSpin" in s["frames"]]
		check(not out, "no spinCPU/childSpin sample outside the requests: %s" % out[:2])
	EOF
	check_folded "$R" "go-$v" "GET /spin" ";main.handleSpin;main.spinCPU " "$J"
	assert_eq "$(probes_left "$bin")" 0 "go $v: no probe left"
}

if [ -n "$GOS" ]; then
	# the newest, and the oldest (1.19: the old ABI, g in TLS only)
	read -r NEWEST NEWEST_GO < <(tail -n1 <<<"$GOS")
	read -r OLDEST OLDEST_GO < <(head -n1 <<<"$GOS")
	go_shape "$NEWEST" "$NEWEST_GO"
	[ "$OLDEST" != "$NEWEST" ] && go_shape "$OLDEST" "$OLDEST_GO"
else
	note "no Go toolchain: Go not checked"
fi

# ----------------------------------------------------------------- Node ---

SRV=$ROOT/tests/node/nodeshape.js
CLI=$ROOT/tests/node/nodeclient.js
node_shape() {
	local V=$1 NODE=$2 R=$TMP/node-$1.weft J=$TMP/node-$1.json
	rm -f "$TMP/port"
	WEFT_TEST_PORT_FILE=$TMP/port WEFT_TEST_LOG=$TMP/node-$V.log bg WPID "$WEFT" record \
		-F 999 --off-cpu -o "$R" -- "$NODE" --perf-basic-prof --interpreted-frames-native-stack \
		"$SRV" 20 >"$TMP/node-$V.out" 2>"$TMP/node-$V.err"
	wait_for "$TMP/port" . 15 "$WPID" || { fail "node $V: the server did not start: $(tail -c 300 "$TMP/node-$V.err")"; return; }
	"$NODE" "$CLI" "$(cat "$TMP/port")" '/spin*10' '/wait*10' '/fs*10' '/sleep*10' \
		>"$TMP/cli-$V.out" 2>&1 || fail "node $V: client: $(tail -c 300 "$TMP/cli-$V.out")"
	"$NODE" "$CLI" "$(cat "$TMP/port")" /exit >/dev/null 2>&1
	wait_exit "$WPID" 20 || { fail "node $V: weft did not stop with the server"; return; }
	assert_exit_ok "node $V: record -F 999 --off-cpu -- node nodeshape.js"
	assert_eq "$(cat "$TMP/node-$V.out")" "nodeshape served 41 requests" "node $V: the server's stdout"
	weft_run "$J" "$TMP/node-$V.rep.err" report "$R" --format json
	assert_exit_ok "node $V: report --format json"
	json_valid "$J" "node $V report" || return
	check_common "$J" "node $V" "GET /spin,GET /wait,GET /fs,GET /sleep" "GET /exit"
	check_shape "$J" "node $V" <<-EOF
		GET /spin cpu 20
		GET /spin off ~0
		GET /wait cpu 10
		GET /wait off ~0
		GET /fs cpu ~0
		GET /fs off ~0
		GET /sleep cpu ~0
		GET /sleep off ~0
	EOF
	V=$V py_checks "$J" "node $V stacks" <<-'EOF'
		import os
		fs_reqs = 1 if int(os.environ["V"]) >= 26 else 4 # 26: readFile is one ReadFileJob
		rows = {r["name"]: r for r in d["profile"]["by_name"]}
		top = lambda r: r["top_cpu_stacks"][0]["frames"] if r["top_cpu_stacks"] else []
		check(top(rows["GET /spin"])[:1] == ["spinBusy"], "spin's top stack is spinBusy's: %s" % top(rows["GET /spin"])[:3])
		check(top(rows["GET /wait"])[:1] == ["childSpin"], "wait's top stack is childSpin's (in the fs.stat callback): %s" % top(rows["GET /wait"])[:3])
		check(rows["GET /wait"]["continuations_per_txn"] == 1 and rows["GET /fs"]["continuations_per_txn"] == fs_reqs, "continuations per request: wait 1 (FSREQCALLBACK), fs %d: %s" % (fs_reqs, [rows[n]["continuations_per_txn"] for n in ("GET /wait", "GET /fs")]))
	EOF
	check_folded "$R" "node-$V" "GET /spin" ";spinBusy " "$J"
	assert_eq "$(probes_left "$NODE")" 0 "node $V: no probe left"
}

if [ -n "$NODES" ]; then
	while read -r V NODE; do
		matrix_cell node "$V" profile
		node_shape "$V" "$NODE"
	done <<<"$NODES"
	matrix_close
else
	note "no Node 20, 22, 24 or 26: Node not checked"
fi

finish
