// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The guardian: a child of weft check that waits on a pipe only weft (and
 * the sessions it forks) can write. EOF without the word "done" means weft
 * died: every stopped process whose ancestry reaches the command is
 * continued. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "guardian.h"

#define MAX_PROCS 65536

struct proc {
	pid_t pid, ppid;
	char state;
};

static int read_proc(pid_t pid, struct proc *p)
{
	char path[64], buf[512], *r;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (!(f = fopen(path, "re")))
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	r = strrchr(buf, ')'); /* comm may hold spaces and parentheses */
	if (!r || sscanf(r + 1, " %c %d", &p->state, &p->ppid) != 2)
		return -1;
	p->pid = pid;
	return 0;
}

static bool under(const struct proc *ps, size_t n, pid_t pid, pid_t root)
{
	for (int hops = 0; pid > 1 && hops < 64; hops++) {
		size_t i;

		if (pid == root)
			return true;
		for (i = 0; i < n && ps[i].pid != pid; i++)
			;
		if (i == n)
			return false;
		pid = ps[i].ppid;
	}
	return false;
}

static void continue_tree(pid_t root)
{
	struct proc *ps = calloc(MAX_PROCS, sizeof(*ps));
	DIR *d = opendir("/proc");
	struct dirent *e;
	size_t n = 0;

	while (ps && d && (e = readdir(d)) && n < MAX_PROCS) {
		pid_t pid = atoi(e->d_name);

		if (pid > 0 && !read_proc(pid, &ps[n]))
			n++;
	}
	if (d)
		closedir(d);
	for (size_t i = 0; i < n; i++)
		if (ps[i].state == 'T' && under(ps, n, ps[i].pid, root))
			kill(ps[i].pid, SIGCONT);
	free(ps);
}

int guardian__start(struct guardian *g, pid_t root)
{
	int p[2];
	pid_t pid;

	g->pid = 0;
	g->fd = -1;
	/* close-on-exec: the command's processes must not hold it open */
	if (pipe2(p, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		char word[8] = "";
		ssize_t got = 0, r;

		close(p[1]);
		signal(SIGINT, SIG_IGN); /* the terminal's ^C is weft's to take */
		signal(SIGTERM, SIG_IGN);
		signal(SIGHUP, SIG_IGN);
		signal(SIGCHLD, SIG_DFL);
		prctl(PR_SET_NAME, "weft-guardian");
		while (got < (ssize_t)sizeof(word) - 1 &&
		       ((r = read(p[0], word + got, sizeof(word) - 1 - got)) > 0 ||
			(r < 0 && errno == EINTR)))
			got += r > 0 ? r : 0;
		if (strncmp(word, "done", 4))
			continue_tree(root);
		_exit(0);
	}
	close(p[0]);
	g->pid = pid;
	g->fd = p[1];
	return 0;
}

void guardian__stop(struct guardian *g)
{
	if (!g->pid)
		return;
	if (write(g->fd, "done", 4) != 4) {
		/* it reads EOF then: it continues what is stopped, harmless now */
	}
	close(g->fd);
	waitpid(g->pid, NULL, 0);
	g->pid = 0;
	g->fd = -1;
}
