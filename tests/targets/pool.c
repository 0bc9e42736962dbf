/* pool: a thread pool fed by a task queue.
 *
 *   pool [K [TAIL_MS]]      (K batches, default 3, at most 64; TAIL_MS: sleep
 *                            after the last batch, default 0)
 *
 * pool_start() creates 3 worker threads (start worker_main) BEFORE any
 * transaction: under `weft trace -- pool` they are orphans (kind thread,
 * site_func pool_start, count 3); they are joined at the very end.
 *
 * main calls handle_batch(b) for b = 0..K-1 (--txn handle_batch). Each
 * handle_batch submits 4 tasks, submit_task(struct task *t) (task object =
 * arg0: --task-create submit_task:arg0), then waits until all 4 are done.
 * A worker runs a task as
 *       task_begin_hook(t); run_task(t); task_end_hook(t); <mark done>
 * so either spec style works:
 *   --task-done run_task:arg0      (or --task-run run_task:arg0: the segment
 *                                   is then never ended by a probe)
 *   --task-begin task_begin_hook:arg0 --task-end task_end_hook:arg0
 * The batch is marked done only after task_end_hook() returned, so with
 * --task-done / begin+end every task segment ends before its txn ends.
 * Task 0 of each batch, inside run_task, calls spawn_helper(), which creates
 * one thread (start helper_main) and joins it.
 *
 * Expected per handle_batch txn: 4 task segments (parent: the txn's root
 * segment, obj: &tasks[b][i]) + 1 thread segment (parent: the segment of
 * task 0, site_func spawn_helper) => "segments": 5. Task objects are
 * distinct across batches (static array), never reused.
 *
 * Log ($WEFT_TEST_LOG or stderr):
 *   pool main tid=T
 *   pool worker tid=T                      (3 lines)
 *   pool task batch=B idx=I obj=N          (N: decimal task pointer)
 *   pool helper batch=B tid=T
 *   pool done
 */
#include "common.h"

#define NR_WORKERS 3
#define TASKS_PER_BATCH 4
#define MAX_BATCHES 64

struct task {
	int batch, idx;
	struct task *next;
	volatile int work;
};

static struct task tasks[MAX_BATCHES][TASKS_PER_BATCH];
static pthread_t workers[NR_WORKERS];

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queue_cond = PTHREAD_COND_INITIALIZER;
static pthread_cond_t done_cond = PTHREAD_COND_INITIALIZER;
static struct task *queue_head, *queue_tail;
static int batch_done;
static int shutting_down;

static void *helper_main(void *arg)
{
	struct task *t = arg;

	tlog("pool helper batch=%d tid=%d", t->batch, target_gettid());
	sleep_ms(1);
	return NULL;
}

TARGET_FN void spawn_helper(struct task *t)
{
	pthread_t th;

	SPAWN(&th, helper_main, t); /* SITE:helper */
	JOIN(th);
}

static volatile unsigned long hook_calls;

TARGET_FN void task_begin_hook(struct task *t)
{
	hook_calls += (unsigned long)t->idx + 1;
	BARRIER();
}

TARGET_FN void task_end_hook(struct task *t)
{
	hook_calls -= (unsigned long)t->idx + 1;
	BARRIER();
}

TARGET_FN void run_task(struct task *t)
{
	if (t->idx == 0)
		spawn_helper(t);
	for (int i = 0; i < 1000; i++)
		t->work++;
	sleep_ms(1);
	BARRIER();
}

TARGET_FN void submit_task(struct task *t)
{
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

static void *worker_main(void *arg)
{
	tlog("pool worker tid=%d", target_gettid());
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

		task_begin_hook(t);
		run_task(t);
		task_end_hook(t);

		pthread_mutex_lock(&lock);
		batch_done++;
		pthread_cond_broadcast(&done_cond);
		pthread_mutex_unlock(&lock);
	}
}

TARGET_FN void pool_start(void)
{
	for (int i = 0; i < NR_WORKERS; i++)
		SPAWN(&workers[i], worker_main, NULL); /* SITE:pool */
	BARRIER();
}

static void pool_stop(void)
{
	pthread_mutex_lock(&lock);
	shutting_down = 1;
	pthread_cond_broadcast(&queue_cond);
	pthread_mutex_unlock(&lock);
	for (int i = 0; i < NR_WORKERS; i++)
		JOIN(workers[i]);
}

TARGET_FN int handle_batch(int b)
{
	pthread_mutex_lock(&lock);
	batch_done = 0;
	pthread_mutex_unlock(&lock);
	for (int i = 0; i < TASKS_PER_BATCH; i++) {
		struct task *t = &tasks[b][i];

		t->batch = b;
		t->idx = i;
		tlog("pool task batch=%d idx=%d obj=%lu", b, i, (unsigned long)t);
		submit_task(t);
	}
	pthread_mutex_lock(&lock);
	while (batch_done < TASKS_PER_BATCH)
		pthread_cond_wait(&done_cond, &lock);
	pthread_mutex_unlock(&lock);
	return b;
}

int main(int argc, char **argv)
{
	long k = arg_long(argc, argv, 1, 3);
	long tail_ms = arg_long(argc, argv, 2, 0);

	if (k > MAX_BATCHES)
		die("at most %d batches", MAX_BATCHES);
	tlog("pool main tid=%d", target_gettid());
	pool_start();
	/* Let the workers start (and log) before the first transaction. */
	sleep_ms(20);
	/* Held after the workers exist: a tracer attaching with -p finds them
	 * already running (test_attach_pool.sh). */
	target_wait();
	for (long b = 0; b < k; b++)
		handle_batch((int)b);
	if (tail_ms)
		sleep_ms(tail_ms);
	pool_stop();
	tlog("pool done");
	return 0;
}
