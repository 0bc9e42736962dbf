/* Open -> configure -> load -> attach the BPF side for one target, and
 * detach everything on close. */
#ifndef WEFT_ATTACH_H
#define WEFT_ATTACH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "opts.h"
#include "probes.h"
#include "shared_maps.h"
#include "pid_view.h"
#include "uprobes.h"

struct native_bpf;
struct wire_bpf;
struct bpf_link;

#define MAX_LINKS 256

struct tracer {
	struct native_bpf *skel;
	struct bpf_link *links[MAX_LINKS];
	int nr_links;
	pid_t pid;
	struct pid_view view; /* pid as the kernel numbers it (pid_view.h) */
	char exe[512];	   /* what /proc/PID/exe points at */
	char exe_path[64]; /* /proc/PID/exe: reaches the file even if deleted */
	struct probe_table probes;
	int nr_uprobes;	   /* uprobes + uretprobes + usdt attached */
	struct go_tracer *go; /* the Go adapter, when the target is Go */
	struct node_tracer *node; /* the Node.js adapter, when the target is Node */
	struct profiler *prof; /* -F / --off-cpu: samples and blocked time */
	struct wire_bpf *wire; /* TCP hooks: requests to itself */
	struct wire_loading *wire_loading; /* its load, in a thread until wire__attach */
	struct shared_maps shared; /* every object's common maps (shared_maps.h) */
	struct uprobe_batch uprobes; /* attached together at the end (uprobes.h) */
	bool spec_owned[MAX_SPECS]; /* attached by an adapter, not natively */
};

int tracer__add_link(struct tracer *t, struct bpf_link *l, const char *what, char *err,
		     size_t len);
struct bpf_program;
struct bpf_uprobe_opts;
/* Every uprobe goes through here: attached at file offset off of path,
 * counted, and its site noted under the probe whose hits it counts (probe
 * < 0: none), with the kernel's path for its instruction (probe_site.h) */
int tracer__uprobe(struct tracer *t, struct bpf_program *prog, const char *path, uint64_t off,
		   const struct bpf_uprobe_opts *uo, int probe, const char *what, char *err,
		   size_t len);

/* Each returns 0, or -1 with one line in err naming what failed and a fix. */
int tracer__open(struct tracer *t, const struct opts *o, pid_t pid, char *err, size_t len);
int tracer__attach(struct tracer *t, const struct opts *o, char *err, size_t len);
void tracer__close(struct tracer *t);
int tracer__ringbuf_fd(const struct tracer *t);
struct capture_counters;
/* Every BPF object's counters, merged into c (counters.h) */
void tracer__counters(const struct tracer *t, struct capture_counters *c);
/* Traps per transaction since the last drain: fn(ctx, txn, traps) for each;
 * the entries leave the map (a hit after that makes a new one). */
typedef void (*trap_fn)(void *ctx, uint64_t txn, uint64_t traps);
void tracer__drain_traps(const struct tracer *t, trap_fn fn, void *ctx);

#endif
