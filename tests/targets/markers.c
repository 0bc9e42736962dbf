/* markers: transactions and tasks declared with the weft.h USDT markers
 * (no --txn/--task spec needed: weft attaches the weft:* probes itself).
 *
 *   markers [N]      (N transactions, default 3)
 *
 * target_wait() ($WEFT_TEST_WAIT), then start_worker() creates the single
 * worker thread (start worker_main, outside any transaction: an orphan
 * thread under `weft trace -- markers`, site_func start_worker, count 1;
 * joined before exit).
 *
 * main calls run_job(i) for i = 0..N-1. Each run_job is one transaction:
 *   WEFT_TXN_BEGIN("job")                                  (main thread)
 *     submit_task(t) x2: t = malloc'ed struct task,
 *                        WEFT_TASK_CREATE(t), queued for the worker
 *     worker, for each task in FIFO order, in run_task(t):
 *       WEFT_TASK_BEGIN(t)
 *         1 detached thread (start helper_main, site_func run_task) that
 *         logs and exits at once
 *       WEFT_TASK_END(t)
 *     main waits (mutex + condvar) until both tasks passed WEFT_TASK_END
 *     and both helpers ran
 *   WEFT_TXN_END()                                         (main thread)
 *
 * Expected tree per txn (name "job"):
 *   txn job (root segment, main thread)
 *    +- task segment obj=t0 (worker thread)
 *    |   +- thread segment (helper_main, site_func run_task)
 *    +- task segment obj=t1 (worker thread)
 *        +- thread segment (helper_main, site_func run_task)
 * i.e. 2 task segments + 2 thread segments => "segments": 4 (as pool.c
 * counts: the root not included). Every task segment ends (task_end)
 * before its txn ends; a helper may still be exiting (microseconds) when
 * the txn ends: asynchronous cleanup, not a leak with any sane grace.
 * Task objects are freed only at exit, so all 2N obj values are distinct.
 *
 * Log ($WEFT_TEST_LOG or stderr; nothing goes to stdout, see common.h):
 *   markers main tid=T
 *   markers worker tid=T
 *   markers task txn=I idx=K obj=N         (N: decimal task pointer, as
 *                                           passed to the markers)
 *   markers helper txn=I idx=K tid=T
 *   done N                                 (last line; exit status 0)
 */
#include <stdint.h>

#include "common.h"
#include <weft/weft.h>

#define TASKS_PER_TXN 2

struct task {
	long txn;
	int idx;
	struct task *next;	/* queue link */
	struct task *all_next;	/* every task, freed at exit */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queue_cond = PTHREAD_COND_INITIALIZER;
static pthread_cond_t done_cond = PTHREAD_COND_INITIALIZER;
static struct task *queue_head, *queue_tail, *all_tasks;
static int tasks_done, helpers_done;
static int shutting_down;
static pthread_t worker;

static void *helper_main(void *arg)
{
	struct task *t = arg;

	tlog("markers helper txn=%ld idx=%d tid=%d", t->txn, t->idx, target_gettid());
	pthread_mutex_lock(&lock);
	helpers_done++;
	pthread_cond_broadcast(&done_cond);
	pthread_mutex_unlock(&lock);
	return NULL;
}

TARGET_FN void run_task(struct task *t)
{
	WEFT_TASK_BEGIN(t);
	SPAWN_DETACHED(helper_main, t); /* SITE:helper */
	WEFT_TASK_END(t);
}

static void *worker_main(void *arg)
{
	(void)arg;
	tlog("markers worker tid=%d", target_gettid());
	for (;;) {
		struct task *t;

		pthread_mutex_lock(&lock);
		while (!queue_head && !shutting_down)
			pthread_cond_wait(&queue_cond, &lock);
		if (!queue_head) {
			pthread_mutex_unlock(&lock);
			return NULL;
		}
		t = queue_head;
		queue_head = t->next;
		if (!queue_head)
			queue_tail = NULL;
		pthread_mutex_unlock(&lock);

		run_task(t);

		pthread_mutex_lock(&lock);
		tasks_done++;
		pthread_cond_broadcast(&done_cond);
		pthread_mutex_unlock(&lock);
	}
}

TARGET_FN void start_worker(void)
{
	SPAWN(&worker, worker_main, NULL); /* SITE:worker */
	BARRIER();
}

static void stop_worker(void)
{
	pthread_mutex_lock(&lock);
	shutting_down = 1;
	pthread_cond_broadcast(&queue_cond);
	pthread_mutex_unlock(&lock);
	JOIN(worker);
}

TARGET_FN void submit_task(struct task *t)
{
	WEFT_TASK_CREATE(t);
	pthread_mutex_lock(&lock);
	t->next = NULL;
	if (queue_tail)
		queue_tail->next = t;
	else
		queue_head = t;
	queue_tail = t;
	pthread_cond_signal(&queue_cond);
	pthread_mutex_unlock(&lock);
}

TARGET_FN void run_job(long i)
{
	WEFT_TXN_BEGIN("job");
	pthread_mutex_lock(&lock);
	tasks_done = helpers_done = 0;
	pthread_mutex_unlock(&lock);
	for (int k = 0; k < TASKS_PER_TXN; k++) {
		struct task *t = calloc(1, sizeof(*t));

		if (!t)
			die("out of memory");
		t->txn = i;
		t->idx = k;
		t->all_next = all_tasks;
		all_tasks = t;
		tlog("markers task txn=%ld idx=%d obj=%llu", i, k,
		     (unsigned long long)(uintptr_t)t);
		submit_task(t);
	}
	pthread_mutex_lock(&lock);
	while (tasks_done < TASKS_PER_TXN || helpers_done < TASKS_PER_TXN)
		pthread_cond_wait(&done_cond, &lock);
	pthread_mutex_unlock(&lock);
	WEFT_TXN_END();
}

int main(int argc, char **argv)
{
	long n = arg_long(argc, argv, 1, 3);

	target_wait();
	tlog("markers main tid=%d", target_gettid());
	start_worker();
	/* Let the worker start (and log) before the first transaction. */
	sleep_ms(20);
	for (long i = 0; i < n; i++)
		run_job(i);
	stop_worker();
	while (all_tasks) {
		struct task *t = all_tasks;

		all_tasks = t->all_next;
		free(t);
	}
	tlog("done %ld", n);
	return 0;
}
