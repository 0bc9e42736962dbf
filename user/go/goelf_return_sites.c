// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Where a Go function has returned, on an instruction the kernel emulates.
 *
 * A probe on a RET is single-stepped (~10 us here). When every way into a
 * function is a direct call, its return lands right after one of them: the
 * first emulated instruction (a call, a jump, a push) that only that return
 * reaches sees the same goroutine, done with the function. A jump into it
 * or its address in code: the RETs stay the only sure end. Its address in
 * data (a func value, an itab) is said: calls through it are not seen. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <capstone/capstone.h>
#include "elf_file.h"
#include "insn_walk.h"
#include "probe_site.h"
#include "goelf.h"
#include "goelf_int.h"
#include "gopclntab.h"

/* The longest caller decoded, and the most instructions walked after a return. */
#define MAX_CALLER_SIZE (1u << 20)
#define MAX_WALK 16
/* Rel32 references worth decoding their function for; more means a
 * function used everywhere, not a transaction's */
#define MAX_REFS 64

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
		r->refs = (r->target == fn && !r->call) || rip_target(i) == fn;
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
static uint64_t after_return(const struct caller *c, size_t k, uint64_t deferreturn)
{
	if (c->indirect_jump)
		return 0;
	for (size_t j = k + 1; j < c->n && j <= k + MAX_WALK; j++) {
		const struct insn_rec *r = &c->insns[j];

		if (is_target(c, r->addr) || (r->call && r->target == deferreturn))
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
	uint64_t *out;
	int max, n;
	uint64_t done[MAX_REFS]; /* callers decoded */
	int nr_done;
};

/* Every reference to fn inside the function [entry, end): calls give a
 * site each, anything else fails */
static int scan_caller(const struct text *t, const struct gofunc *f, uint64_t fn,
		       uint64_t deferreturn, struct sites *s)
{
	struct caller c;
	int rc = 0;

	for (int k = 0; k < s->nr_done; k++)
		if (s->done[k] == f->entry)
			return 0;
	if (s->nr_done == MAX_REFS || caller_decode(t, f->entry, f->end, fn, &c))
		return -1;
	s->done[s->nr_done++] = f->entry;
	for (size_t k = 0; k < c.n && !rc; k++) {
		uint64_t site;

		if (c.insns[k].refs) {
			rc = -1;
		} else if (c.insns[k].call && c.insns[k].target == fn) {
			site = after_return(&c, k, deferreturn);
			if (!site || s->n == s->max)
				rc = -1;
			else
				s->out[s->n++] = site - t->vaddr + t->off;
		}
	}
	free(c.insns);
	return rc;
}

/* A pointer to fn anywhere in the loaded data (func values, itabs, a
 * PIE's relocations): 8-byte aligned, as Go lays them out */
static bool data_refers(int fd, Elf *e, uint64_t fn)
{
	uint8_t *buf;
	GElf_Phdr ph;
	bool found = false;
	size_t n;

	if (elf_getphdrnum(e, &n))
		return true;
	for (size_t k = 0; k < n && !found; k++) {
		if (!gelf_getphdr(e, k, &ph) || ph.p_type != PT_LOAD || (ph.p_flags & PF_X) ||
		    !ph.p_filesz)
			continue;
		if (ph.p_filesz > (1ull << 31) || !(buf = malloc(ph.p_filesz)))
			return true;
		if (pread(fd, buf, ph.p_filesz, ph.p_offset) != (ssize_t)ph.p_filesz)
			found = true;
		for (uint64_t o = (8 - ph.p_offset % 8) % 8; !found && o + 8 <= ph.p_filesz; o += 8) {
			uint64_t v;

			memcpy(&v, buf + o, 8);
			found = v == fn;
		}
		free(buf);
	}
	return found;
}

static int text_read(int fd, Elf *e, struct text *t)
{
	GElf_Phdr ph;
	size_t n;

	if (elf_getphdrnum(e, &n))
		return -1;
	for (size_t k = 0; k < n; k++) {
		if (!gelf_getphdr(e, k, &ph) || ph.p_type != PT_LOAD || !(ph.p_flags & PF_X))
			continue;
		if (ph.p_filesz > (1ull << 31) || !(t->buf = malloc(ph.p_filesz)))
			return -1;
		t->vaddr = ph.p_vaddr;
		t->off = ph.p_offset;
		t->size = ph.p_filesz;
		if (pread(fd, t->buf, t->size, t->off) != (ssize_t)t->size)
			return -1;
		return 0;
	}
	return -1;
}

/* The functions a short jump (rel8) could reach fn from: its neighbours */
static int near_jumps(const struct text *t, struct gopcln *tab, const struct gofunc *fn,
		      uint64_t deferreturn, struct sites *s)
{
	uint64_t probe[2] = { fn->entry - 1, fn->end };
	struct gofunc f;

	for (int k = 0; k < 2; k++)
		if (!gopcln__func_at(tab, probe[k], &f) && f.entry != fn->entry &&
		    scan_caller(t, &f, fn->entry, deferreturn, s))
			return -1;
	return 0;
}

int goelf__return_sites(const char *path, uint64_t vaddr, uint64_t *file_offs, int max,
			bool *taken)
{
	struct gopcln *tab = goelf__pclntab(path);
	struct sites s = { .out = file_offs, .max = max };
	struct text t = { 0 };
	struct gofunc fn, f, dr;
	uint64_t deferreturn = 0;
	int fd, rc = -1;
	Elf *e;

	if (!tab || gopcln__func_at(tab, vaddr, &fn) || fn.entry != vaddr)
		return -1;
	if (!gopcln__func_by_name(tab, "runtime.deferreturn", 0, &dr))
		deferreturn = dr.entry;
	e = elf_file__open(path, &fd);
	if (!e)
		return -1;
	*taken = data_refers(fd, e, vaddr);
	if (text_read(fd, e, &t) || near_jumps(&t, tab, &fn, deferreturn, &s))
		goto out;
	/* rel32 = fn - (position + 4): read32(i) + i is one constant at every
	 * reference (calls, jumps, RIP-relative operands) */
	{
		uint32_t want = (uint32_t)(vaddr - t.vaddr - 4), v;

		for (uint64_t i = 0; i + 4 <= t.size; i++) {
			memcpy(&v, t.buf + i, 4);
			if ((uint32_t)(v + i) != want)
				continue;
			if (gopcln__func_at(tab, t.vaddr + i, &f))
				goto out; /* code no Go function owns: unknown */
			if (f.entry != fn.entry && scan_caller(&t, &f, vaddr, deferreturn, &s))
				goto out;
		}
	}
	rc = s.n;
out:
	free(t.buf);
	elf_file__close(e, fd);
	return rc;
}
