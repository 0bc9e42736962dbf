/* cexit: a C test suite whose cases all end right before the process
 * exits, for weft check --txn run_case's verdict at the exit
 * (tests/runtime/test_check_exit.sh). main runs run_case(0..4), then
 * returns at once:
 *
 *	case 0  a thread blocked on a pipe nobody writes (SITE:blocked): a leak
 *	case 1  a thread asleep for an hour (SITE:sleeper): a leak
 *	case 2  a thread asleep for 100 ms (SITE:nap): cleanup
 *	case 3  a thread computing for 300 ms (SITE:busy): cleanup
 *	case 4  a thread waiting on a condition with a deadline an hour away
 *	        (SITE:deadline): a leak
 *
 * => weft check --txn run_case exits 1: 3 leaks, 2 cleanups at the exit.
 */
#include <time.h>
#include "common.h"

static int forever[2]; /* never written */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;
static volatile unsigned long sink;

static void *blocked_main(void *arg)
{
	char c;

	while (read(forever[0], &c, 1) < 0 && errno == EINTR)
		;
	return arg;
}

static void *sleeper_main(void *arg)
{
	sleep_ms(3600 * 1000);
	return arg;
}

static void *nap_main(void *arg)
{
	sleep_ms(100);
	return arg;
}

static void *busy_main(void *arg)
{
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	do {
		for (int i = 0; i < 1000; i++)
			sink += i;
		clock_gettime(CLOCK_MONOTONIC, &b);
	} while ((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 < 300);
	return arg;
}

static void *deadline_main(void *arg)
{
	struct timespec at;

	clock_gettime(CLOCK_REALTIME, &at);
	at.tv_sec += 3600;
	pthread_mutex_lock(&mu);
	while (pthread_cond_timedwait(&never, &mu, &at) == 0)
		;
	pthread_mutex_unlock(&mu);
	return arg;
}

TARGET_FN static void blocked_case(void) { SPAWN_DETACHED(blocked_main, NULL); /* SITE:blocked */ }
TARGET_FN static void sleeper_case(void) { SPAWN_DETACHED(sleeper_main, NULL); /* SITE:sleeper */ }
TARGET_FN static void nap_case(void) { SPAWN_DETACHED(nap_main, NULL); /* SITE:nap */ }
TARGET_FN static void busy_case(void) { SPAWN_DETACHED(busy_main, NULL); /* SITE:busy */ }
TARGET_FN static void deadline_case(void) { SPAWN_DETACHED(deadline_main, NULL); /* SITE:deadline */ }

TARGET_FN int run_case(int i)
{
	switch (i) {
	case 0: blocked_case(); break;
	case 1: sleeper_case(); break;
	case 2: nap_case(); break;
	case 3: busy_case(); break;
	case 4: deadline_case(); break;
	}
	BARRIER();
	return 0;
}

int main(void)
{
	target_wait();
	if (pipe(forever))
		return 1;
	for (int i = 0; i < 5; i++)
		run_case(i);
	sleep_ms(20); /* every thread in its wait */
	tlog("cexit done");
	return 0;
}
