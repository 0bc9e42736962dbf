/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Node's HTTP client: a request a transaction sends is a call of it
 * (WEFT_KIND_CALL), from the write of its request line on a socket to the
 * end of that socket's identity: pooled by its agent (the response was
 * consumed), re-armed for the next request, or closed. A response never
 * consumed keeps the socket, and the call, open. No trap of its own: it
 * rides on uv__try_write, HandleWrap::Unref and the resource ends. The
 * request's first bytes go to userspace, which names the call "GET host"
 * (node__name_call). Included by node.bpf.c. */
#ifndef WEFT_NODE_CLIENT_BPF_H
#define WEFT_NODE_CLIENT_BPF_H

#define CALL_HEAD 16 /* bytes read to tell a request line: "OPTIONS /" fits */

struct client_call {
	__u64 seg, txn;
};

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

/* uv__try_write(stream, bufs, nbufs, ...): a request line written in a
 * transaction's context begins a call on the stream's socket. The first
 * buffer holds the head that node's ClientRequest wrote as one string. */
static __always_inline void client_call_write(struct pt_regs *ctx, __u64 stream, __u64 bufs)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct thread_state *ts = bpf_map_lookup_elem(&threads, &tid);
	__u64 base = read_u64(bufs), len = read_u64(bufs + 8), id, key;
	struct client_call c;
	struct weft_event *e;
	char head[CALL_HEAD] = {};

	if (!ts || !ts->cur.txn || len < CALL_HEAD || !base)
		return; /* outside any transaction: not attributed */
	if (bpf_probe_read_user(head, sizeof(head), (void *)base) || !request_line(head))
		return;
	id = async_id_at(read_u64(stream) + off_async_id);
	key = key_of(id);
	if (!key)
		return;
	client_call_end(key); /* a new request on the same identity ends the last */
	c.seg = seg_alloc();
	c.txn = ts->cur.txn;
	if (bpf_map_update_elem(&client_calls, &key, &c, BPF_ANY)) {
		__sync_fetch_and_add(&counters.evicted, 1);
		return;
	}
	count_txn_trap(c.txn);
	e = event_new(WEFT_EV_SEG_BEGIN, WEFT_KIND_CALL, http_probe);
	if (!e)
		return;
	e->seg = c.seg;
	e->parent = ts->cur.seg;
	e->txn = c.txn;
	e->obj = id;
	event_stack(e, ctx, NULL);
	event_submit(e);
	e = event_new(WEFT_EV_SEG_NAME, WEFT_KIND_CALL, http_probe);
	if (!e)
		return;
	e->seg = c.seg;
	e->flags = WEFT_F_HTTP; /* raw: the request's head, named in userspace */
	if (len > sizeof(e->name) - 1)
		len = sizeof(e->name) - 1;
	__builtin_memset(e->name, 0, sizeof(e->name));
	bpf_probe_read_user(e->name, len & 255, (void *)base);
	e->nr_frames = WEFT_MAX_FRAMES;
	event_submit(e);
}

#endif
