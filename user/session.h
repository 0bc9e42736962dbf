/* A live capture: target, BPF, event loop, model, record file, report. */
#ifndef WEFT_SESSION_H
#define WEFT_SESSION_H

#include "opts.h"

/* trace and record. Returns the process exit status. */
int session__run(struct opts *o);
/* report FILE. */
int session__report(const struct opts *o);

#endif
