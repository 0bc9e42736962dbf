/* The record file: round trips, and every way a file can be damaged failing
 * cleanly with a message. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "record.h"
#include "symtab.h"

/* cmocka passes every test a state pointer these tests do not use */
#pragma GCC diagnostic ignored "-Wunused-parameter"

#define MAX_EVENTS 20000

/* What record__read handed back. */
struct got {
	struct weft_event *ev;
	size_t nr;
	int fail_at; /* the callback fails at this event; -1: never */
	bool saw_syms_first;
	struct symtab *st;
};

static int collect(void *ctx, const struct weft_event *e)
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

static void tmp_path(char *path, size_t len)
{
	int fd;

	snprintf(path, len, "/tmp/weft-test-record-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
}

static void sample_meta(struct record_meta *m)
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

static void sample_final(struct record_meta *m)
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
static size_t sample_events(struct weft_event *ev)
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

static struct symtab *sample_syms(void)
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

static void write_file(const char *path, const struct record_meta *meta,
		       const struct record_meta *final, const struct weft_event *ev, size_t n,
		       const struct symtab *st)
{
	struct record_writer *w = record_writer__open(path, meta);

	assert_non_null(w);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(record_writer__event(w, &ev[i]), 0);
	assert_int_equal(record_writer__close(w, final, st), 0);
}

/* A small valid file, loaded into memory. */
static uint8_t *sample_bytes(size_t *len)
{
	struct weft_event ev[WEFT_MAX_FRAMES + 8];
	struct record_meta meta, final;
	struct symtab *st = sample_syms();
	char path[64];
	struct stat sb;
	uint8_t *b;
	FILE *f;

	sample_meta(&meta);
	sample_final(&final);
	tmp_path(path, sizeof(path));
	write_file(path, &meta, &final, ev, sample_events(ev), st);
	symtab__free(st);
	assert_int_equal(stat(path, &sb), 0);
	*len = (size_t)sb.st_size;
	b = malloc(*len);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fread(b, 1, *len, f), *len);
	fclose(f);
	unlink(path);
	return b;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static void set32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* After a deliberate edit: make the checksum agree, so the parser is tested. */
static void fix_crc(uint8_t *b, size_t len)
{
	set32(b + len - 4, record__crc32(0, b, len - 4));
}

/* Offset of the first event: after the header and the META section. */
static size_t first_event_off(const uint8_t *b)
{
	size_t meta = 16, events = meta + 16 + (size_t)le64(b + meta + 8);

	assert_int_equal(le32(b + events), 2); /* EVENTS */
	return events + 16 + 4;
}

/* One scratch file for the damaged variants: thousands of them per test. */
static char scratch_path[64];
static int scratch_fd = -1;

static int scratch_setup(void **state)
{
	snprintf(scratch_path, sizeof(scratch_path), "/tmp/weft-test-record-XXXXXX");
	scratch_fd = mkstemp(scratch_path);
	return scratch_fd < 0 ? -1 : 0;
}

static int scratch_teardown(void **state)
{
	close(scratch_fd);
	unlink(scratch_path);
	return 0;
}

/* Reads buffer b as a file; returns record__read's result, err filled. */
static int read_bytes(const uint8_t *b, size_t len, struct got *g, char *err, size_t errlen)
{
	struct record_meta m;

	/* rewrite, then cut: truncating to 0 first is slow on ext4 */
	assert_int_equal(pwrite(scratch_fd, b, len, 0), (ssize_t)len);
	assert_int_equal(ftruncate(scratch_fd, (off_t)len), 0);
	return record__read(scratch_path, &m, g->st, collect, g, err, errlen);
}

static void got_init(struct got *g)
{
	memset(g, 0, sizeof(*g));
	g->ev = calloc(MAX_EVENTS, sizeof(*g->ev));
	g->st = symtab__new();
	g->fail_at = -1;
	assert_non_null(g->ev);
	assert_non_null(g->st);
}

static void got_fini(struct got *g)
{
	free(g->ev);
	symtab__free(g->st);
}

static void assert_failed(int rc, const char *err, const char *want)
{
	assert_int_equal(rc, -1);
	assert_true(err[0]);
	assert_true(strncmp(err, "weft:", 5));
	if (want && !strstr(err, want))
		fail_msg("message \"%s\" lacks \"%s\"", err, want);
}

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

static void test_truncated_everywhere(void **state)
{
	size_t len;
	uint8_t *b = sample_bytes(&len);
	struct got g;
	char err[256];

	got_init(&g);
	for (size_t cut = 0; cut < len; cut++) {
		int rc = read_bytes(b, cut, &g, err, sizeof(err));

		assert_failed(rc, err, cut ? "truncated" : "empty");
		assert_int_equal(g.nr, 0);
		assert_int_equal(symtab__count(g.st), 0);
	}
	assert_int_equal(read_bytes(b, len, &g, err, sizeof(err)), 0);
	free(b);
	got_fini(&g);
}

/* Any byte changed anywhere: refused, and never a single event handed out. */
static void test_flipped_everywhere(void **state)
{
	size_t len;
	uint8_t *b = sample_bytes(&len);
	size_t ev0 = first_event_off(b);
	struct got g;
	char err[256];

	got_init(&g);
	for (size_t i = 0; i < len; i++) {
		for (int bit = 0; bit < 8; bit += 7) {
			int rc;

			b[i] ^= (uint8_t)(1 << bit);
			rc = read_bytes(b, len, &g, err, sizeof(err));
			b[i] ^= (uint8_t)(1 << bit);
			if (i < 8)
				assert_failed(rc, err, "bad magic");
			else if (i < 12)
				assert_failed(rc, err, "unsupported record version");
			else if (i >= len - 48 && i < len - 40)
				assert_failed(rc, err, "truncated");
			else if (i >= len - 8 && i < len - 4)
				assert_failed(rc, err, "trailer length");
			else if (i >= 16)
				assert_failed(rc, err, "corrupt: checksum mismatch");
			else
				assert_failed(rc, err, "corrupt");
			assert_int_equal(g.nr, 0);
		}
	}
	/* the three named regions, once more explicitly */
	b[10] ^= 0x40;
	assert_failed(read_bytes(b, len, &g, err, sizeof(err)), err, "unsupported");
	b[10] ^= 0x40;
	b[ev0 + 3] ^= 0x10;
	assert_failed(read_bytes(b, len, &g, err, sizeof(err)), err, "corrupt: checksum mismatch");
	b[ev0 + 3] ^= 0x10;
	b[len - 30] ^= 0x01;
	assert_failed(read_bytes(b, len, &g, err, sizeof(err)), err, "corrupt: checksum mismatch");
	b[len - 30] ^= 0x01;
	assert_int_equal(read_bytes(b, len, &g, err, sizeof(err)), 0);
	free(b);
	got_fini(&g);
}

static void test_bad_frames_with_good_crc(void **state)
{
	size_t len;
	uint8_t *b = sample_bytes(&len);
	size_t ev0 = first_event_off(b);
	struct got g;
	char err[256];

	got_init(&g);
	set32(b + ev0 + 72, 900);
	fix_crc(b, len);
	assert_failed(read_bytes(b, len, &g, err, sizeof(err)), err,
		      "corrupt: event 0 has nr_frames 900 > 32");
	free(b);
	got_fini(&g);
}

static void test_event_count_mismatch(void **state)
{
	size_t len;
	uint8_t *b = sample_bytes(&len);
	struct got g;
	char err[256];

	got_init(&g);
	b[len - 40] += 1; /* the trailer's event count */
	fix_crc(b, len);
	assert_failed(read_bytes(b, len, &g, err, sizeof(err)), err, "corrupt:");
	assert_int_equal(g.nr, 0);
	/* a section claiming more bytes than there are */
	b[len - 40] -= 1;
	b[16 + 8] += 100; /* META length */
	fix_crc(b, len);
	assert_failed(read_bytes(b, len, &g, err, sizeof(err)), err, "corrupt:");
	assert_int_equal(g.nr, 0);
	free(b);
	got_fini(&g);
}

/* An unknown section before the trailer is skipped, unless REQUIRED. */
static void test_unknown_section(void **state)
{
	size_t len, nlen;
	uint8_t *b = sample_bytes(&len), *n;
	const uint8_t extra[16 + 5] = { 99, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0,
					'h', 'e', 'l', 'l', 'o' };
	struct got g;
	char err[256];

	got_init(&g);
	nlen = len + sizeof(extra);
	n = malloc(nlen);
	memcpy(n, b, len - 48);
	memcpy(n + len - 48, extra, sizeof(extra));
	memcpy(n + len - 48 + sizeof(extra), b + len - 48, 48);
	fix_crc(n, nlen);
	assert_int_equal(read_bytes(n, nlen, &g, err, sizeof(err)), 0);
	assert_int_equal(g.nr, WEFT_MAX_FRAMES + 6); /* sample_events */
	n[len - 48 + 4] = 1; /* REQUIRED */
	fix_crc(n, nlen);
	assert_failed(read_bytes(n, nlen, &g, err, sizeof(err)), err, "unsupported");
	free(n);
	free(b);
	got_fini(&g);
}

/* start_realtime_ns, the capture's start in wall-clock time, is read back; a
 * file written before the key existed (here: the key renamed to one no
 * reader knows, which the reader skips) still reads, with 0 there and every
 * other field intact. */
static void test_start_realtime(void **state)
{
	static const char key[] = "start_realtime_ns";
	struct record_meta m;
	struct got g;
	size_t len, found = 0;
	uint8_t *b = sample_bytes(&len);
	char err[256];

	got_init(&g);
	assert_int_equal(pwrite(scratch_fd, b, len, 0), (ssize_t)len);
	assert_int_equal(ftruncate(scratch_fd, (off_t)len), 0);
	assert_int_equal(record__read(scratch_path, &m, g.st, collect, &g, err, sizeof(err)), 0);
	assert_true(m.start_realtime_ns == 1763950000123456789ULL);

	for (size_t i = 0; i + sizeof(key) - 1 <= len; i++) {
		if (!memcmp(b + i, key, sizeof(key) - 1)) {
			b[i] = 'x';
			found++;
		}
	}
	assert_int_equal(found, 1); /* in META only, not in FINAL_META */
	fix_crc(b, len);
	g.nr = 0;
	assert_int_equal(pwrite(scratch_fd, b, len, 0), (ssize_t)len);
	assert_int_equal(ftruncate(scratch_fd, (off_t)len), 0);
	assert_int_equal(record__read(scratch_path, &m, g.st, collect, &g, err, sizeof(err)), 0);
	assert_true(m.start_realtime_ns == 0);
	assert_int_equal(m.start_ns, 1000000000ULL);
	assert_int_equal(m.leak_grace_ns, 250000000ULL);
	assert_int_equal(m.samples_taken, 12345);
	assert_int_equal(g.nr, WEFT_MAX_FRAMES + 6); /* sample_events */
	free(b);
	got_fini(&g);
}

static void test_bad_magic(void **state)
{
	const char junk[] = "#!/bin/sh\necho this is not a record file, but long enough\n";
	struct got g;
	char err[256];

	got_init(&g);
	assert_failed(read_bytes((const uint8_t *)junk, sizeof(junk), &g, err, sizeof(err)), err,
		      "not a weft record file (bad magic)");
	assert_failed(read_bytes((const uint8_t *)"W", 1, &g, err, sizeof(err)), err,
		      "truncated");
	assert_failed(read_bytes((const uint8_t *)"X", 1, &g, err, sizeof(err)), err,
		      "bad magic");
	got_fini(&g);
}

static void test_future_version(void **state)
{
	size_t len;
	uint8_t *b = sample_bytes(&len);
	struct got g;
	char err[256];

	got_init(&g);
	set32(b + 8, 7);
	assert_failed(read_bytes(b, len, &g, err, sizeof(err)), err,
		      "unsupported record version 7 (this weft reads 2)");
	/* even a tiny file of a newer version says so, not "truncated" */
	assert_failed(read_bytes(b, 16, &g, err, sizeof(err)), err, "unsupported record version 7");
	free(b);
	got_fini(&g);
}

static void test_zero_length(void **state)
{
	struct got g;
	char err[256];

	got_init(&g);
	assert_failed(read_bytes((const uint8_t *)"", 0, &g, err, sizeof(err)), err, "empty");
	got_fini(&g);
}

static void test_no_such_file(void **state)
{
	char err[256];
	int rc = record__read("/tmp/weft-test-no-such-dir/x.weft", NULL, NULL, NULL, NULL, err,
			      sizeof(err));

	assert_failed(rc, err, "No such file or directory");
	assert_failed(record__read("/tmp", NULL, NULL, NULL, NULL, err, sizeof(err)), err,
		      "directory");
	assert_null(record_writer__open("/tmp/weft-test-no-such-dir/x.weft", NULL));
	assert_int_equal(errno, ENOENT);
}

static void test_callback_fails(void **state)
{
	size_t len;
	uint8_t *b = sample_bytes(&len);
	struct got g;
	char err[256];

	got_init(&g);
	g.fail_at = 3;
	assert_failed(read_bytes(b, len, &g, err, sizeof(err)), err, "event 3");
	assert_int_equal(g.nr, 3);
	free(b);
	got_fini(&g);
}

/* A tiny or absent error buffer is respected. */
static void test_small_err(void **state)
{
	char err[8];

	memset(err, 'x', sizeof(err));
	assert_int_equal(record__read("/tmp/weft-test-no-such-dir/x", NULL, NULL, NULL, NULL, err,
				      sizeof(err)), -1);
	assert_int_equal(strlen(err), sizeof(err) - 1);
	assert_int_equal(record__read("/tmp/weft-test-no-such-dir/x", NULL, NULL, NULL, NULL, NULL,
				      0), -1);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_pattern_end),
		cmocka_unit_test(test_many_events),
		cmocka_unit_test(test_empty_capture),
		cmocka_unit_test(test_write_clamps_frames),
		cmocka_unit_test(test_truncated_everywhere),
		cmocka_unit_test(test_flipped_everywhere),
		cmocka_unit_test(test_bad_frames_with_good_crc),
		cmocka_unit_test(test_event_count_mismatch),
		cmocka_unit_test(test_unknown_section),
		cmocka_unit_test(test_start_realtime),
		cmocka_unit_test(test_bad_magic),
		cmocka_unit_test(test_future_version),
		cmocka_unit_test(test_zero_length),
		cmocka_unit_test(test_no_such_file),
		cmocka_unit_test(test_callback_fails),
		cmocka_unit_test(test_small_err),
	};

	return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}
