// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* weft: an eBPF, kernel-assisted tracer of async context. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "agent.h"
#include "follow.h"
#include "goroutines_cmd.h"
#include "opts.h"
#include "record.h"
#include "report_out.h"
#include "session.h"
#include "top.h"

#include "version.h"

/* -p of a thread (what top -H and many logs show) is its process: said in
 * one line. A thread is not listed in /proc, but /proc/TID is there. */
static void pid_of_thread(struct opts *o)
{
	char path[64], line[256], comm[64] = "?";
	long tgid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", o->pid);
	f = fopen(path, "re");
	if (!f)
		return; /* no such process: said where it is looked at */
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "Tgid:", 5))
			tgid = strtol(line + 5, NULL, 10);
	fclose(f);
	if (tgid <= 0 || tgid == o->pid)
		return;
	snprintf(path, sizeof(path), "/proc/%ld/comm", tgid);
	if ((f = fopen(path, "re"))) {
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = 0;
		fclose(f);
	}
	fprintf(stderr, "weft: -p %d is a thread of process %ld (%s): tracing the process\n",
		o->pid, tgid, comm);
	o->pid = (pid_t)tgid;
}

int main(int argc, char **argv)
{
	static struct opts o;
	char err[1024];

	if (opts__parse(argc, argv, &o, err, sizeof(err))) {
		fprintf(stderr, "weft: %s\n", err);
		return 2;
	}
	if (o.pid)
		pid_of_thread(&o);
	/* an output that cannot be written is said now, not after the capture */
	if ((o.output && o.cmd != CMD_HELP && o.cmd != CMD_VERSION &&
	     out_writable("-o", o.output, err, sizeof(err))) ||
	    (o.junit && out_writable("--junit", o.junit, err, sizeof(err)))) {
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
	case CMD_AGENT:
		return agent__run(&o);
	case CMD_CHECK:
		return o.argv ? follow__check(&o) : session__run(&o);
	default:
		return session__run(&o);
	}
}
