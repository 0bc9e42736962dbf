/* pool_bench: throughput of a thread pool, for weft's overhead benchmark
 * (tools/bench/2-pool.sh). The same shape as tests/targets/pool.c, without the
 * sleeps and the helper threads:
 *
 *   pool_bench [TASKS [BATCH [WORKERS [WORK]]]]
 *
 *   TASKS    tasks in all (default 200000)
 *   BATCH    tasks per batch (default 100; at most 4096)
 *   WORKERS  worker threads (default 2; at most 64)
 *   WORK     iterations of the busy loop in each task (default 2000)
 *
 * main starts WORKERS threads (pool_start), then calls handle_batch(b) for
 * each batch: one transaction (--txn handle_batch). handle_batch submits
 * BATCH tasks with submit_task(struct task *t) (task object = arg0:
 * --task-create submit_task:arg0), then waits until all of them are done.
 * A worker runs a task with run_task(t) (--task-done run_task:arg0) and
 * counts it done only after run_task returned, so every task's segment ends
 * before its transaction does. Task objects are the BATCH elements of one
 * static array, reused by every batch (a pooled object: one map entry per
 * element at most).
 *
 * Traps per task when traced as above: 1 (submit_task entry) + 2 (run_task
 * entry and return), plus 2 per batch for handle_batch.
 *
 * Prints one line to stderr ($WEFT_TEST_LOG if set), timed with
 * CLOCK_MONOTONIC from the first submit to the last batch's end:
 *   pool_bench tasks=N batch=B workers=W work=K elapsed_ns=E tasks_per_s=R
 * Nothing goes to stdout: under `weft trace -- CMD` that is the report's.
 * $WEFT_TEST_WAIT: as in tests/targets/common.h.
 */
#include "../targets/common.h"

#include <stdint.h>

#define MAX_BATCH 4096
#define MAX_WORKERS 64

struct task {
	struct task *next;
	uint64_t seed;
	uint64_t result;
};

static struct task tasks[MAX_BATCH];
static pthread_t workers[MAX_WORKERS];
static long nr_workers, work_iters;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queue_cond = PTHREAD_COND_INITIALIZER;
static pthread_cond_t done_cond = PTHREAD_COND_INITIALIZER;
static struct task *queue_head, *queue_tail;
static long batch_done;
static int shutting_down;
static volatile uint64_t sink;

TARGET_FN void run_task(struct task *t)
{
	uint64_t x = t->seed;

	/* A little CPU work: xorshift, not foldable by the compiler. */
	for (long i = 0; i < work_iters; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
	}
	t->result = x;
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
		batch_done++;
		if (!queue_head) /* the batch may be complete */
			pthread_cond_broadcast(&done_cond);
		pthread_mutex_unlock(&lock);
	}
}

TARGET_FN void pool_start(void)
{
	for (long i = 0; i < nr_workers; i++)
		SPAWN(&workers[i], worker_main, NULL);
	BARRIER();
}

static void pool_stop(void)
{
	pthread_mutex_lock(&lock);
	shutting_down = 1;
	pthread_cond_broadcast(&queue_cond);
	pthread_mutex_unlock(&lock);
	for (long i = 0; i < nr_workers; i++)
		JOIN(workers[i]);
}

TARGET_FN long handle_batch(long b, long n)
{
	pthread_mutex_lock(&lock);
	batch_done = 0;
	pthread_mutex_unlock(&lock);
	for (long i = 0; i < n; i++) {
		struct task *t = &tasks[i];

		t->seed = (uint64_t)(b * MAX_BATCH + i) | 1;
		submit_task(t);
	}
	pthread_mutex_lock(&lock);
	while (batch_done < n)
		pthread_cond_wait(&done_cond, &lock);
	pthread_mutex_unlock(&lock);
	for (long i = 0; i < n; i++)
		sink += tasks[i].result;
	return b;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long total = arg_long(argc, argv, 1, 200000);
	long batch = arg_long(argc, argv, 2, 100);
	uint64_t t0, t1;
	long done = 0;

	nr_workers = arg_long(argc, argv, 3, 2);
	work_iters = arg_long(argc, argv, 4, 2000);
	if (!total || !batch || batch > MAX_BATCH)
		die("TASKS must be > 0 and BATCH in 1..%d", MAX_BATCH);
	if (!nr_workers || nr_workers > MAX_WORKERS)
		die("WORKERS must be in 1..%d", MAX_WORKERS);
	target_wait();
	pool_start();
	t0 = mono_ns();
	for (long b = 0; done < total; b++) {
		long n = total - done < batch ? total - done : batch;

		handle_batch(b, n);
		done += n;
	}
	t1 = mono_ns();
	pool_stop();
	tlog("pool_bench tasks=%ld batch=%ld workers=%ld work=%ld elapsed_ns=%llu tasks_per_s=%.0f",
	     total, batch, nr_workers, work_iters, (unsigned long long)(t1 - t0),
	     (double)total * 1e9 / (double)(t1 - t0));
	return 0;
}
