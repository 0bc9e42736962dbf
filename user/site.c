// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "site.h"
#include "symtab.h"

uint64_t site__pick(void *ctx, const struct weft_event *e)
{
	const struct symtab *st = ctx;
	uint32_t n = e->nr_frames < WEFT_MAX_FRAMES ? e->nr_frames : WEFT_MAX_FRAMES;

	for (uint32_t i = 0; i < n; i++) {
		const struct sym *s = st ? symtab__find(st, e->frames[i]) : NULL;

		if (e->frames[i] && (!s || !(s->flags & SYM_F_RUNTIME)))
			return e->frames[i];
	}
	return n ? e->frames[0] : 0;
}
