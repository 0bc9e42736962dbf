// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* weft agent: every exec on the machine, as the pid weft sees, so a process
 * the agent should follow is found as it starts rather than at its next
 * reading of /proc (which still comes, for forks without an exec and
 * processes moved into a cgroup). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "pid_view.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

__u64 execs_lost = 0; /* no room: found at the next reading of /proc */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 << 10);
} execs SEC(".maps");

SEC("tp_btf/sched_process_exec")
int BPF_PROG(agent_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 pid = task_view_tgid(p), *e;

	if (!pid)
		return 0; /* not in weft's namespace */
	e = bpf_ringbuf_reserve(&execs, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&execs_lost, 1);
		return 0;
	}
	*e = pid;
	bpf_ringbuf_submit(e, 0);
	return 0;
}
