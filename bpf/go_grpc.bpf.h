/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* grpc-go's client: an RPC a transaction makes is a continuation of it
 * (WEFT_KIND_CALL) named "/pkg.Service/Method target", from
 * newClientStream's entry (past the stack check) to (*clientStream).finish,
 * which may run on another goroutine (a cancelled context): the two meet
 * through the *clientStream that newClientStream's RETs return. 3 traps a
 * call; a stream never finished is a call left running. Included by
 * go.bpf.c. */
#ifndef WEFT_GO_GRPC_BPF_H
#define WEFT_GO_GRPC_BPF_H

const volatile __u32 grpc_target_off = 0; /* grpc.ClientConn.target (a string), 0 unknown */
const volatile __u32 grpc_call_probe = 0;

/* goid -> the call its newClientStream is opening */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct go_call);
} grpc_opening SEC(".maps");

/* *clientStream -> its call */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct go_call);
} grpc_streams SEC(".maps");

/* "/weft.Greeter/Say 127.0.0.1:50051": method (ptr, len), then cc.target */
static __always_inline void grpc_call_name(__u64 seg, __u64 mptr, __u64 mlen, __u64 cc)
{
	__u64 tptr = grpc_target_off ? read_u64(cc + grpc_target_off) : 0;
	__u64 tlen = grpc_target_off ? read_u64(cc + grpc_target_off + 8) : 0;
	struct weft_event *e;

	if (!mptr || !mlen || mlen > 150)
		return;
	e = event_new(WEFT_EV_SEG_NAME, WEFT_KIND_CALL, grpc_call_probe);
	if (!e)
		return;
	e->seg = seg;
	__builtin_memset(e->name, 0, sizeof(e->name));
	bpf_probe_read_user(e->name, mlen & 255, (void *)mptr);
	if (tlen > 100)
		tlen = 100;
	if (tptr && tlen) {
		e->name[mlen & 255] = ' ';
		bpf_probe_read_user(e->name + (mlen & 255) + 1, tlen, (void *)tptr);
	} else
		tlen = 0;
	e->nr_frames = (mlen + 1 + tlen) / 8 + 1;
	event_submit(e);
}

/* newClientStream(ctx, desc, cc, method, opts...): cc in RDI, method in
 * RSI (ptr) and R8 (len) */
SEC("uprobe")
int BPF_KPROBE(go_grpc_call_begin)
{
	struct go_call c;
	__u64 cc = ctx->di, mptr = ctx->si, mlen = ctx->r8, g = ctx->r14, goid;

	if (!in_target())
		return 0;
	count_hit(grpc_call_probe);
	goid = goid_of(g);
	if (call_open(ctx, grpc_call_probe, &grpc_opening, goid, cc, goid, 0, &c))
		grpc_call_name(c.seg, mptr, mlen, cc);
	return 0;
}

/* A RET of newClientStream: (ClientStream, error), the stream's data word
 * in RBX; nil when the call failed to start: it ends here. */
SEC("uprobe")
int BPF_KPROBE(go_grpc_call_open)
{
	struct go_call *c;
	__u64 goid, cs = ctx->bx;

	if (!in_target())
		return 0;
	count_hit(grpc_call_probe);
	goid = goid_of(ctx->r14);
	c = bpf_map_lookup_elem(&grpc_opening, &goid);
	if (!c)
		return 0;
	count_txn_trap(c->txn);
	if (!cs || bpf_map_update_elem(&grpc_streams, &cs, c, BPF_ANY)) {
		if (cs)
			COUNT(evicted);
		emit_seg_end(c->seg, c->txn, WEFT_KIND_CALL, cs, grpc_call_probe);
	}
	bpf_map_delete_elem(&grpc_opening, &goid);
	return 0;
}

/* (*clientStream).finish(cs, err): cs in RAX; once per stream */
SEC("uprobe")
int BPF_KPROBE(go_grpc_call_end)
{
	struct go_call *c;
	__u64 cs = ctx->ax;

	if (!in_target())
		return 0;
	count_hit(grpc_call_probe);
	c = bpf_map_lookup_elem(&grpc_streams, &cs);
	if (!c)
		return 0;
	count_txn_trap(c->txn);
	emit_seg_end(c->seg, c->txn, WEFT_KIND_CALL, cs, grpc_call_probe);
	bpf_map_delete_elem(&grpc_streams, &cs);
	return 0;
}

#endif
