// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Node's HTTP/2 server side (doc/node-http2-internals.md): three probes
 * and Http2Stream's layout, each checked against the binary's code. A
 * mismatch leaves HTTP/2 untraced, with the reason; never a wrong name. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nodeelf_int.h"

#define NGHDR_SIZE 0x48 /* node::http2::NgHeader<Http2HeaderTraits> */

static x86_reg reg32(x86_reg r)
{
	static const x86_reg r64[] = { X86_REG_RAX, X86_REG_RBX, X86_REG_RCX, X86_REG_RDX,
				       X86_REG_RSI, X86_REG_RDI, X86_REG_R8,  X86_REG_R9,
				       X86_REG_R10, X86_REG_R11, X86_REG_R12, X86_REG_R13,
				       X86_REG_R14, X86_REG_R15 };
	static const x86_reg r32[] = { X86_REG_EAX, X86_REG_EBX, X86_REG_ECX, X86_REG_EDX,
				       X86_REG_ESI, X86_REG_EDI, X86_REG_R8D, X86_REG_R9D,
				       X86_REG_R10D, X86_REG_R11D, X86_REG_R12D, X86_REG_R13D,
				       X86_REG_R14D, X86_REG_R15D };

	for (size_t i = 0; i < sizeof(r64) / sizeof(r64[0]); i++)
		if (r64[i] == r || r32[i] == r)
			return r32[i];
	return X86_REG_INVALID;
}

/* The constructor copies its stream id (ECX) to a register, then stores
 * that register's low half in id_: that store's displacement. */
static int stream_id_off(csh cs, const struct code *c)
{
	struct insn_walk w;
	const cs_insn *insn;
	x86_reg held = X86_REG_INVALID;
	int off = -1;

	insn_walk__start(&w, cs, c->buf, c->size, c->vaddr);
	while (off < 0 && (insn = insn_walk__next(&w))) {
		const cs_x86 *x = &insn->detail->x86;

		if (x->op_count != 2)
			continue;
		if (held == X86_REG_INVALID && (insn->id == X86_INS_MOV || insn->id == X86_INS_MOVSXD) &&
		    x->operands[0].type == X86_OP_REG && x->operands[1].type == X86_OP_REG &&
		    x->operands[1].reg == X86_REG_ECX)
			held = reg32(x->operands[0].reg);
		else if (held != X86_REG_INVALID && insn->id == X86_INS_MOV &&
			 x->operands[0].type == X86_OP_MEM && x->operands[1].type == X86_OP_REG &&
			 x->operands[1].reg == held && x->operands[0].mem.base != X86_REG_RBP &&
			 x->operands[0].mem.base != X86_REG_RSP)
			off = (int)x->operands[0].mem.disp;
	}
	insn_walk__end(&w);
	return off;
}

/* AddHeader uses the vector's begin, end and capacity on one base register,
 * compares against the capacity and steps by an element: all as the table
 * and the BPF side have them. */
static bool headers_ok(csh cs, const struct code *c, int begin)
{
	struct insn_walk w;
	const cs_insn *insn;
	unsigned seen[X86_REG_ENDING] = { 0 };
	bool cmp_cap = false, elem = false, ok = false;

	insn_walk__start(&w, cs, c->buf, c->size, c->vaddr);
	while ((insn = insn_walk__next(&w))) {
		const cs_x86 *x = &insn->detail->x86;

		if (insn->id == X86_INS_ADD && x->op_count == 2 && x->operands[1].type == X86_OP_IMM &&
		    x->operands[1].imm == NGHDR_SIZE)
			elem = true; /* end += sizeof(NgHeader) */
		for (int i = 0; i < x->op_count; i++) {
			const cs_x86_op *o = &x->operands[i];
			int k;

			if (o->type != X86_OP_MEM || o->mem.index != X86_REG_INVALID ||
			    o->mem.base <= X86_REG_INVALID || o->mem.base >= X86_REG_ENDING)
				continue;
			k = (int)o->mem.disp - begin;
			if (k == 0 || k == 8 || k == 16)
				seen[o->mem.base] |= 1u << (k / 8);
			if (k == 16 && insn->id == X86_INS_CMP)
				cmp_cap = true;
		}
	}
	for (int r = 0; r < X86_REG_ENDING; r++)
		ok |= seen[r] == 7 && r != X86_REG_RSP && r != X86_REG_RBP && r != X86_REG_RIP;
	insn_walk__end(&w);
	return ok && cmp_cap && elem;
}

/* nghttp2_rcbuf_get_buf returns {base, len}: loads of 0x10(%rdi) and
 * 0x18(%rdi), the offsets the BPF side reads. */
static bool rcbuf_ok(csh cs, const struct code *c)
{
	struct insn_walk w;
	const cs_insn *insn;
	unsigned seen = 0;

	insn_walk__start(&w, cs, c->buf, c->size < 16 ? c->size : 16, c->vaddr);
	while ((insn = insn_walk__next(&w))) {
		const cs_x86 *x = &insn->detail->x86;

		if (insn->id == X86_INS_MOV && x->op_count == 2 && x->operands[1].type == X86_OP_MEM &&
		    x->operands[1].mem.base == X86_REG_RDI &&
		    (x->operands[1].mem.disp == 0x10 || x->operands[1].mem.disp == 0x18))
			seen |= 1u << (x->operands[1].mem.disp == 0x18);
	}
	insn_walk__end(&w);
	return seen == 3;
}

static int check(int fd, Elf *e, csh cs, struct node_info *ni, int stream_id, int headers,
		 char *why, size_t len)
{
	/* a session ends in FinishClose (22+: Close may defer it), or Close */
	if (ni->vaddr[NODE_H2_FINISH])
		ni->vaddr[NODE_H2_SESSION_CLOSE] = 0;
	for (int i = NODE_H2_BEGIN; i <= NODE_H2_SESSION_CLOSE; i++) {
		struct code c;
		uint64_t at = 0;
		int off;
		bool ok = true;

		if ((i == NODE_H2_FINISH && !ni->vaddr[i]) ||
		    (i == NODE_H2_SESSION_CLOSE && ni->vaddr[NODE_H2_FINISH]))
			continue;
		if (!ni->vaddr[i])
			return snprintf(why, len, "%s not found in its symbols", nodeelf_fn_label(i)), -1;
		if (nodeelf_code_read(fd, e, ni->vaddr[i], ni->size[i], &c))
			return snprintf(why, len, "%s: its code is not in the file", nodeelf_fn_label(i)), -1;
		switch (i) {
		case NODE_H2_BEGIN:
		case NODE_H2_HEADERS:
		case NODE_H2_CLOSE:
		case NODE_H2_FINISH:
		case NODE_H2_SESSION_CLOSE:
			/* at the entry itself: every argument still in its register */
			if (nodeelf_first_push(cs, &c, &at) || at != ni->vaddr[i] ||
			    nodeelf_file_off(e, at, &ni->probe_off[i]))
				ok = !snprintf(why, len, "%s does not begin with a push",
					       nodeelf_fn_label(i));
			break;
		case NODE_H2_STREAM:
			off = stream_id_off(cs, &c);
			if (off != stream_id)
				ok = !snprintf(why, len, "Http2Stream's constructor stores id_ at +%#x, "
					       "the table says +%#x", off, stream_id);
			break;
		case NODE_H2_ADD_HEADER:
			if (!headers_ok(cs, &c, headers))
				ok = !snprintf(why, len, "Http2Stream::AddHeader does not use "
					       "current_headers_ at +%#x", headers);
			break;
		case NODE_H2_RCBUF:
			if (!rcbuf_ok(cs, &c))
				ok = !snprintf(why, len, "nghttp2_rcbuf_get_buf does not read +0x10/+0x18");
			break;
		}
		free(c.buf);
		if (!ok)
			return -1;
	}
	return 0;
}

void nodeelf_h2(int fd, Elf *e, struct node_info *ni, int stream_id, int headers)
{
	bool any = false;
	csh cs;

	for (int i = NODE_H2_BEGIN; i <= NODE_H2_SESSION_CLOSE; i++)
		any |= ni->vaddr[i] != 0;
	ni->h2_ok = false;
	ni->h2_why[0] = 0;
	if (!any)
		return; /* no HTTP/2 in this build: nothing to say */
	if (!stream_id || !headers) {
		snprintf(ni->h2_why, sizeof(ni->h2_why), "no Http2Stream layout for this version");
		return;
	}
	if (insn_walk__open(&cs)) {
		snprintf(ni->h2_why, sizeof(ni->h2_why), "capstone failed");
		return;
	}
	if (!check(fd, e, cs, ni, stream_id, headers, ni->h2_why, sizeof(ni->h2_why))) {
		ni->h2_ok = true;
		ni->h2_stream_id = stream_id;
		ni->h2_headers = headers;
	}
	cs_close(&cs);
}
