/* tools/gen-go-offsets.sh's helper: reads the runtime.g / runtime.m,
 * net/http.Request and net/url.URL offsets from the DWARF of one Go binary
 * (through weft's own user/go/goelf.c) and prints them as one initializer row
 * of user/go/go_offsets_table.h, in struct go_offsets' order:
 *
 *   { 1, 21, "go1.21.13", goid, parentGoid, gopc, ..., url_path },
 *
 * Build: tools/gen-go-offsets.sh does (gcc -Iuser/go ... tools/gen-go-offsets.c user/go/goelf.c \
 *            -lelf -ldw -lz -lcapstone
 * Usage: gen-go-offsets BINARY
 * Exits 1 (and prints nothing on stdout) when the binary is unusable or an
 * offset is missing; only parentGoid may be absent (-1), and only before
 * Go 1.21. */
#include <stdio.h>
#include "goelf.h"

int main(int argc, char **argv)
{
	struct go_info gi;
	char err[256] = "";
	int method, url, path, tname, pat, pstr, host, bad = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s GO-BINARY\n", argv[0]);
		return 2;
	}
	if (goelf__open(argv[1], &gi, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", argv[1], err);
		return 1;
	}
	if (gi.major < 1 || !gi.version[0]) {
		fprintf(stderr, "%s: no go1.N version in its build info (\"%s\")\n", argv[1],
			gi.version);
		return 1;
	}
	method = goelf__member(argv[1], "net/http.Request", "Method");
	url = goelf__member(argv[1], "net/http.Request", "URL");
	path = goelf__member(argv[1], "net/url.URL", "Path");
	tname = goelf__member(argv[1], "testing.common", "name");
	pat = goelf__member(argv[1], "net/http.Request", "pat");
	pstr = goelf__member(argv[1], "net/http.pattern", "str");
	host = goelf__member(argv[1], "net/url.URL", "Host");

	{
		const struct {
			const char *name;
			int v;
		} need[] = {
			{ "runtime.g.goid", gi.g_goid },
			{ "runtime.g.gopc", gi.g_gopc },
			{ "runtime.g.startpc", gi.g_startpc },
			{ "runtime.g.atomicstatus", gi.g_atomicstatus },
			{ "runtime.g.waitsince", gi.g_waitsince },
			{ "runtime.g.waitreason", gi.g_waitreason },
			{ "runtime.g.m", gi.g_m },
			{ "runtime.g.sched.sp", gi.g_sched_sp },
			{ "runtime.m.curg", gi.m_curg },
			{ "runtime.m.procid", gi.m_procid },
			{ "net/http.Request.Method", method },
			{ "net/http.Request.URL", url },
			{ "net/url.URL.Path", path },
			{ "net/url.URL.Host", host },
			{ "testing.common.name", tname },
			{ "runtime.g.timer", gi.g_timer },
			{ "runtime.timer.when", gi.timer_when },
			{ "runtime.g.sched.bp", gi.g_sched_bp },
			/* absent before 1.21 (goroutine parents came with it) */
			{ "runtime.g.parentGoid", gi.major == 1 && gi.minor < 21 ? 0 : gi.g_parent_goid },
			/* ServeMux patterns came with 1.22 */
			{ "net/http.Request.pat", gi.major == 1 && gi.minor < 22 ? 0 : pat },
			{ "net/http.pattern.str", gi.major == 1 && gi.minor < 22 ? 0 : pstr },
		};

		for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
			if (need[i].v < 0) {
				fprintf(stderr, "%s (%s): no %s in its DWARF\n", argv[1], gi.version,
					need[i].name);
				bad = 1;
			}
	}
	if (bad)
		return 1;
	printf("\t{ %d, %d, \"%s\", %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d },\n",
	       gi.major, gi.minor, gi.version, gi.g_goid, gi.g_parent_goid, gi.g_gopc,
	       gi.g_startpc, gi.g_atomicstatus, gi.g_waitsince, gi.g_waitreason, gi.g_m,
	       gi.g_sched_sp, gi.m_curg, gi.m_procid, method, url, path, tname,
	       pat, pstr, host, gi.g_timer, gi.timer_when, gi.g_sched_bp);
	return 0;
}
