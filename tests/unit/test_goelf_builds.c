/* goelf on Go binaries built here by every toolchain (tools/go-versions.sh's):
 * normal, stripped and PIE; the runtime's offsets, functions, probe sites,
 * and pclntab against the symbol table and DWARF. */
#include <fcntl.h>
#include <glob.h>
#include <libelf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <elfutils/libdw.h>
#include "goelf.h"
#include "probe_site.h"
#include "go_toolchains.h"
#include "goelf_prog.h"
#include "gopclntab.h"

/* cmocka passes every test a state pointer most tests do not use */
#pragma GCC diagnostic ignored "-Wunused-parameter"

static int byte_at(const char *path, uint64_t off)
{
	unsigned char b;
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = pread(fd, &b, 1, off);
	close(fd);
	return n == 1 ? b : -1;
}

static void check_func_probes(const char *bin, const char *name, int *nr_rets)
{
	uint64_t v, sz, off, offs[64], after;
	int n;

	assert_int_equal(goelf__func(bin, name, &v, &sz, &off), 0);
	assert_true(sz > 0);
	n = goelf__rets(bin, v, sz, offs, 64);
	assert_true(n >= 1);
	for (int i = 0; i < n; i++) {
		assert_true(offs[i] >= off && offs[i] < off + sz);
		assert_int_equal(byte_at(bin, offs[i]), 0xc3);
	}
	/* counting only, and too small an array */
	assert_int_equal(goelf__rets(bin, v, sz, NULL, 0), n);
	if (n > 1)
		assert_int_equal(goelf__rets(bin, v, sz, offs, n - 1), -1);
	assert_int_equal(goelf__entry_after_prologue(bin, v, sz, &after), 0);
	assert_true(after >= off && after < off + sz);
	if (nr_rets)
		*nr_rets = n;
}

static void check_offsets(const struct go_info *gi, int minor)
{
	/* the layouts moved: g.goid and atomicstatus in 1.23 and back in 1.25,
	 * m.procid in 1.25 */
	if ((minor >= 19 && minor <= 22) || (minor >= 25 && minor <= 27)) {
		assert_int_equal(gi->g_goid, 152);
		assert_int_equal(gi->g_atomicstatus, 144);
	} else if (minor == 23 || minor == 24) {
		assert_int_equal(gi->g_goid, 160);
		assert_int_equal(gi->g_atomicstatus, 152);
	} else {
		assert_true(gi->g_goid > 0);
		assert_true(gi->g_atomicstatus > 0);
	}
	if (minor <= 24)
		assert_int_equal(gi->m_procid, 72);
	else if (minor <= 27)
		assert_int_equal(gi->m_procid, 64);
	else
		assert_true(gi->m_procid > 0);
	if (minor < 21)
		assert_int_equal(gi->g_parent_goid, -1);
	else
		assert_true(gi->g_parent_goid > 0);
	/* the stack is first: stack{lo,hi}, stackguard0/1, _panic, _defer, m, sched{sp, ...} */
	assert_int_equal(gi->g_m, 48);
	assert_int_equal(gi->g_sched_sp, 56);
	assert_true(gi->g_gopc > 0);
	assert_true(gi->g_startpc > 0);
	assert_true(gi->g_waitsince > 0);
	assert_true(gi->g_waitreason > 0);
	assert_true(gi->m_curg > 0);
	assert_true(gi->allgs_vaddr != 0);
	assert_true(gi->allglen_vaddr != 0);
}

/* The pclntab reader against the ELF symbol table (nm) of the same binary:
 * every function both know has the same entry; the stripped build's table
 * names the same functions, with the same file:line. */
static void check_pclntab(const char *bin, const char *strip)
{
	char err[256], cmd[700], name[512], line[1024];
	struct gopcln *g = gopcln__open(bin, err, sizeof(err)), *gs = gopcln__open(strip, err, sizeof(err));
	unsigned long long addr;
	size_t agree = 0, known = 0;
	struct gofunc f, fs;
	char type;
	FILE *nm;

	assert_non_null(g);
	assert_non_null(gs);
	assert_true(gopcln__nr_funcs(g) > 1000);
	assert_int_equal(gopcln__nr_funcs(gs), gopcln__nr_funcs(g));
	snprintf(cmd, sizeof(cmd), "nm '%s'", bin);
	nm = popen(cmd, "r");
	assert_non_null(nm);
	while (fgets(line, sizeof(line), nm)) {
		if (sscanf(line, "%llx %c %511s", &addr, &type, name) != 3 ||
		    (type != 'T' && type != 't'))
			continue;
		if (gopcln__func_by_name(g, name, 0, &f))
			continue;
		known++;
		/* ABI0 and ABIInternal versions of one assembly function share a
		 * name: any of them */
		for (int nth = 1; f.entry != addr && !gopcln__func_by_name(g, name, nth, &f); nth++)
			;
		agree += f.entry == addr;
		if (f.entry != addr)
			print_message("    pclntab has no %s at %#llx\n", name, addr);
	}
	pclose(nm);
	assert_true(known > 1000);
	assert_int_equal(agree, known);
	for (size_t i = 0; i < gopcln__nr_funcs(g); i += 97) {
		const char *file, *sfile;
		int line, sline;

		assert_int_equal(gopcln__func_at_index(g, i, &f), 0);
		assert_int_equal(gopcln__func_by_name(gs, f.name, 0, &fs), 0);
		if (!gopcln__line(g, f.entry, &file, &line)) {
			assert_int_equal(gopcln__line(gs, fs.entry, &sfile, &sline), 0);
			assert_string_equal(sfile, file);
			assert_int_equal(sline, line);
		}
	}
	gopcln__close(g);
	gopcln__close(gs);
}

/* The DWARF line of vaddr, by walking the units' ranges (Go emits no
 * .debug_aranges). 0 found, -1 not. */
static int dwarf_line_of(Dwarf *dw, uint64_t vaddr, const char **file, int *line)
{
	Dwarf_Off off = 0, next;
	size_t hsize;

	while (dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Die cu;
		Dwarf_Addr base, lo, hi;
		ptrdiff_t r = 0;

		if (dwarf_offdie(dw, off + hsize, &cu))
			while ((r = dwarf_ranges(&cu, r, &base, &lo, &hi)) > 0)
				if (vaddr >= lo && vaddr < hi) {
					Dwarf_Line *l = dwarf_getsrc_die(&cu, vaddr);

					if (!l || dwarf_lineno(l, line) || !(*file = dwarf_linesrc(l, NULL, NULL)))
						return -1;
					return 0;
				}
		off = next;
	}
	return -1;
}

/* pclntab's file:line against DWARF's, at every 13th instruction boundary
 * the table knows (its entries) of main's functions. */
static void check_pclntab_dwarf(const char *bin)
{
	char err[256];
	struct gopcln *g = gopcln__open(bin, err, sizeof(err));
	int fd = open(bin, O_RDONLY), checked = 0;
	Elf *e;
	Dwarf *dw;
	struct gofunc f;

	assert_non_null(g);
	assert_true(fd >= 0);
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ, NULL);
	dw = e ? dwarf_begin_elf(e, DWARF_C_READ, NULL) : NULL;
	assert_non_null(dw);
	for (size_t i = 0; i < gopcln__nr_funcs(g); i++) {
		const char *pf, *df;
		int pl, dl;

		if (gopcln__func_at_index(g, i, &f) || strncmp(f.name, "main.", 5))
			continue;
		if (gopcln__line(g, f.entry, &pf, &pl) || dwarf_line_of(dw, f.entry, &df, &dl))
			continue;
		checked++;
		assert_string_equal(pf, df);
		assert_int_equal(pl, dl);
	}
	assert_true(checked >= 3);
	dwarf_end(dw);
	elf_end(e);
	close(fd);
	gopcln__close(g);
}

static void test_toolchain(void **state)
{
	struct toolchain *tc = *state;
	char want[64], bin[600], strip[600], pie[600], err[256];
	uint64_t v, sz, off, after, v2, sz2, off2;
	struct go_info gi, gs, gp;
	bool goexit0, gdestroy;
	int nr_rets;

	go_version(tc->go, want, sizeof(want));
	prog_write(tc);
	snprintf(bin, sizeof(bin), "%s/prog", tc->dir);
	snprintf(strip, sizeof(strip), "%s/prog-stripped", tc->dir);
	snprintf(pie, sizeof(pie), "%s/prog-pie", tc->dir);
	assert_int_equal(build(tc, "prog", ""), 0);
	assert_int_equal(build(tc, "prog-stripped", "-ldflags='-s -w'"), 0);
	assert_int_equal(build(tc, "prog-pie", "-buildmode=pie"), 0);

	/* normal */
	assert_int_equal(goelf__open(bin, &gi, err, sizeof(err)), 0);
	assert_string_equal(gi.version, want);
	assert_int_equal(gi.major, 1);
	assert_int_equal(gi.minor, tc->minor);
	assert_true(gi.has_dwarf);
	assert_true(strlen(gi.build_id) > 10);
	check_offsets(&gi, tc->minor);

	/* functions */
	check_func_probes(bin, "runtime.newproc1", &nr_rets);
	check_func_probes(bin, "main.main", NULL);
	check_func_probes(bin, "main.main.func1", NULL);
	check_func_probes(bin, "main.(*Server).handle", NULL);
	assert_int_equal(goelf__func(bin, "main.main", &v, &sz, &off), 0);
	assert_int_equal(goelf__entry_after_prologue(bin, v, sz, &after), 0);
	assert_true(after > off);
	/* what it skips ends with the branch to the morestack block */
	assert_true(after - off <= 32);
	assert_int_equal(goelf__func(bin, "main.big", &v, &sz, &off), 0);
	assert_int_equal(goelf__entry_after_prologue(bin, v, sz, &after), 0);
	assert_true(after - off >= 20); /* mov, sub, jb, cmp, jbe: past both */
	assert_true(after - off <= 32);
	/* a panic block that falls into the morestack block is not the
	 * stack check: the probe goes where the frame is made */
	assert_int_equal(goelf__func(bin, "main.mustErr", &v, &sz, &off), 0);
	assert_int_equal(goelf__entry_after_prologue(bin, v, sz, &after), 0);
	assert_true(after > off && after - off <= 16);
	{
		char insn[40];
		enum trap_path p = probe_site__at(bin, after, insn, sizeof(insn));

		if (tc->minor >= 21) { /* push rbp: emulated */
			assert_string_equal(insn, "push rbp");
			assert_int_equal(p, TRAP_EMULATED);
		} else { /* the frame made by sub/add rsp */
			assert_true(!strncmp(insn, "sub rsp", 7) || !strncmp(insn, "add rsp", 7));
		}
	}
	/* goroutine creation: newproc's one call of runqput (a call: emulated) */
	{
		uint64_t cv, csz, coff, site[2];

		assert_int_equal(goelf__func(bin, "runtime.newproc.func1", &v, &sz, &off), 0);
		assert_int_equal(goelf__func(bin, "runtime.runqput", &cv, &csz, &coff), 0);
		assert_int_equal(goelf__call_sites(bin, v, sz, cv, site, 2), 1);
		assert_true(site[0] > off && site[0] < off + sz);
		assert_int_equal(byte_at(bin, site[0]), 0xe8);
	}
	/* a function's return sites: twice's two direct calls in callTwice,
	 * each followed (past moves and an indirect call) by a direct call */
	{
		uint64_t cv, csz, coff, site[4];
		bool taken = true;
		char insn[40];

		assert_int_equal(goelf__func(bin, "main.twice", &v, &sz, &off), 0);
		assert_int_equal(goelf__func(bin, "main.callTwice", &cv, &csz, &coff), 0);
		assert_int_equal(goelf__return_sites(bin, v, site, 4, &taken), 2);
		assert_false(taken);
		for (int i = 0; i < 2; i++) {
			assert_true(site[i] > coff && site[i] < coff + csz);
			assert_int_equal(probe_site__at(bin, site[i], insn, sizeof(insn)),
					 TRAP_EMULATED);
			assert_string_equal(insn, "call");
		}
		assert_true(site[0] < site[1]);
		/* a func value's function: its address is in data */
		assert_int_equal(goelf__func(bin, "main.viaValue", &v, &sz, &off), 0);
		goelf__return_sites(bin, v, site, 4, &taken);
		assert_true(taken);
	}
	assert_int_equal(goelf__func(bin, "main.leaf", &v2, &sz2, &off2), 0);
	assert_int_equal(goelf__entry_after_prologue(bin, v2, sz2, &after), 0);
	assert_int_equal(after, off2);
	assert_int_equal(goelf__func(bin, "main.nosuchfunc", &v, &sz, &off), -1);
	assert_int_equal(goelf__func(bin, "runtime.allgs", &v, &sz, &off), -1); /* an object */
	goexit0 = !goelf__func(bin, "runtime.goexit0", &v, &sz, &off);
	gdestroy = !goelf__func(bin, "runtime.gdestroy", &v, &sz, &off);
	if (gdestroy)
		check_func_probes(bin, "runtime.gdestroy", NULL);
	if (goexit0)
		check_func_probes(bin, "runtime.goexit0", NULL);
	/* the adapter needs one of them; 1.22 split gdestroy out of goexit0
	 * (coroutines end there too), goexit0 stays as its caller */
	assert_true(goexit0);
	if (tc->minor >= 22)
		assert_true(gdestroy);
	else
		assert_false(gdestroy);

	/* stripped: Go (version set), but unusable, and says why */
	memset(&gs, 0x55, sizeof(gs));
	/* stripped (-s -w): the offsets from the per-version table, the same as
	 * the DWARF gave; runtime.allgs from runtime.allgadd's code, the same
	 * as the symbol said */
	assert_int_equal(goelf__open(strip, &gs, err, sizeof(err)), 0);
	assert_string_equal(gs.version, want);
	assert_int_equal(gs.major, 1);
	assert_int_equal(gs.minor, tc->minor);
	assert_false(gs.has_dwarf);
	assert_true(gs.offsets_src == GO_OFFSETS_TABLE);
	assert_int_equal(gs.g_goid, gi.g_goid);
	assert_int_equal(gs.g_parent_goid, gi.g_parent_goid);
	assert_int_equal(gs.g_gopc, gi.g_gopc);
	assert_int_equal(gs.g_startpc, gi.g_startpc);
	assert_int_equal(gs.g_atomicstatus, gi.g_atomicstatus);
	assert_int_equal(gs.g_waitreason, gi.g_waitreason);
	assert_int_equal(gs.m_curg, gi.m_curg);
	assert_true(gs.allgs_vaddr != 0);
	assert_int_equal(gs.allglen_vaddr, 0);
	/* the unstripped binary with its symbols and DWARF removed afterwards
	 * (same layout): allgs found by code where the symbol said */
	{
		char copy[700], cmd[1500];
		struct go_info gn;

		snprintf(copy, sizeof(copy), "%s-stripped-after", bin);
		snprintf(cmd, sizeof(cmd), "objcopy --strip-all '%s' '%s'", bin, copy);
		assert_int_equal(system(cmd), 0);
		goelf__forget(); /* the same build id: not from the cache */
		assert_int_equal(goelf__open(copy, &gn, err, sizeof(err)), 0);
		assert_false(gn.has_dwarf);
		assert_int_equal(gn.allgs_vaddr, gi.allgs_vaddr);
		/* the wait reasons' names: found by code where the symbol is */
		{
			uint64_t wv, ws, cv, cs_;

			assert_int_equal(goelf__var(bin, "runtime.waitReasonStrings", &wv, &ws), 0);
			assert_int_equal(goelf__var(copy, "runtime.waitReasonStrings", &cv, &cs_), 0);
			assert_int_equal(cv, wv);
			assert_int_equal(cs_, ws);
		}
		assert_int_equal(goelf__func(copy, "main.main", &v2, &sz2, &off2), 0);
		assert_int_equal(goelf__func(bin, "main.main", &v, &sz, &off), 0);
		assert_int_equal(v2, v);
	}
	/* ... yet its functions are found: the runtime's own table */
	assert_int_equal(goelf__func(strip, "main.main", &v, &sz, &off), 0);
	assert_true(sz > 0);
	check_pclntab(bin, strip);
	check_pclntab_dwarf(bin);

	/* PIE: vaddrs are link-time, offsets still in the file */
	assert_int_equal(goelf__open(pie, &gp, err, sizeof(err)), 0);
	assert_string_equal(gp.version, want);
	assert_int_equal(gp.g_goid, gi.g_goid);
	assert_int_equal(gp.g_parent_goid, gi.g_parent_goid);
	assert_int_equal(gp.m_curg, gi.m_curg);
	check_func_probes(pie, "runtime.newproc1", NULL);
	check_func_probes(pie, "main.main", NULL);
	assert_int_equal(goelf__func(pie, "main.main", &v, &sz, &off), 0);
	assert_int_equal(goelf__entry_after_prologue(pie, v, sz, &after), 0);
	assert_true(after > off);

	/* the first binary again, after the others: the same answer */
	assert_int_equal(goelf__open(bin, &gs, err, sizeof(err)), 0);
	assert_memory_equal(&gs, &gi, sizeof(gi));

	/* offsets are read once per build id: a copy whose DWARF was removed
	 * afterwards (objcopy keeps the build id) is served from the cache */
	{
		char copy[600], cmd[1400];

		snprintf(copy, sizeof(copy), "%s/prog-debugless", tc->dir);
		snprintf(cmd, sizeof(cmd), "objcopy --strip-debug '%s' '%s'", bin, copy);
		assert_int_equal(system(cmd), 0);
		assert_int_equal(goelf__open(copy, &gs, err, sizeof(err)), 0);
		assert_int_equal(gs.g_goid, gi.g_goid);
		assert_int_equal(gs.g_waitreason, gi.g_waitreason);
		assert_string_equal(gs.build_id, gi.build_id);
	}

	print_message("    %s: goid %d parentGoid %d gopc %d startpc %d atomicstatus %d "
		      "waitsince %d waitreason %d m %d sched.sp %d | m.curg %d m.procid %d | "
		      "newproc1 RETs %d, goexit0 %s, gdestroy %s\n",
		      gi.version, gi.g_goid, gi.g_parent_goid, gi.g_gopc, gi.g_startpc,
		      gi.g_atomicstatus, gi.g_waitsince, gi.g_waitreason, gi.g_m, gi.g_sched_sp,
		      gi.m_curg, gi.m_procid, nr_rets, goexit0 ? "yes" : "no",
		      gdestroy ? "yes" : "no");
}

static void test_no_toolchain(void **state)
{
	print_message("    no Go toolchain (%s): apt-get install golang-1.19-go to run the "
		      "Go binary tests\n", GO_GLOB);
	skip();
}

int main(void)
{
	int n, i = 0, rc;

	if (go_tests_begin("/tmp/weft-test-goelf-builds-XXXXXX"))
		return 1;
	n = nr_tc ? nr_tc : 1;
	{
		struct CMUnitTest tests[n];

		memset(tests, 0, sizeof(tests));
		for (int k = 0; k < nr_tc; k++)
			tests[i++] = (struct CMUnitTest){ .name = tcs[k].name,
							  .test_func = test_toolchain,
							  .initial_state = &tcs[k] };
		if (!nr_tc)
			tests[i++] = (struct CMUnitTest){ .name = "go toolchains",
							  .test_func = test_no_toolchain };
		rc = cmocka_run_group_tests_name("goelf: every toolchain's builds", tests, NULL,
						 NULL);
	}
	go_tests_end();
	return rc;
}
