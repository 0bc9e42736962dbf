/* u64 id -> u32 index, open addressing. Ids are never 0. */
#ifndef WEFT_IDMAP_H
#define WEFT_IDMAP_H

#include <stdint.h>
#include <stdlib.h>

struct idmap {
	uint64_t *keys;
	uint32_t *vals;
	size_t cap, len; /* cap: power of two */
};

static inline size_t idmap__slot(uint64_t k, size_t cap)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	return k & (cap - 1);
}

static inline int idmap__put(struct idmap *m, uint64_t k, uint32_t v);

static inline int idmap__grow(struct idmap *m)
{
	struct idmap n = { .cap = m->cap ? m->cap * 2 : 1024 };

	n.keys = calloc(n.cap, sizeof(*n.keys));
	n.vals = calloc(n.cap, sizeof(*n.vals));
	if (!n.keys || !n.vals) {
		free(n.keys);
		free(n.vals);
		return -1;
	}
	for (size_t i = 0; i < m->cap; i++)
		if (m->keys[i])
			idmap__put(&n, m->keys[i], m->vals[i]);
	free(m->keys);
	free(m->vals);
	*m = n;
	return 0;
}

static inline int idmap__put(struct idmap *m, uint64_t k, uint32_t v)
{
	size_t i;

	if ((m->len + 1) * 2 > m->cap && idmap__grow(m))
		return -1;
	for (i = idmap__slot(k, m->cap); m->keys[i] && m->keys[i] != k; i = (i + 1) & (m->cap - 1))
		;
	if (!m->keys[i])
		m->len++;
	m->keys[i] = k;
	m->vals[i] = v;
	return 0;
}

/* Returns 1 and sets *v when found. */
static inline int idmap__get(const struct idmap *m, uint64_t k, uint32_t *v)
{
	if (!m->cap || !k)
		return 0;
	for (size_t i = idmap__slot(k, m->cap); m->keys[i]; i = (i + 1) & (m->cap - 1))
		if (m->keys[i] == k) {
			*v = m->vals[i];
			return 1;
		}
	return 0;
}

static inline void idmap__free(struct idmap *m)
{
	free(m->keys);
	free(m->vals);
	m->keys = NULL;
	m->vals = NULL;
	m->cap = m->len = 0;
}

#endif
