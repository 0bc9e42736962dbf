// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Event stream -> segments, transactions, leaks, orphans, conflations. */
#include <stdlib.h>
#include <string.h>
#include "model_int.h"

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
	idmap__free(&m->folded_live);
	idmap__free(&m->early_traps);
	free(m->early);
	free(m->leaks);
	free(m->orphans);
	free(m->conns);
	free(m->late);
	free(m->conflations);
	free(m->samples);
	stacks__free(&m->stacks);
	name_set__free(&m->seg_names);
	free(m->folds);
	free(m->seg_folds);
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

static struct segment *seg_add(struct model *m, const struct weft_event *e)
{
	struct segment *s, *n = grow(m->segs, &m->cap_segs, m->nr_segs + 1, sizeof(*s));

	if (!n)
		return NULL;
	m->segs = n;
	if (seg_find(m, e->seg)) {
		m->nr_dup_ids++; /* duplicate id: keep the first, and say so */
		return NULL;
	}
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
	if (e->nr_frames && !(e->flags & WEFT_F_NOSTACK)) {
		/* interned: a site's creations share one copy */
		int64_t k = stacks__intern(&m->stacks, (const uint64_t *)e->frames,
					   e->nr_frames < WEFT_MAX_FRAMES ? e->nr_frames : WEFT_MAX_FRAMES);

		s->stack = k >= 0 ? (uint32_t)k + 1 : 0;
	}
	if (m->nr_early && idmap__get(&m->early_idx, e->seg, &i)) {
		const struct early_end *x = &m->early[i];

		s->end_ns = x->end_ns > s->begin_ns ? x->end_ns : s->begin_ns;
		s->gone_by_ns = x->gone_by_ns > s->end_ns ? x->gone_by_ns : s->end_ns;
	}
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
	if (n && txn_find(m, e->txn))
		m->nr_dup_ids++;
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
	if (t->teardown) {
		t->timers_armed = e->obj;
		t->js_timer_due = e->parent;
		for (uint32_t i = 0; i < e->nr_frames && i < WEFT_MAX_FRAMES; i++) {
			struct segment *s = seg_find(m, e->frames[i]);

			if (s && !s->exit_evidence) {
				s->exit_evidence = WEFT_EXIT_RUNNING;
				s->exit_read_ns = e->ts_ns;
			}
		}
	}
	root = seg_find(m, t->root_seg);
	if (root && (!root->end_ns || (e->flags & WEFT_F_HTTP)))
		root->end_ns = e->ts_ns;
}

static void early_end(struct model *m, const struct weft_event *e)
{
	struct early_end *n = grow(m->early, &m->cap_early, m->nr_early + 1, sizeof(*n));

	if (!n)
		return;
	m->early = n;
	if (!idmap__put(&m->early_idx, e->seg, m->nr_early))
		m->early[m->nr_early++] = (struct early_end){ e->ts_ns, e->parent };
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
		if (!s && model__folded_live_end(m, e->seg))
			break;
		if (!s && (e->flags & WEFT_F_POLLED))
			early_end(m, e);
		/* a polled end is a bound, which may precede a late-read begin */
		if (s && !s->end_ns) {
			s->end_ns = e->ts_ns > s->begin_ns ? e->ts_ns : s->begin_ns;
			if (e->flags & WEFT_F_POLLED)
				s->gone_by_ns = e->parent > s->end_ns ? e->parent : s->end_ns;
		}
		break;
	case WEFT_EV_TXN_BEGIN:
		on_txn_begin(m, e);
		break;
	case WEFT_EV_TXN_END:
		on_txn_end(m, e);
		break;
	case WEFT_EV_GSTATE:
		s = seg_find(m, e->seg);
		if (s && e->kind == WEFT_KIND_GOROUTINE) {
			s->has_gstate = true;
			s->go_status = e->flags & ~(uint32_t)WEFT_F_ATEXIT;
			s->go_wait_reason = e->site;
			s->go_waited_ns = e->parent;
		}
		if (s && (e->flags & WEFT_F_ATEXIT)) {
			s->exit_evidence = e->probe;
			s->exit_read_ns = e->ts_ns;
			s->exit_timer_ns = e->txn;
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
