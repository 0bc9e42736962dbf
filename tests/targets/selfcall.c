/* selfcall: "request to self": a thread created inside one request carries
 * that request's context into the requests it serves later.
 *
 *   selfcall            (no arguments)
 *
 * Traced with --txn handle_request. main calls handle_request(i) for
 * i = 0..3, one after the other, 20 ms apart (after target_wait()):
 *   request 0: start_listener() creates 1 detached thread (start
 *              listener_main) INSIDE the request; it lives until the process
 *              exits. Then request 0 hands it job 0 and waits until the
 *              listener has run handle_request(100) on its own thread and
 *              returned from it.
 *   request 1: hands the listener job 1 -> handle_request(101) on the
 *              listener; waits for it.
 *   request 2: same with job 2 -> handle_request(102).
 *   request 3: calls handle_request(200) directly (recursion on main's
 *              thread), then spawn_plain(3) creates 1 thread (start
 *              plain_main, does nothing) and joins it.
 * handle_request(i) with i >= 100 does nothing but log (creates nothing).
 * After request 3 main sleeps 700 ms (> the default 500 ms grace), logs
 * "selfcall idle" and exits (the listener is still blocked then).
 *
 * Expected (weft trace --txn handle_request -- selfcall, default grace):
 *   8 handle_request txns; in begin order (= txn id order, ids 1..8):
 *       R0, R100, R1, R101, R2, R102, R3, R200
 *     R0, R1, R2, R3: parent_segment = main's (preattach) thread segment,
 *                     not conflated.
 *     R100, R101, R102: begin on the listener thread, root segment's parent
 *                     = the listener's thread segment (txn R0): conflated
 *                     with R0; R100 not stale (R0 still open), R101 and
 *                     R102 stale (R0 had ended).
 *     R200: begins on main inside R3, root segment's parent = R3's root
 *                     segment: conflated with R3, not stale.
 *   conflations = 4: [R100 -> R0 live, R101 -> R0 stale, R102 -> R0 stale,
 *                     R200 -> R3 live]
 *   segments per txn (begin order): R0 1 (the listener), R100 0, R1 0,
 *     R101 0, R2 0, R102 0, R3 1 (the plain thread, created after R200
 *     returned: parent R3's root, txn R3), R200 0
 *   leaks = [start_listener thread x1] (owner handle_request; R0 leaked 1,
 *     every other txn 0); the plain thread ends inside R3: not a leak.
 *   orphans = [] (nothing is created outside a transaction).
 *
 * Log ($WEFT_TEST_LOG or stderr):
 *   selfcall main tid=T
 *   selfcall req=I tid=T            (every handle_request, I = 0..3, 100..102, 200)
 *   selfcall listener tid=T
 *   selfcall job=J tid=T            (listener, after handle_request(100+J) returned)
 *   selfcall plain tid=T
 *   selfcall idle
 */
#include "common.h"

#define NR_JOBS 8

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t job_cond = PTHREAD_COND_INITIALIZER;
static pthread_cond_t done_cond = PTHREAD_COND_INITIALIZER;
static long jobs[NR_JOBS];
static int nr_queued, nr_taken, nr_done;

TARGET_FN long handle_request(long i);

static void *listener_main(void *arg)
{
	tlog("selfcall listener tid=%d", target_gettid());
	for (;;) {
		long job;

		pthread_mutex_lock(&lock);
		while (nr_taken == nr_queued)
			pthread_cond_wait(&job_cond, &lock);
		job = jobs[nr_taken++ % NR_JOBS];
		pthread_mutex_unlock(&lock);

		/* A request served on this thread: it begins inside the context
		 * this thread was created in (request 0). */
		handle_request(100 + job);
		tlog("selfcall job=%ld tid=%d", job, target_gettid());

		pthread_mutex_lock(&lock);
		nr_done++;
		pthread_cond_broadcast(&done_cond);
		pthread_mutex_unlock(&lock);
	}
	return NULL;
}

TARGET_FN void start_listener(void)
{
	SPAWN_DETACHED(listener_main, NULL); /* SITE:listener */
	BARRIER();
}

/* Hands job j to the listener and waits until it has served it. */
TARGET_FN void ask_listener(long j)
{
	int want;

	pthread_mutex_lock(&lock);
	jobs[nr_queued++ % NR_JOBS] = j;
	want = nr_queued;
	pthread_cond_signal(&job_cond);
	while (nr_done < want)
		pthread_cond_wait(&done_cond, &lock);
	pthread_mutex_unlock(&lock);
}

static void *plain_main(void *arg)
{
	tlog("selfcall plain tid=%d", target_gettid());
	return NULL;
}

TARGET_FN void spawn_plain(long i)
{
	pthread_t t;

	SPAWN(&t, plain_main, (void *)i); /* SITE:plain */
	JOIN(t);
}

TARGET_FN long handle_request(long i)
{
	long r = i;

	tlog("selfcall req=%ld tid=%d", i, target_gettid());
	if (i >= 100) {
		BARRIER();
		return r;
	}
	if (i == 0)
		start_listener();
	if (i <= 2)
		ask_listener(i);
	if (i == 3) {
		/* A request to self, synchronously: nested in request 3. */
		r += handle_request(200); /* SITE:recurse */
		spawn_plain(i);
	}
	BARRIER();
	return r;
}

int main(int argc, char **argv)
{
	if (argc > 1)
		die("usage: selfcall");
	tlog("selfcall main tid=%d", target_gettid());
	target_wait();
	for (long i = 0; i < 4; i++) {
		handle_request(i);
		sleep_ms(20);
	}
	sleep_ms(700);
	tlog("selfcall idle");
	return 0;
}
