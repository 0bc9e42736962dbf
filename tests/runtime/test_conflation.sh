#!/usr/bin/env bash
# Conflation ("request to self"), tests/targets/selfcall.c traced with
# --txn handle_request: request 0 creates a listener thread that lives on and
# serves handle_request(100+J) for jobs from requests 0, 1, 2; request 3 calls
# handle_request(200) directly. Expected, in begin order:
#   R0 R100 R1 R101 R2 R102 R3 R200 (8 txns)
#   conflations: R100 in R0 (live), R101 in R0 (stale), R102 in R0 (stale),
#                R200 in R3 (live)
#   R10x's root segment: child of the listener's thread segment (txn R0);
#   R200's root segment: child of R3's root segment
#   leaks: the listener (start_listener, 1, owner R0); no orphans
# Checked on a live `weft trace` and on `weft record` + `weft report`.
. "$(dirname "$0")/lib.sh"
require_root
require_weft

target SC selfcall
export EXE=$SC
export SL_LISTENER SL_PLAIN SL_RECURSE
SL_LISTENER=$(src_line selfcall listener)
SL_PLAIN=$(src_line selfcall plain)
SL_RECURSE=$(src_line selfcall recurse)

# check_selfcall JSON WHAT: the whole expected shape. Needs $LOG (the run's
# WEFT_TEST_LOG).
check_selfcall() {
	local J=$1 what=$2
	json_valid "$J" "$what: report" || return
	py_checks "$J" "$what" <<'EOF'
check(d["target"]["exe"] == E["EXE"], "target.exe %r" % d["target"]["exe"])
main_tid = logrecs("main")[0]["tid"]
lis_tid = [r["tid"] for r in logrecs("listener")]
plain_tid = [r["tid"] for r in logrecs("plain")]
check(d["target"]["pid"] == main_tid, "target.pid %s = main tid %s" % (d["target"]["pid"], main_tid))
check(len(lis_tid) == 1 and len(plain_tid) == 1, "log: 1 listener, 1 plain thread: %s %s" % (lis_tid, plain_tid))
cap = d["capture"]
check(cap["lost_events"] == 0 and cap["evicted"] == 0, "no lost events / evictions: %s/%s" % (cap["lost_events"], cap["evicted"]))
check(cap["leak_grace_ns"] == 500000000, "default grace 500ms: %s" % cap["leak_grace_ns"])
check(any(p["spec"].endswith("handle_request") and p["hits"] == 16 for p in cap["probes"]), "handle_request probe: 8 entries + 8 returns = 16 hits: %s" % [(p["spec"], p["hits"]) for p in cap["probes"]])

labels = ["R0", "R100", "R1", "R101", "R2", "R102", "R3", "R200"]
ts = txns("handle_request")
if not check(len(ts) == 8 and len(T) == 8, "8 handle_request txns (and nothing else), got %d of %d: %s" % (len(ts), len(T), [t["name"] for t in T])):
    raise RuntimeError("no point going on without the 8 transactions")
R = dict(zip(labels, ts))
ids = [t["id"] for t in ts]
check(len(set(ids)) == 8 and ids == sorted(ids), "txn ids distinct, increasing in begin order: %s" % ids)
# which thread each began on: the listener serves R10x, main the rest
root = {k: seg(t["root_segment"]) for k, t in R.items()}
want_tid = {k: (lis_tid[0] if k.startswith("R10") else main_tid) for k in labels}
check(all(root[k] and root[k]["tid"] == want_tid[k] for k in labels), "root segment tids (begin thread) %s, got %s" % ([want_tid[k] for k in labels], [root[k] and root[k]["tid"] for k in labels]))
# the order is the log's order of the requests
reqs = [r["req"] for r in logrecs("tid=%d" % main_tid) + logrecs("tid=%d" % lis_tid[0]) if "req" in r]
check(sorted(reqs) == [0, 1, 2, 3, 100, 101, 102, 200], "log: requests 0..3, 100..102, 200: %s" % reqs)
for k in labels:
    t, r = R[k], root[k]
    check(r["kind"] == "txn" and r["txn"] == t["id"] and r["state"] == "ended" and r["parent"] == t["parent_segment"],
          "%s: root segment kind txn, own txn, ended, parent = parent_segment: %s" % (k, r))
    check(t["end_ns"] is not None and t["end_ns"] >= t["begin_ns"], "%s: ended" % k)

# parents of the root segments
mainseg = seg(R["R0"]["parent_segment"])
check(mainseg is not None and mainseg["kind"] == "thread" and mainseg["obj"] == main_tid and mainseg["preattach"] and mainseg["txn"] == 0,
      "R0's parent segment: main's preattach thread segment, no txn: %s" % mainseg)
for k in ("R1", "R2", "R3"):
    check(R[k]["parent_segment"] == R["R0"]["parent_segment"], "%s: parent segment = main's (%s), got %s" % (k, R["R0"]["parent_segment"], R[k]["parent_segment"]))
lis = [s for s in S if s["kind"] == "thread" and s["obj"] in lis_tid]
if check(len(lis) == 1, "1 listener thread segment, got %d" % len(lis)):
    L = lis[0]
    check(L["parent"] == R["R0"]["root_segment"] and L["txn"] == R["R0"]["id"] and not L["preattach"],
          "listener: child of R0's root, txn R0: %s" % L)
    check(L["site_func"] == "start_listener" and site_file(L) == "selfcall.c" and site_line(L) in (int(E["SL_LISTENER"]), int(E["SL_LISTENER"]) + 1),
          "listener site start_listener (selfcall.c:%s): %r" % (E["SL_LISTENER"], L["site"]))
    check(L["start"] in ("listener_main", None), "listener start %r" % L["start"])
    check(L["state"] == "leaked", "listener leaked, got %s" % L["state"])
    for k in ("R100", "R101", "R102"):
        check(R[k]["parent_segment"] == L["id"], "%s: root's parent = listener segment %s, got %s" % (k, L["id"], R[k]["parent_segment"]))
        check(root[k]["site_func"] == "listener_main", "%s: begun from listener_main, got %r" % (k, root[k]["site"]))
check(R["R200"]["parent_segment"] == R["R3"]["root_segment"], "R200: root's parent = R3's root %s, got %s" % (R["R3"]["root_segment"], R["R200"]["parent_segment"]))
check(root["R200"]["site_func"] == "handle_request" and site_line(root["R200"]) == int(E["SL_RECURSE"]),
      "R200: begun from handle_request (selfcall.c:%s), got %r" % (E["SL_RECURSE"], root["R200"]["site"]))

# conflations
want_cw = {"R100": ("R0", False), "R101": ("R0", True), "R102": ("R0", True), "R200": ("R3", False)}
for k in labels:
    w = want_cw.get(k)
    got = (R[k]["conflated_with"], R[k]["conflation_stale"])
    exp = (R[w[0]]["id"], w[1]) if w else (None, False)
    check(got == exp, "%s: conflated_with/stale = %s, got %s" % (k, exp, got))
# the chain that carried the context: R0's listener thread for the requests
# to self; none for the recursion (it began on R3's own root)
listener = [{"kind": "thread", "start": "listener_main", "site_func": "start_listener"}]
want_chain = {"R100": listener, "R101": listener, "R102": listener, "R200": []}
want_conf = [{"txn": R[k]["id"], "txn_name": "handle_request", "outer_txn": R[o]["id"], "outer_name": "handle_request", "stale": st,
              "to_itself": False, "chain": want_chain[k]}
             for k, (o, st) in sorted(want_cw.items(), key=lambda kv: R[kv[0]]["id"])]
got_conf = [dict(c, chain=[{x: y for x, y in h.items() if x != "seg"} for h in c["chain"]])
            for c in sorted(d["conflations"], key=lambda c: c["txn"])]
check(got_conf == want_conf, "conflations = %s, got %s" % (want_conf, got_conf))
check([c["stale"] for c in d["conflations"]].count(True) == 2, "2 stale conflations")
# the times behind "stale"
check(R["R0"]["begin_ns"] < R["R100"]["begin_ns"] and R["R100"]["end_ns"] <= R["R0"]["end_ns"], "R100 inside R0 in time")
check(R["R0"]["end_ns"] < R["R101"]["begin_ns"] and R["R0"]["end_ns"] < R["R102"]["begin_ns"], "R101, R102 begin after R0 ended")
check(R["R3"]["begin_ns"] < R["R200"]["begin_ns"] and R["R200"]["end_ns"] <= R["R3"]["end_ns"], "R200 inside R3 in time")

# what each txn created; leaks; orphans
check([R[k]["segments"] for k in labels] == [1, 0, 0, 0, 0, 0, 1, 0], "segments per txn %s = [1,0,0,0,0,0,1,0], got %s" % (labels, [R[k]["segments"] for k in labels]))
check([R[k]["leaked"] for k in labels] == [1, 0, 0, 0, 0, 0, 0, 0], "leaked per txn = [1,0,0,0,0,0,0,0], got %s" % [R[k]["leaked"] for k in labels])
plain = [s for s in S if s["kind"] == "thread" and s["obj"] in plain_tid]
if check(len(plain) == 1, "1 plain thread segment, got %d" % len(plain)):
    P = plain[0]
    check(P["parent"] == R["R3"]["root_segment"] and P["txn"] == R["R3"]["id"], "plain thread: child of R3's root, txn R3 (created after R200 returned): %s" % P)
    check(P["site_func"] == "spawn_plain" and site_line(P) in (int(E["SL_PLAIN"]), int(E["SL_PLAIN"]) + 1), "plain site spawn_plain (selfcall.c:%s): %r" % (E["SL_PLAIN"], P["site"]))
    check(P["state"] == "ended" and P["end_ns"] <= R["R3"]["end_ns"], "plain thread ended inside R3: %s" % P["state"])
others = [s for s in S if s["kind"] != "txn" and s["obj"] not in [main_tid] + lis_tid + plain_tid]
check(not others and len(S) == 11, "segments: 8 roots + main + listener + plain = 11, got %d (others %s)" % (len(S), others))
check(groups(d["leaks"]) == [["start_listener", "thread", 1]], "leaks = [start_listener thread 1], got %s" % groups(d["leaks"]))
check(all(g["txns"] == ["handle_request"] and g["max_age_ns"] >= 500000000 for g in d["leaks"]), "leak owned by handle_request, older than the grace: %s" % [(g["txns"], g["max_age_ns"]) for g in d["leaks"]])
check(d["orphans"] == [], "no orphans, got %s" % groups(d["orphans"]))
EOF
}

# 1. live
export LOG=$TMP/live.log
WEFT_TEST_LOG=$LOG weft_run "$TMP/live.json" "$TMP/live.err" trace --format json --txn handle_request -- "$SC"
assert_exit_ok "weft trace -- selfcall"
assert_contains "$LOG" "selfcall idle" "target completed"
check_selfcall "$TMP/live.json" live

# text report: the conflation section lists the 4, 2 of them stale
export LOG=$TMP/text.log
WEFT_TEST_LOG=$LOG weft_run "$TMP/text.out" "$TMP/text.err" trace --txn handle_request -- "$SC"
assert_exit_ok "weft trace (text) -- selfcall"
assert_eq "$(grep -cE '^ +txn [0-9]+ handle_request +inside txn [0-9]+ handle_request' "$TMP/text.out")" 4 "text report: 4 conflation lines"
assert_eq "$(grep -cE '^ +txn [0-9]+ handle_request +inside txn .*stale' "$TMP/text.out")" 2 "text report: 2 of them stale"

# 2. record, then report
export LOG=$TMP/rec.log
R=$TMP/rec.weft
WEFT_TEST_LOG=$LOG weft_run "$TMP/rec.out" "$TMP/rec.err" record -o "$R" --txn handle_request -- "$SC"
assert_exit_ok "weft record -- selfcall"
assert_contains "$LOG" "selfcall idle" "recorded target completed"
CHECKS=$((CHECKS + 1))
[ -s "$R" ] || { fail "record file $R missing or empty"; finish; }
weft_run "$TMP/rep.json" "$TMP/rep.err" report "$R" --format json
assert_exit_ok "weft report --format json"
assert_jq "$TMP/rep.json" 'len(d["conflations"])' 4 "report: conflation count"
assert_jq "$TMP/rep.json" '[c["stale"] for c in sorted(d["conflations"], key=lambda c: c["txn"])]' '[false,true,true,false]' "report: stale flags"
check_selfcall "$TMP/rep.json" report

finish
