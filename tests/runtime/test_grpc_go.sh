#!/usr/bin/env bash
# weft-test-timeout: 240
# gRPC on Go: tests/grpc/greeter.go built against Debian's grpc-go trees
# (tools/fetch-grpc.sh: 1.33 from bookworm, 1.81 from sid) with every Go the
# tree allows (tools/build-grpc-greeter.sh), stripped (and with DWARF on the
# newest Go). weft
# attaches to a running server (-p, no --txn) and a client makes, by
# construction: 3 Say, 1 Chat (a stream of 3 messages each way), 1 Relay
# (its handler dials its own server, calls Say, never closes the
# connection, and opens a Chat stream it never finishes). So:
#   - transactions by gRPC method: Say 4, Chat 2 (Relay's still open),
#     Relay 1;
#   - Relay's outbound calls: "/weft.Greeter/Say ADDR" ended,
#     "/weft.Greeter/Chat ADDR" left running, both sited in main.relayHandler;
#   - leaks: 4 main.leakWait goroutines (one per Say, site main.say), the
#     connection Relay left open (its transport reader goroutine) and the
#     call it left running, all Relay's;
#   - Relay's calls to its own server are conflations: the server's Say
#     and Chat began inside Relay's context, on bytes it wrote (a call to
#     itself, told from the call Relay had open: one writer goroutine
#     serves every call on a gRPC connection), Relay still running;
#   - no orphans: what the server starts per connection (handshake, reader,
#     writer, keepalive) and per stream (7 streams) is listed under
#     Connections, "gRPC server".
# With the newest Go, each tree again with grpc.NumStreamWorkers(2): the
# streams run on a pool of workers started before weft attached; the same
# transactions, leaks and no orphans.
. "$(dirname "$0")/lib.sh"
require_root
require_weft

[ -d "$ROOT/build/tests/grpc" ] ||
	skip "no greeter builds (tools/fetch-grpc.sh, then tools/build-grpc-greeter.sh; make runtime does both)"
SRC=$ROOT/tests/grpc/greeter.go
L_SAY=$(grep -n 'go leakWait(' "$SRC" | cut -d: -f1)
L_RELAY_SAY=$(grep -n 'conn.Invoke(ctx, "/weft.Greeter/Say"' "$SRC" | head -n1 | cut -d: -f1)
L_RELAY_CHAT=$(grep -n 'conn.NewStream(context.Background()' "$SRC" | cut -d: -f1)

# run LABEL BIN [SERVER-FLAG...]: one server, one weft -p, one client
run() {
	local label=$1 bin=$2 addr
	shift 2
	cp "$bin" "$TMP/bin/greeter" || { fail "$label: cannot copy $bin"; return; }
	# bg's stdin is /dev/null, its stdout the file its address is read from
	env --default-signal=INT "$TMP/bin/greeter" "$@" serve 127.0.0.1:0 >"$TMP/$label.srv" 2>&1 &
	SPID=$!
	BG_PIDS+=("$SPID")
	wait_for "$TMP/$label.srv" 'listening on' 10 "$SPID" ||
		{ fail "$label: server did not start: $(head -c 300 "$TMP/$label.srv")"; return; }
	addr=$(awk '/listening on/ { print $3 }' "$TMP/$label.srv")
	bg WPID "$WEFT" trace --format json --leak-grace 200ms -p "$SPID" >"$TMP/$label.json" 2>"$TMP/$label.err"
	wait_for "$TMP/$label.err" attached 15 "$WPID" ||
		{ fail "$label: weft did not attach: $(head -c 300 "$TMP/$label.err")"; return; }
	"$TMP/bin/greeter" -n 3 call "$addr" >"$TMP/$label.cli" 2>&1 ||
		fail "$label: client failed: $(head -c 300 "$TMP/$label.cli")"
	sleep 0.4 # past the 200 ms grace after the last RPC
	kill -INT "$WPID"
	wait_exit "$WPID" 20
	assert_exit_ok "$label: weft trace -p"
	kill "$SPID" 2>/dev/null
	json_valid "$TMP/$label.json" "$label" || return
	assert_jq "$TMP/$label.json" \
		'sorted(set((t["name"], sum(1 for u in d["transactions"] if u["name"] == t["name"])) for t in d["transactions"]))' \
		'[["/weft.Greeter/Chat",2],["/weft.Greeter/Relay",1],["/weft.Greeter/Say",4]]' \
		"$label: one transaction per RPC, named by its method"
	assert_jq "$TMP/$label.json" '[t["name"] for t in d["transactions"] if t["end_ns"] is None]' \
		'["/weft.Greeter/Chat"]' "$label: the stream Relay left running is open"
	assert_jq "$TMP/$label.json" \
		'[(s["start"], s["site_func"], int(s["site"].split(":")[-1].rstrip(")")), s["state"], [t["name"] for t in d["transactions"] if t["id"] == s["txn"]]) for s in d["segments"] if s["kind"] == "call"]' \
		"[[\"/weft.Greeter/Say $addr\",\"main.relayHandler\",$L_RELAY_SAY,\"ended\",[\"/weft.Greeter/Relay\"]],[\"/weft.Greeter/Chat $addr\",\"main.relayHandler\",$L_RELAY_CHAT,\"leaked\",[\"/weft.Greeter/Relay\"]]]" \
		"$label: Relay's outbound calls, named by method and target, one left running"
	assert_jq "$TMP/$label.json" '[(l["count"], l["txns"]) for l in d["leaks"] if l["kind"] == "call"]' \
		'[[1,["/weft.Greeter/Relay"]]]' "$label: the call left running is Relay's leak"
	assert_jq "$TMP/$label.json" \
		'[(l["site"].split(":")[-1].rstrip(")"), l["count"], l["txns"]) for l in d["leaks"] if l["start"] == "main.leakWait"]' \
		"[[\"$L_SAY\",4,[\"/weft.Greeter/Say\"]]]" "$label: the Say handlers' leaked goroutines"
	assert_jq "$TMP/$label.json" \
		'[(l["count"], l["txns"]) for l in d["leaks"] if l["start"] == "google.golang.org/grpc/internal/transport.(*http2Client).reader"]' \
		'[[1,["/weft.Greeter/Relay"]]]' "$label: the connection Relay left open is Relay's leak"
	assert_jq "$TMP/$label.json" \
		'[(c["txn_name"], c["outer_name"], c["stale"], c["to_itself"], [(x["kind"], x["start"], x["site_func"]) for x in c["chain"]]) for c in d["conflations"]]' \
		"[[\"/weft.Greeter/Say\",\"/weft.Greeter/Relay\",false,true,[[\"call\",\"/weft.Greeter/Say $addr\",\"main.relayHandler\"]]],[\"/weft.Greeter/Chat\",\"/weft.Greeter/Relay\",false,true,[[\"call\",\"/weft.Greeter/Chat $addr\",\"main.relayHandler\"]]]]" \
		"$label: Relay's calls to itself are conflations, through the calls it made"
	assert_jq "$TMP/$label.json" 'd["self_calls_untold"]' 0 "$label: every call to itself told"
	assert_jq "$TMP/$label.json" '[(o["site_func"], o["start"]) for o in d["orphans"]]' '[]' \
		"$label: no orphans"
	assert_jq "$TMP/$label.json" \
		'sorted(set(c["server"] for c in d["connections"]))' '["gRPC server"]' \
		"$label: connection goroutines are the gRPC server's"
	[ $# -eq 0 ] && assert_jq "$TMP/$label.json" \
		'sum(c["count"] for c in d["connections"] if c["site_func"].startswith("google.golang.org/grpc.(*Server).serveStreams"))' \
		7 "$label: one stream goroutine per RPC (7), the connection's"
	assert_eq "$(probes_left "$SPID")" 0 "$label: no probe left"
}

mkdir -p "$TMP/bin"
n=0
NEWEST=$(bash "$ROOT/tools/go-versions.sh" | tail -n1 | cut -d' ' -f1)
while read -r V _; do
	for bin in "$ROOT"/build/tests/grpc/"$V"/greeter-1.*; do
		[ -x "$bin" ] || continue
		# stripped on every Go (production's shape); with DWARF on the
		# newest (the method's offset comes from code either way)
		[[ $bin == *.stripped ]] || [ "$V" = "$NEWEST" ] || continue
		g=${bin##*/greeter-}
		g=${g%.stripped}
		matrix_cell go "$V" "gRPC $g"
		run "go$V-grpc${bin##*/greeter-}" "$bin"
		n=$((n + 1))
	done
done < <(bash "$ROOT/tools/go-versions.sh")
V=$NEWEST
for bin in "$ROOT"/build/tests/grpc/"$V"/greeter-1.*.stripped; do
	[ -x "$bin" ] || continue
	g=${bin##*/greeter-}
	matrix_cell go "$V" "gRPC ${g%.stripped}"
	run "go$V-grpc$g-workers" "$bin" -workers 2
	n=$((n + 1))
done
# -- CMD on a cgo-linked greeter that serves itself and exits in a few ms:
# its events are read after it exited, and still named (no hex sites)
for bin in "$ROOT"/build/tests/grpc/"$V"/greeter-1.*.stripped; do
	[ -x "$bin" ] || continue
	g=${bin##*/greeter-}
	matrix_cell go "$V" "gRPC ${g%.stripped}"
	cp "$bin" "$TMP/bin/greeter-self"
	weft_run "$TMP/self-$g.out" "$TMP/self-$g.err" trace --format json -o "$TMP/self-$g.json" \
		-- "$TMP/bin/greeter-self"
	assert_exit_ok "go$V-grpc$g: weft trace -- greeter"
	json_valid "$TMP/self-$g.json" "go$V-grpc$g -- CMD" || continue
	assert_jq "$TMP/self-$g.json" 'sorted(set(t["name"] for t in d["transactions"]))' \
		'["/weft.Greeter/Chat","/weft.Greeter/Relay","/weft.Greeter/Say"]' \
		"go$V-grpc$g -- CMD: the RPCs by method"
	# main's own calls (outside any transaction) are none
	assert_jq "$TMP/self-$g.json" '[(c["txn_name"], c["outer_name"], c["to_itself"]) for c in d["conflations"]]' \
		'[["/weft.Greeter/Say","/weft.Greeter/Relay",true],["/weft.Greeter/Chat","/weft.Greeter/Relay",true]]' \
		"go$V-grpc$g -- CMD: Relay's two calls to itself, nothing from main"
	assert_jq "$TMP/self-$g.json" \
		'[s["site"] for s in d["segments"] if s["kind"] == "goroutine" and not s["preattach"] and not s["site_func"]]' \
		'[]' "go$V-grpc$g -- CMD: every goroutine's site named after the target exited"
done
[ $n -gt 0 ] || skip "no greeter builds for the picked Go versions"
finish
