/* weft top's snapshot, on synthetic event streams: rows per transaction
 * name (count, rate over the last refresh, p50/p99, live, leaked), live
 * continuations per creation site with their growth per minute and the
 * "only grows" mark, the header's rates, sorting, and the lines drawn. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "model.h"
#include "opts.h"
#include "top.h"

#define MS 1000000ULL
#define S 1000000000ULL
#define P_TXN 7 /* a spec probe index */

struct fixture {
	struct model *m;
	struct symtab *st;
	struct record_meta meta;
	struct report r;
	struct top_state top;
	uint64_t next_seg;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct model_opts o = { .leak_grace_ns = 500 * MS, .txns_traced = true };
	struct sym leak = { .addr = 0xa0, .func = "leak_spawn", .file = "srv.c", .line = 40,
			    .module = "/srv" };
	struct sym leak_main = { .addr = 0xb00, .func = "leak_main", .file = "srv.c", .line = 10,
				 .module = "/srv" };

	o.probe_names[P_TXN] = "handle_request";
	f->m = model__new(&o);
	f->st = symtab__new();
	symtab__add(f->st, &leak);
	symtab__add(f->st, &leak_main);
	f->meta.pid = 4242;
	snprintf(f->meta.exe, sizeof(f->meta.exe), "/srv");
	f->meta.start_ns = 1 * S;
	f->meta.leak_grace_ns = 500 * MS;
	f->r = (struct report){ f->m, f->st, &f->meta, NULL };
	f->next_seg = 100;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	top__free(&f->top);
	model__free(f->m);
	symtab__free(f->st);
	free(f);
	return 0;
}

static void feed(struct fixture *f, uint32_t type, uint32_t kind, uint64_t ts, uint64_t seg,
		 uint64_t parent, uint64_t txn, uint64_t site, uint64_t start, const char *name)
{
	struct weft_event e = { .ts_ns = ts, .type = type, .kind = kind, .seg = seg,
				.parent = parent, .txn = txn, .probe = P_TXN, .site = start };

	if (site) {
		e.frames[0] = site;
		e.nr_frames = 1;
	}
	if (name)
		snprintf(e.name, sizeof(e.name), "%s", name);
	model__feed(f->m, &e);
}

/* A transaction from ts to ts + dur (named name, NULL: its probe's), that
 * leaves a thread at leak_site alive (0: none). Returns its root segment. */
static uint64_t txn(struct fixture *f, uint64_t id, uint64_t ts, uint64_t dur, const char *name,
		    uint64_t leak_site)
{
	uint64_t root = f->next_seg++;

	feed(f, WEFT_EV_TXN_BEGIN, WEFT_KIND_TXN, ts, root, 0, id, name ? 0 : 0x1000, 0,
	     name); /* a name and frames share the event's union */
	if (leak_site)
		feed(f, WEFT_EV_SEG_BEGIN, WEFT_KIND_THREAD, ts + 1, f->next_seg++, root, id,
		     leak_site, 0xb00, NULL);
	if (dur)
		feed(f, WEFT_EV_TXN_END, WEFT_KIND_TXN, ts + dur, root, 0, id, 0, 0, NULL);
	return root;
}

static void refresh(struct fixture *f, uint64_t now)
{
	f->meta.end_ns = now;
	model__finish(f->m, now);
	assert_int_equal(top__update(&f->top, &f->r, now), 0);
}

static const struct top_txn_row *txn_row(const struct top_snapshot *s, const char *name)
{
	for (size_t i = 0; i < s->nr_txns; i++)
		if (!strcmp(s->txns[i].name, name))
			return &s->txns[i];
	fail_msg("no row %s", name);
	return NULL;
}

static const struct top_site_row *site_row(const struct top_snapshot *s, uint64_t site)
{
	for (size_t i = 0; i < s->nr_sites; i++)
		if (s->sites[i].site == site)
			return &s->sites[i];
	fail_msg("no site row %#lx", (unsigned long)site);
	return NULL;
}

/* Three refreshes a second apart; a transaction each 500 ms leaks a
 * thread at leak_spawn; pings end and leave nothing. */
static void test_rows_rates_growth(void **state)
{
	struct fixture *f = *state;
	const struct top_snapshot *s = &f->top.snap;
	const struct top_txn_row *t;
	const struct top_site_row *g;
	uint64_t id = 1;

	/* first second: 2 handle_request (10 ms, 20 ms), each leaking; 4 pings */
	txn(f, id++, 1 * S + 100 * MS, 10 * MS, NULL, 0xa0);
	txn(f, id++, 1 * S + 200 * MS, 20 * MS, NULL, 0xa0);
	for (int i = 0; i < 4; i++)
		txn(f, id++, 1 * S + (300 + 100 * i) * MS, 1 * MS, "ping", 0);
	f->meta.hits[WEFT_PROBE_THREAD] = 1000; /* tracepoints: not traps */
	f->meta.hits[WEFT_PROBE_USER] = 12;
	f->meta.hits[P_TXN] = 4;
	f->meta.lost = 3;
	f->meta.evicted = 2;
	refresh(f, 2 * S);

	assert_int_equal(s->pid, 4242);
	assert_string_equal(s->exe, "/srv");
	assert_int_equal(s->uptime_ns, 1 * S);
	assert_int_equal(s->traps, 16);
	assert_true(s->traps_per_s > 15.9 && s->traps_per_s < 16.1);
	assert_int_equal(s->lost, 3);
	assert_int_equal(s->evicted, 2);
	assert_int_equal(s->events, model__nr_events(f->m));
	assert_int_equal(s->nr_txns, 2);
	/* sorted by count: ping first */
	assert_string_equal(s->txns[0].name, "ping");
	t = txn_row(s, "handle_request");
	assert_int_equal(t->count, 2);
	assert_true(t->rate > 1.99 && t->rate < 2.01);
	assert_int_equal(t->p50_ns, 10 * MS);
	assert_int_equal(t->p99_ns, 20 * MS);
	assert_int_equal(t->live, 0);
	assert_int_equal(t->leaked, 2);
	t = txn_row(s, "ping");
	assert_int_equal(t->count, 4);
	assert_int_equal(t->leaked, 0);
	assert_int_equal(s->nr_sites, 1);
	g = site_row(s, 0xa0);
	assert_int_equal(g->live, 2);
	assert_int_equal(g->leaked, 2);
	assert_string_equal(g->name, "leak_spawn (srv.c:40) -> leak_main");
	assert_true(g->growth == 0 && !g->growing); /* one count: no history yet */

	/* second 2: one more leaking request, still open at the refresh */
	txn(f, id++, 2 * S + 100 * MS, 0, NULL, 0xa0);
	f->meta.hits[P_TXN] = 5;
	refresh(f, 3 * S);
	t = txn_row(s, "handle_request");
	assert_int_equal(t->count, 3);
	assert_true(t->rate > 0.99 && t->rate < 1.01);
	assert_int_equal(t->live, 1);
	assert_int_equal(t->leaked, 2); /* the open one's thread is not a leak */
	t = txn_row(s, "ping");
	assert_true(t->rate == 0);
	assert_true(s->traps_per_s > 0.99 && s->traps_per_s < 1.01);
	g = site_row(s, 0xa0);
	assert_int_equal(g->live, 3);
	assert_int_equal(g->leaked, 2);
	assert_true(g->growth > 59.9 && g->growth < 60.1); /* +1 in 1 s */
	assert_false(g->growing);			  /* one rise only */

	/* second 3: one more: 2 rises, no fall: a leak in progress */
	txn(f, id++, 3 * S + 100 * MS, 5 * MS, NULL, 0xa0);
	refresh(f, 4 * S);
	g = site_row(s, 0xa0);
	assert_int_equal(g->live, 4);
	assert_true(g->growth > 59.9 && g->growth < 60.1); /* 2 -> 4 in 2 s */
	assert_true(g->growing);
	t = txn_row(s, "handle_request");
	assert_int_equal(t->count, 4);
	assert_int_equal(t->live, 1);	/* request 3 still open */
	assert_int_equal(t->leaked, 3); /* request 4 ended at 3.105 s: leaked at 3.605 s */
	assert_int_equal(t->p50_ns, 10 * MS);
}

/* A site whose count falls once is not growing; one gone is dropped. */
static void test_growth_rules(void **state)
{
	struct top_hist h = { 0 };
	bool growing;
	uint64_t live[] = { 5, 6, 7, 6, 8 };

	(void)state;
	for (int i = 0; i < 5; i++) {
		h.ts[i] = (uint64_t)i * S;
		h.live[i] = live[i];
	}
	h.n = 5;
	assert_true(top__growth(&h, &growing) == 45.0); /* 5 -> 8 in 4 s */
	assert_false(growing);
	h.live[3] = 7; /* 5 6 7 7 8: never falls, rose 3 times */
	top__growth(&h, &growing);
	assert_true(growing);
	h.n = 2; /* 5 6: one rise is a step, not a trend */
	top__growth(&h, &growing);
	assert_false(growing);
	for (int i = 0; i < 5; i++)
		h.live[i] = 3; /* flat: a pool, not a leak */
	h.n = 5;
	assert_true(top__growth(&h, &growing) == 0);
	assert_false(growing);
}

/* The history is a ring of TOP_HISTORY refreshes: the growth is over the
 * last minute only. */
static void test_history_window(void **state)
{
	struct fixture *f = *state;
	const struct top_site_row *g;
	uint64_t id = 1;

	/* 70 refreshes: a leak per second for 10 s, then flat for 60 s */
	for (int i = 0; i < 70; i++) {
		if (i < 10)
			txn(f, id++, (1 + i) * S + 100 * MS, 1 * MS, NULL, 0xa0);
		refresh(f, (2 + i) * S);
	}
	g = site_row(&f->top.snap, 0xa0);
	assert_int_equal(g->live, 10);
	assert_true(g->growth == 0);
	assert_false(g->growing);
}

static void test_sort_and_lines(void **state)
{
	struct fixture *f = *state;
	struct top_snapshot *s = &f->top.snap;
	char buf[512];

	txn(f, 1, 1 * S + 1 * MS, 50 * MS, NULL, 0xa0);
	txn(f, 2, 1 * S + 2 * MS, 1 * MS, "ping", 0);
	txn(f, 3, 1 * S + 3 * MS, 1 * MS, "ping", 0);
	txn(f, 4, 1 * S + 4 * MS, 0, "zzz", 0xc0); /* open: its thread is live, not leaked */
	refresh(f, 2 * S);
	assert_int_equal(s->nr_txns, 3);
	assert_string_equal(s->txns[0].name, "ping"); /* count */
	s->txn_sort = TXN_SORT_P50;
	top__sort(s);
	assert_string_equal(s->txns[0].name, "handle_request");
	assert_string_equal(s->txns[2].name, "zzz"); /* none ended: p50 0 */
	s->txn_sort = TXN_SORT_NAME;
	top__sort(s);
	assert_string_equal(s->txns[0].name, "handle_request");
	assert_string_equal(s->txns[1].name, "ping");
	s->txn_sort = TXN_SORT_LIVE;
	top__sort(s);
	assert_string_equal(s->txns[0].name, "zzz");
	assert_string_equal(top__txn_sort_name(TXN_SORT_P99), "p99");
	assert_string_equal(top__site_sort_name(SITE_SORT_GROWTH), "growth");

	assert_int_equal(s->nr_sites, 2);
	s->site_sort = SITE_SORT_LEAKED;
	top__sort(s);
	assert_int_equal(s->sites[0].site, 0xa0);
	assert_int_equal(s->sites[0].leaked, 1);
	assert_int_equal(s->sites[1].site, 0xc0);
	assert_string_equal(s->sites[1].name, "0xc0 -> leak_main");
	s->site_sort = SITE_SORT_NAME;
	top__sort(s);
	assert_int_equal(s->sites[0].site, 0xc0); /* "0xc0" < "leak_spawn" */

	top_view__txn_line(txn_row(s, "zzz"), buf, sizeof(buf));
	assert_non_null(strstr(buf, "zzz"));
	assert_non_null(strstr(buf, " - ")); /* no p50 when none ended */
	s->sites[1].growing = true;
	s->sites[1].growth = 12.5;
	top_view__site_line(&s->sites[1], buf, sizeof(buf));
	assert_non_null(strstr(buf, "+12.5"));
	assert_non_null(strstr(buf, "GROWING"));
	assert_non_null(strstr(buf, "leak_spawn (srv.c:40) -> leak_main"));
	top_view__header(s, 0, buf, sizeof(buf));
	assert_non_null(strstr(buf, "pid 4242 (/srv)"));
	top_view__header(s, 1, buf, sizeof(buf));
	assert_non_null(strstr(buf, "lost 0  evicted 0"));
	assert_non_null(strstr(buf, "traps 0/s"));
}

/* A long run: the model folds what ended a grace ago (--keep-txns); the
 * rows still count every transaction, the rate goes on, a leak stays. */
static void test_folded_rows(void **state)
{
	struct fixture *f = *state;
	struct model_opts o = { .leak_grace_ns = 500 * MS, .txns_traced = true, .fold_keep = 100 };
	const struct top_txn_row *row;
	uint64_t id = 1, now = 2 * S;

	model__free(f->m);
	o.probe_names[P_TXN] = "handle_request";
	f->m = model__new(&o);
	f->r.m = f->m;
	txn(f, id++, 1 * S, 1 * MS, "serve", 0xa0);
	for (int sec = 0; sec < 5; sec++) {
		for (int i = 0; i < 200; i++, id++)
			txn(f, id, now + i * 5 * MS, 2 * MS, "ping", 0);
		now += S;
		model__compact(f->m, now);
		refresh(f, now);
	}
	assert_true(model__nr_folded_txns(f->m) >= 800);
	assert_true(model__nr_txns(f->m) < 300);
	row = txn_row(&f->top.snap, "ping");
	assert_int_equal(row->count, 1000);
	assert_true(row->rate > 199.0 && row->rate < 201.0);
	assert_in_range(row->p50_ns, 1940 * 1000, 2060 * 1000);
	row = txn_row(&f->top.snap, "serve");
	assert_int_equal(row->count, 1);
	assert_int_equal(row->leaked, 1);
	assert_int_equal(site_row(&f->top.snap, 0xa0)->live, 1);
}

/* weft top's command line: -p PID and capture options; no -- CMD, -o,
 * --format, -F. */
static void test_cli(void **state)
{
	static struct opts o;
	char err[256];
	char *ok[] = { "weft", "top", "-p", "42", "--leak-grace", "2s", "-d", "10", NULL };
	char *cmd[] = { "weft", "top", "--", "ls", NULL };
	char *none[] = { "weft", "top", NULL };
	char *out[] = { "weft", "top", "-p", "42", "-o", "x", NULL };
	char *fmt[] = { "weft", "top", "-p", "42", "--format", "json", NULL };
	char *freq[] = { "weft", "top", "-p", "42", "-F", "99", NULL };

	(void)state;
	assert_int_equal(opts__parse(8, ok, &o, err, sizeof(err)), 0);
	assert_int_equal(o.cmd, CMD_TOP);
	assert_int_equal(o.pid, 42);
	assert_int_equal(o.leak_grace_ns, 2 * S);
	assert_int_equal(o.duration_ns, 10 * S);
	assert_int_equal(opts__parse(4, cmd, &o, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "-- CMD"));
	assert_int_equal(opts__parse(2, none, &o, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "-p PID"));
	assert_int_equal(opts__parse(6, out, &o, err, sizeof(err)), -1);
	assert_int_equal(opts__parse(6, fmt, &o, err, sizeof(err)), -1);
	assert_int_equal(opts__parse(6, freq, &o, err, sizeof(err)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rows_rates_growth, setup, teardown),
		cmocka_unit_test(test_growth_rules),
		cmocka_unit_test_setup_teardown(test_history_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sort_and_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_folded_rows, setup, teardown),
		cmocka_unit_test(test_cli),
	};

	return cmocka_run_group_tests_name("top", tests, NULL, NULL);
}
