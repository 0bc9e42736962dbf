// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The timers armed when a Node process tears down: libuv keeps them in a
 * min-heap in its loop. uv_loop_t and uv_timer_t are libuv's public ABI;
 * their offsets are taken as libuv 1.x lays them out on x86-64, and kept
 * only if uv_timer_start's own code uses each of them. */
#include <stdlib.h>
#include "nodeelf_int.h"

enum {
	TIMER_FLAGS = 0x58,	/* uv_handle_t.flags */
	TIMER_CB = 0x60,	/* uv_timer_t.timer_cb */
	TIMER_HEAP_NODE = 0x68, /* uv_timer_t.heap_node */
	TIMER_TIMEOUT = 0x80,	/* uv_timer_t.timeout: due, in loop time (ms) */
	LOOP_TIMER_HEAP = 0x208, /* uv_loop_t.timer_heap: { min, nelts } */
	LOOP_TIME = 0x220,	/* uv_loop_t.time: now, in ms */
};

/* each displacement the code must use, as a memory operand or an lea */
static const int wanted[] = { TIMER_FLAGS, TIMER_CB, TIMER_HEAP_NODE, TIMER_TIMEOUT, LOOP_TIME };

void nodeelf_timers(int fd, Elf *e, struct node_info *ni)
{
	bool seen[sizeof(wanted) / sizeof(wanted[0])] = { false }, heap = false, all = true;
	const cs_insn *insn;
	struct insn_walk w;
	GElf_Ehdr eh;
	struct code c;
	csh cs;

	/* the loop's address as linked: a position-dependent node (as built) */
	if (!ni->default_loop || !ni->vaddr[NODE_TIMER_START] || !ni->vaddr[NODE_RUN_TIMERS] ||
	    !gelf_getehdr(e, &eh) || eh.e_type != ET_EXEC || insn_walk__open(&cs))
		return;
	if (nodeelf_code_read(fd, e, ni->vaddr[NODE_TIMER_START], ni->size[NODE_TIMER_START], &c)) {
		cs_close(&cs);
		return;
	}
	insn_walk__start(&w, cs, c.buf, c.size, c.vaddr);
	while ((insn = insn_walk__next(&w))) {
		const cs_x86 *x = &insn->detail->x86;

		for (int i = 0; i < x->op_count; i++) {
			int64_t d = x->operands[i].mem.disp;

			if (x->operands[i].type != X86_OP_MEM)
				continue;
			for (size_t k = 0; k < sizeof(wanted) / sizeof(wanted[0]); k++)
				seen[k] |= d == wanted[k];
			/* the heap's min or its count */
			heap |= d == LOOP_TIMER_HEAP || d == LOOP_TIMER_HEAP + 8;
		}
	}
	insn_walk__end(&w);
	free(c.buf);
	cs_close(&cs);
	for (size_t k = 0; k < sizeof(wanted) / sizeof(wanted[0]); k++)
		all &= seen[k];
	if (!all || !heap)
		return;
	ni->timers_ok = true;
	ni->timer_cb = TIMER_CB;
	ni->timer_heap_node = TIMER_HEAP_NODE;
	ni->timer_timeout = TIMER_TIMEOUT;
	ni->loop_timer_heap = LOOP_TIMER_HEAP;
	ni->loop_time = LOOP_TIME;
}
