/* libFuzzer harness for the perf map reader (/tmp/perf-PID.map, written by
 * the target): every lookup on any input stays in bounds. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "perfmap.h"

/* its own: perfmap__new reads /proc/PID/root/tmp/perf-PID.map */
#define FAKE_PID ((int)getpid())

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], buf[256], file[256];
	struct perfmap *pm;
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/perf-%d.map", FAKE_PID);
	if (!(f = fopen(path, "we")))
		return 0;
	if (size)
		fwrite(data, 1, size, f);
	fclose(f);
	pm = perfmap__new(FAKE_PID);
	for (uint64_t a = 0; pm && a < 8; a++) {
		uint64_t addr = 0;
		const char *name;
		uint32_t line;

		if (size >= 8 * (a + 1))
			memcpy(&addr, data + 8 * a, 8);
		name = perfmap__find(pm, a < 4 ? addr : 0x1000 * a);
		if (name && perfmap__is_js(name))
			perfmap__js_name(name, buf, sizeof(buf), file, sizeof(file), &line);
	}
	perfmap__free(pm);
	unlink(path);
	return 0;
}
