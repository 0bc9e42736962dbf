// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Node.js: native async resources (node::AsyncWrap) as continuations.
 * Every probe sits on an instruction the kernel emulates (a `push` or a
 * `call`), never on one it must single-step:
 *   - AsyncReset, at the call after it stored the new id: a resource is
 *     created (or re-armed) in the context current on the thread;
 *   - AsyncReset's entry: a re-armed resource ends its old identity;
 *   - InternalCallbackScope's constructors, and the return of its Close
 *     (entered past its guard, or on 26 at its entry, which tests the
 *     guard): a resource's callback runs, with the ticks and microtasks it
 *     queued; its context is current;
 *   - ~AsyncWrap and EmitDestroy(bool): the resource ends;
 *   - the HTTP parser's on_url: an inbound request begins (a transaction);
 *   - libuv's uv__try_write on its connection: its response is written;
 *   - HandleWrap::Unref: an agent pools an idle socket (not a leak);
 *   - (node_client.bpf.h) a request line written in a transaction, or
 *     given to SSL_write: an outbound call.
 *   - HTTP/2 (node_h2.bpf.h): a stream's HEADERS begin, its headers, its close.
 * Async ids are doubles: read from memory, never from XMM registers. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "weft/events.h"
#include "context.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* node::AsyncWrap's fields, and where llhttp_t sits in node's Parser: from
 * the per-version table, checked against the code at attach. */
const volatile __u32 off_provider = 0;
const volatile __u32 off_async_id = 0;
const volatile __u32 off_trigger_id = 0;
const volatile __u32 parser_llhttp = 0;
const volatile __u32 http_probe = 0;	     /* probe index of inbound HTTP requests */
/* 26 (clang): AsyncReset's site is a call taking `this` in RDI, not RBX;
 * Close and on_url's proxy are probed before their guard, on these flags */
const volatile bool reset_this_rdi = false;
const volatile __u32 scope_closed = 0;	     /* InternalCallbackScope::closed_ */
const volatile __u32 url_skip = 0;	     /* in llhttp_t: the parser was removed */
/* attached to a running process: resources first seen in use existed
 * before (with -- CMD every creation is seen: an unknown id is one that
 * only JavaScript made, an AsyncResource, and stays unknown) */
const volatile bool seed_unknown = false;
/* HTTP/2: probe index (0: off), Http2Stream's id_ and current_headers_ */
const volatile __u32 h2_probe = 0;
/* the listening sockets' provider types (TCPSERVERWRAP, PIPESERVERWRAP) */
const volatile __u32 listener_a = 0;
const volatile __u32 listener_b = 0;
/* ... and the sockets they accept (TCPWRAP, PIPEWRAP) */
const volatile __u32 socket_a = 0;
const volatile __u32 socket_b = 0;
const volatile __u32 h2_stream_id = 0;
const volatile __u32 h2_headers = 0;
/* the timers armed at teardown (user/node/nodeelf_timers.c): libuv's
 * default loop (0: unknown), JavaScript timers' callback, the layouts */
const volatile __u64 uv_loop = 0;
const volatile __u64 js_timers_cb = 0;
const volatile __u32 uv_timer_cb = 0, uv_timer_heap_node = 0, uv_timer_timeout = 0;
const volatile __u32 uv_loop_heap = 0, uv_loop_time = 0;

#define LLHTTP_TYPE 0x48 /* u8: 1 request, 2 response */
#define LLHTTP_METHOD 0x49
#define REQ_URL 1
#define REQ_RESPONDING 2

/* A resource: its own segment, and the context its callbacks carry (the
 * same, except for an HTTP parser while it serves a request). */
struct node_resource {
	struct wctx own;
	struct wctx cur;
};

struct http_request {
	__u64 txn, seg;
	__u32 state;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536); /* resized from userspace */
	__type(key, __u64);	    /* async id */
	__type(value, struct node_resource);
} resources SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64); /* the parser's async id */
	__type(value, struct http_request);
} requests SEC(".maps");

/* Per thread: the Close being entered found closed_ set (26), so its return
 * pops nothing. A no-op Close runs no code that could enter another, so one
 * flag per thread is enough: set at its entry, taken at its return. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32); /* tid */
	__type(value, __u8);
} close_noop SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);   /* the connection's async id (the parser's trigger) */
	__type(value, __u64); /* its parser's async id */
} conns SEC(".maps");

static __always_inline __u64 read_u64(__u64 addr)
{
	__u64 v = 0;

	bpf_probe_read_user(&v, sizeof(v), (void *)addr);
	return v;
}

/* An async id (a double holding an integer) as an integer; 0 for none (-1),
 * zero, fractions and values past 2^52. */
static __always_inline __u64 async_id_at(__u64 addr)
{
	__u64 bits = read_u64(addr), e, m;

	if (!addr || (bits >> 63))
		return 0;
	e = (bits >> 52) & 0x7ff;
	if (e < 1023 || e > 1075)
		return 0;
	m = (bits & ((1ULL << 52) - 1)) | (1ULL << 52);
	return m >> (1075 - e);
}

/* Each Environment (the main thread's, each worker_thread's) has its own
 * id space and runs on its own thread, which creates, enters and destroys
 * its resources: keys are (thread, id). */
static __always_inline __u64 key_of(__u64 id)
{
	return id ? id ^ ((__u64)(__u32)bpf_get_current_pid_tgid() << 44) : 0;
}

/* node_client.bpf.h: outbound HTTP calls, ended with their socket's identity */
static __always_inline void client_call_end(__u64 key);
static __always_inline void client_call_write(struct pt_regs *ctx, __u64 stream, __u64 bufs);

/* What requests and conns kept for a resource that ends: a parser's
 * request, a connection's parser. Without it both maps fill after as many
 * connections as they hold, and no request ends after that. */
static __always_inline void http_forget(__u64 key)
{
	__u64 *parser = bpf_map_lookup_elem(&conns, &key);

	bpf_map_delete_elem(&requests, &key);
	if (parser) {
		bpf_map_delete_elem(&requests, parser);
		bpf_map_delete_elem(&conns, &key);
	}
}

static __always_inline void resource_end(__u64 id)
{
	struct node_resource *r;
	__u64 key = key_of(id);

	client_call_end(key);
	if (http_probe && key)
		http_forget(key);
	if (!id || !(r = bpf_map_lookup_elem(&resources, &key)))
		return;
	count_txn_trap(r->own.txn);
	if (!(r->own.flags & WCTX_F_ENDED))
		emit_seg_end(r->own.seg, r->own.txn, WEFT_KIND_ASYNC, id, WEFT_PROBE_GOROUTINE);
	bpf_map_delete_elem(&resources, &key);
}

/* A resource first seen in use (its callback, or as a trigger) was made
 * before the attach: it gets a pre-attach segment, in no transaction, so
 * what it makes has a parent and the tree is whole. provider: 0 unknown. */
static __always_inline struct node_resource *preattach_get(__u64 id, __u32 provider)
{
	__u64 key = key_of(id);
	struct node_resource r = {}, *p = bpf_map_lookup_elem(&resources, &key);
	struct weft_event *e;

	if (p || !id || !seed_unknown)
		return p;
	r.own.seg = seg_alloc();
	r.own.obj = id;
	r.own.kind = WEFT_KIND_ASYNC;
	r.cur = r.own;
	if (bpf_map_update_elem(&resources, &key, &r, BPF_NOEXIST)) {
		COUNT(evicted);
		return NULL;
	}
	e = event_new(WEFT_EV_SEG_BEGIN, WEFT_KIND_ASYNC, WEFT_PROBE_GOROUTINE);
	if (e) {
		e->seg = r.own.seg;
		e->obj = id;
		e->site = provider;
		e->flags = WEFT_F_PREATTACH | WEFT_F_NOSTACK;
		event_submit(e);
	}
	return bpf_map_lookup_elem(&resources, &key);
}

#include "node_h2.bpf.h"

/* In AsyncReset, after the new id and trigger are stored: RBX is `this`
 * (20-24), or RDI, the argument of the call probed (26). The parent is the
 * resource whose callback runs; outside any callback (a connection
 * accepted by a server, say), the trigger resource. */
SEC("uprobe")
int BPF_KPROBE(node_async_init)
{
	/* each register read on its own: the verifier refuses a computed ctx offset */
	__u64 rbx = ctx->bx, rdi = PT_REGS_PARM1(ctx);
	__u64 self = reset_this_rdi ? rdi : rbx, id, trigger, key;
	__u64 tid = (__u32)bpf_get_current_pid_tgid();
	struct thread_state *ts;
	struct node_resource r = {}, *tr;
	struct wctx parent = {};
	struct weft_event *e;
	__u32 provider = 0;
	bool h2_client = false;

	if (!in_target())
		return 0;
	count_hit(WEFT_PROBE_GOROUTINE);
	id = async_id_at(self + off_async_id);
	trigger = async_id_at(self + off_trigger_id);
	bpf_probe_read_user(&provider, sizeof(provider), (void *)(self + off_provider));
	if (!id)
		return 0;
	ts = thread_get(tid, WEFT_PROBE_THREAD);
	if (ts && ts->depth && ts->cur.seg)
		parent = ts->cur;
	else if (trigger && (tr = preattach_get(trigger, 0))) {
		/* a socket made outside any callback, triggered by a resource:
		 * accepted by a listener. With -p, a listener made before the
		 * attach is learnt here (its type is not seen) */
		if (provider && (provider == socket_a || provider == socket_b) &&
		    !(tr->own.flags & WCTX_F_LISTENER) && !tr->own.txn) {
			tr->own.flags |= WCTX_F_LISTENER;
			tr->cur.flags |= WCTX_F_LISTENER;
		}
		parent = tr->own;
	} else if (ts)
		parent = ts->cur;
	if (provider == H2_PROVIDER_STREAM && h2_probe)
		h2_client = !h2_stream_made(self, &parent);
	count_txn_trap(parent.txn);
	r.own.seg = seg_alloc();
	r.own.txn = parent.txn;
	r.own.obj = id;
	r.own.kind = WEFT_KIND_ASYNC;
	if (provider && (provider == listener_a || provider == listener_b))
		r.own.flags = WCTX_F_LISTENER;
	else if (!parent.txn && (parent.flags & (WCTX_F_LISTENER | WCTX_F_CONN)))
		r.own.flags = WCTX_F_CONN;
	r.cur = r.own;
	key = key_of(id);
	if (bpf_map_update_elem(&resources, &key, &r, BPF_ANY)) {
		COUNT(evicted);
		return 0;
	}
	e = event_new(WEFT_EV_SEG_BEGIN, WEFT_KIND_ASYNC, WEFT_PROBE_GOROUTINE);
	if (!e)
		return 0;
	e->seg = r.own.seg;
	e->parent = parent.seg;
	e->txn = parent.txn;
	e->obj = id;
	e->site = provider;
	if (r.own.flags & WCTX_F_CONN)
		e->flags = WEFT_F_CONN;
	if (h2_client && parent.txn)
		e->flags |= WEFT_F_H2CALL;
	event_stack(e, ctx, NULL);
	event_submit(e);
	return 0;
}

/* AsyncReset's entry: a resource used again (a keep-alive socket) still
 * holds its old id, which ends here. */
SEC("uprobe")
int BPF_KPROBE(node_async_rearm)
{
	if (!in_target())
		return 0;
	count_hit(WEFT_PROBE_GOROUTINE);
	resource_end(async_id_at(PT_REGS_PARM1(ctx) + off_async_id));
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(node_async_destroy)
{
	if (!in_target())
		return 0;
	count_hit(WEFT_PROBE_GOROUTINE);
	resource_end(async_id_at(PT_REGS_PARM1(ctx) + off_async_id));
	return 0;
}

/* A callback scope opens: the resource's context becomes current. Scopes
 * tied to no resource (timers, native immediates: id 0) push an empty one,
 * so that every Close pops what its constructor pushed. */
static __always_inline void scope_enter(__u64 id, __u32 provider)
{
	__u64 tid = (__u32)bpf_get_current_pid_tgid();
	struct thread_state *ts = thread_get(tid, WEFT_PROBE_THREAD);
	struct node_resource *r = id ? preattach_get(id, provider) : NULL;
	struct wctx c = {};

	count_hit(WEFT_PROBE_GOROUTINE);
	if (!ts)
		return;
	if (r)
		c = r->cur;
	if (h2_probe)
		h2_scope(tid, id, &c);
	c.flags |= WCTX_F_RUNTIME;
	count_txn_trap(c.txn);
	ctx_push(ts, &c);
}

/* InternalCallbackScope(Environment*, ..., const async_context&, ...):
 * the async_context* is in RCX (Node 20) or R8 (22+: a std::variant takes
 * two registers before it) */
SEC("uprobe")
int BPF_KPROBE(node_scope_env_rcx)
{
	if (in_target())
		scope_enter(async_id_at(ctx->cx), 0);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(node_scope_env_r8)
{
	if (in_target())
		scope_enter(async_id_at(ctx->r8), 0);
	return 0;
}

/* InternalCallbackScope(AsyncWrap*, int) (Node 20, 22: it does not go
 * through the Environment one) */
SEC("uprobe")
int BPF_KPROBE(node_scope_wrap)
{
	__u32 provider = 0;

	if (!in_target())
		return 0;
	bpf_probe_read_user(&provider, sizeof(provider), (void *)(PT_REGS_PARM2(ctx) + off_provider));
	scope_enter(async_id_at(PT_REGS_PARM2(ctx) + off_async_id), provider);
	return 0;
}

/* InternalCallbackScope::Close returns (a return probe set past its
 * `if (closed_) return`: once per scope; on 26 at its entry, see below),
 * after the ticks and microtasks the callback queued. */
SEC("uprobe")
int BPF_KPROBE(node_scope_close)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct thread_state *ts;
	__u8 *noop;

	if (!in_target())
		return 0;
	count_hit(WEFT_PROBE_GOROUTINE);
	ts = bpf_map_lookup_elem(&threads, &tid);
	if (ts)
		count_txn_trap(ts->cur.txn);
	if (scope_closed && (noop = bpf_map_lookup_elem(&close_noop, &tid)) && *noop) {
		*noop = 0;
		return 0;
	}
	if (ts)
		ctx_pop(ts);
	return 0;
}

/* 26: Close's entry, on the trap its return probe sets there (not counted
 * again): a scope closed already (its destructor calling Close again)
 * returns at once, and that return pops nothing. */
SEC("uprobe")
int BPF_KPROBE(node_scope_close_entry)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u8 closed = 0;

	if (!in_target())
		return 0;
	bpf_probe_read_user(&closed, 1, (void *)(PT_REGS_PARM1(ctx) + scope_closed));
	closed = closed != 0;
	bpf_map_update_elem(&close_noop, &tid, &closed, BPF_ANY);
	return 0;
}

/* node's Parser on_url(llhttp_t*, at, length): a request line was parsed.
 * The request is a transaction begun in its connection's context (a
 * server made inside another request: conflation); the parser's callbacks
 * carry it until the next request on the connection. */
SEC("uprobe")
int BPF_KPROBE(node_http_url)
{
	__u64 llhttp = PT_REGS_PARM1(ctx), at = PT_REGS_PARM2(ctx), len = PT_REGS_PARM3(ctx);
	__u64 parser = llhttp - parser_llhttp, parser_key, conn;
	struct http_request *rq, nrq = {};
	struct node_resource *r;
	struct weft_event *e;
	struct wctx outer = {};
	__u8 type = 0, method = 0;

	if (!in_target())
		return 0;
	count_hit(http_probe);
	if (url_skip) {
		__u8 removed = 0;

		bpf_probe_read_user(&removed, 1, (void *)(llhttp + url_skip));
		if (removed)
			return 0; /* the proxy returns without calling on_url */
	}
	bpf_probe_read_user(&type, 1, (void *)(llhttp + LLHTTP_TYPE));
	if (type != 1)
		return 0;
	parser_key = key_of(async_id_at(parser + off_async_id));
	conn = key_of(async_id_at(parser + off_trigger_id));
	if (!parser_key)
		return 0;
	rq = bpf_map_lookup_elem(&requests, &parser_key);
	if (rq && rq->state == REQ_URL)
		return 0; /* the rest of a URL split across reads */
	r = bpf_map_lookup_elem(&resources, &parser_key);
	if (r)
		outer = r->own;
	nrq.txn = txn_alloc();
	nrq.seg = seg_alloc();
	nrq.state = REQ_URL;
	count_txn_trap(nrq.txn);
	bpf_probe_read_user(&method, 1, (void *)(llhttp + LLHTTP_METHOD));
	e = event_new(WEFT_EV_TXN_BEGIN, WEFT_KIND_TXN, http_probe);
	if (e) {
		e->seg = nrq.seg;
		e->parent = outer.seg;
		e->txn = nrq.txn;
		e->obj = outer.txn; /* began inside another transaction's context */
		e->site = method;
		e->flags = WEFT_F_HTTP;
		/* or on bytes a transaction of this process wrote (to itself) */
		if (!outer.txn)
			wire_outer(e, (__u32)bpf_get_current_pid_tgid() | WIRE_THREAD, false);
		if (len > sizeof(e->name) - 1)
			len = sizeof(e->name) - 1;
		bpf_probe_read_user(e->name, len & 127, (void *)at);
		e->name[len & 127] = 0;
		event_submit(e);
	}
	if (bpf_map_update_elem(&requests, &parser_key, &nrq, BPF_ANY) ||
	    (conn && bpf_map_update_elem(&conns, &conn, &parser_key, BPF_ANY)))
		COUNT(evicted); /* full: this request never ends */
	if (r) {
		r->cur.seg = nrq.seg;
		r->cur.txn = nrq.txn;
		r->cur.obj = r->own.obj;
		r->cur.kind = WEFT_KIND_TXN;
	}
	return 0;
}

/* uv__try_write(stream, ...): libuv writes on a stream, now or when the
 * socket has room again. stream->data is the connection's wrap. Each write on a connection serving a request moves
 * that request's end: the last one before the next request is its end. */
static __always_inline int on_write(__u64 stream)
{
	__u64 conn, *parser_key;
	struct http_request *rq;
	struct weft_event *e;

	if (!in_target())
		return 0;
	count_hit(http_probe); /* every write is a trap, a request's or not */
	conn = key_of(async_id_at(read_u64(stream) + off_async_id));
	parser_key = conn ? bpf_map_lookup_elem(&conns, &conn) : NULL;
	rq = parser_key ? bpf_map_lookup_elem(&requests, parser_key) : NULL;
	if (!rq)
		return 0;
	count_txn_trap(rq->txn);
	rq->state = REQ_RESPONDING;
	e = event_new(WEFT_EV_TXN_END, WEFT_KIND_TXN, http_probe);
	if (!e)
		return 0;
	e->seg = rq->seg;
	e->txn = rq->txn;
	e->flags = WEFT_F_HTTP;
	event_submit(e);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(node_try_write)
{
	if (in_target())
		client_call_write(ctx, PT_REGS_PARM1(ctx), PT_REGS_PARM2(ctx));
	return on_write(PT_REGS_PARM1(ctx));
}

/* The handle (a uv_handle_t*, whose data is its wrap) belongs to no request
 * from here on: alive, not a leak (WEFT_EV_POOLED, with flags). */
static __always_inline void let_go(__u64 handle, __u32 flags)
{
	__u64 key = key_of(async_id_at(read_u64(handle) + off_async_id));
	struct node_resource *r = key ? bpf_map_lookup_elem(&resources, &key) : NULL;
	struct weft_event *e;

	client_call_end(key);
	if (!r)
		return;
	count_txn_trap(r->cur.txn);
	r->cur.txn = 0;
	e = event_new(WEFT_EV_POOLED, WEFT_KIND_ASYNC, WEFT_PROBE_GOROUTINE);
	if (!e)
		return;
	e->seg = r->own.seg;
	e->obj = r->own.obj;
	e->flags = flags;
	event_submit(e);
}

/* HandleWrap::Unref, at its jump to uv_unref(handle): JavaScript unrefs a
 * handle. http.Agent does so as it puts a socket into its pool of idle
 * sockets; taken again, the socket is re-armed (AsyncReset): its pooled
 * identity ends there. An idle socket's callbacks (the peer closing) belong
 * to no request. */
SEC("uprobe")
int BPF_KPROBE(node_pooled)
{
	if (!in_target())
		return 0;
	count_hit(WEFT_PROBE_GOROUTINE);
	let_go(PT_REGS_PARM1(ctx), 0);
	return 0;
}

#define COOKIE_TTY 1

/* uv_pipe_open(pipe, fd) and uv_tty_init(loop, tty, fd, readable), at
 * entry: a handle on fd 0..2 is the process's stdio, made lazily by
 * whichever code first wrote (a request, a test): the runtime's, not a
 * leak; its callbacks belong to no request. */
SEC("uprobe")
int BPF_KPROBE(node_stdio)
{
	bool tty = bpf_get_attach_cookie(ctx) == COOKIE_TTY;
	/* each register read on its own: the verifier refuses a computed ctx offset */
	__u64 p1 = PT_REGS_PARM1(ctx), p2 = PT_REGS_PARM2(ctx), p3 = PT_REGS_PARM3(ctx);
	__u64 handle = tty ? p2 : p1;
	int fd = (int)(tty ? p3 : p2);

	if (!in_target() || fd < 0 || fd > 2)
		return 0;
	count_hit(WEFT_PROBE_GOROUTINE);
	let_go(handle, WEFT_F_STDIO);
	return 0;
}

#define HEAP_PEEK 15 /* the heap's top four levels */

/* The loop's armed timers at teardown: how many (obj), and when the one
 * that runs JavaScript's timers is due, ns from now plus one (parent; 0:
 * not armed, or not among the heap's top levels). */
static __always_inline void timers_armed(struct weft_event *e)
{
	__u64 node[HEAP_PEEK] = {}, now_ms, due_ms;
	__u32 nelts = 0;

	if (!uv_loop)
		return;
	bpf_probe_read_user(&nelts, sizeof(nelts), (void *)(uv_loop + uv_loop_heap + 8));
	e->obj = nelts;
	node[0] = read_u64(uv_loop + uv_loop_heap);
	now_ms = read_u64(uv_loop + uv_loop_time);
	for (int i = 0; i < HEAP_PEEK / 2; i++) {
		if (!node[i])
			continue;
		node[2 * i + 1] = read_u64(node[i]);     /* heap_node.left */
		node[2 * i + 2] = read_u64(node[i] + 8); /* .right */
	}
	for (int i = 0; i < HEAP_PEEK; i++) {
		__u64 timer = node[i] - uv_timer_heap_node;

		if (!node[i] || read_u64(timer + uv_timer_cb) != js_timers_cb)
			continue;
		due_ms = read_u64(timer + uv_timer_timeout);
		e->parent = (due_ms > now_ms ? (due_ms - now_ms) * 1000000 : 0) + 1;
		break;
	}
}

/* The resources whose callbacks run as the process tears down (a
 * process.exit() from inside one): their scopes, open on the thread, as
 * the event's frames: work in flight, not leaks. */
static __always_inline void in_flight(struct weft_event *e, __u32 tid)
{
	struct thread_state *ts = bpf_map_lookup_elem(&threads, &tid);
	__u32 d, n = 0;

	if (!ts)
		return;
	d = ts->depth;
	if (d && ts->cur.seg)
		e->frames[n++] = ts->cur.seg;
	for (int i = 1; i < WEFT_MAX_NEST; i++) {
		if (i >= d)
			break;
		if (ts->saved[i].seg)
			e->frames[n++ & (WEFT_MAX_FRAMES - 1)] = ts->saved[i].seg;
	}
	e->nr_frames = n;
}

/* Environment::RunCleanup and Environment::Exit, on the main thread (a
 * worker's Environment ends on its own): the process is being torn down.
 * Userspace gives the end to the transaction that is the whole process. */
SEC("uprobe")
int BPF_KPROBE(node_teardown)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct weft_event *e;

	if (!in_target() || (__u32)id != id >> 32)
		return 0;
	count_hit(WEFT_PROBE_GOROUTINE);
	e = event_new(WEFT_EV_TXN_END, WEFT_KIND_TXN, WEFT_PROBE_GOROUTINE);
	if (!e)
		return 0;
	e->flags = WEFT_F_TEARDOWN;
	timers_armed(e);
	in_flight(e, (__u32)id);
	event_submit_wake(e, true);
	return 0;
}

/* HandleWrap::Close (both: the binding inlines the other) at its call of
 * uv_close(handle, OnClose): the app let the handle go; at most its close
 * callback is left. It ends here: Node 22 and later destroy the wrap only
 * when a GC collects it, and the close completes a loop turn later, which
 * an exit may never reach. */
SEC("uprobe")
int BPF_KPROBE(node_handle_close)
{
	if (!in_target())
		return 0;
	count_hit(WEFT_PROBE_GOROUTINE);
	resource_end(async_id_at(read_u64(PT_REGS_PARM1(ctx)) + off_async_id));
	return 0;
}

#include "node_client.bpf.h"
