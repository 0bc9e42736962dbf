// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "insn_walk.h"

int insn_walk__open(csh *cs)
{
	if (cs_open(CS_ARCH_X86, CS_MODE_64, cs) != CS_ERR_OK)
		return -1;
	cs_option(*cs, CS_OPT_DETAIL, CS_OPT_ON);
	return 0;
}

bool insn_walk__start(struct insn_walk *w, csh cs, const uint8_t *buf, size_t size,
		      uint64_t vaddr)
{
	*w = (struct insn_walk){ .cs = cs, .p = buf, .left = size, .addr = vaddr };
	w->insn = cs_malloc(cs);
	return w->insn != NULL;
}

const cs_insn *insn_walk__next(struct insn_walk *w)
{
	while (w->insn && w->left) {
		if (cs_disasm_iter(w->cs, &w->p, &w->left, &w->addr, w->insn))
			return w->insn;
		if (!w->skip_bad)
			break;
		w->p++;
		w->left--;
		w->addr++;
	}
	return NULL;
}

void insn_walk__end(struct insn_walk *w)
{
	if (w->insn)
		cs_free(w->insn, 1);
	w->insn = NULL;
}
