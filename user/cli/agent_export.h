/* weft agent, in the process that traces one target: every transaction,
 * once judged (its end a grace ago), goes to the collector as spans, then
 * may be folded away (model_fold.c). */
#ifndef WEFT_AGENT_EXPORT_H
#define WEFT_AGENT_EXPORT_H

#include <stdbool.h>
#include <stdint.h>
#include "opts.h"
#include "report.h"

struct agent_export;

/* NULL with a reason in err (a bad URL, out of memory) */
struct agent_export *agent_export__new(const struct opts *o, char *err, size_t len);
/* Sends what was judged since the last call, at most once a second. */
void agent_export__tick(struct agent_export *x, struct model *m, const struct report *r,
			uint64_t now_ns);
/* The capture is over (finished by the caller): everything not sent yet,
 * open transactions too; waits up to a few seconds for the collector, says
 * in one line what went and what was lost, frees. r NULL: frees only. */
void agent_export__close(struct agent_export *x, struct model *m, const struct report *r);

#endif
