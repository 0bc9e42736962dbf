/* The record file's round trips: what is written reads back, field by
 * field and event by event, however many; what the reader would reject,
 * the writer clamps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "record_sample.h"

/* cmocka passes every test a state pointer these tests do not use */
#pragma GCC diagnostic ignored "-Wunused-parameter"

static void test_crc32(void **state)
{
	assert_int_equal(record__crc32(0, "123456789", 9), 0xcbf43926);
	assert_int_equal(record__crc32(record__crc32(0, "1234", 4), "56789", 5), 0xcbf43926);
	assert_int_equal(record__crc32(0, "", 0), 0);
}

static void test_round_trip(void **state)
{
	struct weft_event ev[WEFT_MAX_FRAMES + 8];
	struct record_meta meta, final, m;
	struct symtab *st = sample_syms();
	struct got g;
	char path[64], err[256];
	size_t n = sample_events(ev);

	got_init(&g);
	sample_meta(&meta);
	sample_final(&final);
	/* only the counters come from the final meta */
	snprintf(final.host, sizeof(final.host), "other-host");
	final.start_ns = 1;
	final.start_realtime_ns = 2;
	tmp_path(path, sizeof(path));
	write_file(path, &meta, &final, ev, n, st);
	assert_int_equal(record__read(path, &m, g.st, collect, &g, err, sizeof(err)), 0);
	unlink(path);

	assert_string_equal(m.host, "build-host");
	assert_string_equal(m.kernel, meta.kernel);
	assert_int_equal(m.pid, 4242);
	assert_string_equal(m.exe, meta.exe);
	assert_string_equal(m.build_id, meta.build_id);
	assert_string_equal(m.probes, meta.probes);
	assert_string_equal(m.cmdline, meta.cmdline);
	assert_int_equal(m.start_ns, meta.start_ns);
	assert_true(m.start_realtime_ns == meta.start_realtime_ns);
	assert_int_equal(m.leak_grace_ns, meta.leak_grace_ns);
	assert_int_equal(m.end_ns, final.end_ns);
	assert_int_equal(m.lost, final.lost);
	assert_true(m.evicted == final.evicted);
	assert_memory_equal(m.hits, final.hits, sizeof(m.hits));
	assert_int_equal(m.sample_hz, 999);
	assert_int_equal(m.offcpu_min_ns, 100000);
	assert_int_equal(m.samples_taken, 12345);
	assert_int_equal(m.samples_lost, 6);
	assert_int_equal(m.offcpu_short, 77);
	assert_int_equal(m.offcpu_short_ns, 123456);

	assert_int_equal(g.nr, n);
	for (size_t i = 0; i < n; i++)
		assert_memory_equal(&g.ev[i], &ev[i], sizeof(ev[i]));
	assert_string_equal(g.ev[n - 5].name, "GET /api/orders");
	assert_int_equal(g.ev[n - 2].nr_frames, WEFT_MAX_FRAMES);
	assert_int_equal(g.ev[n - 1].obj, 20000000);

	assert_true(g.saw_syms_first);
	assert_int_equal(symtab__count(g.st), symtab__count(st));
	for (size_t i = 0; i < symtab__count(st); i++) {
		const struct sym *a = symtab__at(st, i), *b = symtab__find(g.st, a->addr);

		assert_non_null(b);
		assert_int_equal(a->off, b->off);
		assert_int_equal(a->line, b->line);
		assert_int_equal(a->flags, b->flags);
		assert_string_equal(a->func, b->func);
		assert_string_equal(a->file, b->file);
		assert_string_equal(a->module, b->module);
	}
	symtab__free(st);
	got_fini(&g);
}

/* A Go request's end with its route pattern (WEFT_F_PATTERN): the name
 * rides in nr_frames words, so the file keeps it as it keeps frames, in
 * the layout of this version; and the file says how names were chosen. */
static void test_pattern_end(void **state)
{
	struct weft_event ev[2];
	struct record_meta meta, final, m;
	struct symtab *st = symtab__new();
	struct got g;
	char path[64], err[256];

	got_init(&g);
	memset(ev, 0, sizeof(ev));
	ev[0].type = WEFT_EV_TXN_BEGIN;
	ev[0].seg = 10;
	ev[0].txn = 1;
	snprintf(ev[0].name, sizeof(ev[0].name), "GET /users/8123");
	ev[1].type = WEFT_EV_TXN_END;
	ev[1].seg = 10;
	ev[1].txn = 1;
	ev[1].flags = WEFT_F_PATTERN;
	snprintf(ev[1].name, sizeof(ev[1].name), "GET /users/{id}");
	ev[1].nr_frames = strlen(ev[1].name) / 8 + 1;
	sample_meta(&meta);
	snprintf(meta.name_by, sizeof(meta.name_by), "path");
	sample_final(&final);
	tmp_path(path, sizeof(path));
	write_file(path, &meta, &final, ev, 2, st);
	assert_int_equal(record__read(path, &m, g.st, collect, &g, err, sizeof(err)), 0);
	unlink(path);
	assert_string_equal(m.name_by, "path");
	assert_int_equal(g.nr, 2);
	assert_memory_equal(&g.ev[1], &ev[1], sizeof(ev[1]));
	assert_string_equal(g.ev[1].name, "GET /users/{id}");
	symtab__free(st);
	got_fini(&g);
}

/* More events than one EVENTS section holds: order and count survive. */
static void test_many_events(void **state)
{
	struct record_meta meta;
	struct record_writer *w;
	struct weft_event e;
	struct got g;
	char path[64], err[256];
	const size_t n = 15000;

	got_init(&g);
	sample_meta(&meta);
	tmp_path(path, sizeof(path));
	w = record_writer__open(path, &meta);
	assert_non_null(w);
	for (size_t i = 0; i < n; i++) {
		memset(&e, 0, sizeof(e));
		e.ts_ns = i;
		e.type = i % 3 ? WEFT_EV_RUN_BEGIN : WEFT_EV_SEG_BEGIN;
		e.seg = i * 7;
		e.nr_frames = (uint32_t)(i % (WEFT_MAX_FRAMES + 1));
		for (uint32_t k = 0; k < e.nr_frames; k++)
			e.frames[k] = i + k;
		assert_int_equal(record_writer__event(w, &e), 0);
	}
	assert_int_equal(record_writer__close(w, NULL, NULL), 0);
	assert_int_equal(record__read(path, NULL, NULL, collect, &g, err, sizeof(err)), 0);
	unlink(path);
	assert_int_equal(g.nr, n);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(g.ev[i].ts_ns, i);
		assert_int_equal(g.ev[i].seg, i * 7);
		assert_int_equal(g.ev[i].nr_frames, i % (WEFT_MAX_FRAMES + 1));
		for (uint32_t k = 0; k < g.ev[i].nr_frames; k++)
			assert_int_equal(g.ev[i].frames[k], i + k);
	}
	got_fini(&g);
}

static void test_empty_capture(void **state)
{
	struct record_meta meta, m;
	struct symtab *st = symtab__new();
	struct got g;
	char path[64], err[256];

	got_init(&g);
	sample_meta(&meta);
	tmp_path(path, sizeof(path));
	write_file(path, &meta, &meta, NULL, 0, st);
	assert_int_equal(record__read(path, &m, g.st, collect, &g, err, sizeof(err)), 0);
	unlink(path);
	assert_int_equal(g.nr, 0);
	assert_int_equal(symtab__count(g.st), 0);
	assert_string_equal(m.exe, "/usr/bin/server");
	assert_int_equal(m.end_ns, 0);
	symtab__free(st);
	got_fini(&g);
}

/* The writer clamps what the reader would reject. */
static void test_write_clamps_frames(void **state)
{
	struct weft_event e = { .type = WEFT_EV_SEG_BEGIN, .nr_frames = 900 };
	struct record_meta meta;
	struct got g;
	char path[64], err[256];

	got_init(&g);
	sample_meta(&meta);
	tmp_path(path, sizeof(path));
	write_file(path, &meta, &meta, &e, 1, NULL);
	assert_int_equal(record__read(path, NULL, NULL, collect, &g, err, sizeof(err)), 0);
	unlink(path);
	assert_int_equal(g.nr, 1);
	assert_int_equal(g.ev[0].nr_frames, WEFT_MAX_FRAMES);
	got_fini(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_pattern_end),
		cmocka_unit_test(test_many_events),
		cmocka_unit_test(test_empty_capture),
		cmocka_unit_test(test_write_clamps_frames),
	};

	return cmocka_run_group_tests_name("record: round trips", tests, NULL, NULL);
}
