#!/usr/bin/env bash
# -- CMD: weft's exit status is the command's own, or 128+N when signal N
# killed it, said in one line (as time(1) and perf stat do); weft record's
# file of such a run still reports. weft check keeps its 0/1/2 (test_check).
. "$(dirname "$0")/lib.sh"
require_root
require_weft
ulimit -c 0 # no core file: the line says none was dumped

target P pool

# a clean exit: 0, "exited"
weft_run "$TMP/o" "$TMP/e" trace --txn handle_batch -- "$P" 1
assert_eq "$RC" 0 "a clean command: exit status"
assert_match "$(grep "^weft: target" "$TMP/e")" '^weft: target pid [0-9]+ exited$' "a clean command: its line"

# exit 3: 3, "exited with status 3"
weft_run "$TMP/o" "$TMP/e" trace -- sh -c 'exit 3'
assert_eq "$RC" 3 "a command that exits 3: weft's exit status"
assert_match "$(grep "^weft: target" "$TMP/e")" '^weft: target pid [0-9]+ exited with status 3$' "exit 3: its line"

# a segfault: 128+11, the signal named
weft_run "$TMP/o" "$TMP/e" trace -- sh -c 'kill -SEGV $$'
assert_eq "$RC" 139 "a command killed by SIGSEGV: weft's exit status"
assert_match "$(grep "^weft: target" "$TMP/e")" '^weft: target pid [0-9]+ killed by signal 11 \(Segmentation fault\)$' \
	"SIGSEGV: its line"

# weft record: the same status; the file it wrote reports
weft_run "$TMP/o" "$TMP/e" record -o "$TMP/r.weft" -- sh -c 'sleep 0.1; exit 5'
assert_eq "$RC" 5 "weft record of a command that exits 5: exit status"
assert_match "$(grep "^weft: target" "$TMP/e")" '^weft: target pid [0-9]+ exited with status 5$' "record, exit 5: its line"
weft_run "$TMP/o" "$TMP/e" report "$TMP/r.weft" --format json
assert_exit_ok "weft report of that record"
finish
