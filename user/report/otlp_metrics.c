// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* OTLP metrics: what weft exported, as cumulative sums and histograms per
 * transaction name (weft.transactions, weft.transaction.duration,
 * weft.continuations, weft.traps, weft.leaked by site), gauges of what is
 * alive now (weft.live by kind), and weft's own losses (weft.events.lost,
 * weft.map.evicted, weft.export.dropped). */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "model.h"
#include "otlp_int.h"
#include "version.h"

/* opentelemetry/proto/metrics/v1 field numbers */
enum {
	REQ_RESOURCE_METRICS = 1,
	RM_RESOURCE = 1, RM_SCOPE_METRICS = 2,
	SM_SCOPE = 1, SM_METRICS = 2,
	SCOPE_NAME = 1, SCOPE_VERSION = 2,
	METRIC_NAME = 1, METRIC_DESCRIPTION = 2, METRIC_UNIT = 3, METRIC_GAUGE = 5, METRIC_SUM = 7,
	METRIC_HISTOGRAM = 9,
	SUM_POINTS = 1, SUM_TEMPORALITY = 2, SUM_MONOTONIC = 3,
	HIST_POINTS = 1, HIST_TEMPORALITY = 2,
	NDP_START = 2, NDP_TIME = 3, NDP_AS_INT = 6, NDP_ATTRIBUTES = 7,
	HDP_START = 2, HDP_TIME = 3, HDP_COUNT = 4, HDP_SUM = 5, HDP_BUCKETS = 6, HDP_BOUNDS = 7,
	HDP_ATTRIBUTES = 9, HDP_MIN = 11, HDP_MAX = 12,
};
enum { CUMULATIVE = 2 };

const double otlp_dur_bounds_s[OTLP_DUR_BOUNDS] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};

static void *grow(void *p, size_t n, size_t size)
{
	return realloc(p, (n + 1) * size);
}

static struct otlp_name_stat *name_stat(struct otlp_metrics *mt, const char *name)
{
	struct otlp_name_stat *n;

	for (size_t i = 0; i < mt->nr_names; i++)
		if (!strncmp(mt->names[i].name, name, sizeof(n->name) - 1))
			return &mt->names[i];
	if (!(n = grow(mt->names, mt->nr_names, sizeof(*n))))
		return NULL;
	mt->names = n;
	n = &n[mt->nr_names++];
	memset(n, 0, sizeof(*n));
	strncpy(n->name, name, sizeof(n->name) - 1);
	return n;
}

static int add_leak(struct otlp_metrics *mt, const char *txn, const char *site, const char *start,
		    uint32_t kind)
{
	struct otlp_site_stat *s;

	for (size_t i = 0; i < mt->nr_sites; i++) {
		s = &mt->sites[i];
		if (s->kind == kind && !strncmp(s->txn, txn, sizeof(s->txn) - 1) &&
		    !strncmp(s->site, site, sizeof(s->site) - 1) &&
		    !strncmp(s->start, start, sizeof(s->start) - 1)) {
			s->leaked++;
			return 0;
		}
	}
	if (!(s = grow(mt->sites, mt->nr_sites, sizeof(*s))))
		return -1;
	mt->sites = s;
	s = &s[mt->nr_sites++];
	memset(s, 0, sizeof(*s));
	strncpy(s->txn, txn, sizeof(s->txn) - 1);
	strncpy(s->site, site, sizeof(s->site) - 1);
	strncpy(s->start, start, sizeof(s->start) - 1);
	s->kind = kind;
	s->leaked = 1;
	return 0;
}

int otlp_metrics__add_txn(struct otlp_metrics *mt, const struct report *r, const struct txn *t)
{
	const char *name = model__txn_name(r->m, t);
	struct otlp_name_stat *n = name_stat(mt, name);
	double d;
	int b = 0;

	if (!n)
		return -1;
	n->count++;
	n->continuations += t->nr_segments;
	n->traps += t->traps;
	n->leaked += t->nr_leaked;
	if (t->end_ns) {
		d = (t->end_ns - t->begin_ns) / 1e9;
		while (b < OTLP_DUR_BOUNDS && d > otlp_dur_bounds_s[b])
			b++;
		n->dur[b]++;
		n->dur_sum_s += d;
		if (n->dur_max_s < d)
			n->dur_max_s = d;
		if (n->dur_min_s > d || n->dur_min_s == 0)
			n->dur_min_s = d;
	}
	if (!t->nr_leaked)
		return 0;
	for (size_t i = 0; i < model__nr_segments(r->m); i++) {
		const struct segment *s = model__segment_at(r->m, i);

		if (s->txn == t->id && s->state == SEG_LEAKED &&
		    add_leak(mt, name, s->site ? report__site_func(r, s->site) : "",
			     report__start(r, s->kind, s->start), s->kind))
			return -1;
	}
	return 0;
}

void otlp_metrics__live(struct otlp_metrics *mt, const struct model *m)
{
	memset(mt->live, 0, sizeof(mt->live));
	for (size_t i = 0; i < model__nr_segments(m); i++) {
		const struct segment *s = model__segment_at(m, i);

		if (!s->end_ns && s->kind != WEFT_KIND_TXN && s->kind < OTLP_KINDS)
			mt->live[s->kind]++;
	}
	/* leaks folded out with their exported transactions, alive still */
	for (uint32_t k = 0; k < OTLP_KINDS; k++)
		mt->live[k] += model__folded_live(m, k);
}

void otlp_metrics__free(struct otlp_metrics *mt)
{
	free(mt->names);
	free(mt->sites);
	mt->names = NULL;
	mt->sites = NULL;
	mt->nr_names = mt->nr_sites = 0;
}

struct menc {
	const struct otlp_metrics *mt;
	uint64_t now;
	struct otlp_kv k;
	struct pb pt, data, metric, scope, sm, rm, res;
};

static void pb_always64(struct pb *b, uint32_t field, uint64_t v)
{
	uint8_t d[8];

	for (int i = 0; i < 8; i++)
		d[i] = (uint8_t)(v >> (8 * i));
	pb_key(b, field, WIRE_FIXED64);
	pb_put(b, d, sizeof(d));
}

/* a packed run of fixed64 (bucket counts) or doubles (their bounds) */
static void pb_packed64(struct pb *b, uint32_t field, const void *v, size_t n)
{
	pb_key(b, field, WIRE_LEN);
	pb_varint(b, n * 8);
	for (size_t i = 0; i < n; i++) {
		uint8_t d[8];
		uint64_t u;

		memcpy(&u, (const uint8_t *)v + 8 * i, 8);
		for (int j = 0; j < 8; j++)
			d[j] = (uint8_t)(u >> (8 * j));
		pb_put(b, d, 8);
	}
}

/* the attribute of a point: "weft.txn.name" and the like; NULL none */
static void point(struct menc *e, const char *key, const char *val, uint64_t v)
{
	pb_always64(&e->pt, NDP_START, e->mt->start_realtime_ns);
	pb_always64(&e->pt, NDP_TIME, e->now);
	pb_always64(&e->pt, NDP_AS_INT, v);
	if (key)
		otlp_kv_str(&e->k, &e->pt, NDP_ATTRIBUTES, key, val);
	pb_msg(&e->data, SUM_POINTS, &e->pt);
}

static void metric(struct menc *e, const char *name, const char *unit, const char *desc,
		   uint32_t kind, struct pb *out)
{
	if (kind == METRIC_SUM) {
		pb_uint(&e->data, SUM_TEMPORALITY, CUMULATIVE);
		pb_uint(&e->data, SUM_MONOTONIC, 1);
	} else if (kind == METRIC_HISTOGRAM) {
		pb_uint(&e->data, HIST_TEMPORALITY, CUMULATIVE);
	}
	pb_str(&e->metric, METRIC_NAME, name);
	pb_str(&e->metric, METRIC_DESCRIPTION, desc);
	pb_str(&e->metric, METRIC_UNIT, unit);
	pb_msg(&e->metric, kind, &e->data);
	pb_msg(out, SM_METRICS, &e->metric);
}

/* A sum per transaction name of the field at off */
static void per_name(struct menc *e, size_t off, const char *name, const char *unit,
		     const char *desc, struct pb *out)
{
	for (size_t i = 0; i < e->mt->nr_names; i++) {
		const struct otlp_name_stat *n = &e->mt->names[i];

		point(e, "weft.txn.name", n->name, *(const uint64_t *)((const char *)n + off));
	}
	metric(e, name, unit, desc, METRIC_SUM, out);
}

static void durations(struct menc *e, struct pb *out)
{
	for (size_t i = 0; i < e->mt->nr_names; i++) {
		const struct otlp_name_stat *n = &e->mt->names[i];
		uint64_t count = 0;

		for (int b = 0; b <= OTLP_DUR_BOUNDS; b++)
			count += n->dur[b];
		if (!count)
			continue;
		pb_always64(&e->pt, HDP_START, e->mt->start_realtime_ns);
		pb_always64(&e->pt, HDP_TIME, e->now);
		pb_always64(&e->pt, HDP_COUNT, count);
		pb_double(&e->pt, HDP_SUM, n->dur_sum_s);
		pb_packed64(&e->pt, HDP_BUCKETS, n->dur, OTLP_DUR_BOUNDS + 1);
		pb_packed64(&e->pt, HDP_BOUNDS, otlp_dur_bounds_s, OTLP_DUR_BOUNDS);
		otlp_kv_str(&e->k, &e->pt, HDP_ATTRIBUTES, "weft.txn.name", n->name);
		pb_double(&e->pt, HDP_MIN, n->dur_min_s);
		pb_double(&e->pt, HDP_MAX, n->dur_max_s);
		pb_msg(&e->data, HIST_POINTS, &e->pt);
	}
	metric(e, "weft.transaction.duration", "s", "transactions' durations, by name",
	       METRIC_HISTOGRAM, out);
}

static void leaks(struct menc *e, struct pb *out)
{
	for (size_t i = 0; i < e->mt->nr_sites; i++) {
		const struct otlp_site_stat *s = &e->mt->sites[i];

		pb_always64(&e->pt, NDP_START, e->mt->start_realtime_ns);
		pb_always64(&e->pt, NDP_TIME, e->now);
		pb_always64(&e->pt, NDP_AS_INT, s->leaked);
		otlp_kv_str(&e->k, &e->pt, NDP_ATTRIBUTES, "weft.txn.name", s->txn);
		otlp_kv_str(&e->k, &e->pt, NDP_ATTRIBUTES, "code.function", s->site);
		otlp_kv_str(&e->k, &e->pt, NDP_ATTRIBUTES, "weft.start", s->start);
		otlp_kv_str(&e->k, &e->pt, NDP_ATTRIBUTES, "weft.kind", kind_name(s->kind));
		pb_msg(&e->data, SUM_POINTS, &e->pt);
	}
	metric(e, "weft.leaked", "{continuation}",
	       "continuations alive a grace after their transaction ended, by site", METRIC_SUM,
	       out);
}

static void own(struct menc *e, const struct record_meta *meta, struct pb *out)
{
	for (uint32_t k = 1; k < OTLP_KINDS; k++)
		if (k != WEFT_KIND_TXN) {
			pb_always64(&e->pt, NDP_TIME, e->now);
			pb_always64(&e->pt, NDP_AS_INT, e->mt->live[k]);
			otlp_kv_str(&e->k, &e->pt, NDP_ATTRIBUTES, "weft.kind", kind_name(k));
			pb_msg(&e->data, SUM_POINTS, &e->pt); /* Gauge's points: field 1 too */
		}
	metric(e, "weft.live", "{continuation}", "continuations alive now, by kind", METRIC_GAUGE,
	       out);
	point(e, NULL, NULL, meta->lost);
	metric(e, "weft.events.lost", "{event}", "events the ring buffer could not hold",
	       METRIC_SUM, out);
	point(e, NULL, NULL, meta->evicted);
	metric(e, "weft.map.evicted", "{entry}", "BPF map entries not stored (full)", METRIC_SUM,
	       out);
	point(e, "weft.reason", "queue_full", e->mt->spans_dropped);
	point(e, "weft.reason", "refused", e->mt->spans_failed);
	metric(e, "weft.export.dropped", "{span}",
	       "spans not delivered: the queue was full, or the collector refused them",
	       METRIC_SUM, out);
}

int otlp__encode_metrics(const struct otlp_metrics *mt, const struct report *r,
			 const struct otlp_resource *rsrc, uint64_t now_realtime_ns, uint8_t **out,
			 size_t *len)
{
	struct menc e = { .mt = mt, .now = now_realtime_ns };
	struct pb req = { 0 };
	bool oom;

	otlp_resource(&e.k, &e.res, r->meta, rsrc);
	pb_str(&e.scope, SCOPE_NAME, "weft");
	pb_str(&e.scope, SCOPE_VERSION, WEFT_VERSION);
	pb_msg(&e.sm, SM_SCOPE, &e.scope);
	per_name(&e, offsetof(struct otlp_name_stat, count), "weft.transactions",
		 "{transaction}", "transactions ended, by name", &e.sm);
	durations(&e, &e.sm);
	per_name(&e, offsetof(struct otlp_name_stat, continuations), "weft.continuations",
		 "{continuation}", "continuations made in transactions, by name", &e.sm);
	per_name(&e, offsetof(struct otlp_name_stat, traps), "weft.traps", "{trap}",
		 "uprobe hits paid by the target for transactions, by name", &e.sm);
	leaks(&e, &e.sm);
	own(&e, r->meta, &e.sm);
	pb_msg(&e.rm, RM_RESOURCE, &e.res);
	pb_msg(&e.rm, RM_SCOPE_METRICS, &e.sm);
	pb_msg(&req, REQ_RESOURCE_METRICS, &e.rm);
	oom = req.oom || otlp_kv_free(&e.k) || e.pt.oom || e.data.oom || e.metric.oom;
	pb_free(&e.pt);
	pb_free(&e.data);
	pb_free(&e.metric);
	pb_free(&e.scope);
	pb_free(&e.sm);
	pb_free(&e.rm);
	pb_free(&e.res);
	if (oom) {
		pb_free(&req);
		return -1;
	}
	*out = req.p;
	*len = req.len;
	return 0;
}
