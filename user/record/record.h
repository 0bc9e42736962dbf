/* The record file: a self-describing, versioned container for one capture.
 *   header  magic "WEFTREC\0", u32 version, u32 header length
 *   meta    key/value strings: host, kernel, pid, exe, build_id, probes, opts,
 *           the start in both clocks
 *   events  struct weft_event, nr_frames trimmed
 *   symbols every address that names a site, with its struct sym
 *   trailer event count and a checksum, so truncation is detected
 * All integers little endian. See record.c for the exact byte layout. */
#ifndef WEFT_RECORD_H
#define WEFT_RECORD_H

#include <stdint.h>
#include <stdio.h>
#include "weft/events.h"
#include "symtab.h"

#define WEFT_RECORD_VERSION 2

struct record_meta {
	char host[64];
	char kernel[128];
	uint32_t pid;
	char exe[512];
	char build_id[64]; /* hex */
	char probes[2048]; /* probe specs, one per line, index order */
	char probe_sites[4096]; /* where their uprobes sit (probes__format_sites) */
	char cmdline[512]; /* weft's own command line */
	uint64_t start_ns, end_ns;   /* capture window (monotonic) */
	uint64_t start_realtime_ns;  /* CLOCK_REALTIME at start_ns, ns since the epoch
				      * (0: unknown, a file written before it was kept) */
	uint64_t lost, evicted;	     /* from the BPF counters at end */
	uint64_t hits[WEFT_MAX_PROBES];
	uint64_t leak_grace_ns;
	uint64_t nest_overflow; /* runs/transactions past the per-thread nesting limit */
	uint64_t go_reads_failed;   /* --go-lean: reads of allgs that failed (retried) */
	uint64_t go_lean_read_ns;   /* --go-lean: the last good read; what is alive is known
				     * up to there only (0: not lean) */
	char go_wait_reasons[4096]; /* "CODE TEXT" lines: Go wait reasons seen */
	char go_version[32]; /* "go1.23.4" ("": not Go, or a file from before) */
	char go_offsets[16]; /* runtime.g/m layout from "DWARF", "table" or "derived" */
	char name_by[16];    /* Go requests named by "pattern" or "path" ("": pattern) */
	char node_providers[2048]; /* "N NAME" lines: Node's async resource types */
	uint64_t node_suspect;	   /* resources that broke the layout's invariants */
	/* profile: -F (0 off), --off-cpu's shortest span sent (0 off) */
	uint64_t sample_hz, offcpu_min_ns;
	uint64_t samples_taken, samples_lost; /* of the target; lost: ring buffer full */
	uint64_t offcpu_short, offcpu_short_ns; /* spans below offcpu_min_ns, not sent */
	/* set by the reader of a file cut before its trailer, never written:
	 * what it read (whole, checked chunks) and the bytes it dropped */
	bool cut;
	uint64_t cut_chunks, cut_events, cut_bytes;
};

struct record_writer;
struct record_writer *record_writer__open(const char *path, const struct record_meta *meta);
int record_writer__event(struct record_writer *w, const struct weft_event *e);
/* Writes final meta counters, the symbols and the trailer, then closes. */
int record_writer__close(struct record_writer *w, const struct record_meta *final_meta,
			 const struct symtab *st);

/* Reads a whole file: meta and symbols first (the trailer points at them), then
 * calls fn for each event in order. Returns 0, or -1 with a one-line reason in
 * err ("bad magic", "unsupported version 7", ...). A file cut before its
 * trailer gives what it holds up to its last whole, checked chunk, with
 * meta->cut set (no symbols, no final counters, unless they made it). */
typedef int (*record_event_fn)(void *ctx, const struct weft_event *e);
int record__read(const char *path, struct record_meta *meta, struct symtab *st,
		 record_event_fn fn, void *ctx, char *err, size_t errlen);

/* CRC-32 (IEEE, the same as zlib's crc32()); start with crc = 0. The last 4
 * bytes of a record file are this over all the bytes before them. */
uint32_t record__crc32(uint32_t crc, const void *buf, size_t len);

#endif
