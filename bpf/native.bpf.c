// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Native continuations: threads (from the scheduler's tracepoints, no
 * uprobes), queued tasks described by probe specs, transactions on a
 * function's entry/return, and the weft.h USDT markers. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/usdt.bpf.h>
#include "weft/events.h"
#include "context.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Task identity -> its segment. Entries leave when the task ends. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536); /* resized from userspace */
	__type(key, __u64);
	__type(value, struct wctx);
} tasks SEC(".maps");

/* Fixed probe indices of the weft.h markers; spec probes follow. */
enum {
	PROBE_MARK_TXN_BEGIN = WEFT_PROBE_USER,
	PROBE_MARK_TXN_END,
	PROBE_MARK_TASK_CREATE,
	PROBE_MARK_TASK_BEGIN,
	PROBE_MARK_TASK_END,
};

/* Registers and stack top of the creating thread, for a DWARF unwind. */
static __always_inline void emit_ustack(__u64 seg)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct weft_stack_event *e;
	struct pt_regs *r;
	__u64 size, first, rest;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		COUNT(lost);
		return;
	}
	r = (struct pt_regs *)bpf_task_pt_regs(task);
	e->ts_ns = bpf_ktime_get_ns();
	e->type = WEFT_EV_USTACK;
	e->seg = seg;
	e->regs[0] = BPF_CORE_READ(r, ax);
	e->regs[1] = BPF_CORE_READ(r, dx);
	e->regs[2] = BPF_CORE_READ(r, cx);
	e->regs[3] = BPF_CORE_READ(r, bx);
	e->regs[4] = BPF_CORE_READ(r, si);
	e->regs[5] = BPF_CORE_READ(r, di);
	e->regs[6] = BPF_CORE_READ(r, bp);
	e->regs[7] = BPF_CORE_READ(r, sp);
	e->regs[8] = BPF_CORE_READ(r, r8);
	e->regs[9] = BPF_CORE_READ(r, r9);
	e->regs[10] = BPF_CORE_READ(r, r10);
	e->regs[11] = BPF_CORE_READ(r, r11);
	e->regs[12] = BPF_CORE_READ(r, r12);
	e->regs[13] = BPF_CORE_READ(r, r13);
	e->regs[14] = BPF_CORE_READ(r, r14);
	e->regs[15] = BPF_CORE_READ(r, r15);
	e->regs[16] = BPF_CORE_READ(r, ip);
	size = WEFT_STACK_BYTES;
	/* Page by page: past the stack's top, or at a page not present (no
	 * fault-in here), the read fails; the unwinder uses what came before. */
	first = 4096 - (e->regs[7] & 4095);
	if (first > size)
		first = size;
	first &= WEFT_STACK_BYTES * 2 - 1;
	if (first > WEFT_STACK_BYTES)
		first = WEFT_STACK_BYTES;
	e->size = 0;
	if (bpf_probe_read_user(e->data, first, (void *)e->regs[7]))
		goto out;
	e->size = first;
	rest = (size - first) & (WEFT_STACK_BYTES - 1);
	if (first + rest <= WEFT_STACK_BYTES && rest &&
	    !bpf_probe_read_user(e->data + first, rest, (void *)(e->regs[7] + first)))
		e->size = first + rest;
out:
	event_submit(e);
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	struct thread_state *pts, *cts;
	struct weft_event *e;
	struct wctx pc;
	__u32 ptid, ctid, d, zero = 0;

	/* the parent's tgid is the target's: the child's must be the same */
	if (BPF_CORE_READ(parent, tgid) != target_tgid || BPF_CORE_READ(child, tgid) != target_tgid)
		return 0;
	count_hit(WEFT_PROBE_THREAD);
	ptid = BPF_CORE_READ(parent, pid);
	ctid = BPF_CORE_READ(child, pid);
	pts = thread_get(ptid, WEFT_PROBE_THREAD);
	if (!pts)
		return 0;
	/* the context below any runtime callback scopes */
	pc = pts->cur;
	d = pts->depth;
	for (int i = 0; i < WEFT_MAX_NEST && (pc.flags & WCTX_F_RUNTIME) && d > 0; i++) {
		d--;
		pc = pts->saved[d & (WEFT_MAX_NEST - 1)]; /* d < WEFT_MAX_NEST, a power of 2 */
	}
	cts = bpf_map_lookup_elem(&thread_scratch, &zero);
	if (!cts)
		return 0;
	__builtin_memset(cts, 0, sizeof(*cts));
	cts->cur.seg = seg_alloc();
	cts->cur.txn = pc.txn;
	cts->cur.kind = WEFT_KIND_THREAD;
	if (bpf_map_update_elem(&threads, &ctid, cts, BPF_ANY)) {
		COUNT(evicted);
		return 0;
	}
	emit_ustack(cts->cur.seg);
	e = event_new(WEFT_EV_SEG_BEGIN, WEFT_KIND_THREAD, WEFT_PROBE_THREAD);
	if (!e)
		return 0;
	e->seg = cts->cur.seg;
	e->parent = pc.seg;
	e->txn = pc.txn;
	e->obj = task_view_tid(child);
	/* The start routine, from the new thread's struct pthread (its TCB is
	 * its fs base). Userspace keeps it only if it names a function entry. */
	if (pthread_start_off &&
	    bpf_probe_read_user(&e->site, sizeof(e->site),
				(void *)(BPF_CORE_READ(child, thread.fsbase) + pthread_start_off)))
		e->site = 0;
	/* No frame-pointer walk: glibc's clone path has no frame pointers.
	 * Userspace fills the frames from the USTACK event sent before. */
	e->flags |= WEFT_F_NOSTACK;
	event_submit_wake(e, true);
	return 0;
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *p)
{
	struct thread_state *ts;
	__u32 tid;

	if (BPF_CORE_READ(p, tgid) != target_tgid)
		return 0;
	tid = BPF_CORE_READ(p, pid);
	ts = bpf_map_lookup_elem(&threads, &tid);
	if (!ts)
		return 0;
	emit_seg_end(ts->saved[0].seg && ts->depth ? ts->saved[0].seg : ts->cur.seg, 0,
		     WEFT_KIND_THREAD, task_view_tid(p), WEFT_PROBE_THREAD);
	bpf_map_delete_elem(&threads, &tid);
	return 0;
}

/* Cookie of a spec probe: probe index, argument index, signed offset. */
static __always_inline __u32 cookie_probe(__u64 c)
{
	return c & 0xff;
}

static __always_inline __u64 cookie_obj(__u64 c, struct pt_regs *regs)
{
	/* x86-64 SysV argument registers, in order */
	static const __u32 arg_off[6] = {
		offsetof(struct pt_regs, di), offsetof(struct pt_regs, si),
		offsetof(struct pt_regs, dx), offsetof(struct pt_regs, cx),
		offsetof(struct pt_regs, r8), offsetof(struct pt_regs, r9),
	};
	__u32 i = (c >> 8) & 0xf;
	__u64 v = 0;

	/* A variable offset into ctx is refused by the verifier: read it. */
	if (i < 6)
		bpf_probe_read_kernel(&v, sizeof(v), (char *)regs + arg_off[i]);
	return v + (__s64)(__s32)(c >> 32);
}

static __always_inline void task_create(void *ctx, struct pt_regs *regs, __u32 probe, __u64 obj)
{
	struct thread_state *ts;
	struct weft_event *e;
	struct wctx *old, t = {};

	count_hit(probe);
	ts = thread_get(bpf_get_current_pid_tgid(), probe);
	if (!ts)
		return;
	count_txn_trap(ts->cur.txn);
	/* The same identity created again: the old task is over (pooled object). */
	old = bpf_map_lookup_elem(&tasks, &obj);
	if (old)
		emit_seg_end(old->seg, old->txn, WEFT_KIND_TASK, obj, probe);
	t.seg = seg_alloc();
	t.txn = ts->cur.txn;
	t.obj = obj;
	t.kind = WEFT_KIND_TASK;
	if (bpf_map_update_elem(&tasks, &obj, &t, BPF_ANY)) {
		COUNT(evicted);
		return;
	}
	e = event_new(WEFT_EV_SEG_BEGIN, WEFT_KIND_TASK, probe);
	if (!e)
		return;
	e->seg = t.seg;
	e->parent = ts->cur.seg;
	e->txn = t.txn;
	e->obj = obj;
	event_stack(e, ctx, regs);
	event_submit(e);
}

/* The task's segment; a task never seen created predates the capture. */
static __always_inline struct wctx *task_get(__u64 obj, __u32 probe)
{
	struct wctx *t = bpf_map_lookup_elem(&tasks, &obj);
	struct wctx n = {};
	struct weft_event *e;

	if (t)
		return t;
	n.seg = seg_alloc();
	n.obj = obj;
	n.kind = WEFT_KIND_TASK;
	if (bpf_map_update_elem(&tasks, &obj, &n, BPF_NOEXIST)) {
		COUNT(evicted);
		return NULL;
	}
	e = event_new(WEFT_EV_SEG_BEGIN, WEFT_KIND_TASK, probe);
	if (e) {
		e->seg = n.seg;
		e->obj = obj;
		e->flags = WEFT_F_PREATTACH | WEFT_F_NOSTACK;
		event_submit(e);
	}
	return bpf_map_lookup_elem(&tasks, &obj);
}

static __always_inline void task_begin(__u32 probe, __u64 obj)
{
	struct thread_state *ts;
	struct weft_event *e;
	struct wctx *t;

	count_hit(probe);
	ts = thread_get(bpf_get_current_pid_tgid(), probe);
	t = task_get(obj, probe);
	if (!ts || !t || !ctx_push(ts, t))
		return;
	count_txn_trap(t->txn);
	e = event_new(WEFT_EV_RUN_BEGIN, WEFT_KIND_TASK, probe);
	if (!e)
		return;
	e->seg = t->seg;
	e->txn = t->txn;
	e->obj = obj;
	event_submit(e);
}

/* Ends the run of the task current on this thread; with done, the task too. */
static __always_inline void task_stop(__u32 probe, __u64 obj, bool by_obj, bool done)
{
	struct thread_state *ts;
	struct weft_event *e;
	struct wctx cur;
	__u32 tid = bpf_get_current_pid_tgid();

	count_hit(probe);
	ts = bpf_map_lookup_elem(&threads, &tid);
	if (!ts)
		return;
	cur = ts->cur;
	count_txn_trap(cur.txn);
	if (cur.kind != WEFT_KIND_TASK || (by_obj && cur.obj != obj)) {
		if (done && by_obj) {
			struct wctx *t = bpf_map_lookup_elem(&tasks, &obj);

			if (t) {
				emit_seg_end(t->seg, t->txn, WEFT_KIND_TASK, obj, probe);
				bpf_map_delete_elem(&tasks, &obj);
			}
		}
		return;
	}
	ctx_pop(ts);
	e = event_new(WEFT_EV_RUN_END, WEFT_KIND_TASK, probe);
	if (e) {
		e->seg = cur.seg;
		e->txn = cur.txn;
		e->obj = cur.obj;
		event_submit(e);
	}
	if (done) {
		emit_seg_end(cur.seg, cur.txn, WEFT_KIND_TASK, cur.obj, probe);
		bpf_map_delete_elem(&tasks, &cur.obj);
	}
}

static __always_inline void txn_begin(void *ctx, struct pt_regs *regs, __u32 probe,
				      const char *name)
{
	struct thread_state *ts;
	struct weft_event *e;
	struct wctx t = {}, outer;

	count_hit(probe);
	ts = thread_get(bpf_get_current_pid_tgid(), probe);
	if (!ts)
		return;
	outer = ts->cur;
	t.seg = seg_alloc();
	t.txn = txn_alloc();
	t.kind = WEFT_KIND_TXN;
	/* Pushed first: a transaction that cannot be tracked is not reported
	 * as begun (it could never end). */
	if (!ctx_push(ts, &t))
		return;
	count_txn_trap(t.txn);
	e = event_new(WEFT_EV_TXN_BEGIN, WEFT_KIND_TXN, probe);
	if (!e)
		return;
	e->seg = t.seg;
	e->parent = outer.seg;
	e->txn = t.txn;
	e->obj = outer.txn; /* the context it began in: conflation */
	if (name) {
		if (bpf_probe_read_user_str(e->name, sizeof(e->name), name) < 0)
			e->name[0] = 0;
	} else {
		e->frames[0] = 0;
		if (bpf_probe_read_user(&e->frames[0], 8, (void *)PT_REGS_SP(regs)))
			e->frames[0] = 0;
		e->nr_frames = 1;
	}
	event_submit(e);
}

static __always_inline void txn_end(__u32 probe)
{
	struct thread_state *ts;
	struct weft_event *e;
	struct wctx cur;
	__u32 tid = bpf_get_current_pid_tgid();

	count_hit(probe);
	ts = bpf_map_lookup_elem(&threads, &tid);
	if (!ts || ts->cur.kind != WEFT_KIND_TXN)
		return;
	cur = ts->cur;
	ctx_pop(ts);
	count_txn_trap(cur.txn);
	e = event_new(WEFT_EV_TXN_END, WEFT_KIND_TXN, probe);
	if (!e)
		return;
	e->seg = cur.seg;
	e->txn = cur.txn;
	event_submit(e);
}

SEC("uprobe")
int BPF_KPROBE(spec_task_create)
{
	__u64 c = bpf_get_attach_cookie(ctx);

	if (in_target())
		task_create(ctx, ctx, cookie_probe(c), cookie_obj(c, ctx));
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(spec_task_begin)
{
	__u64 c = bpf_get_attach_cookie(ctx);

	if (in_target())
		task_begin(cookie_probe(c), cookie_obj(c, ctx));
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(spec_task_end)
{
	__u64 c = bpf_get_attach_cookie(ctx);

	if (in_target())
		task_stop(cookie_probe(c), cookie_obj(c, ctx), true, true);
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(spec_task_run_ret)
{
	if (in_target())
		task_stop(cookie_probe(bpf_get_attach_cookie(ctx)), 0, false, false);
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(spec_task_done_ret)
{
	if (in_target())
		task_stop(cookie_probe(bpf_get_attach_cookie(ctx)), 0, false, true);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(spec_txn_begin)
{
	if (in_target())
		txn_begin(ctx, ctx, cookie_probe(bpf_get_attach_cookie(ctx)), NULL);
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(spec_txn_end)
{
	if (in_target())
		txn_end(cookie_probe(bpf_get_attach_cookie(ctx)));
	return 0;
}

SEC("usdt")
int BPF_USDT(mark_txn_begin, const char *name)
{
	if (in_target())
		txn_begin(ctx, ctx, PROBE_MARK_TXN_BEGIN, name);
	return 0;
}

SEC("usdt")
int BPF_USDT(mark_txn_end)
{
	if (in_target())
		txn_end(PROBE_MARK_TXN_END);
	return 0;
}

SEC("usdt")
int BPF_USDT(mark_task_create, __u64 obj)
{
	if (in_target())
		task_create(ctx, NULL, PROBE_MARK_TASK_CREATE, obj);
	return 0;
}

SEC("usdt")
int BPF_USDT(mark_task_begin, __u64 obj)
{
	if (in_target())
		task_begin(PROBE_MARK_TASK_BEGIN, obj);
	return 0;
}

SEC("usdt")
int BPF_USDT(mark_task_end, __u64 obj)
{
	if (in_target())
		task_stop(PROBE_MARK_TASK_END, obj, true, true);
	return 0;
}

/* weft check: libc's exit(), a C program's last act (main's return too):
 * held there while userspace reads what each thread is blocked in. */
#include "exit_hold.bpf.h"

SEC("uprobe")
int BPF_KPROBE(native_exit_hold)
{
	exit_hold();
	return 0;
}
