// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* -- CMD: the command started under ptrace, stopped right after its exec,
 * so every probe is attached before it runs an instruction. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>
#include "session.h"

pid_t session__launch(char **argv, char *err, size_t len)
{
	int pipefd[2], status, child_errno = 0;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC)) {
		snprintf(err, len, "pipe: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(err, len, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		close(pipefd[0]);
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		execvp(argv[0], argv);
		child_errno = errno;
		if (write(pipefd[1], &child_errno, sizeof(child_errno)) < 0)
			_exit(126);
		_exit(127);
	}
	close(pipefd[1]);
	if (read(pipefd[0], &child_errno, sizeof(child_errno)) != sizeof(child_errno))
		child_errno = 0;
	close(pipefd[0]);
	if (waitpid(pid, &status, 0) < 0 || child_errno || !WIFSTOPPED(status)) {
		snprintf(err, len, "%s: cannot execute: %s", argv[0],
			 child_errno ? strerror(child_errno) : "it did not start");
		if (!child_errno)
			kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return -1;
	}
	return pid;
}
