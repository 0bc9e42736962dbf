#!/usr/bin/env bash
# The profiler (-F, --off-cpu) on tests/targets/cpushape.c: 10 rounds of
# three transactions with known shapes, 20 ms each:
#   spin   20 ms of CPU in spin_cpu, nothing blocks
#   sleep  nanosleep 20 ms
#   wait   a child thread spins 10 ms (child_spin) and sleeps 10 ms; main
#          blocks in pthread_join meanwhile
# Tolerance: on-CPU and off-CPU per request within +-35% of what the
# program did (sampling at 999 Hz gives ~20 samples per spin request).
# Checked live (trace) and from a record file reported after the target's
# binary was deleted (the record carries the symbols), whose totals must be
# what the recording counted; folded stacks name spin_cpu; a Go program
# sampled at 999 Hz still runs and reports as without samples.
. "$(dirname "$0")/lib.sh"
require_root
require_weft

target C cpushape
export EXE=$C

# checks on a JSON report of `cpushape 10 20`
check_shapes() {
	py_checks "$1" "$2" <<'EOF'
p = d["profile"]
rows = {r["name"]: r for r in p["by_name"]}
ms = 1e6
def near(v, want, tol=0.35): return abs(v - want) <= want * tol
check(p["sample_hz"] == 999 and p["sample_period_ns"] == 1001001, "sample_hz 999: %s" % p["sample_hz"])
check(p["samples_lost"] == 0, "no sample lost: %s" % p["samples_lost"])
check(p["offcpu_min_ns"] == 100000, "off-CPU spans >= 100us: %s" % p["offcpu_min_ns"])
check(sorted(rows) == ["sleep", "spin", "wait"], "3 transaction names: %s" % sorted(rows))
check(all(rows[n]["count"] == 10 for n in rows), "10 of each: %s" % [(n, rows[n]["count"]) for n in rows])
sp, sl, wa = rows["spin"], rows["sleep"], rows["wait"]
check(near(sp["cpu_ns_per_txn"], 20 * ms), "spin on-CPU/req %.2fms, want 20ms +-35%%" % (sp["cpu_ns_per_txn"] / ms))
check(sp["offcpu_ns_per_txn"] < 1 * ms, "spin off-CPU/req %.2fms, want ~0" % (sp["offcpu_ns_per_txn"] / ms))
check(near(sl["offcpu_ns_per_txn"], 20 * ms), "sleep off-CPU/req %.2fms, want 20ms +-35%%" % (sl["offcpu_ns_per_txn"] / ms))
check(sl["cpu_ns_per_txn"] < 2 * ms, "sleep on-CPU/req %.2fms, want ~0" % (sl["cpu_ns_per_txn"] / ms))
check(near(wa["cpu_ns_per_txn"], 10 * ms), "wait on-CPU/req %.2fms (the child's spin), want 10ms +-35%%" % (wa["cpu_ns_per_txn"] / ms))
# the child's sleep (10 ms) and main's join (~20 ms)
check(near(wa["offcpu_ns_per_txn"], 30 * ms), "wait off-CPU/req %.2fms, want 30ms +-35%%" % (wa["offcpu_ns_per_txn"] / ms))
check(wa["continuations_per_txn"] == 1 and sp["continuations_per_txn"] == 0, "continuations per request: wait 1, spin 0")
# the weft.h markers: begin and end, 2 traps a request (the child thread: a tracepoint, none)
check(all(rows[n]["traps_per_txn"] == 2 for n in rows), "2 traps per request: %s" % [(n, rows[n]["traps_per_txn"]) for n in rows])
check(sp["top_cpu_stacks"] and sp["top_cpu_stacks"][0]["frames"][:2] == ["spin_cpu", "run_spin"], "spin's top stack spin_cpu <- run_spin: %s" % sp["top_cpu_stacks"][:1])
check(wa["top_cpu_stacks"] and wa["top_cpu_stacks"][0]["frames"][:2] == ["child_spin", "wait_child"], "wait's top stack child_spin <- wait_child: %s" % wa["top_cpu_stacks"][:1])
check(sl["top_offcpu_stacks"] and "clock_nanosleep" in sl["top_offcpu_stacks"][0]["frames"][0], "sleep blocks in clock_nanosleep: %s" % sl["top_offcpu_stacks"][:1])
for n in rows:
    ts = txns(n)
    check(sum(t["cpu_ns"] for t in ts) == rows[n]["cpu_ns"] and sum(t["offcpu_ns"] for t in ts) == rows[n]["offcpu_ns"], "%s: per-transaction totals add up to the name's" % n)
EOF
}

# live
J=$TMP/live.json
weft_run "$J" "$TMP/live.err" trace -F 999 --off-cpu --format json -- "$C" 10 20
assert_exit_ok "trace -F 999 --off-cpu -- cpushape"
json_valid "$J" "live report" || finish
check_shapes "$J" live
CHECKS=$((CHECKS + 1))
[ "$(probes_left "$C")" = 0 ] || fail "uprobes left on $C after trace"

# record -p PID -d 2: a process already running; it runs on, untouched
bg CPID "$C" 300 20
sleep 0.3
weft_run "$TMP/p.out" "$TMP/p.err" record -p "$CPID" -d 2 -F 999 -o "$TMP/p.weft"
assert_exit_ok "record -p PID -d 2 -F 999"
weft_run "$TMP/p.json" "$TMP/p-rep.err" report "$TMP/p.weft" --format json
assert_exit_ok "report of the -p record"
py_checks "$TMP/p.json" "-p" <<'EOF'
rows = {r["name"]: r for r in d["profile"]["by_name"]}
check(set(rows) == {"spin", "sleep", "wait"} and min(r["count"] for r in rows.values()) >= 15, "about 2 s of requests: %s" % [(n, r["count"]) for n, r in rows.items()])
check(abs(rows["spin"]["cpu_ns_per_txn"] - 20e6) <= 20e6 * 0.35, "spin on-CPU/req %.2fms, want 20ms +-35%%" % (rows["spin"]["cpu_ns_per_txn"] / 1e6))
EOF
assert_eq "$(probes_left "$C")" 0 "-p: no probe left"
assert_eq "$(proc_state "$CPID" | tr -d RS)" "" "-p: the target runs on"
kill "$CPID" 2>/dev/null

# record, then report with the binary gone (another machine)
R=$TMP/rec.weft
weft_run "$TMP/rec.out" "$TMP/rec.err" record -F 999 --off-cpu -o "$R" -- "$C" 10 20
assert_exit_ok "record -F 999 --off-cpu"
line=$(grep -m1 '^\[ weft record' "$TMP/rec.err")
assert_match "$line" '\(([0-9]+) samples, ([0-9]+) off-CPU spans\)' "record's summary counts samples"
[[ $line =~ \(([0-9]+)\ samples,\ ([0-9]+)\ off-CPU ]] && export NS=${BASH_REMATCH[1]} NO=${BASH_REMATCH[2]}
rm -f "$C"
weft_run "$TMP/rep.json" "$TMP/rep.err" report "$R" --format json
assert_exit_ok "report --format json (binary deleted)"
json_valid "$TMP/rep.json" "report of the record" || finish
check_shapes "$TMP/rep.json" report
py_checks "$TMP/rep.json" totals <<'EOF'
p = d["profile"]
on = sum(r["cpu_samples"] for r in p["by_name"]) + p["outside"]["cpu_samples"]
check(on == int(E["NS"]), "report's samples %d = the recording's %s" % (on, E["NS"]))
off = sum(r["offcpu_spans"] for r in p["by_name"]) + p["outside"]["offcpu_spans"]
check(off == int(E["NO"]), "report's off-CPU spans %d = the recording's %s" % (off, E["NO"]))
check(p["samples_taken"] == on, "samples taken in BPF %d = received %d (none lost)" % (p["samples_taken"], on))
EOF
# the live report and the record's agree (two runs: per request, within 35%)
export TMP
py_checks "$TMP/rep.json" "live vs report" <<'EOF'
live = {r["name"]: r for r in json.load(open(E["TMP"] + "/live.json"))["profile"]["by_name"]}
for r in d["profile"]["by_name"]:
    for k in ("cpu_ns_per_txn", "offcpu_ns_per_txn"):
        a, b = r[k], live[r["name"]][k]
        check(abs(a - b) <= 0.35 * max(a, b) or max(a, b) < 1.5e6, "%s %s: report %d, live %d" % (r["name"], k, a, b))
EOF

# folded: one transaction name, on-CPU samples; off-CPU in microseconds
F=$TMP/spin.folded
weft_run "$F" "$TMP/fold.err" report "$R" --format folded --txn spin
assert_exit_ok "report --format folded --txn spin"
assert_contains "$F" ";run_spin;spin_cpu " "folded stack of spin names spin_cpu"
CHECKS=$((CHECKS + 1))
grep -qv '^spin;' "$F" && fail "folded --txn spin holds other names: $(grep -v '^spin;' "$F" | head -3)"
CHECKS=$((CHECKS + 1))
grep -qvE '^[^ ].* [0-9]+$' "$F" && fail "folded lines are 'stack count': $(grep -vE ' [0-9]+$' "$F" | head -3)"
export FSUM
FSUM=$(awk '{ s += $NF } END { print s + 0 }' "$F")
assert_jq "$TMP/rep.json" '[r["cpu_samples"] for r in d["profile"]["by_name"] if r["name"] == "spin"][0]' "$FSUM" "folded counts add up to spin's samples"
weft_run "$TMP/off.folded" "$TMP/off.err" report "$R" --format folded --off-cpu --txn sleep
assert_exit_ok "report --format folded --off-cpu --txn sleep"
assert_contains "$TMP/off.folded" "clock_nanosleep " "off-CPU folded stack of sleep"
export OSUM
OSUM=$(awk '{ s += $NF } END { print s + 0 }' "$TMP/off.folded")
assert_py "$TMP/rep.json" 'abs([r["offcpu_ns"] for r in d["profile"]["by_name"] if r["name"] == "sleep"][0] / 1000 - int(E["OSUM"])) <= 10' "off-CPU folded weights are the microseconds blocked"
weft_run "$TMP/all.folded" "$TMP/all.err" report "$R" --format folded
assert_contains "$TMP/all.folded" "wait;start_thread;wait_child;child_spin " "folded: the child thread's samples are the wait transaction's"

# text
weft_run "$TMP/rep.txt" "$TMP/rept.err" report "$R"
assert_exit_ok "report (text)"
assert_contains "$TMP/rep.txt" "Profile per request (-F 999: " "text: profile table"
assert_contains "$TMP/rep.txt" "spin, on-CPU:" "text: top stacks of spin"
assert_contains "$TMP/rep.txt" " spin_cpu" "text: spin_cpu in the top stacks"

# trace -o FILE --format folded
target C2 cpushape
weft_run "$TMP/t.out" "$TMP/t.err" trace -F 999 --format folded -o "$TMP/t.folded" -- "$C2" 2 20
assert_exit_ok "trace --format folded -o"
assert_contains "$TMP/t.folded" "spin;" "trace -o FILE --format folded"

# one clear error line for a bad frequency
weft_run "$TMP/bad.out" "$TMP/bad.err" trace -F 0 -- "$C2"
assert_one_error_line "$TMP/bad.err" "-F 0" "-F" "1..10000"

# Go: sampling on every thread must not disturb the program
GOBIN=$(ls -d "$ROOT"/build/tests/go/1.*/gohttp 2>/dev/null | sort -V | tail -n1)
if [ -n "$GOBIN" ]; then
	mkdir -p "$TMP/bin" && cp "$GOBIN" "$TMP/bin/gohttp" && export EXE=$TMP/bin/gohttp
	weft_run "$TMP/go.json" "$TMP/go.err" trace -F 999 --off-cpu --format json -- "$TMP/bin/gohttp" 20 2
	assert_exit_ok "trace -F 999 -- gohttp"
	json_valid "$TMP/go.json" "Go report" &&
		py_checks "$TMP/go.json" go <<'EOF'
rows = {r["name"]: r for r in d["profile"]["by_name"]}
check(sorted((n, r["count"]) for n, r in rows.items()) == [("GET /leak", 2), ("GET /ok", 20)], "20 GET /ok, 2 GET /leak: %s" % [(n, r["count"]) for n, r in rows.items()])
check(groups(d["leaks"]) == [["main.handleLeak", "goroutine", 2]], "2 leaks at main.handleLeak: %s" % groups(d["leaks"]))
check(d["profile"]["samples_lost"] == 0 and d["capture"]["lost_events"] == 0, "nothing lost")
# ServeHTTP's entry and RET, the goroutine's creation, and its exit (the leak's: none)
check(sorted(set((t["name"], t["traps"]) for t in d["transactions"])) == [("GET /leak", 3), ("GET /ok", 4)], "traps per request: GET /ok 4, GET /leak 3: %s" % sorted(set((t["name"], t["traps"]) for t in d["transactions"])))
EOF
else
	note "no Go build (make go-targets): Go sampling not checked"
fi

finish
