/* weft agent, -F/--off-cpu: each interval's samples, summed per
 * (transaction name, stack) as their transactions are exported, pushed to
 * the collector as OTLP profiles (a request per target and interval, on a
 * queue of their own) and, with --pprof-dir, written as one gzipped pprof
 * file per target and interval there. A collector that does not take
 * profiles is said once; then they go to the files only. */
#ifndef WEFT_AGENT_PROFILE_H
#define WEFT_AGENT_PROFILE_H

#include <stddef.h>
#include <stdint.h>
#include "opts.h"
#include "otlp.h"
#include "report.h"

struct agent_profile;

/* NULL with err "" when the agent profiles nothing; NULL with a reason
 * when it cannot (the directory cannot be made or written, the collector's
 * URL, memory). rsrc: the resource's attributes, kept (may be filled in
 * later). */
struct agent_profile *agent_profile__new(const struct opts *o, const struct otlp_resource *rsrc,
					 char *err, size_t len);
/* Takes the samples of the transactions exported so far; at an interval's
 * end, writes its file and queues its OTLP profiles. */
void agent_profile__tick(struct agent_profile *p, struct model *m, const struct report *r,
			 uint64_t now_ns);
/* The end: every sample left, the last file and request (the queue
 * flushed); "; profiles: ..." for the agent's last line into buf (r NULL:
 * never ran, nothing said); frees. */
void agent_profile__close(struct agent_profile *p, struct model *m, const struct report *r,
			  char *buf, size_t len);

#endif
