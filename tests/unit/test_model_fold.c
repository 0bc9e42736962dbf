/* Long captures: finished transactions folded into per-name totals and
 * dropped; what can still change a verdict kept whole. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "model_events.h"
#include "profile_agg.h"

static struct model *fold_model(size_t keep)
{
	struct model_opts o = { .leak_grace_ns = 10 * MS, .txns_traced = true, .fold_keep = keep };

	o.probe_names[P_TXN] = "handle_request";
	return model__new(&o);
}

/* Request i: begins at i ms, lasts i % 10 + 1 ms, makes a thread that ends
 * with it. Ids: txn i, root 10000 + i, thread 20000 + i. */
static void request(struct model *m, uint64_t i)
{
	uint64_t t0 = i * MS, d = (i % 10 + 1) * MS;

	txn_begin(m, t0, 10000 + i, 0, i, 0);
	thread_begin(m, t0 + 1, 20000 + i, 10000 + i, i, 0x2000);
	seg_end(m, t0 + d - 1, 20000 + i);
	txn_end(m, t0 + d, 10000 + i, i);
}

static uint64_t count_named(const struct model *m, const char *name)
{
	const struct txn_fold *f = model__fold_named(m, name);
	uint64_t n = f ? f->count : 0;

	for (size_t i = 0; i < model__nr_txns(m); i++)
		n += !strcmp(model__txn_name(m, model__txn_at(m, i)), name);
	return n;
}

/* 1000 requests, keep 100: most are folded; counts, segments and the
 * duration quantiles survive; the slowest stays whole (the printed tree);
 * nothing within its grace is folded. */
static void test_fold_counts(void **state)
{
	struct model *m = fold_model(100);
	uint64_t now = 0;

	for (uint64_t i = 1; i <= 1000; i++) {
		request(m, i);
		now = i * MS + 11 * MS;
		model__compact(m, now);
	}
	model__finish(m, now);
	assert_true(model__nr_folded_txns(m) > 800);
	assert_int_equal(model__nr_folded_txns(m) + model__nr_txns(m), 1000);
	assert_int_equal(count_named(m, "handle_request"), 1000);
	assert_int_equal(model__nr_folds(m), 1);
	assert_int_equal(model__fold_at(m, 0)->segments, model__nr_folded_txns(m));
	/* each folded transaction's root and thread are gone from memory */
	assert_int_equal(model__nr_folded_segments(m), 2 * model__nr_folded_txns(m));
	assert_int_equal(model__nr_segments(m), 2 * model__nr_txns(m));
	/* durations 1..10 ms evenly: p50 5 ms, p99 10 ms, within a bucket */
	assert_in_range(model__txn_quantile(m, "handle_request", 0.5), 4800 * 1000, 5200 * 1000);
	assert_in_range(model__txn_quantile(m, "handle_request", 0.99), 9700 * 1000,
			10300 * 1000);
	/* within the grace at the last compact: whole */
	for (uint64_t i = 995; i <= 1000; i++)
		assert_non_null(model__txn(m, i));
	/* the slowest (10 ms) still there */
	{
		bool slowest = false;

		for (size_t i = 0; i < model__nr_txns(m); i++) {
			const struct txn *t = model__txn_at(m, i);

			slowest |= t->end_ns - t->begin_ns == 10 * MS && t->id < 990;
		}
		assert_true(slowest);
	}
	model__free(m);
}

/* A transaction with a continuation alive (a leak), a conflation and the
 * transaction it began in: never folded. An ended orphan is dropped but
 * still counted in its group. */
static void test_fold_keeps_verdicts(void **state)
{
	struct model *m = fold_model(100);
	uint64_t now;

	txn_begin(m, 1 * MS, 5001, 0, 5000, 0);
	thread_begin(m, 1 * MS + 1, 5002, 5001, 5000, 0x3000); /* never ends */
	txn_end(m, 2 * MS, 5001, 5000);
	txn_begin(m, 3 * MS, 6001, 0, 6000, 0);
	thread_begin(m, 3 * MS + 1, 6002, 6001, 6000, 0x3100); /* carries 6000's context */
	txn_begin(m, 4 * MS, 7001, 6002, 7000, 6000);	       /* began inside 6000 */
	seg_end(m, 5 * MS, 6002);
	txn_end(m, 6 * MS, 7001, 7000);
	txn_end(m, 7 * MS, 6001, 6000);
	thread_begin(m, 8 * MS, 8002, 0, 0, 0x4000); /* an orphan */
	seg_end(m, 9 * MS, 8002);
	for (uint64_t i = 10; i <= 400; i++)
		request(m, i);
	now = 500 * MS;
	model__compact(m, now);
	model__finish(m, now);
	assert_true(model__nr_folded_txns(m) >= 380);
	assert_non_null(model__txn(m, 5000));
	assert_int_equal(model__txn(m, 5000)->nr_leaked, 1);
	assert_int_equal(model__nr_leaks(m), 1);
	assert_non_null(model__txn(m, 6000));
	assert_non_null(model__txn(m, 7000));
	assert_int_equal(model__nr_conflations(m), 1);
	assert_null(model__segment(m, 8002));
	assert_int_equal(model__nr_orphans(m), 1);
	assert_int_equal(model__orphan_at(m, 0)->site, 0x4000);
	assert_int_equal(model__orphan_at(m, 0)->count, 1);
	model__free(m);
}

/* Under the limit, or with a profile's samples, nothing is folded. */
static void test_fold_off(void **state)
{
	struct model *m = fold_model(0);

	for (uint64_t i = 1; i <= 300; i++)
		request(m, i);
	model__compact(m, 1000 * MS);
	assert_int_equal(model__nr_txns(m), 300);
	model__free(m);
	m = fold_model(1000);
	for (uint64_t i = 1; i <= 300; i++)
		request(m, i);
	model__compact(m, 1000 * MS);
	assert_int_equal(model__nr_folded_txns(m), 0);
	model__free(m);
}

static void sample(struct model *m, uint64_t ts, uint64_t txn, uint64_t pc)
{
	struct weft_event e = { .ts_ns = ts, .type = WEFT_EV_SAMPLE, .txn = txn, .nr_frames = 2 };

	e.frames[0] = pc;
	e.frames[1] = 0x5000;
	model__feed(m, &e);
}

static void take(void *ctx, const struct sample *s, const struct txn *t)
{
	struct profile_agg *a = ctx;

	profile_agg__add(a, t ? "handle_request" : s->txn ? "(unknown)" : "(none)", s->stack,
			 false, s->off_cpu, s->weight_ns);
}

static uint64_t agg_samples(const struct profile_agg *a, const char *name)
{
	uint64_t n = 0;

	for (size_t i = 0; i < a->nr_rows; i++)
		n += strcmp(a->names[a->rows[i].name], name) ? 0 : a->rows[i].v[0];
	return n;
}

/* weft agent: samples leave with their exported transactions (into the
 * interval's aggregate), so transactions are folded under -F too. Each
 * request has 2 samples at one of 2 stacks, and one outside any; one
 * sample names a transaction never begun (settled after 2 ms). */
static void test_fold_agent_samples(void **state)
{
	struct model_opts o = { .leak_grace_ns = 10 * MS, .txns_traced = true, .fold_keep = 100,
				.fold_exported_only = true, .sample_period_ns = MS };
	struct model *m;
	struct profile_agg a = { 0 };
	uint64_t now = 0;

	o.probe_names[P_TXN] = "handle_request";
	m = model__new(&o);
	sample(m, 1, 99999, 0x7000);
	for (uint64_t i = 1; i <= 1000; i++) {
		request(m, i);
		sample(m, i * MS + 2, i, 0x3000 + (i & 1));
		sample(m, i * MS + 3, i, 0x3000 + (i & 1));
		sample(m, i * MS + 4, 0, 0x6000);
		now = i * MS + 11 * MS;
		model__finish(m, now);
		for (size_t j = 0; j < model__nr_txns(m); j++) {
			const struct txn *t = model__txn_at(m, j);

			if (t->end_ns && t->end_ns + 10 * MS <= now && !t->exported)
				model__set_exported(m, j);
		}
		model__take_samples(m, now, 2 * MS, false, take, &a);
		model__compact(m, now);
	}
	assert_true(model__nr_folded_txns(m) > 800);
	/* what is left: the samples of the transactions not exported yet */
	assert_true(model__nr_samples(m) > 0 && model__nr_samples(m) <= 2 * 12);
	for (size_t i = 0; i < model__nr_samples(m); i++)
		assert_false(model__txn(m, model__sample_at(m, i)->txn)->exported);
	{
		size_t left = model__nr_samples(m);

		assert_int_equal(model__take_samples(m, now, 0, true, take, &a), left);
	}
	assert_int_equal(model__nr_samples(m), 0);
	assert_int_equal(agg_samples(&a, "handle_request"), 2000);
	assert_int_equal(agg_samples(&a, "(none)"), 1000);
	assert_int_equal(agg_samples(&a, "(unknown)"), 1);
	assert_int_equal(a.nr_names, 3);
	assert_int_equal(a.nr_rows, 4); /* 2 stacks in requests, 1 outside, 1 unknown */
	assert_int_equal(a.samples, 3001);
	profile_agg__reset(&a);
	assert_int_equal(a.nr_rows + a.nr_names + a.samples, 0);
	model__free(m);
	profile_agg__free(&a);
}

/* weft agent: a leaked continuation folded out with its exported
 * transaction still counts as alive, until its end arrives. 40 requests,
 * every 5th thread leaks; they all end at last. */
static size_t live_threads(const struct model *m)
{
	size_t n = model__folded_live(m, WEFT_KIND_THREAD);

	for (size_t i = 0; i < model__nr_segments(m); i++) {
		const struct segment *s = model__segment_at(m, i);

		n += s->kind == WEFT_KIND_THREAD && !s->end_ns;
	}
	return n;
}

static void test_fold_agent_live(void **state)
{
	struct model_opts o = { .leak_grace_ns = 10 * MS, .txns_traced = true, .fold_keep = 10,
				.fold_exported_only = true };
	struct model *m;
	uint64_t now = 0;

	o.probe_names[P_TXN] = "handle_request";
	m = model__new(&o);
	for (uint64_t i = 1; i <= 40; i++) {
		uint64_t t0 = i * MS;

		txn_begin(m, t0, 10000 + i, 0, i, 0);
		thread_begin(m, t0 + 1, 20000 + i, 10000 + i, i, 0x2000);
		if (i % 5)
			seg_end(m, t0 + 2, 20000 + i);
		txn_end(m, t0 + 3, 10000 + i, i);
		now = t0 + 20 * MS;
		model__finish(m, now);
		for (size_t j = 0; j < model__nr_txns(m); j++)
			if (model__txn_at(m, j)->end_ns && !model__txn_at(m, j)->exported)
				model__set_exported(m, j);
		model__compact(m, now);
	}
	assert_true(model__folded_live(m, WEFT_KIND_THREAD) >= 4);
	assert_int_equal(live_threads(m), 8);
	for (uint64_t i = 5; i <= 40; i += 5)
		seg_end(m, now + i, 20000 + i);
	assert_int_equal(model__folded_live(m, WEFT_KIND_THREAD), 0);
	assert_int_equal(live_threads(m), 0);
	seg_end(m, now + 50, 20005); /* twice: counted once */
	assert_int_equal(model__folded_live(m, WEFT_KIND_THREAD), 0);
	model__free(m);
}

static void test_buckets(void **state)
{
	for (uint64_t v = 1; v < (1ULL << 40); v = v * 3 + 1) {
		uint64_t got = fold__value(fold__bucket(v));

		assert_true(fold__bucket(v) < FOLD_BUCKETS);
		assert_true(got >= v - v / 16 && got <= v + v / 16);
	}
	assert_true(fold__bucket(UINT64_MAX) < FOLD_BUCKETS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fold_counts),
		cmocka_unit_test(test_fold_keeps_verdicts),
		cmocka_unit_test(test_fold_off),
		cmocka_unit_test(test_fold_agent_samples),
		cmocka_unit_test(test_fold_agent_live),
		cmocka_unit_test(test_buckets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
