/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The capabilities weft uses short of root, and which of them this process
 * lacks: what an error says is missing, and what `weft agent` checks before
 * it starts. */
#ifndef WEFT_CAPS_H
#define WEFT_CAPS_H

#include <stddef.h>

enum {
	WCAP_BPF = 1 << 0,	       /* BPF programs and maps */
	WCAP_PERFMON = 1 << 1,	       /* tracing programs, uprobe links, perf events */
	WCAP_SYS_PTRACE = 1 << 2,      /* another user's /proc/PID/exe, root, memory */
	WCAP_DAC_READ_SEARCH = 1 << 3, /* another user's /proc/PID/auxv (0400), binaries */
	WCAP_KILL = 1 << 4,	       /* SIGCONT to another user's process, held */
	WCAP_SYS_ADMIN = 1 << 5,       /* perf_event_open uprobes since Linux 6.16 */
};

/* What `weft agent` checks before it starts: it follows other users'
 * processes (their /proc/PID/exe, auxv, memory), and continues (SIGCONT)
 * those it holds at their exec */
#define WCAP_AGENT \
	(WCAP_BPF | WCAP_PERFMON | WCAP_SYS_PTRACE | WCAP_DAC_READ_SEARCH | WCAP_KILL)

/* Of WANT, the capabilities missing from this process's effective set
 * (CAP_SYS_ADMIN counts for CAP_BPF and CAP_PERFMON, as the kernel's
 * bpf_capable() and perfmon_capable() do). 0 if capget(2) fails: then the
 * failing call says so itself. */
unsigned caps__missing(unsigned want);

/* SET as "CAP_BPF, CAP_PERFMON and CAP_SYS_PTRACE" into BUF */
const char *caps__names(unsigned set, char *buf, size_t len);

#endif
