/* go_offsets: the checked-in per-version table (user/go/go_offsets_table.h,
 * from tools/gen-go-offsets.sh) against the DWARF of another program
 * (goroutines, an http.Handler) built here by every installed toolchain
 * (/usr/lib/go-1.N/bin/go), and its lookups for stripped builds and unknown
 * versions. */
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
#include "go_offsets.h"
#include "goelf.h"
#include "go_toolchains.h"

/* cmocka passes every test a state pointer most tests do not use */
#pragma GCC diagnostic ignored "-Wunused-parameter"

#define REGEN "run tools/gen-go-offsets.sh (it rewrites user/go/go_offsets_table.h)"

/* Not the generator's program: goroutines draining a channel into an
 * http.Handler, so the same types come from other code. */
static const char prog_go[] =
	"package main\n"
	"\n"
	"import (\n"
	"\t\"fmt\"\n"
	"\t\"net/http\"\n"
	"\t\"net/url\"\n"
	"\t\"sync\"\n"
	"\t\"testing\"\n"
	")\n"
	"\n"
	"func testName(t *testing.T) string { return t.Name() }\n"
	"\n"
	"type hits struct {\n"
	"\tmu sync.Mutex\n"
	"\tn  map[string]int\n"
	"}\n"
	"\n"
	"func (h *hits) ServeHTTP(w http.ResponseWriter, r *http.Request) {\n"
	"\th.mu.Lock()\n"
	"\th.n[r.Method+\" \"+r.URL.Path]++\n"
	"\th.mu.Unlock()\n"
	"}\n"
	"\n"
	"func main() {\n"
	"\th := &hits{n: map[string]int{}}\n"
	"\tpaths := make(chan string)\n"
	"\tif cap(paths) > 99 {\n"
	"\t\tfmt.Println(testName(nil))\n"
	"\t}\n"
	"\tvar wg sync.WaitGroup\n"
	"\tfor i := 0; i < 4; i++ {\n"
	"\t\twg.Add(1)\n"
	"\t\tgo func() {\n"
	"\t\t\tdefer wg.Done()\n"
	"\t\t\tfor p := range paths {\n"
	"\t\t\t\tr := &http.Request{Method: http.MethodPost, URL: &url.URL{Path: p}}\n"
	"\t\t\t\th.ServeHTTP(nil, r)\n"
	"\t\t\t}\n"
	"\t\t}()\n"
	"\t}\n"
	"\tfor _, p := range []string{\"/a\", \"/b\", \"/a\"} {\n"
	"\t\tpaths <- p\n"
	"\t}\n"
	"\tclose(paths)\n"
	"\twg.Wait()\n"
	"\tfmt.Println(len(h.n))\n"
	"}\n";

static const struct go_offsets *row_for(int minor)
{
	const struct go_offsets *o = go_offsets__for(1, minor);

	if (!o)
		fail_msg("go1.%d is installed but user/go/go_offsets_table.h has no row for it: %s",
			 minor, REGEN);
	return o;
}

/* One field: the table's value against DWARF's, named when they differ. */
static int check_field(const char *ver, const char *field, int table, int dwarf)
{
	if (table == dwarf)
		return 0;
	print_error("%s: %s is %d in the table, %d in this program's DWARF\n", ver, field, table,
		    dwarf);
	return 1;
}

static void test_toolchain(void **state)
{
	struct toolchain *tc = *state;
	char want[64], bin[600], strip[600], err[256];
	const struct go_offsets *o;
	struct go_info gi, gs;
	int bad = 0;

	o = row_for(tc->minor);
	go_version(tc->go, want, sizeof(want));
	snprintf(tc->dir, sizeof(tc->dir), "%s/%s", tmpdir, tc->name);
	assert_int_equal(mkdir(tc->dir, 0755), 0);
	snprintf(bin, sizeof(bin), "%s/prog", tc->dir);
	snprintf(strip, sizeof(strip), "%s/prog-stripped", tc->dir);
	{
		char src[600];

		snprintf(src, sizeof(src), "%s/prog.go", tc->dir);
		write_file(src, prog_go, strlen(prog_go));
	}
	assert_int_equal(build(tc, "prog", ""), 0);
	assert_int_equal(build(tc, "prog-stripped", "-ldflags='-s -w'"), 0);

	assert_int_equal(goelf__open(bin, &gi, err, sizeof(err)), 0);
	assert_string_equal(gi.version, want);
	assert_int_equal(gi.major, 1);
	assert_int_equal(gi.minor, tc->minor);
	assert_true(gi.has_dwarf);

	bad |= check_field(want, "runtime.g.goid", o->g_goid, gi.g_goid);
	bad |= check_field(want, "runtime.g.parentGoid", o->g_parent_goid, gi.g_parent_goid);
	bad |= check_field(want, "runtime.g.gopc", o->g_gopc, gi.g_gopc);
	bad |= check_field(want, "runtime.g.startpc", o->g_startpc, gi.g_startpc);
	bad |= check_field(want, "runtime.g.atomicstatus", o->g_atomicstatus, gi.g_atomicstatus);
	bad |= check_field(want, "runtime.g.waitsince", o->g_waitsince, gi.g_waitsince);
	bad |= check_field(want, "runtime.g.waitreason", o->g_waitreason, gi.g_waitreason);
	bad |= check_field(want, "runtime.g.m", o->g_m, gi.g_m);
	bad |= check_field(want, "runtime.g.sched.sp", o->g_sched_sp, gi.g_sched_sp);
	bad |= check_field(want, "runtime.m.curg", o->m_curg, gi.m_curg);
	bad |= check_field(want, "runtime.m.procid", o->m_procid, gi.m_procid);
	bad |= check_field(want, "runtime.g.timer", o->g_timer, gi.g_timer);
	bad |= check_field(want, "runtime.timer.when", o->timer_when, gi.timer_when);
	bad |= check_field(want, "runtime.g.sched.bp", o->g_sched_bp, gi.g_sched_bp);
	bad |= check_field(want, "net/http.Request.Method", o->req_method,
			   goelf__member(bin, "net/http.Request", "Method"));
	bad |= check_field(want, "net/http.Request.URL", o->req_url,
			   goelf__member(bin, "net/http.Request", "URL"));
	bad |= check_field(want, "net/url.URL.Path", o->url_path,
			   goelf__member(bin, "net/url.URL", "Path"));
	bad |= check_field(want, "testing.common.name", o->test_name,
			   goelf__member(bin, "testing.common", "name"));
	bad |= check_field(want, "net/http.Request.pat", o->req_pat,
			   goelf__member(bin, "net/http.Request", "pat"));
	bad |= check_field(want, "net/http.pattern.str", o->pattern_str,
			   goelf__member(bin, "net/http.pattern", "str"));
	bad |= check_field(want, "net/url.URL.Host", o->url_host,
			   goelf__member(bin, "net/url.URL", "Host"));
	if (bad)
		fail_msg("%s: the table (from %s) disagrees with DWARF: %s", want, o->built_with,
			 REGEN);

	/* the case the table is for: no DWARF, yet goelf gives the version */
	assert_int_equal(goelf__open(strip, &gs, err, sizeof(err)), 0);
	assert_false(gs.has_dwarf);
	assert_true(gs.offsets_src == GO_OFFSETS_TABLE);
	assert_int_equal(gs.g_goid, o->g_goid);
	assert_int_equal(goelf__member(strip, "net/http.Request", "Method"), -1);
	assert_ptr_equal(go_offsets__for(gs.major, gs.minor), o);

	/* a patch release the table was not read from: same offsets (checked
	 * above), worth a note that the table could be refreshed */
	if (strcmp(o->built_with, want))
		print_message("    %s: the table's row was read from %s\n", want, o->built_with);
	print_message("    %s: goid %d parentGoid %d gopc %d startpc %d atomicstatus %d waitsince %d "
		      "waitreason %d m %d sched.sp %d | m.curg %d m.procid %d | Request.Method %d "
		      "Request.URL %d URL.Path %d\n",
		      want, o->g_goid, o->g_parent_goid, o->g_gopc, o->g_startpc, o->g_atomicstatus,
		      o->g_waitsince, o->g_waitreason, o->g_m, o->g_sched_sp, o->m_curg,
		      o->m_procid, o->req_method, o->req_url, o->url_path);
}

static void test_no_toolchain(void **state)
{
	print_message("    no Go toolchain (%s): apt-get install golang-1.19-go to check the "
		      "offsets table against DWARF\n", GO_GLOB);
	skip();
}

/* Every installed toolchain has a row (also said per toolchain above; here
 * all the missing ones at once). */
static void test_covers_installed(void **state)
{
	char missing[256] = "";
	size_t l = 0;

	for (int i = 0; i < nr_tc; i++)
		if (!go_offsets__for(1, tcs[i].minor))
			l += snprintf(missing + l, l < sizeof(missing) ? sizeof(missing) - l : 0,
				      " go1.%d", tcs[i].minor);
	if (l)
		fail_msg("installed Go without a row in user/go/go_offsets_table.h:%s: %s", missing,
			 REGEN);
}

static void test_unknown(void **state)
{
	assert_null(go_offsets__for(1, 99));
	assert_null(go_offsets__for(2, 21));
	assert_null(go_offsets__for(0, 0)); /* a devel toolchain */
	assert_null(go_offsets__for(1, -1));
	assert_null(go_offsets__at(-1));
	assert_null(go_offsets__at(go_offsets__count()));
}

/* The table itself: oldest first, one row per version, each row complete. */
static void test_table(void **state)
{
	int n = go_offsets__count(), prev = -1;

	assert_true(n > 0);
	for (int i = 0; i < n; i++) {
		const struct go_offsets *o = go_offsets__at(i);
		char pre[32];
		size_t pl;

		assert_non_null(o);
		const int must[] = { o->g_goid,	     o->g_gopc,	      o->g_startpc,
				     o->g_atomicstatus, o->g_waitsince, o->g_waitreason,
				     o->g_m,	     o->g_sched_sp,   o->m_curg,
				     o->m_procid,	     o->req_method,   o->req_url,
				     o->url_path };

		assert_int_equal(o->major, 1);
		assert_true(o->minor > prev);
		prev = o->minor;
		assert_ptr_equal(go_offsets__for(o->major, o->minor), o);
		/* built_with is go1.N or go1.N.P */
		assert_non_null(o->built_with);
		pl = snprintf(pre, sizeof(pre), "go%d.%d", o->major, o->minor);
		assert_memory_equal(o->built_with, pre, pl);
		assert_true(o->built_with[pl] == 0 || o->built_with[pl] == '.');
		for (size_t k = 0; k < sizeof(must) / sizeof(must[0]); k++)
			assert_true(must[k] >= 0);
		/* ServeMux patterns: from 1.22 */
		assert_true(o->minor >= 22 ? o->req_pat > 0 && o->req_pat % 8 == 0 &&
						     o->pattern_str >= 0
					   : o->req_pat == -1 && o->pattern_str == -1);
		if (o->minor >= 21)
			assert_true(o->g_parent_goid > 0);
		else
			assert_int_equal(o->g_parent_goid, -1);
		/* gobuf.sp is sched's first word, after the stack bounds, guards,
		 * _panic, _defer and m */
		assert_true(o->g_sched_sp > o->g_m);
		/* fields of 8-byte words (int32 atomicstatus, uint8 waitreason aside) */
		assert_int_equal(o->g_goid % 8, 0);
		assert_int_equal(o->g_m % 8, 0);
		assert_int_equal(o->m_curg % 8, 0);
		assert_int_equal(o->req_url % 8, 0);
	}
}

int main(void)
{
	int n, i = 0, rc;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/weft-test-go-offsets-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	go_env();
	find_toolchains();
	n = (nr_tc ? nr_tc : 1) + 3;
	{
		struct CMUnitTest tests[n];

		memset(tests, 0, sizeof(tests));
		tests[i++] = (struct CMUnitTest){ .name = "table", .test_func = test_table };
		tests[i++] = (struct CMUnitTest){ .name = "unknown", .test_func = test_unknown };
		tests[i++] = (struct CMUnitTest){ .name = "covers_installed",
						  .test_func = test_covers_installed };
		for (int k = 0; k < nr_tc; k++)
			tests[i++] = (struct CMUnitTest){ .name = tcs[k].name,
							  .test_func = test_toolchain,
							  .initial_state = &tcs[k] };
		if (!nr_tc)
			tests[i++] = (struct CMUnitTest){ .name = "go toolchains",
							  .test_func = test_no_toolchain };
		rc = cmocka_run_group_tests(tests, NULL, NULL);
	}
	/* the module cache is read-only: make it writable before removing it */
	run("chmod -R u+w %s 2>/dev/null; rm -rf %s", tmpdir, tmpdir);
	return rc;
}
