#!/usr/bin/env bash
# @grpc/grpc-js and its one load-time dependency (@js-sdsl/ordered-map), for
# the Node gRPC test target (tests/node/h2/grpc-server.js): pinned versions,
# unpacked as build/grpc-js/node_modules/<name>. grpc-js also declares
# @grpc/proto-loader, which it requires only lazily (channelz, ORCA): a
# service defined without a .proto does not need it. Idempotent; a fetch that
# fails gives one warning line (the test then says what is missing).
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MODS=$ROOT/build/grpc-js/node_modules
command -v npm >/dev/null || { echo "fetch-grpc-js: warning: no npm; @grpc/grpc-js not fetched" >&2; exit 0; }
while read -r name version; do
	dir=$MODS/$name
	[ -f "$dir/package.json" ] && continue
	tmp=$MODS/.tmp-${name//\//-}
	rm -rf "$tmp"
	if ! bash "$ROOT/tools/npm-unpack.sh" "$name@$version" "$tmp"; then
		echo "fetch-grpc-js: warning: could not fetch $name@$version from npm" >&2
		rm -rf "$tmp"
		continue
	fi
	mkdir -p "$(dirname "$dir")" && rm -rf "$dir" && mv "$tmp/package" "$dir" && rm -rf "$tmp"
	echo "fetch-grpc-js: $name@$version in build/grpc-js/node_modules/$name" >&2
done <<'LIST'
@grpc/grpc-js 1.14.7
@js-sdsl/ordered-map 4.4.2
LIST
exit 0
