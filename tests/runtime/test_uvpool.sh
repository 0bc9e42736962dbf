#!/usr/bin/env bash
# --preset libuv on a statically linked libuv program: 4 handle_job
# transactions, each queueing 3 uv_work_t requests: 3 task segments per job,
# all ended (uv__queue_done), no leaks; libuv's 4 pool threads start before
# the first job (warm-up), outside any transaction: orphans.
. "$(dirname "$0")/lib.sh"
require_root
require_weft

target U uvpool
export EXE=$U LOG=$TMP/uvpool.log K=4
CHECKS=$((CHECKS + 1))
nm "$U" 2>/dev/null | grep -qw uv__queue_done || fail "uvpool has no uv__queue_done symbol (stripped or dynamically linked libuv?)"

J=$TMP/out.json
WEFT_TEST_LOG=$LOG weft_run "$J" "$TMP/err" trace --format json --preset libuv --txn handle_job -- "$U" "$K"
assert_exit_ok "weft trace --preset libuv -- uvpool"
assert_contains "$LOG" "uvpool done" "target completed"
json_valid "$J" "report" || finish

assert_jq "$J" 'd["target"]["exe"]' "$U" "target.exe"
assert_jq "$J" 'd["capture"]["lost_events"]' 0 "lost events"
assert_jq "$J" 'd["capture"]["evicted"]' 0 "evicted"
assert_jq "$J" 'len(txns("handle_job"))' "$K" "handle_job transactions"
assert_jq "$J" 'len(T)' "$K" "no other transactions"
assert_jq "$J" '[t["segments"] for t in txns("handle_job")]' '[3,3,3,3]' "segments per job"
assert_jq "$J" '[t["leaked"] for t in txns("handle_job")]' '[0,0,0,0]' "leaked per job"
assert_jq "$J" 'd["leaks"]' '[]' "no leaks"
assert_jq "$J" 'orphans()' '[["uv_thread_create_ex","thread",4]]' "orphans = libuv's 4 pool threads"
assert_jq "$J" 'd["conflations"]' '[]' "no conflations"
for sym in uv_queue_work uv__queue_work uv__queue_done; do
	assert_py "$J" "any(p['name'] == '$sym' and p['hits'] >= 12 for p in d['capture']['probes'])" \
		"preset probe on $sym, hit >= 12 times"
done

py_checks "$J" uvpool <<'EOF'
reqs = logrecs("uvpool")
check(len([s for s in S if s["kind"] == "task"]) == 12, "12 task segments in all, got %d" % len([s for s in S if s["kind"] == "task"]))
for j, t in enumerate(txns("handle_job")):
    root = seg(t["root_segment"])
    tasks = in_txn(t, "task")
    check(len(tasks) == 3 and len(in_txn(t)) == 3, "job %d: 3 task segments and nothing else, got %d of %d" % (j, len(tasks), len(in_txn(t))))
    check(all(s["parent"] == root["id"] for s in tasks), "job %d: tasks are children of the txn root" % j)
    want = sorted(r["obj"] for r in reqs if r.get("job") == j and "obj" in r)
    check(sorted(s["obj"] for s in tasks) == want, "job %d: task objs = the uv_work_t addresses %s, got %s" % (j, want, sorted(s["obj"] for s in tasks)))
    check(all(s["state"] == "ended" and s["end_ns"] <= t["end_ns"] for s in tasks), "job %d: all tasks ended inside the job: %s" % (j, [s["state"] for s in tasks]))
    check(all(not kids(s["id"]) for s in tasks), "job %d: work_cb creates nothing" % j)
pool = by_func("uv_thread_create_ex", "thread")
check(len(pool) == 4 and all(s["txn"] == 0 for s in pool), "4 pool threads outside any txn: %s" % [(s["txn"], s["site_func"]) for s in pool])
EOF

finish
