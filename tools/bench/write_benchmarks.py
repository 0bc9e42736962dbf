#!/usr/bin/env python3
"""write_benchmarks.py [--json-dir DIR] [-o FILE]: BENCHMARKS.md from the
JSON the section scripts of tools/bench/ wrote (build/bench/ID.json).

The statistics (medians, ratios) and the prose are here and in the md_*.py
modules next to it; the scripts only measure. Sections can come from
different runs (`make bench ONLY=4b`): the header describes the run most
sections come from, and every other section gives its own date, revision
and load.
"""
import argparse
import collections
import json
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from md_common import Section, raw, run_table, table  # noqa: E402
import md_go  # noqa: E402
import md_node  # noqa: E402
import md_perf  # noqa: E402
import md_pool  # noqa: E402
import md_probe  # noqa: E402
import md_soak  # noqa: E402
import md_agent  # noqa: E402

IDS = ["1", "2", "3", "4a", "4b", "5", "6", "7a", "7c", "8", "fuzz", "10"]
TITLES = {
    "1": "## 1. Probe cost per hit, measured with weft",
    "2": "## 2. Overhead on a thread pool",
    "3": "## 3. Model replay (`weft report` of a record file)",
    "4": "## 4. Go",
    "5": "## 5. Node",
    "6": "## 6. weft check",
    "7": "## 7. Perf analysis: sampling and off-CPU cost, record size, report and export time",
    "8": "## 8. Soak: memory over a long run (`make soak`)",
    "fuzz": "## 9. Fuzzing the readers of target input (`make fuzz`)",
    "10": "## 10. weft agent: the cost of exporting",
}

HEADER = """\
# Benchmarks

Written by `make bench`: the scripts of `tools/bench/` (one per section,
run by `tools/bench.sh`) measure and write JSON to `build/bench/`, then
`tools/bench/write_benchmarks.py` writes this file from it. Every figure
below comes from the one run described here, except the sections that give
their own date, load and revision (rerun alone: `make bench ONLY=4b`, or
`ONLY=1,7`); rerun `make bench` to replace them all."""


def load(json_dir):
    out = {}
    for i in IDS:
        p = os.path.join(json_dir, i + ".json")
        if os.path.exists(p):
            with open(p) as f:
                out[i] = Section(json.load(f))
    return out


def main_run(secs):
    """The run id most sections come from (the newest of a tie)."""
    count = collections.Counter(s["run_id"] for s in secs.values())
    newest = {s["run_id"]: s["date"] or "" for s in secs.values()}
    return max(count, key=lambda r: (count[r], newest[r])) if count else None


def header(secs, run):
    mine = [secs[i] for i in IDS if i in secs and secs[i]["run_id"] == run]
    if not mine:
        return HEADER + "\n\n(no section has run yet: `make bench`)"
    first = mine[0]
    tmp = sorted({s["tmpdir"] for s in mine if s["tmpdir"]})
    rows = [("date", first["run_started"] or first["date"]),
            ("kernel (`uname -r`)", first["kernel"]), ("CPUs (`nproc`)", first["nproc"]),
            ("CPU model", first["cpu_model"]), ("load average at start", first["load_start"]),
            ("weft revision (`git describe --always --dirty`)", first["revision"]),
            ("bench run time", "%s s" % sum(s["seconds"] or 0 for s in mine)),
            ("sections of this run", ", ".join(i for i in IDS if i in secs and secs[i]["run_id"] == run))]
    return "\n".join([HEADER, "", table(["", ""], rows), "",
                      "Commands are run from the repository root, as root. Each section script ran in",
                      "its own temporary directory (%s here; removed at its end)." % ", ".join("`%s`" % t for t in tmp)])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json-dir", default="build/bench")
    ap.add_argument("-o", "--output", default="BENCHMARKS.md")
    args = ap.parse_args()
    secs = load(args.json_dir)
    run = main_run(secs)

    def run_title(i):
        s = secs[i]
        if s["run_id"] == run:
            return "run | part of the run described at the top"
        if i == "8":
            return "run | alone: `make soak`; not the run described at the top"
        return "run | alone: `make bench ONLY=%s`; not the run described at the top" % \
            ",".join((s["run_sections"] or i).split())

    def head(i):
        """The facts of section i's run, if not the header's (else None)."""
        if i not in secs or secs[i]["run_id"] == run or i == "fuzz":
            return None  # fuzz: its own text says when and what
        return run_table(secs[i], run_title(i).split(" | ", 1)[1]) + "\n"

    ctx = dict(secs, head=head, run_title=lambda i: "Run of section %s:" % i,
               run_table=lambda s: run_table(s, run_title(s["section"]).split(" | ", 1)[1]))

    def body(i, writer):
        if i not in secs:
            return "(not run yet: `make bench ONLY=%s`)" % i
        if secs[i].skipped:
            return secs[i].skipped
        return "\n".join(x for x in (head(i), writer(secs[i], ctx)) if x is not None)

    out = [header(secs, run), ""]
    out += [TITLES["1"], "", body("1", md_probe.write), ""]
    out += [TITLES["2"], "", body("2", md_pool.write_pool), ""]
    out += [TITLES["3"], "", body("3", md_pool.write_replay), ""]
    a, b = secs.get("4a"), secs.get("4b")
    out += [TITLES["4"], ""]
    out += [md_go.write_go(a, b, ctx) if a is not None or b is not None else "(not run yet: `make bench ONLY=4`)", ""]
    out += [TITLES["5"], "", body("5", md_node.write), ""]
    out += [TITLES["6"], "", body("6", md_go.write_check), ""]
    a, c = secs.get("7a"), secs.get("7c")
    out += [TITLES["7"], ""]
    out += [md_perf.write(a, c, ctx) if a is not None or c is not None else "(not run yet: `make bench ONLY=7`)", ""]

    out += [TITLES["8"], "", body("8", md_soak.write) if "8" in secs else "(not run yet: `make soak`)", ""]

    out += [TITLES["fuzz"], "", body("fuzz", md_soak.write_fuzz) if "fuzz" in secs else "(not run yet: `make fuzz`)", ""]

    out += [TITLES["10"], "", body("10", md_agent.write), ""]

    out += ["## Problems seen in this run", ""]
    probs = ["- %s: %s%s" % (i, p, "" if secs[i]["run_id"] == run else " (run of %s)" % secs[i]["date"])
             for i in IDS if i in secs for p in secs[i].problems]
    out += probs or ["None: every traced run counted the expected hits, with 0 lost events and",
                     "0 evictions; no process or uprobe was left behind."]
    text = "\n".join(out)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    with open(args.output, "w") as f:
        f.write(text.rstrip("\n") + "\n")
    print("wrote %s from %s (%s)" % (args.output, args.json_dir, ", ".join(secs) or "no section"), file=sys.stderr)


if __name__ == "__main__":
    main()
