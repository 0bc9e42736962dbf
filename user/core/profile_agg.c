// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include <string.h>
#include "profile_agg.h"

static uint64_t name_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ULL;
	return h ? h : 1; /* idmap keys are never 0 */
}

static bool grow(void **v, size_t nr, size_t *cap, size_t sz)
{
	size_t n = *cap ? *cap * 2 : 64;
	void *p;

	if (nr < *cap)
		return true;
	if (!(p = realloc(*v, n * sz)))
		return false;
	*v = p;
	*cap = n;
	return true;
}

/* The name's index; the hash's first holder or, on a collision, a scan. */
static int64_t name_index(struct profile_agg *a, const char *name)
{
	uint64_t h = name_hash(name);
	uint32_t i;
	char *c;

	if (idmap__get(&a->name_by_hash, h, &i)) {
		if (!strcmp(a->names[i], name))
			return i;
		for (i = 0; i < a->nr_names; i++)
			if (!strcmp(a->names[i], name))
				return i;
	}
	if (!grow((void **)&a->names, a->nr_names, &a->cap_names, sizeof(*a->names)) ||
	    !(c = strdup(name)))
		return -1;
	a->names[a->nr_names] = c;
	if (!idmap__get(&a->name_by_hash, h, &i) &&
	    idmap__put(&a->name_by_hash, h, (uint32_t)a->nr_names)) {
		free(c);
		return -1;
	}
	return (int64_t)a->nr_names++;
}

void profile_agg__add(struct profile_agg *a, const char *name, uint32_t stack, bool truncated,
		      bool off_cpu, uint64_t weight_ns)
{
	int64_t n = name_index(a, name);
	uint64_t key;
	uint32_t i;
	struct profile_row *r;

	if (n < 0)
		goto oom;
	key = (uint64_t)(n + 1) << 33 | (uint64_t)truncated << 32 | stack;
	if (!idmap__get(&a->row_by_key, key, &i)) {
		if (!grow((void **)&a->rows, a->nr_rows, &a->cap_rows, sizeof(*a->rows)))
			goto oom;
		i = (uint32_t)a->nr_rows;
		if (idmap__put(&a->row_by_key, key, i))
			goto oom;
		a->rows[a->nr_rows++] = (struct profile_row){ (uint32_t)n, stack, truncated, { 0 } };
	}
	r = &a->rows[i];
	if (off_cpu) {
		r->v[2] += weight_ns;
		a->offcpu_spans++;
		a->has_off = true;
	} else {
		r->v[0]++;
		r->v[1] += weight_ns;
		a->samples++;
	}
	return;
oom:
	a->oom = true;
}

void profile_agg__reset(struct profile_agg *a)
{
	for (size_t i = 0; i < a->nr_names; i++)
		free(a->names[i]);
	a->nr_names = a->nr_rows = 0;
	a->samples = a->offcpu_spans = 0;
	a->has_off = a->oom = false;
	idmap__free(&a->row_by_key);
	idmap__free(&a->name_by_hash);
}

void profile_agg__free(struct profile_agg *a)
{
	profile_agg__reset(a);
	free(a->rows);
	free(a->names);
	memset(a, 0, sizeof(*a));
}
