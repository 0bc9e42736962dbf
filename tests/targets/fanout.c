/* fanout: a thread tree three levels deep inside one transaction.
 *
 *   fanout [REPS]        (REPS default 1)
 *
 * main calls run_fanout() REPS times (trace it with --txn run_fanout).
 * Each run_fanout():
 *   spawn_level1() creates 2 threads (start level1_main) and joins them;
 *   each level-1 thread calls spawn_level2(): 2 threads (level2_main), joined;
 *   each level-2 thread calls spawn_level3(): 2 threads (level3_main), joined.
 * => per transaction 2 + 4 + 8 = 14 thread segments, all ended before the
 *    transaction ends, no leaks; no thread is created outside run_fanout
 *    (no orphans). Thread segment parents: level 1 -> the txn root segment,
 *    level 2 -> a level-1 thread, level 3 -> a level-2 thread, each parent
 *    with exactly 2 children. site_func: spawn_level1/2/3 (the SITE:levelN
 *    comments mark the pthread_create lines).
 *
 * Log ($WEFT_TEST_LOG or stderr), one line per thread:
 *   fanout rep=R level=L tid=T ptid=P     (P: the creating thread's tid)
 * and "fanout main tid=T" first.
 */
#include "common.h"

struct node {
	int rep, level;
	pid_t ptid;
};

static void *level1_main(void *arg);
static void *level2_main(void *arg);
static void *level3_main(void *arg);

static void *node_start(struct node *n)
{
	tlog("fanout rep=%d level=%d tid=%d ptid=%d", n->rep, n->level, target_gettid(), n->ptid);
	return NULL;
}

TARGET_FN void spawn_level3(int rep)
{
	struct node n = { rep, 3, target_gettid() };
	pthread_t t[2];

	for (int i = 0; i < 2; i++)
		SPAWN(&t[i], level3_main, &n); /* SITE:level3 */
	for (int i = 0; i < 2; i++)
		JOIN(t[i]);
}

TARGET_FN void spawn_level2(int rep)
{
	struct node n = { rep, 2, target_gettid() };
	pthread_t t[2];

	for (int i = 0; i < 2; i++)
		SPAWN(&t[i], level2_main, &n); /* SITE:level2 */
	for (int i = 0; i < 2; i++)
		JOIN(t[i]);
}

TARGET_FN void spawn_level1(int rep)
{
	struct node n = { rep, 1, target_gettid() };
	pthread_t t[2];

	for (int i = 0; i < 2; i++)
		SPAWN(&t[i], level1_main, &n); /* SITE:level1 */
	for (int i = 0; i < 2; i++)
		JOIN(t[i]);
}

static void *level1_main(void *arg)
{
	struct node *n = arg;

	node_start(n);
	spawn_level2(n->rep);
	return NULL;
}

static void *level2_main(void *arg)
{
	struct node *n = arg;

	node_start(n);
	spawn_level3(n->rep);
	return NULL;
}

static void *level3_main(void *arg)
{
	node_start(arg);
	sleep_ms(2);
	return NULL;
}

TARGET_FN int run_fanout(int rep)
{
	spawn_level1(rep);
	BARRIER();
	return rep;
}

int main(int argc, char **argv)
{
	long reps = arg_long(argc, argv, 1, 1);

	target_wait();
	tlog("fanout main tid=%d", target_gettid());
	for (long r = 0; r < reps; r++)
		run_fanout((int)r);
	tlog("fanout done");
	return 0;
}
