// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Go: goroutines as continuations. One trap per goroutine creation (a
 * uprobe on each RET of runtime.newproc1: never a uretprobe, Go moves
 * stacks), one per exit, and transactions on Go functions by an entry probe
 * placed after the stack-check prologue plus probes on their RETs. Context
 * is keyed by goroutine id: goroutines move between threads. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "weft/events.h"
#include "context.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* runtime.g / runtime.m offsets, from the binary's DWARF. */
const volatile __u32 g_goid = 0;
const volatile __u32 g_gopc = 0;
const volatile __u32 g_startpc = 0;
const volatile __u32 g_m = 0;
const volatile __u32 m_curg = 0;
/* weft check: a creation carries its creator's stack, walked from the frame
 * pointer it saved in g.sched as it switched to the system stack */
const volatile __u32 g_sched_bp = 0;
const volatile bool creator_stacks = false;
/* net/http.Request.Method, .URL and net/url.URL.Path, for request names */
const volatile __u32 req_method = 0;
const volatile __u32 req_url = 0;
const volatile __u32 url_path = 0;
/* net/http.Request.pat and net/http.pattern.str (Go 1.22+): the ServeMux
 * pattern that matched, read at the transaction's end */
const volatile __u32 req_pat = 0;
const volatile __u32 pattern_str = 0;
const volatile bool http_patterns = false;
/* testing.common.name (testing.T embeds common first), for test names */
const volatile __u32 test_name_off = 0;
/* grpc-go's transport stream: its method string, for RPC names */
const volatile __u32 grpc_method_off = 0;

/* --go-lean: a transaction's end wakes the reader, which reads liveness
 * from memory at end + grace */
const volatile bool wake_on_txn_end = false;

#define COOKIE_HTTP (1 << 8) /* the txn is net/http's serverHandler.ServeHTTP */
#define COOKIE_GOTEST (1 << 9) /* the txn is testing.tRunner: named by the test, nests */
#define COOKIE_GRPC (1 << 10) /* the txn is grpc's (*Server).handleStream: named by the method */

/* goid -> its context: what it carries, and transactions it runs. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536); /* resized from userspace */
	__type(key, __u64);
	__type(value, struct thread_state);
} goroutines SEC(".maps");

/* Its entries: --go-lean sweeps before it fills (userspace's sweeps and
 * seeds add theirs) */
__s64 goroutines_stored = 0;

/* An outbound call: its segment and transaction, kept until its end. */
struct go_call {
	__u64 seg, txn;
};

#include "go_h2_calls.bpf.h"

static __always_inline __u64 read_u64(__u64 addr)
{
	__u64 v = 0;

	if (addr)
		bpf_probe_read_user(&v, sizeof(v), (void *)addr);
	return v;
}

static __always_inline __u64 goid_of(__u64 g)
{
	return g ? read_u64(g + g_goid) : 0;
}

/* A goroutine first seen here existed before the capture. */
static __always_inline struct thread_state *goroutine_get(__u64 goid)
{
	struct thread_state *gs = bpf_map_lookup_elem(&goroutines, &goid);
	struct weft_event *e;
	__u32 zero = 0;

	if (gs || !goid)
		return gs;
	gs = bpf_map_lookup_elem(&thread_scratch, &zero);
	if (!gs)
		return NULL;
	__builtin_memset(gs, 0, sizeof(*gs));
	gs->cur.seg = seg_alloc();
	gs->cur.obj = goid;
	gs->cur.kind = WEFT_KIND_GOROUTINE;
	if (bpf_map_update_elem(&goroutines, &goid, gs, BPF_NOEXIST)) {
		COUNT(evicted);
		return NULL;
	}
	__sync_fetch_and_add(&goroutines_stored, 1);
	e = event_new_frames(WEFT_EV_SEG_BEGIN, WEFT_KIND_GOROUTINE, WEFT_PROBE_GOROUTINE, 0);
	if (e) {
		e->seg = gs->cur.seg;
		e->obj = goid;
		e->flags = WEFT_F_PREATTACH | WEFT_F_NOSTACK;
		event_submit(e);
	}
	return bpf_map_lookup_elem(&goroutines, &goid);
}

#define COOKIE_NEWG_RBX (1ULL << 32) /* as in user/go/go_attach.c */

#define CREATOR_FRAMES 24

/* The creator's callers, after the go statement in frames[0]: its frame
 * chain from the BP saved as newproc switched stacks. That frame returns
 * into newproc, the next to the go statement (frames[1] repeats
 * frames[0]): the first is skipped. */
static __always_inline void creator_frames(struct weft_event *e, __u64 creator)
{
	__u64 bp = read_u64(read_u64(creator + g_sched_bp)), fr[2];

	for (int i = 1; i < CREATOR_FRAMES; i++) {
		if (!bp || bpf_probe_read_user(fr, sizeof(fr), (void *)bp) || !fr[1])
			break;
		e->frames[i] = fr[1];
		e->nr_frames = i + 1;
		if (fr[0] <= bp)
			break; /* frames go up the stack */
		bp = fr[0];
	}
}

/* A new g, ready: at newproc's call runqput(pp, newg, next) (RBX, a call:
 * emulated), or where newproc1 returns it (RAX). Either runs on the
 * system stack, so R14 is g0 and the creator is g0.m.curg. */
SEC("uprobe")
int BPF_KPROBE(go_newg)
{
	struct thread_state *ps, *cs;
	struct weft_event *e;
	__u64 newg, creator, goid, pgoid;
	__u32 zero = 0;

	/* both loaded, then chosen: a ctx load at a computed offset is refused */
	newg = ctx->ax;
	creator = ctx->bx;
	barrier_var(creator);
	if (bpf_get_attach_cookie(ctx) & COOKIE_NEWG_RBX)
		newg = creator;

	if (!in_target())
		return 0;
	count_hit(WEFT_PROBE_GOROUTINE);
	creator = read_u64(read_u64(ctx->r14 + g_m) + m_curg);
	pgoid = goid_of(creator);
	goid = goid_of(newg);
	if (!goid)
		return 0;
	ps = goroutine_get(pgoid);
	if (ps)
		count_txn_trap(ps->cur.txn);
	cs = bpf_map_lookup_elem(&thread_scratch, &zero);
	if (!cs)
		return 0;
	__builtin_memset(cs, 0, sizeof(*cs));
	cs->cur.seg = seg_alloc();
	cs->cur.txn = ps ? ps->cur.txn : 0;
	cs->cur.obj = goid;
	cs->cur.kind = WEFT_KIND_GOROUTINE;
	if (!bpf_map_update_elem(&goroutines, &goid, cs, BPF_NOEXIST)) {
		__sync_fetch_and_add(&goroutines_stored, 1);
	} else if (bpf_map_update_elem(&goroutines, &goid, cs, BPF_EXIST)) {
		COUNT(evicted); /* full */
		return 0;
	}
	if (creator_stacks)
		e = event_new_frames(WEFT_EV_SEG_BEGIN, WEFT_KIND_GOROUTINE, WEFT_PROBE_GOROUTINE,
				     CREATOR_FRAMES);
	else
		e = event_new_frames(WEFT_EV_SEG_BEGIN, WEFT_KIND_GOROUTINE, WEFT_PROBE_GOROUTINE, 1);
	if (!e)
		return 0;
	/* what its creator read from the target itself, it may handle (grpc
	 * reads a connection's first frames in one goroutine, serves them
	 * from another) */
	{
		struct wire_tag *w = bpf_map_lookup_elem(&wire_in, &pgoid), handed;

		if (w) {
			handed = *w;
			handed.flags |= WIRE_F_HANDED;
			bpf_map_update_elem(&wire_in, &goid, &handed, BPF_ANY);
		}
	}
	e->seg = cs->cur.seg;
	e->parent = ps ? ps->cur.seg : 0;
	h2_call_handoff(pgoid, goid, &e->parent);
	e->txn = cs->cur.txn;
	e->obj = goid;
	/* the go statement (a return address) and the goroutine's function */
	e->frames[0] = read_u64(newg + g_gopc);
	e->nr_frames = 1;
	if (creator_stacks)
		creator_frames(e, creator);
	e->site = read_u64(newg + g_startpc);
	event_submit(e);
	return 0;
}

static __always_inline void http_pattern(struct weft_event *e, __u64 req);

/* Pops the transaction current on gs and says it ended; with http, its
 * route's pattern read from the request it began with. */
static __always_inline void txn_pop_end(struct thread_state *gs, __u32 probe, bool http)
{
	struct wctx cur = gs->cur;
	struct weft_event *e;

	ctx_pop(gs);
	e = event_new(WEFT_EV_TXN_END, WEFT_KIND_TXN, probe);
	if (!e)
		return;
	e->seg = cur.seg;
	e->txn = cur.txn;
	if (http && http_patterns && cur.obj)
		http_pattern(e, cur.obj);
	event_submit_wake(e, wake_on_txn_end);
}

/* goexit0 (1.19-1.21) or gdestroy (1.22+, also ends iter.Pull coroutines):
 * the dying g in RAX. */
SEC("uprobe")
int BPF_KPROBE(go_exit)
{
	struct thread_state *gs;
	__u64 goid;

	if (!in_target())
		return 0;
	count_hit(WEFT_PROBE_GOROUTINE);
	goid = goid_of(ctx->ax);
	gs = bpf_map_lookup_elem(&goroutines, &goid);
	if (!gs)
		return 0;
	count_txn_trap(gs->cur.txn);
	/* a transaction still open on a goroutine that exits has ended: its
	 * function was called where no end probe sees the return (net/http's
	 * handler through an interface, on a goroutine of its own) or it
	 * panicked. Only HTTP transactions keep a request in obj. */
	if (gs->cur.kind == WEFT_KIND_TXN)
		txn_pop_end(gs, WEFT_PROBE_GOROUTINE, true);
	emit_seg_end(gs->depth ? gs->saved[0].seg : gs->cur.seg, 0, WEFT_KIND_GOROUTINE, goid,
		     WEFT_PROBE_GOROUTINE);
	h2_call_end(goid);
	if (!bpf_map_delete_elem(&goroutines, &goid))
		__sync_fetch_and_add(&goroutines_stored, -1);
	bpf_map_delete_elem(&wire_in, &goid);
	bpf_map_delete_elem(&wire_as, &goid);
	return 0;
}

/* grpc's transport -> the goroutine that reads its connection, from
 * (*http2Server).HandleStreams (the transport in RAX): a stream's handler
 * runs elsewhere (its own goroutine, a worker), and what the reader read
 * last tells whether the call came from the target itself. One trap per
 * connection. LRU: a closed transport is never seen going. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, __u64);
} grpc_readers SEC(".maps");

SEC("uprobe")
int BPF_KPROBE(go_grpc_reader)
{
	__u64 t = ctx->ax, goid = goid_of(ctx->r14);

	if (!in_target())
		return 0;
	count_hit(WEFT_PROBE_GOROUTINE);
	if (goid)
		bpf_map_update_elem(&grpc_readers, &t, &goid, BPF_ANY);
	return 0;
}


/* "GET /users": serverHandler.ServeHTTP(sh, rw, req), req in RDI (the 4th
 * integer register: sh takes one, the ResponseWriter interface two). */
static __always_inline void http_name(struct weft_event *e, __u64 req)
{
	__u64 mptr = read_u64(req + req_method), mlen = read_u64(req + req_method + 8);
	__u64 url = read_u64(req + req_url);
	__u64 pptr = read_u64(url + url_path), plen = read_u64(url + url_path + 8);

	e->nr_frames = 0;
	__builtin_memset(e->name, 0, sizeof(e->name));
	if (!mptr || !mlen || mlen > 15)
		return;
	if (bpf_probe_read_user(e->name, mlen & 15, (void *)mptr))
		return;
	e->name[mlen & 15] = ' ';
	if (plen > 100)
		plen = 100;
	if (pptr && plen)
		bpf_probe_read_user(e->name + (mlen & 15) + 1, plen, (void *)pptr);
}

/* At serverHandler.ServeHTTP's RET: ServeMux set req.pat while serving
 * ("GET /users/{id}"). No pattern (404, a redirect, an older mux): the
 * name stays the path. The pattern goes in the union as whole words
 * (nr_frames), NUL included, so the record file keeps it as it is. */
static __always_inline void http_pattern(struct weft_event *e, __u64 req)
{
	__u64 pat = read_u64(req + req_pat), ptr, len;

	if (!pat)
		return;
	ptr = read_u64(pat + pattern_str);
	len = read_u64(pat + pattern_str + 8);
	if (!ptr || !len || len > 200)
		return;
	__builtin_memset(e->name, 0, sizeof(e->name));
	if (bpf_probe_read_user(e->name, len & 255, (void *)ptr))
		return;
	e->nr_frames = len / 8 + 1;
	e->flags |= WEFT_F_PATTERN;
}

/* tRunner(t *T, fn): the test's full name ("TestX/sub"), t.common.name */
static __always_inline void test_name(struct weft_event *e, __u64 t)
{
	__u64 ptr = read_u64(t + test_name_off), len = read_u64(t + test_name_off + 8);

	e->nr_frames = 0;
	__builtin_memset(e->name, 0, sizeof(e->name));
	if (len > sizeof(e->name) - 1)
		len = sizeof(e->name) - 1;
	if (ptr && len)
		bpf_probe_read_user(e->name, len & 255, (void *)ptr);
	e->flags |= WEFT_F_NESTS;
}

/* "/etcdserverpb.KV/Put": handleStream(s, t, stream, ...), the stream in
 * RDI as for net/http's request. Copied now: the HPACK decoder reuses the
 * bytes. Not a method path (no leading '/'): left unnamed, not misnamed. */
static __always_inline void grpc_name(struct weft_event *e, __u64 stream)
{
	__u64 ptr = read_u64(stream + grpc_method_off), len = read_u64(stream + grpc_method_off + 8);

	e->nr_frames = 0;
	__builtin_memset(e->name, 0, sizeof(e->name));
	if (len > sizeof(e->name) - 1)
		len = sizeof(e->name) - 1;
	if (!ptr || !len || bpf_probe_read_user(e->name, len & 255, (void *)ptr) || e->name[0] != '/')
		e->name[0] = 0;
}

/* Entry of a transaction function, past its stack check: R14 is the g,
 * the return address is at the stack pointer. */
SEC("uprobe")
int BPF_KPROBE(go_txn_begin)
{
	__u32 probe = bpf_get_attach_cookie(ctx) & 0xff;
	struct thread_state *gs;
	struct weft_event *e;
	struct wctx t = {}, outer;
	__u64 goid, transport = ctx->cx, *reader;
	bool grpc = bpf_get_attach_cookie(ctx) & COOKIE_GRPC;

	if (!in_target())
		return 0;
	count_hit(probe);
	goid = goid_of(ctx->r14);
	gs = goroutine_get(goid);
	if (!gs)
		return 0;
	outer = gs->cur;
	t.seg = seg_alloc();
	t.txn = txn_alloc();
	t.kind = WEFT_KIND_TXN;
	if (bpf_get_attach_cookie(ctx) & COOKIE_HTTP)
		t.obj = ctx->di; /* the *Request: its pattern is read at the end */
	if (!ctx_push(gs, &t))
		return 0;
	count_txn_trap(t.txn);
	e = event_new(WEFT_EV_TXN_BEGIN, WEFT_KIND_TXN, probe);
	if (!e)
		return 0;
	e->seg = t.seg;
	e->parent = outer.seg;
	e->txn = t.txn;
	e->obj = outer.txn;
	if (!outer.txn) {
		/* grpc: handleStream(s, t ServerTransport, ...), t's data in RCX */
		reader = grpc ? bpf_map_lookup_elem(&grpc_readers, &transport) : &goid;
		if (reader)
			wire_outer(e, *reader, grpc);
	}
	if (bpf_get_attach_cookie(ctx) & COOKIE_HTTP)
		http_name(e, ctx->di);
	else if (bpf_get_attach_cookie(ctx) & COOKIE_GOTEST)
		test_name(e, ctx->ax);
	else if (bpf_get_attach_cookie(ctx) & COOKIE_GRPC)
		grpc_name(e, ctx->di);
	else {
		e->frames[0] = read_u64(ctx->sp);
		e->nr_frames = 1;
	}
	event_submit(e);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(go_txn_end)
{
	__u32 probe = bpf_get_attach_cookie(ctx) & 0xff;
	struct thread_state *gs;
	__u64 goid;

	if (!in_target())
		return 0;
	count_hit(probe);
	goid = goid_of(ctx->r14);
	gs = bpf_map_lookup_elem(&goroutines, &goid);
	if (!gs || gs->cur.kind != WEFT_KIND_TXN)
		return 0;
	count_txn_trap(gs->cur.txn);
	txn_pop_end(gs, probe, bpf_get_attach_cookie(ctx) & COOKIE_HTTP);
	return 0;
}

/* A call made on goroutine goid (the current one), if it runs in a
 * transaction: a SEG_BEGIN of kind CALL (obj names it: a connection, a
 * client conn), stored in calls under key. 1 begun, 0 not (outside any, or
 * map full). The caller reads ctx's registers: the verifier wants them
 * read at a constant offset from ctx itself. */
static __always_inline int call_open(struct pt_regs *ctx, __u32 probe, void *calls, __u64 key,
				     __u64 obj, __u64 goid, __u32 flags, struct go_call *c)
{
	struct thread_state *gs;
	struct weft_event *e;

	gs = bpf_map_lookup_elem(&goroutines, &goid);
	if (!gs || !gs->cur.txn)
		return 0; /* outside any transaction: not attributed */
	count_txn_trap(gs->cur.txn);
	c->seg = seg_alloc();
	c->txn = gs->cur.txn;
	if (bpf_map_update_elem(calls, &key, c, BPF_ANY)) {
		COUNT(evicted);
		return 0;
	}
	e = event_new(WEFT_EV_SEG_BEGIN, WEFT_KIND_CALL, probe);
	if (!e)
		return 1;
	e->seg = c->seg;
	e->parent = gs->cur.seg;
	e->txn = c->txn;
	e->obj = obj;
	e->flags |= flags;
	event_stack(e, ctx, ctx);
	event_submit(e);
	return 1;
}

#include "go_grpc.bpf.h"
#include "go_client.bpf.h"

/* weft check: runtime.exit (os.Exit, main's return, a fatal panic) is the
 * process's last act: held there (exit_hold.bpf.h) while userspace reads
 * which goroutines are alive and what they wait on. */
#include "exit_hold.bpf.h"

SEC("uprobe")
int BPF_KPROBE(go_exit_hold)
{
	exit_hold();
	return 0;
}
