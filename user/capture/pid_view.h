/* Which process the kernel means. weft's pids are its own namespace's (its
 * /proc, what the user typed); the BPF side filters on the kernel's tgid and
 * writes ids into events in weft's namespace (bpf/pid_view.bpf.h). */
#ifndef WEFT_PID_VIEW_H
#define WEFT_PID_VIEW_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct pid_view {
	uint32_t kernel_tgid; /* the target in the root namespace */
	uint32_t level;	      /* weft's namespace: 0 is the root one */
	uint32_t ns_ino;
};

/* 0, or -1 with one line in err */
int pid_view__resolve(pid_t pid, struct pid_view *v, char *err, size_t len);

/* Every object's rodata has these (context.bpf.h, pid_view.bpf.h) */
#define PID_VIEW_SET(rodata, v)                                                        \
	do {                                                                           \
		(rodata)->target_tgid = (v)->kernel_tgid;                              \
		(rodata)->view_level = (v)->level;                                     \
		(rodata)->view_ns_ino = (v)->ns_ino;                                   \
	} while (0)

#endif
