#!/usr/bin/env bash
# weft-test-timeout: 120
# Debian's etcd (stripped Go, gRPC and HTTP on one port through cmux), as a
# user would try it: bookworm's 3.4 (grpc 1.33, Go 1.19) and sid's 3.5 (grpc
# 1.81, Go 1.26), unpacked by tools/fetch-grpc.sh. weft trace -p with no
# --txn while etcdctl makes 10 puts and 2 gets:
#   - 12 transactions, named by the gRPC method: 10 /etcdserverpb.KV/Put,
#     2 /etcdserverpb.KV/Range;
#   - no orphan from request handling (grpc, cmux, etcd's API): each
#     etcdctl run is a connection, whose goroutines are listed under
#     Connections (12 stream goroutines, 12 cmux ones);
#   - no leak, no conflation, no probe left.
. "$(dirname "$0")/lib.sh"
require_root
require_weft

mkdir -p "$TMP/bin"
n=0
for dir in "$ROOT"/build/etcd/3.*; do
	[ -x "$dir/usr/bin/etcd" ] && [ -x "$dir/usr/bin/etcdctl" ] || continue
	v=${dir##*/}
	n=$((n + 1))
	label=etcd-$v
	cp "$dir/usr/bin/etcd" "$TMP/bin/etcd-$v"
	ctl=$dir/usr/bin/etcdctl
	c=$((20000 + RANDOM % 20000))
	p=$((c + 1))
	env --default-signal=INT "$TMP/bin/etcd-$v" --data-dir "$TMP/data-$v" \
		--listen-client-urls "http://127.0.0.1:$c" --advertise-client-urls "http://127.0.0.1:$c" \
		--listen-peer-urls "http://127.0.0.1:$p" --initial-advertise-peer-urls "http://127.0.0.1:$p" \
		--initial-cluster "default=http://127.0.0.1:$p" --log-level error \
		</dev/null >"$TMP/$label.log" 2>&1 &
	EPID=$!
	BG_PIDS+=("$EPID")
	ctl() { ETCDCTL_API=3 timeout 10 "$ctl" --endpoints="127.0.0.1:$c" "$@"; }
	for _ in $(seq 50); do
		ctl endpoint health >/dev/null 2>&1 && break
		sleep 0.2
	done
	ctl endpoint health >/dev/null 2>&1 ||
		{ fail "$label: etcd did not start: $(tail -c 300 "$TMP/$label.log")"; continue; }
	bg WPID "$WEFT" trace --format json -p "$EPID" >"$TMP/$label.json" 2>"$TMP/$label.err"
	wait_for "$TMP/$label.err" attached 15 "$WPID" ||
		{ fail "$label: weft did not attach: $(head -c 300 "$TMP/$label.err")"; continue; }
	for i in $(seq 10); do
		ctl put "k$i" "v$i" >/dev/null || fail "$label: etcdctl put k$i failed"
	done
	for i in 1 2; do
		[ "$(ctl get "k$i" --print-value-only)" = "v$i" ] || fail "$label: etcdctl get k$i"
	done
	sleep 0.8 # past the grace after the last call
	kill -INT "$WPID"
	wait_exit "$WPID" 20
	assert_exit_ok "$label: weft trace -p"
	kill "$EPID" 2>/dev/null
	json_valid "$TMP/$label.json" "$label" || continue
	assert_jq "$TMP/$label.json" \
		'sorted(set((t["name"], sum(1 for u in d["transactions"] if u["name"] == t["name"])) for t in d["transactions"]))' \
		'[["/etcdserverpb.KV/Put",10],["/etcdserverpb.KV/Range",2]]' \
		"$label: one transaction per call, named by the gRPC method"
	assert_jq "$TMP/$label.json" \
		'[o["site_func"] for o in d["orphans"] if o["site_func"].startswith(("google.golang.org/grpc", "github.com/soheilhy/cmux", "go.etcd.io/etcd/etcdserver/api", "go.etcd.io/etcd/server/etcdserver/api", "net/http"))]' \
		'[]' "$label: no orphan from request handling"
	assert_jq "$TMP/$label.json" \
		'sum(c["count"] for c in d["connections"] if c["site_func"].startswith("google.golang.org/grpc.(*Server).serveStreams"))' \
		12 "$label: one stream goroutine per call, the gRPC connection's"
	assert_jq "$TMP/$label.json" \
		'sum(c["count"] for c in d["connections"] if c["server"] == "cmux (port multiplexer)")' \
		12 "$label: one cmux goroutine per etcdctl connection"
	assert_jq "$TMP/$label.json" '(len(d["leaks"]), len(d["conflations"]))' '[0,0]' \
		"$label: no leak, no conflation"
	assert_eq "$(probes_left "$EPID")" 0 "$label: no probe left"
done
[ $n -gt 0 ] || skip "no etcd under build/etcd (tools/fetch-grpc.sh)"
finish
