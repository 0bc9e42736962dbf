/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* An exec by a descendant of weft check's command, stopped for attach. */
#ifndef WEFT_FOLLOW_H
#define WEFT_FOLLOW_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

struct follow_exec {
	__u32 pid;  /* tgid, stopped by SIGSTOP before its first instruction */
	__u32 ppid;
	char filename[256];
};

#endif
