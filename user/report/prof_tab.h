/* The tables a profile's samples point into, shared by the pprof and the
 * OTLP profiles encoders: strings ("" first), functions, mappings and
 * locations, each made once. Ids count from 1 (0: none), so they serve as
 * pprof's ids and as OTLP's dictionary indices (whose entry 0 is the zero
 * value) alike. A location per distinct address, symbolized as the folded
 * stacks name it. */
#ifndef WEFT_PROF_TAB_H
#define WEFT_PROF_TAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "idmap.h"
#include "report.h"

struct strtab {
	char **v;
	size_t nr, cap;
	uint32_t *slot; /* index + 1; 0 empty */
	size_t nslot;	/* power of two */
	bool oom;
};

struct prof_loc {
	uint64_t addr, func, map, line;
};
struct prof_func {
	uint64_t name, sys, file;
};
struct prof_map {
	uint64_t lo, hi, file;
	bool lines;
};

struct prof_tab {
	const struct model *m;
	const struct symtab *st;
	struct strtab s;
	struct idmap loc_by_addr, func_by_key, map_by_file; /* -> id (index + 1) */
	struct prof_loc *locs;
	struct prof_func *funcs;
	struct prof_map *maps;
	size_t nr_locs, cap_locs, nr_funcs, cap_funcs, nr_maps, cap_maps;
	uint64_t no_stack, truncated; /* pseudo-frames' locations, 0 not made */
	bool oom;
};

/* s's index in the string table, added if new (0 out of memory: s.oom) */
uint64_t prof_tab__str(struct prof_tab *b, const char *s);
/* The module's mapping, its range grown to cover addr */
uint64_t prof_tab__map(struct prof_tab *b, const char *module, uint64_t addr, bool line);
/* The model's stack as location ids into ids (WEFT_MAX_FRAMES + 1 of
 * room), innermost first; "[truncated]" last when its outermost frames are
 * missing, "[no stack]" for none. How many. */
uint32_t prof_tab__stack(struct prof_tab *b, uint32_t stack, bool truncated, uint64_t *ids);
/* True when something could not be added */
bool prof_tab__oom(const struct prof_tab *b);
void prof_tab__free(struct prof_tab *b);

#endif
