/* OTLP profiles (opentelemetry/proto/profiles/v1development, collector
 * 0.152's): an interval's profile_agg as an ExportProfilesServiceRequest,
 * for POST /v1development/profiles (a collector with the
 * service.profilesSupport feature gate).
 *
 * One ResourceProfiles (otlp_resource's attributes: service, host,
 * process.pid, ...), one scope "weft", and a Profile per sample type, as a
 * v1development Profile has one: samples/count (on-CPU samples; period
 * cpu/nanoseconds, h->period_ns), cpu/nanoseconds, and offcpu/nanoseconds
 * with h->off_cpu (pprof.h's names). Each holds the rows with a value of
 * its type. The tables are shared in the ProfilesDictionary (prof_tab.c:
 * the locations named as the pprof files name them); each sample points to
 * its stack and to one attribute, weft.txn.name = the transaction's name
 * ("(none)" outside any). */
#ifndef WEFT_OTLP_PROFILES_H
#define WEFT_OTLP_PROFILES_H

#include <stddef.h>
#include <stdint.h>
#include "otlp.h"
#include "pprof.h"
#include "profile_agg.h"

/* The request in a malloc'd buffer: a's rows, their stacks m's, named by
 * st; times and period from h (its exe and comment unused); the resource
 * from mt and rsrc (may be NULL). 0, or -1 out of memory. */
int otlp__encode_profiles(const struct profile_agg *a, const struct model *m,
			  const struct symtab *st, const struct pprof_head *h,
			  const struct record_meta *mt, const struct otlp_resource *rsrc,
			  uint8_t **out, size_t *len);

#endif
