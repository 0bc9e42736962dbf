/* OpenTelemetry's OTLP, as protobuf: the traces of a capture (see
 * report_otlp.c for the mapping). */
#ifndef WEFT_OTLP_H
#define WEFT_OTLP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "report.h"

/* An ExportTraceServiceRequest in a malloc'd buffer. realtime_ns: the
 * capture's start, ns since the epoch (0: times stay monotonic). 0, or -1
 * out of memory. */
int otlp__encode_traces(const struct report *r, uint64_t realtime_ns, uint8_t **out, size_t *len);
/* Writes it to f; on failure one line naming path. 0 or -1. */
int otlp__write(FILE *f, const char *path, const struct report *r, uint64_t realtime_ns);

#endif
