"""Section 8 (`make soak`) of BENCHMARKS.md: memory over a long run."""
from md_common import table

INTRO = """\
`make soak`: for {secs} s, {rate} new connections per second (one `GET /ok` each,
`Connection: close`) to a Go server (`tests/go/gohttp.go`, Go {go}) and to a Node
server (`tests/node/nodehttp.js`, Node {node}), each followed at once by
`{trace_cmd}` and by `{top_cmd}` (on a tmux terminal). Load:
`{load_cmd}`. Every {every} s: each process's RSS (`VmRSS`) and each weft's BPF
map memory (the `memlock` of the map fds it holds). The slope is a least-squares
fit over the samples after the first {warmup} s (the warm-up: maps and the model's
window filling)."""


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
    out = [INTRO.format(**m), ""]
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
        rss = slope([(r["t"], r["rss_kb"]) for r in after])
        bpf = slope([(r["t"], r["bpf_kb"]) for r in after])
        first, last = after[0], pts[-1]
        rows.append(["`%s`" % w, "%d" % first["rss_kb"], "%d" % last["rss_kb"],
                     "**%+.1f**" % rss, "%.2f%%" % (100 * rss * (m["secs"] / 60) / first["rss_kb"] if first["rss_kb"] else 0),
                     "%d" % last["bpf_kb"] if not w.endswith("target") else "",
                     "%+.1f" % bpf if not w.endswith("target") else ""])
    out += [table(["process", "RSS KiB after warm-up", "RSS KiB at the end", "RSS slope, KiB/min",
                   "growth over the run, of RSS", "BPF maps KiB", "BPF slope, KiB/min"], rows), ""]
    fin = s.all("final")
    if fin:
        out += [table(["weft", "events", "lost", "evicted", "GET /ok transactions", "folded (totals only)"],
                      [["`%s`" % r["who"], r.get("events"), r.get("lost"), r.get("evicted"),
                        r.get("txns", ""), r.get("folded", "")] for r in fin]), ""]
    load = s.all("load")
    if load:
        out += ["Served: " + "; ".join("%s %d ok, %d failed" % (r["who"], r["ok"], r["bad"]) for r in load) + "."]
    return "\n".join(out)
