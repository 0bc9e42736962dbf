// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>
#include <bpf/libbpf_version.h>
#include "kernel_btf.h"

/* libbpf >= 1.6 maps /sys/kernel/btf/vmlinux (kernel >= 6.16) instead of
 * reading it: no copy to make, and nothing to read for every object */
static int libbpf_mmaps_vmlinux_btf(void)
{
#if LIBBPF_MAJOR_VERSION > 1 || (LIBBPF_MAJOR_VERSION == 1 && LIBBPF_MINOR_VERSION >= 6)
	return 1;
#else
	return 0;
#endif
}

static char path[64];
static int tried;

const char *kernel_btf__path(void)
{
	char buf[64 << 10];
	ssize_t n = 0;
	int in, out;

	if (tried++)
		return path[0] ? path : NULL;
	if (libbpf_mmaps_vmlinux_btf())
		return NULL;
	in = open("/sys/kernel/btf/vmlinux", O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return NULL;
	out = memfd_create("weft-vmlinux-btf", MFD_CLOEXEC);
	while (out >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			n = -1;
	close(in);
	if (out < 0 || n < 0) {
		if (out >= 0)
			close(out);
		return NULL;
	}
	/* kept open for the process's life: libbpf opens it by path */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", out);
	return path;
}
