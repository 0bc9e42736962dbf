// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* perfmap__js_name: a V8 perf-map entry as a function, its file and line;
 * the reader: what was added read as the map grows, a later line winning
 * for the same start, and a map not the target's user's, or a link, not
 * read at all. The map is this process's own (/tmp/perf-PID.map). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "perfmap.h"

static void expect(const char *entry, const char *func, const char *file, uint32_t line)
{
	char buf[64], fbuf[64];
	uint32_t ln;

	assert_string_equal(perfmap__js_name(entry, buf, sizeof(buf), fbuf, sizeof(fbuf), &ln),
			    func);
	assert_string_equal(fbuf, file);
	assert_int_equal(ln, line);
}

static void test_tiers(void **state)
{
	expect("JS:~spinBusy /srv/nodeshape.js:60:18", "spinBusy", "nodeshape.js", 60);
	expect("JS:^spinBusy /srv/nodeshape.js:60:18", "spinBusy", "nodeshape.js", 60);
	expect("JS:+spinBusy /srv/nodeshape.js:60:18", "spinBusy", "nodeshape.js", 60);
	expect("JS:*spinBusy /srv/nodeshape.js:60:18", "spinBusy", "nodeshape.js", 60);
	expect("LazyCompile:*udpBound /srv/nodehttp.js:257:19", "udpBound", "nodehttp.js", 257);
}

/* Node 26: "o" before the mark, code entered by on-stack replacement (a
 * long loop in one call); a name that starts with "o" keeps it */
static void test_osr(void **state)
{
	expect("JS:o+spinBusy /srv/nodeshape.js:60:18", "spinBusy", "nodeshape.js", 60);
	expect("JS:o*spinBusy /srv/nodeshape.js:60:18", "spinBusy", "nodeshape.js", 60);
	expect("JS:*onRequest /srv/nodehttp.js:370:1", "onRequest", "nodehttp.js", 370);
	expect("JS:~o /srv/a.js:1:1", "o", "a.js", 1);
}

/* Node 26.12: "'" after the mark, code specialized to its context */
static void test_context_specialized(void **state)
{
	expect("JS:+'spinBusy /srv/nodeshape.js:80:18", "spinBusy", "nodeshape.js", 80);
	expect("JS:*'spinBusy /srv/nodeshape.js:80:18", "spinBusy", "nodeshape.js", 80);
	expect("JS:+'get node:internal/bootstrap/node:436:8", "get", "node:internal/bootstrap/node",
	       436);
}

static void test_node_modules(void **state)
{
	expect("JS:~emit node:events:478:44", "emit", "node:events", 478);
	expect("JS:~ /srv/a.js:3:7", "(anonymous)", "a.js", 3);
}

static char map_path[64];

static void append(const char *text)
{
	FILE *f = fopen(map_path, "a");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_reader(void **state)
{
	struct perfmap *pm;

	(void)state;
	snprintf(map_path, sizeof(map_path), "/tmp/perf-%d.map", (int)getpid());
	unlink(map_path);
	append("1000 100 JS:*first /srv/a.js:1:1\n2000 10 JS:*second /srv/a.js:2:1\n");
	pm = perfmap__new(getpid());
	assert_non_null(pm);
	assert_string_equal(perfmap__find(pm, 0x1050), "JS:*first /srv/a.js:1:1");
	assert_null(perfmap__find(pm, 0x3000));
	/* grown: only the new lines read; a line half written waits */
	append("3000 10 JS:*third /srv/a.js:3:1\n1000 100 JS:*tiered /srv/a.js:1:1\n4000 10 JS:*hal");
	assert_string_equal(perfmap__find(pm, 0x3004), "JS:*third /srv/a.js:3:1");
	assert_null(perfmap__find(pm, 0x4004));
	append("f /srv/a.js:4:1\n");
	assert_string_equal(perfmap__find(pm, 0x4004), "JS:*half /srv/a.js:4:1");
	/* the same start again: the later line (code tiered up) */
	assert_string_equal(perfmap__find(pm, 0x1050), "JS:*tiered /srv/a.js:1:1");
	perfmap__free(pm);

	/* another user's file (root can make one), or a link: not read */
	if (getuid() == 0) {
		assert_int_equal(chown(map_path, 12345, 12345), 0);
		pm = perfmap__new(getpid());
		assert_null(perfmap__find(pm, 0x1050));
		perfmap__free(pm);
	} else {
		print_message("    not root: another user's map not tried\n");
	}
	unlink(map_path);
	assert_int_equal(symlink("/etc/passwd", map_path), 0);
	pm = perfmap__new(getpid());
	assert_null(perfmap__find(pm, 0x1050));
	perfmap__free(pm);
	unlink(map_path);
}

/* an entry whose start + size passes 2^64 still covers what it says */
static void test_wrapping_entry(void **state)
{
	struct perfmap *pm;
	const char *name;

	(void)state;
	snprintf(map_path, sizeof(map_path), "/tmp/perf-%d.map", (int)getpid());
	unlink(map_path);
	append("ffffffffffff0000 20000 JS:*top /srv/a.js:1:1\n");
	pm = perfmap__new(getpid());
	assert_non_null(pm);
	name = perfmap__find(pm, 0xffffffffffff8000ull);
	assert_non_null(name);
	assert_string_equal(name, "JS:*top /srv/a.js:1:1");
	assert_null(perfmap__find(pm, 0x8000));
	perfmap__free(pm);
	unlink(map_path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reader),
		cmocka_unit_test(test_tiers),
		cmocka_unit_test(test_osr),
		cmocka_unit_test(test_context_specialized),
		cmocka_unit_test(test_node_modules),
		cmocka_unit_test(test_wrapping_entry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
