// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The record file's meta fields and its checksum (record_format.h). */
#include <stdbool.h>
#include <stddef.h>
#include "record_format.h"

#define MF(f, t, fin) { #f, t, fin, offsetof(struct record_meta, f), \
			sizeof(((struct record_meta *)0)->f) }

const struct meta_field meta_fields[] = {
	MF(host, KV_STR, false),
	MF(kernel, KV_STR, false),
	MF(pid, KV_U64, false),
	MF(exe, KV_STR, false),
	MF(build_id, KV_STR, false),
	MF(probes, KV_STR, false),
	MF(probe_sites, KV_STR, false), /* absent from older files: "" */
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

const size_t nr_meta_fields = sizeof(meta_fields) / sizeof(meta_fields[0]);

/* ---- CRC-32 ---- */

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
