"""Section 10 of BENCHMARKS.md: what `weft agent` costs (tools/bench/10-agent.sh)."""
from md_common import median, table

INTRO = """\
`{target_cmd}` (FILE: the go signal, once weft is attached), {rate} requests/s
for {secs} s ({requests} requests; each a transaction with its {fanout} goroutines), run
{runs} times each way in a rotating order: untraced; under `{trace_cmd}`; under
`{agent_cmd}`, exporting every transaction as spans ({fanout_1} per request) and the
metrics to the test OpenTelemetry Collector (its output thrown away). CPU is user +
system time (`getrusage`, children included: the agent's tracer fork is in the
agent's figure), medians of the runs."""


def write(s, ctx):
    m = s.meta
    out = [INTRO.format(fanout_1=(m.get("fanout") or 0) + 1, **m), ""]
    runs = s.all("run")
    base = median([r["target_cpu_s"] for r in runs if r["mode"] == "untraced"])
    rows = []
    for mode in ("untraced", "trace", "agent"):
        rs = [r for r in runs if r["mode"] == mode]
        if not rs:
            continue
        tcpu = median([r["target_cpu_s"] for r in rs])
        wcpu = median([r["weft_cpu_s"] for r in rs])
        rss = median([r["weft_rss_kb"] for r in rs])
        per = wcpu / m["secs"] * 100 / (m["rate"] / 1000.0) if mode != "untraced" else None
        rows.append(["%s" % mode, "%.0f" % median([r["req_per_s"] for r in rs]),
                     "%.2f" % tcpu, "%+.2f" % (tcpu - base) if mode != "untraced" else "",
                     "%.2f" % wcpu if mode != "untraced" else "",
                     "**%.1f%%**" % per if per is not None else "",
                     "%.1f" % (rss / 1024.0) if mode != "untraced" else "",
                     ", ".join("%s/%s/%s" % (r["spans"], r["sent"], r["dropped"]) for r in rs)
                     if mode == "agent" else ""])
    out += [table(["", "req/s", "target CPU s", "target CPU vs untraced, s", "weft CPU s",
                   "weft CPU per 1,000 txn/s (% of one CPU)", "weft peak RSS MiB",
                   "spans made/sent/dropped, each run"], rows)]
    return "\n".join(out)
