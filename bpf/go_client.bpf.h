/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Go's net/http client: an outbound call made inside a transaction is a
 * continuation of it (WEFT_KIND_CALL), named "GET host:port", from
 * (*persistConn).roundTrip (the request goes out on a connection) until
 * the connection goes back to the idle pool ((*Transport).tryPutIdleConn:
 * the response's body was read or closed) or is closed
 * ((*persistConn).closeLocked). A body never closed keeps the call open:
 * a leak of the transaction. The connection's readLoop and writeLoop
 * goroutines idle in the pool are pooled, not leaked. Entry probes only,
 * past the stack check: 2 traps per call, 3 per connection. Included by
 * go.bpf.c. */
#ifndef WEFT_GO_CLIENT_BPF_H
#define WEFT_GO_CLIENT_BPF_H

/* net/url.URL.Host (the call's name); transportRequest embeds *Request first */
const volatile __u32 url_host = 0;
const volatile __u32 client_probe = 0; /* probe index of the client's probes */

#define COOKIE_CLOSE 1 /* go_call_end at closeLocked, not tryPutIdleConn */
#define COOKIE_WRITELOOP 1 /* go_conn_loop at writeLoop, not readLoop */

/* *persistConn -> the call under way on it */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct go_call);
} go_calls SEC(".maps");

/* A connection's readLoop and writeLoop goroutines (segments, and the
 * writer's goid), and the call under way: what the writer writes for */
struct go_conn {
	__u64 loop_seg[2];
	__u64 writer;
	struct wire_tag call;
};

/* *persistConn -> its goroutines */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct go_conn);
} go_conns SEC(".maps");

/* The HTTP/2 client's request: *Request, or 1.27's *ClientRequest */
const volatile __u32 h2req_method = 0;
const volatile __u32 h2req_url = 0;

/* "GET 127.0.0.1:8080" from a request (its Method and URL at moff, uoff),
 * in a SEG_NAME event */
static __always_inline void call_name_at(__u64 seg, __u64 req, __u32 moff, __u32 uoff)
{
	__u64 mptr = read_u64(req + moff), mlen = read_u64(req + moff + 8);
	__u64 url = read_u64(req + uoff);
	__u64 hptr = read_u64(url + url_host), hlen = read_u64(url + url_host + 8);
	struct weft_event *e;

	if (!mptr || !mlen || mlen > 15)
		return;
	e = event_new(WEFT_EV_SEG_NAME, WEFT_KIND_CALL, client_probe);
	if (!e)
		return;
	e->seg = seg;
	__builtin_memset(e->name, 0, sizeof(e->name));
	bpf_probe_read_user(e->name, mlen & 15, (void *)mptr);
	e->name[mlen & 15] = ' ';
	if (hlen > 100)
		hlen = 100;
	if (hptr && hlen)
		bpf_probe_read_user(e->name + (mlen & 15) + 1, hlen, (void *)hptr);
	e->nr_frames = ((mlen & 15) + 1 + hlen) / 8 + 1;
	event_submit(e);
}

static __always_inline void call_name(__u64 seg, __u64 req)
{
	call_name_at(seg, req, req_method, req_url);
}

/* (*persistConn).roundTrip(pc, req *transportRequest): pc in RAX, req RBX */
SEC("uprobe")
int BPF_KPROBE(go_call_begin)
{
	struct go_call c;
	__u64 pc = ctx->ax, req = ctx->bx, g = ctx->r14;
	struct go_conn fresh = {}, *conn;

	if (!in_target())
		return 0;
	count_hit(client_probe);
	if (call_open(ctx, client_probe, &go_calls, pc, pc, goid_of(g), 0, &c))
		call_name(c.seg, read_u64(req));
	else
		c.seg = c.txn = 0; /* outside any transaction: the writer writes for none */
	/* the request goes out from the connection's writeLoop: in the call's
	 * context (a request to itself), not the one that dialed */
	bpf_map_update_elem(&go_conns, &pc, &fresh, BPF_NOEXIST);
	conn = bpf_map_lookup_elem(&go_conns, &pc);
	if (conn) {
		conn->call.seg = c.seg;
		conn->call.txn = c.txn;
		if (conn->writer)
			bpf_map_update_elem(&wire_as, &conn->writer, &conn->call, BPF_ANY);
	}
	return 0;
}

/* (*Transport).tryPutIdleConn(t, pc): pc in RBX; (*persistConn).closeLocked(pc,
 * err): pc in RAX. The call on pc is over; idle, its loops are pooled. */
SEC("uprobe")
int BPF_KPROBE(go_call_end)
{
	bool closing = bpf_get_attach_cookie(ctx) & COOKIE_CLOSE;
	__u64 ax = ctx->ax, bx = ctx->bx, pc;
	struct go_call *c;
	struct go_conn *conn;
	struct weft_event *e;

	if (!in_target())
		return 0;
	pc = closing ? ax : bx;
	count_hit(client_probe);
	c = bpf_map_lookup_elem(&go_calls, &pc);
	if (c) {
		count_txn_trap(c->txn);
		emit_seg_end(c->seg, c->txn, WEFT_KIND_CALL, pc, client_probe);
		bpf_map_delete_elem(&go_calls, &pc);
	}
	conn = bpf_map_lookup_elem(&go_conns, &pc);
	if (!conn)
		return 0;
	if (conn->writer)
		bpf_map_delete_elem(&wire_as, &conn->writer);
	for (int i = 0; i < 2 && !closing; i++) {
		__u64 seg = conn->loop_seg[i];

		if (!seg || !(e = event_new(WEFT_EV_POOLED, WEFT_KIND_GOROUTINE, client_probe)))
			continue;
		e->seg = seg;
		event_submit(e);
	}
	if (closing)
		bpf_map_delete_elem(&go_conns, &pc);
	return 0;
}

/* HTTP/2: (*ClientConn).roundTrip(cc, req): cc in RAX, req in RBX. The call
 * waits for the doRequest goroutine roundTrip starts next (go_h2_calls.bpf.h).
 * 1 trap per call. */
SEC("uprobe")
int BPF_KPROBE(go_h2_call_begin)
{
	struct go_call c;
	__u64 cc = ctx->ax, req = ctx->bx, goid = goid_of(ctx->r14);

	if (!in_target())
		return 0;
	count_hit(h2_probe);
	if (call_open(ctx, h2_probe, &go_h2_pending, goid, cc, goid, WEFT_F_H2CALL, &c))
		call_name_at(c.seg, req, h2req_method, h2req_url);
	return 0;
}

/* HTTP/2: (*ClientConn).readLoop, at the start of the connection's reader
 * goroutine. The connection serves every call made on it, of any
 * transaction: its reader is pooled, not the dialer's leak. 1 trap per
 * connection. */
SEC("uprobe")
int BPF_KPROBE(go_h2_conn_loop)
{
	struct thread_state *gs;
	struct weft_event *e;
	__u64 goid;

	if (!in_target())
		return 0;
	count_hit(h2_probe);
	goid = goid_of(ctx->r14);
	gs = bpf_map_lookup_elem(&goroutines, &goid);
	if (!gs)
		return 0;
	count_txn_trap(gs->cur.txn);
	e = event_new(WEFT_EV_POOLED, WEFT_KIND_GOROUTINE, h2_probe);
	if (!e)
		return 0;
	e->seg = gs->depth ? gs->saved[0].seg : gs->cur.seg;
	event_submit(e);
	return 0;
}

/* (*persistConn).readLoop / writeLoop(pc): pc in RAX, at the start of the
 * connection's goroutine: its segment is the connection's. */
SEC("uprobe")
int BPF_KPROBE(go_conn_loop)
{
	struct thread_state *gs;
	struct go_conn zero = {}, *conn;
	__u64 pc = ctx->ax, goid;
	__u32 loop = bpf_get_attach_cookie(ctx) & COOKIE_WRITELOOP;

	if (!in_target())
		return 0;
	count_hit(client_probe);
	goid = goid_of(ctx->r14);
	gs = bpf_map_lookup_elem(&goroutines, &goid);
	if (!gs)
		return 0;
	count_txn_trap(gs->cur.txn);
	bpf_map_update_elem(&go_conns, &pc, &zero, BPF_NOEXIST);
	conn = bpf_map_lookup_elem(&go_conns, &pc);
	if (!conn) {
		COUNT(evicted);
		return 0;
	}
	conn->loop_seg[loop & 1] = gs->depth ? gs->saved[0].seg : gs->cur.seg;
	if (loop) { /* the first call may be under way before the writer starts */
		conn->writer = goid;
		bpf_map_update_elem(&wire_as, &goid, &conn->call, BPF_ANY);
	}
	return 0;
}

#endif
