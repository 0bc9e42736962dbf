// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Address -> symbol table.
 *
 * Entries live in individually allocated nodes so that the pointers handed
 * out by symtab__find()/symtab__at() stay valid while the table grows; a
 * vector keeps them in insertion order (what symtab__at() walks, and so the
 * order a record file stores them in), and an open-addressing hash on the
 * address indexes that vector for O(1) lookups. The symbolizer looks up an
 * address before every add, so lookups are the hot path. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "symtab.h"

struct sym_node {
	struct sym s;
	char *strs; /* func, file and module, back to back, NUL terminated */
};

struct symtab {
	struct sym_node **v; /* insertion order */
	size_t nr, cap;
	uint32_t *slots;     /* index into v plus one; 0 is an empty slot */
	size_t nr_slots;     /* a power of two, at least twice nr */
};

static size_t slot_hash(uint64_t addr, size_t nr_slots)
{
	/* Fibonacci hashing: code addresses share their high bits */
	return (size_t)((addr * 0x9e3779b97f4a7c15ULL) >> 32) & (nr_slots - 1);
}

/* The slot holding addr, or the empty slot where it would go. */
static size_t symtab__slot(const struct symtab *st, uint64_t addr)
{
	size_t i = slot_hash(addr, st->nr_slots);

	while (st->slots[i] && st->v[st->slots[i] - 1]->s.addr != addr)
		i = (i + 1) & (st->nr_slots - 1);
	return i;
}

static int symtab__rehash(struct symtab *st, size_t nr_slots)
{
	uint32_t *slots = calloc(nr_slots, sizeof(*slots));

	if (!slots)
		return -1;
	free(st->slots);
	st->slots = slots;
	st->nr_slots = nr_slots;
	for (size_t i = 0; i < st->nr; i++)
		st->slots[symtab__slot(st, st->v[i]->s.addr)] = (uint32_t)(i + 1);
	return 0;
}

struct symtab *symtab__new(void)
{
	struct symtab *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	if (symtab__rehash(st, 64)) {
		free(st);
		return NULL;
	}
	return st;
}

void symtab__free(struct symtab *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->nr; i++) {
		free(st->v[i]->strs);
		free(st->v[i]);
	}
	free(st->v);
	free(st->slots);
	free(st);
}

/* Points n's strings at one fresh copy of s's; the old copy is freed. */
static int sym_node__set(struct sym_node *n, const struct sym *s)
{
	const char *func = s->func ? s->func : "";
	const char *file = s->file ? s->file : "";
	const char *module = s->module ? s->module : "";
	size_t lf = strlen(func) + 1, ll = strlen(file) + 1, lm = strlen(module) + 1;
	char *p = malloc(lf + ll + lm);

	if (!p)
		return -1;
	memcpy(p, func, lf);
	memcpy(p + lf, file, ll);
	memcpy(p + lf + ll, module, lm);
	free(n->strs);
	n->strs = p;
	n->s = *s;
	n->s.func = p;
	n->s.file = p + lf;
	n->s.module = p + lf + ll;
	return 0;
}

static int symtab__grow(struct symtab *st)
{
	size_t cap = st->cap ? st->cap * 2 : 64;
	struct sym_node **v;

	if (st->nr >= UINT32_MAX - 1)
		return -1; /* slots store u32 indices */
	if (st->nr < st->cap)
		return 0;
	v = realloc(st->v, cap * sizeof(*v));
	if (!v)
		return -1;
	st->v = v;
	st->cap = cap;
	return 0;
}

int symtab__add(struct symtab *st, const struct sym *s)
{
	struct sym_node *n;
	size_t slot;

	if (!st || !s) {
		errno = EINVAL;
		return -1;
	}
	slot = symtab__slot(st, s->addr);
	if (st->slots[slot])
		return sym_node__set(st->v[st->slots[slot] - 1], s) ? (errno = ENOMEM, -1) : 0;
	/* keep the load factor at or below one half */
	if ((st->nr + 1) * 2 > st->nr_slots) {
		if (symtab__rehash(st, st->nr_slots * 2))
			goto oom;
		slot = symtab__slot(st, s->addr);
	}
	if (symtab__grow(st))
		goto oom;
	n = calloc(1, sizeof(*n));
	if (!n)
		goto oom;
	if (sym_node__set(n, s)) {
		free(n);
		goto oom;
	}
	st->v[st->nr++] = n;
	st->slots[slot] = (uint32_t)st->nr;
	return 0;
oom:
	errno = ENOMEM;
	return -1;
}

const struct sym *symtab__find(const struct symtab *st, uint64_t addr)
{
	size_t slot;

	if (!st)
		return NULL;
	slot = symtab__slot(st, addr);
	return st->slots[slot] ? &st->v[st->slots[slot] - 1]->s : NULL;
}

size_t symtab__count(const struct symtab *st)
{
	return st ? st->nr : 0;
}

const struct sym *symtab__at(const struct symtab *st, size_t i)
{
	return st && i < st->nr ? &st->v[i]->s : NULL;
}

const char *sym__format(const struct sym *s, uint64_t addr, char *buf, size_t len)
{
	char off[32] = "";

	if (!buf || !len)
		return buf;
	if (!s || !s->func || !s->func[0]) {
		snprintf(buf, len, "0x%" PRIx64, addr);
		return buf;
	}
	if (s->off)
		snprintf(off, sizeof(off), "+0x%" PRIx64, s->off);
	if (s->file && s->file[0] && s->line)
		snprintf(buf, len, "%s%s (%s:%" PRIu32 ")", s->func, off, s->file, s->line);
	else
		snprintf(buf, len, "%s%s", s->func, off);
	return buf;
}
