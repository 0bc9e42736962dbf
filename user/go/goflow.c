// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include <string.h>
#include "goelf.h"
#include "goflow.h"
#include "gopclntab.h"

/* The runtime functions read here are a few KB; refuse what is not. */
#define MAX_CODE (64u << 10)
#define NR_REGS 16
#define R_AX 0
#define R_SP 4
#define R_G 14 /* R14 */
#define MAX_SLOTS 128
#define MAX_PENDING 512

/* The register ABI's integer argument registers, in order. */
static const int arg_regs[] = { 0 /* RAX */, 3 /* RBX */, 1 /* RCX */, 7 /* RDI */, 6 /* RSI */,
				8, 9, 10, 11 };
#define NR_ARG_REGS ((int)(sizeof(arg_regs) / sizeof(arg_regs[0])))

struct pending {
	uint64_t target;
	int regs[NR_REGS];
};

struct goflow {
	struct gv *vals;
	size_t nr_vals, cap_vals;
	struct gf_ev *evs;
	size_t nr_evs, cap_evs;
	int regs[NR_REGS];
	bool dead; /* after a jmp or ret: nothing falls through */
	struct {
		int64_t off;
		int val;
	} slots[MAX_SLOTS];
	int nr_slots;
	struct pending *pend;
	int nr_pend;
	uint64_t entry, end;
	const struct gopcln *tab;
	bool oom;
};

/* Hardware number (0 RAX .. 15 R15) of any width of a GPR, or -1. */
static int reg_no(x86_reg r)
{
	switch (r) {
	case X86_REG_AL: case X86_REG_AH: case X86_REG_AX: case X86_REG_EAX: case X86_REG_RAX:
		return 0;
	case X86_REG_CL: case X86_REG_CH: case X86_REG_CX: case X86_REG_ECX: case X86_REG_RCX:
		return 1;
	case X86_REG_DL: case X86_REG_DH: case X86_REG_DX: case X86_REG_EDX: case X86_REG_RDX:
		return 2;
	case X86_REG_BL: case X86_REG_BH: case X86_REG_BX: case X86_REG_EBX: case X86_REG_RBX:
		return 3;
	case X86_REG_SPL: case X86_REG_SP: case X86_REG_ESP: case X86_REG_RSP: return 4;
	case X86_REG_BPL: case X86_REG_BP: case X86_REG_EBP: case X86_REG_RBP: return 5;
	case X86_REG_SIL: case X86_REG_SI: case X86_REG_ESI: case X86_REG_RSI: return 6;
	case X86_REG_DIL: case X86_REG_DI: case X86_REG_EDI: case X86_REG_RDI: return 7;
	case X86_REG_R8B: case X86_REG_R8W: case X86_REG_R8D: case X86_REG_R8: return 8;
	case X86_REG_R9B: case X86_REG_R9W: case X86_REG_R9D: case X86_REG_R9: return 9;
	case X86_REG_R10B: case X86_REG_R10W: case X86_REG_R10D: case X86_REG_R10: return 10;
	case X86_REG_R11B: case X86_REG_R11W: case X86_REG_R11D: case X86_REG_R11: return 11;
	case X86_REG_R12B: case X86_REG_R12W: case X86_REG_R12D: case X86_REG_R12: return 12;
	case X86_REG_R13B: case X86_REG_R13W: case X86_REG_R13D: case X86_REG_R13: return 13;
	case X86_REG_R14B: case X86_REG_R14W: case X86_REG_R14D: case X86_REG_R14: return 14;
	case X86_REG_R15B: case X86_REG_R15W: case X86_REG_R15D: case X86_REG_R15: return 15;
	default: return -1;
	}
}

static bool same_val(const struct gv *a, const struct gv *b)
{
	return a->kind == b->kind && a->parent == b->parent && a->a == b->a &&
	       a->disp == b->disp && a->size == b->size && a->target == b->target;
}

/* The id of v, interned (GV_UNK: always a new one); -1 out of memory. */
static int intern(struct goflow *f, const struct gv *v)
{
	if (v->kind != GV_UNK)
		for (size_t i = 0; i < f->nr_vals; i++)
			if (same_val(&f->vals[i], v))
				return (int)i;
	if (f->nr_vals == f->cap_vals) {
		size_t n = f->cap_vals ? 2 * f->cap_vals : 256;
		struct gv *p = realloc(f->vals, n * sizeof(*p));

		if (!p) {
			f->oom = true;
			return -1;
		}
		f->vals = p;
		f->cap_vals = n;
	}
	f->vals[f->nr_vals] = *v;
	return (int)f->nr_vals++;
}

static int mk(struct goflow *f, enum gv_kind kind, int parent, int a, int64_t disp, int size,
	      uint64_t target)
{
	struct gv v = { .kind = kind, .parent = parent, .a = a, .disp = disp, .size = size,
			.target = target };

	return intern(f, &v);
}

static int unk(struct goflow *f)
{
	return mk(f, GV_UNK, -1, 0, 0, 0, 0);
}

static void emit(struct goflow *f, const struct gf_ev *e)
{
	if (f->nr_evs == f->cap_evs) {
		size_t n = f->cap_evs ? 2 * f->cap_evs : 128;
		struct gf_ev *p = realloc(f->evs, n * sizeof(*p));

		if (!p) {
			f->oom = true;
			return;
		}
		f->evs = p;
		f->cap_evs = n;
	}
	f->evs[f->nr_evs++] = *e;
}

static int *slot(struct goflow *f, int64_t off)
{
	for (int i = 0; i < f->nr_slots; i++)
		if (f->slots[i].off == off)
			return &f->slots[i].val;
	if (f->nr_slots == MAX_SLOTS)
		return NULL;
	f->slots[f->nr_slots].off = off;
	f->slots[f->nr_slots].val = unk(f);
	return &f->slots[f->nr_slots++].val;
}

/* A field-like memory operand: a base register and a displacement, no
 * index, no RIP; FS only for the TLS g. */
static bool plain_mem(const cs_x86_op *o)
{
	return o->type == X86_OP_MEM && o->mem.index == X86_REG_INVALID &&
	       o->mem.segment == X86_REG_INVALID && reg_no(o->mem.base) >= 0;
}

/* The value read from memory operand o (a stack slot, a field, unknown). */
static int mem_read(struct goflow *f, const cs_x86_op *o)
{
	int b, *s;

	if (!plain_mem(o))
		return unk(f);
	b = reg_no(o->mem.base);
	if (b == R_SP) {
		s = slot(f, o->mem.disp);
		return s ? *s : unk(f);
	}
	return mk(f, GV_LOAD, f->regs[b], 0, o->mem.disp, o->size, 0);
}

static int reg_val(struct goflow *f, const cs_x86_op *o)
{
	int r = reg_no(o->reg);

	return r >= 0 ? f->regs[r] : unk(f);
}

static void set_reg(struct goflow *f, x86_reg r, int v)
{
	int n = reg_no(r);

	if (n >= 0 && n != R_SP)
		f->regs[n] = v;
}

/* A store of src (a value, or imm when src < 0) to memory operand o. */
static void mem_write(struct goflow *f, const cs_insn *in, const cs_x86_op *o, int src, int64_t imm)
{
	struct gf_ev e = { .kind = GF_STORE, .pc = in->address, .insn = in->id, .size = o->size,
			   .src = src, .imm = imm };
	int b, *s;

	if (!plain_mem(o))
		return;
	b = reg_no(o->mem.base);
	if (b == R_SP) {
		s = slot(f, o->mem.disp);
		if (s)
			*s = src >= 0 ? src : mk(f, GV_IMM, -1, 0, imm, 0, 0);
		return;
	}
	e.base = f->regs[b];
	e.disp = o->mem.disp;
	emit(f, &e);
}

static void rmw(struct goflow *f, const cs_insn *in, const cs_x86_op *o)
{
	struct gf_ev e = { .kind = GF_RMW, .pc = in->address, .insn = in->id, .size = o->size,
			   .src = -1 };
	int b;

	if (!plain_mem(o) || (b = reg_no(o->mem.base)) == R_SP)
		return;
	e.base = f->regs[b];
	e.disp = o->mem.disp;
	emit(f, &e);
}

static bool rmw_insn(unsigned id)
{
	switch (id) {
	case X86_INS_CMPXCHG: case X86_INS_XCHG: case X86_INS_XADD: case X86_INS_INC:
	case X86_INS_DEC: case X86_INS_ADD: case X86_INS_SUB: case X86_INS_AND: case X86_INS_OR:
		return true;
	default:
		return false;
	}
}

static bool imm_op(const cs_x86 *x, int i, uint64_t *t)
{
	if (x->op_count <= i || x->operands[i].type != X86_OP_IMM)
		return false;
	*t = x->operands[i].imm;
	return true;
}

/* Every register an instruction writes that is not modelled: unknown. */
static void clobber_written(struct goflow *f, csh cs, const cs_insn *in)
{
	cs_regs rd, wr;
	uint8_t nr, nw;
	const cs_x86 *x = &in->detail->x86;

	for (int i = 0; i < x->op_count; i++)
		if (x->operands[i].type == X86_OP_REG && (x->operands[i].access & CS_AC_WRITE))
			set_reg(f, x->operands[i].reg, unk(f));
	if (!cs_regs_access(cs, in, rd, &nr, wr, &nw))
		for (int i = 0; i < nw; i++)
			set_reg(f, wr[i], unk(f));
}

/* The write barrier's entry points keep every register but R11 (its
 * buffer slot since 1.21): the code around them relies on that. */
static bool keeps_regs(const struct goflow *f, uint64_t t)
{
	struct gofunc fn;

	return t && f->tab && !gopcln__func_at(f->tab, t, &fn) && fn.entry == t &&
	       !strncmp(fn.name, "runtime.gcWriteBarrier", 22);
}

static void call(struct goflow *f, const cs_insn *in)
{
	const cs_x86 *x = &in->detail->x86;
	struct gf_ev e = { .kind = GF_CALL, .pc = in->address, .insn = in->id, .src = -1 };
	uint64_t t = 0;

	imm_op(x, 0, &t);
	e.target = t;
	if (keeps_regs(f, t)) {
		f->regs[11] = unk(f);
		return;
	}
	for (int i = 0; i < 4; i++)
		e.args[i] = f->regs[arg_regs[i]];
	emit(f, &e);
	/* Go's calls keep no register but the g; ABI0 results are on the stack */
	for (int r = 0; r < NR_REGS; r++)
		if (r != R_G && r != R_SP)
			f->regs[r] = unk(f);
	/* results in the argument registers (findHandler returns 8 words) */
	for (int i = 0; i < NR_ARG_REGS; i++)
		f->regs[arg_regs[i]] = mk(f, GV_RET, -1, i, 0, 0, t);
	{
		int *s = slot(f, 0); /* an ABI0 callee's first result */

		if (s)
			*s = mk(f, GV_RETSTK, -1, 0, 0, 0, t);
	}
}

static void branch_to(struct goflow *f, uint64_t t)
{
	if (t <= f->entry || t >= f->end || f->nr_pend >= MAX_PENDING)
		return; /* backward (a loop) or out of the function */
	f->pend[f->nr_pend].target = t;
	memcpy(f->pend[f->nr_pend].regs, f->regs, sizeof(f->regs));
	f->nr_pend++;
}

/* The state on entering addr: the fall-through's and every forward
 * branch's to it, a register kept only where all agree. */
static void join(struct goflow *f, uint64_t addr)
{
	bool have = !f->dead;

	for (int i = 0; i < f->nr_pend; i++) {
		if (f->pend[i].target != addr)
			continue;
		if (!have) {
			memcpy(f->regs, f->pend[i].regs, sizeof(f->regs));
			have = true;
		} else {
			for (int r = 0; r < NR_REGS; r++)
				if (f->regs[r] != f->pend[i].regs[r])
					f->regs[r] = unk(f);
		}
	}
	if (!have) /* reached only backward, or not at all */
		for (int r = 0; r < NR_REGS; r++)
			if (r != R_G)
				f->regs[r] = unk(f);
	f->dead = false;
}

static void cmp(struct goflow *f, const cs_insn *in)
{
	const cs_x86 *x = &in->detail->x86;
	struct gf_ev e = { .kind = GF_CMP, .pc = in->address, .insn = in->id };
	uint64_t imm;

	if (x->op_count != 2 || !imm_op(x, 1, &imm))
		return;
	if (x->operands[0].type == X86_OP_REG)
		e.src = reg_val(f, &x->operands[0]);
	else if (x->operands[0].type == X86_OP_MEM)
		e.src = mem_read(f, &x->operands[0]);
	else
		return;
	e.size = x->operands[0].size;
	e.imm = (int64_t)imm;
	emit(f, &e);
}

static void mov(struct goflow *f, const cs_insn *in)
{
	const cs_x86 *x = &in->detail->x86;
	const cs_x86_op *d = &x->operands[0], *s = &x->operands[1];
	uint64_t imm;

	if (x->op_count != 2)
		return;
	if (d->type == X86_OP_MEM) {
		if (s->type == X86_OP_REG)
			mem_write(f, in, d, reg_val(f, s), 0);
		else if (imm_op(x, 1, &imm))
			mem_write(f, in, d, -1, (int64_t)imm);
		return;
	}
	if (d->type != X86_OP_REG)
		return;
	if (s->type == X86_OP_REG)
		set_reg(f, d->reg, reg_no(s->reg) == R_SP ? mk(f, GV_SPADDR, -1, 0, 0, 0, 0)
							  : reg_val(f, s));
	else if (imm_op(x, 1, &imm))
		set_reg(f, d->reg, mk(f, GV_IMM, -1, 0, (int64_t)imm, 0, 0));
	else if (s->type == X86_OP_MEM && s->mem.segment == X86_REG_FS && reg_no(d->reg) == R_G)
		set_reg(f, d->reg, mk(f, GV_G, -1, 0, 0, 0, 0)); /* the g from TLS */
	else if (s->type == X86_OP_MEM)
		set_reg(f, d->reg, mem_read(f, s));
}

/* The address v + d: folded into v when v is itself an address. */
static int offset(struct goflow *f, int v, int64_t d)
{
	const struct gv *p = v >= 0 && (size_t)v < f->nr_vals ? &f->vals[v] : NULL;

	if (p && p->kind == GV_LEA)
		return mk(f, GV_LEA, p->parent, 0, p->disp + d, 0, 0);
	if (p && p->kind == GV_SPADDR)
		return mk(f, GV_SPADDR, -1, 0, p->disp + d, 0, 0);
	if (p && p->kind == GV_IMM)
		return mk(f, GV_IMM, -1, 0, p->disp + d, 0, 0);
	return mk(f, GV_LEA, v, 0, d, 0, 0);
}

static void lea(struct goflow *f, const cs_insn *in)
{
	const cs_x86 *x = &in->detail->x86;
	const cs_x86_op *d = &x->operands[0], *s = &x->operands[1];
	int b;

	if (x->op_count != 2 || d->type != X86_OP_REG)
		return;
	if (!plain_mem(s)) {
		set_reg(f, d->reg, unk(f));
		return;
	}
	b = reg_no(s->mem.base);
	set_reg(f, d->reg, b == R_SP ? mk(f, GV_SPADDR, -1, 0, s->mem.disp, 0, 0)
				     : offset(f, f->regs[b], s->mem.disp));
}

/* add/sub $imm, reg: the same address as a lea (`add $0x38, %rax` for
 * &newg.sched in some versions). */
static bool add_imm(struct goflow *f, const cs_insn *in)
{
	const cs_x86 *x = &in->detail->x86;
	uint64_t imm;
	int r;

	if (x->op_count != 2 || x->operands[0].type != X86_OP_REG || !imm_op(x, 1, &imm) ||
	    x->operands[0].size != 8 || (r = reg_no(x->operands[0].reg)) < 0 || r == R_SP)
		return false;
	f->regs[r] = offset(f, f->regs[r], in->id == X86_INS_SUB ? -(int64_t)imm : (int64_t)imm);
	return true;
}

static int step(void *ctx, csh cs, const cs_insn *in, uint64_t file_off)
{
	struct goflow *f = ctx;
	const cs_x86 *x = &in->detail->x86;
	uint64_t t;

	(void)file_off;
	join(f, in->address);
	switch (in->id) {
	case X86_INS_MOV: case X86_INS_MOVABS: case X86_INS_MOVZX: case X86_INS_MOVSX:
	case X86_INS_MOVSXD:
		mov(f, in);
		break;
	case X86_INS_LEA:
		lea(f, in);
		break;
	case X86_INS_XOR:
		if (x->op_count == 2 && x->operands[0].type == X86_OP_REG &&
		    x->operands[1].type == X86_OP_REG && reg_no(x->operands[0].reg) ==
		    reg_no(x->operands[1].reg)) {
			set_reg(f, x->operands[0].reg, mk(f, GV_IMM, -1, 0, 0, 0, 0));
			break;
		}
		goto other;
	case X86_INS_ADD: case X86_INS_SUB:
		if (add_imm(f, in))
			break;
		goto other;
	case X86_INS_CMP: case X86_INS_TEST:
		cmp(f, in);
		break;
	case X86_INS_CALL:
		call(f, in);
		break;
	case X86_INS_RET: {
		struct gf_ev e = { .kind = GF_RET, .pc = in->address, .insn = in->id, .src = -1,
				   .args = { f->regs[0], f->regs[3], -1, -1 } };

		emit(f, &e);
		f->dead = true;
		break;
	}
	case X86_INS_JMP:
		if (imm_op(x, 0, &t))
			branch_to(f, t);
		f->dead = true;
		break;
	default:
	other:
		if (cs_insn_group(cs, in, X86_GRP_JUMP) && imm_op(x, 0, &t)) {
			branch_to(f, t);
			break;
		}
		/* a read-modify-write of memory: cmpxchg, xchg, xadd, inc, add...
		 * (capstone 4 does not mark every such operand written) */
		for (int i = 0; i < x->op_count; i++)
			if (x->operands[i].type == X86_OP_MEM &&
			    ((x->operands[i].access & CS_AC_WRITE) || rmw_insn(in->id)))
				rmw(f, in, &x->operands[i]);
		clobber_written(f, cs, in);
		break;
	}
	return f->oom ? -1 : 0;
}

struct goflow *goflow__run(const char *path, const struct gopcln *tab, uint64_t vaddr,
			   uint64_t size)
{
	struct goflow *f;

	if (!size || size > MAX_CODE)
		return NULL;
	f = calloc(1, sizeof(*f));
	if (!f || !(f->pend = calloc(MAX_PENDING, sizeof(*f->pend)))) {
		free(f);
		return NULL;
	}
	f->entry = vaddr;
	f->tab = tab;
	f->end = vaddr + size;
	for (int r = 0; r < NR_REGS; r++)
		f->regs[r] = unk(f);
	for (int i = 0; i < NR_ARG_REGS; i++)
		f->regs[arg_regs[i]] = mk(f, GV_ARG, -1, i, 0, 0, 0);
	f->regs[R_G] = mk(f, GV_G, -1, 0, 0, 0, 0);
	if (f->oom || goelf__decode(path, vaddr, size, step, f)) {
		goflow__free(f);
		return NULL;
	}
	free(f->pend);
	f->pend = NULL;
	return f;
}

void goflow__free(struct goflow *f)
{
	if (!f)
		return;
	free(f->vals);
	free(f->evs);
	free(f->pend);
	free(f);
}

size_t goflow__nr_vals(const struct goflow *f)
{
	return f->nr_vals;
}

const struct gv *goflow__val(const struct goflow *f, int id)
{
	return id >= 0 && (size_t)id < f->nr_vals ? &f->vals[id] : NULL;
}

size_t goflow__nr_events(const struct goflow *f)
{
	return f->nr_evs;
}

const struct gf_ev *goflow__event(const struct goflow *f, size_t i)
{
	return i < f->nr_evs ? &f->evs[i] : NULL;
}

static int find(const struct goflow *f, enum gv_kind kind, int parent, int a, int64_t disp,
		bool any_disp)
{
	for (size_t i = 0; i < f->nr_vals; i++) {
		const struct gv *v = &f->vals[i];

		if (v->kind == kind && v->parent == parent && v->a == a &&
		    (any_disp || v->disp == disp))
			return (int)i;
	}
	return -1;
}

int goflow__arg(const struct goflow *f, int a)
{
	return find(f, GV_ARG, -1, a, 0, false);
}

int goflow__g(const struct goflow *f)
{
	return find(f, GV_G, -1, 0, 0, false);
}

int goflow__load(const struct goflow *f, int parent, int64_t disp)
{
	return parent < 0 ? -1 : find(f, GV_LOAD, parent, 0, disp, false);
}

bool goflow__is_load_of(const struct goflow *f, int id, int parent, int64_t *disp)
{
	const struct gv *v = goflow__val(f, id);

	if (!v || v->kind != GV_LOAD || parent < 0 || v->parent != parent)
		return false;
	if (disp)
		*disp = v->disp;
	return true;
}
