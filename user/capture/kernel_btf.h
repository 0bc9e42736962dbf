/* The kernel's BTF for CO-RE. libbpf >= 1.6 maps /sys/kernel/btf/vmlinux:
 * nothing to do. Older ones read it whole for every object they load, and
 * sysfs gives it a page per read (~1,300 reads for 5 MB here): with them
 * the objects read one copy instead (their programs are uprobes, perf
 * events and raw tracepoints: BTF serves CO-RE alone). */
#ifndef WEFT_KERNEL_BTF_H
#define WEFT_KERNEL_BTF_H

#include <bpf/libbpf.h>

/* A path to a copy of the kernel's BTF ("/proc/self/fd/N", a memfd), or
 * NULL (libbpf then maps or reads sysfs itself) */
const char *kernel_btf__path(void);

/* Open options for an object: CO-RE against that copy */
#define KERNEL_BTF_OPTS(name) LIBBPF_OPTS(bpf_object_open_opts, name, \
					  .btf_custom_path = kernel_btf__path())

#endif
