#!/usr/bin/env python3
"""fuzz_json.py LOGDIR SECS OUT: what each libFuzzer run of `make fuzz`
did (its log, LOGDIR/TARGET.log: runs, seconds, coverage, corpus, crashes)
as a section JSON for write_benchmarks.py (section "fuzz")."""
import json, os, re, subprocess, sys, time

logdir, secs, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
targets = []
for t in ("record", "goelf", "nodeelf", "perfmap"):
    p = os.path.join(logdir, t + ".log")
    if not os.path.exists(p):
        continue
    text = open(p, errors="replace").read()
    done = re.findall(r"Done (\d+) runs in (\d+) second", text)
    cov = re.findall(r"cov: (\d+)", text)
    corp = re.findall(r"corp: (\d+)/", text)
    seeds = re.findall(r"INFO: seed corpus: files: (\d+)", text)
    crash = len(re.findall(r"==\d+==ERROR|Test unit written to|deadly signal", text))
    targets.append({"target": t, "runs": int(done[-1][0]) if done else None,
                    "secs": int(done[-1][1]) if done else None,
                    "cov": int(cov[-1]) if cov else None, "corpus": int(corp[-1]) if corp else None,
                    "seeds": int(seeds[-1]) if seeds else None, "crashes": crash})
rev = subprocess.run(["git", "describe", "--always", "--dirty"], capture_output=True, text=True).stdout.strip()
doc = {"meta": {"section": "fuzz", "run_id": "fuzz-%d" % time.time(), "secs_each": secs,
                "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), "revision": rev or "unknown",
                "load_start": open("/proc/loadavg").read().split()[0], "nproc": os.cpu_count(),
                "cmd": "make fuzz FUZZ_SECS=%d" % secs},
       "problems": ["%s: %d crash(es), see its log" % (t["target"], t["crashes"]) for t in targets if t["crashes"]],
       "records": {"target": targets}}
os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
json.dump(doc, open(out, "w"), indent=1)
print("fuzz: wrote %s" % out, file=sys.stderr)
