/* The kernel's BTF for CO-RE, read once. /sys/kernel/btf/vmlinux gives a
 * page per read (~1,300 reads for 5 MB here) and libbpf 1.4 reads it whole
 * for every object it loads: the objects read this copy instead (their
 * programs are uprobes, perf events and raw tracepoints: BTF serves CO-RE
 * alone). */
#ifndef WEFT_KERNEL_BTF_H
#define WEFT_KERNEL_BTF_H

#include <bpf/libbpf.h>

/* A path to a copy of the kernel's BTF ("/proc/self/fd/N", a memfd), or
 * NULL (libbpf then reads sysfs itself) */
const char *kernel_btf__path(void);

/* Open options for an object: CO-RE against that copy */
#define KERNEL_BTF_OPTS(name) LIBBPF_OPTS(bpf_object_open_opts, name, \
					  .btf_custom_path = kernel_btf__path())

#endif
