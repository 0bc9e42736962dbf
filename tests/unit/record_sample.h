/* A sample record file (its meta, events of every shape, symbols) and what
 * record__read hands back: shared by test_record_round_trip.c and
 * test_record_damaged.c. Include after cmocka.h (the helpers assert). */
#ifndef WEFT_TEST_RECORD_SAMPLE_H
#define WEFT_TEST_RECORD_SAMPLE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "record.h"
#include "symtab.h"

#define MAX_EVENTS 20000

/* What record__read handed back. */
struct got {
	struct weft_event *ev;
	size_t nr;
	int fail_at; /* the callback fails at this event; -1: never */
	bool saw_syms_first;
	struct symtab *st;
};

static inline int collect(void *ctx, const struct weft_event *e)
{
	struct got *g = ctx;

	if (g->nr == 0)
		g->saw_syms_first = symtab__count(g->st) > 0;
	if ((int)g->nr == g->fail_at)
		return -1;
	assert_true(g->nr < MAX_EVENTS);
	g->ev[g->nr++] = *e;
	return 0;
}

static inline void tmp_path(char *path, size_t len)
{
	int fd;

	snprintf(path, len, "/tmp/weft-test-record-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
}

static inline void sample_meta(struct record_meta *m)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->host, sizeof(m->host), "build-host");
	snprintf(m->kernel, sizeof(m->kernel), "6.1.0-13-amd64");
	m->pid = 4242;
	snprintf(m->exe, sizeof(m->exe), "/usr/bin/server");
	snprintf(m->build_id, sizeof(m->build_id), "0123456789abcdef0123456789abcdef01234567");
	snprintf(m->probes, sizeof(m->probes), "thread fork/exit\ntxn_begin weft marker\n");
	snprintf(m->cmdline, sizeof(m->cmdline), "weft record -p 4242 -o x.weft");
	m->start_ns = 1000000000ULL;
	m->start_realtime_ns = 1763950000123456789ULL; /* 2025-11-24 */
	m->leak_grace_ns = 250000000ULL;
}

static inline void sample_final(struct record_meta *m)
{
	sample_meta(m);
	m->end_ns = 9000000000ULL;
	m->lost = 3;
	m->evicted = 0xffffffffffffffffULL;
	for (int i = 0; i < WEFT_MAX_PROBES; i++)
		m->hits[i] = (uint64_t)i * 1000003 + 1;
	m->sample_hz = 999;
	m->offcpu_min_ns = 100000;
	m->samples_taken = 12345;
	m->samples_lost = 6;
	m->offcpu_short = 77;
	m->offcpu_short_ns = 123456;
}

/* A mix: stacks of every depth, a named transaction, one with a frame. */
static inline size_t sample_events(struct weft_event *ev)
{
	size_t n = 0;

	for (uint32_t depth = 0; depth <= WEFT_MAX_FRAMES; depth++) {
		struct weft_event *e = &ev[n++];

		memset(e, 0, sizeof(*e));
		e->ts_ns = 1000000000ULL + depth * 1000;
		e->type = WEFT_EV_SEG_BEGIN;
		e->kind = WEFT_KIND_THREAD;
		e->pid = 4242;
		e->tid = 4243 + depth;
		e->seg = 100 + depth;
		e->parent = depth ? 99 + depth : 0;
		e->txn = 7;
		e->obj = 0xdeadbeef00ULL + depth;
		e->site = 0x401000 + depth;
		e->probe = 0;
		e->flags = depth & 1 ? WEFT_F_PREATTACH : 0;
		e->nr_frames = depth;
		for (uint32_t i = 0; i < depth; i++)
			e->frames[i] = 0x7f0000001000ULL + i * 0x10 + depth;
	}
	memset(&ev[n], 0, sizeof(ev[n]));
	ev[n].type = WEFT_EV_TXN_BEGIN;
	ev[n].kind = WEFT_KIND_TXN;
	ev[n].ts_ns = 2000000000ULL;
	ev[n].seg = 500;
	ev[n].txn = 8;
	ev[n].probe = WEFT_PROBE_USER;
	snprintf(ev[n].name, sizeof(ev[n].name), "GET /api/orders");
	ev[n].name[sizeof(ev[n].name) - 1] = 'z'; /* the whole union is kept */
	n++;
	memset(&ev[n], 0, sizeof(ev[n]));
	ev[n].type = WEFT_EV_TXN_BEGIN;
	ev[n].kind = WEFT_KIND_TXN;
	ev[n].seg = 501;
	ev[n].nr_frames = 1;
	ev[n].frames[0] = 0x401777;
	n++;
	memset(&ev[n], 0, sizeof(ev[n]));
	ev[n].type = WEFT_EV_RUN_END;
	ev[n].kind = WEFT_KIND_TASK;
	ev[n].seg = 502;
	ev[n].pad = 0x5a5a5a5a;
	n++;
	/* profile: a sample whose stack was cut, an off-CPU span */
	memset(&ev[n], 0, sizeof(ev[n]));
	ev[n].type = WEFT_EV_SAMPLE;
	ev[n].kind = WEFT_KIND_GOROUTINE;
	ev[n].seg = 503;
	ev[n].txn = 8;
	ev[n].obj = 42; /* goid */
	ev[n].flags = WEFT_F_TRUNCATED;
	ev[n].nr_frames = WEFT_MAX_FRAMES;
	for (uint32_t i = 0; i < WEFT_MAX_FRAMES; i++)
		ev[n].frames[i] = 0x402000 + i;
	n++;
	memset(&ev[n], 0, sizeof(ev[n]));
	ev[n].type = WEFT_EV_OFFCPU;
	ev[n].kind = WEFT_KIND_THREAD;
	ev[n].seg = 504;
	ev[n].txn = 8;
	ev[n].obj = 20000000; /* blocked ns */
	ev[n].nr_frames = 2;
	ev[n].frames[0] = 0x7f0000001000ULL;
	ev[n].frames[1] = 0x401234;
	n++;
	return n;
}

static inline struct symtab *sample_syms(void)
{
	struct symtab *st = symtab__new();
	struct sym s1 = { .addr = 0x401234, .func = "handle_request", .off = 0x12,
			  .file = "server.c", .line = 42, .module = "/usr/bin/server" };
	struct sym s2 = { .addr = 0x7f0000001000ULL, .func = "start_thread", .off = 0x94,
			  .file = "", .module = "/lib/x86_64-linux-gnu/libc.so.6",
			  .flags = SYM_F_RUNTIME };
	struct sym s3 = { .addr = 0x7f0000002000ULL, .func = "", .file = "", .module = "" };

	assert_non_null(st);
	assert_int_equal(symtab__add(st, &s1), 0);
	assert_int_equal(symtab__add(st, &s2), 0);
	assert_int_equal(symtab__add(st, &s3), 0);
	return st;
}

static inline void write_file(const char *path, const struct record_meta *meta,
			      const struct record_meta *final, const struct weft_event *ev,
			      size_t n, const struct symtab *st)
{
	struct record_writer *w = record_writer__open(path, meta);

	assert_non_null(w);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(record_writer__event(w, &ev[i]), 0);
	assert_int_equal(record_writer__close(w, final, st), 0);
}

static inline void got_init(struct got *g)
{
	memset(g, 0, sizeof(*g));
	g->ev = calloc(MAX_EVENTS, sizeof(*g->ev));
	g->st = symtab__new();
	g->fail_at = -1;
	assert_non_null(g->ev);
	assert_non_null(g->st);
}

static inline void got_fini(struct got *g)
{
	free(g->ev);
	symtab__free(g->st);
}

#endif
