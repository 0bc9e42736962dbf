/* The record file damaged, foreign or missing: every way failing cleanly
 * with a message and never an event handed out; and a file from before a
 * key existed still reading. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "record_sample.h"

/* cmocka passes every test a state pointer these tests do not use */
#pragma GCC diagnostic ignored "-Wunused-parameter"

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

/* The end of the n-th section (0: META) */
static size_t section_end(const uint8_t *b, int n)
{
	size_t at = 16;

	for (int i = 0; i <= n; i++)
		at += 16 + (size_t)le64(b + at + 8);
	return at;
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

static void assert_failed(int rc, const char *err, const char *want)
{
	assert_int_equal(rc, -1);
	assert_true(err[0]);
	assert_true(strncmp(err, "weft:", 5));
	if (want && !strstr(err, want))
		fail_msg("message \"%s\" lacks \"%s\"", err, want);
}

/* Cut anywhere (its writer killed, its disk full): before its META is
 * whole, refused; after, read up to its last whole chunk whose CHUNK_CRC
 * checks (sections: META, EVENTS, CHUNK_CRC, SYMS, FINAL_META), the rest
 * counted as dropped; never an event of a chunk not checked. */
static void test_truncated_everywhere(void **state)
{
	size_t len;
	uint8_t *b = sample_bytes(&len);
	size_t meta_end = section_end(b, 0), chunk_end = section_end(b, 2);
	size_t syms_end = section_end(b, 3), final_end = section_end(b, 4);
	struct record_meta m;
	struct got g;
	char err[256];

	got_init(&g);
	assert_int_equal(le32(b + section_end(b, 1)), 5); /* CHUNK_CRC after EVENTS */
	for (size_t cut = 0; cut < len; cut++) {
		int rc;

		g.nr = 0;
		assert_int_equal(pwrite(scratch_fd, b, cut, 0), (ssize_t)cut);
		assert_int_equal(ftruncate(scratch_fd, (off_t)cut), 0);
		rc = record__read(scratch_path, &m, g.st, collect, &g, err, sizeof(err));
		if (cut < meta_end) {
			assert_failed(rc, err, cut ? "truncated" : "empty");
			assert_int_equal(g.nr, 0);
			continue;
		}
		assert_int_equal(rc, 0);
		assert_true(m.cut);
		assert_int_equal(g.nr, cut < chunk_end ? 0 : WEFT_MAX_FRAMES + 6);
		assert_int_equal(m.cut_events, g.nr);
		assert_int_equal(m.cut_chunks, cut < chunk_end ? 0 : 1);
		assert_int_equal(m.cut_bytes, cut - (cut < chunk_end ? meta_end : cut < syms_end
						     ? chunk_end : cut < final_end ? syms_end : final_end));
		assert_int_equal(m.start_ns, 1000000000ULL); /* META's */
		assert_int_equal(symtab__count(g.st) != 0, cut >= syms_end);
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
			else if (i >= len - 48 && i < len - 40) {
				/* no trailer's magic: read as cut, its chunk checked */
				assert_int_equal(rc, 0);
				assert_int_equal(g.nr, WEFT_MAX_FRAMES + 6);
				g.nr = 0;
				continue;
			}
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

int main(void)
{
	const struct CMUnitTest tests[] = {
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

	return cmocka_run_group_tests_name("record: damaged files", tests, scratch_setup,
					   scratch_teardown);
}
