/* weft agent, -F/--off-cpu: each interval's samples, summed per
 * (transaction name, stack) as their transactions are exported, written
 * as one gzipped pprof file per target and interval into --pprof-dir. */
#ifndef WEFT_AGENT_PROFILE_H
#define WEFT_AGENT_PROFILE_H

#include <stddef.h>
#include <stdint.h>
#include "opts.h"
#include "report.h"

struct agent_profile;

/* NULL with err "" when the agent profiles nothing; NULL with a reason
 * when it cannot (the directory cannot be made or written, memory). */
struct agent_profile *agent_profile__new(const struct opts *o, char *err, size_t len);
/* Takes the samples of the transactions exported so far; at an interval's
 * end, writes its file. */
void agent_profile__tick(struct agent_profile *p, struct model *m, const struct report *r,
			 uint64_t now_ns);
/* The end: every sample left, the last file; ", profiles: ..." for the
 * agent's last line into buf; frees. */
void agent_profile__close(struct agent_profile *p, struct model *m, const struct report *r,
			  char *buf, size_t len);

#endif
