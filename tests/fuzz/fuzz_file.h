/* The parsers of target input take a path (they map the file): each
 * libFuzzer input is written to a file of its own, parsed, then removed.
 * A new name each time: a parser's cache keyed by file must never mistake
 * one input for another. */
#ifndef WEFT_FUZZ_FILE_H
#define WEFT_FUZZ_FILE_H

#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

static const char *fuzz_write(const uint8_t *data, size_t size, const char *what)
{
	static char path[128];
	static unsigned long n;
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/weft-fuzz-%s-%d-%lu", what, (int)getpid(), n++);
	if (!(f = fopen(path, "we")))
		return NULL;
	if (size && fwrite(data, 1, size, f) != size) {
		fclose(f);
		unlink(path);
		return NULL;
	}
	fclose(f);
	return path;
}

#endif
