// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* OTLP traces: an ExportTraceServiceRequest (protobuf) of the capture, what
 * a collector's /v1/traces takes. A span per transaction; a child span per
 * continuation made in it, under the continuation that made it; a leak is
 * an event on its transaction's span (and the span's status an error); a
 * conflation a link to the transaction it began in. Ids are derived, so a
 * report of the same file gives the same trace: the trace id from the
 * capture (host, pid, start) and the transaction, a span id from its
 * segment. Transactions folded into totals (long captures) have no span. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "idmap.h"
#include "otlp.h"
#include "otlp_int.h"
#include "version.h"
#include "pb.h"

/* opentelemetry/proto field numbers */
enum {
	REQ_RESOURCE_SPANS = 1,
	RS_RESOURCE = 1, RS_SCOPE_SPANS = 2,
	SS_SCOPE = 1, SS_SPANS = 2,
	SCOPE_NAME = 1, SCOPE_VERSION = 2,
	SPAN_TRACE_ID = 1, SPAN_SPAN_ID = 2, SPAN_PARENT = 4, SPAN_NAME = 5, SPAN_KIND = 6,
	SPAN_START = 7, SPAN_END = 8, SPAN_ATTRIBUTES = 9, SPAN_EVENTS = 11, SPAN_LINKS = 13,
	SPAN_STATUS = 15,
	EVENT_TIME = 1, EVENT_NAME = 2, EVENT_ATTRIBUTES = 3,
	LINK_TRACE_ID = 1, LINK_SPAN_ID = 2, LINK_ATTRIBUTES = 4,
	STATUS_MESSAGE = 2, STATUS_CODE = 3,
};
enum { KIND_INTERNAL = 1, KIND_SERVER = 2 };
enum { STATUS_ERROR = 2 };

struct enc {
	const struct report *r;
	uint64_t base_ns;  /* realtime at the capture's start (0: monotonic times) */
	uint64_t trace_hi; /* the capture's half of every trace id */
	struct otlp_kv k;
	struct pb ev, link, span, scope, ss, rs, res;
	/* the picked transactions' segments, grouped: those of picked[i] are
	 * segs[first[i]] .. segs[first[i + 1] - 1] */
	const struct txn **picked;
	const struct segment **segs;
	size_t *first, nr_picked, nr_spans;
};

static uint64_t hash64(uint64_t h, const void *d, size_t n)
{
	const uint8_t *p = d;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL; /* FNV-1a */
	return h;
}

static void trace_id(const struct enc *e, uint64_t txn, uint8_t id[16])
{
	otlp_put_be64(id, e->trace_hi);
	otlp_put_be64(id + 8, txn);
}

static void span_id(struct pb *b, uint32_t field, uint64_t seg)
{
	uint8_t id[8];

	otlp_put_be64(id, seg);
	pb_bytes(b, field, id, sizeof(id));
}

static uint64_t wall(const struct enc *e, uint64_t mono_ns)
{
	const struct record_meta *mt = e->r->meta;

	if (!e->base_ns)
		return mono_ns;
	return e->base_ns + (mono_ns > mt->start_ns ? mono_ns - mt->start_ns : 0);
}

static void site_attrs(struct enc *e, struct pb *dst, uint32_t field, const struct segment *s)
{
	char site[256];

	otlp_kv_str(&e->k, dst, field, "weft.kind", kind_name(s->kind));
	if (s->site) {
		otlp_kv_str(&e->k, dst, field, "code.function", report__site_func(e->r, s->site));
		otlp_kv_str(&e->k, dst, field, "weft.site", report__site_short(e->r, s->site, site, sizeof(site)));
	}
	otlp_kv_str(&e->k, dst, field, "weft.start", report__start(e->r, s->kind, s->start));
}

/* A continuation: under the one that made it if that one is of the same
 * transaction, else under the transaction's root */
static void seg_span(struct enc *e, const struct txn *t, const struct segment *s, struct pb *out)
{
	const struct model *m = e->r->m;
	const struct segment *p = s->parent ? model__segment(m, s->parent) : NULL;
	const char *start = report__start(e->r, s->kind, s->start);
	uint8_t tid[16];

	trace_id(e, t->id, tid);
	pb_bytes(&e->span, SPAN_TRACE_ID, tid, sizeof(tid));
	span_id(&e->span, SPAN_SPAN_ID, s->id);
	span_id(&e->span, SPAN_PARENT, p && p->txn == t->id ? p->id : t->root_seg);
	pb_str(&e->span, SPAN_NAME, *start ? start : kind_name(s->kind));
	pb_uint(&e->span, SPAN_KIND, KIND_INTERNAL);
	pb_fixed64(&e->span, SPAN_START, wall(e, s->begin_ns));
	pb_fixed64(&e->span, SPAN_END, wall(e, s->end_ns ? s->end_ns : e->r->meta->end_ns));
	site_attrs(e, &e->span, SPAN_ATTRIBUTES, s);
	otlp_kv_str(&e->k, &e->span, SPAN_ATTRIBUTES, "weft.state", seg_state_name(s->state));
	if (s->rule)
		otlp_kv_str(&e->k, &e->span, SPAN_ATTRIBUTES, "weft.rule", model__rule_name(s->rule));
	pb_msg(out, SS_SPANS, &e->span);
}

static void leak_event(struct enc *e, const struct segment *s, struct pb *span)
{
	pb_fixed64(&e->ev, EVENT_TIME, wall(e, s->leaked_at_ns ? s->leaked_at_ns : e->r->meta->end_ns));
	pb_str(&e->ev, EVENT_NAME, "weft.leak");
	site_attrs(e, &e->ev, EVENT_ATTRIBUTES, s);
	otlp_kv_int(&e->k, &e->ev, EVENT_ATTRIBUTES, "weft.segment", s->id);
	otlp_kv_str(&e->k, &e->ev, EVENT_ATTRIBUTES, "weft.rule", model__rule_name(s->rule));
	pb_msg(span, SPAN_EVENTS, &e->ev);
}

/* The transaction it began in, and the continuations that carried that
 * one's context to it */
static void conflation_link(struct enc *e, const struct txn *t, struct pb *span)
{
	const struct model *m = e->r->m;
	const struct txn *o = model__txn(m, t->outer_txn);
	const struct segment *chain[16];
	size_t n = model__conflation_chain(m, t, chain, 16);
	char text[1024] = "";
	uint8_t tid[16];
	size_t len = 0;

	for (size_t i = 0; i < n && len < sizeof(text); i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%s%s %s", i ? " <- " : "",
					kind_name(chain[i]->kind),
					report__start(e->r, chain[i]->kind, chain[i]->start));
	trace_id(e, t->outer_txn, tid);
	pb_bytes(&e->link, LINK_TRACE_ID, tid, sizeof(tid));
	span_id(&e->link, LINK_SPAN_ID, o ? o->root_seg : 0);
	otlp_kv_bool(&e->k, &e->link, LINK_ATTRIBUTES, "weft.conflation", true);
	otlp_kv_bool(&e->k, &e->link, LINK_ATTRIBUTES, "weft.to_itself", t->from_self);
	otlp_kv_bool(&e->k, &e->link, LINK_ATTRIBUTES, "weft.stale", t->outer_ended);
	if (o)
		otlp_kv_str(&e->k, &e->link, LINK_ATTRIBUTES, "weft.outer_name", model__txn_name(m, o));
	otlp_kv_str(&e->k, &e->link, LINK_ATTRIBUTES, "weft.chain", text);
	pb_msg(span, SPAN_LINKS, &e->link);
}

static void txn_spans(struct enc *e, size_t k, struct pb *out)
{
	const struct model *m = e->r->m;
	const struct txn *t = e->picked[k];
	uint8_t tid[16];
	char msg[64];

	trace_id(e, t->id, tid);
	pb_bytes(&e->span, SPAN_TRACE_ID, tid, sizeof(tid));
	span_id(&e->span, SPAN_SPAN_ID, t->root_seg);
	pb_str(&e->span, SPAN_NAME, model__txn_name(m, t));
	pb_uint(&e->span, SPAN_KIND, t->name[0] ? KIND_SERVER : KIND_INTERNAL);
	pb_fixed64(&e->span, SPAN_START, wall(e, t->begin_ns));
	pb_fixed64(&e->span, SPAN_END, wall(e, t->end_ns ? t->end_ns : e->r->meta->end_ns));
	otlp_kv_int(&e->k, &e->span, SPAN_ATTRIBUTES, "weft.txn", t->id);
	otlp_kv_int(&e->k, &e->span, SPAN_ATTRIBUTES, "weft.segments", t->nr_segments);
	otlp_kv_int(&e->k, &e->span, SPAN_ATTRIBUTES, "weft.leaked", t->nr_leaked);
	otlp_kv_int(&e->k, &e->span, SPAN_ATTRIBUTES, "weft.traps", t->traps);
	if (!t->end_ns)
		otlp_kv_bool(&e->k, &e->span, SPAN_ATTRIBUTES, "weft.open", true);
	for (size_t i = e->first[k]; i < e->first[k + 1]; i++)
		if (e->segs[i]->state == SEG_LEAKED)
			leak_event(e, e->segs[i], &e->span);
	if (t->outer_txn)
		conflation_link(e, t, &e->span);
	if (t->nr_leaked) {
		struct pb st = { 0 };

		snprintf(msg, sizeof(msg), "%llu continuations leaked", (unsigned long long)t->nr_leaked);
		pb_str(&st, STATUS_MESSAGE, msg);
		pb_uint(&st, STATUS_CODE, STATUS_ERROR);
		pb_msg(&e->span, SPAN_STATUS, &st);
		pb_free(&st);
	}
	pb_msg(out, SS_SPANS, &e->span);
	e->nr_spans++;
	for (size_t i = e->first[k]; i < e->first[k + 1]; i++)
		if (e->segs[i]->id != t->root_seg) {
			seg_span(e, t, e->segs[i], out);
			e->nr_spans++;
		}
}

/* The transactions pick takes, and their segments grouped by transaction */
static int pick_txns(struct enc *e, otlp_pick_fn pick, void *ctx)
{
	const struct model *m = e->r->m;
	size_t nt = model__nr_txns(m), ns = model__nr_segments(m), *at;
	struct idmap idx = { 0 };
	uint32_t k;
	int rc = -1;

	e->picked = calloc(nt + 1, sizeof(*e->picked));
	e->first = calloc(nt + 2, sizeof(*e->first));
	e->segs = calloc(ns + 1, sizeof(*e->segs));
	at = calloc(nt + 1, sizeof(*at));
	if (!e->picked || !e->first || !e->segs || !at)
		goto out;
	for (size_t i = 0; i < nt; i++) {
		const struct txn *t = model__txn_at(m, i);

		if (pick && !pick(t, ctx))
			continue;
		if (idmap__put(&idx, t->id, (uint32_t)e->nr_picked))
			goto out;
		e->picked[e->nr_picked++] = t;
	}
	for (size_t i = 0; i < ns; i++)
		if (idmap__get(&idx, model__segment_at(m, i)->txn, &k))
			e->first[k + 1]++;
	for (size_t i = 0; i < e->nr_picked; i++)
		e->first[i + 1] += e->first[i];
	memcpy(at, e->first, e->nr_picked * sizeof(*at));
	for (size_t i = 0; i < ns; i++) {
		const struct segment *s = model__segment_at(m, i);

		if (idmap__get(&idx, s->txn, &k))
			e->segs[at[k]++] = s;
	}
	rc = 0;
out:
	idmap__free(&idx);
	free(at);
	return rc;
}

int otlp__encode_traces(const struct report *r, uint64_t realtime_ns, uint8_t **out, size_t *len)
{
	return otlp__encode_traces_of(r, realtime_ns, NULL, NULL, NULL, out, len, NULL);
}

int otlp__encode_traces_of(const struct report *r, uint64_t realtime_ns, otlp_pick_fn pick,
			   void *ctx, const struct otlp_resource *rsrc, uint8_t **out, size_t *len,
			   size_t *nr_spans)
{
	struct enc e = { .r = r, .base_ns = realtime_ns };
	const struct record_meta *mt = r->meta;
	struct pb req = { 0 };
	bool oom;

	e.trace_hi = hash64(0xcbf29ce484222325ULL, mt->host, strlen(mt->host));
	e.trace_hi = hash64(e.trace_hi, &mt->pid, sizeof(mt->pid));
	e.trace_hi = hash64(e.trace_hi, &mt->start_realtime_ns, sizeof(mt->start_realtime_ns));
	oom = pick_txns(&e, pick, ctx) != 0;
	otlp_resource(&e.k, &e.res, mt, rsrc);
	pb_str(&e.scope, SCOPE_NAME, "weft");
	pb_str(&e.scope, SCOPE_VERSION, WEFT_VERSION);
	pb_msg(&e.ss, SS_SCOPE, &e.scope);
	for (size_t i = 0; !oom && i < e.nr_picked; i++)
		txn_spans(&e, i, &e.ss);
	pb_msg(&e.rs, RS_RESOURCE, &e.res);
	pb_msg(&e.rs, RS_SCOPE_SPANS, &e.ss);
	pb_msg(&req, REQ_RESOURCE_SPANS, &e.rs);
	oom = oom || req.oom || otlp_kv_free(&e.k) || e.ev.oom || e.link.oom || e.span.oom;
	free(e.picked);
	free(e.first);
	free(e.segs);
	if (nr_spans)
		*nr_spans = e.nr_spans;
	pb_free(&e.ev);
	pb_free(&e.link);
	pb_free(&e.span);
	pb_free(&e.scope);
	pb_free(&e.ss);
	pb_free(&e.rs);
	pb_free(&e.res);
	if (oom) {
		pb_free(&req);
		return -1;
	}
	*out = req.p;
	*len = req.len;
	return 0;
}

int otlp__write(FILE *f, const char *path, const struct report *r, uint64_t realtime_ns)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = 0;

	if (otlp__encode_traces(r, realtime_ns, &buf, &len)) {
		fprintf(stderr, "weft: %s: out of memory\n", path);
		return -1;
	}
	if (fwrite(buf, 1, len, f) != len || fflush(f)) {
		fprintf(stderr, "weft: %s: write failed: %s\n", path, strerror(errno));
		rc = -1;
	}
	free(buf);
	return rc;
}
