// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include "stacks.h"

static uint64_t hash(const uint64_t *f, uint32_t nr)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ nr;

	for (uint32_t i = 0; i < nr; i++) {
		h ^= f[i];
		h *= 0x100000001b3ULL;
		h ^= h >> 29;
	}
	return h ? h : 1; /* idmap keys are never 0 */
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap ? *cap : 64;
	void *q;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	q = realloc(*p, n * elem);
	if (!q)
		return -1;
	*p = q;
	*cap = n;
	return 0;
}

int64_t stacks__intern(struct stacks *s, const uint64_t *frames, uint32_t nr)
{
	uint64_t h = hash(frames, nr);
	uint32_t first, i;
	bool known = idmap__get(&s->by_hash, h, &first);

	for (i = known ? first + 1 : 0; i; i = s->v[i - 1].next) {
		const struct stack_ent *e = &s->v[i - 1];

		if (e->nr == nr && !memcmp(s->frames + e->off, frames, nr * sizeof(*frames)))
			return i - 1;
		if (!e->next)
			break;
	}
	if (grow((void **)&s->v, &s->cap, s->nr + 1, sizeof(*s->v)) ||
	    grow((void **)&s->frames, &s->cap_frames, s->nr_frames + nr + 1, sizeof(*s->frames)))
		return -1;
	memcpy(s->frames + s->nr_frames, frames, nr * sizeof(*frames));
	s->v[s->nr] = (struct stack_ent){ .off = s->nr_frames, .nr = nr };
	s->nr_frames += nr;
	if (known) /* chained behind the last one with this hash */
		s->v[i - 1].next = s->nr + 1;
	else if (idmap__put(&s->by_hash, h, s->nr))
		return -1;
	return s->nr++;
}

const uint64_t *stacks__get(const struct stacks *s, uint32_t idx, uint32_t *nr)
{
	if (idx >= s->nr) {
		*nr = 0;
		return NULL;
	}
	*nr = s->v[idx].nr;
	return s->frames + s->v[idx].off;
}

void stacks__free(struct stacks *s)
{
	free(s->frames);
	free(s->v);
	idmap__free(&s->by_hash);
	memset(s, 0, sizeof(*s));
}
