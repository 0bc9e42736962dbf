/* libFuzzer harness for the readers of a Go binary weft runs as root on
 * the target's file: build info, DWARF offsets, the function table
 * (pclntab), the RET scan. No input may crash them or read outside it.
 * `make fuzz` builds it with ASan and seeds it with the Go test programs. */
#include <stdlib.h>
#include <unistd.h>
#include "fuzz_file.h"
#include "goelf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_write(data, size, "goelf");
	uint64_t v, sz, off, rets[64];
	struct go_info gi;
	char err[256];

	if (!path)
		return 0;
	goelf__open(path, &gi, err, sizeof(err));
	if (!goelf__func(path, "main.main", &v, &sz, &off)) {
		goelf__rets(path, v, sz, rets, 64);
		goelf__entry_after_prologue(path, v, sz, &off);
	}
	goelf__member(path, "runtime.g", "goid");
	goelf__forget();
	goelf__dwarf_release();
	unlink(path);
	return 0;
}
