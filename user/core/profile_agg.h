/* weft agent: the profile of one interval, summed per (transaction name,
 * stack), so samples can leave the model while their transactions' names
 * are still known and transactions can be folded. Pure C. */
#ifndef WEFT_PROFILE_AGG_H
#define WEFT_PROFILE_AGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "idmap.h"

struct profile_row {
	uint32_t name;	  /* profile_agg.names[] */
	uint32_t stack;	  /* the model's interned stack */
	bool truncated;	  /* outermost frames missing */
	uint64_t v[3];	  /* on-CPU samples, on-CPU ns, off-CPU ns */
};

struct profile_agg {
	struct profile_row *rows;
	size_t nr_rows, cap_rows;
	char **names;
	size_t nr_names, cap_names;
	struct idmap row_by_key, name_by_hash;
	uint64_t samples, offcpu_spans; /* added since the last reset */
	bool has_off;
	bool oom; /* something could not be added: said once, by the caller */
};

/* Adds one sample under name ("(none)": outside any transaction). */
void profile_agg__add(struct profile_agg *a, const char *name, uint32_t stack, bool truncated,
		      bool off_cpu, uint64_t weight_ns);
/* Empties it for the next interval (keeps its memory). */
void profile_agg__reset(struct profile_agg *a);
void profile_agg__free(struct profile_agg *a);

#endif
