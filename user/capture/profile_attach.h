/* The profiler's attach: a cpu-clock perf event per CPU (-F) and the
 * scheduler's sched_switch (--off-cpu), with no uprobe. It shares the native
 * object's ring buffer, ids and thread contexts, and the Go object's
 * goroutine contexts. */
#ifndef WEFT_PROFILE_ATTACH_H
#define WEFT_PROFILE_ATTACH_H

#include <stddef.h>
#include "opts.h"

struct tracer;
struct capture_counters;

/* Off-CPU spans shorter than this are counted, not sent. */
#define PROFILE_OFFCPU_MIN_NS 100000ULL

/* 0: loaded, or nothing asked (no -F, no --off-cpu); -1 with err. Call after
 * the adapters' open: it reuses their maps. */
int profile__open(struct tracer *t, const struct opts *o, char *err, size_t len);
int profile__attach(struct tracer *t, const struct opts *o, char *err, size_t len);
void profile__close(struct tracer *t);
/* Sampling parameters and the profiler's counters into the meta. */
void profile__counters(const struct tracer *t, struct capture_counters *c);

#endif
