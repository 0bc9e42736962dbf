// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <pthread.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>
#include "pthread_layout.h"

#define SCAN_BYTES 4096

struct probe {
	uint64_t off;
	uint64_t marker; /* the arg, stored right after start_routine */
};

static void *calibrate(void *arg)
{
	struct probe *p = arg;
	uint64_t buf[SCAN_BYTES / 8], want_fn = (uint64_t)(uintptr_t)calibrate;
	struct iovec local = { buf, sizeof(buf) };
	struct iovec remote = { (void *)pthread_self(), sizeof(buf) };
	ssize_t n;

	/* process_vm_readv on ourselves: a short read, not a fault, at the end
	 * of the mapping. */
	n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
	for (ssize_t i = 0; n > 0 && i + 1 < n / 8; i++)
		if (buf[i] == want_fn && buf[i + 1] == (uint64_t)(uintptr_t)p) {
			p->off = i * 8;
			break;
		}
	return NULL;
}

uint64_t pthread_start_offset(void)
{
	static struct probe p;
	static int done;
	pthread_t t;

	if (done)
		return p.off;
	done = 1;
	if (pthread_create(&t, NULL, calibrate, &p) == 0)
		pthread_join(t, NULL);
	return p.off;
}
