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

#endif
