/* gomem and the goroutines command's pure parts, without root and without
 * Go: status names, the time namespace clock, the load bias of this (PIE)
 * test binary, a snapshot of fake gs laid out in this process's own memory
 * (read back through process_vm_readv, which needs no privilege on itself),
 * the wait reason strings of a fake runtime.waitReasonStrings, and the
 * grouping by (creation site, start function). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "goelf.h"
#include "gomem.h"
#include "goroutines_cmd.h"

#pragma GCC diagnostic ignored "-Wunused-parameter"

/* ------------------------------------------------------- fake runtime --- */

struct gostr {
	const char *p;
	uint64_t n;
};

/* Found by goelf__var through .symtab, as in a Go binary. */
__attribute__((used)) const struct gostr fake_wait_reasons[4] __asm__("runtime.waitReasonStrings") = {
	{ "", 0 }, { "GC assist marking", 17 }, { "IO wait", 7 }, { "chan receive", 12 },
};

struct fake_g {
	uint64_t stack[2];
	uint64_t goid;
	uint32_t atomicstatus;
	uint8_t waitreason;
	uint8_t pad[3];
	uint64_t gopc, startpc;
	int64_t waitsince;
	uint64_t parent_goid;
};

static struct fake_g fg[6];
static struct fake_g *allgs_arr[6];
static struct { struct fake_g **p; uint64_t len, cap; } fake_allgs;
static uint64_t fake_allglen;

static void fake_gi(struct go_info *gi, bool parents)
{
	memset(gi, 0, sizeof(*gi));
	snprintf(gi->version, sizeof(gi->version), "go1.23.0");
	gi->major = 1;
	gi->minor = 23;
	gi->has_dwarf = true;
	gi->g_goid = offsetof(struct fake_g, goid);
	gi->g_parent_goid = parents ? (int)offsetof(struct fake_g, parent_goid) : -1;
	gi->g_gopc = offsetof(struct fake_g, gopc);
	gi->g_startpc = offsetof(struct fake_g, startpc);
	gi->g_atomicstatus = offsetof(struct fake_g, atomicstatus);
	gi->g_waitsince = offsetof(struct fake_g, waitsince);
	gi->g_waitreason = offsetof(struct fake_g, waitreason);
	gi->g_m = gi->g_sched_sp = gi->m_curg = gi->m_procid = -1;
	/* bias 0: the addresses are this process's own */
	gi->allgs_vaddr = (uint64_t)(uintptr_t)&fake_allgs;
	gi->allglen_vaddr = (uint64_t)(uintptr_t)&fake_allglen;
}

static void fake_runtime(void)
{
	static const uint32_t st[6] = { GO_GWAITING, GO_GDEAD, GO_GRUNNING | GO_GSCAN, GO_GIDLE,
					GO_GSYSCALL, GO_GRUNNABLE };

	memset(fg, 0, sizeof(fg));
	for (int i = 0; i < 6; i++) {
		fg[i].goid = 1 + i * 10;
		fg[i].atomicstatus = st[i];
		fg[i].gopc = 0x401000 + i;
		fg[i].startpc = 0x402000 + i;
		fg[i].parent_goid = i ? 1 : 0;
		allgs_arr[i] = &fg[i];
	}
	fg[0].waitreason = 3;
	fg[0].waitsince = 12345;
	fake_allgs.p = allgs_arr;
	fake_allgs.len = 6;
	fake_allgs.cap = 8;
	fake_allglen = 6;
}

/* ---------------------------------------------------------------- tests --- */

static void test_status_names(void **state)
{
	assert_string_equal(gomem__status_name(0), "idle");
	assert_string_equal(gomem__status_name(1), "runnable");
	assert_string_equal(gomem__status_name(2), "running");
	assert_string_equal(gomem__status_name(3), "syscall");
	assert_string_equal(gomem__status_name(4), "waiting");
	assert_string_equal(gomem__status_name(6), "dead");
	assert_string_equal(gomem__status_name(8), "copystack");
	assert_string_equal(gomem__status_name(9), "preempted");
	assert_string_equal(gomem__status_name(GO_GSCAN | GO_GWAITING), "waiting");
	assert_string_equal(gomem__status_name(10), "unknown");
	assert_string_equal(gomem__status_name(0xffff), "unknown");
}

static void test_nanotime(void **state)
{
	struct timespec a, b;
	int64_t t;

	clock_gettime(CLOCK_MONOTONIC, &a);
	t = gomem__nanotime(getpid());
	clock_gettime(CLOCK_MONOTONIC, &b);
	/* this process is in its own time namespace: no offset */
	assert_true(t >= (int64_t)a.tv_sec * 1000000000LL + a.tv_nsec);
	assert_true(t <= (int64_t)b.tv_sec * 1000000000LL + b.tv_nsec);
}

static void test_bias(void **state)
{
	uint64_t bias = 1, vaddr, size;

	assert_int_equal(gomem__bias(getpid(), "/proc/self/exe", &bias), 0);
	/* the fake array's link-time address plus the bias is where it is */
	assert_int_equal(goelf__var("/proc/self/exe", "runtime.waitReasonStrings", &vaddr, &size),
			 0);
	assert_int_equal(size, sizeof(fake_wait_reasons));
	assert_int_equal(vaddr + bias, (uint64_t)(uintptr_t)fake_wait_reasons);
	assert_int_equal(goelf__var("/proc/self/exe", "runtime.noSuchVariable", &vaddr, &size), -1);
	errno = 0;
	assert_int_equal(gomem__bias(getpid(), "/nonexistent/exe", &bias), -1);
}

static void test_wait_reason(void **state)
{
	struct go_info gi;
	uint64_t bias = 0;
	char buf[64];

	fake_gi(&gi, true);
	assert_int_equal(gomem__bias(getpid(), "/proc/self/exe", &bias), 0);
	assert_string_equal(gomem__wait_reason(getpid(), &gi, bias, 3, buf, sizeof(buf)),
			    "chan receive");
	assert_string_equal(gomem__wait_reason(getpid(), &gi, bias, 2, buf, sizeof(buf)),
			    "IO wait");
	/* cached: the same again */
	assert_string_equal(gomem__wait_reason(getpid(), &gi, bias, 3, buf, sizeof(buf)),
			    "chan receive");
	assert_string_equal(gomem__wait_reason(getpid(), &gi, bias, 0, buf, sizeof(buf)), "");
	assert_string_equal(gomem__wait_reason(getpid(), &gi, bias, 4, buf, sizeof(buf)), "");
	assert_string_equal(gomem__wait_reason(getpid(), &gi, bias, 200, buf, sizeof(buf)), "");
	/* truncated into a small buffer */
	assert_string_equal(gomem__wait_reason(getpid(), &gi, bias, 3, buf, 5), "chan");
}

static void test_snapshot(void **state)
{
	struct go_info gi;
	struct go_g *gs = NULL;
	char err[256] = "";
	int n;

	fake_runtime();
	fake_gi(&gi, true);
	n = gomem__snapshot(getpid(), &gi, 0, &gs, err, sizeof(err));
	assert_int_equal(n, 4); /* dead and idle skipped */
	assert_int_equal(gs[0].goid, 1);
	assert_int_equal(gs[0].status, GO_GWAITING);
	assert_int_equal(gs[0].waitreason, 3);
	assert_int_equal(gs[0].waitsince, 12345);
	assert_int_equal(gs[0].parent_goid, 0);
	assert_int_equal(gs[0].addr, (uint64_t)(uintptr_t)&fg[0]);
	assert_int_equal(gs[1].goid, 21);
	assert_int_equal(gs[1].status, GO_GRUNNING); /* _Gscan masked */
	assert_int_equal(gs[1].parent_goid, 1);
	assert_int_equal(gs[1].gopc, 0x401002);
	assert_int_equal(gs[1].startpc, 0x402002);
	assert_int_equal(gs[2].goid, 41);
	assert_int_equal(gs[2].status, GO_GSYSCALL);
	assert_int_equal(gs[3].goid, 51);
	free(gs);

	/* before Go 1.21: no parent goids */
	fake_gi(&gi, false);
	n = gomem__snapshot(getpid(), &gi, 0, &gs, err, sizeof(err));
	assert_int_equal(n, 4);
	assert_int_equal(gs[1].parent_goid, 0);
	free(gs);

	/* allgs one ahead of allglen (allgadd in progress): allglen's count */
	fake_allglen = 5;
	fake_gi(&gi, true);
	n = gomem__snapshot(getpid(), &gi, 0, &gs, err, sizeof(err));
	assert_int_equal(n, 3);
	free(gs);
}

static void expect_fail(const char *what, const char *msg_part)
{
	struct go_info gi;
	struct go_g *gs = (struct go_g *)1;
	char err[256] = "";

	fake_gi(&gi, true);
	assert_int_equal(gomem__snapshot(getpid(), &gi, 0, &gs, err, sizeof(err)), -1);
	assert_null(gs);
	if (!strstr(err, msg_part))
		fail_msg("%s: '%s' does not mention '%s'", what, err, msg_part);
	assert_null(strchr(err, '\n'));
}

static void test_snapshot_invalid(void **state)
{
	struct go_info gi;
	struct go_g *gs;
	char err[256];

	fake_runtime();
	fg[4].goid = 1;
	expect_fail("duplicate goid", "not unique");

	fake_runtime();
	fg[2].goid = 0;
	expect_fail("goid 0", "goid 0");

	fake_runtime();
	fg[4].atomicstatus = 5;
	expect_fail("moribund", "status");
	fake_runtime();
	fg[4].atomicstatus = 0x2004;
	expect_fail("bad high bits", "status");
	fake_runtime();
	fg[4].atomicstatus = 42;
	expect_fail("status 42", "status");

	fake_runtime();
	fake_allgs.len = 20000000;
	fake_allgs.cap = 20000000;
	expect_fail("huge len", "implausible");

	fake_runtime();
	fake_allgs.len = 9; /* > cap */
	expect_fail("len > cap", "implausible");

	fake_runtime();
	fake_allglen = 7; /* ahead of len */
	expect_fail("allglen > len", "allglen");

	fake_runtime();
	allgs_arr[3] = NULL;
	expect_fail("nil g", "not a g");

	fake_runtime();
	for (int i = 0; i < 6; i++)
		fg[i].atomicstatus = GO_GDEAD;
	expect_fail("no live g", "no live goroutine");

	/* a g pointer into unmapped memory */
	fake_runtime();
	allgs_arr[2] = (struct fake_g *)(uintptr_t)0x10000;
	expect_fail("unmapped g", "unreadable");

	/* missing offsets and symbols */
	fake_runtime();
	fake_gi(&gi, true);
	gi.g_goid = -1;
	assert_int_equal(gomem__snapshot(getpid(), &gi, 0, &gs, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "DWARF"));
	fake_gi(&gi, true);
	gi.allgs_vaddr = 0;
	assert_int_equal(gomem__snapshot(getpid(), &gi, 0, &gs, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "runtime.allgs not found"));
	/* a stripped binary has no allglen: the slice's own length serves */
	fake_gi(&gi, true);
	gi.allglen_vaddr = 0;
	assert_int_equal(gomem__snapshot(getpid(), &gi, 0, &gs, err, sizeof(err)), 4);
	free(gs);

	/* no such process */
	fake_gi(&gi, true);
	assert_int_equal(gomem__snapshot(0x3ffffff0, &gi, 0, &gs, err, sizeof(err)), -1);
	assert_string_equal(err, "no such process");
}

static struct go_g G(uint64_t goid, uint32_t status)
{
	return (struct go_g){ .goid = goid, .status = status };
}

static void test_group(void **state)
{
	struct go_g g[9] = {
		G(1, GO_GWAITING), G(2, GO_GWAITING), G(3, GO_GRUNNABLE), G(4, GO_GWAITING),
		G(5, GO_GWAITING), G(6, GO_GWAITING), G(7, GO_GRUNNING), G(8, GO_GWAITING),
		G(9, GO_GSYSCALL),
	};
	const char *A = "main.spawn (a.go:10)", *B = "main.other (b.go:20)";
	struct gr_row rows[9] = {
		{ &g[0], A, "main.spawn", "main.worker", "chan receive", -1 },
		{ &g[1], A, "main.spawn", "main.worker", "select", 5000 },
		{ &g[2], A, "main.spawn", "main.worker", "", -1 },
		{ &g[3], A, "main.spawn", "main.worker", "select", 7000 },
		{ &g[4], B, "main.other", "main.worker", "sleep", -1 },
		/* same site, another start function: another group */
		{ &g[5], A, "main.spawn", "main.reader", "chan receive", -1 },
		{ &g[6], A, "main.spawn", "main.worker", "", -1 },
		{ &g[7], B, "main.other", "main.worker", "sleep", 100 },
		{ &g[8], "0x401234", "", "", "", 900 },
	};
	struct gr_group *gs;
	char buf[128];
	int n = goroutines__group(rows, 9, &gs);

	assert_int_equal(n, 4);
	/* most goroutines first */
	assert_string_equal(gs[0].site, A);
	assert_string_equal(gs[0].start, "main.worker");
	assert_int_equal(gs[0].count, 5);
	assert_int_equal(gs[0].states[GO_GWAITING], 3);
	assert_int_equal(gs[0].states[GO_GRUNNABLE], 1);
	assert_int_equal(gs[0].states[GO_GRUNNING], 1);
	assert_string_equal(gs[0].wait_reason, "select"); /* 2 of 3 */
	assert_int_equal(gs[0].max_wait_ns, 7000);
	assert_string_equal(goroutines__states(&gs[0], true, buf, sizeof(buf)),
			    "3 waiting (select), 1 runnable, 1 running");
	assert_string_equal(goroutines__states(&gs[0], false, buf, sizeof(buf)),
			    "3 waiting, 1 runnable, 1 running");
	/* then by count, then site */
	assert_string_equal(gs[1].site, B);
	assert_int_equal(gs[1].count, 2);
	assert_string_equal(gs[1].site_func, "main.other");
	assert_string_equal(gs[1].wait_reason, "sleep");
	assert_int_equal(gs[1].max_wait_ns, 100);
	assert_string_equal(gs[2].site, "0x401234");
	assert_int_equal(gs[2].count, 1);
	assert_string_equal(gs[2].wait_reason, "");
	assert_int_equal(gs[2].max_wait_ns, 900);
	assert_string_equal(goroutines__states(&gs[2], true, buf, sizeof(buf)), "1 syscall");
	assert_string_equal(gs[3].site, A);
	assert_string_equal(gs[3].start, "main.reader");
	assert_int_equal(gs[3].max_wait_ns, -1);
	/* a tie between reasons: the first by name */
	free(gs);
	rows[3].reason = "chan receive";
	n = goroutines__group(rows, 9, &gs);
	assert_int_equal(n, 4);
	assert_string_equal(gs[0].wait_reason, "chan receive");
	free(gs);
	/* nothing */
	assert_int_equal(goroutines__group(rows, 0, &gs), 0);
	assert_null(gs);
	/* a small buffer: cut, still a string */
	n = goroutines__group(rows, 9, &gs);
	assert_string_equal(goroutines__states(&gs[0], true, buf, 8), "3 waiti");
	free(gs);
}

static void test_is_system(void **state)
{
	assert_false(goroutines__is_system("runtime.main"));
	assert_false(goroutines__is_system("main.main.func1"));
	assert_false(goroutines__is_system(""));
	assert_false(goroutines__is_system("runtime.corostart"));
	assert_false(goroutines__is_system("runtimex.foo"));
	assert_true(goroutines__is_system("runtime.forcegchelper"));
	assert_true(goroutines__is_system("runtime.gcenable.gowrap1"));
	assert_true(goroutines__is_system("runtime.runfinq"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_names),
		cmocka_unit_test(test_nanotime),
		cmocka_unit_test(test_bias),
		cmocka_unit_test(test_wait_reason),
		cmocka_unit_test(test_snapshot),
		cmocka_unit_test(test_snapshot_invalid),
		cmocka_unit_test(test_group),
		cmocka_unit_test(test_is_system),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
