#!/usr/bin/env bash
# Runs the runtime tests: every tests/runtime/test_*.sh (or the ones named on
# the command line, with or without the test_ prefix / .sh suffix), each under
# a timeout, and prints
#     PASS name | FAIL name | SKIP name: reason
# then one line counting what ran and what was skipped, and why. Exit 1 if
# any failed, or if any was skipped (a green run means every test ran)
# unless WEFT_ALLOW_SKIP=1. Output of failing tests is shown indented; -v
# shows it for all.
#
#   bash tests/runtime/run.sh [-v] [NAME...]
#   WEFT=/path/to/weft TARGETS=/path/to/targets WEFT_TEST_TIMEOUT=60 ...
set -u

cd "$(dirname "$0")" || exit 2
verbose=0
if [ "${1:-}" = -v ]; then
	verbose=1
	shift
fi

tests=()
if [ $# -gt 0 ]; then
	for n in "$@"; do
		n=${n##*/}
		n=${n%.sh}
		n=test_${n#test_}
		[ -f "$n.sh" ] || { echo "run.sh: no such test: $n" >&2; exit 2; }
		tests+=("$n.sh")
	done
else
	for t in test_*.sh; do
		[ -f "$t" ] && tests+=("$t")
	done
fi

timeout_s=${WEFT_TEST_TIMEOUT:-60}
passed=0 failed=0 skipped=0
skips=()

for t in "${tests[@]}"; do
	name=${t%.sh}
	if [ "$(id -u)" -ne 0 ]; then
		echo "SKIP $name: not root (weft needs root to load BPF programs)"
		skipped=$((skipped + 1))
		skips+=("$name: not root")
		continue
	fi
	# a test that builds (Go toolchains, a cold cache) may ask for more:
	# a "# weft-test-timeout: SECONDS" line
	t_timeout=$(sed -n 's/^# weft-test-timeout: \([0-9][0-9]*\)$/\1/p' "$t" | head -n1)
	[ -n "${WEFT_TEST_TIMEOUT:-}" ] || [ -z "$t_timeout" ] || timeout_s=$t_timeout
	t0=$SECONDS
	out=$(timeout -k 10 "$timeout_s" bash "./$t" 2>&1 </dev/null)
	rc=$?
	took=" ($((SECONDS - t0)) s)"
	timeout_s=${WEFT_TEST_TIMEOUT:-60}
	case $rc in
	0)
		echo "PASS $name$took"
		passed=$((passed + 1))
		[ "$verbose" = 1 ] && printf '%s\n' "$out" | sed 's/^/    /'
		;;
	77)
		reason=$(printf '%s\n' "$out" | grep '^SKIP: ' | tail -n1)
		reason=${reason#SKIP: }
		echo "SKIP $name: ${reason:-no reason given}"
		skipped=$((skipped + 1))
		skips+=("$name: ${reason:-no reason given}")
		[ "$verbose" = 1 ] && printf '%s\n' "$out" | grep -v '^SKIP: ' | sed 's/^/    /'
		;;
	*)
		why=""
		[ "$rc" -eq 124 ] || [ "$rc" -eq 137 ] && why=" (timed out)"
		echo "FAIL $name$why$took"
		printf '%s\n' "$out" | sed 's/^/    /'
		failed=$((failed + 1))
		;;
	esac
done

# what ran, per runtime version and build (make matrix puts it in the README)
python3 ../../tools/version-matrix.py >../../build/version-matrix.md 2>/dev/null &&
	echo "version matrix: build/version-matrix.md"

summary="$((passed + failed)) ran: $passed passed, $failed failed; $skipped skipped"
[ "$skipped" -gt 0 ] && summary="$summary ($(printf '%s; ' "${skips[@]}" | sed 's/; $//'))"
echo "$summary"
if [ "$skipped" -gt 0 ] && [ "${WEFT_ALLOW_SKIP:-0}" != 1 ]; then
	echo "run.sh: $skipped test(s) skipped: a skip fails the run (WEFT_ALLOW_SKIP=1 lets them pass)"
	exit 1
fi
[ "$failed" -eq 0 ]
