/* The unit tests' Go toolchains (tools/go-versions.sh's: the installed
 * /usr/lib/go-1.N and those tools/fetch-go.sh unpacked under build/go) and how
 * they build a test program: shared by the Go unit tests. Included once per
 * test binary (static); the functions static inline, so a test that uses only
 * some of them builds without warnings. */
#ifndef WEFT_TEST_GO_TOOLCHAINS_H
#define WEFT_TEST_GO_TOOLCHAINS_H

#define MAX_TC 16
#ifndef GO_GLOB
#define GO_GLOB "/usr/lib/go-1.*/bin/go"
#endif

struct toolchain {
	char go[256];  /* /usr/lib/go-1.N/bin/go, build/go/1.N/usr/lib/go-1.N/bin/go */
	char name[32]; /* "go1.N" (the test's name) */
	int minor;     /* N */
	char dir[512]; /* its build directory */
	char bin[600]; /* the normal build, once built (test_goelf_rejects) */
};

static char tmpdir[256];
static struct toolchain tcs[MAX_TC];
static int nr_tc;

static inline int run(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static inline void write_file(const char *path, const void *buf, size_t n)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, n, f), n);
	fclose(f);
}

/* "go1.19.8" from `go version` ("go version go1.19.8 linux/amd64"). */
static inline void go_version(const char *go, char *out, size_t len)
{
	char cmd[512], line[256] = "", v[64] = "";
	FILE *p;

	snprintf(cmd, sizeof(cmd), "%s version", go);
	p = popen(cmd, "r");
	assert_non_null(p);
	if (!fgets(line, sizeof(line), p))
		line[0] = 0;
	pclose(p);
	assert_int_equal(sscanf(line, "go version %63s", v), 1);
	snprintf(out, len, "%s", v);
}

static inline int build(const struct toolchain *tc, const char *out, const char *flags)
{
	return run("cd %s && %s build -buildvcs=false %s -o %s prog.go >build.log 2>&1 || "
		   "cat build.log >&2",
		   tc->dir, tc->go, flags, out);
}

/* tools/go-versions.sh's list ("1.N PATH" lines), run from the repository
 * (make unit's directory); else every GO_GLOB match. */
static inline int find_toolchains(void)
{
	char line[512], path[300];
	FILE *p = popen("bash tools/go-versions.sh 2>/dev/null", "r");
	glob_t g;

	while (p && fgets(line, sizeof(line), p) && nr_tc < MAX_TC) {
		struct toolchain *tc = &tcs[nr_tc];

		if (sscanf(line, "1.%d %299s", &tc->minor, path) != 2 || access(path, X_OK))
			continue;
		snprintf(tc->go, sizeof(tc->go), "%s", path);
		snprintf(tc->name, sizeof(tc->name), "go1.%d", tc->minor);
		nr_tc++;
	}
	if (p)
		pclose(p);
	if (nr_tc || glob(GO_GLOB, 0, NULL, &g))
		return nr_tc;
	for (size_t i = 0; i < g.gl_pathc && nr_tc < MAX_TC; i++) {
		struct toolchain *tc = &tcs[nr_tc];

		if (access(g.gl_pathv[i], X_OK) ||
		    sscanf(g.gl_pathv[i], "/usr/lib/go-1.%d/", &tc->minor) != 1)
			continue;
		snprintf(tc->go, sizeof(tc->go), "%s", g.gl_pathv[i]);
		snprintf(tc->name, sizeof(tc->name), "go1.%d", tc->minor);
		nr_tc++;
	}
	globfree(&g);
	return nr_tc;
}

static inline void go_env(void)
{
	char p[512];

	/* WEFT_GOCACHE (make unit sets it under build/) keeps compiled
	 * packages between runs: a cold cache costs most of this test's time. */
	snprintf(p, sizeof(p), "%s/gocache", tmpdir);
	setenv("GOCACHE", getenv("WEFT_GOCACHE") ? getenv("WEFT_GOCACHE") : p, 1);
	snprintf(p, sizeof(p), "%s/gopath", tmpdir);
	setenv("GOPATH", p, 1);
	if (!getenv("HOME"))
		setenv("HOME", tmpdir, 1);
	setenv("GO111MODULE", "off", 1);
	setenv("GOTOOLCHAIN", "local", 1); /* 1.21+: never fetch another toolchain */
	setenv("GOFLAGS", "", 1);
	setenv("CGO_ENABLED", "0", 1);
	unsetenv("GOROOT");
}

/* A test binary's start: tmpdir made from pattern (mkdtemp's), Go's
 * environment, the toolchains found. 0, or -1 with no directory. */
static inline int go_tests_begin(const char *pattern)
{
	snprintf(tmpdir, sizeof(tmpdir), "%s", pattern);
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return -1;
	}
	go_env();
	find_toolchains();
	return 0;
}

/* ...and its end: the module cache is read-only, made writable to go. */
static inline void go_tests_end(void)
{
	run("chmod -R u+w %s 2>/dev/null; rm -rf %s", tmpdir, tmpdir);
}

#endif
