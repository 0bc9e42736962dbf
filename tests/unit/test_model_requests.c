/* The model's requests and calls on synthetic event streams: names
 * (markers, routes, patterns), quantiles, profiles, traps, outbound calls,
 * and calls to itself told from the calls open. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "model_events.h"
#include "txn_name.h"
#include "node_attach.h"

static void test_quantiles_and_marker_names(void **state)
{
	struct model *m = new_model(1);
	struct weft_event e = { .type = WEFT_EV_TXN_BEGIN, .kind = WEFT_KIND_TXN, .probe = 1 };

	for (uint64_t i = 1; i <= 100; i++) {
		txn_begin(m, i * 1000, 100 + i, 1, i, 0);
		txn_end(m, i * 1000 + i, 100 + i, i);
	}
	e.ts_ns = 500000;
	e.seg = 999;
	e.txn = 999;
	strcpy(e.name, "job");
	model__feed(m, &e);
	model__finish(m, 1000000);
	assert_int_equal(model__txn_quantile(m, "handle_request", 0.5), 50);
	assert_int_equal(model__txn_quantile(m, "handle_request", 0.99), 99);
	assert_string_equal(model__txn_name(m, model__txn(m, 999)), "job");
	assert_int_equal(model__txn_quantile(m, "job", 0.5), 0); /* still open */
	model__free(m);
}

static void sample(struct model *m, uint32_t type, uint64_t ts, uint32_t tid, uint64_t txn,
		   uint64_t weight, const uint64_t *frames, uint32_t nr)
{
	struct weft_event e = { .ts_ns = ts, .type = type, .kind = WEFT_KIND_THREAD, .tid = tid,
				.seg = 100 + tid, .txn = txn, .nr_frames = nr };

	if (type == WEFT_EV_OFFCPU)
		e.obj = weight;
	memcpy(e.frames, frames, nr * sizeof(frames[0]));
	model__feed(m, &e);
}

/* On-CPU samples weigh one period each (1 ms at -F 1000), off-CPU spans
 * their blocked time; both go to their transaction at finish, even when
 * they arrive before its TXN_BEGIN; samples of txn 0 or of a transaction
 * never seen are counted apart. Equal stacks are stored once. */
static void test_profile(void **state)
{
	struct model_opts o = { .leak_grace_ns = MS, .txns_traced = true, .sample_period_ns = MS };
	struct model *m;
	const uint64_t spin[3] = { 0x4010, 0x4100, 0x4200 }, spin2[3] = { 0x4020, 0x4100, 0x4200 };
	const uint64_t nap[2] = { 0x7000, 0x4200 };
	const uint64_t *fr;
	uint32_t nr;

	o.probe_names[P_TXN] = "handle_request";
	m = model__new(&o);
	sample(m, WEFT_EV_SAMPLE, 1 * MS, 1, 1, 0, spin, 3); /* before its begin */
	txn_begin(m, 2 * MS, 2, 0, 1, 0);
	for (int i = 0; i < 5; i++)
		sample(m, WEFT_EV_SAMPLE, (3 + i) * MS, 1, 1, 0, i % 2 ? spin2 : spin, 3);
	sample(m, WEFT_EV_OFFCPU, 8 * MS, 1, 1, 4 * MS + 7, nap, 2);
	txn_end(m, 20 * MS, 2, 1);
	txn_begin(m, 30 * MS, 3, 0, 2, 0);
	sample(m, WEFT_EV_OFFCPU, 31 * MS, 1, 2, 250000, nap, 2);
	txn_end(m, 40 * MS, 3, 2);
	sample(m, WEFT_EV_SAMPLE, 41 * MS, 2, 0, 0, spin, 3);  /* outside */
	sample(m, WEFT_EV_SAMPLE, 42 * MS, 2, 77, 0, spin, 3); /* txn never seen */
	sample(m, WEFT_EV_OFFCPU, 43 * MS, 2, 0, 3 * MS, nap, 0);
	model__finish(m, 100 * MS);

	assert_int_equal(model__txn(m, 1)->cpu_samples, 6);
	assert_int_equal(model__txn(m, 1)->cpu_ns, 6 * MS);
	assert_int_equal(model__txn(m, 1)->offcpu_ns, 4 * MS + 7);
	assert_int_equal(model__txn(m, 1)->offcpu_spans, 1);
	assert_int_equal(model__txn(m, 2)->cpu_ns, 0);
	assert_int_equal(model__txn(m, 2)->offcpu_ns, 250000);
	assert_int_equal(model__outside(m)->cpu_samples, 2);
	assert_int_equal(model__outside(m)->cpu_ns, 2 * MS);
	assert_int_equal(model__outside(m)->offcpu_ns, 3 * MS);
	assert_int_equal(model__outside(m)->offcpu_spans, 1);
	assert_int_equal(model__nr_samples(m), 11);
	assert_true(model__sample_at(m, 6)->off_cpu);
	assert_int_equal(model__sample_at(m, 6)->weight_ns, 4 * MS + 7);
	assert_int_equal(model__sample_at(m, 6)->tid, 1);
	/* 4 distinct stacks: spin, spin2, nap, the empty one */
	assert_int_equal(model__sample_at(m, 0)->stack, model__sample_at(m, 1)->stack);
	assert_int_not_equal(model__sample_at(m, 1)->stack, model__sample_at(m, 2)->stack);
	assert_int_equal(model__sample_at(m, 2)->stack, model__sample_at(m, 4)->stack);
	assert_int_equal(model__sample_at(m, 6)->stack, model__sample_at(m, 7)->stack);
	fr = model__stack(m, model__sample_at(m, 2)->stack, &nr);
	assert_int_equal(nr, 3);
	assert_int_equal(fr[0], 0x4020);
	assert_int_equal(fr[2], 0x4200);
	model__stack(m, model__sample_at(m, 10)->stack, &nr);
	assert_int_equal(nr, 0);
	assert_int_equal(model__sample_at(m, 10)->stack, 3);
	/* finish again (a live view): the same totals, not doubled */
	model__finish(m, 200 * MS);
	assert_int_equal(model__txn(m, 1)->cpu_samples, 6);
	assert_int_equal(model__outside(m)->cpu_samples, 2);
	model__free(m);
}

/* Traps per transaction add up, also when drained before the begin was read. */
static void test_traps(void **state)
{
	struct model *m = new_model(500 * MS);
	struct weft_event tr = { .ts_ns = 1 * MS, .type = WEFT_EV_TRAPS, .txn = 2, .obj = 3 };

	model__feed(m, &tr); /* txn 2's begin is still on its way */
	txn_begin(m, 0, 10, 0, 1, 0);
	txn_begin(m, 0, 11, 0, 2, 0);
	tr.txn = 1;
	tr.obj = 4;
	model__feed(m, &tr);
	tr.obj = 1;
	model__feed(m, &tr);
	tr.txn = 2;
	model__feed(m, &tr);
	model__finish(m, 2 * MS);
	assert_int_equal(model__txn(m, 1)->traps, 5);
	assert_int_equal(model__txn(m, 2)->traps, 4);
	model__free(m);
}

/* A Go request begins named by method and path and ends with the ServeMux
 * pattern that matched (WEFT_F_PATTERN): the name becomes the route's. */
static void go_request(struct model *m, uint64_t ts, uint64_t id, const char *path_name,
		       const char *pattern)
{
	struct weft_event b = { .ts_ns = ts, .type = WEFT_EV_TXN_BEGIN, .kind = WEFT_KIND_TXN,
				.seg = 1000 + id, .parent = 1, .txn = id, .probe = P_TXN };
	struct weft_event e = { .ts_ns = ts + 10, .type = WEFT_EV_TXN_END, .kind = WEFT_KIND_TXN,
				.seg = 1000 + id, .txn = id, .probe = P_TXN };

	strcpy(b.name, path_name);
	model__feed(m, &b);
	if (pattern) {
		strcpy(e.name, pattern);
		e.nr_frames = strlen(pattern) / 8 + 1;
		e.flags = WEFT_F_PATTERN;
	}
	model__feed(m, &e);
}

static void test_route_pattern_names(void **state)
{
	struct model_opts o = { .leak_grace_ns = MS, .txns_traced = true };
	const char *want[] = { "GET /users/{id}", "GET /users/{id}", "HEAD /users/{id}",
			       "GET /static/", "GET /nope", "POST example.com/api/{x...}" };
	struct model *by[2];

	for (int path = 0; path < 2; path++) {
		struct model *m;

		o.name_by_path = path;
		m = by[path] = model__new(&o);
		go_request(m, 100, 1, "GET /users/8123", "GET /users/{id}");
		go_request(m, 200, 2, "GET /users/7", "GET /users/{id}");
		go_request(m, 300, 3, "HEAD /users/4", "GET /users/{id}"); /* GET serves HEAD */
		go_request(m, 400, 4, "GET /static/a.css", "/static/");	 /* no method in it */
		go_request(m, 500, 5, "GET /nope", NULL);			 /* 404: no pattern */
		go_request(m, 600, 6, "POST /api/v1/x", "POST \texample.com/api/{x...}");
		model__finish(m, 10000);
		assert_int_equal(model__nr_txns(m), 6);
	}
	for (size_t i = 0; i < 6; i++)
		assert_string_equal(model__txn_name(by[0], model__txn_at(by[0], i)), want[i]);
	/* one row per route: both /users/ ids under one name */
	assert_int_equal(model__txn_quantile(by[0], "GET /users/{id}", 0.99), 10);
	assert_string_equal(model__txn_name(by[1], model__txn_at(by[1], 0)), "GET /users/8123");
	assert_string_equal(model__txn_name(by[1], model__txn_at(by[1], 3)), "GET /static/a.css");
	assert_string_equal(model__txn_name(by[1], model__txn_at(by[1], 5)), "POST /api/v1/x");
	model__free(by[0]);
	model__free(by[1]);
}

static void test_txn_name_by_pattern(void **state)
{
	char out[64] = "untouched";

	assert_int_equal(txn_name__by_pattern(out, sizeof(out), "GET /a/1", "GET /a/{id}"), 0);
	assert_string_equal(out, "GET /a/{id}");
	assert_int_equal(txn_name__by_pattern(out, sizeof(out), "PUT /a/1", "/a/"), 0);
	assert_string_equal(out, "PUT /a/");
	assert_int_equal(txn_name__by_pattern(out, sizeof(out), "GET /x", "GET  \t /x/{$}"), 0);
	assert_string_equal(out, "GET /x/{$}");
	strcpy(out, "untouched");
	/* nothing to name by: left alone */
	assert_int_equal(txn_name__by_pattern(out, sizeof(out), "/x", "GET /x"), -1);
	assert_int_equal(txn_name__by_pattern(out, sizeof(out), "GET /x", ""), -1);
	assert_int_equal(txn_name__by_pattern(out, sizeof(out), "GET /x", "GET "), -1);
	assert_int_equal(txn_name__by_pattern(out, sizeof(out), " /x", "GET /x"), -1);
	assert_string_equal(out, "untouched");
	/* cut to the buffer, never past it */
	assert_int_equal(txn_name__by_pattern(out, 8, "GET /x", "/abcdefgh"), 0);
	assert_string_equal(out, "GET /ab");
}

/* Outbound calls (Go's net/http client): segments of kind CALL named by a
 * SEG_NAME event; one whose response body is never closed outlives its
 * transaction: a leak; the connection's goroutines idle in the pool are
 * pooled, not leaked. */
static void call_name(struct model *m, uint64_t seg, const char *name)
{
	struct weft_event e = { .type = WEFT_EV_SEG_NAME, .kind = WEFT_KIND_CALL, .seg = seg };

	strcpy(e.name, name);
	e.nr_frames = strlen(name) / 8 + 1;
	model__feed(m, &e);
}

static void test_call_segments(void **state)
{
	struct model *m = new_model(100 * MS);
	const struct segment *a, *b;

	txn_begin(m, 1 * MS, 2, 1, 1, 0);
	ev(m, WEFT_EV_SEG_BEGIN, WEFT_KIND_CALL, 2 * MS, 10, 2, 1, 0x5000);
	call_name(m, 10, "GET 10.0.0.1:80");
	ev(m, WEFT_EV_SEG_BEGIN, WEFT_KIND_GOROUTINE, 3 * MS, 11, 2, 1, 0x6000); /* readLoop */
	seg_end(m, 4 * MS, 10);
	ev(m, WEFT_EV_POOLED, WEFT_KIND_GOROUTINE, 4 * MS, 11, 0, 0, 0);
	ev(m, WEFT_EV_SEG_BEGIN, WEFT_KIND_CALL, 5 * MS, 12, 2, 1, 0x5100);
	call_name(m, 12, "GET 10.0.0.1:80");
	call_name(m, 99, "POST nowhere:1"); /* an unknown segment: ignored */
	txn_end(m, 6 * MS, 2, 1);
	model__finish(m, 1000 * MS);
	a = model__segment(m, 10);
	b = model__segment(m, 12);
	assert_int_equal(a->kind, WEFT_KIND_CALL);
	assert_int_equal(a->state, SEG_ENDED);
	assert_int_equal(b->state, SEG_LEAKED);
	assert_int_equal(model__segment(m, 11)->state, SEG_POOLED);
	assert_true(a->start && a->start == b->start); /* one name, kept once */
	assert_string_equal(model__seg_name(m, b->start), "GET 10.0.0.1:80");
	assert_string_equal(model__seg_name(m, 0), "");
	assert_int_equal(model__nr_leaks(m), 1);
	assert_int_equal(model__leak_at(m, 0)->kind, WEFT_KIND_CALL);
	assert_int_equal(model__leak_at(m, 0)->count, 1);
	assert_int_equal(model__txn(m, 1)->nr_segments, 3);
	assert_int_equal(model__txn(m, 1)->nr_leaked, 1);
	model__free(m);
}

/* Node's outbound calls: the raw head named "METHOD host" (Host in any
 * case, the method alone without one), names interned, a call never
 * ended leaks with its transaction. */
static void call_named(struct model *m, uint64_t seg, const char *head)
{
	struct weft_event e = { .type = WEFT_EV_SEG_NAME, .kind = WEFT_KIND_CALL, .seg = seg,
				.flags = WEFT_F_HTTP, .nr_frames = WEFT_MAX_FRAMES };

	snprintf(e.name, sizeof(e.name), "%s", head);
	node__name_call(&e);
	model__feed(m, &e);
}

static void test_call_names(void **state)
{
	struct model *m = new_model(500 * MS);

	txn_begin(m, 0, 10, 0, 1, 0);
	ev(m, WEFT_EV_SEG_BEGIN, WEFT_KIND_CALL, 1 * MS, 11, 10, 1, 0xa);
	call_named(m, 11, "GET /data HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nConnection: keep-alive\r\n\r\n");
	ev(m, WEFT_EV_SEG_BEGIN, WEFT_KIND_CALL, 2 * MS, 12, 10, 1, 0xa);
	call_named(m, 12, "POST /x HTTP/1.1\r\nX-A: b\r\nhost: example.com\r\n\r\nbody");
	ev(m, WEFT_EV_SEG_BEGIN, WEFT_KIND_CALL, 3 * MS, 13, 10, 1, 0xa);
	call_named(m, 13, "GET /y HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n");
	ev(m, WEFT_EV_SEG_BEGIN, WEFT_KIND_CALL, 4 * MS, 14, 10, 1, 0xa);
	call_named(m, 14, "GET /z HTTP/1.1\r\n\r\nHost: body.example\r\n");
	ev(m, WEFT_EV_SEG_END, WEFT_KIND_CALL, 5 * MS, 11, 0, 1, 0);
	txn_end(m, 10 * MS, 10, 1);
	model__finish(m, 1000 * MS);
	assert_string_equal(model__seg_name(m, model__segment(m, 11)->start), "GET 127.0.0.1:8080");
	assert_string_equal(model__seg_name(m, model__segment(m, 12)->start), "POST example.com");
	assert_int_equal(model__segment(m, 13)->start, model__segment(m, 11)->start);
	assert_string_equal(model__seg_name(m, model__segment(m, 14)->start), "GET");
	assert_int_equal(model__segment(m, 11)->state, SEG_ENDED);
	assert_int_equal(model__segment(m, 12)->state, SEG_LEAKED);
	assert_int_equal(model__txn(m, 1)->nr_leaked, 3);
	model__free(m);
}

/* Calls to itself (WEFT_F_WIRE): with the writer known, the event says the
 * outer transaction; on a multiplexed connection (WEFT_F_WIRE_MUX) the
 * model tells it from the calls open when the transaction began: one
 * transaction with a call of that method, told; two, untold and counted;
 * none (a call from outside any transaction), no conflation. */
static void self_txn(struct model *m, uint64_t ts, uint64_t seg, uint64_t txn, uint64_t outer,
		     uint64_t parent, uint32_t flags, const char *name)
{
	struct weft_event e = { .ts_ns = ts, .type = WEFT_EV_TXN_BEGIN, .kind = WEFT_KIND_TXN,
				.seg = seg, .parent = parent, .txn = txn, .obj = outer,
				.probe = P_TXN, .flags = WEFT_F_WIRE | flags };

	strcpy(e.name, name);
	model__feed(m, &e);
}

static void test_calls_to_itself(void **state)
{
	struct model *m = new_model(100 * MS);
	const struct txn *t;
	const struct segment *chain[4];

	/* txn 1 calls Say (seg 10) and Chat (seg 11); txn 2 calls Chat (12) */
	txn_begin(m, 1 * MS, 2, 0, 1, 0);
	txn_begin(m, 1 * MS, 3, 0, 2, 0);
	ev(m, WEFT_EV_SEG_BEGIN, WEFT_KIND_CALL, 2 * MS, 10, 2, 1, 0x5000);
	call_name(m, 10, "/p.S/Say 127.0.0.1:1");
	ev(m, WEFT_EV_SEG_BEGIN, WEFT_KIND_CALL, 2 * MS, 11, 2, 1, 0x5000);
	call_name(m, 11, "/p.S/Chat 127.0.0.1:1");
	ev(m, WEFT_EV_SEG_BEGIN, WEFT_KIND_CALL, 2 * MS, 12, 3, 2, 0x5000);
	call_name(m, 12, "/p.S/Chat 127.0.0.1:1");
	/* served: Say (told: txn 1), Chat (two callers: untold), Ok (none) */
	self_txn(m, 3 * MS, 20, 3, 0, 0, WEFT_F_WIRE_MUX, "/p.S/Say");
	self_txn(m, 3 * MS, 21, 4, 0, 0, WEFT_F_WIRE_MUX, "/p.S/Chat");
	self_txn(m, 3 * MS, 22, 5, 0, 0, WEFT_F_WIRE_MUX, "/p.S/Ok");
	/* HTTP/1: the writer's transaction came with it */
	self_txn(m, 3 * MS, 23, 6, 2, 12, 0, "GET /b");
	/* a Say begun after txn 1's call ended: no caller */
	seg_end(m, 4 * MS, 10);
	self_txn(m, 5 * MS, 24, 7, 0, 0, WEFT_F_WIRE_MUX, "/p.S/Say");
	model__finish(m, 10 * MS);
	assert_int_equal(model__nr_conflations(m), 2);
	t = model__conflation_at(m, 0);
	assert_int_equal(t->id, 3);
	assert_int_equal(t->outer_txn, 1);
	assert_true(t->from_self);
	assert_int_equal(t->wire_seg, 10);
	assert_int_equal(model__conflation_chain(m, t, chain, 4), 1);
	assert_int_equal(chain[0]->id, 10);
	t = model__conflation_at(m, 1);
	assert_int_equal(t->id, 6);
	assert_int_equal(t->outer_txn, 2);
	assert_int_equal(model__conflation_chain(m, t, chain, 4), 1);
	assert_int_equal(chain[0]->id, 12);
	assert_int_equal(model__nr_self_untold(m), 1);
	assert_int_equal(model__txn(m, 4)->wire_callers, 2);
	assert_int_equal(model__txn(m, 5)->outer_txn, 0);
	assert_int_equal(model__txn(m, 7)->outer_txn, 0);
	/* finishing again gives the same answer */
	model__finish(m, 10 * MS);
	assert_int_equal(model__nr_conflations(m), 2);
	assert_int_equal(model__nr_self_untold(m), 1);
	model__free(m);
}

/* Node: an HTTP/2 stream opened as a client (WEFT_F_H2CALL, unnamed) is a
 * caller of any method. */
static void test_h2_client_caller(void **state)
{
	struct model *m = new_model(100 * MS);
	struct weft_event e = { .ts_ns = 2 * MS, .type = WEFT_EV_SEG_BEGIN,
				.kind = WEFT_KIND_ASYNC, .seg = 10, .parent = 2, .txn = 1,
				.flags = WEFT_F_H2CALL, .site = 14 };

	txn_begin(m, 1 * MS, 2, 0, 1, 0);
	model__feed(m, &e);
	self_txn(m, 3 * MS, 20, 2, 0, 0, WEFT_F_WIRE_MUX, "");
	model__finish(m, 10 * MS);
	assert_int_equal(model__nr_conflations(m), 1);
	assert_int_equal(model__conflation_at(m, 0)->outer_txn, 1);
	assert_int_equal(model__conflation_at(m, 0)->wire_seg, 10);
	model__free(m);
}

/* Go: an HTTP request handed to a new goroutine (HTTP/2's server) is told
 * by the HTTP/2 calls open of its method; an HTTP/1 call, another method,
 * or one begun after it are not its caller. */
static void test_go_h2_caller(void **state)
{
	struct model *m = new_model(100 * MS);
	struct weft_event h2 = { .type = WEFT_EV_SEG_BEGIN, .kind = WEFT_KIND_CALL,
				 .flags = WEFT_F_H2CALL };

	txn_begin(m, 1 * MS, 2, 0, 1, 0);
	txn_begin(m, 1 * MS, 3, 0, 2, 0);
	h2.ts_ns = 2 * MS, h2.seg = 10, h2.parent = 2, h2.txn = 1;
	model__feed(m, &h2);
	call_name(m, 10, "GET 127.0.0.1:1");
	h2.seg = 11, h2.parent = 3, h2.txn = 2; /* another method */
	model__feed(m, &h2);
	call_name(m, 11, "POST 127.0.0.1:1");
	ev(m, WEFT_EV_SEG_BEGIN, WEFT_KIND_CALL, 2 * MS, 12, 3, 2, 0x5000); /* HTTP/1 */
	call_name(m, 12, "GET 127.0.0.1:2");
	self_txn(m, 3 * MS, 20, 3, 0, 0, WEFT_F_WIRE_MUX, "GET /b/{id}");
	h2.ts_ns = 4 * MS, h2.seg = 13, h2.parent = 3, h2.txn = 2; /* after: not it */
	model__feed(m, &h2);
	call_name(m, 13, "GET 127.0.0.1:1");
	model__finish(m, 10 * MS);
	assert_int_equal(model__nr_conflations(m), 1);
	assert_int_equal(model__conflation_at(m, 0)->outer_txn, 1);
	assert_int_equal(model__conflation_at(m, 0)->wire_seg, 10);
	assert_int_equal(model__nr_self_untold(m), 0);
	model__free(m);
}

/* --go-lean: a call's end is read by a sweep, stamped at the due it was
 * read for (which may precede its real end) and known only to have come
 * by the sweep (parent): a request begun before that sweep may be its.
 * The sweep's end read after the call's begin, and before it arrived. */
static void test_go_h2_caller_polled_end(void **state)
{
	for (int early = 0; early < 2; early++) {
		struct model *m = new_model(100 * MS);
		struct weft_event h2 = { .type = WEFT_EV_SEG_BEGIN, .kind = WEFT_KIND_CALL,
					 .flags = WEFT_F_H2CALL, .ts_ns = 5 * MS, .seg = 10,
					 .parent = 2, .txn = 1 };
		/* stamped 4 ms (before its begin: held at 5), gone by 7 */
		struct weft_event end = { .type = WEFT_EV_SEG_END, .kind = WEFT_KIND_CALL,
					  .flags = WEFT_F_POLLED, .ts_ns = 4 * MS, .seg = 10,
					  .parent = 7 * MS, .txn = 1 };

		txn_begin(m, 1 * MS, 2, 0, 1, 0);
		if (early)
			model__feed(m, &end);
		model__feed(m, &h2);
		call_name(m, 10, "GET 127.0.0.1:1");
		self_txn(m, 6 * MS, 20, 3, 0, 0, WEFT_F_WIRE_MUX, "GET /b/{id}");
		if (!early)
			model__feed(m, &end);
		model__finish(m, 10 * MS);
		assert_int_equal(model__segment(m, 10)->end_ns, 5 * MS);
		assert_int_equal(model__nr_conflations(m), 1);
		assert_int_equal(model__conflation_at(m, 0)->outer_txn, 1);
		assert_int_equal(model__nr_self_untold(m), 0);
		model__free(m);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quantiles_and_marker_names),
		cmocka_unit_test(test_profile),
		cmocka_unit_test(test_traps),
		cmocka_unit_test(test_route_pattern_names),
		cmocka_unit_test(test_txn_name_by_pattern),
		cmocka_unit_test(test_call_segments),
		cmocka_unit_test(test_call_names),
		cmocka_unit_test(test_calls_to_itself),
		cmocka_unit_test(test_h2_client_caller),
		cmocka_unit_test(test_go_h2_caller),
		cmocka_unit_test(test_go_h2_caller_polled_end),
	};

	return cmocka_run_group_tests_name("model: requests and calls", tests, NULL, NULL);
}
