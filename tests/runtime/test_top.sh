#!/usr/bin/env bash
# weft top -p PID, on a terminal that tmux emulates (a fixed 132x40 pane):
# the target (tests/targets/topleak.c) leaks a thread per "serve"
# transaction (about 3 a second) and runs 3 "ping"s per serve. After two
# refreshes and more, the screen shows both transaction rows (ping first,
# sorted by count), the leaking site leak_spawn (topleak.c) -> leak_main
# with a positive growth per minute and GROWING; s changes the sort (rate,
# then p50: serve above ping), c moves the focus, h shows the help; q
# quits: weft exits 0, the terminal's settings are those from before
# (stty -g), the screen is given back, no uprobe is left and the target
# runs on. Ctrl-C and SIGTERM end it the same way. Without a terminal,
# weft top refuses with one line and attaches nothing.
# weft-test-timeout: 120
. "$(dirname "$0")/lib.sh"
require_root
require_weft
command -v tmux >/dev/null 2>&1 || skip "tmux is not installed (tools/install-deps.sh installs it)"

target T topleak
LOG=$TMP/topleak.log
WEFT_TEST_LOG=$LOG bg TPID "$T"
wait_for "$LOG" 'topleak pid=' 10 "$TPID" || { fail "topleak did not start: $(cat "$LOG" 2>/dev/null)"; finish; }
LEAK_LINE=$(src_line topleak leak)

# --- no terminal: one error line, nothing attached
weft_run "$TMP/nt.out" "$TMP/nt.err" top -p "$TPID"
assert_one_error_line "$TMP/nt.err" "weft top with stdout not a terminal" "needs a terminal" "weft trace"
assert_eq "$(probes_left "$T" "$TPID")" 0 "uprobes on the target after weft top refused"

# --- the screen
SOCK=$TMP/tmux.sock
tm() { tmux -S "$SOCK" "$@"; }
trap 'rc=$?; tmux -S "$SOCK" kill-server 2>/dev/null; (exit $rc); _cleanup' EXIT
tm -f /dev/null new-session -d -s top -x 132 -y 40 "env TERM=screen bash --norc --noprofile" ||
	{ fail "tmux new-session failed"; finish; }
SCREEN=$TMP/screen.txt

# wait_screen ERE SECONDS: until the pane shows a line matching ERE
wait_screen() {
	local n=$(($2 * 10)) i=0
	while :; do
		tm capture-pane -p -t top >"$SCREEN" 2>/dev/null
		grep -qE -- "$1" "$SCREEN" && return 0
		i=$((i + 1))
		[ "$i" -ge "$n" ] && return 1
		sleep 0.1
	done
}

# screen_fail WHAT: a failure with the pane's text
screen_fail() {
	fail "$1; the screen:"
	sed 's/^/    | /' "$SCREEN" | grep -v '^    | *$'
}

# run_top N: starts weft top in the pane; stty -g before and after, exit
# status to $TMP/rcN
run_top() {
	rm -f "$TMP/rc$1"
	tm send-keys -t top "clear; stty -g >$TMP/stty.before$1; $WEFT top -p $TPID 2>$TMP/err$1; " \
		"echo \$? >$TMP/rc.tmp$1; stty -g >$TMP/stty.after$1; mv $TMP/rc.tmp$1 $TMP/rc$1" Enter
	if ! wait_for "$TMP/err$1" 'attached' 15; then
		fail "run $1: weft top did not attach: $(head -c 600 "$TMP/err$1" 2>/dev/null | tr '\n' '|')"
		finish
	fi
	wait_screen "^weft top - pid $TPID " 10 || { screen_fail "run $1: no weft top screen"; finish; }
}

# ended N WHAT: weft exited 0, the terminal as before, the screen given
# back, no probe left, the target running
ended() {
	local i
	for i in $(seq 100); do [ -f "$TMP/rc$1" ] && break; sleep 0.1; done
	CHECKS=$((CHECKS + 1))
	if [ ! -f "$TMP/rc$1" ]; then
		tm capture-pane -p -t top >"$SCREEN"
		screen_fail "$2: weft top still running 10 s later"
		return
	fi
	assert_eq "$(cat "$TMP/rc$1")" 0 "$2: weft top's exit status"
	CHECKS=$((CHECKS + 1))
	cmp -s "$TMP/stty.before$1" "$TMP/stty.after$1" ||
		fail "$2: terminal settings changed: $(cat "$TMP/stty.before$1") -> $(cat "$TMP/stty.after$1")"
	tm capture-pane -p -t top >"$SCREEN"
	CHECKS=$((CHECKS + 1))
	! grep -qE '^weft top - pid|sorted by' "$SCREEN" || screen_fail "$2: the screen was not given back"
	assert_eq "$(probes_left "$T" "$TPID")" 0 "$2: uprobes left on the target"
	CHECKS=$((CHECKS + 1))
	alive "$TPID" || fail "$2: target died"
	case $(proc_state "$TPID") in T | t) fail "$2: target left stopped" ;; esac
	assert_contains "$TMP/err$1" "weft: top detached from pid $TPID" "$2: the last line on stderr"
}

# row NAME: the transaction table's line number of NAME's row
row() { grep -nE "^  $1 +[0-9]+ " "$SCREEN" | head -n1 | cut -d: -f1; }

run_top 1
CHECKS=$((CHECKS + 1))
[ "$(probes_left "$T" "$TPID")" -ge 1 ] || fail "while weft top runs, no uprobe on the target"

SITE_RE="^ +[0-9]+ +\+[0-9]+\.[0-9] +[0-9]+ +thread +GROWING +leak_spawn \(topleak\.c:($LEAK_LINE|$((LEAK_LINE + 1)))\) -> leak_main\$"
# growth needs three refreshes (two rises, no fall)
wait_screen "$SITE_RE" 10 || screen_fail "no GROWING leak_spawn -> leak_main row after 10 s"
CHECKS=$((CHECKS + 1))
grep -qE "^weft top - pid $TPID \($T\) +up [0-9]" "$SCREEN" || screen_fail "header: pid and exe"
CHECKS=$((CHECKS + 1))
grep -qE "^events [0-9]+/s \([0-9.k]+\)  lost 0  evicted 0  traps [1-9][0-9]*/s \([0-9.k]+\)  leak grace 500\.00ms" "$SCREEN" ||
	screen_fail "counters line: events/s, lost 0, evicted 0, traps/s > 0"
CHECKS=$((CHECKS + 1))
grep -qE '^> Transactions \(2 names\) +sorted by count$' "$SCREEN" || screen_fail "transactions title: 2 names, sorted by count, focused"
CHECKS=$((CHECKS + 1))
grep -qE '^  serve +[0-9]+ +[0-9]+\.[0-9] +[0-9.]+ms +[0-9.]+ms +[0-9]+ +[0-9]+$' "$SCREEN" || screen_fail "serve row"
CHECKS=$((CHECKS + 1))
grep -qE '^  ping +[0-9]+ +[0-9]+\.[0-9] +[0-9.]+(us|ms) +[0-9.]+(us|ms) +[0-9]+ +0$' "$SCREEN" || screen_fail "ping row (no leak)"
CHECKS=$((CHECKS + 1))
[ -n "$(row ping)" ] && [ -n "$(row serve)" ] && [ "$(row ping)" -lt "$(row serve)" ] ||
	screen_fail "sorted by count: ping (3x serve) above serve"
# the serve row's leaked count grows with the site's
CHECKS=$((CHECKS + 1))
leaked=$(grep -E '^  serve ' "$SCREEN" | awk '{print $NF}')
[ "${leaked:-0}" -ge 2 ] || screen_fail "serve leaked >= 2, got '$leaked'"
CHECKS=$((CHECKS + 1))
grep -qE '^ +[0-9]+ +\+[0-9.]+ +[0-9]+ +thread +GROWING +spawn_worker' "$SCREEN" &&
	screen_fail "the joined worker's site is not growing"

# s: the next sort column of the focused table (transactions)
tm send-keys -t top s
wait_screen '^> Transactions \(2 names\) +sorted by rate$' 5 || screen_fail "s: not sorted by rate"
CHECKS=$((CHECKS + 1))
grep -qE '^ q quit  s sort \(rate\)' "$SCREEN" || screen_fail "key line: s sort (rate)"
tm send-keys -t top s
wait_screen '^> Transactions \(2 names\) +sorted by p50$' 5 || screen_fail "s s: not sorted by p50"
CHECKS=$((CHECKS + 1))
[ -n "$(row ping)" ] && [ -n "$(row serve)" ] && [ "$(row serve)" -lt "$(row ping)" ] ||
	screen_fail "sorted by p50: serve (20 ms) above ping (1 ms)"

# c: the continuations table has the focus; s sorts it
tm send-keys -t top c
wait_screen '^> Live continuations per creation site' 5 || screen_fail "c: focus on continuations"
tm send-keys -t top s
wait_screen '^> Live continuations per creation site \([0-9]+ sites?\) +sorted by growth$' 5 ||
	screen_fail "c s: continuations sorted by growth"
CHECKS=$((CHECKS + 1))
grep -qE '^  Transactions \(2 names\) +sorted by p50$' "$SCREEN" || screen_fail "transactions keep their sort, lose the focus"
tm send-keys -t top h
wait_screen 'GROWING: it only grew' 5 || screen_fail "h: the help lines"

tm send-keys -t top q
ended 1 "q"

# Ctrl-C (SIGINT from the terminal) and SIGTERM end it as cleanly
run_top 2
tm send-keys -t top C-c
ended 2 "Ctrl-C"
assert_contains "$TMP/err2" "stopped by signal 2" "Ctrl-C: stopped by SIGINT"

run_top 3
wpid=""
for p in /proc/[0-9]*; do
	[ "$(readlink "$p/exe" 2>/dev/null)" = "$(readlink -f "$WEFT")" ] || continue
	tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -q "top -p $TPID" && wpid=${p#/proc/}
done
CHECKS=$((CHECKS + 1))
if [ -n "$wpid" ]; then
	kill -TERM "$wpid"
	ended 3 "SIGTERM"
	assert_contains "$TMP/err3" "stopped by signal 15" "SIGTERM: stopped by SIGTERM"
else
	fail "SIGTERM: the weft top process not found"
fi

finish
