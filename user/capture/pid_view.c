// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <string.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "pid_view.h"
#include "pidns.skel.h"

/* The root PID namespace's inode is fixed (PROC_PID_INIT_INO) */
#define ROOT_PIDNS_INO 0xEFFFFFFCU

/* Walks every task once with an iterator: the kernel's tgid of pid, as
 * numbered in weft's namespace. */
static int find_kernel_tgid(pid_t pid, struct pid_view *v, char *err, size_t len)
{
	struct pidns_bpf *skel = pidns_bpf__open();
	struct bpf_link *link = NULL;
	char buf[64];
	int fd = -1, rc = -1;

	if (!skel) {
		snprintf(err, len, "failed to open the pid namespace probe: %s", strerror(errno));
		return -1;
	}
	skel->rodata->want_pid = pid;
	if (pidns_bpf__load(skel) ||
	    !(link = bpf_program__attach_iter(skel->progs.find_tgid, NULL)) ||
	    (fd = bpf_iter_create(bpf_link__fd(link))) < 0) {
		snprintf(err, len, "weft runs in its own PID namespace and cannot map pid %d "
			 "to the kernel's: %s; run as root (or with CAP_BPF and CAP_PERFMON)",
			 pid, strerror(errno));
		goto out;
	}
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	if (!skel->bss->found_tgid) {
		snprintf(err, len, "pid %d: no such process in weft's PID namespace", pid);
		goto out;
	}
	v->kernel_tgid = skel->bss->found_tgid;
	v->level = skel->bss->self_level;
	v->ns_ino = skel->bss->self_ino;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	bpf_link__destroy(link);
	pidns_bpf__destroy(skel);
	return rc;
}

int pid_view__resolve(pid_t pid, struct pid_view *v, char *err, size_t len)
{
	struct stat st;

	memset(v, 0, sizeof(*v));
	if (stat("/proc/self/ns/pid", &st) == 0 && st.st_ino == ROOT_PIDNS_INO) {
		v->kernel_tgid = pid;
		return 0;
	}
	return find_kernel_tgid(pid, v, err, len);
}
