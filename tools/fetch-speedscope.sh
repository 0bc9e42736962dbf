#!/usr/bin/env bash
# speedscope (npm), the trace viewer test_perfetto.sh loads weft's Perfetto
# export into, in headless Chromium: unpacked under
# build/speedscope/package/dist/release/index.html. Idempotent; a fetch that
# fails gives one warning line and the test skips that part.
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VERSION=1.25.0
dir=$ROOT/build/speedscope
[ -f "$dir/package/dist/release/index.html" ] && exit 0
command -v npm >/dev/null || { echo "fetch-speedscope: warning: no npm; speedscope not fetched" >&2; exit 0; }
mkdir -p "$dir"
if ! tgz=$(cd "$dir" && npm pack --silent "speedscope@$VERSION" 2>/dev/null | tail -n1) ||
   [ ! -f "$dir/$tgz" ] || ! tar -xzf "$dir/$tgz" -C "$dir"; then
	echo "fetch-speedscope: warning: could not fetch speedscope@$VERSION from npm" >&2
	exit 0
fi
rm -f "$dir/$tgz"
echo "fetch-speedscope: speedscope $VERSION in $dir/package" >&2
