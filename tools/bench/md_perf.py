"""Section 7 of BENCHMARKS.md: the cost of sampling and --off-cpu (7a), the
record file's bytes per second (7b), `weft report` on a long record (7c)."""
from md_common import f, median, raw, slash, table

WAYS = [("u", "untraced"), ("w", "weft, no sampling"), ("f99", "-F 99"), ("f999", "-F 999"),
        ("off", "-F 999 --off-cpu")]
NAME = dict(WAYS)
MIB = 1048576.0

INTRO = """\
Two programs, each run five ways: untraced; `weft record` without
sampling; with `-F 99`; with `-F 999`; with `-F 999 --off-cpu`. {runs} rounds,
one run of each way per round, the order rotating from round to round. The
programs time themselves (first request or task to the last), so weft's
start, attach and exit are not in the rates. Every traced run writes a
record file, read back afterwards (untimed) with `weft report --format json`
for the counts below.

- **pool**: section 2's thread pool, same arguments and probe specs."""

MEDIANS = """\
The last column tells a clean round: other work on the machine, or kernel
threads (softirqs, some of them for our own runs), took that much CPU
during the round.

Medians. *Added us* = 1e6 / rate - 1e6 / the other's rate: wall time
added per task or request. CPU s: `time` of the whole run (traced: the
target and weft). Samples, off-CPU spans, file MiB/s: from the record file
(`profile.samples_taken`, spans of 100 us and more while working for a
transaction or outside any, file size / `capture.duration_ns`)."""

REPORT_TEXT = """\
gohttpbench paced at {rec_rate} requests/s (`$GOHTTPBENCH_RATE`), {requests} timed
requests: {rec_s} s, recorded at 999 Hz with off-CPU time (its figures: 7b):

`{record_cmd}`

Then `weft report` of that file ({mib} MiB, {events} events) in each format, pinned
to one CPU (weft report is single-threaded), {replay_runs} runs each, output to a
file in the temporary directory; `/usr/bin/time`: wall and CPU s, max RSS.
`folded --off-cpu`: the off-CPU flame graph (microseconds blocked)."""


def bps(r):
    """A traced run's record file bytes per second of capture."""
    d = r["duration_ns"]
    return round(r["file_bytes"] / (d / 1e9)) if d else 0


def go_line(a):
    if a["go_skipped"]:
        return "- **go**: " + a["go_skipped"]
    cal = "section %s's" % a["iters_from"] if a["iters_from"] else \
        "`%s`, 3 runs: %s, median" % (a["calibrate_cmd"], a["calibrations"])
    return ("- **go**: section 4b's net/http server with its own load (Go %s, %s timed\n"
            "  requests from %s clients, flat out, %s goroutines per request sharing ITERS =\n"
            "  %s iterations: %s); no `--txn`: every request a transaction."
            % (a["go"], a["reqs"], a["clients"], a["fanout"], a["iters"], cal))


def programs(a):
    return [p for p in ("pool", "go") if a.all("run", program=p)]


def summary_rows(a, p):
    unit = "tasks" if p == "pool" else "req"
    runs = {k: [r for r in a.all("run", program=p, way=k) if r.get("rate") is not None] for k, _ in WAYS}
    rate = {k: median(r["rate"] for r in rs) for k, rs in runs.items()}
    u, w = rate["u"], rate["w"]
    rows = []
    for k, name in WAYS:
        m = rate[k]
        if not m or m <= 0:
            rows.append([p, name] + ["-"] * 10)
            continue
        row = [p, name, "%.0f %s/s" % (m, unit)]
        if k == "u":
            row += ["100%", "1.00x", "-", "-", "-"]
        else:
            vs_w = k != "w" and w is not None
            row += ["%.1f%%" % (100 * m / u), "%.2fx" % (u / m),
                    "%.1f%% (%.2fx)" % (100 * m / w, w / m) if vs_w else "-", "%.2f" % (1e6 / m - 1e6 / u),
                    "%.2f" % (1e6 / m - 1e6 / w) if vs_w else "-"]
        rs = runs[k]
        row.append("%.2f" % median(r["cpu"] for r in rs))
        if k == "u":
            row += ["-", "-", "-"]
        else:
            row += [raw(median(r["samples"] for r in rs)), raw(median(r["offcpu_spans"] for r in rs)),
                    "%.2f" % (median(bps(r) for r in rs) / MIB)]
        rows.append(row)
    return rows


def write_7a(a):
    m = a.meta
    out = ["### 7a. Overhead of sampling (`-F`) and of `--off-cpu`", "", INTRO.format(**m), go_line(a), "",
           "Commands (the other sampling ways differ only in `-F` / `--off-cpu`):", ""]
    for p in programs(a):
        for k in ("u", "w", "off"):
            out.append("- %s, %s: `%s`" % (p, NAME[k], a.one("cmd", program=p, way=k).get("cmd")))
    rows, detail, summ = [], [], []
    for p in programs(a):
        got = {(r["way"], r["round"]): r.get("rate") for r in a.all("run", program=p)}
        for rd in a.all("round", program=p):
            rows.append([p, rd["round"], rd["order"]] + [raw(got.get((k, rd["round"]))) for k, _ in WAYS]
                        + ["%s of %s" % (raw(rd["cpu_other"]), raw(rd["cpu_s"]))])
        for r in a.all("run", program=p):
            if r["way"] == "u" or r.get("rate") is None:
                continue
            detail.append([p, NAME[r["way"]], r["round"], raw(r["rate"]), "%.2f" % (r["duration_ns"] / 1e9),
                           r["events"], r["samples"], r["samples_lost"], r["offcpu_spans"],
                           "%d / %d" % (r["lost"], r["evicted"]), r["transactions"], r["file_bytes"],
                           "%.2f" % (bps(r) / MIB), r["ok"]])
        summ += summary_rows(a, p)
    out += ["", "Rates, each run (pool: tasks/s; go: req/s):", "",
            table(["program", "round", "order"] + [n for _, n in WAYS]
                  + ["CPU s busy outside the bench's processes, of the round's CPU-s"], rows), "",
            MEDIANS, "",
            table(["program", "way", "rate", "of untraced", "slowdown vs untraced", "of weft without sampling",
                   "added us vs untraced", "added us vs weft without sampling", "CPU s", "samples",
                   "off-CPU spans", "record file MiB/s"], summ), "",
            "Every traced run (counts as expected: the transactions, pool %s, go\n"
            "%s; samples with `-F` and none without; the lost and\n"
            "evicted columns must be 0, lost samples too):"
            % (m["pool_batches"], (m["reqs"] or 0) + (m["clients"] or 0) if m.get("reqs") else "-"), "",
            table(["program", "way", "round", "rate", "capture s", "events", "samples", "lost samples",
                   "off-CPU spans", "lost / evicted", "transactions", "file bytes", "file MiB/s",
                   "counts as expected"], detail)]
    return "\n".join(out)


def write_7b(a, c):
    out = ["### 7b. Record file bytes per second of capture at 999 Hz", ""]
    if a is not None:
        rows = []
        for p in programs(a):
            for k in ("w", "f99", "f999", "off"):
                b = median(bps(r) for r in a.all("run", program=p, way=k) if r.get("rate") is not None)
                if b is None:
                    continue
                v = "%.2f" % (b / MIB)
                rows.append([p, NAME[k], "**%s**" % v if k in ("f999", "off") else v, "%.0f" % (60 * b / MIB)])
        out += ["Flat out (7a, medians; each second of capture is a second of a saturated",
                "%s-CPU machine):" % a["nproc"], "",
                table(["program", "way", "record file MiB/s", "MiB per minute"], rows), ""]
    if c is None or c.skipped:
        out.append("The one-minute record of 7c: %s" % (c.skipped if c is not None else "not run"))
        return "\n".join(out)
    r = c.one("record")
    if r:
        z, d = r["file_bytes"], r["duration_ns"] / 1e9
        out += ["A server under a steady load (7c's one-minute record: %s req/s, -F 999 --off-cpu):"
                % c["rec_rate"], "",
                table(["timed requests", "req/s", "capture s", "events", "samples", "off-CPU spans",
                       "lost / evicted / lost samples", "transactions", "file bytes", "bytes per event",
                       "file bytes per second of capture", "CPU s of the run (target + weft)"],
                      [[c["requests"], "%.0f" % r["rate"], "%.2f" % d, r["events"], r["samples"],
                        r["offcpu_spans"], "%d / %d / %d" % (r["lost"], r["evicted"], r["samples_lost"]),
                        r["transactions"], "%d (%.1f MiB)" % (z, z / MIB), "%.1f" % (z / r["events"]),
                        "**%.2f MiB/s** (%.0f MiB per minute)" % (z / d / MIB, 60 * z / d / MIB),
                        "%.2f" % r["cpu"]]])]
    return "\n".join(out)


def write_7c(c):
    out = ["### 7c. `weft report` and its exports on a one-minute record file", ""]
    if c is None or c.skipped:
        out.append(c.skipped if c is not None else "not run")
        return "\n".join(out)
    r = c.one("record")
    if not r:
        out.append("(no record file: see the problems below)")
        return "\n".join(out)
    out += [REPORT_TEXT.format(mib=r["file_bytes"] // 1048576, events=r["events"], **c.meta), ""]
    rows = []
    for fm in c.all("format"):
        runs = c.all("report", format=fm["format"])
        if not runs:
            continue
        rows.append([fm["format"], "/".join("%.2f" % x["wall"] for x in runs),
                     "**%.2f**" % median(x["wall"] for x in runs), "%.2f" % median(x["cpu"] for x in runs),
                     "%.0f" % (median(x["rss_kb"] for x in runs) / 1024), runs[-1]["output_bytes"],
                     "`%s`" % fm["cmd"]])
    out.append(table(["format", "wall s, each run", "wall s (median)", "CPU s (median)",
                      "max RSS MiB (median)", "output bytes", "command"], rows))
    return "\n".join(out)


def write(a, c, ctx):
    """Section 7 from 7a and 7c (either may be missing)."""
    out = []
    for s, title in ((a, "7a"), (c, "7c")):
        if s is not None and (s is a or c["run_id"] != (a["run_id"] if a else None)):
            out += [ctx["run_title"](title), "", ctx["run_table"](s), ""]
    if a is not None and a["perf_note"]:
        out += [a["perf_note"], ""]
    if a is not None and not a.skipped:
        out += [write_7a(a), ""]
    out += [write_7b(a if a is not None and not a.skipped else None, c), "", write_7c(c)]
    return "\n".join(out)
