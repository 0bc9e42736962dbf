/* OTLP over HTTP (protobuf): batches POSTed by a thread of their own, from
 * a bounded queue. A slow or absent collector fills the queue and what does
 * not fit is dropped and counted; the capture never waits on the network. */
#ifndef WEFT_OTLP_HTTP_H
#define WEFT_OTLP_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct otlp_http;

struct otlp_http_stats {
	uint64_t sent, sent_items;	   /* requests the collector took, and their spans */
	uint64_t dropped, dropped_items;   /* the queue was full */
	uint64_t failed, failed_items;	   /* refused, or still failing after the retries */
	uint64_t retries;
	int last_status;		   /* the last HTTP status (0: no answer) */
	bool unsupported;		   /* the collector does not take the signal (HTTP
					    * 404, gRPC UNIMPLEMENTED): said by the caller */
	char last_error[128];		   /* why the last attempt failed ("" none) */
};

/* The full URL of the signal ("http://host:4318/v1/traces", or with grpc
 * the method's: ".../opentelemetry.proto.collector.trace.v1.TraceService/Export");
 * at most queue_bytes of batches wait. NULL with a reason in err. */
struct otlp_http *otlp_http__new(const char *url, bool grpc, size_t queue_bytes, char *err,
				 size_t len);
/* Queues buf (taken: freed here, sent or not) holding items spans. 0
 * queued, -1 dropped (counted). */
int otlp_http__push(struct otlp_http *h, uint8_t *buf, size_t len, uint64_t items);
void otlp_http__stats(struct otlp_http *h, struct otlp_http_stats *st);
/* Sends what is queued for up to flush_ms (what is left is dropped,
 * counted), then stops the thread and frees. */
void otlp_http__close(struct otlp_http *h, unsigned flush_ms, struct otlp_http_stats *st);

/* A signal's URL ("traces", "metrics", "profiles") and protocol. The protocol:
 * flag_proto (--otlp-protocol), else OTEL_EXPORTER_OTLP_<SIGNAL>_PROTOCOL,
 * else OTEL_EXPORTER_OTLP_PROTOCOL, else http/protobuf; grpc set for
 * "grpc". The endpoint: flag (--otlp, a base as OTEL_EXPORTER_OTLP_ENDPOINT:
 * "/v1/SIGNAL" appended), else OTEL_EXPORTER_OTLP_<SIGNAL>_ENDPOINT (as
 * is), else OTEL_EXPORTER_OTLP_ENDPOINT, else localhost's 4318 (4317 for
 * grpc, whose method path is appended to any). Profiles' path is
 * "/v1development/profiles" (their gRPC service
 * profiles.v1development.ProfilesService), as collector 0.152 serves it. -1: not an http(s) URL, or
 * another protocol. */
int otlp_http__url(const char *flag, const char *flag_proto, const char *signal, char *url,
		   size_t len, bool *grpc, char *err, size_t errlen);

#endif
