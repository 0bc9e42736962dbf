#!/usr/bin/env bash
# A recording cut short (weft record SIGKILLed mid-run) still reports: weft
# report reads its META and every whole, checked chunk, says in one line
# what it read and dropped, and exits 0 (as perf reads an unfinished
# perf.data); no probe is left on the target. gofanout (newest Go) makes
# goroutine trees inside main.runFanout transactions for as long as it runs.
. "$(dirname "$0")/lib.sh"
require_root
require_weft

NEWEST=$(bash "$ROOT/tools/go-versions.sh" | tail -n1 | cut -d' ' -f1)
[ -n "$NEWEST" ] || skip "no Go toolchain installed (tools/install-deps.sh installs them)"
src=$ROOT/build/tests/go/$NEWEST/gofanout
[ -x "$src" ] || { fail "no $src (run make go-targets)"; finish; }
mkdir -p "$TMP/bin"
cp "$src" "$TMP/bin/gofanout"
export EXE=$TMP/bin/gofanout
F=$TMP/cut.weft

bg WPID "$WEFT" record -o "$F" --txn main.runFanout -- "$EXE" 1000000 2>"$TMP/rec.err"
# two chunks of 64 KiB on disk, then the writer dies without a word
for _ in $(seq 200); do
	[ "$(stat -c %s "$F" 2>/dev/null || echo 0)" -gt 140000 ] && break
	sleep 0.05
done
kill -KILL "$WPID"
wait "$WPID" 2>/dev/null
TPID=$(pgrep -f "^$EXE" | head -n1)
[ -n "$TPID" ] && assert_eq "$(probes_left "$EXE" "$TPID")" 0 "uprobes left on the target after weft was killed"
[ -n "$TPID" ] && kill -KILL "$TPID"
size=$(stat -c %s "$F")
CHECKS=$((CHECKS + 1))
[ "$size" -gt 140000 ] || fail "the recording did not reach 2 chunks ($size bytes) before the kill"

weft_run "$TMP/out.json" "$TMP/rep.err" report "$F" --format json
assert_exit_ok "weft report of a cut recording"
assert_eq "$(grep -c "^weft: warning: $F was cut before its end" "$TMP/rep.err")" 1 \
	"one line says the file was cut"
line=$(grep "was cut before its end" "$TMP/rep.err")
events=$(sed -n 's/.*read \([0-9]*\) events in \([0-9]*\) whole chunks, dropped the last \([0-9]*\) bytes.*/\1 \2 \3/p' <<<"$line")
read -r nev nchunks ndrop <<<"$events"
CHECKS=$((CHECKS + 1))
[ "${nchunks:-0}" -ge 2 ] && [ "${ndrop:-0}" -lt 70000 ] ||
	fail "what was read: $line (2 chunks or more, less than a chunk dropped)"
assert_jq "$TMP/out.json" 'd["capture"]["events"]' "$nev" "the report has every event read"
assert_py "$TMP/out.json" 'len([t for t in d["transactions"] if t["name"] == "main.runFanout"]) >= 10' \
	"the report has the transactions of the chunks read"
finish
