/* Where glibc keeps a thread's start routine inside struct pthread, found
 * by looking at one of our own threads (glibc has no public offset). The
 * BPF side reads it at clone time from the new thread's TCB (its fs base). */
#ifndef WEFT_PTHREAD_LAYOUT_H
#define WEFT_PTHREAD_LAYOUT_H

#include <stdint.h>

/* offsetof(struct pthread, start_routine) in this process's glibc, or 0. */
uint64_t pthread_start_offset(void);

#endif
