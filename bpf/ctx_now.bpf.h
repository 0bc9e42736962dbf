/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The context current on the running thread, read from the adapters' maps
 * by programs that fire outside them (a perf event, a scheduler or socket
 * hook): `threads` is the native object's, `goroutines` the Go object's,
 * both reused by fd. */
#ifndef WEFT_CTX_NOW_BPF_H
#define WEFT_CTX_NOW_BPF_H

/* Go: runtime.g / runtime.m offsets (is_go false: not a Go target) */
const volatile bool is_go = false;
const volatile __u32 g_goid = 0;
const volatile __u32 g_m = 0;
const volatile __u32 m_curg = 0;

/* goid -> context: the Go object's map, reused (1 entry when not Go). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, __u64);
	__type(value, struct thread_state);
} goroutines SEC(".maps");

static __always_inline __u64 read_u64(__u64 addr)
{
	__u64 v = 0;

	if (addr)
		bpf_probe_read_user(&v, sizeof(v), (void *)addr);
	return v;
}

/* The goroutine g's M runs (g.m.curg: g itself, or the user goroutine when
 * g is g0 on the system stack), as its entry in `goroutines`. */
static __always_inline struct thread_state *goroutine_on(__u64 g, __u64 *goid)
{
	__u64 curg = read_u64(read_u64(g ? g + g_m : 0) + m_curg);

	*goid = curg ? read_u64(curg + g_goid) : 0;
	return *goid ? bpf_map_lookup_elem(&goroutines, goid) : NULL;
}

/* The context current on the running thread tid, and whose it is in *key
 * (a goid, or tid | WIRE_THREAD). Go: the g in TLS (fs_base - 8, right in
 * Go code, assembly, cgo and while in the kernel), else R14 (the g register
 * in Go code); a thread in the scheduler runs no goroutine and falls back
 * to the thread's own context. */
static __always_inline bool ctx_now_key(__u32 tid, struct wctx *out, __u64 *key)
{
	struct thread_state *ts;

	*key = (__u64)tid | WIRE_THREAD;
	if (is_go) {
		struct task_struct *task = bpf_get_current_task_btf();
		struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
		__u64 goid, tls_goid, fsbase = BPF_CORE_READ(task, thread.fsbase);

		ts = goroutine_on(fsbase ? read_u64(fsbase - 8) : 0, &goid);
		tls_goid = goid;
		if (!ts)
			ts = goroutine_on(BPF_CORE_READ(regs, r14), &goid);
		if (ts || tls_goid)
			*key = ts ? goid : tls_goid;
		if (ts) {
			*out = ts->cur;
			out->obj = goid;
			return true;
		}
	}
	ts = bpf_map_lookup_elem(&threads, &tid);
	if (!ts)
		return false;
	*out = ts->cur;
	out->obj = 0;
	return true;
}

static __always_inline bool ctx_now(__u32 tid, struct wctx *out)
{
	__u64 key;

	return ctx_now_key(tid, out, &key);
}

#endif
