// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* perfmap__js_name: a V8 perf-map entry as a function, its file and line */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tiers),
		cmocka_unit_test(test_osr),
		cmocka_unit_test(test_context_specialized),
		cmocka_unit_test(test_node_modules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
