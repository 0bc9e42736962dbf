// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A Go binary's code, read with capstone: functions' RETs, the entry past
 * the stack check, calls, and what symbols no longer say (allgs, the wait
 * reasons) read from the code that uses it (goelf.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <capstone/capstone.h>
#include "elf_file.h"
#include "insn_walk.h"
#include "goelf.h"
#include "goelf_int.h"
#include "gopclntab.h"
#include "return_sites.h"

/* The longest function goelf__rets and the prologue scan will read. */
#define MAX_FUNC_SIZE (16u << 20)
/* The prologue's stack check is within its first few instructions. */
#define PROLOGUE_INSNS 16
/* The morestack block: spills, the call, reloads, the jump back. */
#define MORESTACK_INSNS 64

/* RIP-relative addresses an instruction's operands refer to. */
struct rip_refs {
	uint64_t refs[64];
	int n;
};

static int rip_refs_insn(void *ctx, csh cs, const cs_insn *insn, uint64_t file_off)
{
	struct rip_refs *r = ctx;

	(void)cs;
	(void)file_off;
	for (int i = 0; i < insn->detail->x86.op_count && r->n < 64; i++) {
		const cs_x86_op *o = &insn->detail->x86.operands[i];

		if (o->type == X86_OP_MEM && o->mem.base == X86_REG_RIP)
			r->refs[r->n++] = insn->address + insn->size + o->mem.disp;
	}
	return r->n >= 64;
}

/* runtime.allgs without symbols: runtime.allgadd appends to it, so its code
 * reads the slice's three words (ptr, len, cap: RIP-relative A, A+8, A+16).
 * What is found here is checked on the live process (gomem). */
void goelf_allgs_by_code(const char *path, struct go_info *gi)
{
	struct gopcln *tab = goelf__pclntab(path);
	struct rip_refs r = { .n = 0 };
	struct gofunc f;

	if (!tab || gopcln__func_by_name(tab, "runtime.allgadd", 0, &f) || f.end - f.entry > 4096 ||
	    goelf__decode(path, f.entry, f.end - f.entry, rip_refs_insn, &r))
		return;
	for (int i = 0; i < r.n && !gi->allgs_vaddr; i++) {
		bool len_ref = false, cap_ref = false;

		for (int j = 0; j < r.n; j++) {
			len_ref |= r.refs[j] == r.refs[i] + 8;
			cap_ref |= r.refs[j] == r.refs[i] + 16;
		}
		if (len_ref && cap_ref)
			gi->allgs_vaddr = r.refs[i];
	}
}

/* vaddr's file offset in an executable PT_LOAD, with the bytes up to vaddr+size on disk. */
int goelf_text_off(Elf *e, uint64_t vaddr, uint64_t size, uint64_t *off)
{
	GElf_Phdr ph;
	size_t n;

	if (elf_getphdrnum(e, &n))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!gelf_getphdr(e, i, &ph) || ph.p_type != PT_LOAD || !(ph.p_flags & PF_X))
			continue;
		if (vaddr >= ph.p_vaddr && vaddr - ph.p_vaddr < ph.p_filesz &&
		    size <= ph.p_filesz - (vaddr - ph.p_vaddr) &&
		    ph.p_offset <= UINT64_MAX - ph.p_filesz) { /* the offset may not wrap */
			*off = vaddr - ph.p_vaddr + ph.p_offset;
			return 0;
		}
	}
	return -1;
}

/* The function's bytes, its entry's file offset and a capstone handle. */
struct code {
	unsigned char *buf;
	uint64_t off;
	csh cs;
};

static int code_open(const char *path, uint64_t vaddr, uint64_t size, struct code *c)
{
	GElf_Ehdr eh;
	int fd, rc = -1;
	Elf *e;

	memset(c, 0, sizeof(*c));
	if (!size || size > MAX_FUNC_SIZE || vaddr + size < vaddr)
		return -1;
	e = elf_file__open(path, &fd);
	if (!e)
		return -1;
	if (gelf_getehdr(e, &eh) && eh.e_machine == EM_X86_64 && !goelf_text_off(e, vaddr, size, &c->off) &&
	    (c->buf = malloc(size)) && pread(fd, c->buf, size, c->off) == (ssize_t)size &&
	    !insn_walk__open(&c->cs))
		rc = 0;
	if (rc) {
		free(c->buf);
		c->buf = NULL;
	}
	elf_file__close(e, fd);
	return rc;
}

static void code_close(struct code *c)
{
	if (c->buf)
		cs_close(&c->cs);
	free(c->buf);
}

/* strict: a byte that does not decode fails the walk (EILSEQ): what is
 * decoded past it might start inside an instruction */
static int decode(const char *path, uint64_t vaddr, uint64_t size, goelf_insn_fn fn, void *ctx,
		  bool strict)
{
	const cs_insn *insn;
	struct insn_walk w;
	struct code c;
	int rc = 0;

	if (code_open(path, vaddr, size, &c))
		return -1;
	if (!insn_walk__start(&w, c.cs, c.buf, size, vaddr)) {
		code_close(&c);
		return -1;
	}
	w.skip_bad = !strict; /* an undecodable byte: Go has no data in text */
	while (!rc && (insn = insn_walk__next(&w)))
		rc = fn(ctx, c.cs, insn, c.off + (insn->address - vaddr));
	if (!rc && strict && w.left) {
		errno = EILSEQ;
		rc = -1;
	}
	insn_walk__end(&w);
	code_close(&c);
	return rc < 0 ? -1 : 0;
}

int goelf__decode(const char *path, uint64_t vaddr, uint64_t size, goelf_insn_fn fn, void *ctx)
{
	return decode(path, vaddr, size, fn, ctx, false);
}

struct rets_walk {
	uint64_t *file_offs;
	int max, n;
};

static int rets_insn(void *ctx, csh cs, const cs_insn *insn, uint64_t file_off)
{
	struct rets_walk *w = ctx;

	(void)cs;
	if (insn->id != X86_INS_RET)
		return 0;
	if (w->file_offs) {
		if (w->n >= w->max) {
			errno = E2BIG;
			return -1;
		}
		w->file_offs[w->n] = file_off;
	}
	w->n++;
	return 0;
}

int goelf__rets(const char *path, uint64_t vaddr, uint64_t size, uint64_t *file_offs, int max)
{
	struct rets_walk w = { .file_offs = file_offs, .max = max };

	/* probes go there: decoded from the entry to the end, or none */
	return decode(path, vaddr, size, rets_insn, &w, true) ? -1 : w.n;
}

static bool is_jcc(csh cs, const cs_insn *i)
{
	return cs_insn_group(cs, i, X86_GRP_JUMP) && i->id != X86_INS_JMP;
}

static bool imm_target(const cs_insn *i, uint64_t *t)
{
	const cs_x86 *x = &i->detail->x86;

	if (x->op_count != 1 || x->operands[0].type != X86_OP_IMM)
		return false;
	*t = x->operands[0].imm;
	return true;
}

/* Does the block at target call (runtime.morestack*) and then jump back to the entry? */
static bool morestack_block(struct code *c, uint64_t vaddr, uint64_t size, uint64_t target)
{
	const cs_insn *insn;
	struct insn_walk w;
	bool called = false, ok = false;

	if (target <= vaddr || target >= vaddr + size)
		return false;
	insn_walk__start(&w, c->cs, c->buf + (target - vaddr), size - (target - vaddr), target);
	for (int i = 0; i < MORESTACK_INSNS && (insn = insn_walk__next(&w)); i++) {
		uint64_t t;

		if (insn->id == X86_INS_CALL) {
			called = true;
		} else if (insn->id == X86_INS_JMP) {
			ok = called && imm_target(insn, &t) && t == vaddr;
			break;
		} else if (insn->id == X86_INS_RET) {
			break;
		}
	}
	insn_walk__end(&w);
	return ok;
}

/* push, or rsp moved (sub, or add of a negative): the frame being made */
static bool frame_setup(const cs_insn *i)
{
	const cs_x86 *x = &i->detail->x86;

	return i->id == X86_INS_PUSH ||
	       ((i->id == X86_INS_SUB || i->id == X86_INS_ADD) && x->op_count == 2 &&
		x->operands[0].type == X86_OP_REG && x->operands[0].reg == X86_REG_RSP);
}

int goelf__entry_after_prologue(const char *path, uint64_t vaddr, uint64_t size,
				uint64_t *file_off)
{
	uint64_t after = vaddr;
	const cs_insn *insn;
	struct insn_walk w;
	struct code c;

	if (code_open(path, vaddr, size, &c))
		return -1;
	insn_walk__start(&w, c.cs, c.buf, size, vaddr);
	for (int i = 0; i < PROLOGUE_INSNS && (insn = insn_walk__next(&w)); i++) {
		uint64_t t;

		if (insn->id == X86_INS_CALL || insn->id == X86_INS_RET || insn->id == X86_INS_JMP ||
		    frame_setup(insn))
			break; /* the stack check comes before the frame is made */
		/* the last one: a big frame checks for underflow, then the bound */
		if (is_jcc(c.cs, insn) && imm_target(insn, &t) &&
		    morestack_block(&c, vaddr, size, t))
			after = insn->address + insn->size;
	}
	insn_walk__end(&w);
	*file_off = c.off + (after - vaddr);
	code_close(&c);
	return 0;
}

/* runtime.waitReasonStrings without symbols: waitReason.String checks the
 * code against the array's length (`cmp $N, %al`), then indexes the array
 * (a RIP-relative `lea`, then a load through it with an index). [N]string:
 * 16 bytes each. */
struct wait_reasons {
	uint64_t lea, n, vaddr, size;
};

static int wait_reasons_insn(void *ctx, csh cs, const cs_insn *insn, uint64_t file_off)
{
	struct wait_reasons *w = ctx;
	const cs_x86 *x = &insn->detail->x86;

	(void)cs;
	(void)file_off;
	/* a byte's compare: n * 16 must not wrap */
	if (!w->n && insn->id == X86_INS_CMP && x->op_count == 2 &&
	    x->operands[1].type == X86_OP_IMM && x->operands[1].imm > 0 && x->operands[1].imm < 256)
		w->n = x->operands[1].imm;
	else if (insn->id == X86_INS_LEA && x->op_count == 2 && x->operands[1].type == X86_OP_MEM &&
		 x->operands[1].mem.base == X86_REG_RIP)
		w->lea = insn->address + insn->size + x->operands[1].mem.disp;
	else if (w->lea && w->n && insn->id == X86_INS_MOV && x->op_count == 2 &&
		 x->operands[1].type == X86_OP_MEM && x->operands[1].mem.index != X86_REG_INVALID) {
		w->vaddr = w->lea;
		w->size = w->n * 16;
		return 1;
	}
	return 0;
}

int goelf_wait_reasons_by_code(const char *path, uint64_t *vaddr, uint64_t *size)
{
	struct gopcln *tab = goelf__pclntab(path);
	struct wait_reasons w = { 0 };
	struct gofunc f;

	if (!tab || gopcln__func_by_name(tab, "runtime.waitReason.String", 0, &f) ||
	    f.end - f.entry > 256 ||
	    goelf__decode(path, f.entry, f.end - f.entry, wait_reasons_insn, &w) || !w.size)
		return -1;
	*vaddr = w.vaddr;
	*size = w.size;
	return 0;
}

struct calls_walk {
	uint64_t *targets;
	int max, n;
};

static int calls_insn(void *ctx, csh cs, const cs_insn *insn, uint64_t file_off)
{
	struct calls_walk *w = ctx;
	uint64_t t;

	(void)cs;
	(void)file_off;
	if (insn->id == X86_INS_CALL && imm_target(insn, &t))
		w->targets[w->n++] = t;
	return w->n >= w->max;
}

int goelf__calls(const char *path, uint64_t vaddr, uint64_t size, uint64_t *targets, int max)
{
	struct calls_walk w = { .targets = targets, .max = max };

	if (max <= 0)
		return 0;
	return goelf__decode(path, vaddr, size, calls_insn, &w) ? -1 : w.n;
}

struct call_sites_walk {
	uint64_t target, *file_offs;
	int max, n;
};

static int call_sites_insn(void *ctx, csh cs, const cs_insn *insn, uint64_t file_off)
{
	struct call_sites_walk *w = ctx;
	uint64_t t;

	(void)cs;
	if (insn->id != X86_INS_CALL || !imm_target(insn, &t) || t != w->target)
		return 0;
	if (w->n < w->max)
		w->file_offs[w->n] = file_off;
	w->n++;
	return 0;
}

int goelf__call_sites(const char *path, uint64_t vaddr, uint64_t size, uint64_t target,
		      uint64_t *file_offs, int max)
{
	struct call_sites_walk w = { .target = target, .file_offs = file_offs, .max = max };

	return goelf__decode(path, vaddr, size, call_sites_insn, &w) ? -1 : w.n;
}

static int pcln_func_at(void *ctx, uint64_t vaddr, uint64_t *entry, uint64_t *end)
{
	struct gofunc f;

	if (gopcln__func_at(ctx, vaddr, &f))
		return -1;
	*entry = f.entry;
	*end = f.end;
	return 0;
}

int goelf__return_sites(const char *path, uint64_t vaddr, uint64_t *file_offs, int max,
			bool *taken)
{
	struct gopcln *tab = goelf__pclntab(path);
	struct code_funcs cf = { .func_at = pcln_func_at, .ctx = tab };
	uint64_t calls[64];
	struct return_sites rs = { .calls = calls, .rets = file_offs, .max = max < 64 ? max : 64 };
	struct gofunc dr;
	int n;

	*taken = false;
	if (!tab)
		return -1;
	/* a recovered panic resumes at the deferreturn call: not a return */
	if (!gopcln__func_by_name(tab, "runtime.deferreturn", 0, &dr))
		cf.no_site_call = dr.entry;
	n = return_sites__find(path, vaddr, &cf, &rs);
	*taken = rs.taken;
	return n;
}
