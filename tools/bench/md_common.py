"""What the section writers of write_benchmarks.py share: reading a
section's JSON, medians, number formatting, Markdown tables."""


def median(values):
    """The median of the values that are numbers (None: none); of an even
    count, the upper of the two middle ones, as the bench scripts always did."""
    v = sorted(x for x in values if isinstance(x, (int, float)))
    return v[(len(v) + 1) // 2 - 1] if v else None


def raw(v):
    """A measured value as the program printed it ("-" if missing)."""
    if v is None:
        return "-"
    if isinstance(v, float) and v.is_integer() and abs(v) >= 1e15:
        return "%d" % v
    return str(v)


def f(fmt, v):
    """fmt % v, or "-" when v is missing."""
    return "-" if v is None else fmt % v


def slash(values):
    """Per-run values as "a/b/c"."""
    return "/".join(raw(v) for v in values)


def table(header, rows):
    """A Markdown table: header cells, then rows of cells."""
    def line(cells):
        return "|" + "|".join(" %s " % c if c != "" else " " for c in cells) + "|"
    return "\n".join([line(header), "|" + "---|" * len(header)] + [line(r) for r in rows])


class Section:
    """One section's JSON: meta, problems, records by kind."""

    def __init__(self, doc):
        self.meta = doc.get("meta", {})
        self.problems = doc.get("problems", [])
        self.records = doc.get("records", {})

    def __getitem__(self, key):
        return self.meta.get(key)

    def all(self, kind, **match):
        return [r for r in self.records.get(kind, [])
                if all(r.get(k) == v for k, v in match.items())]

    def one(self, kind, **match):
        rs = self.all(kind, **match)
        return rs[0] if rs else {}

    def values(self, kind, key, **match):
        return [r.get(key) for r in self.all(kind, **match)]

    @property
    def skipped(self):
        return self.meta.get("skipped")


def run_table(s, title="run"):
    """The facts of the run a section comes from (when not the header's)."""
    m = s.meta
    rows = [("run", title), ("date", m.get("date")),
            ("load average at the section's start / end",
             "%s / %s" % (m.get("load_start"), m.get("load_end"))),
            ("CPU busy outside the bench's processes (other work, kernel threads)",
             "%s s of %s CPU-s" % (raw(m.get("cpu_other")),
                                  raw((m.get("seconds") or 0) * (m.get("nproc") or 1)))),
            ("weft revision", m.get("revision")),
            ("section run time", "%s s" % raw(m.get("seconds")))]
    return table(["", ""], rows)


SITES_TEXT = """\
Where weft put its probes and what the kernel does with the instruction
under each, as weft reports them (its JSON's `capture.probes[].sites`,
the text report's `at` lines): `emulated` (push, nops, direct jmp/call,
jcc: ~1 us here, section 1), `optimized` (a nop5 turned into a call to
the uprobe trampoline), `single-step` (anything else: a second trap, ~10
us), `uretprobe` (a return probe: the entry trap, then the kernel's return
trampoline), `tracepoint` (no trap). Hits per unit are the probe's, from
the last weft run of each row."""


def sites_table(records):
    """One row per probe of the "site" records (tools/bench/lib.sh json_sites;
    a section's JSON from before them: one objdump'd instruction each)."""
    def row(x):
        if "who" in x:
            return [x["who"], x["probe"], "%s per %s" % (x["per"], x["unit"]), x["sites"]]
        return [x.get("go", ""), x.get("probe", x.get("function", "")), "-",
                "`%s`: %s" % (x.get("insn", "?"), x.get("path", x.get("entry", "?")))]
    return table(["run", "probe", "hits per unit", "sites: instruction, kernel path"],
                 [row(x) for x in records])


def site_paths(sites):
    """{"emulated": 2, "single-step": 1} from a record's "sites" text"""
    out = {}
    for part in sites.split("; "):
        n, _, rest = part.partition(" x ")
        path = rest.rpartition(": ")[2]
        if n.isdigit() and path:
            out[path] = out.get(path, 0) + int(n)
    return out
