/* What the record file's reader (record_read.c) shares with its salvage of
 * a cut file (record_salvage.c). */
#ifndef WEFT_RECORD_READ_INT_H
#define WEFT_RECORD_READ_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "record.h"

/* Reads are bounded by `end`, the end of the current section (or of the
 * file): lengths and counts in the file are checked against it, never
 * trusted. */
struct rd {
	FILE *f;
	uint64_t size;	/* of the file */
	uint64_t pos;	/* where the next read starts */
	uint64_t end;	/* reads may not go past here */
	char what[64];	/* what is being read, for messages */
	char *err;
	size_t errlen;
	bool failed;
	char *scratch;	/* STR_MAX + 1 bytes for symbol strings */
};

struct trailer {
	uint64_t nr_events;
	uint64_t meta_off, syms_off, final_off;
	uint64_t off; /* of the trailer itself */
};

/* Where the sections the trailer names are, checked against the file. */
struct layout {
	uint64_t hdr_len;
	uint64_t meta_len, syms_len, final_len;
	bool meta, syms, final;
};

__attribute__((format(printf, 2, 3))) int rd__fail(struct rd *r, const char *fmt, ...);
__attribute__((format(printf, 2, 3))) void rd__what(struct rd *r, const char *fmt, ...);
/* Positions r at off, its reads bounded by end */
int rd__seek(struct rd *r, uint64_t off, uint64_t end);
int rd__read(struct rd *r, void *p, size_t n);
int rd__u32(struct rd *r, uint32_t *v);
/* What is left of the current section must be nothing */
int rd__done(struct rd *r);
/* The META / FINAL_META section at off (its payload len bytes) into m */
int rd__meta(struct rd *r, const char *sect, uint64_t off, uint64_t len, struct record_meta *m);
/* The SYMS section at off into st */
int rd__syms(struct rd *r, uint64_t off, uint64_t len, struct symtab *st);
/* The event at r's position (the idx-th, for messages) */
int rd__event(struct rd *r, uint64_t idx, struct weft_event *e);
/* The EVENTS section at at, r at its payload: each event to fn, counted in
 * *idx */
int rd__chunk(struct rd *r, uint64_t at, uint64_t *idx, record_event_fn fn, void *ctx);
/* A file with no trailer: what it holds up to its last whole, checked chunk */
int rd__salvage(struct rd *r, const struct layout *l, struct record_meta *m, struct symtab *st,
		record_event_fn fn, void *ctx);

#endif
