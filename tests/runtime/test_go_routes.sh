#!/usr/bin/env bash
# weft-test-timeout: 300
# Go net/http transactions named by route (the ServeMux pattern that
# matched), on every installed Go, as built and stripped, with
# tests/go/goroutes.go (10 requests, its header says which route each
# takes; 2 of them leak a goroutine):
#   - weft record, then weft report as JSON, text and Perfetto: every
#     output names them alike: GET /users/{id} x3, HEAD /users/{id}, POST
#     /users/{id}/leak x2, GET /static/ x2, GET /nope (404), DELETE /users/7
#     (405); Go 1.19-1.21 (no patterns): each request's method and path;
#   - weft report --name-by path on the same file: method and path;
#   - weft trace (live) on the stripped build (offsets from the table):
#     the same names as the file;
#     2 traps per request, 3 for the leaking ones (+1 goroutine creation);
#   - the newest Go, stripped, with its table row hidden
#     (WEFT_GO_OFFSETS_SKIP): the offsets derived from its code, the same
#     names.
. "$(dirname "$0")/lib.sh"
require_root
require_weft

VERSIONS=$(bash "$ROOT/tools/go-versions.sh")
[ -n "$VERSIONS" ] || skip "no Go toolchain installed (tools/install-deps.sh installs them)"
NEWEST=$(tail -n1 <<<"$VERSIONS" | cut -d' ' -f1)
# a GOPATH-mode build gets Go 1.21's ServeMux unless told (goroutes.go's header)
export GODEBUG=httpmuxgo121=0

# names by route (1.22+), by path
BY_PATTERN='["GET /users/{id}","GET /users/{id}","GET /users/{id}","HEAD /users/{id}","POST /users/{id}/leak","POST /users/{id}/leak","GET /static/","GET /static/","GET /nope","DELETE /users/7"]'
BY_PATH='["GET /users/1","GET /users/2","GET /users/3","HEAD /users/4","POST /users/5/leak","POST /users/6/leak","GET /static/a.css","GET /static/b/c.js","GET /nope","DELETE /users/7"]'
LEAKED='[0,0,0,0,1,1,0,0,0,0]'
TRAPS='[2,2,2,2,3,3,2,2,2,2]'

# routes_target VAR VERSION VARIANT: a private copy of make go-targets' build
routes_target() {
	local src=$ROOT/build/tests/go/$2/goroutes${3:+.$3}
	[ -x "$src" ] || { fail "go $2: no $src (run make go-targets)"; return 1; }
	mkdir -p "$TMP/bin"
	cp "$src" "$TMP/bin/goroutes-$2${3:+-$3}" || return 1
	printf -v "$1" '%s' "$TMP/bin/goroutes-$2${3:+-$3}"
}

# check_names JSON WHAT NAMES: names, leaks and traps per transaction
check_names() {
	assert_jq "$1" '[t["name"] for t in d["transactions"]]' "$3" "$2: names"
	assert_jq "$1" '[t["leaked"] for t in d["transactions"]]' "$LEAKED" "$2: leaked"
	assert_jq "$1" '[t["traps"] for t in d["transactions"]]' "$TRAPS" "$2: traps"
	assert_jq "$1" '[(l["site_func"], l["count"], l["txns"]) for l in d["leaks"]]' \
		"$(python3 -c 'import json,sys; n = json.loads(sys.argv[1]); print(json.dumps([["main.handleLeak", 2, list(dict.fromkeys(n[4:6]))]], separators=(",", ":")))' "$3")" \
		"$2: the leak site, owned by its route(s)"
}

while read -r v _; do
	minor=${v#1.}
	want=$BY_PATH
	[ "$minor" -ge 22 ] && want=$BY_PATTERN
	for variant in "" stripped; do
		cell=${variant:-built}
		what="go $v${variant:+ $variant}"
		matrix_cell go "$v" "$cell"
		routes_target BIN "$v" "$variant" || continue
		export EXE=$BIN
		f=$TMP/$v-$cell
		if [ -n "$variant" ]; then
			WEFT_TEST_LOG=$f.log weft_run "$f.trace.json" "$f.trace.err" \
				trace --leak-grace 100ms --format json -- "$BIN"
			assert_exit_ok "$what: weft trace"
			check_names "$f.trace.json" "$what: trace" "$want"
			assert_eq "$(grep -c 'status=' "$f.log")" 10 "$what: the target's 10 requests"
			continue
		fi
		WEFT_TEST_LOG=$f.log weft_run "$f.rec.out" "$f.rec.err" \
			record --leak-grace 100ms -o "$f.weft" -- "$BIN"
		assert_exit_ok "$what: weft record"
		assert_eq "$(grep -c 'status=' "$f.log")" 10 "$what: the target's 10 requests"
		weft_run "$f.report.json" "$f.report.err" report "$f.weft" --format json
		assert_exit_ok "$what: weft report"
		check_names "$f.report.json" "$what: record/report" "$want"
		weft_run "$f.path.json" "$f.path.err" report "$f.weft" --format json --name-by path
		check_names "$f.path.json" "$what: report --name-by path" "$BY_PATH"
		# text: one row per name, with its count
		weft_run "$f.txt" "$f.txt.err" report "$f.weft"
		rows=$(awk '/^Transactions/ { on = 1; next } on && /^$/ { exit } on' "$f.txt" |
			awk '{ c = $(NF-5); $NF = $(NF-1) = $(NF-2) = $(NF-3) = $(NF-4) = $(NF-5) = ""; sub(/ +$/, ""); sub(/^ +/, ""); print $0 "=" c }' | paste -sd'|')
		if [ "$minor" -ge 22 ]; then
			assert_eq "$rows" "GET /users/{id}=3|HEAD /users/{id}=1|POST /users/{id}/leak=2|GET /static/=2|GET /nope=1|DELETE /users/7=1" \
				"$what: text report, a row per route"
		else
			assert_eq "$(tr '|' '\n' <<<"$rows" | grep -c '=1$')" 10 "$what: text report, a row per path"
		fi
		# Perfetto: the transactions' slices carry the same names
		weft_run "$f.perfetto.json" "$f.perfetto.err" report "$f.weft" --format perfetto
		assert_jq "$f.perfetto.json" \
			'[e["name"] for e in (d["traceEvents"] if isinstance(d, dict) else d) if e.get("cat") == "txn"]' \
			"$want" "$what: perfetto slices"
	done
done <<<"$VERSIONS"

# A version the table does not know: the offsets derived from the code
matrix_cell go "$NEWEST" "derived offsets"
if routes_target BIN "$NEWEST" stripped; then
	export EXE=$BIN
	f=$TMP/derived
	WEFT_GO_OFFSETS_SKIP=$NEWEST WEFT_TEST_LOG=$f.log weft_run "$f.json" "$f.err" \
		trace --leak-grace 100ms --format json -- "$BIN"
	assert_exit_ok "go $NEWEST derived: weft trace"
	assert_jq "$f.json" 'd["target"]["go_offsets"]' derived "go $NEWEST: offsets derived"
	check_names "$f.json" "go $NEWEST derived" "$BY_PATTERN"
fi
finish
