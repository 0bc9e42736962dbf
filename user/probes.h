/* The probe table: index -> name and description. Index 0 is the thread
 * tracepoints, 1..5 the weft.h markers, then the command line's specs in
 * order. It is stored in the record file as "NAME DESCRIPTION" lines. */
#ifndef WEFT_PROBES_H
#define WEFT_PROBES_H

#include <stdbool.h>
#include "opts.h"
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

/* From the options (presets expanded into o->specs beforehand). */
int probes__from_opts(struct probe_table *pt, const struct opts *o);
/* To and from the record file's text form. */
void probes__format(const struct probe_table *pt, char *buf, size_t len);
void probes__parse(struct probe_table *pt, const char *text);
/* Expands --preset libuv into task specs. */
int probes__expand_presets(struct opts *o, char *err, size_t len);

#endif
