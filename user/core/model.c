// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Event stream -> segments, transactions, leaks, orphans, conflations. */
#include <stdlib.h>
#include <string.h>
#include "model.h"
#include "txn_name.h"
#include "idmap.h"
#include "stacks.h"

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
	/* polled ends (--go-lean) read before their SEG_BEGIN arrived: the map
	 * entry is made before the event is submitted */
	struct idmap early_idx;
	uint64_t *early_ns;
	size_t nr_early, cap_early;
	struct sample *samples;
	size_t nr_samples, cap_samples;
	struct stacks stacks;
	struct profile_outside outside;
	struct idmap early_traps; /* traps drained before their txn's begin was read */
	struct name_set seg_names; /* WEFT_EV_SEG_NAME: a call segment's start is an id */
};

struct model *model__new(const struct model_opts *opts)
{
	struct model *m = calloc(1, sizeof(*m));

	if (m && opts)
		m->opts = *opts;
	return m;
}

void model__free(struct model *m)
{
	if (!m)
		return;
	free(m->segs);
	free(m->txns);
	idmap__free(&m->seg_idx);
	idmap__free(&m->txn_idx);
	idmap__free(&m->early_idx);
	idmap__free(&m->early_traps);
	free(m->early_ns);
	free(m->leaks);
	free(m->orphans);
	free(m->conns);
	free(m->late);
	free(m->conflations);
	free(m->samples);
	stacks__free(&m->stacks);
	name_set__free(&m->seg_names);
	free(m);
}

static void *grow(void *arr, size_t *cap, size_t need, size_t elem)
{
	size_t ncap;
	void *n;

	if (need <= *cap)
		return arr;
	ncap = *cap ? *cap * 2 : 256;
	while (ncap < need)
		ncap *= 2;
	n = realloc(arr, ncap * elem);
	if (!n)
		return NULL;
	memset((char *)n + *cap * elem, 0, (ncap - *cap) * elem);
	*cap = ncap;
	return n;
}

static struct segment *seg_find(const struct model *m, uint64_t id)
{
	uint32_t i;

	return idmap__get(&m->seg_idx, id, &i) ? &m->segs[i] : NULL;
}

static struct txn *txn_find(const struct model *m, uint64_t id)
{
	uint32_t i;

	return idmap__get(&m->txn_idx, id, &i) ? &m->txns[i] : NULL;
}

static struct segment *seg_add(struct model *m, const struct weft_event *e)
{
	struct segment *s, *n = grow(m->segs, &m->cap_segs, m->nr_segs + 1, sizeof(*s));

	if (!n)
		return NULL;
	m->segs = n;
	if (seg_find(m, e->seg))
		return NULL; /* duplicate id: keep the first */
	if (idmap__put(&m->seg_idx, e->seg, m->nr_segs))
		return NULL;
	s = &m->segs[m->nr_segs++];
	s->id = e->seg;
	s->parent = e->parent;
	s->txn = e->txn;
	s->obj = e->obj;
	s->kind = e->kind;
	s->flags = e->flags;
	s->tid = e->tid;
	s->probe = e->probe;
	s->begin_ns = e->ts_ns;
	s->start = e->site;
	return s;
}

static uint64_t pick_site(const struct model *m, const struct weft_event *e)
{
	if (m->opts.pick_site)
		return m->opts.pick_site(m->opts.pick_ctx, e);
	return e->nr_frames ? e->frames[0] : 0;
}

static void on_seg_begin(struct model *m, const struct weft_event *e)
{
	struct segment *s = seg_add(m, e);
	struct txn *t;
	uint32_t i;

	if (!s)
		return;
	s->site = (e->flags & WEFT_F_NOSTACK) ? 0 : pick_site(m, e);
	if (m->nr_early && idmap__get(&m->early_idx, e->seg, &i))
		s->end_ns = m->early_ns[i] > s->begin_ns ? m->early_ns[i] : s->begin_ns;
	if (s->txn && (t = txn_find(m, s->txn)))
		t->nr_segments++;
	/* a connection's: by where it began, or because its parent was */
	if (!s->txn && (s->flags & WEFT_F_CONN))
		s->conn = "Node server"; /* the BPF side follows the parents (Node) */
	else if (!s->txn && m->opts.serves_conn) {
		const struct segment *p = s->parent ? seg_find(m, s->parent) : NULL;

		s->conn = p && !p->txn && p->conn ? p->conn : m->opts.serves_conn(m->opts.conn_ctx, s);
	}
}

static void on_txn_begin(struct model *m, const struct weft_event *e)
{
	struct txn *t, *n;
	struct segment *root;
	struct txn *outer;

	if (e->flags & WEFT_F_H2NAME) {
		/* its name, known after its begin (Node HTTP/2) */
		t = txn_find(m, e->txn);
		if (t)
			memcpy(t->name, e->name, sizeof(t->name) - 1);
		return;
	}
	n = grow(m->txns, &m->cap_txns, m->nr_txns + 1, sizeof(*t));
	if (!n || txn_find(m, e->txn))
		return;
	m->txns = n;
	if (idmap__put(&m->txn_idx, e->txn, m->nr_txns))
		return;
	t = &m->txns[m->nr_txns++];
	t->id = e->txn;
	{
		uint32_t early;

		if (idmap__get(&m->early_traps, e->txn, &early))
			t->traps = early;
	}
	t->root_seg = e->seg;
	t->parent_seg = e->parent;
	t->probe = e->probe;
	t->begin_ns = e->ts_ns;
	if (e->nr_frames == 0)
		memcpy(t->name, e->name, sizeof(t->name) - 1);
	root = seg_add(m, e);
	if (root)
		root->site = e->nr_frames ? e->frames[0] : 0;
	/* It began inside another transaction's context: conflation. */
	outer = e->obj ? txn_find(m, e->obj) : NULL;
	if (e->obj && (e->flags & WEFT_F_NESTS))
		t->nested_in = outer ? e->obj : 0; /* in a test we know (not the harness) */
	else if (e->obj) {
		t->outer_txn = e->obj;
		t->outer_ended = outer && outer->end_ns && outer->end_ns <= e->ts_ns;
	}
	t->from_self = e->flags & WEFT_F_WIRE;
	t->wire_mux = t->from_self && (e->flags & WEFT_F_WIRE_MUX);
}

/* A Go request: its route's pattern came with its end (WEFT_F_PATTERN). */
static void rename_by_pattern(struct txn *t, const struct weft_event *e)
{
	char pat[sizeof(e->name)], name[sizeof(t->name)];
	size_t n = (size_t)e->nr_frames * 8;

	if (n >= sizeof(pat))
		n = sizeof(pat) - 1;
	memcpy(pat, e->name, n);
	pat[n] = 0;
	if (!txn_name__by_pattern(name, sizeof(name), t->name, pat))
		memcpy(t->name, name, sizeof(t->name));
}

static void on_txn_end(struct model *m, const struct weft_event *e)
{
	struct txn *t = txn_find(m, e->txn);
	struct segment *root;

	if (!t || (t->end_ns && !(e->flags & WEFT_F_HTTP)))
		return;
	/* a response written in several parts ends at the last */
	t->end_ns = e->ts_ns;
	if ((e->flags & WEFT_F_PATTERN) && !m->opts.name_by_path)
		rename_by_pattern(t, e);
	t->teardown = e->flags & WEFT_F_TEARDOWN;
	root = seg_find(m, t->root_seg);
	if (root && (!root->end_ns || (e->flags & WEFT_F_HTTP)))
		root->end_ns = e->ts_ns;
}

static void early_end(struct model *m, const struct weft_event *e)
{
	uint64_t *n = grow(m->early_ns, &m->cap_early, m->nr_early + 1, sizeof(*n));

	if (!n)
		return;
	m->early_ns = n;
	if (!idmap__put(&m->early_idx, e->seg, m->nr_early))
		m->early_ns[m->nr_early++] = e->ts_ns;
}

static void on_traps(struct model *m, const struct weft_event *e)
{
	struct txn *t = txn_find(m, e->txn);
	uint32_t early = 0;

	if (t) {
		t->traps += e->obj;
		return;
	}
	idmap__get(&m->early_traps, e->txn, &early);
	idmap__put(&m->early_traps, e->txn, early + (uint32_t)e->obj);
}

static void on_sample(struct model *m, const struct weft_event *e)
{
	struct sample *s, *n = grow(m->samples, &m->cap_samples, m->nr_samples + 1, sizeof(*s));
	uint32_t nr = e->nr_frames < WEFT_MAX_FRAMES ? e->nr_frames : WEFT_MAX_FRAMES;
	int64_t stack;

	if (!n)
		return;
	m->samples = n;
	stack = stacks__intern(&m->stacks, (const uint64_t *)e->frames, nr);
	if (stack < 0)
		return;
	s = &m->samples[m->nr_samples++];
	s->ts_ns = e->ts_ns;
	s->seg = e->seg;
	s->txn = e->txn;
	s->tid = e->tid;
	s->flags = e->flags;
	s->stack = (uint32_t)stack;
	s->off_cpu = e->type == WEFT_EV_OFFCPU;
	s->obj = s->off_cpu ? 0 : e->obj;
	s->weight_ns = s->off_cpu ? e->obj : m->opts.sample_period_ns;
}

/* An outbound call's name ("GET host:port"): its segment's start. */
static void on_seg_name(struct model *m, const struct weft_event *e)
{
	struct segment *s = seg_find(m, e->seg);
	char name[sizeof(e->name)];
	size_t n = (size_t)e->nr_frames * 8;

	if (!s)
		return;
	if (n >= sizeof(name))
		n = sizeof(name) - 1;
	memcpy(name, e->name, n);
	name[n] = 0;
	s->start = name_set__id(&m->seg_names, name);
}

const char *model__seg_name(const struct model *m, uint64_t id)
{
	return name_set__get(&m->seg_names, id);
}

void model__feed(struct model *m, const struct weft_event *e)
{
	struct segment *s;

	if (!m->nr_events++)
		m->first_ns = e->ts_ns;
	if (e->ts_ns > m->last_ns)
		m->last_ns = e->ts_ns;
	switch (e->type) {
	case WEFT_EV_SEG_BEGIN:
		on_seg_begin(m, e);
		break;
	case WEFT_EV_SEG_END:
		s = seg_find(m, e->seg);
		if (!s && (e->flags & WEFT_F_POLLED))
			early_end(m, e);
		/* a polled end is a bound, which may precede a late-read begin */
		if (s && !s->end_ns)
			s->end_ns = e->ts_ns > s->begin_ns ? e->ts_ns : s->begin_ns;
		break;
	case WEFT_EV_TXN_BEGIN:
		on_txn_begin(m, e);
		break;
	case WEFT_EV_TXN_END:
		on_txn_end(m, e);
		break;
	case WEFT_EV_GSTATE:
		s = seg_find(m, e->seg);
		if (s) {
			s->has_gstate = true;
			s->go_status = e->flags;
			s->go_wait_reason = e->site;
			s->go_waited_ns = e->parent;
		}
		break;
	case WEFT_EV_POOLED:
		s = seg_find(m, e->seg);
		if (s) {
			s->pooled = true;
			s->stdio |= !!(e->flags & WEFT_F_STDIO);
		}
		break;
	case WEFT_EV_RUN_BEGIN:
		s = seg_find(m, e->seg);
		if (s)
			s->runs++;
		break;
	case WEFT_EV_SAMPLE:
	case WEFT_EV_OFFCPU:
		on_sample(m, e);
		break;
	case WEFT_EV_TRAPS:
		on_traps(m, e);
		break;
	case WEFT_EV_SEG_NAME:
		on_seg_name(m, e);
		break;
	default:
		break;
	}
}

const char *model__txn_name(const struct model *m, const struct txn *t)
{
	const char *n;

	if (t->name[0])
		return t->name;
	n = t->probe < WEFT_MAX_PROBES ? m->opts.probe_names[t->probe] : NULL;
	return n ? n : "?";
}

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

/* Alive at txn end + grace (and the capture reached that point): leaked. */
static void classify(struct model *m, struct segment *s, uint64_t now)
{
	uint64_t grace = m->opts.leak_grace_ns, due;
	struct txn *t = s->txn ? txn_find(m, s->txn) : NULL;
	struct site_group *g;

	s->state = s->end_ns ? SEG_ENDED : s->pooled ? SEG_POOLED : SEG_LIVE;
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
	if (s->end_ns && s->end_ns <= due)
		return;
	if (now < due) {
		if (!s->end_ns)
			s->state = SEG_PENDING;
		return;
	}
	s->state = SEG_LEAKED;
	s->leaked_at_ns = due;
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
	if ((s->end_ns ? s->end_ns : now) - t->end_ns > g->max_age_ns)
		g->max_age_ns = (s->end_ns ? s->end_ns : now) - t->end_ns;
	group_name(g, model__txn_name(m, t));
}

static int u64_cmp(const void *a, const void *b);

/* An end after its transaction's, t: cleanup that can be timed (not the
 * runtime's teardown closing what was left, not stdio). */
static bool late_exit(const struct model *m, const struct segment *s, const struct txn **t)
{
	*t = s->txn ? txn_find(m, s->txn) : NULL;
	return *t && (*t)->end_ns && !(*t)->teardown && s->end_ns && s->end_ns > (*t)->end_ns &&
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
	size_t nlen = strnlen(t->name, sizeof(t->name));
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
		    (s->end_ns && s->end_ns < t->begin_ns))
			continue;
		/* a named call must be of this method; an HTTP/2 stream's
		 * (Node's client) has no name: any */
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
			tell_caller(m, t);
			/* none: made outside any transaction (not a call segment) */
			m->nr_self_untold += t->wire_callers > 1;
		}
	}
	free(m->conflations);
	m->conflations = calloc(m->nr_txns + 1, sizeof(*m->conflations));
	for (size_t i = 0; i < m->nr_txns; i++)
		if (m->txns[i].outer_txn && m->conflations)
			m->conflations[m->nr_conflations++] = i;
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

uint64_t model__txn_quantile(const struct model *m, const char *name, double q)
{
	uint64_t *d = malloc((m->nr_txns + 1) * sizeof(*d)), r = 0;
	size_t n = 0;

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
