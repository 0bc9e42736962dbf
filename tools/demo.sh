#!/usr/bin/env bash
# make demo: trace the bundled server, which leaks a thread on every third
# request and cleans up after every request asynchronously.
set -euo pipefail
cd "$(dirname "$0")/.."
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "\$ $sudo build/weft trace --txn handle_request -- build/tests/targets/server 6" >&2
$sudo build/weft trace --txn handle_request -- build/tests/targets/server 6
