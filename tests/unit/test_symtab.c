/* The symbol table: lookups, replacement, growth, and the site format. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "symtab.h"

/* cmocka passes every test a state pointer these tests do not use */
#pragma GCC diagnostic ignored "-Wunused-parameter"

static int add(struct symtab *st, uint64_t addr, const char *func, uint64_t off, const char *file,
	       uint32_t line)
{
	struct sym s = { .addr = addr, .func = func, .off = off, .file = file, .line = line,
			 .module = "/usr/bin/server" };

	return symtab__add(st, &s);
}

static void test_empty(void **state)
{
	struct symtab *st = symtab__new();

	assert_non_null(st);
	assert_int_equal(symtab__count(st), 0);
	assert_null(symtab__find(st, 0x1000));
	assert_null(symtab__find(st, 0));
	assert_null(symtab__at(st, 0));
	symtab__free(st);
	symtab__free(NULL);
}

static void test_add_find(void **state)
{
	struct symtab *st = symtab__new();
	char func[] = "handle_request";
	const struct sym *s;

	assert_int_equal(add(st, 0x401234, func, 0x12, "server.c", 42), 0);
	assert_int_equal(add(st, 0x401000, "main", 0, "", 0), 0);
	/* the table owns its copies */
	strcpy(func, "XXXXXXXXXXXXXX");
	s = symtab__find(st, 0x401234);
	assert_non_null(s);
	assert_int_equal(s->addr, 0x401234);
	assert_string_equal(s->func, "handle_request");
	assert_int_equal(s->off, 0x12);
	assert_string_equal(s->file, "server.c");
	assert_int_equal(s->line, 42);
	assert_string_equal(s->module, "/usr/bin/server");
	/* exact addresses only */
	assert_null(symtab__find(st, 0x401235));
	assert_null(symtab__find(st, 0x401233));
	assert_int_equal(symtab__count(st), 2);
	assert_int_equal(symtab__at(st, 0)->addr, 0x401234);
	assert_int_equal(symtab__at(st, 1)->addr, 0x401000);
	assert_null(symtab__at(st, 2));
	symtab__free(st);
}

static void test_null_strings(void **state)
{
	struct symtab *st = symtab__new();
	struct sym in = { .addr = 7, .flags = SYM_F_RUNTIME };
	const struct sym *s;

	assert_int_equal(symtab__add(st, &in), 0);
	s = symtab__find(st, 7);
	assert_non_null(s);
	assert_string_equal(s->func, "");
	assert_string_equal(s->file, "");
	assert_string_equal(s->module, "");
	assert_int_equal(s->flags, SYM_F_RUNTIME);
	symtab__free(st);
}

static void test_replace(void **state)
{
	struct symtab *st = symtab__new();
	const struct sym *s, *again;

	assert_int_equal(add(st, 0x5000, "old", 1, "a.c", 1), 0);
	s = symtab__find(st, 0x5000);
	assert_int_equal(add(st, 0x5000, "new", 2, "b.c", 2), 0);
	assert_int_equal(symtab__count(st), 1);
	again = symtab__find(st, 0x5000);
	assert_ptr_equal(s, again); /* the entry stays where it was */
	assert_string_equal(again->func, "new");
	assert_string_equal(again->file, "b.c");
	assert_int_equal(again->off, 2);
	assert_int_equal(again->line, 2);
	symtab__free(st);
}

/* Many entries: the table grows and rehashes; earlier pointers stay valid. */
static void test_many(void **state)
{
	struct symtab *st = symtab__new();
	const struct sym *first;
	char name[32];
	uint64_t x = 0x12345678;
	const size_t n = 20000;

	assert_int_equal(add(st, 0x7f0000000000ULL, "first", 0, "", 0), 0);
	first = symtab__find(st, 0x7f0000000000ULL);
	for (size_t i = 0; i < n; i++) {
		/* addresses that collide in their low bits, as code addresses do */
		uint64_t addr = 0x400000 + i * 0x1000;

		snprintf(name, sizeof(name), "f%zu", i);
		assert_int_equal(add(st, addr, name, i, "x.c", (uint32_t)i), 0);
	}
	assert_int_equal(symtab__count(st), n + 1);
	assert_ptr_equal(first, symtab__find(st, 0x7f0000000000ULL));
	assert_string_equal(first->func, "first");
	for (size_t i = 0; i < n; i++) {
		const struct sym *s = symtab__find(st, 0x400000 + i * 0x1000);

		snprintf(name, sizeof(name), "f%zu", i);
		assert_non_null(s);
		assert_string_equal(s->func, name);
		assert_int_equal(s->line, i);
		assert_ptr_equal(symtab__at(st, i + 1), s);
	}
	for (size_t i = 0; i < 1000; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		if ((x & 0xfff) && x >= 0x400000)
			assert_null(symtab__find(st, x));
	}
	symtab__free(st);
}

static void test_format(void **state)
{
	struct sym s = { .addr = 0x401234, .func = "handle_request", .off = 0x12,
			 .file = "server.c", .line = 42, .module = "" };
	char buf[128];

	assert_string_equal(sym__format(&s, s.addr, buf, sizeof(buf)),
			    "handle_request+0x12 (server.c:42)");
	s.line = 0;
	assert_string_equal(sym__format(&s, s.addr, buf, sizeof(buf)), "handle_request+0x12");
	s.line = 42;
	s.file = "";
	assert_string_equal(sym__format(&s, s.addr, buf, sizeof(buf)), "handle_request+0x12");
	s.off = 0;
	assert_string_equal(sym__format(&s, s.addr, buf, sizeof(buf)), "handle_request");
	s.file = "server.c";
	assert_string_equal(sym__format(&s, s.addr, buf, sizeof(buf)),
			    "handle_request (server.c:42)");
	s.func = "";
	assert_string_equal(sym__format(&s, 0x7f12abcd0000ULL, buf, sizeof(buf)),
			    "0x7f12abcd0000");
	assert_string_equal(sym__format(NULL, 0x401000, buf, sizeof(buf)), "0x401000");
}

static void test_format_small_buffer(void **state)
{
	struct sym s = { .addr = 1, .func = "handle_request", .off = 0x12, .file = "server.c",
			 .line = 42, .module = "" };
	char buf[8];

	assert_ptr_equal(sym__format(&s, 1, buf, sizeof(buf)), buf);
	assert_string_equal(buf, "handle_");
	assert_ptr_equal(sym__format(&s, 1, buf, 0), buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_add_find),
		cmocka_unit_test(test_null_strings),
		cmocka_unit_test(test_replace),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_format_small_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
