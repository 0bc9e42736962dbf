// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The record file's writer: META, EVENTS as the capture runs, SYMS,
 * FINAL_META, the trailer (record_format.h). */
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

/* ---- growable encode buffer ---- */

struct buf {
	uint8_t *p;
	size_t len, cap;
	bool oom;
};

static uint8_t *buf__room(struct buf *b, size_t n)
{
	if (b->oom)
		return NULL;
	if (b->cap - b->len < n) {
		size_t cap = b->cap ? b->cap : 256;
		uint8_t *p;

		while (cap - b->len < n)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return NULL;
		}
		b->p = p;
		b->cap = cap;
	}
	b->len += n;
	return b->p + b->len - n;
}

static void buf__put(struct buf *b, const void *src, size_t n)
{
	uint8_t *p = buf__room(b, n);

	if (p && n)
		memcpy(p, src, n);
}

static void buf__u16(struct buf *b, uint16_t v)
{
	uint8_t *p = buf__room(b, 2);

	if (p)
		put16(p, v);
}

static void buf__u32(struct buf *b, uint32_t v)
{
	uint8_t *p = buf__room(b, 4);

	if (p)
		put32(p, v);
}

static void buf__u64(struct buf *b, uint64_t v)
{
	uint8_t *p = buf__room(b, 8);

	if (p)
		put64(p, v);
}

static void buf__str(struct buf *b, const char *s)
{
	size_t n = s ? strnlen(s, STR_MAX) : 0;

	buf__u32(b, (uint32_t)n);
	buf__put(b, s, n);
}

/* ---- encoding ---- */

static void meta__encode(struct buf *b, const struct record_meta *m, bool final)
{
	size_t count_at = b->len;
	uint32_t count = 0;

	buf__u32(b, 0);
	for (size_t i = 0; i < nr_meta_fields; i++) {
		const struct meta_field *f = &meta_fields[i];
		const uint8_t *src = (const uint8_t *)m + f->off;
		size_t klen = strlen(f->key);

		if (f->final != final)
			continue;
		buf__u16(b, (uint16_t)klen);
		buf__u16(b, f->type);
		switch (f->type) {
		case KV_STR: {
			/* fields may lack their NUL: never read past them */
			size_t n = strnlen((const char *)src, f->size);

			buf__u32(b, (uint32_t)n);
			buf__put(b, f->key, klen);
			buf__put(b, src, n);
			break;
		}
		case KV_U64: {
			uint64_t v = 0;

			if (f->size == sizeof(uint32_t)) {
				uint32_t v32;

				memcpy(&v32, src, sizeof(v32));
				v = v32;
			} else {
				memcpy(&v, src, sizeof(v));
			}
			buf__u32(b, 8);
			buf__put(b, f->key, klen);
			buf__u64(b, v);
			break;
		}
		case KV_U64S:
			buf__u32(b, (uint32_t)f->size);
			buf__put(b, f->key, klen);
			for (size_t k = 0; k < f->size / 8; k++) {
				uint64_t v;

				memcpy(&v, src + 8 * k, sizeof(v));
				buf__u64(b, v);
			}
			break;
		}
		count++;
	}
	if (!b->oom)
		put32(b->p + count_at, count);
}


static void event__encode(struct buf *b, const struct weft_event *e)
{
	uint32_t nr = e->nr_frames < WEFT_MAX_FRAMES ? e->nr_frames : WEFT_MAX_FRAMES;
	size_t ulen = event__union_len(e->type, nr);
	uint8_t *p = buf__room(b, EV_FIXED_LEN + ulen);

	if (!p)
		return;
	put64(p, e->ts_ns);
	put32(p + 8, e->type);
	put32(p + 12, e->kind);
	put32(p + 16, e->pid);
	put32(p + 20, e->tid);
	put64(p + 24, e->seg);
	put64(p + 32, e->parent);
	put64(p + 40, e->txn);
	put64(p + 48, e->obj);
	put64(p + 56, e->site);
	put32(p + 64, e->probe);
	put32(p + 68, e->flags);
	put32(p + 72, nr);
	put32(p + 76, e->pad);
	p += EV_FIXED_LEN;
	for (uint32_t i = 0; i < nr; i++)
		put64(p + 8 * i, e->frames[i]);
	/* the rest of a TXN_BEGIN union is the name: bytes, not integers */
	if (ulen > nr * 8)
		memcpy(p + nr * 8, e->name + nr * 8, ulen - nr * 8);
}

static void syms__encode(struct buf *b, const struct symtab *st)
{
	size_t n = symtab__count(st);

	if (n > UINT32_MAX)
		n = UINT32_MAX;
	buf__u32(b, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		const struct sym *s = symtab__at(st, i);

		buf__u64(b, s->addr);
		buf__u64(b, s->off);
		buf__u32(b, s->line);
		buf__u32(b, s->flags);
		buf__str(b, s->func);
		buf__str(b, s->file);
		buf__str(b, s->module);
	}
}

/* ---- writer ---- */

struct record_writer {
	FILE *f;
	uint64_t pos; /* bytes written */
	uint32_t crc; /* of those bytes */
	int err;      /* first errno; sticky */
	uint64_t nr_events;
	uint64_t meta_off;
	struct buf chunk; /* encoded events not yet written */
	uint32_t chunk_nr;
};

static void writer__out(struct record_writer *w, const void *p, size_t n)
{
	if (w->err || !n)
		return;
	if (fwrite(p, 1, n, w->f) != n) {
		w->err = errno ? errno : EIO;
		return;
	}
	w->crc = record__crc32(w->crc, p, n);
	w->pos += n;
}

/* A section; returns the CRC-32 of its bytes (header and payload) */
static uint32_t writer__section(struct record_writer *w, uint32_t type, const void *head,
				size_t head_len, const struct buf *b)
{
	uint8_t h[SECT_HDR_LEN];
	uint32_t crc;

	if (b->oom) {
		w->err = w->err ? w->err : ENOMEM;
		return 0;
	}
	put32(h, type);
	put32(h + 4, 0);
	put64(h + 8, head_len + b->len);
	crc = record__crc32(0, h, sizeof(h));
	crc = record__crc32(crc, head, head_len);
	crc = record__crc32(crc, b->p, b->len);
	writer__out(w, h, sizeof(h));
	writer__out(w, head, head_len);
	writer__out(w, b->p, b->len);
	return crc;
}

static void writer__flush_events(struct record_writer *w)
{
	static const struct buf none;
	uint8_t nr[4], crc[4];

	if (!w->chunk_nr)
		return;
	put32(nr, w->chunk_nr);
	put32(crc, writer__section(w, SECT_EVENTS, nr, sizeof(nr), &w->chunk));
	writer__section(w, SECT_CHUNK_CRC, crc, sizeof(crc), &none);
	w->chunk.len = 0;
	w->chunk_nr = 0;
	/* on disk now: a writer killed later leaves every chunk before */
	if (!w->err && fflush(w->f))
		w->err = errno ? errno : EIO;
}

static void writer__meta(struct record_writer *w, uint32_t type, const struct record_meta *m,
			 bool final)
{
	static const struct record_meta zero;
	struct buf b = {};

	meta__encode(&b, m ? m : &zero, final);
	writer__section(w, type, NULL, 0, &b);
	free(b.p);
}

static void writer__free(struct record_writer *w)
{
	free(w->chunk.p);
	free(w);
}

struct record_writer *record_writer__open(const char *path, const struct record_meta *meta)
{
	struct record_writer *w;
	uint8_t h[REC_HDR_LEN];
	int err;

	if (!path) {
		errno = EINVAL;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->chunk.p = malloc(CHUNK_MAX);
	if (!w->chunk.p) {
		free(w);
		return NULL;
	}
	w->chunk.cap = CHUNK_MAX;
	w->f = fopen(path, "wbe");
	if (!w->f) {
		err = errno;
		writer__free(w);
		errno = err;
		return NULL;
	}
	memcpy(h, REC_MAGIC, REC_MAGIC_LEN);
	put32(h + 8, WEFT_RECORD_VERSION);
	put32(h + 12, REC_HDR_LEN);
	writer__out(w, h, sizeof(h));
	w->meta_off = w->pos;
	writer__meta(w, SECT_META, meta, false);
	/* get the header to disk now: an early failure shows at open */
	if (!w->err && fflush(w->f))
		w->err = errno;
	if (w->err) {
		err = w->err;
		fclose(w->f);
		writer__free(w);
		errno = err;
		return NULL;
	}
	return w;
}

int record_writer__event(struct record_writer *w, const struct weft_event *e)
{
	if (!w || !e) {
		errno = EINVAL;
		return -1;
	}
	if (!w->err) {
		if (w->chunk.len + EV_MAX_LEN > CHUNK_MAX)
			writer__flush_events(w);
		event__encode(&w->chunk, e);
		w->chunk_nr++;
		w->nr_events++;
	}
	if (w->err) {
		errno = w->err;
		return -1;
	}
	return 0;
}

static void writer__trailer(struct record_writer *w, uint64_t syms_off, uint64_t final_off)
{
	uint8_t t[TRAILER_LEN];

	memcpy(t, REC_END_MAGIC, REC_MAGIC_LEN);
	put64(t + 8, w->nr_events);
	put64(t + 16, w->meta_off);
	put64(t + 24, syms_off);
	put64(t + 32, final_off);
	put32(t + 40, TRAILER_LEN);
	writer__out(w, t, TRAILER_LEN - 4);
	/* the checksum covers everything before it, trailer fields included */
	put32(t + 44, w->crc);
	writer__out(w, t + 44, 4);
}

int record_writer__close(struct record_writer *w, const struct record_meta *final_meta,
			 const struct symtab *st)
{
	struct buf b = {};
	uint64_t syms_off, final_off;
	int err;

	if (!w) {
		errno = EINVAL;
		return -1;
	}
	writer__flush_events(w);
	syms_off = w->pos;
	syms__encode(&b, st);
	writer__section(w, SECT_SYMS, NULL, 0, &b);
	free(b.p);
	final_off = w->pos;
	writer__meta(w, SECT_FINAL_META, final_meta, true);
	writer__trailer(w, syms_off, final_off);
	if (fclose(w->f) && !w->err)
		w->err = errno ? errno : EIO;
	err = w->err;
	writer__free(w);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}
