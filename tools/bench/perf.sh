# tools/bench/perf.sh - what sections 7a and 7c share. Sourced after lib.sh.
# shellcheck shell=bash

# perf_json FILE (report --format json of a record file) -> duration_ns
# events lost evicted samples samples_lost offcpu_spans transactions
perf_json() {
	python3 - "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
c = d["capture"]
p = d.get("profile") or {}
spans = sum(w.get("offcpu_spans", 0) for w in p.get("by_name", [])) + \
    (p.get("outside") or {}).get("offcpu_spans", 0)
print(c["duration_ns"], c["events"], c["lost_events"], c["evicted"], p.get("samples_taken", 0),
      p.get("samples_lost", 0), spans, len(d["transactions"]))
PY
}
