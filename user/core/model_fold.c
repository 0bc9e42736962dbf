// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Long captures stay bounded: what can no longer change a verdict is
 * folded into totals (per transaction name, per orphan or connection site)
 * and dropped. What stays whole: live transactions and those within their
 * grace, any with a continuation still alive (leaks among them), the
 * conflations and the transactions they began in, calls to itself, the
 * slowest (the printed tree). */
#include <stdlib.h>
#include <string.h>
#include "model_int.h"

uint32_t fold__bucket(uint64_t ns)
{
	int e;

	if (ns < FOLD_SUB)
		return (uint32_t)ns;
	e = 63 - __builtin_clzll(ns); /* >= 4 */
	return FOLD_SUB + (uint32_t)(e - 4) * FOLD_SUB + (uint32_t)((ns >> (e - 4)) & (FOLD_SUB - 1));
}

uint64_t fold__value(uint32_t b)
{
	uint32_t e, sub;

	if (b < FOLD_SUB)
		return b;
	e = (b - FOLD_SUB) / FOLD_SUB + 4;
	sub = (b - FOLD_SUB) % FOLD_SUB;
	return ((uint64_t)(FOLD_SUB | sub) << (e - 4)) + (1ULL << (e - 4)) / 2;
}

size_t model__nr_folds(const struct model *m) { return m->nr_folds; }
void model__set_exported(struct model *m, size_t i) { m->txns[i].exported = true; }
const struct txn_fold *model__fold_at(const struct model *m, size_t i) { return &m->folds[i]; }
uint64_t model__nr_folded_txns(const struct model *m) { return m->nr_folded_txns; }
uint64_t model__nr_folded_segments(const struct model *m) { return m->nr_folded_segs; }

uint64_t model__folded_live(const struct model *m, uint32_t kind)
{
	return kind < 16 ? m->folded_live_by_kind[kind] : 0;
}

/* A live continuation leaves with its transaction: still counted live */
static void fold_live(struct model *m, const struct segment *s)
{
	if (!m->opts.fold_exported_only || s->end_ns || s->kind == WEFT_KIND_TXN || s->kind >= 16 ||
	    idmap__put(&m->folded_live, s->id, s->kind + 1))
		return;
	m->folded_live_by_kind[s->kind]++;
}

bool model__folded_live_end(struct model *m, uint64_t id)
{
	uint32_t v;

	if (!m->folded_live.len || !idmap__get(&m->folded_live, id, &v) || !v)
		return false;
	m->folded_live_by_kind[v - 1]--;
	idmap__put(&m->folded_live, id, 0);
	return true;
}

const struct txn_fold *model__fold_named(const struct model *m, const char *name)
{
	for (size_t i = 0; i < m->nr_folds; i++)
		if (!strncmp(m->folds[i].name, name, sizeof(m->folds[i].name) - 1))
			return &m->folds[i];
	return NULL;
}

static struct txn_fold *fold_for(struct model *m, const char *name)
{
	struct txn_fold *f = (struct txn_fold *)model__fold_named(m, name), *n;

	if (f)
		return f;
	n = realloc(m->folds, (m->nr_folds + 1) * sizeof(*n));
	if (!n)
		return NULL;
	m->folds = n;
	f = &n[m->nr_folds++];
	memset(f, 0, sizeof(*f));
	strncpy(f->name, name, sizeof(f->name) - 1);
	return f;
}

static int seg_fold_add(struct model *m, const struct segment *s)
{
	struct seg_fold *f, *n;

	for (size_t i = 0; i < m->nr_seg_folds; i++) {
		f = &m->seg_folds[i];
		if (f->site == s->site && f->start == s->start && f->kind == s->kind &&
		    f->conn == s->conn) {
			f->count++;
			return 0;
		}
	}
	n = realloc(m->seg_folds, (m->nr_seg_folds + 1) * sizeof(*n));
	if (!n)
		return -1;
	m->seg_folds = n;
	n[m->nr_seg_folds++] = (struct seg_fold){ s->site, s->start, 1, s->kind, s->conn };
	return 0;
}

/* Per transaction (by index): a continuation of it is alive; something
 * kept refers to it (a conflation began in it) */
struct fold_marks {
	bool *alive, *needed, *folded;
};

static int marks_of(const struct model *m, struct fold_marks *k)
{
	uint32_t i;

	k->alive = calloc(m->nr_txns + 1, 1);
	k->needed = calloc(m->nr_txns + 1, 1);
	k->folded = calloc(m->nr_txns + 1, 1);
	if (!k->alive || !k->needed || !k->folded)
		return -1;
	for (size_t j = 0; j < m->nr_segs; j++) {
		const struct segment *s = &m->segs[j];

		if (!s->end_ns && s->txn && idmap__get(&m->txn_idx, s->txn, &i))
			k->alive[i] = true;
	}
	for (size_t j = 0; j < m->nr_txns; j++) {
		const struct txn *t = &m->txns[j];

		if (t->outer_txn && idmap__get(&m->txn_idx, t->outer_txn, &i))
			k->needed[i] = true;
		if (t->nested_in && idmap__get(&m->txn_idx, t->nested_in, &i))
			k->needed[i] = true;
	}
	return 0;
}

static bool txn_foldable(const struct model *m, const struct fold_marks *k, size_t i,
			 uint64_t now)
{
	const struct txn *t = &m->txns[i];

	if (m->opts.fold_exported_only)
		return t->exported && t->end_ns && t->end_ns + m->opts.leak_grace_ns <= now &&
		       !k->needed[i];
	return t->end_ns && t->end_ns + m->opts.leak_grace_ns <= now && !k->alive[i] &&
	       !k->needed[i] && !t->outer_txn && !t->nested_in && !t->wire_mux && !t->teardown &&
	       !t->nr_leaked;
}

static void fold_txn(struct model *m, const struct txn *t)
{
	struct txn_fold *f = fold_for(m, model__txn_name(m, t));

	if (!f)
		return;
	f->count++;
	f->segments += t->nr_segments;
	f->traps += t->traps;
	f->dur[fold__bucket(t->end_ns - t->begin_ns)]++;
	m->nr_folded_txns++;
}

/* Dropped with the transactions folded, or on its own: ended a grace ago,
 * outside any transaction known (an orphan, a connection's) */
static bool seg_dropped(struct model *m, const struct fold_marks *k, const struct segment *s,
			uint64_t now)
{
	uint32_t i;

	if (s->txn && idmap__get(&m->txn_idx, s->txn, &i))
		return k->folded[i];
	if (!s->end_ns || s->end_ns + m->opts.leak_grace_ns > now)
		return false;
	/* counted in its orphan or connection group still */
	if (!s->txn && m->opts.txns_traced && s->kind != WEFT_KIND_TXN &&
	    !(s->flags & WEFT_F_PREATTACH) && seg_fold_add(m, s))
		return false;
	return true;
}

static int reindex(struct model *m)
{
	idmap__free(&m->seg_idx);
	idmap__free(&m->txn_idx);
	for (size_t i = 0; i < m->nr_segs; i++)
		if (idmap__put(&m->seg_idx, m->segs[i].id, (uint32_t)i))
			return -1;
	for (size_t i = 0; i < m->nr_txns; i++)
		if (idmap__put(&m->txn_idx, m->txns[i].id, (uint32_t)i))
			return -1;
	return 0;
}

static size_t fold(struct model *m, uint64_t now)
{
	struct fold_marks k = { 0 };
	size_t slowest = m->nr_txns, nt = 0, ns = 0, folded = 0;

	if (marks_of(m, &k))
		goto out;
	for (size_t i = 0; i < m->nr_txns; i++) {
		const struct txn *t = &m->txns[i], *b = &m->txns[slowest];

		if (t->end_ns && (slowest == m->nr_txns ||
				  t->end_ns - t->begin_ns > b->end_ns - b->begin_ns))
			slowest = i;
	}
	for (size_t i = 0; i < m->nr_txns; i++)
		if (i != slowest && txn_foldable(m, &k, i, now)) {
			fold_txn(m, &m->txns[i]);
			k.folded[i] = true;
			folded++;
		}
	for (size_t i = 0; i < m->nr_segs; i++) {
		if (seg_dropped(m, &k, &m->segs[i], now)) {
			fold_live(m, &m->segs[i]);
			m->nr_folded_segs++;
			continue;
		}
		m->segs[ns++] = m->segs[i];
	}
	for (size_t i = 0; i < m->nr_txns; i++)
		if (!k.folded[i])
			m->txns[nt++] = m->txns[i];
	/* the arrays grow zeroed: what is added next expects it */
	memset(&m->segs[ns], 0, (m->nr_segs - ns) * sizeof(*m->segs));
	memset(&m->txns[nt], 0, (m->nr_txns - nt) * sizeof(*m->txns));
	m->nr_segs = ns;
	m->nr_txns = nt;
	reindex(m);
out:
	free(k.alive);
	free(k.needed);
	free(k.folded);
	return folded;
}

void model__compact(struct model *m, uint64_t now_ns)
{
	size_t keep = m->opts.fold_keep;

	/* a profile's samples point at their transactions: kept whole, but
	 * for the agent's, which leave with their exported transactions */
	if (!keep || (!m->opts.fold_exported_only && (m->nr_samples || m->opts.sample_period_ns)) ||
	    m->nr_txns < keep ||
	    m->nr_txns < m->fold_next)
		return;
	model__finish(m, now_ns);
	if (fold(m, now_ns))
		model__finish(m, now_ns); /* indices moved: judge again */
	/* what could not be folded is not tried again before keep more came */
	m->fold_next = m->nr_txns + keep / 2;
}
