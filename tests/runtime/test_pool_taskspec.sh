#!/usr/bin/env bash
# Task probe specs on a thread pool (tests/targets/pool.c), three spec styles:
#   run  --task-create submit_task:arg0 --task-run run_task:arg0
#        (the segment is never ended by a probe: with --leak-grace 50ms and a
#         300 ms tail every task is a leak, 4 per batch)
#   hook --task-create submit_task:arg0 --task-begin task_begin_hook:arg0
#        --task-end task_end_hook:arg0        (tasks end: no leaks)
#   done --task-create submit_task:arg0 --task-done run_task:arg0 (no leaks),
#        probed where run_task is called and has returned (emulated), and
#        again at its entry and return (WEFT_NO_RETURN_SITES=1): one tree
# always with --txn handle_batch and K = 3 batches of 4 tasks; task 0 of each
# batch creates one joined helper thread inside run_task.
. "$(dirname "$0")/lib.sh"
require_root
require_weft

target P pool
export EXE=$P K=3

check_pool() { # MODE JSON
	local mode=$1 J=$2
	export MODE=$mode
	json_valid "$J" "$mode: report" || return
	assert_jq "$J" 'd["target"]["exe"]' "$P" "$mode: target.exe"
	assert_jq "$J" 'd["capture"]["lost_events"]' 0 "$mode: lost events"
	assert_jq "$J" 'd["capture"]["evicted"]' 0 "$mode: evicted"
	assert_jq "$J" 'len(txns("handle_batch"))' "$K" "$mode: handle_batch transactions"
	assert_jq "$J" 'len(T)' "$K" "$mode: no other transactions"
	# the 3 workers exist before the first transaction: orphans
	assert_jq "$J" 'orphans()' '[["pool_start","thread",3]]' "$mode: orphans = the 3 pool workers"
	assert_jq "$J" 'd["conflations"]' '[]' "$mode: no conflations"
	assert_py "$J" 'any(p["spec"].endswith("submit_task:arg0") and p["hits"] >= int(E["K"]) * 4 for p in d["capture"]["probes"])' \
		"$mode: submit_task:arg0 probe hit at least K*4 times"
	py_checks "$J" "$mode" <<'EOF'
mode, K = E["MODE"], int(E["K"])
tasks_logged = logrecs("task")
helpers_logged = logrecs("helper")
workers = by_func("pool_start", "thread")
check(len(workers) == 3 and all(w["txn"] == 0 for w in workers), "3 worker threads (site pool_start) outside any txn: %s" % [(w["txn"], w["site_func"]) for w in workers])
check(all(w["state"] == "ended" for w in workers), "workers ended (joined at exit): %s" % [w["state"] for w in workers])
all_tasks = [s for s in S if s["kind"] == "task"]
check(len(all_tasks) == 4 * K, "%d task segments in all, got %d" % (4 * K, len(all_tasks)))
check(len(set(s["obj"] for s in all_tasks)) == 4 * K, "task objs distinct")
task_sites = sorted(set(s["site_func"] for s in all_tasks))
check(len(task_sites) == 1 and task_sites[0] in ("submit_task", "handle_batch"), "task site_func: submit_task (probed function) or handle_batch (its caller), got %s" % task_sites)
for b, t in enumerate(txns("handle_batch")):
    root = seg(t["root_segment"])
    check(root["kind"] == "txn" and root["state"] == "ended", "batch %d: root kind txn, ended: %s" % (b, root))
    tasks = in_txn(t, "task")
    thr = in_txn(t, "thread")
    check(t["segments"] == 5, "batch %d: segments = 4 tasks + 1 helper = 5, got %s" % (b, t["segments"]))
    check(len(tasks) == 4 and len(thr) == 1 and len(in_txn(t)) == 5, "batch %d: 4 tasks + 1 thread, got %d + %d of %d" % (b, len(tasks), len(thr), len(in_txn(t))))
    check(all(s["parent"] == root["id"] for s in tasks), "batch %d: tasks are children of the txn root" % b)
    want = sorted(r["obj"] for r in tasks_logged if r["batch"] == b)
    check(sorted(s["obj"] for s in tasks) == want, "batch %d: task objs = &tasks[%d][0..3] %s, got %s" % (b, b, want, sorted(s["obj"] for s in tasks)))
    o0 = [r["obj"] for r in tasks_logged if r["batch"] == b and r["idx"] == 0]
    t0 = [s for s in tasks if [s["obj"]] == o0]
    if check(len(t0) == 1 and len(thr) == 1, "batch %d: task 0 and its helper found" % b):
        h = thr[0]
        check(h["parent"] == t0[0]["id"], "batch %d: helper thread's parent is task 0's segment (%s), got %s" % (b, t0[0]["id"], h["parent"]))
        check(h["site_func"] == "spawn_helper" and site_file(h) == "pool.c", "batch %d: helper site spawn_helper (pool.c): %r" % (b, h["site"]))
        check(h["state"] == "ended" and h["end_ns"] <= t["end_ns"], "batch %d: helper ended inside the txn: %s" % (b, h["state"]))
        hl = [r["tid"] for r in helpers_logged if r["batch"] == b]
        check([h["obj"]] == hl, "batch %d: helper obj = logged tid %s, got %s" % (b, hl, h["obj"]))
    if mode == "run":
        check(all(s["state"] == "leaked" for s in tasks), "batch %d: --task-run never ends a task: all leaked (grace 50ms, tail 300ms), got %s" % (b, [s["state"] for s in tasks]))
        check(t["leaked"] == 4, "batch %d: txn leaked = 4, got %s" % (b, t["leaked"]))
    else:
        check(all(s["state"] == "ended" and s["end_ns"] <= t["end_ns"] for s in tasks), "batch %d: tasks ended before their txn: %s" % (b, [s["state"] for s in tasks]))
        check(t["leaked"] == 0, "batch %d: txn leaked = 0, got %s" % (b, t["leaked"]))
if mode == "run":
    check(groups(d["leaks"]) == [[task_sites[0], "task", 4 * K]], "leaks = one group of %d tasks, got %s" % (4 * K, groups(d["leaks"])))
    check(all(g["txns"] == ["handle_batch"] for g in d["leaks"]), "leak group owners: handle_batch")
else:
    check(d["leaks"] == [], "no leaks, got %s" % groups(d["leaks"]))
EOF
}

# 1. --task-run: runs are marked, segments never ended by a probe
export LOG=$TMP/run.log
WEFT_TEST_LOG=$LOG weft_run "$TMP/run.json" "$TMP/run.err" trace --format json --leak-grace 50ms \
	--task-create submit_task:arg0 --task-run run_task:arg0 --txn handle_batch -- "$P" "$K" 300
assert_exit_ok "run: weft trace"
assert_contains "$LOG" "pool done" "run: target completed"
check_pool run "$TMP/run.json" &&
	assert_jq "$TMP/run.json" 'd["capture"]["leak_grace_ns"]' 50000000 "run: leak grace 50ms"

# 2. begin/end hook pair around the run
export LOG=$TMP/hook.log
WEFT_TEST_LOG=$LOG weft_run "$TMP/hook.json" "$TMP/hook.err" trace --format json \
	--task-create submit_task:arg0 --task-begin task_begin_hook:arg0 --task-end task_end_hook:arg0 \
	--txn handle_batch -- "$P" "$K"
assert_exit_ok "hook: weft trace"
assert_contains "$LOG" "pool done" "hook: target completed"
check_pool hook "$TMP/hook.json"

# 3. --task-done: the run ends the task
export LOG=$TMP/done.log
WEFT_TEST_LOG=$LOG weft_run "$TMP/done.json" "$TMP/done.err" trace --format json \
	--task-create submit_task:arg0 --task-done run_task:arg0 --txn handle_batch -- "$P" "$K"
assert_exit_ok "done: weft trace"
assert_contains "$LOG" "pool done" "done: target completed"
check_pool done "$TMP/done.json"
# every probe on an instruction the kernel emulates: run_task's end where
# it has returned to its one caller (a call), handle_batch's where it has
# returned (a jump or call), no uretprobe (~8 us) nor single-step (~10 us)
assert_py "$TMP/done.json" \
	"sorted({s['path'] for p in d['capture']['probes'] if p['spec'].startswith('--') for s in p['sites']}) == ['emulated']" \
	"done: every spec probe emulated"
assert_py "$TMP/done.json" \
	"[p['hits'] for p in d['capture']['probes'] if p['spec'].endswith('run_task:arg0')] == [8 * int(E['K'])]" \
	"done: run_task: 2 hits per task (its call, where it returned)"

# 4. the same with return probes (WEFT_NO_RETURN_SITES=1): the same tree
export LOG=$TMP/done-ret.log
WEFT_NO_RETURN_SITES=1 WEFT_TEST_LOG=$LOG weft_run "$TMP/done-ret.json" "$TMP/done-ret.err" \
	trace --format json --task-create submit_task:arg0 --task-done run_task:arg0 \
	--txn handle_batch -- "$P" "$K"
assert_exit_ok "done, return probes: weft trace"
check_pool done-ret "$TMP/done-ret.json"
assert_py "$TMP/done-ret.json" \
	"sorted({s['path'] for p in d['capture']['probes'] if p['spec'].endswith('run_task:arg0') for s in p['sites']}) == ['emulated', 'uretprobe']" \
	"done, return probes: run_task's entry (a push) and its uretprobe"

finish
