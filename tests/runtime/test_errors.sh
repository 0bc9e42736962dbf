#!/usr/bin/env bash
# Bad input: exit status != 0 and exactly one stderr line starting "weft: ".
. "$(dirname "$0")/lib.sh"
require_root
require_weft

target P pool
B=$(basename "$P")

# -- no such pid
sleep 0 &
dead=$!
wait "$dead"
for _ in 1 2 3 4 5; do [ -e "/proc/$dead" ] || break; sleep 0 & dead=$!; wait "$dead"; done
weft_run "$TMP/o" "$TMP/e" trace -d 1 --txn handle_batch -p "$dead"
assert_one_error_line "$TMP/e" "trace -p <dead pid $dead>" "$dead"

# -- a zombie and a kernel thread: said as such, not "no such process"
python3 -c 'import os, sys, time
p = os.fork()
if p == 0:
    os._exit(0)
print(p, flush=True)
time.sleep(5)' >"$TMP/zombie" &
ZPARENT=$!
wait_for "$TMP/zombie" '^[0-9]' 5 "$ZPARENT"
zombie=$(head -n1 "$TMP/zombie")
weft_run "$TMP/o" "$TMP/e" trace -d 1 -p "$zombie"
assert_one_error_line "$TMP/e" "trace -p <zombie>" "pid $zombie (python3) is a zombie" "nothing to trace"
kill "$ZPARENT" 2>/dev/null
wait "$ZPARENT" 2>/dev/null
kthread=$(grep -l '^Kthread:[[:space:]]*1' /proc/[0-9]*/status 2>/dev/null | head -n1 | cut -d/ -f3)
if [ -n "$kthread" ]; then
	weft_run "$TMP/o" "$TMP/e" trace -d 1 -p "$kthread"
	assert_one_error_line "$TMP/e" "trace -p <kernel thread>" "pid $kthread (" \
		"is a kernel thread: weft traces user processes"
else
	note "no kernel thread with a Kthread: line in /proc (kernel < 6.x): that case not run"
fi

# -- bad task specs (the target must not be left running)
for spec in 'submit_task:argX' 'submit_task' 'submit_task:arg0+' ':arg0' 'submit_task:arg99'; do
	weft_run "$TMP/o" "$TMP/e" trace --format json --task-create "$spec" --txn handle_batch -- "$P" 1
	assert_one_error_line "$TMP/e" "--task-create '$spec'"
done
sleep 0.2
assert_eq "$(own_target_pids | wc -l)" 0 "target processes left after the bad-spec runs"

# -- a symbol the binary does not have: name the symbol and the binary
weft_run "$TMP/o" "$TMP/e" trace --format json --txn no_such_function_wx -- "$P" 1
assert_one_error_line "$TMP/e" "--txn <missing symbol>" no_such_function_wx "$B"
weft_run "$TMP/o" "$TMP/e" trace --format json --task-create no_such_task_fn:arg0 --txn handle_batch -- "$P" 1
assert_one_error_line "$TMP/e" "--task-create <missing symbol>" no_such_task_fn "$B" \
	"name the binary: --task-create BIN:no_such_task_fn:arg0"
weft_run "$TMP/o" "$TMP/e" trace --format json --txn "$TMP/no/such/lib.so:foo" -- "$P" 1
assert_one_error_line "$TMP/e" "--txn <missing binary>" "$TMP/no/such/lib.so"
# a data symbol: said as data, not "not found"
weft_run "$TMP/o" "$TMP/e" trace --format json --txn queue_head -- "$P" 1
assert_one_error_line "$TMP/e" "--txn <data symbol>" "symbol 'queue_head' in" \
	"is data, not a function"
# a library by its file name alone: the one the target maps (or needs)
weft_run "$TMP/o" "$TMP/e" trace --format json --txn libc.so.6:getpid --txn handle_batch -- "$P" 1
assert_exit_ok "--txn libc.so.6:getpid (a library by its name)"
assert_jq "$TMP/o" '[p["hits"] > 0 for p in d["capture"]["probes"] if p["name"] == "handle_batch"]' \
	'[true]' "--txn libc.so.6:getpid: traced with the rest"
sleep 0.2
assert_eq "$(own_target_pids | wc -l)" 0 "target processes left after the missing-symbol runs"

# -- bad options
weft_run "$TMP/o" "$TMP/e" trace --format xml -- "$P" 1
assert_one_error_line "$TMP/e" "--format xml" xml
weft_run "$TMP/o" "$TMP/e" trace --leak-grace 5parsecs --txn handle_batch -- "$P" 1
assert_one_error_line "$TMP/e" "--leak-grace 5parsecs" 5parsecs
weft_run "$TMP/o" "$TMP/e" trace -d abc --txn handle_batch -- "$P" 1
assert_one_error_line "$TMP/e" "-d abc"
weft_run "$TMP/o" "$TMP/e" trace --txn handle_batch
assert_one_error_line "$TMP/e" "trace with neither -p nor a command"
weft_run "$TMP/o" "$TMP/e" frobnicate
assert_one_error_line "$TMP/e" "unknown subcommand"
weft_run "$TMP/o" "$TMP/e" trace --no-such-option -- "$P" 1
assert_one_error_line "$TMP/e" "unknown option"
weft_run "$TMP/o" "$TMP/e" trace --preset nosuchruntime -- "$P" 1
assert_one_error_line "$TMP/e" "--preset nosuchruntime" nosuchruntime
weft_run "$TMP/o" "$TMP/e" trace --preset libuv -- "$P" 1
assert_one_error_line "$TMP/e" "--preset libuv on a program without libuv" \
	"--preset libuv: 'uv_queue_work' is not in $P or the libraries it maps: the target does not use libuv"
sleep 0.2
assert_eq "$(own_target_pids | wc -l)" 0 "target processes left after the bad-option runs"

# -- report of files that are not records
weft_run "$TMP/o" "$TMP/e" report "$TMP/does-not-exist.weft"
assert_one_error_line "$TMP/e" "report <missing file>" "$TMP/does-not-exist.weft"
: >"$TMP/empty.weft"
weft_run "$TMP/o" "$TMP/e" report "$TMP/empty.weft" --format json
assert_one_error_line "$TMP/e" "report <empty file>"
head -c 8192 /dev/urandom >"$TMP/random.weft"
weft_run "$TMP/o" "$TMP/e" report "$TMP/random.weft" --format json
assert_one_error_line "$TMP/e" "report <random bytes>"
printf 'this is not a weft record\n' >"$TMP/text.weft"
weft_run "$TMP/o" "$TMP/e" report "$TMP/text.weft"
assert_one_error_line "$TMP/e" "report <text file>"

# -- a real record cut short / with its body overwritten: no crash; either a
# report (exit 0, valid JSON) or one error line
weft_run "$TMP/o" "$TMP/e" record -o "$TMP/good.weft" --txn handle_batch -- "$P" 1
assert_exit_ok "record -- pool 1"
if [ -s "$TMP/good.weft" ]; then
	size=$(stat -c %s "$TMP/good.weft")
	head -c $((size / 2 + 3)) "$TMP/good.weft" >"$TMP/cut.weft"
	cp "$TMP/good.weft" "$TMP/garbled.weft"
	dd if=/dev/urandom of="$TMP/garbled.weft" bs=1 seek=64 count=$((size > 600 ? 512 : size / 2)) conv=notrunc status=none
	for f in cut garbled; do
		weft_run "$TMP/o" "$TMP/e" report "$TMP/$f.weft" --format json
		CHECKS=$((CHECKS + 1))
		if [ "$RC" -ge 124 ]; then
			fail "report <$f record>: exit status $RC (crash or hang)"
		elif [ "$RC" -eq 0 ]; then
			python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$TMP/o" 2>/dev/null ||
				fail "report <$f record>: exit 0 but stdout is not JSON"
		else
			assert_one_error_line "$TMP/e" "report <$f record>"
		fi
	done
else
	fail "record -o wrote nothing"
fi

# -- not root: one clear error line (run as nobody, no capabilities)
if getent passwd nobody >/dev/null && command -v setpriv >/dev/null &&
	setpriv --reuid=nobody --regid=nogroup --clear-groups test -x "$WEFT" 2>/dev/null; then
	ERR_FILE=$TMP/e
	timeout --foreground -k 5 20 setpriv --reuid=nobody --regid=nogroup --clear-groups \
		--inh-caps=-all --bounding-set=-all "$WEFT" trace -d 2 -- /bin/sleep 0.3 \
		>"$TMP/o" 2>"$TMP/e" </dev/null
	RC=$?
	assert_one_error_line "$TMP/e" "trace as nobody (no capabilities)"
else
	note "not-root case skipped (no setpriv/nobody, or $WEFT not executable by nobody)"
fi

finish
