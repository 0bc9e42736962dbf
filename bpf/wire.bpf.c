// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The wire: a request the target makes to itself. Bytes the target writes
 * on a TCP connection are tagged with the writer's context (keyed by the
 * connection's 4-tuple); when the target reads at the other end, the tag
 * of its peer's last write becomes the reader's `wire_in`, where the
 * adapters find it when a transaction begins: the request began inside
 * the writer's context (a conflation). Tracepoints only (no uprobe, and
 * fentry is not allowed on every kernel): a send and a receive cost the
 * target no trap. Maps: `threads`,
 * `goroutines`, `wire_in` and `wire_as` are the adapters', reused by fd. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "weft/events.h"
#include "context.bpf.h"
#include "ctx_now.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define AF_INET 2
#define AF_INET6 10
#define TCP_CLOSE 7

__u64 wire_evicted = 0; /* a connection's tag not kept: map full */
__u64 wire_self = 0;	/* reads of bytes the target wrote itself */

/* A connection end: local and remote address (IPv4 as v4-mapped IPv6, so
 * a v4 client meets a dual-stack listener's socket), ports in host order. */
struct wire_key {
	__u8 laddr[16], raddr[16];
	__u16 lport, rport;
	__u32 pad;
};

/* the writer's end -> the context of its last write */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536); /* resized from userspace */
	__type(key, struct wire_key);
	__type(value, struct wire_tag);
} wire_socks SEC(".maps");

static __always_inline void addr_of(__u8 *out, const struct sock *sk, bool remote, __u16 family)
{
	if (family == AF_INET6) {
		if (remote)
			BPF_CORE_READ_INTO(out, sk, __sk_common.skc_v6_daddr);
		else
			BPF_CORE_READ_INTO(out, sk, __sk_common.skc_v6_rcv_saddr);
		return;
	}
	__builtin_memset(out, 0, 16);
	out[10] = out[11] = 0xff;
	if (remote)
		BPF_CORE_READ_INTO(out + 12, sk, __sk_common.skc_daddr);
	else
		BPF_CORE_READ_INTO(out + 12, sk, __sk_common.skc_rcv_saddr);
}

/* sk's end as its own key, or (peer) as the key of the end it talks to */
static __always_inline bool sock_key(const struct sock *sk, struct wire_key *k, bool peer)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	__u16 lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	__u16 rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));

	if (family != AF_INET && family != AF_INET6)
		return false;
	__builtin_memset(k, 0, sizeof(*k));
	addr_of(k->laddr, sk, peer, family);
	addr_of(k->raddr, sk, !peer, family);
	k->lport = peer ? rport : lport;
	k->rport = peer ? lport : rport;
	return true;
}

/* In tcp_sendmsg_locked's copy loop, before the bytes are queued: the tag
 * is there before the reader can read them. */
SEC("raw_tp/tcp_sendmsg_locked")
int BPF_PROG(wire_send, const struct sock *sk, const struct msghdr *msg, const struct sk_buff *skb,
	     int size_goal)
{
	__u64 id = bpf_get_current_pid_tgid(), key;
	struct wire_tag tag = {}, *as;
	struct wire_key k;
	struct wctx c = {};

	if (id >> 32 != target_tgid || !sock_key(sk, &k, false))
		return 0;
	ctx_now_key((__u32)id, &c, &key);
	as = bpf_map_lookup_elem(&wire_as, &key);
	if (as) {
		tag = *as;
	} else {
		tag.seg = c.seg;
		tag.txn = c.txn;
	}
	tag.ts = bpf_ktime_get_ns();
	tag.flags = WIRE_F_SELF;
	if (bpf_map_update_elem(&wire_socks, &k, &tag, BPF_ANY))
		__sync_fetch_and_add(&wire_evicted, 1);
	return 0;
}

/* After any socket's recvmsg: bytes were read. */
SEC("raw_tp/sock_recv_length")
int BPF_PROG(wire_recv, struct sock *sk, int ret, int flags)
{
	__u64 id = bpf_get_current_pid_tgid(), key;
	struct wire_tag *tag;
	struct wire_key k;
	struct wctx c = {};

	if (id >> 32 != target_tgid || ret <= 0 || BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP ||
	    !sock_key(sk, &k, true))
		return 0;
	ctx_now_key((__u32)id, &c, &key);
	tag = bpf_map_lookup_elem(&wire_socks, &k);
	if (!tag) {
		bpf_map_delete_elem(&wire_in, &key);
		return 0;
	}
	__sync_fetch_and_add(&wire_self, 1);
	if (bpf_map_update_elem(&wire_in, &key, tag, BPF_ANY))
		__sync_fetch_and_add(&wire_evicted, 1);
	return 0;
}

/* A closed connection's tag goes: its 4-tuple may be used again. Any
 * process (a close may run in softirq, on any task): one lookup. */
SEC("raw_tp/inet_sock_set_state")
int BPF_PROG(wire_state, const struct sock *sk, const int oldstate, const int newstate)
{
	struct wire_key k;

	if (newstate == TCP_CLOSE && sock_key(sk, &k, false))
		bpf_map_delete_elem(&wire_socks, &k);
	return 0;
}
