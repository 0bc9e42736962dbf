"""Section 1 of BENCHMARKS.md: probe cost per hit, and the bpftrace check."""
from md_common import f, median, raw, slash, table

SINGLE = "uprobe, function entry, single-stepped"
EMULATED = "uprobe, function entry, emulated"
EVENTS = "uprobe, function entry, emulated, 2 events per hit"
NOP5 = "weft.h USDT marker"
NOP1 = "sys/sdt.h USDT marker"


def ns_per_hit(s):
    """label -> ns per hit: median traced - median untraced ns/iter."""
    out = {}
    for c in s.all("case"):
        t = median(s.values("traced", "ns_per_iter", label=c["label"]))
        u = median(s.values("untraced", "ns_per_iter", label=c["label"]))
        if t is not None and u is not None:
            out[c["label"]] = round(t - u)
    return out


INTRO = """\
`tests/bench/probe_cost MODE ITER` times ITER iterations of a loop around one
probe site (after {warmup} warm-up iterations at the same site) and prints ns per
iteration. Each case runs {reps} times untraced and {reps} times under `weft trace`,
alternating; **ns per hit = median traced ns/iter - median untraced ns/iter**.
The probe's BPF program is weft's task-begin handler (a spec probe
`--task-begin SYM:arg0` or the `weft:task_begin` marker), given the same
object at every hit, so its maps hold one task and never fill. That handler
emits events only for the first hits: a thread that begins the same task
again without ending it nests it, and past 8 levels the handler stops
early (weft's context stack is 8 deep). So those rows are the trap plus a
BPF program that does map lookups but writes no event. The row "2 events
per hit" uses `--task-create` instead: each hit ends the previous task of
that object and creates a new one (2 ring-buffer events, one with the user
stack), the usual work of a weft probe. weft's JSON
(`capture.probes[].hits`) must count ITER + {warmup} hits per run.
`[uprobes-trampoline]`: the runs in which the target had that mapping, i.e.
the kernel optimized the probe into a call."""

WHAT = """\
What the numbers say. A uprobe is an int3 trap; what it costs depends on
what the kernel must then do with the instruction it replaced:

- **Single-step** (bench_plain_fn starts with `{plain_insn}`, which the x86 uprobe
  code does not emulate): the instruction is copied out of line and
  executed with a second trap. This is the slow path:
  {single} ns per hit here.
- **Emulated** (`push %rbp`, the first instruction of most functions
  built with frame pointers; also nops and jumps): no single-step,
  {emulated} ns per hit here. A probe on a function entry
  is therefore not slow as such: it is slow when the first instruction
  has to be single-stepped.
- **Events**: the same emulated probe costs
  {events} ns per hit when weft's program
  writes 2 events per hit, against {emulated} ns with no event: in practice the
  events, not the trap, dominate the cost of an emulated probe.
- **sys/sdt.h marker** (1-byte nop): int3, then the kernel emulates the
  nop: {nop1} ns per hit.
- **weft.h marker** (nop5): the kernel rewrites the nop into a call to the
  uprobe trampoline at the first hits (syscall instead of int3):
  {nop5} ns per hit."""


def verdict(ns):
    n5, n1, ss = ns.get(NOP5), ns.get(NOP1), ns.get(SINGLE)
    if not n5 or not n1 or n5 <= 0 or n1 <= 0:
        return ""
    r = n5 / n1
    if 0.67 < r < 1.5:
        out = ("On this machine the nop5 fast path and the int3 + emulated-nop path cost\n"
               "about the same (ratio %.2f): the trap itself is cheap here (the kernel\n"
               "emulates the nop after the trap, no single-step), so optimizing it into\n"
               "a call saves little. " % r)
    elif r <= 0.67:
        out = ("On this machine the nop5 fast path is %.1fx cheaper than the int3 +\n"
               "emulated-nop path. " % (1 / r))
    else:
        out = ("On this machine the nop5 fast path is %.1fx MORE expensive than the\n"
               "int3 + emulated-nop path. " % r)
    if ss is not None:
        out += ("The big difference (%.0fx) is between a probe the kernel\n"
                "emulates or optimizes and one it must single-step.\n" % (ss / min(n5, n1)))
    return out


def case_row(s, c, ns):
    label = c["label"]
    tr = s.all("traced", label=label)
    um = median(s.values("untraced", "ns_per_iter", label=label))
    head = [label, "`%s`" % c["site"], c["kind"], c["iter"], raw(um)]
    if not tr:
        return head + ["-"] * 6
    bad = [r["hits"] for r in tr if r["hits"] != c["want_hits"]]
    hits = "all %d" % c["want_hits"] if not bad else \
        "expected %d, got %s" % (c["want_hits"], " ".join(map(raw, bad)))
    lost = ["run %d: lost %s evicted %s;" % (r["run"], r["lost"], r["evicted"])
            for r in tr if r["lost"] or r["evicted"]]
    return head + [slash(r["ns_per_iter"] for r in tr), "**%d**" % ns[label], hits,
                   raw(median(r["events"] for r in tr)), " ".join(lost) or "0 / 0",
                   "%d/%d" % (sum(r["trampoline"] for r in tr), len(tr))]


def write(s, ctx):
    ns = ns_per_hit(s)
    out = [INTRO.format(reps=s["reps"], warmup=s["warmup"]), ""]
    out.append(table(["probe", "probed instruction", "kernel path", "ITER",
                      "untraced ns/iter (median)", "traced ns/iter, each run", "ns per hit",
                      "weft hits per run", "weft events per run (median)", "lost / evicted",
                      "[uprobes-trampoline]"],
                     [case_row(s, c, ns) for c in s.all("case")]))
    out += ["", "Commands (untraced, then traced):", ""]
    for c in s.all("case"):
        out.append("- %s:\n  `%s`\n  `%s`" % (c["label"], c["untraced_cmd"], c["traced_cmd"]))
    out += ["", WHAT.format(plain_insn=s["plain_fn_insn"],
                            **{k: ns.get(v, "?") for k, v in
                               [("single", SINGLE), ("emulated", EMULATED), ("events", EVENTS),
                                ("nop1", NOP1), ("nop5", NOP5)]}), ""]
    out += [verdict(ns), "### bpftrace cross-check", ""]
    bt = s.one("bpftrace")
    if bt.get("skipped"):
        out.append(bt["skipped"])
    else:
        ver = " (%s)" % bt["version"] if bt.get("version") else ""
        out += ["The same binaries under bpftrace (a hit counter instead of weft's",
                "program), independent of weft's attach code. Command:",
                "`%s`%s." % (bt.get("cmd"), ver),
                "Its \"min\" column is the minimum over the runs.", "",
                bt.get("output", "").rstrip("\n")]
    return "\n".join(out)
