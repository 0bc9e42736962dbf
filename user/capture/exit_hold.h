/* weft check holds a process at its exit: a BPF program at the runtime's
 * exit point sends it SIGSTOP, userspace waits for the stop, reads what is
 * still alive while nothing moves, and continues it. */
#ifndef WEFT_EXIT_HOLD_H
#define WEFT_EXIT_HOLD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Waits (at most timeout_ms) until tid, the thread that hit the exit, and
 * the rest of pid's threads are stopped. false: not all were (the read
 * still happens; the process may have moved meanwhile). */
bool exit_hold__wait(pid_t pid, pid_t tid, int timeout_ms);
/* Continues the process (SIGCONT) */
void exit_hold__release(pid_t pid);

/* The read at the exit, the same for every runtime: the ring drained (the
 * last ends first), the stop waited for, read(ctx, all_stopped) returning
 * how many continuations it read, the process continued; -v says it. */
struct exit_read {
	void (*drain)(void *ctx);
	int (*read)(void *ctx, bool all_stopped);
	void *ctx;
	const char *what; /* "goroutines", "threads" */
	bool verbose;
};
/* pid held by its thread tid (0: not held, nothing done): how long it was
 * held, ns (0 when not held) */
uint64_t exit_hold__read(pid_t pid, pid_t tid, const struct exit_read *r);

#endif
