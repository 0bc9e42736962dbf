"""Section 4 (Go: 4a goroutine spawn, 4b net/http) and section 6 (weft
check) of BENCHMARKS.md."""
from md_common import SITES_TEXT, f, median, raw, site_paths, sites_table, table
import md_probe

GO_INTRO = """\
weft's Go adapter traps once per goroutine creation (at newproc's call of
`runtime.runqput`, a call the kernel emulates), once per exit (past the
stack check of `runtime.gdestroy` from Go 1.22, at `runtime.goexit0`'s
call of `casgstatus` before) and twice per transaction (the entry past
the stack check, the RET taken). The tables of sites below say where each
probe sits, as weft reports it."""


def write_go_intro(a, b):
    """The paragraph before 4a: which Go, how the programs are built."""
    if a is None or a.skipped:
        src = b if b is not None and not b.skipped else None
        if src is None:
            return (a or b).skipped if (a or b) is not None else ""
        return "Go %s (`%s`, the newest installed).\n%s" % (src["go"], src["go_bin"], GO_INTRO)
    others = [(v, a.meta.get(k)) for v, k in (("1.23", "go_mid_bin"), ("1.19", "go_old_bin"))
              if a.meta.get(k)]
    more = "".join(" and Go %s (`%s`)" % (v, b) for v, b in others)
    return "\n".join([
        "Go %s (`%s`, the newest installed)%s." % (
            a["go"], a["go_bin"], more + " for the spawn rows" if others else ""),
        "The two programs are built into the temporary directory, e.g.:",
        "`%s`" % a["build_cmd"],
        "(the same for `tests/bench/gohttpbench.go`%s)." % (
            ", and for gospawn.go with Go " + " and ".join(v for v, _ in others) if others else ""),
        GO_INTRO])


SPAWN_INTRO = """\
`tests/bench/gospawn.go N BATCH`: main calls `main.spawnBatch` (the `--txn`:
one transaction per batch) {batches} times; each call starts {batch} goroutines that
run a 50-iteration xorshift loop and waits for them (sync.WaitGroup). It
prints goroutines/s ({goroutines} goroutines, first batch to last). Same binary,
untraced and traced runs alternating. Commands:"""

SPAWN_COUNTS = """\
Goroutines created / ended: the JSON's goroutine segments (all of the
process's: the {goroutines} spawned, plus the runtime's own, e.g. the GC workers,
which never exit), and those with an end. Traps per goroutine = the
"goroutine" probe's hits (JSON `capture.probes[].hits`) / goroutines
created: 2 (creation + exit), a hair under 2 because of the runtime's
goroutines that never exit; with `--go-lean` exactly 1, the exits being read
from runtime.allgs instead. Counts as expected: hits = created + ended
(--go-lean: hits = created),
`--txn` hits = 2 per batch, {batches} transactions each with {batch}
goroutines and no leak."""

def spawn_verdict(a, ctx):
    """The traced goroutine's cost against section 1's trap costs and the
    goroutine probe's sites (each hit once per goroutine)."""
    way = a["go"]
    u = median(a.values("untraced", "rate", way=way))
    t = median(a.values("traced", "rate", way=way))
    ns = md_probe.ns_per_hit(ctx["1"]) if "1" in ctx else {}
    ss, em = ns.get(md_probe.SINGLE), ns.get(md_probe.EMULATED)
    sites = [x for x in a.all("site") if x["who"] == way and x["probe"] == "goroutine"]
    if u is None or t is None or ss is None or em is None or not sites:
        return ""
    paths = site_paths(sites[0]["sites"])
    ne, nss = paths.get("emulated", 0), paths.get("single-step", 0)
    add = 1e6 / t - 1e6 / u
    traps = (ne * em + nss * ss) / 1000
    return ("With Go %s, a traced goroutine costs %.1f us more than an untraced one\n"
            "(an untraced spawn, run and exit takes %.2f us). Its traps: %d emulated and %d\n"
            "single-stepped (the table above); section 1 measured %.1f us for an emulated\n"
            "probe and %.1f us for a single-stepped one: %.1f us of traps, %.0f%% of the %.1f us\n"
            "measured. The rest is the BPF programs' work (events, map updates) and weft\n"
            "reading the events on the same 2 CPUs."
            % (way, add, 1e6 / u, ne, nss, em / 1000, ss / 1000, traps, 100 * traps / add, add))


def write_spawn(a, b, ctx):
    m = a.meta
    out = [SPAWN_INTRO.format(**m), ""]
    for w in a.all("way"):
        out.append("- Go %s: `%s`\n  and `%s`" % (w["way"], w["untraced_cmd"], w["traced_cmd"]))
    rows, summary = [], []
    for w in a.all("way"):
        way = w["way"]
        un = {r["run"]: r for r in a.all("untraced", way=way)}
        tr = a.all("traced", way=way)
        for r in tr:
            rows.append([way, r["run"], raw(un[r["run"]]["rate"]), raw(r["rate"]), r["events"], r["lost"],
                         r["evicted"], r["created"], r["ended"], r["goroutine_hits"],
                         "%.4f" % (r["goroutine_hits"] / r["created"]), r["txn_hits"], r["ok"]])
        if not tr:
            continue
        u, t = median(x["rate"] for x in un.values()), median(x["rate"] for x in tr)
        uc, tc = median(x["cpu"] for x in un.values()), median(x["cpu"] for x in tr)
        traps = median(float("%.4f" % (x["goroutine_hits"] / x["created"])) for x in tr)
        summary.append([way, w["runs"], "%.0f" % u, "%.0f" % t,
                        "%.1f%% (%.1fx slower)" % (100 * t / u, u / t), "%.2f" % (1e6 / t - 1e6 / u),
                        "%.2f / %.2f" % (uc, tc), "%.2f" % ((tc - uc) * 1e6 / m["goroutines"]),
                        "%.4f" % traps])
    out += ["", table(["Go", "run", "untraced goroutines/s", "traced goroutines/s", "events", "lost",
                       "evicted", "goroutines created", "ended", "\"goroutine\" probe hits",
                       "traps per goroutine", "--txn hits", "counts as expected"], rows), ""]
    out += [SPAWN_COUNTS.format(**m), ""]
    out += [table(["Go", "runs", "untraced goroutines/s (median)", "traced goroutines/s (median)",
                   "traced / untraced", "added wall us per goroutine",
                   "CPU s, untraced / traced (median; traced: target + weft)",
                   "added CPU us per goroutine", "traps per goroutine (median)"], summary), ""]
    sites = a.all("site") + (b.all("site") if b is not None and not b.skipped else [])
    out += [SITES_TEXT, "", sites_table(sites), ""]
    out.append(spawn_verdict(a, ctx))
    return "\n".join(out)


HTTP_INTRO = """\
`tests/bench/gohttpbench.go REQS CLIENTS FANOUT ITERS`: an HTTP server on
127.0.0.1 and, in the same process, {clients} client goroutines with one keep-alive
connection each: 1 warm-up request per client, then {reqs} timed requests
(GET /work) between them; it prints req/s (timed requests only). The handler
starts {fanout} goroutines that share ~{work_us} us of CPU work (ITERS = {iters} xorshift
iterations, calibrated once: `{calibrate_cmd}` (3 runs: {calibrations}; median {iters}))
and waits for them. Four ways, one run of each per round, in an order that
rotates from round to round:

- untraced: `{untraced_cmd}`
- weft, no `--txn`: every request is a transaction ("GET /work", at
  `net/http.serverHandler.ServeHTTP`): `{weft_cmd}`
- weft `--go-lean`: the same, without the goroutine exit probe (one trap per
  goroutine; exits read from the runtime's goroutine list):
  `{lean_cmd}`
- Go's execution tracer (the program calls `runtime/trace.Start` to that
  file before serving, `trace.Stop` after the last request):
  `{trace_cmd}`"""

HTTP_COUNTS = """\
Transactions: {transactions} expected ({reqs} timed + {clients} warm-up requests), each
"GET /work" with {fanout} goroutines and no leak. Goroutines per request: the
handler's {fanout} plus net/http's `(*connReader).backgroundRead` (started before
the handler, outside the transaction), plus the process's few others spread over
the requests. Traps per request = ("goroutine" + ServeHTTP probe hits) /
requests: 2 per goroutine + 2 for the transaction = {expect} expected (median here:
{traps}; goroutines per request {gor})."""


def http_version(b, gv, n):
    """One Go's rounds: the per-run table and the medians."""
    match = {"go": gv} if gv else {}
    runs = {(r["way"], r["round"]): r for r in b.all("run", **match)}
    traps, gor, rows = {"w": [], "l": []}, [], []
    for rd in b.all("round", **match):
        i = rd["round"]
        u, w, l, g = (runs.get((k, i), {}) for k in "uwlg")
        cells = []
        for k, x in (("w", w), ("l", l)):
            if x.get("rate") is None:
                cells += ["-"] * 3
                continue
            traps[k].append(float("%.2f" % ((x["goroutine_hits"] + x["txn_hits"]) / n)))
            if k == "w":
                gor.append(float("%.2f" % (x["created"] / n)))
            cells += ["%d / %d" % (x["lost"], x["evicted"]), "%.2f" % traps[k][-1], x["ok"]]
        rows.append([i, rd["order"], raw(u.get("rate")), raw(w.get("rate")), raw(l.get("rate")),
                     raw(g.get("rate")), raw(g.get("trace_bytes")), raw(w.get("events")),
                     raw(w.get("transactions")), raw(w.get("created")),
                     "%.2f" % gor[-1] if w.get("rate") is not None else "-"] + cells)
    out = [table(["run", "order", "untraced req/s", "weft req/s", "weft --go-lean req/s",
                  "runtime/trace req/s", "runtime/trace file, bytes", "weft events", "transactions",
                  "goroutines created", "goroutines per request", "weft: lost / evicted",
                  "weft: traps per request", "weft: counts as expected", "--go-lean: lost / evicted",
                  "--go-lean: traps per request", "--go-lean: counts as expected"], rows), ""]
    med = {k: median(b.values("run", "rate", way=k, **match)) for k in "uwlg"}
    cpu = {k: median(b.values("run", "cpu", way=k, **match)) for k in "uwlg"}
    u, g = med["u"], med["g"]

    def pct(x):
        return "%.1f" % (100 * x / u) if x else "-"

    def added(x):
        return "%.1f" % (1e6 / x - 1e6 / u) if x else "-"

    out += [table(["", "untraced", "weft", "weft --go-lean", "runtime/trace"], [
        ["req/s (median)", "%.0f" % u, f("%.0f", med["w"]), f("%.0f", med["l"]), "%.0f" % g],
        ["throughput, % of untraced", "100", pct(med["w"]), pct(med["l"]), pct(g)],
        ["added wall us per request", "-", added(med["w"]), added(med["l"]), added(g)],
        ["traps per request (median)", "-", f("%.2f", median(traps["w"])), f("%.2f", median(traps["l"])), "-"],
        ["CPU s of the run (median; weft: target + weft)", "%.2f" % cpu["u"], f("%.2f", cpu["w"]),
         f("%.2f", cpu["l"]), "%.2f" % cpu["g"]],
        ["output", "-", "JSON report", "JSON report", "trace file, %.1f MiB (median)"
         % (median(b.values("run", "trace_bytes", way="g", **match)) / 1048576)]]), ""]
    return out, traps, gor


def write_http(b, ctx):
    m = b.meta
    n = m["transactions"]
    out = [HTTP_INTRO.format(**{"lean_cmd": "-", **m}), ""]
    versions = b.all("version") or [{"go": None}]
    for v in versions[1:]:
        out.append("- Go %s, the same four ways: `%s`, `%s`, `%s`, `%s`" % (
            v["go"], v["untraced_cmd"], v["weft_cmd"], v.get("lean_cmd", "-"), v["trace_cmd"]))
    if len(versions) > 1:
        out.append("")
    traps, gor = {"w": [], "l": []}, []
    for k, v in enumerate(versions):
        if len(versions) > 1:
            out += ["Go %s, %d rounds:" % (v["go"], v["runs"]), ""]
        part, t, g = http_version(b, v["go"], n)
        out += part
        if k == 0:
            traps, gor = t, g
    out.append(HTTP_COUNTS.format(expect=2 * (m["fanout"] + 1) + 2, traps=f("%.2f", median(traps["w"])),
                                  expect_lean=(m["fanout"] + 1) + 2, traps_lean=f("%.2f", median(traps["l"])),
                                  gor=f("%.2f", median(gor)), **m))
    return "\n".join(out)


def write_go(a, b, ctx):
    """Section 4: its intro, 4a and 4b (either may be missing or skipped)."""
    out = [write_go_intro(a, b)]
    if a is not None and not a.skipped:
        out += ["", "### 4a. Goroutine spawn: traps per goroutine", "", ctx["head"]("4a"), write_spawn(a, b, ctx)]
    if b is not None and not b.skipped:
        out += ["", "### 4b. net/http server: weft and Go's runtime/trace", "", ctx["head"]("4b"), write_http(b, ctx)]
    return "\n".join(x for x in out if x is not None)


CHECK_INTRO = """\
The Go test package `tests/gotest/leaky` (11 tests, 3 of them leaking, one that
sleeps 700 ms so every leak is judged while it runs), built with `go test -c`,
run {runs} times alone and {runs} times under `weft check`, alternating:

- alone: `{alone_cmd}`
- checked: `{check_cmd}`"""


def write_check(s, ctx):
    rows = [[r["run"], raw(r["alone_wall"]), raw(r["check_wall"]), raw(r["alone_cpu"]),
             raw(r["check_cpu"]), r["leaks"]] for r in s.all("run")]
    a, b, c, d = (median(s.values("run", k)) for k in ("alone_wall", "check_wall", "alone_cpu", "check_cpu"))
    return "\n".join([
        CHECK_INTRO.format(**s.meta), "",
        table(["run", "wall s, alone", "wall s, weft check", "CPU s, alone",
               "CPU s, weft check (with weft's own)", "leak lines (3 expected)"], rows), "",
        "Median wall time: %.2f s alone, %.2f s under weft check (+%.2f s: attaching,\n"
        "detaching and the report); CPU %.2f s against %.2f s." % (a, b, b - a, c, d)] + write_attach(s))


def write_attach(s):
    if not s.all("attach"):
        return []
    rows = [[r["run"], r["way"], raw(r["attach_ms"]), raw(r["detach_ms"])] for r in s.all("attach")]
    med = {w: (median(s.values("attach", "attach_ms", way=w)), median(s.values("attach", "detach_ms", way=w)))
           for w in ("built", "prealloc")}
    return ["", "What each checked process pays, measured alone: weft's attach and detach of the same "
            "binary with a `--txn` (no test run), as `-v` reports them (attach: from weft's first read of "
            "the binary to every probe live, the BPF objects' loads included), %d runs each way, alternating: "
            "as built, and with every BPF hash map preallocated (`WEFT_PREALLOC=1`: how weft made them "
            "before): `%s`" % (s["attach_runs"], s["attach_cmd"]), "",
            table(["run", "way", "attach ms", "detach ms"], rows), "",
            table(["", "attach ms (median)", "detach ms (median)"],
                  [["as built", "%.1f" % med["built"][0], "%.1f" % med["built"][1]],
                   ["WEFT_PREALLOC=1", "%.1f" % med["prealloc"][0], "%.1f" % med["prealloc"][1]]])] + write_hold(s)


def write_hold(s):
    if not s.all("hold"):
        return []
    rows = [[r["run"], r["runtime"], raw(r["hold_ms"]), r["read"], r["leaks"]] for r in s.all("hold")]
    med = [[rt, "%.2f" % median(s.values("hold", "hold_ms", runtime=rt))]
           for rt in ("go", "c") if s.values("hold", "hold_ms", runtime=rt)]
    return ["", "The verdict at the exit: how long weft holds the checked process stopped at its exit "
            "(SIGSTOP from BPF at `runtime.exit` or libc's `exit()`) while it reads every goroutine's state "
            "or every thread's system call, as `-v` reports it, %d runs each: `%s` (3 leaks expected) and "
            "`%s` (3 leaks)." % (s["hold_runs"], s["hold_go_cmd"], s["hold_c_cmd"]), "",
            table(["run", "runtime", "held ms", "goroutines / threads read", "leak lines"], rows), "",
            table(["runtime", "held ms (median)"], med)]
