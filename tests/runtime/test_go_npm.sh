#!/usr/bin/env bash
# weft-test-timeout: 120
# Real Go programs nobody here wrote, shipped as binaries in npm packages
# (tools/fetch-npm-go.sh, pinned versions), tried as a user would with -p:
#   - esbuild --serve (@esbuild/linux-x64): stripped, and without build info
#     (the version is the runtime's string); a net/http server: 15 requests
#     on 3 paths are 15 transactions named by method and path, no leak;
#     `weft goroutines -p` shows its serving goroutine;
#   - buf lsp serve (@bufbuild/buf-linux-x64): stripped, a language server
#     blocked on stdin: `weft goroutines -p` gives its version (the one its
#     build info says) and its goroutines by creation site.
. "$(dirname "$0")/lib.sh"
require_root
require_weft
command -v curl >/dev/null || skip "no curl"
NPM=$ROOT/build/npm-go
[ -x "$NPM/esbuild/package/bin/esbuild" ] && [ -x "$NPM/buf/package/bin/buf" ] ||
	skip "no Go binaries from npm under build/npm-go (tools/fetch-npm-go.sh: npm unreachable?)"

mkdir -p "$TMP/bin" "$TMP/site"
cp "$NPM/esbuild/package/bin/esbuild" "$NPM/buf/package/bin/buf" "$TMP/bin/"
echo 'console.log("weft")' >"$TMP/site/app.js"
echo '<html><body>weft</body></html>' >"$TMP/site/index.html"
# both serve while their stdin stays open: a FIFO held open here
mkfifo "$TMP/stdin"
exec 3<>"$TMP/stdin"

# ---- esbuild: no build info, net/http
PORT=$((20000 + RANDOM % 20000))
env --default-signal=INT "$TMP/bin/esbuild" --serve=127.0.0.1:$PORT --servedir="$TMP/site" \
	<"$TMP/stdin" >"$TMP/esbuild.log" 2>&1 &
EPID=$!
BG_PIDS+=("$EPID")
for _ in $(seq 50); do
	curl -s -o /dev/null "http://127.0.0.1:$PORT/index.html" && break
	sleep 0.1
done
alive "$EPID" || { fail "esbuild did not start: $(head -c 300 "$TMP/esbuild.log")"; finish; }

"$WEFT" goroutines -p "$EPID" --format json >"$TMP/esbuild-g.json" 2>"$TMP/esbuild-g.err"
assert_jq "$TMP/esbuild-g.json" 'd["target"]["go_version"].startswith("go1.")' true \
	"esbuild: a Go version though it has no build info"
assert_jq "$TMP/esbuild-g.json" \
	'len([g for g in d["goroutines"] if g["site_func"] == "github.com/evanw/esbuild/pkg/api.(*internalContext).Serve"])' \
	1 "esbuild: its serving goroutine, named by creation site"

bg WPID "$WEFT" trace -p "$EPID" -d 4 --format json -o "$TMP/esbuild.json" \
	2>"$TMP/esbuild-trace.err"
wait_for "$TMP/esbuild-trace.err" attached 15 "$WPID" ||
	fail "esbuild: weft did not attach: $(head -c 300 "$TMP/esbuild-trace.err")"
for i in 1 2 3 4 5; do
	for p in app.js index.html missing; do
		curl -s -o /dev/null "http://127.0.0.1:$PORT/$p"
	done
done
wait_exit "$WPID" 20
assert_exit_ok "esbuild: weft trace -p"
if json_valid "$TMP/esbuild.json" "esbuild trace"; then
	assert_jq "$TMP/esbuild.json" \
		'sorted((n, c) for n, c in __import__("collections").Counter(t["name"] for t in d["transactions"]).items())' \
		'[["GET /app.js",5],["GET /index.html",5],["GET /missing",5]]' \
		"esbuild: 15 requests, each a transaction named by method and path"
	assert_jq "$TMP/esbuild.json" 'd["leaks"]' '[]' "esbuild: no leak"
	assert_jq "$TMP/esbuild.json" '(d["capture"]["lost_events"], d["capture"]["evicted"])' \
		'[0,0]' "esbuild: nothing lost"
fi
assert_eq "$(probes_left "$EPID")" 0 "esbuild: no probe left"
curl -s -o /dev/null "http://127.0.0.1:$PORT/index.html" ||
	fail "esbuild: no longer serving after weft detached"

# ---- buf: a language server
"$TMP/bin/buf" lsp serve <"$TMP/stdin" >/dev/null 2>"$TMP/buf.log" &
BPID=$!
BG_PIDS+=("$BPID")
sleep 1
alive "$BPID" || { fail "buf lsp serve did not stay up: $(head -c 300 "$TMP/buf.log")"; finish; }
GO=$(bash "$ROOT/tools/go-versions.sh" | tail -n1 | cut -d' ' -f2)
WANT=$(GOTOOLCHAIN=local "$GO" version "$TMP/bin/buf" 2>/dev/null | awk '{ print $2 }')
"$WEFT" goroutines -p "$BPID" --format json >"$TMP/buf-g.json" 2>"$TMP/buf-g.err"
assert_jq "$TMP/buf-g.json" 'd["target"]["go_version"]' "$WANT" \
	"buf: the version its build info says"
assert_jq "$TMP/buf-g.json" \
	'len([g for g in d["goroutines"] if g["site_func"] == "github.com/bufbuild/buf/private/buf/buflsp.Serve"]) >= 1' \
	true "buf: the language server's goroutines, named by creation site"
kill "$EPID" "$BPID" 2>/dev/null
finish
