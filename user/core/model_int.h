/* The model's state, shared by its two halves: model.c takes the events
 * in, model_finish.c judges them (leaks, orphans, conflations) and answers
 * the queries. Not for callers: model.h is the interface. */
#ifndef WEFT_MODEL_INT_H
#define WEFT_MODEL_INT_H

#include <stddef.h>
#include <stdint.h>
#include "idmap.h"
#include "model.h"
#include "stacks.h"
#include "txn_name.h"

struct model {
	struct model_opts opts;
	struct segment *segs;
	size_t nr_segs, cap_segs;
	struct idmap seg_idx;
	struct txn *txns;
	size_t nr_txns, cap_txns;
	struct idmap txn_idx;
	struct site_group *leaks, *orphans, *conns;
	size_t nr_leaks, nr_orphans, nr_conns;
	struct late_group *late;
	size_t nr_late;
	uint32_t *conflations; /* txn indices */
	size_t nr_conflations;
	size_t nr_self_untold;
	uint64_t nr_events, first_ns, last_ns;
	uint64_t nr_dup_ids; /* begins whose id was taken already: the first kept */
	/* polled ends (--go-lean) read before their SEG_BEGIN arrived: the map
	 * entry is made before the event is submitted */
	struct idmap early_idx;
	struct early_end {
		uint64_t end_ns, gone_by_ns;
	} *early;
	size_t nr_early, cap_early;
	struct sample *samples;
	size_t nr_samples, cap_samples;
	struct stacks stacks;
	struct profile_outside outside;
	struct idmap early_traps; /* traps drained before their txn's begin was read */
	struct name_set seg_names; /* WEFT_EV_SEG_NAME: a call segment's start is an id */
	/* folded (model_fold.c): per transaction name; ended orphans and
	 * connections' continuations per site */
	struct txn_fold *folds;
	size_t nr_folds;
	struct seg_fold *seg_folds;
	size_t nr_seg_folds;
	uint64_t nr_folded_txns, nr_folded_segs;
	/* fold_exported_only: continuations dropped alive with their exported
	 * transaction (a leak), until their end: id -> kind + 1 (0: ended) */
	struct idmap folded_live;
	uint64_t folded_live_by_kind[16];
	size_t fold_next; /* nr_txns at which compacting is tried again */
};

/* The end of a continuation dropped alive (model_fold.c): true when it
 * was one, now counted ended */
bool model__folded_live_end(struct model *m, uint64_t id);

/* Ended continuations outside any transaction, dropped: still counted
 * in their orphan or connection group */
struct seg_fold {
	uint64_t site, start, count;
	uint32_t kind;
	const char *conn;
};

static inline struct segment *seg_find(const struct model *m, uint64_t id)
{
	uint32_t i;

	return idmap__get(&m->seg_idx, id, &i) ? &m->segs[i] : NULL;
}

static inline struct txn *txn_find(const struct model *m, uint64_t id)
{
	uint32_t i;

	return idmap__get(&m->txn_idx, id, &i) ? &m->txns[i] : NULL;
}

#endif
