/* topleak: a server that leaks a thread per "serve" transaction, slowly,
 * for weft top (tests/runtime/test_top.sh).
 *
 *   topleak [N]      (N serve transactions, default 0: until killed)
 *
 * target_wait() ($WEFT_TEST_WAIT), then forever (or N times), every 300 ms:
 *   serve (WEFT_TXN_BEGIN("serve") ... WEFT_TXN_END(), about 20 ms):
 *     a worker thread (start worker_main, site spawn_worker) joined inside
 *     the transaction: it ends there;
 *     a thread (start leak_main, site leak_spawn) that blocks forever: a
 *     leak, one more every 300 ms (at most 1000);
 *   then 3 pings, 100 ms apart (WEFT_TXN_BEGIN("ping"), about 1 ms, no
 *   continuation).
 * So "ping" has 3x the count and rate of "serve", and a far shorter p50.
 *
 * Log ($WEFT_TEST_LOG or stderr): "topleak pid=P" first, then
 * "topleak serve=I" after each serve.
 */
#include "common.h"
#include <weft/weft.h>

#define MAX_LEAKS 1000

static pthread_mutex_t never_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;

static void *leak_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&never_lock);
	for (;;)
		pthread_cond_wait(&never, &never_lock);
	return NULL;
}

static void *worker_main(void *arg)
{
	(void)arg;
	sleep_ms(5);
	return NULL;
}

TARGET_FN void leak_spawn(void)
{
	SPAWN_DETACHED(leak_main, NULL); /* SITE:leak */
}

TARGET_FN void spawn_worker(void)
{
	pthread_t t;

	SPAWN(&t, worker_main, NULL); /* SITE:worker */
	JOIN(t);
}

TARGET_FN void serve(long i)
{
	WEFT_TXN_BEGIN("serve");
	spawn_worker();
	if (i < MAX_LEAKS)
		leak_spawn();
	sleep_ms(20);
	WEFT_TXN_END();
}

TARGET_FN void ping(void)
{
	WEFT_TXN_BEGIN("ping");
	sleep_ms(1);
	WEFT_TXN_END();
}

int main(int argc, char **argv)
{
	long n = arg_long(argc, argv, 1, 0);

	target_wait();
	tlog("topleak pid=%d", (int)getpid());
	for (long i = 0; !n || i < n; i++) {
		serve(i);
		tlog("topleak serve=%ld", i);
		for (int k = 0; k < 3; k++) {
			sleep_ms(100);
			ping();
		}
	}
	return 0;
}
