#!/usr/bin/env bash
# Installs every Debian package that weft's build, tests, demo and bench need.
# Idempotent: returns at once when everything is present.
#
# Node.js 22, 24 and 26 come from npm (tools/fetch-node.sh), /usr/bin/node is
# the machine's own (20 here). Go 1.24-1.27 come from Debian's newer suites
# through a private apt configuration (tools/fetch-go.sh), unpacked under
# build/go, never installed.
# Go toolchains (for the Go adapter's test targets, tests/go/*.go):
#   golang-1.19-go                  bookworm            required
#   golang-1.21/1.22/1.23-go        bookworm-backports  optional
# Each lands in /usr/lib/go-1.NN/bin/go (tools/go-versions.sh lists them).
# bookworm-backports is added as /etc/apt/sources.list.d/weft-backports.sources
# (same URIs and Signed-By as the configured bookworm entry) only when no
# configured source has it yet. An optional toolchain that cannot be installed
# gives one warning line, and is not retried for a day (stamp file below;
# WEFT_DEPS_RETRY=1 retries at once), so the fast path stays apt-free.
set -euo pipefail

# Node 22, 24 and 26 (npm, not apt): the Node adapter's tests run on each
bash "$(dirname "$0")/fetch-node.sh" || true
# Go 1.24-1.27 (trixie, sid: unpacked under build/go, never installed)
bash "$(dirname "$0")/fetch-go.sh" || true
# the OpenTelemetry Collector's sources (sid's golang-opentelemetry-collector-dev
# and its golang-*-dev closure, under build/otelcol): the test collector
bash "$(dirname "$0")/fetch-otelcol.sh" || true
# Go binaries shipped in npm packages (esbuild, buf): real programs to trace
bash "$(dirname "$0")/fetch-npm-go.sh" || true
# @grpc/grpc-js (npm): the Node gRPC server the Node HTTP/2 tests trace
bash "$(dirname "$0")/fetch-grpc-js.sh" || true
# speedscope (npm) and chromium: the real consumer of --format perfetto in tests
bash "$(dirname "$0")/fetch-speedscope.sh" || true

# grpc-go's sources (Debian's golang-google-grpc-dev: bookworm's and sid's)
# and etcd, for the gRPC tests: after the packages, whose apt lists the
# bookworm download uses
done_ok() {
	# libbpf built from sid's source, bpftool from bookworm-backports (under
	# build/libbpf): multi-uprobe links, the kernel's BTF mapped; needs make, gcc
	bash "$(dirname "$0")/fetch-libbpf.sh" || true
	bash "$(dirname "$0")/fetch-grpc.sh" || true
	exit 0
}

pkgs=(make gcc clang llvm pkg-config bpftool libbpf-dev libelf-dev zlib1g-dev
      libdw-dev libcapstone-dev libcmocka-dev systemtap-sdt-dev libuv1-dev
      libstdc++-12-dev python3 procps golang-1.19-go libncurses-dev tmux
      chromium curl openssl libcurl4-openssl-dev)
optional=(golang-1.21-go golang-1.22-go golang-1.23-go)

backports_file=/etc/apt/sources.list.d/weft-backports.sources
stamp="$(cd "$(dirname "$0")/.." && pwd)/build/.install-deps-optional-unavailable"

installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

missing=()
for p in "${pkgs[@]}"; do
	installed "$p" || missing+=("$p")
done
opt_missing=()
for p in "${optional[@]}"; do
	installed "$p" || opt_missing+=("$p")
done

# Optional packages that failed within the last day are not retried.
if [ ${#opt_missing[@]} -gt 0 ] && [ -z "${WEFT_DEPS_RETRY:-}" ] && [ -f "$stamp" ] &&
   [ -n "$(find "$stamp" -mmin -1440 2>/dev/null)" ] &&
   [ "$(cat "$stamp")" = "${opt_missing[*]}" ]; then
	echo "install-deps: warning: optional Go toolchains unavailable (${opt_missing[*]}); retry: WEFT_DEPS_RETRY=1 $0" >&2
	opt_missing=()
fi
[ ${#missing[@]} -eq 0 ] && [ ${#opt_missing[@]} -eq 0 ] && done_ok

if [ "$(id -u)" -ne 0 ]; then
	if [ ${#missing[@]} -gt 0 ]; then
		echo "install-deps: missing packages: ${missing[*]}; run as root: sudo $0" >&2
		exit 1
	fi
	echo "install-deps: warning: optional Go toolchains missing (${opt_missing[*]}); run as root to install: sudo $0" >&2
	done_ok
fi
export DEBIAN_FRONTEND=noninteractive

# Lines of every configured source (one-line and deb822), comments stripped.
source_lines() {
	local f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] && sed -e 's/#.*//' "$f"
	done
	return 0
}

# Prints "URIS<TAB>SIGNED_BY" of the configured bookworm (main archive) entry.
bookworm_entry() {
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		# deb822: stanzas separated by blank lines; the one whose Suites has
		# the word "bookworm" (not bookworm-security etc.) and is enabled.
		awk -v RS='' -F'\n' '
		{
			uris = ""; suites = ""; sb = ""; en = "yes"
			for (i = 1; i <= NF; i++) {
				l = $i; sub(/#.*/, "", l)
				if (l ~ /^URIs:/)      { sub(/^URIs:[ \t]*/, "", l); uris = l }
				if (l ~ /^Suites:/)    { sub(/^Suites:[ \t]*/, "", l); suites = l }
				if (l ~ /^Signed-By:/) { sub(/^Signed-By:[ \t]*/, "", l); sb = l }
				if (l ~ /^Enabled:/)   { sub(/^Enabled:[ \t]*/, "", l); en = l }
			}
			if (en == "no") next
			n = split(suites, s, /[ \t]+/)
			for (i = 1; i <= n; i++)
				if (s[i] == "bookworm" && uris != "") { print uris "\t" sb; exit }
		}' "$f" | head -n1 | grep . && return 0
	done
	# One-line format: deb [signed-by=KEY] URI bookworm main ...
	source_lines | awk '
	$1 == "deb" {
		sb = ""; i = 2
		if ($2 ~ /^\[/) {
			for (; i <= NF; i++) {
				if ($i ~ /signed-by=/) { sb = $i; sub(/.*signed-by=/, "", sb); sub(/\]$/, "", sb) }
				if ($i ~ /\]$/) { i++; break }
			}
		}
		if ($(i + 1) == "bookworm") { print $i "\t" sb; exit }
	}' | grep . && return 0
	return 1
}

ensure_backports() {
	local entry uris sb
	source_lines | grep -Eq '(^|[[:space:]])bookworm-backports([[:space:]]|$)' && return 0
	if ! entry=$(bookworm_entry); then
		echo "install-deps: warning: no bookworm apt source found; using deb.debian.org for bookworm-backports" >&2
		entry=$'http://deb.debian.org/debian\t/usr/share/keyrings/debian-archive-keyring.gpg'
	fi
	uris=${entry%%$'\t'*}
	sb=${entry#*$'\t'}
	{
		echo "# Added by weft tools/install-deps.sh (Go toolchains 1.21+)."
		echo "Types: deb"
		echo "URIs: $uris"
		echo "Suites: bookworm-backports"
		echo "Components: main"
		[ -n "$sb" ] && echo "Signed-By: $sb"
	} > "$backports_file.tmp"
	mv "$backports_file.tmp" "$backports_file"
	echo "install-deps: added bookworm-backports ($backports_file)" >&2
}

[ ${#opt_missing[@]} -eq 0 ] || ensure_backports

echo "install-deps: installing $(echo ${missing[*]} ${opt_missing[*]})" >&2
update_ok=1
apt-get update -qq || update_ok=0
if [ ${#missing[@]} -gt 0 ]; then
	[ $update_ok -eq 1 ] || { echo "install-deps: apt-get update failed" >&2; exit 1; }
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

failed=()
for p in "${opt_missing[@]}"; do
	apt-get install -y -qq --no-install-recommends "$p" >/dev/null 2>&1 || failed+=("$p")
done
if [ ${#failed[@]} -gt 0 ]; then
	echo "install-deps: warning: could not install optional ${failed[*]} (bookworm-backports); continuing without" >&2
	mkdir -p "$(dirname "$stamp")" && echo "${failed[*]}" > "$stamp" || true
else
	rm -f "$stamp"
fi
done_ok
