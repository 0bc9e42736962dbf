#!/usr/bin/env bash
# weft-test-timeout: 60
# weft check stops processes (each exec of the command's tree, each checked
# process at its exit) and continues them. Killed (SIGKILL) while one is
# stopped, it must not leave it stopped: its guardian continues the tree.
# Here weft is frozen (SIGSTOP) while the command's second exec is stopped
# for it, then killed: that exec runs on, the command finishes, the
# guardian leaves. A normal run leaves no guardian behind.
. "$(dirname "$0")/lib.sh"
require_root
require_weft

# a guardian still running (a zombie waits for init to reap it: gone)
guardians() { ps -eo stat=,comm= | awk '$2 == "weft-guardian" && $1 !~ /^Z/'; }

stopped_in_tree() { # ROOT: pids in state T under ROOT
	ps -eo pid=,ppid=,stat= | awk -v r="$1" '{ pp[$1] = $2; st[$1] = $3 }
		END { for (p in st) if (st[p] ~ /^T/) { q = p; for (i = 0; i < 64 && q > 1; i++) { if (q == r) { print p; break } q = pp[q] } } }'
}

"$WEFT" check -- sh -c "sleep 0.5; sleep 0.5; echo done > $TMP/done" >"$TMP/w.out" 2>&1 &
W=$!
for _ in $(seq 50); do pgrep -P $W -x sh >/dev/null && break; sleep 0.02; done
ROOT=$(pgrep -P $W -x sh | head -1)
[ -n "$ROOT" ] || { fail "the command did not start under weft check: $(cat "$TMP/w.out")"; finish; }
sleep 0.2
kill -STOP $W
# the second sleep's exec: stopped by BPF, with no weft to continue it
for _ in $(seq 100); do [ -n "$(stopped_in_tree "$ROOT")" ] && break; sleep 0.02; done
assert_ne "$(stopped_in_tree "$ROOT")" "" "the exec, stopped while weft is frozen"
kill -KILL $W
wait $W 2>/dev/null
for _ in $(seq 100); do [ -f "$TMP/done" ] && break; sleep 0.02; done
assert_eq "$(cat "$TMP/done" 2>/dev/null)" done "weft killed: the stopped exec continued, the command finished"
assert_eq "$(stopped_in_tree "$ROOT")" "" "weft killed: nothing left stopped"
assert_eq "$(guardians)" "" "weft killed: the guardian gone too"

"$WEFT" check -- sh -c 'exit 0' >"$TMP/n.out" 2>&1
assert_eq "$(guardians)" "" "a normal run: no guardian left"
finish
