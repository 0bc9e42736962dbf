"""Section 5 of BENCHMARKS.md: Node, weft against AsyncLocalStorage and
async_hooks."""
from md_common import SITES_TEXT, f, median, raw, sites_table, table

WAYS = [("u", "untraced"), ("w", "weft"), ("a", "AsyncLocalStorage"), ("h", "async_hooks")]

INTRO = """\
An HTTP server in Node: what weft costs it, against the two ways a Node
program can follow its requests from the inside, as an APM agent does:
AsyncLocalStorage and async_hooks.

`tests/bench/nodehttpbench.js MODE`: an HTTP server on 127.0.0.1. GET /work
does `fs.stat(__filename, cb)` (one native FSREQCALLBACK, on libuv's thread
pool), then in the callback ~{work_us} us of CPU (ITERS xorshift iterations, from
$BENCH_ITERS, calibrated once per Node version, below) and responds "ok".
GET /exit responds, prints the server's CPU time (`process.cpuUsage()`) and
exits. MODE:

- `plain`: nothing else; run untraced, and under weft (`weft trace -- node`,
  no `--txn`: every request a transaction, "GET /work");
- `als`: each request handled inside `AsyncLocalStorage.run(store, ..)`, a
  new store per request, read back in the fs.stat callback (a wrong one
  would be a 500);
- `hooks`: `async_hooks.createHook({{ init, destroy }})` enabled, their bodies
  a Map set / delete by asyncId.

`tests/bench/nodeload.js PORT REQUESTS CONNECTIONS`, another process (the same
Node): {conns} keep-alive connections (one `http.Agent`), 1 untimed warm-up
request per connection, then {reqs} timed GET /work ({conns} in flight); it prints
req/s (timed requests only). Then `nodeload.js PORT 0 0 --exit` sends GET /exit
(under weft, once the BPF run counts are read: below). The four ways run
once per round, in an order that rotates from round to round. Commands
(PORT: what the server wrote to $BENCH_PORT_FILE):"""

MEDIANS = """\
Medians. Added wall us per request = 1e6 / req/s - 1e6 / untraced req/s
({conns} requests in flight, on {nproc} CPUs shared with the load process). Server
CPU s: the server process's own (its line at GET /exit: all its threads,
start to end, the traps included: the kernel handles them in its
threads); added server CPU us per request = (CPU s - untraced CPU s) /
{requests} requests. weft's own CPU s: the `time` of `weft trace` (weft and its
target) less the server's: attaching (reading node's symbols, checking the
layout with capstone), reading the events (unwinding their stacks), the
report."""

NOTES = """\
Counts as expected: {requests} transactions per weft run ({reqs} timed + {conns} warm-up
"GET /work", 1 "GET /exit"), each "GET /work" with its one FSREQCALLBACK, no
leak and no conflation; 0 lost events, 0 evictions; the server served
{requests} requests in every way.

- **Traps per request**: every uprobe hit runs its BPF program once, so the
  programs' run counts (`bpftool prog show`: `run_cnt`, kept while
  `kernel.bpf_stats_enabled` is 1: it was {stats} for this run) are the
  traps. weft's Node programs (those the run loaded) are read after the
  load, before GET /exit, and divided by the {served} requests served by then.
- **weft's hit counters** (JSON `capture.probes[].hits`, "async" +
  "node:http") count fewer: only resource creations, destroys and pooled
  sockets for "async", request lines and the writes of a request for
  "node:http"; not the callback scopes, nor the re-arm check at
  AsyncReset's entry.
- **Resources per request**: async segments inside transactions /
  transactions (the FSREQCALLBACK; a response this small is written by
  libuv's try-write, no WRITEWRAP).
- **Traps per resource**: the traps of weft's async-resource programs
  (everything but `node_http_url` and `node_try_write`) / every native
  resource created while attached (the requests' FSREQCALLBACKs, plus the
  listener, each connection's socket and parser, ...). The callback scopes
  of the connections' sockets (each request's bytes arrive in one) are
  charged to the resources too."""

PROGS = """\
The traps of each of weft's Node BPF programs (a program per kind of probe,
some attached at several sites; the last weft run of each Node; 0: a probe
that this Node version does not use, or that this load never reaches):"""


def weft_figures(r, n):
    """Derived figures of one weft run: hits, traps per request and per
    resource (None: no run counts), resources per request."""
    served = n - 1
    x = {"hit": float("%.2f" % ((r["async_hits"] + r["http_hits"]) / r["transactions"])),
         "res": float("%.3f" % (r["txn_resources"] / r["transactions"])), "req": None, "per": None}
    if r.get("async_traps") is not None:
        x["req"] = float("%.2f" % ((r["async_traps"] + r["http_traps"]) / served))
        x["per"] = float("%.2f" % (r["async_traps"] / r["resources"] if r["resources"] else 0))
    return x


def version_block(s, v, n, out_rows, out_sum, out_progs, out_text):
    """The rows, summary rows, program rows and sentence of one Node version."""
    ver = v["node"]
    runs = {(r["way"], r["round"]): r for r in s.all("run", node=ver)}
    figs = []
    for rd in s.all("round", node=ver):
        i = rd["round"]
        w = runs.get(("w", i), {})
        cells = ["-"] * 10
        if w.get("rate") is not None:
            x = weft_figures(w, n)
            figs.append((w, x))
            cells = [w["events"], "%d / %d" % (w["lost"], w["evicted"]), w["transactions"],
                     "%d + %d (%.2f)" % (w["async_hits"], w["http_hits"], x["hit"]),
                     f("%.2f", x["req"]), f("%.2f", x["per"]),
                     "%d (%.3f)" % (w["txn_resources"], x["res"]), w["resources"], "%.2f" % w["weft_cpu"], w["ok"]]
        out_rows.append([ver, i, rd["order"]] + [raw(runs.get((k, i), {}).get("rate")) for k, _ in WAYS] + cells)
    med = {k: median(r["rate"] for r in s.all("run", node=ver, way=k)) for k, _ in WAYS}
    cpu = {k: median(r.get("server_cpu") for r in s.all("run", node=ver, way=k)) for k, _ in WAYS}
    tr, rs, tp = (median(x[key] for _, x in figs) for key in ("req", "res", "per"))
    wx = median(w["weft_cpu"] for w, _ in figs)
    u, uc = med["u"], cpu["u"]
    for k, name in WAYS:
        m, c = med[k], cpu[k]
        if m is None:
            out_sum.append([ver, name] + ["-"] * 9)
            continue
        row = [ver, name, "%.0f" % m, "%.1f%%" % (100 * m / u), "-" if k == "u" else "%.1f" % (1e6 / m - 1e6 / u),
               "%.2f" % c, "-" if k == "u" else "%.1f" % ((c - uc) * 1e6 / n)]
        row += [f("%.2f", wx), f("%.2f", tr), f("%.3f", rs), f("%.2f", tp)] if k == "w" else ["-"] * 4
        out_sum.append(row)
    last = [w for w, _ in figs if w.get("prog_runs")]
    for kv in (last[-1]["prog_runs"].split(",") if last else []):
        name, c = kv.split("=")
        out_progs.append([ver, "`%s`" % name, c, "%.2f" % (int(c) / (n - 1))])
    w, a, h = med["w"], med["a"], med["h"]
    if u and w and u > 0 and w > 0:
        t = ("Node %s: weft adds %.1f us per request (%.1f%% of untraced throughput);"
             " AsyncLocalStorage %.1f us (%.1f%%), async_hooks %.1f us (%.1f%%)."
             % (ver, 1e6 / w - 1e6 / u, 100 * w / u, 1e6 / a - 1e6 / u, 100 * a / u, 1e6 / h - 1e6 / u, 100 * h / u))
        idle = s.one("idle", node=ver).get("weft_cpu")
        if wx is not None and idle is not None:
            t += (" weft itself: %.2f s of CPU with 3 requests (weft's way with\n"
                  "`nodeload.js PORT 1 1 --exit`: start, attach, the first stacks, report), and\n"
                  "%.2f s (median) with %d: on average %.0f us of CPU per request beyond the\n"
                  "first 3, on top of what its probes add to the server (%.1f us)."
                  % (idle, wx, n, (wx - idle) * 1e6 / (n - 3), (cpu["w"] - uc) * 1e6 / n))
        out_text.append(t)


def write(s, ctx):
    m = s.meta
    n = m["requests"]
    out = [INTRO.format(**m), ""]
    for v in s.all("version"):
        out.append("- Node %s (`%s`): ITERS %s, calibrated by `%s` (3 runs: %s; median)"
                   % (v["node"], v["bin"], v["iters"], v["calibrate_cmd"], v["calibrations"]))
        out += ["  - %s: `%s`" % (name, v["cmd_" + k]) for k, name in WAYS]
        out.append("  - load, each way: `%s`, then `%s`" % (v["load_cmd"], v["exit_cmd"]))
    rows, summary, progs, text = [], [], [], []
    for v in s.all("version"):
        version_block(s, v, n, rows, summary, progs, text)
    out += ["", table(["Node", "run", "order", "untraced req/s", "weft req/s", "AsyncLocalStorage req/s",
                       "async_hooks req/s", "weft events", "lost / evicted", "transactions",
                       "weft's hit counters, \"async\" + \"node:http\" (per request)", "traps per request",
                       "traps per resource", "resources in transactions (per request)", "resources in all",
                       "weft's own CPU s", "counts as expected"], rows), ""]
    out += [MEDIANS.format(**m), ""]
    out += [table(["Node", "way", "req/s (median)", "of untraced", "added wall us per request",
                   "server CPU s (median)", "added server CPU us per request", "weft's own CPU s",
                   "traps per request", "resources per request", "traps per resource"], summary), ""]
    out += text + ["", NOTES.format(stats=m.get("bpf_stats") or "not readable", served=n - 1, **m)]
    if progs:
        out += ["", PROGS, "", table(["Node", "BPF program", "runs (traps)", "per request"], progs)]
    if s.all("site"):
        out += ["", SITES_TEXT, "", sites_table(s.all("site"))]
    return "\n".join(out)
