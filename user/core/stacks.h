/* Interned user stacks: equal frame lists share one index, so a capture's
 * thousands of samples of one loop hold one copy of its stack. Pure C. */
#ifndef WEFT_STACKS_H
#define WEFT_STACKS_H

#include <stddef.h>
#include <stdint.h>
#include "idmap.h"

struct stacks {
	uint64_t *frames; /* every stack's frames, back to back */
	size_t nr_frames, cap_frames;
	struct stack_ent {
		size_t off;
		uint32_t nr;
		uint32_t next; /* the next stack with the same hash, plus one */
	} *v;
	size_t nr, cap;
	struct idmap by_hash; /* hash -> first stack with it */
};

/* The index of frames[0..nr) (innermost first); added when new. -1: out of
 * memory. */
int64_t stacks__intern(struct stacks *s, const uint64_t *frames, uint32_t nr);
const uint64_t *stacks__get(const struct stacks *s, uint32_t idx, uint32_t *nr);
void stacks__free(struct stacks *s);

#endif
