"""Sections 8 (`make soak`: memory over a long run) and 9 (`make fuzz`)
of BENCHMARKS.md: the long and hostile runs."""
from md_common import table

INTRO = """\
`make soak`: for {secs} s, {rate} new connections per second (one `GET /ok` each,
`Connection: close`) to a Go server (`tests/go/gohttp.go`, Go {go}) and to a Node
server (`tests/node/nodehttp.js`, Node {node}), each followed at once by
`{trace_cmd}` and by `{top_cmd}` (on a tmux terminal), and both by one
`{agent_cmd}` exporting to the test OpenTelemetry Collector (`agent` is the agent,
`go-agent` and `node-agent` its tracer of each). Load:
`{load_cmd}`. Every {every} s: each process's RSS (`VmRSS`) and each weft's BPF
map memory (the `memlock` of the map fds it holds). The slope is a least-squares
fit over the samples after the first {warmup} s (the warm-up: BPF maps, the ring
buffer's pages and the model's window filling: at this rate weft first folds
finished transactions past 10,000, at 100 s), and over the last half of the run."""


def slope(points):
    """KiB per minute of a least-squares line through (s, KiB)."""
    n = len(points)
    if n < 2:
        return 0.0
    mx = sum(p[0] for p in points) / n
    my = sum(p[1] for p in points) / n
    sxx = sum((p[0] - mx) ** 2 for p in points)
    if not sxx:
        return 0.0
    return 60 * sum((p[0] - mx) * (p[1] - my) for p in points) / sxx


def write(s, ctx):
    m = s.meta
    out = [INTRO.format(**{"agent_cmd": "weft agent", **m}), ""]
    samples = s.all("sample")
    whos = []
    for r in samples:
        if r["who"] not in whos:
            whos.append(r["who"])
    rows = []
    for w in whos:
        pts = [r for r in samples if r["who"] == w]
        after = [r for r in pts if r["t"] >= m["warmup"]]
        if not after:
            continue
        half = [r for r in pts if r["t"] >= m["secs"] / 2]
        rss = slope([(r["t"], r["rss_kb"]) for r in after])
        rss2 = slope([(r["t"], r["rss_kb"]) for r in half])
        bpf = slope([(r["t"], r["bpf_kb"]) for r in after])
        bpf2 = slope([(r["t"], r["bpf_kb"]) for r in half])
        first, last = after[0], pts[-1]
        weft = not w.endswith("target")
        rows.append(["`%s`" % w, "%d" % first["rss_kb"], "%d" % last["rss_kb"],
                     "**%+.1f** / %+.1f" % (rss, rss2),
                     "%d" % last["bpf_kb"] if weft else "",
                     "%+.1f / %+.1f" % (bpf, bpf2) if weft else ""])
    out += [table(["process", "RSS KiB after warm-up", "RSS KiB at the end",
                   "RSS slope, KiB/min (after warm-up / last half)", "BPF maps KiB",
                   "BPF maps slope, KiB/min (after warm-up / last half)"], rows), ""]
    fin = s.all("final")
    if fin:
        out += [table(["weft", "events", "lost", "evicted", "GET /ok transactions", "folded (totals only)"],
                      [["`%s`" % r["who"], r.get("events"), r.get("lost"), r.get("evicted"),
                        r.get("txns", ""), r.get("folded", "")] for r in fin]), ""]
    exp = s.all("export")
    if exp:
        out += [table(["agent tracer", "transactions", "spans", "sent", "dropped (queue full)", "failed"],
                      [["`%s`" % r["who"], r.get("txns"), r.get("spans"), r.get("sent"),
                        r.get("dropped"), r.get("failed")] for r in exp]), ""]
    stops = s.all("stop")
    if stops:
        out += ["Stopped by SIGINT at the end, each gone after: " +
                ", ".join("`%s` %.2f s" % (r["who"], r["secs"]) for r in stops) + ".", ""]
    load = s.all("load")
    if load:
        out += ["Served: " + "; ".join("%s %d ok, %d failed" % (r["who"], r["ok"], r["bad"]) for r in load) + "."]
    return "\n".join(out)


FUZZ_TEXT = """\
Run {date}, weft {revision}, load average {load_start} at its start.
`{cmd}`: each reader of what a target controls, built with libFuzzer and
ASan, runs {secs_each} s from its seeds: `record`, a recording of
`tests/targets/server`; `goelf`, the Go test programs of every Go (as built and
stripped); `nodeelf`, each Node reduced to what the reader takes (its symbols,
their code, the release string: `tests/fuzz/node_seed.c` checks the reduced file
reads the same as the whole binary); `perfmap`, a map node wrote. A crash, a
leak or a hang fails `make fuzz`."""


def write_fuzz(s, ctx):
    rows = [[r["target"], r.get("seeds"), r.get("runs"), r.get("secs"),
             "%.0f" % (r["runs"] / r["secs"]) if r.get("runs") and r.get("secs") else "",
             r.get("cov"), r.get("corpus"), r.get("crashes")] for r in s.all("target")]
    return "\n".join([FUZZ_TEXT.format(**s.meta), "",
                      table(["reader", "seeds", "runs", "seconds", "runs/s", "coverage (edges)",
                             "corpus", "crashes"], rows)])
