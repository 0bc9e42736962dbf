// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* weft check follows the command's descendants: every process forked under
 * the root is remembered (by the kernel's tgid), and each exec among them is
 * stopped (SIGSTOP, sent before the new image runs an instruction) and
 * reported, with the pid weft sees, so userspace can
 * attach to a test binary before its first test and then continue it. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "weft/follow.h"
#include "pid_view.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define SIGSTOP 19

__u64 follow_lost = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32); /* tgid */
	__type(value, __u8);
} followed SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 << 10);
} execs SEC(".maps");

SEC("tp_btf/sched_process_fork")
int BPF_PROG(follow_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = parent->tgid, ctgid = child->tgid;
	__u8 one = 1;

	if (ptgid == ctgid || !bpf_map_lookup_elem(&followed, &ptgid))
		return 0; /* a thread, or not ours */
	if (bpf_map_update_elem(&followed, &ctgid, &one, BPF_ANY))
		__sync_fetch_and_add(&follow_lost, 1);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(follow_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32, pid = task_view_tgid(p);
	struct follow_exec *e;

	if (!bpf_map_lookup_elem(&followed, &tgid))
		return 0;
	/* not reported (no room, or in a namespace weft cannot see into):
	 * left running, untraced, and counted */
	e = pid ? bpf_ringbuf_reserve(&execs, sizeof(*e), 0) : NULL;
	if (!e) {
		__sync_fetch_and_add(&follow_lost, 1);
		return 0;
	}
	bpf_send_signal(SIGSTOP);
	e->pid = pid;
	e->ppid = task_view_tgid(BPF_CORE_READ(p, real_parent));
	bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), bprm->filename);
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(follow_exit, struct task_struct *p)
{
	__u32 tgid = p->tgid;

	if (p->pid == tgid)
		bpf_map_delete_elem(&followed, &tgid);
	return 0;
}
