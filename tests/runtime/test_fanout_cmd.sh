#!/usr/bin/env bash
# weft trace --txn run_fanout -- fanout: a 3-level thread tree (2+4+8 = 14
# threads) inside one transaction, started by weft itself (-- CMD mode).
. "$(dirname "$0")/lib.sh"
require_root
require_weft

target F fanout
export EXE=$F LOG=$TMP/fanout.log
export L1=$(src_line fanout level1) L2=$(src_line fanout level2) L3=$(src_line fanout level3)
J=$TMP/out.json

WEFT_TEST_LOG=$LOG weft_run "$J" "$TMP/err" trace --format json --txn run_fanout -- "$F"
assert_exit_ok "weft trace -- fanout"
assert_contains "$LOG" "fanout done" "the target ran to completion"
json_valid "$J" "report" || finish

assert_jq "$J" 'd["target"]["exe"]' "$F" "target.exe"
assert_py "$J" 'd["target"]["pid"] == logrecs("main")[0]["tid"]' "target.pid is the target's pid"
assert_jq "$J" 'd["capture"]["lost_events"]' 0 "lost events"
assert_jq "$J" 'd["capture"]["evicted"]' 0 "evicted map entries"
assert_jq "$J" 'd["capture"]["leak_grace_ns"]' 500000000 "default leak grace"
assert_py "$J" 'any("run_fanout" in p["spec"] and p["hits"] >= 1 for p in d["capture"]["probes"])' \
	"a probe for run_fanout that was hit"
assert_jq "$J" 'len(txns("run_fanout"))' 1 "one run_fanout transaction"
assert_jq "$J" 'len(T)' 1 "no other transaction"
assert_jq "$J" 'd["leaks"]' '[]' "no leaks"
assert_jq "$J" 'orphans()' '[]' "no thread/task orphans"
assert_jq "$J" 'd["conflations"]' '[]' "no conflations"

py_checks "$J" fanout <<'EOF'
t = txns("run_fanout")[0]
check(t["segments"] == 14, "txn segments = 14, got %s" % t["segments"])
check(t["leaked"] == 0, "txn leaked = 0, got %s" % t["leaked"])
check(t["end_ns"] is not None and t["duration_ns"] == t["end_ns"] - t["begin_ns"], "txn ended, duration = end - begin: %s" % t)
check(t["conflated_with"] is None and t["conflation_stale"] is False, "not conflated: %s" % t)
root = seg(t["root_segment"])
check(root is not None and root["kind"] == "txn" and root["txn"] == t["id"], "root segment kind txn of the txn: %s" % root)
check(root["parent"] == t["parent_segment"], "root's parent = txn parent_segment")
check(root["state"] == "ended" and root["end_ns"] == t["end_ns"], "root segment ended with the txn: %s" % root)
threads = in_txn(t, "thread")
check(len(threads) == 14 and len(in_txn(t)) == 14, "14 thread segments in the txn, nothing else: %d / %d" % (len(threads), len(in_txn(t))))
check(all(s["state"] == "ended" and s["end_ns"] is not None for s in threads), "all threads ended: %s" % sorted(set(s["state"] for s in threads)))
check(all(s["end_ns"] <= t["end_ns"] for s in threads), "all threads ended before the txn (joined)")
check(not any(s["preattach"] for s in threads), "no preattach thread in the txn")
check(len([s for s in S if s["kind"] == "thread" and not s["preattach"]]) == 14, "exactly 14 new threads in the whole capture")
# the tree
lv1 = kids(root["id"], "thread")
check(len(lv1) == 2 and all(s["site_func"] == "spawn_level1" for s in lv1), "root has 2 thread children created in spawn_level1: %s" % [s["site_func"] for s in lv1])
check(len(kids(root["id"])) == 2, "root has no other children")
lv2 = [c for s in lv1 for c in kids(s["id"])]
check(all(len(kids(s["id"])) == 2 for s in lv1), "each level-1 thread has 2 children: %s" % [len(kids(s["id"])) for s in lv1])
check(len(lv2) == 4 and all(s["kind"] == "thread" and s["site_func"] == "spawn_level2" for s in lv2), "4 level-2 threads from spawn_level2: %s" % [s["site_func"] for s in lv2])
lv3 = [c for s in lv2 for c in kids(s["id"])]
check(all(len(kids(s["id"])) == 2 for s in lv2), "each level-2 thread has 2 children: %s" % [len(kids(s["id"])) for s in lv2])
check(len(lv3) == 8 and all(s["kind"] == "thread" and s["site_func"] == "spawn_level3" for s in lv3), "8 level-3 threads from spawn_level3: %s" % [s["site_func"] for s in lv3])
check(all(len(kids(s["id"])) == 0 for s in lv3), "level-3 threads have no children")
check(all(s["txn"] == t["id"] for s in lv1 + lv2 + lv3), "every thread belongs to the txn")
# sites: file and line of the pthread_create call (return address may map to the next line)
for lvl, segs in ((1, lv1), (2, lv2), (3, lv3)):
    want = int(E["L%d" % lvl])
    for s in segs:
        check(s["site"].startswith("spawn_level%d+0x" % lvl), "level %d site %r starts with spawn_level%d+0x" % (lvl, s["site"], lvl))
        check(site_file(s) == "fanout.c" and site_line(s) in (want, want + 1),
              "level %d site %r at fanout.c:%d" % (lvl, s["site"], want))
        check(s["start"] in ("level%d_main" % lvl, None), "level %d start %r" % (lvl, s["start"]))
# objs are the tids the target logged, parents match the creating tids
recs = logrecs("fanout")
for lvl, segs in ((1, lv1), (2, lv2), (3, lv3)):
    want = sorted(r["tid"] for r in recs if r.get("level") == lvl)
    check(sorted(s["obj"] for s in segs) == want, "level %d objs = logged tids %s, got %s" % (lvl, want, sorted(s["obj"] for s in segs)))
ptid = {r["tid"]: r["ptid"] for r in recs if "level" in r}
main_tid = logrecs("main")[0]["tid"]
for s in lv1 + lv2 + lv3:
    p = seg(s["parent"])
    want = ptid.get(s["obj"])
    got = p["obj"] if p["kind"] == "thread" else main_tid
    check(want == got, "thread %s created by tid %s, its parent segment is tid %s" % (s["obj"], want, got))
EOF

finish
