/* A model fed by hand: the options the model tests share and the events
 * they build (a thread, a transaction, their ends). Shared by
 * test_model_tree.c and test_model_requests.c; static inline, so a test
 * that uses only some of them builds without warnings. */
#ifndef WEFT_TEST_MODEL_EVENTS_H
#define WEFT_TEST_MODEL_EVENTS_H

#include "model.h"

#define MS 1000000ULL
#define P_TXN 6 /* a spec probe index */

static inline struct model *new_model(uint64_t grace)
{
	struct model_opts o = { .leak_grace_ns = grace, .txns_traced = true };

	o.probe_names[P_TXN] = "handle_request";
	return model__new(&o);
}

static inline void ev(struct model *m, uint32_t type, uint32_t kind, uint64_t ts, uint64_t seg,
		      uint64_t parent, uint64_t txn, uint64_t site)
{
	struct weft_event e = { .ts_ns = ts, .type = type, .kind = kind, .seg = seg,
				.parent = parent, .txn = txn, .probe = P_TXN };

	if (site) {
		e.frames[0] = site;
		e.nr_frames = 1;
	}
	model__feed(m, &e);
}

static inline void thread_begin(struct model *m, uint64_t ts, uint64_t seg, uint64_t parent,
				uint64_t txn, uint64_t site)
{
	ev(m, WEFT_EV_SEG_BEGIN, WEFT_KIND_THREAD, ts, seg, parent, txn, site);
}

static inline void seg_end(struct model *m, uint64_t ts, uint64_t seg)
{
	ev(m, WEFT_EV_SEG_END, WEFT_KIND_THREAD, ts, seg, 0, 0, 0);
}

static inline void txn_begin(struct model *m, uint64_t ts, uint64_t seg, uint64_t parent,
			     uint64_t txn, uint64_t outer)
{
	struct weft_event e = { .ts_ns = ts, .type = WEFT_EV_TXN_BEGIN, .kind = WEFT_KIND_TXN,
				.seg = seg, .parent = parent, .txn = txn, .obj = outer,
				.probe = P_TXN, .nr_frames = 1 };

	e.frames[0] = 0x1000;
	model__feed(m, &e);
}

static inline void txn_end(struct model *m, uint64_t ts, uint64_t seg, uint64_t txn)
{
	ev(m, WEFT_EV_TXN_END, WEFT_KIND_TXN, ts, seg, 0, txn, 0);
}

#endif
