/* Native return sites (elfsym__return_sites) on a C program built here with
 * the system compiler, -O2, as PIE and as a fixed-address executable: a
 * function called directly from two places gets both call sites and an
 * emulated instruction after each; one whose address is stored, one
 * reached by a tail jump, one exported get none (their callers cannot all
 * be seen). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "elfsym.h"
#include "probe_site.h"

#pragma GCC diagnostic ignored "-Wunused-parameter"

static const char prog_c[] =
	"#define FN __attribute__((noinline, noipa))\n"
	"volatile int sink;\n"
	"FN static int direct(int x) { sink = x; return x * 7 + 1; }\n"
	"FN static int via_ptr(int x) { sink = x; return x + 3; }\n"
	"FN static int tailed(int x) { sink = x; return x - 1; }\n"
	"FN static int tailer(int x) { sink = 1; return tailed(x + 2); }\n"
	"FN int exported(int x) { sink = x; return x; }\n"
	"int (*volatile fp)(int) = via_ptr;\n"
	"FN static int caller_a(int x) { int r = direct(x); sink = r; return direct(r) + tailer(r); }\n"
	"int main(int argc, char **argv) {\n"
	"\treturn caller_a(argc) + fp(argc) + exported(argc) + tailed(argc) > 1000;\n"
	"}\n";

static char dir[] = "/tmp/weft-rs.XXXXXX";

static void build(const char *out, const char *flags)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "cc -O2 -g %s -o %s/%s %s/prog.c", flags, dir, out, dir);
	assert_int_equal(system(cmd), 0);
}

static int setup(void **state)
{
	char src[256];
	FILE *f;

	if (!mkdtemp(dir))
		return -1;
	snprintf(src, sizeof(src), "%s/prog.c", dir);
	f = fopen(src, "w");
	if (!f)
		return -1;
	fputs(prog_c, f);
	fclose(f);
	build("pie", "-fPIE -pie");
	build("nopie", "-fno-pie -no-pie");
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) ? -1 : 0;
}

static void check(const char *name)
{
	uint64_t calls[8], rets[8];
	char bin[300], insn[40];
	int n;

	snprintf(bin, sizeof(bin), "%s/%s", dir, name);
	/* two direct calls in caller_a: each a call instruction, each end emulated */
	n = elfsym__return_sites(bin, "direct", calls, rets, 8);
	assert_int_equal(n, 2);
	for (int i = 0; i < n; i++) {
		assert_int_equal(probe_site__at(bin, calls[i], insn, sizeof(insn)), TRAP_EMULATED);
		assert_string_equal(insn, "call");
		assert_true(rets[i] > calls[i] && rets[i] - calls[i] <= 64);
		assert_true(probe_site__at(bin, rets[i], insn, sizeof(insn)) != TRAP_SINGLE_STEP ||
			    !strcmp(insn, "ret"));
	}
	/* its address in data: calls through fp are not seen */
	assert_int_equal(elfsym__return_sites(bin, "via_ptr", calls, rets, 8), -1);
	/* reached by tailer's jump */
	assert_int_equal(elfsym__return_sites(bin, "tailed", calls, rets, 8), -1);
	/* in .dynsym? only with -rdynamic; else a direct call from main */
	assert_int_equal(elfsym__return_sites(bin, "no_such_function", calls, rets, 8), -1);
	/* too many for max */
	assert_int_equal(elfsym__return_sites(bin, "direct", calls, rets, 1), -1);
}

static void test_pie(void **state)
{
	check("pie");
}

static void test_fixed_address(void **state)
{
	check("nopie");
}

static void test_exported(void **state)
{
	uint64_t calls[8], rets[8];
	char bin[300];

	build("dyn", "-rdynamic");
	snprintf(bin, sizeof(bin), "%s/dyn", dir);
	assert_int_equal(elfsym__return_sites(bin, "direct", calls, rets, 8), 2);
	/* another module may call it through its PLT */
	assert_int_equal(elfsym__return_sites(bin, "exported", calls, rets, 8), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pie),
		cmocka_unit_test(test_fixed_address),
		cmocka_unit_test(test_exported),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
