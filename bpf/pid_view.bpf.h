/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Ids as weft sees them. Maps and filters use the kernel's (root namespace)
 * ids; when weft runs in its own PID namespace (a container), the ids it
 * puts in events are translated to that namespace, so they match its /proc. */
#ifndef WEFT_PID_VIEW_BPF_H
#define WEFT_PID_VIEW_BPF_H

#include <bpf/bpf_core_read.h>

/* weft's namespace: its level (0: the root one, no translation) and inode */
const volatile __u32 view_level = 0;
const volatile __u32 view_ns_ino = 0;

/* p's number in the namespace at `level` whose inode is ino; 0 if p is not
 * visible there */
static __always_inline __u32 pid_nr_at(struct pid *p, __u32 level, __u32 ino)
{
	struct upid up = {};
	struct upid *numbers;

	if (!p || BPF_CORE_READ(p, level) < level || level > 32)
		return 0;
	numbers = (void *)p + bpf_core_field_offset(struct pid, numbers);
	if (bpf_probe_read_kernel(&up, sizeof(up), numbers + level))
		return 0;
	return BPF_CORE_READ(up.ns, ns.inum) == ino ? up.nr : 0;
}

static __always_inline __u32 task_view_tid(struct task_struct *t)
{
	if (!view_level)
		return BPF_CORE_READ(t, pid);
	return pid_nr_at(BPF_CORE_READ(t, thread_pid), view_level, view_ns_ino);
}

static __always_inline __u32 task_view_tgid(struct task_struct *t)
{
	if (!view_level)
		return BPF_CORE_READ(t, tgid);
	return pid_nr_at(BPF_CORE_READ(t, group_leader, thread_pid), view_level, view_ns_ino);
}

#endif
