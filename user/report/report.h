/* Output: the text report (100 columns) and the JSON object. */
#ifndef WEFT_REPORT_H
#define WEFT_REPORT_H

#include <stdbool.h>
#include <stdio.h>
#include "model.h"
#include "probes.h"
#include "record.h"
#include "symtab.h"

struct report {
	const struct model *m;
	const struct symtab *st;
	const struct record_meta *meta;
	const struct probe_table *pt;
};

void report__text(FILE *f, const struct report *r);
/* "N events lost and M map entries not stored: ...; raise ..." in buf;
 * false when nothing was lost */
bool report__losses(const struct record_meta *mt, char *buf, size_t len);
void report__json(FILE *f, const struct report *r);
/* Folded stacks (flamegraph.pl, speedscope): "txn;outermost;...;innermost N"
 * per distinct stack, the transaction's name as the root frame ("(none)"
 * outside any); only the transactions named txn (NULL: all). On-CPU: N
 * samples; off_cpu: the blocked spans instead, N microseconds. */
void report__folded(FILE *f, const struct report *r, const char *txn, bool off_cpu);
/* Chrome trace-event JSON (Perfetto UI, chrome://tracing, speedscope): a
 * track per thread and goroutine, slices per transaction, continuation and
 * off-CPU span, flows from creator to created, on-CPU samples as instants. */
void report__perfetto(FILE *f, const struct report *r);
/* The profile (-F, --off-cpu): per transaction name, the time on and off
 * CPU per request and the top stacks. Nothing when the capture had none. */
void report__profile_text(FILE *f, const struct report *r);
void report__profile_json(FILE *f, const struct report *r);
/* weft check: a line per leak (test, site, count, what it waits on), the
 * cleanup latency per site, a summary; a JUnit XML file when junit is set
 * (only its <testsuite> with suite_only, for follow.c to merge). A followed
 * process's lines say its label; stacks: each leak's creation stack under
 * its line (the JUnit file always has them). 1 when something leaked, else 0. */
int report__check(FILE *f, const struct report *r, const char *junit, const char *label,
		  bool suite_only, bool stacks);
/* s as a JSON string, quoted and escaped. */
void json_str(FILE *f, const char *s);
/* One transaction's tree: the first with a leak, else the slowest. */
void report__tree(FILE *f, const struct report *r);
/* "812ns", "20.1us", "3.40ms", "1.20s", "4m12s" */
const char *fmt_duration(uint64_t ns, char *buf, size_t len);
/* The site as text, and just its function ("" when unknown). */
const char *report__site(const struct report *r, uint64_t addr, char *buf, size_t len);
/* "func (file.c:42)" when the line is known, else as report__site. */
const char *report__site_short(const struct report *r, uint64_t addr, char *buf, size_t len);
const char *report__site_func(const struct report *r, uint64_t addr);
/* The start routine's name, "" unless addr is exactly a function entry. */
const char *report__start(const struct report *r, uint32_t kind, uint64_t addr);
const char *kind_name(uint32_t kind);
/* enum seg_state as the JSON report says it: live, ended, pending, ... */
const char *seg_state_name(uint32_t state);
/* A continuation's whole creation stack, across the continuations that
 * made it: its own frames from its creation site outward, then its
 * creator's from where that one was created, up to its transaction's root
 * (a test, a request). frame() is called once per frame ("func (file:42)"),
 * with hop 0 for the continuation's own, and the kind of the continuation
 * whose creation it is (from hop 1: a creator). Returns the frames given. */
size_t report__creation_stack(const struct report *r, const struct segment *s,
			      void (*frame)(void *ctx, unsigned hop, uint32_t kind,
					    const char *text),
			      void *ctx);
/* A Go wait reason's name from the capture ("chan receive"), "" unknown. */
const char *report__wait_reason(const struct report *r, uint32_t code, char *buf, size_t len);

#endif
