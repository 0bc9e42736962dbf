/* weft check stops processes (at an exec, at an exit) and continues them.
 * A guardian outlives weft: if weft dies first (SIGKILL, OOM, a crash), it
 * continues every stopped process of the command's tree, so none is left
 * stopped for ever. */
#ifndef WEFT_GUARDIAN_H
#define WEFT_GUARDIAN_H

#include <sys/types.h>

struct guardian {
	pid_t pid; /* 0: none */
	int fd;	   /* the pipe it watches: closed by weft's death */
};

/* Starts one for the tree under root. 0, or -1 (errno): none. */
int guardian__start(struct guardian *g, pid_t root);
/* weft ends normally: the guardian leaves without touching anything. */
void guardian__stop(struct guardian *g);

#endif
