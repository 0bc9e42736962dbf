/* A live Go process's goroutines, read from outside: runtime.allgs and each
 * g's fields (offsets from goelf's DWARF reading), through process_vm_readv
 * only. Nothing is written to the target, nothing stops or signals it: the
 * snapshot is racy by nature (the target runs while it is read), so it is
 * validated and retried, never trusted blindly. */
#ifndef WEFT_GOMEM_H
#define WEFT_GOMEM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "goelf.h"

/* runtime2.go's g status values (the same in Go 1.19..1.23) */
enum {
	GO_GIDLE = 0, GO_GRUNNABLE = 1, GO_GRUNNING = 2, GO_GSYSCALL = 3, GO_GWAITING = 4,
	GO_GMORIBUND_UNUSED = 5, GO_GDEAD = 6, GO_GENQUEUE_UNUSED = 7, GO_GCOPYSTACK = 8,
	GO_GPREEMPTED = 9, GO_GSCAN = 0x1000,
};

struct go_g {
	uint64_t addr, goid, parent_goid; /* parent_goid 0 before Go 1.21 */
	uint32_t status;                 /* atomicstatus & ~_Gscan (0x1000) */
	uint64_t gopc, startpc;          /* runtime addresses (already in the target's address space) */
	int64_t waitsince;               /* nanotime() when it blocked, 0 unknown */
	uint32_t waitreason;             /* runtime.waitReason value */
	uint64_t timer;                  /* its *runtime.timer (time.Sleep's), 0 none or unknown */
};

/* The load bias of exe's mapping in pid (0 for non-PIE): runtime address =
 * vaddr + bias. exe_path is the file (e.g. /proc/PID/exe); its mapping is
 * found in /proc/PID/maps by device and inode, else by path. 0, or -1
 * (errno: ESRCH no such process, EACCES, ENOENT not mapped, ENOEXEC). */
int gomem__bias(pid_t pid, const char *exe_path, uint64_t *bias);

/* Reads runtime.allgs (slice of *g: ptr, len at allgs_vaddr; cross-checked
 * with runtime.allglen) and each g's fields with offsets from gi. Skips
 * _Gdead (6) and _Gidle (0) gs. Validates: len sane (< 10M), goids unique and
 * > 0, statuses in range; a snapshot that fails (a goroutine being created
 * while it is read) is retried a few times. On failure returns -1 with one
 * line in err ("no such process", "permission denied ...", "goids not
 * unique ...") and errno set. *out is malloc'd (free it); returns the count,
 * in allgs order. */
int gomem__snapshot(pid_t pid, const struct go_info *gi, uint64_t bias, struct go_g **out,
		    char *err, size_t len);

/* When g's sleep timer fires (runtime.timer.when, in nanotime), or 0 when
 * unknown (no timer, no offsets, unreadable). */
int64_t gomem__timer_when(pid_t pid, const struct go_info *gi, const struct go_g *g);

/* The runtime's own string for a wait reason ("chan receive", "sleep", ...),
 * read from the target's runtime.waitReasonStrings array ([N]string; found
 * through goelf__var on /proc/PID/exe, cached for the last pid and build id:
 * not thread-safe), or "" when unknown (0, out of range, unreadable).
 * Returns buf. */
const char *gomem__wait_reason(pid_t pid, const struct go_info *gi, uint64_t bias,
			       uint32_t reason, char *buf, size_t len);

/* "idle", "runnable", "running", "syscall", "waiting", "moribund_unused",
 * "dead", "enqueue_unused", "copystack", "preempted" (the runtime's
 * gStatusStrings; _Gscan is ignored), "unknown" otherwise. */
const char *gomem__status_name(uint32_t status);

/* The target's current monotonic clock in the runtime's nanotime() units
 * (CLOCK_MONOTONIC ns, shifted by pid's time namespace offset from
 * /proc/PID/timens_offsets when it has one), to compute how long a
 * goroutine has waited: now - waitsince. */
int64_t gomem__nanotime(pid_t pid);

#endif
