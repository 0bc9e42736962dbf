// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Run once, before attaching, when weft is in its own PID namespace: finds
 * the kernel's tgid of the process weft knows as want_pid, and weft's own
 * namespace (level, inode), which every other object translates ids into. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "pid_view.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u32 want_pid = 0;

__u32 found_tgid = 0;
__u32 self_level = 0;
__u32 self_ino = 0;

SEC("iter/task")
int find_tgid(struct bpf_iter__task *ctx)
{
	struct task_struct *t = ctx->task, *self = bpf_get_current_task_btf();
	struct pid *sp = BPF_CORE_READ(self, thread_pid);
	struct upid up = {};
	__u32 level;

	if (!t || t->pid != t->tgid || !sp)
		return 0;
	level = BPF_CORE_READ(sp, level);
	if (level > 32 || bpf_probe_read_kernel(&up, sizeof(up),
			(void *)sp + bpf_core_field_offset(struct pid, numbers) +
			level * sizeof(struct upid)))
		return 0;
	self_level = level;
	self_ino = BPF_CORE_READ(up.ns, ns.inum);
	if (pid_nr_at(BPF_CORE_READ(t, thread_pid), level, self_ino) == want_pid)
		found_tgid = t->tgid;
	return 0;
}
