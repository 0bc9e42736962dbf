// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The record file. All integers little endian; offsets are from the start of
 * the file; "str" is u32 length + bytes (no NUL), at most 64 KiB.
 *
 * Header, 16 bytes:
 *   0   char[8]  "WEFTREC\0"
 *   8   u32      version (WEFT_RECORD_VERSION)
 *   12  u32      header length (16; a reader skips any bytes past 16)
 *
 * Then sections, each a 16 byte header and its payload:
 *   0   u32      type: 1 META, 2 EVENTS, 3 SYMS, 4 FINAL_META
 *   4   u32      flags: bit 0 REQUIRED (a reader that does not know the type
 *                must refuse the file); other bits are ignored
 *   8   u64      payload length
 *   16  payload
 * Unknown types without REQUIRED are skipped. The writer emits META, any
 * number of EVENTS (one per 64 KiB of events, written as the capture runs),
 * SYMS, FINAL_META, in that order.
 *
 * META and FINAL_META payload: u32 count, then count entries
 *   u16 key length (1..255), u16 value type, u32 value length, key, value
 * value types: 1 string, 2 u64, 3 u64 array (value length a multiple of 8).
 * Keys are the struct record_meta fields (meta_fields[] below); unknown keys
 * are skipped. META holds what is known at open, FINAL_META the counters known
 * only at the end (end_ns, lost, evicted, hits).
 *
 * EVENTS payload: u32 count, then count events, each
 *   80 bytes: u64 ts_ns, u32 type, u32 kind, u32 pid, u32 tid, u64 seg,
 *             u64 parent, u64 txn, u64 obj, u64 site, u32 probe, u32 flags,
 *             u32 nr_frames (<= WEFT_MAX_FRAMES: 32), u32 pad
 *   then the union: nr_frames u64 frames, except that TXN_BEGIN stores all
 *   128 bytes (its name lives there): nr_frames u64 frames, then the rest of
 *   the union as raw bytes. A Go TXN_END with WEFT_F_PATTERN carries its
 *   route pattern as nr_frames words of bytes (NUL included): a reader
 *   that does not know the flag skips them as frames.
 *
 * SYMS payload: u32 count, then count symbols, each
 *   u64 addr, u64 off, u32 line, u32 flags, str func, str file, str module
 *
 * Trailer, the last 48 bytes of the file:
 *   0   char[8]  "WEFTEND\0"
 *   8   u64      number of events
 *   16  u64      offset of the META section
 *   24  u64      offset of the SYMS section
 *   32  u64      offset of the FINAL_META section
 *   40  u32      trailer length (48)
 *   44  u32      CRC-32 (IEEE) of every byte of the file before this field
 * The trailer is written last: a file without one is an interrupted capture. */
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

#define REC_MAGIC "WEFTREC\0"
#define REC_END_MAGIC "WEFTEND\0"
#define REC_MAGIC_LEN 8
#define REC_HDR_LEN 16
#define SECT_HDR_LEN 16
#define TRAILER_LEN 48
#define EV_FIXED_LEN 80
#define EV_UNION_LEN (WEFT_MAX_FRAMES * 8)
#define EV_MAX_LEN (EV_FIXED_LEN + EV_UNION_LEN)
#define SYM_FIXED_LEN 24
#define SYM_MIN_LEN (SYM_FIXED_LEN + 3 * 4)
#define KV_MIN_LEN 9
#define KEY_MAX 255
#define STR_MAX (64 * 1024)
#define CHUNK_MAX (64 * 1024) /* events buffered before an EVENTS section is written */

enum sect_type {
	SECT_META = 1,
	SECT_EVENTS = 2,
	SECT_SYMS = 3,
	SECT_FINAL_META = 4,
};

enum sect_flags {
	SECT_F_REQUIRED = 1 << 0,
};

enum kv_type {
	KV_STR = 1,
	KV_U64 = 2,
	KV_U64S = 3,
};

/* Every record_meta field, how it is stored and in which section. */
struct meta_field {
	const char *key;
	uint16_t type;
	bool final;
	size_t off, size;
};

#define MF(f, t, fin) { #f, t, fin, offsetof(struct record_meta, f), \
			sizeof(((struct record_meta *)0)->f) }

static const struct meta_field meta_fields[] = {
	MF(host, KV_STR, false),
	MF(kernel, KV_STR, false),
	MF(pid, KV_U64, false),
	MF(exe, KV_STR, false),
	MF(build_id, KV_STR, false),
	MF(probes, KV_STR, false),
	MF(cmdline, KV_STR, false),
	MF(start_ns, KV_U64, false),
	MF(start_realtime_ns, KV_U64, false), /* absent from older files: 0 */
	MF(leak_grace_ns, KV_U64, false),
	MF(end_ns, KV_U64, true),
	MF(lost, KV_U64, true),
	MF(evicted, KV_U64, true),
	MF(hits, KV_U64S, true),
	MF(nest_overflow, KV_U64, true),
	MF(go_wait_reasons, KV_STR, true),
	MF(go_version, KV_STR, false), /* absent from older files: "" */
	MF(go_offsets, KV_STR, false),
	MF(name_by, KV_STR, false), /* absent from older files: "" */
	MF(go_reads_failed, KV_U64, true),
	MF(go_lean_read_ns, KV_U64, true),
	MF(node_providers, KV_STR, false),
	MF(node_suspect, KV_U64, true),
	MF(sample_hz, KV_U64, true),
	MF(offcpu_min_ns, KV_U64, true),
	MF(samples_taken, KV_U64, true),
	MF(samples_lost, KV_U64, true),
	MF(offcpu_short, KV_U64, true),
	MF(offcpu_short_ns, KV_U64, true),
};

#define NR_META_FIELDS (sizeof(meta_fields) / sizeof(meta_fields[0]))

/* ---- little endian and CRC-32 ---- */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static uint32_t crc_table[256];
static bool crc_ready;

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
	crc_ready = true;
}

uint32_t record__crc32(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	if (!crc_ready)
		crc_init();
	crc = ~crc;
	while (len--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

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
	for (size_t i = 0; i < NR_META_FIELDS; i++) {
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

static size_t event__union_len(uint32_t type, uint32_t nr_frames)
{
	return type == WEFT_EV_TXN_BEGIN ? EV_UNION_LEN : nr_frames * 8;
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

static void writer__section(struct record_writer *w, uint32_t type, const void *head,
			    size_t head_len, const struct buf *b)
{
	uint8_t h[SECT_HDR_LEN];

	if (b->oom) {
		w->err = w->err ? w->err : ENOMEM;
		return;
	}
	put32(h, type);
	put32(h + 4, 0);
	put64(h + 8, head_len + b->len);
	writer__out(w, h, sizeof(h));
	writer__out(w, head, head_len);
	writer__out(w, b->p, b->len);
}

static void writer__flush_events(struct record_writer *w)
{
	uint8_t nr[4];

	if (!w->chunk_nr)
		return;
	put32(nr, w->chunk_nr);
	writer__section(w, SECT_EVENTS, nr, sizeof(nr), &w->chunk);
	w->chunk.len = 0;
	w->chunk_nr = 0;
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

/* ---- reader ---- */

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

__attribute__((format(printf, 2, 3)))
static int rd__fail(struct rd *r, const char *fmt, ...)
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
static void rd__what(struct rd *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->what, sizeof(r->what), fmt, ap);
	va_end(ap);
}

static int rd__seek(struct rd *r, uint64_t off, uint64_t end)
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

static int rd__read(struct rd *r, void *p, size_t n)
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

static int rd__u32(struct rd *r, uint32_t *v)
{
	uint8_t b[4];

	if (rd__read(r, b, sizeof(b)))
		return -1;
	*v = get32(b);
	return 0;
}

/* What is left of the current section must be nothing. */
static int rd__done(struct rd *r)
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
	for (size_t i = 0; i < NR_META_FIELDS; i++)
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

static int rd__meta(struct rd *r, const char *sect, uint64_t off, uint64_t len,
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

static int rd__syms(struct rd *r, uint64_t off, uint64_t len, struct symtab *st)
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

static int rd__event(struct rd *r, uint64_t idx, struct weft_event *e)
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

/* The second walk: the section chain was checked by rd__walk(). */
static int rd__events(struct rd *r, const struct trailer *t, const struct layout *l,
		      record_event_fn fn, void *ctx)
{
	uint64_t at = l->hdr_len, idx = 0;
	uint32_t type, flags, nr;
	uint64_t len;
	struct weft_event e;

	while (at < t->off) {
		r->pos = at;
		if (rd__section(r, t->off, &type, &flags, &len))
			return -1;
		at = r->end;
		if (type != SECT_EVENTS)
			continue;
		rd__what(r, "the EVENTS section at offset %llu",
			 (unsigned long long)(at - len - SECT_HDR_LEN));
		if (rd__u32(r, &nr))
			return -1;
		for (uint32_t i = 0; i < nr; i++, idx++) {
			if (rd__event(r, idx, &e))
				return -1;
			if (fn && fn(ctx, &e))
				return rd__fail(r, "event %llu could not be processed "
						"(out of memory?)", (unsigned long long)idx);
		}
		rd__what(r, "the EVENTS section at offset %llu",
			 (unsigned long long)(at - len - SECT_HDR_LEN));
		if (rd__done(r))
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
	rc = rd__open(&r, path) || rd__header(&r, &l) || rd__trailer(&r, &l, &t) ||
	     rd__checksum(&r) || rd__walk(&r, &t, &l) ||
	     rd__meta(&r, "META", t.meta_off, l.meta_len, m) ||
	     rd__meta(&r, "FINAL_META", t.final_off, l.final_len, m) ||
	     rd__syms(&r, t.syms_off, l.syms_len, st) || rd__events(&r, &t, &l, fn, ctx);
	if (r.f)
		fclose(r.f);
	free(r.scratch);
	return rc ? -1 : 0;
}
