// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The record file's reader: every length and count checked against the
 * file, never trusted (record_format.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include "record.h"
#include "record_format.h"
#include "record_read_int.h"

/* ---- reader ---- */

__attribute__((format(printf, 2, 3)))
int rd__fail(struct rd *r, const char *fmt, ...)
{
	va_list ap;

	if (r->failed)
		return -1;
	r->failed = true;
	if (r->err && r->errlen) {
		va_start(ap, fmt);
		vsnprintf(r->err, r->errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

__attribute__((format(printf, 2, 3)))
void rd__what(struct rd *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->what, sizeof(r->what), fmt, ap);
	va_end(ap);
}

int rd__seek(struct rd *r, uint64_t off, uint64_t end)
{
	if (off > r->size || end > r->size || off > end)
		return rd__fail(r, "corrupt: offset %llu is outside the file",
				(unsigned long long)off);
	if (fseeko(r->f, (off_t)off, SEEK_SET))
		return rd__fail(r, "seek: %s", strerror(errno));
	r->pos = off;
	r->end = end;
	return 0;
}

int rd__read(struct rd *r, void *p, size_t n)
{
	if (n > r->end - r->pos)
		return rd__fail(r, "corrupt: %s runs past the end of its section", r->what);
	if (n && fread(p, 1, n, r->f) != n) {
		if (ferror(r->f))
			return rd__fail(r, "read error: %s", strerror(errno));
		return rd__fail(r, "the file shrank while being read");
	}
	r->pos += n;
	return 0;
}

static int rd__skip(struct rd *r, uint64_t n)
{
	if (n > r->end - r->pos)
		return rd__fail(r, "corrupt: %s runs past the end of its section", r->what);
	return rd__seek(r, r->pos + n, r->end);
}

int rd__u32(struct rd *r, uint32_t *v)
{
	uint8_t b[4];

	if (rd__read(r, b, sizeof(b)))
		return -1;
	*v = get32(b);
	return 0;
}

/* What is left of the current section must be nothing. */
int rd__done(struct rd *r)
{
	if (r->pos != r->end)
		return rd__fail(r, "corrupt: %llu stray bytes after %s",
				(unsigned long long)(r->end - r->pos), r->what);
	return 0;
}

static const char trunc_msg[] = "truncated (no trailer): was the recording interrupted?";

static int rd__header(struct rd *r, struct layout *l)
{
	uint8_t h[REC_HDR_LEN];
	size_t n = r->size < REC_HDR_LEN ? (size_t)r->size : REC_HDR_LEN;
	uint32_t version;

	if (!r->size)
		return rd__fail(r, "empty file (0 bytes): not a weft record file");
	rd__what(r, "the file header");
	if (rd__seek(r, 0, r->size) || rd__read(r, h, n))
		return -1;
	if (memcmp(h, REC_MAGIC, n < REC_MAGIC_LEN ? n : REC_MAGIC_LEN))
		return rd__fail(r, "not a weft record file (bad magic)");
	if (n < REC_HDR_LEN)
		return rd__fail(r, "%s", trunc_msg);
	version = get32(h + 8);
	if (version != WEFT_RECORD_VERSION)
		return rd__fail(r, "unsupported record version %u (this weft reads %d)", version,
				WEFT_RECORD_VERSION);
	l->hdr_len = get32(h + 12);
	if (l->hdr_len < REC_HDR_LEN || l->hdr_len > r->size)
		return rd__fail(r, "corrupt: header length %llu", (unsigned long long)l->hdr_len);
	return 0;
}

/* The trailer's magic at the end: the file was closed, not cut */
static bool has_trailer(struct rd *r, const struct layout *l)
{
	uint8_t b[REC_MAGIC_LEN];

	return r->size - l->hdr_len >= TRAILER_LEN &&
	       !fseeko(r->f, (off_t)(r->size - TRAILER_LEN), SEEK_SET) &&
	       fread(b, 1, sizeof(b), r->f) == sizeof(b) && !memcmp(b, REC_END_MAGIC, REC_MAGIC_LEN);
}

static int rd__trailer(struct rd *r, const struct layout *l, struct trailer *t)
{
	uint8_t b[TRAILER_LEN];
	uint32_t len;

	if (r->size - l->hdr_len < TRAILER_LEN)
		return rd__fail(r, "%s", trunc_msg);
	t->off = r->size - TRAILER_LEN;
	rd__what(r, "the trailer");
	if (rd__seek(r, t->off, r->size) || rd__read(r, b, sizeof(b)))
		return -1;
	if (memcmp(b, REC_END_MAGIC, REC_MAGIC_LEN))
		return rd__fail(r, "%s", trunc_msg);
	len = get32(b + 40);
	if (len != TRAILER_LEN)
		return rd__fail(r, "corrupt: trailer length %u (this weft reads %d)", len,
				TRAILER_LEN);
	t->nr_events = get64(b + 8);
	t->meta_off = get64(b + 16);
	t->syms_off = get64(b + 24);
	t->final_off = get64(b + 32);
	return 0;
}

/* Before anything else is believed: a flipped bit anywhere is caught here. */
static int rd__checksum(struct rd *r)
{
	uint8_t stored[4], *b = malloc(CHUNK_MAX);
	uint64_t left = r->size - 4;
	uint32_t crc = 0;

	if (!b)
		return rd__fail(r, "out of memory");
	rd__what(r, "the file");
	if (rd__seek(r, 0, r->size))
		goto fail;
	while (left) {
		size_t n = left < CHUNK_MAX ? (size_t)left : CHUNK_MAX;

		if (rd__read(r, b, n))
			goto fail;
		crc = record__crc32(crc, b, n);
		left -= n;
	}
	free(b);
	if (rd__read(r, stored, sizeof(stored)))
		return -1;
	if (get32(stored) != crc)
		return rd__fail(r, "corrupt: checksum mismatch");
	return 0;
fail:
	free(b);
	return -1;
}

static const char *sect__name(uint32_t type)
{
	switch (type) {
	case SECT_META:
		return "META";
	case SECT_EVENTS:
		return "EVENTS";
	case SECT_SYMS:
		return "SYMS";
	case SECT_FINAL_META:
		return "FINAL_META";
	}
	return "unknown";
}

/* Reads the section header at r->pos; leaves r at its payload, bounded by it. */
static int rd__section(struct rd *r, uint64_t limit, uint32_t *type, uint32_t *flags,
		       uint64_t *len)
{
	uint8_t h[SECT_HDR_LEN];
	uint64_t at = r->pos;

	if (limit - at < SECT_HDR_LEN)
		return rd__fail(r, "corrupt: the section header at offset %llu runs into the "
				"trailer", (unsigned long long)at);
	rd__what(r, "the section header at offset %llu", (unsigned long long)at);
	if (rd__seek(r, at, limit) || rd__read(r, h, sizeof(h)))
		return -1;
	*type = get32(h);
	*flags = get32(h + 4);
	*len = get64(h + 8);
	if (*len > limit - r->pos)
		return rd__fail(r, "corrupt: the %s section (type %u) at offset %llu is %llu "
				"bytes long, past the trailer", sect__name(*type), *type,
				(unsigned long long)at, (unsigned long long)*len);
	r->end = r->pos + *len;
	return 0;
}

static bool sect__known(uint32_t type)
{
	return type >= SECT_META && type <= SECT_FINAL_META;
}

/* One section in the walk: notes where the trailer's sections are. */
static int rd__walk_one(struct rd *r, const struct trailer *t, struct layout *l, uint64_t at,
			uint64_t *nr_events)
{
	uint32_t type, flags, nr;
	uint64_t len;

	if (rd__section(r, t->off, &type, &flags, &len))
		return -1;
	if (!sect__known(type) && (flags & SECT_F_REQUIRED))
		return rd__fail(r, "unsupported: section type %u at offset %llu needs a newer weft",
				type, (unsigned long long)at);
	if (at == t->meta_off && type == SECT_META) {
		l->meta = true;
		l->meta_len = len;
	} else if (at == t->syms_off && type == SECT_SYMS) {
		l->syms = true;
		l->syms_len = len;
	} else if (at == t->final_off && type == SECT_FINAL_META) {
		l->final = true;
		l->final_len = len;
	} else if (type == SECT_EVENTS) {
		rd__what(r, "the EVENTS section at offset %llu", (unsigned long long)at);
		if (rd__u32(r, &nr))
			return -1;
		if (nr > (len - 4) / EV_FIXED_LEN)
			return rd__fail(r, "corrupt: %s claims %u events in %llu bytes", r->what,
					nr, (unsigned long long)len);
		*nr_events += nr;
	}
	return 0;
}

/* Follows the section headers from the file header to the trailer: they must
 * tile the file exactly, and the trailer's offsets must land on them. */
static int rd__walk(struct rd *r, const struct trailer *t, struct layout *l)
{
	uint64_t at = l->hdr_len, nr_events = 0;

	while (at < t->off) {
		r->pos = at;
		if (rd__walk_one(r, t, l, at, &nr_events))
			return -1;
		at = r->end;
	}
	if (at != t->off)
		return rd__fail(r, "corrupt: the sections overrun the trailer");
	if (!l->meta)
		return rd__fail(r, "corrupt: no META section at offset %llu",
				(unsigned long long)t->meta_off);
	if (!l->syms)
		return rd__fail(r, "corrupt: no SYMS section at offset %llu",
				(unsigned long long)t->syms_off);
	if (!l->final)
		return rd__fail(r, "corrupt: no FINAL_META section at offset %llu",
				(unsigned long long)t->final_off);
	if (nr_events != t->nr_events)
		return rd__fail(r, "corrupt: the trailer counts %llu events, the sections %llu",
				(unsigned long long)t->nr_events, (unsigned long long)nr_events);
	return 0;
}

static const struct meta_field *meta_field__find(const char *key)
{
	for (size_t i = 0; i < nr_meta_fields; i++)
		if (!strcmp(meta_fields[i].key, key))
			return &meta_fields[i];
	return NULL;
}

static int rd__meta_value(struct rd *r, const struct meta_field *f, uint32_t vlen,
			  struct record_meta *m)
{
	uint8_t *dst = (uint8_t *)m + f->off;
	uint8_t b[8];

	switch (f->type) {
	case KV_STR: {
		/* longer than the field (a newer weft?): keep what fits */
		size_t n = vlen < f->size - 1 ? vlen : f->size - 1;

		if (rd__read(r, dst, n) || rd__skip(r, vlen - n))
			return -1;
		dst[n] = 0;
		return 0;
	}
	case KV_U64:
		if (vlen != 8)
			return rd__fail(r, "corrupt: %s is %u bytes, not 8", r->what, vlen);
		if (rd__read(r, b, 8))
			return -1;
		if (f->size == sizeof(uint32_t)) {
			uint32_t v = (uint32_t)get64(b);

			memcpy(dst, &v, sizeof(v));
		} else {
			uint64_t v = get64(b);

			memcpy(dst, &v, sizeof(v));
		}
		return 0;
	case KV_U64S:
		if (vlen % 8)
			return rd__fail(r, "corrupt: %s is %u bytes, not a multiple of 8", r->what,
					vlen);
		memset(dst, 0, f->size);
		for (uint32_t i = 0; i < vlen / 8; i++) {
			uint64_t v;

			if (rd__read(r, b, 8))
				return -1;
			v = get64(b);
			if ((size_t)i < f->size / 8)
				memcpy(dst + 8 * i, &v, sizeof(v));
		}
		return 0;
	}
	return rd__fail(r, "corrupt: %s has type %u", r->what, f->type);
}

static int rd__meta_entry(struct rd *r, const char *sect, uint32_t i, struct record_meta *m)
{
	uint8_t h[8];
	char key[KEY_MAX + 1];
	uint16_t klen, type;
	uint32_t vlen;
	const struct meta_field *f;

	rd__what(r, "%s entry %u", sect, i);
	if (rd__read(r, h, sizeof(h)))
		return -1;
	klen = get16(h);
	type = get16(h + 2);
	vlen = get32(h + 4);
	if (!klen || klen > KEY_MAX)
		return rd__fail(r, "corrupt: %s has a key of %u bytes", r->what, klen);
	if (vlen > STR_MAX)
		return rd__fail(r, "corrupt: %s has a value of %u bytes (max %d)", r->what, vlen,
				STR_MAX);
	if (rd__read(r, key, klen))
		return -1;
	key[klen] = 0;
	f = meta_field__find(key);
	if (!f) /* a newer weft's key */
		return rd__skip(r, vlen);
	rd__what(r, "%s key %s", sect, f->key);
	if (type != f->type)
		return rd__fail(r, "corrupt: %s has value type %u, expected %u", r->what, type,
				f->type);
	return rd__meta_value(r, f, vlen, m);
}

int rd__meta(struct rd *r, const char *sect, uint64_t off, uint64_t len,
		    struct record_meta *m)
{
	uint32_t nr;

	rd__what(r, "the %s section", sect);
	if (rd__seek(r, off + SECT_HDR_LEN, off + SECT_HDR_LEN + len) || rd__u32(r, &nr))
		return -1;
	if (nr > len / KV_MIN_LEN)
		return rd__fail(r, "corrupt: %s claims %u entries in %llu bytes", r->what, nr,
				(unsigned long long)len);
	for (uint32_t i = 0; i < nr; i++)
		if (rd__meta_entry(r, sect, i, m))
			return -1;
	rd__what(r, "the %s section", sect);
	return rd__done(r);
}

static int rd__str(struct rd *r, char *dst)
{
	uint32_t n;

	if (rd__u32(r, &n))
		return -1;
	if (n > STR_MAX)
		return rd__fail(r, "corrupt: %s has a string of %u bytes (max %d)", r->what, n,
				STR_MAX);
	if (rd__read(r, dst, n))
		return -1;
	dst[n] = 0;
	return 0;
}

static int rd__sym(struct rd *r, uint32_t i, struct symtab *st)
{
	uint8_t b[SYM_FIXED_LEN];
	char *func = r->scratch, *file = func + STR_MAX + 1, *module = file + STR_MAX + 1;
	struct sym s;

	rd__what(r, "symbol %u", i);
	if (rd__read(r, b, sizeof(b)) || rd__str(r, func) || rd__str(r, file) ||
	    rd__str(r, module))
		return -1;
	s = (struct sym){
		.addr = get64(b),
		.off = get64(b + 8),
		.line = get32(b + 16),
		.flags = get32(b + 20),
		.func = func,
		.file = file,
		.module = module,
	};
	if (symtab__add(st, &s))
		return rd__fail(r, "out of memory");
	return 0;
}

int rd__syms(struct rd *r, uint64_t off, uint64_t len, struct symtab *st)
{
	uint32_t nr;

	rd__what(r, "the SYMS section");
	if (rd__seek(r, off + SECT_HDR_LEN, off + SECT_HDR_LEN + len) || rd__u32(r, &nr))
		return -1;
	if (nr > len / SYM_MIN_LEN)
		return rd__fail(r, "corrupt: %s claims %u symbols in %llu bytes", r->what, nr,
				(unsigned long long)len);
	if (!st)
		return 0;
	r->scratch = malloc(3 * (STR_MAX + 1));
	if (!r->scratch)
		return rd__fail(r, "out of memory");
	for (uint32_t i = 0; i < nr; i++)
		if (rd__sym(r, i, st))
			return -1;
	rd__what(r, "the SYMS section");
	return rd__done(r);
}

int rd__event(struct rd *r, uint64_t idx, struct weft_event *e)
{
	uint8_t b[EV_MAX_LEN], *u = b + EV_FIXED_LEN;
	size_t ulen;

	rd__what(r, "event %llu", (unsigned long long)idx);
	if (rd__read(r, b, EV_FIXED_LEN))
		return -1;
	memset(e, 0, sizeof(*e));
	e->ts_ns = get64(b);
	e->type = get32(b + 8);
	e->kind = get32(b + 12);
	e->pid = get32(b + 16);
	e->tid = get32(b + 20);
	e->seg = get64(b + 24);
	e->parent = get64(b + 32);
	e->txn = get64(b + 40);
	e->obj = get64(b + 48);
	e->site = get64(b + 56);
	e->probe = get32(b + 64);
	e->flags = get32(b + 68);
	e->nr_frames = get32(b + 72);
	e->pad = get32(b + 76);
	if (e->nr_frames > WEFT_MAX_FRAMES)
		return rd__fail(r, "corrupt: event %llu has nr_frames %u > %d",
				(unsigned long long)idx, e->nr_frames, WEFT_MAX_FRAMES);
	ulen = event__union_len(e->type, e->nr_frames);
	if (rd__read(r, u, ulen))
		return -1;
	for (uint32_t i = 0; i < e->nr_frames; i++)
		e->frames[i] = get64(u + 8 * i);
	if (ulen > e->nr_frames * 8)
		memcpy(e->name + e->nr_frames * 8, u + e->nr_frames * 8, ulen - e->nr_frames * 8);
	return 0;
}

int rd__chunk(struct rd *r, uint64_t at, uint64_t *idx, record_event_fn fn, void *ctx)
{
	struct weft_event e;
	uint32_t nr;

	rd__what(r, "the EVENTS section at offset %llu", (unsigned long long)at);
	if (rd__u32(r, &nr))
		return -1;
	for (uint32_t i = 0; i < nr; i++, (*idx)++) {
		if (rd__event(r, *idx, &e))
			return -1;
		if (fn && fn(ctx, &e))
			return rd__fail(r, "event %llu could not be processed (out of memory?)",
					(unsigned long long)*idx);
	}
	rd__what(r, "the EVENTS section at offset %llu", (unsigned long long)at);
	return rd__done(r);
}

/* The second walk: the section chain was checked by rd__walk(). */
static int rd__events(struct rd *r, const struct trailer *t, const struct layout *l,
		      record_event_fn fn, void *ctx)
{
	uint64_t at = l->hdr_len, idx = 0;
	uint32_t type, flags;
	uint64_t len;

	while (at < t->off) {
		r->pos = at;
		if (rd__section(r, t->off, &type, &flags, &len))
			return -1;
		at = r->end;
		if (type != SECT_EVENTS)
			continue;
		if (rd__chunk(r, at - len - SECT_HDR_LEN, &idx, fn, ctx))
			return -1;
	}
	return 0;
}

static int rd__open(struct rd *r, const char *path)
{
	struct stat sb;

	if (!path)
		return rd__fail(r, "no file name");
	r->f = fopen(path, "rbe");
	if (!r->f)
		return rd__fail(r, "cannot open: %s", strerror(errno));
	if (fstat(fileno(r->f), &sb))
		return rd__fail(r, "cannot stat: %s", strerror(errno));
	if (S_ISDIR(sb.st_mode))
		return rd__fail(r, "is a directory, not a weft record file");
	if (!S_ISREG(sb.st_mode))
		return rd__fail(r, "not a regular file (weft reads record files by seeking)");
	r->size = (uint64_t)sb.st_size;
	return 0;
}

int record__read(const char *path, struct record_meta *meta, struct symtab *st,
		 record_event_fn fn, void *ctx, char *err, size_t errlen)
{
	struct rd r = { .err = err, .errlen = errlen };
	struct record_meta scratch_meta;
	struct layout l = {};
	struct trailer t = {};
	struct record_meta *m = meta ? meta : &scratch_meta;
	int rc;

	if (err && errlen)
		err[0] = 0;
	memset(m, 0, sizeof(*m));
	rc = rd__open(&r, path) || rd__header(&r, &l);
	if (!rc && !has_trailer(&r, &l))
		rc = rd__salvage(&r, &l, m, st, fn, ctx);
	else
		rc = rc || rd__trailer(&r, &l, &t) || rd__checksum(&r) || rd__walk(&r, &t, &l) ||
		     rd__meta(&r, "META", t.meta_off, l.meta_len, m) ||
		     rd__meta(&r, "FINAL_META", t.final_off, l.final_len, m) ||
		     rd__syms(&r, t.syms_off, l.syms_len, st) || rd__events(&r, &t, &l, fn, ctx);
	if (r.f)
		fclose(r.f);
	free(r.scratch);
	return rc ? -1 : 0;
}
