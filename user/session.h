/* A live capture: target, BPF, event loop, model, record file, report. */
#ifndef WEFT_SESSION_H
#define WEFT_SESSION_H

#include <sys/types.h>
#include "opts.h"

/* trace and record. Returns the process exit status. */
int session__run(struct opts *o);
/* report FILE. */
int session__report(const struct opts *o);
/* Starts CMD stopped (ptrace) right after its exec, so every probe can be
 * attached before it runs an instruction of its own. */
pid_t session__launch(char **argv, char *err, size_t len);

#endif
