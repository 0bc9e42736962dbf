#!/usr/bin/env bash
# weft-test-timeout: 240
# A Go version weft has no offsets table row for: the stripped (-s -w)
# gotrace of every Go version, traced with the
# row taken out (WEFT_GO_OFFSETS_SKIP, the test hook in user/go/go_offsets.c),
# so runtime.g/m's layout is derived from the binary's own code
# (user/go/go_derive.c). With tests/go/gotrace.go's 6 traces (0 and 3 never
# released: 2 leaked goroutines each, blocked on a channel receive):
#   - weft trace gives the same JSON report as with the table, timings
#     aside: transactions, their segments, leaks (sites, start functions,
#     what they wait on), orphans; and says where the layout came from
#     ("derived" in the JSON and the text report, "table" without the hook);
#   - weft goroutines -p on the idle process: the same goroutines, parents,
#     sites, states and wait reasons.
. "$(dirname "$0")/lib.sh"
require_root
require_weft

VERSIONS=$(bash "$ROOT/tools/go-versions.sh")
[ -n "$VERSIONS" ] || skip "no Go toolchain installed (tools/install-deps.sh installs them)"
NEWEST=$(tail -n1 <<<"$VERSIONS")
mkdir -p "$TMP/bin"

# stripped VAR V GO: a private copy of gotrace.stripped built by Go V
stripped() {
	local __var=$1 v=$2 go=$3 out=$TMP/bin/gotrace-$2
	if [ -x "$ROOT/build/tests/go/$v/gotrace.stripped" ]; then
		cp "$ROOT/build/tests/go/$v/gotrace.stripped" "$out"
	else
		HOME=${HOME:-$TMP} GOCACHE=$ROOT/build/gocache GOPATH=$ROOT/tests/go GO111MODULE=off \
			CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS= "$go" build -ldflags='-s -w' \
			-o "$out" "$ROOT/tests/go/gotrace.go" >"$TMP/build-$v.log" 2>&1 || return 1
	fi
	printf -v "$__var" '%s' "$out"
}

# What must not change with the layout's source: everything but timings,
# pids and ids that depend on the order events arrive in.
NORM='
import json, sys
d = json.load(open(sys.argv[1]))
out = {
    "transactions": [(t["name"], t["segments"], t["leaked"], t["conflated_with"], t["nested_in"], t["traps"]) for t in d["transactions"]],
    "txn_segments": sorted((s["txn"], s["kind"], s["site"], s["start"], s["state"]) for s in d["segments"] if s["txn"]),
    "leaks": sorted((l["site"], l["site_func"], l["start"], l["kind"], l["count"], l["txns"], l["wait_reason"]) for l in d["leaks"]),
    "orphans": sorted((o["site_func"], o["start"], o["kind"]) for o in d["orphans"]),
}
print(json.dumps(out, sort_keys=True))
'

while read -r VG; do
	read -r V GO <<<"$VG"
	matrix_cell go "$V" "derived offsets"
	stripped BIN "$V" "$GO" || { fail "go $V: build of gotrace.stripped failed"; continue; }
	[ "$VG" = "$NEWEST" ] && NEWEST_BIN=$BIN
	for src in table derived; do
		skipv=""
		[ $src = derived ] && skipv=$V
		WEFT_TEST_LOG=$TMP/$V-$src.log WEFT_GO_OFFSETS_SKIP=$skipv weft_run \
			"$TMP/$V-$src.json" "$TMP/$V-$src.err" trace --format json -d 3 \
			--txn main.handleTrace -- "$BIN" 6 keep
		assert_exit_ok "go $V ($src): weft trace"
		json_valid "$TMP/$V-$src.json" "go $V ($src)" || continue
		assert_jq "$TMP/$V-$src.json" 'd["target"]["go_offsets"]' "$src" \
			"go $V: the JSON says the layout came from the $src"
		assert_contains "$TMP/$V-$src.err" "offsets: $src" "go $V: the status line says $src"
		python3 -c "$NORM" "$TMP/$V-$src.json" >"$TMP/$V-$src.norm" 2>&1
	done
	# the expected report, by construction (so that two wrong ones cannot agree)
	assert_jq "$TMP/$V-derived.json" '[t["leaked"] for t in d["transactions"]]' \
		'[2,0,0,2,0,0]' "go $V (derived): leaked per transaction"
	assert_jq "$TMP/$V-derived.json" \
		'sorted((l["start"], l["count"], l["wait_reason"]) for l in d["leaks"])' \
		'[["main.(*PubSub).forward",2,"chan receive"],["main.(*manager).startStateWorker",2,"chan receive"]]' \
		"go $V (derived): leaks, with what they wait on"
	CHECKS=$((CHECKS + 1))
	if ! cmp -s "$TMP/$V-table.norm" "$TMP/$V-derived.norm"; then
		fail "go $V: the report with derived offsets differs from the table's: $(diff <(tr ']' '\n' <"$TMP/$V-table.norm") <(tr ']' '\n' <"$TMP/$V-derived.norm") | head -c 800)"
	fi
done <<<"$VERSIONS"
matrix_close

# the text report's header, newest Go
read -r V GO <<<"$NEWEST"
BIN=${NEWEST_BIN:-}
[ -n "$BIN" ] || finish
WEFT_TEST_LOG=$TMP/text.log WEFT_GO_OFFSETS_SKIP=$V weft_run "$TMP/text.txt" "$TMP/text.err" \
	trace --txn main.handleTrace -- "$BIN" 6
assert_exit_ok "go $V: weft trace (text)"
assert_match "$(sed -n 2p "$TMP/text.txt")" \
	"^go: go${V//./\\.}[.0-9]*, runtime layout derived from its code \\(no DWARF, no table row\\)$" \
	"go $V: the text report's header says the layout was derived"

# weft goroutines -p on the idle process, both ways
WEFT_TEST_LOG=$TMP/idle.log bg GPID "$BIN" 6 keep
if wait_for "$TMP/idle.log" 'gotrace idle' 15 "$GPID"; then
	GNORM='import json, sys; d = json.load(open(sys.argv[1])); print(json.dumps(sorted((g["goid"], g["parent_goid"], g["site"], g["start"], g["status"], g["wait_reason"]) for g in d["goroutines"] if g["site_func"] == "main.(*manager).NewTrace")))'
	for src in table derived; do
		skipv=""
		[ $src = derived ] && skipv=$V
		WEFT_GO_OFFSETS_SKIP=$skipv weft_run "$TMP/g-$src.json" "$TMP/g-$src.err" \
			goroutines -p "$GPID" --format json
		assert_exit_ok "go $V ($src): weft goroutines -p"
		assert_jq "$TMP/g-$src.json" 'd["target"]["go_offsets"]' "$src" \
			"go $V: weft goroutines says the layout came from the $src"
		python3 -c "$GNORM" "$TMP/g-$src.json" >"$TMP/g-$src.norm" 2>&1
	done
	assert_jq "$TMP/g-derived.json" \
		'len([g for g in d["goroutines"] if g["site_func"] == "main.(*manager).NewTrace" and g["wait_reason"] == "chan receive" and g["parent_goid"] == 1])' \
		4 "go $V (derived): the 4 blocked goroutines, their parent and what they wait on"
	assert_eq "$(cat "$TMP/g-derived.norm")" "$(cat "$TMP/g-table.norm")" \
		"go $V: weft goroutines -p, derived == table"
	kill "$GPID" 2>/dev/null
else
	fail "gotrace did not reach idle"
fi

finish
