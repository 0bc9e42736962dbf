// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* weft top's snapshot: per transaction name and per creation site, from
 * the model at each refresh, with the rates since the previous refresh
 * and each site's live counts over the last minute. Pure: no curses. */
#include <stdlib.h>
#include <string.h>
#include "top.h"

static const char *const txn_sorts[TXN_SORT_N] = { "count", "rate", "p50", "p99",
						  "live", "leaked", "name" };
static const char *const site_sorts[SITE_SORT_N] = { "live", "growth", "leaked", "site" };

const char *top__txn_sort_name(int sort)
{
	return sort >= 0 && sort < TXN_SORT_N ? txn_sorts[sort] : "?";
}

const char *top__site_sort_name(int sort)
{
	return sort >= 0 && sort < SITE_SORT_N ? site_sorts[sort] : "?";
}

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
	void *n;
	size_t c = *cap ? *cap : 16;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	n = realloc(*p, c * size);
	if (!n)
		return -1;
	*p = n;
	*cap = c;
	return 0;
}

/* The change of live per minute between the oldest count kept and the
 * newest; growing when it never fell and rose at least twice. */
double top__growth(const struct top_hist *h, bool *growing)
{
	int rises = 0, falls = 0;
	const uint64_t *v = h->live;
	uint64_t first, last, t0, t1;

	*growing = false;
	if (h->n < 2)
		return 0;
	for (int i = 1; i < h->n; i++) {
		uint64_t a = v[(h->head + i - 1) % TOP_HISTORY], b = v[(h->head + i) % TOP_HISTORY];

		rises += b > a;
		falls += b < a;
	}
	first = v[h->head];
	last = v[(h->head + h->n - 1) % TOP_HISTORY];
	t0 = h->ts[h->head];
	t1 = h->ts[(h->head + h->n - 1) % TOP_HISTORY];
	*growing = !falls && rises >= 2;
	if (t1 <= t0)
		return 0;
	return ((double)last - (double)first) * 60e9 / (double)(t1 - t0);
}

static void hist_push(struct top_hist *h, uint64_t ts, uint64_t live)
{
	int i;

	if (h->n == TOP_HISTORY) {
		h->head = (h->head + 1) % TOP_HISTORY;
		h->n--;
	}
	i = (h->head + h->n) % TOP_HISTORY;
	h->ts[i] = ts;
	h->live[i] = live;
	h->n++;
}

struct live_key {
	uint64_t site, start;
	uint32_t kind;
	bool preattach, leaked;
};

static int key_cmp(const void *a, const void *b)
{
	const struct live_key *x = a, *y = b;

	if (x->site != y->site)
		return x->site < y->site ? -1 : 1;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return (int)x->preattach - (int)y->preattach;
}

static bool same_site(const struct top_hist *h, const struct top_site_row *s)
{
	return h->site == s->site && h->start == s->start && h->kind == s->kind &&
	       h->preattach == s->preattach;
}

static void site_name(const struct report *r, struct top_site_row *row)
{
	char site[160];
	const char *start = report__start(r, row->kind, row->start);

	if (row->preattach && !row->site)
		snprintf(site, sizeof(site), "(before attach)");
	else
		report__site_short(r, row->site, site, sizeof(site));
	snprintf(row->name, sizeof(row->name), "%s%s%s%s", site, *start ? " -> " : "", start,
		 row->preattach && row->site ? " (before attach)" : "");
}

/* Live continuations grouped by (site, start, kind, before attach). */
static int build_sites(struct top_state *st, const struct report *r, uint64_t now)
{
	const struct model *m = r->m;
	size_t n = model__nr_segments(m), nk = 0;
	struct live_key *keys = malloc((n + 1) * sizeof(*keys));
	struct top_snapshot *s = &st->snap;

	if (!keys)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct segment *g = model__segment_at(m, i);

		if (g->end_ns || g->kind == WEFT_KIND_TXN)
			continue;
		keys[nk++] = (struct live_key){ g->site, g->start, g->kind,
						(g->flags & WEFT_F_PREATTACH) != 0,
						g->state == SEG_LEAKED };
	}
	qsort(keys, nk, sizeof(*keys), key_cmp);
	s->nr_sites = 0;
	for (size_t i = 0; i < nk; i++) {
		struct top_site_row *row;

		if (!i || key_cmp(&keys[i - 1], &keys[i])) {
			if (grow((void **)&s->sites, &st->cap_sites, s->nr_sites + 1,
				 sizeof(*row))) {
				free(keys);
				return -1;
			}
			row = &s->sites[s->nr_sites++];
			memset(row, 0, sizeof(*row));
			row->site = keys[i].site;
			row->start = keys[i].start;
			row->kind = keys[i].kind;
			row->preattach = keys[i].preattach;
			site_name(r, row);
		}
		row = &s->sites[s->nr_sites - 1];
		row->live++;
		row->leaked += keys[i].leaked;
	}
	free(keys);

	/* each site's history: this refresh's count (0 for a site gone) */
	for (size_t i = 0; i < s->nr_sites; i++) {
		struct top_site_row *row = &s->sites[i];
		struct top_hist *h = NULL;

		for (size_t k = 0; k < st->nr_hist && !h; k++)
			if (same_site(&st->hist[k], row))
				h = &st->hist[k];
		if (!h) {
			if (grow((void **)&st->hist, &st->cap_hist, st->nr_hist + 1, sizeof(*h)))
				return -1;
			h = &st->hist[st->nr_hist++];
			memset(h, 0, sizeof(*h));
			h->site = row->site;
			h->start = row->start;
			h->kind = row->kind;
			h->preattach = row->preattach;
		}
		hist_push(h, now, row->live);
		row->growth = top__growth(h, &row->growing);
	}
	for (size_t k = 0; k < st->nr_hist;) {
		struct top_hist *h = &st->hist[k];
		bool found = false, any = false;

		for (size_t i = 0; i < s->nr_sites && !found; i++)
			found = same_site(h, &s->sites[i]);
		if (!found)
			hist_push(h, now, 0);
		for (int j = 0; j < h->n; j++)
			any |= h->live[(h->head + j) % TOP_HISTORY] != 0;
		if (!any) /* nothing alive there for a minute: forgotten */
			st->hist[k] = st->hist[--st->nr_hist];
		else
			k++;
	}
	return 0;
}

static int build_txns(struct top_state *st, const struct report *r, double dt_s)
{
	const struct model *m = r->m;
	struct top_snapshot *s = &st->snap;
	size_t n = model__nr_txns(m);

	s->nr_txns = 0;
	for (size_t i = 0; i < model__nr_folds(m); i++) {
		const struct txn_fold *f = model__fold_at(m, i);
		struct top_txn_row *row;

		if (grow((void **)&s->txns, &st->cap_txns, s->nr_txns + 1, sizeof(*row)))
			return -1;
		row = &s->txns[s->nr_txns++];
		memset(row, 0, sizeof(*row));
		snprintf(row->name, sizeof(row->name), "%s", f->name[0] ? f->name : "(unnamed)");
		row->count = f->count;
	}
	for (size_t i = 0; i < n; i++) {
		const struct txn *t = model__txn_at(m, i);
		const char *name = model__txn_name(m, t);
		struct top_txn_row *row = NULL;

		if (!name || !*name)
			name = "(unnamed)";
		for (size_t k = s->nr_txns; k-- > 0 && !row;)
			if (!strncmp(s->txns[k].name, name, sizeof(row->name) - 1))
				row = &s->txns[k];
		if (!row) {
			if (grow((void **)&s->txns, &st->cap_txns, s->nr_txns + 1, sizeof(*row)))
				return -1;
			row = &s->txns[s->nr_txns++];
			memset(row, 0, sizeof(*row));
			snprintf(row->name, sizeof(row->name), "%s", name);
		}
		row->count++;
		row->live += !t->end_ns;
		row->leaked += t->nr_leaked;
	}
	for (size_t k = 0; k < s->nr_txns; k++) {
		struct top_txn_row *row = &s->txns[k];
		uint64_t before = 0;

		row->p50_ns = model__txn_quantile(m, row->name, 0.5);
		row->p99_ns = model__txn_quantile(m, row->name, 0.99);
		for (size_t j = 0; j < st->nr_prev_txns; j++)
			if (!strcmp(st->prev_txns[j].name, row->name))
				before = st->prev_txns[j].count;
		row->rate = dt_s > 0 && row->count >= before ? (row->count - before) / dt_s : 0;
	}
	if (grow((void **)&st->prev_txns, &st->cap_prev, s->nr_txns + 1, sizeof(*s->txns)))
		return -1;
	memcpy(st->prev_txns, s->txns, s->nr_txns * sizeof(*s->txns));
	st->nr_prev_txns = s->nr_txns;
	return 0;
}

int top__update(struct top_state *st, const struct report *r, uint64_t now_ns)
{
	struct top_snapshot *s = &st->snap;
	const struct record_meta *mt = r->meta;
	uint64_t traps = 0, since;
	double dt_s;

	if (!st->prev_ns)
		st->prev_ns = mt->start_ns;
	since = now_ns > st->prev_ns ? now_ns - st->prev_ns : 0;
	dt_s = since / 1e9;
	for (int i = 0; i < WEFT_MAX_PROBES; i++)
		if (i != WEFT_PROBE_THREAD) /* tracepoints: no trap */
			traps += mt->hits[i];
	s->pid = mt->pid;
	snprintf(s->exe, sizeof(s->exe), "%s", mt->exe);
	s->uptime_ns = now_ns > mt->start_ns ? now_ns - mt->start_ns : 0;
	s->grace_ns = mt->leak_grace_ns;
	s->events = model__nr_events(r->m);
	s->lost = mt->lost;
	s->evicted = mt->evicted;
	s->traps = traps;
	s->events_per_s = dt_s > 0 && s->events >= st->prev_events ?
				  (s->events - st->prev_events) / dt_s : 0;
	s->traps_per_s = dt_s > 0 && traps >= st->prev_traps ? (traps - st->prev_traps) / dt_s : 0;
	if (build_txns(st, r, dt_s) || build_sites(st, r, now_ns))
		return -1;
	st->prev_ns = now_ns;
	st->prev_events = s->events;
	st->prev_traps = traps;
	top__sort(s);
	return 0;
}

static int u64_desc(uint64_t a, uint64_t b)
{
	return a > b ? -1 : a < b;
}

static int dbl_desc(double a, double b)
{
	return a > b ? -1 : a < b;
}

static int txn_sort;
static int site_sort;

static int txn_cmp(const void *a, const void *b)
{
	const struct top_txn_row *x = a, *y = b;
	int c = 0;

	switch (txn_sort) {
	case TXN_SORT_COUNT: c = u64_desc(x->count, y->count); break;
	case TXN_SORT_RATE: c = dbl_desc(x->rate, y->rate); break;
	case TXN_SORT_P50: c = u64_desc(x->p50_ns, y->p50_ns); break;
	case TXN_SORT_P99: c = u64_desc(x->p99_ns, y->p99_ns); break;
	case TXN_SORT_LIVE: c = u64_desc(x->live, y->live); break;
	case TXN_SORT_LEAKED: c = u64_desc(x->leaked, y->leaked); break;
	}
	return c ? c : strcmp(x->name, y->name);
}

static int site_cmp(const void *a, const void *b)
{
	const struct top_site_row *x = a, *y = b;
	int c = 0;

	switch (site_sort) {
	case SITE_SORT_LIVE: c = u64_desc(x->live, y->live); break;
	case SITE_SORT_GROWTH: c = dbl_desc(x->growth, y->growth); break;
	case SITE_SORT_LEAKED: c = u64_desc(x->leaked, y->leaked); break;
	}
	if (!c)
		c = strcmp(x->name, y->name);
	return c ? c : (int)x->kind - (int)y->kind;
}

void top__sort(struct top_snapshot *s)
{
	txn_sort = s->txn_sort;
	site_sort = s->site_sort;
	if (s->nr_txns)
		qsort(s->txns, s->nr_txns, sizeof(*s->txns), txn_cmp);
	if (s->nr_sites)
		qsort(s->sites, s->nr_sites, sizeof(*s->sites), site_cmp);
}

void top__free(struct top_state *st)
{
	free(st->snap.txns);
	free(st->snap.sites);
	free(st->prev_txns);
	free(st->hist);
	memset(st, 0, sizeof(*st));
}
