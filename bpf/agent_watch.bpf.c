// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* weft agent: every exec on the machine, as the pid weft sees, so a process
 * the agent should follow is found as it starts rather than at its next
 * reading of /proc (which still comes, for forks without an exec and
 * processes moved into a cgroup).
 *
 * An exec of an --exe program is also held: SIGSTOP, sent here, stops it
 * before the new image runs an instruction, and the event says so; the
 * agent's tracer continues it once its probes are live (or the agent does,
 * at once, if it will not follow it after all). The program is matched by
 * its file's own name (symlinks resolved, as /proc/PID/exe shows it), hashed:
 * a name given as a path matches by its last component here, and userspace
 * compares the whole path (a namesake elsewhere is held for as long as the
 * agent takes to look at it). With --cgroup too, only a task under one of
 * those cgroups (v2: bpf_current_task_under_cgroup) is held; one in a v1
 * hierarchy is not (it is found by its exec, attached about 0.3 s in), nor is
 * any process of a --cgroup or -p selection alone. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "weft/agent_watch.h"
#include "pid_view.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define SIGSTOP 19
#define NAME_LEN 256 /* NAME_MAX + 1 */

/* the --exe names' hashes (FNV-1a 64 of the file name); set before load */
const volatile __u64 exe_hash[AGENT_WATCH_MAX] = {};
const volatile __u32 nr_exe_hash = 0;
/* --cgroup given: held only under one of `cgroups` (filled after load; an
 * empty slot holds nothing) */
const volatile bool by_cgroup = false;

__u64 execs_lost = 0; /* no room: found at the next reading of /proc */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 << 10);
} execs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, AGENT_WATCH_MAX);
	__type(key, __u32);
	__type(value, __u32);
} cgroups SEC(".maps");

static __always_inline bool exe_wanted(struct linux_binprm *bprm)
{
	const unsigned char *name = BPF_CORE_READ(bprm, file, f_path.dentry, d_name.name);
	unsigned char buf[NAME_LEN];
	__u64 h = 0xcbf29ce484222325ULL;
	long n;

	if (!nr_exe_hash)
		return false;
	n = bpf_probe_read_kernel_str(buf, sizeof(buf), name);
	if (n <= 1)
		return false;
	for (int i = 0; i < NAME_LEN - 1 && i < n - 1; i++)
		h = (h ^ buf[i]) * 0x100000001b3ULL;
	for (int i = 0; i < AGENT_WATCH_MAX; i++)
		if (i < nr_exe_hash && exe_hash[i] == h)
			return true;
	return false;
}

static __always_inline bool cgroup_wanted(void)
{
	if (!by_cgroup)
		return true;
	for (__u32 i = 0; i < AGENT_WATCH_MAX; i++)
		if (bpf_current_task_under_cgroup(&cgroups, i) == 1)
			return true;
	return false;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(agent_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 pid = task_view_tgid(p);
	struct agent_exec *e;

	if (!pid)
		return 0; /* not in weft's namespace */
	/* no room: not held either (nothing would continue it) */
	e = bpf_ringbuf_reserve(&execs, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&execs_lost, 1);
		return 0;
	}
	e->pid = pid;
	e->stopped = exe_wanted(bprm) && cgroup_wanted() && !bpf_send_signal(SIGSTOP);
	bpf_ringbuf_submit(e, e->stopped ? BPF_RB_FORCE_WAKEUP : 0);
	return 0;
}
