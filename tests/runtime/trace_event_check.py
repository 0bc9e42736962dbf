#!/usr/bin/env python3
"""Checks a Chrome trace-event JSON file (weft --format perfetto) against the
format's rules, and optionally against weft's JSON report of the same capture.

    trace_event_check.py TRACE.json [--report REPORT.json] [--speedscope DOM.html]

Rules (the Trace Event Format document, and what Perfetto's importer needs):
- an object with a traceEvents list; displayTimeUnit "ms" or "ns" if present;
- every event has ph, and pid/tid integers; non-metadata events a numeric
  ts >= 0, a name and a cat;
- X has dur >= 0; i/I has s in g/p/t; s/t/f have an id; f's bp is "e" if set;
- M is process_name/thread_name (args.name a string) or *_sort_index
  (args.sort_index an int); the process and every track used are named;
- X slices on one track nest (no partial overlap);
- each flow id has one s and one f with the same cat and name, f not before
  s, each bound: inside an X slice on its track (the "e" binding point);
- weft writes events sorted by ts: ts never decreases.
With --report: one txn slice per transaction (same ids), one segment slice per
continuation (every segment but transaction roots, same ids and states), one
flow per segment whose parent is in the capture, samples as many as the model.
With --speedscope: the page speedscope rendered from the file (headless
Chromium's --dump-dom) lists one profile per track with slices, by its name,
and a track whose slices sit in one top slice weighs that slice's duration.
Prints "ok: ..." and exits 0, or prints each violation and exits 1."""
import json
import sys

errors = []


def err(msg):
    if len(errors) < 50:
        errors.append(msg)


def ns(v):
    """ts/dur in us (float) -> integer ns, as weft wrote them (3 decimals)."""
    return int(round(v * 1000))


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def check_events(d):
    if not isinstance(d, dict) or not isinstance(d.get("traceEvents"), list):
        err("top level: not an object with a traceEvents list")
        return []
    if d.get("displayTimeUnit", "ms") not in ("ms", "ns"):
        err("displayTimeUnit %r: not ms or ns" % d["displayTimeUnit"])
    evs = d["traceEvents"]
    for i, e in enumerate(evs):
        where = "event %d %s" % (i, json.dumps(e)[:160])
        if not isinstance(e, dict) or not isinstance(e.get("ph"), str):
            err("%s: no ph" % where)
            continue
        if not is_int(e.get("pid")) or not is_int(e.get("tid")):
            err("%s: pid/tid not integers" % where)
        ph = e["ph"]
        if ph == "M":
            a = e.get("args")
            if e.get("name") in ("process_name", "thread_name"):
                if not isinstance(a, dict) or not isinstance(a.get("name"), str):
                    err("%s: %s without args.name" % (where, e.get("name")))
            elif e.get("name") in ("process_sort_index", "thread_sort_index"):
                if not isinstance(a, dict) or not is_int(a.get("sort_index")):
                    err("%s: sort index not an int" % where)
            else:
                err("%s: unknown metadata" % where)
            continue
        if not is_num(e.get("ts")) or e["ts"] < 0:
            err("%s: ts missing or negative" % where)
            continue
        if not isinstance(e.get("name"), str) or not isinstance(e.get("cat"), str):
            err("%s: name/cat not strings" % where)
        if ph == "X":
            if not is_num(e.get("dur")) or e["dur"] < 0:
                err("%s: X without dur >= 0" % where)
        elif ph in ("i", "I"):
            if e.get("s", "t") not in ("g", "p", "t"):
                err("%s: instant scope %r" % (where, e.get("s")))
        elif ph in ("s", "t", "f"):
            if not isinstance(e.get("id"), (str, int)):
                err("%s: flow without id" % where)
            if ph == "f" and e.get("bp", "e") != "e":
                err("%s: bp %r" % (where, e.get("bp")))
        else:
            err("%s: phase %r not written by weft" % (where, ph))
    return evs


def check_structure(evs):
    names = {}
    used = set()
    last = -1
    slices = {}
    for e in evs:
        if not isinstance(e, dict) or "ph" not in e:
            continue
        key = (e.get("pid"), e.get("tid"))
        if e["ph"] == "M":
            names[(e.get("pid"), e.get("tid") if e.get("name") == "thread_name" else None,
                   e.get("name"))] = True
            continue
        used.add(key)
        if not is_num(e.get("ts")):
            continue
        t = ns(e["ts"])
        if t < last:
            err("ts decreases: %s after %d ns" % (json.dumps(e)[:160], last))
        last = max(last, t)
        if e["ph"] == "X" and is_num(e.get("dur")):
            slices.setdefault(key, []).append((t, t + ns(e["dur"]), e))
    for pid in {k[0] for k in used}:
        if (pid, None, "process_name") not in names:
            err("pid %s has no process_name" % pid)
    for pid, tid in used:
        if (pid, tid, "thread_name") not in names:
            err("track %s/%s has no thread_name" % (pid, tid))
    # nesting, per track: a stack of open ends
    for key, lst in slices.items():
        lst.sort(key=lambda s: (s[0], -s[1]))
        stack = []
        for b, end, e in lst:
            while stack and stack[-1] <= b:
                stack.pop()
            if stack and end > stack[-1]:
                err("track %s/%s: %r [%d, %d] overlaps its enclosing slice (ends %d)"
                    % (key[0], key[1], e["name"], b, end, stack[-1]))
            stack.append(end)
    # flows
    flows = {}
    for e in evs:
        if isinstance(e, dict) and e.get("ph") in ("s", "t", "f"):
            flows.setdefault((e.get("cat"), e.get("id")), []).append(e)

    def bound(e):
        t = ns(e["ts"])
        return any(b <= t < end or b == t == end
                   for b, end, _ in slices.get((e["pid"], e["tid"]), []))
    for (cat, fid), lst in flows.items():
        s = [e for e in lst if e["ph"] == "s"]
        f = [e for e in lst if e["ph"] == "f"]
        if len(s) != 1 or len(f) != 1:
            err("flow %s/%s: %d start(s), %d end(s)" % (cat, fid, len(s), len(f)))
            continue
        if s[0]["name"] != f[0]["name"]:
            err("flow %s: names differ" % fid)
        if f[0]["ts"] < s[0]["ts"]:
            err("flow %s: ends before it starts" % fid)
        for e in (s[0], f[0]):
            if not bound(e):
                err("flow %s: %s at %s on %s/%s binds to no slice"
                    % (fid, e["ph"], e["ts"], e["pid"], e["tid"]))
    return slices, flows


def check_report(evs, flows, r):
    xs = [e for e in evs if isinstance(e, dict) and e.get("ph") == "X"]
    txn = sorted(e["args"]["txn"] for e in xs if e.get("cat") == "txn")
    want = sorted(t["id"] for t in r["transactions"])
    if txn != want:
        err("txn slices %d, transactions %d (ids differ: %s)"
            % (len(txn), len(want), sorted(set(txn) ^ set(want))[:10]))
    segs = {e["args"]["seg"]: e for e in xs if e.get("cat") == "segment"}
    nseg = len([e for e in xs if e.get("cat") == "segment"])
    want = {s["id"]: s for s in r["segments"] if s["kind"] != "txn"}
    if nseg != len(want) or set(segs) != set(want):
        err("segment slices %d, segments (roots excluded) %d" % (nseg, len(want)))
    for i, e in segs.items():
        s = want.get(i)
        if s and e["args"]["state"] != s["state"]:
            err("segment %d: state %s, report %s" % (i, e["args"]["state"], s["state"]))
        if s and s["end_ns"] is not None and s["state"] == "ended" and ns(e["dur"]) != max(
                0, s["end_ns"] - s["begin_ns"]):
            err("segment %d: dur %s, report %d ns" % (i, e["dur"], s["end_ns"] - s["begin_ns"]))
    ids = {s["id"] for s in r["segments"]}
    want = len([s for s in r["segments"] if s["parent"] and s["parent"] in ids])
    if len(flows) != want:
        err("flows %d, segments with a parent in the capture %d" % (len(flows), want))
    p = r.get("profile")
    if p:
        rows = p.get("by_name") or []
        cpu = sum(w["cpu_samples"] for w in rows) + p["outside"]["cpu_samples"]
        off = sum(w["offcpu_spans"] for w in rows) + p["outside"]["offcpu_spans"]
        got_cpu = len([e for e in evs if isinstance(e, dict) and e.get("ph") == "i" and e.get("cat") == "cpu"])
        got_off = len([e for e in xs if e.get("cat") == "offcpu"])
        if got_cpu != cpu or got_off != off:
            err("samples: %d cpu instants, %d offcpu slices; report %d, %d" % (got_cpu, got_off, cpu, off))


def check_speedscope(evs, slices, dom):
    """speedscope's view (the DOM headless Chromium dumped) against the trace:
    a profile per track with slices, named by its thread_name, and a thread's
    life as its weight where that slice is alone at the top of its track."""
    import html
    import re
    text = html.unescape(re.sub(r"<[^>]+>", "\n", re.sub(r"<(style|script)[^>]*>.*?</\1>", "", dom, flags=re.S)))
    lines = [l.strip() for l in text.split("\n") if l.strip()]
    if any(w in text for w in ("Something went wrong", "Unrecognized format", "Failed to")):
        err("speedscope: an error: %s" % [l for l in lines if "wrong" in l or "format" in l][:3])
    m = re.search(r"\((\d+)/(\d+)\)", text)
    if not m or int(m.group(2)) != len(slices):
        err("speedscope shows %s profiles, the trace has %d tracks with slices"
            % (m.group(2) if m else "no", len(slices)))
    names = {(e["pid"], e["tid"]): e["args"]["name"] for e in evs
             if e.get("ph") == "M" and e.get("name") == "thread_name"}
    unit = {"ns": 1e-3, "µs": 1, "us": 1, "ms": 1e3, "s": 1e6}
    shown = {}
    for i, l in enumerate(lines):
        r = re.fullmatch(r".* \(pid (\d+)\), (.*) \(tid (\d+)\)", l)
        w = re.fullmatch(r"([\d.]+)(ns|µs|us|ms|s)", lines[i + 1]) if i + 1 < len(lines) else None
        if r and w:
            shown[(int(r.group(1)), int(r.group(3)))] = (r.group(2), float(w.group(1)) * unit[w.group(2)])
    if len(shown) != len(slices):
        err("speedscope lists %d profiles with weights, want %d" % (len(shown), len(slices)))
    checked = 0
    for key, (name, us) in shown.items():
        if names.get(key) != name:
            err("speedscope profile %s named %r, thread_name %r" % (key, name, names.get(key)))
        top = slices.get(key, [])
        if len(top) == 1 or (top and all(b >= top[0][0] and end <= top[0][1] for b, end, _ in top)):
            span = (top[0][1] - top[0][0]) / 1000.0
            checked += 1
            if abs(span - us) > max(0.01 * span, 10):
                err("speedscope: %s weight %.1fus, its slice %.1fus" % (name, us, span))
    return checked


def main():
    args = sys.argv[1:]
    if not args or args[0].startswith("-"):
        sys.exit(__doc__)
    try:
        d = json.load(open(args[0]))
    except Exception as e:
        print("%s: not JSON: %s" % (args[0], e))
        sys.exit(1)
    evs = check_events(d)
    slices, flows = check_structure(evs)
    if "--report" in args:
        check_report(evs, flows, json.load(open(args[args.index("--report") + 1])))
    ss = ""
    if "--speedscope" in args:
        n = check_speedscope(evs, slices, open(args[args.index("--speedscope") + 1]).read())
        ss = ", speedscope: %d profiles, %d weights checked" % (len(slices), n)
    for e in errors:
        print("  trace-event: " + e)
    if errors:
        sys.exit(1)
    n = {}
    for e in evs:
        n[e["ph"]] = n.get(e["ph"], 0) + 1
    print("ok: %d events (%s), %d tracks, %d flows%s" % (
        len(evs), " ".join("%s=%d" % kv for kv in sorted(n.items())), len({(e["pid"], e["tid"]) for e in evs}),
        len(flows), ss))


if __name__ == "__main__":
    main()
