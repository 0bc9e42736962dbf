/* What a capture counted: every BPF object's counters, merged in one place
 * (counters__add), then given to whoever keeps them (the record's header). */
#ifndef WEFT_COUNTERS_H
#define WEFT_COUNTERS_H

#include <stdint.h>
#include "weft/events.h"

struct capture_counters {
	uint64_t lost, evicted; /* ring buffer full; map full */
	uint64_t nest_overflow; /* runs/transactions past the nesting limit */
	uint64_t hits[WEFT_MAX_PROBES];
	/* profile: -F (0 off), --off-cpu's shortest span sent (0 off) */
	uint64_t sample_hz, offcpu_min_ns;
	uint64_t samples_taken, samples_lost;
	uint64_t offcpu_short, offcpu_short_ns; /* spans below offcpu_min_ns, not sent */
};

struct bpf_map;

/* One BPF object's counters (its per-CPU "counters" map, summed over the
 * CPUs) and its nesting overflows, into c */
void counters__add(struct capture_counters *c, const struct bpf_map *counters,
		   uint64_t nest_overflow);
/* That map summed over the CPUs; 0, or -1 (zeroed) */
int counters__sum(const struct bpf_map *counters, struct weft_counters *sum);

#endif
