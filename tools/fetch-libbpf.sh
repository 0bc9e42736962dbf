#!/usr/bin/env bash
# libbpf >= 1.3, for multi-uprobe links: all of a binary's probes in one
# link, attached and removed with one syscall and one grace period (one by
# one, a removal waits ~0.1 s each). bookworm has 1.1; bookworm-backports'
# libbpf-dev (1.4) and bpftool (7.5, which shows those links: the tests
# count weft's probes with it), built for bookworm, are downloaded through a
# private apt configuration and unpacked under build/libbpf, never
# installed. The Makefile links that static library when it is there;
# without it weft is built with the system's libbpf and attaches uprobes
# one by one.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=$ROOT/build/libbpf
LIB=$DIR/usr/lib/x86_64-linux-gnu/libbpf.a
[ -f "$LIB" ] && [ -x "$DIR/usr/sbin/bpftool" ] && [ -f "$DIR/.fetched" ] && exit 0
APT=$ROOT/build/apt-bookworm-backports
APT_SUITES=bookworm-backports
. "$ROOT/tools/apt-private.sh"
apt_private_setup fetch-libbpf || exit 0
rm -f "$APT/debs"/libbpf-dev_*.deb "$APT/debs"/bpftool_*.deb
if ! (cd "$APT/debs" && apt-get "${APT_OPTS[@]}" download libbpf-dev bpftool) >"$APT/download.log" 2>&1; then
	echo "fetch-libbpf: warning: could not download libbpf-dev and bpftool from bookworm-backports (see $APT/download.log); building with the system's libbpf" >&2
	exit 0
fi
rm -rf "$DIR.tmp"
mkdir -p "$DIR.tmp"
if dpkg -x "$APT/debs"/libbpf-dev_*.deb "$DIR.tmp" && dpkg -x "$APT/debs"/bpftool_*.deb "$DIR.tmp" &&
   [ -f "$DIR.tmp/usr/lib/x86_64-linux-gnu/libbpf.a" ] && "$DIR.tmp/usr/sbin/bpftool" version >/dev/null 2>&1; then
	rm -rf "$DIR"
	mv "$DIR.tmp" "$DIR"
	touch "$DIR/.fetched" # the Makefile rebuilds what was built without it
	echo "fetch-libbpf: libbpf $(sed -n 's/^Version: //p' "$DIR"/usr/lib/x86_64-linux-gnu/pkgconfig/libbpf.pc), $("$DIR/usr/sbin/bpftool" version | head -n1) in build/libbpf" >&2
else
	rm -rf "$DIR.tmp"
	echo "fetch-libbpf: warning: libbpf-dev did not unpack to a libbpf.a; building with the system's libbpf" >&2
fi
exit 0
