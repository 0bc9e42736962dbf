#!/usr/bin/env bash
# weft.h USDT markers (tests/targets/markers.c), attached automatically:
# 3 transactions "job", each creating 2 tasks (WEFT_TASK_CREATE) that one
# worker thread runs (WEFT_TASK_BEGIN/END); each task run creates 1 detached
# thread. Expected per job: root -> 2 tasks -> 1 thread each.
. "$(dirname "$0")/lib.sh"
require_root
require_weft

[ -x "$TARGETS/markers" ] || [ -f "$TARGET_SRC/markers.c" ] ||
	skip "markers target missing (no $TARGETS/markers, no tests/targets/markers.c)"
[ -f "$ROOT/include/weft/weft.h" ] || skip "include/weft/weft.h missing"
target M markers
export EXE=$M LOG=$TMP/markers.log
export TASK_END_USED=0
grep -q 'WEFT_TASK_END' "$TARGET_SRC/markers.c" 2>/dev/null && TASK_END_USED=1
# markers.c (written separately) documents an exact shape: worker thread
# from start_worker (orphan), helpers created in run_task, log lines
# "markers task txn=I idx=K obj=N" / "markers helper txn=I idx=K tid=T".
# Assert it exactly while the source still says so.
export STRICT=0
grep -q 'site_func start_worker' "$TARGET_SRC/markers.c" 2>/dev/null &&
	grep -q 'markers task txn=' "$TARGET_SRC/markers.c" && STRICT=1
CHECKS=$((CHECKS + 1))
readelf -n "$M" 2>/dev/null | grep -q 'Provider: weft' || fail "markers binary has no weft USDT notes (readelf -n)"

J=$TMP/out.json
WEFT_TEST_LOG=$LOG weft_run "$J" "$TMP/err" trace --format json -- "$M"
assert_exit_ok "weft trace -- markers"
json_valid "$J" "report" || finish

assert_jq "$J" 'd["target"]["exe"]' "$M" "target.exe"
assert_jq "$J" 'd["capture"]["lost_events"]' 0 "lost events"
assert_jq "$J" 'sorted(set(t["name"] for t in T))' '["job"]' "transaction names (from WEFT_TXN_BEGIN)"
assert_jq "$J" 'len(txns("job"))' 3 "3 job transactions"
assert_jq "$J" 'd["conflations"]' '[]' "no conflations"

py_checks "$J" markers <<'EOF'
strict = E["STRICT"] == "1"
task_log = logrecs("task")
helper_log = logrecs("helper")
for i, t in enumerate(txns("job")):
    check(t["end_ns"] is not None, "job %d ended (WEFT_TXN_END)" % i)
    root = seg(t["root_segment"])
    check(root["kind"] == "txn" and root["txn"] == t["id"], "job %d: root segment kind txn: %s" % (i, root))
    tasks = kids(root["id"], "task")
    check(len(tasks) == 2, "job %d: 2 task children of the root, got %d" % (i, len(tasks)))
    check(len(in_txn(t, "task")) == 2, "job %d: 2 tasks in the txn, got %d" % (i, len(in_txn(t, "task"))))
    check(len(set(s["obj"] for s in tasks)) == len(tasks), "job %d: task objs distinct" % i)
    for k, s in enumerate(tasks):
        check(s["txn"] == t["id"], "job %d task %d: in the txn" % (i, k))
        th = kids(s["id"])
        check(len(th) == 1 and th[0]["kind"] == "thread", "job %d task %d: exactly 1 child, a thread: %s" % (i, k, [c["kind"] for c in th]))
        check(all(c["txn"] == t["id"] and not c["preattach"] for c in th), "job %d task %d: its thread is in the txn" % (i, k))
        check(all(not kids(c["id"]) for c in th), "job %d task %d: the thread has no children" % (i, k))
        if E["TASK_END_USED"] == "1":
            check(s["state"] == "ended", "job %d task %d: ended by WEFT_TASK_END, got %s" % (i, k, s["state"]))
        if strict:
            check(s["end_ns"] is not None and s["end_ns"] <= t["end_ns"], "job %d task %d: ended before the txn" % (i, k))
            check(all(c["site_func"] == "run_task" and c["state"] != "leaked" for c in th), "job %d task %d: helper site_func run_task, not leaked: %s" % (i, k, [(c["site_func"], c["state"]) for c in th]))
    if strict:
        want = sorted(r["obj"] for r in task_log if r.get("txn") == i)
        check(sorted(s["obj"] for s in tasks) == want, "job %d: task objs = logged %s, got %s" % (i, want, sorted(s["obj"] for s in tasks)))
        want_h = sorted(r["tid"] for r in helper_log if r.get("txn") == i)
        got_h = sorted(c["obj"] for s2 in tasks for c in kids(s2["id"]))
        check(got_h == want_h, "job %d: helper objs = logged tids %s, got %s" % (i, want_h, got_h))
        check(t["segments"] == 4 and t["leaked"] == 0, "job %d: segments 4, leaked 0, got %s, %s" % (i, t["segments"], t["leaked"]))
    else:
        check(t["segments"] == len(in_txn(t)) and t["segments"] >= 4, "job %d: segments %s = its segments in the list (%d), >= 4" % (i, t["segments"], len(in_txn(t))))
if E["TASK_END_USED"] == "1":
    check(not [g for g in d["leaks"] if g["kind"] == "task"], "no task leaks: %s" % groups(d["leaks"]))
if strict:
    check(d["leaks"] == [], "no leaks, got %s" % groups(d["leaks"]))
    check(orphans() == [["start_worker", "thread", 1]], "orphans = the worker thread (start_worker), got %s" % orphans())
EOF

finish
