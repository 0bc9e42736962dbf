// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Where a function is called and where it has returned, on instructions
 * the kernel emulates.
 *
 * A probe on a RET is single-stepped (~10 us here), so is one on an entry
 * that starts with a mov. When every way into a function is a direct call,
 * its call instructions see its arguments, and its return lands right after
 * one of them: the first emulated instruction (a call, a jump, a push) that
 * only that return reaches sees the same thread or goroutine, done with it.
 * Every reference is found (rel32 in text, pointers in data) and checked in
 * its decoded caller; anything else (a jump into it, its address in code)
 * fails, and the caller keeps the single-stepped sites. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <capstone/capstone.h>
#include "elf_file.h"
#include "insn_walk.h"
#include "probe_site.h"
#include "return_sites.h"

/* The longest caller decoded, and the most instructions walked after a return. */
#define MAX_CALLER_SIZE (1u << 20)
#define MAX_WALK 16
/* Rel32 references worth decoding their function for; more means a
 * function used everywhere, not a transaction's */
#define MAX_REFS 64
#define MAX_SITES 64

struct insn_rec {
	uint64_t addr, target; /* target: a direct branch's, else 0 */
	uint8_t size;
	uint8_t path;	/* enum trap_path */
	bool call, flow; /* a call; a transfer the walk cannot follow (ret, an
			  * indirect jump; an indirect call comes back) */
	bool ret;
	bool refs; /* some operand names the function's address */
};

struct caller {
	struct insn_rec *insns;
	size_t n;
	bool indirect_jump; /* a jump table: targets unknown */
};

struct text {
	uint8_t *buf;
	uint64_t vaddr, off, size;
	uint64_t secs[32][2]; /* code sections: what no function owns (.plt, .init) */
	int nr_secs;
};

static uint64_t rip_target(const cs_insn *i)
{
	const cs_x86 *x = &i->detail->x86;

	for (int k = 0; k < x->op_count; k++)
		if (x->operands[k].type == X86_OP_MEM && x->operands[k].mem.base == X86_REG_RIP)
			return i->address + i->size + x->operands[k].mem.disp;
	return 0;
}

static int caller_decode(const struct text *t, uint64_t entry, uint64_t end, uint64_t fn,
			 struct caller *c)
{
	const cs_insn *i;
	struct insn_walk w;
	size_t cap = 0;
	int rc = 0;
	csh cs;

	memset(c, 0, sizeof(*c));
	if (end <= entry || end - entry > MAX_CALLER_SIZE || entry < t->vaddr ||
	    end - t->vaddr > t->size || insn_walk__open(&cs))
		return -1;
	if (!insn_walk__start(&w, cs, t->buf + (entry - t->vaddr), end - entry, entry)) {
		cs_close(&cs);
		return -1;
	}
	/* no skip_bad: a byte that does not decode leaves the caller unknown */
	while ((i = insn_walk__next(&w))) {
		const cs_x86 *x = &i->detail->x86;
		struct insn_rec *r;
		bool branch = i->id == X86_INS_CALL || cs_insn_group(cs, i, X86_GRP_JUMP);

		if (c->n == cap) {
			void *p = realloc(c->insns, (cap = cap ? cap * 2 : 256) * sizeof(*r));

			if (!p) {
				rc = -1;
				break;
			}
			c->insns = p;
		}
		r = &c->insns[c->n++];
		*r = (struct insn_rec){ .addr = i->address, .size = i->size };
		r->path = probe_site__path(cs, i);
		r->call = i->id == X86_INS_CALL;
		r->ret = i->id == X86_INS_RET;
		if (branch && x->op_count == 1 && x->operands[0].type == X86_OP_IMM)
			r->target = (uint64_t)x->operands[0].imm;
		else if ((branch && i->id != X86_INS_CALL) || i->id == X86_INS_RET ||
			 i->id == X86_INS_RETF ||
			 i->id == X86_INS_INT3 || i->id == X86_INS_UD2)
			r->flow = true;
		if (branch && !r->call && !r->target)
			c->indirect_jump = true;
		r->refs = fn && ((r->target == fn && !r->call) || rip_target(i) == fn);
		for (int k = 0; k < x->op_count && !branch && fn; k++)
			r->refs |= x->operands[k].type == X86_OP_IMM &&
				   (uint64_t)x->operands[k].imm == fn; /* a non-PIE address */
	}
	if (w.left)
		rc = -1; /* stopped short of the end */
	insn_walk__end(&w);
	cs_close(&cs);
	if (rc)
		free(c->insns);
	return rc;
}

static bool is_target(const struct caller *c, uint64_t a)
{
	for (size_t k = 0; k < c->n; k++)
		if (c->insns[k].target == a && !c->insns[k].call)
			return true;
	return false;
}

/* From the call at index k: the first emulated instruction its return
 * alone reaches, or 0 */
static uint64_t after_return(const struct caller *c, size_t k, uint64_t no_site_call)
{
	if (c->indirect_jump)
		return 0;
	for (size_t j = k + 1; j < c->n && j <= k + MAX_WALK; j++) {
		const struct insn_rec *r = &c->insns[j];

		if (is_target(c, r->addr) || (no_site_call && r->call && r->target == no_site_call))
			return 0;
		/* the caller's own end: its RET, single-stepped, but on this
		 * path only */
		if (r->flow)
			return r->ret ? r->addr : 0;
		if (r->path == TRAP_EMULATED || r->path == TRAP_OPTIMIZED)
			return r->addr;
	}
	return 0;
}

struct sites {
	struct return_sites *rs;
	const struct code_funcs *cf;
	uint64_t done[MAX_REFS]; /* callers decoded */
	int nr_done;
	/* the stretches [return address, site] each call site's end relies on */
	uint64_t win[MAX_SITES][2], owner[MAX_SITES][2];
};

/* Every reference to fn inside the function [entry, end): calls give a
 * site each, anything else fails */
static int scan_caller(const struct text *t, uint64_t entry, uint64_t end, uint64_t fn,
		       struct sites *s)
{
	struct return_sites *rs = s->rs;
	struct caller c;
	int rc = 0;

	for (int k = 0; k < s->nr_done; k++)
		if (s->done[k] == entry)
			return 0;
	if (s->nr_done == MAX_REFS || caller_decode(t, entry, end, fn, &c))
		return -1;
	s->done[s->nr_done++] = entry;
	for (size_t k = 0; k < c.n && !rc; k++) {
		uint64_t site;

		if (c.insns[k].refs) {
			rc = -1;
		} else if (c.insns[k].call && c.insns[k].target == fn) {
			site = after_return(&c, k, s->cf->no_site_call);
			if (!site || rs->n == rs->max || rs->n == MAX_SITES) {
				rc = -1;
				continue;
			}
			s->win[rs->n][0] = c.insns[k].addr + c.insns[k].size;
			s->win[rs->n][1] = site;
			s->owner[rs->n][0] = entry;
			s->owner[rs->n][1] = end;
			rs->calls[rs->n] = c.insns[k].addr - t->vaddr + t->off;
			rs->rets[rs->n++] = site - t->vaddr + t->off;
		}
	}
	free(c.insns);
	return rc;
}

/* A pointer to fn anywhere in the loaded data (func values, itabs, a
 * PIE's relocations, a vtable): 8-byte aligned, as compilers lay them out.
 * Read in chunks: the data can be tens of MB. */
static bool data_refers(int fd, Elf *e, uint64_t fn)
{
	enum { CHUNK = 256 << 10 };
	uint64_t *buf = malloc(CHUNK);
	GElf_Phdr ph;
	bool found = !buf;
	size_t n;

	if (elf_getphdrnum(e, &n))
		found = true;
	for (size_t k = 0; k < n && !found; k++) {
		if (!gelf_getphdr(e, k, &ph) || ph.p_type != PT_LOAD || (ph.p_flags & PF_X))
			continue;
		/* from the first 8-aligned vaddr */
		for (uint64_t o = (8 - ph.p_vaddr % 8) % 8; !found && o < ph.p_filesz; o += CHUNK) {
			size_t want = ph.p_filesz - o < CHUNK ? ph.p_filesz - o : CHUNK;
			ssize_t got = pread(fd, buf, want, (off_t)(ph.p_offset + o));

			if (got != (ssize_t)want) {
				found = true; /* unreadable: assume the worst */
				break;
			}
			for (size_t w = 0; w < want / 8 && !found; w++)
				found = buf[w] == fn;
		}
	}
	free(buf);
	return found;
}

static void code_sections(Elf *e, struct text *t)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(e, scn)) && t->nr_secs < 32)
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_PROGBITS &&
		    (sh.sh_flags & SHF_EXECINSTR) && sh.sh_addr >= t->vaddr &&
		    sh.sh_addr - t->vaddr <= t->size &&
		    sh.sh_size <= t->size - (sh.sh_addr - t->vaddr)) {
			t->secs[t->nr_secs][0] = sh.sh_addr;
			t->secs[t->nr_secs++][1] = sh.sh_addr + sh.sh_size;
		}
}

static int text_read(int fd, Elf *e, uint64_t fn, struct text *t)
{
	GElf_Phdr ph;
	size_t n;

	if (elf_getphdrnum(e, &n))
		return -1;
	for (size_t k = 0; k < n; k++) {
		if (!gelf_getphdr(e, k, &ph) || ph.p_type != PT_LOAD || !(ph.p_flags & PF_X) ||
		    fn < ph.p_vaddr || fn - ph.p_vaddr >= ph.p_filesz)
			continue;
		if (ph.p_filesz > (1ull << 31) || ph.p_vaddr > UINT64_MAX - ph.p_filesz)
			return -1; /* vaddr + size is used as the text's end */
		/* populated at once: MBs faulted in page by page cost more here
		 * than the copy */
		t->buf = mmap(NULL, ph.p_filesz, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (t->buf == MAP_FAILED) {
			t->buf = NULL;
			return -1;
		}
		t->vaddr = ph.p_vaddr;
		t->off = ph.p_offset;
		t->size = ph.p_filesz;
		if (pread(fd, t->buf, t->size, t->off) != (ssize_t)t->size)
			return -1;
		code_sections(e, t);
		return 0;
	}
	return -1;
}

/* The function holding vaddr, else the code section (a PLT): decoded whole */
static int owner_of(const struct text *t, const struct code_funcs *cf, uint64_t vaddr,
		    uint64_t *entry, uint64_t *end)
{
	if (!cf->func_at(cf->ctx, vaddr, entry, end))
		return 0;
	for (int k = 0; k < t->nr_secs; k++)
		if (vaddr >= t->secs[k][0] && vaddr < t->secs[k][1]) {
			*entry = t->secs[k][0];
			*end = t->secs[k][1];
			return 0;
		}
	return -1;
}

/* Where text refers to fn: rel32 = target - (position + 4), so read32(i) + i
 * is one constant at every call, jump and RIP-relative operand; in a
 * fixed-address executable, an absolute imm32 too. Each is checked in the
 * function that holds it (a coincidence in other bytes is no reference). */
static int text_refs(const struct text *t, uint64_t fn, uint64_t fn_entry, bool abs32,
		     struct sites *s)
{
	uint32_t want = (uint32_t)(fn - t->vaddr - 4), v;
	uint64_t entry, end;

	for (uint64_t i = 0; i + 4 <= t->size; i++) {
		memcpy(&v, t->buf + i, 4);
		if (__builtin_expect((uint32_t)(v + i) != want, 1) && !(abs32 && v == fn))
			continue;
		if (owner_of(t, s->cf, t->vaddr + i, &entry, &end))
			return -1; /* code nothing owns: unknown */
		if (entry != fn_entry && scan_caller(t, entry, end, fn, s))
			return -1;
	}
	return 0;
}

/* Does the function holding at jump into [lo, hi]? Unknown: yes */
static bool jumps_into(const struct text *t, const struct code_funcs *cf, uint64_t at,
		       uint64_t lo, uint64_t hi)
{
	uint64_t entry, end;
	struct caller c;
	bool in = false;

	if (owner_of(t, cf, at, &entry, &end) || caller_decode(t, entry, end, 0, &c))
		return true;
	for (size_t k = 0; k < c.n && !in; k++)
		in = c.insns[k].target >= lo && c.insns[k].target <= hi;
	free(c.insns);
	return in;
}

/* A jump from outside a caller into what its call site's end relies on (a
 * cold part's way back, say): the site is not the return's alone */
static bool window_entered(const struct text *t, const struct sites *s)
{
	uint64_t lo = UINT64_MAX, hi = 0;

	for (int k = 0; k < s->rs->n; k++) {
		lo = s->win[k][0] < lo ? s->win[k][0] : lo;
		hi = s->win[k][1] > hi ? s->win[k][1] : hi;
	}
	for (uint64_t i = 0; i + 4 <= t->size; i++) {
		int32_t rel;
		uint64_t to, at = t->vaddr + i;

		memcpy(&rel, t->buf + i, 4);
		/* rel + i lands in [lo, hi] seen from the text's start: one
		 * unsigned compare */
		if (__builtin_expect((uint32_t)((uint32_t)rel + (uint32_t)i -
						 (uint32_t)(lo - t->vaddr - 4)) >
					     (uint32_t)(hi - lo), 1))
			continue;
		to = at + 4 + (int64_t)rel;
		if (to < lo || to > hi)
			continue;
		for (int k = 0; k < s->rs->n; k++)
			if (to >= s->win[k][0] && to <= s->win[k][1] &&
			    (at < s->owner[k][0] || at >= s->owner[k][1]) &&
			    jumps_into(t, s->cf, at, s->win[k][0], s->win[k][1]))
				return true;
	}
	return false;
}

/* The functions a short jump (rel8) could reach fn from: every one within
 * 128 bytes of it */
static int near_jumps(const struct text *t, uint64_t fn, uint64_t fn_end, struct sites *s)
{
	uint64_t a = fn > t->vaddr + 130 ? fn - 130 : t->vaddr, entry, end;

	while (a < fn_end + 130 && a < t->vaddr + t->size) {
		if (s->cf->func_at(s->cf->ctx, a, &entry, &end)) {
			a++;
			continue;
		}
		if (entry != fn && scan_caller(t, entry, end, fn, s))
			return -1;
		a = end > a ? end : a + 1;
	}
	return 0;
}

int return_sites__find(const char *path, uint64_t fn, const struct code_funcs *cf,
		       struct return_sites *rs)
{
	struct sites *s = calloc(1, sizeof(*s));
	struct text t = { 0 };
	uint64_t entry, end;
	GElf_Ehdr eh;
	int fd, rc = -1;
	Elf *e;

	rs->n = 0;
	rs->taken = false;
	if (!s)
		return -1;
	s->rs = rs;
	s->cf = cf;
	if (cf->func_at(cf->ctx, fn, &entry, &end) || entry != fn || !(e = elf_file__open(path, &fd))) {
		free(s);
		return -1;
	}
	rs->taken = data_refers(fd, e, fn);
	if (gelf_getehdr(e, &eh) && eh.e_machine == EM_X86_64 && !text_read(fd, e, fn, &t) &&
	    !near_jumps(&t, fn, end, s) &&
	    !text_refs(&t, fn, entry, eh.e_type == ET_EXEC && fn < (1ull << 32), s) &&
	    !window_entered(&t, s))
		rc = rs->n;
	if (t.buf)
		munmap(t.buf, t.size);
	free(s);
	elf_file__close(e, fd);
	return rc;
}
