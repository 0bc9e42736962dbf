/* goelf on the files it refuses, and what it still tells of them: not ELF,
 * not Go (this test's own binary), hand-made ELF files in the pre-1.18
 * .go.buildinfo layout (and the 1.18+ one, broken), and truncated or
 * bit-flipped copies of a Go binary built here. */
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
#include "goelf.h"
#include "go_toolchains.h"
#include "goelf_prog.h"

/* cmocka passes every test a state pointer these tests do not use */
#pragma GCC diagnostic ignored "-Wunused-parameter"

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

/* test_corrupt's Go binary: the builds' program, by the first toolchain.
 * None, or a failed build (test_goelf_builds fails it): that test skips. */
static int build_prog(void **state)
{
	struct toolchain *tc = &tcs[0];

	if (!nr_tc)
		return 0;
	prog_write(tc);
	if (!build(tc, "prog", ""))
		snprintf(tc->bin, sizeof(tc->bin), "%s/prog", tc->dir);
	return 0;
}

/* A Go binary one of the toolchains built (the test skips without) */
static const char *some_bin(void)
{
	for (int i = 0; i < nr_tc; i++)
		if (tcs[i].bin[0])
			return tcs[i].bin;
	print_message("    no Go binary was built\n");
	skip();
	return NULL;
}

/* Truncated and bit-flipped copies of a real Go binary: -1 or 0, never a crash. */
static void test_corrupt(void **state)
{
	const char *src;
	unsigned char *buf, *mut;
	char path[300], err[256];
	struct go_info gi;
	size_t n;

	src = some_bin();
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

/* A function with a byte that does not decode (0x06, push %es: not an
 * x86-64 instruction), a RET byte after it: the RET scan refuses the
 * whole function (EILSEQ) rather than guess where instructions restart,
 * where a probe could land inside one. The lenient walk goes on. */
static void test_undecodable(void **state)
{
	const char *src;
	char path[512];
	unsigned char *buf;
	uint64_t v, sz, off, offs[64];
	size_t n;

	(void)state;
	src = some_bin();
	assert_int_equal(goelf__func(src, "main.leaf", &v, &sz, &off), 0);
	assert_true(goelf__rets(src, v, sz, offs, 64) >= 1);
	buf = read_all(src, &n);
	assert_true(off + 2 < n && sz > 2);
	buf[off] = 0x06;
	buf[off + 1] = 0xc3;
	snprintf(path, sizeof(path), "%s/undecodable", tmpdir);
	write_file(path, buf, n);
	free(buf);
	errno = 0;
	assert_int_equal(goelf__rets(path, v, sz, offs, 64), -1);
	assert_int_equal(errno, EILSEQ);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		{ .name = "not_elf", .test_func = test_not_elf },
		{ .name = "not_go", .test_func = test_not_go },
		{ .name = "buildinfo_layouts", .test_func = test_buildinfo_layouts },
		{ .name = "corrupt", .test_func = test_corrupt },
		{ .name = "undecodable", .test_func = test_undecodable },
	};
	int rc;

	if (go_tests_begin("/tmp/weft-test-goelf-rejects-XXXXXX"))
		return 1;
	rc = cmocka_run_group_tests_name("goelf: files it refuses", tests, build_prog, NULL);
	go_tests_end();
	return rc;
}
