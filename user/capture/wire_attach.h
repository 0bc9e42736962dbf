/* The wire's attach: kernel tracepoints on TCP send, receive and close
 * (raw tracepoints, no uprobe) that carry a writer's context to the reader when the
 * target talks to itself. It shares the native object's thread
 * contexts and wire maps, and the Go object's goroutine contexts. */
#ifndef WEFT_WIRE_ATTACH_H
#define WEFT_WIRE_ATTACH_H

#include <stddef.h>
#include "opts.h"

struct tracer;
struct capture_counters;

/* 0: loading in a thread (or nothing to do); -1 with err. Call after the
 * adapters' open: it reuses their maps. wire__attach waits for the load
 * (the adapters attach meanwhile) and says its failure. */
int wire__open(struct tracer *t, const struct opts *o, char *err, size_t len);
int wire__attach(struct tracer *t, char *err, size_t len);
void wire__close(struct tracer *t);
/* Its evictions into the meta. */
void wire__counters(const struct tracer *t, struct capture_counters *c);

#endif
