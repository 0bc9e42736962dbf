/* The profile as pprof's profile.proto (gzipped), for `go tool pprof`.
 *
 * Sample types: samples/count and cpu/nanoseconds (on-CPU, -F), and
 * offcpu/nanoseconds when the capture has off-CPU spans (--off-cpu): one
 * profile, pick with -sample_index. Each sample is labeled txn=NAME (spaces
 * as '_', "(none)" outside any transaction) and txn_id=ID, so
 * `go tool pprof -tagfocus=txn=GET_/users` shows one request kind. */
#ifndef WEFT_PPROF_H
#define WEFT_PPROF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "profile_agg.h"
#include "report.h"

/* What a profile says of itself. */
struct pprof_head {
	uint64_t time_ns;     /* its start, ns since the epoch (0: unknown) */
	uint64_t duration_ns; /* its window */
	uint64_t period_ns;   /* one on-CPU sample's time (0: no sampling) */
	bool off_cpu;	      /* has the offcpu/nanoseconds sample type */
	const char *exe;      /* its File (the first mapping) */
	const char *comment;
};

/* The profile, not compressed, in a malloc'd buffer. time_ns: the
 * capture's start, ns since the epoch (0: unknown). 0, or -1 out of memory. */
int pprof__encode(const struct report *r, uint64_t time_ns, uint8_t **out, size_t *len);
/* The same from an interval's aggregate (weft agent): its rows labeled
 * txn=NAME, their stacks m's, named by st. */
int pprof__encode_agg(const struct profile_agg *a, const struct model *m, const struct symtab *st,
		      const struct pprof_head *h, uint8_t **out, size_t *len);
/* gzip of buf into a malloc'd buffer. 0 or -1. */
int pprof__gzip(const uint8_t *buf, size_t len, uint8_t **out, size_t *outlen);
/* Writes the gzipped profile to f; on failure prints one line naming path.
 * 0 or -1. */
int pprof__write(FILE *f, const char *path, const struct report *r, uint64_t time_ns);

#endif
