// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The model's judgement, at the end of a capture or on each redraw: what
 * leaked, what was orphaned or a connection's, which transactions conflate;
 * and the queries on the result. */
#include <stdlib.h>
#include <string.h>
#include "model_int.h"

static struct site_group *group_add(struct site_group **arr, size_t *nr, const struct segment *s)
{
	struct site_group *g, *n;

	/* a Node binding makes resources of several types: one group each */
	for (size_t i = 0; i < *nr; i++)
		if ((*arr)[i].site == s->site && (*arr)[i].kind == s->kind &&
		    (s->kind != WEFT_KIND_ASYNC || (*arr)[i].start == s->start))
			return &(*arr)[i];
	n = realloc(*arr, (*nr + 1) * sizeof(*n));
	if (!n)
		return NULL;
	*arr = n;
	g = &n[(*nr)++];
	memset(g, 0, sizeof(*g));
	g->site = s->site;
	g->start = s->start;
	g->kind = s->kind;
	return g;
}

static void group_name(struct site_group *g, const char *name)
{
	for (uint32_t i = 0; i < g->nr_txn_names; i++)
		if (!strcmp(g->txn_names[i], name))
			return;
	if (g->nr_txn_names < GROUP_MAX_NAMES)
		g->txn_names[g->nr_txn_names++] = name;
}

static int group_cmp(const void *a, const void *b)
{
	const struct site_group *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return x->site < y->site ? -1 : x->site > y->site;
}

const char *model__rule_name(uint32_t rule)
{
	switch (rule) {
	case RULE_GRACE: return "alive past the grace";
	case RULE_TEARDOWN: return "open at teardown";
	case RULE_BLOCKED: return "blocked at exit";
	case RULE_TIMER_LATE: return "asleep at exit, its timer due past the grace";
	case RULE_RUNNING: return "running at exit";
	case RULE_TIMER_SOON: return "asleep at exit, its timer due within the grace";
	}
	return "";
}

/* When s ended on its own, 0 if it did not: alive at the read at the exit,
 * an end after it is the process's (a thread dies with it) */
static uint64_t own_end(const struct segment *s)
{
	return s->exit_evidence && s->end_ns >= s->exit_read_ns ? 0 : s->end_ns;
}

/* Alive at the exit within the grace: judged by what the read at the exit
 * found, if anything (the process stopped there), else not judged. */
static uint32_t judge_at_exit(const struct segment *s, uint64_t due)
{
	switch (s->exit_evidence) {
	case WEFT_EXIT_RUNNING: return RULE_RUNNING;
	case WEFT_EXIT_BLOCKED: return RULE_BLOCKED;
	case WEFT_EXIT_TIMER:
		if (!s->exit_timer_ns)
			return RULE_NONE;
		return s->exit_read_ns + s->exit_timer_ns - 1 <= due ? RULE_TIMER_SOON
								     : RULE_TIMER_LATE;
	case WEFT_EXIT_SLEEP:
		/* it began after the continuation did, by the read at the latest */
		if (!s->exit_timer_ns)
			return RULE_NONE;
		if (s->exit_read_ns + s->exit_timer_ns - 1 <= due)
			return RULE_TIMER_SOON;
		return s->begin_ns + s->exit_timer_ns - 1 > due ? RULE_TIMER_LATE : RULE_NONE;
	}
	return RULE_NONE;
}

/* Alive at txn end + grace (and the capture reached that point): leaked.
 * Alive at the exit within the grace: judged by the exit's evidence. */
static void classify(struct model *m, struct segment *s, uint64_t now)
{
	uint64_t grace = m->opts.leak_grace_ns, due;
	struct txn *t = s->txn ? txn_find(m, s->txn) : NULL;
	struct site_group *g;
	uint64_t end = own_end(s);

	s->state = end ? SEG_ENDED : s->pooled ? SEG_POOLED : SEG_LIVE;
	s->rule = RULE_NONE;
	/* idle in a pool: its request let it go; but a test file's teardown
	 * closes what the file left open, pooled or not */
	if (s->stdio || (s->pooled && !(t && t->teardown)))
		return;
	if (!t || !t->end_ns || s->id == t->root_seg || (s->flags & WEFT_F_PREATTACH))
		return;
	if (m->opts.grace_for) {
		uint64_t g = m->opts.grace_for(m->opts.grace_ctx, s);

		if (g != UINT64_MAX)
			grace = g;
	}
	if (t->teardown)
		grace = 0; /* the runtime ends what is left: nothing ends on its own */
	due = t->end_ns + grace;
	if (end && end <= due)
		return;
	/* the exit's evidence judges what was alive at it; at a teardown (no
	 * grace) too: a callback running then is in flight */
	if (now < due || (t->teardown && s->exit_evidence && !end)) {
		if (end)
			return;
		s->state = SEG_PENDING;
		s->rule = judge_at_exit(s, due);
		if (s->rule != RULE_BLOCKED && s->rule != RULE_TIMER_LATE)
			return;
		s->state = SEG_LEAKED;
		s->leaked_at_ns = s->exit_read_ns;
	} else {
		s->state = SEG_LEAKED;
		s->rule = t->teardown ? RULE_TEARDOWN : RULE_GRACE;
		s->leaked_at_ns = due;
	}
	t->nr_leaked++;
	g = group_add(&m->leaks, &m->nr_leaks, s);
	if (!g)
		return;
	g->count++;
	if (s->has_gstate && !g->has_wait) {
		g->has_wait = true;
		g->wait_reason = s->go_wait_reason;
	}
	if (s->has_gstate && s->go_waited_ns > g->max_waited_ns)
		g->max_waited_ns = s->go_waited_ns;
	if ((end ? end : now) - t->end_ns > g->max_age_ns)
		g->max_age_ns = (end ? end : now) - t->end_ns;
	group_name(g, model__txn_name(m, t));
}

static int u64_cmp(const void *a, const void *b);

/* An end after its transaction's, t: cleanup that can be timed (not the
 * runtime's teardown closing what was left, not stdio). */
static bool late_exit(const struct model *m, const struct segment *s, const struct txn **t)
{
	*t = s->txn ? txn_find(m, s->txn) : NULL;
	return *t && (*t)->end_ns && !(*t)->teardown && own_end(s) && s->end_ns > (*t)->end_ns &&
	       s->id != (*t)->root_seg && !s->stdio;
}

/* Per site: the ends after the transaction's end, sorted, for percentiles. */
static void late_groups(struct model *m)
{
	uint64_t *lat = malloc((m->nr_segs + 1) * sizeof(*lat));
	bool *done = calloc(m->nr_segs + 1, sizeof(*done));

	free(m->late);
	m->late = NULL;
	m->nr_late = 0;
	for (size_t i = 0; lat && done && i < m->nr_segs; i++) {
		const struct segment *s = &m->segs[i];
		const struct txn *t;
		struct late_group *g, *ng;
		size_t n = 0;

		if (done[i] || !late_exit(m, s, &t))
			continue;
		ng = realloc(m->late, (m->nr_late + 1) * sizeof(*ng));
		if (!ng)
			break;
		m->late = ng;
		g = &m->late[m->nr_late++];
		memset(g, 0, sizeof(*g));
		g->site = s->site;
		g->start = s->start;
		g->kind = s->kind;
		for (size_t j = i; j < m->nr_segs; j++) {
			const struct segment *o = &m->segs[j];
			const struct txn *ot;

			if (done[j] || o->site != s->site || o->kind != s->kind ||
			    !late_exit(m, o, &ot))
				continue;
			done[j] = true;
			lat[n++] = o->end_ns - ot->end_ns;
			g->leaked += o->state == SEG_LEAKED;
		}
		qsort(lat, n, sizeof(*lat), u64_cmp);
		g->count = n;
		g->p50_ns = lat[(n - 1) / 2];
		g->p99_ns = lat[(size_t)((n - 1) * 0.99)];
		g->max_ns = lat[n - 1];
	}
	free(lat);
	free(done);
}

/* Samples go to their transaction here, not as they arrive: a thread's
 * sample may come in before the TXN_BEGIN another CPU submitted. */
static void profile_totals(struct model *m)
{
	memset(&m->outside, 0, sizeof(m->outside));
	for (size_t i = 0; i < m->nr_txns; i++) {
		struct txn *t = &m->txns[i];

		t->cpu_samples = t->cpu_ns = t->offcpu_ns = t->offcpu_spans = 0;
	}
	for (size_t i = 0; i < m->nr_samples; i++) {
		const struct sample *s = &m->samples[i];
		struct txn *t = s->txn ? txn_find(m, s->txn) : NULL;
		uint64_t *samples = t ? &t->cpu_samples : &m->outside.cpu_samples;
		uint64_t *cpu = t ? &t->cpu_ns : &m->outside.cpu_ns;
		uint64_t *off = t ? &t->offcpu_ns : &m->outside.offcpu_ns;
		uint64_t *spans = t ? &t->offcpu_spans : &m->outside.offcpu_spans;

		if (s->off_cpu) {
			*off += s->weight_ns;
			(*spans)++;
		} else {
			*cpu += s->weight_ns;
			(*samples)++;
		}
	}
}

/* A call to itself on a multiplexed connection (gRPC): its caller is the
 * transaction with a call of that method open when it began ("METHOD
 * target"), if only one had. */
static void tell_caller(struct model *m, struct txn *t)
{
	/* an HTTP request's name is its method, a space, a path or pattern */
	const char *sp = t->name[0] != '/' ? memchr(t->name, ' ', sizeof(t->name)) : NULL;
	bool http = sp != NULL;
	size_t nlen = http ? (size_t)(sp - t->name) : strnlen(t->name, sizeof(t->name));
	uint64_t callers[2] = { 0, 0 };
	const struct segment *call = NULL;

	t->wire_callers = 0;
	t->wire_seg = 0;
	t->outer_txn = 0;
	for (size_t i = 0; i < m->nr_segs; i++) {
		const struct segment *s = &m->segs[i];
		const char *name;

		if ((s->kind != WEFT_KIND_CALL && !(s->flags & WEFT_F_H2CALL)) || !s->txn ||
		    s->txn == t->id || s->begin_ns > t->begin_ns ||
		    (s->end_ns && (s->gone_by_ns ? s->gone_by_ns : s->end_ns) < t->begin_ns))
			continue;
		/* an HTTP request ("GET /x") is an HTTP/2 call's, of its method
		 * ("GET host:port"); an RPC a named call of its method; an
		 * HTTP/2 stream's (Node's client) has no name: any */
		if (http && !(s->flags & WEFT_F_H2CALL))
			continue;
		name = s->kind == WEFT_KIND_CALL ? model__seg_name(m, s->start) : "";
		if (s->kind == WEFT_KIND_CALL &&
		    (!name || strncmp(name, t->name, nlen) || name[nlen] != ' '))
			continue;
		if (!call || s->begin_ns >= call->begin_ns)
			call = s;
		if (s->txn != callers[0] && s->txn != callers[1] && t->wire_callers < 2)
			callers[t->wire_callers++] = s->txn;
		else if (s->txn != callers[0] && s->txn != callers[1])
			t->wire_callers++;
	}
	if (t->wire_callers == 1) {
		const struct txn *o = txn_find(m, callers[0]);

		t->outer_txn = callers[0];
		t->wire_seg = call->id;
		t->outer_ended = o && o->end_ns && o->end_ns <= t->begin_ns;
	}
}

void model__finish(struct model *m, uint64_t now_ns)
{
	struct site_group *g;

	m->nr_leaks = m->nr_orphans = m->nr_conns = m->nr_conflations = 0;
	m->nr_self_untold = 0;
	for (size_t i = 0; i < m->nr_txns; i++) {
		struct txn *t = &m->txns[i];

		t->nr_leaked = 0;
		if (t->wire_mux) {
			if (!t->wire_settled)
				tell_caller(m, t);
			t->wire_settled = now_ns >= t->begin_ns + m->opts.leak_grace_ns;
			/* none: made outside any transaction (not a call segment) */
			m->nr_self_untold += t->wire_callers > 1;
		}
	}
	free(m->conflations);
	m->conflations = calloc(m->nr_txns + 1, sizeof(*m->conflations));
	for (size_t i = 0; i < m->nr_txns; i++)
		if (m->txns[i].outer_txn && m->conflations)
			m->conflations[m->nr_conflations++] = i;
	for (size_t i = 0; i < m->nr_seg_folds; i++) {
		const struct seg_fold *f = &m->seg_folds[i];
		struct segment s = { .site = f->site, .start = f->start, .kind = f->kind };

		g = f->conn ? group_add(&m->conns, &m->nr_conns, &s)
			    : group_add(&m->orphans, &m->nr_orphans, &s);
		if (g) {
			g->count += f->count;
			g->conn = f->conn;
		}
	}
	for (size_t i = 0; i < m->nr_segs; i++) {
		struct segment *s = &m->segs[i];

		classify(m, s, now_ns);
		if (!m->opts.txns_traced || s->txn || s->kind == WEFT_KIND_TXN ||
		    (s->flags & WEFT_F_PREATTACH))
			continue;
		if (s->conn) {
			g = group_add(&m->conns, &m->nr_conns, s);
			if (g)
				g->conn = s->conn;
		} else
			g = group_add(&m->orphans, &m->nr_orphans, s);
		if (g)
			g->count++;
	}
	late_groups(m);
	profile_totals(m);
	qsort(m->leaks, m->nr_leaks, sizeof(*m->leaks), group_cmp);
	qsort(m->orphans, m->nr_orphans, sizeof(*m->orphans), group_cmp);
	qsort(m->conns, m->nr_conns, sizeof(*m->conns), group_cmp);
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* With folded transactions: over the buckets, kept ones added */
static uint64_t folded_quantile(const struct model *m, const char *name, double q)
{
	uint64_t *h = calloc(FOLD_BUCKETS, sizeof(*h)), n = 0, k, r = 0, seen = 0;

	if (!h)
		return 0;
	for (size_t i = 0; i < m->nr_folds; i++) {
		const struct txn_fold *f = model__fold_at(m, i);

		if (name && strcmp(name, f->name))
			continue;
		for (uint32_t b = 0; b < FOLD_BUCKETS; b++)
			h[b] += f->dur[b];
		n += f->count;
	}
	for (size_t i = 0; i < m->nr_txns; i++) {
		const struct txn *t = &m->txns[i];

		if (t->end_ns && (!name || !strcmp(name, model__txn_name(m, t)))) {
			h[fold__bucket(t->end_ns - t->begin_ns)]++;
			n++;
		}
	}
	k = (uint64_t)(q * n + 0.999999);
	for (uint32_t b = 0; n && b < FOLD_BUCKETS; b++) {
		seen += h[b];
		if (seen >= (k ? k : 1)) {
			r = fold__value(b);
			break;
		}
	}
	free(h);
	return r;
}

uint64_t model__txn_quantile(const struct model *m, const char *name, double q)
{
	uint64_t *d, r = 0;
	size_t n = 0;

	if (name ? model__fold_named(m, name) != NULL : m->nr_folds > 0)
		return folded_quantile(m, name, q);
	d = malloc((m->nr_txns + 1) * sizeof(*d));
	if (!d)
		return 0;
	for (size_t i = 0; i < m->nr_txns; i++) {
		const struct txn *t = &m->txns[i];

		if (t->end_ns && (!name || !strcmp(name, model__txn_name(m, t))))
			d[n++] = t->end_ns - t->begin_ns;
	}
	if (n) {
		qsort(d, n, sizeof(*d), u64_cmp);
		/* nearest rank */
		size_t k = (size_t)(q * n + 0.999999);

		r = d[k ? k - 1 : 0];
	}
	free(d);
	return r;
}

size_t model__conflation_chain(const struct model *m, const struct txn *t,
			       const struct segment **out, size_t max)
{
	const struct txn *o = txn_find(m, t->outer_txn);
	const struct segment *s = seg_find(m, t->wire_seg ? t->wire_seg : t->parent_seg);
	size_t n = 0;

	/* bounded: a corrupt file may hold a parent cycle */
	for (size_t hops = 0; s && o && s->id != o->root_seg && n < max && hops < 64; hops++) {
		out[n++] = s;
		s = seg_find(m, s->parent);
	}
	return n;
}

size_t model__nr_samples(const struct model *m) { return m->nr_samples; }

size_t model__take_samples(struct model *m, uint64_t now_ns, uint64_t settle_ns, bool all,
			   void (*take)(void *ctx, const struct sample *s, const struct txn *t),
			   void *ctx)
{
	size_t j = 0, taken = 0;

	for (size_t i = 0; i < m->nr_samples; i++) {
		const struct sample *s = &m->samples[i];
		struct txn *t = s->txn ? txn_find(m, s->txn) : NULL;

		if (all || (t ? t->exported : s->ts_ns + settle_ns <= now_ns)) {
			take(ctx, s, t);
			taken++;
		} else {
			m->samples[j++] = *s;
		}
	}
	m->nr_samples = j;
	return taken;
}
const struct sample *model__sample_at(const struct model *m, size_t i) { return &m->samples[i]; }
const struct profile_outside *model__outside(const struct model *m) { return &m->outside; }
const uint64_t *model__stack(const struct model *m, uint32_t idx, uint32_t *nr)
{
	return stacks__get(&m->stacks, idx, nr);
}
size_t model__nr_segments(const struct model *m) { return m->nr_segs; }
const struct segment *model__segment_at(const struct model *m, size_t i) { return &m->segs[i]; }
const struct segment *model__segment(const struct model *m, uint64_t id) { return seg_find(m, id); }
size_t model__nr_txns(const struct model *m) { return m->nr_txns; }
const struct txn *model__txn_at(const struct model *m, size_t i) { return &m->txns[i]; }
const struct txn *model__txn(const struct model *m, uint64_t id) { return txn_find(m, id); }
uint64_t model__nr_events(const struct model *m) { return m->nr_events; }
uint64_t model__nr_dup_ids(const struct model *m) { return m->nr_dup_ids; }
uint64_t model__first_ns(const struct model *m) { return m->first_ns; }
uint64_t model__last_ns(const struct model *m) { return m->last_ns; }
size_t model__nr_late(const struct model *m) { return m->nr_late; }
const struct late_group *model__late_at(const struct model *m, size_t i) { return &m->late[i]; }
size_t model__nr_leaks(const struct model *m) { return m->nr_leaks; }
const struct site_group *model__leak_at(const struct model *m, size_t i) { return &m->leaks[i]; }
size_t model__nr_orphans(const struct model *m) { return m->nr_orphans; }
size_t model__nr_conns(const struct model *m) { return m->nr_conns; }
const struct site_group *model__conn_at(const struct model *m, size_t i) { return &m->conns[i]; }
const struct site_group *model__orphan_at(const struct model *m, size_t i) { return &m->orphans[i]; }
size_t model__nr_conflations(const struct model *m) { return m->nr_conflations; }
size_t model__nr_self_untold(const struct model *m) { return m->nr_self_untold; }
const struct txn *model__conflation_at(const struct model *m, size_t i)
{
	return &m->txns[m->conflations[i]];
}
