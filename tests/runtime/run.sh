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
#   WEFT_TEST_JOBS=2: two at a time (make test), longest first
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

passed=0 failed=0 skipped=0
skips=()
jobs=${WEFT_TEST_JOBS:-1}
res=$(mktemp -d "${TMPDIR:-/tmp}/weft-run.XXXXXX")
trap 'rm -rf "$res"' EXIT

# a test that builds (Go toolchains, a cold cache) may ask for more: a
# "# weft-test-timeout: SECONDS" line
test_timeout() {
	local t
	t=$(sed -n 's/^# weft-test-timeout: \([0-9][0-9]*\)$/\1/p' "$1" | head -n1)
	echo "${WEFT_TEST_TIMEOUT:-${t:-60}}"
}

# run_one TEST: its output, status and seconds into $res
run_one() {
	local name=${1%.sh} t0=$SECONDS rc
	timeout -k 10 "$(test_timeout "$1")" bash "./$1" >"$res/$name.out" 2>&1 </dev/null
	rc=$?
	echo "$rc $((SECONDS - t0))" >"$res/$name.rc"
}

report() {
	local name=$1 rc took out reason why
	read -r rc took <"$res/$name.rc"
	out=$(cat "$res/$name.out")
	took=" ($took s)"
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
}

if [ "$(id -u)" -ne 0 ]; then
	for t in "${tests[@]}"; do
		echo "SKIP ${t%.sh}: not root (weft needs root to load BPF programs)"
		skipped=$((skipped + 1))
		skips+=("${t%.sh}: not root")
	done
	tests=()
fi

# WEFT_TEST_JOBS=N: N at once, the longest (by their timeout) first, so
# the long ones do not end the run alone; each result printed as it ends
if [ "$jobs" -gt 1 ]; then
	mapfile -t tests < <(for t in "${tests[@]}"; do echo "$(test_timeout "$t") $t"; done |
		sort -k1,1nr -k2 | cut -d' ' -f2)
fi
declare -A running=()
for t in "${tests[@]}"; do
	while [ "${#running[@]}" -ge "$jobs" ]; do
		wait -n -p done_pid "${!running[@]}"
		report "${running[$done_pid]}"
		unset "running[$done_pid]"
	done
	run_one "$t" &
	running[$!]=${t%.sh}
done
while [ "${#running[@]}" -gt 0 ]; do
	wait -n -p done_pid "${!running[@]}"
	report "${running[$done_pid]}"
	unset "running[$done_pid]"
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
