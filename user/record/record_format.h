// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The record file's layout, shared by its writer and its reader. All integers little endian; offsets are from the start of
 * the file; "str" is u32 length + bytes (no NUL), at most 64 KiB.
 *
 * Header, 16 bytes:
 *   0   char[8]  "WEFTREC\0"
 *   8   u32      version (WEFT_RECORD_VERSION)
 *   12  u32      header length (16; a reader skips any bytes past 16)
 *
 * Then sections, each a 16 byte header and its payload:
 *   0   u32      type: 1 META, 2 EVENTS, 3 SYMS, 4 FINAL_META, 5 CHUNK_CRC
 *   4   u32      flags: bit 0 REQUIRED (a reader that does not know the type
 *                must refuse the file); other bits are ignored
 *   8   u64      payload length
 *   16  payload
 * Unknown types without REQUIRED are skipped. The writer emits META, any
 * number of EVENTS (one per 64 KiB of events, written as the capture runs),
 * each followed by its CHUNK_CRC, then SYMS, FINAL_META, in that order.
 *
 * CHUNK_CRC payload: u32 CRC-32 of the EVENTS section right before it
 * (header and payload). A file cut before its trailer (the writer killed,
 * the disk full) is read up to its last complete, checked chunk.
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
#ifndef WEFT_RECORD_FORMAT_H
#define WEFT_RECORD_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
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
	SECT_CHUNK_CRC = 5,
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


extern const struct meta_field meta_fields[];
extern const size_t nr_meta_fields;

/* ---- little endian ---- */

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static inline size_t event__union_len(uint32_t type, uint32_t nr_frames)
{
	return type == WEFT_EV_TXN_BEGIN ? EV_UNION_LEN : nr_frames * 8;
}

#endif
