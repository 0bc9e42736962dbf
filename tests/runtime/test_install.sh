#!/usr/bin/env bash
# make install (DESTDIR, PREFIX) puts weft, its man page and weft/weft.h
# where perf and bpftrace put theirs; the installed weft traces a program
# built against the installed header (2 marked transactions, named); make
# uninstall takes the three away.
. "$(dirname "$0")/lib.sh"
require_root
require_weft

DEST=$TMP/dest
make -s -C "$ROOT" install DESTDIR="$DEST" PREFIX=/usr >"$TMP/install.out" 2>&1 ||
	fail "make install: $(tail -c 300 "$TMP/install.out")"
assert_eq "$(cd "$DEST" && find . -type f | sort | tr '\n' ' ')" \
	"./usr/bin/weft ./usr/include/weft/weft.h ./usr/share/man/man8/weft.8 " "make install: the three files"
assert_eq "$(stat -c %a "$DEST/usr/bin/weft")" 755 "the binary is executable"
assert_eq "$(head -c 3 "$DEST/usr/share/man/man8/weft.8")" ".TH" "the man page"
cmp -s "$DEST/usr/include/weft/weft.h" "$ROOT/include/weft/weft.h" ||
	fail "the installed header is include/weft/weft.h"

# an application marking its own points, built against the installed header
mkdir -p "$TMP/bin"
cat >"$TMP/marked.c" <<'C'
#include <weft/weft.h>
#include <unistd.h>

static void serve(const char *name)
{
	WEFT_TXN_BEGIN(name);
	usleep(1000);
	WEFT_TXN_END();
}

int main(void)
{
	serve("GET /a");
	serve("GET /b");
	return 0;
}
C
cc -O1 -I"$DEST/usr/include" "$TMP/marked.c" -o "$TMP/bin/marked" 2>"$TMP/cc.err" ||
	fail "a program built against the installed weft.h: $(head -c 300 "$TMP/cc.err")"
WEFT=$DEST/usr/bin/weft weft_run "$TMP/marked.json" "$TMP/marked.err" trace --format json -- "$TMP/bin/marked"
assert_exit_ok "the installed weft traces it"
json_valid "$TMP/marked.json" "installed weft" &&
	assert_jq "$TMP/marked.json" '[t["name"] for t in d["transactions"]]' '["GET /a","GET /b"]' \
		"its two marked transactions, named"

make -s -C "$ROOT" uninstall DESTDIR="$DEST" PREFIX=/usr >"$TMP/uninstall.out" 2>&1 ||
	fail "make uninstall: $(tail -c 300 "$TMP/uninstall.out")"
assert_eq "$(cd "$DEST" && find . -type f | wc -l)" 0 "make uninstall: nothing left"
finish
