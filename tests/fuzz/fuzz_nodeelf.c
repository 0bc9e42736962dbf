/* libFuzzer harness for the Node binary reader (symbols, the version, the
 * per-version layout checked against the code): no input may crash it. */
#include <unistd.h>
#include "fuzz_file.h"
#include "nodeelf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_write(data, size, "nodeelf");
	struct node_info ni;
	char err[256];

	if (!path)
		return 0;
	nodeelf__open(path, &ni, err, sizeof(err));
	unlink(path);
	return 0;
}
