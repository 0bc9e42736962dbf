/* cpushape: transactions with known CPU and blocking shapes, for the
 * profiler (-F, --off-cpu).
 *
 *   cpushape [N] [MS]   (N rounds, default 10; MS per request, default 20)
 *
 * Each round runs three transactions (weft.h markers), one after the other
 * on the main thread:
 *   "spin"   spin_cpu(MS): MS of the thread's own CPU time (measured with
 *            CLOCK_THREAD_CPUTIME_ID, so preemption does not shorten it),
 *            nothing blocks: on-CPU MS, off-CPU ~0.
 *   "sleep"  nanosleep(MS): off-CPU MS, on-CPU ~0.
 *   "wait"   a thread made in the transaction (site run_wait, start
 *            wait_child) runs child_spin(MS/2) then sleeps MS/2; main joins
 *            it: on-CPU MS/2 (the child's), off-CPU MS/2 (the child's
 *            sleep) + the time main blocks in pthread_join (~MS).
 *
 * Log ($WEFT_TEST_LOG or stderr):
 *   cpushape main tid=T
 *   cpushape round=I spin_cpu_ns=C        (the spin's measured CPU time)
 *   done N
 */
#include <stdint.h>

#include "common.h"
#include <weft/weft.h>

static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static volatile uint64_t sink;

/* Burns ms of this thread's CPU. The clock is read rarely: the time is spent
 * in this function's own code, where a frame-pointer stack names it. */
TARGET_FN uint64_t spin_cpu(long ms)
{
	uint64_t start = cpu_ns(), x = 1;

	while (cpu_ns() - start < (uint64_t)ms * 1000000) {
		for (int i = 0; i < 20000; i++)
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		sink = x;
	}
	return cpu_ns() - start;
}

TARGET_FN uint64_t child_spin(long ms)
{
	uint64_t start = cpu_ns(), x = 3;

	while (cpu_ns() - start < (uint64_t)ms * 1000000) {
		for (int i = 0; i < 20000; i++)
			x = x * 2862933555777941757ULL + 3037000493ULL;
		sink = x;
	}
	return cpu_ns() - start;
}

static long req_ms;

static void *wait_child(void *arg)
{
	(void)arg;
	child_spin(req_ms / 2);
	sleep_ms(req_ms / 2);
	return NULL;
}

TARGET_FN void run_spin(long round)
{
	uint64_t c;

	WEFT_TXN_BEGIN("spin");
	c = spin_cpu(req_ms);
	WEFT_TXN_END();
	tlog("cpushape round=%ld spin_cpu_ns=%llu", round, (unsigned long long)c);
}

TARGET_FN void run_sleep(void)
{
	WEFT_TXN_BEGIN("sleep");
	sleep_ms(req_ms);
	WEFT_TXN_END();
}

TARGET_FN void run_wait(void)
{
	pthread_t t;

	WEFT_TXN_BEGIN("wait");
	SPAWN(&t, wait_child, NULL); /* SITE:wait */
	JOIN(t);
	WEFT_TXN_END();
}

int main(int argc, char **argv)
{
	long n = arg_long(argc, argv, 1, 10);

	req_ms = arg_long(argc, argv, 2, 20);
	target_wait();
	tlog("cpushape main tid=%d", target_gettid());
	for (long i = 0; i < n; i++) {
		run_spin(i);
		run_sleep();
		run_wait();
	}
	tlog("done %ld", n);
	return 0;
}
