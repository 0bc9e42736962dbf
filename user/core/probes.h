/* The probe table: index -> name and description. Index 0 is the thread
 * tracepoints, 1..5 the weft.h markers, then the command line's specs in
 * order. It is stored in the record file as "NAME DESCRIPTION" lines. */
#ifndef WEFT_PROBES_H
#define WEFT_PROBES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "spec.h"
#include "weft/events.h"

#define PROBE_FIRST_SPEC WEFT_PROBE_FIRST_SPEC

/* Where a probe's uprobes sit, grouped by the instruction under them and
 * what the kernel does with it at each hit (probe_site.h): the cost of a
 * trap is set there (emulated ~1 us, single-stepped ~10 us here). */
#define PROBE_SITE_KINDS 6

struct probe_site_kind {
	char insn[40]; /* "push %rbp", "call", "ret" */
	char path[16]; /* "emulated", "optimized", "single-step", "uretprobe" */
	uint32_t count;
};

struct probe_table {
	char names[WEFT_MAX_PROBES][128];
	char descs[WEFT_MAX_PROBES][800];
	struct probe_site_kind sites[WEFT_MAX_PROBES][PROBE_SITE_KINDS];
	const struct probe_spec *specs[WEFT_MAX_PROBES]; /* live only */
	int nr;
	bool txns_traced;
};

extern const char *const marker_names[5];

/* From the command line's specs, in order. */
int probes__from_specs(struct probe_table *pt, const struct probe_spec *specs, int nr_specs,
			bool go_lean);
/* One more uprobe of probe idx on insn, taken by the kernel's path */
void probes__add_site(struct probe_table *pt, int idx, const char *insn, const char *path);
/* To and from the record file's text form; the sites apart ("IDX COUNT
 * PATH INSN" lines), kept by files from 2026-12 on. probes__format writes
 * whole lines only and returns how many probes it wrote. */
int probes__format(const struct probe_table *pt, char *buf, size_t len);
void probes__parse(struct probe_table *pt, const char *text);
void probes__format_sites(const struct probe_table *pt, char *buf, size_t len);
void probes__parse_sites(struct probe_table *pt, const char *text);

#endif
