/* The Go adapter's attach: runtime.newproc1's RETs, the goroutine exit
 * path, and --txn on Go functions (entry past the prologue + RETs: never a
 * uretprobe on Go code). It shares the native object's ring buffer. */
#ifndef WEFT_GO_ATTACH_H
#define WEFT_GO_ATTACH_H

#include <stdbool.h>
#include <stdint.h>
#include "opts.h"

struct tracer;
struct capture_counters;
struct go_tracer;

/* net/http's handler dispatch: each call is one inbound request. */
#define GO_HTTP_TXN "net/http.serverHandler.ServeHTTP"
/* grpc-go's server: each call handles one inbound RPC (stream). */
#define GO_GRPC_TXN "google.golang.org/grpc.(*Server).handleStream"
/* A Go test binary's tests (and subtests, nested): each tRunner call. */
#define GO_TEST_TXN "testing.tRunner"

/* With no --txn given, a Go binary that serves HTTP or gRPC gets its
 * requests as transactions (a test binary: its tests). 1 added, 0 not, -1
 * error. */
int go__auto_specs(struct opts *o, const char *exe_path);
/* Start reading exe's Go runtime offsets in a thread (go_tracer__open waits
 * for it); go__prefetch_wait before anything else reads its DWARF. */
void go__prefetch(const char *exe_path);
void go__prefetch_wait(void);

/* 1: the target is Go and the adapter is loaded; 0: not Go; -1: error. */
int go_tracer__open(struct tracer *t, const struct opts *o, char *err, size_t len);
/* Attaches the runtime probes and the --txn specs it owns (marks them in
 * t->spec_owned so the native side leaves them alone). */
int go_tracer__attach(struct tracer *t, const struct opts *o, char *err, size_t len);
void go_tracer__close(struct tracer *t);
/* Pre-attach goroutines read at attach, as SEG_BEGIN events to feed first. */
struct weft_event;
size_t go_tracer__seeds(const struct tracer *t, const struct weft_event **out);
/* The live goroutines' states at the end of a capture, as GSTATE events;
 * at_exit: read while the process is held at its exit (WEFT_F_ATEXIT).
 * Returns how many goroutines were read (-1: the read failed). */
typedef void (*go_event_fn)(void *ctx, const struct weft_event *e);
int go_tracer__final_states(struct tracer *t, go_event_fn emit, void *ctx, char *reasons,
			    size_t rlen, bool at_exit);
/* weft check: the tid that stopped the process at its exit (SIGSTOP, from
 * BPF), 0 while it has not; forgets it (the caller continues it). */
pid_t go_tracer__take_exit_hold(struct tracer *t);
/* --go-lean: the goroutines weft holds that the process no longer has, read
 * from runtime.allgs; each gets a SEG_END at ts (flagged WEFT_F_POLLED) and
 * leaves the BPF map. Returns how many ended, -1 when the read failed (then
 * nothing is ended: never a guess). */
int go_tracer__sweep(struct tracer *t, uint64_t ts, go_event_fn emit, void *ctx);
/* --go-lean: the goroutine map is more than half full (sweep now) */
bool go_tracer__map_half_full(const struct tracer *t);
bool go_tracer__lean(const struct tracer *t);
/* A cgo binary: C code may make threads of its own (the runtime's Ms, which
 * start in cgo's threadentry, are not the program's work). */
bool go_tracer__cgo(const struct tracer *t);
void go_tracer__counters(const struct tracer *t, struct capture_counters *c);
/* The Go version ("go1.23.4"), and where its layout came from ("DWARF",
 * "table", "derived") in offsets_src; NULL when not Go. */
const char *go_tracer__version(const struct tracer *t, const char **offsets_src);
/* For the profiler and the wire: the offsets that lead from a g to the
 * goroutine its M runs (0s: not Go). */
void go_tracer__layout(const struct tracer *t, uint32_t *g_goid, uint32_t *g_m, uint32_t *m_curg);

#endif
