#!/usr/bin/env bash
# A newer libbpf than bookworm's 1.1, static, under build/libbpf (never
# installed; the Makefile links it when it is there, else the system's):
# - libbpf built from sid's source package (1.7 today): multi-uprobe links
#   (all of a binary's probes in one link, attached and removed with one
#   syscall; one by one, a removal waits ~0.1 s each), and from 1.6 the
#   kernel's BTF mapped instead of read for every BPF object (attach time);
# - bpftool 7.5 from bookworm-backports, which shows those links (the tests
#   count weft's probes with it).
# If the source cannot be fetched or built, bookworm-backports' libbpf-dev
# (1.4: multi-uprobe links, BTF read) is used instead.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=$ROOT/build/libbpf
LIB=$DIR/usr/lib/x86_64-linux-gnu/libbpf.a
# .fetched says which (an empty one is from before the source build)
case $(cat "$DIR/.fetched" 2>/dev/null) in
source | backports) [ -f "$LIB" ] && [ -x "$DIR/usr/sbin/bpftool" ] && exit 0 ;;
esac
. "$ROOT/tools/apt-private.sh"

# bpftool (and libbpf 1.4, the fallback) from bookworm-backports
APT=$ROOT/build/apt-bookworm-backports APT_SUITES=bookworm-backports apt_private_setup fetch-libbpf || exit 0
DEBS=$ROOT/build/apt-bookworm-backports/debs
rm -f "$DEBS"/libbpf-dev_*.deb "$DEBS"/bpftool_*.deb
if ! (cd "$DEBS" && apt-get "${APT_OPTS[@]}" download libbpf-dev bpftool) >"$DEBS/../download.log" 2>&1; then
	echo "fetch-libbpf: warning: could not download libbpf-dev and bpftool from bookworm-backports (see $DEBS/../download.log); building with the system's libbpf" >&2
	exit 0
fi
rm -rf "$DIR.tmp"
mkdir -p "$DIR.tmp"
if ! dpkg -x "$DEBS"/bpftool_*.deb "$DIR.tmp" || ! "$DIR.tmp/usr/sbin/bpftool" version >/dev/null 2>&1; then
	rm -rf "$DIR.tmp"
	echo "fetch-libbpf: warning: bpftool from bookworm-backports did not unpack; building with the system's libbpf" >&2
	exit 0
fi

# libbpf from sid's source package, built here against bookworm's libc
how=
SRC=$ROOT/build/apt-src
if APT=$SRC APT_SUITES=sid APT_TYPES=deb-src apt_private_setup fetch-libbpf; then
	rm -rf "$SRC/libbpf" && mkdir -p "$SRC/libbpf"
	if (cd "$SRC/libbpf" && apt-get "${APT_OPTS[@]}" source --download-only libbpf) >"$SRC/download.log" 2>&1 &&
	   tar -xzf "$SRC"/libbpf/libbpf_*.orig.tar.gz -C "$SRC/libbpf" &&
	   make -C "$SRC"/libbpf/libbpf-*/src -j"$(nproc)" BUILD_STATIC_ONLY=1 OBJDIR="$SRC/libbpf/obj" \
		DESTDIR="$DIR.tmp" PREFIX=/usr LIBDIR=/usr/lib/x86_64-linux-gnu install >"$SRC/build.log" 2>&1; then
		how=source
	else
		echo "fetch-libbpf: warning: libbpf from sid's source did not build (see $SRC/download.log, $SRC/build.log); using bookworm-backports' libbpf 1.4" >&2
	fi
fi
if [ -z "$how" ]; then
	if ! dpkg -x "$DEBS"/libbpf-dev_*.deb "$DIR.tmp" || [ ! -f "$DIR.tmp/usr/lib/x86_64-linux-gnu/libbpf.a" ]; then
		rm -rf "$DIR.tmp"
		echo "fetch-libbpf: warning: libbpf-dev did not unpack to a libbpf.a; building with the system's libbpf" >&2
		exit 0
	fi
	how=backports
fi
rm -rf "$DIR"
mv "$DIR.tmp" "$DIR"
echo "$how" >"$DIR/.fetched" # the Makefile rebuilds what was built without it
echo "fetch-libbpf: libbpf $(sed -n 's/^Version: //p' "$DIR"/usr/lib/x86_64-linux-gnu/pkgconfig/libbpf.pc) ($how), $("$DIR/usr/sbin/bpftool" version | head -n1) in build/libbpf" >&2
exit 0
