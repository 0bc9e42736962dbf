// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* weft: an eBPF, kernel-assisted tracer of async context. */
#include <stdio.h>
#include "follow.h"
#include "goroutines_cmd.h"
#include "opts.h"
#include "record.h"
#include "session.h"
#include "top.h"

#define WEFT_VERSION "0.1.0"

int main(int argc, char **argv)
{
	static struct opts o;
	char err[1024];

	if (opts__parse(argc, argv, &o, err, sizeof(err))) {
		fprintf(stderr, "weft: %s\n", err);
		return 2;
	}
	switch (o.cmd) {
	case CMD_HELP:
		opts__usage(stdout);
		return 0;
	case CMD_VERSION:
		printf("weft %s (record format %d)\n", WEFT_VERSION, WEFT_RECORD_VERSION);
		return 0;
	case CMD_REPORT:
		return session__report(&o);
	case CMD_GOROUTINES:
		return goroutines__run(&o);
	case CMD_TOP:
		return top__run(&o);
	case CMD_CHECK:
		return o.argv ? follow__check(&o) : session__run(&o);
	default:
		return session__run(&o);
	}
}
