/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Context tagging shared by every adapter: which segment and transaction is
 * current on each thread, segment allocation at creation time, and events.
 * Propagation happens here, in the kernel, with no round trip to userspace. */
#ifndef WEFT_CONTEXT_BPF_H
#define WEFT_CONTEXT_BPF_H

#include "weft/context.h"
#include "pid_view.bpf.h"

/* the kernel's tgid (root namespace): what maps and filters compare */
const volatile __u32 target_tgid = 0;
/* Wake the reader only past this much pending data: a wakeup per event
 * costs the target more than the trap. Userspace also polls on a timer.
 * Thread creations always wake it: their stacks are unwound against the
 * live process's mappings, which are gone once a short-lived target exits. */
const volatile __u64 wakeup_bytes = 1 << 20;
/* offsetof(struct pthread, start_routine) in the target's glibc; 0 unknown */
const volatile __u64 pthread_start_off = 0;

/* Counted on every event on every CPU: per CPU, so that no cache line is
 * shared; userspace sums the CPUs (counters__add). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct weft_counters);
} counters SEC(".maps");

static __always_inline struct weft_counters *counters_here(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&counters, &zero);
}

/* atomic still: a program may be preempted by another on its CPU */
#define COUNT(field)                                                                            \
	do {                                                                                    \
		struct weft_counters *c_ = counters_here();                                     \
		if (c_)                                                                         \
			__sync_fetch_and_add(&c_->field, 1);                                     \
	} while (0)

/* A plain global, read back through the skeleton: rare */
__u64 nest_overflow = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20); /* resized from userspace */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384); /* resized from userspace */
	__type(key, __u32);	    /* tid */
	__type(value, struct thread_state);
} threads SEC(".maps");

/* Scratch for building a thread_state off the 512-byte stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct thread_state);
} thread_scratch SEC(".maps");

static __always_inline void count_hit(__u32 probe)
{
	struct weft_counters *c = counters_here();

	if (c && probe < WEFT_MAX_PROBES)
		__sync_fetch_and_add(&c->hits[probe], 1);
}

/* Traps (uprobe hits) per transaction: what tracing each request cost it,
 * counted for the transaction current where the probe fired. Shared by
 * every adapter's object (reused by fd) and drained by userspace, so only
 * recent transactions hold entries. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536); /* drained every 100 ms */
	__type(key, __u64);   /* txn */
	__type(value, __u64); /* traps since the last drain */
} txn_traps SEC(".maps");

static __always_inline void count_txn_trap(__u64 txn)
{
	__u64 one = 1, *n;

	if (!txn)
		return;
	n = bpf_map_lookup_elem(&txn_traps, &txn);
	if (n) {
		__sync_fetch_and_add(n, 1);
		return;
	}
	if (!bpf_map_update_elem(&txn_traps, &txn, &one, BPF_NOEXIST))
		return;
	n = bpf_map_lookup_elem(&txn_traps, &txn); /* another CPU added it */
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		COUNT(evicted);
}

static __always_inline void event_submit_wake(void *e, bool wake)
{
	__u64 pending = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);

	bpf_ringbuf_submit(e, wake || pending > wakeup_bytes ? BPF_RB_FORCE_WAKEUP
							   : BPF_RB_NO_WAKEUP);
}

static __always_inline void event_submit(void *e)
{
	event_submit_wake(e, false);
}

/* Segment and transaction ids: one map that every adapter's object shares
 * (reused by fd), so ids are unique across them. Mapped into userspace,
 * which reserves blocks of it with the same atomic add (seeding at -p). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct weft_ids);
} ids SEC(".maps");

static __always_inline __u64 seg_alloc(void)
{
	__u32 zero = 0;
	struct weft_ids *v = bpf_map_lookup_elem(&ids, &zero);

	return v ? __sync_fetch_and_add(&v->seg, 1) + 1 : 0;
}

static __always_inline __u64 txn_alloc(void)
{
	__u32 zero = 0;
	struct weft_ids *v = bpf_map_lookup_elem(&ids, &zero);

	return v ? __sync_fetch_and_add(&v->txn, 1) + 1 : 0;
}

static __always_inline bool in_target(void)
{
	return (bpf_get_current_pid_tgid() >> 32) == target_tgid;
}

_Static_assert(__builtin_offsetof(struct weft_event, frames) == WEFT_EVENT_HEAD, "event head");

/* Reserves an event of size bytes (a constant: the whole, or the head and
 * the frames it carries) with the common fields filled in; NULL (counted)
 * if the ring buffer is full. */
static __always_inline struct weft_event *event_new_sized(__u32 type, __u32 kind, __u32 probe,
							  __u64 size)
{
	struct weft_event *e = bpf_ringbuf_reserve(&events, size, 0);
	__u64 id = bpf_get_current_pid_tgid();

	if (!e) {
		COUNT(lost);
		return NULL;
	}
	COUNT(events);
	e->ts_ns = bpf_ktime_get_ns();
	e->type = type;
	e->kind = kind;
	if (view_level) {
		struct task_struct *t = bpf_get_current_task_btf();

		e->pid = task_view_tgid(t);
		e->tid = task_view_tid(t);
	} else {
		e->pid = id >> 32;
		e->tid = (__u32)id;
	}
	e->seg = e->parent = e->txn = e->obj = e->site = 0;
	e->probe = probe;
	e->flags = 0;
	e->nr_frames = 0;
	e->pad = 0;
	return e;
}

static __always_inline struct weft_event *event_new(__u32 type, __u32 kind, __u32 probe)
{
	return event_new_sized(type, kind, probe, sizeof(struct weft_event));
}

/* An event that carries at most n frames (n a constant) */
#define event_new_frames(type, kind, probe, n)                                                  \
	event_new_sized(type, kind, probe, WEFT_EVENT_HEAD + 8 * (n))

/* The user stack of the current thread. With skip_ip, frame 0 is the return
 * address read at the stack pointer (we are at a function's entry, before its
 * prologue, so the frame-pointer walk would miss the direct caller). */
static __always_inline void event_stack(struct weft_event *e, void *ctx, struct pt_regs *regs)
{
	long n;

	if (regs) {
		__u64 ret = 0;

		if (bpf_probe_read_user(&ret, sizeof(ret), (void *)PT_REGS_SP(regs)) == 0 && ret)
			e->frames[0] = ret;
		n = bpf_get_stack(ctx, &e->frames[1], (WEFT_MAX_FRAMES - 1) * 8,
				  BPF_F_USER_STACK | 1);
		e->nr_frames = n > 0 ? (__u64)n / 8 + 1 : 1;
	} else {
		n = bpf_get_stack(ctx, e->frames, sizeof(e->frames), BPF_F_USER_STACK);
		e->nr_frames = n > 0 ? (__u64)n / 8 : 0;
	}
	if (n <= 0)
		e->flags |= WEFT_F_NOSTACK;
}

/* The state of thread tid; a thread first seen here existed before the
 * capture (we see every creation after it): give it a pre-attach segment. */
static __always_inline struct thread_state *thread_get(__u32 tid, __u32 probe)
{
	struct thread_state *ts = bpf_map_lookup_elem(&threads, &tid);
	struct weft_event *e;
	__u32 zero = 0;

	if (ts)
		return ts;
	ts = bpf_map_lookup_elem(&thread_scratch, &zero);
	if (!ts)
		return NULL;
	__builtin_memset(ts, 0, sizeof(*ts));
	ts->cur.seg = seg_alloc();
	ts->cur.kind = WEFT_KIND_THREAD;
	if (bpf_map_update_elem(&threads, &tid, ts, BPF_NOEXIST)) {
		COUNT(evicted);
		return NULL;
	}
	e = event_new_frames(WEFT_EV_SEG_BEGIN, WEFT_KIND_THREAD, probe, 0);
	if (e) {
		e->seg = ts->cur.seg;
		e->obj = e->tid; /* the current thread's, as weft sees it */
		e->flags = WEFT_F_PREATTACH | WEFT_F_NOSTACK;
		event_submit(e);
	}
	return bpf_map_lookup_elem(&threads, &tid);
}

/* Makes c current on the thread, saving what was current. */
static __always_inline bool ctx_push(struct thread_state *ts, const struct wctx *c)
{
	__u32 d = ts->depth;

	if (d >= WEFT_MAX_NEST) {
		__sync_fetch_and_add(&nest_overflow, 1);
		return false;
	}
	ts->saved[d] = ts->cur;
	ts->depth = d + 1;
	ts->cur = *c;
	return true;
}

static __always_inline bool ctx_pop(struct thread_state *ts)
{
	__u32 d = ts->depth;

	if (d == 0 || d > WEFT_MAX_NEST)
		return false;
	d--;
	ts->cur = ts->saved[d];
	ts->depth = d;
	return true;
}

static __always_inline void emit_seg_end(__u64 seg, __u64 txn, __u32 kind, __u64 obj, __u32 probe)
{
	struct weft_event *e = event_new_frames(WEFT_EV_SEG_END, kind, probe, 0);

	if (!e)
		return;
	e->seg = seg;
	e->txn = txn;
	e->obj = obj;
	event_submit(e);
}

/* The wire: bytes the target writes on a TCP connection carry the writer's
 * context to the reader at the other end, when that end is the target too
 * (a request to itself). wire.bpf.c sets `wire_in` for the reader; the
 * adapters read it where a transaction begins (conflation). Keys: a goid,
 * or a tid | WIRE_THREAD. */
#define WIRE_THREAD (1ULL << 62)
#define WIRE_F_SELF 1 /* the bytes came from the target's own socket */
/* read by the goroutine that made this one, not by it: which of the
 * connection's requests it serves is not known (Go's HTTP/2 server) */
#define WIRE_F_HANDED 2

struct wire_tag {
	__u64 seg, txn, ts;
	__u32 flags, pad;
};

/* reader -> the context of the last bytes it read from the target itself */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct wire_tag);
} wire_in SEC(".maps");

/* writer -> the context it writes for, when not its own: a connection's
 * pooled writer while a call is under way on it (Go's writeLoop) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct wire_tag);
} wire_as SEC(".maps");

/* What reader key read last from the target itself; false if nothing (or
 * bytes from elsewhere). */
static __always_inline bool wire_from_self(__u64 key, struct wire_tag *out)
{
	struct wire_tag *t = key ? bpf_map_lookup_elem(&wire_in, &key) : NULL;

	if (!t)
		return false;
	*out = *t;
	return true;
}

/* A transaction that began on bytes the target wrote itself (a request to
 * itself) began inside the writer's context: reader is who read them. A
 * multiplexed connection (gRPC: one writer goroutine for every call) does
 * not say which call wrote them: userspace tells it from the calls open
 * (WEFT_F_WIRE_MUX). */
static __always_inline void wire_outer(struct weft_event *e, __u64 reader, bool mux)
{
	struct wire_tag w;

	if (!wire_from_self(reader, &w))
		return;
	e->flags |= WEFT_F_WIRE;
	if (mux || (w.flags & WIRE_F_HANDED)) {
		e->flags |= WEFT_F_WIRE_MUX;
		return;
	}
	e->obj = w.txn;
	if (w.txn)
		e->parent = w.seg;
}

#endif
