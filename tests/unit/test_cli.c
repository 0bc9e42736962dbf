/* Probe spec and command line parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include "opts.h"
#include "probes.h"
#include "probe_site.h"
#include "spec.h"

static void test_spec_ok(void **state)
{
	struct probe_spec s;
	char err[256];

	assert_int_equal(spec__parse("submit:arg0", ROLE_TASK_CREATE, &s, err, sizeof(err)), 0);
	assert_string_equal(s.bin, "");
	assert_string_equal(s.sym, "submit");
	assert_int_equal(s.arg, 0);
	assert_int_equal(s.off, 0);
	assert_int_equal(spec__parse("/usr/lib/libuv.so.1:uv__queue_work:ARG0-88", ROLE_TASK_RUN, &s,
				     err, sizeof(err)), 0);
	assert_string_equal(s.bin, "/usr/lib/libuv.so.1");
	assert_string_equal(s.sym, "uv__queue_work");
	assert_int_equal(s.off, -88);
	assert_int_equal(spec__parse("f:arg5+0x10", ROLE_TASK_BEGIN, &s, err, sizeof(err)), 0);
	assert_int_equal(s.arg, 5);
	assert_int_equal(s.off, 16);
	assert_int_equal(spec__parse("./server:handle_request", ROLE_TXN, &s, err, sizeof(err)), 0);
	assert_string_equal(s.bin, "./server");
	assert_string_equal(s.sym, "handle_request");
	assert_int_equal(s.arg, -1);
}

static void test_spec_bad(void **state)
{
	const char *bad[] = { "", "submit", "submit:arg6", "submit:arg", "submit:x0", ":arg0",
			      "submit:arg0+", "submit:arg0+zz", "a b:arg0", "submit:arg-1" };
	struct probe_spec s;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		assert_int_equal(spec__parse(bad[i], ROLE_TASK_CREATE, &s, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "--task-create"));
	}
	assert_int_equal(spec__parse(":handle", ROLE_TXN, &s, err, sizeof(err)), -1);
}

static int parse(struct opts *o, char *err, ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;

	va_start(ap, err);
	for (char *a; (a = va_arg(ap, char *)) && argc < 31;)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	return opts__parse(argc, argv, o, err, 256);
}

static void test_opts(void **state)
{
	static struct opts o;
	char err[256];

	assert_int_equal(parse(&o, err, "weft", "trace", "-p", "42", "-d", "2.5", "--txn",
			       "handle", "--leak-grace", "10ms", "--format", "json", NULL), 0);
	assert_int_equal(o.cmd, CMD_TRACE);
	assert_int_equal(o.pid, 42);
	assert_int_equal(o.duration_ns, 2500000000ULL);
	assert_int_equal(o.leak_grace_ns, 10000000ULL);
	assert_int_equal(o.format, FMT_JSON);
	assert_int_equal(o.nr_specs, 1);
	assert_int_equal(o.specs[0].role, ROLE_TXN);

	/* the same spec twice is one; another role on the same symbol is not */
	assert_int_equal(parse(&o, err, "weft", "trace", "-p", "42", "--txn", "h", "--txn", "h",
			       "--task-run", "h:arg0", "--task-run", "h:arg0", NULL), 0);
	assert_int_equal(o.nr_specs, 2);

	assert_int_equal(parse(&o, err, "weft", "trace", "--txn", "h", "--", "./srv", "-p", "1",
			       NULL), 0);
	assert_int_equal(o.pid, 0);
	assert_string_equal(o.argv[0], "./srv");
	assert_string_equal(o.argv[1], "-p"); /* the command's own options */

	assert_int_equal(parse(&o, err, "weft", "report", "f.weft", "--format", "json", NULL), 0);
	assert_string_equal(o.input, "f.weft");
	assert_int_equal(o.format, FMT_JSON);
	assert_int_equal(o.leak_grace_set, false);
	assert_int_equal(o.leak_grace_ns, 500000000ULL);

	assert_int_equal(parse(&o, err, "weft", "record", "-p", "1", "--preset", "libuv", "-o",
			       "x", NULL), 0);
	assert_int_equal(probes__expand_presets(&o, err, 256), 0);
	assert_int_equal(o.nr_specs, 3);
	assert_string_equal(o.specs[1].sym, "uv__queue_work");
	assert_int_equal(o.specs[1].off, -88);
	assert_string_equal(o.specs[1].preset, "libuv");
	/* a preset's spec the user also wrote is one, the user's */
	assert_int_equal(parse(&o, err, "weft", "trace", "-p", "1", "--preset", "libuv",
			       "--task-create", "uv_queue_work:arg1", NULL), 0);
	assert_int_equal(probes__expand_presets(&o, err, 256), 0);
	assert_int_equal(o.nr_specs, 3);
	assert_null(o.specs[0].preset);
	assert_string_equal(o.specs[2].preset, "libuv");

	/* Go requests by route (default) or by path; report overrides the file */
	assert_int_equal(parse(&o, err, "weft", "trace", "-p", "1", NULL), 0);
	assert_false(o.name_by_path);
	assert_false(o.name_by_set);
	assert_int_equal(parse(&o, err, "weft", "report", "f", "--name-by", "path", NULL), 0);
	assert_true(o.name_by_path);
	assert_true(o.name_by_set);
	assert_int_equal(parse(&o, err, "weft", "record", "-p", "1", "-o", "x", "--name-by",
			       "pattern", NULL), 0);
	assert_false(o.name_by_path);
}

static void test_opts_bad(void **state)
{
	static struct opts o;
	char err[256];

	assert_int_equal(parse(&o, err, "weft", NULL), -1);
	assert_int_equal(parse(&o, err, "weft", "frobnicate", NULL), -1);
	assert_non_null(strstr(err, "frobnicate"));
	assert_int_equal(parse(&o, err, "weft", "trace", NULL), -1);
	assert_non_null(strstr(err, "-p PID"));
	assert_int_equal(parse(&o, err, "weft", "trace", "-p", "abc", NULL), -1);
	assert_int_equal(parse(&o, err, "weft", "trace", "-p", "-3", NULL), -1);
	assert_int_equal(parse(&o, err, "weft", "trace", "-p", "1", "-d", "0", NULL), -1);
	assert_int_equal(parse(&o, err, "weft", "trace", "-p", "1", "-d", "soon", NULL), -1);
	assert_int_equal(parse(&o, err, "weft", "trace", "-p", "1", "--format", "xml", NULL), -1);
	assert_int_equal(parse(&o, err, "weft", "trace", "-p", "1", "--", "ls", NULL), -1);
	assert_int_equal(parse(&o, err, "weft", "record", "-p", "1", NULL), -1);
	assert_non_null(strstr(err, "-o FILE"));
	assert_int_equal(parse(&o, err, "weft", "report", NULL), -1);
	assert_int_equal(parse(&o, err, "weft", "report", "a", "b", NULL), -1);
	assert_int_equal(parse(&o, err, "weft", "trace", "-p", "1", "--ringbuf-mb", "3", NULL), -1);
	assert_int_equal(parse(&o, err, "weft", "trace", "-p", "1", "--bogus", NULL), -1);
	assert_non_null(strstr(err, "--bogus"));
	assert_int_equal(parse(&o, err, "weft", "trace", "-p", "1", "--task-run", "f", NULL), -1);
	assert_int_equal(parse(&o, err, "weft", "trace", "-p", "1", "--name-by", "route", NULL), -1);
	assert_string_equal(err, "--name-by 'route': unknown (path or pattern)");
	assert_int_equal(parse(&o, err, "weft", "goroutines", "-p", "1", "--name-by", "path", NULL),
			 -1);
}

/* -F, --off-cpu, --format folded and report --txn; bad values get one
 * line naming the option and what it takes. */
static void test_profile_opts(void **state)
{
	static struct opts o;
	char err[256];

	assert_int_equal(parse(&o, err, "weft", "record", "-p", "7", "-F", "999", "--off-cpu", "-o",
			       "a.weft", NULL), 0);
	assert_int_equal(o.sample_hz, 999);
	assert_true(o.off_cpu);
	assert_int_equal(parse(&o, err, "weft", "trace", "--freq", "99", "--format", "folded",
			       "--", "./srv", NULL), 0);
	assert_int_equal(o.sample_hz, 99);
	assert_false(o.off_cpu);
	assert_int_equal(o.format, FMT_FOLDED);
	assert_int_equal(parse(&o, err, "weft", "trace", "-p", "1", NULL), 0);
	assert_int_equal(o.sample_hz, 0); /* off by default */
	assert_false(o.off_cpu);
	/* report: --txn is a name to filter by, not a probe spec */
	assert_int_equal(parse(&o, err, "weft", "report", "a.weft", "--format", "folded", "--txn",
			       "GET /users", "--off-cpu", NULL), 0);
	assert_string_equal(o.txn_filter, "GET /users");
	assert_int_equal(o.nr_specs, 0);
	assert_true(o.off_cpu);

	const char *bad_hz[] = { "0", "10001", "-5", "fast", "", "99.5" };

	for (size_t i = 0; i < sizeof(bad_hz) / sizeof(bad_hz[0]); i++) {
		err[0] = 0;
		assert_int_equal(parse(&o, err, "weft", "record", "-p", "1", "-o", "x", "-F",
				       bad_hz[i], NULL), -1);
		assert_non_null(strstr(err, "-F"));
		assert_non_null(strstr(err, "1..10000"));
		assert_null(strchr(err, '\n'));
	}
	assert_int_equal(parse(&o, err, "weft", "record", "-p", "1", "-o", "x", "-F", NULL), -1);
	assert_int_equal(parse(&o, err, "weft", "report", "a.weft", "-F", "99", NULL), -1);
	assert_non_null(strstr(err, "trace, record and agent"));
	assert_int_equal(parse(&o, err, "weft", "goroutines", "-p", "1", "--off-cpu", NULL), -1);
	/* agent: profiles go to the collector, and to --pprof-dir if given,
	 * which needs something to profile */
	assert_int_equal(parse(&o, err, "weft", "agent", "-p", "1", "-F", "99", "--pprof-dir", "d",
			       "--profile-every", "10s", NULL), 0);
	assert_string_equal(o.pprof_dir, "d");
	assert_int_equal(o.profile_every_ns, 10000000000ULL);
	assert_int_equal(parse(&o, err, "weft", "agent", "-p", "1", "--off-cpu", NULL), 0);
	assert_null(o.pprof_dir);
	assert_true(o.off_cpu);
	assert_int_equal(parse(&o, err, "weft", "agent", "-p", "1", "--pprof-dir", "d", NULL), -1);
	assert_non_null(strstr(err, "needs -F HZ or --off-cpu"));
	assert_int_equal(parse(&o, err, "weft", "agent", "-p", "1", "-F", "9", "--pprof-dir", "d",
			       "--profile-every", "500ms", NULL), -1);
	assert_non_null(strstr(err, "1s or more"));
	assert_int_equal(parse(&o, err, "weft", "record", "-p", "1", "-o", "x", "-F", "9",
			       "--pprof-dir", "d", NULL), -1);
	assert_non_null(strstr(err, "belong to weft agent"));
	assert_int_equal(parse(&o, err, "weft", "record", "-p", "1", "-o", "x", "--format",
			       "folded", NULL), -1);
	assert_non_null(strstr(err, "folded"));
	assert_int_equal(parse(&o, err, "weft", "report", "a.weft", "--txn", "spin", NULL), -1);
	assert_non_null(strstr(err, "--format folded"));
	assert_int_equal(parse(&o, err, "weft", "report", "a.weft", "--format", "flame", NULL), -1);
	assert_non_null(strstr(err, "folded"));
}

static void test_duration(void **state)
{
	uint64_t ns;

	assert_int_equal(parse_duration("500ms", &ns), 0);
	assert_int_equal(ns, 500000000ULL);
	assert_int_equal(parse_duration("2", &ns), 0);
	assert_int_equal(ns, 2000000000ULL);
	assert_int_equal(parse_duration("250us", &ns), 0);
	assert_int_equal(ns, 250000ULL);
	assert_int_equal(parse_duration("1m", &ns), 0);
	assert_int_equal(ns, 60000000000ULL);
	assert_int_equal(parse_duration("-1s", &ns), -1);
	assert_int_equal(parse_duration("1h", &ns), -1);
	assert_int_equal(parse_duration("nan", &ns), -1);
	assert_int_equal(parse_duration("1e30", &ns), -1);
}

static void test_probe_table_roundtrip(void **state)
{
	static struct opts o;
	static struct probe_table a, b;
	char err[256], text[8192];

	assert_int_equal(parse(&o, err, "weft", "trace", "-p", "1", "--txn", "srv:handle",
			       "--task-create", "submit:arg0", NULL), 0);
	assert_int_equal(probes__from_opts(&a, &o), 0);
	assert_true(a.txns_traced);
	probes__format(&a, text, sizeof(text));
	probes__parse(&b, text);
	assert_int_equal(b.nr, a.nr);
	assert_true(b.txns_traced);
	assert_string_equal(b.names[PROBE_FIRST_SPEC], "handle");
	assert_string_equal(b.descs[PROBE_FIRST_SPEC], "--txn srv:handle");
	assert_string_equal(b.names[PROBE_FIRST_SPEC + 1], "submit");
	assert_string_equal(b.names[WEFT_PROBE_THREAD], "thread");

	/* sites: grouped by instruction and path, counted, kept by the file */
	probes__add_site(&a, PROBE_FIRST_SPEC, "push rbp", "emulated");
	probes__add_site(&a, PROBE_FIRST_SPEC, "ret", "single-step");
	probes__add_site(&a, PROBE_FIRST_SPEC, "ret", "single-step");
	probes__add_site(&a, WEFT_MAX_PROBES, "ret", "single-step"); /* out of range: ignored */
	probes__format_sites(&a, text, sizeof(text));
	assert_string_equal(text, "7 1 emulated push rbp\n7 2 single-step ret\n");
	probes__parse_sites(&b, text);
	assert_int_equal(b.sites[PROBE_FIRST_SPEC][1].count, 2);
	assert_string_equal(b.sites[PROBE_FIRST_SPEC][0].insn, "push rbp");
	assert_string_equal(b.sites[PROBE_FIRST_SPEC][1].path, "single-step");
	assert_int_equal(b.sites[PROBE_FIRST_SPEC + 1][0].count, 0);
}

/* What the kernel does with the instruction under a uprobe (x86-64) */
static void test_probe_site_paths(void **state)
{
	static const struct {
		uint8_t code[8];
		size_t n;
		const char *insn, *path;
	} cases[] = {
		{ { 0x55 }, 1, "push rbp", "emulated" },
		{ { 0x41, 0x57 }, 2, "push r15", "emulated" },
		{ { 0xff, 0x35, 0, 0, 0, 0 }, 6, "push qword ptr [rip]", "single-step" },
		{ { 0x90 }, 1, "nop1", "emulated" },
		{ { 0x0f, 0x1f, 0x44, 0, 0 }, 5, "nop5", "optimized" },
		{ { 0xe8, 0, 0, 0, 0 }, 5, "call", "emulated" },
		{ { 0xff, 0xd0 }, 2, "call rax", "single-step" },
		{ { 0xeb, 0x10 }, 2, "jmp", "emulated" },
		{ { 0x74, 0x10 }, 2, "je", "emulated" },
		{ { 0xe3, 0x10 }, 2, "jrcxz 0x12", "single-step" },
		{ { 0xc3 }, 1, "ret", "single-step" },
		{ { 0x48, 0x83, 0xec, 0x18 }, 4, "sub rsp, 0x18", "single-step" },
	};
	char insn[40];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum trap_path p = probe_site__classify(cases[i].code, cases[i].n, insn, sizeof(insn));

		assert_string_equal(insn, cases[i].insn);
		assert_string_equal(trap_path_name(p), cases[i].path);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_ok),
		cmocka_unit_test(test_probe_site_paths),
		cmocka_unit_test(test_spec_bad),
		cmocka_unit_test(test_opts),
		cmocka_unit_test(test_opts_bad),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_profile_opts),
		cmocka_unit_test(test_probe_table_roundtrip),
	};

	return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
