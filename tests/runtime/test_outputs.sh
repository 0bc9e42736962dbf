#!/usr/bin/env bash
# Outputs: one that cannot be written is said before anything is traced
# (exit 2, one line, the command never started); a write that fails later
# (a full disk: /dev/full) is one line and exit 1, for trace -o, trace to
# standard output and weft report -o; for weft check's --junit and -o, exit 2
# (its verdict could not be given).
. "$(dirname "$0")/lib.sh"
require_root
require_weft

target P pool
MARK=$TMP/started

# unwritable: before the capture, the command not run
for flag in "-o $TMP/no/such/dir/out.json" "-o $TMP"; do
	rm -f "$MARK"
	# shellcheck disable=SC2086 # the flag and its value, split on purpose
	weft_run "$TMP/o" "$TMP/e" trace $flag -- sh -c "touch $MARK"
	assert_one_error_line "$TMP/e" "trace $flag" "${flag#-o }"
	assert_eq "$RC" 2 "trace $flag: exit status"
	CHECKS=$((CHECKS + 1))
	[ ! -e "$MARK" ] || fail "trace $flag: the command ran although its output could not be written"
done
weft_run "$TMP/o" "$TMP/e" record -o "$TMP/no/such/dir/r.weft" -- "$P" 1
assert_one_error_line "$TMP/e" "record -o <missing dir>" "$TMP/no/such/dir/r.weft" \
	"cannot write there (No such file or directory); give a path in a writable directory"
weft_run "$TMP/o" "$TMP/e" check --junit "$TMP/no/such/dir/j.xml" -- sh -c true
assert_one_error_line "$TMP/e" "check --junit <missing dir>" "--junit $TMP/no/such/dir/j.xml"
assert_eq "$RC" 2 "check --junit <missing dir>: exit status"

# a full disk: the write fails after the capture: one line, exit 1
weft_run "$TMP/o" "$TMP/e" trace --format json -o /dev/full --txn handle_batch -- "$P" 1
assert_eq "$RC" 1 "trace -o /dev/full: exit status"
assert_eq "$(grep -c '^weft: /dev/full: write failed: No space left on device$' "$TMP/e")" 1 \
	"trace -o /dev/full: one line"
timeout -k 5 40 "$WEFT" trace --txn handle_batch -- "$P" 1 >/dev/full 2>"$TMP/e" </dev/null
RC=$?
assert_eq "$RC" 1 "trace >/dev/full: exit status"
assert_eq "$(grep -c '^weft: standard output: write failed: No space left on device$' "$TMP/e")" 1 \
	"trace >/dev/full: one line"
# weft check: the verdict CI reads cannot be written: no verdict (2), one line
target CT ctests
for out in "--junit /dev/full" "-o /dev/full --format json"; do
	# shellcheck disable=SC2086 # the flag and its value, split on purpose
	weft_run "$TMP/o" "$TMP/e" check $out --txn run_case -- "$CT"
	assert_eq "$RC" 2 "check $out: exit status"
	assert_eq "$(grep -c '^weft: /dev/full: write failed: No space left on device$' "$TMP/e")" 1 \
		"check $out: one line"
done
# weft record onto a disk that fills: one line, exit 1, no signal made up
mkdir -p "$TMP/small"
if mount -t tmpfs -o size=8k tmpfs "$TMP/small" 2>"$TMP/mount.err"; then
	weft_run "$TMP/o" "$TMP/e" record -o "$TMP/small/r.weft" --txn handle_batch \
		--task-create submit_task:arg0 --task-done run_task:arg0 -- "$P" 20
	umount "$TMP/small"
	assert_eq "$RC" 1 "record onto a full disk: exit status"
	assert_eq "$(grep -c "write failed: No space left on device" "$TMP/e")" 1 \
		"record onto a full disk: said once"
	assert_eq "$(grep -c 'stopped by signal' "$TMP/e")" 0 "record onto a full disk: no signal said"
else
	note "no tmpfs mount here ($(head -c 200 "$TMP/mount.err")): the full disk case not run"
fi
weft_run "$TMP/o" "$TMP/e" record -o "$TMP/r.weft" --txn handle_batch -- "$P" 1
assert_exit_ok "record"
weft_run "$TMP/o" "$TMP/e" report "$TMP/r.weft" --format json -o /dev/full
assert_one_error_line "$TMP/e" "report -o /dev/full" "/dev/full: write failed: No space left on device"
finish
