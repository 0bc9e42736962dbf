/* The binary readers on offsets, sizes and addresses that point outside
 * what they index: hand-made ELF files (a header, program headers, a few
 * bytes, a symbol table) whose segments, symbols and tables lie. Each
 * reader must fail cleanly or stay inside the segment it reads, never
 * read past it, wrap around 2^64 or loop. And the unwinder on a stack
 * copy whose registers point near 2^64. */
#include <elf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <elfutils/libdwfl.h>
#include "elfsym.h"
#include "goelf.h"
#include "gopclntab.h"
#include "nodeelf.h"
#include "symbolize.h"

#pragma GCC diagnostic ignored "-Wunused-parameter"

static char tmpdir[64];

/* A raw ELF64 image: the header, up to 8 program headers from 64, data
 * where the test puts it (DATA_AT on), then, with symbols, .symtab,
 * .strtab, .shstrtab and the section headers. */
#define DATA_AT 512
#define TEXT 0x401000

struct img {
	unsigned char buf[1 << 16];
	size_t len;
	Elf64_Phdr ph[8];
	int nph;
	Elf64_Sym sym[16];
	int nsym;
	char str[2048];
	size_t nstr;
};

static struct img img;

static void img_reset(void)
{
	memset(&img, 0, sizeof(img));
	img.len = DATA_AT;
}

static void img_at(size_t off, const void *p, size_t n)
{
	assert_true(off + n <= sizeof(img.buf));
	memcpy(img.buf + off, p, n);
	if (off + n > img.len)
		img.len = off + n;
}

static void img_seg(uint32_t flags, uint64_t vaddr, uint64_t off, uint64_t filesz, uint64_t memsz)
{
	img.ph[img.nph++] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = flags, .p_offset = off,
					  .p_vaddr = vaddr, .p_paddr = vaddr, .p_filesz = filesz,
					  .p_memsz = memsz, .p_align = 1 };
}

static void img_sym(const char *name, int type, uint64_t value, uint64_t size)
{
	if (!img.nsym) {
		img.nsym = 1; /* the null symbol */
		img.nstr = 1;
	}
	img.sym[img.nsym++] = (Elf64_Sym){ .st_name = img.nstr,
					   .st_info = ELF64_ST_INFO(STB_GLOBAL, type),
					   .st_shndx = SHN_ABS, .st_value = value, .st_size = size };
	strcpy(img.str + img.nstr, name);
	img.nstr += strlen(name) + 1;
}

static const char *img_write(const char *name)
{
	static const char shstr[] = "\0.symtab\0.strtab\0.shstrtab";
	static char path[128];
	Elf64_Ehdr eh = {
		.e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB, EV_CURRENT },
		.e_type = ET_EXEC, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
		.e_phoff = 64, .e_ehsize = 64, .e_phentsize = sizeof(Elf64_Phdr),
		.e_phnum = img.nph, .e_shentsize = sizeof(Elf64_Shdr),
	};
	FILE *f;

	if (img.nsym) {
		size_t sym = (img.len + 7) & ~7ul, str = sym + img.nsym * sizeof(Elf64_Sym);
		size_t shs = str + img.nstr, sh = (shs + sizeof(shstr) + 7) & ~7ul;
		Elf64_Shdr s[4] = {
			{ 0 },
			{ .sh_name = 1, .sh_type = SHT_SYMTAB, .sh_offset = sym,
			  .sh_size = img.nsym * sizeof(Elf64_Sym), .sh_link = 2, .sh_info = 1,
			  .sh_addralign = 8, .sh_entsize = sizeof(Elf64_Sym) },
			{ .sh_name = 9, .sh_type = SHT_STRTAB, .sh_offset = str, .sh_size = img.nstr,
			  .sh_addralign = 1 },
			{ .sh_name = 17, .sh_type = SHT_STRTAB, .sh_offset = shs,
			  .sh_size = sizeof(shstr), .sh_addralign = 1 },
		};

		img_at(sym, img.sym, img.nsym * sizeof(Elf64_Sym));
		img_at(str, img.str, img.nstr);
		img_at(shs, shstr, sizeof(shstr));
		img_at(sh, s, sizeof(s));
		eh.e_shoff = sh;
		eh.e_shnum = 4;
		eh.e_shstrndx = 3;
	}
	memcpy(img.buf, &eh, sizeof(eh));
	memcpy(img.buf + 64, img.ph, img.nph * sizeof(Elf64_Phdr));
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(img.buf, 1, img.len, f), img.len);
	fclose(f);
	return path;
}

/* ------------------------------------------------------------ elfsym --- */

/* A function past its executable segment's file bytes (in its memsz
 * only) has no file offset to probe */
static void test_elfsym_past_filesz(void **state)
{
	static const unsigned char code[16] = { 0x55, 0x48, 0x89, 0xe5, 0x5d, 0xc3 };
	char err[256];
	uint64_t off;
	const char *path;

	img_reset();
	img_at(DATA_AT, code, sizeof(code));
	img_seg(PF_R | PF_X, TEXT, DATA_AT, sizeof(code), 0x1000);
	img_sym("in_file", STT_FUNC, TEXT + 4, 2);
	img_sym("in_memsz", STT_FUNC, TEXT + 0x100, 16);
	path = img_write("memsz");
	assert_int_equal(elfsym__find(path, "in_file", &off, err, sizeof(err)), 0);
	assert_int_equal(off, DATA_AT + 4);
	assert_int_equal(elfsym__find(path, "in_memsz", &off, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "is not in an executable segment"));
}

/* ------------------------------------------------------------- goelf --- */

/* No section headers: the build info is looked for by its magic in the
 * loaded data, and only there (not in what follows a segment on disk) */
static void test_buildinfo_scan_in_segment(void **state)
{
	unsigned char bi[64] = "\xff Go buildinf:";
	struct go_info gi;
	char err[256];

	bi[14] = 8;
	bi[15] = 2; /* the version inline, after 32 bytes */
	bi[32] = 8;
	memcpy(bi + 33, "go1.22.0", 8);
	img_reset();
	img_at(DATA_AT + 64, bi, sizeof(bi));
	img_seg(PF_R, 0x500000, DATA_AT, 128, 128);
	assert_int_equal(goelf__open(img_write("bi-in"), &gi, err, sizeof(err)), 0);
	assert_string_equal(gi.version, "go1.22.0");
	goelf__forget();
	img_reset();
	img_at(DATA_AT + 64, bi, sizeof(bi));
	img_seg(PF_R, 0x500000, DATA_AT, 64, 64);
	assert_int_equal(goelf__open(img_write("bi-past"), &gi, err, sizeof(err)), -1);
	assert_string_equal(gi.version, "");
	assert_string_equal(err, "not a Go binary (no .go.buildinfo)");
	goelf__forget();
}

/* A function's file offset is its segment's offset plus its place in it:
 * a segment whose offset wraps gives none */
static void test_func_offset_wraps(void **state)
{
	static const unsigned char code[16] = { 0x55, 0x48, 0x89, 0xe5, 0x5d, 0xc3 };
	uint64_t v, sz, off;

	img_reset();
	img_at(DATA_AT, code, sizeof(code));
	img_seg(PF_R | PF_X, TEXT, DATA_AT, sizeof(code), sizeof(code));
	img_sym("main.main", STT_FUNC, TEXT + 8, 8);
	assert_int_equal(goelf__func(img_write("text-ok"), "main.main", &v, &sz, &off), 0);
	assert_int_equal(off, DATA_AT + 8);
	img.ph[0].p_offset = (uint64_t)0 - 8;
	assert_int_equal(goelf__func(img_write("text-wrap"), "main.main", &v, &sz, &off), -1);
	goelf__forget();
}

/* ----------------------------------------------------------- nodeelf --- */

static const char *const node_required[] = {
	"_ZN4node9AsyncWrap10AsyncResetEN2v85LocalINS1_6ObjectEEEd",
	"_ZN4node21InternalCallbackScopeC2EPNS_11EnvironmentEN2v85LocalINS3_6ObjectEEERKNS_13async_contextENS0_11ResumeFlagsE",
	"_ZN4node21InternalCallbackScopeC2EPNS_9AsyncWrapEi",
	"_ZN4node21InternalCallbackScope5CloseEv",
	"_ZN4node9AsyncWrapD2Ev",
	"_ZN4node9AsyncWrap11EmitDestroyEb",
};

/* Node's required symbols in a 16-byte text, AsyncReset's size
 * reset_size; with the release URL of v22 when version */
static const char *node_img(const char *name, uint64_t reset_size, bool version)
{
	static const unsigned char code[16] = { 0x55, 0x48, 0x89, 0xe5, 0x5d, 0xc3 };
	static const char url[] = "https://nodejs.org/download/release/v22.3.0/node-v22.3.0.tar.gz";

	img_reset();
	img_at(DATA_AT, code, sizeof(code));
	img_seg(PF_R | PF_X, TEXT, DATA_AT, sizeof(code), sizeof(code));
	if (version) {
		img_at(DATA_AT + 64, url, sizeof(url));
		img_seg(PF_R, 0x402000, DATA_AT + 64, sizeof(url), sizeof(url));
	}
	img_sym(node_required[0], STT_FUNC, TEXT, reset_size);
	for (size_t i = 1; i < sizeof(node_required) / sizeof(node_required[0]); i++)
		img_sym(node_required[i], STT_FUNC, TEXT, sizeof(code));
	return img_write(name);
}

/* nodeelf__open in a child that gets 10 s: its exit code rc + 1, or a
 * failure when it hung or crashed */
static int node_open_bounded(const char *path, char *err, size_t len)
{
	int pipefd[2], status;
	ssize_t got;
	pid_t pid;

	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		struct node_info ni;
		char e[256] = "";
		int rc;

		close(pipefd[0]);
		alarm(10);
		rc = nodeelf__open(path, &ni, e, sizeof(e));
		if (write(pipefd[1], e, strlen(e) + 1) < 0)
			_exit(100);
		_exit(rc + 1);
	}
	close(pipefd[1]);
	got = read(pipefd[0], err, len - 1);
	err[got > 0 ? got : 0] = 0;
	close(pipefd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		fail_msg("nodeelf__open(%s): killed by signal %d (SIGALRM: it looped)", path,
			 WTERMSIG(status));
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status) - 1;
}

/* Node's symbols and no release URL: the version search ends at the file's end */
static void test_node_no_version(void **state)
{
	char err[256];

	assert_int_equal(node_open_bounded(node_img("node-nover", 16, false), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "of unknown version"));
}

/* AsyncReset's symbol says 64 bytes, its segment holds 16: its code is not
 * read from what follows in the file */
static void test_node_code_past_segment(void **state)
{
	char err[256];

	/* within: read, and found not to be Node's code */
	assert_int_equal(node_open_bounded(node_img("node-in", 16, true), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "v22.3.0: its code does not match"));
	assert_non_null(strstr(err, "the id stores were not found"));
	assert_int_equal(node_open_bounded(node_img("node-past", 64, true), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "node::AsyncWrap::AsyncReset: its code is not in the file"));
}

/* --------------------------------------------------------- gopclntab --- */

/* A Go 1.20+ function table with one function (main.f, 32 bytes at TEXT)
 * whose first 8 bytes are main.inl inlined into it, the runtime's
 * moduledata after it, all in one read-only segment at RO; the inline
 * tree (funcdata 3, from moduledata.gofunc) in a segment of its own at
 * GOFUNC, whose p_offset the test picks. */
#define RO 0x500000
#define GOFUNC 0x600000
#define TAB_AT 1024 /* the table's file offset */
#define MD 512	    /* moduledata, from the table */
#define WRAP_AT 184 /* < 0x100, after the 2 program headers */

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = v >> (8 * i);
}

static void put64(unsigned char *p, uint64_t v)
{
	put32(p, v);
	put32(p + 4, v >> 32);
}

/* an inlinedCall (1.20+): funcID, _[3], nameOff, parentPc, startLine */
static void inl_call(unsigned char *p)
{
	memset(p, 0, 16);
	put32(p + 4, 7);    /* "main.inl" */
	put32(p + 8, 0x0c); /* the call site, in main.f */
}

static const char *pcln_img(const char *name, uint64_t gofunc_off)
{
	unsigned char t[1024] = { 0 }, *fd = t + 128;

	img_reset();
	put32(t, 0xfffffff1);
	t[6] = 1;
	t[7] = 8;
	put64(t + 8, 1);     /* nfunc */
	put64(t + 24, TEXT); /* text start */
	put64(t + 32, 72);   /* funcname */
	put64(t + 40, 96);   /* cu */
	put64(t + 48, 100);  /* filetab */
	put64(t + 56, 104);  /* pctab */
	put64(t + 64, 112);  /* pcln (functab) */
	memcpy(t + 72, "main.f\0main.inl", 16);
	/* pctab + 1: the inline index, 0 on [entry, entry + 8), then none */
	t[105] = 0x02;
	t[106] = 0x08;
	/* functab: main.f at +0, its _func at pcln + 16; the end at +0x20 */
	put32(t + 116, 16);
	put32(t + 120, 0x20);
	put32(fd + 28, 3); /* npcdata */
	fd[43] = 4;	   /* nfuncdata */
	put32(fd + 44 + 4 * 2, 1); /* pcdata[2]: the inline index, at pctab + 1 */
	put32(fd + 44 + 4 * 6, 0); /* funcdata[3]: the tree, at gofunc + 0 */
	/* moduledata: the table's address, funcnametab's; minpc, text; gofunc */
	put64(t + MD, RO);
	put64(t + MD + 8, RO + 72);
	put64(t + MD + 160, TEXT);
	put64(t + MD + 176, TEXT);
	put64(t + MD + 320, GOFUNC + 0x100);
	img_at(TAB_AT, t, sizeof(t));
	img_seg(PF_R, RO, TAB_AT, sizeof(t), sizeof(t));
	/* the tree where the true offset says (gofunc's segment from TAB_AT +
	 * 1024, all in the file), and where a wrapped one lands: WRAP_AT, past
	 * the program headers */
	inl_call(t);
	img_at(TAB_AT + 1024 + 0x100, t, 16);
	img_at(TAB_AT + 1024 + 0x1ff, "", 1);
	img_at(WRAP_AT, t, 16);
	img_seg(PF_R, GOFUNC, gofunc_off, 0x200, 0x200);
	return img_write(name);
}

/* The frames at main.f's entry, "inner<outer" (the names live in the table) */
static const char *frames_at_entry(const char *path)
{
	static char names[256];
	struct goframe fr[8];
	char err[256];
	struct gopcln *g = gopcln__open(path, err, sizeof(err));
	int n;

	if (!g)
		fail_msg("%s: %s", path, err);
	n = gopcln__frames(g, TEXT, fr, 8);
	names[0] = 0;
	for (int i = 0; i < n; i++)
		snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s", i ? "<" : "",
			 fr[i].name);
	gopcln__close(g);
	return names;
}

static void test_gofunc_offset_wraps(void **state)
{
	/* as it should be: main.inl inlined in main.f at its entry */
	assert_string_equal(frames_at_entry(pcln_img("pcln-ok", TAB_AT + 1024)), "main.inl<main.f");
	/* p_offset + 0x100 wraps to WRAP_AT, where the same tree lies */
	assert_string_equal(frames_at_entry(pcln_img("pcln-wrap", (uint64_t)WRAP_AT - 0x100)),
			    "main.f");
}

/* ------------------------------------------------------------ unwind --- */

int symbolizer__unwind_dwfl(Dwfl *dwfl, pid_t pid, const struct weft_stack_event *st, __u64 *out,
			    int max);

/* A frame whose CFI says CFA = rbp + 16, the return address at CFA - 8 */
__asm__(".text\n"
	".globl bounds_rbp_frame\n"
	".type bounds_rbp_frame, @function\n"
	"bounds_rbp_frame:\n"
	".cfi_startproc\n"
	".cfi_def_cfa %rbp, 16\n"
	"nop\n"
	"nop\n"
	"ret\n"
	".cfi_endproc\n"
	".size bounds_rbp_frame, .-bounds_rbp_frame\n");
void bounds_rbp_frame(void);

/* The stack copy's rbp (the target's) puts the return address at
 * 2^64 - 4: read as past the copy, not 2^64 - 4 - rsp bytes into it */
static void test_unwind_address_wraps(void **state)
{
	static const Dwfl_Callbacks cb = { .find_elf = dwfl_linux_proc_find_elf,
					   .find_debuginfo = dwfl_standard_find_debuginfo };
	static struct weft_stack_event st;
	__u64 out[8];
	Dwfl *dwfl = dwfl_begin(&cb);

	assert_non_null(dwfl);
	dwfl_report_begin(dwfl);
	assert_int_equal(dwfl_linux_proc_report(dwfl, getpid()), 0);
	dwfl_report_end(dwfl, NULL, NULL);
	st.type = WEFT_EV_USTACK;
	st.size = 64;
	st.regs[6] = (__u64)0 - 12; /* rbp: CFA = rbp + 16 = 4, the return address at 2^64 - 4 */
	st.regs[7] = 0x7ff000000000ull; /* rsp */
	st.regs[16] = (__u64)(uintptr_t)bounds_rbp_frame + 1;
	assert_true(symbolizer__unwind_dwfl(dwfl, getpid(), &st, out, 8) >= 1);
	assert_int_equal(out[0], st.regs[16]);
	dwfl_end(dwfl);
}

static int setup(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/weft-bounds-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) ? -1 : 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_elfsym_past_filesz),
		cmocka_unit_test(test_buildinfo_scan_in_segment),
		cmocka_unit_test(test_func_offset_wraps),
		cmocka_unit_test(test_node_no_version),
		cmocka_unit_test(test_node_code_past_segment),
		cmocka_unit_test(test_gofunc_offset_wraps),
		cmocka_unit_test(test_unwind_address_wraps),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
