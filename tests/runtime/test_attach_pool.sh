#!/usr/bin/env bash
# weft trace -p on a thread pool (tests/targets/pool.c, K = 3 batches, 700 ms
# tail) whose 3 worker threads already exist when weft attaches, with
#   --txn handle_batch --task-create submit_task:arg0 --task-done run_task:arg0
# The workers are never seen created: they are not orphans (as they are under
# `weft trace -- pool`, see test_pool_taskspec.sh) and not leaks; a worker
# shows up only once it runs a task, as a preattach thread segment (txn 0).
# Tasks and helper threads attribute exactly as in test_pool_taskspec.sh
# (per batch: 4 tasks children of the txn root + 1 helper thread child of
# task 0 = 5 segments, all ended inside the txn); no orphans, leaks or
# conflations at all.
#
# pool.c holds at target_wait() ($WEFT_TEST_WAIT) after pool_start(), so the
# workers exist when weft attaches.
. "$(dirname "$0")/lib.sh"
require_root
require_weft

target P pool
export EXE=$P K=3 LOG=$TMP/pool.log
GO=$TMP/go

WEFT_TEST_WAIT=$GO WEFT_TEST_LOG=$LOG bg TPID "$P" "$K" 700
for _ in $(seq 100); do
	[ "$(grep -c 'pool worker tid=' "$LOG")" -ge 3 ] && break
	sleep 0.05
done
assert_eq "$(grep -c 'pool worker tid=' "$LOG")" 3 "3 workers started before the attach"

ERR_FILE=$TMP/err
bg WPID "$WEFT" trace --format json --txn handle_batch --task-create submit_task:arg0 \
	--task-done run_task:arg0 -p "$TPID" >"$TMP/out.json" 2>"$ERR_FILE"
if ! wait_for "$ERR_FILE" 'attached' 15 "$WPID"; then
	fail "weft did not print an 'attached' line on stderr: $(head -c 600 "$ERR_FILE" | tr '\n' '|')"
	finish
fi
CHECKS=$((CHECKS + 1))
grep -q 'pool task ' "$LOG" && fail "a batch began before weft attached"
touch "$GO"

wait_exit "$WPID" 30 || { fail "weft still running 30 s after the attach (the target should have exited)"; finish; }
assert_exit_ok "weft trace -p (pool)"
assert_contains "$LOG" "pool done" "target completed"
J=$TMP/out.json
json_valid "$J" "report" || finish
assert_jq "$J" 'd["target"]["exe"]' "$P" "target.exe"
assert_jq "$J" 'd["target"]["pid"]' "$TPID" "target.pid"
assert_jq "$J" 'd["capture"]["lost_events"]' 0 "lost events"
assert_jq "$J" 'd["capture"]["evicted"]' 0 "evicted"
assert_jq "$J" 'len(txns("handle_batch"))' "$K" "handle_batch transactions"
assert_jq "$J" 'len(T)' "$K" "no other transactions"
assert_jq "$J" 'd["orphans"]' '[]' "no orphans at all (the workers predate the attach)"
assert_jq "$J" 'd["leaks"]' '[]' "no leaks"
assert_jq "$J" 'd["conflations"]' '[]' "no conflations"

py_checks "$J" attach_pool <<'EOF'
K = int(E["K"])
main_tid = logrecs("main")[0]["tid"]
worker_tids = [r["tid"] for r in logrecs("worker")]
tasks_logged = logrecs("task")
helpers_logged = logrecs("helper")
check(len(worker_tids) == 3, "log: 3 workers, got %s" % worker_tids)
# the workers: never seen created
check(by_func("pool_start") == [], "no segment with site pool_start (worker creation predates the attach): %s" % by_func("pool_start"))
wsegs = [s for s in S if s["kind"] == "thread" and s["obj"] in worker_tids]
check(len(wsegs) >= 1, "at least one worker ran a task and shows up (preattach)")
check(len(set(s["obj"] for s in wsegs)) == len(wsegs), "at most one segment per worker: %s" % [s["obj"] for s in wsegs])
for s in wsegs:
    check(s["preattach"] and s["txn"] == 0 and s["parent"] == 0, "worker %s: preattach, no txn, no parent: %s" % (s["obj"], s))
    check(s["state"] == "ended", "worker %s: ended (joined at pool_stop), got %s" % (s["obj"], s["state"]))
pre = [s for s in S if s["preattach"]]
check(all(s["kind"] == "thread" for s in pre), "preattach segments are threads only (every task is seen created): %s" % [(s["kind"], s["obj"]) for s in pre])
check(sorted(s["obj"] for s in pre) == sorted([main_tid] + [s["obj"] for s in wsegs]), "preattach threads = main + the workers that ran tasks: %s" % [s["obj"] for s in pre])
check(all(s["state"] != "leaked" for s in pre), "no preattach segment leaked")
mainseg = [s for s in pre if s["obj"] == main_tid]
# everything else: roots, 4K tasks, K helpers
all_tasks = [s for s in S if s["kind"] == "task"]
helpers = [s for s in S if s["kind"] == "thread" and not s["preattach"]]
check(len(all_tasks) == 4 * K, "%d task segments in all, got %d" % (4 * K, len(all_tasks)))
check(len(set(s["obj"] for s in all_tasks)) == 4 * K, "task objs distinct")
check(len(helpers) == K and all(s["site_func"] == "spawn_helper" for s in helpers), "the only threads seen created: %d helpers (spawn_helper), got %s" % (K, [(s["obj"], s["site_func"]) for s in helpers]))
check(len(S) == len(pre) + K + 4 * K + K, "segments = preattach + roots + tasks + helpers, got %d" % len(S))
task_sites = sorted(set(s["site_func"] for s in all_tasks))
check(len(task_sites) == 1 and task_sites[0] in ("submit_task", "handle_batch"), "task site_func: submit_task or handle_batch, got %s" % task_sites)
for b, t in enumerate(txns("handle_batch")):
    root = seg(t["root_segment"])
    check(root["kind"] == "txn" and root["state"] == "ended" and root["txn"] == t["id"], "batch %d: root kind txn, ended: %s" % (b, root))
    check(len(mainseg) == 1 and t["parent_segment"] == mainseg[0]["id"], "batch %d: began on main's preattach segment %s, got %s" % (b, mainseg and mainseg[0]["id"], t["parent_segment"]))
    check(t["conflated_with"] is None and t["end_ns"] is not None, "batch %d: ended, not conflated" % b)
    tasks = in_txn(t, "task")
    thr = in_txn(t, "thread")
    check(t["segments"] == 5, "batch %d: segments = 4 tasks + 1 helper = 5, got %s" % (b, t["segments"]))
    check(len(tasks) == 4 and len(thr) == 1 and len(in_txn(t)) == 5, "batch %d: 4 tasks + 1 thread, got %d + %d of %d" % (b, len(tasks), len(thr), len(in_txn(t))))
    check(all(s["parent"] == root["id"] and not s["preattach"] for s in tasks), "batch %d: tasks are children of the txn root" % b)
    want = sorted(r["obj"] for r in tasks_logged if r["batch"] == b)
    check(sorted(s["obj"] for s in tasks) == want, "batch %d: task objs = &tasks[%d][0..3] %s, got %s" % (b, b, want, sorted(s["obj"] for s in tasks)))
    check(all(s["runs"] == 1 for s in tasks), "batch %d: each task ran once: %s" % (b, [s["runs"] for s in tasks]))
    check(all(s["state"] == "ended" and s["end_ns"] <= t["end_ns"] for s in tasks), "batch %d: tasks ended before their txn: %s" % (b, [s["state"] for s in tasks]))
    check(t["leaked"] == 0, "batch %d: txn leaked = 0, got %s" % (b, t["leaked"]))
    o0 = [r["obj"] for r in tasks_logged if r["batch"] == b and r["idx"] == 0]
    t0 = [s for s in tasks if [s["obj"]] == o0]
    if check(len(t0) == 1 and len(thr) == 1, "batch %d: task 0 and its helper found" % b):
        h = thr[0]
        check(h["parent"] == t0[0]["id"], "batch %d: helper thread's parent is task 0's segment (%s), got %s" % (b, t0[0]["id"], h["parent"]))
        check(h["site_func"] == "spawn_helper" and site_file(h) == "pool.c", "batch %d: helper site spawn_helper (pool.c): %r" % (b, h["site"]))
        check(h["state"] == "ended" and h["end_ns"] <= t["end_ns"], "batch %d: helper ended inside the txn: %s" % (b, h["state"]))
        hl = [r["tid"] for r in helpers_logged if r["batch"] == b]
        check([h["obj"]] == hl, "batch %d: helper obj = logged tid %s, got %s" % (b, hl, h["obj"]))
        check(h["tid"] in [s["obj"] for s in wsegs], "batch %d: helper created on a (preattach) worker, tid %s" % (b, h["tid"]))
EOF

finish
