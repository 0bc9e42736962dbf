/* probe_cost: cost per hit of a uprobe on a function, of a weft.h marker
 * (nop5 USDT) and of a <sys/sdt.h> marker (1-byte nop USDT).
 *
 *   probe_cost MODE ITER
 *
 * MODE  plain: calls bench_plain_fn(obj), a noinline empty function (the
 *              target of an ordinary uprobe), ITER times;
 *       push:  calls bench_push_fn(obj) ITER times: the same, but the
 *              function is written in assembly so that its first
 *              instruction is "push %rbp" (55), which the kernel emulates
 *              after the uprobe's trap, where bench_plain_fn's first
 *              instruction ("ret" at -O2) is single-stepped out of line;
 *       weft:  runs the marker weft:task_begin(obj) ITER times;
 *       sdt:   same as weft (only in the build with -DUSE_SDT).
 * The marker is WEFT_TASK_BEGIN(i) from weft.h, or, built with -DUSE_SDT
 * (binary probe_cost_sdt), DTRACE_PROBE1(weft, task_begin, i) from
 * <sys/sdt.h>: the same provider and name, so one attach spec
 * (usdt:BIN:weft:task_begin) probes either. Each binary has exactly one
 * weft:task_begin site.
 *
 * Prints one line on stdout: "MODE ITER NS_PER_ITER" (CLOCK_MONOTONIC around
 * the ITER calls). Before the timed loop the same loop runs WARMUP (64)
 * times, at the same site: the first hits of a probe on a nop5 take the
 * int3 path while the kernel optimizes it into a call.
 *
 * Environment:
 *   WEFT_TEST_WAIT=FILE    before anything, wait (poll 10 ms, up to 10 s)
 *                          until FILE exists, so a tracer can attach first.
 *   PROBE_COST_MAPS=1      at exit, print the lines of /proc/self/maps
 *                          about uprobes ("[uprobes]": the int3 path's
 *                          single-step area, "[uprobes-trampoline]": a
 *                          probe was optimized) and the first bytes of
 *                          bench_plain_fn to stderr.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#ifdef USE_SDT
#include <sys/sdt.h>
#define BENCH_MARKER(i) DTRACE_PROBE1(weft, task_begin, i)
#define BENCH_MARKER_KIND "sdt"
#else
#include <weft/weft.h>
#define BENCH_MARKER(i) WEFT_TASK_BEGIN(i)
#define BENCH_MARKER_KIND "weft"
#endif

#define WARMUP 64

/* An empty function that starts like most non-leaf functions built with a
 * frame pointer: push %rbp; mov %rsp,%rbp. */
void bench_push_fn(uint64_t x);
__asm__(".text\n"
	".globl bench_push_fn\n"
	".type bench_push_fn, @function\n"
	".p2align 4\n"
	"bench_push_fn:\n"
	"\tpush %rbp\n"
	"\tmov %rsp, %rbp\n"
	"\tpop %rbp\n"
	"\tret\n"
	".size bench_push_fn, .-bench_push_fn\n");

/* The object passed at every iteration; volatile so that it is read once
 * into a register, not folded into an immediate. */
static volatile uint64_t bench_obj = 0x5eed;

__attribute__((noinline)) void bench_plain_fn(uint64_t x)
{
	__asm__ __volatile__("" : : "r"(x));
}

/* noinline: the warm-up and the timed loop run the very same call site. */
__attribute__((noinline)) static void run_plain(uint64_t n)
{
	uint64_t obj = bench_obj;

	for (uint64_t i = 0; i < n; i++)
		bench_plain_fn(obj);
}

__attribute__((noinline)) static void run_push(uint64_t n)
{
	uint64_t obj = bench_obj;

	for (uint64_t i = 0; i < n; i++)
		bench_push_fn(obj);
}

__attribute__((noinline)) static void run_marker(uint64_t n)
{
	uint64_t obj = bench_obj;

	for (uint64_t i = 0; i < n; i++)
		BENCH_MARKER(obj);
}

static void sleep_10ms(void)
{
	struct timespec ts = { 0, 10 * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void wait_for_file(void)
{
	const char *p = getenv("WEFT_TEST_WAIT");
	struct stat st;

	if (!p || !*p)
		return;
	for (int i = 0; i < 1000; i++) {
		if (stat(p, &st) == 0)
			return;
		sleep_10ms();
	}
	fprintf(stderr, "probe_cost: WEFT_TEST_WAIT: %s did not appear within 10 s\n", p);
	exit(2);
}

static void print_maps(void)
{
	const unsigned char *fn = (const unsigned char *)(uintptr_t)bench_plain_fn;
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];

	if (f) {
		while (fgets(line, sizeof(line), f))
			if (strstr(line, "[uprobes"))
				fprintf(stderr, "probe_cost: maps: %s", line);
		fclose(f);
	}
	fprintf(stderr, "probe_cost: bench_plain_fn: %02x %02x %02x %02x %02x\n",
		fn[0], fn[1], fn[2], fn[3], fn[4]);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	void (*run)(uint64_t);
	const char *mode;
	unsigned long long iter;
	char *end;
	double t0, t1;

	if (argc != 3) {
		fprintf(stderr, "usage: %s plain|push|weft|sdt ITER\n", argv[0]);
		return 2;
	}
	mode = argv[1];
	errno = 0;
	iter = strtoull(argv[2], &end, 10);
	if (errno || *end || end == argv[2] || !iter) {
		fprintf(stderr, "probe_cost: bad ITER '%s'\n", argv[2]);
		return 2;
	}
	if (!strcmp(mode, "plain")) {
		run = run_plain;
	} else if (!strcmp(mode, "push")) {
		run = run_push;
	} else if (!strcmp(mode, "weft") || !strcmp(mode, "sdt")) {
#ifndef USE_SDT
		if (!strcmp(mode, "sdt")) {
			fprintf(stderr, "probe_cost: built with weft.h markers: use the "
					"-DUSE_SDT build (probe_cost_sdt) for MODE sdt\n");
			return 2;
		}
#endif
		run = run_marker;
	} else {
		fprintf(stderr, "probe_cost: unknown MODE '%s' (plain, push, weft, sdt)\n", mode);
		return 2;
	}

	wait_for_file();
	run(WARMUP);
	t0 = now_ns();
	run(iter);
	t1 = now_ns();
	printf("%s %llu %.1f\n", mode, iter, (t1 - t0) / (double)iter);
	fflush(stdout);
	if (getenv("PROBE_COST_MAPS"))
		print_maps();
	return 0;
}
