#!/usr/bin/env bash
# npm-unpack.sh PACKAGE[@VERSION] DIR: the package's tarball from the npm
# registry, unpacked into DIR (DIR/package/...). 0, or 1 with nothing left
# behind but DIR. Used by fetch-node.sh and fetch-npm-go.sh.
set -u
pkg=$1 dir=$2
mkdir -p "$dir" || exit 1
tgz=$(cd "$dir" && npm pack --silent "$pkg" 2>/dev/null | tail -n1) || exit 1
[ -n "$tgz" ] && [ -f "$dir/$tgz" ] || exit 1
tar -xzf "$dir/$tgz" -C "$dir"
rc=$?
rm -f "$dir/$tgz"
exit $rc
