/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* weft agent: an exec the watcher saw (bpf/agent_watch.bpf.c), maybe held
 * for the agent's tracer. */
#ifndef WEFT_AGENT_WATCH_H
#define WEFT_AGENT_WATCH_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define AGENT_WATCH_MAX 16 /* --exe names and --cgroup paths, each (MAX_FOLLOW) */

struct agent_exec {
	__u32 pid;     /* its tgid, as weft sees it */
	__u32 stopped; /* 1: SIGSTOP sent before its first instruction: continue it */
};

#endif
