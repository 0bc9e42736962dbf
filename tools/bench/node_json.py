#!/usr/bin/env python3
"""node_json.py: what section 5 reads of weft's output and of bpftool's.

node_json.py report FILE -> one line: events lost evicted async_hits
http_hits txns work_txns exit_txns good_work txn_resources resources, where
good_work = "GET /work" transactions with exactly one FSREQCALLBACK, no
leak and no conflation, txn_resources = async segments inside
transactions, resources = all async segments created while attached.

node_json.py traps BEFORE AFTER: weft's Node programs, those in AFTER
(bpftool -j prog show) that BEFORE did not have -> "async_traps http_traps
name=runs,..." (a uprobe hit runs its program once: the run counts add up
to the traps); "-" if the counts cannot be told (no run_cnt, or a program
name twice: another weft loaded at the same time).
"""
import json
import sys


def report(path):
    d = json.load(open(path))
    c = d["capture"]

    def hits(n):
        return sum(p["hits"] for p in c["probes"] if p["name"] == n)

    t = d["transactions"]
    ids = {x["id"] for x in t}
    roots = {x["root_segment"] for x in t}
    a = [s for s in d["segments"] if s["kind"] == "async" and not s["preattach"]]
    inside = [s for s in a if s["txn"] in ids and s["id"] not in roots]
    fs = {}
    for s in inside:
        if s["start"] == "FSREQCALLBACK":
            fs[s["txn"]] = fs.get(s["txn"], 0) + 1
    work = [x for x in t if x["name"] == "GET /work"]
    good = sum(1 for x in work if fs.get(x["id"]) == 1 and not x["leaked"] and x["conflated_with"] is None)
    print(c["events"], c["lost_events"], c["evicted"], hits("async"), hits("node:http"), len(t), len(work),
          sum(1 for x in t if x["name"] == "GET /exit"), good, len(inside), len(a))


def load(path):
    try:
        return json.load(open(path))
    except Exception:
        return []


def traps(before, after):
    old = {p["id"] for p in load(before)}
    new = [p for p in load(after) if p["id"] not in old and p.get("name", "").startswith("node_")]
    names = [p["name"] for p in new]
    # bpftool leaves run_cnt out of a program that never ran; none at all:
    # no run counts (kernel.bpf_stats_enabled 0)
    if not new or len(set(names)) != len(names) or not any("run_cnt" in p for p in new):
        print("-")
        return
    runs = {p["name"]: p.get("run_cnt", 0) or 0 for p in new}
    http = sum(v for k, v in runs.items() if k in ("node_http_url", "node_try_write"))
    print(sum(runs.values()) - http, http, ",".join("%s=%d" % kv for kv in sorted(runs.items())))


if __name__ == "__main__":
    {"report": report, "traps": traps}[sys.argv[1]](*sys.argv[2:])
