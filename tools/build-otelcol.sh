#!/usr/bin/env bash
# Builds the test OpenTelemetry Collector (issue 21), tests/otelcol/*.go,
# against the collector sources tools/fetch-otelcol.sh unpacked (sid's
# golang-opentelemetry-collector-dev and its golang-*-dev closure) in GOPATH
# mode, with the newest Go under build/go that the collector's go.mod allows
# (1.25 or later; tools/fetch-go.sh):
#   build/otelcol/bin/weft-otelcol     (static, CGO_ENABLED=0)
# The build cache is build/otelcol/gocache. The binary is kept while its
# stamp (a hash of the sources, the package list and the Go binary) matches,
# so the fast path runs no compiler. Something missing (the sources, a new
# enough Go) is one line and exit 0 (test_otlp then fails, naming it); a failed
# build is one line (the log's last) and exit 1.
#
# Usage: bash tools/build-otelcol.sh
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SRC=$ROOT/tests/otelcol
TREE=$ROOT/build/otelcol/src
GOPATH_DIR=$TREE/usr/share/gocode
BIN=$ROOT/build/otelcol/bin/weft-otelcol

[ -f "$TREE/.fetched" ] || {
	echo "build-otelcol: missing build/otelcol/src (run tools/fetch-otelcol.sh)" >&2
	exit 0
}
# go.mod's "go 1.25.0" -> 25
need=$(sed -n 's/^go 1\.\([0-9]*\).*/\1/p' "$GOPATH_DIR/src/go.opentelemetry.io/collector/otelcol/go.mod" | head -n1)
[ "${need:-0}" -ge 25 ] || need=25
go='' v=''
for g in "$ROOT"/build/go/1.*/usr/lib/go-1.*/bin/go; do
	[ -x "$g" ] || continue
	m=${g%/bin/go}
	m=${m##*/go-1.}
	[[ $m =~ ^[0-9]+$ ]] || continue
	[ "$m" -ge "$need" ] || continue
	if [ -z "$v" ] || [ "$m" -gt "$v" ]; then
		go=$g v=$m
	fi
done
[ -n "$go" ] || {
	echo "build-otelcol: missing Go >= 1.$need under build/go (run tools/fetch-go.sh)" >&2
	exit 0
}

stamp=$(cat "$SRC"/*.go "$TREE/.fetched" "$go" | sha256sum | cut -d' ' -f1)
if [ -x "$BIN" ] && [ "$(cat "$BIN.stamp" 2>/dev/null)" = "$stamp" ]; then
	rm -f "$BIN.log"
	exit 0
fi

# golang-opentelemetry-collector-dev_0.152.0-1_all.deb -> 0.152.0-1
version=$(sed -n 's/^golang-opentelemetry-collector-dev_\([^_]*\)_.*/\1/p' "$TREE/.fetched")
mkdir -p "${BIN%/*}"
printf '  %-8s %s\n' "GO1.$v" "${BIN#"$ROOT"/}"
if ! (cd "$SRC" && env -u GOROOT GOTOOLCHAIN=local GOFLAGS= GO111MODULE=off GOENV=off \
	GOPATH="$GOPATH_DIR" GOCACHE="$ROOT/build/otelcol/gocache" CGO_ENABLED=0 \
	"$go" build -ldflags="-X main.version=${version:-unknown}" -o "$BIN.tmp" .) >"$BIN.log" 2>&1; then
	echo "build-otelcol: go 1.$v build of tests/otelcol failed: $(tail -n1 "$BIN.log") (see ${BIN#"$ROOT"/}.log)" >&2
	rm -f "$BIN.tmp"
	exit 1
fi
mv -f "$BIN.tmp" "$BIN" && rm -f "$BIN.log"
echo "$stamp" >"$BIN.stamp"
exit 0
