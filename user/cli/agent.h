/* weft agent: follows processes by pid, executable and cgroup, and traces
 * each as it starts, exporting to an OpenTelemetry collector. */
#ifndef WEFT_AGENT_H
#define WEFT_AGENT_H

#include "opts.h"

/* Runs until SIGINT/SIGTERM (or, with -p only, until that process is gone).
 * 0, or 2 when it cannot start. */
int agent__run(struct opts *o);

#endif
