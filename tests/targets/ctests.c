/* ctests: a C test suite in one binary, for weft check --txn run_case
 * (tests/runtime/test_check.sh). main runs run_case(0..3), one after the
 * other:
 *
 *	case 0  a worker thread, joined: clean
 *	case 1  a thread blocked forever on a pipe (SITE:leak): a leak
 *	case 2  a thread released at the end of the case, exits 5 ms later
 *	        (SITE:late): cleanup, not a leak
 *	case 3  nothing
 *
 * then sleeps 700 ms (every leak judged while it runs) and exits 0.
 * => weft check --txn run_case exits 1 with one line: run_case, 1 thread
 * created at leak_case, start routine blocked_main.
 */
#include "common.h"

static int forever[2];	/* never written */
static int release[2];	/* written by main once case 2 has returned */

static void *worker_main(void *arg) { return arg; }

static void *blocked_main(void *arg)
{
	char c;

	while (read(forever[0], &c, 1) < 0 && errno == EINTR)
		;
	return arg;
}

static void *late_main(void *arg)
{
	char c;

	while (read(release[0], &c, 1) < 0 && errno == EINTR)
		;
	sleep_ms(5);
	return NULL;
}

TARGET_FN static void clean_case(void)
{
	pthread_t t;

	SPAWN(&t, worker_main, NULL);
	pthread_join(t, NULL);
}

TARGET_FN static void leak_case(void)
{
	SPAWN_DETACHED(blocked_main, NULL); /* SITE:leak */
}

TARGET_FN static void late_case(void)
{
	SPAWN_DETACHED(late_main, NULL); /* SITE:late */
}

TARGET_FN int run_case(int i)
{
	switch (i) {
	case 0: clean_case(); break;
	case 1: leak_case(); break;
	case 2: late_case(); break;
	}
	BARRIER();
	return 0;
}

int main(void)
{
	target_wait();
	if (pipe(forever) || pipe(release))
		return 1;
	for (int i = 0; i < 4; i++) {
		run_case(i);
		if (i == 2 && write(release[1], "x", 1) != 1)
			return 1;
	}
	tlog("ctests done");
	sleep_ms(700);
	return 0;
}
