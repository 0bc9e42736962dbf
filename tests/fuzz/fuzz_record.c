/* libFuzzer harness for record__read(): no input may crash it, leak, or hand
 * out an event with nr_frames past the array.
 *
 * Build and run (from the top of the tree; `make fuzz` does the same):
 *   clang -g -O1 -fsanitize=fuzzer,address -Iinclude -Iuser \
 *       tests/fuzz/fuzz_record.c user/record/record_*.c user/core/symtab.c -o build/fuzz_record
 *   mkdir -p build/fuzz-corpus && build/fuzz_record -max_total_time=60 build/fuzz-corpus
 * Seed the corpus with a real capture (weft record ... -o build/fuzz-corpus/seed.weft):
 * random bytes rarely get past the magic.
 *
 * Each input is read twice: as it is, and with its last 4 bytes set to the
 * right checksum, so that mutations reach the parser behind the CRC. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "record.h"
#include "symtab.h"

static int fuzz_fd = -1;
static char fuzz_path[64];

static int on_event(void *ctx, const struct weft_event *e)
{
	uint64_t *sum = ctx;

	if (e->nr_frames > WEFT_MAX_FRAMES)
		abort();
	/* touch what the reader claims is meaningful */
	for (uint32_t i = 0; i < e->nr_frames; i++)
		*sum += e->frames[i];
	*sum += e->ts_ns + (uint8_t)e->name[sizeof(e->name) - 1];
	return 0;
}

static void fuzz_read(const uint8_t *data, size_t size)
{
	struct record_meta meta;
	struct symtab *st = symtab__new();
	uint64_t sum = 0;
	char err[256];

	if (!st)
		return;
	if (ftruncate(fuzz_fd, 0) || pwrite(fuzz_fd, data, size, 0) != (ssize_t)size)
		abort();
	if (record__read(fuzz_path, &meta, st, on_event, &sum, err, sizeof(err))) {
		if (!err[0] || !memchr(err, 0, sizeof(err)))
			abort(); /* a failure always says why */
	} else {
		/* strings come back terminated */
		if (!memchr(meta.probes, 0, sizeof(meta.probes)) ||
		    !memchr(meta.host, 0, sizeof(meta.host)))
			abort();
		for (size_t i = 0; i < symtab__count(st); i++)
			sum += strlen(symtab__at(st, i)->func);
	}
	symtab__free(st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *fixed;

	if (fuzz_fd < 0) {
		fuzz_fd = memfd_create("weft-fuzz", 0);
		if (fuzz_fd < 0)
			abort();
		snprintf(fuzz_path, sizeof(fuzz_path), "/proc/self/fd/%d", fuzz_fd);
	}
	fuzz_read(data, size);
	if (size < 4)
		return 0;
	fixed = malloc(size);
	if (!fixed)
		return 0;
	memcpy(fixed, data, size);
	{
		uint32_t crc = record__crc32(0, fixed, size - 4);

		for (int i = 0; i < 4; i++)
			fixed[size - 4 + i] = (uint8_t)(crc >> (8 * i));
	}
	fuzz_read(fixed, size);
	free(fixed);
	return 0;
}
