/* uvpool: libuv threadpool work requests as tasks (libuv linked statically).
 *
 *   uvpool [K]        (K jobs, default 4, at most 64)
 *
 * Build: gcc -O1 -g -fno-omit-frame-pointer -pthread uvpool.c \
 *            /usr/lib/x86_64-linux-gnu/libuv_a.a -ldl
 * Trace: weft trace --preset libuv --txn handle_job -- uvpool
 *   (the preset: create uv_queue_work:arg1, run uv__queue_work:arg0-88,
 *    done uv__queue_done:arg0-88; offsetof(uv_work_t, work_req) == 88)
 *
 * Startup (outside any transaction): UV_THREADPOOL_SIZE is forced to 4 and
 * warm_up() issues one async uv_fs_stat("/") so libuv starts its 4 pool
 * threads now (created by uv_thread_create_ex, start "worker"): 4 thread
 * orphans, site_func uv_thread_create_ex. uv_fs_* requests do not go
 * through uv_queue_work / uv__queue_work, so the warm-up is not a task.
 *
 * main calls handle_job(j) for j = 0..K-1 (--txn handle_job): each queues 3
 * uv_work_t requests (&reqs[j][i], distinct, never reused) with
 * uv_queue_work on the default loop and runs the loop until their
 * after_work_cb ran. work_cb creates nothing.
 * Expected per handle_job txn: exactly 3 task segments (parent: the txn's
 * root segment, obj: &reqs[j][i]), all ended (uv__queue_done runs on the
 * loop thread inside handle_job), "segments": 3, "leaked": 0; no leaks.
 *
 * Log ($WEFT_TEST_LOG or stderr):
 *   uvpool main tid=T / uvpool warm / uvpool job=J req=I obj=N /
 *   uvpool job=J completed=3 / uvpool done
 */
#include <uv.h>
#include "common.h"

#define REQS_PER_JOB 3
#define MAX_JOBS 64

struct job {
	int id;
	int completed;
};

static uv_loop_t *loop;
static struct job jobs[MAX_JOBS];
static uv_work_t reqs[MAX_JOBS][REQS_PER_JOB];
static volatile unsigned long sink;

/* The libuv preset relies on it (arg0-88). */
_Static_assert(offsetof(uv_work_t, work_req) == 88, "uv_work_t layout");

static void work_cb(uv_work_t *req)
{
	for (int i = 0; i < 10000; i++)
		sink += i;
}

static void after_work_cb(uv_work_t *req, int status)
{
	struct job *j = req->data;

	if (status)
		die("work request failed: %s", uv_strerror(status));
	j->completed++;
}

static void fs_cb(uv_fs_t *req)
{
	uv_fs_req_cleanup(req);
}

TARGET_FN void warm_up(void)
{
	static uv_fs_t fsreq;
	int rc = uv_fs_stat(loop, &fsreq, "/", fs_cb);

	if (rc)
		die("uv_fs_stat: %s", uv_strerror(rc));
	uv_run(loop, UV_RUN_DEFAULT);
	tlog("uvpool warm");
}

TARGET_FN int handle_job(int id)
{
	struct job *j = &jobs[id];

	j->id = id;
	j->completed = 0;
	for (int i = 0; i < REQS_PER_JOB; i++) {
		uv_work_t *r = &reqs[id][i];
		int rc;

		r->data = j;
		tlog("uvpool job=%d req=%d obj=%lu", id, i, (unsigned long)r);
		rc = uv_queue_work(loop, r, work_cb, after_work_cb);
		if (rc)
			die("uv_queue_work: %s", uv_strerror(rc));
	}
	while (j->completed < REQS_PER_JOB)
		uv_run(loop, UV_RUN_ONCE);
	tlog("uvpool job=%d completed=%d", id, j->completed);
	return id;
}

int main(int argc, char **argv)
{
	long k = arg_long(argc, argv, 1, 4);

	if (k > MAX_JOBS)
		die("at most %d jobs", MAX_JOBS);
	setenv("UV_THREADPOOL_SIZE", "4", 1);
	target_wait();
	tlog("uvpool main tid=%d", target_gettid());
	loop = uv_default_loop();
	warm_up();
	for (long j = 0; j < k; j++)
		handle_job((int)j);
	tlog("uvpool done");
	return 0;
}
