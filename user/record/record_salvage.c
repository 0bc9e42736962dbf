// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A record file cut before its trailer (its writer killed, its disk full):
 * its META, then every EVENTS chunk that is whole and whose CHUNK_CRC
 * checks, in order; the first chunk that is not ends the reading, and what
 * follows is dropped and counted (record_format.h). As perf reads an
 * unfinished perf.data. */
#include <stdlib.h>
#include <string.h>
#include "record.h"
#include "record_format.h"
#include "record_read_int.h"

/* The section header at at, if whole and its payload within the file */
static bool whole(struct rd *r, uint64_t at, uint32_t *type, uint64_t *len)
{
	uint8_t h[SECT_HDR_LEN];

	if (r->size - at < SECT_HDR_LEN || fseeko(r->f, (off_t)at, SEEK_SET) ||
	    fread(h, 1, sizeof(h), r->f) != sizeof(h))
		return false;
	*type = get32(h);
	*len = get64(h + 8);
	return *len <= r->size - at - SECT_HDR_LEN;
}

/* The CRC-32 of the file's bytes [at, end) */
static bool crc_of(struct rd *r, uint64_t at, uint64_t end, uint32_t *crc)
{
	uint8_t b[4096];

	*crc = 0;
	if (fseeko(r->f, (off_t)at, SEEK_SET))
		return false;
	while (at < end) {
		size_t n = end - at < sizeof(b) ? (size_t)(end - at) : sizeof(b);

		if (fread(b, 1, n, r->f) != n)
			return false;
		*crc = record__crc32(*crc, b, n);
		at += n;
	}
	return true;
}

/* The EVENTS chunk at at (payload len) checks against the CHUNK_CRC after
 * it: the offset past both, or 0 */
static uint64_t chunk_checked(struct rd *r, uint64_t at, uint64_t len)
{
	uint64_t crc_at = at + SECT_HDR_LEN + len, clen;
	uint32_t type, want, got;
	uint8_t b[4];

	if (!whole(r, crc_at, &type, &clen) || type != SECT_CHUNK_CRC || clen != 4 ||
	    fread(b, 1, 4, r->f) != 4)
		return 0;
	want = get32(b);
	if (!crc_of(r, at, crc_at, &got) || got != want)
		return 0;
	return crc_at + SECT_HDR_LEN + 4;
}

int rd__salvage(struct rd *r, const struct layout *l, struct record_meta *m, struct symtab *st,
		record_event_fn fn, void *ctx)
{
	uint64_t at = l->hdr_len, len, next, idx = 0;
	uint32_t type;

	if (!whole(r, at, &type, &len) || type != SECT_META)
		return rd__fail(r, "truncated before its first section: nothing to read");
	if (rd__meta(r, "META", at, len, m))
		return -1;
	at += SECT_HDR_LEN + len;
	while (whole(r, at, &type, &len)) {
		if (type == SECT_SYMS) { /* cut after its symbols: names kept */
			if (rd__syms(r, at, len, st))
				return -1;
		} else if (type == SECT_FINAL_META) { /* and its counters */
			if (rd__meta(r, "FINAL_META", at, len, m))
				return -1;
		} else if (type == SECT_EVENTS) {
			if (!(next = chunk_checked(r, at, len)))
				break;
			if (rd__seek(r, at + SECT_HDR_LEN, at + SECT_HDR_LEN + len) ||
			    rd__chunk(r, at, &idx, fn, ctx))
				return -1;
			m->cut_chunks++;
			at = next;
			continue;
		}
		at += SECT_HDR_LEN + len;
	}
	m->cut = true;
	m->cut_bytes = r->size - at;
	m->cut_events = idx;
	return 0;
}
