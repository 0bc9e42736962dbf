// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "elf_file.h"
#include "gopclntab.h"

#define MAGIC_118 0xfffffff0u /* Go 1.18, 1.19 */
#define MAGIC_120 0xfffffff1u /* Go 1.20 and later: _func gains startLine */
#define HDR_LEN (8 + 8 * 8)

/* Read in place: the binary is mapped (reading it and copying its tables
 * was most of the time of an open, 20 ms for a test binary) */
struct gopcln {
	const uint8_t *map; /* the whole file */
	size_t map_len;
	const uint8_t *tab;  /* the whole table, from its header */
	size_t len;
	uint64_t vaddr; /* where the header is loaded (link time) */
	uint64_t nfunc, text_start;
	uint64_t funcname, cu, filetab, pctab, pcln; /* offsets from the header */
	int func_id_off; /* offset of funcID in _func: 40 (1.20+) or 36 */
	/* go:func.* (moduledata.gofunc), where funcdata offsets point: a copy
	 * from there to the end of its segment; none without moduledata */
	const uint8_t *gofunc;
	size_t gofunc_len;
};

static uint32_t u32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t u64(const uint8_t *p)
{
	return u32(p) | (uint64_t)u32(p + 4) << 32;
}

/* A plausible header at p (n bytes from there): the tables it points to
 * lie inside, in order. */
static bool header_ok(const uint8_t *p, size_t n)
{
	uint32_t magic;
	uint64_t nfunc, off[5];

	if (n < HDR_LEN)
		return false;
	magic = u32(p);
	if ((magic != MAGIC_118 && magic != MAGIC_120) || p[4] || p[5] || p[6] != 1 || p[7] != 8)
		return false;
	nfunc = u64(p + 8);
	for (int i = 0; i < 5; i++)
		off[i] = u64(p + 32 + 8 * i);
	if (!nfunc || nfunc > (1u << 24))
		return false;
	for (int i = 0; i < 5; i++)
		if (off[i] < HDR_LEN || off[i] >= n)
			return false;
	/* functab: nfunc + 1 pairs of u32 */
	return off[4] + (nfunc + 1) * 8 <= n;
}

static int load(struct gopcln *g, const uint8_t *p, size_t n, uint64_t vaddr)
{
	if (!header_ok(p, n))
		return -1;
	g->vaddr = vaddr;
	g->tab = p;
	g->len = n;
	g->nfunc = u64(p + 8);
	g->text_start = u64(p + 24);
	g->funcname = u64(p + 32);
	g->cu = u64(p + 40);
	g->filetab = u64(p + 48);
	g->pctab = u64(p + 56);
	g->pcln = u64(p + 64);
	g->func_id_off = u32(p) == MAGIC_120 ? 40 : 36;
	return 0;
}

/* No section names (stripped of them, or packed): look for the header in
 * every loaded, non-executable segment. */
/* A segment's bytes in the file, or NULL if they are not all in it */
static const uint8_t *in_file(const struct gopcln *g, uint64_t off, uint64_t len)
{
	return off <= g->map_len && len <= g->map_len - off ? g->map + off : NULL;
}

static int find_in_segments(Elf *e, struct gopcln *g)
{
	GElf_Phdr ph;
	size_t n;

	if (elf_getphdrnum(e, &n))
		return -1;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *buf;

		if (!gelf_getphdr(e, i, &ph) || ph.p_type != PT_LOAD || (ph.p_flags & PF_X) ||
		    !ph.p_filesz || !(buf = in_file(g, ph.p_offset, ph.p_filesz)))
			continue;
		for (size_t o = 0; o + HDR_LEN <= ph.p_filesz; o += 8)
			if ((u32(buf + o) == MAGIC_120 || u32(buf + o) == MAGIC_118) &&
			    !load(g, buf + o, ph.p_filesz - o, ph.p_vaddr + o))
				return 0;
	}
	return -1;
}

/* The runtime's moduledata, found by its first two words (the header's
 * address, then funcnametab's), with moduledata.minpc = text + the first
 * function's offset as the check. It gives the text start, which Go 1.26
 * no longer stores in the header (it was 0 when relocated anyway; the
 * .text section's address is not it when C code comes first: cgo), and
 * gofunc, the base of funcdata offsets (the inline trees). */
#define MD_MINPC 160
#define MD_TEXT 176

/* moduledata.gofunc: after rodata, whose place moved twice (covctrs in
 * 1.20, typedesclen and itab bounds in 1.27). 0 when implausible. */
static uint64_t md_gofunc(const struct gopcln *g, const uint8_t *md, size_t room)
{
	size_t at = 304; /* 1.18, 1.19 */

	if (room < 352)
		return 0;
	if (u32(g->tab) == MAGIC_120) /* etypes (1.20-1.26) or typedesclen (1.27) */
		at = u64(md + 304) >= u64(md + 296) ? 320 : 344;
	if (at + 8 > room || u64(md + at) < u64(md + at - 8))
		return 0;
	return u64(md + at);
}

/* The copy of gofunc's segment from gofunc on. */
static void gofunc_load(Elf *e, struct gopcln *g, uint64_t gofunc)
{
	GElf_Phdr ph;
	size_t n;

	if (!gofunc || elf_getphdrnum(e, &n))
		return;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *seg;

		if (!gelf_getphdr(e, i, &ph) || ph.p_type != PT_LOAD || gofunc < ph.p_vaddr ||
		    gofunc - ph.p_vaddr >= ph.p_filesz)
			continue;
		/* the whole segment in the file: its offset plus gofunc's may not wrap */
		if ((seg = in_file(g, ph.p_offset, ph.p_filesz))) {
			g->gofunc = seg + (gofunc - ph.p_vaddr);
			g->gofunc_len = ph.p_filesz - (gofunc - ph.p_vaddr);
		}
		return;
	}
}

static int moduledata_read(Elf *e, struct gopcln *g)
{
	uint8_t needle[16];
	GElf_Phdr ph;
	size_t n;
	int found = -1;
	uint64_t gofunc = 0;

	for (int i = 0; i < 8; i++) {
		needle[i] = g->vaddr >> (8 * i);
		needle[8 + i] = (g->vaddr + g->funcname) >> (8 * i);
	}
	if (elf_getphdrnum(e, &n))
		return -1;
	for (size_t i = 0; i < n && found; i++) {
		const uint8_t *buf, *at;

		if (!gelf_getphdr(e, i, &ph) || ph.p_type != PT_LOAD || (ph.p_flags & PF_X) ||
		    ph.p_filesz < MD_TEXT + 8 || !(buf = in_file(g, ph.p_offset, ph.p_filesz)))
			continue;
		for (at = buf; (at = memmem(at, buf + ph.p_filesz - at, needle, 16)); at += 8) {
				uint64_t text;

				if ((at - buf) % 8 || at + MD_TEXT + 8 > buf + ph.p_filesz)
					continue;
				text = u64(at + MD_TEXT);
				if (text && u64(at + MD_MINPC) == text + u32(g->tab + g->pcln)) {
					if (!g->text_start)
						g->text_start = text;
					gofunc = md_gofunc(g, at, buf + ph.p_filesz - at);
					found = 0;
					break;
				}
			}
	}
	if (!found)
		gofunc_load(e, g, gofunc);
	return found;
}

struct gopcln *gopcln__open(const char *path, char *err, size_t len)
{
	struct gopcln *g = calloc(1, sizeof(*g));
	Elf_Scn *scn = NULL;
	struct stat st;
	GElf_Shdr sh;
	int fd = -1;
	Elf *e = g ? elf_file__open(path, &fd) : NULL;

	if (!e) {
		snprintf(err, len, "%s", !g ? strerror(ENOMEM) : errno == ENOEXEC ? "not an ELF file"
			 : strerror(errno));
		goto fail;
	}
	if (fstat(fd, &st) || !st.st_size ||
	    (g->map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0)) == MAP_FAILED) {
		g->map = NULL;
		snprintf(err, len, "cannot map it: %s", strerror(errno));
		goto fail;
	}
	g->map_len = st.st_size;
	if ((scn = elf_file__scn(e, ".gopclntab", &sh)) && sh.sh_type == SHT_PROGBITS &&
	    !(sh.sh_flags & SHF_COMPRESSED)) {
		const uint8_t *p = in_file(g, sh.sh_offset, sh.sh_size);

		if (p && !load(g, p, sh.sh_size, sh.sh_addr))
			goto done;
	}
	/* searched for in the segments only when a packer dropped the section
	 * headers, or a Go binary lost that one: a binary with sections and
	 * none of Go's is not Go (node's 100 MB took 50 ms to search) */
	if ((!elf_file__has_sections(e) || elf_file__scn(e, ".go.buildinfo", &sh) ||
	     elf_file__scn(e, ".note.go.buildid", &sh)) &&
	    !find_in_segments(e, g))
		goto done;
	snprintf(err, len, "no Go function table (pclntab) of Go 1.18 or later");
	goto fail;
no_text:
	snprintf(err, len, "Go function table without its text address (no runtime moduledata)");
fail:
	elf_file__close(e, fd);
	if (g && g->map)
		munmap((void *)g->map, g->map_len);
	free(g);
	return NULL;
done:
	if (moduledata_read(e, g) && !g->text_start)
		goto no_text;
	elf_file__close(e, fd);
	return g;
}

void gopcln__close(struct gopcln *g)
{
	if (!g)
		return;
	if (g->map)
		munmap((void *)g->map, g->map_len);
	free(g);
}

size_t gopcln__nr_funcs(const struct gopcln *g)
{
	return g ? g->nfunc : 0;
}

static const char *str_at(const struct gopcln *g, uint64_t off)
{
	if (off >= g->len || !memchr(g->tab + off, 0, g->len - off))
		return NULL;
	return (const char *)g->tab + off;
}

/* functab[i]: entry offset, _func offset (from the pcln table). */
static const uint8_t *func_data(const struct gopcln *g, size_t i)
{
	uint64_t at = g->pcln + 8 * i, fo;

	if (i >= g->nfunc || at + 16 > g->len)
		return NULL;
	fo = g->pcln + u32(g->tab + at + 4);
	return fo + 44 <= g->len ? g->tab + fo : NULL;
}

int gopcln__func_at_index(const struct gopcln *g, size_t i, struct gofunc *f)
{
	const uint8_t *fd = func_data(g, i);
	const char *name;

	if (!fd)
		return -1;
	name = str_at(g, g->funcname + (uint32_t)u32(fd + 4));
	f->name = name ? name : "";
	f->entry = g->text_start + u32(g->tab + g->pcln + 8 * i);
	f->end = g->text_start + u32(g->tab + g->pcln + 8 * (i + 1));
	f->func_id = fd[g->func_id_off];
	return 0;
}

/* The index of the last function whose entry is at or below vaddr, or -1. */
static long func_index(const struct gopcln *g, uint64_t vaddr)
{
	size_t lo = 0, hi = g->nfunc;

	if (vaddr < g->text_start)
		return -1;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (g->text_start + u32(g->tab + g->pcln + 8 * mid) <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (long)lo - 1;
}

int gopcln__func_at(const struct gopcln *g, uint64_t vaddr, struct gofunc *f)
{
	long i = func_index(g, vaddr);

	if (i < 0 || gopcln__func_at_index(g, i, f) || vaddr >= f->end)
		return -1;
	return 0;
}

bool gopcln__name_matches(const char *n, const char *name)
{
	size_t l = strlen(name);

	if (l > 5 && !strcmp(name + l - 5, "[...]"))
		return !strncmp(n, name, l - 4) && n[strlen(n) - 1] == ']';
	return !strcmp(n, name);
}

int gopcln__func_by_name(const struct gopcln *g, const char *name, int nth, struct gofunc *f)
{
	for (size_t i = 0; i < g->nfunc; i++)
		if (!gopcln__func_at_index(g, i, f) && gopcln__name_matches(f->name, name) && nth-- == 0)
			return 0;
	return -1;
}

const char *gopcln__print_name(const char *name, char *buf, size_t len)
{
	size_t o = 0;
	int depth = 0;

	if (!len)
		return buf;
	for (const char *c = name; *c && o + 1 < len; c++) {
		if (*c == '[' && depth++ == 0) {
			o += snprintf(buf + o, len - o, "[...]");
			o = o < len ? o : len - 1;
		} else if (*c == ']' && depth > 0) {
			depth--;
		} else if (!depth) {
			buf[o++] = *c;
		}
	}
	buf[o] = 0;
	return buf;
}

static uint32_t uvarint(const struct gopcln *g, uint64_t *at, bool *bad)
{
	uint32_t v = 0;

	for (int shift = 0; shift < 35; shift += 7) {
		uint8_t b;

		if (*at >= g->len) {
			*bad = true;
			return 0;
		}
		b = g->tab[(*at)++];
		v |= (uint32_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
	}
	*bad = true;
	return 0;
}

/* A pc-value table: (value delta zigzag-encoded, pc delta in instruction
 * units, 1 byte on x86) pairs, a zero value delta after the first ending
 * it. Each step gives the value in effect on [pc, next_pc). */
struct pcv {
	uint64_t at, pc, next_pc;
	int32_t val;
	bool first;
};

static void pcv__init(struct pcv *it, const struct gopcln *g, uint32_t off, uint64_t entry)
{
	*it = (struct pcv){ .at = g->pctab + off, .next_pc = entry, .val = -1, .first = true };
}

/* The next run: true, or false at the end (or on a bad table). */
static bool pcv__next(struct pcv *it, const struct gopcln *g)
{
	bool bad = false;
	uint32_t uv = uvarint(g, &it->at, &bad), pcd;

	if (bad || (uv == 0 && !it->first))
		return false;
	it->first = false;
	it->val += (uv & 1) ? -(int32_t)((uv >> 1) + 1) : (int32_t)(uv >> 1);
	pcd = uvarint(g, &it->at, &bad);
	if (bad)
		return false;
	it->pc = it->next_pc;
	it->next_pc += pcd;
	return true;
}

/* The pc-value table at off, from entry: the value in effect at vaddr. */
static int pcvalue(const struct gopcln *g, uint32_t off, uint64_t entry, uint64_t vaddr,
		   int32_t *out)
{
	struct pcv it;

	if (!off)
		return -1;
	pcv__init(&it, g, off, entry);
	for (int steps = 0; steps < (1 << 20) && pcv__next(&it, g); steps++)
		if (vaddr < it.next_pc) {
			*out = it.val;
			return 0;
		}
	return -1;
}

/* File and line at vaddr in the function fd (entry): the innermost
 * inlined call's, as the table stores them. */
static int line_in(const struct gopcln *g, const uint8_t *fd, uint64_t entry, uint64_t vaddr,
		   const char **file, int *line)
{
	int32_t fileno, ln;
	uint64_t cu_at;

	if (pcvalue(g, u32(fd + 20), entry, vaddr, &fileno) ||
	    pcvalue(g, u32(fd + 24), entry, vaddr, &ln) || fileno < 0)
		return -1;
	cu_at = g->cu + 4 * ((uint64_t)u32(fd + 32) + (uint32_t)fileno);
	if (cu_at + 4 > g->len || u32(g->tab + cu_at) == 0xffffffffu)
		return -1;
	*file = str_at(g, g->filetab + u32(g->tab + cu_at));
	*line = ln;
	return *file ? 0 : -1;
}

int gopcln__line(const struct gopcln *g, uint64_t vaddr, const char **file, int *line)
{
	struct gofunc f;
	const uint8_t *fd;

	if (gopcln__func_at(g, vaddr, &f) || !(fd = func_data(g, func_index(g, vaddr))))
		return -1;
	return line_in(g, fd, f.entry, vaddr, file, line);
}

/* ---------------------------------------------------------- inlining --- */

#define PCDATA_INLTREE 2  /* pcdata: the inline tree index at a pc, -1 outside */
#define FUNCDATA_INLTREE 3 /* funcdata: the tree, an array of inlinedCall */
#define MAX_INL_DEPTH 64

/* _func is followed by npcdata u32 pcdata table offsets (from pctab), then
 * nfuncdata u32 funcdata offsets (from gofunc, ~0 for none). */
static const uint8_t *func_tail(const struct gopcln *g, const uint8_t *fd, uint32_t i)
{
	uint64_t at = (uint64_t)(fd - g->tab) + g->func_id_off + 4 + 4 * (uint64_t)i;

	return at + 4 <= g->len ? g->tab + at : NULL;
}

static int inl_index(const struct gopcln *g, const uint8_t *fd, uint64_t entry, uint64_t vaddr,
		     int32_t *ix)
{
	const uint8_t *p;

	if (u32(fd + 28) <= PCDATA_INLTREE || !(p = func_tail(g, fd, PCDATA_INLTREE)))
		return -1;
	return pcvalue(g, u32(p), entry, vaddr, ix);
}

/* One inlinedCall: Go 1.20 made it 16 bytes {funcID, _[3], nameOff,
 * parentPc, startLine}, from 20 {parent i16, funcID, _, file, line,
 * nameOff, parentPc}; parentPc (a pc of the call site, from entry) is in
 * both, so the caller's frame is found the same way. */
struct inl_call {
	const char *name;
	uint8_t func_id;
	uint32_t parent_pc;
};

static int inl_call(const struct gopcln *g, const uint8_t *fd, int32_t ix, struct inl_call *c)
{
	bool v120 = u32(g->tab) == MAGIC_120;
	uint64_t size = v120 ? 16 : 20, off;
	const uint8_t *p, *e;

	if (ix < 0 || fd[g->func_id_off + 3] <= FUNCDATA_INLTREE || !g->gofunc)
		return -1;
	p = func_tail(g, fd, u32(fd + 28) + FUNCDATA_INLTREE);
	if (!p || (off = u32(p)) == 0xffffffffu || off + ((uint64_t)ix + 1) * size > g->gofunc_len)
		return -1;
	e = g->gofunc + off + ix * size;
	c->func_id = v120 ? e[0] : e[2];
	c->name = str_at(g, g->funcname + u32(e + (v120 ? 4 : 12)));
	c->parent_pc = u32(e + (v120 ? 8 : 16));
	return c->name ? 0 : -1;
}

int gopcln__frames(const struct gopcln *g, uint64_t vaddr, struct goframe *out, int max)
{
	struct gofunc f;
	const uint8_t *fd;
	uint64_t pc = vaddr;
	int n = 0;

	if (gopcln__func_at(g, vaddr, &f) || !(fd = func_data(g, func_index(g, vaddr))))
		return -1;
	while (n < max && n < MAX_INL_DEPTH) {
		struct goframe *fr = &out[n++];
		struct inl_call c;
		int32_t ix;

		if (line_in(g, fd, f.entry, pc, &fr->file, &fr->line)) {
			fr->file = "";
			fr->line = 0;
		}
		if (inl_index(g, fd, f.entry, pc, &ix) || inl_call(g, fd, ix, &c) ||
		    f.entry + c.parent_pc >= f.end) {
			fr->name = f.name; /* the function itself: the outermost frame */
			fr->func_id = f.func_id;
			break;
		}
		fr->name = c.name;
		fr->func_id = c.func_id;
		pc = f.entry + c.parent_pc;
	}
	return n;
}

int gopcln__inlined(const struct gopcln *g, const struct gofunc *f, const char **names, int max)
{
	long i = func_index(g, f->entry);
	const uint8_t *fd = i >= 0 ? func_data(g, i) : NULL, *p;
	struct pcv it;
	int n = 0;

	if (!fd || u32(fd + 28) <= PCDATA_INLTREE || !(p = func_tail(g, fd, PCDATA_INLTREE)) ||
	    !u32(p))
		return fd ? 0 : -1;
	pcv__init(&it, g, u32(p), f->entry);
	for (int steps = 0; steps < (1 << 20) && n < max && pcv__next(&it, g); steps++) {
		struct inl_call c = { 0 };
		int32_t ix = it.val;
		int depth = 0, k;

		if (it.pc >= f->end)
			break;
		/* up to the call made by f itself */
		while (!inl_call(g, fd, ix, &c) && f->entry + c.parent_pc < f->end &&
		       !inl_index(g, fd, f->entry, f->entry + c.parent_pc, &ix) && ix >= 0 &&
		       ++depth < MAX_INL_DEPTH)
			;
		if (!c.name)
			continue;
		for (k = 0; k < n && strcmp(names[k], c.name); k++)
			;
		if (k == n)
			names[n++] = c.name;
	}
	return n;
}
