#!/usr/bin/env bash
# pick-versions.sh [WANTED]: filters "VERSION PATH" lines (stdin, oldest
# first) down to the versions WANTED names ("1.19 1.27", "20 26", or the
# words oldest and newest); all of them when WANTED is empty. For
# go-versions.sh and node-versions.sh (WEFT_GO_VERSIONS, WEFT_NODE_VERSIONS).
all=$(cat)
[ -n "$all" ] || exit 0
[ -n "${1:-}" ] || { echo "$all"; exit 0; }
for want in $1; do
	case $want in
	oldest) head -n1 <<<"$all" ;;
	newest) tail -n1 <<<"$all" ;;
	*) awk -v v="$want" '$1 == v' <<<"$all" ;;
	esac
done | sort -u | sort -t. -k1,1n -k2,2n
