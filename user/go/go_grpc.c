// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include "go_grpc.h"
#include "goelf.h"

#define TRANSPORT "google.golang.org/grpc/internal/transport."
#define MAX_METHOD_OFF 1024

/* An accessor `func (s *S) Method() string { return s.method }`, as the
 * compiler emits it: two loads from RAX, at D (the pointer) and D+8 (the
 * length, into RBX), then RET. A promoted method's wrapper (Go 1.21+)
 * first checks the g's panic (loads from R14, a test, a branch). */
struct accessor {
	int n;	       /* instructions seen */
	long ptr, len; /* displacements loaded into the result registers */
	int loads;
	int bad;
};

static int accessor_insn(void *ctx, csh cs, const cs_insn *insn, uint64_t file_off)
{
	struct accessor *a = ctx;
	const cs_x86 *x = &insn->detail->x86;

	(void)cs;
	(void)file_off;
	if (++a->n > 10)
		return a->bad = 1, 1;
	if (insn->id == X86_INS_RET)
		return 1;
	if (insn->id == X86_INS_TEST || insn->id == X86_INS_JNE)
		return 0;
	if (insn->id != X86_INS_MOV || x->op_count != 2)
		return a->bad = 1, 1;
	if (x->operands[1].type == X86_OP_MEM) {
		const x86_op_mem *m = &x->operands[1].mem;

		if (m->base == X86_REG_R14 && !a->loads)
			return 0; /* the wrapper's g->panic check */

		if (m->base != X86_REG_RAX || m->index != X86_REG_INVALID || x->operands[1].size != 8 ||
		    x->operands[0].type != X86_OP_REG)
			return a->bad = 1, 1;
		a->loads++;
		if (x->operands[0].reg == X86_REG_RBX)
			a->len = m->disp;
		else
			a->ptr = m->disp;
		return 0;
	}
	/* register moves only (the pointer into RAX) */
	if (x->operands[0].type != X86_OP_REG || x->operands[1].type != X86_OP_REG)
		return a->bad = 1, 1;
	return 0;
}

static int accessor_off(const char *exe, const char *name)
{
	struct accessor a = { .ptr = -1, .len = -1 };
	uint64_t v, sz, off;

	if (goelf__func(exe, name, &v, &sz, &off))
		return -2; /* absent (inlined everywhere, or another grpc) */
	if (goelf__decode(exe, v, sz, accessor_insn, &a) || a.bad || a.loads != 2 || a.ptr < 0 ||
	    a.len != a.ptr + 8 || a.ptr > MAX_METHOD_OFF)
		return -1;
	return (int)a.ptr;
}

int go_grpc__target_off(const char *exe)
{
	int off = accessor_off(exe, "google.golang.org/grpc.(*ClientConn).Target");

	return off >= 0 ? off : -1;
}

int go_grpc__method_off(const char *exe, char *why, size_t len)
{
	/* 1.81 hands handleStream a *ServerStream, which embeds Stream first:
	 * both accessors, when both are there, must agree */
	int srv = accessor_off(exe, TRANSPORT "(*ServerStream).Method");
	int st = accessor_off(exe, TRANSPORT "(*Stream).Method");

	if (srv == -1 || st == -1) {
		snprintf(why, len, "transport.(*%sStream).Method is not the accessor weft knows",
			 srv == -1 ? "Server" : "");
		return -1;
	}
	if (srv >= 0 && st >= 0 && srv != st) {
		snprintf(why, len, "(*ServerStream).Method reads offset %d, (*Stream).Method %d", srv,
			 st);
		return -1;
	}
	if (srv < 0 && st < 0) {
		snprintf(why, len, "no transport.(*Stream).Method in the binary to read the layout from");
		return -1;
	}
	return srv >= 0 ? srv : st;
}
