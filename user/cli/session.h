/* A live capture: target, BPF, event loop, model, record file, report. */
#ifndef WEFT_SESSION_H
#define WEFT_SESSION_H

#include <sys/types.h>
#include "opts.h"

/* trace and record. Returns the process exit status. */
int session__run(struct opts *o);
/* weft top: a live view on the capture. tick runs on every turn of the
 * event loop (at most ~100 ms apart) with the capture so far: r->meta's
 * counters read now, r->meta->end_ns = now; m is not finished (the view
 * calls model__finish when it redraws). Nonzero stops the capture as a
 * signal does: probes off, then no report. */
struct model;
struct report;
struct session_live {
	int (*tick)(void *ctx, struct model *m, const struct report *r);
	void *ctx;
};
int session__run_live(struct opts *o, const struct session_live *live);
/* report FILE. */
int session__report(const struct opts *o);
/* Starts CMD stopped (ptrace) right after its exec, so every probe can be
 * attached before it runs an instruction of its own. */
pid_t session__launch(char **argv, char *err, size_t len);

/* "weft: stopped by signal 15 (Terminated), from pid 42 (node)" */
void session__say_stopped(int sig, pid_t sender);

#endif
