#!/usr/bin/env bash
# weft-test-timeout: 180
# Evictions are said, in every format, and stored in every output that can
# hold them. gofanout 2 (Go) has 33 goroutines per transaction, up to 31
# alive at once: with --max-tasks 16 (the goroutine map's size) some are not
# stored. Each run, whatever its format:
#   - exit 0, and on stderr exactly one line "weft: warning: N map entries not
#     stored: ... raise --max-threads or --max-tasks" (N >= 1) for every format
#     but text, which says it in the report itself;
#   - the same N in the output: JSON capture.evicted, Perfetto otherData.evicted,
#     pprof's comment, the text report's warning; folded (plain stacks) has
#     no room: stderr only;
#   - weft check says it beside its verdict; weft record says it; the file keeps it: weft report says it again.
. "$(dirname "$0")/lib.sh"
require_root
require_weft

VERSIONS=$(bash "$ROOT/tools/go-versions.sh")
GOV=$(head -n1 <<<"$VERSIONS" | cut -d' ' -f1)
[ -n "$GOV" ] && [ -x "$ROOT/build/tests/go/$GOV/gofanout" ] ||
	skip "no prebuilt gofanout (make test builds build/tests/go)"
G=$TMP/gofanout
cp "$ROOT/build/tests/go/$GOV/gofanout" "$G"

# evicted_said ERRFILE WHAT: N from the one warning line (empty if not one)
evicted_said() {
	local n
	n=$(grep -c '^weft: warning: .*map entries not stored' "$1")
	assert_eq "$n" 1 "$2: one warning line on stderr"
	sed -n 's/^weft: warning: \([0-9]*\) map entries not stored: .*raise --max-threads or --max-tasks$/\1/p' "$1"
}

run() { # FORMAT OUT [ARGS...]
	local fmt=$1 out=$2
	shift 2
	weft_run "$TMP/$fmt.stdout" "$TMP/$fmt.err" trace --format "$fmt" -o "$out" --max-tasks 16 \
		--txn main.runFanout "$@" -- "$G" 2
	assert_exit_ok "--format $fmt with evictions"
}

run json "$TMP/r.json"
N=$(evicted_said "$TMP/json.err" json)
assert_match "$N" '^[1-9][0-9]*$' "json: the line gives a count"
assert_jq "$TMP/r.json" 'd["capture"]["evicted"]' "$N" "json: capture.evicted is the count said"

run perfetto "$TMP/r.perfetto"
N=$(evicted_said "$TMP/perfetto.err" perfetto)
assert_match "$N" '^[1-9][0-9]*$' "perfetto: the line gives a count"
assert_jq "$TMP/r.perfetto" 'd["otherData"]["evicted"]' "$N" "perfetto: otherData.evicted"

run pprof "$TMP/r.pb.gz" --off-cpu
N=$(evicted_said "$TMP/pprof.err" pprof)
assert_match "$N" '^[1-9][0-9]*$' "pprof: the line gives a count"
CHECKS=$((CHECKS + 1))
zcat "$TMP/r.pb.gz" | grep -aq "0 events lost, $N map entries not stored" ||
	fail "pprof: the profile's comment does not hold the $N evictions"

run folded "$TMP/r.folded" --off-cpu
N=$(evicted_said "$TMP/folded.err" folded)
assert_match "$N" '^[1-9][0-9]*$' "folded: the line gives a count"

run text "$TMP/r.txt"
assert_eq "$(grep -c 'map entries not stored' "$TMP/text.err")" 0 "text: not on stderr"
assert_match "$(grep '^warning: .*map entries not stored' "$TMP/r.txt")" \
	'^warning: [1-9][0-9]* map entries not stored: the report misses what they held; raise --max-threads or --max-tasks$' \
	"text: the report's own warning line"

# weft check says it beside its verdict
weft_run "$TMP/check.out" "$TMP/check.err" check --max-tasks 16 --txn main.runFanout -- "$G" 2
assert_exit_ok "weft check with evictions"
assert_match "$(grep -c '^weft check: warning: [1-9][0-9]* map entries not stored: ' "$TMP/check.err")" \
	'^1$' "check: one warning line"

# a recording keeps the count; weft report says it again
weft_run "$TMP/rec.out" "$TMP/rec.err" record -o "$TMP/r.weft" --max-tasks 16 \
	--txn main.runFanout -- "$G" 2
assert_exit_ok "weft record with evictions"
N=$(evicted_said "$TMP/rec.err" record)
assert_match "$N" '^[1-9][0-9]*$' "record: the line gives a count"
weft_run "$TMP/rep.json" "$TMP/rep.err" report "$TMP/r.weft" --format json
assert_exit_ok "weft report of it"
assert_eq "$(evicted_said "$TMP/rep.err" "report of the recording")" "$N" \
	"report of the recording: the count said at record time"
assert_jq "$TMP/rep.json" 'd["capture"]["evicted"]' "$N" "report of the recording: capture.evicted"

finish
