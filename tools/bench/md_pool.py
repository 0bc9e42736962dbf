"""Sections 2 (overhead on a thread pool) and 3 (model replay) of
BENCHMARKS.md."""
from md_common import f, median, raw, sites_table, slash, table

POOL_INTRO = """\
`tests/bench/pool_bench TASKS BATCH WORKERS WORK`: {workers} worker threads, {tasks} tasks
submitted in batches of {batch} by `handle_batch` (one transaction per batch, which
waits for its tasks); each task runs a {work}-iteration xorshift loop in
`run_task`. It prints tasks/s (first submit to last batch end). Same binary,
{runs} untraced and {runs} traced runs, alternating.

- untraced: `{untraced_cmd}`
- traced: `{traced_cmd}`"""

POOL_TRAPS = """\
Traps per task = uprobe and uretprobe hits (JSON `capture.probes[].hits`,
without the scheduler tracepoints) / tasks: 1 at `submit_task`, 2 at
`run_task` (entry and return), plus 2 per batch of {batch} for
`handle_batch`. The instruction under each probe decides its cost (section
1); where they sit, as weft reports it:"""

POOL_LEAF = """\
(`run_task` is a leaf function: at -O1 it has no frame-pointer prologue, so
its probe is single-stepped. The returns are uretprobes: the kernel's
return trampoline, no single-step.)"""


def write_pool(s, ctx):
    m = s.meta
    out = [POOL_INTRO.format(**m), ""]
    untraced = {r["run"]: r for r in s.all("untraced")}
    traced = s.all("traced")
    rows = [[r["run"], raw(untraced.get(r["run"], {}).get("rate")), raw(r["rate"]), r["events"],
             r["lost"], r["evicted"], r["uprobe_hits"], "%.3f" % (r["uprobe_hits"] / m["tasks"]), r["ok"]]
            for r in traced]
    out += [table(["run", "untraced tasks/s", "traced tasks/s", "events", "lost", "evicted",
                   "uprobe hits", "traps per task", "counts as expected"], rows), ""]
    if traced:
        u, t = median(s.values("untraced", "rate")), median(s.values("traced", "rate"))
        uc, tc = median(s.values("untraced", "cpu")), median(s.values("traced", "cpu"))
        out += [table(["", "untraced", "traced"],
                      [["tasks/s (median)", "%.0f" % u, "%.0f" % t],
                       ["CPU time of the run, s (median; traced: target + weft)",
                        "%.2f" % uc, "%.2f" % tc]]), "",
                "**Traced throughput: %.1f%% of untraced (%.2fx slower).** "
                "Added wall time per task: %.2f us; added CPU time per task (target and weft "
                "together): %.2f us." % (100 * t / u, u / t, 1e6 / t - 1e6 / u,
                                         (tc - uc) * 1e6 / m["tasks"])]
    out += ["", POOL_TRAPS.format(**m), ""]
    out += [sites_table(s.all("site")), ""]
    if traced:
        # the last traced run's events (today's BENCHMARKS.md took them from
        # whatever section ran last)
        out += ["Events per task: %.2f (task created, run begins, run ends, task ends; plus the\n"
                "transactions). The \"2 events per hit\" row of section 1 gives what events add "
                "to a trap.\n" % (traced[-1]["events"] / m["tasks"])]
    out.append(POOL_LEAF)
    for n in s.all("note"):
        out += ["", n["text"]]
    return "\n".join(out)


REPLAY_TEXT = """\
Replay, pinned to one CPU (`taskset -c 0`; weft report is single-threaded),
{replay_runs} runs per format, output to /dev/null. Wall time (bash `time`);
events/s = events / median wall time."""


def write_replay(s, ctx):
    out = ["Record: `%s`" % s["record_cmd"], ""]
    rec = s.one("record")
    if not rec:
        out.append("(no record file: see the problems below)")
        return "\n".join(out)
    e, size = rec["events"], rec["size"]
    out += [table(["events (JSON `capture.events`)", "lost", "evicted", "file size", "bytes per event"],
                  [[e, rec["lost"], rec["evicted"], "%d bytes (%.1f MiB)" % (size, size / 1048576),
                    "%.1f" % (size / e if e else 0)]]), ""]
    out += [REPLAY_TEXT.format(**s.meta), ""]
    rows = []
    for fm in s.all("format"):
        runs = s.all("replay", format=fm["format"])
        wm = median(r["wall"] for r in runs)
        rows.append([fm["format"], slash(r["wall"] for r in runs), raw(wm),
                     raw(median(r["cpu"] for r in runs)),
                     "**%.2f**" % (e / wm / 1e6 if wm else 0), "`%s`" % fm["cmd"]])
    out.append(table(["format", "wall s, each run", "wall s (median)", "CPU s (median)",
                      "M events/s", "command"], rows))
    out += ["", write_memory(s)]
    return "\n".join(out)


MEMORY_TEXT = """\
The model's heap (`mallinfo2`: in use plus mmapped), on synthetic streams fed to
the model alone: `{mem_cmd}`. Each transaction lasts 1 ms with one goroutine,
one every 100 us of its time; the model is compacted every 100 ms as weft's loop
does. Kept whole (`--keep-txns 0`, and `weft report`), memory grows with every
transaction; folding (`weft trace`, `record`, `top`: past 10,000 finished
transactions, those that can no longer change a verdict become per-name totals)
keeps a window: the same heap after half the transactions and after all."""


def write_memory(s):
    mem = s.all("memory")
    if not mem:
        return "(the model's memory was not measured: see the problems below)"
    live = [m["bytes"] for m in mem if m["what"] == "live_seg"]
    kept = sorted((m["txns"], m["bytes"]) for m in mem if m["what"] == "heap_kept")
    folded = sorted((m["txns"], m["bytes"]) for m in mem if m["what"] == "heap_folded")
    rows = []
    if live:
        rows.append(["per live continuation (open transaction)", "%d bytes" % live[0]])
    if len(kept) == 2:
        rows.append(["per finished transaction, kept whole",
                     "%d bytes" % ((kept[1][1] - kept[0][1]) / (kept[1][0] - kept[0][0]))])
    for n, b in kept:
        rows.append(["heap after %d transactions, kept whole" % n, "%.1f MiB" % (b / 1048576)])
    for n, b in folded:
        rows.append(["heap after %d transactions, folding" % n, "%.1f MiB" % (b / 1048576)])
    if len(folded) == 2:
        rows.append(["per finished transaction, folding (growth from half to all)",
                     "%.2f bytes" % ((folded[1][1] - folded[0][1]) / (folded[1][0] - folded[0][0]))])
    return "\n".join([MEMORY_TEXT.format(**s.meta), "", table(["", ""], rows)])
