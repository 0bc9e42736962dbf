// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The tables of a profile (prof_tab.h): pprof.c's and otlp_profiles.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "prof_tab.h"
#include "symtab.h"

static uint64_t str_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ULL;
	return h;
}

static size_t str_slot(const struct strtab *t, const char *s)
{
	size_t i = str_hash(s) & (t->nslot - 1);

	while (t->slot[i] && strcmp(t->v[t->slot[i] - 1], s))
		i = (i + 1) & (t->nslot - 1);
	return i;
}

static int str_grow(struct strtab *t)
{
	size_t n = t->nslot ? t->nslot * 2 : 256;
	uint32_t *old = t->slot;

	t->slot = calloc(n, sizeof(*t->slot));
	if (!t->slot) {
		t->slot = old;
		return -1;
	}
	t->nslot = n;
	for (size_t i = 0; i < t->nr; i++)
		t->slot[str_slot(t, t->v[i])] = i + 1;
	free(old);
	return 0;
}

static uint64_t str_id(struct strtab *t, const char *s)
{
	size_t i;
	char *c;

	if (t->oom || ((t->nr + 1) * 2 > t->nslot && str_grow(t)))
		goto oom;
	i = str_slot(t, s);
	if (t->slot[i])
		return t->slot[i] - 1;
	if (t->nr == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		char **v = realloc(t->v, cap * sizeof(*v));

		if (!v)
			goto oom;
		t->v = v;
		t->cap = cap;
	}
	if (!(c = strdup(s)))
		goto oom;
	t->v[t->nr++] = c;
	t->slot[i] = t->nr;
	return t->nr - 1;
oom:
	t->oom = true;
	return 0;
}

static void strtab_free(struct strtab *t)
{
	for (size_t i = 0; i < t->nr; i++)
		free(t->v[i]);
	free(t->v);
	free(t->slot);
}

/* Room for one more of *v; false when out of memory. */
static bool room(struct prof_tab *b, void **v, size_t nr, size_t *cap, size_t sz)
{
	void *n;

	if (nr < *cap)
		return true;
	n = realloc(*v, (*cap ? *cap * 2 : 64) * sz);
	if (!n) {
		b->oom = true;
		return false;
	}
	*v = n;
	*cap = *cap ? *cap * 2 : 64;
	return true;
}

static uint64_t func_id(struct prof_tab *b, const char *name, const char *sys, const char *file)
{
	uint64_t n = str_id(&b->s, name), f = str_id(&b->s, file);
	uint64_t key = n << 32 | f; /* name never "": key never 0 */
	uint32_t id;

	if (idmap__get(&b->func_by_key, key, &id))
		return id;
	if (!room(b, (void **)&b->funcs, b->nr_funcs, &b->cap_funcs, sizeof(*b->funcs)))
		return 0;
	b->funcs[b->nr_funcs++] = (struct prof_func){ n, str_id(&b->s, sys), f };
	if (idmap__put(&b->func_by_key, key, b->nr_funcs))
		b->oom = true;
	return b->nr_funcs;
}

uint64_t prof_tab__map(struct prof_tab *b, const char *module, uint64_t addr, bool line)
{
	uint64_t f = str_id(&b->s, module);
	uint32_t id;
	struct prof_map *m;

	if (!idmap__get(&b->map_by_file, f, &id)) {
		if (!room(b, (void **)&b->maps, b->nr_maps, &b->cap_maps, sizeof(*b->maps)))
			return 0;
		b->maps[b->nr_maps++] = (struct prof_map){ addr, addr, f, false };
		id = b->nr_maps;
		if (idmap__put(&b->map_by_file, f, id))
			b->oom = true;
	}
	m = &b->maps[id - 1];
	if (addr && (addr < m->lo || !m->lo))
		m->lo = addr;
	if (addr > m->hi)
		m->hi = addr;
	m->lines |= line;
	return id;
}

static uint64_t add_loc(struct prof_tab *b, struct prof_loc l)
{
	if (!room(b, (void **)&b->locs, b->nr_locs, &b->cap_locs, sizeof(*b->locs)))
		return 0;
	b->locs[b->nr_locs++] = l;
	return b->nr_locs;
}

/* One location per distinct address, named as the folded stacks name it. */
static uint64_t loc_id(struct prof_tab *b, uint64_t addr)
{
	const struct sym *s = b->st ? symtab__find(b->st, addr) : NULL;
	struct prof_loc l = { .addr = addr };
	char name[512];
	uint32_t id;

	if (idmap__get(&b->loc_by_addr, addr, &id))
		return id;
	if (s && s->func[0]) { /* without a symbol version: clock_gettime@@GLIBC_2.17 */
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(s->func, "@"), s->func);
		l.func = func_id(b, name, s->func, s->file);
		l.line = s->line;
	} else {
		const char *base = s && s->module[0] ? strrchr(s->module, '/') : NULL;

		snprintf(name, sizeof(name), "[%s]",
			 base ? base + 1 : s && s->module[0] ? s->module : "unknown");
		l.func = func_id(b, name, "", "");
	}
	if (s && s->module[0])
		l.map = prof_tab__map(b, s->module, addr, s->line != 0);
	id = add_loc(b, l);
	if (id && idmap__put(&b->loc_by_addr, addr, id))
		b->oom = true;
	return id;
}

static uint64_t pseudo_loc(struct prof_tab *b, uint64_t *id, const char *name)
{
	if (!*id)
		*id = add_loc(b, (struct prof_loc){ .func = func_id(b, name, "", "") });
	return *id;
}

uint64_t prof_tab__str(struct prof_tab *b, const char *s)
{
	return str_id(&b->s, s);
}

uint32_t prof_tab__stack(struct prof_tab *b, uint32_t stack, bool truncated, uint64_t *ids)
{
	uint32_t nr, n = 0;
	const uint64_t *fr = model__stack(b->m, stack, &nr);

	for (uint32_t i = 0; i < nr && n < WEFT_MAX_FRAMES; i++)
		if (fr[i]) /* innermost first, as pprof wants */
			ids[n++] = loc_id(b, fr[i]);
	if (truncated) /* the outermost frames are missing: say so */
		ids[n++] = pseudo_loc(b, &b->truncated, "[truncated]");
	if (!n)
		ids[n++] = pseudo_loc(b, &b->no_stack, "[no stack]");
	return n;
}

bool prof_tab__oom(const struct prof_tab *b)
{
	return b->oom || b->s.oom;
}

void prof_tab__free(struct prof_tab *b)
{
	free(b->locs);
	free(b->funcs);
	free(b->maps);
	idmap__free(&b->loc_by_addr);
	idmap__free(&b->func_by_key);
	idmap__free(&b->map_by_file);
	strtab_free(&b->s);
}
