/* The model: events in, segments / transactions / leaks out. Pure C: no
 * libbpf, no syscalls, so live tracing and `weft report` share it and the
 * unit tests drive it with synthetic streams. */
#ifndef WEFT_MODEL_H
#define WEFT_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "weft/events.h"
#include "symtab.h"

enum seg_state {
	SEG_LIVE,      /* not ended, its transaction (if any) live */
	SEG_ENDED,     /* ended */
	SEG_PENDING,   /* alive, its transaction ended less than the grace ago */
	SEG_LEAKED,    /* alive the grace after its transaction ended */
	SEG_POOLED,    /* alive, idle in a pool (a keep-alive socket): not a leak */
};
/* What decided a leaked or pending segment's state (model__finish) */
enum verdict_rule {
	RULE_NONE,	  /* pending, not judged: nothing read at the exit says */
	RULE_GRACE,	  /* leaked: alive the grace after its transaction ended */
	RULE_TEARDOWN,	  /* leaked: alive when the runtime tore the process down */
	RULE_BLOCKED,	  /* leaked: at the exit, blocked on what nothing would wake */
	RULE_TIMER_LATE,  /* leaked: at the exit, asleep on a timer due past the grace */
	RULE_RUNNING,	  /* pending: at the exit, running or runnable (cleanup in flight) */
	RULE_TIMER_SOON,  /* pending: at the exit, asleep on a timer due within the grace */
};
/* "grace", "blocked at exit", ...; "" for RULE_NONE */
const char *model__rule_name(uint32_t rule);

struct segment {
	uint64_t id, parent, txn, obj;
	uint32_t kind, flags, tid, probe;
	uint64_t begin_ns, end_ns; /* end_ns 0: not ended */
	uint64_t gone_by_ns;	   /* a polled end: when found gone (it ended by then) */
	uint64_t site;		   /* address naming the creation site (0: unknown) */
	uint64_t start;		   /* start routine / callback, 0 unknown */
	uint32_t state;		   /* enum seg_state, set by model__finish */
	uint64_t leaked_at_ns;	   /* txn end + grace, when state == SEG_LEAKED */
	uint64_t runs;		   /* times a task's segment became current */
	bool pooled;		   /* idles in a pool (WEFT_EV_POOLED) */
	bool stdio;		   /* the process's stdio (WEFT_F_STDIO): the runtime's */
	/* outside any transaction, serving a server's connection: which
	 * server ("gRPC server"); NULL otherwise */
	const char *conn;
	/* Go: the state read from the process at the end of the capture */
	bool has_gstate;
	uint32_t go_status, go_wait_reason;
	uint64_t go_waited_ns; /* 0 unknown */
	/* weft check: what the read at the process's exit found (enum
	 * weft_exit_evidence, 0: no such read), when, and when its sleep timer
	 * fires, ns after that read (0 unknown) */
	uint32_t exit_evidence;
	uint64_t exit_read_ns, exit_timer_ns;
	uint32_t rule; /* enum verdict_rule, set by model__finish */
	uint32_t stack; /* its creation stack, model__stack(stack - 1); 0 none */
};

struct txn {
	uint64_t id, root_seg, parent_seg;
	uint32_t probe;	      /* probe that began it: names it */
	uint64_t begin_ns, end_ns;
	uint64_t nr_segments; /* created in it, transitively, root excluded */
	uint64_t nr_leaked;
	uint64_t outer_txn;   /* conflation: the txn whose context it began in, 0 none */
	uint64_t nested_in;   /* a subtest: the txn it nests in (not a conflation), 0 none */
	bool outer_ended;     /* that outer txn had already ended (stale context) */
	/* it began on a request the target made to itself (WEFT_F_WIRE); on a
	 * multiplexed connection (WEFT_F_WIRE_MUX) the caller is told from the
	 * calls open then (model__finish): wire_seg, the call; wire_callers,
	 * how many transactions had such a call open (1: told) */
	bool from_self, wire_mux;
	uint32_t wire_callers;
	uint64_t wire_seg;
	bool wire_settled;    /* told a grace after its begin: callers may be folded */
	bool teardown;	      /* ended by the runtime's teardown: no grace (WEFT_F_TEARDOWN) */
	bool exported;	      /* weft agent: sent on (only these are folded, then) */
	/* at teardown (Node): the loop's armed timers, and when JavaScript's
	 * timers were next due, ns after it plus one (0: none armed, unknown) */
	uint64_t timers_armed, js_timer_due;
	uint64_t traps;	      /* uprobe hits counted for it (WEFT_EV_TRAPS) */
	char name[WEFT_MAX_FRAMES * 8]; /* from a marker; "" for spec probes */
	/* profile (model__finish): on-CPU samples and their time, blocked time */
	uint64_t cpu_samples, cpu_ns, offcpu_ns, offcpu_spans;
};

/* A profile sample: on-CPU (weight one sampling period) or an off-CPU span
 * (weight the time blocked), with the context current on its thread. */
struct sample {
	uint64_t ts_ns, seg, txn;
	uint64_t obj;	    /* goid (Go), else 0 */
	uint64_t weight_ns;
	uint32_t tid, flags; /* WEFT_F_NOSTACK, WEFT_F_TRUNCATED */
	uint32_t stack;	    /* model__stack(): the user stack, innermost first */
	bool off_cpu;
};

/* What the profile holds outside any transaction known to the model. */
struct profile_outside {
	uint64_t cpu_samples, cpu_ns, offcpu_ns, offcpu_spans;
};

struct model_opts {
	uint64_t leak_grace_ns;
	/* Picks the frame that names a creation site (skips libc etc.); NULL:
	 * the innermost frame. */
	uint64_t (*pick_site)(void *ctx, const struct weft_event *e);
	void *pick_ctx;
	/* Names of spec probes (txn names); index = probe. */
	const char *probe_names[WEFT_MAX_PROBES];
	/* Transactions are traced: segments outside any are orphans. */
	bool txns_traced;
	/* The grace of a segment's site or start function (weft check --allow
	 * SITE<=DUR); NULL, or UINT64_MAX returned: leak_grace_ns. */
	uint64_t (*grace_for)(void *ctx, const struct segment *s);
	void *grace_ctx;
	/* A segment outside any transaction that a server starts for a
	 * connection (its handshake, reader, writer): which server, else NULL.
	 * What such a segment makes outside a transaction is the connection's
	 * too. NULL: none are (all are orphans). */
	const char *(*serves_conn)(void *ctx, const struct segment *s);
	void *conn_ctx;
	/* 1e9 / -F: the on-CPU time one sample stands for (0: no sampling) */
	uint64_t sample_period_ns;
	/* Go requests keep their path name even when a route pattern came
	 * (--name-by path) */
	bool name_by_path;
	/* Long captures: when more finished transactions than this are in
	 * memory, model__compact folds them into per-name totals (0: never) */
	size_t fold_keep;
	/* weft agent: only what was exported is folded, and then whatever
	 * it holds (a leak was sent as it was judged) */
	bool fold_exported_only;
};

struct model;

struct model *model__new(const struct model_opts *opts);
void model__free(struct model *m);
void model__feed(struct model *m, const struct weft_event *e);
/* Closes the capture at now_ns: classifies live segments as live, pending or
 * leaked. May be called again with a later time (live view). */
void model__finish(struct model *m, uint64_t now_ns);

size_t model__nr_segments(const struct model *m);
const struct segment *model__segment_at(const struct model *m, size_t i);
const struct segment *model__segment(const struct model *m, uint64_t id);
size_t model__nr_txns(const struct model *m);
const struct txn *model__txn_at(const struct model *m, size_t i);
const struct txn *model__txn(const struct model *m, uint64_t id);
/* weft agent: the transaction at i was sent on */
void model__set_exported(struct model *m, size_t i);
uint64_t model__nr_events(const struct model *m);
/* Segment and transaction begins whose id was taken already (the first is
 * kept): ids handed out twice, never expected */
uint64_t model__nr_dup_ids(const struct model *m);
uint64_t model__first_ns(const struct model *m);
uint64_t model__last_ns(const struct model *m);

/* Groups, computed by model__finish: one per (site, kind). */
#define GROUP_MAX_NAMES 4
struct site_group {
	uint64_t site;
	uint64_t start; /* start routine of the first member, 0 unknown */
	uint32_t kind;
	uint64_t count;
	uint64_t max_age_ns; /* leaks: oldest age past its transaction's end */
	const char *txn_names[GROUP_MAX_NAMES]; /* distinct owners, first seen */
	uint32_t nr_txn_names;
	/* Go: what the members wait on (the first member's), the longest wait */
	bool has_wait;
	uint32_t wait_reason;
	uint64_t max_waited_ns;
	const char *conn; /* connections: the server they serve */
};
/* Continuations that ended after their transaction (asynchronous cleanup),
 * per creation site: how long after (weft check's cleanup latency). */
struct late_group {
	uint64_t site, start;
	uint32_t kind;
	uint64_t count, p50_ns, p99_ns, max_ns;
	uint64_t leaked; /* of them, past the grace (or the site's --allow) */
};
size_t model__nr_late(const struct model *m);
const struct late_group *model__late_at(const struct model *m, size_t i);
size_t model__nr_leaks(const struct model *m);
const struct site_group *model__leak_at(const struct model *m, size_t i);
size_t model__nr_orphans(const struct model *m);
const struct site_group *model__orphan_at(const struct model *m, size_t i);
/* Continuations that serve connections (segment.conn), grouped by site. */
size_t model__nr_conns(const struct model *m);
const struct site_group *model__conn_at(const struct model *m, size_t i);
size_t model__nr_conflations(const struct model *m);
/* Transactions begun on a request the target made to itself whose caller
 * could not be told: several transactions had a call of it open. */
size_t model__nr_self_untold(const struct model *m);
const struct txn *model__conflation_at(const struct model *m, size_t i);
/* The segments that carried a conflated transaction's context, from the
 * one it began in up to (not including) the outer transaction's root: a
 * listener made in one request, the parser of a connection it accepted...
 * Returns how many (at most max). */
size_t model__conflation_chain(const struct model *m, const struct txn *t,
			       const struct segment **out, size_t max);
/* A call segment's name ("GET 127.0.0.1:8080"): its start is the id; "" none. */
const char *model__seg_name(const struct model *m, uint64_t id);
/* The txn's display name: its marker name or its probe's name. */
const char *model__txn_name(const struct model *m, const struct txn *t);
/* Profile samples in arrival order, and their stacks (addresses the
 * symtab names: innermost first, as captured). */
size_t model__nr_samples(const struct model *m);
const struct sample *model__sample_at(const struct model *m, size_t i);
/* weft agent: hands take() the samples whose transaction was exported,
 * and those with none known settle_ns after they were taken (t NULL), or
 * all of them; they leave the model. Returns how many. */
size_t model__take_samples(struct model *m, uint64_t now_ns, uint64_t settle_ns, bool all,
			   void (*take)(void *ctx, const struct sample *s, const struct txn *t),
			   void *ctx);
const uint64_t *model__stack(const struct model *m, uint32_t idx, uint32_t *nr);
/* Samples whose transaction is 0 or unknown (computed by model__finish). */
const struct profile_outside *model__outside(const struct model *m);
/* Duration quantile (0..1) over ended transactions named name (NULL: all),
 * folded ones included (then within a bucket's width, ~3%). */
uint64_t model__txn_quantile(const struct model *m, const char *name, double q);

/* Long captures (model_opts.fold_keep). A finished transaction that can
 * no longer change a verdict (ended a grace ago, every continuation of it
 * ended, no conflation or call to itself involves it, not the slowest) is
 * added to its name's totals and dropped with its segments; so are ended
 * orphans and connections' continuations a grace after their end. */
#define FOLD_SUB 16				    /* buckets per power of two */
#define FOLD_BUCKETS (FOLD_SUB + 60 * FOLD_SUB) /* durations up to 2^64 ns */
struct txn_fold {
	char name[WEFT_MAX_FRAMES * 8];
	uint64_t count, segments, traps;
	uint64_t dur[FOLD_BUCKETS]; /* durations: log buckets, 1/16 octave wide */
};
/* Finishes the model at now and folds what it can, when more than
 * fold_keep finished transactions are in memory; cheap otherwise. */
void model__compact(struct model *m, uint64_t now_ns);
size_t model__nr_folds(const struct model *m);
const struct txn_fold *model__fold_at(const struct model *m, size_t i);
const struct txn_fold *model__fold_named(const struct model *m, const char *name);
uint64_t model__nr_folded_txns(const struct model *m);
uint64_t model__nr_folded_segments(const struct model *m);
/* weft agent: continuations of this kind dropped alive with their
 * exported transaction (leaks), not ended since */
uint64_t model__folded_live(const struct model *m, uint32_t kind);
/* The duration bucket of ns, and the middle of a bucket */
uint32_t fold__bucket(uint64_t ns);
uint64_t fold__value(uint32_t bucket);

#endif
