// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Profiling, tagged with context: on-CPU samples from a per-CPU cpu-clock
 * perf event, and off-CPU spans from sched_switch. Zero uprobes. Each sample
 * or span carries the segment and transaction current on the thread (for Go,
 * on the goroutine the thread runs), read from the maps the adapters keep:
 * `threads` and `goroutines` are the native and Go objects' own, reused by
 * fd, as are the ring buffer and the id map. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "weft/events.h"
#include "context.bpf.h"
#include "ctx_now.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* off-CPU spans shorter than this are counted, not sent */
const volatile __u64 offcpu_min_ns = 100000;

/* Plain globals, read back through the skeleton. */
__u64 samples = 0;	   /* samples of the target taken (sent or lost) */
__u64 offcpu_short = 0;	   /* spans below offcpu_min_ns: not sent */
__u64 offcpu_short_ns = 0; /* ... and their total time */
__u64 offcpu_evicted = 0;  /* a blocked thread not remembered: map full */

/* A thread that blocked while working for a transaction: when, in which
 * context, and its user stack then. LRU: a thread that exits while blocked
 * never comes back for its entry. */
struct blocked {
	__u64 ts, seg, txn;
	__u32 kind, flags;
	__u32 nr_frames, pad;
	__u64 frames[WEFT_MAX_FRAMES];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384); /* resized from userspace */
	__type(key, __u32);	    /* tid */
	__type(value, struct blocked);
} blocked SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct blocked);
} blocked_scratch SEC(".maps");

static __always_inline void stack_flags(struct weft_event *e, long n)
{
	e->nr_frames = n > 0 ? (__u64)n / 8 : 0;
	if (n <= 0)
		e->flags |= WEFT_F_NOSTACK;
	else if (e->nr_frames >= WEFT_MAX_FRAMES)
		e->flags |= WEFT_F_TRUNCATED;
}

SEC("perf_event")
int on_sample(struct bpf_perf_event_data *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct weft_event *e;
	struct wctx c = {};

	if (id >> 32 != target_tgid || !(__u32)id)
		return 0;
	__sync_fetch_and_add(&samples, 1);
	ctx_now((__u32)id, &c);
	e = event_new(WEFT_EV_SAMPLE, c.kind, WEFT_PROBE_THREAD);
	if (!e)
		return 0;
	e->seg = c.seg;
	e->txn = c.txn;
	e->obj = c.obj;
	/* frame-pointer walk of the user stack (Go and V8 keep frame pointers);
	 * from the kernel, it starts at the registers saved at entry */
	stack_flags(e, bpf_get_stack(ctx, e->frames, sizeof(e->frames), BPF_F_USER_STACK));
	event_submit(e);
	return 0;
}

/* Runs on prev's CPU, in prev's context: prev's user stack is current. */
SEC("raw_tp/sched_switch")
int BPF_PROG(on_switch, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	struct blocked *b;
	struct weft_event *e;
	struct wctx c = {};
	__u32 tid, zero = 0;
	__u64 now;

	/* a thread going to sleep (not preempted: runnable time is not
	 * blocked time), while it works for a transaction */
	if (BPF_CORE_READ(prev, tgid) == target_tgid && !preempt && prev_state &&
	    ctx_now(tid = BPF_CORE_READ(prev, pid), &c) && c.txn) {
		b = bpf_map_lookup_elem(&blocked_scratch, &zero);
		if (b) {
			long n;

			b->ts = bpf_ktime_get_ns();
			b->seg = c.seg;
			b->txn = c.txn;
			b->kind = c.kind;
			b->flags = 0;
			n = bpf_get_stack(ctx, b->frames, sizeof(b->frames), BPF_F_USER_STACK);
			b->nr_frames = n > 0 ? (__u64)n / 8 : 0;
			if (n <= 0)
				b->flags |= WEFT_F_NOSTACK;
			else if (b->nr_frames >= WEFT_MAX_FRAMES)
				b->flags |= WEFT_F_TRUNCATED;
			if (bpf_map_update_elem(&blocked, &tid, b, BPF_ANY))
				__sync_fetch_and_add(&offcpu_evicted, 1);
		}
	}
	if (BPF_CORE_READ(next, tgid) != target_tgid)
		return 0;
	tid = BPF_CORE_READ(next, pid);
	b = bpf_map_lookup_elem(&blocked, &tid);
	if (!b)
		return 0;
	now = bpf_ktime_get_ns();
	if (now - b->ts < offcpu_min_ns) {
		__sync_fetch_and_add(&offcpu_short, 1);
		__sync_fetch_and_add(&offcpu_short_ns, now - b->ts);
		bpf_map_delete_elem(&blocked, &tid);
		return 0;
	}
	e = event_new(WEFT_EV_OFFCPU, b->kind, WEFT_PROBE_THREAD);
	if (e) {
		/* the event is about next, not the current (prev) thread */
		e->ts_ns = b->ts;
		e->pid = task_view_tgid(next);
		e->tid = task_view_tid(next);
		e->seg = b->seg;
		e->txn = b->txn;
		e->obj = now - b->ts;
		e->flags = b->flags;
		e->nr_frames = b->nr_frames < WEFT_MAX_FRAMES ? b->nr_frames : WEFT_MAX_FRAMES;
		__builtin_memcpy(e->frames, b->frames, sizeof(e->frames));
		event_submit(e);
	}
	bpf_map_delete_elem(&blocked, &tid);
	return 0;
}
