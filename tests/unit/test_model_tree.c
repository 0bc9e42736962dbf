/* The model's judgement of segments on synthetic event streams: the tree,
 * leaks with grace (none after a teardown), pending ends, orphans,
 * connections, conflation, what existed before attach, garbage. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>
#include "model_events.h"

/* main thread 1 (pre-attach) runs txn 1 (root seg 2); it creates thread 3,
 * which creates 4, which creates 5: three levels, all in txn 1. */
static void test_tree_depth(void **state)
{
	struct model *m = new_model(500 * MS);
	struct weft_event pre = { .ts_ns = 1, .type = WEFT_EV_SEG_BEGIN, .kind = WEFT_KIND_THREAD,
				  .seg = 1, .flags = WEFT_F_PREATTACH | WEFT_F_NOSTACK };

	model__feed(m, &pre);
	txn_begin(m, 10, 2, 1, 1, 0);
	thread_begin(m, 11, 3, 2, 1, 0xa);
	thread_begin(m, 12, 4, 3, 1, 0xb);
	thread_begin(m, 13, 5, 4, 1, 0xc);
	seg_end(m, 20, 5);
	seg_end(m, 21, 4);
	seg_end(m, 22, 3);
	txn_end(m, 30, 2, 1);
	model__finish(m, 2000 * MS);

	assert_int_equal(model__nr_segments(m), 5);
	assert_int_equal(model__nr_txns(m), 1);
	assert_int_equal(model__txn_at(m, 0)->nr_segments, 3);
	assert_int_equal(model__txn_at(m, 0)->root_seg, 2);
	assert_int_equal(model__segment(m, 5)->parent, 4);
	assert_int_equal(model__segment(m, 4)->parent, 3);
	assert_int_equal(model__segment(m, 3)->parent, 2);
	assert_int_equal(model__segment(m, 2)->kind, WEFT_KIND_TXN);
	assert_int_equal(model__segment(m, 2)->end_ns, 30);
	assert_int_equal(model__segment(m, 5)->site, 0xc);
	assert_int_equal(model__nr_leaks(m), 0);
	assert_int_equal(model__nr_orphans(m), 0); /* pre-attach thread is not an orphan */
	assert_int_equal(model__nr_conflations(m), 0);
	assert_string_equal(model__txn_name(m, model__txn_at(m, 0)), "handle_request");
	model__free(m);
}

/* Txn ends at 100ms. Thread A ends at 150ms (cleanup within grace), thread B
 * never ends, thread C ends at 700ms (past the grace: a leak that ended). */
static void test_leak_grace(void **state)
{
	struct model *m = new_model(500 * MS);

	txn_begin(m, 0, 2, 1, 1, 0);
	thread_begin(m, 1 * MS, 3, 2, 1, 0xa);
	thread_begin(m, 2 * MS, 4, 2, 1, 0xb);
	thread_begin(m, 3 * MS, 5, 2, 1, 0xb);
	txn_end(m, 100 * MS, 2, 1);
	seg_end(m, 150 * MS, 3);
	seg_end(m, 700 * MS, 5);
	model__finish(m, 1000 * MS);

	assert_int_equal(model__segment(m, 3)->state, SEG_ENDED);
	assert_int_equal(model__segment(m, 4)->state, SEG_LEAKED);
	assert_int_equal(model__segment(m, 5)->state, SEG_LEAKED);
	assert_int_equal(model__nr_leaks(m), 1);
	assert_int_equal(model__leak_at(m, 0)->site, 0xb);
	assert_int_equal(model__leak_at(m, 0)->count, 2);
	assert_int_equal(model__leak_at(m, 0)->max_age_ns, 900 * MS);
	assert_int_equal(model__leak_at(m, 0)->nr_txn_names, 1);
	assert_string_equal(model__leak_at(m, 0)->txn_names[0], "handle_request");
	assert_int_equal(model__txn_at(m, 0)->nr_leaked, 2);
	model__free(m);
}

static void pooled(struct model *m, uint64_t ts, uint64_t seg, uint32_t flags)
{
	struct weft_event e = { .ts_ns = ts, .type = WEFT_EV_POOLED, .kind = WEFT_KIND_ASYNC,
				.seg = seg, .flags = flags };

	model__feed(m, &e);
}

/* A Node test file's transaction, ended by the runtime's teardown: no
 * grace. What its code left open is a leak (pooled or not), even when the
 * teardown closes it a moment later; stdio is the runtime's; what was
 * closed before is not a leak; nothing of it is timed as cleanup. */
static void test_teardown_no_grace(void **state)
{
	struct model *m = new_model(500 * MS);
	struct weft_event end = { .ts_ns = 100 * MS, .type = WEFT_EV_TXN_END,
				  .kind = WEFT_KIND_TXN, .seg = 2, .txn = 1,
				  .flags = WEFT_F_TEARDOWN };

	txn_begin(m, 0, 2, 0, 1, 0);
	ev(m, WEFT_EV_SEG_BEGIN, WEFT_KIND_ASYNC, 1 * MS, 3, 2, 1, 0xa); /* closed in time */
	ev(m, WEFT_EV_SEG_BEGIN, WEFT_KIND_ASYNC, 2 * MS, 4, 2, 1, 0xb); /* left open */
	ev(m, WEFT_EV_SEG_BEGIN, WEFT_KIND_ASYNC, 3 * MS, 5, 2, 1, 0xc); /* unref'd (pooled) */
	ev(m, WEFT_EV_SEG_BEGIN, WEFT_KIND_ASYNC, 4 * MS, 6, 2, 1, 0xd); /* stdout */
	pooled(m, 5 * MS, 5, 0);
	pooled(m, 6 * MS, 6, WEFT_F_STDIO);
	ev(m, WEFT_EV_SEG_END, WEFT_KIND_ASYNC, 50 * MS, 3, 0, 0, 0);
	model__feed(m, &end);
	ev(m, WEFT_EV_SEG_END, WEFT_KIND_ASYNC, 101 * MS, 4, 0, 0, 0); /* the teardown closes */
	ev(m, WEFT_EV_SEG_END, WEFT_KIND_ASYNC, 101 * MS, 6, 0, 0, 0);
	model__finish(m, 102 * MS); /* the process exits: within any grace */

	assert_true(model__txn_at(m, 0)->teardown);
	assert_int_equal(model__segment(m, 3)->state, SEG_ENDED);
	assert_int_equal(model__segment(m, 4)->state, SEG_LEAKED);
	assert_int_equal(model__segment(m, 5)->state, SEG_LEAKED);
	assert_int_equal(model__segment(m, 6)->state, SEG_ENDED);
	assert_int_equal(model__txn_at(m, 0)->nr_leaked, 2);
	assert_int_equal(model__nr_late(m), 0);
	model__free(m);
}

/* Capture ends 200ms after the txn: alive segments are pending, not leaks;
 * finishing later turns them into leaks. */
static void test_pending(void **state)
{
	struct model *m = new_model(500 * MS);

	txn_begin(m, 0, 2, 1, 1, 0);
	thread_begin(m, 1 * MS, 3, 2, 1, 0xa);
	txn_end(m, 100 * MS, 2, 1);
	model__finish(m, 300 * MS);
	assert_int_equal(model__segment(m, 3)->state, SEG_PENDING);
	assert_int_equal(model__nr_leaks(m), 0);
	model__finish(m, 601 * MS);
	assert_int_equal(model__segment(m, 3)->state, SEG_LEAKED);
	assert_int_equal(model__nr_leaks(m), 1);
	assert_int_equal(model__txn_at(m, 0)->nr_leaked, 1);
	model__free(m);
}

static void test_orphans(void **state)
{
	struct model *m = new_model(500 * MS);

	thread_begin(m, 1, 3, 1, 0, 0xa);
	thread_begin(m, 2, 4, 1, 0, 0xa);
	thread_begin(m, 3, 5, 1, 0, 0xb);
	txn_begin(m, 4, 6, 1, 1, 0);
	thread_begin(m, 5, 7, 6, 1, 0xc);
	txn_end(m, 6, 6, 1);
	seg_end(m, 7, 7);
	model__finish(m, 10);
	assert_int_equal(model__nr_orphans(m), 2);
	assert_int_equal(model__orphan_at(m, 0)->site, 0xa);
	assert_int_equal(model__orphan_at(m, 0)->count, 2);
	assert_int_equal(model__orphan_at(m, 1)->count, 1);
	model__free(m);

	/* No transactions traced: nothing is an orphan. */
	struct model_opts o = { .leak_grace_ns = 1 };

	m = model__new(&o);
	thread_begin(m, 1, 3, 1, 0, 0xa);
	model__finish(m, 10);
	assert_int_equal(model__nr_orphans(m), 0);
	model__free(m);
}

static const char *conn_site_0xa(void *ctx, const struct segment *s)
{
	(void)ctx;
	return s->site == 0xa ? "test server" : NULL;
}

/* A server's accept loop (site 0xa) starts connection 3, which starts 4
 * outside any request (the connection's too) and runs txn 1, in which it
 * starts 6 (the request's); 5 (site 0xb) is an orphan. */
static void test_conns(void **state)
{
	struct model_opts o = { .leak_grace_ns = 500 * MS, .txns_traced = true,
				.serves_conn = conn_site_0xa };
	struct model *m = model__new(&o);

	(void)state;
	thread_begin(m, 1, 3, 1, 0, 0xa);
	thread_begin(m, 2, 4, 3, 0, 0xc);
	thread_begin(m, 3, 5, 1, 0, 0xb);
	txn_begin(m, 4, 10, 4, 1, 0);
	thread_begin(m, 5, 6, 10, 1, 0xd);
	txn_end(m, 6, 10, 1);
	seg_end(m, 7, 6);
	model__finish(m, 10);
	assert_int_equal(model__nr_orphans(m), 1);
	assert_int_equal(model__orphan_at(m, 0)->site, 0xb);
	assert_int_equal(model__nr_conns(m), 2);
	for (size_t i = 0; i < 2; i++) {
		assert_string_equal(model__conn_at(m, i)->conn, "test server");
		assert_int_equal(model__conn_at(m, i)->count, 1);
	}
	assert_null(model__segment(m, 6)->conn);
	assert_null(model__segment(m, 5)->conn);
	assert_string_equal(model__segment(m, 4)->conn, "test server");
	model__free(m);
}

/* Node HTTP/2: a transaction begun unnamed, named by a later TXN_BEGIN
 * (WEFT_F_H2NAME) that adds nothing else; a rename of an unknown txn is
 * dropped. Segments flagged WEFT_F_CONN are connections, not orphans. */
static void test_h2_name_and_connections(void **state)
{
	struct model *m = new_model(500 * MS);
	struct weft_event e = { .ts_ns = 11, .type = WEFT_EV_TXN_BEGIN, .kind = WEFT_KIND_TXN,
				.seg = 2, .txn = 1, .probe = P_TXN, .flags = WEFT_F_H2NAME };
	struct weft_event c = { .ts_ns = 5, .type = WEFT_EV_SEG_BEGIN, .kind = WEFT_KIND_ASYNC,
				.seg = 7, .site = 13, .flags = WEFT_F_CONN | WEFT_F_NOSTACK };

	model__feed(m, &c);
	c.seg = 8;
	c.flags = WEFT_F_NOSTACK; /* an orphan */
	model__feed(m, &c);
	txn_begin(m, 10, 2, 0, 1, 0);
	snprintf(e.name, sizeof(e.name), "GET /ok");
	model__feed(m, &e);
	e.txn = 9; /* its begin was lost */
	snprintf(e.name, sizeof(e.name), "GET /lost");
	model__feed(m, &e);
	txn_end(m, 20, 2, 1);
	model__finish(m, 2000 * MS);

	assert_int_equal(model__nr_txns(m), 1);
	assert_string_equal(model__txn_name(m, model__txn_at(m, 0)), "GET /ok");
	assert_int_equal(model__txn_at(m, 0)->begin_ns, 10);
	assert_int_equal(model__nr_segments(m), 3);
	assert_int_equal(model__nr_conns(m), 1);
	assert_int_equal(model__conn_at(m, 0)->count, 1);
	assert_int_equal(model__nr_orphans(m), 1);
	model__free(m);
	(void)state;
}

/* Txn 2 begins inside txn 1's context while 1 is live; txn 3 begins in the
 * context of txn 1 after it ended (a server created inside an old request). */

static void test_conflation(void **state)
{
	struct model *m = new_model(500 * MS);

	txn_begin(m, 10, 2, 1, 1, 0);
	thread_begin(m, 11, 3, 2, 1, 0xa);
	txn_begin(m, 12, 4, 3, 2, 1);
	txn_end(m, 13, 4, 2);
	txn_end(m, 14, 2, 1);
	txn_begin(m, 15, 5, 3, 3, 1);
	txn_end(m, 16, 5, 3);
	model__finish(m, 20);
	assert_int_equal(model__nr_conflations(m), 2);
	assert_int_equal(model__conflation_at(m, 0)->id, 2);
	assert_int_equal(model__conflation_at(m, 0)->outer_txn, 1);
	assert_false(model__conflation_at(m, 0)->outer_ended);
	assert_int_equal(model__conflation_at(m, 1)->id, 3);
	assert_true(model__conflation_at(m, 1)->outer_ended);
	model__free(m);
}

/* A segment that existed before attach is never a transaction's leak. */
static void test_preattach_not_leak(void **state)
{
	struct model *m = new_model(1);
	struct weft_event pre = { .ts_ns = 1, .type = WEFT_EV_SEG_BEGIN, .kind = WEFT_KIND_TASK,
				  .seg = 9, .txn = 1, .flags = WEFT_F_PREATTACH };

	txn_begin(m, 0, 2, 1, 1, 0);
	model__feed(m, &pre);
	txn_end(m, 5, 2, 1);
	model__finish(m, 1000);
	assert_int_equal(model__nr_leaks(m), 0);
	assert_int_equal(model__segment(m, 9)->state, SEG_LIVE);
	model__free(m);
}

/* Duplicate ids and events for unknown segments are ignored, not fatal. */
static void test_garbage(void **state)
{
	struct model *m = new_model(1);

	seg_end(m, 1, 77);
	txn_end(m, 2, 3, 42);
	thread_begin(m, 3, 5, 0, 0, 0);
	thread_begin(m, 4, 5, 0, 0, 0);
	ev(m, 999, 0, 5, 5, 0, 0, 0);
	model__finish(m, 10);
	assert_int_equal(model__nr_segments(m), 1);
	assert_int_equal(model__nr_events(m), 5);
	model__free(m);
}

/* --go-lean: an end polled from the process may arrive before its
 * SEG_BEGIN (the BPF map entry is made before the event is sent), and may
 * be stamped before the begin: it still ends that segment, at its begin. A
 * plain SEG_END for an unknown segment is dropped. */
static void test_polled_end_before_begin(void **state)
{
	struct model *m = new_model(500 * MS);
	struct weft_event e = { .ts_ns = 100 * MS, .type = WEFT_EV_SEG_END,
				.kind = WEFT_KIND_GOROUTINE, .seg = 3, .flags = WEFT_F_POLLED };

	txn_begin(m, 0, 2, 1, 1, 0);
	model__feed(m, &e);
	e.seg = 4;
	e.flags = 0;
	model__feed(m, &e);
	ev(m, WEFT_EV_SEG_BEGIN, WEFT_KIND_GOROUTINE, 120 * MS, 3, 2, 1, 0xa);
	ev(m, WEFT_EV_SEG_BEGIN, WEFT_KIND_GOROUTINE, 130 * MS, 4, 2, 1, 0xa);
	txn_end(m, 200 * MS, 2, 1);
	model__finish(m, 1000 * MS);
	assert_int_equal(model__segment(m, 3)->state, SEG_ENDED);
	assert_int_equal(model__segment(m, 3)->end_ns, 120 * MS);
	assert_int_equal(model__segment(m, 4)->state, SEG_LEAKED);
	assert_int_equal(model__nr_leaks(m), 1);
	model__free(m);
}

static void gstate_at_exit(struct model *m, uint64_t ts, uint64_t seg, uint32_t evidence,
			   uint64_t timer_ns)
{
	struct weft_event e = { .ts_ns = ts, .type = WEFT_EV_GSTATE, .kind = WEFT_KIND_GOROUTINE,
				.seg = seg, .flags = WEFT_F_ATEXIT | 4 /* waiting */,
				.probe = evidence, .txn = timer_ns };

	model__feed(m, &e);
}

/* Alive at an exit 100ms after their transaction (grace 500ms): judged by
 * what the read at the exit found; nothing read: not judged. A segment of
 * a transaction that ended before the grace stays a leak by the grace. */
static void test_judged_at_exit(void **state)
{
	struct model *m = new_model(500 * MS);

	txn_begin(m, 0, 2, 1, 1, 0);
	for (uint64_t seg = 3; seg <= 8; seg++)
		thread_begin(m, 1 * MS, seg, 2, 1, 0xa0 + seg);
	txn_end(m, 600 * MS, 2, 1);
	txn_begin(m, 0, 10, 1, 2, 0);
	thread_begin(m, 1 * MS, 11, 10, 2, 0xb0);
	txn_end(m, 1 * MS, 10, 2); /* long before the exit */
	gstate_at_exit(m, 700 * MS, 3, WEFT_EXIT_RUNNING, 0);
	gstate_at_exit(m, 700 * MS, 4, WEFT_EXIT_BLOCKED, 0);
	gstate_at_exit(m, 700 * MS, 5, WEFT_EXIT_TIMER, 50 * MS);   /* fires at 750: within */
	gstate_at_exit(m, 700 * MS, 6, WEFT_EXIT_TIMER, 3600000 * MS);
	gstate_at_exit(m, 700 * MS, 7, WEFT_EXIT_TIMER, 0);	   /* when unknown */
	gstate_at_exit(m, 700 * MS, 11, WEFT_EXIT_RUNNING, 0);
	model__finish(m, 700 * MS);

	assert_int_equal(model__segment(m, 3)->state, SEG_PENDING);
	assert_int_equal(model__segment(m, 3)->rule, RULE_RUNNING);
	assert_int_equal(model__segment(m, 4)->state, SEG_LEAKED);
	assert_int_equal(model__segment(m, 4)->rule, RULE_BLOCKED);
	assert_int_equal(model__segment(m, 5)->state, SEG_PENDING);
	assert_int_equal(model__segment(m, 5)->rule, RULE_TIMER_SOON);
	assert_int_equal(model__segment(m, 6)->state, SEG_LEAKED);
	assert_int_equal(model__segment(m, 6)->rule, RULE_TIMER_LATE);
	assert_int_equal(model__segment(m, 7)->state, SEG_PENDING);
	assert_int_equal(model__segment(m, 7)->rule, RULE_NONE);
	assert_int_equal(model__segment(m, 8)->state, SEG_PENDING); /* nothing read */
	assert_int_equal(model__segment(m, 8)->rule, RULE_NONE);
	assert_int_equal(model__segment(m, 11)->state, SEG_LEAKED);
	assert_int_equal(model__segment(m, 11)->rule, RULE_GRACE);
	assert_int_equal(model__txn_at(m, 0)->nr_leaked, 2);
	assert_int_equal(model__nr_leaks(m), 3);
	assert_string_equal(model__rule_name(RULE_BLOCKED), "blocked at exit");
	model__free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tree_depth),
		cmocka_unit_test(test_leak_grace),
		cmocka_unit_test(test_pending),
		cmocka_unit_test(test_orphans),
		cmocka_unit_test(test_conns),
		cmocka_unit_test(test_conflation),
		cmocka_unit_test(test_h2_name_and_connections),
		cmocka_unit_test(test_preattach_not_leak),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_polled_end_before_begin),
		cmocka_unit_test(test_teardown_no_grace),
		cmocka_unit_test(test_judged_at_exit),
	};

	return cmocka_run_group_tests_name("model: tree, leaks, orphans, conflation", tests, NULL,
					   NULL);
}
