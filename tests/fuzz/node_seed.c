/* node_seed NODE OUT: a seed for the nodeelf fuzzer, some 40 KB instead of
 * node's 100-150 MB (libFuzzer cuts an input at -max_len, 16 MiB, and
 * node's section headers are at its end). OUT keeps what nodeelf reads:
 * the symbols it took, in their order, the code of each (an executable
 * segment each, at the same addresses), the release URL it took the
 * version from, the ELF type. Then nodeelf__open must say the same of OUT
 * as of NODE (file offsets compared as the addresses they load at); exit
 * 1, OUT removed, when it does not. */
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "nodeelf.h"

#define MAX_CODE (1 << 16) /* what nodeelf reads of a function at most */

struct range {
	uint64_t lo, hi;
	uint64_t off; /* in OUT */
};

#define MAX_KEPT 256

static struct range ranges[MAX_KEPT];
static int nr_ranges;

/* the symbols kept, in the order nodeelf meets them */
static struct kept {
	GElf_Sym sym;
	char *name;
} kept[MAX_KEPT];
static int nr_kept;

static void die(const char *what)
{
	fprintf(stderr, "node_seed: %s\n", what);
	exit(1);
}

static int range_cmp(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* The executable PT_LOAD of e holding vaddr: its file bytes from there */
static const GElf_Phdr *exec_seg(Elf *e, uint64_t vaddr, GElf_Phdr *ph)
{
	size_t n;

	if (elf_getphdrnum(e, &n))
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (gelf_getphdr(e, i, ph) && ph->p_type == PT_LOAD && (ph->p_flags & PF_X) &&
		    vaddr >= ph->p_vaddr && vaddr - ph->p_vaddr < ph->p_filesz)
			return ph;
	return NULL;
}

/* Is s one of the symbols nodeelf took: a function at an address it
 * found, one it found then dropped (an optional probe it refused: only
 * its size is left, so any of node's, libuv's or OpenSSL's of that size),
 * libuv's default loop? */
static bool wanted(const struct node_info *ni, const GElf_Sym *s, const char *name)
{
	if (GELF_ST_TYPE(s->st_info) == STT_OBJECT)
		return ni->default_loop && s->st_value == ni->default_loop &&
		       !strcmp(name, "default_loop_struct");
	if (GELF_ST_TYPE(s->st_info) != STT_FUNC)
		return false;
	for (int i = 0; i < NODE_NR_FNS; i++) {
		if (ni->vaddr[i] && s->st_value == ni->vaddr[i])
			return true;
		if (!ni->vaddr[i] && ni->size[i] && s->st_size == ni->size[i] &&
		    (!strncmp(name, "_ZN4node", 8) || !strncmp(name, "uv_", 3) ||
		     !strncmp(name, "SSL_", 4)))
			return true;
	}
	return false;
}

/* The wanted symbols, .symtab's then .dynsym's, in their order (nodeelf
 * takes the first that matches: a subset in order keeps that one first) */
static void keep_symbols(Elf *e, const struct node_info *ni)
{
	for (int pass = 0; pass < 2; pass++) {
		Elf_Scn *scn = NULL;
		GElf_Shdr s;

		while ((scn = elf_nextscn(e, scn))) {
			Elf_Data *d;

			if (!gelf_getshdr(scn, &s) || !s.sh_entsize ||
			    s.sh_type != (pass ? SHT_DYNSYM : SHT_SYMTAB) || !(d = elf_getdata(scn, NULL)))
				continue;
			for (size_t k = 0; k < s.sh_size / s.sh_entsize; k++) {
				GElf_Sym sym;
				const char *name;

				if (!gelf_getsym(d, k, &sym) || !sym.st_value || sym.st_shndx == SHN_UNDEF ||
				    !(name = elf_strptr(e, s.sh_link, sym.st_name)) || !wanted(ni, &sym, name))
					continue;
				if (nr_kept == MAX_KEPT)
					die("too many symbols to keep");
				kept[nr_kept].sym = sym;
				if (!(kept[nr_kept++].name = strdup(name)))
					die("out of memory");
			}
		}
	}
}

/* Each kept function's code (as much as nodeelf reads), clipped to its
 * segment, overlaps merged */
static void code_ranges(Elf *e)
{
	for (int i = 0; i < nr_kept; i++) {
		const GElf_Sym *s = &kept[i].sym;
		uint64_t size = s->st_size < 16 ? 16 : s->st_size > MAX_CODE ? MAX_CODE : s->st_size;
		GElf_Phdr ph;

		if (GELF_ST_TYPE(s->st_info) != STT_FUNC || !exec_seg(e, s->st_value, &ph))
			continue;
		if (size > ph.p_filesz - (s->st_value - ph.p_vaddr))
			size = ph.p_filesz - (s->st_value - ph.p_vaddr);
		ranges[nr_ranges++] = (struct range){ .lo = s->st_value, .hi = s->st_value + size };
	}
	qsort(ranges, nr_ranges, sizeof(ranges[0]), range_cmp);
	for (int i = 1; i < nr_ranges; i++)
		if (ranges[i].lo <= ranges[i - 1].hi) {
			if (ranges[i].hi > ranges[i - 1].hi)
				ranges[i - 1].hi = ranges[i].hi;
			memmove(&ranges[i], &ranges[i + 1], (nr_ranges - i - 1) * sizeof(ranges[0]));
			nr_ranges--;
			i--;
		}
}

struct out {
	unsigned char *buf;
	size_t len, cap;
};

static size_t put(struct out *o, const void *p, size_t n, size_t align)
{
	size_t at = (o->len + align - 1) & ~(align - 1);

	if (at + n > o->cap) {
		o->cap = (at + n) * 2;
		if (!(o->buf = realloc(o->buf, o->cap)))
			die("out of memory");
	}
	memset(o->buf + o->len, 0, at - o->len);
	if (p)
		memcpy(o->buf + at, p, n);
	else
		memset(o->buf + at, 0, n);
	o->len = at + n;
	return at;
}

static void write_seed(int fd, Elf *e, const struct node_info *ni, const char *path)
{
	/* sections: null, a .text per range, .rodata, .symtab, .strtab, .shstrtab;
	 * the N_ are their names' offsets in shstr */
	static const char shstr[] = "\0.text\0.rodata\0.symtab\0.strtab\0.shstrtab";
	enum { N_TEXT = 1, N_RODATA = 7, N_SYMTAB = 15, N_STRTAB = 23, N_SHSTRTAB = 31 };
	int nsh = nr_ranges + 5, rodata = nr_ranges + 1, nph = nr_ranges + 1;
	Elf64_Shdr *sh = calloc(nsh, sizeof(*sh));
	Elf64_Phdr *ph = calloc(nph, sizeof(*ph));
	struct out syms = { 0 }, strs = { 0 }, o = { 0 };
	char url[160];
	GElf_Ehdr eh;
	Elf64_Ehdr oh;
	size_t at;
	FILE *f;

	if (!sh || !ph || !gelf_getehdr(e, &eh))
		die("out of memory, or no ELF header");
	put(&o, NULL, sizeof(oh) + nph * sizeof(*ph), 1);
	for (int i = 0; i < nr_ranges; i++) {
		size_t n = ranges[i].hi - ranges[i].lo;
		GElf_Phdr seg;

		exec_seg(e, ranges[i].lo, &seg);
		at = put(&o, NULL, n, 16);
		if (pread(fd, o.buf + at, n, seg.p_offset + (ranges[i].lo - seg.p_vaddr)) != (ssize_t)n)
			die("short read of node's code");
		ranges[i].off = at;
		ph[i] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = at,
				      .p_vaddr = ranges[i].lo, .p_paddr = ranges[i].lo,
				      .p_filesz = n, .p_memsz = n, .p_align = 16 };
		sh[1 + i] = (Elf64_Shdr){ .sh_name = N_TEXT, .sh_type = SHT_PROGBITS,
					  .sh_flags = SHF_ALLOC | SHF_EXECINSTR, .sh_addr = ranges[i].lo,
					  .sh_offset = at, .sh_size = n, .sh_addralign = 16 };
	}
	/* the release URL, as node's read-only data has it */
	snprintf(url, sizeof(url), "https://nodejs.org/download/release/%s/node-%s-headers.tar.gz",
		 ni->version, ni->version);
	at = put(&o, ni->version[0] ? url : "", ni->version[0] ? strlen(url) + 1 : 1, 16);
	ph[nph - 1] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R, .p_offset = at,
				    .p_vaddr = 0x10000000, .p_paddr = 0x10000000,
				    .p_filesz = strlen(url) + 1, .p_memsz = strlen(url) + 1,
				    .p_align = 16 };
	sh[rodata] = (Elf64_Shdr){ .sh_name = N_RODATA, .sh_type = SHT_PROGBITS, .sh_flags = SHF_ALLOC,
				   .sh_addr = 0x10000000, .sh_offset = at, .sh_size = strlen(url) + 1,
				   .sh_addralign = 16 };
	if (!ni->version[0])
		ph[nph - 1].p_filesz = ph[nph - 1].p_memsz = sh[rodata].sh_size = 1;
	/* the kept symbols, each in its .text */
	put(&syms, NULL, sizeof(Elf64_Sym), 8);
	put(&strs, "", 1, 1);
	for (int k = 0; k < nr_kept; k++) {
		const GElf_Sym *sym = &kept[k].sym;
		Elf64_Sym out = { .st_info = sym->st_info, .st_other = sym->st_other,
				  .st_shndx = SHN_ABS, .st_value = sym->st_value,
				  .st_size = sym->st_size };

		for (int i = 0; i < nr_ranges; i++)
			if (sym->st_value >= ranges[i].lo && sym->st_value < ranges[i].hi)
				out.st_shndx = 1 + i;
		out.st_name = put(&strs, kept[k].name, strlen(kept[k].name) + 1, 1);
		put(&syms, &out, sizeof(out), 8);
	}
	at = put(&o, syms.buf, syms.len, 8);
	sh[nsh - 3] = (Elf64_Shdr){ .sh_name = N_SYMTAB, .sh_type = SHT_SYMTAB, .sh_offset = at,
				    .sh_size = syms.len, .sh_link = nsh - 2, .sh_info = 1,
				    .sh_addralign = 8, .sh_entsize = sizeof(Elf64_Sym) };
	at = put(&o, strs.buf, strs.len, 1);
	sh[nsh - 2] = (Elf64_Shdr){ .sh_name = N_STRTAB, .sh_type = SHT_STRTAB, .sh_offset = at,
				    .sh_size = strs.len, .sh_addralign = 1 };
	at = put(&o, shstr, sizeof(shstr), 1);
	sh[nsh - 1] = (Elf64_Shdr){ .sh_name = N_SHSTRTAB, .sh_type = SHT_STRTAB, .sh_offset = at,
				    .sh_size = sizeof(shstr), .sh_addralign = 1 };
	at = put(&o, sh, nsh * sizeof(*sh), 8);
	oh = (Elf64_Ehdr){ .e_type = eh.e_type, .e_machine = eh.e_machine, .e_version = EV_CURRENT,
			   .e_phoff = sizeof(oh), .e_shoff = at, .e_ehsize = sizeof(oh),
			   .e_phentsize = sizeof(*ph), .e_phnum = nph,
			   .e_shentsize = sizeof(*sh), .e_shnum = nsh, .e_shstrndx = nsh - 1 };
	memcpy(oh.e_ident, eh.e_ident, EI_NIDENT);
	memcpy(o.buf, &oh, sizeof(oh));
	memcpy(o.buf + sizeof(oh), ph, nph * sizeof(*ph));
	if (!(f = fopen(path, "w")) || fwrite(o.buf, 1, o.len, f) != o.len || fclose(f))
		die("cannot write the seed");
	free(o.buf);
	free(syms.buf);
	free(strs.buf);
	free(sh);
	free(ph);
}

/* A file offset as the address it loads at (offsets differ, addresses not) */
static uint64_t off_vaddr(Elf *e, uint64_t off)
{
	GElf_Phdr ph;
	size_t n;

	if (!off || elf_getphdrnum(e, &n))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (gelf_getphdr(e, i, &ph) && ph.p_type == PT_LOAD && (ph.p_flags & PF_X) &&
		    off >= ph.p_offset && off - ph.p_offset < ph.p_filesz)
			return off - ph.p_offset + ph.p_vaddr;
	return ~0ull;
}

/* What nodeelf__open says of path, as text */
static void describe(const char *path, char *buf, size_t len)
{
	struct node_info ni;
	char err[256] = "";
	int rc = nodeelf__open(path, &ni, err, sizeof(err)), fd;
	size_t o = 0;
	Elf *e;

	elf_version(EV_CURRENT);
	if ((fd = open(path, O_RDONLY)) < 0 || !(e = elf_begin(fd, ELF_C_READ, NULL)))
		die("cannot read it back");
#define P(...) (o += snprintf(buf + o, o < len ? len - o : 0, __VA_ARGS__))
	P("rc %d err '%s' version %s major %d\n", rc, rc < 0 ? err : "", ni.version, ni.major);
	for (int i = 0; i < NODE_NR_FNS; i++)
		P("fn %d vaddr %#lx size %#lx probe %#lx\n", i, ni.vaddr[i], ni.size[i],
		  off_vaddr(e, ni.probe_off[i]));
	P("reset site %#lx rdi %d offs %d %d %d llhttp %d r8 %d wrap %d closed %d skip %d\n",
	  off_vaddr(e, ni.reset_site_off), ni.reset_this_rdi, ni.off_provider, ni.off_async_id,
	  ni.off_trigger_id, ni.parser_llhttp, ni.scope_ctx_in_r8, ni.probe_scope_wrap,
	  ni.scope_closed, ni.url_skip);
	P("h2 %d %d %d '%s' providers %d ssl refused %d\n", ni.h2_ok, ni.h2_stream_id,
	  ni.h2_headers, ni.h2_why, ni.nr_providers, ni.ssl_write_refused);
	P("loop %#lx timers %d %d %d %d %d %d\n", ni.default_loop, ni.timers_ok, ni.timer_cb,
	  ni.timer_heap_node, ni.timer_timeout, ni.loop_timer_heap, ni.loop_time);
#undef P
	elf_end(e);
	close(fd);
}

int main(int argc, char **argv)
{
	static char full[8192], seed[8192];
	struct node_info ni;
	char err[256];
	int fd;
	Elf *e;

	if (argc != 3)
		die("usage: node_seed NODE OUT");
	if (nodeelf__open(argv[1], &ni, err, sizeof(err)) == 0)
		die("not a Node binary (no AsyncWrap::AsyncReset symbol)");
	elf_version(EV_CURRENT);
	if ((fd = open(argv[1], O_RDONLY)) < 0 || !(e = elf_begin(fd, ELF_C_READ, NULL)))
		die("cannot read node");
	keep_symbols(e, &ni);
	code_ranges(e);
	write_seed(fd, e, &ni, argv[2]);
	elf_end(e);
	close(fd);
	describe(argv[1], full, sizeof(full));
	describe(argv[2], seed, sizeof(seed));
	if (strcmp(full, seed)) {
		fprintf(stderr, "node_seed: %s reads differently from %s\n--- node:\n%s--- seed:\n%s",
			argv[2], argv[1], full, seed);
		unlink(argv[2]);
		return 1;
	}
	return 0;
}
