// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A process held at its exit: waiting for its stop, continuing it. */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "clock.h"
#include "exit_hold.h"
#include "proc_stat.h"

/* The state letter of /proc/PID/task/TID/stat, 0 when unreadable */
static char task_state(pid_t pid, const char *tid)
{
	char path[96], buf[512];
	const char *p;

	snprintf(path, sizeof(path), "/proc/%d/task/%s/stat", pid, tid);
	p = proc_stat__fields(path, buf, sizeof(buf));
	return p ? p[0] : 0;
}

static bool stopped(char s)
{
	return s == 'T' || s == 't';
}

/* Every thread of pid stopped (or gone: an exiting thread) */
static bool all_stopped(pid_t pid)
{
	char path[64];
	struct dirent *d;
	bool all = true;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	if (!(dir = opendir(path)))
		return false;
	while (all && (d = readdir(dir))) {
		char s;

		if (d->d_name[0] == '.')
			continue;
		s = task_state(pid, d->d_name);
		all = !s || stopped(s) || s == 'Z' || s == 'X';
	}
	closedir(dir);
	return all;
}

bool exit_hold__wait(pid_t pid, pid_t tid, int timeout_ms)
{
	uint64_t end = mono_ns() + (uint64_t)timeout_ms * 1000000ULL;
	struct timespec nap = { 0, 100000 };
	char t[16];

	snprintf(t, sizeof(t), "%d", tid);
	do {
		if (stopped(task_state(pid, t)) && all_stopped(pid))
			return true;
		nanosleep(&nap, NULL);
	} while (mono_ns() < end);
	return false;
}

void exit_hold__release(pid_t pid)
{
	kill(pid, SIGCONT);
}

uint64_t exit_hold__read(pid_t pid, pid_t tid, const struct exit_read *r)
{
	uint64_t t0 = mono_ns(), held;
	bool still;
	int n;

	if (!tid)
		return 0;
	r->drain(r->ctx);
	still = exit_hold__wait(pid, tid, 1000);
	n = r->read(r->ctx, still);
	exit_hold__release(pid);
	held = mono_ns() - t0;
	if (r->verbose)
		fprintf(stderr, "weft: pid %d held at its exit for %.2f ms (%d %s read)%s\n", pid,
			held / 1e6, n, r->what, still ? "" : " (it did not stop: not judged)");
	return held ? held : 1;
}
