#!/usr/bin/env bash
# weft record -o FILE -- server, then weft report FILE (after the target
# exited): the same numbers as a live `weft trace` of the same program; the
# grace is applied at report time (--leak-grace 10ms turns the cleanup
# threads into leaks); reports of one file are identical.
. "$(dirname "$0")/lib.sh"
require_root
require_weft

target S server
export EXE=$S
R=$TMP/rec.weft

# live
export LOG=$TMP/live.log
WEFT_TEST_LOG=$LOG weft_run "$TMP/live.json" "$TMP/live.err" trace --format json --txn handle_request -- "$S"
assert_exit_ok "trace (live)"
check_server "$TMP/live.json" 500 cmd

# record
export LOG=$TMP/rec.log
WEFT_TEST_LOG=$LOG weft_run "$TMP/rec.out" "$TMP/rec.err" record -o "$R" --txn handle_request -- "$S"
assert_exit_ok "record -o"
assert_contains "$LOG" "server idle" "recorded target completed"
CHECKS=$((CHECKS + 1))
[ -s "$R" ] || { fail "record file $R missing or empty"; finish; }
RPID=$(grep -m1 'server main tid=' "$LOG" | sed 's/.*tid=//')
CHECKS=$((CHECKS + 1))
alive "$RPID" && fail "recorded target $RPID still running after record returned"

# report, after the target exited
weft_run "$TMP/rep.json" "$TMP/rep.err" report "$R" --format json
assert_exit_ok "report --format json"
check_server "$TMP/rep.json" 500 cmd
assert_jq "$TMP/rep.json" 'd["target"]["pid"]' "$RPID" "report: target.pid is the recorded process"

# the same numbers as live
summary='json.dumps(dict(
  txns=[[t["name"], t["segments"], t["leaked"], t["end_ns"] is not None] for t in txns()],
  leaks=groups(d["leaks"]), orphans=groups(d["orphans"]),
  conflations=len(d["conflations"]),
  segs=sorted(set((s["kind"], s["site_func"], s["state"], s["preattach"], len([x for x in S if (x["kind"], x["site_func"], x["state"], x["preattach"]) == (s["kind"], s["site_func"], s["state"], s["preattach"])])) for s in S if s["kind"] != "txn")),
  roots=sorted((seg(t["root_segment"]) or {}).get("state") for t in T),
  exe=d["target"]["exe"], grace=d["capture"]["leak_grace_ns"], lost=d["capture"]["lost_events"],
  probes=sorted(p["spec"] for p in d["capture"]["probes"])), sort_keys=True)'
live=$(jq_py "$TMP/live.json" "$summary" 2>&1)
rep=$(jq_py "$TMP/rep.json" "$summary" 2>&1)
assert_eq "$rep" "$live" "report summary equals the live summary"

# deterministic: the same file gives the same report
weft_run "$TMP/rep2.json" "$TMP/rep2.err" report "$R" --format json
assert_exit_ok "report (again)"
CHECKS=$((CHECKS + 1))
cmp -s "$TMP/rep.json" "$TMP/rep2.json" || fail "two reports of the same record differ"

# the grace is a report-time parameter
weft_run "$TMP/rep10.json" "$TMP/rep10.err" report "$R" --format json --leak-grace 10ms
assert_exit_ok "report --leak-grace 10ms"
export LOG=$TMP/rec.log
check_server "$TMP/rep10.json" 10 cmd

# text (the default format)
weft_run "$TMP/rep.txt" "$TMP/rept.err" report "$R"
assert_exit_ok "report (text)"
assert_contains "$TMP/rep.txt" "handle_request" "text report names the transaction"
assert_contains "$TMP/rep.txt" "leak_worker_spawn" "text report names the leak site"

finish
