#!/usr/bin/env bash
# weft trace --txn handle_request -- server: 6 requests; requests 0 and 3
# leave a thread blocked forever (2 leaks, site leak_worker_spawn); every
# request leaves a cleanup thread that exits 50 ms later: not a leak with the
# default 500 ms grace, a leak (6 more, site cleanup_spawn) with 10 ms.
. "$(dirname "$0")/lib.sh"
require_root
require_weft

target S server
export EXE=$S

# default grace (500 ms)
export LOG=$TMP/default.log
WEFT_TEST_LOG=$LOG weft_run "$TMP/default.json" "$TMP/default.err" \
	trace --format json --txn handle_request -- "$S"
assert_exit_ok "weft trace -- server (default grace)"
assert_contains "$LOG" "server idle" "target completed"
check_server "$TMP/default.json" 500 cmd

# --leak-grace 10ms: the cleanup threads outlive it
export LOG=$TMP/short.log
WEFT_TEST_LOG=$LOG weft_run "$TMP/short.json" "$TMP/short.err" \
	trace --format json --leak-grace 10ms --txn handle_request -- "$S"
assert_exit_ok "weft trace --leak-grace 10ms -- server"
assert_contains "$LOG" "server idle" "target completed"
check_server "$TMP/short.json" 10 cmd

# the text report names the leak site and the transaction
export LOG=$TMP/text.log
WEFT_TEST_LOG=$LOG weft_run "$TMP/text.out" "$TMP/text.err" \
	trace --txn handle_request -- "$S"
assert_exit_ok "weft trace (text) -- server"
assert_contains "$TMP/text.out" "leak_worker_spawn" "text report names the leak site"
assert_contains "$TMP/text.out" "handle_request" "text report names the transaction"

finish
