/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Node's HTTP client: a request a transaction sends is a call of it
 * (WEFT_KIND_CALL), from the write of its request line on a socket to the
 * end of that socket's identity: pooled by its agent (the response was
 * consumed), re-armed for the next request, or closed. A response never
 * consumed keeps the socket, and the call, open. HTTP has no trap of its
 * own: it rides on uv__try_write, HandleWrap::Unref and the resource ends;
 * HTTPS adds SSL_write (its plaintext). The request's first bytes go to
 * userspace, which names the call "GET host" (node__name_call). Included
 * by node.bpf.c. */
#ifndef WEFT_NODE_CLIENT_BPF_H
#define WEFT_NODE_CLIENT_BPF_H

#define CALL_HEAD 16 /* bytes read to tell a request line: "OPTIONS /" fits */
#define TLS_BIND_NS 1000000 /* SSL_write to its record's write: the same call chain */

struct client_call {
	__u64 seg, txn;
};

/* HTTPS: SSL_write saw a request line; the TLS record it makes is written
 * on the socket next, on the same thread (TLSWrap::EncOut): bound there. */
struct tls_pending {
	__u64 seg, txn, ts;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32); /* tid */
	__type(value, struct tls_pending);
} tls_pending SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64); /* the socket's key (key_of its async id) */
	__type(value, struct client_call);
} client_calls SEC(".maps");

/* "GET /", "OPTIONS *", "POST http://": an upper-case token, a space, then
 * a path, an absolute URL or '*'. Anything else (a response, TLS records,
 * another protocol) is not a request line. */
static __always_inline bool request_line(const char *h)
{
	char next = 0;
	int i, sp = 0;

	for (i = 0; i < CALL_HEAD - 1; i++) {
		if (h[i] == ' ') {
			sp = i;
			next = h[i + 1];
			break;
		}
		if (h[i] < 'A' || h[i] > 'Z')
			return false;
	}
	return sp >= 3 && sp <= 7 && (next == '/' || next == '*' || next == 'h');
}

/* On a trap its caller counts for the socket's transaction, the call's. */
static __always_inline void client_call_end(__u64 key)
{
	struct client_call *c = key ? bpf_map_lookup_elem(&client_calls, &key) : NULL;

	if (!c)
		return;
	emit_seg_end(c->seg, c->txn, WEFT_KIND_CALL, 0, http_probe);
	bpf_map_delete_elem(&client_calls, &key);
}

/* A call begins: its segment, then its name (the raw head, named in
 * userspace: node__name_call). */
static __always_inline void call_begin(void *ctx, struct thread_state *ts, __u64 seg, __u64 id,
				       __u64 base, __u64 len)
{
	struct weft_event *e;

	count_txn_trap(ts->cur.txn);
	e = event_new(WEFT_EV_SEG_BEGIN, WEFT_KIND_CALL, http_probe);
	if (!e)
		return;
	e->seg = seg;
	e->parent = ts->cur.seg;
	e->txn = ts->cur.txn;
	e->obj = id;
	event_stack(e, ctx, NULL);
	event_submit(e);
	e = event_new(WEFT_EV_SEG_NAME, WEFT_KIND_CALL, http_probe);
	if (!e)
		return;
	e->seg = seg;
	e->flags = WEFT_F_HTTP;
	if (len > sizeof(e->name) - 1)
		len = sizeof(e->name) - 1;
	__builtin_memset(e->name, 0, sizeof(e->name));
	bpf_probe_read_user(e->name, len & 255, (void *)base);
	e->nr_frames = WEFT_MAX_FRAMES;
	event_submit(e);
}

/* The call's segment is keyed by the socket's identity, which ends it. */
static __always_inline bool call_bind(__u64 key, __u64 seg, __u64 txn)
{
	struct client_call c = { .seg = seg, .txn = txn };

	client_call_end(key); /* a new request on the same identity ends the last */
	if (!bpf_map_update_elem(&client_calls, &key, &c, BPF_ANY))
		return true;
	COUNT(evicted);
	return false;
}

/* uv__try_write(stream, bufs, nbufs, ...): a request line written in a
 * transaction's context begins a call on the stream's socket (the first
 * buffer holds the head ClientRequest wrote as one string); a TLS record
 * (0x17 0x03: application data) just after an HTTPS request's SSL_write
 * on this thread binds that call to the socket. */
static __always_inline void client_call_write(struct pt_regs *ctx, __u64 stream, __u64 bufs)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct thread_state *ts = bpf_map_lookup_elem(&threads, &tid);
	__u64 base = read_u64(bufs), len = read_u64(bufs + 8), id, key, seg;
	struct tls_pending *tp = bpf_map_lookup_elem(&tls_pending, &tid);
	char head[CALL_HEAD] = {};

	if (!base || len < CALL_HEAD || bpf_probe_read_user(head, sizeof(head), (void *)base))
		return;
	if (tp) {
		struct tls_pending p = *tp;

		bpf_map_delete_elem(&tls_pending, &tid);
		if (head[0] == 0x17 && head[1] == 0x03 && bpf_ktime_get_ns() - p.ts < TLS_BIND_NS &&
		    (key = key_of(async_id_at(read_u64(stream) + off_async_id)))) {
			call_bind(key, p.seg, p.txn);
			return;
		}
		/* not its record: its socket is unknown, so is its end */
		emit_seg_end(p.seg, p.txn, WEFT_KIND_CALL, 0, http_probe);
	}
	if (!ts || !ts->cur.txn || !request_line(head))
		return; /* outside any transaction: not attributed */
	id = async_id_at(read_u64(stream) + off_async_id);
	key = key_of(id);
	if (!key || bpf_map_lookup_elem(&conns, &key))
		return; /* a server's connection: a response body, not a request */
	seg = seg_alloc();
	if (call_bind(key, seg, ts->cur.txn))
		call_begin(ctx, ts, seg, id, base, len);
}

/* SSL_write(ssl, buf, num) (OpenSSL, in node): an HTTPS request's head in
 * plaintext, written in a transaction's context: a call, bound to its
 * socket at the record's write. One trap per TLS write. */
SEC("uprobe")
int BPF_KPROBE(node_ssl_write)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 base = PT_REGS_PARM2(ctx), len = (__u32)PT_REGS_PARM3(ctx);
	struct thread_state *ts;
	struct tls_pending p;
	char head[CALL_HEAD] = {};

	if (!in_target())
		return 0;
	count_hit(http_probe);
	ts = bpf_map_lookup_elem(&threads, &tid);
	if (!ts || !ts->cur.txn || len < CALL_HEAD ||
	    bpf_probe_read_user(head, sizeof(head), (void *)base) || !request_line(head))
		return 0;
	p.seg = seg_alloc();
	p.txn = ts->cur.txn;
	p.ts = bpf_ktime_get_ns();
	if (bpf_map_update_elem(&tls_pending, &tid, &p, BPF_ANY))
		return 0;
	call_begin(ctx, ts, p.seg, 0, base, len);
	return 0;
}

#endif
