// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "agent_export.h"
#include "agent_profile.h"
#include "model.h"
#include "otlp.h"
#include "otlp_http.h"
#include "record.h"

#define EXPORT_EVERY_NS 1000000000ULL
#define METRICS_EVERY_MS 60000	 /* OTEL_METRIC_EXPORT_INTERVAL's default */
#define QUEUE_BYTES (32u << 20)	 /* batches waiting on a slow collector */
#define FLUSH_MS 3000		 /* at the end, what the collector gets to take it */
#define BATCH_SPANS 512		 /* about, per request: a batch must fit the queue */

struct agent_export {
	struct otlp_http *traces, *metrics;
	struct agent_profile *profile; /* -F/--off-cpu: OTLP profiles, pprof files */
	struct otlp_resource rsrc;
	struct otlp_metrics mt;
	char container_id[65];
	uint64_t last_ns, last_metrics_ns, metrics_every_ns, grace_ns;
	uint64_t txns, spans; /* sent on to the queue */
	bool all;	      /* the end: open transactions too */
	/* the batch being encoded: these transactions (ids, sorted) */
	uint64_t *batch;
	size_t nr_batch, cap_batch;
};

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* A container runtime's id: 64 hex digits in the process's cgroup path
 * (docker-ID.scope, /kubepods/.../ID, cri-containerd-ID.scope) */
static void container_id(pid_t pid, char id[65])
{
	char path[64], line[4096];
	FILE *f;

	id[0] = 0;
	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	if (!(f = fopen(path, "re")))
		return;
	while (!id[0] && fgets(line, sizeof(line), f))
		for (char *p = line; *p && !id[0]; p++) {
			size_t n = 0;

			while (isxdigit((unsigned char)p[n]) && !isupper((unsigned char)p[n]))
				n++;
			if (n == 64) {
				memcpy(id, p, 64);
				id[64] = 0;
			}
			p += n ? n - 1 : 0;
		}
	fclose(f);
}

struct agent_export *agent_export__new(const struct opts *o, char *err, size_t len)
{
	struct agent_export *x = calloc(1, sizeof(*x));
	const char *every = getenv("OTEL_METRIC_EXPORT_INTERVAL");
	char url[512];
	bool grpc;

	if (!x) {
		snprintf(err, len, "out of memory");
		return NULL;
	}
	if (otlp_http__url(o->otlp, o->otlp_protocol, "traces", url, sizeof(url), &grpc, err, len) ||
	    !(x->traces = otlp_http__new(url, grpc, o->otlp_queue_bytes, err, len)))
		goto fail;
	if (otlp_http__url(o->otlp, o->otlp_protocol, "metrics", url, sizeof(url), &grpc, err, len) ||
	    !(x->metrics = otlp_http__new(url, grpc, o->otlp_queue_bytes, err, len)))
		goto fail;
	if (!(x->profile = agent_profile__new(o, &x->rsrc, err, len)) && err[0])
		goto fail;
	x->rsrc.attrs = getenv("OTEL_RESOURCE_ATTRIBUTES");
	x->rsrc.service = getenv("OTEL_SERVICE_NAME");
	container_id(o->pid, x->container_id);
	x->rsrc.container_id = x->container_id;
	x->grace_ns = o->leak_grace_ns;
	x->metrics_every_ns = (every && atol(every) > 0 ? (uint64_t)atol(every) : METRICS_EVERY_MS) *
			      1000000ULL;
	x->mt.start_realtime_ns = realtime_ns();
	return x;
fail:
	if (x->traces)
		otlp_http__close(x->traces, 0, NULL);
	if (x->metrics)
		otlp_http__close(x->metrics, 0, NULL);
	free(x);
	return NULL;
}

static bool judged(const struct agent_export *x, const struct txn *t)
{
	if (t->exported)
		return false;
	return x->all || (t->end_ns && t->end_ns + x->grace_ns <= x->last_ns);
}

static int id_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static bool in_batch(const struct txn *t, void *ctx)
{
	const struct agent_export *x = ctx;

	return bsearch(&t->id, x->batch, x->nr_batch, sizeof(*x->batch), id_cmp) != NULL;
}

static void send_batch(struct agent_export *x, const struct report *r)
{
	uint8_t *buf = NULL;
	size_t len = 0, spans = 0;

	qsort(x->batch, x->nr_batch, sizeof(*x->batch), id_cmp);
	if (otlp__encode_traces_of(r, r->meta->start_realtime_ns, in_batch, x, &x->rsrc, &buf,
				   &len, &spans)) {
		x->nr_batch = 0;
		return; /* out of memory: tried again at the next tick */
	}
	otlp_http__push(x->traces, buf, len, spans);
	x->txns += x->nr_batch;
	x->spans += spans;
	for (size_t i = 0; i < x->nr_batch; i++) {
		const struct txn *t = model__txn(r->m, x->batch[i]);

		if (t)
			otlp_metrics__add_txn(&x->mt, r, t);
	}
	x->nr_batch = 0;
}

/* What was judged, in batches of about BATCH_SPANS spans (a transaction's
 * span and its continuations') */
static void send_judged(struct agent_export *x, struct model *m, const struct report *r)
{
	size_t spans = 0;

	for (size_t i = 0; i < model__nr_txns(m); i++) {
		const struct txn *t = model__txn_at(m, i);

		if (!judged(x, t))
			continue;
		if (x->nr_batch == x->cap_batch) {
			size_t cap = x->cap_batch ? x->cap_batch * 2 : 256;
			uint64_t *n = realloc(x->batch, cap * sizeof(*n));

			if (!n)
				break;
			x->batch = n;
			x->cap_batch = cap;
		}
		x->batch[x->nr_batch++] = t->id;
		model__set_exported(m, i);
		spans += 1 + t->nr_segments;
		if (spans >= BATCH_SPANS) {
			send_batch(x, r);
			spans = 0;
		}
	}
	if (x->nr_batch)
		send_batch(x, r);
}

static void send_metrics(struct agent_export *x, struct model *m, const struct report *r)
{
	struct otlp_http_stats st;
	uint8_t *buf = NULL;
	size_t len = 0;

	otlp_http__stats(x->traces, &st);
	x->mt.spans_dropped = st.dropped_items;
	x->mt.spans_failed = st.failed_items;
	otlp_metrics__live(&x->mt, m);
	if (!otlp__encode_metrics(&x->mt, r, &x->rsrc, realtime_ns(), &buf, &len))
		otlp_http__push(x->metrics, buf, len, 1);
}

void agent_export__tick(struct agent_export *x, struct model *m, const struct report *r,
			uint64_t now_ns)
{
	if (!x || now_ns - x->last_ns < EXPORT_EVERY_NS)
		return;
	x->last_ns = now_ns;
	model__finish(m, now_ns);
	send_judged(x, m, r);
	/* before model__compact: the samples' transactions are still there */
	agent_profile__tick(x->profile, m, r, now_ns);
	if (now_ns - x->last_metrics_ns >= x->metrics_every_ns) {
		x->last_metrics_ns = now_ns;
		send_metrics(x, m, r);
	}
}

void agent_export__close(struct agent_export *x, struct model *m, const struct report *r)
{
	struct otlp_http_stats st, ms;
	char profiles[512];

	if (!x)
		return;
	if (!r) { /* never ran: nothing to say */
		otlp_http__close(x->traces, 0, NULL);
		otlp_http__close(x->metrics, 0, NULL);
		agent_profile__close(x->profile, NULL, NULL, profiles, sizeof(profiles));
		free(x);
		return;
	}
	x->all = true;
	send_judged(x, m, r);
	agent_profile__close(x->profile, m, r, profiles, sizeof(profiles));
	otlp_http__close(x->traces, FLUSH_MS, &st);
	x->traces = NULL;
	/* the last metrics count what the traces' queue lost */
	x->mt.spans_dropped = st.dropped_items;
	x->mt.spans_failed = st.failed_items;
	otlp_metrics__live(&x->mt, m);
	{
		uint8_t *buf = NULL;
		size_t len = 0;

		if (!otlp__encode_metrics(&x->mt, r, &x->rsrc, realtime_ns(), &buf, &len))
			otlp_http__push(x->metrics, buf, len, 1);
	}
	otlp_http__close(x->metrics, FLUSH_MS, &ms);
	fprintf(stderr, "weft agent: pid %d: %" PRIu64 " transactions, %" PRIu64 " spans; %" PRIu64
		" sent in %" PRIu64 " requests, %" PRIu64 " dropped (queue full), %" PRIu64
		" failed%s%s%s; metrics: %" PRIu64 " sent, %" PRIu64 " lost%s%s%s%s\n",
		r->meta->pid, x->txns, x->spans, st.sent_items, st.sent, st.dropped_items,
		st.failed_items, st.last_error[0] ? " (" : "", st.last_error,
		st.last_error[0] ? ")" : "", ms.sent, ms.dropped + ms.failed,
		ms.last_error[0] ? " (" : "", ms.last_error, ms.last_error[0] ? ")" : "", profiles);
	otlp_metrics__free(&x->mt);
	free(x->batch);
	free(x);
}
