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
};
int otlp__encode_traces_of(const struct report *r, uint64_t realtime_ns, otlp_pick_fn pick,
			   void *ctx, const struct otlp_resource *rsrc, uint8_t **out, size_t *len,
			   size_t *nr_spans);
/* Writes it to f; on failure one line naming path. 0 or -1. */
int otlp__write(FILE *f, const char *path, const struct report *r, uint64_t realtime_ns);

#endif
