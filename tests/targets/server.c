/* server: a fake request server with a known leak and asynchronous cleanup.
 *
 *   server [N [keep]]     (N requests, default 6; "keep": never exit)
 *
 * Startup: start_housekeeping() creates 1 thread (start housekeeping_main)
 * that lives until the process exits, created before anything else and
 * outside any transaction:
 *   - under `weft trace -- server`: an orphan (site_func start_housekeeping,
 *     count 1);
 *   - under `weft trace -p` it is created BEFORE target_wait(), so before
 *     the attach: preattach, never an orphan nor a leak.
 * Then target_wait() ($WEFT_TEST_WAIT), then main calls handle_request(i)
 * for i = 0..N-1, 20 ms apart (--txn handle_request). Each request:
 *   spawn_workers(i):     2 threads (request_worker), joined     -> clean
 *   leak_worker_spawn(i): if i % 3 == 0, 1 detached thread
 *                         (leak_worker_main) that blocks forever -> LEAK
 *   cleanup_spawn(i):     1 detached thread (cleanup_main) that sleeps
 *                         50 ms, then exits (~50 ms after its request ended)
 *                         -> asynchronous cleanup: not a leak with the
 *                            default 500 ms grace, a leak with 10 ms.
 * After the last request main sleeps 700 ms (> the default grace, so leaks
 * are decided inside the capture), logs "server idle", then exits, or with
 * "keep" logs "server tick=K" every 100 ms forever (no threads created).
 *
 * Expected, N = 6 (requests 0 and 3 leak):
 *   6 handle_request txns; segments per txn: 4,3,3,4,3,3 (20 in all);
 *   grace 500ms: leaks = [leak_worker_spawn x2], txn leaked 1,0,0,1,0,0
 *   grace 10ms:  leaks = leak_worker_spawn x2 + cleanup_spawn x6,
 *                txn leaked 2,1,1,2,1,1
 *
 * Log ($WEFT_TEST_LOG or stderr):
 *   server main tid=T / server housekeeping tid=T
 *   server req=I worker tid=T | leak tid=T | cleanup tid=T | cleanup-exit tid=T
 *   server idle / server tick=K
 */
#include "common.h"

static void *housekeeping_main(void *arg)
{
	tlog("server housekeeping tid=%d", target_gettid());
	for (;;)
		sleep_ms(1000);
	return NULL;
}

TARGET_FN void start_housekeeping(void)
{
	SPAWN_DETACHED(housekeeping_main, NULL); /* SITE:housekeeping */
	BARRIER();
}

static void *request_worker(void *arg)
{
	tlog("server req=%ld worker tid=%d", (long)arg, target_gettid());
	sleep_ms(3);
	return NULL;
}

static void *leak_worker_main(void *arg)
{
	tlog("server req=%ld leak tid=%d", (long)arg, target_gettid());
	for (;;)
		pause();
	return NULL;
}

static void *cleanup_main(void *arg)
{
	tlog("server req=%ld cleanup tid=%d", (long)arg, target_gettid());
	sleep_ms(50);
	tlog("server req=%ld cleanup-exit tid=%d", (long)arg, target_gettid());
	return NULL;
}

TARGET_FN void spawn_workers(long i)
{
	pthread_t t[2];

	for (int k = 0; k < 2; k++)
		SPAWN(&t[k], request_worker, (void *)i); /* SITE:workers */
	for (int k = 0; k < 2; k++)
		JOIN(t[k]);
}

TARGET_FN void leak_worker_spawn(long i)
{
	SPAWN_DETACHED(leak_worker_main, (void *)i); /* SITE:leak */
	BARRIER();
}

TARGET_FN void cleanup_spawn(long i)
{
	SPAWN_DETACHED(cleanup_main, (void *)i); /* SITE:cleanup */
	BARRIER();
}

TARGET_FN long handle_request(long i)
{
	spawn_workers(i);
	if (i % 3 == 0)
		leak_worker_spawn(i);
	cleanup_spawn(i);
	BARRIER();
	return i;
}

int main(int argc, char **argv)
{
	long n = arg_long(argc, argv, 1, 6);
	int keep = argc > 2 && !strcmp(argv[2], "keep");

	if (argc > 2 && !keep)
		die("usage: server [N [keep]]");
	tlog("server main tid=%d", target_gettid());
	start_housekeeping();
	target_wait();
	for (long i = 0; i < n; i++) {
		handle_request(i);
		sleep_ms(20);
	}
	sleep_ms(700);
	tlog("server idle");
	for (long k = 1; keep; k++) {
		sleep_ms(100);
		tlog("server tick=%ld", k);
	}
	return 0;
}
