/* One walk over machine code with capstone, for every reader of code (Go's
 * runtime, Node's layouts): decode from a buffer, one instruction at a
 * time, with its details. */
#ifndef WEFT_INSN_WALK_H
#define WEFT_INSN_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <capstone/capstone.h>

struct insn_walk {
	csh cs;
	const uint8_t *p;
	size_t left;
	uint64_t addr;
	cs_insn *insn;
	bool skip_bad; /* step over a byte that does not decode, rather than stop */
};

/* An x86-64 decoder with details on: 0, or -1 */
int insn_walk__open(csh *cs);
/* From buf (size bytes of code at vaddr); false: out of memory */
bool insn_walk__start(struct insn_walk *w, csh cs, const uint8_t *buf, size_t size,
		      uint64_t vaddr);
/* The next instruction, NULL at the end (or where the code stops decoding) */
const cs_insn *insn_walk__next(struct insn_walk *w);
void insn_walk__end(struct insn_walk *w);

#endif
