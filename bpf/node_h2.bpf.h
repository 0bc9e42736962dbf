/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Node's HTTP/2 server streams as transactions (doc/node-http2-internals.md
 * §6), part of node.bpf.c. Three traps per stream, all on a function's
 * first push:
 *   - Http2Session::OnBeginHeadersCallback, a request's HEADERS (cat 0):
 *     the transaction begins, in the session's context; the HTTP2STREAM
 *     that AsyncReset makes next on this thread is its own, and so are the
 *     stream's callbacks (grpc-js runs its handlers there);
 *   - Http2Session::HandleHeadersFrame: the headers are complete: the
 *     name (:method, :path), and the session's next callback scope, opened
 *     inside this call to emit the 'stream' event, is bound to it;
 *   - Http2Session::OnStreamClose: it ends. */
#ifndef WEFT_NODE_H2_BPF_H
#define WEFT_NODE_H2_BPF_H

#define H2_PROVIDER_STREAM 14 /* HTTP2STREAM, the same in every major (checked) */
/* nghttp2 (static in node, the same in every major) */
#define NGF_STREAM_ID 0x8 /* nghttp2_frame.hd.stream_id */
#define NGF_CAT 0x38	  /* nghttp2_frame.headers.cat: 0 a request */
#define RCBUF_BASE 0x10	  /* nghttp2_rcbuf: base, len (checked) */
#define NGHDR_SIZE 0x48	  /* node's NgHeader: name and value rcbufs */
#define NGHDR_NAME 0x18
#define NGHDR_VALUE 0x30
#define H2_MAX_HEADERS 12 /* pseudo-headers come first; grpc-js's content-type is 8th */
#define H2_PATH_MAX 200

struct h2_key {
	__u64 sess; /* Http2Session* */
	__u64 sid;
};

struct h2_stream {
	__u64 txn, seg;
};

/* Per thread: the stream whose headers are being read (begin to
 * HandleHeadersFrame: no JavaScript runs between), and the session scope
 * to bind. */
struct h2_thread {
	__u64 txn, seg, sess, sid;
	__u64 stream;	/* its Http2Stream*, once made */
	__u64 bind;	/* key of the session's async id: its next scope is txn's */
	__u32 want;	/* the next HTTP2STREAM made on this thread is txn's */
	__u32 pad;
};

/* Open streams. LRU: a session torn down without closing its streams
 * leaves entries behind; a transaction whose entry went stays open in the
 * report (it never ends), so the loss is visible. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct h2_key);
	__type(value, struct h2_stream);
} h2_streams SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32); /* tid */
	__type(value, struct h2_thread);
} h2_threads SEC(".maps");

struct rcbuf {
	__u64 base, len;
};

/* AsyncReset of an HTTP2STREAM: the one OnBeginHeadersCallback just began
 * (it makes no other): the transaction's, its callbacks too. */
static __always_inline bool h2_stream_made(__u64 self, struct wctx *parent)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct h2_thread *h = bpf_map_lookup_elem(&h2_threads, &tid);

	if (!h || !h->want)
		return false; /* a stream this process opens: a client's */
	h->want = 0;
	h->stream = self;
	parent->seg = h->seg;
	parent->txn = h->txn;
	parent->kind = WEFT_KIND_TXN;
	return true;
}

/* A callback scope opens: the first after HandleHeadersFrame, if it is the
 * session's, runs the 'stream' handler. Any scope ends both waits. */
static __always_inline void h2_scope(__u32 tid, __u64 id, struct wctx *c)
{
	struct h2_thread *h = bpf_map_lookup_elem(&h2_threads, &tid);

	if (!h)
		return;
	if (h->bind && h->bind == key_of(id)) {
		c->seg = h->seg;
		c->txn = h->txn;
		c->obj = id;
		c->kind = WEFT_KIND_TXN;
		c->flags = 0;
	}
	h->bind = 0;
	h->want = 0;
}

/* OnBeginHeadersCallback(nghttp2_session*, const nghttp2_frame*, Http2Session*) */
SEC("uprobe")
int BPF_KPROBE(node_h2_begin, void *ngs, __u64 frame, __u64 sess)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct h2_thread h = {};
	struct h2_stream st = {};
	struct h2_key k = { .sess = sess };
	struct node_resource *r;
	struct weft_event *e;
	struct wctx outer = {};
	__s32 cat = -1, sid = 0;

	if (!in_target())
		return 0;
	count_hit(h2_probe);
	bpf_probe_read_user(&cat, sizeof(cat), (void *)(frame + NGF_CAT));
	bpf_probe_read_user(&sid, sizeof(sid), (void *)(frame + NGF_STREAM_ID));
	if (cat != 0 || sid <= 0)
		return 0; /* a response, a push, trailers */
	/* a session made inside a transaction (a server started by a request):
	 * its streams begin in that context: conflation */
	r = preattach_get(async_id_at(sess + off_async_id), 0);
	if (r)
		outer = r->own;
	st.txn = txn_alloc();
	st.seg = seg_alloc();
	count_txn_trap(st.txn);
	k.sid = sid;
	if (bpf_map_update_elem(&h2_streams, &k, &st, BPF_ANY)) {
		COUNT(evicted);
		return 0;
	}
	h.txn = st.txn;
	h.seg = st.seg;
	h.sess = sess;
	h.sid = sid;
	h.want = 1;
	bpf_map_update_elem(&h2_threads, &tid, &h, BPF_ANY);
	e = event_new(WEFT_EV_TXN_BEGIN, WEFT_KIND_TXN, h2_probe);
	if (!e)
		return 0;
	e->seg = st.seg;
	e->parent = outer.seg;
	e->txn = st.txn;
	e->obj = outer.txn;
	e->name[0] = 0;
	/* a session's writes go out from an immediate, for every stream:
	 * which call wrote them is told from the calls open */
	if (!outer.txn)
		wire_outer(e, (__u64)tid | WIRE_THREAD, true);
	event_submit(e);
	return 0;
}

/* The value of header i if its name is `want` (wlen bytes, up to 12),
 * else base 0. */
static __always_inline struct rcbuf h2_header(__u64 elem, __u64 want_lo, __u64 want_hi,
					      __u64 wlen)
{
	struct rcbuf n = {}, v = {};
	__u64 name = 0, rc = 0, w[2] = {};

	bpf_probe_read_user(&rc, sizeof(rc), (void *)(elem + NGHDR_NAME));
	if (!rc || bpf_probe_read_user(&n, sizeof(n), (void *)(rc + RCBUF_BASE)) || n.len != wlen)
		return v;
	bpf_probe_read_user(w, wlen > 8 ? 16 : 8, (void *)n.base);
	name = wlen >= 8 ? w[0] : w[0] & ((1ULL << (wlen * 8)) - 1);
	if (name != want_lo || (wlen > 8 && (w[1] & ((1ULL << ((wlen - 8) * 8)) - 1)) != want_hi))
		return v;
	bpf_probe_read_user(&rc, sizeof(rc), (void *)(elem + NGHDR_VALUE));
	if (rc)
		bpf_probe_read_user(&v, sizeof(v), (void *)(rc + RCBUF_BASE));
	return v;
}

#define H2_METHOD 0x646f6874656d3aULL /* ":method" */
#define H2_PATH 0x687461703aULL	      /* ":path" */
#define H2_CT_LO 0x2d746e65746e6f63ULL /* "content-" */
#define H2_CT_HI 0x65707974ULL	       /* "type" */
#define H2_GRPC_LO 0x746163696c707061ULL /* "applicat" */
#define H2_GRPC_HI 0x637072672f6e6f69ULL /* "ion/grpc" */

/* HandleHeadersFrame(this = Http2Session*, const nghttp2_frame*) */
SEC("uprobe")
int BPF_KPROBE(node_h2_headers, __u64 sess, __u64 frame)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct h2_thread *h;
	struct weft_event *e;
	__u64 v[2], begin = 0, end = 0, n;
	__s32 cat = -1, sid = 0, id = 0;
	bool path = false, method = false;

	if (!in_target())
		return 0;
	count_hit(h2_probe);
	bpf_probe_read_user(&cat, sizeof(cat), (void *)(frame + NGF_CAT));
	bpf_probe_read_user(&sid, sizeof(sid), (void *)(frame + NGF_STREAM_ID));
	h = bpf_map_lookup_elem(&h2_threads, &tid);
	if (cat != 0 || !h || h->sess != sess || h->sid != (__u64)sid)
		return 0;
	count_txn_trap(h->txn);
	h->want = 0;
	h->bind = key_of(async_id_at(sess + off_async_id));
	/* the stream made since the begin must be this one */
	if (!h->stream)
		return 0;
	bpf_probe_read_user(&id, sizeof(id), (void *)(h->stream + h2_stream_id));
	if (id != sid)
		return 0;
	bpf_probe_read_user(&begin, sizeof(begin), (void *)(h->stream + h2_headers));
	bpf_probe_read_user(&end, sizeof(end), (void *)(h->stream + h2_headers + 8));
	if (end <= begin)
		return 0;
	n = (end - begin) / NGHDR_SIZE;
	e = event_new(WEFT_EV_TXN_BEGIN, WEFT_KIND_TXN, h2_probe);
	if (!e)
		return 0;
	__builtin_memset(e->name, 0, sizeof(e->name));
	e->seg = h->seg;
	e->txn = h->txn;
	e->flags = WEFT_F_H2NAME;
	for (int i = 0; i < H2_MAX_HEADERS; i++) {
		__u64 elem = begin + i * NGHDR_SIZE;
		struct rcbuf r;

		if (i >= n)
			break;
		if (!method) {
			r = h2_header(elem, H2_METHOD, 0, 7);
			if (r.base) {
				method = true;
				bpf_probe_read_user(&e->name[WEFT_H2_METHOD], r.len & 15, (void *)r.base);
				continue;
			}
		}
		if (!path) {
			r = h2_header(elem, H2_PATH, 0, 5);
			if (r.base) {
				path = true;
				if (r.len > H2_PATH_MAX)
					r.len = H2_PATH_MAX;
				bpf_probe_read_user(e->name, r.len & 0xff, (void *)r.base);
				continue;
			}
		}
		r = h2_header(elem, H2_CT_LO, H2_CT_HI, 12);
		if (r.base && r.len >= 16 && !bpf_probe_read_user(v, sizeof(v), (void *)r.base) &&
		    v[0] == H2_GRPC_LO && v[1] == H2_GRPC_HI)
			e->site = 1;
	}
	e->name[WEFT_H2_METHOD - 1] = 0;
	event_submit(e);
	return 0;
}

/* OnStreamClose(nghttp2_session*, int32_t id, uint32_t code, Http2Session*) */
SEC("uprobe")
int BPF_KPROBE(node_h2_close, void *ngs, __s32 sid, __u32 code, __u64 sess)
{
	struct h2_key k = { .sess = sess, .sid = sid };
	struct h2_stream *st;
	struct weft_event *e;

	if (!in_target())
		return 0;
	count_hit(h2_probe);
	st = bpf_map_lookup_elem(&h2_streams, &k);
	if (!st)
		return 0;
	count_txn_trap(st->txn);
	e = event_new(WEFT_EV_TXN_END, WEFT_KIND_TXN, h2_probe);
	if (e) {
		e->seg = st->seg;
		e->txn = st->txn;
		event_submit(e);
	}
	bpf_map_delete_elem(&h2_streams, &k);
	return 0;
}

/* Http2Session::FinishClose (22+) or Close (20), this = the session: it
 * ends; its wrap, and so its id, live until a GC, and its last callbacks
 * (graceful close, the socket's shutdown) still run in its context. */
SEC("uprobe")
int BPF_KPROBE(node_h2_session_end, __u64 sess)
{
	__u64 key;
	struct node_resource *r;

	if (!in_target())
		return 0;
	count_hit(WEFT_PROBE_GOROUTINE);
	key = key_of(async_id_at(sess + off_async_id));
	r = key ? bpf_map_lookup_elem(&resources, &key) : NULL;
	if (!r || (r->own.flags & WCTX_F_ENDED))
		return 0;
	count_txn_trap(r->own.txn);
	emit_seg_end(r->own.seg, r->own.txn, WEFT_KIND_ASYNC, r->own.obj, WEFT_PROBE_GOROUTINE);
	r->own.flags |= WCTX_F_ENDED;
	return 0;
}

#endif
