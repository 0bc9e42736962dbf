/* weft goroutines -p PID: a zero-probe snapshot of a live Go process's
 * goroutines (gomem.h), symbolized and grouped by creation site and start
 * function. No BPF, no signal, no pause, no code in the target. */
#ifndef WEFT_GOROUTINES_CMD_H
#define WEFT_GOROUTINES_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "gomem.h"
#include "opts.h"

#define GR_NR_STATES 10 /* g statuses 0.._Gpreempted */

/* One goroutine, symbolized. */
struct gr_row {
	const struct go_g *g;
	const char *site;      /* creation site: "func (file:line)", else "0x..." */
	const char *site_func; /* "" when unknown */
	const char *start;     /* start function, "" when unknown */
	const char *reason;    /* wait reason while waiting, else "" */
	int64_t wait_ns;       /* -1: unknown */
};

/* Goroutines with the same (site, start). Strings point into the rows'. */
struct gr_group {
	const char *site, *site_func, *start;
	uint32_t count;
	uint32_t states[GR_NR_STATES]; /* count by status */
	const char *wait_reason; /* the most common among its waiting ones, "" */
	int64_t max_wait_ns;	 /* -1: unknown */
};

/* Groups rows by (site, start), sorted by count (most first), then site,
 * then start. *out is malloc'd; returns the count, or -1 (no memory). */
int goroutines__group(const struct gr_row *rows, size_t n, struct gr_group **out);
/* "12 waiting, 1 runnable": states by count (most first); with_reason adds
 * the group's wait reason after "waiting": "12 waiting (chan receive), ...".
 * Returns buf. */
const char *goroutines__states(const struct gr_group *g, bool with_reason, char *buf,
			       size_t len);
/* A runtime-internal goroutine: started in package runtime, other than runtime.main. */
bool goroutines__is_system(const char *start);

/* The subcommand; returns the exit status. */
int goroutines__run(const struct opts *o);

#endif
