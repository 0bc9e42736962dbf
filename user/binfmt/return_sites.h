/* A function's call sites and where it has returned to each caller, on
 * instructions the kernel emulates (x86-64): cheap entry and end probes
 * when every way into the function is a direct call. */
#ifndef WEFT_RETURN_SITES_H
#define WEFT_RETURN_SITES_H

#include <stdbool.h>
#include <stdint.h>

/* How the binary's code is cut into functions */
struct code_funcs {
	/* the function holding vaddr: [*entry, *end); 0, or -1 (none) */
	int (*func_at)(void *ctx, uint64_t vaddr, uint64_t *entry, uint64_t *end);
	void *ctx;
	uint64_t no_site_call; /* a call the end may not lie past (Go's deferreturn), or 0 */
};

struct return_sites {
	uint64_t *calls, *rets; /* file offsets: each direct call, and where it has returned */
	int max, n;
	bool taken; /* the function's address is in data (a func value, an itab, a vtable) */
};

/* Every direct call to the function at vaddr fn, and for each the first
 * emulated instruction after it that only its return reaches (else, on
 * that path alone, the caller's RET). n, or -1 when another way in exists
 * in code (a jump to it, its address taken), a caller cannot be decoded or
 * placed, or there are more than max. rs->taken is set either way: calls
 * through such a pointer are not among the sites. */
int return_sites__find(const char *path, uint64_t fn, const struct code_funcs *cf,
		       struct return_sites *rs);

#endif
