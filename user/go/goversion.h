/* The Go version of a binary whose build info is gone (.go.buildinfo
 * removed, or a packer dropped it): the runtime's own version string
 * (runtime.buildVersion, what runtime.Version() returns), found by its shape
 * in the binary's data, since nothing else names it once symbols are gone. */
#ifndef WEFT_GOVERSION_H
#define WEFT_GOVERSION_H

#include <gelf.h>
#include <stddef.h>

/* Writes "go1.26.10" (or "go1.26.10 X:exp") to out. Among the string headers
 * {data, len} in non-executable segments whose bytes read "go1.N...", the
 * newest release with a patch level (or rc, beta) wins over a bare "go1.N"
 * (which may be from a list of release tags). 0, or -1 when there is none. */
int goversion__from_runtime(Elf *e, int fd, char *out, size_t len);

#endif
