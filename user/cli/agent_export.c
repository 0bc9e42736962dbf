// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include "agent_export.h"
#include "model.h"
#include "otlp.h"
#include "otlp_http.h"
#include "record.h"

#define EXPORT_EVERY_NS 1000000000ULL
#define QUEUE_BYTES (32u << 20)	 /* batches waiting on a slow collector */
#define FLUSH_MS 3000		 /* at the end, what the collector gets to take it */

struct agent_export {
	struct otlp_http *http;
	struct otlp_resource rsrc;
	uint64_t last_ns, grace_ns;
	uint64_t txns; /* sent on to the queue */
	bool all;      /* the end: open transactions too */
};

struct agent_export *agent_export__new(const struct opts *o, char *err, size_t len)
{
	struct agent_export *x = calloc(1, sizeof(*x));
	char url[512];

	if (!x) {
		snprintf(err, len, "out of memory");
		return NULL;
	}
	if (otlp_http__traces_url(o->otlp, url, sizeof(url), err, len) ||
	    !(x->http = otlp_http__new(url, QUEUE_BYTES, err, len))) {
		free(x);
		return NULL;
	}
	x->rsrc.attrs = getenv("OTEL_RESOURCE_ATTRIBUTES");
	x->rsrc.service = getenv("OTEL_SERVICE_NAME");
	x->grace_ns = o->leak_grace_ns;
	return x;
}

static bool judged(const struct txn *t, void *ctx)
{
	const struct agent_export *x = ctx;

	if (t->exported)
		return false;
	return x->all || (t->end_ns && t->end_ns + x->grace_ns <= x->last_ns);
}

static void send_judged(struct agent_export *x, struct model *m, const struct report *r)
{
	uint8_t *buf = NULL;
	size_t len = 0, spans = 0, n = 0;

	for (size_t i = 0; i < model__nr_txns(m); i++)
		n += judged(model__txn_at(m, i), x);
	if (!n)
		return;
	if (otlp__encode_traces_of(r, r->meta->start_realtime_ns, judged, x, &x->rsrc, &buf,
				   &len, &spans))
		return; /* out of memory: tried again at the next tick */
	otlp_http__push(x->http, buf, len, spans);
	x->txns += n;
	for (size_t i = 0; i < model__nr_txns(m); i++)
		if (judged(model__txn_at(m, i), x))
			model__set_exported(m, i);
}

void agent_export__tick(struct agent_export *x, struct model *m, const struct report *r,
			uint64_t now_ns)
{
	if (!x || now_ns - x->last_ns < EXPORT_EVERY_NS)
		return;
	x->last_ns = now_ns;
	model__finish(m, now_ns);
	send_judged(x, m, r);
}

void agent_export__close(struct agent_export *x, struct model *m, const struct report *r)
{
	struct otlp_http_stats st;

	if (!x)
		return;
	if (!r) { /* never ran: nothing to say */
		otlp_http__close(x->http, 0, NULL);
		free(x);
		return;
	}
	x->all = true;
	send_judged(x, m, r);
	otlp_http__close(x->http, FLUSH_MS, &st);
	fprintf(stderr, "weft agent: pid %d: %" PRIu64 " transactions; %" PRIu64 " spans sent in %"
		PRIu64 " requests, %" PRIu64 " dropped (queue full), %" PRIu64 " failed%s%s%s\n",
		r->meta->pid, x->txns, st.sent_items, st.sent, st.dropped_items, st.failed_items,
		st.last_error[0] ? " (" : "", st.last_error, st.last_error[0] ? ")" : "");
	free(x);
}
