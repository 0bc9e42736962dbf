/* What trace, record, check and report share after the capture: the model
 * made from the options and the probe table, how far leaks are judged,
 * and the report written in the format asked for. */
#ifndef WEFT_REPORT_OUT_H
#define WEFT_REPORT_OUT_H

#include <stdint.h>
#include <stdio.h>
#include "opts.h"

struct model;
struct probe_table;
struct record_meta;
struct report;
struct symtab;

/* A model with the options' grace, sampling, names and --allow. */
struct model *model_for(const struct probe_table *pt, const struct opts *o, struct symtab *st);
uint64_t judged_until(const struct record_meta *m);
/* r to f in o->format; folded keeps only txn_filter's transactions (NULL:
 * all). 0, or pprof's failure. */
int report_write(FILE *f, const struct report *r, const struct opts *o, const char *txn_filter,
		 uint64_t start_realtime_ns);
/* Flushes and closes an output (stdout: flushed only), checked: a full disk
 * or an I/O error says one line naming path ("standard output" for NULL)
 * and gives -1. */
int out_close(FILE *f, const char *path);
/* Before any capture: can path be written (the file, or a new one in its
 * directory)? 0, or -1 with one line in err naming the flag and a fix. */
int out_writable(const char *flag, const char *path, char *err, size_t len);

#endif
