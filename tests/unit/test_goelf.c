/* goelf: Go binaries built here by every installed toolchain
 * (/usr/lib/go-1.N/bin/go), normal, stripped and PIE; hand-made ELF files
 * for the pre-1.18 .go.buildinfo layout; non-Go, non-ELF and corrupt files. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <glob.h>
#include <libelf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <elfutils/libdw.h>
#include "goelf.h"
#include "go_toolchains.h"
#include "gopclntab.h"

/* cmocka passes every test a state pointer most tests do not use */
#pragma GCC diagnostic ignored "-Wunused-parameter"

static const char prog_go[] =
	"package main\n"
	"\n"
	"import (\n"
	"\t\"fmt\"\n"
	"\t\"os\"\n"
	"\t\"sync\"\n"
	")\n"
	"\n"
	"//go:noinline\n"
	"//go:nosplit\n"
	"func leaf(x int) int { return x*3 + 1 }\n"
	"\n"
	"// a frame past StackBig: two branches to morestack (underflow, bound)\n"
	"//go:noinline\n"
	"func big(n int) int {\n"
	"\tvar a [100000]byte\n"
	"\tfor i := range a {\n"
	"\t\ta[i] = byte(i + n)\n"
	"\t}\n"
	"\tos.Stdout.Write(a[:n])\n"
	"\treturn int(a[n])\n"
	"}\n"
	"\n"
	"type Server struct{ n int }\n"
	"\n"
	"//go:noinline\n"
	"func (s *Server) handle(i int) { s.n += leaf(i) }\n"
	"\n"
	"func main() {\n"
	"\tvar wg sync.WaitGroup\n"
	"\tvar mu sync.Mutex\n"
	"\ts := &Server{n: len(os.Args) + big(0)}\n"
	"\tfor i := 0; i < 3; i++ {\n"
	"\t\twg.Add(1)\n"
	"\t\tgo func(i int) {\n"
	"\t\t\tdefer wg.Done()\n"
	"\t\t\tmu.Lock()\n"
	"\t\t\ts.handle(i)\n"
	"\t\t\tmu.Unlock()\n"
	"\t\t}(i)\n"
	"\t}\n"
	"\twg.Wait()\n"
	"\tfmt.Println(s.n)\n"
	"}\n";

static unsigned char *read_all(const char *path, size_t *n)
{
	FILE *f = fopen(path, "r");
	unsigned char *buf;
	struct stat st;

	assert_non_null(f);
	assert_int_equal(fstat(fileno(f), &st), 0);
	buf = malloc(st.st_size ? st.st_size : 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, st.st_size, f), st.st_size);
	fclose(f);
	*n = st.st_size;
	return buf;
}

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
	snprintf(tc->dir, sizeof(tc->dir), "%s/%s", tmpdir, tc->name);
	assert_int_equal(mkdir(tc->dir, 0755), 0);
	snprintf(bin, sizeof(bin), "%s/prog", tc->dir);
	snprintf(strip, sizeof(strip), "%s/prog-stripped", tc->dir);
	snprintf(pie, sizeof(pie), "%s/prog-pie", tc->dir);
	{
		char src[600];

		snprintf(src, sizeof(src), "%s/prog.go", tc->dir);
		write_file(src, prog_go, strlen(prog_go));
	}
	assert_int_equal(build(tc, "prog", ""), 0);
	assert_int_equal(build(tc, "prog-stripped", "-ldflags='-s -w'"), 0);
	assert_int_equal(build(tc, "prog-pie", "-buildmode=pie"), 0);

	/* normal */
	assert_int_equal(goelf__open(bin, &gi, err, sizeof(err)), 0);
	snprintf(tc->bin, sizeof(tc->bin), "%s", bin);
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

static void test_not_elf(void **state)
{
	char path[300], err[256];
	struct go_info gi;
	uint64_t v, sz, off;

	snprintf(path, sizeof(path), "%s/notelf", tmpdir);
	write_file(path, "package main\n", 13);
	assert_int_equal(goelf__open(path, &gi, err, sizeof(err)), -1);
	assert_string_equal(err, "not an ELF file");
	assert_string_equal(gi.version, "");
	assert_int_equal(goelf__func(path, "main.main", &v, &sz, &off), -1);
	assert_int_equal(goelf__rets(path, 0x401000, 16, &off, 1), -1);
	assert_int_equal(goelf__entry_after_prologue(path, 0x401000, 16, &off), -1);
	assert_int_equal(goelf__open("/nonexistent/go/binary", &gi, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "No such file"));
	/* empty file */
	snprintf(path, sizeof(path), "%s/empty", tmpdir);
	write_file(path, "", 0);
	assert_int_equal(goelf__open(path, &gi, err, sizeof(err)), -1);
	assert_string_equal(gi.version, "");
}

/* a C function with a RET (the tests' own code may end in tail calls at -O2) */
__attribute__((noinline, used)) int goelf_test_c_leaf(int x)
{
	return x * 3 + 1;
}

static void test_not_go(void **state)
{
	struct go_info gi;
	char err[256];
	uint64_t v, sz, off, after;

	/* this test: a C binary */
	assert_int_equal(goelf__open("/proc/self/exe", &gi, err, sizeof(err)), -1);
	assert_string_equal(err, "not a Go binary (no .go.buildinfo)");
	assert_string_equal(gi.version, "");
	assert_false(gi.has_dwarf);
	assert_int_equal(gi.g_goid, -1);
	/* its functions are still functions (and have no Go stack check) */
	assert_int_equal(goelf__func("/proc/self/exe", "goelf_test_c_leaf", &v, &sz, &off), 0);
	assert_true(goelf__rets("/proc/self/exe", v, sz, NULL, 0) >= 1);
	assert_int_equal(goelf__entry_after_prologue("/proc/self/exe", v, sz, &after), 0);
	assert_int_equal(after, off);
	/* out of the text, empty or absurd ranges */
	assert_int_equal(goelf__rets("/proc/self/exe", 0, 16, NULL, 0), -1);
	assert_int_equal(goelf__rets("/proc/self/exe", v, 0, NULL, 0), -1);
	assert_int_equal(goelf__rets("/proc/self/exe", v, UINT64_MAX, NULL, 0), -1);
	assert_int_equal(goelf__entry_after_prologue("/proc/self/exe", UINT64_MAX - 4, 16, &after),
			 -1);
}

/* A tiny ET_EXEC with .go.buildinfo, .data and .rodata at fixed addresses,
 * and optionally a .rela.dyn (what a pre-1.18 PIE has). */
#define BI_ADDR 0x401000
#define DATA_ADDR 0x402000
#define RO_ADDR 0x403000

struct blob {
	const char *name;
	uint64_t addr;
	const void *buf;
	size_t len;
	uint32_t type;
};

static void write_elf(const char *path, const struct blob *blobs, int n)
{
	static char shstr[256];
	size_t shlen = 1;
	Elf64_Shdr *sh;
	Elf64_Ehdr *eh;
	Elf_Scn *scn, *str;
	Elf_Data *d;
	Elf *e;
	int fd;

	elf_version(EV_CURRENT);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	e = elf_begin(fd, ELF_C_WRITE, NULL);
	assert_non_null(e);
	eh = elf64_newehdr(e);
	assert_non_null(eh);
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	memset(shstr, 0, sizeof(shstr));
	for (int i = 0; i < n; i++) {
		scn = elf_newscn(e);
		d = elf_newdata(scn);
		d->d_buf = (void *)blobs[i].buf;
		d->d_size = blobs[i].len;
		d->d_align = 8;
		d->d_type = ELF_T_BYTE;
		sh = elf64_getshdr(scn);
		sh->sh_type = blobs[i].type;
		sh->sh_flags = blobs[i].type == SHT_RELA ? SHF_ALLOC : SHF_ALLOC | SHF_WRITE;
		sh->sh_addr = blobs[i].addr;
		sh->sh_entsize = blobs[i].type == SHT_RELA ? sizeof(Elf64_Rela) : 0;
		sh->sh_name = shlen;
		strcpy(shstr + shlen, blobs[i].name);
		shlen += strlen(blobs[i].name) + 1;
	}
	str = elf_newscn(e);
	sh = elf64_getshdr(str);
	sh->sh_type = SHT_STRTAB;
	sh->sh_name = shlen;
	strcpy(shstr + shlen, ".shstrtab");
	shlen += strlen(".shstrtab") + 1;
	d = elf_newdata(str);
	d->d_buf = shstr;
	d->d_size = shlen;
	d->d_align = 1;
	d->d_type = ELF_T_BYTE;
	eh->e_shstrndx = elf_ndxscn(str);
	assert_true(elf_update(e, ELF_C_WRITE) > 0);
	elf_end(e);
	close(fd);
}

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = v >> (8 * i);
}

static void buildinfo_header(unsigned char *bi, int flags)
{
	memset(bi, 0, 64);
	memcpy(bi, "\xff Go buildinf:", 14);
	bi[14] = 8;
	bi[15] = flags;
}

static void test_buildinfo_layouts(void **state)
{
	static const char ver[] = "go1.16.15";
	unsigned char bi[64], data[32], bi0[64], data0[32], inl[64];
	Elf64_Rela rela[2];
	char path[300], err[256];
	struct go_info gi;

	/* before 1.18: a pointer to the string header {data, len} */
	buildinfo_header(bi, 0);
	put64(bi + 16, DATA_ADDR);
	put64(bi + 24, DATA_ADDR + 16);
	memset(data, 0, sizeof(data));
	put64(data, RO_ADDR);
	put64(data + 8, strlen(ver));
	{
		struct blob b[] = {
			{ ".go.buildinfo", BI_ADDR, bi, sizeof(bi), SHT_PROGBITS },
			{ ".data", DATA_ADDR, data, sizeof(data), SHT_PROGBITS },
			{ ".rodata", RO_ADDR, ver, sizeof(ver), SHT_PROGBITS },
		};

		snprintf(path, sizeof(path), "%s/old-layout", tmpdir);
		write_elf(path, b, 3);
	}
	assert_int_equal(goelf__open(path, &gi, err, sizeof(err)), -1);
	assert_string_equal(gi.version, ver);
	assert_int_equal(gi.major, 1);
	assert_int_equal(gi.minor, 16);
	assert_non_null(strstr(err, "DWARF"));

	/* the same in a PIE: the pointers are 0 on disk, R_X86_64_RELATIVE has them */
	memcpy(bi0, bi, sizeof(bi));
	put64(bi0 + 16, 0);
	memcpy(data0, data, sizeof(data));
	put64(data0, 0);
	rela[0] = (Elf64_Rela){ BI_ADDR + 16, ELF64_R_INFO(0, R_X86_64_RELATIVE), DATA_ADDR };
	rela[1] = (Elf64_Rela){ DATA_ADDR, ELF64_R_INFO(0, R_X86_64_RELATIVE), RO_ADDR };
	{
		struct blob b[] = {
			{ ".rela.dyn", 0x400800, rela, sizeof(rela), SHT_RELA },
			{ ".go.buildinfo", BI_ADDR, bi0, sizeof(bi0), SHT_PROGBITS },
			{ ".data", DATA_ADDR, data0, sizeof(data0), SHT_PROGBITS },
			{ ".rodata", RO_ADDR, ver, sizeof(ver), SHT_PROGBITS },
		};

		snprintf(path, sizeof(path), "%s/old-layout-pie", tmpdir);
		write_elf(path, b, 4);
	}
	assert_int_equal(goelf__open(path, &gi, err, sizeof(err)), -1);
	assert_string_equal(gi.version, ver);
	assert_int_equal(gi.minor, 16);

	/* a dangling pointer: no version, said so */
	put64(bi + 16, 0x999000);
	{
		struct blob b[] = {
			{ ".go.buildinfo", BI_ADDR, bi, sizeof(bi), SHT_PROGBITS },
		};

		snprintf(path, sizeof(path), "%s/old-layout-bad", tmpdir);
		write_elf(path, b, 1);
	}
	assert_int_equal(goelf__open(path, &gi, err, sizeof(err)), -1);
	assert_string_equal(gi.version, "");
	assert_non_null(strstr(err, "version"));

	/* 1.18+: inline, a uvarint length then the bytes */
	buildinfo_header(inl, 2);
	inl[32] = 8;
	memcpy(inl + 33, "go1.99.1", 8);
	{
		struct blob b[] = {
			{ ".go.buildinfo", BI_ADDR, inl, sizeof(inl), SHT_PROGBITS },
		};

		snprintf(path, sizeof(path), "%s/inline-layout", tmpdir);
		write_elf(path, b, 1);
		assert_int_equal(goelf__open(path, &gi, err, sizeof(err)), -1);
		assert_string_equal(gi.version, "go1.99.1");
		assert_int_equal(gi.major, 1);
		assert_int_equal(gi.minor, 99);
		assert_non_null(strstr(err, "DWARF"));
		/* a length past the section */
		inl[32] = 0x7f;
		write_elf(path, b, 1);
		assert_int_equal(goelf__open(path, &gi, err, sizeof(err)), -1);
		assert_string_equal(gi.version, "");
		/* a bad magic */
		inl[32] = 8;
		inl[3] = 'X';
		write_elf(path, b, 1);
		assert_int_equal(goelf__open(path, &gi, err, sizeof(err)), -1);
		assert_string_equal(gi.version, "");
		assert_non_null(strstr(err, ".go.buildinfo"));
	}
}

/* Truncated and bit-flipped copies of a real Go binary: -1 or 0, never a crash. */
static void test_corrupt(void **state)
{
	const char *src = NULL;
	unsigned char *buf, *mut;
	char path[300], err[256];
	struct go_info gi;
	size_t n;

	for (int i = 0; i < nr_tc && !src; i++)
		if (tcs[i].bin[0])
			src = tcs[i].bin;
	if (!src) {
		print_message("    no Go binary was built\n");
		skip();
	}
	buf = read_all(src, &n);
	mut = malloc(n);
	assert_non_null(mut);
	snprintf(path, sizeof(path), "%s/corrupt", tmpdir);
	srand(42);
	for (int round = 0; round < 300; round++) {
		uint64_t v, sz, off, offs[64];
		size_t len = n;

		memcpy(mut, buf, n);
		if (round < 40) {
			len = round < 20 ? (size_t)round * 8 : n / 40 * (round - 20 + 1);
		} else {
			/* the ELF header, program headers and section headers */
			Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;
			size_t shoff = eh->e_shoff, shsz = (size_t)eh->e_shnum * eh->e_shentsize;

			for (int k = 0; k < 4; k++) {
				size_t at = rand() % 2 ? (size_t)(rand() % 512) : shoff + rand() % shsz;

				mut[at < n ? at : n - 1] ^= 1 << (rand() % 8);
			}
		}
		write_file(path, mut, len);
		goelf__open(path, &gi, err, sizeof(err));
		assert_true(strlen(gi.version) < sizeof(gi.version));
		if (!goelf__func(path, "runtime.newproc1", &v, &sz, &off)) {
			goelf__rets(path, v, sz, offs, 64);
			goelf__entry_after_prologue(path, v, sz, &off);
		}
	}
	free(mut);
	free(buf);
}

int main(void)
{
	int n, i = 0, rc;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/weft-test-goelf-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	go_env();
	find_toolchains();
	n = (nr_tc ? nr_tc : 1) + 4;
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
		tests[i++] = (struct CMUnitTest){ .name = "not_elf", .test_func = test_not_elf };
		tests[i++] = (struct CMUnitTest){ .name = "not_go", .test_func = test_not_go };
		tests[i++] = (struct CMUnitTest){ .name = "buildinfo_layouts",
						  .test_func = test_buildinfo_layouts };
		tests[i++] = (struct CMUnitTest){ .name = "corrupt", .test_func = test_corrupt };
		rc = cmocka_run_group_tests(tests, NULL, NULL);
	}
	/* the module cache is read-only: make it writable before removing it */
	run("chmod -R u+w %s 2>/dev/null; rm -rf %s", tmpdir, tmpdir);
	return rc;
}
