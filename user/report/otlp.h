/* OpenTelemetry's OTLP, as protobuf: the traces of a capture (see
 * report_otlp.c for the mapping). */
#ifndef WEFT_OTLP_H
#define WEFT_OTLP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "report.h"

/* An ExportTraceServiceRequest in a malloc'd buffer. realtime_ns: the
 * capture's start, ns since the epoch (0: times stay monotonic). 0, or -1
 * out of memory. */
int otlp__encode_traces(const struct report *r, uint64_t realtime_ns, uint8_t **out, size_t *len);

/* The same of the transactions pick takes (NULL: all), with the resource's
 * attributes added from rsrc (NULL: none): attrs as OTEL_RESOURCE_ATTRIBUTES
 * ("key=value,..."), service as OTEL_SERVICE_NAME. nr_spans (may be NULL):
 * how many spans it holds. */
typedef bool (*otlp_pick_fn)(const struct txn *t, void *ctx);
struct otlp_resource {
	const char *attrs, *service;
	const char *container_id; /* "" or NULL: none */
};
int otlp__encode_traces_of(const struct report *r, uint64_t realtime_ns, otlp_pick_fn pick,
			   void *ctx, const struct otlp_resource *rsrc, uint8_t **out, size_t *len,
			   size_t *nr_spans);
/* Writes it to f; on failure one line naming path. 0 or -1. */
int otlp__write(FILE *f, const char *path, const struct report *r, uint64_t realtime_ns);

/* OTLP metrics, cumulative from the agent's start: what was exported so
 * far, per transaction name and per leak site, and gauges read now. */
#define OTLP_DUR_BOUNDS 14
#define OTLP_KINDS 8
struct otlp_name_stat {
	char name[128];
	uint64_t count, continuations, traps, leaked;
	uint64_t dur[OTLP_DUR_BOUNDS + 1]; /* by otlp_dur_bounds_s, the last: above */
	double dur_sum_s, dur_min_s, dur_max_s;
};
struct otlp_site_stat {
	char txn[128], site[160], start[96];
	uint32_t kind;
	uint64_t leaked;
};
struct otlp_metrics {
	uint64_t start_realtime_ns; /* every sum's start */
	struct otlp_name_stat *names;
	struct otlp_site_stat *sites;
	size_t nr_names, nr_sites;
	uint64_t live[OTLP_KINDS];	    /* continuations alive now, by enum weft_kind */
	uint64_t spans_dropped, spans_failed; /* the export's losses (queue full; refused) */
};
extern const double otlp_dur_bounds_s[OTLP_DUR_BOUNDS];

/* A transaction now exported: its count, duration, continuations, traps and
 * leaks (each leaked segment by its site). -1: out of memory. */
int otlp_metrics__add_txn(struct otlp_metrics *mt, const struct report *r, const struct txn *t);
/* The live gauges from the model as it is now */
void otlp_metrics__live(struct otlp_metrics *mt, const struct model *m);
void otlp_metrics__free(struct otlp_metrics *mt);
/* An ExportMetricsServiceRequest at now (realtime ns); lost and evicted
 * from r's meta. 0, or -1 out of memory. */
int otlp__encode_metrics(const struct otlp_metrics *mt, const struct report *r,
			 const struct otlp_resource *rsrc, uint64_t now_realtime_ns, uint8_t **out,
			 size_t *len);

#endif
