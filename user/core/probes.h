/* The probe table: index -> name and description. Index 0 is the thread
 * tracepoints, 1..5 the weft.h markers, then the command line's specs in
 * order. It is stored in the record file as "NAME DESCRIPTION" lines. */
#ifndef WEFT_PROBES_H
#define WEFT_PROBES_H

#include <stdbool.h>
#include "spec.h"
#include "weft/events.h"

#define PROBE_FIRST_SPEC WEFT_PROBE_FIRST_SPEC

struct probe_table {
	char names[WEFT_MAX_PROBES][128];
	char descs[WEFT_MAX_PROBES][800];
	const struct probe_spec *specs[WEFT_MAX_PROBES]; /* live only */
	int nr;
	bool txns_traced;
};

extern const char *const marker_names[5];

/* From the command line's specs, in order. */
int probes__from_specs(struct probe_table *pt, const struct probe_spec *specs, int nr_specs,
			bool go_lean);
/* To and from the record file's text form. */
void probes__format(const struct probe_table *pt, char *buf, size_t len);
void probes__parse(struct probe_table *pt, const char *text);

#endif
