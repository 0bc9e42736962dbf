// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdbool.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>
#include "caps.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static const struct {
	unsigned bit;
	int cap;
	const char *name;
} caps[] = {
	{ WCAP_BPF, CAP_BPF, "CAP_BPF" },
	{ WCAP_PERFMON, CAP_PERFMON, "CAP_PERFMON" },
	{ WCAP_SYS_PTRACE, CAP_SYS_PTRACE, "CAP_SYS_PTRACE" },
	{ WCAP_DAC_READ_SEARCH, CAP_DAC_READ_SEARCH, "CAP_DAC_READ_SEARCH" },
	{ WCAP_KILL, CAP_KILL, "CAP_KILL" },
	{ WCAP_SYS_ADMIN, CAP_SYS_ADMIN, "CAP_SYS_ADMIN" },
};

unsigned caps__missing(unsigned want)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3] = {};
	unsigned miss = 0;
	bool admin;

	if (syscall(SYS_capget, &h, d))
		return 0;
#define HAS(c) (d[(c) >> 5].effective & (1U << ((c) & 31)))
	admin = HAS(CAP_SYS_ADMIN);
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		if (!(want & caps[i].bit) || HAS(caps[i].cap))
			continue;
		if (admin && (caps[i].bit & (WCAP_BPF | WCAP_PERFMON)))
			continue;
		miss |= caps[i].bit;
	}
#undef HAS
	return miss;
}

const char *caps__names(unsigned set, char *buf, size_t len)
{
	size_t n = 0, left = __builtin_popcount(set);

	buf[0] = 0;
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]) && n < len; i++) {
		if (!(set & caps[i].bit))
			continue;
		left--;
		n += snprintf(buf + n, len - n, "%s%s", caps[i].name,
			      !left ? "" : left == 1 ? " and " : ", ");
	}
	return buf;
}
