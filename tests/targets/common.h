/* Shared helpers for the runtime-test targets (the .c files in tests/targets).
 *
 * Built with: gcc -O1 -g -fno-omit-frame-pointer -pthread -Iinclude
 *
 * Conventions:
 *  - Functions whose names the tests assert (transaction functions, task
 *    probes, thread creation sites) are TARGET_FN: never inlined, never
 *    cloned (no .constprop/.isra suffix), so the symbol exists and its
 *    arguments are where the probe spec says.
 *  - Threads are created with SPAWN()/SPAWN_DETACHED(): macros, so the call
 *    to pthread_create is in the calling function, which is therefore the
 *    creation site the tracer reports (site_func).
 *  - Nothing is written to stdout (under `weft trace -- CMD` the target
 *    shares weft's stdout, which carries the JSON report). Log lines go to
 *    the file named by $WEFT_TEST_LOG (appended), else to stderr.
 *  - $WEFT_TEST_WAIT: when set, target_wait() polls every 10 ms (up to 10 s)
 *    until that file exists: the test creates it once `weft trace -p` said
 *    it is attached.
 */
#ifndef WEFT_TEST_TARGET_COMMON_H
#define WEFT_TEST_TARGET_COMMON_H

#include <errno.h>
#include <stddef.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define TARGET_FN __attribute__((noinline, noipa))
/* Keeps the compiler from treating a function as side-effect free. */
#define BARRIER() __asm__ __volatile__("" ::: "memory")

static inline pid_t target_gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static FILE *target_log_file(void)
{
	static FILE *f;
	const char *p;

	if (f)
		return f;
	p = getenv("WEFT_TEST_LOG");
	if (p && *p)
		f = fopen(p, "a");
	if (!f)
		f = stderr;
	setvbuf(f, NULL, _IOLBF, 0);
	return f;
}

static pthread_mutex_t target_log_lock = PTHREAD_MUTEX_INITIALIZER;

__attribute__((format(printf, 1, 2))) static void tlog(const char *fmt, ...)
{
	va_list ap;
	FILE *f;

	pthread_mutex_lock(&target_log_lock);
	f = target_log_file();
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	fflush(f);
	pthread_mutex_unlock(&target_log_lock);
}

__attribute__((noreturn, format(printf, 1, 2))) static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "target: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static inline void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Hold until $WEFT_TEST_WAIT exists (if set). */
static void target_wait(void)
{
	const char *p = getenv("WEFT_TEST_WAIT");
	struct stat st;

	if (!p || !*p)
		return;
	for (int i = 0; i < 1000; i++) {
		if (stat(p, &st) == 0)
			return;
		sleep_ms(10);
	}
	die("WEFT_TEST_WAIT: %s did not appear within 10 s", p);
}

static inline long arg_long(int argc, char **argv, int i, long def)
{
	char *end;
	long v;

	if (argc <= i)
		return def;
	v = strtol(argv[i], &end, 10);
	if (*end || v < 0)
		die("bad argument '%s'", argv[i]);
	return v;
}

/* pthread_create in the caller's own frame; dies on failure (and the check
 * after the call also keeps it from being a tail call). */
#define SPAWN(thp, fn, arg)                                                     \
	do {                                                                    \
		int spawn_rc_ = pthread_create((thp), NULL, (fn), (arg));       \
		if (spawn_rc_)                                                  \
			die("pthread_create: %s", strerror(spawn_rc_));         \
	} while (0)

#define SPAWN_DETACHED(fn, arg)                                                 \
	do {                                                                    \
		pthread_t spawn_t_;                                             \
		int spawn_rc_ = pthread_create(&spawn_t_, NULL, (fn), (arg));   \
		if (spawn_rc_)                                                  \
			die("pthread_create: %s", strerror(spawn_rc_));         \
		pthread_detach(spawn_t_);                                       \
	} while (0)

#define JOIN(th)                                                                \
	do {                                                                    \
		int join_rc_ = pthread_join((th), NULL);                        \
		if (join_rc_)                                                   \
			die("pthread_join: %s", strerror(join_rc_));            \
	} while (0)

#endif
