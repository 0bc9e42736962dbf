/* The Node.js adapter's attach: native async resources (AsyncReset, the
 * callback scopes, destroy) and inbound HTTP/1 requests as transactions. It
 * shares the native object's ring buffer, ids and thread map. */
#ifndef WEFT_NODE_ATTACH_H
#define WEFT_NODE_ATTACH_H

#include <stdbool.h>
#include <stddef.h>
#include "opts.h"

struct tracer;
struct capture_counters;
struct weft_event;

#define NODE_HTTP_TXN "node:http"
#define NODE_H2_TXN "node:http2"

/* A Node target gets its inbound HTTP requests as transactions: one spec
 * for HTTP/1, one for HTTP/2 streams, owned by this adapter. The number
 * added, 0 not Node, -1 error. */
int node__auto_specs(struct opts *o, const char *exe_path);

/* 1: the target is Node and the adapter is loaded; 0: not Node; -1: error. */
int node_tracer__open(struct tracer *t, const struct opts *o, char *err, size_t len);
int node_tracer__attach(struct tracer *t, const struct opts *o, char *err, size_t len);
void node_tracer__close(struct tracer *t);
void node_tracer__counters(const struct tracer *t, struct capture_counters *c);
/* The provider names ("N NAME" lines) for the record file. */
void node_tracer__providers(const struct tracer *t, char *buf, size_t len);
/* The table's layout, checked on the live stream: an async resource whose
 * type is out of range, or whose id does not grow on its thread, suggests
 * the offsets do not fit this build. true: suspect. */
/* The provider type's name (TCPWRAP, ...); "" unknown. */
const char *node_tracer__provider(const struct tracer *t, uint64_t type);
bool node_tracer__suspect(struct tracer *t, const struct weft_event *e);
/* Names a request's transaction "METHOD PATH" (the BPF side sends the URL
 * and llhttp's method number; the query string and fragment are left out,
 * as Go's names do). */
void node__name_request(struct weft_event *e);
/* Names an outbound call "METHOD host" from the head of its request
 * (a WEFT_EV_SEG_NAME with WEFT_F_HTTP: raw bytes). node_client.c */
void node__name_call(struct weft_event *e);
/* Names an HTTP/2 stream's transaction (WEFT_F_H2NAME): "METHOD :path" (no
 * query string), or
 * a gRPC call by its full method, "/pkg.Service/Method". */
void node__name_h2(struct weft_event *e);

#endif
