/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Go's HTTP/2 client (net/http's bundled http2, net/http/internal/http2
 * from 1.27): a call begins at (*ClientConn).roundTrip, in the caller's
 * goroutine (go_client.bpf.h), which at once starts the stream's
 * doRequest goroutine. That goroutine carries the call: it writes the
 * request and lives until the stream is over (the response's end read, or
 * the body closed), so the call ends with it, at no trap of its own.
 * Included by go.bpf.c before goroutine creation and exit. */
#ifndef WEFT_GO_H2_CALLS_BPF_H
#define WEFT_GO_H2_CALLS_BPF_H

const volatile __u32 h2_probe = 0; /* probe index of the HTTP/2 client's probes */

/* goid in roundTrip -> its call, until it starts doRequest. LRU: a call
 * whose goroutine never came (roundTrip failed first) goes in time. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct go_call);
} go_h2_pending SEC(".maps");

/* goid of a doRequest goroutine -> the call it carries */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct go_call);
} go_h2_calls SEC(".maps");

/* At goroutine creation: a pending call of its creator goes with it, and
 * the goroutine is the call's child. */
static __always_inline void h2_call_handoff(__u64 creator, __u64 goid, __u64 *parent)
{
	struct go_call *c = bpf_map_lookup_elem(&go_h2_pending, &creator);

	if (!c)
		return;
	if (bpf_map_update_elem(&go_h2_calls, &goid, c, BPF_ANY))
		COUNT(evicted);
	else
		*parent = c->seg;
	bpf_map_delete_elem(&go_h2_pending, &creator);
}

/* At goroutine exit: the call it carried is over. */
static __always_inline void h2_call_end(__u64 goid)
{
	struct go_call *c = bpf_map_lookup_elem(&go_h2_calls, &goid);

	if (!c)
		return;
	emit_seg_end(c->seg, c->txn, WEFT_KIND_CALL, goid, h2_probe);
	bpf_map_delete_elem(&go_h2_calls, &goid);
}

#endif
