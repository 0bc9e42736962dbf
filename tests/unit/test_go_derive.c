/* go_derive: offsets derived from the machine code of programs built here
 * by every Go toolchain (tools/go-versions.sh: /usr/lib/go-1.N and those
 * unpacked under build/go), plain, stripped (-s -w), PIE and a test binary
 * (go test -c), against the table's row for that version (which
 * test_go_offsets checks against DWARF); goelf__open taking the derivation
 * when the row is skipped (WEFT_GO_OFFSETS_SKIP); and binaries whose code
 * was wiped or cut short: -1 fields and a one-line error (or, where the cut
 * left what is read whole, the right offsets), never a crash. */
#include <glob.h>
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
#include "go_derive.h"
#include "go_offsets.h"
#include "goelf.h"
#include "go_toolchains.h"

/* cmocka passes every test a state pointer most tests do not use */
#pragma GCC diagnostic ignored "-Wunused-parameter"

/* A server's request handling, a URL and a test's name: each package's
 * code that the derivation reads is linked in. */
static const char prog_go[] =
	"package main\n"
	"\n"
	"import (\n"
	"\t\"fmt\"\n"
	"\t\"net/http\"\n"
	"\t\"net/url\"\n"
	"\t\"os\"\n"
	")\n"
	"\n"
	"func main() {\n"
	"\tu, err := url.Parse(\"/a%20b\")\n"
	"\tif err != nil {\n"
	"\t\tpanic(err)\n"
	"\t}\n"
	"\tr := &http.Request{Method: \"GET\", URL: u}\n"
	"\tdone := make(chan string)\n"
	"\tgo func() { done <- r.Method + \" \" + r.URL.Path }()\n"
	"\tfmt.Println(<-done)\n"
	"\tif len(os.Args) > 1 {\n"
	"\t\thttp.ListenAndServe(os.Args[1], nil)\n"
	"\t}\n"
	"}\n";

static const char prog_test_go[] =
	"package main\n"
	"\n"
	"import \"testing\"\n"
	"\n"
	"func TestName(t *testing.T) {\n"
	"\tt.Run(\"sub\", func(t *testing.T) { t.Log(t.Name()) })\n"
	"}\n";

static const enum go_field runtime_fields[] = {
	GOF_GOID,	   GOF_PARENT_GOID, GOF_GOPC, GOF_STARTPC, GOF_ATOMICSTATUS, GOF_WAITSINCE,
	GOF_WAITREASON, GOF_M,		GOF_SCHED_SP, GOF_M_CURG, GOF_M_PROCID,
};
#define NR_RUNTIME (sizeof(runtime_fields) / sizeof(runtime_fields[0]))

static int row_field(const struct go_offsets *o, enum go_field f)
{
	return *go_derive__field((struct go_offsets *)o, f);
}

/* The derivation of bin against the row: every runtime field exactly (with
 * its second place where every version has one), the packages' fields
 * exactly where want says they are linked in, else -1 or exact. */
static void check_bin(const struct toolchain *tc, const char *what, const char *bin, bool http,
		      bool test)
{
	const struct go_offsets *row = go_offsets__for(1, tc->minor);
	struct go_derivation d;
	char err[256] = "";
	int bad = 0;

	assert_non_null(row);
	if (go_derive__run(bin, 1, tc->minor, &d, err, sizeof(err)))
		fail_msg("%s %s: %s", tc->name, what, err);
	for (size_t i = 0; i < NR_RUNTIME; i++) {
		enum go_field f = runtime_fields[i];
		int got = *go_derive__field(&d.o, f);

		if (got != row_field(row, f)) {
			print_error("%s %s: %s derived %d (%s%s), the table has %d\n", tc->name, what,
				    go_derive__field_name(f), got, d.from[f], d.why[f],
				    row_field(row, f));
			bad = 1;
		}
	}
	for (enum go_field f = GOF_REQ_METHOD; f < GOF_NR; f++) {
		int got = *go_derive__field(&d.o, f);
		bool want = f == GOF_TEST_NAME ? test : http;

		if (got == row_field(row, f) || (!want && got == -1))
			continue;
		print_error("%s %s: %s derived %d (%s%s), the table has %d\n", tc->name, what,
			    go_derive__field_name(f), got, d.from[f], d.why[f], row_field(row, f));
		bad = 1;
	}
	if (bad)
		fail_msg("%s %s: the derivation disagrees with the table", tc->name, what);
	/* a second place, in every version, for all but m.procid */
	for (size_t i = 0; i < NR_RUNTIME; i++) {
		enum go_field f = runtime_fields[i];

		if (f == GOF_M_PROCID || (f == GOF_PARENT_GOID && tc->minor < 21))
			continue;
		if (d.nr_from[f] < 2)
			fail_msg("%s %s: %s from one place only (%s)", tc->name, what,
				 go_derive__field_name(f), d.from[f]);
	}
	if (tc->minor < 21)
		assert_string_equal(d.why[GOF_PARENT_GOID], "none before Go 1.21");
	assert_string_equal(d.o.built_with, "derived");
}

/* The same stripped binary through goelf__open: the table's row, then,
 * with the row skipped, the derivation. */
static void check_goelf(const struct toolchain *tc, const char *bin)
{
	const struct go_offsets *row = go_offsets__for(1, tc->minor);
	struct go_info gi;
	char err[256], skip[16], want[64];

	goelf__forget();
	assert_int_equal(goelf__open(bin, &gi, err, sizeof(err)), 0);
	assert_int_equal(gi.offsets_src, GO_OFFSETS_TABLE);
	snprintf(skip, sizeof(skip), "1.19,1.%d", tc->minor);
	setenv("WEFT_GO_OFFSETS_SKIP", skip, 1);
	assert_null(go_offsets__for(1, tc->minor));
	goelf__forget();
	if (goelf__open(bin, &gi, err, sizeof(err)))
		fail_msg("%s: goelf__open with the row skipped: %s", tc->name, err);
	unsetenv("WEFT_GO_OFFSETS_SKIP");
	goelf__forget();
	assert_int_equal(gi.offsets_src, GO_OFFSETS_DERIVED);
	assert_string_equal(goelf__offsets_src_name(gi.offsets_src), "derived");
	go_version(tc->go, want, sizeof(want));
	assert_string_equal(gi.version, want);
	assert_int_equal(gi.g_goid, row->g_goid);
	assert_int_equal(gi.g_parent_goid, row->g_parent_goid);
	assert_int_equal(gi.g_gopc, row->g_gopc);
	assert_int_equal(gi.g_startpc, row->g_startpc);
	assert_int_equal(gi.g_atomicstatus, row->g_atomicstatus);
	assert_int_equal(gi.g_waitsince, row->g_waitsince);
	assert_int_equal(gi.g_waitreason, row->g_waitreason);
	assert_int_equal(gi.g_m, row->g_m);
	assert_int_equal(gi.g_sched_sp, row->g_sched_sp);
	assert_int_equal(gi.m_curg, row->m_curg);
	assert_int_equal(gi.m_procid, row->m_procid);
	assert_int_equal(gi.req_method, row->req_method);
	assert_int_equal(gi.req_url, row->req_url);
	assert_int_equal(gi.url_path, row->url_path);
}

/* Code wiped with int3 at path's function name. */
static void wipe(const char *path, const char *name)
{
	uint64_t v, sz, off;
	FILE *f;

	assert_int_equal(goelf__func(path, name, &v, &sz, &off), 0);
	f = fopen(path, "r+");
	assert_non_null(f);
	assert_int_equal(fseek(f, (long)off, SEEK_SET), 0);
	for (uint64_t i = 0; i < sz; i++)
		fputc(0xcc, f);
	fclose(f);
}

/* Wiped code and cut files: the fields found elsewhere, else -1 and the
 * one line naming where they were looked for; never a crash. */
static void check_broken(const struct toolchain *tc, const char *bin)
{
	const struct go_offsets *row = go_offsets__for(1, tc->minor);
	char wiped[600], cut[600], err[256], want[160], full[320];
	struct go_derivation d;
	struct go_info gi;
	struct stat st;

	snprintf(wiped, sizeof(wiped), "%s/wiped", tc->dir);
	snprintf(cut, sizeof(cut), "%s/cut", tc->dir);
	assert_int_equal(run("cp %s %s", bin, wiped), 0);
	/* newproc1 gone: each of its fields from its second place */
	wipe(wiped, "runtime.newproc1");
	if (go_derive__run(wiped, 1, tc->minor, &d, err, sizeof(err)))
		fail_msg("%s: without newproc1: %s", tc->name, err);
	assert_int_equal(d.o.g_goid, row->g_goid);
	assert_int_equal(d.o.g_gopc, row->g_gopc);
	assert_int_equal(d.o.g_startpc, row->g_startpc);
	assert_int_equal(d.o.g_parent_goid, row->g_parent_goid);
	assert_string_equal(d.from[GOF_GOPC], "runtime.printcreatedby");
	assert_string_equal(d.from[GOF_STARTPC], "runtime.isSystemGoroutine");
	/* and printcreatedby: goid, parentGoid and gopc nowhere */
	wipe(wiped, "runtime.printcreatedby");
	assert_int_equal(go_derive__run(wiped, 1, tc->minor, &d, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "go1.%d: could not derive runtime.g.goid from "
		 "runtime.newproc1, runtime.printcreatedby", tc->minor);
	assert_string_equal(err, want);
	assert_int_equal(d.o.g_goid, -1);
	assert_int_equal(d.o.g_gopc, -1);
	assert_int_equal(d.o.g_parent_goid, -1);
	/* what is not theirs still derived */
	assert_int_equal(d.o.g_startpc, row->g_startpc);
	assert_int_equal(d.o.m_curg, row->m_curg);
	/* goelf refuses such a binary with one line, the fix in it */
	setenv("WEFT_GO_OFFSETS_SKIP", strchr(tc->name, '1'), 1);
	goelf__forget();
	assert_int_equal(goelf__open(wiped, &gi, err, sizeof(err)), -1);
	unsetenv("WEFT_GO_OFFSETS_SKIP");
	snprintf(full, sizeof(full), "%s (no DWARF, and the offsets table has no row for Go 1.%d): "
		 "rebuild without -ldflags=-w", want, tc->minor);
	assert_string_equal(err, full);
	assert_int_equal(gi.offsets_src, GO_OFFSETS_NONE);

	assert_int_equal(stat(bin, &st), 0);
	for (int k = 1; k < 8; k++) {
		assert_int_equal(run("head -c %lld %s >%s", (long long)st.st_size * k / 8, bin, cut),
				 0);
		goelf__forget();
		err[0] = 0;
		if (go_derive__run(cut, 1, tc->minor, &d, err, sizeof(err))) {
			assert_true(strlen(err) > 0 && !strchr(err, '\n'));
			continue;
		}
		/* what the cut left whole must still be right, never a guess */
		for (size_t i = 0; i < NR_RUNTIME; i++)
			assert_int_equal(*go_derive__field(&d.o, runtime_fields[i]),
					 row_field(row, runtime_fields[i]));
	}
}

static void test_toolchain(void **state)
{
	struct toolchain *tc = *state;
	char src[600], bin[600];
	const char *modes[][2] = { { "plain", "" },
				   { "stripped", "-ldflags='-s -w'" },
				   { "pie", "-buildmode=pie" } };

	if (!go_offsets__for(1, tc->minor)) {
		print_message("    %s: no row in the table to compare with\n", tc->name);
		skip();
	}
	snprintf(tc->dir, sizeof(tc->dir), "%s/%s", tmpdir, tc->name);
	assert_int_equal(mkdir(tc->dir, 0755), 0);
	snprintf(src, sizeof(src), "%s/prog.go", tc->dir);
	write_file(src, prog_go, strlen(prog_go));
	snprintf(src, sizeof(src), "%s/prog_test.go", tc->dir);
	write_file(src, prog_test_go, strlen(prog_test_go));
	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		snprintf(bin, sizeof(bin), "%s/prog-%s", tc->dir, modes[m][0]);
		assert_int_equal(build(tc, bin, modes[m][1]), 0);
		check_bin(tc, modes[m][0], bin, true, false);
	}
	snprintf(bin, sizeof(bin), "%s/prog.test", tc->dir);
	assert_int_equal(run("cd %s && %s test -c -ldflags='-s -w' -o %s . >build.log 2>&1 || "
			     "cat build.log >&2", tc->dir, tc->go, bin), 0);
	check_bin(tc, "test", bin, false, true);
	snprintf(bin, sizeof(bin), "%s/prog-stripped", tc->dir);
	check_goelf(tc, bin);
	check_broken(tc, bin);
}

static void test_no_toolchain(void **state)
{
	print_message("    no Go toolchain: tools/install-deps.sh installs them\n");
	skip();
}

/* Not Go, not ELF: no pclntab, every field -1 and a reason, no crash. */
static void test_not_go(void **state)
{
	const char *paths[] = { "/bin/true", "/etc/hostname", "/nonexistent" };
	struct go_derivation d;
	char err[256];

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		assert_int_equal(go_derive__run(paths[i], 1, 28, &d, err, sizeof(err)), -1);
		assert_string_equal(err, "go1.28: could not derive offsets: no pclntab");
		for (enum go_field f = 0; f < GOF_NR; f++) {
			assert_int_equal(*go_derive__field(&d.o, f), -1);
			assert_true(d.why[f][0] != 0);
		}
	}
}

/* The hook's parsing: exact versions only, in a comma list. */
static void test_skip_hook(void **state)
{
	setenv("WEFT_GO_OFFSETS_SKIP", "1.2,1.231,x1.23,1.25", 1);
	assert_non_null(go_offsets__for(1, 23));
	assert_null(go_offsets__for(1, 25));
	assert_non_null(go_offsets__for(1, 21));
	setenv("WEFT_GO_OFFSETS_SKIP", "1.23", 1);
	assert_null(go_offsets__for(1, 23));
	unsetenv("WEFT_GO_OFFSETS_SKIP");
	assert_non_null(go_offsets__for(1, 23));
}

int main(void)
{
	int n, i = 0, rc;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/weft-test-go-derive-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	go_env();
	find_toolchains();
	n = (nr_tc ? nr_tc : 1) + 2;
	{
		struct CMUnitTest tests[n];

		memset(tests, 0, sizeof(tests));
		tests[i++] = (struct CMUnitTest){ .name = "not_go", .test_func = test_not_go };
		tests[i++] = (struct CMUnitTest){ .name = "skip_hook", .test_func = test_skip_hook };
		for (int k = 0; k < nr_tc; k++)
			tests[i++] = (struct CMUnitTest){ .name = tcs[k].name,
							  .test_func = test_toolchain,
							  .initial_state = &tcs[k] };
		if (!nr_tc)
			tests[i++] = (struct CMUnitTest){ .name = "go toolchains",
							  .test_func = test_no_toolchain };
		rc = cmocka_run_group_tests(tests, NULL, NULL);
	}
	run("chmod -R u+w %s 2>/dev/null; rm -rf %s", tmpdir, tmpdir);
	return rc;
}
