/* gopclntab's inline trees against the runtime's own answer: a Go program,
 * built here by every toolchain (tools/go-versions.sh: 1.19, 1.21-1.27),
 * plain, stripped (-s -w) and PIE, prints for every pc of its main.main the
 * logical frames that runtime.CallersFrames gives (function, file, line);
 * gopcln__frames must give the same at the same pc (link-time address:
 * the PIE's load bias taken off; "?" and 0 past the last instruction).
 * Go before 1.23 expands only the innermost frame of a lone pc, so there
 * the first frame is compared. Also: the call inlined into a `go` wrapper,
 * generic names as printed, and every pc of every function of a
 * bit-flipped table read without a crash. */
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "go_toolchains.h"
#include "gopclntab.h"

#pragma GCC diagnostic ignored "-Wunused-parameter"

static const char prog_go[] =
	"package main\n"
	"\n"
	"import (\n"
	"\t\"fmt\"\n"
	"\t\"os\"\n"
	"\t\"reflect\"\n"
	"\t\"runtime\"\n"
	")\n"
	"\n"
	"var pcs [32]uintptr\n"
	"\n"
	"func capture() int { return runtime.Callers(1, pcs[:]) }\n"
	"\n"
	"type server struct{ n int }\n"
	"\n"
	"func (s *server) handle() int { return capture() + s.n }\n"
	"\n"
	"func serve(s *server) int { return s.handle() * 2 }\n"
	"\n"
	"func (s *server) loop(done chan int) {\n"
	"\tfor range done {\n"
	"\t\ts.n++\n"
	"\t}\n"
	"}\n"
	"\n"
	"func dump() {\n"
	"\tentry := reflect.ValueOf(main).Pointer()\n"
	"\tstop := reflect.ValueOf(dump).Pointer()\n"
	"\tfmt.Printf(\"entry %x\\n\", entry)\n"
	"\t// pc+1: what CallersFrames looks up (a return address)\n"
	"\tfor pc := entry; runtime.FuncForPC(pc+1) != nil && runtime.FuncForPC(pc+1).Entry() == entry; "
	"pc++ {\n"
	"\t\tvar fs []runtime.Frame\n"
	"\t\tfr := runtime.CallersFrames([]uintptr{pc + 1, stop + 1})\n"
	"\t\tfor {\n"
	"\t\t\tf, more := fr.Next()\n"
	"\t\t\tif f.Entry == stop || !more {\n"
	"\t\t\t\tbreak\n"
	"\t\t\t}\n"
	"\t\t\tfs = append(fs, f)\n"
	"\t\t}\n"
	"\t\tfmt.Printf(\"pc %x %d\\n\", pc, len(fs))\n"
	"\t\tfor _, f := range fs {\n"
	"\t\t\tfmt.Printf(\"\\t%s\\t%s\\t%d\\n\", f.Function, f.File, f.Line)\n"
	"\t\t}\n"
	"\t}\n"
	"}\n"
	"\n"
	"func main() {\n"
	"\ts := &server{n: len(os.Args) - 1}\n"
	"\tfmt.Println(\"n\", serve(s)/2, capture())\n"
	"\tdone := make(chan int)\n"
	"\tgo s.loop(done)\n"
	"\tclose(done)\n"
	"\tdump()\n"
	"}\n";

/* From Go 1.23, runtime.CallersFrames expands a lone pc's inlined calls. */
#define EXPANDS 23

/* The toolchains tools/go-versions.sh lists (run from the source tree, as
 * make unit does), else every /usr/lib/go-1.N. */
static void toolchains(void)
{
	FILE *p = popen("bash tools/go-versions.sh 2>/dev/null", "r");
	char line[600];

	while (p && nr_tc < MAX_TC && fgets(line, sizeof(line), p)) {
		struct toolchain *tc = &tcs[nr_tc];

		if (sscanf(line, "1.%d %255s", &tc->minor, tc->go) != 2)
			continue;
		snprintf(tc->name, sizeof(tc->name), "inline go1.%d", tc->minor);
		nr_tc++;
	}
	if (p)
		pclose(p);
	if (!nr_tc)
		find_toolchains();
}

/* Compares the program's report (out) with gopcln__frames on bin. */
static void check_frames(const struct toolchain *tc, const char *bin, const char *out)
{
	char err[256], line[1024];
	struct gopcln *g = gopcln__open(bin, err, sizeof(err));
	struct gofunc mainf;
	uint64_t bias = 0, pc = 0;
	int want = 0, k = 0, got = 0, nr_pcs = 0, deep_ref = 0, deep = 0;
	struct goframe fr[16];
	FILE *f = fopen(out, "r");

	if (!g)
		fail_msg("%s: %s", bin, err);
	assert_non_null(f);
	assert_int_equal(gopcln__func_by_name(g, "main.main", 0, &mainf), 0);
	while (fgets(line, sizeof(line), f)) {
		char name[512], file[512], printed[512];
		unsigned long long a;
		int ln, n;

		if (sscanf(line, "entry %llx", &a) == 1) {
			bias = a - mainf.entry;
		} else if (sscanf(line, "pc %llx %d", &a, &n) == 2) {
			assert_int_equal(k, want); /* every frame of the last pc seen */
			pc = a - bias;
			want = n;
			k = 0;
			got = gopcln__frames(g, pc, fr, 16);
			assert_true(got >= 1);
			nr_pcs++;
			deep += got >= 3;
			deep_ref += n >= 3;
			/* the physical function last */
			assert_string_equal(fr[got - 1].name, "main.main");
			if (tc->minor >= EXPANDS && got != n)
				fail_msg("%s: pc %#llx: %d frames, the runtime %d", bin,
					 (unsigned long long)pc, got, n);
		} else if (line[0] == '\t' &&
			   sscanf(line, "\t%511s\t%511s\t%d", name, file, &ln) == 3) {
			if (k < got && (k == 0 || tc->minor >= EXPANDS)) {
				gopcln__print_name(fr[k].name, printed, sizeof(printed));
				if (strcmp(printed, name) ||
				    strcmp(fr[k].file[0] ? fr[k].file : "?", file) ||
				    fr[k].line != ln)
					fail_msg("%s: pc %#llx frame %d: %s %s:%d, the runtime %s %s:%d",
						 bin, (unsigned long long)pc, k, printed, fr[k].file,
						 fr[k].line, name, file, ln);
			}
			k++;
		}
	}
	fclose(f);
	assert_int_equal(k, want);
	assert_true(nr_pcs > 100);
	/* main.main <- capture <- runtime.Callers, inlined: seen by us on
	 * every version, by the runtime on those that expand a lone pc */
	assert_true(deep > 0);
	if (tc->minor >= EXPANDS)
		assert_int_equal(deep, deep_ref);
	gopcln__close(g);
}

/* The `go s.loop(done)` wrapper: from 1.22 (.gowrap1) the compiler inlines
 * loop into it; before, its wrapper .func1 calls it. */
static void check_wrapper(const struct toolchain *tc, const char *bin)
{
	char err[256];
	struct gopcln *g = gopcln__open(bin, err, sizeof(err));
	struct gofunc w;
	const char *names[8];
	int n;

	assert_non_null(g);
	assert_int_equal(gopcln__func_by_name(g, tc->minor >= 22 ? "main.main.gowrap1" :
								   "main.main.func1", 0, &w), 0);
	n = gopcln__inlined(g, &w, names, 8);
	if (tc->minor >= 22) {
		assert_int_equal(n, 1);
		assert_string_equal(names[0], "main.(*server).loop");
	} else {
		assert_int_equal(n, 0);
	}
	gopcln__close(g);
}

static void test_toolchain(void **state)
{
	struct toolchain *tc = *state;
	static const char *const modes[][2] = { { "plain", "" },
						{ "stripped", "-ldflags='-s -w'" },
						{ "pie", "-buildmode=pie" } };
	char path[700], bin[700], out[800], v[64], want[32];

	go_version(tc->go, v, sizeof(v));
	snprintf(want, sizeof(want), "go1.%d", tc->minor);
	assert_true(!strncmp(v, want, strlen(want)) && (!v[strlen(want)] || v[strlen(want)] == '.'));
	snprintf(tc->dir, sizeof(tc->dir), "%s/%d", tmpdir, tc->minor);
	assert_int_equal(run("mkdir -p %s", tc->dir), 0);
	snprintf(path, sizeof(path), "%s/prog.go", tc->dir);
	write_file(path, prog_go, sizeof(prog_go) - 1);
	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		snprintf(bin, sizeof(bin), "%s/prog-%s", tc->dir, modes[m][0]);
		snprintf(out, sizeof(out), "%s.out", bin);
		assert_int_equal(build(tc, bin, modes[m][1]), 0);
		assert_int_equal(run("%s > %s", bin, out), 0);
		check_frames(tc, bin, out);
		check_wrapper(tc, bin);
	}
}

static void test_no_toolchain(void **state)
{
	print_message("    no Go toolchain (tools/go-versions.sh, /usr/lib/go-1.N)\n");
	skip();
}

static void test_print_name(void **state)
{
	char b[64];

	assert_string_equal(gopcln__print_name("main.process[go.shape.int]", b, sizeof(b)),
			    "main.process[...]");
	assert_string_equal(gopcln__print_name("main.(*List[go.shape.string]).Push", b, sizeof(b)),
			    "main.(*List[...]).Push");
	assert_string_equal(gopcln__print_name("p.F[p.T[go.shape.int]].m[int]", b, sizeof(b)),
			    "p.F[...].m[...]");
	assert_string_equal(gopcln__print_name("main.(*pubsub).forward", b, sizeof(b)),
			    "main.(*pubsub).forward");
	assert_string_equal(gopcln__print_name("a[b", b, sizeof(b)), "a[...]");
	assert_string_equal(gopcln__print_name("main.process[go.shape.int]", b, 8), "main.pr");
}

/* Bit flips in the table (and the data after it): any answer, no crash. */
static void test_corrupt(void **state)
{
	char src[700], path[700], err[256];
	struct goframe fr[16];
	const char *names[8];
	unsigned char *buf;
	size_t n;
	FILE *f;

	if (!nr_tc)
		skip();
	snprintf(src, sizeof(src), "%s/%d/prog-stripped", tmpdir, tcs[nr_tc - 1].minor);
	f = fopen(src, "r");
	if (!f)
		skip();
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc(n);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, n, f), n);
	fclose(f);
	snprintf(path, sizeof(path), "%s/corrupt", tmpdir);
	srand(7);
	int opened = 0;

	for (int round = 0; round < 40; round++) {
		unsigned char *mut = malloc(n);
		struct gopcln *g;
		struct gofunc fn;

		memcpy(mut, buf, n);
		/* the read-only data: the table and go:func.* (past the text) */
		for (int k = 0; k < 2000; k++)
			mut[n / 3 + rand() % (n - n / 3)] ^= 1 << (rand() % 8);
		write_file(path, mut, n);
		free(mut);
		if (!(g = gopcln__open(path, err, sizeof(err))))
			continue;
		opened++;
		for (size_t i = 0; i < gopcln__nr_funcs(g); i += 7) {
			if (gopcln__func_at_index(g, i, &fn) || fn.end <= fn.entry ||
			    fn.end - fn.entry > 65536)
				continue;
			gopcln__inlined(g, &fn, names, 8);
			for (uint64_t pc = fn.entry; pc < fn.end; pc += 3)
				assert_true(gopcln__frames(g, pc, fr, 16) <= 16);
		}
		gopcln__close(g);
	}
	assert_true(opened > 0); /* some flips left a table to read */
	free(buf);
}

int main(void)
{
	int i = 0, rc;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/weft-test-gopclntab-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	go_env();
	toolchains();
	{
		struct CMUnitTest tests[MAX_TC + 3];

		memset(tests, 0, sizeof(tests));
		for (int k = 0; k < nr_tc; k++)
			tests[i++] = (struct CMUnitTest){ .name = tcs[k].name,
							  .test_func = test_toolchain,
							  .initial_state = &tcs[k] };
		if (!nr_tc)
			tests[i++] = (struct CMUnitTest){ .name = "go toolchains",
							  .test_func = test_no_toolchain };
		tests[i++] = (struct CMUnitTest){ .name = "print_name", .test_func = test_print_name };
		tests[i++] = (struct CMUnitTest){ .name = "corrupt", .test_func = test_corrupt };
		rc = _cmocka_run_group_tests("gopclntab", tests, i, NULL, NULL);
	}
	run("chmod -R u+w %s 2>/dev/null; rm -rf %s", tmpdir, tmpdir);
	return rc;
}
